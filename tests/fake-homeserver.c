/* SPDX-License-Identifier: GPL-3.0-or-later */

#define G_LOG_DOMAIN "fake-homeserver"

#include "fake-homeserver.h"

#include <string.h>

typedef struct {
  char     *method;
  char     *path;          /* decoded */
  char     *query;         /* canonical form, see canonical_query() */
  char     *display;       /* path_and_query as the test wrote it */
  guint     status;
  char     *content_type;
  GBytes   *body;
  GStrv     headers;
  guint     delay_ms;
  gboolean  repeat;
  gboolean  held;
  gboolean  prefix;   /* queued as "path*": any path starting so, any query */
} QueuedResponse;

typedef enum {
  PAUSED_DELAYED,
  PAUSED_HELD,
} PausedKind;

typedef struct {
  FakeHomeserver    *self;
  SoupServerMessage *msg;
  PausedKind         kind;
  GSource           *timeout;
  GSource           *watch;
  gulong             finished_id;
} PausedMessage;

struct _FakeHomeserver
{
  GObject       parent_instance;

  GMainContext *context;
  SoupServer   *server;
  char         *url;

  GQueue        queue;       /* QueuedResponse*, in the order queued */
  GPtrArray    *paused;      /* PausedMessage* */
  GPtrArray    *requests;    /* FakeRequest* */
  guint         n_unmatched;
};

G_DEFINE_FINAL_TYPE (FakeHomeserver, fake_homeserver, G_TYPE_OBJECT)

static void
queued_response_free (QueuedResponse *response)
{
  g_free (response->method);
  g_free (response->path);
  g_free (response->query);
  g_free (response->display);
  g_free (response->content_type);
  g_bytes_unref (response->body);
  g_strfreev (response->headers);
  g_free (response);
}

static void
fake_request_free (FakeRequest *request)
{
  g_free (request->method);
  g_free (request->path);
  g_free (request->raw_path);
  g_free (request->query);
  g_hash_table_unref (request->query_params);
  soup_message_headers_unref (request->headers);
  g_bytes_unref (request->body);
  g_free (request);
}

static char *
decode_component (const char *start,
                  const char *end)
{
  char *decoded = g_uri_unescape_segment (start, end, NULL);

  /* A malformed escape or "%00" makes GLib give up; keeping the text as sent
   * still lets it be matched and shown in failure messages. */
  if (decoded == NULL)
    return end ? g_strndup (start, end - start) : g_strdup (start);

  return decoded;
}

/* Calls `func` with each decoded name and value.  '+' stays a literal plus,
 * as with g_uri_parse_params() without G_URI_PARAMS_WWW_FORM: Matrix clients
 * send "%2B" for a plus and never '+' for a space.  Unlike g_uri_parse_params(),
 * a parameter without '=' is kept (value "") instead of rejecting the whole
 * query, so one odd parameter cannot turn into a baffling mismatch. */
static void
foreach_query_param (const char *query,
                     void      (*func) (char *name, char *value, gpointer data),
                     gpointer    data)
{
  const char *p = query;

  if (query == NULL)
    return;

  while (*p != '\0')
    {
      const char *end = strchr (p, '&');
      const char *eq;

      if (end == NULL)
        end = p + strlen (p);

      if (end > p)
        {
          eq = memchr (p, '=', end - p);
          if (eq != NULL)
            func (decode_component (p, eq), decode_component (eq + 1, end), data);
          else
            func (decode_component (p, end), g_strdup (""), data);
        }

      p = *end != '\0' ? end + 1 : end;
    }
}

static void
add_canonical_pair (char     *name,
                    char     *value,
                    gpointer  data)
{
  GPtrArray *pairs = data;
  g_autofree char *escaped_name = g_uri_escape_string (name, NULL, TRUE);
  g_autofree char *escaped_value = g_uri_escape_string (value, NULL, TRUE);

  g_ptr_array_add (pairs, g_strconcat (escaped_name, "=", escaped_value, NULL));
  g_free (name);
  g_free (value);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* One string per multiset of decoded parameters, so that matching is a
 * strcmp() however the client ordered or encoded them.  Re-escaping every
 * reserved character keeps a decoded '&' or '=' from forging a pair. */
static char *
canonical_query (const char *query)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);

  foreach_query_param (query, add_canonical_pair, pairs);
  g_ptr_array_sort (pairs, compare_strings);
  g_ptr_array_add (pairs, NULL);

  return g_strjoinv ("&", (char **) pairs->pdata);
}

static void
insert_param (char     *name,
              char     *value,
              gpointer  data)
{
  g_hash_table_replace (data, name, value);
}

static FakeRequest *
fake_request_new_from_message (SoupServerMessage *msg)
{
  FakeRequest *request = g_new0 (FakeRequest, 1);
  GUri *uri = soup_server_message_get_uri (msg);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  request->method = g_strdup (soup_server_message_get_method (msg));
  request->raw_path = g_strdup (g_uri_get_path (uri));
  request->path = decode_component (request->raw_path, NULL);
  request->query = g_strdup (g_uri_get_query (uri));
  request->query_params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  foreach_query_param (request->query, insert_param, request->query_params);
  request->headers = soup_message_headers_ref (soup_server_message_get_request_headers (msg));
  request->body = body ? soup_message_body_flatten (body) : NULL;
  if (request->body == NULL)
    request->body = g_bytes_new (NULL, 0);

  return request;
}

JsonNode *
fake_request_parse_json (const FakeRequest *request)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  gsize size;
  const char *data;

  g_return_val_if_fail (request != NULL, NULL);

  data = g_bytes_get_data (request->body, &size);
  if (size == 0 || !json_parser_load_from_data (parser, data, size, NULL))
    return NULL;

  return json_parser_steal_root (parser);
}

static void
paused_message_free (PausedMessage *paused)
{
  if (paused->timeout != NULL)
    {
      g_source_destroy (paused->timeout);
      g_source_unref (paused->timeout);
    }
  if (paused->watch != NULL)
    {
      g_source_destroy (paused->watch);
      g_source_unref (paused->watch);
    }
  g_clear_signal_handler (&paused->finished_id, paused->msg);
  g_object_unref (paused->msg);
  g_free (paused);
}

/* Stops tracking `paused` and lets libsoup carry on with the message.  When
 * the client is gone this is still right: libsoup then fails the write,
 * finishes the message and frees the connection instead of keeping a dead
 * one paused until the server is disconnected. */
static void
paused_message_resume (PausedMessage *paused)
{
  g_autoptr(SoupServerMessage) msg = g_object_ref (paused->msg);

  g_ptr_array_remove_fast (paused->self->paused, paused);
  soup_server_message_unpause (msg);
}

/* libsoup does not read from a connection while its message is paused, so
 * it would not notice the client hanging up until it tried to write.  Peeking
 * tells an orderly close (0 bytes) or a reset from a pipelined request. */
static gboolean
paused_message_peer_closed (PausedMessage *paused)
{
  GSocket *socket = soup_server_message_get_socket (paused->msg);
  g_autoptr(GError) error = NULL;
  char byte;
  GInputVector vector = { &byte, 1 };
  int flags = G_SOCKET_MSG_PEEK;
  gssize n;

  if (socket == NULL || g_socket_is_closed (socket))
    return TRUE;

  /* The socket may be in blocking mode; only receive when that cannot block. */
  if (g_socket_condition_check (socket, G_IO_IN | G_IO_HUP | G_IO_ERR) == 0)
    return FALSE;

  n = g_socket_receive_message (socket, NULL, &vector, 1, NULL, NULL, &flags, NULL, &error);
  if (n == 0)
    return TRUE;
  if (n < 0)
    return !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);

  return FALSE;
}

static gboolean
on_paused_socket_ready (GSocket      *socket,
                        GIOCondition  condition,
                        gpointer      user_data)
{
  PausedMessage *paused = user_data;

  if (paused_message_peer_closed (paused))
    {
      g_debug ("client closed the connection of a %s %s",
               paused->kind == PAUSED_HELD ? "held" : "delayed",
               g_uri_get_path (soup_server_message_get_uri (paused->msg)));
      paused_message_resume (paused);
      return G_SOURCE_REMOVE;
    }

  /* Readable but open: the client pipelined its next request.  Watching
   * further would spin, and a close can still be seen by prune_disconnected(). */
  g_clear_pointer (&paused->watch, g_source_unref);
  return G_SOURCE_REMOVE;
}

static gboolean
on_delay_elapsed (gpointer user_data)
{
  PausedMessage *paused = user_data;

  paused_message_resume (paused);
  return G_SOURCE_REMOVE;
}

static void
on_paused_message_finished (SoupServerMessage *msg,
                            gpointer           user_data)
{
  PausedMessage *paused = user_data;

  /* libsoup gave up on the message by itself; it must not be unpaused now. */
  paused->finished_id = 0;
  g_ptr_array_remove_fast (paused->self->paused, paused);
}

static void
pause_message (FakeHomeserver    *self,
               SoupServerMessage *msg,
               PausedKind         kind,
               guint              delay_ms)
{
  PausedMessage *paused = g_new0 (PausedMessage, 1);
  GSocket *socket = soup_server_message_get_socket (msg);

  paused->self = self;
  paused->msg = g_object_ref (msg);
  paused->kind = kind;
  paused->finished_id = g_signal_connect (msg, "finished",
                                          G_CALLBACK (on_paused_message_finished), paused);

  if (kind == PAUSED_DELAYED)
    {
      paused->timeout = g_timeout_source_new (delay_ms);
      g_source_set_name (paused->timeout, "[fake-homeserver] delayed response");
      g_source_set_callback (paused->timeout, on_delay_elapsed, paused, NULL);
      g_source_attach (paused->timeout, self->context);
    }

  if (socket != NULL)
    {
      paused->watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_name (paused->watch, "[fake-homeserver] client hang-up");
      g_source_set_callback (paused->watch, G_SOURCE_FUNC (on_paused_socket_ready), paused, NULL);
      g_source_attach (paused->watch, self->context);
    }

  g_ptr_array_add (self->paused, paused);
  soup_server_message_pause (msg);
}

/* Makes counts exact even when the main context has not yet run the hang-up
 * watch since the client closed. */
static void
prune_disconnected (FakeHomeserver *self)
{
  guint i = 0;

  while (i < self->paused->len)
    {
      PausedMessage *paused = g_ptr_array_index (self->paused, i);

      if (paused_message_peer_closed (paused))
        paused_message_resume (paused);   /* moves the last element to i */
      else
        i++;
    }
}

static gboolean
response_matches (const QueuedResponse *response,
                  const FakeRequest    *request,
                  const char           *request_query)
{
  if (response->prefix)
    return g_str_equal (response->method, request->method) &&
           g_str_has_prefix (request->path, response->path);

  return g_str_equal (response->method, request->method) &&
         g_str_equal (response->path, request->path) &&
         g_str_equal (response->query, request_query);
}

static QueuedResponse *
take_response (FakeHomeserver    *self,
               const FakeRequest *request,
               gboolean          *out_owned)
{
  g_autofree char *query = canonical_query (request->query);

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      QueuedResponse *response = l->data;

      if (!response_matches (response, request, query))
        continue;

      *out_owned = !response->repeat;
      if (!response->repeat)
        g_queue_delete_link (&self->queue, l);

      return response;
    }

  *out_owned = FALSE;
  return NULL;
}

static void
apply_response (SoupServerMessage    *msg,
                const QueuedResponse *response)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_server_message_set_status (msg, response->status, NULL);

  if (response->content_type != NULL)
    soup_message_headers_replace (headers, "Content-Type", response->content_type);

  for (guint i = 0; response->headers != NULL && response->headers[i] != NULL; i += 2)
    soup_message_headers_append (headers, response->headers[i], response->headers[i + 1]);

  /* Not soup_server_message_set_response(): with a NULL content type it
   * drops the body, and a test may want a body without one. */
  if (g_bytes_get_size (response->body) > 0)
    soup_message_body_append_bytes (soup_server_message_get_response_body (msg), response->body);
}

static char *
describe_queue (FakeHomeserver *self)
{
  GString *description = g_string_new (NULL);

  if (self->queue.length == 0)
    return g_string_free (g_string_append (description, "  (nothing)"), FALSE);

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      QueuedResponse *response = l->data;

      g_string_append_printf (description, "%s  %s %s -> %u%s%s",
                              description->len > 0 ? "\n" : "",
                              response->method, response->display, response->status,
                              response->repeat ? " (repeat)" : "",
                              response->held ? " (held)" : "");
    }

  return g_string_free (description, FALSE);
}

static void
respond_unmatched (FakeHomeserver    *self,
                   SoupServerMessage *msg,
                   const FakeRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *what = NULL;
  g_autofree char *error = NULL;
  g_autofree char *queued = NULL;
  g_autofree char *json = NULL;
  gsize json_len;

  self->n_unmatched++;

  what = g_strdup_printf ("%s %s%s%s", request->method, request->raw_path,
                          request->query ? "?" : "", request->query ? request->query : "");
  error = g_strdup_printf ("fake-homeserver: no response queued for %s", what);
  queued = describe_queue (self);

  if (g_test_initialized ())
    {
      g_test_message ("fake-homeserver: queued responses:\n%s", queued);
      g_test_fail_printf ("%s", error);
    }
  else
    {
      g_warning ("%s; queued:\n%s", error, queued);
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "errcode");
  json_builder_add_string_value (builder, "M_UNRECOGNIZED");
  json_builder_set_member_name (builder, "error");
  json_builder_add_string_value (builder, error);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json = json_generator_to_data (generator, &json_len);

  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&json), json_len);
}

/* What a client with end-to-end encryption keys sends on its own (its
 * device's keys, queries for others') is answered as an empty homeserver
 * would, unless a test queued an answer: tests of everything else need not
 * know the client has keys. Such requests are not recorded. */
static gboolean
answer_device_keys (SoupServerMessage *msg,
                    const FakeRequest *request)
{
  static const struct { const char *method, *path, *body; } answers[] = {
    { "POST", "/_matrix/client/v3/keys/upload", "{\"one_time_key_counts\":{\"signed_curve25519\":50}}" },
    { "POST", "/_matrix/client/v3/keys/query", "{\"device_keys\":{},\"failures\":{}}" },
    { "POST", "/_matrix/client/v3/keys/claim", "{\"one_time_keys\":{},\"failures\":{}}" },
    /* A first sign-in sets cross-signing up; an empty account may upload
     * its first keys without user-interactive auth (MSC3967). */
    { "POST", "/_matrix/client/v3/keys/device_signing/upload", "{}" },
    { "POST", "/_matrix/client/v3/keys/signatures/upload", "{\"failures\":{}}" },
    /* No key backup, and none can be made: the app's setup gives up. */
    { "GET", "/_matrix/client/v3/room_keys/version", NULL },
    { "POST", "/_matrix/client/v3/room_keys/version", NULL },
  };
  static const char not_found[] = "{\"errcode\":\"M_NOT_FOUND\",\"error\":\"No key backup\"}";

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    if (g_strcmp0 (request->method, answers[i].method) == 0 &&
        g_strcmp0 (request->raw_path, answers[i].path) == 0)
      {
        const char *body = answers[i].body != NULL ? answers[i].body : not_found;

        soup_server_message_set_status (msg, answers[i].body != NULL ? SOUP_STATUS_OK :
                                        SOUP_STATUS_NOT_FOUND, NULL);
        soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                          body, strlen (body));
        return TRUE;
      }
  return FALSE;
}

static void
server_callback (SoupServer        *server,
                 SoupServerMessage *msg,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  FakeHomeserver *self = FAKE_HOMESERVER (user_data);
  FakeRequest *request = fake_request_new_from_message (msg);
  QueuedResponse *response;
  gboolean owned;

  response = take_response (self, request, &owned);
  if (response == NULL && answer_device_keys (msg, request))
    {
      fake_request_free (request);
      return;
    }
  if (response == NULL && g_str_equal (request->method, "GET") &&
      g_str_equal (request->path, "/_matrix/client/versions"))
    {
      /* A client asking which protocols the server speaks before it syncs:
       * unless the test queued an answer, a server without sliding sync,
       * and no request of the test's. */
      static const char versions[] = "{\"versions\":[\"v1.11\"],\"unstable_features\":{}}";

      fake_request_free (request);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, versions,
                                        strlen (versions));
      return;
    }
  g_ptr_array_add (self->requests, request);
  if (response == NULL)
    {
      respond_unmatched (self, msg, request);
      return;
    }

  apply_response (msg, response);

  if (response->held)
    pause_message (self, msg, PAUSED_HELD, 0);
  else if (response->delay_ms > 0)
    pause_message (self, msg, PAUSED_DELAYED, response->delay_ms);

  if (owned)
    queued_response_free (response);
}

static void
fake_homeserver_dispose (GObject *object)
{
  FakeHomeserver *self = FAKE_HOMESERVER (object);

  /* Our refs and sources go first; disconnecting the server then closes the
   * still-paused connections and frees their messages. */
  g_clear_pointer (&self->paused, g_ptr_array_unref);

  if (self->server != NULL)
    {
      soup_server_disconnect (self->server);
      g_clear_object (&self->server);
    }

  G_OBJECT_CLASS (fake_homeserver_parent_class)->dispose (object);
}

static void
fake_homeserver_finalize (GObject *object)
{
  FakeHomeserver *self = FAKE_HOMESERVER (object);

  g_queue_clear_full (&self->queue, (GDestroyNotify) queued_response_free);
  g_ptr_array_unref (self->requests);
  g_free (self->url);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (fake_homeserver_parent_class)->finalize (object);
}

static void
fake_homeserver_class_init (FakeHomeserverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = fake_homeserver_dispose;
  object_class->finalize = fake_homeserver_finalize;
}

static void
fake_homeserver_init (FakeHomeserver *self)
{
  g_queue_init (&self->queue);
  self->paused = g_ptr_array_new_with_free_func ((GDestroyNotify) paused_message_free);
  self->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) fake_request_free);
  self->context = g_main_context_ref_thread_default ();
}

FakeHomeserver *
fake_homeserver_new (void)
{
  g_autoptr(FakeHomeserver) self = g_object_new (FAKE_TYPE_HOMESERVER, NULL);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  /* raw-paths keeps the path percent-encoded in the message's GUri;
   * otherwise libsoup decodes it, "%2F" included, and raw_path would be lost. */
  self->server = soup_server_new ("raw-paths", TRUE, NULL);
  soup_server_add_handler (self->server, NULL, server_callback, self, NULL);

  if (!soup_server_listen_local (self->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    g_error ("fake-homeserver: cannot listen on 127.0.0.1: %s", error->message);

  uris = soup_server_get_uris (self->server);
  g_assert (uris != NULL);
  self->url = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return g_steal_pointer (&self);
}

const char *
fake_homeserver_get_url (FakeHomeserver *self)
{
  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), NULL);

  return self->url;
}

static GBytes *
bytes_from_string (const char *text)
{
  return text != NULL ? g_bytes_new (text, strlen (text)) : NULL;
}

static void
queue_response (FakeHomeserver     *self,
                const char         *method,
                const char         *path_and_query,
                guint               status,
                const char         *content_type,
                GBytes             *body,
                const char * const *headers,
                guint               delay_ms,
                gboolean            repeat,
                gboolean            held)
{
  QueuedResponse *response;
  const char *question;
  const char *hash;

  response = g_new0 (QueuedResponse, 1);
  response->method = g_strdup (method);
  response->display = g_strdup (path_and_query);

  /* A fragment never reaches the server, so it cannot take part in matching. */
  hash = strchr (path_and_query, '#');
  question = strchr (path_and_query, '?');
  if (question != NULL && hash != NULL && hash < question)
    question = NULL;

  if (question != NULL)
    {
      g_autofree char *query = hash ? g_strndup (question + 1, hash - question - 1)
                                    : g_strdup (question + 1);

      response->path = decode_component (path_and_query, question);
      response->query = canonical_query (query);
    }
  else
    {
      response->path = decode_component (path_and_query, hash);
      response->query = canonical_query (NULL);
    }

  if (question == NULL && g_str_has_suffix (response->path, "*"))
    {
      response->path[strlen (response->path) - 1] = '\0';
      response->prefix = TRUE;
    }

  response->status = status;
  response->content_type = g_strdup (content_type);
  response->body = body != NULL ? g_bytes_ref (body) : g_bytes_new (NULL, 0);
  response->headers = g_strdupv ((char **) headers);
  response->delay_ms = delay_ms;
  response->repeat = repeat;
  response->held = held;

  g_queue_push_tail (&self->queue, response);
}

static gboolean
check_queue_args (const char         *method,
                  const char         *path_and_query,
                  const char * const *headers)
{
  g_return_val_if_fail (method != NULL, FALSE);
  g_return_val_if_fail (path_and_query != NULL && path_and_query[0] == '/', FALSE);
  g_return_val_if_fail (headers == NULL || g_strv_length ((char **) headers) % 2 == 0, FALSE);

  return TRUE;
}

void
fake_homeserver_queue (FakeHomeserver *self,
                       const char     *method,
                       const char     *path_and_query,
                       guint           status,
                       const char     *body,
                       gboolean        repeat)
{
  g_return_if_fail (FAKE_IS_HOMESERVER (self));
  if (!check_queue_args (method, path_and_query, NULL))
    return;

  g_autoptr(GBytes) body_bytes = bytes_from_string (body);

  queue_response (self, method, path_and_query, status, NULL, body_bytes, NULL, 0, repeat, FALSE);
}

void
fake_homeserver_queue_json (FakeHomeserver *self,
                            const char     *method,
                            const char     *path_and_query,
                            guint           status,
                            const char     *json_body,
                            gboolean        repeat)
{
  g_return_if_fail (FAKE_IS_HOMESERVER (self));
  if (!check_queue_args (method, path_and_query, NULL))
    return;

  g_autoptr(GBytes) body_bytes = bytes_from_string (json_body);

  queue_response (self, method, path_and_query, status, "application/json", body_bytes,
                  NULL, 0, repeat, FALSE);
}

void
fake_homeserver_queue_full (FakeHomeserver     *self,
                            const char         *method,
                            const char         *path_and_query,
                            guint               status,
                            const char         *content_type,
                            const char         *body,
                            const char * const *headers,
                            guint               delay_ms,
                            gboolean            repeat)
{
  g_return_if_fail (FAKE_IS_HOMESERVER (self));
  if (!check_queue_args (method, path_and_query, headers))
    return;

  g_autoptr(GBytes) body_bytes = bytes_from_string (body);

  queue_response (self, method, path_and_query, status, content_type, body_bytes,
                  headers, delay_ms, repeat, FALSE);
}

void
fake_homeserver_queue_bytes (FakeHomeserver *self,
                             const char     *method,
                             const char     *path_and_query,
                             guint           status,
                             const char     *content_type,
                             GBytes         *body,
                             gboolean        repeat)
{
  g_return_if_fail (FAKE_IS_HOMESERVER (self));
  if (!check_queue_args (method, path_and_query, NULL))
    return;

  queue_response (self, method, path_and_query, status, content_type, body, NULL, 0, repeat, FALSE);
}

void
fake_homeserver_queue_held (FakeHomeserver *self,
                            const char     *method,
                            const char     *path_and_query,
                            guint           status,
                            const char     *content_type,
                            const char     *body)
{
  g_return_if_fail (FAKE_IS_HOMESERVER (self));
  if (!check_queue_args (method, path_and_query, NULL))
    return;

  g_autoptr(GBytes) body_bytes = bytes_from_string (body);

  queue_response (self, method, path_and_query, status, content_type, body_bytes,
                  NULL, 0, FALSE, TRUE);
}

guint
fake_homeserver_release (FakeHomeserver *self)
{
  guint released = 0;
  guint i = 0;

  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);

  prune_disconnected (self);

  while (i < self->paused->len)
    {
      PausedMessage *paused = g_ptr_array_index (self->paused, i);

      if (paused->kind == PAUSED_HELD)
        {
          paused_message_resume (paused);   /* moves the last element to i */
          released++;
        }
      else
        {
          i++;
        }
    }

  return released;
}

/* As fake_homeserver_release(), answering with @json_body instead of
 * what was queued: for a long-poll whose answer depends on what happened
 * while it was held (a to-device message relayed from another client). */
guint
fake_homeserver_release_with (FakeHomeserver *self,
                              const char     *json_body)
{
  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);
  g_return_val_if_fail (json_body != NULL, 0);

  prune_disconnected (self);
  for (guint i = 0; i < self->paused->len; i++)
    {
      PausedMessage *paused = g_ptr_array_index (self->paused, i);

      if (paused->kind == PAUSED_HELD)
        {
          SoupMessageBody *body = soup_server_message_get_response_body (paused->msg);

          soup_message_body_truncate (body);
          soup_message_body_append (body, SOUP_MEMORY_COPY, json_body, strlen (json_body));
        }
    }
  return fake_homeserver_release (self);
}

guint
fake_homeserver_get_n_held (FakeHomeserver *self)
{
  guint n = 0;

  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);

  prune_disconnected (self);

  for (guint i = 0; i < self->paused->len; i++)
    {
      PausedMessage *paused = g_ptr_array_index (self->paused, i);

      if (paused->kind == PAUSED_HELD)
        n++;
    }

  return n;
}

GPtrArray *
fake_homeserver_get_requests (FakeHomeserver *self)
{
  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), NULL);

  return self->requests;
}

guint
fake_homeserver_count_requests (FakeHomeserver *self,
                                const char     *method,
                                const char     *path)
{
  guint n = 0;

  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);
  g_return_val_if_fail (path != NULL, 0);

  for (guint i = 0; i < self->requests->len; i++)
    {
      FakeRequest *request = g_ptr_array_index (self->requests, i);

      if ((method == NULL || g_str_equal (method, request->method)) &&
          g_str_equal (path, request->path))
        n++;
    }

  return n;
}

FakeRequest *
fake_homeserver_get_last_request (FakeHomeserver *self)
{
  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), NULL);

  if (self->requests->len == 0)
    return NULL;

  return g_ptr_array_index (self->requests, self->requests->len - 1);
}

static gboolean
on_wait_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

void
fake_homeserver_wait_for_requests (FakeHomeserver *self,
                                   guint           n,
                                   guint           timeout_ms)
{
  g_autoptr(GSource) timeout = NULL;
  gboolean timed_out = FALSE;

  g_return_if_fail (FAKE_IS_HOMESERVER (self));

  if (self->requests->len >= n)
    return;

  /* The timer both bounds the wait and wakes a blocking iteration. */
  timeout = g_timeout_source_new (timeout_ms);
  g_source_set_name (timeout, "[fake-homeserver] wait deadline");
  g_source_set_callback (timeout, on_wait_timeout, &timed_out, NULL);
  g_source_attach (timeout, self->context);

  while (self->requests->len < n && !timed_out)
    g_main_context_iteration (self->context, TRUE);

  g_source_destroy (timeout);

  if (self->requests->len < n)
    {
      g_autoptr(GString) seen = g_string_new (NULL);
      g_autofree char *message = NULL;

      for (guint i = 0; i < self->requests->len; i++)
        {
          FakeRequest *request = g_ptr_array_index (self->requests, i);

          g_string_append_printf (seen, "; %s %s%s%s", request->method, request->raw_path,
                                  request->query ? "?" : "",
                                  request->query ? request->query : "");
        }

      message = g_strdup_printf ("fake-homeserver: waited %u ms for %u request%s, got %u%s",
                                 timeout_ms, n, n == 1 ? "" : "s",
                                 self->requests->len, seen->str);
      /* Like a failed g_assert(): what follows a wait usually indexes the
       * requests it waited for, so carrying on would only crash less clearly. */
      g_assertion_message (G_LOG_DOMAIN, __FILE__, __LINE__, G_STRFUNC, message);
    }
}

guint
fake_homeserver_get_n_pending (FakeHomeserver *self)
{
  guint n = 0;

  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);

  for (GList *l = self->queue.head; l != NULL; l = l->next)
    {
      QueuedResponse *response = l->data;

      if (!response->repeat)
        n++;
    }

  return n;
}

guint
fake_homeserver_get_n_unmatched (FakeHomeserver *self)
{
  g_return_val_if_fail (FAKE_IS_HOMESERVER (self), 0);

  return self->n_unmatched;
}
