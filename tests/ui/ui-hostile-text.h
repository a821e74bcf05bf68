/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* What issue 22 asks of hostile text (on the real build: see
 * TEST_TIME_BUDGETS_APPLY): a room of it opens within MAX_OPEN_MS, and the
 * main loop never blocks longer than MAX_BLOCK_MS. */
#define UI_HOSTILE_MAX_OPEN_MS 200
#define UI_HOSTILE_MAX_BLOCK_MS 50
/* On the clock the same gaps may be longer when the machine is busy, but
 * never this long: a blocking read or wait would show here, as CPU time
 * does not count it. */
#define UI_HOSTILE_MAX_WALL_BLOCK_MS 250
#define UI_HOSTILE_N_BIG 20
#define UI_HOSTILE_BIG_BYTES 60000

/* 60 KB of one kind of text a message can hold, different for each @i: no
 * spaces, stacked combining marks, bidirectional overrides never closed,
 * emoji runs and joins, ordinary words (i % 5). Valid UTF-8. */
char   *ui_hostile_big_body (guint i);

/* The main loop's watchdog: a high-priority timeout beating every 5 ms,
 * noting the longest time between its beats, both on the clock and in the
 * main thread's own CPU time. The second is what the code under test
 * costs: on a loaded machine (two cores, a build beside the tests) the
 * clock also counts the time the scheduler gave other processes. */
typedef struct {
  gint64 last;
  gint64 longest;
  gint64 cpu_last;
  gint64 cpu_longest;
  guint  id;
} UiWatchdog;

void    ui_watchdog_start   (UiWatchdog *dog);
/* The longest the main thread worked without returning to the main loop
 * (its CPU time between two beats), in ms: what the budgets hold. */
double  ui_watchdog_stop    (UiWatchdog *dog);
/* After ui_watchdog_stop(): the longest gap between beats on the clock, in
 * ms (printed beside, for a quiet machine it is about the same). */
double  ui_watchdog_wall_ms (const UiWatchdog *dog);

G_END_DECLS
