/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-json-parse"

/* The floor of our stack: json-glib's bare parse of a /sync body, with no
 * validation, no objects and no I/O. One run per process, so that the peak
 * RSS is this parse's own.
 *
 *   bench-json-parse FILE
 */

#include <json-glib/json-glib.h>

#include "bench-common.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *data = NULL;
  gsize length;
  gint64 start, end;
  double cpu_start;
  glong rss_before;

  if (argc != 2)
    {
      g_printerr ("usage: %s FILE\n", argv[0]);
      return 2;
    }

  if (!g_file_get_contents (argv[1], &data, &length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  rss_before = bench_max_rss_kib ();

  BENCH_CALLGRIND_ZERO ();
  cpu_start = bench_cpu_ms ();
  start = g_get_monotonic_time ();
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, data, length, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  end = g_get_monotonic_time ();
  BENCH_CALLGRIND_DUMP ("parsed");

  g_print ("{\"bytes\": %" G_GSIZE_FORMAT ", \"ms\": %.3f, \"cpu_ms\": %.3f, "
           "\"max_rss_kib\": %ld, \"rss_before_kib\": %ld}\n",
           length, (end - start) / 1e3, bench_cpu_ms () - cpu_start,
           bench_max_rss_kib (), rss_before);

  return 0;
}
