/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <libsoup/soup.h>

#include "matrix-client.h"

G_BEGIN_DECLS

/* How the sync loop waits before a retry: a source that fires once after
 * @delay_ms. Tests replace it to record delays and fire at once. */
typedef GSource *(*MatrixTimeoutSourceFunc) (guint    delay_ms,
                                             gpointer user_data);

void  _matrix_client_set_timeout_source_func (MatrixClient            *self,
                                              MatrixTimeoutSourceFunc  func,
                                              gpointer                 user_data);
/* How long one long-poll /sync may take in all before it is given up on
 * (its 30 s plus a margin); tests shorten it. */
void  _matrix_client_set_sync_watchdog_ms    (MatrixClient            *self,
                                              guint                    watchdog_ms);
/* How long a request for an answer at once (timeout=0, the retries after a
 * failure) may take before it is given up on; tests shorten it. */
void  _matrix_client_set_first_byte_timeout_ms (MatrixClient          *self,
                                                guint                  timeout_ms);
/* How the sync loop arms its watchdogs: a source that fires once after
 * @delay_ms. Tests replace it to see each request's deadline and to give up
 * on a request when they choose. */
void  _matrix_client_set_watchdog_source_func (MatrixClient           *self,
                                               MatrixTimeoutSourceFunc func,
                                               gpointer                user_data);
/* Whether the rooms' unread counts come from sliding sync (whose server
 * counts nothing, Synapse 1.163): the protocol in use, else the one the
 * sync mode or the stored token says the next sync speaks. */
gboolean _matrix_client_syncs_sliding        (MatrixClient            *self);
void  _matrix_client_set_max_body_size       (MatrixClient            *self,
                                              gsize                    max_size);
/* How long a client that does not sync trusts that a room is not encrypted
 * before asking again (60 s); tests shorten it. */
void  _matrix_client_set_plain_room_ttl_ms   (MatrixClient            *self,
                                              guint                    ttl_ms);

/* Whether an event of @event_type with @content may go into an encrypted
 * room as it is: a redaction, or an m.room.encrypted event. */
gboolean _matrix_client_may_send_unencrypted (const char *event_type,
                                              JsonObject *content);

/* A message was sent in @room_id: if the user said they were typing
 * there, they stopped. */
void  _matrix_client_stop_typing             (MatrixClient            *self,
                                              const char              *room_id);

gboolean _matrix_client_dispatch_sync_body (MatrixClient            *self,
                                            GBytes                  *body,
                                            GError                 **error);

/* For the media API (matrix-media.c), which reaches other prefixes than
 * /_matrix/client/ (e.g. "/_matrix/media/") and streams bodies itself. */
SoupMessage *_matrix_client_new_message      (MatrixClient            *self,
                                              const char              *method,
                                              const char              *prefix,
                                              const char              *path,
                                              const char * const      *query,
                                              gboolean                 authenticated,
                                              GError                 **error);
SoupSession *_matrix_client_get_session      (MatrixClient            *self);
GError      *_matrix_client_error_from_response (guint                 status,
                                                 SoupMessageHeaders   *headers,
                                                 GBytes               *body);
/* Sends @message and parses its JSON object answer; finish with
 * matrix_client_request_finish(). */
void         _matrix_client_request_message_async (MatrixClient        *self,
                                                   SoupMessage         *message,
                                                   GCancellable        *cancellable,
                                                   GAsyncReadyCallback  callback,
                                                   gpointer             user_data);

G_END_DECLS
