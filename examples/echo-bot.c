/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "example-echo-bot"

/* The seed's echo bot: echoes every m.text message from others as an
 * m.notice with the same body, and stops on "!quit". It uses the session that
 * `login` saved; the store writes the sync token to that file with every
 * sync, so a restart carries on where it left off instead of echoing old
 * messages again. examples/echo-bot.py is the same bot in Python.
 *
 * It prints "ready" on standard output once its first sync is done. */

#include <glib-unix.h>
#include <stdio.h>

#include "example-session.h"

typedef struct {
  GMainLoop    *loop;
  MatrixClient *client;
  gboolean      first_sync;
  gboolean      quitting;
  int           status;
} EchoBot;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *event_id = matrix_client_send_event_finish (MATRIX_CLIENT (source), result, &error);

  if (event_id == NULL)
    g_printerr ("Could not echo: %s\n", error->message);
}

static void
on_room_timeline_updates (MatrixClient *client,
                          const char   *room_id,
                          GPtrArray    *events,
                          gboolean      limited,
                          const char   *prev_batch,
                          EchoBot      *bot)
{
  /* The first sync brings the rooms' history: old messages are not echoed. */
  if (bot->first_sync || bot->quitting)
    return;

  for (guint i = 0; i < events->len; i++)
    {
      MatrixEvent *event = g_ptr_array_index (events, i);
      const char *body = matrix_event_get_content_string (event, "body");
      g_autoptr(JsonObject) content = NULL;

      if (MATRIX_IS_STATE_EVENT (event) ||
          g_strcmp0 (matrix_event_get_event_type (event), "m.room.message") != 0 ||
          body == NULL ||
          g_strcmp0 (matrix_event_get_content_string (event, "msgtype"), "m.text") != 0 ||
          g_strcmp0 (matrix_event_get_sender (event), matrix_client_get_user_id (client)) == 0)
        continue;

      if (g_str_equal (body, "!quit"))
        {
          /* Finish this sync, so that its token is saved; then stop. */
          bot->quitting = TRUE;
          return;
        }

      content = json_object_new ();
      json_object_set_string_member (content, "body", body);
      json_object_set_string_member (content, "msgtype", "m.notice");
      matrix_client_send_event_async (client, room_id, "m.room.message", content, NULL, NULL,
                                      on_sent, bot);
    }
}

static void
on_synced (MatrixClient *client,
           const char   *next_batch,
           EchoBot      *bot)
{
  if (bot->first_sync)
    {
      bot->first_sync = FALSE;
      g_print ("ready\n");
      fflush (stdout);
    }

  /* The session file holds this sync's token already: "!quit" is not
   * seen again on the next start. */
  if (bot->quitting)
    {
      matrix_client_stop_sync (client);
      g_main_loop_quit (bot->loop);
    }
}

static void
on_session_ended (MatrixClient *client,
                  gboolean      soft_logout,
                  EchoBot      *bot)
{
  g_printerr ("The server ended the session; log in again with the login example\n");
  bot->status = 1;
  bot->quitting = TRUE;
  g_main_loop_quit (bot->loop);
}

static gboolean
on_interrupt (gpointer user_data)
{
  EchoBot *bot = user_data;

  matrix_client_stop_sync (bot->client);
  g_main_loop_quit (bot->loop);
  return G_SOURCE_REMOVE;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(MatrixStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = example_session_default_path ();
  const char *homeserver;
  EchoBot bot = { 0, };

  store = matrix_memory_store_new_for_file (path, &error);
  if (store == NULL)
    {
      g_printerr ("Could not read the session (%s); run the login example again\n",
                  error->message);
      return 1;
    }

  homeserver = matrix_store_get_value (store, MATRIX_STORE_KEY_HOMESERVER);
  if (homeserver == NULL || matrix_store_get_value (store, MATRIX_STORE_KEY_ACCESS_TOKEN) == NULL)
    {
      g_printerr ("No session in %s; run the login example first\n", path);
      return 1;
    }

  bot.loop = g_main_loop_new (NULL, FALSE);
  bot.client = matrix_client_new (homeserver, store);
  bot.first_sync = matrix_store_get_sync_token (store) == NULL;

  g_signal_connect (bot.client, "room-timeline-updates", G_CALLBACK (on_room_timeline_updates), &bot);
  g_signal_connect (bot.client, "synced", G_CALLBACK (on_synced), &bot);
  g_signal_connect (bot.client, "session-ended", G_CALLBACK (on_session_ended), &bot);
  g_unix_signal_add (SIGINT, on_interrupt, &bot);
  g_unix_signal_add (SIGTERM, on_interrupt, &bot);

  if (!bot.first_sync)
    {
      g_print ("ready\n");
      fflush (stdout);
    }
  matrix_client_start_sync (bot.client);
  g_main_loop_run (bot.loop);

  matrix_client_stop_sync (bot.client);
  g_clear_object (&bot.client);
  g_main_loop_unref (bot.loop);
  return bot.status;
}
