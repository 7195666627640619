/* test-ui.c: the cashier's sign-in in a real window
 *
 * Runs under Xvfb in a private D-Bus session with a real keyring
 * (tests/keyring-session), against a real till-server. Text and keys are
 * typed as X key events (xdotool); each "restart" is a new process, so the
 * next start sees only what a real restart would: GSettings on disk and
 * the keyring.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-application.h"
#include "till-charge-page-private.h"
#include "till-test-harness.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define PASSWORD "alice-password-1"
#define BOB_PASSWORD "bob-password-22"

static TillTestServer *server;
static const char *program_path;

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "15", text, NULL);
}

static void
press (const char *keys)
{
  till_test_xdo ("key", keys, NULL);
}

static gboolean
sign_in_error_shown (TillWindow    *window,
                     gconstpointer  data)
{
  return till_sign_in_page_get_error (till_window_get_sign_in_page (window)) != NULL;
}

static gboolean
lock_error_shown (TillWindow    *window,
                  gconstpointer  data)
{
  return till_lock_page_get_error (till_window_get_lock_page (window)) != NULL;
}

/* The lock page's own text ends with marker: every key typed before it has
 * been handled, shortcuts included, since keys arrive in order. */
static gboolean
lock_password_ends_with (TillWindow    *window,
                         gconstpointer  marker)
{
  return g_str_has_suffix (till_lock_page_get_password (till_window_get_lock_page (window)), marker);
}

/* "Another Cashier" has opened all the way, with the focus in its username
 * row: keys typed while it still slides open are lost. */
static gboolean
other_username_focused (TillWindow    *window,
                        gconstpointer  data)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (window));
  GtkWidget *row = focus ? gtk_widget_get_ancestor (focus, ADW_TYPE_ENTRY_ROW) : NULL;
  GtkWidget *revealer = row ? gtk_widget_get_ancestor (row, GTK_TYPE_REVEALER) : NULL;

  return row != NULL && !ADW_IS_PASSWORD_ENTRY_ROW (row) &&
         gtk_widget_is_ancestor (row, GTK_WIDGET (till_window_get_lock_page (window))) &&
         revealer != NULL && gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
}

static TillWindow *
start_till (TillApplication **out_app)
{
  /* Registering runs the application's start-up, as g_application_run would. */
  TillApplication *app = till_test_application_new ();
  TillWindow *window;

  window = till_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  /* Once the window is mapped, give it the X input focus for typed keys. */
  till_test_window_wait (window, till_test_window_is_mapped, NULL, "the window to map");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);

  *out_app = app;
  return window;
}

static void
stop_till (TillApplication *app,
           TillWindow      *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  for (int i = 0; i < 20; i++)
    g_main_context_iteration (NULL, FALSE);
  g_object_unref (app);
}

/* First start: the form; sign in from the keyboard, asking to be remembered. */
static void
phase_first_sign_in (void)
{
  TillApplication *app;
  TillWindow *window = start_till (&app);
  TillSignInPage *page = till_window_get_sign_in_page (window);

  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");

  /* A wrong password first: told inline, in words. */
  type_text (server->url);
  press ("Return");
  type_text ("alice");
  press ("Return");
  type_text ("not-the-password");
  press ("Return");
  till_test_window_wait (window, sign_in_error_shown, NULL, "the sign-in error");
  g_assert_cmpstr (till_sign_in_page_get_error (page), ==, "Wrong username or password.");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");

  /* The password field was emptied and has the focus: type it again. */
  till_sign_in_page_set_remember (page, TRUE);
  type_text (PASSWORD);
  press ("Return");
  till_test_window_wait (window, till_test_window_shows_page, "charge", "the signed-in screen");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");

  stop_till (app, window);
}

/* Second start: signed in with no form, then locked. Nothing but the
 * password gets past the lock, and quitting does not unlock it. */
static void
phase_restart_signed_in (void)
{
  TillApplication *app;
  TillWindow *window = start_till (&app);

  till_test_window_wait (window, till_test_window_shows_page, "charge", "the remembered sign-in");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");

  press ("ctrl+l");
  till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock screen");

  type_text ("wrong-password");
  press ("Return");
  till_test_window_wait (window, lock_error_shown, NULL, "the unlock error");
  g_assert_cmpstr (till_lock_page_get_error (till_window_get_lock_page (window)), ==,
                   "Wrong password. Try again.");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "locked");

  /* Sign-out and Preferences are out of reach, by key or by action. */
  press ("ctrl+shift+q");
  press ("ctrl+comma");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
  /* A key typed after them reaching the password field: the two shortcuts
   * have been handled. Each would act at once (a second window; a session
   * dropped to signed out), so the checks below need no wait. */
  type_text ("z");
  till_test_window_wait (window, lock_password_ends_with, "z", "a key typed after the shortcuts");
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "locked");
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 1);
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "preferences"));
  g_assert_false (g_action_group_get_action_enabled (G_ACTION_GROUP (app), "forget-sign-in"));
  g_assert_nonnull (till_window_get_session (window));
  g_assert_cmpint (till_session_get_state (till_window_get_session (window)), ==, TILL_SESSION_SIGNED_IN);

  /* Quit while locked. */
  stop_till (app, window);
}

/* Third start: back locked; the password unlocks, then sign out. */
static void
phase_restart_locked (void)
{
  TillApplication *app;
  TillWindow *window = start_till (&app);

  till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock after a restart");
  type_text (PASSWORD);
  press ("Return");
  till_test_window_wait (window, till_test_window_shows_page, "charge", "the unlocked screen");
  g_assert_cmpstr (till_lock_page_get_password (till_window_get_lock_page (window)), ==, "");

  /* Sign out from the menu's action. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL));
  till_test_window_wait (window, till_test_window_shows_page, "sign-in", "the form after signing out");

  stop_till (app, window);
}

/* Fourth start, after signing out: the form again, with the name filled in. */
static void
phase_restart_signed_out (void)
{
  TillApplication *app;
  TillWindow *window = start_till (&app);
  TillSignInPage *page = till_window_get_sign_in_page (window);

  /* The window picks its first page as it is built: a remembered sign-in
   * would show "restoring" first, never the form. */
  till_test_window_wait (window, till_test_window_shows_page, "sign-in", "the sign-in form");
  g_assert_cmpstr (till_sign_in_page_get_username (page), ==, "alice");
  g_assert_cmpstr (till_sign_in_page_get_password (page), ==, "");

  stop_till (app, window);
}

static gboolean
notice_shown (TillWindow    *window,
              gconstpointer  data)
{
  return till_window_get_last_notice (window) != NULL;
}

static GSettings *
settings (void)
{
  return g_settings_new ("io.github.tillpos.Till");
}

/* Errors in words a cashier understands: an unreachable server, then too
 * many wrong passwords. */
static void
phase_errors (void)
{
  g_autoptr(GSettings) s = settings ();
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autoptr(GError) error = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_autofree char *dead = g_strdup_printf ("http://127.0.0.1:%u", port);
  TillApplication *app;
  TillWindow *window;
  TillSignInPage *page;
  const char *message;

  g_assert_no_error (error);
  g_socket_listener_close (listener);
  g_settings_set_string (s, "server-url", dead);
  g_settings_set_string (s, "last-username", "");
  g_settings_set_boolean (s, "auto-sign-in", FALSE);
  g_settings_sync ();

  window = start_till (&app);
  page = till_window_get_sign_in_page (window);
  /* Nobody's name, so that the lockout it earns locks out no one. */
  type_text ("carol");
  press ("Return");
  type_text ("some-password");
  press ("Return");
  till_test_window_wait (window, sign_in_error_shown, NULL, "the unreachable-server error");
  g_assert_cmpstr (till_sign_in_page_get_error (page), ==,
                   "Cannot reach the shop server. Check the address and the network.");

  /* The right server, and a guessing game that the server stops. */
  till_sign_in_page_set_server (page, server->url);
  for (int i = 0; i < 6; i++)
    {
      till_sign_in_page_set_state (page, TILL_FORM_IDLE, NULL);
      type_text ("guess-number-x");
      press ("Return");
      till_test_window_wait (window, sign_in_error_shown, NULL, "a sign-in error");
    }
  message = till_sign_in_page_get_error (page);
  g_assert_true (g_str_has_prefix (message, "Too many attempts. Try again in "));
  g_assert_true (g_str_has_suffix (message, " seconds."));

  stop_till (app, window);
}

/* Idle time locks the terminal; another cashier can take over from the
 * lock screen. */
static void
phase_idle_lock_and_switch (void)
{
  g_autoptr(GSettings) s = settings ();
  TillApplication *app;
  TillWindow *window;

  g_settings_set_string (s, "server-url", server->url);
  g_settings_set_string (s, "last-username", "");
  g_settings_set_boolean (s, "auto-sign-in", FALSE);
  g_settings_set_uint (s, "lock-after-seconds", 2);
  g_settings_sync ();

  window = start_till (&app);
  type_text ("alice");
  press ("Return");
  type_text (PASSWORD);
  press ("Return");
  till_test_window_wait (window, till_test_window_shows_page, "charge", "the signed-in screen");

  /* No input for two seconds. */
  till_test_window_wait (window, till_test_window_shows_page, "locked", "the idle lock");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");

  /* Another cashier: Alt+A opens "Another Cashier" at its username. A
   * mistyped password signs nobody out; the cursor stays on it. */
  press ("alt+a");
  till_test_window_wait (window, other_username_focused, NULL, "the focus on Another Cashier's username");
  type_text ("bob");
  press ("Return");
  type_text ("not-bobs-password");
  press ("Return");
  till_test_window_wait (window, lock_error_shown, NULL, "the switch error");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");
  g_assert_cmpint (till_session_get_state (till_window_get_session (window)), ==, TILL_SESSION_SIGNED_IN);
  type_text (BOB_PASSWORD);
  press ("Return");
  till_test_window_wait (window, till_test_window_shows_page, "charge", "the other cashier's screen");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "bob, cashier");

  g_settings_set_uint (s, "lock-after-seconds", 300);
  g_settings_sync ();
  stop_till (app, window);
}

/* No keyring at all: signing in works for this run, and the cashier is
 * told that the terminal cannot remember them. */
static void
phase_no_keyring (void)
{
  g_autoptr(GSettings) s = settings ();
  TillApplication *app;
  TillWindow *window;

  g_settings_set_string (s, "server-url", server->url);
  g_settings_set_string (s, "last-username", "alice");
  g_settings_set_boolean (s, "auto-sign-in", FALSE);
  g_settings_sync ();

  window = start_till (&app);
  till_sign_in_page_set_remember (till_window_get_sign_in_page (window), TRUE);
  type_text (PASSWORD);
  press ("Return");
  till_test_window_wait (window, till_test_window_shows_page, "charge", "the signed-in screen");
  till_test_window_wait (window, notice_shown, NULL, "the keyring notice");
  g_assert_cmpstr (till_window_get_last_notice (window), ==,
                   "The keyring is not available, so this terminal cannot remember you. "
                   "You will have to sign in next time.");
  g_assert_false (g_settings_get_boolean (s, "auto-sign-in"));

  stop_till (app, window);
}

/* Each start of Till is this program again, in a child process running
 * one phase: a real restart. */
static void
run_phase (const char *name)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *arg = g_strconcat ("--phase=", name, NULL);

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, program_path, arg, NULL);
  g_assert_no_error (error);
  g_subprocess_wait (process, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_if_exited (process) || g_subprocess_get_exit_status (process) != 0)
    g_error ("The phase “%s” failed (see its messages above)", name);
}

static void
test_sign_in_restart_lock_sign_out (void)
{
  run_phase ("first-sign-in");
  run_phase ("restart-signed-in");
  run_phase ("restart-locked");
  run_phase ("restart-signed-out");
}

static void
test_errors (void)
{
  run_phase ("errors");
}

static void
test_idle_lock_and_switch (void)
{
  run_phase ("idle-lock-and-switch");
}

static void
test_no_keyring (void)
{
  run_phase ("no-keyring");
}

static int
phase_main (const char *name)
{
  static const struct { const char *name; void (*run) (void); } phases[] = {
    { "first-sign-in", phase_first_sign_in },
    { "restart-signed-in", phase_restart_signed_in },
    { "restart-locked", phase_restart_locked },
    { "restart-signed-out", phase_restart_signed_out },
    { "errors", phase_errors },
    { "idle-lock-and-switch", phase_idle_lock_and_switch },
    { "no-keyring", phase_no_keyring },
  };

  gtk_init ();
  adw_init ();
  server = g_new0 (TillTestServer, 1);
  server->url = g_strdup (g_getenv ("TILL_TEST_SERVER_URL"));
  g_assert_nonnull (server->url);

  for (guint i = 0; i < G_N_ELEMENTS (phases); i++)
    if (g_str_equal (phases[i].name, name))
      {
        phases[i].run ();
        return 0;
      }
  g_printerr ("No phase %s\n", name);
  return 2;
}

int
main (int   argc,
      char *argv[])
{
  gboolean no_secret_service = till_test_take_flag (&argc, argv, "--no-secret-service");
  int status;

  if (argc == 2 && g_str_has_prefix (argv[1], "--phase="))
    return phase_main (argv[1] + strlen ("--phase="));

  program_path = argv[0];
  g_test_init (&argc, &argv, NULL);

  /* The three phases run as child processes of the test, each a start
   * of Till; the server is started once, by the parent. */
  /* Without a Secret Service (tests/keyring-session --no-secret-service)
   * only the keyring-less start is meaningful. */
  if (no_secret_service)
    g_test_add_func ("/ui/no-keyring", test_no_keyring);
  else
    {
      g_test_add_func ("/ui/sign-in-restart-lock-sign-out", test_sign_in_restart_lock_sign_out);
      g_test_add_func ("/ui/errors", test_errors);
      g_test_add_func ("/ui/idle-lock-and-switch", test_idle_lock_and_switch);
    }

  server = till_test_server_new (NULL, NULL);
  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_add_user (server, "bob", "cashier", BOB_PASSWORD);
  till_test_server_start (server);
  g_setenv ("TILL_TEST_SERVER_URL", server->url, TRUE);

  status = till_test_run ();
  till_test_server_free (server);
  return status;
}
