/* till-window.c: the terminal's one window, and the sign-in flows
 *
 * The window owns the session and runs the flows (sign in, restore a
 * remembered terminal, lock and unlock, sign out); its pages only collect
 * input and show the state they are given.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-window"

#include "config.h"

#include <glib/gi18n.h>

#include "till-charge-page.h"
#include "till-credential-store.h"
#include "till-window.h"

/* How often the idle lock looks at the clock. */
#define IDLE_CHECK_SECONDS 1

struct _TillWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  GtkStack             *root_stack;
  GtkStack             *main_stack;
  AdwWindowTitle       *window_title;
  GtkButton            *lock_button;
  AdwToastOverlay      *toast_overlay;
  TillSignInPage       *sign_in_page;
  AdwStatusPage        *restoring_page;
  GtkSpinner           *restoring_spinner;
  GtkButton            *cancel_restore_button;
  TillChargePage       *charge_page;
  TillLockPage         *lock_page;

  /* owned references */
  GSettings            *settings;
  TillCredentialStore  *store;
  TillBackendClient    *client;
  TillSession          *session;
  GCancellable         *cancellable;          /* cancelled when the window closes */
  GCancellable         *restore_cancellable;

  /* state */
  char                 *last_notice;
  gboolean              disposed;
  gint64                last_activity;
  guint                 idle_source;
  gulong                session_state_handler;
  gboolean              locked;
};

G_DEFINE_FINAL_TYPE (TillWindow, till_window, ADW_TYPE_APPLICATION_WINDOW)

static void show_sign_in (TillWindow *self, const char *error_message);
static void lock (TillWindow *self, gboolean session_ended);

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Every failure reaches the cashier as a sentence they can act on; the
 * code goes to the log. */
static char *
describe_error (TillWindow   *self,
                const GError *error)
{
  g_debug ("Backend error %s/%d", g_quark_to_string (error->domain), error->code);

  if (error->domain == TILL_BACKEND_ERROR)
    {
      switch ((TillBackendError) error->code)
        {
        case TILL_BACKEND_ERROR_UNAUTHORIZED:
          return g_strdup (_("Wrong username or password."));
        case TILL_BACKEND_ERROR_FORBIDDEN:
          return g_strdup (_("This account is disabled. Ask a manager."));
        case TILL_BACKEND_ERROR_RATE_LIMITED:
          {
            guint seconds = self->session ? till_session_get_retry_after (self->session) : 0;

            if (seconds == 0)
              return g_strdup (_("Too many attempts. Try again in a minute."));
            return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                 "Too many attempts. Try again in %u second.",
                                                 "Too many attempts. Try again in %u seconds.",
                                                 seconds),
                                    seconds);
          }
        case TILL_BACKEND_ERROR_NETWORK:
          return g_strdup (_("Cannot reach the shop server. Check the address and the network."));
        case TILL_BACKEND_ERROR_TIMEOUT:
          return g_strdup (_("The shop server is not answering. Try again in a moment."));
        case TILL_BACKEND_ERROR_TLS:
          return g_strdup (_("The shop server’s certificate is not trusted. Ask the person who "
                             "runs the shop’s computers to check it."));
        case TILL_BACKEND_ERROR_INVALID_URL:
          return g_strdup (_("The shop server address must start with https:// "
                             "(plain http:// only for this computer)."));
        case TILL_BACKEND_ERROR_DECLINED:
        case TILL_BACKEND_ERROR_CONFLICT:
        case TILL_BACKEND_ERROR_SERVER:
        case TILL_BACKEND_ERROR_BAD_RESPONSE:
        case TILL_BACKEND_ERROR_BAD_REQUEST:
        default:
          return g_strdup (_("The shop server answered with an error. Try again, or ask the "
                             "person who runs the shop’s computers."));
        }
    }

  return g_strdup (_("Something went wrong. Try again."));
}

static void
toast (TillWindow *self,
       const char *message)
{
  g_free (self->last_notice);
  self->last_notice = g_strdup (message);
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
set_app_action_enabled (TillWindow *self,
                        const char *name,
                        gboolean    enabled)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  GAction *action = app ? g_action_map_lookup_action (G_ACTION_MAP (app), name) : NULL;

  if (G_IS_SIMPLE_ACTION (action))
    g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
update_header (TillWindow *self)
{
  TillSessionState state = self->session ? till_session_get_state (self->session) : TILL_SESSION_SIGNED_OUT;
  gboolean signed_in = state == TILL_SESSION_SIGNED_IN;
  g_autofree char *subtitle = NULL;

  if (signed_in)
    {
      const char *name = till_session_get_username (self->session);

      subtitle = till_session_is_manager (self->session)
        ? g_strdup_printf (_("%s, manager"), name)
        : g_strdup_printf (_("%s, cashier"), name);
    }

  adw_window_title_set_subtitle (self->window_title, subtitle ? subtitle : "");
  gtk_widget_set_visible (GTK_WIDGET (self->lock_button), signed_in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.lock", signed_in && !self->locked);
  /* Nothing but unlocking works on a locked terminal. */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out", signed_in && !self->locked);
  set_app_action_enabled (self, "preferences", !self->locked);
  set_app_action_enabled (self, "forget-sign-in", !self->locked);
}

static void
show_home (TillWindow *self)
{
  gtk_stack_set_visible_child_name (self->main_stack, "charge");
  gtk_spinner_set_spinning (self->restoring_spinner, FALSE);
  till_sign_in_page_clear_password (self->sign_in_page);
  update_header (self);
  till_charge_page_start (self->charge_page, self->session);
}

static void
charge_notice_cb (TillWindow     *self,
                  const char     *text,
                  TillChargePage *page)
{
  toast (self, text);
}

static void
charge_configured_cb (TillWindow     *self,
                      TillChargePage *page)
{
  const char *name = till_charge_page_get_shop_name (page);

  adw_window_title_set_title (self->window_title, name && *name ? name : _("Till"));
}

static void
show_sign_in (TillWindow *self,
              const char *error_message)
{
  g_autofree char *server = g_settings_get_string (self->settings, "server-url");
  g_autofree char *username = g_settings_get_string (self->settings, "last-username");

  gtk_spinner_set_spinning (self->restoring_spinner, FALSE);
  if (*till_sign_in_page_get_server (self->sign_in_page) == '\0')
    till_sign_in_page_set_server (self->sign_in_page, server);
  if (*till_sign_in_page_get_username (self->sign_in_page) == '\0')
    till_sign_in_page_set_username (self->sign_in_page, username);
  till_sign_in_page_clear_password (self->sign_in_page);
  /* A saved password stays saved unless the cashier says otherwise. */
  till_sign_in_page_set_remember (self->sign_in_page, g_settings_get_boolean (self->settings, "remembered"));
  till_sign_in_page_set_state (self->sign_in_page,
                               error_message ? TILL_FORM_ERROR : TILL_FORM_IDLE,
                               error_message);
  self->locked = FALSE;
  g_settings_set_boolean (self->settings, "locked", FALSE);
  gtk_stack_set_visible_child_name (self->root_stack, "content");
  gtk_stack_set_visible_child_name (self->main_stack, "sign-in");
  update_header (self);
  till_sign_in_page_focus (self->sign_in_page);
}

static void
session_state_changed_cb (TillWindow  *self,
                          GParamSpec  *pspec,
                          TillSession *session)
{
  /* The server refused the session mid-work and no saved password could
   * renew it: ask for the password on top of the screen, which stays. */
  if (till_session_get_state (session) == TILL_SESSION_NEEDS_SIGN_IN && !self->locked)
    lock (self, TRUE);
  update_header (self);
}

static void
use_session (TillWindow  *self,
             TillSession *session)
{
  if (self->session != NULL)
    g_clear_signal_handler (&self->session_state_handler, self->session);
  g_set_object (&self->session, session);
  g_set_object (&self->client, till_session_get_client (session));
  self->session_state_handler =
    g_signal_connect_object (self->session, "notify::state",
                             G_CALLBACK (session_state_changed_cb), self, G_CONNECT_SWAPPED);
}

/* A new client for every sign-in, so that a CA file or timeouts changed in
 * Preferences apply at once. */
static TillSession *
new_session (TillWindow  *self,
             const char  *server,
             GError     **error)
{
  g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
  g_autoptr(TillBackendClient) client = till_backend_client_new (server, *ca_file ? ca_file : NULL, error);

  if (client == NULL)
    return NULL;
  till_backend_client_set_timeouts (client,
                                    g_settings_get_uint (self->settings, "connect-timeout"),
                                    g_settings_get_uint (self->settings, "request-timeout"));
  return till_session_new (client, self->store);
}

static gboolean
setup_session (TillWindow  *self,
               const char  *server,
               GError     **error)
{
  g_autoptr(TillSession) session = new_session (self, server, error);

  if (session == NULL)
    return FALSE;
  use_session (self, session);
  return TRUE;
}

static void
warn_if_not_remembered (TillWindow *self,
                        gboolean    remember)
{
  if (remember && !till_session_get_keyring_available (self->session))
    toast (self, _("The keyring is not available, so this terminal cannot remember you. "
                   "You will have to sign in next time."));
}

/* Sign in */

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  gboolean remember;
  gboolean saved;

  if (!till_session_sign_in_finish (TILL_SESSION (object), result, &error))
    {
      g_autofree char *message = NULL;

      if (is_cancelled (error) || self->disposed)
        return;
      message = describe_error (self, error);
      till_sign_in_page_clear_password (self->sign_in_page);
      till_sign_in_page_set_state (self->sign_in_page, TILL_FORM_ERROR, message);
      till_sign_in_page_focus (self->sign_in_page);
      return;
    }

  if (self->disposed)
    return;
  remember = till_sign_in_page_get_remember (self->sign_in_page);
  saved = remember && till_session_get_keyring_available (self->session);
  g_settings_set_string (self->settings, "server-url", till_backend_client_get_base_url (self->client));
  g_settings_set_string (self->settings, "last-username", till_session_get_username (self->session));
  g_settings_set_boolean (self->settings, "auto-sign-in", saved);
  g_settings_set_boolean (self->settings, "remembered", saved);
  till_sign_in_page_set_state (self->sign_in_page, TILL_FORM_IDLE, NULL);
  show_home (self);
  warn_if_not_remembered (self, remember);
}

static void
sign_in_requested_cb (TillWindow     *self,
                      TillSignInPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = g_strstrip (g_strdup (till_sign_in_page_get_server (page)));
  const char *username = till_sign_in_page_get_username (page);
  const char *password = till_sign_in_page_get_password (page);

  if (*server == '\0' || *username == '\0' || *password == '\0')
    {
      till_sign_in_page_set_state (page, TILL_FORM_ERROR,
                                   _("Fill in the shop server, your username and your password."));
      till_sign_in_page_focus (page);
      return;
    }

  if (!setup_session (self, server, &error))
    {
      g_autofree char *message = describe_error (self, error);

      till_sign_in_page_set_state (page, TILL_FORM_ERROR, message);
      return;
    }

  till_sign_in_page_set_state (page, TILL_FORM_BUSY, NULL);
  till_session_sign_in_async (self->session, username, password,
                              till_sign_in_page_get_remember (page),
                              self->cancellable, sign_in_done_cb, g_object_ref (self));
}

/* Remembered terminal */

static void
restore_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (self->disposed)
    return;
  g_clear_object (&self->restore_cancellable);

  if (till_session_restore_finish (TILL_SESSION (object), result, &error))
    {
      show_home (self);
      /* Stopped while locked: it comes back locked. */
      if (g_settings_get_boolean (self->settings, "locked"))
        lock (self, FALSE);
      return;
    }

  if (is_cancelled (error))
    {
      show_sign_in (self, NULL);
      return;
    }

  if (!till_session_get_keyring_available (TILL_SESSION (object)))
    {
      /* The keyring may well be back next time: keep the saved sign-in. */
      message = g_strdup (_("The keyring is not available, so the saved sign-in cannot be "
                            "read. Please sign in."));
    }
  else if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    {
      /* Nothing saved works any more: the saved sign-in is stale. */
      g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
      message = g_strdup (_("Your saved sign-in no longer works. Please sign in again."));
    }
  else
    message = describe_error (self, error);
  show_sign_in (self, message);
}

static void
restore (TillWindow *self,
         const char *server,
         const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL;

  if (!setup_session (self, server, &error))
    {
      g_autofree char *message = describe_error (self, error);

      show_sign_in (self, message);
      return;
    }

  title = g_strdup_printf (_("Signing in as %s…"), username);
  adw_status_page_set_title (self->restoring_page, title);
  gtk_spinner_set_spinning (self->restoring_spinner, TRUE);
  gtk_stack_set_visible_child_name (self->main_stack, "restoring");
  gtk_widget_grab_focus (GTK_WIDGET (self->cancel_restore_button));

  self->restore_cancellable = g_cancellable_new ();
  till_session_restore_async (self->session, username, self->restore_cancellable,
                              restore_done_cb, g_object_ref (self));
}

static void
cancel_sign_in_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (self->restore_cancellable == NULL)
    return;
  /* Cancelling a remembered sign-in also stops the next start from trying. */
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  g_cancellable_cancel (self->restore_cancellable);
}

/* Lock */

/* Preferences and dialogs do not stay open over a locked terminal. */
static void
close_other_windows (TillWindow *self)
{
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));
  g_autoptr(GList) windows = app ? g_list_copy (gtk_application_get_windows (app)) : NULL;

  for (GList *l = windows; l != NULL; l = l->next)
    if (l->data != (gpointer) self)
      gtk_window_destroy (l->data);
}

static void
lock (TillWindow *self,
      gboolean    session_ended)
{
  g_autofree char *description = NULL;
  const char *name = self->session ? till_session_get_username (self->session) : NULL;

  if (session_ended)
    description = g_strdup_printf (_("The session of %s ended. Type the password to carry on "
                                     "where you left off."), name);
  else
    description = g_strdup_printf (_("Signed in as %s. Type the password to unlock."), name);

  self->locked = TRUE;
  g_settings_set_boolean (self->settings, "locked", TRUE);
  close_other_windows (self);
  gtk_stack_set_visible_child_name (self->root_stack, "locked");
  update_header (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->lock_page));
  till_lock_page_reset (self->lock_page, session_ended ? _("Sign In Again") : _("Locked"), description);
}

static void
unlock (TillWindow *self)
{
  till_lock_page_clear_passwords (self->lock_page);
  g_settings_set_boolean (self->settings, "locked", FALSE);
  self->locked = FALSE;
  self->last_activity = g_get_monotonic_time ();
  till_lock_page_set_state (self->lock_page, TILL_FORM_IDLE, NULL);
  gtk_stack_set_visible_child_name (self->root_stack, "content");
  update_header (self);
}

static void
lock_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (self->session != NULL && till_session_get_state (self->session) == TILL_SESSION_SIGNED_IN)
    lock (self, FALSE);
}

static void
lock_failed (TillWindow   *self,
             const GError *error)
{
  g_autofree char *message = NULL;

  if (is_cancelled (error))
    return;
  message = describe_error (self, error);
  till_lock_page_set_state (self->lock_page, TILL_FORM_ERROR, message);
}

static void
verify_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->disposed)
    return;
  if (till_session_verify_password_finish (TILL_SESSION (object), result, &error))
    unlock (self);
  else if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    /* Only the password was typed here: say so. */
    till_lock_page_set_state (self->lock_page, TILL_FORM_ERROR, _("Wrong password. Try again."));
  else
    lock_failed (self, error);
}

static void
unlock_requested_cb (TillWindow   *self,
                     TillLockPage *page)
{
  till_lock_page_set_state (page, TILL_FORM_BUSY, NULL);
  till_session_verify_password_async (self->session, till_lock_page_get_password (page),
                                      self->cancellable, verify_done_cb, g_object_ref (self));
}

/* Another cashier signs in on a session of their own first; only once the
 * server accepted them is the previous cashier's session revoked, so a
 * typo never signs anybody out. */
static void
switch_sign_in_done_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  TillSession *candidate = TILL_SESSION (object);

  if (self->disposed)
    return;
  if (!till_session_sign_in_finish (candidate, result, &error))
    {
      lock_failed (self, error);
      return;
    }

  till_session_sign_out_async (self->session, NULL, NULL, NULL);
  use_session (self, candidate);
  /* The new cashier did not ask to be remembered. */
  g_settings_set_string (self->settings, "last-username", till_session_get_username (self->session));
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (self->settings, "remembered", FALSE);
  unlock (self);
  show_home (self);
}

static void
switch_user_requested_cb (TillWindow   *self,
                          TillLockPage *page)
{
  g_autoptr(TillSession) candidate = till_session_new (self->client, self->store);

  till_lock_page_set_state (page, TILL_FORM_BUSY, NULL);
  till_session_sign_in_async (candidate, till_lock_page_get_other_username (page),
                              till_lock_page_get_other_password (page), FALSE,
                              self->cancellable, switch_sign_in_done_cb, g_object_ref (self));
}

/* Sign out and forget */

static void
sign_out_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  /* The session is forgotten locally whatever the server said. */
  if (!till_session_sign_out_finish (TILL_SESSION (object), result, &error) && !is_cancelled (error))
    g_info ("Signing out at the server failed: %s", error->message);

  /* The window may be gone by now; the application is not. */
  g_application_release (g_application_get_default ());
  if (self->disposed)
    return;
  show_sign_in (self, NULL);
  toast (self, _("Signed out"));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  TillWindow *self = TILL_WINDOW (widget);

  if (self->session == NULL)
    return;
  if (till_charge_page_has_open_sale (self->charge_page))
    {
      toast (self, _("This sale is not finished yet. Finish it before signing out."));
      return;
    }
  /* The next start shows the form, even with a saved password. */
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  gtk_widget_action_set_enabled (widget, "win.sign-out", FALSE);
  /* Not cancelled by closing the window, and the app stays up until the
   * server has heard of it (or given up). */
  g_application_hold (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))));
  till_session_sign_out_async (self->session, NULL, sign_out_done_cb, g_object_ref (self));
}

static void
forget_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (self->disposed)
    return;
  if (!till_session_forget_finish (TILL_SESSION (object), result, &error))
    {
      if (!is_cancelled (error))
        toast (self, _("The saved sign-in could not be removed. Try again."));
      return;
    }
  g_settings_set_boolean (self->settings, "remembered", FALSE);
  till_sign_in_page_set_remember (self->sign_in_page, FALSE);
  toast (self, _("Saved sign-in forgotten"));
}

void
till_window_forget_sign_in (TillWindow *self)
{
  g_autofree char *server = g_settings_get_string (self->settings, "server-url");
  g_autofree char *username = g_settings_get_string (self->settings, "last-username");
  g_autoptr(GError) error = NULL;

  g_return_if_fail (TILL_IS_WINDOW (self));

  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  if (*server == '\0' || *username == '\0' ||
      (self->session == NULL && !setup_session (self, server, &error)))
    {
      toast (self, _("There is no saved sign-in"));
      return;
    }
  till_session_forget_async (self->session, username, self->cancellable, forget_done_cb, g_object_ref (self));
}

/* Keys typed on a locked terminal reach the lock page and nothing else,
 * whatever grabs the focus under it (the card page's web view does when
 * its page loads). */
static void
focus_changed_cb (TillWindow *self)
{
  GtkWidget *focus = gtk_root_get_focus (GTK_ROOT (self));

  if (self->locked && focus != NULL && focus != GTK_WIDGET (self->lock_page) &&
      !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->lock_page)))
    gtk_widget_grab_focus (GTK_WIDGET (self->lock_page));
}

/* Idle lock */

static void
activity_cb (TillWindow *self)
{
  self->last_activity = g_get_monotonic_time ();
}

static gboolean
key_pressed_cb (TillWindow      *self,
                guint            keyval,
                guint            keycode,
                GdkModifierType  state)
{
  activity_cb (self);
  return GDK_EVENT_PROPAGATE;
}

static gboolean
idle_check_cb (gpointer user_data)
{
  TillWindow *self = user_data;
  guint seconds = g_settings_get_uint (self->settings, "lock-after-seconds");

  /* Not in the middle of a payment: the customer may be at the bank's
   * challenge. */
  if (till_charge_page_is_busy (self->charge_page))
    self->last_activity = g_get_monotonic_time ();
  if (seconds > 0 && !self->locked && self->session != NULL &&
      till_session_get_state (self->session) == TILL_SESSION_SIGNED_IN &&
      g_get_monotonic_time () - self->last_activity >= (gint64) seconds * G_USEC_PER_SEC)
    lock (self, FALSE);

  return G_SOURCE_CONTINUE;
}

static void
setup_idle_watch (TillWindow *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture *clicks = gtk_gesture_click_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();

  /* Capture phase: every key and click counts, whichever widget takes it. */
  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (clicks), GTK_PHASE_CAPTURE);
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (clicks), 0);
  g_signal_connect_swapped (keys, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  g_signal_connect_swapped (clicks, "pressed", G_CALLBACK (activity_cb), self);
  g_signal_connect_swapped (motion, "motion", G_CALLBACK (activity_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (clicks));
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  self->last_activity = g_get_monotonic_time ();
  self->idle_source = g_timeout_add_seconds (IDLE_CHECK_SECONDS, idle_check_cb, self);
}

/* Window */

/* "application" is no construct property of GtkWindow, so the start-up
 * flow runs once it is set, from till_window_new(). */
static void
till_window_start (TillWindow      *self,
                   TillApplication *app)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  self->settings = g_object_ref (till_application_get_settings (app));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  setup_idle_watch (self);
  g_signal_connect_object (self, "notify::focus-widget", G_CALLBACK (focus_changed_cb), self, G_CONNECT_SWAPPED);
  /* The card form's web process starts while the cashier signs in. */
  till_charge_page_prepare (self->charge_page);

  server = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "last-username");
  if (g_settings_get_boolean (self->settings, "auto-sign-in") && *server && *username)
    restore (self, server, username);
  else
    show_sign_in (self, NULL);
}

static gboolean
till_window_close_request (GtkWindow *window)
{
  TillWindow *self = TILL_WINDOW (window);
  int width, height;

  /* An open sale may close with the window: the payment journal has it,
   * and the next start resolves it before the next sale. */

  gtk_window_get_default_size (window, &width, &height);
  g_settings_set_int (self->settings, "window-width", width);
  g_settings_set_int (self->settings, "window-height", height);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->restore_cancellable);

  return GTK_WINDOW_CLASS (till_window_parent_class)->close_request (window);
}

static void
till_window_dispose (GObject *object)
{
  TillWindow *self = (TillWindow *)object;

  /* Callbacks still on their way find this and stop. */
  self->disposed = TRUE;
  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->restore_cancellable);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->session != NULL)
    g_clear_signal_handler (&self->session_state_handler, self->session);

  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_WINDOW);

  G_OBJECT_CLASS (till_window_parent_class)->dispose (object);
}

static void
till_window_finalize (GObject *object)
{
  TillWindow *self = (TillWindow *)object;

  g_clear_pointer (&self->last_notice, g_free);
  g_clear_object (&self->settings);
  g_clear_object (&self->store);
  g_clear_object (&self->client);
  g_clear_object (&self->session);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->restore_cancellable);

  G_OBJECT_CLASS (till_window_parent_class)->finalize (object);
}

static void
till_window_class_init (TillWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = till_window_dispose;
  object_class->finalize = till_window_finalize;
  window_class->close_request = till_window_close_request;

  g_type_ensure (TILL_TYPE_SIGN_IN_PAGE);
  g_type_ensure (TILL_TYPE_LOCK_PAGE);
  g_type_ensure (TILL_TYPE_CHARGE_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TillWindow, root_stack);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, lock_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, sign_in_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, restoring_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, restoring_spinner);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, cancel_restore_button);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, charge_page);
  gtk_widget_class_bind_template_child (widget_class, TillWindow, lock_page);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, unlock_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, switch_user_requested_cb);
  gtk_widget_class_bind_template_callback (widget_class, charge_notice_cb);
  gtk_widget_class_bind_template_callback (widget_class, charge_configured_cb);

  gtk_widget_class_install_action (widget_class, "win.lock", NULL, lock_action);
  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.cancel-sign-in", NULL, cancel_sign_in_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "win.cancel-sign-in", NULL);
}

static void
till_window_init (TillWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->store = till_credential_store_new (APP_ID);

  if (g_str_has_suffix (APP_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

TillWindow *
till_window_new (TillApplication *application)
{
  TillWindow *self = g_object_new (TILL_TYPE_WINDOW, "application", application, NULL);

  till_window_start (self, application);
  return self;
}

const char *
till_window_get_visible_page (TillWindow *self)
{
  g_return_val_if_fail (TILL_IS_WINDOW (self), NULL);

  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->root_stack), "locked") == 0)
    return "locked";
  return gtk_stack_get_visible_child_name (self->main_stack);
}

/* The line under the title: who is signed in. */
const char *
till_window_get_status_text (TillWindow *self)
{
  return adw_window_title_get_subtitle (self->window_title);
}

/* The last passing notice (toast) the window showed, or NULL. */
const char *
till_window_get_last_notice (TillWindow *self)
{
  return self->last_notice;
}

TillSignInPage *
till_window_get_sign_in_page (TillWindow *self)
{
  return self->sign_in_page;
}

TillLockPage *
till_window_get_lock_page (TillWindow *self)
{
  return self->lock_page;
}

TillSession *
till_window_get_session (TillWindow *self)
{
  return self->session;
}

TillChargePage *
till_window_get_charge_page (TillWindow *self)
{
  return self->charge_page;
}
