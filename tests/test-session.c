/* test-session.c: TillSession against till-server and a real keyring
 *
 * Run through tests/keyring-session (a private D-Bus session with a real,
 * unlocked gnome-keyring-daemon). With --no-secret-service, under
 * `keyring-session --no-secret-service`, it checks that signing in still
 * works, and stores nothing, when there is no Secret Service at all.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <libsecret/secret.h>

#include "till-session.h"
#include "till-test-harness.h"
#include "till-test-liar.h"

#define LOGIN_OK "path=/api/login status=200"

/* One shop for the tests that need nothing special; each test signs in
 * its own cashier so that keyring items never mix. */
static TillTestServer *shop;

/* Helpers */

static char *
password_for (const char *username)
{
  return g_strdup_printf ("%s-password-1", username);
}

static void
add_cashier (TillTestServer *server,
             const char     *username,
             const char     *role)
{
  g_autofree char *password = password_for (username);

  till_test_server_add_user (server, username, role, password);
}

/* Cashiers are added before a server starts, never while it runs. */
static TillTestServer *
start_shop (const char *extra_config,
            ...) G_GNUC_NULL_TERMINATED;

static TillTestServer *
start_shop (const char *extra_config,
            ...)
{
  TillTestServer *server = till_test_server_new (NULL, extra_config);
  const char *username;
  va_list args;

  va_start (args, extra_config);
  while ((username = va_arg (args, const char *)) != NULL)
    add_cashier (server, username, va_arg (args, const char *));
  va_end (args);
  till_test_server_start (server);
  return server;
}

static TillSession *
new_session (TillTestServer *server)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (server->url, NULL, &error);
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);

  g_assert_no_error (error);
  return till_session_new (client, store);
}

static gboolean
sign_in (TillSession  *session,
         const char   *username,
         const char   *password,
         gboolean      remember,
         GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_session_sign_in_async (session, username, password, remember, NULL,
                              till_test_result_cb, &result);
  return till_session_sign_in_finish (session, till_test_wait (&result), error);
}

static void
sign_in_ok (TillSession *session,
            const char  *username,
            gboolean     remember)
{
  g_autofree char *password = password_for (username);
  g_autoptr(GError) error = NULL;

  g_assert_true (sign_in (session, username, password, remember, &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);
}

static gboolean
restore (TillSession  *session,
         const char   *username,
         GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_session_restore_async (session, username, NULL, till_test_result_cb, &result);
  return till_session_restore_finish (session, till_test_wait (&result), error);
}

static void
sign_out (TillSession *session)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  till_session_sign_out_async (session, NULL, till_test_result_cb, &result);
  g_assert_true (till_session_sign_out_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
}

static void
forget (TillSession *session,
        const char  *username)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  till_session_forget_async (session, username, NULL, till_test_result_cb, &result);
  g_assert_true (till_session_forget_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
}

static gboolean
verify_password (TillSession  *session,
                 const char   *password,
                 GError      **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_session_verify_password_async (session, password, NULL, till_test_result_cb, &result);
  return till_session_verify_password_finish (session, till_test_wait (&result), error);
}

static TillBackendResponse *
session_request (TillSession          *session,
                 const char           *method,
                 const char           *path,
                 const char           *key,
                 const char           *json,
                 TillBackendResponse **out_response,
                 GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(JsonNode) body = json ? json_from_string (json, NULL) : NULL;

  till_session_request_async (session, method, path, key, body, NULL, till_test_result_cb, &result);
  return till_session_request_finish (session, till_test_wait (&result), out_response, error);
}

static const char *
server_of (TillSession *session)
{
  return till_backend_client_get_base_url (till_session_get_client (session));
}

/* What the keyring holds, read through a store of its own. */
static char *
stored (TillSession        *session,
        const char         *username,
        TillCredentialKind  kind)
{
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  char *secret;

  till_credential_store_lookup_async (store, server_of (session), username, kind, NULL,
                                      till_test_result_cb, &result);
  secret = till_credential_store_lookup_finish (store, till_test_wait (&result), &error);
  g_assert_no_error (error);
  return secret;
}

static void
store_secret (TillSession        *session,
              const char         *username,
              TillCredentialKind  kind,
              const char         *secret)
{
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  till_credential_store_store_async (store, server_of (session), username, kind, secret, NULL,
                                     till_test_result_cb, &result);
  g_assert_true (till_credential_store_store_finish (store, till_test_wait (&result), &error));
  g_assert_no_error (error);
}

static guint
status_of (TillTestServer *server,
           const char     *path,
           const char     *token)
{
  g_autoptr(TillTestResponse) response = till_test_get (server, path, token);

  return response->status;
}

/* The server logs a request once it has answered it, which can be just
 * after the client has the answer: waited for, and then a moment more
 * for a line beyond expected to show. */
static guint
count_log (TillTestServer *server,
           const char     *needle,
           guint           expected)
{
  till_test_server_wait_log (server, needle, expected);
  g_usleep (100 * 1000);
  return till_test_server_count_log (server, needle);
}

static void
record_state_cb (TillSession *session,
                 GParamSpec  *pspec,
                 GArray      *states)
{
  TillSessionState state = till_session_get_state (session);

  g_array_append_val (states, state);
}

/* Lets the session's own requests and callbacks run for a while, e.g. a
 * revocation that nobody waits for. */
static void
spin (guint milliseconds)
{
  gint64 deadline = g_get_monotonic_time () + milliseconds * G_TIME_SPAN_MILLISECOND;

  while (g_get_monotonic_time () < deadline)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      g_usleep (5 * G_TIME_SPAN_MILLISECOND);
    }
}

/* Until the server answers the token with expected on /api/check-auth
 * (the revocation is not waited for by the session), or 5 s. */
static guint
wait_check_auth (TillTestServer *server,
                 const char     *token,
                 guint           expected)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  guint status;

  while ((status = status_of (server, "/api/check-auth", token)) != expected &&
         g_get_monotonic_time () < deadline)
    spin (20);
  return status;
}

/* Method calls to the Secret Service on the session bus, which libsecret
 * shares with the test: a silent sign-in asks the keyring for the
 * password before it posts a login, so a test can act in between. */
static int keyring_calls;

static GDBusMessage *
count_keyring_calls_cb (GDBusConnection *connection,
                        GDBusMessage    *message,
                        gboolean         incoming,
                        gpointer         user_data)
{
  const char *interface = g_dbus_message_get_interface (message);

  if (!incoming &&
      g_dbus_message_get_message_type (message) == G_DBUS_MESSAGE_TYPE_METHOD_CALL &&
      interface != NULL && g_str_has_prefix (interface, "org.freedesktop.Secret."))
    g_atomic_int_inc (&keyring_calls);
  return message;
}

static int
watch_keyring (void)
{
  static gsize watching;

  if (g_once_init_enter (&watching))
    {
      g_autoptr(GError) error = NULL;
      /* Kept, with its filter, for the rest of the program. */
      GDBusConnection *bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

      g_assert_no_error (error);
      g_dbus_connection_add_filter (bus, count_keyring_calls_cb, NULL, NULL);
      g_once_init_leave (&watching, 1);
    }
  return g_atomic_int_get (&keyring_calls);
}

/* Iterates, one step at a time, until the keyring was asked something
 * after calls_before. A lookup takes more than one round trip (search,
 * then the secret), so the caller acts before it has finished. */
static void
wait_keyring_asked (int calls_before)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (g_atomic_int_get (&keyring_calls) == calls_before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (G_TIME_SPAN_MILLISECOND);
    }
}

/* The session token the keyring holds for username, revoked behind the
 * session's back (as a manager's "sign everybody out" would). */
static void
revoke_stored_session (TillTestServer *server,
                       TillSession    *session,
                       const char     *username)
{
  g_autofree char *token = stored (session, username, TILL_CREDENTIAL_SESSION);
  g_autoptr(TillTestResponse) response = NULL;

  g_assert_nonnull (token);
  response = till_test_post_json (server, "/api/logout", token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 204);
}

static void
cancel_when_signed_in_cb (TillSession  *session,
                          GParamSpec   *pspec,
                          GCancellable *cancellable)
{
  if (till_session_get_state (session) == TILL_SESSION_SIGNED_IN)
    g_cancellable_cancel (cancellable);
}

/* Sign in */

static void
test_sign_in_remember (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (TillSessionState));
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;
  guint remembered_notified = 0;

  g_signal_connect (session, "notify::state", G_CALLBACK (record_state_cb), states);
  g_signal_connect (session, "notify::remembered", G_CALLBACK (till_test_count_notify_cb),
                    &remembered_notified);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  g_assert_true (till_session_get_keyring_available (session));

  sign_in_ok (session, "alice", TRUE);

  g_assert_cmpuint (states->len, ==, 2);
  g_assert_cmpint (g_array_index (states, TillSessionState, 0), ==, TILL_SESSION_SIGNING_IN);
  g_assert_cmpint (g_array_index (states, TillSessionState, 1), ==, TILL_SESSION_SIGNED_IN);
  g_assert_cmpstr (till_session_get_username (session), ==, "alice");
  g_assert_cmpstr (till_session_get_role (session), ==, "cashier");
  g_assert_false (till_session_is_manager (session));
  g_assert_cmpint (till_session_get_expires_at (session), >, g_get_real_time () / G_USEC_PER_SEC);
  g_assert_true (till_session_get_remembered (session));
  g_assert_cmpuint (remembered_notified, ==, 1);
  g_assert_true (till_session_get_keyring_available (session));

  password = stored (session, "alice", TILL_CREDENTIAL_PASSWORD);
  g_assert_cmpstr (password, ==, "alice-password-1");
  token = stored (session, "alice", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (token);
  g_assert_cmpuint (strlen (token), ==, 43);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", token), ==, 200);
}

static void
test_sign_in_manager (void)
{
  g_autoptr(TillSession) session = new_session (shop);

  sign_in_ok (session, "morgan", FALSE);
  g_assert_cmpstr (till_session_get_role (session), ==, "manager");
  g_assert_true (till_session_is_manager (session));
}

static void
test_sign_in_without_remember_clears (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;

  sign_in_ok (session, "bea", TRUE);
  password = stored (session, "bea", TILL_CREDENTIAL_PASSWORD);
  g_assert_nonnull (password);

  sign_in_ok (session, "bea", FALSE);
  g_assert_false (till_session_get_remembered (session));
  g_clear_pointer (&password, g_free);
  password = stored (session, "bea", TILL_CREDENTIAL_PASSWORD);
  token = stored (session, "bea", TILL_CREDENTIAL_SESSION);
  g_assert_null (password);
  g_assert_null (token);
}

static void
test_sign_in_wrong_password (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  g_assert_false (sign_in (session, "carl", "not-his-password", TRUE, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  g_assert_null (till_session_get_username (session));
  g_assert_false (till_session_get_remembered (session));
  g_assert_cmpuint (till_session_get_retry_after (session), ==, 0);
  password = stored (session, "carl", TILL_CREDENTIAL_PASSWORD);
  g_assert_null (password);
}

static void
test_sign_in_rate_limited (void)
{
  g_autoptr(TillTestServer) server =
    start_shop ("[server]\nlogin-failures-per-user=2\n", "dora", "cashier", NULL);
  g_autoptr(TillSession) session = new_session (server);
  g_autoptr(GError) error = NULL;


  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(GError) wrong = NULL;

      g_assert_false (sign_in (session, "dora", "guess-guess", FALSE, &wrong));
      g_assert_error (wrong, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
    }
  g_assert_false (sign_in (session, "dora", "dora-password-1", FALSE, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_RATE_LIMITED);
  g_assert_cmpuint (till_session_get_retry_after (session), >, 0);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
}

static void
test_sign_in_server_down (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL, NULL);
  g_autoptr(TillSession) session = new_session (server);
  g_autoptr(GError) error = NULL;

  till_test_server_stop (server);
  g_assert_false (sign_in (session, "erin", "erin-password-1", TRUE, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
}

static void
test_sign_in_without_store (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (shop->url, NULL, &error);
  g_autoptr(TillSession) session = till_session_new (client, NULL);

  g_assert_no_error (error);
  g_assert_false (till_session_get_keyring_available (session));
  sign_in_ok (session, "fay", TRUE);
  g_assert_false (till_session_get_remembered (session));
}

/* A cancel that comes once the session is in use does not turn the
 * result into a failure: the caller would be told "cancelled" for a
 * cashier who is signed in. */
static void
test_sign_in_cancelled_after_applied (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;

  g_signal_connect (session, "notify::state", G_CALLBACK (cancel_when_signed_in_cb), cancellable);
  till_session_sign_in_async (session, "ben", "ben-password-1", TRUE, cancellable,
                              till_test_result_cb, &result);
  g_assert_true (till_session_sign_in_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);
  /* What the cashier chose was carried out all the same. */
  g_assert_true (till_session_get_remembered (session));
  password = stored (session, "ben", TILL_CREDENTIAL_PASSWORD);
  g_assert_cmpstr (password, ==, "ben-password-1");
}

/* Restore */

static void
test_restore_stored_session (void)
{
  g_autoptr(TillSession) first = new_session (shop);
  g_autoptr(TillSession) second = new_session (shop);
  g_autoptr(GError) error = NULL;
  guint logins = till_test_server_count_log (shop, LOGIN_OK);

  sign_in_ok (first, "gus", TRUE);
  /* Its line is written once the answer is out: waited for. */
  logins = count_log (shop, LOGIN_OK, logins + 1);

  /* As at the next start of the app: a fresh object, the keyring only. */
  g_assert_true (restore (second, "gus", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_IN);
  g_assert_cmpstr (till_session_get_username (second), ==, "gus");
  g_assert_true (till_session_is_manager (second));
  g_assert_cmpint (till_session_get_expires_at (second), ==, till_session_get_expires_at (first));
  g_assert_true (till_session_get_remembered (second));
  /* Checked, not signed in again. */
  g_assert_cmpuint (count_log (shop, LOGIN_OK, logins), ==, logins);

  {
    g_autoptr(TillBackendResponse) response = NULL;

    response = session_request (second, "GET", "/api/config", NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
  }
}

static void
test_restore_revoked_session (void)
{
  g_autoptr(TillSession) first = new_session (shop);
  g_autoptr(TillSession) second = new_session (shop);
  g_autoptr(GError) error = NULL;
  g_autofree char *old_token = NULL;
  g_autofree char *new_token = NULL;
  guint logins = till_test_server_count_log (shop, LOGIN_OK);

  sign_in_ok (first, "hal", TRUE);
  old_token = stored (first, "hal", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (old_token);

  /* Revoked behind the terminal's back, through another client. */
  {
    g_autoptr(TillTestResponse) response = till_test_post_json (shop, "/api/logout", old_token,
                                                                NULL, NULL);

    g_assert_cmpuint (response->status, ==, 204);
  }
  logins = count_log (shop, LOGIN_OK, logins + 1);

  g_assert_true (restore (second, "hal", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_IN);
  g_assert_cmpstr (till_session_get_username (second), ==, "hal");
  g_assert_true (till_session_get_remembered (second));
  g_assert_cmpuint (count_log (shop, LOGIN_OK, logins + 1), ==, logins + 1);

  new_token = stored (second, "hal", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (new_token);
  g_assert_cmpstr (new_token, !=, old_token);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", new_token), ==, 200);
}

static void
test_restore_nothing_stored (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GError) error = NULL;

  g_assert_false (restore (session, "ivy", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
}

static void
test_restore_revoked_without_password (void)
{
  g_autoptr(TillSession) first = new_session (shop);
  g_autoptr(TillSession) second = new_session (shop);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *left = NULL;

  sign_in_ok (first, "jo", FALSE);
  /* A session stored without a password (as an older run might have). */
  token = till_test_server_login (shop, "jo", "jo-password-1");
  store_secret (first, "jo", TILL_CREDENTIAL_SESSION, token);
  {
    g_autoptr(TillTestResponse) response =
      till_test_post_json (shop, "/api/logout", token, NULL, NULL);

    g_assert_cmpuint (response->status, ==, 204);
  }

  g_assert_false (restore (second, "jo", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_OUT);
  /* The dead session is not kept. */
  left = stored (second, "jo", TILL_CREDENTIAL_SESSION);
  g_assert_null (left);
}

static void
test_restore_server_down (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL, "kit", "cashier", NULL);
  g_autoptr(TillSession) first = NULL;
  g_autoptr(TillSession) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  first = new_session (server);
  second = new_session (server);
  sign_in_ok (first, "kit", TRUE);
  till_test_server_stop (server);

  g_assert_false (restore (second, "kit", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_OUT);
  /* Nothing stored is thrown away for a network failure. */
  token = stored (second, "kit", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (token);
}

static gboolean
restore_cancelled_when_signed_in (TillSession  *session,
                                  const char   *username,
                                  GError      **error)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  gulong handler;
  gboolean done;

  handler = g_signal_connect (session, "notify::state", G_CALLBACK (cancel_when_signed_in_cb),
                              cancellable);
  till_session_restore_async (session, username, cancellable, till_test_result_cb, &result);
  done = till_session_restore_finish (session, till_test_wait (&result), error);
  g_signal_handler_disconnect (session, handler);
  g_assert_true (g_cancellable_is_cancelled (cancellable));
  return done;
}

static void
test_restore_cancelled_after_applied (void)
{
  g_autoptr(TillSession) first = new_session (shop);
  g_autoptr(TillSession) second = new_session (shop);
  g_autoptr(TillSession) third = new_session (shop);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_ok (first, "abe", TRUE);

  /* The stored session, checked. */
  g_assert_true (restore_cancelled_when_signed_in (second, "abe", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_IN);
  g_assert_true (till_session_get_remembered (second));
  response = session_request (second, "GET", "/api/config", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&response, till_backend_response_unref);

  /* The stored password, when the stored session is refused. */
  revoke_stored_session (shop, second, "abe");
  g_assert_true (restore_cancelled_when_signed_in (third, "abe", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (third), ==, TILL_SESSION_SIGNED_IN);
  response = session_request (third, "GET", "/api/config", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
}

/* Cancelled before anything was applied: a cancelled keyring lookup is
 * not "nothing stored", so nothing stored is cleared. */
static void
test_restore_cancelled (void)
{
  g_autoptr(TillSession) first = new_session (shop);
  g_autoptr(TillSession) second = new_session (shop);
  g_autoptr(TillSession) third = new_session (shop);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;

  sign_in_ok (first, "ada", TRUE);

  till_session_restore_async (second, "ada", cancellable, till_test_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_false (till_session_restore_finish (second, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (till_session_get_state (second), ==, TILL_SESSION_SIGNED_OUT);
  g_assert_true (till_session_get_keyring_available (second));

  password = stored (second, "ada", TILL_CREDENTIAL_PASSWORD);
  token = stored (second, "ada", TILL_CREDENTIAL_SESSION);
  g_assert_cmpstr (password, ==, "ada-password-1");
  g_assert_nonnull (token);
  g_clear_error (&error);
  g_assert_true (restore (third, "ada", &error));
  g_assert_no_error (error);
}

/* Unlock */

/* Unlocking signs in again; the session it replaces must not stay
 * usable at the server. */
static void
test_unlock_revokes_previous (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;

  sign_in_ok (session, "uma", TRUE);
  first = stored (session, "uma", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (first);

  g_assert_true (verify_password (session, "uma-password-1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);
  second = stored (session, "uma", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (second);
  g_assert_cmpstr (second, !=, first);
  g_assert_cmpuint (wait_check_auth (shop, first, 401), ==, 401);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", second), ==, 200);

  /* A wrong password replaces nothing. */
  g_assert_false (verify_password (session, "not-uma-password", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  spin (200);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", second), ==, 200);

  /* Nor does a sign-in over a session leave the old one behind. */
  sign_in_ok (session, "uma", TRUE);
  third = stored (session, "uma", TILL_CREDENTIAL_SESSION);
  g_assert_cmpstr (third, !=, second);
  g_assert_cmpuint (wait_check_auth (shop, second, 401), ==, 401);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", third), ==, 200);
}

/* Requests when the session expires */

/* Sessions end through till_test_server_expire_sessions(), at once: a
 * short lifetime and a sleep would let a loaded machine end the renewed
 * session too, before its retry. */
#define CHARGES_SHOP "[stripe]\nmode=charges\n"

static void
test_request_expired_renews (void)
{
  g_autoptr(TillTestServer) server =
    start_shop (CHARGES_SHOP, "lou", "cashier", "mia", "manager", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillBackendResponse) payment = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body = NULL;
  g_autofree char *manager = NULL;
  JsonObject *object;
  guint logins;

  session = new_session (server);
  sign_in_ok (session, "lou", TRUE);
  logins = count_log (server, LOGIN_OK, 1);
  g_assert_cmpuint (logins, ==, 1);

  till_test_server_expire_sessions (server);

  /* A payment: refused (expired), signed in again silently, retried
   * with the same Idempotency-Key and body, charged once. */
  body = g_strdup ("{\"amount\":1250,\"currency\":\"USD\",\"description\":\"Test sale\","
                   "\"token\":\"tok_visa\"}");
  payment = session_request (session, "POST", "/api/payments", key, body, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (payment), ==, 201);
  object = json_object_get_object_member (till_backend_response_get_object (payment), "payment");
  g_assert_cmpstr (json_object_get_string_member (object, "idempotency_key"), ==, key);
  g_assert_cmpint (json_object_get_int_member (object, "amount"), ==, 1250);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);

  g_assert_cmpuint (count_log (server, LOGIN_OK, 2), ==, 2);
  g_assert_cmpuint (count_log (server, "path=/api/payments status=401", 1), ==, 1);

  manager = till_test_server_login (server, "mia", "mia-password-1");
  g_assert_cmpint (till_test_server_count_payments (server, manager), ==, 1);
}

static void
test_request_expired_concurrent (void)
{
  g_autoptr(TillTestServer) server = start_shop (CHARGES_SHOP, "ned", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  GAsyncResult *results[4] = { NULL, };

  session = new_session (server);
  sign_in_ok (session, "ned", TRUE);
  g_assert_cmpuint (count_log (server, LOGIN_OK, 1), ==, 1);

  till_test_server_expire_sessions (server);

  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    till_session_request_async (session, "GET", "/api/config", NULL, NULL, NULL,
                                till_test_result_cb, &results[i]);
  for (guint i = 0; i < G_N_ELEMENTS (results); i++)
    {
      g_autoptr(TillBackendResponse) response = NULL;
      g_autoptr(GError) error = NULL;

      response = till_session_request_finish (session, till_test_wait (&results[i]), NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
      g_clear_object (&results[i]);
    }

  /* All four were refused; one silent sign-in served them all. */
  g_assert_cmpuint (count_log (server, "path=/api/config status=401", 4), ==, 4);
  g_assert_cmpuint (count_log (server, LOGIN_OK, 2), ==, 2);
}

static void
test_request_expired_not_remembered (void)
{
  g_autoptr(TillTestServer) server = start_shop (CHARGES_SHOP, "ola", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GArray) states = g_array_new (FALSE, FALSE, sizeof (TillSessionState));
  g_autoptr(GError) error = NULL;

  session = new_session (server);
  sign_in_ok (session, "ola", FALSE);
  g_signal_connect (session, "notify::state", G_CALLBACK (record_state_cb), states);

  till_test_server_expire_sessions (server);

  g_assert_null (session_request (session, "GET", "/api/config", NULL, NULL, &error_response,
                                  &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_nonnull (error_response);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, "session_expired");
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_NEEDS_SIGN_IN);
  g_assert_cmpuint (states->len, ==, 1);
  /* Who it was stays, for the lock page. */
  g_assert_cmpstr (till_session_get_username (session), ==, "ola");
  g_assert_cmpuint (count_log (server, LOGIN_OK, 1), ==, 1);
  g_clear_error (&error);

  /* Further requests fail at once until the cashier signs in. */
  g_assert_null (session_request (session, "GET", "/api/config", NULL, NULL, NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_clear_error (&error);

  /* The lock page's password renews the session. */
  g_assert_false (verify_password (session, "wrong-wrong", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_NEEDS_SIGN_IN);
  g_clear_error (&error);
  g_assert_true (verify_password (session, "ola-password-1", &error));
  g_assert_no_error (error);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);

  response = session_request (session, "GET", "/api/config", NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
}

static void
test_request_other_errors_pass (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_ok (session, "pia", FALSE);
  /* A 403 is not a reason to sign in again. */
  g_assert_null (session_request (session, "GET", "/api/reports/day", NULL, NULL,
                                  &error_response, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, "forbidden");
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);
}

/* The silent sign-in is asking the keyring for the password when the
 * cashier signs out: it must not post that password afterwards. */
static void
test_request_renewal_then_sign_out (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL, "vic", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) signed_out = NULL;
  g_autoptr(GError) error = NULL;
  int calls;

  session = new_session (server);
  sign_in_ok (session, "vic", TRUE);
  g_assert_cmpuint (count_log (server, "path=/api/login", 1), ==, 1);
  revoke_stored_session (server, session, "vic");

  calls = watch_keyring ();
  till_session_request_async (session, "GET", "/api/config", NULL, NULL, NULL,
                              till_test_result_cb, &result);
  wait_keyring_asked (calls);
  till_session_sign_out_async (session, NULL, till_test_result_cb, &signed_out);

  g_assert_null (till_session_request_finish (session, till_test_wait (&result), NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "the session changed"));
  g_clear_error (&error);
  g_assert_true (till_session_sign_out_finish (session, till_test_wait (&signed_out), &error));
  g_assert_no_error (error);

  spin (300);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  g_assert_cmpuint (count_log (server, "path=/api/login", 1), ==, 1);
  g_assert_cmpuint (count_log (server, "path=/api/config", 1), ==, 1);
}

/* A payment refused during a silent sign-in, while another cashier signs
 * in on the terminal: it is not charged to them (nor, later, to the
 * first cashier under a session that is not in use any more). */
static void
test_request_renewal_then_other_cashier (void)
{
  g_autoptr(TillTestServer) server =
    start_shop ("[stripe]\nmode=charges\n", "wes", "cashier", "xia", "manager", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GAsyncResult) signed_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autofree char *key = till_test_new_key ();
  g_autofree char *manager = NULL;
  int calls;

  session = new_session (server);
  sign_in_ok (session, "wes", TRUE);
  revoke_stored_session (server, session, "wes");

  body = json_from_string ("{\"amount\":990,\"currency\":\"USD\",\"description\":\"Test sale\","
                           "\"token\":\"tok_visa\"}", &error);
  g_assert_no_error (error);
  calls = watch_keyring ();
  till_session_request_async (session, "POST", "/api/payments", key, body, NULL,
                              till_test_result_cb, &result);
  wait_keyring_asked (calls);
  till_session_sign_in_async (session, "xia", "xia-password-1", FALSE, NULL, till_test_result_cb,
                              &signed_in);

  g_assert_null (till_session_request_finish (session, till_test_wait (&result), NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_nonnull (strstr (error->message, "the session changed"));
  g_clear_error (&error);
  g_assert_true (till_session_sign_in_finish (session, till_test_wait (&signed_in), &error));
  g_assert_no_error (error);
  g_assert_cmpstr (till_session_get_username (session), ==, "xia");
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);

  spin (300);
  /* Sent once, refused, never again: wes's sign-in and xia's only. */
  g_assert_cmpuint (count_log (server, "path=/api/payments", 1), ==, 1);
  g_assert_cmpuint (count_log (server, "path=/api/payments status=401", 1), ==, 1);
  g_assert_cmpuint (count_log (server, LOGIN_OK, 2), ==, 2);
  manager = till_test_server_login (server, "xia", "xia-password-1");
  g_assert_cmpint (till_test_server_count_payments (server, manager), ==, 0);
}

typedef struct
{
  TillTestServer *server;
  gboolean        expired;
} Renewal;

/* In front of the real server: the silent sign-in's session is ended
 * before its answer reaches the terminal, so the retry is refused. */
static void
expire_renewed_session (const char  *method,
                        const char  *path,
                        guint        nth,
                        guint       *status,
                        JsonObject **body,
                        guint       *delay_ms,
                        gpointer     data)
{
  Renewal *renewal = data;

  if (g_str_equal (path, "/api/login") && nth == 2)
    {
      till_test_server_expire_sessions (renewal->server);
      renewal->expired = TRUE;
    }
}

/* Refused again right after the silent sign-in: the cashier has to sign
 * in, and there is no second silent sign-in, let alone a loop. */
static void
test_request_refused_after_renewal (void)
{
  g_autoptr(TillTestServer) server =
    start_shop (NULL, "yan", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillBackendResponse) error_response = NULL;
  g_autoptr(GError) error = NULL;
  Renewal renewal = { server, FALSE };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (server->url, NULL, expire_renewed_session, &renewal);
  g_autoptr(GError) client_error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (till_test_liar_get_url (liar), NULL,
                                                                 &client_error);
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);

  g_assert_no_error (client_error);
  session = till_session_new (client, store);
  sign_in_ok (session, "yan", TRUE);
  till_test_server_expire_sessions (server);

  g_assert_null (session_request (session, "GET", "/api/config", NULL, NULL, &error_response,
                                  &error));
  g_assert_true (renewal.expired);
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_assert_cmpstr (till_backend_response_get_error_code (error_response), ==, "session_expired");
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_NEEDS_SIGN_IN);
  g_clear_error (&error);

  g_assert_null (session_request (session, "GET", "/api/config", NULL, NULL, NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  spin (300);
  g_assert_cmpuint (count_log (server, LOGIN_OK, 2), ==, 2);
  g_assert_cmpuint (count_log (server, "path=/api/config status=401", 2), ==, 2);
  g_assert_cmpuint (count_log (server, "path=/api/config", 2), ==, 2);
}

/* Sign out and forget */

static void
test_sign_out (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *left = NULL;
  g_autofree char *password = NULL;

  sign_in_ok (session, "quin", TRUE);
  token = stored (session, "quin", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (token);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", token), ==, 200);

  sign_out (session);

  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  /* Revoked at the server. */
  g_assert_cmpuint (status_of (shop, "/api/check-auth", token), ==, 401);
  /* The session is forgotten, the password stays. */
  left = stored (session, "quin", TILL_CREDENTIAL_SESSION);
  g_assert_null (left);
  password = stored (session, "quin", TILL_CREDENTIAL_PASSWORD);
  g_assert_cmpstr (password, ==, "quin-password-1");
  g_assert_true (till_session_get_remembered (session));

  g_assert_null (session_request (session, "GET", "/api/config", NULL, NULL, NULL, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
}

static void
test_sign_out_server_down (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL, "rae", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autofree char *left = NULL;

  session = new_session (server);
  sign_in_ok (session, "rae", TRUE);
  till_test_server_stop (server);

  /* Forgotten here even though the server could not be told. */
  sign_out (session);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  left = stored (session, "rae", TILL_CREDENTIAL_SESSION);
  g_assert_null (left);
}

/* The caller's cancellable stops neither the revocation nor the keyring. */
static void
test_sign_out_cancelled (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *left = NULL;

  sign_in_ok (session, "zed", TRUE);
  token = stored (session, "zed", TILL_CREDENTIAL_SESSION);
  g_assert_nonnull (token);

  till_session_sign_out_async (session, cancellable, till_test_result_cb, &result);
  g_cancellable_cancel (cancellable);
  g_assert_true (till_session_sign_out_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);

  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  g_assert_cmpuint (status_of (shop, "/api/check-auth", token), ==, 401);
  left = stored (session, "zed", TILL_CREDENTIAL_SESSION);
  g_assert_null (left);
}

/* A server that takes the connection and never answers: the stored
 * session is gone long before the request gives up, and the sign-out
 * finishes when it has. */
static void
test_sign_out_server_hung (void)
{
  g_autoptr(TillTestServer) server = start_shop (NULL, "rex", "cashier", NULL);
  g_autoptr(TillSession) session = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *left = NULL;
  gint64 start;

  session = new_session (server);
  sign_in_ok (session, "rex", TRUE);
  /* A deadline far from what the checks before it take on a loaded
   * machine (the keyring's answers among them). */
  till_backend_client_set_timeouts (till_session_get_client (session), 2, 20);
  till_test_signal (server->process, SIGSTOP);

  start = g_get_monotonic_time ();
  till_session_sign_out_async (session, NULL, till_test_result_cb, &result);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
  /* The stored session goes without waiting for the server. */
  while ((left = stored (session, "rex", TILL_CREDENTIAL_SESSION)) != NULL &&
         g_get_monotonic_time () - start < 15 * G_USEC_PER_SEC)
    {
      g_clear_pointer (&left, g_free);
      spin (50);
    }
  g_assert_null (left);
  /* Still waiting for the server. */
  g_assert_null (result);

  g_assert_true (till_session_sign_out_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
  g_test_message ("sign-out finished after %.1f s", (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  /* When the request gave up (its deadline is 20 s), not before. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 19 * G_USEC_PER_SEC);
  till_test_signal (server->process, SIGCONT);
}

static void
test_forget (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autofree char *password = NULL;
  g_autofree char *token = NULL;

  sign_in_ok (session, "sol", TRUE);
  g_assert_true (till_session_get_remembered (session));

  forget (session, "sol");

  g_assert_false (till_session_get_remembered (session));
  password = stored (session, "sol", TILL_CREDENTIAL_PASSWORD);
  token = stored (session, "sol", TILL_CREDENTIAL_SESSION);
  g_assert_null (password);
  g_assert_null (token);
  /* Forgetting is about the keyring; this run stays signed in. */
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_IN);
}

/* Without a Secret Service */

/* Nothing secret may land in a file instead. */
static void
assert_not_in_files (const char *dir,
                     const char *secret)
{
  g_autoptr(GDir) handle = dir ? g_dir_open (dir, 0, NULL) : NULL;
  const char *name;

  if (handle == NULL)
    return;
  while ((name = g_dir_read_name (handle)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize length;

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_not_in_files (path, secret);
      else if (g_file_get_contents (path, &contents, &length, NULL))
        g_assert_null (g_strstr_len (contents, length, secret));
    }
}

static void
test_no_secret_service (void)
{
  g_autoptr(TillSession) session = new_session (shop);
  g_autoptr(TillSession) later = new_session (shop);
  g_autoptr(GError) error = NULL;
  guint keyring_notified = 0;
  gint64 start;

  g_signal_connect (session, "notify::keyring-available", G_CALLBACK (till_test_count_notify_cb),
                    &keyring_notified);

  start = g_get_monotonic_time ();
  sign_in_ok (session, "tam", TRUE);
  /* Within the keyring's 10 s deadline, not by waiting it out (which
   * would take 10 s and more); a loaded machine may take a few. */
  g_assert_cmpint (g_get_monotonic_time () - start, <, 9 * G_USEC_PER_SEC);

  g_assert_false (till_session_get_keyring_available (session));
  g_assert_cmpuint (keyring_notified, ==, 1);
  g_assert_false (till_session_get_remembered (session));

  /* Signed in for this run all the same. */
  {
    g_autoptr(TillBackendResponse) response = NULL;

    response = session_request (session, "GET", "/api/config", NULL, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (till_backend_response_get_status (response), ==, 200);
  }

  /* Nothing was stored: not in a keyring, not in a file. */
  g_assert_false (restore (later, "tam", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  /* What tells the UI that the keyring, not the saved sign-in, failed. */
  g_assert_false (till_session_get_keyring_available (later));
  g_assert_cmpint (till_session_get_state (later), ==, TILL_SESSION_SIGNED_OUT);
  assert_not_in_files (g_get_home_dir (), "tam-password-1");
  assert_not_in_files (g_getenv ("XDG_DATA_HOME"), "tam-password-1");
  assert_not_in_files (g_getenv ("XDG_CONFIG_HOME"), "tam-password-1");
  assert_not_in_files (g_getenv ("XDG_CACHE_HOME"), "tam-password-1");
  assert_not_in_files (g_getenv ("XDG_RUNTIME_DIR"), "tam-password-1");

  sign_out (session);
  g_assert_cmpint (till_session_get_state (session), ==, TILL_SESSION_SIGNED_OUT);
}


/* A lying shop server: the login and check-auth answers it gives are the
 * test's. Every one of them must be refused, and nobody signed in. */

typedef struct
{
  const char *name;
  const char *login;        /* the body of POST /api/login */
} LyingLogin;

#define GOOD_TOKEN "\"token\":\"9T5ArWyBqvx19CUeJCFPOx0G20VFDmwJDDIXprxTpfE\""
#define GOOD_EXPIRY "\"expires_at\":\"2099-01-01T00:00:00Z\""
#define USER(name, role) "\"user\":{\"id\":1,\"name\":\"" name "\",\"role\":\"" role "\"}"

static const LyingLogin lying_logins[] = {
  { "token-nul", "{\"token\":\"t\\u0000t\"," GOOD_EXPIRY "," USER ("alice", "cashier") "}" },
  { "role-nul", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("alice", "manager\\u0000") "}" },
  { "role-unknown", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("alice", "admin") "}" },
  { "role-case", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("alice", "Manager") "}" },
  { "name-other", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("mallory", "manager") "}" },
  { "name-nul", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("alice\\u0000mallory", "cashier") "}" },
  { "name-bad-utf8", "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("alice\xff", "cashier") "}" },
  { "name-long", "{" GOOD_TOKEN "," GOOD_EXPIRY ","
                 USER ("alicealicealicealicealicealicealicealicealicealicealicealicealice", "cashier") "}" },
  { "token-short", "{\"token\":\"abc\"," GOOD_EXPIRY "," USER ("alice", "cashier") "}" },
  { "token-space", "{\"token\":\"9T5ArWyBqvx19CUe JCFPOx0G20VFDmwJDDIXprxTpfE\"," GOOD_EXPIRY ","
                   USER ("alice", "cashier") "}" },
  { "token-long", "{\"token\":\"" "0123456789012345678901234567890123456789012345678901234567890123"
                  "0123456789012345678901234567890123456789012345678901234567890123"
                  "0123456789012345678901234567890123456789012345678901234567890123"
                  "0123456789012345678901234567890123456789012345678901234567890123" "x\","
                  GOOD_EXPIRY "," USER ("alice", "cashier") "}" },
  { "expiry-garbage", "{" GOOD_TOKEN ",\"expires_at\":\"tomorrow\"," USER ("alice", "cashier") "}" },
  { "user-id-string", "{" GOOD_TOKEN "," GOOD_EXPIRY ",\"user\":{\"id\":\"1\",\"name\":\"alice\",\"role\":\"cashier\"}}" },
  { "duplicate-role", "{" GOOD_TOKEN "," GOOD_EXPIRY ",\"user\":{\"id\":1,\"name\":\"alice\",\"role\":\"cashier\","
                      "\"role\":\"manager\"}}" },
};

typedef struct
{
  const char *login;
  const char *check_auth;   /* the body of GET /api/check-auth */
} Liar;

static void
liar_cb (SoupServer        *soup_server,
         SoupServerMessage *msg,
         const char        *path,
         GHashTable        *query,
         gpointer           data)
{
  Liar *liar = data;
  const char *body = g_str_equal (path, "/api/login") ? liar->login
                   : g_str_equal (path, "/api/check-auth") ? liar->check_auth : NULL;

  if (body == NULL)
    {
      soup_server_message_set_status (msg, 204, NULL);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static TillSession *
session_at (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (url, NULL, &error);
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);

  g_assert_no_error (error);
  return till_session_new (client, store);
}

static void
test_lying_login (gconstpointer data)
{
  const LyingLogin *lie = data;
  Liar liar = { lie->login, NULL };
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) soup_server = till_test_loopback_server_new (liar_cb, &liar, &url);
  g_autoptr(TillSession) session = session_at (url);
  g_autoptr(GError) error = NULL;

  g_assert_false (sign_in (session, "alice", "alice-password-1", FALSE, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE);
  g_assert_cmpint (till_session_get_state (session), !=, TILL_SESSION_SIGNED_IN);
  g_assert_null (till_session_get_role (session));
  g_assert_false (till_session_is_manager (session));
}

/* The stored session is checked with a server that answers about
 * someone else: not restored as them. */
static void
test_lying_check_auth (void)
{
  Liar liar = { "{" GOOD_TOKEN "," GOOD_EXPIRY "," USER ("abe", "cashier") "}", NULL };
  g_autofree char *url = NULL;
  g_autoptr(SoupServer) soup_server = till_test_loopback_server_new (liar_cb, &liar, &url);
  g_autoptr(TillSession) first = session_at (url);
  g_autoptr(TillSession) later = session_at (url);
  g_autoptr(GError) error = NULL;

  g_assert_true (sign_in (first, "abe", "abe-password-1", TRUE, &error));
  g_assert_no_error (error);
  g_assert_true (till_session_get_remembered (first));

  liar.check_auth = "{\"user\":{\"id\":2,\"name\":\"mallory\",\"role\":\"manager\"}," GOOD_EXPIRY "}";
  g_assert_false (restore (later, "abe", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE);
  g_assert_cmpint (till_session_get_state (later), !=, TILL_SESSION_SIGNED_IN);
  g_assert_false (till_session_is_manager (later));
  forget (later, "abe");
}

int
main (int   argc,
      char *argv[])
{
  gboolean no_secret_service = till_test_take_flag (&argc, argv, "--no-secret-service");
  int status;

  g_test_init (&argc, &argv, NULL);

  if (no_secret_service)
    {
      g_test_add_func ("/session/no-secret-service/sign-in-remember", test_no_secret_service);
    }
  else
    {
      g_test_add_func ("/session/sign-in/remember", test_sign_in_remember);
      g_test_add_func ("/session/sign-in/manager", test_sign_in_manager);
      g_test_add_func ("/session/sign-in/without-remember-clears",
                       test_sign_in_without_remember_clears);
      g_test_add_func ("/session/sign-in/wrong-password", test_sign_in_wrong_password);
      g_test_add_func ("/session/sign-in/rate-limited", test_sign_in_rate_limited);
      g_test_add_func ("/session/sign-in/server-down", test_sign_in_server_down);
      g_test_add_func ("/session/sign-in/without-store", test_sign_in_without_store);
      g_test_add_func ("/session/sign-in/cancelled-after-applied",
                       test_sign_in_cancelled_after_applied);
      g_test_add_func ("/session/restore/stored-session", test_restore_stored_session);
      g_test_add_func ("/session/restore/revoked-session", test_restore_revoked_session);
      g_test_add_func ("/session/restore/nothing-stored", test_restore_nothing_stored);
      g_test_add_func ("/session/restore/revoked-without-password",
                       test_restore_revoked_without_password);
      g_test_add_func ("/session/restore/server-down", test_restore_server_down);
      g_test_add_func ("/session/restore/cancelled-after-applied",
                       test_restore_cancelled_after_applied);
      g_test_add_func ("/session/restore/cancelled", test_restore_cancelled);
      g_test_add_func ("/session/unlock/revokes-previous", test_unlock_revokes_previous);
      g_test_add_func ("/session/request/expired-renews-once", test_request_expired_renews);
      g_test_add_func ("/session/request/expired-concurrent", test_request_expired_concurrent);
      g_test_add_func ("/session/request/expired-not-remembered",
                       test_request_expired_not_remembered);
      g_test_add_func ("/session/request/other-errors-pass", test_request_other_errors_pass);
      g_test_add_func ("/session/request/renewal-then-sign-out",
                       test_request_renewal_then_sign_out);
      g_test_add_func ("/session/request/renewal-then-other-cashier",
                       test_request_renewal_then_other_cashier);
      g_test_add_func ("/session/request/refused-after-renewal",
                       test_request_refused_after_renewal);
      g_test_add_func ("/session/sign-out/revokes", test_sign_out);
      g_test_add_func ("/session/sign-out/server-down", test_sign_out_server_down);
      g_test_add_func ("/session/sign-out/cancelled", test_sign_out_cancelled);
      g_test_add_func ("/session/sign-out/server-hung", test_sign_out_server_hung);
      g_test_add_func ("/session/forget", test_forget);
      for (guint i = 0; i < G_N_ELEMENTS (lying_logins); i++)
        {
          g_autofree char *path = g_strdup_printf ("/session/lying/login/%s", lying_logins[i].name);

          g_test_add_data_func (path, &lying_logins[i], test_lying_login);
        }
      g_test_add_func ("/session/lying/check-auth-other-user", test_lying_check_auth);
    }

  shop = start_shop (NULL,
                     "alice", "cashier", "morgan", "manager", "bea", "cashier", "carl", "cashier",
                     "fay", "cashier", "gus", "manager", "hal", "cashier", "jo", "cashier",
                     "pia", "cashier", "quin", "cashier", "sol", "cashier", "tam", "cashier",
                     "uma", "cashier", "zed", "cashier", "abe", "cashier", "ada", "cashier",
                     "ben", "cashier", NULL);

  status = till_test_run ();

  till_test_server_free (shop);
  secret_service_disconnect ();
  return status;
}
