/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "ui-hostile-text.h"

#include <errno.h>
#include <time.h>

#define RLO "\u202e"

char *
ui_hostile_big_body (guint i)
{
  GString *s = g_string_sized_new (UI_HOSTILE_BIG_BYTES + 64);

  g_string_append_printf (s, "%u ", i);
  while (s->len < UI_HOSTILE_BIG_BYTES - 16)
    switch (i % 5)
      {
      case 0: g_string_append_c (s, "abcdefghij"[s->len % 10]); break;
      /* A letter under twenty acute accents, again and again. */
      case 1:
        g_string_append_c (s, 'z');
        for (guint m = 0; m < 20; m++)
          g_string_append (s, "\u0301");
        break;
      /* Overrides and embeddings opened and never closed. */
      case 2: g_string_append (s, RLO "gnp.exe\u202b\u2067abc"); break;
      /* Emoji, and emoji joined into one endless grapheme. */
      case 3: g_string_append (s, s->len % 400 < 200 ? "😀" : "👩\u200d"); break;
      default: g_string_append (s, "ordinary words of a long message "); break;
      }
  return g_string_free (s, FALSE);
}

/* The calling thread's CPU time, in µs. */
static gint64
thread_cpu_time (void)
{
  struct timespec ts;

  if (clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
    g_error ("clock_gettime (CLOCK_THREAD_CPUTIME_ID): %s", g_strerror (errno));
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

static gboolean
watchdog_beat (gpointer data)
{
  UiWatchdog *dog = data;
  gint64 now = g_get_monotonic_time ();
  gint64 cpu = thread_cpu_time ();

  dog->longest = MAX (dog->longest, now - dog->last);
  dog->last = now;
  dog->cpu_longest = MAX (dog->cpu_longest, cpu - dog->cpu_last);
  dog->cpu_last = cpu;
  return G_SOURCE_CONTINUE;
}

void
ui_watchdog_start (UiWatchdog *dog)
{
  dog->last = g_get_monotonic_time ();
  dog->longest = 0;
  dog->cpu_last = thread_cpu_time ();
  dog->cpu_longest = 0;
  dog->id = g_timeout_add_full (G_PRIORITY_HIGH, 5, watchdog_beat, dog, NULL);
}

double
ui_watchdog_stop (UiWatchdog *dog)
{
  watchdog_beat (dog);
  g_clear_handle_id (&dog->id, g_source_remove);
  return dog->cpu_longest / 1000.0;
}

double
ui_watchdog_wall_ms (const UiWatchdog *dog)
{
  return dog->longest / 1000.0;
}
