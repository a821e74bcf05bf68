/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define G_LOG_DOMAIN "matrix-push"

#include <string.h>

#include "matrix-push-evaluator-private.h"

/* Longer values and patterns are not matched: the glob costs their product. */
#define MAX_VALUE_CHARS   65536
#define MAX_PATTERN_CHARS 1024
/* A key deeper than this names nothing an event has. */
#define MAX_KEY_PARTS     16

/* --- glob ------------------------------------------------------------------ */

static gboolean
is_word_char (gunichar c)
{
  return c == '_' || g_unichar_isalnum (c);
}

static void
add_state (guint8         *states,
           const gunichar *pattern,
           glong           n_pattern,
           glong           k,
           gboolean        literal)
{
  /* A star also matches nothing: reaching it reaches what follows. */
  while (k <= n_pattern && !states[k])
    {
      states[k] = 1;
      if (k == n_pattern || literal || pattern[k] != '*')
        break;
      k++;
    }
}

gboolean
_matrix_push_glob_match (const char *pattern,
                         const char *value,
                         gboolean    word_boundary,
                         gboolean    literal)
{
  g_autofree char *pattern_folded = NULL, *value_folded = NULL;
  g_autofree gunichar *p = NULL, *v = NULL;
  g_autofree guint8 *states = NULL, *next = NULL;
  glong n_pattern = 0, n_value = 0;

  if (pattern == NULL || value == NULL ||
      !g_utf8_validate (pattern, -1, NULL) || !g_utf8_validate (value, -1, NULL) ||
      g_utf8_strlen (pattern, MAX_PATTERN_CHARS + 1) > MAX_PATTERN_CHARS ||
      g_utf8_strlen (value, MAX_VALUE_CHARS + 1) > MAX_VALUE_CHARS)
    return FALSE;

  /* Most conditions compare a type or a msgtype with a plain name. */
  if (!word_boundary && strpbrk (pattern, literal ? "" : "*?") == NULL &&
      g_str_is_ascii (pattern) && g_str_is_ascii (value))
    return g_ascii_strcasecmp (pattern, value) == 0;

  pattern_folded = g_utf8_casefold (pattern, -1);
  value_folded = g_utf8_casefold (value, -1);
  p = g_utf8_to_ucs4_fast (pattern_folded, -1, &n_pattern);
  v = g_utf8_to_ucs4_fast (value_folded, -1, &n_value);
  if (literal && n_pattern == 0)
    return FALSE;

  /* The pattern as an automaton, its states the positions in it, run once
   * over the value: O(value × pattern), whatever the stars. With word
   * boundaries a match may start at any of them. */
  states = g_new0 (guint8, n_pattern + 1);
  next = g_new0 (guint8, n_pattern + 1);
  for (glong i = 0; ; i++)
    {
      gboolean any = FALSE;

      if (i == 0 || (word_boundary && !is_word_char (v[i - 1])))
        add_state (states, p, n_pattern, 0, literal);
      if (states[n_pattern] &&
          (i == n_value || (word_boundary && !is_word_char (v[i]))))
        return TRUE;
      if (i == n_value)
        return FALSE;

      memset (next, 0, n_pattern + 1);
      for (glong k = 0; k < n_pattern; k++)
        {
          if (!states[k])
            continue;
          if (!literal && p[k] == '*')
            add_state (next, p, n_pattern, k, literal);
          else if ((!literal && p[k] == '?') || p[k] == v[i])
            add_state (next, p, n_pattern, k + 1, literal);
        }
      for (glong k = 0; k <= n_pattern; k++)
        any |= next[k];
      memcpy (states, next, n_pattern + 1);
      if (!any && !word_boundary)
        return FALSE;
    }
}

/* --- event properties -------------------------------------------------------- */

/* (transfer none) (nullable): the value at @key, a dotted path in which
 * `\.` is a dot and `\\` a backslash. */
static JsonNode *
lookup_key (JsonObject *event,
            const char *key)
{
  JsonObject *object = event;
  JsonNode *node = NULL;
  g_autoptr(GString) part = g_string_new (NULL);
  guint n_parts = 0;

  if (key == NULL || *key == '\0')
    return NULL;

  for (const char *c = key; ; c++)
    {
      if (*c == '\\' && (c[1] == '.' || c[1] == '\\'))
        {
          g_string_append_c (part, *++c);
          continue;
        }
      if (*c != '.' && *c != '\0')
        {
          g_string_append_c (part, *c);
          continue;
        }
      if (object == NULL || ++n_parts > MAX_KEY_PARTS)
        return NULL;
      node = json_object_get_member (object, part->str);
      if (node == NULL)
        return NULL;
      if (*c == '\0')
        return node;
      object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      g_string_truncate (part, 0);
    }
}

static const char *
node_string (JsonNode *node)
{
  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static const char *
object_string (JsonObject *object,
               const char *member)
{
  return object != NULL ? node_string (json_object_get_member (object, member)) : NULL;
}

/* The values event_property_is and _contains compare: strings, integers,
 * booleans and null, by type and value (the spec allows no floats). */
static gboolean
scalar_equal (JsonNode *a,
              JsonNode *b)
{
  GType type;

  if (a == NULL || b == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (a) || JSON_NODE_HOLDS_NULL (b))
    return JSON_NODE_HOLDS_NULL (a) && JSON_NODE_HOLDS_NULL (b);
  if (!JSON_NODE_HOLDS_VALUE (a) || !JSON_NODE_HOLDS_VALUE (b))
    return FALSE;
  type = json_node_get_value_type (a);
  if (type != json_node_get_value_type (b))
    return FALSE;
  if (type == G_TYPE_STRING)
    return g_strcmp0 (json_node_get_string (a), json_node_get_string (b)) == 0;
  if (type == G_TYPE_INT64)
    return json_node_get_int (a) == json_node_get_int (b);
  if (type == G_TYPE_BOOLEAN)
    return json_node_get_boolean (a) == json_node_get_boolean (b);
  return FALSE;
}

/* --- conditions ------------------------------------------------------------------ */

static gboolean
member_count_matches (const char *is,
                      gint64      count)
{
  /* Two-character operators first: "<=" is not "<" then "=5". */
  static const struct { const char *op; int cmp; } ops[] = {
    { "==", 0 }, { "<=", 3 }, { ">=", 4 }, { "<", 1 }, { ">", 2 },
  };
  guint64 wanted = 0;
  int cmp = 0;   /* 0 ==, 1 <, 2 >, 3 <=, 4 >= */

  if (is == NULL || count < 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    if (g_str_has_prefix (is, ops[i].op))
      {
        cmp = ops[i].cmp;
        is += strlen (ops[i].op);
        break;
      }
  if (!g_ascii_string_to_unsigned (is, 10, 0, G_MAXINT64, &wanted, NULL) || *is == '+')
    return FALSE;

  switch (cmp)
    {
    case 1: return (guint64) count < wanted;
    case 2: return (guint64) count > wanted;
    case 3: return (guint64) count <= wanted;
    case 4: return (guint64) count >= wanted;
    default: return (guint64) count == wanted;
    }
}

static gboolean
sender_may_notify (JsonObject              *event,
                   const char              *key,
                   const MatrixPushContext *context)
{
  const char *sender = object_string (event, "sender");
  JsonNode *required_node;
  gint64 required = 50, level = 0;

  if (sender == NULL || key == NULL)
    return FALSE;
  required_node = context->notifications != NULL
                  ? json_object_get_member (context->notifications, key) : NULL;
  if (required_node != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (required_node) ||
          json_node_get_value_type (required_node) != G_TYPE_INT64)
        return FALSE;
      required = json_node_get_int (required_node);
    }
  else if (!g_str_equal (key, "room"))
    /* Only "room" has a level by default. */
    return FALSE;
  if (context->power_levels != NULL)
    level = matrix_power_levels_get_user_level (context->power_levels, sender);
  return level >= required;
}

static gboolean
condition_matches (JsonNode                *node,
                   JsonObject              *event,
                   const MatrixPushContext *context)
{
  JsonObject *condition;
  const char *kind;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return FALSE;
  condition = json_node_get_object (node);
  kind = object_string (condition, "kind");
  if (kind == NULL)
    return FALSE;

  if (g_str_equal (kind, "event_match"))
    {
      const char *key = object_string (condition, "key");
      const char *pattern = object_string (condition, "pattern");

      return key != NULL && pattern != NULL &&
             _matrix_push_glob_match (pattern, node_string (lookup_key (event, key)),
                                      g_str_equal (key, "content.body"), FALSE);
    }
  if (g_str_equal (kind, "event_property_is"))
    {
      const char *key = object_string (condition, "key");

      return key != NULL &&
             scalar_equal (lookup_key (event, key), json_object_get_member (condition, "value"));
    }
  if (g_str_equal (kind, "event_property_contains"))
    {
      const char *key = object_string (condition, "key");
      JsonNode *array = key != NULL ? lookup_key (event, key) : NULL;
      JsonNode *value = json_object_get_member (condition, "value");

      if (array == NULL || !JSON_NODE_HOLDS_ARRAY (array))
        return FALSE;
      for (guint i = 0; i < json_array_get_length (json_node_get_array (array)); i++)
        if (scalar_equal (json_array_get_element (json_node_get_array (array), i), value))
          return TRUE;
      return FALSE;
    }
  if (g_str_equal (kind, "contains_display_name"))
    {
      JsonNode *content = json_object_get_member (event, "content");
      const char *body = content != NULL && JSON_NODE_HOLDS_OBJECT (content)
                         ? object_string (json_node_get_object (content), "body") : NULL;

      return context->display_name != NULL && *context->display_name != '\0' &&
             _matrix_push_glob_match (context->display_name, body, TRUE, TRUE);
    }
  if (g_str_equal (kind, "room_member_count"))
    return member_count_matches (object_string (condition, "is"), context->member_count);
  if (g_str_equal (kind, "sender_notification_permission"))
    return sender_may_notify (event, object_string (condition, "key"), context);

  /* Unknown conditions match nothing. */
  return FALSE;
}

/* --- rules ------------------------------------------------------------------------ */

typedef enum {
  KIND_OVERRIDE,
  KIND_CONTENT,
  KIND_ROOM,
  KIND_SENDER,
  KIND_UNDERRIDE,
} RuleKind;

static const char * const kind_names[] = { "override", "content", "room", "sender", "underride" };

/* The deprecated mention rules stand aside for events that say whom they
 * mention (`m.mentions`, Matrix 1.7). */
static gboolean
is_legacy_mention_rule (const char *rule_id)
{
  return g_str_equal (rule_id, ".m.rule.contains_display_name") ||
         g_str_equal (rule_id, ".m.rule.contains_user_name") ||
         g_str_equal (rule_id, ".m.rule.roomnotif");
}

/* -1: the rule does not apply (malformed, disabled, or no match). */
static int
rule_applies (JsonObject              *rule,
              RuleKind                 kind,
              JsonObject              *event,
              gboolean                 has_mentions,
              const MatrixPushContext *context)
{
  const char *rule_id = object_string (rule, "rule_id");
  JsonNode *enabled = json_object_get_member (rule, "enabled");
  JsonNode *actions = json_object_get_member (rule, "actions");

  if (rule_id == NULL || enabled == NULL || !JSON_NODE_HOLDS_VALUE (enabled) ||
      json_node_get_value_type (enabled) != G_TYPE_BOOLEAN || !json_node_get_boolean (enabled) ||
      actions == NULL || !JSON_NODE_HOLDS_ARRAY (actions))
    return -1;
  if (has_mentions && is_legacy_mention_rule (rule_id))
    return -1;

  switch (kind)
    {
    case KIND_OVERRIDE:
    case KIND_UNDERRIDE:
      {
        JsonNode *conditions = json_object_get_member (rule, "conditions");
        JsonArray *array;

        if (conditions == NULL)
          return 1;
        if (!JSON_NODE_HOLDS_ARRAY (conditions))
          return -1;
        array = json_node_get_array (conditions);
        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!condition_matches (json_array_get_element (array, i), event, context))
            return -1;
        return 1;
      }
    case KIND_CONTENT:
      {
        JsonNode *content = json_object_get_member (event, "content");
        const char *pattern = object_string (rule, "pattern");

        return pattern != NULL && content != NULL && JSON_NODE_HOLDS_OBJECT (content) &&
               _matrix_push_glob_match (pattern, object_string (json_node_get_object (content), "body"),
                                        TRUE, FALSE) ? 1 : -1;
      }
    case KIND_ROOM:
      return g_strcmp0 (rule_id, context->room_id) == 0 ? 1 : -1;
    case KIND_SENDER:
      return g_strcmp0 (rule_id, object_string (event, "sender")) == 0 ? 1 : -1;
    default:
      return -1;
    }
}

static MatrixPushResult
read_actions (JsonArray *actions)
{
  gboolean notify = FALSE, highlight = FALSE;

  for (guint i = 0; i < json_array_get_length (actions); i++)
    {
      JsonNode *action = json_array_get_element (actions, i);
      const char *name = node_string (action);

      if (name != NULL)
        {
          /* "coalesce" was a notify by another name; "dont_notify" and
           * unknown actions do nothing. */
          if (g_str_equal (name, "notify") || g_str_equal (name, "coalesce"))
            notify = TRUE;
        }
      else if (JSON_NODE_HOLDS_OBJECT (action) &&
               g_strcmp0 (object_string (json_node_get_object (action), "set_tweak"), "highlight") == 0)
        {
          JsonNode *value = json_object_get_member (json_node_get_object (action), "value");

          if (value == NULL)
            highlight = TRUE;
          else if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_BOOLEAN)
            highlight = json_node_get_boolean (value);
        }
    }
  if (!notify)
    return MATRIX_PUSH_NONE;
  return MATRIX_PUSH_NOTIFY | (highlight ? MATRIX_PUSH_HIGHLIGHT : 0);
}

static gboolean
content_has_mentions (JsonObject *event)
{
  JsonNode *content = json_object_get_member (event, "content");

  return content != NULL && JSON_NODE_HOLDS_OBJECT (content) &&
         json_object_has_member (json_node_get_object (content), "m.mentions");
}

MatrixPushResult
_matrix_push_rules_evaluate (JsonObject              *push_rules,
                             JsonObject              *event,
                             const MatrixPushContext *context)
{
  g_autoptr(JsonObject) defaults = NULL;
  JsonNode *global;
  JsonObject *ruleset;
  gboolean has_mentions;

  g_return_val_if_fail (event != NULL, MATRIX_PUSH_NONE);
  g_return_val_if_fail (context != NULL && context->user_id != NULL, MATRIX_PUSH_NONE);

  global = push_rules != NULL ? json_object_get_member (push_rules, "global") : NULL;
  if (global == NULL || !JSON_NODE_HOLDS_OBJECT (global))
    {
      defaults = _matrix_push_rules_new_defaults (context->user_id);
      global = json_object_get_member (defaults, "global");
    }
  ruleset = json_node_get_object (global);
  has_mentions = content_has_mentions (event);

  for (RuleKind kind = KIND_OVERRIDE; kind <= KIND_UNDERRIDE; kind++)
    {
      JsonNode *rules = json_object_get_member (ruleset, kind_names[kind]);
      JsonArray *array;

      if (rules == NULL || !JSON_NODE_HOLDS_ARRAY (rules))
        continue;
      array = json_node_get_array (rules);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *rule = json_array_get_element (array, i);

          if (JSON_NODE_HOLDS_OBJECT (rule) &&
              rule_applies (json_node_get_object (rule), kind, event, has_mentions, context) > 0)
            return read_actions (json_object_get_array_member (json_node_get_object (rule), "actions"));
        }
    }
  return MATRIX_PUSH_NONE;
}

/* --- the spec's predefined rules -------------------------------------------------------- */

static void
append_json_string (GString    *out,
                    const char *s)
{
  g_string_append_c (out, '"');
  for (const char *c = s; *c != '\0'; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_printf (out, "\\%c", *c);
      else if ((guchar) *c < 0x20)
        g_string_append_printf (out, "\\u%04x", (guchar) *c);
      else
        g_string_append_c (out, *c);
    }
  g_string_append_c (out, '"');
}

/* Written from the spec's list ("Predefined Rules"); @USER@ and
 * @LOCALPART@ stand for the user's id and its localpart. */
static const char default_rules[] =
  "{\"global\": {"
  "\"override\": ["
  " {\"rule_id\": \".m.rule.master\", \"default\": true, \"enabled\": false, \"conditions\": [], \"actions\": []},"
  " {\"rule_id\": \".m.rule.suppress_notices\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content.msgtype\", \"pattern\": \"m.notice\"}],"
  "  \"actions\": []},"
  " {\"rule_id\": \".m.rule.invite_for_me\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.member\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"content.membership\", \"pattern\": \"invite\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": @USER@}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"},"
  "              {\"set_tweak\": \"highlight\", \"value\": false}]},"
  " {\"rule_id\": \".m.rule.member_event\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.member\"}],"
  "  \"actions\": []},"
  " {\"rule_id\": \".m.rule.is_user_mention\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_property_contains\", \"key\": \"content.m\\\\.mentions.user_ids\","
  "                  \"value\": @USER@}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}, {\"set_tweak\": \"highlight\"}]},"
  " {\"rule_id\": \".m.rule.contains_display_name\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"contains_display_name\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}, {\"set_tweak\": \"highlight\"}]},"
  " {\"rule_id\": \".m.rule.is_room_mention\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.mentions.room\", \"value\": true},"
  "                 {\"kind\": \"sender_notification_permission\", \"key\": \"room\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
  " {\"rule_id\": \".m.rule.roomnotif\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content.body\", \"pattern\": \"@room\"},"
  "                 {\"kind\": \"sender_notification_permission\", \"key\": \"room\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
  " {\"rule_id\": \".m.rule.tombstone\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.tombstone\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": \"\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]},"
  " {\"rule_id\": \".m.rule.reaction\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.reaction\"}],"
  "  \"actions\": []},"
  " {\"rule_id\": \".m.rule.room.server_acl\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.server_acl\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"state_key\", \"pattern\": \"\"}],"
  "  \"actions\": []},"
  " {\"rule_id\": \".m.rule.suppress_edits\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_property_is\", \"key\": \"content.m\\\\.relates_to.rel_type\","
  "                  \"value\": \"m.replace\"}],"
  "  \"actions\": []}"
  "],"
  "\"content\": ["
  " {\"rule_id\": \".m.rule.contains_user_name\", \"default\": true, \"enabled\": true,"
  "  \"pattern\": @LOCALPART@,"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}, {\"set_tweak\": \"highlight\"}]}"
  "],"
  "\"room\": [], \"sender\": [],"
  "\"underride\": ["
  " {\"rule_id\": \".m.rule.call\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.call.invite\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"ring\"}, {\"set_tweak\": \"highlight\", \"value\": false}]},"
  " {\"rule_id\": \".m.rule.encrypted_room_one_to_one\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \"2\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.encrypted\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}, {\"set_tweak\": \"highlight\", \"value\": false}]},"
  " {\"rule_id\": \".m.rule.room_one_to_one\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \"2\"},"
  "                 {\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.message\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"sound\", \"value\": \"default\"}, {\"set_tweak\": \"highlight\", \"value\": false}]},"
  " {\"rule_id\": \".m.rule.message\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.message\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"highlight\", \"value\": false}]},"
  " {\"rule_id\": \".m.rule.encrypted\", \"default\": true, \"enabled\": true,"
  "  \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\", \"pattern\": \"m.room.encrypted\"}],"
  "  \"actions\": [\"notify\", {\"set_tweak\": \"highlight\", \"value\": false}]}"
  "]}}";

JsonObject *
_matrix_push_rules_new_defaults (const char *user_id)
{
  g_autoptr(GString) text = g_string_new (default_rules);
  g_autoptr(GString) user = g_string_new (NULL);
  g_autoptr(GString) localpart = g_string_new (NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *local = NULL;
  const char *colon;

  g_return_val_if_fail (user_id != NULL, NULL);

  colon = strchr (user_id, ':');
  local = g_strndup (user_id[0] == '@' ? user_id + 1 : user_id,
                     colon != NULL ? (gsize) (colon - user_id - (user_id[0] == '@')) : strlen (user_id));
  append_json_string (user, user_id);
  append_json_string (localpart, local);
  g_string_replace (text, "@USER@", user->str, 0);
  g_string_replace (text, "@LOCALPART@", localpart->str, 0);

  /* Our own text with the user's id escaped into it parses, unless the id
   * itself held a placeholder: then no rule is better than a wrong one. */
  if (!json_parser_load_from_data (parser, text->str, -1, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      JsonObject *empty = json_object_new ();

      json_object_set_object_member (empty, "global", json_object_new ());
      return empty;
    }
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}
