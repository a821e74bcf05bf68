/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>
#include <sys/types.h>

/* A homeserver stand-in in a forked child process, so that what it holds
 * never counts in the measured process's RSS. It answers the first
 * GET /sync (no `since`) with @file, holds later long-polls open, and
 * answers /messages with an empty page. Fork before any GLib thread exists.
 *
 * Returns the port, or 0; *child and *lifeline are for bench_server_stop(). */
int  bench_server_fork (const char *file,
                        pid_t      *child,
                        int        *lifeline);
void bench_server_stop (pid_t       child,
                        int         lifeline);
