/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "integration-peer"

#include <libsoup/soup.h>
#include <unistd.h>

#include "matrix-error.h"
#include "peer.h"

#define PEER_HTTP_TIMEOUT_S 60

struct _Peer {
  SoupSession      *session;
  char             *user_id;
  char             *device_id;
  char             *access_token;
  char             *since;
  /* peer_new_nio(): tests/integration/nio-peer.py, a matrix-nio client
   * doing what the peer does, one JSON command and answer a line. */
  GSubprocess      *nio;
  GDataInputStream *nio_out;
};

static const char *
required_env (const char *name)
{
  const char *value = g_getenv (name);

  /* Run by hand without the wrapper, a test must fail, not pass vacuously. */
  if (value == NULL || *value == '\0')
    g_error ("%s is not set: run this test through tests/integration/with-synapse", name);
  return value;
}

const char *
synapse_get_url (void)
{
  return required_env ("CONFAB_SYNAPSE_URL");
}

const char *
synapse_get_dir (void)
{
  return required_env ("CONFAB_SYNAPSE_DIR");
}

GPid
synapse_get_pid (void)
{
  g_autofree char *path = g_build_filename (synapse_get_dir (), "synapse.pid", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gint64 pid;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  pid = g_ascii_strtoll (g_strstrip (text), NULL, 10);
  g_assert_cmpint (pid, >, 1);
  return (GPid) pid;
}

typedef struct {
  GError   *error;
  gboolean  done;
  gboolean  expired;
} Restart;

static void
on_restarted (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Restart *restart = user_data;

  g_subprocess_wait_check_finish (G_SUBPROCESS (source), result, &restart->error);
  restart->done = TRUE;
}

static gboolean
on_restart_deadline (gpointer user_data)
{
  Restart *restart = user_data;

  restart->expired = TRUE;
  return G_SOURCE_REMOVE;
}

void
synapse_restart (guint timeout_ms)
{
  const char *argv[] = { required_env ("CONFAB_SYNAPSE_TOOL"), "restart", "--dir",
                         synapse_get_dir (), NULL };
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  Restart restart = { NULL, FALSE, FALSE };
  guint deadline;

  process = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_wait_check_async (process, NULL, on_restarted, &restart);

  deadline = g_timeout_add (timeout_ms, on_restart_deadline, &restart);
  while (!restart.done && !restart.expired)
    g_main_context_iteration (NULL, TRUE);
  if (!restart.done)
    g_error ("tools/synapse restart did not finish within %u ms", timeout_ms);
  g_source_remove (deadline);

  g_assert_no_error (restart.error);
}

char *
synapse_unique_user (const char *prefix)
{
  static guint counter;

  return g_strdup_printf ("%s%u-%u", prefix, ++counter, (guint) getpid ());
}

/* --- HTTP ---------------------------------------------------------------- */

static SoupSession *
new_session (void)
{
  return soup_session_new_with_options ("timeout", PEER_HTTP_TIMEOUT_S, NULL);
}

static GError *
error_from_response (guint       status,
                     JsonObject *body)
{
  const char *errcode = NULL, *message = NULL;
  gint64 retry_after_ms = -1;
  gboolean soft_logout = FALSE;

  if (body != NULL)
    {
      if (json_object_has_member (body, "errcode"))
        errcode = json_object_get_string_member (body, "errcode");
      if (json_object_has_member (body, "error"))
        message = json_object_get_string_member (body, "error");
      if (json_object_has_member (body, "retry_after_ms"))
        retry_after_ms = json_object_get_int_member (body, "retry_after_ms");
      if (json_object_has_member (body, "soft_logout"))
        soft_logout = json_object_get_boolean_member (body, "soft_logout");
    }

  return matrix_error_new_from_response (status, errcode, message ? message : "HTTP error",
                                         retry_after_ms, soft_logout);
}

static JsonObject *
http_call_bytes (SoupSession  *session,
                 const char   *method,
                 const char   *url,
                 const char   *access_token,
                 const char   *content_type,
                 GBytes       *body,
                 GError      **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (method, url);
  g_autoptr(GBytes) response = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *object = NULL;
  JsonNode *root;
  guint status;

  g_assert_nonnull (message);

  if (access_token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", access_token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (message),
                                    "Authorization", authorization);
    }
  if (body != NULL)
    soup_message_set_request_body_from_bytes (message, content_type, body);

  response = soup_session_send_and_read (session, message, NULL, error);
  if (response == NULL)
    return NULL;

  status = soup_message_get_status (message);
  if (json_parser_load_from_data (parser, g_bytes_get_data (response, NULL),
                                  (gssize) g_bytes_get_size (response), NULL) &&
      (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_OBJECT (root))
    object = json_node_get_object (root);

  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_propagate_error (error, error_from_response (status, object));
      return NULL;
    }

  if (object == NULL)
    {
      g_set_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON, "%s %s: not a JSON object",
                   method, url);
      return NULL;
    }

  return json_object_ref (object);
}

static JsonObject *
http_call (SoupSession  *session,
           const char   *method,
           const char   *url,
           const char   *access_token,
           const char   *body,
           GError      **error)
{
  g_autoptr(GBytes) bytes = body != NULL ? g_bytes_new (body, strlen (body)) : NULL;

  return http_call_bytes (session, method, url, access_token, "application/json", bytes, error);
}

static char *
escape (const char *segment)
{
  return g_uri_escape_string (segment, NULL, FALSE);
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  g_assert_true (json_object_has_member (object, member));
  return json_object_get_string_member (object, member);
}

/* --- users --------------------------------------------------------------- */

void
synapse_register_user (const char *user,
                       const char *password)
{
  g_autoptr(SoupSession) session = new_session ();
  g_autofree char *url = g_strconcat (synapse_get_url (), "/_synapse/admin/v1/register", NULL);
  const char *secret = required_env ("CONFAB_SYNAPSE_SECRET");
  g_autoptr(JsonObject) nonce_reply = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GHmac) hmac = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *body = NULL;
  const char *nonce;

  nonce_reply = http_call (session, "GET", url, NULL, NULL, &error);
  g_assert_no_error (error);
  nonce = get_string (nonce_reply, "nonce");

  /* The MAC covers nonce, user, password and the admin flag, NUL-separated. */
  hmac = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) secret, strlen (secret));
  g_hmac_update (hmac, (const guchar *) nonce, strlen (nonce));
  g_hmac_update (hmac, (const guchar *) "", 1);
  g_hmac_update (hmac, (const guchar *) user, strlen (user));
  g_hmac_update (hmac, (const guchar *) "", 1);
  g_hmac_update (hmac, (const guchar *) password, strlen (password));
  g_hmac_update (hmac, (const guchar *) "", 1);
  g_hmac_update (hmac, (const guchar *) "notadmin", strlen ("notadmin"));

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "nonce");
  json_builder_add_string_value (builder, nonce);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, user);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_set_member_name (builder, "admin");
  json_builder_add_boolean_value (builder, FALSE);
  json_builder_set_member_name (builder, "mac");
  json_builder_add_string_value (builder, g_hmac_get_string (hmac));
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  reply = http_call (session, "POST", url, NULL, body, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (get_string (reply, "user_id"), "@"));
}

/* --- the peer ------------------------------------------------------------ */

Peer *
peer_new (const char *prefix)
{
  g_autofree char *user = synapse_unique_user (prefix);
  g_autofree char *body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;
  Peer *self;

  synapse_register_user (user, "peer-password");

  self = g_new0 (Peer, 1);
  self->session = new_session ();
  body = g_strdup_printf ("{\"type\": \"m.login.password\", \"identifier\": "
                          "{\"type\": \"m.id.user\", \"user\": \"%s\"}, "
                          "\"password\": \"peer-password\"}", user);
  reply = peer_request (self, "POST", "v3/login", body, &error);
  g_assert_no_error (error);
  self->user_id = g_strdup (get_string (reply, "user_id"));
  self->device_id = g_strdup (get_string (reply, "device_id"));
  self->access_token = g_strdup (get_string (reply, "access_token"));
  return self;
}

/* --- the matrix-nio peer ------------------------------------------------- */

/* Sends @command to the nio peer and returns what it answered, or fails
 * the test with the peer's reason. */
static JsonNode *
nio_call (Peer       *self,
          JsonObject *command)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), command);
  g_autofree char *line = json_to_string (node, FALSE);
  g_autofree char *text = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  GOutputStream *in = g_subprocess_get_stdin_pipe (self->nio);
  JsonObject *answer;
  gsize written;

  if (!g_output_stream_write_all (in, line, strlen (line), &written, NULL, &error) ||
      !g_output_stream_write_all (in, "\n", 1, &written, NULL, &error) ||
      !g_output_stream_flush (in, NULL, &error))
    g_error ("nio peer %s: %s", self->user_id, error->message);
  text = g_data_input_stream_read_line_utf8 (self->nio_out, NULL, NULL, &error);
  if (text == NULL)
    g_error ("nio peer %s: no answer to %s%s%s", self->user_id, line,
             error != NULL ? ": " : "", error != NULL ? error->message : "");
  if (!json_parser_load_from_data (parser, text, -1, &error) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    g_error ("nio peer %s: not JSON: %s", self->user_id, text);
  answer = json_node_get_object (json_parser_get_root (parser));
  if (json_object_has_member (answer, "error"))
    g_error ("nio peer %s: %s: %s", self->user_id, line,
             json_object_get_string_member (answer, "error"));
  return json_node_copy (json_object_get_member (answer, "ok"));
}

static JsonObject *
nio_command (const char *op)
{
  JsonObject *command = json_object_new ();

  json_object_set_string_member (command, "op", op);
  return command;
}

static char *
nio_call_string (Peer       *self,
                 JsonObject *command)
{
  g_autoptr(JsonNode) result = nio_call (self, command);

  g_assert_true (JSON_NODE_HOLDS_VALUE (result));
  return g_strdup (json_node_get_string (result));
}

static JsonObject *
content_object (const char *content)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, content, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

Peer *
peer_new_nio (const char *prefix)
{
  Peer *self = peer_new (prefix);
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "integration", "nio-peer.py", NULL);
  const char *argv[] = { required_env ("CONFAB_PEER_PYTHON"), script, synapse_get_url (),
                         self->user_id, self->device_id, self->access_token, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *ready = NULL;

  self->nio = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                 &error);
  g_assert_no_error (error);
  self->nio_out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->nio));
  ready = g_data_input_stream_read_line_utf8 (self->nio_out, NULL, NULL, &error);
  if (g_strcmp0 (ready, "{\"ok\": \"ready\"}") != 0)
    g_error ("the nio peer did not start: %s", ready != NULL ? ready : "(nothing)");
  return self;
}

gboolean
peer_is_nio (Peer *self)
{
  return self->nio != NULL;
}

Peer *
peer_new_with_token (const char *access_token)
{
  Peer *self = g_new0 (Peer, 1);

  self->session = new_session ();
  self->access_token = g_strdup (access_token);
  return self;
}

void
peer_free (Peer *self)
{
  if (self->nio != NULL)
    {
      g_output_stream_close (g_subprocess_get_stdin_pipe (self->nio), NULL, NULL);
      g_subprocess_wait (self->nio, NULL, NULL);
      g_clear_object (&self->nio_out);
      g_clear_object (&self->nio);
    }
  g_free (self->device_id);
  g_clear_object (&self->session);
  g_free (self->user_id);
  g_free (self->access_token);
  g_free (self->since);
  g_free (self);
}

const char *
peer_get_user_id (Peer *self)
{
  return self->user_id;
}

void
peer_reset_connections (Peer *self)
{
  g_clear_object (&self->session);
  self->session = new_session ();
}

JsonObject *
peer_request (Peer        *self,
              const char  *method,
              const char  *path,
              const char  *body,
              GError     **error)
{
  g_autofree char *url = g_strconcat (synapse_get_url (), "/_matrix/client/", path, NULL);

  return http_call (self->session, method, url, self->access_token, body, error);
}

static JsonObject *
peer_call (Peer       *self,
           const char *method,
           const char *path,
           const char *body)
{
  g_autoptr(GError) error = NULL;
  JsonObject *reply = peer_request (self, method, path, body, &error);

  if (reply == NULL)
    g_error ("%s %s as %s: %s", method, path, self->user_id, error->message);
  return reply;
}

char *
peer_create_room (Peer       *self,
                  const char *name)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *body = NULL;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("create_room");

      json_object_set_string_member (command, "name", name);
      return nio_call_string (self, command);
    }
  body = g_strdup_printf ("{\"name\": \"%s\", \"topic\": \"Topic of %s\", "
                          "\"preset\": \"private_chat\"}", name, name);
  reply = peer_call (self, "POST", "v3/createRoom", body);
  return g_strdup (get_string (reply, "room_id"));
}

void
peer_invite (Peer       *self,
             const char *room_id,
             const char *user_id)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/invite", room);
  g_autofree char *body = g_strdup_printf ("{\"user_id\": \"%s\"}", user_id);

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("invite");

      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_string_member (command, "user_id", user_id);
      json_node_unref (nio_call (self, command));
      return;
    }
  json_object_unref (peer_call (self, "POST", path, body));
}

void
peer_join (Peer       *self,
           const char *room_id)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/join/%s", room);

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("join");

      json_object_set_string_member (command, "room_id", room_id);
      json_node_unref (nio_call (self, command));
      return;
    }
  json_object_unref (peer_call (self, "POST", path, "{}"));
}

void
peer_leave (Peer       *self,
            const char *room_id)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/leave", room);

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("leave");

      json_object_set_string_member (command, "room_id", room_id);
      json_node_unref (nio_call (self, command));
      return;
    }
  json_object_unref (peer_call (self, "POST", path, "{}"));
}

char *
peer_send_text (Peer       *self,
                const char *room_id,
                const char *body)
{
  static guint txn;
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/send/m.room.message/peer-%u-%u",
                                           room, (guint) getpid (), ++txn);
  g_autoptr(JsonObject) content = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *text = NULL;

  json_object_set_string_member (content, "msgtype", "m.text");
  json_object_set_string_member (content, "body", body);
  node = json_node_init_object (json_node_alloc (), content);
  text = json_to_string (node, FALSE);

  if (self->nio != NULL)
    return peer_send_event (self, room_id, "m.room.message", text);
  reply = peer_call (self, "PUT", path, text);
  return g_strdup (get_string (reply, "event_id"));
}

char *
peer_send_event (Peer       *self,
                 const char *room_id,
                 const char *event_type,
                 const char *content)
{
  static guint txn;
  g_autofree char *room = escape (room_id);
  g_autofree char *type = escape (event_type);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/send/%s/peer-event-%u-%u",
                                           room, type, (guint) getpid (), ++txn);
  g_autoptr(JsonObject) reply = NULL;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("send");

      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_string_member (command, "type", event_type);
      json_object_set_object_member (command, "content", content_object (content));
      return nio_call_string (self, command);
    }
  reply = peer_call (self, "PUT", path, content);
  return g_strdup (get_string (reply, "event_id"));
}

char *
peer_redact (Peer       *self,
             const char *room_id,
             const char *event_id)
{
  static guint txn;
  g_autofree char *room = escape (room_id);
  g_autofree char *event = escape (event_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/redact/%s/peer-redact-%u-%u",
                                           room, event, (guint) getpid (), ++txn);
  g_autoptr(JsonObject) reply = NULL;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("redact");

      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_string_member (command, "event_id", event_id);
      return nio_call_string (self, command);
    }
  reply = peer_call (self, "PUT", path, "{}");
  return g_strdup (get_string (reply, "event_id"));
}

char *
peer_set_state (Peer       *self,
                const char *room_id,
                const char *event_type,
                const char *state_key,
                const char *content)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *type = escape (event_type);
  g_autofree char *key = escape (state_key);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/state/%s/%s", room, type, key);
  g_autoptr(JsonObject) reply = NULL;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("set_state");

      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_string_member (command, "type", event_type);
      json_object_set_string_member (command, "state_key", state_key);
      json_object_set_object_member (command, "content", content_object (content));
      return nio_call_string (self, command);
    }
  reply = peer_call (self, "PUT", path, content);
  return g_strdup (get_string (reply, "event_id"));
}

JsonArray *
peer_get_messages (Peer       *self,
                   const char *room_id,
                   guint       limit)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/messages?dir=b&limit=%u", room, limit);
  g_autoptr(JsonObject) reply = NULL;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("messages");
      g_autoptr(JsonNode) chunk = NULL;

      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_int_member (command, "limit", limit);
      chunk = nio_call (self, command);
      g_assert_true (JSON_NODE_HOLDS_ARRAY (chunk));
      return json_array_ref (json_node_get_array (chunk));
    }
  reply = peer_call (self, "GET", path, NULL);
  g_assert_true (json_object_has_member (reply, "chunk"));
  return json_array_ref (json_object_get_array_member (reply, "chunk"));
}

JsonArray *
peer_get_state (Peer       *self,
                const char *room_id)
{
  g_autofree char *room = escape (room_id);
  g_autofree char *path = g_strdup_printf ("v3/rooms/%s/state", room);
  g_autofree char *url = g_strconcat (synapse_get_url (), "/_matrix/client/", path, NULL);
  g_autoptr(SoupMessage) message = soup_message_new ("GET", url);
  g_autofree char *authorization = g_strconcat ("Bearer ", self->access_token, NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  /* The one endpoint whose reply is an array, not an object. */
  soup_message_headers_replace (soup_message_get_request_headers (message),
                                "Authorization", authorization);
  bytes = soup_session_send_and_read (self->session, message, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (message), ==, SOUP_STATUS_OK);
  json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                              (gssize) g_bytes_get_size (bytes), &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (root));
  return json_array_ref (json_node_get_array (root));
}

/* Only room timelines matter to the peer's syncs. */
#define PEER_SYNC_FILTER \
  "{\"presence\":{\"types\":[]},\"account_data\":{\"types\":[]}," \
  "\"room\":{\"state\":{\"lazy_load_members\":true},\"timeline\":{\"limit\":50}}}"

static JsonObject *
peer_sync (Peer *self,
           guint timeout_ms)
{
  g_autofree char *filter = escape (PEER_SYNC_FILTER);
  g_autofree char *since = self->since != NULL ? escape (self->since) : NULL;
  g_autofree char *path = g_strdup_printf ("v3/sync?timeout=%u&filter=%s%s%s", timeout_ms, filter,
                                           since != NULL ? "&since=" : "", since ? since : "");
  JsonObject *reply = peer_call (self, "GET", path, NULL);

  g_free (self->since);
  self->since = g_strdup (get_string (reply, "next_batch"));
  return reply;
}

void
peer_mark_sync_position (Peer *self)
{
  if (self->nio != NULL)
    {
      json_node_unref (nio_call (self, nio_command ("mark_sync")));
      return;
    }
  json_object_unref (peer_sync (self, 0));
}

static gboolean
member_matches (JsonObject *object,
                const char *member,
                const char *wanted)
{
  JsonNode *node;

  if (wanted == NULL)
    return TRUE;
  node = json_object_get_member (object, member);
  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_STRING &&
         g_str_equal (json_node_get_string (node), wanted);
}

static JsonObject *
find_event (JsonObject *sync,
            const char *room_id,
            const char *event_type,
            const char *msgtype,
            const char *body,
            const char *sender)
{
  JsonObject *rooms, *join, *room, *timeline;
  JsonArray *events;

  if (!json_object_has_member (sync, "rooms") ||
      !json_object_has_member ((rooms = json_object_get_object_member (sync, "rooms")), "join") ||
      !json_object_has_member ((join = json_object_get_object_member (rooms, "join")), room_id))
    return NULL;

  room = json_object_get_object_member (join, room_id);
  if (!json_object_has_member (room, "timeline"))
    return NULL;
  timeline = json_object_get_object_member (room, "timeline");
  events = json_object_get_array_member (timeline, "events");

  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (member_matches (event, "type", event_type) && member_matches (event, "sender", sender) &&
          member_matches (content, "msgtype", msgtype) && member_matches (content, "body", body))
        return json_object_ref (event);
    }

  return NULL;
}

/* The content of the first @type among @room_id's ephemeral events. */
static JsonObject *
find_ephemeral (JsonObject *sync,
                const char *room_id,
                const char *type)
{
  JsonObject *rooms, *join, *room, *ephemeral;
  JsonArray *events;

  if (!json_object_has_member (sync, "rooms") ||
      !json_object_has_member ((rooms = json_object_get_object_member (sync, "rooms")), "join") ||
      !json_object_has_member ((join = json_object_get_object_member (rooms, "join")), room_id))
    return NULL;
  room = json_object_get_object_member (join, room_id);
  if (!json_object_has_member (room, "ephemeral"))
    return NULL;
  ephemeral = json_object_get_object_member (room, "ephemeral");
  events = json_object_get_array_member (ephemeral, "events");
  for (guint i = 0; i < json_array_get_length (events); i++)
    {
      JsonObject *event = json_array_get_object_element (events, i);

      if (member_matches (event, "type", type))
        return json_object_ref (json_object_get_object_member (event, "content"));
    }
  return NULL;
}

JsonObject *
peer_wait_for_ephemeral (Peer       *self,
                         const char *room_id,
                         const char *type,
                         gboolean  (*check) (JsonObject *content, gpointer data),
                         gpointer    data,
                         guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (self->nio != NULL)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      JsonObject *command = nio_command ("wait_ephemeral");
      g_autoptr(JsonNode) content = NULL;

      if (left_ms <= 0)
        g_error ("%s did not see the %s it waited for in %s within %u ms", self->user_id, type,
                 room_id, timeout_ms);
      json_object_set_string_member (command, "room_id", room_id);
      json_object_set_string_member (command, "type", type);
      json_object_set_int_member (command, "timeout_ms", left_ms);
      content = nio_call (self, command);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (content));
      if (check == NULL || check (json_node_get_object (content), data))
        return json_object_ref (json_node_get_object (content));
    }

  g_assert_nonnull (self->since);

  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autoptr(JsonObject) sync = NULL;
      JsonObject *content;

      if (left_ms <= 0)
        g_error ("%s did not see the %s it waited for in %s within %u ms", self->user_id, type,
                 room_id, timeout_ms);

      sync = peer_sync (self, (guint) left_ms);
      content = find_ephemeral (sync, room_id, type);
      if (content != NULL && (check == NULL || check (content, data)))
        return content;
      g_clear_pointer (&content, json_object_unref);
    }
}

JsonObject *
peer_wait_for_event (Peer       *self,
                     const char *room_id,
                     const char *event_type,
                     const char *msgtype,
                     const char *body,
                     const char *sender,
                     guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  if (self->nio != NULL)
    {
      JsonObject *command = nio_command ("wait_event");
      g_autoptr(JsonNode) event = NULL;
      const struct { const char *name, *value; } filters[] = {
        { "type", event_type }, { "msgtype", msgtype }, { "body", body }, { "sender", sender },
      };

      json_object_set_string_member (command, "room_id", room_id);
      for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
        if (filters[i].value != NULL)
          json_object_set_string_member (command, filters[i].name, filters[i].value);
        else
          json_object_set_null_member (command, filters[i].name);
      json_object_set_int_member (command, "timeout_ms", timeout_ms);
      event = nio_call (self, command);
      g_assert_true (JSON_NODE_HOLDS_OBJECT (event));
      return json_object_ref (json_node_get_object (event));
    }

  g_assert_nonnull (self->since);

  for (;;)
    {
      gint64 left_ms = (deadline - g_get_monotonic_time ()) / 1000;
      g_autoptr(JsonObject) sync = NULL;
      JsonObject *event;

      if (left_ms <= 0)
        g_error ("%s did not see a %s event (%s) in %s within %u ms", self->user_id,
                 event_type, body ? body : "any body", room_id, timeout_ms);

      sync = peer_sync (self, (guint) left_ms);
      event = find_event (sync, room_id, event_type, msgtype, body, sender);
      if (event != NULL)
        return event;
    }
}

char *
peer_upload (Peer       *self,
             const char *content_type,
             GBytes     *data)
{
  g_autofree char *url = g_strconcat (synapse_get_url (), "/_matrix/media/v3/upload", NULL);
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = http_call_bytes (self->session, "POST", url, self->access_token, content_type, data, &error);
  if (reply == NULL)
    g_error ("upload as %s: %s", self->user_id, error->message);
  return g_strdup (get_string (reply, "content_uri"));
}
