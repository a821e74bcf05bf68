/* SPDX-License-Identifier: GPL-3.0-or-later */

/* An in-process fake Matrix homeserver for unit tests.
 *
 * A test queues canned responses keyed by method, path and query; the client
 * under test talks real HTTP to it on 127.0.0.1.  A request nothing was queued
 * for is answered 404 M_UNRECOGNIZED and fails the running test, so a test can
 * never pass by accident against a response it did not mean to give.  Every
 * request is recorded for later assertions.
 *
 * One exception: a GET /_matrix/client/versions nothing was queued for (a
 * client choosing between sliding and classic sync) is answered as a server
 * without sliding sync, and is not recorded.
 *
 * Everything runs on the thread-default GMainContext that was current when the
 * fake was created; the client under test must run on that same context.
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/**
 * FakeRequest:
 * @method: the request method, e.g. "GET"
 * @path: the decoded path, e.g. "/_matrix/client/v3/rooms/!a:b/send/m.room.message/txn1"
 * @raw_path: the path still percent-encoded, as libsoup parsed it off the wire
 *   (GLib normalises it: hex digits upper-cased, escaped unreserved characters
 *   such as "%7E" decoded, "." and ".." segments removed)
 * @query: the query string without '?', still percent-encoded, or %NULL if the
 *   request had none
 * @query_params: (element-type utf8 utf8): decoded name → value; empty, never
 *   %NULL.  '+' is a literal plus, not a space.  A repeated name keeps its last
 *   value; a name without '=' has the value "".
 * @headers: the request headers
 * @body: the request body; never %NULL, possibly empty
 *
 * One request the fake received.  Owned by the #FakeHomeserver.
 */
typedef struct {
  char               *method;
  char               *path;
  char               *raw_path;
  char               *query;
  GHashTable         *query_params;
  SoupMessageHeaders *headers;
  GBytes             *body;
} FakeRequest;

#define FAKE_TYPE_HOMESERVER (fake_homeserver_get_type ())
G_DECLARE_FINAL_TYPE (FakeHomeserver, fake_homeserver, FAKE, HOMESERVER, GObject)

FakeHomeserver *fake_homeserver_new             (void);
const char     *fake_homeserver_get_url         (FakeHomeserver     *self);

/* `path_and_query` is written as the client would send it, e.g.
 * "/_matrix/client/v3/rooms/%21a%3Ab/messages?dir=b&limit=20".  A request
 * matches when the method is equal, the decoded paths are equal, and the
 * decoded query parameters are equal as a multiset (order does not matter;
 * "a=1&b=2" matches "b=2&a=1" but not "a=1").  Among responses with the same
 * key the first queued answers first; a one-shot response (repeat=FALSE) is
 * then consumed, a repeating one stays and answers every later match, so
 * anything queued behind it for the same key is never reached.
 * A path ending in '*' (and no query) matches every path that starts with
 * what stands before the '*', whatever the query: for paths holding ids the
 * test cannot know in advance, such as transaction ids. */
void            fake_homeserver_queue           (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path_and_query,
                                                 guint               status,
                                                 const char         *body,
                                                 gboolean            repeat);
void            fake_homeserver_queue_json      (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path_and_query,
                                                 guint               status,
                                                 const char         *json_body,
                                                 gboolean            repeat);
/* `headers` is a NULL-terminated name, value, name, value, … vector (or NULL),
 * appended to the response after Content-Type.  With `delay_ms` > 0 the
 * response is sent that long after the request arrived, without blocking. */
void            fake_homeserver_queue_full      (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path_and_query,
                                                 guint               status,
                                                 const char         *content_type,
                                                 const char         *body,
                                                 const char * const *headers,
                                                 guint               delay_ms,
                                                 gboolean            repeat);
/* A body that is not text (an image, say). */
void            fake_homeserver_queue_bytes     (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path_and_query,
                                                 guint               status,
                                                 const char         *content_type,
                                                 GBytes             *body,
                                                 gboolean            repeat);
/* A one-shot response that is not sent until fake_homeserver_release(): a
 * long-poll that has not answered yet.  If the client closes the connection
 * first, the held message is dropped and no longer counts as held. */
void            fake_homeserver_queue_held      (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path_and_query,
                                                 guint               status,
                                                 const char         *content_type,
                                                 const char         *body);
guint           fake_homeserver_release         (FakeHomeserver     *self);
/* Releases the held responses with @json_body as their body instead. */
guint           fake_homeserver_release_with    (FakeHomeserver     *self,
                                                 const char         *json_body);
guint           fake_homeserver_get_n_held      (FakeHomeserver     *self);

/* (transfer none) (element-type FakeRequest): every request, in arrival order,
 * including unmatched ones. */
GPtrArray      *fake_homeserver_get_requests    (FakeHomeserver     *self);
/* `method` may be NULL to count any method; `path` is the exact decoded path. */
guint           fake_homeserver_count_requests  (FakeHomeserver     *self,
                                                 const char         *method,
                                                 const char         *path);
FakeRequest    *fake_homeserver_get_last_request (FakeHomeserver    *self);
/* Iterates the fake's main context until `n` requests in total have arrived.
 * After `timeout_ms` it fails like a g_assert(): the test is aborted (or only
 * marked failed under g_test_set_nonfatal_assertions()). */
void            fake_homeserver_wait_for_requests (FakeHomeserver   *self,
                                                   guint             n,
                                                   guint             timeout_ms);
guint           fake_homeserver_get_n_pending   (FakeHomeserver     *self);
/* How many requests found nothing queued (each one already failed the test). */
guint           fake_homeserver_get_n_unmatched (FakeHomeserver     *self);

/* (transfer full) (nullable): the request body parsed as JSON, or NULL if it
 * is not valid JSON. */
JsonNode       *fake_request_parse_json         (const FakeRequest  *request);

G_END_DECLS
