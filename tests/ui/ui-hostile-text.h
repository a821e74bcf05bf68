/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What issue 22 asks of hostile text (on the real build: see
 * TEST_TIME_BUDGETS_APPLY): a room of it opens within MAX_OPEN_MS, and the
 * main loop never blocks longer than MAX_BLOCK_MS. */
#define UI_HOSTILE_MAX_OPEN_MS 200
#define UI_HOSTILE_MAX_BLOCK_MS 50
#define UI_HOSTILE_N_BIG 20
#define UI_HOSTILE_BIG_BYTES 60000

/* 60 KB of one kind of text a message can hold, different for each @i: no
 * spaces, stacked combining marks, bidirectional overrides never closed,
 * emoji runs and joins, ordinary words (i % 5). Valid UTF-8. */
char   *ui_hostile_big_body (guint i);

/* The main loop's watchdog: a high-priority timeout beating every 5 ms,
 * noting the longest time between its beats. */
typedef struct {
  gint64 last;
  gint64 longest;
  guint  id;
} UiWatchdog;

void    ui_watchdog_start   (UiWatchdog *dog);
/* The longest the main loop went without running the watchdog, in ms. */
double  ui_watchdog_stop    (UiWatchdog *dog);

G_END_DECLS
