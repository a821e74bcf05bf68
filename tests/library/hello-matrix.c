/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A program outside the tree, built by test-install against the installed
 * library alone: `cc hello-matrix.c $(pkg-config --cflags --libs matrix-glib-0)`.
 * It uses only the public API, and says what it saw. */

#include <matrix.h>

#if !MATRIX_CHECK_VERSION (0, 0, 1)
#error "MATRIX_CHECK_VERSION says the library is older than 0.0.1"
#endif
#if MATRIX_CHECK_VERSION (999, 0, 0)
#error "MATRIX_CHECK_VERSION says the library is 999 or newer"
#endif

int
main (void)
{
  g_autoptr(MatrixStore) store = matrix_memory_store_new ();
  g_autoptr(MatrixClient) client = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(MatrixEvent) event = NULL;
  g_autoptr(GError) error = NULL;

  if (matrix_get_major_version () != MATRIX_MAJOR_VERSION ||
      matrix_get_minor_version () != MATRIX_MINOR_VERSION ||
      matrix_get_micro_version () != MATRIX_MICRO_VERSION)
    {
      g_printerr ("compiled against %s, running %u.%u.%u\n", MATRIX_VERSION_S,
                  matrix_get_major_version (), matrix_get_minor_version (),
                  matrix_get_micro_version ());
      return 1;
    }

  client = matrix_client_new ("https://matrix.example.org/", store);
  matrix_client_set_user_agent (client, "hello-matrix/1.0");

  json_parser_load_from_data (parser,
                              "{\"type\": \"m.room.message\", \"sender\": \"@alice:example.org\","
                              " \"event_id\": \"$1\", \"origin_server_ts\": 1,"
                              " \"content\": {\"msgtype\": \"m.text\", \"body\": \"hi\"}}",
                              -1, &error);
  if (error == NULL)
    event = matrix_event_new_from_json ("!room:example.org",
                                        json_node_get_object (json_parser_get_root (parser)),
                                        &error);
  if (event == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  g_print ("version %s\n", MATRIX_VERSION_S);
  g_print ("homeserver %s\n", matrix_client_get_homeserver (client));
  g_print ("user-agent %s\n", matrix_client_get_user_agent (client));
  g_print ("body %s\n", matrix_event_get_content_string (event, "body"));
  return 0;
}
