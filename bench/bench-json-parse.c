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
  gint64 start, end, freed;
  double cpu_start, cpu_parsed;
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
  cpu_parsed = bench_cpu_ms ();

  /* Not part of the floor, but of any real use of the tree: freeing it. */
  g_clear_object (&parser);
  freed = g_get_monotonic_time ();

  g_print ("{\"bytes\": %" G_GSIZE_FORMAT ", \"ms\": %.3f, \"cpu_ms\": %.3f, "
           "\"max_rss_kib\": %ld, \"rss_before_kib\": %ld, \"free_ms\": %.3f, "
           "\"free_cpu_ms\": %.3f}\n",
           length, (end - start) / 1e3, cpu_parsed - cpu_start,
           bench_max_rss_kib (), rss_before, (freed - end) / 1e3, bench_cpu_ms () - cpu_parsed);

  return 0;
}
