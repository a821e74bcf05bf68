/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MATRIX_BLURHASH_MAX_SIZE:
 *
 * The largest width or height matrix_blurhash_decode() paints: a blurhash
 * has at most 9×9 components, so a small image scaled up shows all of it.
 */
#define MATRIX_BLURHASH_MAX_SIZE 64

gboolean  matrix_blurhash_is_valid (const char  *blurhash);
GBytes   *matrix_blurhash_decode   (const char  *blurhash,
                                    guint        width,
                                    guint        height,
                                    GError     **error);

G_END_DECLS
