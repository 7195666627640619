/* bench-soup-resend.c: libsoup's own resend of a dropped GET, without Till
 *
 * Sends GETs to URL, LANES at a time, until COUNT have ended, and prints
 * "answered N, failed N". With --new-connection each GET asks for a
 * connection of its own (SOUP_MESSAGE_NEW_CONNECTION), as Till and
 * till-server do; without it GETs share kept-alive connections, and
 * libsoup 3.2 sends a GET again by itself when its connection drops. Run
 * by tests/bench/bench-soup-resend, which counts how often this program
 * crashes either way.
 *
 *   bench-soup-resend URL COUNT LANES [--new-connection]
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <libsoup/soup.h>

typedef struct
{
  SoupSession *session;
  GMainLoop   *loop;
  const char  *url;
  gboolean     new_connection;
  guint        left;
  guint        in_flight;
  guint        answered;
  guint        failed;
} Run;

static void send_next (Run *run);

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);

  if (body != NULL)
    run->answered++;
  else
    run->failed++;
  run->in_flight--;
  send_next (run);
  if (run->left == 0 && run->in_flight == 0)
    g_main_loop_quit (run->loop);
}

static void
send_next (Run *run)
{
  g_autoptr(SoupMessage) msg = NULL;

  if (run->left == 0)
    return;
  run->left--;
  run->in_flight++;
  msg = soup_message_new ("GET", run->url);
  if (run->new_connection)
    soup_message_add_flags (msg, SOUP_MESSAGE_NEW_CONNECTION);
  soup_session_send_and_read_async (run->session, msg, G_PRIORITY_DEFAULT, NULL, sent_cb, run);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(SoupMessage) probe = NULL;
  Run run = { 0 };
  guint lanes;

  if (argc < 4 || argc > 5 || (argc == 5 && strcmp (argv[4], "--new-connection") != 0))
    {
      g_printerr ("usage: %s URL COUNT LANES [--new-connection]\n", argv[0]);
      return 2;
    }
  run.url = argv[1];
  run.left = (guint) strtoul (argv[2], NULL, 10);
  lanes = (guint) strtoul (argv[3], NULL, 10);
  run.new_connection = argc == 5;
  probe = soup_message_new ("GET", run.url);
  if (probe == NULL || run.left == 0 || lanes == 0)
    {
      g_printerr ("%s: a valid http URL, COUNT and LANES of at least 1\n", argv[0]);
      return 2;
    }
  run.session = soup_session_new_with_options ("timeout", 30, NULL);
  run.loop = g_main_loop_new (NULL, FALSE);
  for (guint i = 0; i < lanes; i++)
    send_next (&run);
  g_main_loop_run (run.loop);
  g_print ("answered %u, failed %u\n", run.answered, run.failed);
  g_main_loop_unref (run.loop);
  g_object_unref (run.session);
  return 0;
}
