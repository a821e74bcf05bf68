/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* What every benchmark program prints: one JSON object on stdout, numbers
 * only, read by tools/bench. Nothing here passes or fails on time. */

#include <glib.h>
#include <sys/resource.h>

#ifdef HAVE_VALGRIND
#include <valgrind/callgrind.h>
#define BENCH_CALLGRIND_ZERO()       CALLGRIND_ZERO_STATS
#define BENCH_CALLGRIND_DUMP(name)   CALLGRIND_DUMP_STATS_AT (name)
#else
#define BENCH_CALLGRIND_ZERO()       ((void) 0)
#define BENCH_CALLGRIND_DUMP(name)   ((void) 0)
#endif

/* Peak resident set of this process (all its threads), in KiB. */
static inline glong
bench_max_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* CPU time of this process, all threads, user + system, in ms. */
static inline double
bench_cpu_ms (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1e3 +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e3;
}
