/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * MATRIX_TEXT_MAX_MARKS:
 *
 * Combining marks kept on one base character; more are dropped, so a
 * "zalgo" stack cannot make a line of text tall and slow to shape.
 */
#define MATRIX_TEXT_MAX_MARKS 4
/**
 * MATRIX_TEXT_MAX_JOINS:
 *
 * Zero-width joiners kept in one grapheme (an emoji sequence); more are
 * dropped.
 */
#define MATRIX_TEXT_MAX_JOINS 8
/**
 * MATRIX_TEXT_MAX_NAME_BYTES:
 *
 * The longest display name or room name shown, in bytes; a longer one is
 * cut at a character boundary.
 */
#define MATRIX_TEXT_MAX_NAME_BYTES 255
/**
 * MATRIX_TEXT_MAX_RUN:
 *
 * The longest run of characters without a place to break; a longer word
 * gets a zero-width space, since Pango breaks long words in quadratic time.
 */
#define MATRIX_TEXT_MAX_RUN 64
/**
 * MATRIX_TEXT_MAX_BODY_BYTES:
 *
 * The most of a message body that is turned into markup, in bytes; the
 * rest is cut before it is shown (Synapse refuses events over 64 KiB anyway).
 */
#define MATRIX_TEXT_MAX_BODY_BYTES (64 * 1024)
/**
 * MATRIX_TEXT_MAX_TOPIC_BYTES:
 *
 * The most of a room topic that is shown, in bytes.
 */
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
