/* bench-floor.c: the floor Till's start-up and memory are compared with
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 *   bench-floor --stripe-js URL [--ready-file PATH]
 *   bench-floor --serve --stripe-js URL [--ready-file PATH]
 *
 * The first form is a bare GtkWindow with one WebKitWebView, created before
 * the window is shown, showing the card page Till shows: the same HTML, CSS
 * and JS from the same GResource, assembled as src/ui/till-card-view.c does,
 * loaded with webkit_web_view_load_html() and an http://127.0.0.1 base URI,
 * window.tillConfig from a user script and bridge.js in the isolated world
 * "till-bridge", whose "till" message handler hears the page's ready
 * message. Nothing else: no libadwaita, no sign-in, no second page. What
 * Till costs beyond this is Till's own.
 *
 * The second form serves the same page, with tillConfig in a script element
 * and a listener that reports the ready message back, at
 * http://127.0.0.1:PORT/till/card for a Chromium kiosk window; it prints
 * that URL and runs until it is killed.
 *
 * On the ready message either form writes the CLOCK_MONOTONIC time in µs
 * (g_get_monotonic_time()) to --ready-file, for tests/bench/bench-launch.
 */
#include "config.h"

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <webkit/webkit.h>

#include "till-card-page.h"

#define PUBLISHABLE_KEY "pk_test_harness"

static const char *stripe_js_url;
static const char *ready_file;
static gboolean ready_written;

static char *
build_config_script (void)
{
  return till_card_page_build_config (stripe_js_url, PUBLISHABLE_KEY, "payment_intents");
}

static void
write_ready (void)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT "\n", g_get_monotonic_time ());

  if (ready_written)
    return;
  ready_written = TRUE;
  g_print ("ready\n");
  if (ready_file != NULL)
    g_file_set_contents (ready_file, text, -1, NULL);
}

static gboolean
script_message_cb (WebKitUserContentManager *manager,
                   JSCValue                 *value,
                   WebKitScriptMessageReply *reply,
                   gpointer                  data)
{
  g_autofree char *json = jsc_value_to_string (value);
  g_autoptr(JSCValue) answer = jsc_value_new_boolean (jsc_value_get_context (value), TRUE);

  webkit_script_message_reply_return_value (reply, answer);
  if (strstr (json, "\"type\":\"ready\"") != NULL)
    write_ready ();
  return TRUE;
}

static void
show_window (GtkApplication *app)
{
  g_autoptr(WebKitUserContentManager) content = webkit_user_content_manager_new ();
  g_autoptr(WebKitNetworkSession) session = webkit_network_session_new_ephemeral ();
  g_autoptr(WebKitUserScript) bridge_script = NULL;
  g_autoptr(WebKitUserScript) config_script = NULL;
  g_autofree char *bridge = till_card_page_read ("bridge.js");
  g_autofree char *config = build_config_script ();
  g_autofree char *html = till_card_page_build_html ();
  GtkWidget *window = gtk_application_window_new (app);
  WebKitWebView *view;

  webkit_user_content_manager_register_script_message_handler_with_reply (content, "till", "till-bridge");
  g_signal_connect (content, "script-message-with-reply-received::till", G_CALLBACK (script_message_cb), NULL);
  bridge_script = webkit_user_script_new_for_world (bridge, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                                    WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START,
                                                    "till-bridge", NULL, NULL);
  config_script = webkit_user_script_new (config, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                          WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, NULL, NULL);
  webkit_user_content_manager_add_script (content, bridge_script);
  webkit_user_content_manager_add_script (content, config_script);

  view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                       "network-session", session,
                       "user-content-manager", content,
                       NULL);
  webkit_web_view_load_html (view, html, "http://127.0.0.1/till/card");

  gtk_window_set_title (GTK_WINDOW (window), "Till floor");
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 700);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));
}

/* The page for Chromium: tillConfig in a script element, and a listener in
 * place of bridge.js that reports the ready message to this server. */
static void
serve_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           data)
{
  if (g_str_equal (path, "/till/card"))
    {
      g_autofree char *config = build_config_script ();
      g_autoptr(GString) html = g_string_new (till_card_page_build_html ());
      g_autofree char *head = g_strdup_printf (
        "<head>\n<script>%s\n"
        "window.addEventListener('message', (e) => {"
        " if (typeof e.data === 'string' && e.data.startsWith('till:') && e.data.includes('\"type\":\"ready\"'))"
        " fetch('/ready', { method: 'POST' }); });</script>", config);

      g_string_replace (html, "<head>", head, 1);
      soup_server_message_set_response (msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, html->str, html->len);
      soup_server_message_set_status (msg, 200, NULL);
    }
  else if (g_str_equal (path, "/ready"))
    {
      write_ready ();
      ready_written = FALSE;   /* each Chromium run reports once */
      soup_server_message_set_status (msg, 204, NULL);
    }
  else
    soup_server_message_set_status (msg, 404, NULL);
}

static int
serve (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  GSList *uris;

  soup_server_add_handler (server, NULL, serve_cb, NULL, NULL);
  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("bench-floor: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  {
    g_autofree char *base = g_uri_to_string (uris->data);

    g_print ("%still/card\n", base);
  }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  g_main_loop_run (loop);
  return 0;
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GtkApplication) app = NULL;
  gboolean serving = FALSE;

  for (int i = 1; i < argc; i++)
    {
      if (g_str_equal (argv[i], "--serve"))
        serving = TRUE;
      else if (g_str_equal (argv[i], "--stripe-js") && i + 1 < argc)
        stripe_js_url = argv[++i];
      else if (g_str_equal (argv[i], "--ready-file") && i + 1 < argc)
        ready_file = argv[++i];
    }
  if (stripe_js_url == NULL)
    {
      g_printerr ("usage: bench-floor [--serve] --stripe-js URL [--ready-file PATH]\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (serving)
    return serve ();

  app = gtk_application_new ("io.github.tillpos.Till.BenchFloor", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (show_window), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
