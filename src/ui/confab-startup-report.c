/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "confab-startup-report"

#include "config.h"

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "confab-startup-report.h"
#include "confab-window.h"

/* With CONFAB_REPORT_STARTUP set, the app says on stderr how long it took
 * to show its rooms, as one JSON line prefixed "confab-startup: ":
 *
 *   {"list_frame_ms", "first_frame_ms", "rooms", "rss_kib", "cpu_ms",
 *    "all_listed_ms", "all_listed_rss_kib", "all_listed_cpu_ms"}
 *
 * list_frame_ms is the first frame painted with the room list (the
 * tracker restores every room when it is made; the list view shows a
 * screenful of them in that frame), rss_kib and cpu_ms are taken then;
 * all_listed_* at the first frame whose list view holds every room, when
 * the line is printed. The time origin is the variable's value when it is a
 * CLOCK_MONOTONIC time in µs (what a caller reads just before exec), else
 * the process's start time from /proc/self/stat (10 ms resolution). */

typedef struct {
  gint64 origin_us;     /* CLOCK_MONOTONIC */
  gint64 first_frame_us;
  gint64 list_frame_us;
  glong  list_rss_kib;
  double list_cpu_ms;
  gulong handler;
} Report;

/* When the process started, on CLOCK_MONOTONIC, from its start in clock
 * ticks after boot (CLOCK_BOOTTIME). */
static gint64
process_start_us (void)
{
  g_autofree char *stat = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_comm;
  struct timespec boot, mono;
  guint64 ticks;

  if (!g_file_get_contents ("/proc/self/stat", &stat, NULL, NULL) ||
      (after_comm = strrchr (stat, ')')) == NULL)
    return g_get_monotonic_time ();

  /* Field 22, starttime; after the command name, it is the 20th. */
  fields = g_strsplit (after_comm + 2, " ", 0);
  if (g_strv_length (fields) < 20)
    return g_get_monotonic_time ();
  ticks = g_ascii_strtoull (fields[19], NULL, 10);

  clock_gettime (CLOCK_BOOTTIME, &boot);
  clock_gettime (CLOCK_MONOTONIC, &mono);
  return (gint64) mono.tv_sec * G_USEC_PER_SEC + mono.tv_nsec / 1000 -
         ((gint64) boot.tv_sec * G_USEC_PER_SEC + boot.tv_nsec / 1000 -
          (gint64) (ticks * G_USEC_PER_SEC / sysconf (_SC_CLK_TCK)));
}

static glong
current_rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL))
    return -1;
  line = strstr (status, "\nVmRSS:");
  return line != NULL ? (glong) g_ascii_strtoll (line + strlen ("\nVmRSS:"), NULL, 10) : -1;
}

static double
cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}

static void
on_after_paint (GdkFrameClock *clock,
                GtkWidget     *window)
{
  Report *report = g_object_get_data (G_OBJECT (window), "confab-startup-report");
  gint64 now = g_get_monotonic_time ();
  MatrixRoomStateTracker *tracker;
  g_autofree char *line = NULL;

  if (report->first_frame_us == 0)
    report->first_frame_us = now;

  tracker = confab_window_get_tracker (CONFAB_WINDOW (window));
  if (tracker == NULL || !confab_window_get_rooms_listed (CONFAB_WINDOW (window)))
    {
      /* Loading the session, or the list still filling: keep painting. */
      if (tracker != NULL && report->list_frame_us == 0)
        {
          report->list_frame_us = now;
          report->list_rss_kib = current_rss_kib ();
          report->list_cpu_ms = cpu_ms ();
        }
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      return;
    }
  if (report->list_frame_us == 0)
    {
      report->list_frame_us = now;
      report->list_rss_kib = current_rss_kib ();
      report->list_cpu_ms = cpu_ms ();
    }

  line = g_strdup_printf ("{\"list_frame_ms\": %.1f, \"first_frame_ms\": %.1f, \"rooms\": %u, "
                          "\"rss_kib\": %ld, \"cpu_ms\": %.1f, \"all_listed_ms\": %.1f, "
                          "\"all_listed_rss_kib\": %ld, \"all_listed_cpu_ms\": %.1f}",
                          (report->list_frame_us - report->origin_us) / 1e3,
                          (report->first_frame_us - report->origin_us) / 1e3,
                          g_list_model_get_n_items (G_LIST_MODEL (tracker)),
                          report->list_rss_kib, report->list_cpu_ms,
                          (now - report->origin_us) / 1e3, current_rss_kib (), cpu_ms ());
  fprintf (stderr, "confab-startup: %s\n", line);
  fflush (stderr);

  g_clear_signal_handler (&report->handler, clock);
}

static void
on_realize (GtkWidget *window)
{
  Report *report = g_object_get_data (G_OBJECT (window), "confab-startup-report");
  GdkFrameClock *clock = gtk_widget_get_frame_clock (window);

  report->handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), window);
}

/* Watches @window's frames if CONFAB_REPORT_STARTUP is set; nothing otherwise. */
void
confab_startup_report_watch (GtkWindow *window)
{
  const char *value = g_getenv (CONFAB_STARTUP_REPORT_ENV);
  gint64 origin;
  Report *report;

  if (value == NULL || *value == '\0' || !CONFAB_IS_WINDOW (window))
    return;

  origin = g_ascii_strtoll (value, NULL, 10);
  report = g_new0 (Report, 1);
  report->origin_us = origin > 1 ? origin : process_start_us ();
  g_object_set_data_full (G_OBJECT (window), "confab-startup-report", report, g_free);
  g_signal_connect (window, "realize", G_CALLBACK (on_realize), NULL);
}
