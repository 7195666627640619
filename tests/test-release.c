/* test-release.c: a release build takes Stripe.js from js.stripe.com only
 *
 * Every other window test links the test copy of the UI, which lets the
 * card page load the Stripe.js stand-in from loopback. This one links the
 * UI library the release `till` links (built only when the profile is the
 * release one), and runs the release `till` itself, against a real
 * till-server whose settings name the loopback stand-in, as a shop server
 * that was tampered with would. Both must refuse to take cards.
 *
 * Run under Xvfb, in a private D-Bus session with a real keyring and
 * fresh XDG folders (tests/keyring-session).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>

#include "till-charge-page-private.h"
#include "till-test-harness.h"
#include "till-test-session.h"

#define PASSWORD "release-password-1"
#define REFUSAL "This build loads Stripe.js only from " TILL_CARD_VIEW_STRIPE_JS_URL

static TillTestServer *shop;

static gboolean
page_in_state (TillChargePage *page,
               const char     *state)
{
  return g_str_equal (till_charge_page_get_state (page), state);
}

/* The release library's charge screen, given the shop's settings with a
 * loopback Stripe.js: "Cards Cannot Be Taken", and why. */
static void
test_charge_page (void)
{
  GtkWindow *window = GTK_WINDOW (gtk_window_new ());
  TillChargePage *page = g_object_new (TILL_TYPE_CHARGE_PAGE, NULL);
  g_autoptr(TillSession) session = till_test_signed_in_session (shop->url, "rhea", PASSWORD, FALSE);
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  const char *problem;

  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);
  g_test_expect_message ("till-charge-page", G_LOG_LEVEL_WARNING, "*" REFUSAL "*");
  till_charge_page_start (page, session);
  while (!page_in_state (page, "unavailable") && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_test_assert_expected_messages ();

  g_assert_cmpstr (till_charge_page_get_state (page), ==, "unavailable");
  g_assert_cmpstr (till_charge_page_get_unavailable_title (page), ==, "Cards Cannot Be Taken");
  problem = till_checkout_get_problem (till_charge_page_get_checkout (page));
  g_assert_nonnull (strstr (problem, "does not trust"));
  g_assert_cmpstr (till_charge_page_get_unavailable_description (page), ==, problem);
  /* No card form, so no card: nothing can be charged. */
  g_assert_false (till_charge_page_get_can_charge (page));
  g_assert_false (till_card_view_get_ready (till_charge_page_get_card_view (page)));

  gtk_window_destroy (window);
}

/* The release `till`, signed in from its own window: it says on stderr
 * that it refused the shop's Stripe.js. */
static gboolean
log_has (GString    *log,
         const char *needle)
{
  return strstr (log->str, needle) != NULL;
}

static void
read_cb (GObject      *stream,
         GAsyncResult *result,
         gpointer      user_data)
{
  GString *log = user_data;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (stream), result, NULL);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return;
  g_string_append_len (log, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (stream), 4096, G_PRIORITY_DEFAULT, NULL, read_cb, log);
}

static void
wait_log (GString    *log,
          const char *needle,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!log_has (log, needle))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s; till said:\n%s", what, log->str);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
}

static void
test_release_till (void)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) till = NULL;
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *server_option = g_strconcat ("--server=", shop->url, NULL);
  const char *binary = g_getenv ("TILL_APP");

  g_assert_nonnull (binary);
  /* Its log at the level that shows the sign-in and the card form. */
  g_subprocess_launcher_setenv (launcher, "G_MESSAGES_DEBUG", "till-charge-page till-session", TRUE);
  g_subprocess_launcher_setenv (launcher, "GSETTINGS_BACKEND", "memory", TRUE);
  till = g_subprocess_launcher_spawn (launcher, &error, binary, server_option, NULL);
  g_assert_no_error (error);
  g_input_stream_read_bytes_async (g_subprocess_get_stderr_pipe (till), 4096, G_PRIORITY_DEFAULT, NULL,
                                   read_cb, log);

  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
  /* The sign-in form: username, password, Enter (the form puts the focus
   * in the first empty field). */
  till_test_xdo ("type", "--delay", "20", "rhea", NULL);
  till_test_xdo ("key", "Tab", NULL);
  till_test_xdo ("type", "--delay", "20", PASSWORD, NULL);
  till_test_xdo ("key", "Return", NULL);
  wait_log (log, REFUSAL, "the release till to refuse the loopback Stripe.js");
  g_assert_cmpuint (till_test_server_wait_log (shop, "path=/api/config status=200", 2), >=, 2);

  g_subprocess_send_signal (till, SIGTERM);
  g_subprocess_wait (till, NULL, NULL);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  shop = till_test_server_new (till_test_stripe_get ()->url, NULL);
  till_test_server_add_user (shop, "rhea", "cashier", PASSWORD);
  till_test_server_start (shop);

  g_test_add_func ("/release/charge-page", test_charge_page);
  g_test_add_func ("/release/till", test_release_till);
  status = till_test_run ();

  till_test_server_free (shop);
  return status;
}
