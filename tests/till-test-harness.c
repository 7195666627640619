/* till-test-harness.c: real till-server and Stripe stand-in processes for tests
 *
 * Everything here starts the real programs: the Node stand-in for Stripe's
 * API (stripe-stateful-mock plus PaymentIntents) and the till-server
 * executable, each on a free loopback port, and talks to them over HTTP.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define _GNU_SOURCE /* nftw () and its flags */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "till-test-harness.h"

#define START_TIMEOUT_USEC (20 * G_USEC_PER_SEC)

static TillTestStripe *shared_stripe;
static SoupSession *shared_session;

static SoupSession *
get_session (void)
{
  if (shared_session == NULL)
    shared_session = soup_session_new_with_options ("timeout", 60, NULL);
  return shared_session;
}

/* Children die with the test program, even when it is killed. */
static void
child_setup (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

/* Waits until the process has written a line starting with prefix to the
 * file, and returns the rest of that line. */
static char *
wait_for_line (GSubprocess *process,
               const char  *path,
               const char  *prefix,
               const char  *log_path)
{
  gint64 deadline = g_get_monotonic_time () + START_TIMEOUT_USEC;

  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (path, &contents, NULL, NULL))
        {
          char *found = strstr (contents, prefix);

          if (found != NULL && strchr (found, '\n') != NULL)
            {
              found += strlen (prefix);
              return g_strndup (found, strcspn (found, "\n"));
            }
        }
      if (g_subprocess_get_identifier (process) == NULL)
        break;
      g_usleep (20000);
    }

  {
    g_autofree char *log = NULL;

    if (log_path != NULL)
      g_file_get_contents (log_path, &log, NULL, NULL);
    g_error ("A test process did not start (waited for “%s” in %s). Its log:\n%s",
             prefix, path, log ? log : "(none)");
  }
  return NULL;
}

static char *
strip_slash (char *url)
{
  gsize len = strlen (url);

  while (len > 0 && url[len - 1] == '/')
    url[--len] = '\0';
  return url;
}

TillTestStripe *
till_test_stripe_get (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *out_path = NULL;
  g_autofree char *err_path = NULL;
  g_autofree char *modules = NULL;
  g_autofree char *line = NULL;

  if (shared_stripe != NULL)
    return shared_stripe;

  script = g_test_build_filename (G_TEST_DIST, "stripe-standin", "standin.js", NULL);
  modules = g_test_build_filename (G_TEST_DIST, "stripe-standin", "node_modules", NULL);
  if (!g_file_test (modules, G_FILE_TEST_IS_DIR))
    g_error ("The Stripe stand-in's packages are missing: run `npm ci` in tests/stripe-standin "
             "(the README's test command does it)");

  dir = till_test_make_tmp_dir ("till-standin-XXXXXX");
  out_path = g_build_filename (dir, "stdout", NULL);
  err_path = g_build_filename (dir, "stderr", NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);

  shared_stripe = g_new0 (TillTestStripe, 1);
  shared_stripe->process = g_subprocess_launcher_spawn (launcher, &error, "node", script,
                                                        "--port", "0", "--exit-with-stdin", NULL);
  g_assert_no_error (error);
  line = wait_for_line (shared_stripe->process, out_path, "stripe-standin listening on ", err_path);
  shared_stripe->url = strip_slash (g_steal_pointer (&line));
  shared_stripe->err_path = g_steal_pointer (&err_path);

  return shared_stripe;
}

/* Ends the test at once, with the process's log, when a helper process it
 * needs (the Stripe stand-in, a proxy) has exited: without it every later
 * payment would only stay unknown until meson's timeout. */
void
till_test_assert_running (GSubprocess *process,
                          const char  *what,
                          const char  *err_path)
{
  g_autofree char *log = NULL;

  if (g_subprocess_get_identifier (process) != NULL)
    return;
  if (err_path != NULL)
    g_file_get_contents (err_path, &log, NULL, NULL);
  g_error ("The %s has exited (it was killed or crashed); the test cannot go on. Its log:\n%s",
           what, log != NULL && *log != '\0' ? log : "(empty)");
}

/* A "notify" handler that counts into *count. */
void
till_test_count_notify_cb (GObject    *object,
                           GParamSpec *pspec,
                           guint      *count)
{
  (*count)++;
}

static TillTestResponse *send_message (SoupMessage *msg);

/* A fault-injection proxy (tests/fault-proxy) in front of target_url. */
TillTestProxy *
till_test_proxy_start (const char *target_url)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE);
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "fault-proxy", "proxy.js", NULL);
  g_autofree char *dir = till_test_make_tmp_dir ("till-proxy-XXXXXX");
  g_autofree char *out_path = NULL;
  g_autofree char *err_path = NULL;
  g_autofree char *line = NULL;
  TillTestProxy *proxy = g_new0 (TillTestProxy, 1);

  out_path = g_build_filename (dir, "stdout", NULL);
  err_path = g_build_filename (dir, "stderr", NULL);
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  g_subprocess_launcher_set_stderr_file_path (launcher, err_path);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  proxy->process = g_subprocess_launcher_spawn (launcher, &error, "node", script, "--target", target_url,
                                                "--port", "0", NULL);
  g_assert_no_error (error);
  line = wait_for_line (proxy->process, out_path, "fault-proxy listening on ", err_path);
  proxy->url = strip_slash (g_steal_pointer (&line));
  proxy->err_path = g_steal_pointer (&err_path);
  return proxy;
}

/* faults: a JSON array of fault names for the next requests, e.g.
 * "[\"drop_after\"]"; delay_ms for "delay". */
void
till_test_proxy_plan (TillTestProxy *proxy,
                      const char    *faults,
                      guint          delay_ms)
{
  g_autofree char *url = g_strconcat (proxy->url, "/__fault/plan", NULL);
  g_autofree char *body = g_strdup_printf ("{\"faults\":%s,\"delay_ms\":%u}", faults, delay_ms);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  g_autoptr(TillTestResponse) response = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  response = send_message (msg);
  g_assert_cmpuint (response->status, ==, 200);
}

/* The proxy's record of what it passed on: [{method, path, fault, status,
 * connection}], status null where it dropped the request or the answer,
 * connection the client connection's number. */
JsonNode *
till_test_proxy_get_log (TillTestProxy *proxy)
{
  g_autofree char *url = g_strconcat (proxy->url, "/__fault/log", NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(TillTestResponse) response = send_message (msg);

  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (response->json);
  return json_node_copy (response->json);
}

/* Fails unless every request in the proxy's log came on a connection of
 * its own: none was sent on a kept-alive one. */
void
till_test_proxy_assert_fresh_connections (JsonNode *log)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  JsonArray *entries = json_node_get_array (log);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);
      gint64 connection = json_object_get_int_member (entry, "connection");

      if (!g_hash_table_add (seen, GSIZE_TO_POINTER ((gsize) connection)))
        g_error ("%s %s went on connection %" G_GINT64_FORMAT ", which an earlier request had used",
                 json_object_get_string_member (entry, "method"), json_object_get_string_member (entry, "path"),
                 connection);
    }
}

void
till_test_proxy_free (TillTestProxy *proxy)
{
  if (proxy == NULL)
    return;
  g_subprocess_force_exit (proxy->process);
  g_subprocess_wait (proxy->process, NULL, NULL);
  g_object_unref (proxy->process);
  g_free (proxy->url);
  g_free (proxy->err_path);
  g_free (proxy);
}

static JsonNode *
parse_json (const char *data,
            gsize       length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();

  if (length == 0 || !json_parser_load_from_data (parser, data, length, NULL))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static TillTestResponse *
send_message (SoupMessage *msg)
{
  TillTestResponse *response = g_new0 (TillTestResponse, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read (get_session (), msg, NULL, &error);
  gsize size;

  g_assert_no_error (error);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = g_strndup (g_bytes_get_data (bytes, &size), g_bytes_get_size (bytes));
  response->json = parse_json (response->body, size);

  return response;
}

JsonNode *
till_test_stripe_get_json (const char *path)
{
  g_autofree char *url = g_strconcat (till_test_stripe_get ()->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(TillTestResponse) response = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (msg),
                                "Authorization", "Bearer " TILL_TEST_SECRET_KEY);
  response = send_message (msg);
  g_assert_cmpuint (response->status, ==, 200);
  g_assert_nonnull (response->json);
  return json_node_copy (response->json);
}

/* A control call to the stand-in (POST or DELETE under /__standin), its
 * JSON answer; a refusal fails the test. */
JsonNode *
till_test_stripe_call (const char *method,
                       const char *path,
                       const char *json)
{
  g_autofree char *url = g_strconcat (till_test_stripe_get ()->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(TillTestResponse) response = NULL;

  if (json != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  response = send_message (msg);
  if (response->status >= 300)
    g_error ("The stand-in refused %s %s (%u): %s", method, path, response->status, response->body);
  return response->json != NULL ? json_node_copy (response->json) : NULL;
}

void
till_test_stripe_post_json (const char *path,
                            const char *json)
{
  g_autofree char *url = g_strconcat (till_test_stripe_get ()->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) bytes = g_bytes_new (json, strlen (json));
  g_autoptr(TillTestResponse) response = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  response = send_message (msg);
  g_assert_cmpuint (response->status, <, 300);
}

/* How many requests the stand-in received for this method and path
 * (path NULL: any), replays included. */
guint
till_test_stripe_count_requests (const char *method,
                                 const char *path)
{
  g_autoptr(JsonNode) log = till_test_stripe_get_json ("/__standin/requests");
  JsonArray *array = json_node_get_array (log);
  guint count = 0;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *entry = json_array_get_object_element (array, i);

      if (g_str_equal (json_object_get_string_member (entry, "method"), method) &&
          (path == NULL || g_str_equal (json_object_get_string_member (entry, "path"), path)))
        count++;
    }
  return count;
}

/* Objects listed at object_path ("/v1/charges", "/v1/payment_intents")
 * that till-server made for its payment payment_id, in status (NULL: any);
 * out_amount gets the last one's amount. */
guint
till_test_stripe_count_for_payment (const char *object_path,
                                    const char *payment_id,
                                    const char *status,
                                    gint64     *out_amount)
{
  g_autofree char *path = g_strconcat (object_path, "?limit=100", NULL);
  g_autoptr(JsonNode) list = till_test_stripe_get_json (path);
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");
  guint count = 0;

  g_assert_false (json_object_get_boolean_member (json_node_get_object (list), "has_more"));
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *object = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (object, "metadata");

      if (metadata != NULL &&
          g_strcmp0 (json_object_get_string_member_with_default (metadata, "till_payment_id", ""),
                     payment_id) == 0 &&
          (status == NULL || g_str_equal (json_object_get_string_member (object, "status"), status)))
        {
          count++;
          if (out_amount != NULL)
            *out_amount = json_object_get_int_member (object, "amount");
        }
    }
  return count;
}

/* The id of the object at the stand-in (under list_path, such as
 * "/v1/refunds") whose metadata[key] is value; NULL if none. */
char *
till_test_stripe_find (const char *list_path,
                       const char *key,
                       const char *value)
{
  g_autofree char *path = g_strconcat (list_path, "?limit=100", NULL);
  g_autoptr(JsonNode) list = till_test_stripe_get_json (path);
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *object = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (object, "metadata");

      if (metadata != NULL && g_strcmp0 (json_object_get_string_member_with_default (metadata, key, ""), value) == 0)
        return g_strdup (json_object_get_string_member (object, "id"));
    }
  return NULL;
}

void
till_test_stripe_authenticate (const char *payment_id,
                               const char *result)
{
  g_autoptr(JsonNode) list = till_test_stripe_get_json ("/v1/payment_intents?limit=100");
  JsonArray *data = json_object_get_array_member (json_node_get_object (list), "data");

  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonObject *intent = json_array_get_object_element (data, i);
      JsonObject *metadata = json_object_get_object_member (intent, "metadata");

      if (g_strcmp0 (json_object_get_string_member_with_default (metadata, "till_payment_id", ""), payment_id) == 0)
        {
          g_autofree char *path = g_strdup_printf ("/__standin/payment_intents/%s/authenticate",
                                                   json_object_get_string_member (intent, "id"));
          g_autofree char *body = g_strdup_printf ("{\"result\":\"%s\"}", result);

          till_test_stripe_post_json (path, body);
          return;
        }
    }
  g_assert_not_reached ();
}

/* Every request till-server sent to Stripe so far used only parameters
 * that Stripe's published request schemas list, and there were some. */
void
till_test_stripe_assert_conforms (void)
{
  g_autoptr(JsonNode) log = till_test_stripe_get_json ("/__standin/requests");
  g_autoptr(JsonNode) violations = till_test_stripe_get_json ("/__standin/violations");

  g_assert_cmpuint (json_array_get_length (json_node_get_array (log)), >, 0);
  if (json_array_get_length (json_node_get_array (violations)) > 0)
    {
      g_autofree char *text = json_to_string (violations, TRUE);

      g_error ("till-server sent parameters Stripe's schema does not list:\n%s", text);
    }
}

/* till-server */

TillTestServer *
till_test_server_new (const char *stripe_url,
                      const char *extra_config)
{
  TillTestServer *server = g_new0 (TillTestServer, 1);
  g_autoptr(GError) error = NULL;

  server->dir = till_test_make_tmp_dir ("till-server-test-XXXXXX");
  server->config_path = g_build_filename (server->dir, "till-server.conf", NULL);
  server->log_path = g_build_filename (server->dir, "server.log", NULL);
  server->stripe_url = g_strdup (stripe_url ? stripe_url : till_test_stripe_get ()->url);
  server->extra_config = g_strdup (extra_config ? extra_config : "");

  {
    g_autofree char *database = g_build_filename (server->dir, "db", "till.db", NULL);
    g_autofree char *base =
      g_strdup_printf ("[server]\nlisten=127.0.0.1\nport=0\ndatabase=%s\n"
                       "[stripe]\napi-base=%s\njs-url=%s/v3/\npublishable-key=pk_test_harness\ntimeout-seconds=10\n",
                       database, server->stripe_url, server->stripe_url);
    g_autoptr(GKeyFile) config = g_key_file_new ();
    g_autoptr(GKeyFile) extra = g_key_file_new ();
    g_auto(GStrv) groups = NULL;
    g_autofree char *text = NULL;

    /* A test's settings replace the base ones: till-server refuses a key
     * given twice, so they are merged here rather than appended. */
    g_key_file_load_from_data (config, base, -1, G_KEY_FILE_NONE, &error);
    g_assert_no_error (error);
    g_key_file_load_from_data (extra, server->extra_config, -1, G_KEY_FILE_NONE, &error);
    g_assert_no_error (error);
    groups = g_key_file_get_groups (extra, NULL);
    for (guint i = 0; groups[i] != NULL; i++)
      {
        g_auto(GStrv) keys = g_key_file_get_keys (extra, groups[i], NULL, NULL);

        for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
          {
            g_autofree char *value = g_key_file_get_value (extra, groups[i], keys[j], NULL);

            g_key_file_set_value (config, groups[i], keys[j], value);
          }
      }
    text = g_key_file_to_data (config, NULL, NULL);
    g_file_set_contents (server->config_path, text, -1, &error);
    g_assert_no_error (error);
  }

  return server;
}

static GSubprocessLauncher *
new_launcher (TillTestServer     *server,
              GSubprocessFlags    flags)
{
  GSubprocessLauncher *launcher = g_subprocess_launcher_new (flags);
  g_autofree char *home = g_build_filename (server->dir, "home", NULL);
  g_autofree char *data_home = g_build_filename (home, "data", NULL);
  g_autofree char *config_home = g_build_filename (home, "config", NULL);
  g_autofree char *state_home = g_build_filename (home, "state", NULL);

  /* A server whose configuration names no database opens the default one
   * under XDG_DATA_HOME: each test server has a home of its own, so that
   * no test ever reads or writes the user's (or another test's). */
  g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", data_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", config_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", state_home, TRUE);
  g_subprocess_launcher_setenv (launcher, "TILL_STRIPE_SECRET_KEY", TILL_TEST_SECRET_KEY, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  return launcher;
}

/* A launcher for till-server as the harness starts it (its own home,
 * Stripe's key in the environment, killed with the test), for a test that
 * reads its output itself. */
GSubprocessLauncher *
till_test_server_new_launcher (TillTestServer   *server,
                               GSubprocessFlags  flags)
{
  return new_launcher (server, flags);
}

/* child_setup, and a descriptor limit the server cannot raise. */
static void
limited_child_setup (gpointer user_data)
{
  struct rlimit limit = { GPOINTER_TO_UINT (user_data), GPOINTER_TO_UINT (user_data) };

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  setrlimit (RLIMIT_NOFILE, &limit);
}

/* From the next start on, the server runs with limit descriptors, soft
 * and hard alike. */
void
till_test_server_set_fd_limit (TillTestServer *server,
                               guint           limit)
{
  server->fd_limit = limit;
}

static const char *
server_binary (void)
{
  const char *path = g_getenv ("TILL_SERVER");

  if (path == NULL)
    g_error ("TILL_SERVER is not set: run the tests through `meson test`");
  return path;
}

void
till_test_server_start (TillTestServer *server)
{
  static guint starts;
  g_autoptr(GSubprocessLauncher) launcher = new_launcher (server, G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *out_path = g_strdup_printf ("%s/stdout-%u", server->dir, ++starts);
  g_autofree char *line = NULL;

  g_assert_null (server->process);
  /* Appends, so that the log of every start of this server is kept. */
  g_subprocess_launcher_take_stderr_fd (launcher,
                                        g_open (server->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600));
  g_subprocess_launcher_set_stdout_file_path (launcher, out_path);
  if (server->fd_limit != 0)
    g_subprocess_launcher_set_child_setup (launcher, limited_child_setup,
                                           GUINT_TO_POINTER (server->fd_limit), NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error, server_binary (),
                                                 "--config", server->config_path, NULL);
  g_assert_no_error (error);

  line = wait_for_line (server->process, out_path, "till-server: listening on ", server->log_path);
  g_clear_pointer (&server->url, g_free);
  server->url = strip_slash (g_steal_pointer (&line));
}

static void
wait_gone (TillTestServer *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_clear_object (&server->process);
}

/* systemd's own wait for a stopped service is 90 s; a sanitized
 * till-server on a loaded machine stops within a few. */
#define STOP_SECONDS 60

static void
exited_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  gboolean *exited = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *exited = TRUE;
}

static gboolean
flag_cb (gpointer user_data)
{
  gboolean *flag = user_data;

  *flag = TRUE;
  return G_SOURCE_REMOVE;
}

/* Whether process exits within seconds (else it is killed), waited for
 * in a context of its own: the caller's main loop does not run meanwhile. */
gboolean
till_test_wait_exit (GSubprocess *process,
                     guint        seconds)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(GSource) timeout = g_timeout_source_new_seconds (seconds);
  gboolean exited = FALSE;
  gboolean late = FALSE;
  gboolean in_time;

  g_main_context_push_thread_default (context);
  g_subprocess_wait_async (process, NULL, exited_cb, &exited);
  g_source_set_callback (timeout, flag_cb, &late, NULL);
  g_source_attach (timeout, context);
  while (!exited && !late)
    g_main_context_iteration (context, TRUE);
  g_source_destroy (timeout);
  in_time = exited;
  /* Too late: killed, and waited for, since the wait refers to this
   * frame. */
  if (!exited)
    {
      g_subprocess_force_exit (process);
      while (!exited)
        g_main_context_iteration (context, TRUE);
    }
  g_main_context_pop_thread_default (context);
  return in_time;
}

/* SIGTERM, as systemd stops the service: till-server must close its
 * requests, its Stripe calls and its database and exit with 0. A crash or
 * a sanitizer's finding on the way out fails the test here, with the log,
 * rather than passing unseen after the last check. */
void
till_test_server_stop (TillTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  int status;

  if (server->process == NULL)
    return;
  g_subprocess_send_signal (server->process, SIGTERM);
  if (!till_test_wait_exit (server->process, STOP_SECONDS))
    {
      g_file_get_contents (server->log_path, &log, NULL, NULL);
      g_error ("till-server did not stop within %u s of SIGTERM and was killed. Its log:\n%s",
               STOP_SECONDS, log != NULL && *log != '\0' ? log : "(empty)");
    }
  status = g_subprocess_get_status (server->process);
  if (!g_spawn_check_wait_status (status, &error))
    {
      g_file_get_contents (server->log_path, &log, NULL, NULL);
      g_error ("till-server did not stop cleanly on SIGTERM (%s). Its log:\n%s",
               error->message, log != NULL && *log != '\0' ? log : "(empty)");
    }
  g_clear_object (&server->process);
}

/* Whether every thread of pid is stopped (job control's T, or t). */
static gboolean
all_threads_stopped (pid_t pid)
{
  g_autofree char *task = g_strdup_printf ("/proc/%d/task", (int) pid);
  g_autoptr(GDir) dir = g_dir_open (task, 0, NULL);
  const char *name;
  guint threads = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (task, name, "stat", NULL);
      g_autofree char *stat = NULL;
      const char *end;

      /* "pid (comm) S …": the state follows the last ')'. */
      if (!g_file_get_contents (path, &stat, NULL, NULL) || (end = strrchr (stat, ')')) == NULL)
        continue;
      if (end[1] != ' ' || (end[2] != 'T' && end[2] != 't'))
        return FALSE;
      threads++;
    }
  return threads > 0;
}

/* g_subprocess_send_signal () only queues its kill () for GLib's worker
 * thread, so a test that goes on at once can act before the signal lands
 * (a sign-out reached a till-server the test had "stopped", and was
 * answered). This sends it now; for SIGSTOP it returns once every thread
 * is stopped, for SIGCONT once they run again. */
void
till_test_signal (GSubprocess *process,
                  int          signal_number)
{
  const char *identifier = g_subprocess_get_identifier (process);
  pid_t pid;
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_assert_nonnull (identifier);
  pid = (pid_t) g_ascii_strtoll (identifier, NULL, 10);
  g_assert_cmpint (kill (pid, signal_number), ==, 0);
  if (signal_number != SIGSTOP && signal_number != SIGCONT)
    return;
  while (all_threads_stopped (pid) != (signal_number == SIGSTOP))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (1000);
    }
}

void
till_test_server_kill (TillTestServer *server)
{
  g_assert_nonnull (server->process);
  g_subprocess_force_exit (server->process);
  wait_gone (server);
}

void
till_test_server_free (TillTestServer *server)
{
  if (server == NULL)
    return;
  till_test_server_stop (server);
  g_free (server->dir);
  g_free (server->config_path);
  g_free (server->log_path);
  g_free (server->stripe_url);
  g_free (server->extra_config);
  g_free (server->url);
  g_free (server);
}

/* Runs `till-server --config … ARGS…` with stdin_text on its standard input
 * and returns its exit status. */
int
till_test_server_cli (TillTestServer  *server,
                      const char      *stdin_text,
                      char           **out_stdout,
                      char           **out_stderr,
                      ...)
{
  g_autoptr(GSubprocessLauncher) launcher =
    new_launcher (server, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *input_path = g_build_filename (server->dir, "cli-input", NULL);
  const char *arg;
  va_list args;

  /* The input from a file, not a pipe: a command that refuses before it
   * reads (a bad role, a user who exists) would make writing to a pipe
   * fail with EPIPE, at random. */
  g_assert_true (g_file_set_contents_full (input_path, stdin_text ? stdin_text : "", -1,
                                           G_FILE_SET_CONTENTS_NONE, 0600, &error));
  g_assert_no_error (error);
  g_subprocess_launcher_set_stdin_file_path (launcher, input_path);

  g_ptr_array_add (argv, (char *) server_binary ());
  g_ptr_array_add (argv, (char *) "--config");
  g_ptr_array_add (argv, server->config_path);
  va_start (args, out_stderr);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out_stdout, out_stderr, &error);
  g_assert_no_error (error);
  g_unlink (input_path);

  return g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : -1;
}

void
till_test_server_add_user (TillTestServer *server,
                           const char     *name,
                           const char     *role,
                           const char     *password)
{
  g_autofree char *input = g_strconcat (password, "\n", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = till_test_server_cli (server, input, &out, &err, "user", "add", name, "--role", role, NULL);

  if (status != 0)
    g_error ("Adding user %s failed: %s", name, err);
}

char *
till_test_server_login (TillTestServer *server,
                        const char     *name,
                        const char     *password)
{
  g_autofree char *body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", name, password);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/login", NULL, NULL, body);

  g_assert_cmpuint (response->status, ==, 200);
  return g_strdup (till_test_json_string (response->json, "token"));
}

char *
till_test_server_read_log (TillTestServer *server)
{
  char *contents = NULL;

  g_file_get_contents (server->log_path, &contents, NULL, NULL);
  return contents ? contents : g_strdup ("");
}

/* Every payment the server has, walking all pages, so the count is the
 * database's and not one page's. Needs a manager's token. */
gint64
till_test_server_count_payments (TillTestServer *server,
                                 const char     *manager_token)
{
  g_autofree char *next = NULL;
  gint64 count = 0;

  for (;;)
    {
      g_autofree char *path = next ? g_strdup_printf ("/api/payments?limit=100&starting_after=%s", next)
                                   : g_strdup ("/api/payments?limit=100");
      g_autoptr(TillTestResponse) response = till_test_get (server, path, manager_token);
      JsonObject *root;
      JsonArray *data;
      guint len;

      g_assert_cmpuint (response->status, ==, 200);
      root = json_node_get_object (response->json);
      data = json_object_get_array_member (root, "data");
      len = json_array_get_length (data);
      count += len;
      if (!json_object_get_boolean_member (root, "has_more"))
        return count;
      g_free (next);
      next = g_strdup (json_object_get_string_member (json_array_get_object_element (data, len - 1), "id"));
    }
}

/* Requests */

TillTestResponse *
till_test_request (TillTestServer *server,
                   const char     *method,
                   const char     *path,
                   const char     *token,
                   const char     *idempotency_key,
                   const char     *content_type,
                   const char     *body,
                   gssize          body_length)
{
  g_autofree char *url = g_strconcat (server->url, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  SoupMessageHeaders *headers;

  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);
  if (token != NULL)
    {
      g_autofree char *value = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }
  if (idempotency_key != NULL)
    soup_message_headers_replace (headers, "Idempotency-Key", idempotency_key);
  if (body != NULL)
    {
      gsize length = body_length < 0 ? strlen (body) : (gsize) body_length;
      g_autoptr(GBytes) bytes = g_bytes_new (body, length);

      soup_message_set_request_body_from_bytes (msg, content_type, bytes);
    }

  return send_message (msg);
}

TillTestResponse *
till_test_get (TillTestServer *server,
               const char     *path,
               const char     *token)
{
  return till_test_request (server, "GET", path, token, NULL, NULL, NULL, 0);
}

TillTestResponse *
till_test_post_json (TillTestServer *server,
                     const char     *path,
                     const char     *token,
                     const char     *idempotency_key,
                     const char     *json)
{
  return till_test_request (server, "POST", path, token, idempotency_key,
                            "application/json", json, -1);
}

void
till_test_response_free (TillTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->json, json_node_unref);
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_free (response->body);
  g_free (response);
}

/* "payment.card.last4" or "data.0.id"; NULL when the path does not lead
 * to a value of that kind. */
static JsonNode *
json_lookup (JsonNode   *node,
             const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, ".", -1);

  for (guint i = 0; node != NULL && parts[i] != NULL; i++)
    {
      if (JSON_NODE_HOLDS_OBJECT (node))
        node = json_object_get_member (json_node_get_object (node), parts[i]);
      else if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          guint64 index;

          if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT, &index, NULL) ||
              index >= json_array_get_length (array))
            return NULL;
          node = json_array_get_element (array, (guint) index);
        }
      else
        return NULL;
    }
  return node;
}

const char *
till_test_json_string (JsonNode   *node,
                       const char *path)
{
  JsonNode *found = json_lookup (node, path);

  if (found == NULL || !JSON_NODE_HOLDS_VALUE (found) ||
      json_node_get_value_type (found) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (found);
}

gint64
till_test_json_int (JsonNode   *node,
                    const char *path)
{
  JsonNode *found = json_lookup (node, path);

  if (found == NULL || !JSON_NODE_HOLDS_VALUE (found) ||
      json_node_get_value_type (found) != G_TYPE_INT64)
    g_error ("No integer at %s", path);
  return json_node_get_int (found);
}

/* Runs one xdotool command (real X input under Xvfb) and keeps the main
 * loop turning while it does, so the window under test sees the events. */
void
till_test_xdo (const char *first,
               ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (char *) "xdotool");
  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);

  process = g_subprocess_newv ((const char * const *) argv->pdata, G_SUBPROCESS_FLAGS_NONE, &error);
  g_assert_no_error (error);
  while (g_subprocess_get_identifier (process) != NULL)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  g_subprocess_wait_check (process, NULL, &error);
  g_assert_no_error (error);
  /* xdotool waits until the X server has taken its keys (XSync), so they
   * are on their way to this program; the app handles them now, before
   * the test goes on. Otherwise a window the test opens next can get them:
   * an Escape meant for the main menu, still unread under load, closed the
   * Preferences window opened after it. Input comes before drawing
   * (GDK's events have a higher priority than its frames), so a window
   * that never stops drawing (a blinking cursor on a slow machine) only
   * ends this after 2 s, with its keys handled. */
  {
    gint64 until = g_get_monotonic_time () + 2 * G_USEC_PER_SEC;
    guint quiet = 0;

    while (quiet < 3 && g_get_monotonic_time () < until)
      quiet = g_main_context_iteration (NULL, FALSE) ? 0 : quiet + 1;
  }
}

/* Lets the main loop handle what arrived (and animations finish). */
void
till_test_settle (guint milliseconds)
{
  gint64 until = g_get_monotonic_time () + (gint64) milliseconds * 1000;

  while (g_get_monotonic_time () < until)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* Runs what is ready in this thread's main context until nothing is:
 * what an answer already on the wire sets off (libsoup writing it, the
 * client reading it, the callbacks after) is done when this returns, so a
 * test can then check that it changed nothing. Not a wait for time: work
 * another thread has yet to finish is not seen. */
void
till_test_drain (void)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  guint quiet = 0;

  /* Nothing dispatched three times in a row: a callback that queued an
   * idle has had it run. */
  while (quiet < 3)
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("The main context was never idle for 20 s");
      quiet = g_main_context_iteration (NULL, FALSE) ? 0 : quiet + 1;
    }
}

/* For a program whose checks ask for "today" (a day's report, a row's
 * time of day) over the seconds it runs: when the date would change
 * within them, it waits for the new day to begin first, so that what one
 * case made on one day is not looked for on the next. Local time: the
 * window tests use the machine's zone, the others run with TZ=UTC. */
void
till_test_keep_off_midnight (guint seconds)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) later = g_date_time_add_seconds (now, seconds);
  g_autofree char *today = g_date_time_format (now, "%F");
  g_autofree char *then = g_date_time_format (later, "%F");

  if (g_str_equal (today, then))
    return;
  g_printerr ("The date changes within %u s: waiting for %s to begin\n", seconds, then);
  for (;;)
    {
      g_autoptr(GDateTime) current = g_date_time_new_now_local ();
      g_autofree char *date = g_date_time_format (current, "%F");

      if (!g_str_equal (date, today))
        break;
      g_usleep (G_USEC_PER_SEC / 4);
    }
}

/* Sets path's modification time seconds ago, as that much time would. */
void
till_test_age_file (const char *path,
                    gint64      seconds)
{
  gint64 when = g_get_real_time () / G_USEC_PER_SEC - seconds;
  struct timespec times[2] = { { when, 0 }, { when, 0 } };

  g_assert_cmpint (utimensat (AT_FDCWD, path, times, 0), ==, 0);
}

void
till_test_wait_until (TillTestCondition  condition,
                      gconstpointer      data,
                      guint              seconds,
                      const char        *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

void
till_test_wait_for (TillTestCondition  condition,
                    gconstpointer      data,
                    const char        *what)
{
  till_test_wait_until (condition, data, 40, what);
}

void
till_test_type (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

void
till_test_press (const char *keys)
{
  till_test_xdo ("key", "--delay", "20", keys, NULL);
}

/* Removes flag from argv (before g_test_init sees it) and says whether it
 * was there. */
gboolean
till_test_take_flag (int         *argc,
                     char       **argv,
                     const char  *flag)
{
  gboolean found = FALSE;

  for (int i = 1; i < *argc; i++)
    {
      if (g_strcmp0 (argv[i], flag) == 0)
        {
          found = TRUE;
          memmove (&argv[i], &argv[i + 1], (*argc - i) * sizeof (char *));
          (*argc)--;
          i--;
        }
    }
  return found;
}

char *
till_test_new_key (void)
{
  return g_uuid_string_random ();
}

/* Folders from till_test_make_tmp_dir (), removed at exit after a run that passed. */
static GPtrArray *tmp_dirs;

static int
remove_entry (const char        *path,
              const struct stat *st,
              int                type,
              struct FTW        *ftw)
{
  if (remove (path) != 0 && errno != ENOENT)
    g_printerr ("# could not remove %s: %s\n", path, g_strerror (errno));
  return 0;
}

/* Removes path and, when it is a folder, all it holds, depth first; a
 * symbolic link is removed, never followed (FTW_PHYS), and no other file
 * system is entered. What is already gone is no error. */
static void
remove_tree (const char *path)
{
  if (nftw (path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT) != 0 && errno != ENOENT)
    g_printerr ("# could not remove %s: %s\n", path, g_strerror (errno));
}

static gboolean run_passed;

static void
remove_tmp_dirs (void)
{
  if (!run_passed || tmp_dirs == NULL)
    return;
  for (guint i = 0; i < tmp_dirs->len; i++)
    remove_tree (g_ptr_array_index (tmp_dirs, i));
  g_clear_pointer (&tmp_dirs, g_ptr_array_unref);
}

/* g_test_run (); when every test passed, the folders of
 * till_test_make_tmp_dir () are removed at exit, after main () has stopped
 * the servers that write into them. A failed test keeps them: it ends in
 * abort (), which skips exit handlers, or (g_test_fail ()) fails the run. */
int
till_test_run (void)
{
  return till_test_finish (g_test_run ());
}

/* For a program that ends without g_test_run () (a benchmark's own
 * run): its status, and its folders removed at exit when it is 0. */
int
till_test_finish (int status)
{
  run_passed = status == 0;
  return status;
}

char *
till_test_make_tmp_dir (const char *tmpl)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp (tmpl, &error);

  g_assert_no_error (error);
  if (tmp_dirs == NULL)
    {
      tmp_dirs = g_ptr_array_new_with_free_func (g_free);
      atexit (remove_tmp_dirs);
    }
  g_ptr_array_add (tmp_dirs, g_strdup (dir));
  return dir;
}

/* A self-signed certificate for 127.0.0.1 and localhost, made with the
 * openssl command line (the test command installs it). */
void
till_test_make_certificate (const char  *dir,
                            char       **out_cert,
                            char       **out_key)
{
  g_autofree char *cert = g_build_filename (dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename (dir, "key.pem", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process =
    g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                      "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                      "-keyout", key, "-out", cert, "-days", "2",
                      "-subj", "/CN=127.0.0.1",
                      "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                      NULL);
  g_autofree char *err = NULL;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, NULL, &err, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (process))
    g_error ("openssl could not make a test certificate: %s", err);

  *out_cert = g_steal_pointer (&cert);
  *out_key = g_steal_pointer (&key);
}

/* Async helpers */

void
till_test_result_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  g_assert_null (*slot);
  *slot = g_object_ref (result);
}

GAsyncResult *
till_test_wait (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

guint
till_test_server_count_log (TillTestServer *server,
                            const char     *needle)
{
  g_autofree char *log = till_test_server_read_log (server);
  g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
  guint count = 0;

  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      count++;
  return count;
}


/* till-server logs a request (path=… status=…) once its answer is sent,
 * so a client can have the answer before the line is written: waits up
 * to 30 s (the main loop running) for at least expected lines, and
 * returns how many there are. */
guint
till_test_server_wait_log (TillTestServer *server,
                           const char     *needle,
                           guint           expected)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint count;

  while ((count = till_test_server_count_log (server, needle)) < expected &&
         g_get_monotonic_time () < deadline)
    till_test_settle (20);
  return count;
}

char *
till_test_fixed_port_config (void)
{
  g_autoptr(GSocket) probe = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_socket_bind (probe, any, TRUE, &error));
  bound = g_socket_get_local_address (probe, &error);
  g_assert_no_error (error);
  g_socket_close (probe, NULL);
  return g_strdup_printf ("[server]\nport=%u\n", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
}

/* Ends every session the server holds, as if their time had run out, at
 * once: a short session lifetime and a sleep would race with a renewed
 * session ending before its retry arrives (the server counts in whole
 * seconds), which a loaded machine turns into a failed run. */
void
till_test_server_expire_sessions (TillTestServer *server)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  if (sqlite3_exec (db, "UPDATE sessions SET expires = 1", NULL, NULL, &message) != SQLITE_OK)
    g_error ("Cannot end the server's sessions: %s", message);
  g_assert_cmpint (sqlite3_changes (db), >, 0);
  sqlite3_close (db);
}

/* A "Vm…" line of the server's /proc status, in KiB. */
static guint64
server_status_kib (TillTestServer *server,
                   const char     *field)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (server->process));
  g_autofree char *status = NULL;
  g_autofree char *label = g_strdup_printf ("\n%s:", field);
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, label);
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen (label), NULL, 10);
}

guint64
till_test_server_peak_rss_kib (TillTestServer *server)
{
  return server_status_kib (server, "VmHWM");
}

guint64
till_test_server_rss_kib (TillTestServer *server)
{
  return server_status_kib (server, "VmRSS");
}

char *
till_test_raw_exchange (TillTestServer *server,
                        const char     *request,
                        guint           timeout_seconds)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GUri) uri = g_uri_parse (server->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) answer = g_string_new (NULL);
  GInputStream *in;
  char buffer[4096];
  gssize n;

  g_socket_client_set_timeout (client, timeout_seconds);
  connection = g_socket_client_connect_to_host (client, g_uri_get_host (uri), (guint16) g_uri_get_port (uri),
                                                NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (connection)),
                                            request, strlen (request), NULL, NULL, &error));
  g_assert_no_error (error);
  in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, &error)) > 0)
    g_string_append_len (answer, buffer, n);
  /* A reset after the answer is a close too; a timeout is not. */
  if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  return g_string_free (g_steal_pointer (&answer), FALSE);
}

/* Writes count payments of username into the server's database, as if made
 * over the past days: the oldest first, one every ten minutes up to the
 * newest, made `newest_age` seconds ago. Making them through the API
 * would take a minute for five hundred. Their ids are pay_seed_USERNAME_N,
 * N from 0 (the oldest); every seventh is declined, every eleventh still
 * pending (unknown), every thirteenth partly refunded, every seventeenth
 * refunded in full; the brand and last four digits take turns over four
 * cards (4242 visa, 4444 mastercard, 8431 amex, 1117 discover) and the
 * amount is 100 + N cents of USD. */
void
till_test_server_seed_payments (TillTestServer *server,
                                const char     *username,
                                guint           count,
                                gint64          newest_age)
{
  static const char *const brands[] = { "visa", "mastercard", "amex", "discover" };
  static const char *const last4s[] = { "4242", "4444", "8431", "1117" };
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db,
                                       "INSERT INTO payments (id, idempotency_key, request_hash, user_id, amount,"
                                       " currency, description, source, mode, status, card_brand, card_last4,"
                                       " decline_code, amount_refunded, created, updated)"
                                       " SELECT ?1, ?2, 'seed', id, ?3, 'USD', ?4, 'tok_visa', 'charges', ?5, ?6, ?7,"
                                       " ?8, ?9, ?10, ?10 FROM users WHERE name = ?11",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  for (guint n = 0; n < count; n++)
    {
      g_autofree char *id = g_strdup_printf ("pay_seed_%s_%u", username, n);
      g_autofree char *key = g_strdup_printf ("seed-%s-%u", username, n);
      g_autofree char *description = g_strdup_printf ("Seeded sale %u", n);
      gint64 amount = 100 + n;
      gboolean declined = n % 7 == 3;
      gboolean pending = !declined && n % 11 == 5;
      const char *status = declined ? "declined" : pending ? "pending" : "succeeded";
      gint64 refunded = declined || pending ? 0 : n % 17 == 1 ? amount : n % 13 == 2 ? 50 : 0;

      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, amount);
      sqlite3_bind_text (stmt, 4, description, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, status, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 6, pending ? NULL : brands[n % 4], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 7, pending ? NULL : last4s[n % 4], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 8, declined ? "generic_decline" : NULL, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 9, refunded);
      sqlite3_bind_int64 (stmt, 10, now - newest_age - (gint64) (count - 1 - n) * 600);
      sqlite3_bind_text (stmt, 11, username, -1, SQLITE_STATIC);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
      g_assert_cmpint (sqlite3_changes (db), ==, 1);
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  g_assert_cmpint (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}


/* The first column of the first row of sql (a count), read from the
 * server's database. */
gint64
till_test_server_count_rows (TillTestServer *server,
                             const char     *sql)
{
  g_autofree char *path = g_build_filename (server->dir, "db", "till.db", NULL);
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return count;
}

/* The newest audit entry, of one action or any (NULL), as a copy. */
JsonNode *
till_test_server_newest_audit (TillTestServer *server,
                               const char     *manager_token,
                               const char     *action)
{
  g_autofree char *path = g_strdup_printf ("/api/audit?limit=1%s%s", action ? "&action=" : "",
                                           action ? action : "");
  g_autoptr(TillTestResponse) response = till_test_get (server, path, manager_token);
  JsonArray *data;

  g_assert_cmpuint (response->status, ==, 200);
  data = json_object_get_array_member (json_node_get_object (response->json), "data");
  g_assert_cmpuint (json_array_get_length (data), ==, 1);
  return json_node_copy (json_array_get_element (data, 0));
}
