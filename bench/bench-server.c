/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "bench-server"

#include <errno.h>
#include <glib-unix.h>
#include <libsoup/soup.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-server.h"

static void
on_request (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  static const char empty_page[] = "{\"chunk\":[],\"start\":\"bench\"}";
  GBytes *body = user_data;

  if (g_str_has_prefix (path, "/_matrix/client/v3/rooms/") && g_str_has_suffix (path, "/messages"))
    {
      /* No older history: an empty page without `end`. */
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        empty_page, strlen (empty_page));
      return;
    }

  if (g_strcmp0 (path, "/_matrix/client/v3/sync") != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                        "{\"errcode\":\"M_UNRECOGNIZED\"}", 27);
      return;
    }

  if (query != NULL && g_hash_table_contains (query, "since"))
    {
      /* The next long-poll: hold it until the client goes away. */
      soup_server_message_pause (msg);
      return;
    }

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC,
                                    g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static gboolean
on_lifeline (int          fd,
             GIOCondition condition,
             gpointer     user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
serve (const char *file,
       int         port_fd,
       int         lifeline_fd)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoslist(GUri) uris = NULL;
  g_autofree char *port = NULL;

  mapped = g_mapped_file_new (file, FALSE, &error);
  if (mapped == NULL)
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }
  body = g_mapped_file_get_bytes (mapped);

  server = soup_server_new ("server-header", "bench-server", NULL);
  soup_server_add_handler (server, NULL, on_request, body, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("%s\n", error->message);
      return 1;
    }

  uris = soup_server_get_uris (server);
  port = g_strdup_printf ("%d\n", g_uri_get_port (uris->data));
  if (write (port_fd, port, strlen (port)) < 0)
    return 1;
  close (port_fd);

  g_unix_fd_add (lifeline_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_lifeline, loop);
  g_main_loop_run (loop);

  return 0;
}

int
bench_server_fork (const char *file,
                   pid_t      *child,
                   int        *lifeline)
{
  int port_pipe[2], lifeline_pipe[2];
  char port_text[16] = { 0, };
  ssize_t n;

  if (pipe (port_pipe) != 0 || pipe (lifeline_pipe) != 0)
    return 0;

  *child = fork ();
  if (*child < 0)
    return 0;
  if (*child == 0)
    {
      close (port_pipe[0]);
      close (lifeline_pipe[1]);
      _exit (serve (file, port_pipe[1], lifeline_pipe[0]));
    }
  close (port_pipe[1]);
  close (lifeline_pipe[0]);
  *lifeline = lifeline_pipe[1];

  do
    n = read (port_pipe[0], port_text, sizeof port_text - 1);
  while (n < 0 && errno == EINTR);
  close (port_pipe[0]);

  return n > 0 ? atoi (port_text) : 0;
}

void
bench_server_stop (pid_t child,
                   int   lifeline)
{
  close (lifeline);
  waitpid (child, NULL, 0);
}
