/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

/* The other side of an integration test: the throwaway Synapse that
 * tests/integration/with-synapse started, and a second user who talks to it
 * with plain HTTP, independently of the library under test.
 *
 * The peer's calls are blocking (the library under test does not run while
 * they wait) and fail the test on any error, unless they return a GError. */

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The server's base URL, from CONFAB_SYNAPSE_URL; fails the test when unset. */
const char *synapse_get_url          (void);
/* The server's directory and pid (read from its pid file: it changes on
 * restart). */
const char *synapse_get_dir          (void);
GPid        synapse_get_pid          (void);
/* Runs `tools/synapse restart` for the server, iterating the thread-default
 * main context while it runs; fails the test if it fails. */
void        synapse_restart          (guint         timeout_ms);

/* A fresh user name, unique in this server: @prefix, a counter and the pid. */
char       *synapse_unique_user      (const char   *prefix);
/* Creates a user with the admin shared-secret registration API. */
void        synapse_register_user    (const char   *user,
                                      const char   *password);

typedef struct _Peer Peer;

/* Registers a new user named after @prefix and logs in. */
Peer       *peer_new                 (const char   *prefix);
/* Likewise, and what the peer then does (rooms, sending, redacting, state,
 * reading messages, waiting for events) it does as a matrix-nio client:
 * tests/integration/nio-peer.py run by CONFAB_PEER_PYTHON. Peer_request()
 * stays plain HTTP with the same token. */
Peer       *peer_new_nio             (const char   *prefix);
gboolean    peer_is_nio              (Peer         *self);
/* A peer that uses @access_token as is, to see how the server treats it. */
Peer       *peer_new_with_token      (const char   *access_token);
void        peer_free                (Peer         *self);
const char *peer_get_user_id         (Peer         *self);
/* Drops pooled connections, e.g. after the server was killed. */
void        peer_reset_connections   (Peer         *self);

/* A client-server API call: @path below /_matrix/client/, @body a JSON text
 * or NULL. Returns the response object, or NULL with @error set from the
 * Matrix error (MATRIX_ERROR domain, as the library would). */
JsonObject *peer_request             (Peer         *self,
                                      const char   *method,
                                      const char   *path,
                                      const char   *body,
                                      GError      **error);

/* POST /_matrix/media/v3/upload; returns the content URI. */
char       *peer_upload              (Peer         *self,
                                      const char   *content_type,
                                      GBytes       *data);
char       *peer_create_room         (Peer         *self,
                                      const char   *name);
void        peer_invite              (Peer         *self,
                                      const char   *room_id,
                                      const char   *user_id);
void        peer_join                (Peer         *self,
                                      const char   *room_id);
void        peer_leave               (Peer         *self,
                                      const char   *room_id);
/* Sends an m.text message; returns its event id. */
char       *peer_send_text           (Peer         *self,
                                      const char   *room_id,
                                      const char   *body);
/* Sends an event of any type with @content (a JSON object text); returns
 * its event id. */
char       *peer_send_event          (Peer         *self,
                                      const char   *room_id,
                                      const char   *event_type,
                                      const char   *content);
/* Redacts @event_id; returns the redaction's event id. */
char       *peer_redact              (Peer         *self,
                                      const char   *room_id,
                                      const char   *event_id);
char       *peer_set_state           (Peer         *self,
                                      const char   *room_id,
                                      const char   *event_type,
                                      const char   *state_key,
                                      const char   *content);
/* GET /rooms/{roomId}/messages, newest first: the `chunk` array. */
JsonArray  *peer_get_messages        (Peer         *self,
                                      const char   *room_id,
                                      guint         limit);
/* GET /rooms/{roomId}/state: every current state event. */
JsonArray  *peer_get_state           (Peer         *self,
                                      const char   *room_id);
/* Long-polls the peer's own /sync until an event in @room_id matches
 * @event_type, @msgtype, @body and @sender (NULL: any), or fails the test
 * after @timeout_ms. Only events after the peer's previous sync count: call
 * peer_mark_sync_position() first to set that point. */
JsonObject *peer_wait_for_event      (Peer         *self,
                                      const char   *room_id,
                                      const char   *event_type,
                                      const char   *msgtype,
                                      const char   *body,
                                      const char   *sender,
                                      guint         timeout_ms);
void        peer_mark_sync_position  (Peer         *self);
/* Likewise for an ephemeral event (m.typing, m.receipt) of @type whose
 * content @check accepts (NULL: any); returns its content. */
JsonObject *peer_wait_for_ephemeral  (Peer         *self,
                                      const char   *room_id,
                                      const char   *type,
                                      gboolean    (*check) (JsonObject *content,
                                                            gpointer    data),
                                      gpointer      data,
                                      guint         timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

G_END_DECLS
