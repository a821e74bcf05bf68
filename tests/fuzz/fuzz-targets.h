/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Each target takes untrusted bytes and aborts (through a failed assertion)
 * only when Confab did something wrong with them: crashing, leaking, or
 * breaking an invariant. The libFuzzer entry points and the regression test
 * that replays the corpus both call these. */

void confab_fuzz_sync (const guint8 *data,
                       gsize         size);
void confab_fuzz_html (const guint8 *data,
                       gsize         size);
void confab_fuzz_json (const guint8 *data,
                       gsize         size);
void confab_fuzz_text (const guint8 *data,
                       gsize         size);
void confab_fuzz_crypto (const guint8 *data,
                         gsize         size);

G_END_DECLS
