/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-content"

#include <string.h>

#include "matrix-content-private.h"

/* The content this library sends, as the client-server spec v1.13 has it.
 *
 * Every message carries `m.mentions` (an empty object when it mentions no
 * one), so that receiving clients use intentional mentions rather than
 * searching the body for names. Replies carry no fallback (the quoted
 * original in `body` and `<mx-reply>` in `formatted_body`): v1.13 removed
 * fallbacks (MSC2781) and clients that still render replies from them only
 * lose the quote, not the message. Fallbacks from other clients are
 * stripped when shown (_matrix_content_strip_reply_fallback()). */

const char *
_matrix_content_get_string (JsonObject *content,
                            const char *member)
{
  JsonNode *node;

  if (content == NULL)
    return NULL;
  node = json_object_get_member (content, member);
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

JsonObject *
_matrix_content_get_object (JsonObject *content,
                            const char *member)
{
  JsonNode *node;

  if (content == NULL)
    return NULL;
  node = json_object_get_member (content, member);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_get_object (node);
}

static const char *
msgtype_name (MatrixMessageType type)
{
  switch (type)
    {
    case MATRIX_MESSAGE_EMOTE:
      return "m.emote";
    case MATRIX_MESSAGE_NOTICE:
      return "m.notice";
    case MATRIX_MESSAGE_TEXT:
    default:
      return "m.text";
    }
}

/* The user ids an m.mentions lists, if it is well formed. */
static JsonArray *
mentioned_ids (JsonObject *content)
{
  JsonObject *mentions = _matrix_content_get_object (content, "m.mentions");
  JsonNode *node = mentions != NULL ? json_object_get_member (mentions, "user_ids") : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
array_has_string (JsonArray  *array,
                  const char *s)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
          g_strcmp0 (json_node_get_string (node), s) == 0)
        return TRUE;
    }
  return FALSE;
}

/* {"user_ids": [...]} of @mentions and @extra, each once, never ourselves,
 * leaving out those @already lists; {} for no one. */
static JsonObject *
new_mentions (const char * const *mentions,
              const char         *extra,
              const char         *own_user_id,
              JsonArray          *already)
{
  JsonObject *object = json_object_new ();
  g_autoptr(JsonArray) ids = json_array_new ();
  guint n = mentions != NULL ? g_strv_length ((char **) mentions) : 0;

  for (guint i = 0; i <= n; i++)
    {
      const char *id = i < n ? mentions[i] : extra;

      if (id == NULL || *id == '\0' || g_strcmp0 (id, own_user_id) == 0 ||
          array_has_string (ids, id) || array_has_string (already, id))
        continue;
      json_array_add_string_element (ids, id);
    }

  if (json_array_get_length (ids) > 0)
    json_object_set_array_member (object, "user_ids", g_steal_pointer (&ids));
  return object;
}

static void
set_text (JsonObject *content,
          const char *msgtype,
          const char *body,
          const char *formatted_body)
{
  json_object_set_string_member (content, "msgtype", msgtype);
  json_object_set_string_member (content, "body", body);
  if (formatted_body != NULL)
    {
      json_object_set_string_member (content, "format", "org.matrix.custom.html");
      json_object_set_string_member (content, "formatted_body", formatted_body);
    }
}

JsonObject *
_matrix_content_new_message (MatrixMessageType   type,
                             const char         *body,
                             const char         *formatted_body,
                             const char * const *mentions,
                             const char         *own_user_id)
{
  JsonObject *content = json_object_new ();

  set_text (content, msgtype_name (type), body, formatted_body);
  json_object_set_object_member (content, "m.mentions",
                                 new_mentions (mentions, NULL, own_user_id, NULL));
  return content;
}

JsonObject *
_matrix_content_new_reply (MatrixEvent        *in_reply_to,
                           MatrixMessageType   type,
                           const char         *body,
                           const char         *formatted_body,
                           const char * const *mentions,
                           const char         *own_user_id)
{
  JsonObject *content = json_object_new ();
  JsonObject *relates_to = json_object_new ();
  JsonObject *reply = json_object_new ();
  const char *thread_root = NULL;

  set_text (content, msgtype_name (type), body, formatted_body);
  json_object_set_object_member (content, "m.mentions",
                                 new_mentions (mentions, matrix_event_get_sender (in_reply_to),
                                               own_user_id, NULL));

  /* A reply to a message in a thread stays in that thread. */
  if (g_strcmp0 (matrix_event_get_relation_type (in_reply_to), "m.thread") == 0)
    thread_root = matrix_event_get_related_event_id (in_reply_to);
  if (thread_root != NULL)
    {
      json_object_set_string_member (relates_to, "rel_type", "m.thread");
      json_object_set_string_member (relates_to, "event_id", thread_root);
      json_object_set_boolean_member (relates_to, "is_falling_back", FALSE);
    }
  json_object_set_string_member (reply, "event_id", matrix_event_get_event_id (in_reply_to));
  json_object_set_object_member (relates_to, "m.in_reply_to", reply);
  json_object_set_object_member (content, "m.relates_to", relates_to);
  return content;
}

/* A reply in the thread of @root_id: `m.thread` with the reply fallback
 * (`is_falling_back`) to @latest_id, the thread's newest message, for
 * clients without threads. */
JsonObject *
_matrix_content_new_thread_reply (const char         *root_id,
                                  const char         *latest_id,
                                  MatrixMessageType   type,
                                  const char         *body,
                                  const char         *formatted_body,
                                  const char * const *mentions,
                                  const char         *own_user_id)
{
  JsonObject *content = json_object_new ();
  JsonObject *relates_to = json_object_new ();
  JsonObject *reply = json_object_new ();

  set_text (content, msgtype_name (type), body, formatted_body);
  json_object_set_object_member (content, "m.mentions",
                                 new_mentions (mentions, NULL, own_user_id, NULL));
  json_object_set_string_member (relates_to, "rel_type", "m.thread");
  json_object_set_string_member (relates_to, "event_id", root_id);
  json_object_set_boolean_member (relates_to, "is_falling_back", TRUE);
  json_object_set_string_member (reply, "event_id", latest_id != NULL ? latest_id : root_id);
  json_object_set_object_member (relates_to, "m.in_reply_to", reply);
  json_object_set_object_member (content, "m.relates_to", relates_to);
  return content;
}

JsonObject *
_matrix_content_new_edit (MatrixEvent        *original,
                          JsonObject         *shown,
                          const char         *body,
                          const char         *formatted_body,
                          const char * const *mentions,
                          const char         *own_user_id)
{
  JsonObject *content = json_object_new ();
  JsonObject *new_content = json_object_new ();
  JsonObject *relates_to = json_object_new ();
  const char *msgtype = matrix_event_get_content_string (original, "msgtype");
  g_autofree char *fallback = g_strconcat ("* ", body, NULL);
  g_autofree char *formatted_fallback = NULL;
  g_autoptr(JsonArray) already = json_array_new ();
  JsonArray *before;

  if (msgtype == NULL)
    msgtype = "m.text";
  if (formatted_body != NULL)
    formatted_fallback = g_strconcat ("* ", formatted_body, NULL);

  /* Whom the message mentioned before was notified then: the top level
   * mentions only those the edit adds; m.new_content lists them all. */
  before = mentioned_ids (matrix_event_get_content (original));
  for (guint i = 0; before != NULL && i < json_array_get_length (before); i++)
    json_array_add_element (already, json_node_copy (json_array_get_element (before, i)));
  before = mentioned_ids (shown);
  for (guint i = 0; before != NULL && i < json_array_get_length (before); i++)
    json_array_add_element (already, json_node_copy (json_array_get_element (before, i)));

  set_text (new_content, msgtype, body, formatted_body);
  json_object_set_object_member (new_content, "m.mentions",
                                 new_mentions (mentions, NULL, own_user_id, NULL));

  set_text (content, msgtype, fallback, formatted_fallback);
  json_object_set_object_member (content, "m.new_content", new_content);
  json_object_set_object_member (content, "m.mentions",
                                 new_mentions (mentions, NULL, own_user_id, already));
  json_object_set_string_member (relates_to, "rel_type", "m.replace");
  json_object_set_string_member (relates_to, "event_id", matrix_event_get_event_id (original));
  json_object_set_object_member (content, "m.relates_to", relates_to);
  return content;
}

JsonObject *
_matrix_content_new_reaction (const char *event_id,
                              const char *key)
{
  JsonObject *content = json_object_new ();
  JsonObject *relates_to = json_object_new ();

  json_object_set_string_member (relates_to, "rel_type", "m.annotation");
  json_object_set_string_member (relates_to, "event_id", event_id);
  json_object_set_string_member (relates_to, "key", key);
  json_object_set_object_member (content, "m.relates_to", relates_to);
  return content;
}

/* A fallback is the quoted lines of the original ("> <@alice:example.org>
 * hi"), then one empty line, then the reply. Anything else is the sender's
 * own text, quotes included, and stays. */
char *
_matrix_content_strip_reply_fallback (const char *body)
{
  const char *p = body;

  if (body == NULL || *body != '>')
    return NULL;

  while (*p == '>')
    {
      const char *newline = strchr (p, '\n');

      if (newline == NULL)
        return NULL;
      p = newline + 1;
    }
  if (*p != '\n')
    return NULL;

  return g_strdup (p + 1);
}

static const char *
find_ascii_nocase (const char *haystack,
                   const char *needle)
{
  gsize n = strlen (needle);

  for (const char *p = haystack; *p != '\0'; p++)
    if (g_ascii_strncasecmp (p, needle, n) == 0)
      return p;
  return NULL;
}

char *
_matrix_content_strip_html_reply_fallback (const char *formatted_body)
{
  const char *start, *end;
  GString *out;

  if (formatted_body == NULL || (start = find_ascii_nocase (formatted_body, "<mx-reply>")) == NULL)
    return NULL;
  end = find_ascii_nocase (start, "</mx-reply>");
  if (end == NULL)
    return NULL;

  out = g_string_new_len (formatted_body, start - formatted_body);
  g_string_append (out, end + strlen ("</mx-reply>"));
  return g_string_free (out, FALSE);
}
