/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-matrix-event"

#include "matrix-error.h"
#include "matrix-event-private.h"
#include "matrix-json-private.h"
#include "test-utils.h"

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static MatrixEvent *
event_from (const char  *room_id,
            const char  *json,
            GError     **error)
{
  g_autoptr(JsonObject) object = parse_object (json);

  return matrix_event_new_from_json (room_id, object, error);
}

#define MESSAGE \
  "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\"," \
  " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}, \"event_id\": \"$e1\"," \
  " \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 10, \"transaction_id\": \"t1\"}}"

static void
test_from_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) event = event_from ("!r:x", MESSAGE, &error);

  g_assert_no_error (error);
  g_assert_false (MATRIX_IS_STATE_EVENT (event));
  g_assert_false (matrix_event_is_state (event));
  g_assert_cmpstr (matrix_event_get_room_id (event), ==, "!r:x");
  g_assert_cmpstr (matrix_event_get_event_type (event), ==, "m.room.message");
  g_assert_cmpstr (matrix_event_get_sender (event), ==, "@alice:example.org");
  g_assert_cmpstr (matrix_event_get_event_id (event), ==, "$e1");
  g_assert_cmpint (matrix_event_get_origin_server_ts (event), ==, 1234567890123);
  g_assert_cmpstr (matrix_event_get_content_string (event, "body"), ==, "hi");
  g_assert_null (matrix_event_get_content_string (event, "missing"));
  g_assert_cmpstr (matrix_event_get_transaction_id (event), ==, "t1");
  g_assert_cmpint (json_object_get_int_member (matrix_event_get_unsigned (event), "age"), ==, 10);
}

/* unsigned.prev_content is read as carefully as the content. */
static void
test_prev_content (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) renamed = event_from ("!r:x",
    "{\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
    " \"content\": {\"membership\": \"join\", \"displayname\": \"Robert\"}, \"event_id\": \"$m\","
    " \"origin_server_ts\": 1, \"unsigned\": {\"prev_content\": {\"membership\": \"join\","
    " \"displayname\": \"Bob\", \"avatar_url\": 7}}}", &error);
  g_autoptr(MatrixEvent) odd = event_from ("!r:x",
    "{\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
    " \"content\": {\"membership\": \"leave\"}, \"event_id\": \"$n\","
    " \"origin_server_ts\": 1, \"unsigned\": {\"prev_content\": \"Bob\"}}", &error);
  g_autoptr(MatrixEvent) message = event_from ("!r:x", MESSAGE, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (matrix_event_get_prev_content_string (renamed, "displayname"), ==, "Bob");
  g_assert_cmpstr (matrix_event_get_prev_content_string (renamed, "membership"), ==, "join");
  g_assert_null (matrix_event_get_prev_content_string (renamed, "avatar_url"));
  g_assert_null (matrix_event_get_prev_content_string (odd, "displayname"));
  g_assert_null (matrix_event_get_prev_content_string (message, "body"));
}

static void
test_state_key_makes_state_event (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) event = event_from ("!r:x",
    "{\"type\": \"m.room.member\", \"state_key\": \"@bob:x\", \"sender\": \"@bob:x\","
    " \"content\": {\"membership\": \"join\"}, \"event_id\": \"$m\", \"origin_server_ts\": 5}",
    &error);

  g_assert_no_error (error);
  g_assert_true (MATRIX_IS_STATE_EVENT (event));
  g_assert_cmpstr (matrix_state_event_get_state_key (MATRIX_STATE_EVENT (event)), ==, "@bob:x");
  g_assert_null (matrix_event_get_unsigned (event));
}

static void
test_state_event_requires_state_key (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = parse_object (MESSAGE);
  g_autoptr(MatrixStateEvent) event = matrix_state_event_new_from_json ("!r:x", object, &error);

  g_assert_null (event);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_assert_nonnull (strstr (error->message, "state_key"));
}

static void
test_invalid (void)
{
  /* Each required member missing, and each of the wrong type. */
  static const char *cases[] = {
    "{\"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\"}",
    "{\"type\": 1, \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": null, \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": [], \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": 7, \"origin_server_ts\": 1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": \"1\"}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1.5}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": -1}",
    "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1, \"unsigned\": 3}",
    "{\"type\": \"m\", \"state_key\": 3, \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
    "{\"room_id\": \"!other:x\", \"type\": \"m\", \"sender\": \"@a:x\", \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MatrixEvent) event = event_from ("!r:x", cases[i], &error);

      g_test_message ("case %u: %s", i, cases[i]);
      g_assert_null (event);
      g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
    }
}

static void
test_room_id_from_json (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MatrixEvent) event = NULL;

  event = event_from (NULL, "{\"type\": \"m\", \"sender\": \"@a:x\", \"content\": {},"
                            " \"event_id\": \"$e\", \"origin_server_ts\": 1}", &error);
  g_assert_null (event);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_RESPONSE);
  g_clear_error (&error);

  event = event_from (NULL, "{\"room_id\": \"!r:x\", \"type\": \"m\", \"sender\": \"@a:x\","
                            " \"content\": {}, \"event_id\": \"$e\", \"origin_server_ts\": 1}", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (matrix_event_get_room_id (event), ==, "!r:x");
}

static void
test_equal (void)
{
  g_autoptr(MatrixEvent) a = event_from ("!r:x", MESSAGE, NULL);
  g_autoptr(MatrixEvent) b = event_from ("!r:x", MESSAGE, NULL);
  g_autoptr(MatrixEvent) other_room = event_from ("!s:x", MESSAGE, NULL);
  g_autoptr(MatrixEvent) other_content = event_from ("!r:x",
    "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"HI\"}, \"event_id\": \"$e1\","
    " \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 10, \"transaction_id\": \"t1\"}}", NULL);
  g_autoptr(MatrixEvent) other_unsigned = event_from ("!r:x",
    "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}, \"event_id\": \"$e1\","
    " \"origin_server_ts\": 1234567890123}", NULL);
  g_autoptr(MatrixEvent) as_state = event_from ("!r:x",
    "{\"type\": \"m.room.message\", \"state_key\": \"\", \"sender\": \"@alice:example.org\","
    " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}, \"event_id\": \"$e1\","
    " \"origin_server_ts\": 1234567890123, \"unsigned\": {\"age\": 10, \"transaction_id\": \"t1\"}}", NULL);

  g_assert_true (matrix_event_equal (a, b));
  g_assert_false (matrix_event_equal (a, other_room));
  g_assert_false (matrix_event_equal (a, other_content));
  g_assert_false (matrix_event_equal (a, other_unsigned));
  g_assert_false (matrix_event_equal (a, as_state));
  g_assert_false (matrix_event_equal (a, NULL));
}

static void
test_to_json_round_trip (void)
{
  static const char *cases[] = {
    MESSAGE,
    "{\"type\": \"m.room.name\", \"state_key\": \"\", \"sender\": \"@a:x\","
    " \"content\": {\"name\": \"N\\u00e4me \\\"q\\\"\", \"n\": [1, {\"x\": null}]},"
    " \"event_id\": \"$s\", \"origin_server_ts\": 9007199254740993}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MatrixEvent) event = event_from ("!r:x", cases[i], NULL);
      g_autoptr(JsonNode) node = matrix_event_to_json (event);
      g_autoptr(MatrixEvent) again = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "room_id"), ==,
                       "!r:x");
      again = matrix_event_new_from_json (NULL, json_node_get_object (node), &error);
      g_assert_no_error (error);
      g_assert_true (matrix_event_equal (event, again));
    }
}

/* matrix_event_to_string() writes JSON by hand: it must read back as the
 * same event and say what JsonGenerator would have said, escapes included. */
static void
test_to_string_round_trip (void)
{
  static const char *cases[] = {
    MESSAGE,
    ("{\"type\": \"m.room.message\", \"sender\": \"@a:x\", \"event_id\": \"$e\","
    " \"origin_server_ts\": 1, \"unsigned\": {\"age\": -5, \"transaction_id\": \"t\\\\1\"},"
    " \"content\": {\"body\": \"q\\\" b\\\\ nl\\n tab\\t cr\\r bell\\u0007 del\\u007f \\u00e9\\u2603 \\ud83d\\ude00 </\","
    " \"f\": 1.5, \"whole\": 2.0, \"big\": 1e300, \"yes\": true, \"no\": false,"
    " \"nothing\": null, \"empty\": {}, \"list\": [], \"nested\": [[1, -2], {\"k\": [\"v\"]}]}}"),
    ("{\"type\": \"m.room.member\", \"state_key\": \"@b:x\", \"sender\": \"@b:x\","
     " \"content\": {\"membership\": \"join\"}, \"event_id\": \"$m\", \"origin_server_ts\": 0}"),
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(MatrixEvent) event = event_from ("!r:x", cases[i], NULL);
      g_autofree char *text = matrix_event_to_string (event);
      g_autoptr(JsonNode) expected = matrix_event_to_json (event);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(MatrixEvent) again = NULL;
      g_autoptr(GError) error = NULL;

      json_parser_load_from_data (parser, text, -1, &error);
      g_assert_no_error (error);
      g_assert_true (json_node_equal (json_parser_get_root (parser), expected));

      again = matrix_event_new_from_json (NULL, json_node_get_object (json_parser_get_root (parser)),
                                          &error);
      g_assert_no_error (error);
      g_assert_true (matrix_event_equal (event, again));
    }
}

static void
test_to_string_escapes (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"s\": \"a\\\"b\\\\c\\u0001\\n\\u00e9\","
                                               " \"d\": 2.0, \"i\": -3, \"n\": null,"
                                               " \"a\": [true, false]}", NULL);
  g_autofree char *text = _matrix_json_to_string (node);

  g_assert_cmpstr (text, ==,
                   "{\"s\":\"a\\\"b\\\\c\\u0001\\n\u00e9\",\"d\":2.0,\"i\":-3,\"n\":null,"
                   "\"a\":[true,false]}");
}

/* Integers are written without printf(): the extremes, zero and signs. Every
 * ASCII character but NUL, and a non-ASCII one, reads back as it was. */
static void
test_to_string_numbers_and_controls (void)
{
  g_autoptr(JsonNode) node = json_from_string ("{\"min\": -9223372036854775808,"
                                               " \"max\": 9223372036854775807,"
                                               " \"zero\": 0, \"neg\": -10, \"ten\": 10}", NULL);
  g_autofree char *text = _matrix_json_to_string (node);
  g_autoptr(GString) characters = g_string_new (NULL);
  g_autoptr(GString) written = g_string_new (NULL);
  g_autoptr(JsonNode) read_back = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (text, ==, "{\"min\":-9223372036854775808,\"max\":9223372036854775807,"
                             "\"zero\":0,\"neg\":-10,\"ten\":10}");

  for (int c = 1; c < 0x80; c++)
    g_string_append_c (characters, (char) c);
  g_string_append (characters, "\u00e9 end");
  _matrix_json_append_string (written, characters->str);
  g_assert_true (g_str_has_prefix (written->str, "\"\\u0001\\u0002"));
  g_assert_nonnull (strstr (written->str, "\\u001f !\\\"#"));
  read_back = json_from_string (written->str, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_node_get_string (read_back), ==, characters->str);
}

/* The nesting limit counts brackets outside strings only: brackets, quotes
 * and backslashes inside strings must not move it. */
static void
test_json_nesting_ignores_strings (void)
{
  g_autoptr(GString) text = g_string_new ("{\"s\": \"");
  g_autoptr(GString) deep = g_string_new ("{\"s\": \"\\\\\", \"a\": ");
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 1000; i++)
    g_string_append (text, "[{");
  g_string_append (text, "\\\"[\\\\\", \"t\": [[\"\\\"]]\"]]}");
  object = _matrix_json_parse_object (text->str, text->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (object);

  /* An escaped backslash ends the string: the brackets after it count. */
  for (guint i = 0; i < 300; i++)
    g_string_append_c (deep, '[');
  for (guint i = 0; i < 300; i++)
    g_string_append_c (deep, ']');
  g_string_append_c (deep, '}');
  g_clear_pointer (&object, json_object_unref);
  object = _matrix_json_parse_object (deep->str, deep->len, &error);
  g_assert_error (error, MATRIX_ERROR, MATRIX_ERROR_INVALID_JSON);
  g_assert_null (object);
}

static void
test_redaction (void)
{
  g_autoptr(MatrixEvent) old_form = event_from ("!r:x",
    "{\"type\": \"m.room.redaction\", \"sender\": \"@a:x\", \"event_id\": \"$r1\","
    " \"origin_server_ts\": 5, \"content\": {\"reason\": \"spam\"}, \"redacts\": \"$t1\"}", NULL);
  g_autoptr(MatrixEvent) v11_form = event_from ("!r:x",
    "{\"type\": \"m.room.redaction\", \"sender\": \"@a:x\", \"event_id\": \"$r2\","
    " \"origin_server_ts\": 5, \"content\": {\"redacts\": \"$t2\"}}", NULL);
  g_autoptr(MatrixEvent) member = event_from ("!r:x",
    "{\"type\": \"m.room.member\", \"state_key\": \"@b:x\", \"sender\": \"@b:x\", \"event_id\": \"$t1\","
    " \"origin_server_ts\": 4, \"content\": {\"membership\": \"join\", \"displayname\": \"Rude name\"}}", NULL);
  g_autoptr(MatrixEvent) redacted = NULL;
  g_autoptr(MatrixEvent) again = NULL;
  g_autofree char *text = NULL;
  g_autoptr(JsonObject) object = NULL;
  JsonObject *because;

  /* Where the target stands in either room version. */
  g_assert_cmpstr (matrix_event_get_redacts (old_form), ==, "$t1");
  g_assert_cmpstr (matrix_event_get_redacts (v11_form), ==, "$t2");
  g_assert_null (matrix_event_get_redacts (member));

  /* The top-level member survives the store's text. */
  text = matrix_event_to_string (old_form);
  object = _matrix_json_parse_object (text, strlen (text), NULL);
  again = matrix_event_new_from_json (NULL, object, NULL);
  g_assert_true (matrix_event_equal (old_form, again));
  g_assert_cmpstr (matrix_event_get_redacts (again), ==, "$t1");

  /* A redacted member event keeps its membership only, and says why. */
  redacted = _matrix_event_new_redacted (member, old_form);
  g_assert_true (MATRIX_IS_STATE_EVENT (redacted));
  g_assert_true (matrix_event_is_redacted (redacted));
  g_assert_false (matrix_event_is_redacted (member));
  g_assert_cmpstr (matrix_event_get_event_id (redacted), ==, "$t1");
  g_assert_cmpstr (matrix_event_get_content_string (redacted, "membership"), ==, "join");
  g_assert_null (matrix_event_get_content_string (redacted, "displayname"));
  because = json_object_get_object_member (matrix_event_get_unsigned (redacted), "redacted_because");
  g_assert_cmpstr (json_object_get_string_member (because, "event_id"), ==, "$r1");
}

/* Reading an event's text as it goes builds what parsing it whole and
 * calling the constructors builds, and fails with the same errors. */
static void
test_read_agrees (void)
{
  static const char * const texts[] = {
    "{\"type\": \"m.room.message\", \"sender\": \"@a:x\", \"event_id\": \"$1\", "
    "\"origin_server_ts\": 5, \"content\": {\"body\": \"hi\", \"n\": [1, {\"a\": null}]}, "
    "\"unsigned\": {\"age\": 3}, \"extra\": {\"ignored\": [true]}}",
    "{\"type\": \"m.room.member\", \"state_key\": \"@a:x\", \"sender\": \"@a:x\", \"event_id\": \"$2\", "
    "\"origin_server_ts\": 0, \"content\": {\"membership\": \"join\"}}",
    /* A repeated member counts with its last value. */
    "{\"type\": \"x\", \"type\": \"m.room.name\", \"state_key\": 1, \"state_key\": \"\", "
    "\"sender\": \"@a:x\", \"event_id\": \"$3\", \"origin_server_ts\": 1, \"content\": 1, "
    "\"content\": {\"name\": \"N\"}}",
    "{\"type\": \"m.room.message\", \"sender\": \"@a:x\", \"event_id\": \"$4\", "
    "\"origin_server_ts\": 1, \"content\": {}, \"content\": []}",
    /* null: absent when optional, missing when required. */
    "{\"type\": \"m.room.message\", \"state_key\": null, \"sender\": \"@a:x\", \"event_id\": \"$5\", "
    "\"origin_server_ts\": 1, \"content\": {}, \"unsigned\": null}",
    "{\"type\": null, \"sender\": \"@a:x\", \"event_id\": \"$6\", \"origin_server_ts\": 1, \"content\": {}}",
    "{\"type\": \"m.room.redaction\", \"redacts\": \"$1\", \"sender\": \"@a:x\", \"event_id\": \"$7\", "
    "\"origin_server_ts\": 1, \"content\": {}}",
    "{\"type\": \"m.room.redaction\", \"redacts\": 7, \"sender\": \"@a:x\", \"event_id\": \"$8\", "
    "\"origin_server_ts\": 1, \"content\": {}}",
    "{\"type\": \"m.room.message\", \"room_id\": \"!other:x\", \"sender\": \"@a:x\", \"event_id\": \"$9\", "
    "\"origin_server_ts\": 1, \"content\": {}}",
    "{\"type\": \"m.room.message\", \"sender\": \"@a:x\", \"event_id\": \"$10\", "
    "\"origin_server_ts\": -1, \"content\": {}}",
    "{\"type\": \"m.room.message\", \"sender\": \"@a:x\", \"event_id\": \"$11\", "
    "\"origin_server_ts\": 1.5, \"content\": {}}",
    /* Names that are not members, beside those that are. */
    "{\"s\": 1, \"r\": 2, \"room\": 3, \"contents\": 4, \"\": 5, \"type\": \"m.room.message\", "
    "\"senders\": 6, \"sender\": \"@a:x\", \"event_id\": \"$12\", \"origin_server_ts\": 1, "
    "\"content\": {}, \"redacts\": 7, \"state_keys\": 8}",
    "{}",
    /* Not JSON: that error comes first, whatever the event would be. */
    "{\"type\": 1, \"content\": {}} x",
    "{\"type\": \"m.room.message\", \"content\": {\"body\": \"\\x\"}}",
    "[]",
    "",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    for (guint with_room = 0; with_room < 2; with_room++)
      {
        const char *room_id = with_room ? "!room:x" : NULL;
        g_autoptr(GError) parse_error = NULL;
        g_autoptr(GError) expected_error = NULL;
        g_autoptr(GError) error = NULL;
        g_autoptr(JsonObject) object = _matrix_json_parse_object (texts[i], -1, &parse_error);
        g_autoptr(MatrixEvent) expected = NULL;
        g_autoptr(MatrixEvent) event = _matrix_event_new_from_text (texts[i], -1, room_id, &error);

        g_test_message ("%s (room %s)", texts[i], room_id);
        if (object == NULL)
          expected_error = g_steal_pointer (&parse_error);
        else
          expected = matrix_event_new_from_json (room_id, object, &expected_error);

        if (expected == NULL)
          {
            g_assert_null (event);
            g_assert_nonnull (error);
            g_assert_true (error->domain == expected_error->domain);
            g_assert_cmpint (error->code, ==, expected_error->code);
            g_assert_cmpstr (error->message, ==, expected_error->message);
            continue;
          }
        g_assert_no_error (error);
        g_assert_true (G_OBJECT_TYPE (event) == G_OBJECT_TYPE (expected));
        g_assert_true (matrix_event_equal (event, expected));
        g_assert_cmpstr (matrix_event_get_room_id (event), ==, matrix_event_get_room_id (expected));
      }
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/matrix/event/from-json", test_from_json);
  g_test_add_func ("/matrix/event/prev-content", test_prev_content);
  g_test_add_func ("/matrix/event/state-key-makes-state-event", test_state_key_makes_state_event);
  g_test_add_func ("/matrix/event/state-event-requires-state-key", test_state_event_requires_state_key);
  g_test_add_func ("/matrix/event/invalid-is-error", test_invalid);
  g_test_add_func ("/matrix/event/room-id-from-json", test_room_id_from_json);
  g_test_add_func ("/matrix/event/equal", test_equal);
  g_test_add_func ("/matrix/event/read-from-text-agrees", test_read_agrees);
  g_test_add_func ("/matrix/event/redaction", test_redaction);
  g_test_add_func ("/matrix/event/to-json-round-trip", test_to_json_round_trip);
  g_test_add_func ("/matrix/event/to-string-round-trip", test_to_string_round_trip);
  g_test_add_func ("/matrix/event/to-string-escapes", test_to_string_escapes);
  g_test_add_func ("/matrix/event/to-string-numbers-and-controls",
                   test_to_string_numbers_and_controls);
  g_test_add_func ("/matrix/json/nesting-ignores-strings", test_json_nesting_ignores_strings);

  return g_test_run ();
}
