/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "test-integration-echo-bot"

/* The examples as real processes against a real Synapse: `login
 * --password-stdin` writes a session file, `echo-bot` uses it, echoes a
 * peer's message as m.notice and exits on "!quit". */

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/prctl.h>

#include "integration-utils.h"

typedef struct {
  GSubprocess      *process;
  GDataInputStream *stdout_lines;
  GPtrArray        *lines;
  gboolean          eof;
  gboolean          exited;
} Example;

/* The example must not outlive a test that failed halfway. */
static void
die_with_test (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

static GSubprocessLauncher *
launcher_new (GSubprocessFlags  flags,
              const char       *session_path)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_setenv (launcher, "CONFAB_EXAMPLE_SESSION", session_path, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test, NULL, NULL);
  return launcher;
}

static const char *
example_path (const char *variable)
{
  const char *path = g_getenv (variable);

  if (path == NULL)
    g_error ("%s is not set: run this test with meson test", variable);
  return path;
}

static void
read_next_line (Example *example);

static void
on_line (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Example *example = user_data;
  g_autoptr(GError) error = NULL;
  char *line;

  line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL)
    {
      example->eof = TRUE;
      return;
    }

  g_test_message ("echo-bot: %s", line);
  g_ptr_array_add (example->lines, line);
  read_next_line (example);
}

static void
read_next_line (Example *example)
{
  g_data_input_stream_read_line_async (example->stdout_lines, G_PRIORITY_DEFAULT, NULL, on_line,
                                       example);
}

static void
on_exited (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Example *example = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, &error);
  g_assert_no_error (error);
  example->exited = TRUE;
}

static gboolean
has_ready_line (gpointer data)
{
  Example *example = data;

  for (guint i = 0; i < example->lines->len; i++)
    if (g_str_equal (g_ptr_array_index (example->lines, i), "ready"))
      return TRUE;
  return example->exited;
}

/* Runs `login --password-stdin HOMESERVER USER`, which saves the session. */
static void
run_login_example (const char *session_path,
                   const char *user,
                   const char *password)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *output = NULL;

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                           session_path);
  process = g_subprocess_launcher_spawn (launcher, &error, example_path ("CONFAB_LOGIN_EXAMPLE"),
                                         "--password-stdin", synapse_get_url (), user, NULL);
  g_assert_no_error (error);

  g_subprocess_communicate_utf8_async (process, input, NULL, store_result, &result);
  wait_for_pointer ((gpointer *) &result, INTEGRATION_TIMEOUT_MS);
  g_subprocess_communicate_utf8_finish (process, result, &output, NULL, &error);
  g_assert_no_error (error);
  g_test_message ("login: %s", output);

  g_assert_true (g_subprocess_get_if_exited (process));
  g_assert_cmpint (g_subprocess_get_exit_status (process), ==, 0);
  g_assert_true (g_file_test (session_path, G_FILE_TEST_IS_REGULAR));
}

static JsonObject *
load_session (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

static guint
count_messages (JsonArray  *chunk,
                const char *sender,
                const char *msgtype)
{
  guint n = 0;

  for (guint i = 0; i < json_array_get_length (chunk); i++)
    {
      JsonObject *event = json_array_get_object_element (chunk, i);
      JsonObject *content = json_object_get_object_member (event, "content");

      if (g_str_equal (json_object_get_string_member (event, "type"), "m.room.message") &&
          g_str_equal (json_object_get_string_member (event, "sender"), sender) &&
          json_object_has_member (content, "msgtype") &&
          g_str_equal (json_object_get_string_member (content, "msgtype"), msgtype))
        n++;
    }
  return n;
}

static void
test_echo_bot_echoes_and_quits (void)
{
  g_autofree char *dir = NULL;
  g_autofree char *session_path = NULL;
  g_autofree char *bot_user = synapse_unique_user ("bot");
  g_autofree char *room_id = NULL;
  g_autoptr(Peer) peer = peer_new ("human");
  g_autoptr(Peer) as_bot = NULL;
  g_autoptr(JsonObject) session = NULL;
  g_autoptr(JsonObject) saved = NULL;
  g_autoptr(JsonObject) echo = NULL;
  g_autoptr(JsonArray) chunk = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *old_id = NULL;
  g_autofree char *hello_id = NULL;
  const char *bot_id;
  Example example = { 0, };

  dir = g_dir_make_tmp ("confab-echo-bot-XXXXXX", &error);
  g_assert_no_error (error);
  session_path = g_build_filename (dir, "session.json", NULL);

  synapse_register_user (bot_user, "bot-password");
  run_login_example (session_path, bot_user, "bot-password");
  session = load_session (session_path);
  bot_id = json_object_get_string_member (session, MATRIX_STORE_KEY_USER_ID);
  g_assert_cmpstr (json_object_get_string_member (session, MATRIX_STORE_KEY_HOMESERVER), ==,
                   synapse_get_url ());
  g_assert_false (json_object_has_member (session, MATRIX_STORE_KEY_SYNC_TOKEN));

  /* The bot joins with its own saved token; the peer's message from before the
   * bot started is history, not to be echoed. */
  room_id = peer_create_room (peer, "Echo room");
  peer_invite (peer, room_id, bot_id);
  as_bot = peer_new_with_token (json_object_get_string_member (session, MATRIX_STORE_KEY_ACCESS_TOKEN));
  peer_join (as_bot, room_id);
  old_id = peer_send_text (peer, room_id, "Before the bot started");

  launcher = launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, session_path);
  example.process = g_subprocess_launcher_spawn (launcher, &error,
                                                 example_path ("CONFAB_ECHO_BOT_EXAMPLE"), NULL);
  g_assert_no_error (error);
  example.lines = g_ptr_array_new_with_free_func (g_free);
  example.stdout_lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (example.process));
  read_next_line (&example);
  g_subprocess_wait_async (example.process, NULL, on_exited, &example);

  if (!test_iterate_until (has_ready_line, &example, INTEGRATION_TIMEOUT_MS))
    g_error ("The echo bot did not print \"ready\"");
  g_assert_false (example.exited);

  peer_mark_sync_position (peer);
  hello_id = peer_send_text (peer, room_id, "Hello, bot");
  echo = peer_wait_for_event (peer, room_id, "m.room.message", "m.notice", "Hello, bot", bot_id,
                              INTEGRATION_TIMEOUT_MS);
  g_assert_cmpstr (json_object_get_string_member (echo, "sender"), ==, bot_id);

  g_free (peer_send_text (peer, room_id, "!quit"));
  wait_for_flag (&example.exited, INTEGRATION_TIMEOUT_MS);
  g_assert_true (g_subprocess_get_if_exited (example.process));
  g_assert_cmpint (g_subprocess_get_exit_status (example.process), ==, 0);
  wait_for_flag (&example.eof, INTEGRATION_TIMEOUT_MS);
  g_assert_cmpuint (example.lines->len, ==, 1);

  /* One echo, of the one message sent while it ran: neither the history nor
   * "!quit" were echoed. */
  chunk = peer_get_messages (peer, room_id, 50);
  g_assert_cmpuint (count_messages (chunk, bot_id, "m.notice"), ==, 1);
  g_assert_cmpuint (count_messages (chunk, bot_id, "m.text"), ==, 0);

  /* It saved where it stopped, for the next start. */
  saved = load_session (session_path);
  g_assert_true (json_object_has_member (saved, MATRIX_STORE_KEY_SYNC_TOKEN));

  g_object_unref (example.stdout_lines);
  g_object_unref (example.process);
  g_ptr_array_unref (example.lines);
  g_assert_cmpint (g_remove (session_path), ==, 0);
  g_assert_cmpint (g_rmdir (dir), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/integration/examples/echo-bot/echoes-and-quits", test_echo_bot_echoes_and_quits);

  return g_test_run ();
}
