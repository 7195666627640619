/* test-access.c: TillAccess, the sign-in flows, without a display
 *
 * Run through tests/keyring-session against a real till-server. Each test
 * has GSettings of its own (a memory backend) and a cashier of its own, so
 * that neither settings nor keyring items mix.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>

#include "till-access.h"
#include "till-test-harness.h"

static TillTestServer *shop;

static const char *cashiers[] = { "ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon" };

typedef struct
{
  GSettings  *settings;
  TillAccess *access;
  GArray     *states;       /* every state "state" was notified with */
  GPtrArray  *notices;
  guint       sessions_started;
} Fixture;

static char *
password_for (const char *username)
{
  return g_strdup_printf ("%s-password-1", username);
}

static void
state_cb (TillAccess *access,
          GParamSpec *pspec,
          Fixture    *fixture)
{
  TillAccessState state = till_access_get_state (access);

  g_array_append_val (fixture->states, state);
}

static void
notice_cb (TillAccess *access,
           const char *text,
           Fixture    *fixture)
{
  g_ptr_array_add (fixture->notices, g_strdup (text));
}

static void
session_started_cb (TillAccess  *access,
                    TillSession *session,
                    Fixture     *fixture)
{
  g_assert_true (session == till_access_get_session (access));
  fixture->sessions_started++;
}

static void
watch (Fixture    *fixture,
       TillAccess *access)
{
  g_clear_object (&fixture->access);
  fixture->access = access;
  g_array_set_size (fixture->states, 0);
  g_signal_connect (access, "notify::state", G_CALLBACK (state_cb), fixture);
  g_signal_connect (access, "notice", G_CALLBACK (notice_cb), fixture);
  g_signal_connect (access, "session-started", G_CALLBACK (session_started_cb), fixture);
}

/* A terminal as it starts: the same settings, a new access object. */
static void
restart (Fixture *fixture)
{
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);

  if (fixture->access != NULL)
    g_object_run_dispose (G_OBJECT (fixture->access));
  watch (fixture, till_access_new (fixture->settings, store));
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GSettingsBackend) backend = g_memory_settings_backend_new ();

  fixture->settings = g_settings_new_with_backend ("io.github.tillpos.Till", backend);
  fixture->states = g_array_new (FALSE, FALSE, sizeof (TillAccessState));
  fixture->notices = g_ptr_array_new_with_free_func (g_free);
  restart (fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_object_run_dispose (G_OBJECT (fixture->access));
  g_clear_object (&fixture->access);
  g_clear_object (&fixture->settings);
  g_array_unref (fixture->states);
  g_ptr_array_unref (fixture->notices);
  /* Let sign-outs still under way end. */
  till_test_settle (100);
}

static void
assert_states (Fixture *fixture,
               ...)
{
  va_list args;
  guint i = 0;
  int state;

  va_start (args, fixture);
  while ((state = va_arg (args, int)) != -1)
    {
      g_assert_cmpuint (i, <, fixture->states->len);
      g_assert_cmpint (g_array_index (fixture->states, TillAccessState, i), ==, state);
      i++;
    }
  va_end (args);
  g_assert_cmpuint (i, ==, fixture->states->len);
  g_array_set_size (fixture->states, 0);
}

static gboolean
sign_in (Fixture     *fixture,
         const char  *username,
         const char  *password,
         gboolean     remember,
         GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_access_sign_in_async (fixture->access, shop->url, username, password, remember,
                             till_test_result_cb, &result);
  return till_access_sign_in_finish (fixture->access, till_test_wait (&result), error);
}

static void
sign_in_ok (Fixture    *fixture,
            const char *username,
            gboolean    remember)
{
  g_autofree char *password = password_for (username);
  g_autoptr(GError) error = NULL;

  g_assert_true (sign_in (fixture, username, password, remember, &error));
  g_assert_no_error (error);
  assert_states (fixture, TILL_ACCESS_SIGNING_IN, TILL_ACCESS_SIGNED_IN, -1);
}

static gboolean
restore (Fixture  *fixture,
         GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_access_restore_async (fixture->access, till_test_result_cb, &result);
  return till_access_restore_finish (fixture->access, till_test_wait (&result), error);
}

static gboolean
unlock (Fixture     *fixture,
        const char  *password,
        GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_access_unlock_async (fixture->access, password, till_test_result_cb, &result);
  return till_access_unlock_finish (fixture->access, till_test_wait (&result), error);
}

static gboolean
switch_cashier (Fixture     *fixture,
                const char  *username,
                const char  *password,
                GError     **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_access_switch_cashier_async (fixture->access, username, password, till_test_result_cb, &result);
  return till_access_switch_cashier_finish (fixture->access, till_test_wait (&result), error);
}

static gboolean
sign_out (Fixture  *fixture,
          GError  **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_access_sign_out_async (fixture->access, till_test_result_cb, &result);
  return till_access_sign_out_finish (fixture->access, till_test_wait (&result), error);
}

static const char *
last_notice (Fixture *fixture)
{
  g_assert_cmpuint (fixture->notices->len, >, 0);
  return g_ptr_array_index (fixture->notices, fixture->notices->len - 1);
}

/* Tests */

static void
test_sign_in_ok (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autofree char *last = NULL;

  sign_in_ok (fixture, "ann", FALSE);
  g_assert_cmpstr (till_access_get_username (fixture->access), ==, "ann");
  g_assert_cmpstr (till_access_get_role (fixture->access), ==, "cashier");
  g_assert_true (till_access_get_signed_in (fixture->access));
  g_assert_null (till_access_get_error (fixture->access));
  g_assert_cmpuint (fixture->sessions_started, ==, 1);
  last = g_settings_get_string (fixture->settings, "last-username");
  g_assert_cmpstr (last, ==, "ann");
  g_assert_false (g_settings_get_boolean (fixture->settings, "auto-sign-in"));
}

static void
test_sign_in_wrong_password (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (sign_in (fixture, "ben", "not-the-password", FALSE, &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  assert_states (fixture, TILL_ACCESS_SIGNING_IN, TILL_ACCESS_SIGNED_OUT, -1);
  g_assert_cmpstr (till_access_get_error (fixture->access), ==, "Wrong username or password.");
  g_assert_false (till_access_get_signed_in (fixture->access));
  g_assert_cmpuint (fixture->sessions_started, ==, 0);

  /* The next try clears the error. */
  sign_in_ok (fixture, "ben", FALSE);
  g_assert_null (till_access_get_error (fixture->access));
}

static void
test_sign_in_incomplete (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  till_access_sign_in_async (fixture->access, "  ", "ann", "x", FALSE, till_test_result_cb, &result);
  g_assert_false (till_access_sign_in_finish (fixture->access, till_test_wait (&result), &error));
  g_assert_error (error, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_INCOMPLETE);
  assert_states (fixture, -1);
  g_assert_cmpstr (till_access_get_error (fixture->access), ==,
                   "Fill in the shop server, your username and your password.");
}

static void
test_restore (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  /* Nothing remembered yet: the form. */
  g_assert_false (restore (fixture, &error));
  g_assert_error (error, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_NOTHING_SAVED);
  g_clear_error (&error);
  assert_states (fixture, -1);

  sign_in_ok (fixture, "cat", TRUE);
  g_assert_true (till_access_get_remembered (fixture->access));
  g_assert_true (g_settings_get_boolean (fixture->settings, "auto-sign-in"));

  restart (fixture);
  g_assert_true (restore (fixture, &error));
  g_assert_no_error (error);
  assert_states (fixture, TILL_ACCESS_RESTORING, TILL_ACCESS_SIGNED_IN, -1);
  g_assert_cmpstr (till_access_get_username (fixture->access), ==, "cat");

  /* Stopped while locked: it comes back locked. */
  till_access_lock (fixture->access);
  assert_states (fixture, TILL_ACCESS_LOCKED, -1);
  restart (fixture);
  g_assert_true (restore (fixture, &error));
  assert_states (fixture, TILL_ACCESS_RESTORING, TILL_ACCESS_SIGNED_IN, TILL_ACCESS_LOCKED, -1);
}

static void
test_restore_cancelled (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_ok (fixture, "dan", TRUE);
  restart (fixture);
  till_access_restore_async (fixture->access, till_test_result_cb, &result);
  g_assert_cmpint (till_access_get_state (fixture->access), ==, TILL_ACCESS_RESTORING);
  till_access_cancel_restore (fixture->access);
  g_assert_false (till_access_restore_finish (fixture->access, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_states (fixture, TILL_ACCESS_RESTORING, TILL_ACCESS_SIGNED_OUT, -1);
  g_assert_null (till_access_get_error (fixture->access));
  /* The next start does not try again. */
  g_assert_false (g_settings_get_boolean (fixture->settings, "auto-sign-in"));
}

static void
test_lock_unlock (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *password = password_for ("eve");
  g_autoptr(GError) error = NULL;

  sign_in_ok (fixture, "eve", FALSE);
  till_access_lock (fixture->access);
  assert_states (fixture, TILL_ACCESS_LOCKED, -1);
  g_assert_true (g_settings_get_boolean (fixture->settings, "locked"));
  /* The header still names who is signed in. */
  g_assert_true (till_access_get_signed_in (fixture->access));

  g_assert_false (unlock (fixture, "wrong-password", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  assert_states (fixture, TILL_ACCESS_UNLOCKING, TILL_ACCESS_LOCKED, -1);
  g_assert_cmpstr (till_access_get_error (fixture->access), ==, "Wrong password. Try again.");

  g_assert_true (unlock (fixture, password, &error));
  g_assert_no_error (error);
  assert_states (fixture, TILL_ACCESS_UNLOCKING, TILL_ACCESS_SIGNED_IN, -1);
  g_assert_false (g_settings_get_boolean (fixture->settings, "locked"));
  g_assert_null (till_access_get_error (fixture->access));
  /* Unlocking starts no new session. */
  g_assert_cmpuint (fixture->sessions_started, ==, 1);
}

static gboolean
answer_true (gpointer user_data)
{
  return TRUE;
}

static gboolean
answer_flag (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
test_idle_lock (Fixture       *fixture,
                gconstpointer  data)
{
  gboolean paying = TRUE;
  gint64 deadline;

  g_settings_set_uint (fixture->settings, "lock-after-seconds", 1);
  till_access_set_sale_funcs (fixture->access, NULL, answer_flag, &paying);
  sign_in_ok (fixture, "fay", FALSE);

  /* Not while a payment is being made. */
  till_test_settle (2500);
  g_assert_cmpint (till_access_get_state (fixture->access), ==, TILL_ACCESS_SIGNED_IN);

  paying = FALSE;
  deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (till_access_get_state (fixture->access) == TILL_ACCESS_SIGNED_IN &&
         g_get_monotonic_time () < deadline)
    till_test_settle (50);
  assert_states (fixture, TILL_ACCESS_LOCKED, -1);
}

static void
test_switch_cashier (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *password = password_for ("hal");
  g_autoptr(GError) error = NULL;
  g_autoptr(TillSession) first = NULL;

  sign_in_ok (fixture, "gus", TRUE);
  first = g_object_ref (till_access_get_session (fixture->access));
  till_access_lock (fixture->access);
  assert_states (fixture, TILL_ACCESS_LOCKED, -1);

  /* A typo signs nobody out. */
  g_assert_false (switch_cashier (fixture, "hal", "not-hals-password", &error));
  g_assert_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  assert_states (fixture, TILL_ACCESS_UNLOCKING, TILL_ACCESS_LOCKED, -1);
  g_assert_cmpstr (till_access_get_error (fixture->access), ==, "Wrong username or password.");
  g_assert_true (till_access_get_session (fixture->access) == first);
  g_assert_cmpint (till_session_get_state (first), ==, TILL_SESSION_SIGNED_IN);

  g_assert_true (switch_cashier (fixture, "hal", password, &error));
  g_assert_no_error (error);
  assert_states (fixture, TILL_ACCESS_UNLOCKING, TILL_ACCESS_SIGNED_IN, -1);
  g_assert_cmpstr (till_access_get_username (fixture->access), ==, "hal");
  g_assert_true (till_access_get_session (fixture->access) != first);
  g_assert_cmpuint (fixture->sessions_started, ==, 2);
  /* The new cashier did not ask to be remembered. */
  g_assert_false (till_access_get_remembered (fixture->access));
  g_assert_false (g_settings_get_boolean (fixture->settings, "auto-sign-in"));
  g_assert_false (g_settings_get_boolean (fixture->settings, "locked"));
}

static void
test_sign_out_sale_open (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  sign_in_ok (fixture, "ivy", TRUE);
  till_access_set_sale_funcs (fixture->access, answer_true, NULL, NULL);
  g_assert_false (sign_out (fixture, &error));
  g_assert_error (error, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_SALE_OPEN);
  g_clear_error (&error);
  assert_states (fixture, -1);
  g_assert_cmpstr (last_notice (fixture), ==,
                   "This sale is not finished yet. Finish it before signing out.");
  g_assert_true (g_settings_get_boolean (fixture->settings, "auto-sign-in"));

  till_access_set_sale_funcs (fixture->access, NULL, NULL, NULL);
  g_assert_true (sign_out (fixture, &error));
  g_assert_no_error (error);
  assert_states (fixture, TILL_ACCESS_SIGNING_OUT, TILL_ACCESS_SIGNED_OUT, -1);
  g_assert_cmpstr (last_notice (fixture), ==, "Signed out");
  g_assert_false (g_settings_get_boolean (fixture->settings, "auto-sign-in"));
  g_assert_null (till_access_get_username (fixture->access));
}

/* Disposing cancels what is under way, and nothing changes after. */
static void
test_dispose_cancels (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *password = password_for ("jon");
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  sign_in_ok (fixture, "jon", TRUE);
  till_access_lock (fixture->access);
  restart (fixture);
  till_access_restore_async (fixture->access, till_test_result_cb, &result);
  g_object_run_dispose (G_OBJECT (fixture->access));
  g_assert_false (till_access_restore_finish (fixture->access, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_states (fixture, TILL_ACCESS_RESTORING, -1);
  /* Stopped while locked, and still so for the next start. */
  g_assert_true (g_settings_get_boolean (fixture->settings, "locked"));
  g_assert_true (g_settings_get_boolean (fixture->settings, "auto-sign-in"));

  g_clear_object (&result);
  g_clear_error (&error);
  restart (fixture);
  till_access_sign_in_async (fixture->access, shop->url, "jon", password, FALSE,
                             till_test_result_cb, &result);
  g_object_run_dispose (G_OBJECT (fixture->access));
  g_assert_false (till_access_sign_in_finish (fixture->access, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  assert_states (fixture, TILL_ACCESS_SIGNING_IN, -1);
  g_assert_cmpuint (fixture->sessions_started, ==, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *schema_dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);

  /* The app's schema, compiled in the build tree. */
  schema_dir = g_test_build_filename (G_TEST_BUILT, "..", "data", NULL);
  g_setenv ("GSETTINGS_SCHEMA_DIR", schema_dir, TRUE);

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/access/sign-in/ok", test_sign_in_ok);
  ADD ("/access/sign-in/wrong-password", test_sign_in_wrong_password);
  ADD ("/access/sign-in/incomplete", test_sign_in_incomplete);
  ADD ("/access/restore/ok-and-locked", test_restore);
  ADD ("/access/restore/cancelled", test_restore_cancelled);
  ADD ("/access/lock/unlock", test_lock_unlock);
  ADD ("/access/lock/idle", test_idle_lock);
  ADD ("/access/switch-cashier", test_switch_cashier);
  ADD ("/access/sign-out/sale-open", test_sign_out_sale_open);
  ADD ("/access/dispose-cancels", test_dispose_cancels);
#undef ADD

  shop = till_test_server_new (NULL, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (cashiers); i++)
    {
      g_autofree char *password = password_for (cashiers[i]);

      till_test_server_add_user (shop, cashiers[i], "cashier", password);
    }
  till_test_server_start (shop);

  status = till_test_run ();
  till_test_server_free (shop);
  return status;
}
