/* test-kiosk.c: the counter: kiosk mode, locked settings, inhibited
 * logout while paying, and `till --version`
 *
 * Under Xvfb with a real window manager (openbox: full screen is the
 * window manager's to grant, as on a desktop), in a private D-Bus session
 * with a real keyring, against a real till-server and the Stripe stand-in.
 * A manager's approval is typed into the approval dialog as X key events
 * and checked by the server; a cashier's password and a server that is
 * down get no approval. Locked keys come from GLib's keyfile settings
 * backend, which reads a shop's defaults and locks as dconf's system
 * databases give them. The session manager is a stand-in owned by this
 * program (till-test-session-manager.c): this machine runs no desktop.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_SETTINGS_ENABLE_BACKEND
#include <gio/gsettingsbackend.h>
#include <string.h>
#include <glib/gstdio.h>

#include "till-application.h"
#include "till-approval-dialog.h"
#include "till-charge-page-private.h"
#include "till-preferences-window-private.h"
#include "till-printout.h"
#include "till-test-harness.h"
#include "till-test-session-manager.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-3"
#define SCHEMA           "io.github.tillpos.Till"

static TillApplication *app;
static TillTestServer *shop;
static TillWindow *window;
static GSubprocess *window_manager;

typedef gboolean (*Condition) (gconstpointer data);
/* `till --version` and `till --help` */

/* Runs the app with one option and no display of any kind, in English:
 * the answer must come before GTK wants a display. Returns its standard
 * output, after checking that it exited 0 and said nothing on stderr. */
static char *
run_without_display (const char *option)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) till = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;

  g_subprocess_launcher_unsetenv (launcher, "DISPLAY");
  g_subprocess_launcher_unsetenv (launcher, "WAYLAND_DISPLAY");
  g_subprocess_launcher_setenv (launcher, "LANGUAGE", "C", TRUE);
  till = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("TILL_APP"), option, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (till, NULL, NULL, &out, &err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (till));
  g_assert_cmpint (g_subprocess_get_exit_status (till), ==, 0);
  g_assert_cmpstr (err, ==, "");
  return g_steal_pointer (&out);
}

static void
test_version (void)
{
  g_autofree char *out = run_without_display ("--version");
  g_autofree char *expected = g_strdup_printf ("Till %s\n", PACKAGE_VERSION);

  g_assert_cmpstr (out, ==, expected);
}

/* Read by whoever sets up the counter PC: what Till is, and that
 * --server is kept. */
static void
test_help (void)
{
  g_autofree char *out = run_without_display ("--help");

  g_assert_nonnull (strstr (out, "\nTake card payments at the counter\n"));
  g_assert_nonnull (strstr (out, "--server=URL"));
  g_assert_nonnull (strstr (out, "saved for next time"));
  g_assert_nonnull (strstr (out, "--version"));
}

/* Locked keys */

/* Settings as a shop's IT leaves them: defaults and locks in the folder
 * GLib's keyfile backend reads them from (what `dconf dump` and
 * `dconf list-locks` of a system database give), the user's own keyfile
 * beside. locked: lock the keys, or only give them defaults. */
static GSettings *
shop_settings (const char *dir,
               gboolean    locked)
{
  GIOExtensionPoint *point;
  GIOExtension *keyfile;
  g_autoptr(GSettingsBackend) backend = NULL;
  g_autofree char *system = g_build_filename (dir, "system", NULL);
  g_autofree char *defaults = g_build_filename (system, "defaults", NULL);
  g_autofree char *locks = g_build_filename (system, "locks", NULL);
  g_autofree char *user = g_build_filename (dir, "user", "keyfile", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (system, 0700), ==, 0);
  g_file_set_contents (defaults,
                       "[io/github/tillpos/Till]\n"
                       "server-url='https://counter.shop.example'\n"
                       "kiosk=true\n"
                       "connect-timeout=7\n"
                       "ca-file='/etc/shop/ca.pem'\n", -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (locks,
                       locked ? "/io/github/tillpos/Till/server-url\n"
                                "/io/github/tillpos/Till/kiosk\n"
                                "/io/github/tillpos/Till/connect-timeout\n"
                                "/io/github/tillpos/Till/ca-file\n"
                              : "", -1, &error);
  g_assert_no_error (error);

  /* The backend's type is not public: it is found as GIO finds it. */
  g_type_ensure (G_TYPE_SETTINGS_BACKEND);
  g_object_unref (g_settings_backend_get_default ());
  point = g_io_extension_point_lookup (G_SETTINGS_BACKEND_EXTENSION_POINT_NAME);
  keyfile = g_io_extension_point_get_extension_by_name (point, "keyfile");
  g_assert_nonnull (keyfile);
  backend = g_object_new (g_io_extension_get_type (keyfile), "filename", user, "defaults-dir", system, NULL);
  return g_settings_new_with_backend (SCHEMA, backend);
}

static void
test_locked_preferences (void)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-locks-XXXXXX");
  g_autoptr(GSettings) settings = shop_settings (dir, TRUE);
  TillPreferencesWindow *prefs = till_preferences_window_new (settings);
  static const char * const locked[] = { "kiosk", "connect-timeout", "ca-file" };
  static const char * const free_keys[] = { "lock-after-seconds", "request-timeout" };

  for (guint i = 0; i < G_N_ELEMENTS (locked); i++)
    {
      g_assert_false (g_settings_is_writable (settings, locked[i]));
      g_assert_false (gtk_widget_get_sensitive (till_preferences_window_get_control (prefs, locked[i])));
    }
  for (guint i = 0; i < G_N_ELEMENTS (free_keys); i++)
    g_assert_true (gtk_widget_get_sensitive (till_preferences_window_get_control (prefs, free_keys[i])));

  /* The locked values are what shows, and what a change leaves. */
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (till_preferences_window_get_control (prefs, "kiosk"))));
  g_assert_cmpfloat (gtk_spin_button_get_value (GTK_SPIN_BUTTON (till_preferences_window_get_control (prefs, "connect-timeout"))), ==, 7);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (till_preferences_window_get_control (prefs, "connect-timeout")), 20);
  gtk_switch_set_active (GTK_SWITCH (till_preferences_window_get_control (prefs, "kiosk")), FALSE);
  g_assert_cmpuint (g_settings_get_uint (settings, "connect-timeout"), ==, 7);
  g_assert_true (g_settings_get_boolean (settings, "kiosk"));

  /* A free key still changes: whole minutes, stored as seconds. */
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (till_preferences_window_get_control (prefs, "lock-after-seconds")), 3);
  g_assert_cmpuint (g_settings_get_uint (settings, "lock-after-seconds"), ==, 180);

  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* Defaults without locks are only defaults: everything may be changed. */
static void
test_unlocked_preferences (void)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-locks-XXXXXX");
  g_autoptr(GSettings) settings = shop_settings (dir, FALSE);
  TillPreferencesWindow *prefs = till_preferences_window_new (settings);

  g_assert_true (gtk_widget_get_sensitive (till_preferences_window_get_control (prefs, "kiosk")));
  g_assert_true (gtk_widget_get_sensitive (till_preferences_window_get_control (prefs, "ca-file")));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (till_preferences_window_get_control (prefs, "connect-timeout")), 20);
  g_assert_cmpuint (g_settings_get_uint (settings, "connect-timeout"), ==, 20);
  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* The first entry row in widget, depth first: of a password or not. */
static GtkWidget *
find_entry_row (GtkWidget *widget,
                gboolean   password)
{
  if (ADW_IS_ENTRY_ROW (widget) && ADW_IS_PASSWORD_ENTRY_ROW (widget) == password)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_entry_row (child, password);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* The server field is the sign-in form's first. */
static GtkWidget *
server_row_of (TillSignInPage *page)
{
  return find_entry_row (GTK_WIDGET (page), FALSE);
}

/* The sign-in form's server field shows the shop's address; locked, it
 * cannot be typed over, also after a sign-in made the form busy and idle
 * again. */
static void
test_sign_in_server (gconstpointer data)
{
  gboolean locked = GPOINTER_TO_INT (data);
  g_autofree char *dir = till_test_make_tmp_dir ("till-locks-XXXXXX");
  g_autoptr(GSettings) settings = shop_settings (dir, locked);
  GtkWidget *holder = gtk_window_new ();
  TillSignInPage *page = g_object_new (TILL_TYPE_SIGN_IN_PAGE, NULL);
  g_autofree char *server = NULL;
  GtkWidget *row;

  gtk_window_set_child (GTK_WINDOW (holder), GTK_WIDGET (page));
  row = server_row_of (page);
  g_assert_nonnull (row);
  /* Not a kiosk: only the lock holds the field (test_kiosk_server). */
  if (!locked)
    g_settings_set_boolean (settings, "kiosk", FALSE);
  till_sign_in_page_follow_settings (page, settings);
  g_assert_cmpstr (till_sign_in_page_get_server (page), ==, "https://counter.shop.example");
  g_assert_true (gtk_widget_get_sensitive (row) == !locked);
  till_sign_in_page_set_state (page, TILL_FORM_BUSY, NULL);
  till_sign_in_page_set_state (page, TILL_FORM_ERROR, "Wrong username or password");
  g_assert_true (gtk_widget_get_sensitive (row) == !locked);
  server = g_settings_get_string (settings, "server-url");
  g_assert_cmpstr (server, ==, "https://counter.shop.example");
  gtk_window_destroy (GTK_WINDOW (holder));
}

/* A kiosk with a server keeps it, locked or not: its approvals are asked
 * of that server, and one typed in (a server of anyone's, which signs them
 * in) would approve their way out and be sent the next manager's password.
 * Out of kiosk mode, or with no server yet, the field is typed into. */
static void
test_kiosk_server (void)
{
  g_autofree char *dir = till_test_make_tmp_dir ("till-locks-XXXXXX");
  g_autoptr(GSettings) settings = shop_settings (dir, FALSE);
  GtkWidget *holder = gtk_window_new ();
  TillSignInPage *page = g_object_new (TILL_TYPE_SIGN_IN_PAGE, NULL);
  GtkWidget *row;

  gtk_window_set_child (GTK_WINDOW (holder), GTK_WIDGET (page));
  row = server_row_of (page);
  g_assert_true (g_settings_is_writable (settings, "server-url"));
  g_assert_true (g_settings_get_boolean (settings, "kiosk"));
  /* What `till --server` asks too, before it saves an address. */
  g_assert_true (till_sign_in_server_is_fixed (settings));
  till_sign_in_page_follow_settings (page, settings);
  g_assert_false (gtk_widget_get_sensitive (row));
  till_sign_in_page_set_state (page, TILL_FORM_BUSY, NULL);
  till_sign_in_page_set_state (page, TILL_FORM_ERROR, "Wrong username or password");
  g_assert_false (gtk_widget_get_sensitive (row));
  /* Whatever the field was made to hold, the sign-in goes to the shop's. */
  gtk_editable_set_text (GTK_EDITABLE (row), "https://elsewhere.example");
  g_assert_cmpstr (till_sign_in_page_get_server (page), ==, "https://counter.shop.example");

  g_settings_set_boolean (settings, "kiosk", FALSE);
  g_assert_false (till_sign_in_server_is_fixed (settings));
  g_assert_true (gtk_widget_get_sensitive (row));
  g_assert_cmpstr (till_sign_in_page_get_server (page), ==, "https://elsewhere.example");

  g_settings_set_string (settings, "server-url", "");
  g_settings_set_boolean (settings, "kiosk", TRUE);
  g_assert_false (till_sign_in_server_is_fixed (settings));
  g_assert_true (gtk_widget_get_sensitive (row));
  g_settings_set_string (settings, "server-url", "https://counter.shop.example");
  g_assert_false (gtk_widget_get_sensitive (row));
  gtk_window_destroy (GTK_WINDOW (holder));
}

/* Kiosk mode */

static gboolean
window_fullscreen (gconstpointer data)
{
  return gtk_window_is_fullscreen (GTK_WINDOW (window)) == GPOINTER_TO_INT (data);
}

static gboolean
window_maximized (gconstpointer data)
{
  return gtk_window_is_maximized (GTK_WINDOW (window)) == GPOINTER_TO_INT (data);
}

static gboolean
window_maximized_or_fullscreen (gconstpointer data)
{
  return gtk_window_is_maximized (GTK_WINDOW (window)) || gtk_window_is_fullscreen (GTK_WINDOW (window));
}

/* The first shown window of type, of the application's or not. */
static gpointer
find_toplevel (GType type)
{
  g_autoptr(GList) toplevels = gtk_window_list_toplevels ();

  for (GList *l = toplevels; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
toplevel_mapped (gconstpointer type)
{
  GtkWidget *toplevel = find_toplevel (GPOINTER_TO_SIZE (type));

  return toplevel != NULL && gtk_widget_get_mapped (toplevel);
}

static TillApprovalDialog *
approval_dialog (void)
{
  return find_toplevel (TILL_TYPE_APPROVAL_DIALOG);
}

static gboolean
dialog_ready (gconstpointer action)
{
  TillApprovalDialog *dialog = approval_dialog ();
  GtkWidget *focus = dialog ? gtk_root_get_focus (GTK_ROOT (dialog)) : NULL;

  return dialog != NULL && g_str_equal (till_approval_dialog_get_action (dialog), action) &&
         gtk_window_is_active (GTK_WINDOW (dialog)) && focus != NULL &&
         gtk_widget_get_ancestor (focus, ADW_TYPE_ENTRY_ROW) != NULL;
}

static gboolean
no_dialog (gconstpointer data)
{
  return approval_dialog () == NULL;
}

static gboolean
dialog_answered (gconstpointer data)
{
  TillApprovalDialog *dialog = approval_dialog ();

  return dialog == NULL ||
         (!till_approval_dialog_get_busy (dialog) && till_approval_dialog_get_message (dialog) != NULL);
}

static void
focus_window (void)
{
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowactivate", "--sync", NULL);
}

/* The approval dialog for action is up and has the keyboard. */
static void
wait_dialog (const char *action)
{
  till_test_wait_until (dialog_ready, action, 20, action);
}

/* Types a name and password into the dialog as a manager would, and
 * waits for the server's answer: the dialog closed (approved), or its
 * message. Returns the message, or NULL when approved. */
static const char *
type_approval (const char *username,
               const char *password)
{
  TillApprovalDialog *dialog = approval_dialog ();

  g_assert_nonnull (dialog);
  gtk_widget_grab_focus (find_entry_row (GTK_WIDGET (dialog), FALSE));
  till_test_xdo ("key", "--delay", "20", "ctrl+a", "BackSpace", NULL);
  till_test_xdo ("type", "--delay", "20", username, NULL);
  till_test_xdo ("key", "--delay", "20", "Return", NULL);
  till_test_xdo ("type", "--delay", "20", password, NULL);
  till_test_xdo ("key", "--delay", "20", "Return", NULL);
  till_test_wait_until (dialog_answered, NULL, 20, "the server's answer to the approval");
  dialog = approval_dialog ();
  return dialog ? till_approval_dialog_get_message (dialog) : NULL;
}

static void
assert_refused (const char *username,
                const char *password,
                const char *expected)
{
  const char *message = type_approval (username, password);

  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, expected));
  wait_dialog (till_approval_dialog_get_action (approval_dialog ()));
}

static void
close_dialog (void)
{
  till_test_xdo ("key", "Escape", NULL);
  till_test_wait_until (no_dialog, NULL, 20, "the approval dialog to close");
}

static guint fullscreen_changes;

static void
count_fullscreen_cb (void)
{
  fullscreen_changes++;
}

static gboolean
is_mapped (gconstpointer data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window));
}

static gboolean
changed_twice (gconstpointer before)
{
  return fullscreen_changes >= GPOINTER_TO_UINT (before) + 2;
}

/* A kiosk fills the screen, and comes back to it when taken out without
 * an approval (here by asking the window manager, as its keys would). */
static void
test_fullscreen (void)
{
  guint before;

  window = till_window_new (app);
  g_signal_connect (window, "notify::fullscreened", G_CALLBACK (count_fullscreen_cb), NULL);
  gtk_window_present (GTK_WINDOW (window));
  till_test_wait_until (is_mapped, NULL, 20, "the window to map");
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (TRUE), 20, "full screen");
  focus_window ();

  before = fullscreen_changes;
  gtk_window_unfullscreen (GTK_WINDOW (window));
  till_test_wait_until (changed_twice, GUINT_TO_POINTER (before), 20, "out of full screen and back");
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (TRUE), 20, "full screen again");
  g_assert_null (approval_dialog ());
}

/* F11 asks to leave full screen: a cashier cannot, a manager can. */
static void
test_leave_fullscreen (void)
{
  focus_window ();
  till_test_xdo ("key", "F11", NULL);
  wait_dialog (TILL_APPROVAL_LEAVE_FULLSCREEN);
  g_assert_true (gtk_window_is_fullscreen (GTK_WINDOW (window)));

  assert_refused ("alice", CASHIER_PASSWORD, "Not approved");
  assert_refused ("morgan", "not-the-password", "Not approved");
  g_assert_true (gtk_window_is_fullscreen (GTK_WINDOW (window)));

  g_assert_null (type_approval ("morgan", MANAGER_PASSWORD));
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (FALSE), 20, "the window out of full screen");
  /* It stays out until asked back. A request the window made when it
   * left, or in what that set off here, would reach the window manager
   * before this one, sent after it on the same connection: once this one
   * is granted, that one would show. */
  till_test_drain ();
  gtk_window_maximize (GTK_WINDOW (window));
  till_test_wait_until (window_maximized_or_fullscreen, NULL, 20, "the window maximised");
  g_assert_false (gtk_window_is_fullscreen (GTK_WINDOW (window)));
  g_assert_true (gtk_window_is_maximized (GTK_WINDOW (window)));
  /* And what the window did on its new size (a request sent after the
   * test's) meets the same test on the way back. */
  till_test_drain ();
  gtk_window_unmaximize (GTK_WINDOW (window));
  till_test_wait_until (window_maximized, GINT_TO_POINTER (FALSE), 20, "the window no longer maximised");
  g_assert_false (gtk_window_is_fullscreen (GTK_WINDOW (window)));
  /* Back, which needs nobody's approval. */
  focus_window ();
  till_test_xdo ("key", "F11", NULL);
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (TRUE), 20, "full screen once more");
  g_assert_null (approval_dialog ());
}

static TillPreferencesWindow *
preferences_window (void)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (TILL_IS_PREFERENCES_WINDOW (l->data))
      return l->data;
  return NULL;
}

static gboolean
preferences_shown (gconstpointer data)
{
  return preferences_window () != NULL && gtk_widget_get_mapped (GTK_WIDGET (preferences_window ()));
}

static void
test_preferences (void)
{
  focus_window ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  wait_dialog (TILL_APPROVAL_PREFERENCES);
  g_assert_null (preferences_window ());
  assert_refused ("alice", CASHIER_PASSWORD, "Not approved");
  g_assert_null (preferences_window ());
  till_test_save_screenshot (GTK_WIDGET (approval_dialog ()), "kiosk-approval-refused");
  close_dialog ();
  g_assert_null (preferences_window ());

  focus_window ();
  till_test_xdo ("key", "ctrl+comma", NULL);
  wait_dialog (TILL_APPROVAL_PREFERENCES);
  g_assert_null (type_approval ("morgan", MANAGER_PASSWORD));
  till_test_wait_until (preferences_shown, NULL, 20, "Preferences");
  till_test_save_screenshot (GTK_WIDGET (preferences_window ()), "kiosk-preferences");
  gtk_window_destroy (GTK_WINDOW (preferences_window ()));
}

static gboolean links_followed;

static gboolean
link_followed_cb (AdwAboutWindow *about,
                  const char     *uri)
{
  g_test_message ("About followed %s", uri);
  links_followed = TRUE;
  /* Handled: no browser starts on the test's display. */
  return TRUE;
}

/* About's links (the website, the issues, the licence, the credits) would
 * open a browser or a mail program over the kiosk: none opens. The test's
 * handler runs after Till's, and only if Till's let the link through. */
static void
test_about_links (void)
{
  static const char * const properties[] = { "website", "issue-url" };
  AdwAboutWindow *about;
  gboolean handled = FALSE;

  focus_window ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  till_test_wait_until (toplevel_mapped, GSIZE_TO_POINTER (ADW_TYPE_ABOUT_WINDOW), 20, "About");
  about = find_toplevel (ADW_TYPE_ABOUT_WINDOW);
  g_signal_connect (about, "activate-link", G_CALLBACK (link_followed_cb), NULL);

  links_followed = FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (properties); i++)
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (about), "about.show-url-property", "s",
                                               properties[i]));
  g_signal_emit_by_name (about, "activate-link", "https://www.gnu.org/licenses/gpl-3.0.html", &handled);
  g_assert_true (handled);
  g_assert_false (links_followed);
  g_assert_null (approval_dialog ());
  gtk_window_destroy (GTK_WINDOW (about));
}

/* No server, no approval: the manager is told why. */
static void
test_server_down (void)
{
  const char *message;

  till_test_server_stop (shop);
  focus_window ();
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  wait_dialog (TILL_APPROVAL_PREFERENCES);
  message = type_approval ("morgan", MANAGER_PASSWORD);
  g_assert_nonnull (message);
  g_assert_nonnull (strstr (message, "cannot be reached"));
  till_test_save_screenshot (GTK_WIDGET (approval_dialog ()), "kiosk-approval-server-down");
  g_assert_null (preferences_window ());
  close_dialog ();
  till_test_server_start (shop);
}

/* Logout and suspend are held off while a payment is sent */

static gboolean
in_state (gconstpointer state)
{
  return g_strcmp0 (till_charge_page_get_state (till_window_get_charge_page (window)), state) == 0;
}

static gboolean
nothing_held (gconstpointer data)
{
  return till_test_session_manager_held () == 0;
}

/* Asked on the application's own connection, after whatever GTK sent on
 * it before (an Uninhibit is not waited for): what the session manager
 * holds off now. */
static gboolean
session_inhibited (void)
{
  GDBusConnection *connection = g_application_get_dbus_connection (G_APPLICATION (app));
  g_autoptr(GVariant) answer = NULL;
  g_autoptr(GError) error = NULL;
  gboolean inhibited;

  answer = g_dbus_connection_call_sync (connection, "org.gnome.SessionManager", "/org/gnome/SessionManager",
                                        "org.gnome.SessionManager", "IsInhibited",
                                        g_variant_new ("(u)", GTK_APPLICATION_INHIBIT_LOGOUT |
                                                              GTK_APPLICATION_INHIBIT_SUSPEND),
                                        G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (answer, "(b)", &inhibited);
  return inhibited;
}

static guint held_while_sending;
static guint sends_seen;

/* Connected after the charge page's own handler: what the session manager
 * held once the page had seen the payment leave. */
static void
checkout_state_cb (TillCheckout *checkout)
{
  if (till_checkout_get_state (checkout) == TILL_CHECKOUT_STATE_SENDING)
    {
      sends_seen++;
      held_while_sending = till_test_session_manager_held ();
    }
}

static void
sign_in (void)
{
  focus_window ();
  till_sign_in_page_focus (till_window_get_sign_in_page (window));
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  till_test_xdo ("type", "--delay", "30", CASHIER_PASSWORD, NULL);
  till_test_xdo ("key", "Return", NULL);
  till_test_wait_until (in_state, "entry", 30, "the card form");
}

/* A sale of amount (minor units) paid with the token, as the card page
 * hands one over once the customer typed their card: the card form is
 * the card view's (test-charge.c types into it); here the payment itself
 * is what counts. */
static void
pay (TillCheckout *checkout,
     const char   *amount,
     const char   *token)
{
  g_autofree char *digits = g_strdup (amount);

  g_assert_true (till_checkout_new_sale (checkout) || till_checkout_get_state (checkout) == TILL_CHECKOUT_STATE_ENTRY);
  g_assert_true (till_checkout_type_digits (checkout, digits));
  till_checkout_set_card_state (checkout, TRUE, TRUE);
  g_assert_true (till_checkout_charge (checkout, NULL));
  till_checkout_card_read (checkout, token, "visa", "4242");
}

static void
test_inhibit (void)
{
  TillChargePage *page = till_window_get_charge_page (window);
  TillCheckout *checkout;
  guint inhibits = till_test_session_manager_inhibits ();
  g_autofree char *reason = NULL;
  g_autofree char *app_id = NULL;

  sign_in ();
  checkout = till_charge_page_get_checkout (page);
  till_checkout_set_timing (checkout, 100, 1500);
  g_signal_connect (checkout, "notify::state", G_CALLBACK (checkout_state_cb), NULL);
  g_assert_cmpuint (till_test_session_manager_held (), ==, 0);

  /* Paid: held while it was sent, let go once it was known. */
  pay (checkout, "1250", "pm_card_visa");
  g_assert_cmpuint (sends_seen, ==, 1);
  g_assert_cmpuint (held_while_sending, ==, 1);
  g_assert_cmpuint (till_test_session_manager_last_flags (), ==,
                    GTK_APPLICATION_INHIBIT_LOGOUT | GTK_APPLICATION_INHIBIT_SUSPEND);
  reason = till_test_session_manager_dup_last_reason ();
  g_assert_cmpstr (reason, ==, "A card payment is being taken");
  app_id = till_test_session_manager_dup_last_app_id ();
  g_assert_cmpstr (app_id, ==, APP_ID);
  g_assert_cmpuint (till_test_session_manager_last_toplevel (), !=, 0);
  till_test_wait_until (in_state, "result", 30, "the payment's result");
  g_assert_cmpstr (till_charge_page_get_result_title (till_window_get_charge_page (window)), ==, "Approved");
  till_test_wait_until (nothing_held, NULL, 20, "the inhibition to be released");
  g_assert_false (session_inhibited ());
  g_assert_cmpuint (till_test_session_manager_inhibits (), ==, inhibits + 1);

  /* 3-D Secure: held while the customer's bank asks, and still while the
   * sale waits for it once the cashier stopped waiting for the customer;
   * let go when the sale is abandoned. */
  pay (checkout, "1400", "pm_card_authenticationRequired");
  till_test_wait_until (in_state, "authenticating", 30, "the customer's bank's challenge");
  g_assert_true (session_inhibited ());
  gtk_widget_activate_action (GTK_WIDGET (page), "charge.stop", NULL);
  till_test_wait_until (in_state, "result", 30, "the sale waiting for the customer's bank");
  g_assert_true (till_charge_page_has_open_sale (page));
  g_assert_true (session_inhibited ());
  g_assert_cmpuint (till_test_session_manager_inhibits (), ==, inhibits + 2);
  gtk_widget_activate_action (GTK_WIDGET (page), "charge.abandon", NULL);
  till_test_wait_until (in_state, "entry", 20, "the sale abandoned");
  till_test_wait_until (nothing_held, NULL, 20, "the inhibition to be released after abandoning");

  /* The server fails: held while the outcome was unknown, let go once
   * the terminal knew what to tell the cashier. */
  till_test_server_stop (shop);
  pay (checkout, "1300", "pm_card_visa");
  g_assert_cmpuint (held_while_sending, ==, 1);
  till_test_wait_until (in_state, "result", 30, "the failed payment's result");
  /* Not known yet ("Not Confirmed Yet"), but nothing is under way: the
   * journal resolves it at the next start. */
  g_assert_true (till_charge_page_has_open_sale (page));
  till_test_wait_until (nothing_held, NULL, 20, "the inhibition to be released after the failure");
  g_assert_cmpuint (till_test_session_manager_inhibits (), ==, inhibits + 3);
  till_test_server_start (shop);
}

/* GTK's print dialog, by name: its header is gtk4-unix-print's. */
static GtkWidget *
print_dialog (void)
{
  GType type = g_type_from_name ("GtkPrintUnixDialog");

  return type != 0 ? find_toplevel (type) : NULL;
}

static gboolean
print_answered (gconstpointer data)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL || print_dialog () != NULL;
}

/* A kiosk opens no print or file dialog of GTK's: the print dialog's
 * Preview starts a document viewer, the file chooser offers to open a
 * file manager. A PDF goes into the save folder, under a name that a
 * server's "/" does not lead out of, and the cashier is told where; a
 * printout goes to the default printer (here, with only GTK's file
 * backend, there is none, which is said). */
static void
test_no_file_dialogs (void)
{
  g_autoptr(TillPrintout) printout = till_printout_new ("Receipt");
  g_autoptr(GFile) folder = till_printout_dup_save_folder ();
  g_autoptr(GFile) saved = g_file_get_child (folder, "receipt-pi_1-kiosk.pdf");
  g_autoptr(GFile) again = g_file_get_child (folder, "receipt-pi_1-kiosk (2).pdf");
  GtkWidget *told;

  till_printout_add_text (printout, TILL_PRINTOUT_TITLE, "Receipt");
  g_file_delete (saved, NULL, NULL);
  g_file_delete (again, NULL, NULL);

  for (guint i = 0; i < 2; i++)
    {
      till_printout_save_pdf (printout, TILL_PAPER_RECEIPT, GTK_WINDOW (window), "receipt-pi_1/kiosk.pdf");
      g_assert_null (find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG));
      g_assert_true (g_file_query_exists (i == 0 ? saved : again, NULL));
      till_test_wait_until (toplevel_mapped, GSIZE_TO_POINTER (ADW_TYPE_MESSAGE_DIALOG), 20, "where the PDF went");
      told = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
      g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (told)), ==, "Saved");
      g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (told)),
                                i == 0 ? "“receipt-pi_1-kiosk.pdf”" : "“receipt-pi_1-kiosk (2).pdf”"));
      gtk_window_destroy (GTK_WINDOW (told));
    }
  g_file_delete (saved, NULL, NULL);
  g_file_delete (again, NULL, NULL);

  till_printout_print (printout, TILL_PAPER_RECEIPT, GTK_WINDOW (window));
  till_test_wait_until (print_answered, NULL, 30, "the printout's outcome");
  g_assert_null (print_dialog ());
  told = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);
  g_test_message ("Printing said: %s", adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (told)));
  g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (told)), ==, "Could Not Print");
  gtk_window_destroy (GTK_WINDOW (told));
}

static gboolean
page_is (gconstpointer name)
{
  return g_strcmp0 (till_window_get_visible_page (window), name) == 0;
}

/* A manager's leave of full screen is theirs, not the next cashier's:
 * once the terminal locks, the kiosk fills the screen again. */
static void
test_lock_fullscreen (void)
{
  focus_window ();
  till_test_xdo ("key", "F11", NULL);
  wait_dialog (TILL_APPROVAL_LEAVE_FULLSCREEN);
  g_assert_null (type_approval ("morgan", MANAGER_PASSWORD));
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (FALSE), 20, "the window out of full screen");

  gtk_widget_activate_action (GTK_WIDGET (window), "win.lock", NULL);
  till_test_wait_until (page_is, "locked", 20, "the lock page");
  till_test_wait_until (window_fullscreen, GINT_TO_POINTER (TRUE), 20, "full screen once locked");

  focus_window ();
  till_test_xdo ("type", "--delay", "30", CASHIER_PASSWORD, NULL);
  till_test_xdo ("key", "Return", NULL);
  till_test_wait_until (page_is, "charge", 30, "the charge page once unlocked");
  g_assert_true (gtk_window_is_fullscreen (GTK_WINDOW (window)));
}

/* Quitting: app.quit, Ctrl+Q and the window manager's close all ask; a
 * cashier is refused, a manager lets Till quit. */
static gboolean
window_gone (gconstpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (app)) == NULL;
}

static void
test_quit (void)
{
  g_action_group_activate_action (G_ACTION_GROUP (app), "quit", NULL);
  wait_dialog (TILL_APPROVAL_QUIT);
  assert_refused ("alice", CASHIER_PASSWORD, "Not approved");
  close_dialog ();
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));

  focus_window ();
  till_test_xdo ("key", "ctrl+q", NULL);
  wait_dialog (TILL_APPROVAL_QUIT);
  close_dialog ();

  /* The window manager's close (openbox: Alt+F4) is a close request. */
  focus_window ();
  till_test_xdo ("key", "alt+F4", NULL);
  wait_dialog (TILL_APPROVAL_QUIT);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_null (type_approval ("morgan", MANAGER_PASSWORD));
  till_test_wait_until (window_gone, NULL, 20, "Till to quit");
  window = NULL;
}

/* The window manager, started on the test's display. */
static gboolean
window_manager_running (gconstpointer data)
{
  g_autofree char *out = NULL;

  g_spawn_command_line_sync ("xprop -root _NET_SUPPORTING_WM_CHECK", &out, NULL, NULL, NULL);
  return out != NULL && strstr (out, "window id") != NULL;
}

static void
start_window_manager (void)
{
  g_autoptr(GError) error = NULL;

  window_manager = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                     "openbox", "--sm-disable", NULL);
  g_assert_no_error (error);
  till_test_wait_until (window_manager_running, NULL, 20, "openbox");
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-kiosk");
  gtk_init ();
  /* Printing finds no printer, and prints nothing on this machine's. */
  g_object_set (gtk_settings_get_default (), "gtk-print-backends", "file", NULL);
  till_test_fatal_warnings_except (NULL);

  g_test_add_func ("/version/no-display", test_version);
  g_test_add_func ("/version/help", test_help);
  g_test_add_func ("/locks/preferences", test_locked_preferences);
  g_test_add_func ("/locks/preferences-unlocked", test_unlocked_preferences);
  g_test_add_data_func ("/locks/sign-in-server", GINT_TO_POINTER (TRUE), test_sign_in_server);
  g_test_add_data_func ("/locks/sign-in-server-unlocked", GINT_TO_POINTER (FALSE), test_sign_in_server);
  g_test_add_func ("/kiosk/sign-in-server", test_kiosk_server);
  /* In this order: one window, from full screen to quitting. */
  g_test_add_func ("/kiosk/fullscreen", test_fullscreen);
  g_test_add_func ("/kiosk/leave-fullscreen", test_leave_fullscreen);
  g_test_add_func ("/kiosk/preferences", test_preferences);
  g_test_add_func ("/kiosk/about-links", test_about_links);
  g_test_add_func ("/kiosk/server-down", test_server_down);
  g_test_add_func ("/kiosk/inhibit", test_inhibit);
  g_test_add_func ("/kiosk/no-file-dialogs", test_no_file_dialogs);
  g_test_add_func ("/kiosk/lock-fullscreen", test_lock_fullscreen);
  g_test_add_func ("/kiosk/quit", test_quit);

  start_window_manager ();
  /* Before the application starts: GTK looks for one only then. */
  till_test_session_manager_start ();

  {
    g_autofree char *port = till_test_fixed_port_config ();

    shop = till_test_server_new (NULL, port);
  }
  till_test_server_add_user (shop, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (shop);

  settings = g_settings_new (SCHEMA);
  g_settings_set_string (settings, "server-url", shop->url);
  g_settings_set_string (settings, "last-username", "alice");
  g_settings_set_boolean (settings, "kiosk", TRUE);
  g_settings_sync ();

  app = till_test_application_new ();

  status = till_test_run ();

  if (window != NULL)
    gtk_window_destroy (GTK_WINDOW (window));
  g_object_unref (app);
  till_test_server_free (shop);
  g_subprocess_force_exit (window_manager);
  g_subprocess_wait (window_manager, NULL, NULL);
  g_object_unref (window_manager);
  return status;
}
