/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The client-side push rule evaluator: the spec's predefined rules, the
 * rules clients write (muted room, mentions only), and malformed rules
 * from the network, which must neither crash nor match. */
#include <json-glib/json-glib.h>

#include "matrix-push-evaluator-private.h"

#define ME "@alice:example.org"
#define ROOM "!room:example.org"

static JsonObject *
parse (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static MatrixPushContext
context (void)
{
  MatrixPushContext c = { 0 };

  c.room_id = ROOM;
  c.user_id = ME;
  c.display_name = "Alice Liddell";
  c.member_count = 5;
  return c;
}

/* @rules: NULL for the spec's defaults. */
static MatrixPushResult
evaluate_with (JsonObject              *rules,
               const char              *event_text,
               const MatrixPushContext *c)
{
  g_autoptr(JsonObject) event = parse (event_text);

  return _matrix_push_rules_evaluate (rules, event, c);
}

static MatrixPushResult
evaluate (const char *event_text)
{
  MatrixPushContext c = context ();

  return evaluate_with (NULL, event_text, &c);
}

#define MESSAGE(body) \
  "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"room_id\": \"" ROOM "\"," \
  " \"content\": {\"msgtype\": \"m.text\", \"body\": \"" body "\"}}"

static void
test_default_message_notifies (void)
{
  g_assert_cmpint (evaluate (MESSAGE ("hello")), ==, MATRIX_PUSH_NOTIFY);
  /* Still ciphertext: the underride for encrypted events notifies. */
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.encrypted\", \"sender\": \"@bob:example.org\","
                             " \"content\": {\"algorithm\": \"m.megolm.v1.aes-sha2\"}}"),
                   ==, MATRIX_PUSH_NOTIFY);
  /* What no rule names does not. */
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.topic\", \"state_key\": \"\", \"sender\": \"@bob:example.org\","
                             " \"content\": {\"topic\": \"x\"}}"), ==, MATRIX_PUSH_NONE);
}

static void
test_default_silent_events (void)
{
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                             " \"content\": {\"msgtype\": \"m.notice\", \"body\": \"bot says\"}}"),
                   ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                             " \"content\": {\"msgtype\": \"m.text\", \"body\": \"* fixed\","
                             " \"m.relates_to\": {\"rel_type\": \"m.replace\", \"event_id\": \"$x\"}}}"),
                   ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate ("{\"type\": \"m.reaction\", \"sender\": \"@bob:example.org\","
                             " \"content\": {\"m.relates_to\": {\"rel_type\": \"m.annotation\","
                             " \"event_id\": \"$x\", \"key\": \"x\"}}}"), ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.member\", \"state_key\": \"@carol:example.org\","
                             " \"sender\": \"@carol:example.org\", \"content\": {\"membership\": \"join\"}}"),
                   ==, MATRIX_PUSH_NONE);
}

static void
test_default_invite_for_me (void)
{
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.member\", \"state_key\": \"" ME "\","
                             " \"sender\": \"@bob:example.org\", \"content\": {\"membership\": \"invite\"}}"),
                   ==, MATRIX_PUSH_NOTIFY);
  g_assert_cmpint (evaluate ("{\"type\": \"m.room.member\", \"state_key\": \"@carol:example.org\","
                             " \"sender\": \"@bob:example.org\", \"content\": {\"membership\": \"invite\"}}"),
                   ==, MATRIX_PUSH_NONE);
}

static void
test_default_user_mention_highlights (void)
{
  const char *mention =
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"look\","
    " \"m.mentions\": {\"user_ids\": [\"@carol:example.org\", \"" ME "\"]}}}";
  /* With m.mentions the legacy rules stand aside: the name in the body
   * of a message that mentions someone else does not highlight. */
  const char *other =
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"alice and Alice Liddell\","
    " \"m.mentions\": {\"user_ids\": [\"@carol:example.org\"]}}}";

  g_assert_cmpint (evaluate (mention), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate (other), ==, MATRIX_PUSH_NOTIFY);
}

static void
test_default_legacy_mentions (void)
{
  /* The localpart (content rule) and the display name, on word boundaries. */
  g_assert_cmpint (evaluate (MESSAGE ("hey ALICE, look")), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate (MESSAGE ("thanks alice")), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate (MESSAGE ("ask Alice Liddell!")), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate (MESSAGE ("malice aforethought")), ==, MATRIX_PUSH_NOTIFY);
  g_assert_cmpint (evaluate (MESSAGE ("alices")), ==, MATRIX_PUSH_NOTIFY);
}

static void
test_default_room_mention_needs_power (void)
{
  const char *room_mention =
    "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"everyone\", \"m.mentions\": {\"room\": true}}}";
  g_autoptr(JsonObject) power = parse ("{\"users\": {\"@bob:example.org\": 50}, \"users_default\": 0}");
  g_autoptr(JsonObject) strict = parse ("{\"room\": 100}");
  g_autoptr(MatrixPowerLevels) levels = matrix_power_levels_new (power, "10", NULL);
  MatrixPushContext c = context ();

  /* Everyone at 0 by default: not enough for @room. */
  g_assert_cmpint (evaluate (room_mention), ==, MATRIX_PUSH_NOTIFY);
  g_assert_cmpint (evaluate (MESSAGE ("@room hi")), ==, MATRIX_PUSH_NOTIFY);

  c.power_levels = levels;
  g_assert_cmpint (evaluate_with (NULL, room_mention, &c), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate_with (NULL, MESSAGE ("@room hi"), &c), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  c.notifications = strict;
  g_assert_cmpint (evaluate_with (NULL, room_mention, &c), ==, MATRIX_PUSH_NOTIFY);
}

static void
test_default_one_to_one (void)
{
  MatrixPushContext c = context ();

  c.member_count = 2;
  g_assert_cmpint (evaluate_with (NULL, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NOTIFY);
}

#define RULES(override, room) \
  "{\"global\": {\"override\": [" override "], \"content\": [], \"room\": [" room "]," \
  " \"sender\": [], \"underride\": [{\"rule_id\": \".m.rule.message\", \"default\": true," \
  " \"enabled\": true, \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\"," \
  " \"pattern\": \"m.room.message\"}], \"actions\": [\"notify\"]}]}}"

static const char mention_rule[] =
  "{\"rule_id\": \".m.rule.is_user_mention\", \"default\": true, \"enabled\": true,"
  " \"conditions\": [{\"kind\": \"event_property_contains\", \"key\": \"content.m\\\\.mentions.user_ids\","
  " \"value\": \"" ME "\"}], \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}";

static const char user_mention[] =
  "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\", \"room_id\": \"" ROOM "\","
  " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\", \"m.mentions\": {\"user_ids\": [\"" ME "\"]}}}";

static void
test_muted_room (void)
{
  /* What other clients (and matrix_client_set_room_notify_level_async())
   * write for a muted room: an override before the mention rules. */
  g_autofree char *text = g_strdup_printf (RULES (
    "{\"rule_id\": \"" ROOM "\", \"default\": false, \"enabled\": true,"
    " \"conditions\": [{\"kind\": \"event_match\", \"key\": \"room_id\", \"pattern\": \"" ROOM "\"}],"
    " \"actions\": [\"dont_notify\"]}, %s", ""), mention_rule);
  g_autoptr(JsonObject) rules = parse (text);
  MatrixPushContext c = context ();

  g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate_with (rules, user_mention, &c), ==, MATRIX_PUSH_NONE);
  /* Another room is not muted. */
  c.room_id = "!other:example.org";
  g_assert_cmpint (evaluate_with (rules, "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                                  " \"room_id\": \"!other:example.org\", \"content\": {\"body\": \"x\"}}", &c),
                   ==, MATRIX_PUSH_NOTIFY);
}

static void
test_mentions_only_room (void)
{
  g_autofree char *text = g_strdup_printf (RULES ("%s", "{\"rule_id\": \"" ROOM "\", \"default\": false,"
                                                  " \"enabled\": true, \"actions\": []}"), mention_rule);
  g_autoptr(JsonObject) rules = parse (text);
  MatrixPushContext c = context ();

  g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate_with (rules, user_mention, &c), ==, MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
}

static void
test_sender_and_content_rules (void)
{
  g_autoptr(JsonObject) rules = parse (
    "{\"global\": {"
    " \"content\": [{\"rule_id\": \"kw\", \"enabled\": true, \"default\": false, \"pattern\": \"re?ease*\","
    "               \"actions\": [\"notify\", {\"set_tweak\": \"highlight\", \"value\": true}]}],"
    " \"sender\": [{\"rule_id\": \"@bob:example.org\", \"enabled\": true, \"default\": false,"
    "              \"actions\": [\"dont_notify\"]}],"
    " \"underride\": [{\"rule_id\": \"all\", \"enabled\": true, \"default\": false, \"actions\": [\"notify\"]}]}}");
  MatrixPushContext c = context ();

  g_assert_cmpint (evaluate_with (rules, MESSAGE ("the Release is out"), &c), ==,
                   MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT);
  g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate_with (rules, "{\"type\": \"m.room.message\", \"sender\": \"@carol:example.org\","
                                  " \"content\": {\"body\": \"hi\"}}", &c), ==, MATRIX_PUSH_NOTIFY);
}

static void
test_master_and_disabled (void)
{
  g_autoptr(JsonObject) master = parse (RULES (
    "{\"rule_id\": \".m.rule.master\", \"default\": true, \"enabled\": true, \"conditions\": [], \"actions\": []}", ""));
  g_autoptr(JsonObject) disabled = parse (RULES (
    "{\"rule_id\": \"x\", \"default\": false, \"enabled\": false, \"conditions\": [], \"actions\": []}", ""));
  MatrixPushContext c = context ();

  g_assert_cmpint (evaluate_with (master, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NONE);
  g_assert_cmpint (evaluate_with (disabled, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NOTIFY);
}

/* Each broken rule is skipped and the next one decides; a broken ruleset
 * is no rules. None of it crashes or warns. */
static void
test_malformed_rules (void)
{
  static const char * const broken[] = {
    "42",
    "{\"enabled\": true, \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": 7, \"enabled\": true, \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"a\", \"enabled\": \"yes\", \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"b\", \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"c\", \"enabled\": true, \"actions\": \"notify\"}",
    "{\"rule_id\": \"d\", \"enabled\": true, \"conditions\": {}, \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"e\", \"enabled\": true, \"conditions\": [3], \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"f\", \"enabled\": true, \"conditions\": [{\"kind\": \"future_condition\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"g\", \"enabled\": true, \"conditions\": [{\"kind\": \"event_match\", \"key\": \"type\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"h\", \"enabled\": true, \"conditions\": [{\"kind\": \"event_match\", \"key\": 5,"
    " \"pattern\": \"*\"}], \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"i\", \"enabled\": true, \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \"lots\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"j\", \"enabled\": true, \"conditions\": [{\"kind\": \"room_member_count\", \"is\": \">-1\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"k\", \"enabled\": true, \"conditions\": [{\"kind\": \"sender_notification_permission\"}],"
    " \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"l\", \"enabled\": true, \"conditions\": [{\"kind\": \"event_property_contains\","
    " \"key\": \"content.body\", \"value\": \"hi\"}], \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
    "{\"rule_id\": \"m\", \"enabled\": true, \"conditions\": [{\"kind\": \"event_match\", \"key\": \"content\","
    " \"pattern\": \"*\"}], \"actions\": [\"notify\", {\"set_tweak\": \"highlight\"}]}",
  };
  static const char * const broken_sets[] = {
    "{}", "{\"global\": 1}", "{\"global\": []}", "{\"global\": {\"override\": {}}}",
  };
  MatrixPushContext c = context ();

  for (guint i = 0; i < G_N_ELEMENTS (broken); i++)
    {
      g_autofree char *text = g_strdup_printf (RULES ("%s", ""), broken[i]);
      g_autoptr(JsonObject) rules = parse (text);

      g_test_message ("rule %u: %s", i, broken[i]);
      g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NOTIFY);
    }
  for (guint i = 0; i < G_N_ELEMENTS (broken_sets); i++)
    {
      g_autoptr(JsonObject) rules = parse (broken_sets[i]);

      /* No usable ruleset: the spec's defaults. */
      if (i == 0 || i == 1 || i == 2)
        g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NOTIFY);
      else
        g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, MATRIX_PUSH_NONE);
    }
}

static void
test_actions (void)
{
  static const struct { const char *actions; MatrixPushResult result; } cases[] = {
    { "[]", MATRIX_PUSH_NONE },
    { "[\"dont_notify\"]", MATRIX_PUSH_NONE },
    { "[\"coalesce\"]", MATRIX_PUSH_NOTIFY },
    { "[\"notify\", {\"set_tweak\": \"highlight\", \"value\": false}]", MATRIX_PUSH_NOTIFY },
    { "[\"notify\", {\"set_tweak\": \"highlight\", \"value\": \"true\"}]", MATRIX_PUSH_NOTIFY },
    { "[\"notify\", {\"set_tweak\": \"highlight\"}]", MATRIX_PUSH_NOTIFY | MATRIX_PUSH_HIGHLIGHT },
    /* A highlight that does not notify is not counted. */
    { "[{\"set_tweak\": \"highlight\"}]", MATRIX_PUSH_NONE },
    { "[\"future_action\", 3, null, {\"set_tweak\": 1}, \"notify\"]", MATRIX_PUSH_NOTIFY },
  };
  MatrixPushContext c = context ();

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"global\": {\"override\": [{\"rule_id\": \"r\","
                                               " \"enabled\": true, \"actions\": %s}]}}", cases[i].actions);
      g_autoptr(JsonObject) rules = parse (text);

      g_assert_cmpint (evaluate_with (rules, MESSAGE ("hi"), &c), ==, cases[i].result);
    }
}

static gboolean
condition (const char *condition_text,
           const char *event_text)
{
  g_autofree char *text = g_strdup_printf ("{\"global\": {\"override\": [{\"rule_id\": \"r\", \"enabled\": true,"
                                           " \"conditions\": [%s], \"actions\": [\"notify\"]}]}}",
                                           condition_text);
  g_autoptr(JsonObject) rules = parse (text);
  MatrixPushContext c = context ();

  return evaluate_with (rules, event_text, &c) == MATRIX_PUSH_NOTIFY;
}

static void
test_conditions (void)
{
  const char *event = "{\"type\": \"m.room.message\", \"sender\": \"@bob:example.org\","
                      " \"content\": {\"body\": \"x\", \"n\": 1, \"b\": false, \"z\": null,"
                      " \"a.b\": {\"c\\\\d\": \"deep\"}, \"list\": [1, \"1\", true]}}";

  g_assert_true (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.n\", \"value\": 1}", event));
  g_assert_false (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.n\", \"value\": \"1\"}", event));
  g_assert_true (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.b\", \"value\": false}", event));
  g_assert_true (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.z\", \"value\": null}", event));
  g_assert_false (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.missing\", \"value\": null}", event));
  g_assert_true (condition ("{\"kind\": \"event_property_is\", \"key\": \"content.a\\\\.b.c\\\\\\\\d\","
                            " \"value\": \"deep\"}", event));
  g_assert_true (condition ("{\"kind\": \"event_property_contains\", \"key\": \"content.list\", \"value\": true}", event));
  g_assert_false (condition ("{\"kind\": \"event_property_contains\", \"key\": \"content.list\", \"value\": 2}", event));
  g_assert_true (condition ("{\"kind\": \"event_match\", \"key\": \"sender\", \"pattern\": \"@BOB:*\"}", event));
  g_assert_false (condition ("{\"kind\": \"event_match\", \"key\": \"sender\", \"pattern\": \"bob\"}", event));
  /* event_match reads strings only. */
  g_assert_false (condition ("{\"kind\": \"event_match\", \"key\": \"content.n\", \"pattern\": \"*\"}", event));
  g_assert_true (condition ("{\"kind\": \"room_member_count\", \"is\": \"5\"}", event));
  g_assert_true (condition ("{\"kind\": \"room_member_count\", \"is\": \"==5\"}", event));
  g_assert_true (condition ("{\"kind\": \"room_member_count\", \"is\": \">=5\"}", event));
  g_assert_true (condition ("{\"kind\": \"room_member_count\", \"is\": \"<6\"}", event));
  g_assert_false (condition ("{\"kind\": \"room_member_count\", \"is\": \">5\"}", event));
  g_assert_false (condition ("{\"kind\": \"room_member_count\", \"is\": \"\"}", event));
  g_assert_false (condition ("{\"kind\": \"room_member_count\", \"is\": \"5x\"}", event));
}

static void
test_glob (void)
{
  g_assert_true (_matrix_push_glob_match ("m.room.*", "m.room.message", FALSE, FALSE));
  g_assert_false (_matrix_push_glob_match ("m.room", "m.room.message", FALSE, FALSE));
  g_assert_true (_matrix_push_glob_match ("?x*", "ax", FALSE, FALSE));
  g_assert_true (_matrix_push_glob_match ("ÉTÉ", "été", FALSE, FALSE));
  g_assert_true (_matrix_push_glob_match ("", "", FALSE, FALSE));
  g_assert_false (_matrix_push_glob_match ("", "x", FALSE, FALSE));
  g_assert_true (_matrix_push_glob_match ("cake*lie", "the cake is a lie.", TRUE, FALSE));
  g_assert_false (_matrix_push_glob_match ("cake", "cupcakes", TRUE, FALSE));
  g_assert_true (_matrix_push_glob_match ("a*b", "xx a b", TRUE, FALSE));
  /* A literal pattern's stars are stars. */
  g_assert_true (_matrix_push_glob_match ("*bob*", "hi *bob*!", TRUE, TRUE));
  g_assert_false (_matrix_push_glob_match ("*bob*", "hi bobby", TRUE, TRUE));
  g_assert_false (_matrix_push_glob_match ("x", "\xff", FALSE, FALSE));
}

/* Many stars against a long value that almost matches: linear in both,
 * where a backtracking matcher would take exponential time. */
static void
test_glob_pathological (void)
{
  g_autoptr(GString) value = g_string_new (NULL);
  g_autoptr(GString) pattern = g_string_new (NULL);
  gint64 start = g_get_monotonic_time ();

  for (int i = 0; i < 20000; i++)
    g_string_append_c (value, 'a');
  for (int i = 0; i < 100; i++)
    g_string_append (pattern, "a*");
  g_string_append_c (pattern, 'b');
  g_assert_false (_matrix_push_glob_match (pattern->str, value->str, FALSE, FALSE));
  g_assert_false (_matrix_push_glob_match (pattern->str, value->str, TRUE, FALSE));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

static void
test_defaults_escape_user_id (void)
{
  g_autoptr(JsonObject) rules = _matrix_push_rules_new_defaults ("@\"odd\\:example.org");
  g_autoptr(JsonObject) broken = _matrix_push_rules_new_defaults ("@@USER@:x");

  g_assert_nonnull (json_object_get_object_member (rules, "global"));
  g_assert_nonnull (json_object_get_object_member (broken, "global"));
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/push/default-message-notifies", test_default_message_notifies);
  g_test_add_func ("/matrix/push/default-silent-events", test_default_silent_events);
  g_test_add_func ("/matrix/push/default-invite-for-me", test_default_invite_for_me);
  g_test_add_func ("/matrix/push/default-user-mention-highlights", test_default_user_mention_highlights);
  g_test_add_func ("/matrix/push/default-legacy-mentions-on-word-boundaries", test_default_legacy_mentions);
  g_test_add_func ("/matrix/push/default-room-mention-needs-power", test_default_room_mention_needs_power);
  g_test_add_func ("/matrix/push/default-one-to-one", test_default_one_to_one);
  g_test_add_func ("/matrix/push/muted-room-never-notifies", test_muted_room);
  g_test_add_func ("/matrix/push/mentions-only-room", test_mentions_only_room);
  g_test_add_func ("/matrix/push/sender-and-content-rules", test_sender_and_content_rules);
  g_test_add_func ("/matrix/push/master-and-disabled-rules", test_master_and_disabled);
  g_test_add_func ("/matrix/push/malformed-rules-skipped", test_malformed_rules);
  g_test_add_func ("/matrix/push/actions", test_actions);
  g_test_add_func ("/matrix/push/conditions", test_conditions);
  g_test_add_func ("/matrix/push/glob", test_glob);
  g_test_add_func ("/matrix/push/glob-pathological-is-linear", test_glob_pathological);
  g_test_add_func ("/matrix/push/defaults-escape-user-id", test_defaults_escape_user_id);

  return g_test_run ();
}
