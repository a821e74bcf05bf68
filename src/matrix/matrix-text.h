/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Combining marks kept on one base character; more are dropped. */
#define MATRIX_TEXT_MAX_MARKS 4
/* Zero-width joiners kept in one grapheme (an emoji sequence); more are dropped. */
#define MATRIX_TEXT_MAX_JOINS 8
/* A display name longer than this (in bytes) is cut. */
#define MATRIX_TEXT_MAX_NAME_BYTES 255
/* A run of characters without a space longer than this gets a place to break. */
#define MATRIX_TEXT_MAX_RUN 64
/* A message body longer than this (in bytes) is cut before it is shown. */
#define MATRIX_TEXT_MAX_BODY_BYTES (64 * 1024)
/* A room topic longer than this (in bytes) is cut before it is shown. */
#define MATRIX_TEXT_MAX_TOPIC_BYTES 1024

char     *matrix_text_preview             (const char *text,
                                           gsize       max_chars,
                                           guint       max_lines);
char     *matrix_text_truncate_bytes      (const char *text,
                                           gsize       max_bytes);
char     *matrix_text_bound               (const char *text,
                                           gssize      length);
char     *matrix_text_break_runs          (const char *text,
                                           gboolean    markup);
char     *matrix_text_isolate             (const char *text);
char     *matrix_text_dup_name            (const char *name);
gboolean  matrix_text_looks_like_user_id  (const char *name);
gboolean  matrix_text_is_long             (const char *text,
                                           gsize       max_chars,
                                           guint       max_lines);

G_END_DECLS
