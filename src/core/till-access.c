/* till-access.c: who may use the terminal, and the flows that decide it
 *
 * Sign-in, restoring the remembered cashier, the idle lock, unlocking,
 * another cashier taking over and signing out run here, away from the
 * widgets, so that they can be tested without a display and so that the
 * window only follows "state". The object owns the session (a new one, on
 * a new backend client, for every sign-in, so that a CA file or timeouts
 * changed in Preferences apply at once) and the credential store.
 *
 * Disposing cancels every flow under way through one GCancellable; a
 * flow's callback that finds it cancelled returns and touches nothing.
 * Signing out alone goes on, so that the server hears of it.
 *
 * The idle lock lives here rather than in the window: when to lock is a
 * rule of the terminal, not of its drawing, and a test can check it
 * without input events. The window reports activity.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "till-access"

#include <glib/gi18n-lib.h>

#include "till-access.h"
#include "till-enums.h"

/* How often the idle lock looks at the clock. */
#define IDLE_CHECK_SECONDS 1

struct _TillAccess
{
  GObject              parent_instance;

  /* owned references */
  GSettings           *settings;
  TillCredentialStore *store;
  TillSession         *session;
  GSignalGroup        *session_signals;
  GCancellable        *cancellable;          /* cancelled on dispose */
  GCancellable        *restore_cancellable;  /* the cashier can stop a restore */

  /* state */
  TillAccessState      state;
  char                *error;
  char                *username;
  char                *role;
  gboolean             signed_in;
  gboolean             session_ended;
  TillAccessSaleFunc   sale_open;
  TillAccessSaleFunc   payment_busy;
  gpointer             sale_data;
  gint64               last_activity;
  guint                idle_source;
};

G_DEFINE_FINAL_TYPE (TillAccess, till_access, G_TYPE_OBJECT)
G_DEFINE_QUARK (till-access-error-quark, till_access_error)

enum {
  PROP_0,
  PROP_SETTINGS,
  PROP_STORE,
  PROP_STATE,
  PROP_ERROR,
  PROP_SESSION,
  PROP_USERNAME,
  PROP_ROLE,
  PROP_SIGNED_IN,
  PROP_SESSION_ENDED,
  PROP_REMEMBERED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SESSION_STARTED,
  NOTICE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static gboolean
is_cancelled (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Every failure reaches the cashier as a sentence they can act on; the
 * code goes to the log. session: the one that failed (for a 429's wait). */
static char *
describe_error (TillSession  *session,
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
            guint seconds = session ? till_session_get_retry_after (session) : 0;

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
notice (TillAccess *self,
        const char *text)
{
  g_signal_emit (self, signals[NOTICE], 0, text);
}

static void
set_string (TillAccess  *self,
            char       **field,
            const char  *value,
            int          prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_boolean (TillAccess *self,
             gboolean   *field,
             gboolean    value,
             int         prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_signed_in (TillAccess *self)
{
  gboolean cashier_in = self->state == TILL_ACCESS_SIGNED_IN ||
                        self->state == TILL_ACCESS_SIGNING_OUT ||
                        self->state == TILL_ACCESS_LOCKED ||
                        self->state == TILL_ACCESS_UNLOCKING;
  gboolean session_good = self->session != NULL &&
                          till_session_get_state (self->session) == TILL_SESSION_SIGNED_IN;

  set_boolean (self, &self->signed_in, cashier_in && session_good, PROP_SIGNED_IN);
}

static gboolean idle_check_cb (gpointer user_data);

/* The idle lock only runs while the cashier works. */
static void
update_idle_watch (TillAccess *self)
{
  if (self->state != TILL_ACCESS_SIGNED_IN)
    {
      g_clear_handle_id (&self->idle_source, g_source_remove);
      return;
    }
  if (self->idle_source == 0)
    {
      self->last_activity = g_get_monotonic_time ();
      self->idle_source = g_timeout_add_seconds (IDLE_CHECK_SECONDS, idle_check_cb, self);
    }
}

/* error: the sentence for the form the state shows, or NULL. A new error
 * notifies even when it reads as the last one: it is a new failure. */
static void
set_state (TillAccess      *self,
           TillAccessState  state,
           const char      *error)
{
  g_object_freeze_notify (G_OBJECT (self));

  if (error != NULL || self->error != NULL)
    {
      g_free (self->error);
      self->error = g_strdup (error);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
    }
  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (state == TILL_ACCESS_SIGNED_OUT)
    {
      /* The form never shows over a lock. */
      g_settings_set_boolean (self->settings, "locked", FALSE);
      set_string (self, &self->username, NULL, PROP_USERNAME);
      set_string (self, &self->role, NULL, PROP_ROLE);
    }
  update_signed_in (self);
  update_idle_watch (self);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_remembered (TillAccess *self,
                gboolean    remembered)
{
  if (g_settings_get_boolean (self->settings, "remembered") == remembered)
    return;
  g_settings_set_boolean (self->settings, "remembered", remembered);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBERED]);
}

static void
lock_now (TillAccess *self)
{
  g_settings_set_boolean (self->settings, "locked", TRUE);
  set_state (self, TILL_ACCESS_LOCKED, NULL);
}

static void
session_state_changed_cb (TillAccess  *self,
                          GParamSpec  *pspec,
                          TillSession *session)
{
  gboolean ended = till_session_get_state (session) == TILL_SESSION_NEEDS_SIGN_IN;

  set_boolean (self, &self->session_ended, ended, PROP_SESSION_ENDED);
  /* The server refused the session mid-work and no saved password could
   * renew it: ask for the password on top of the screen, which stays. */
  if (ended && self->state == TILL_ACCESS_SIGNED_IN)
    lock_now (self);
  update_signed_in (self);
}

static void
use_session (TillAccess  *self,
             TillSession *session)
{
  if (!g_set_object (&self->session, session))
    return;
  g_signal_group_set_target (self->session_signals, session);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SESSION]);
  session_state_changed_cb (self, NULL, session);
}

/* A new client for every sign-in, so that a CA file or timeouts changed in
 * Preferences apply at once. */
static gboolean
setup_session (TillAccess  *self,
               const char  *server,
               GError     **error)
{
  g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
  g_autoptr(TillBackendClient) client = till_backend_client_new (server, *ca_file ? ca_file : NULL, error);
  g_autoptr(TillSession) session = NULL;

  if (client == NULL)
    return FALSE;
  till_backend_client_set_timeouts (client,
                                    g_settings_get_uint (self->settings, "connect-timeout"),
                                    g_settings_get_uint (self->settings, "request-timeout"));
  session = till_session_new (client, self->store);
  use_session (self, session);
  return TRUE;
}

/* The cashier of self->session starts work. */
static void
start_session (TillAccess *self)
{
  set_string (self, &self->username, till_session_get_username (self->session), PROP_USERNAME);
  set_string (self, &self->role, till_session_get_role (self->session), PROP_ROLE);
  g_signal_emit (self, signals[SESSION_STARTED], 0, self->session);
  set_state (self, TILL_ACCESS_SIGNED_IN, NULL);
}

/* A flow's task; NULL, with the callback told, when the flow cannot start
 * in this state. cancellable: self->cancellable, or NULL for a flow that
 * outlives the object's owner. */
static GTask *
start_flow (TillAccess          *self,
            gpointer             source_tag,
            TillAccessState      required,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  if (self->state == required)
    return g_steal_pointer (&task);
  g_task_return_new_error (task, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_WRONG_STATE,
                           "Not possible in state %d", self->state);
  return NULL;
}

static gboolean
finish (TillAccess    *self,
        GAsyncResult  *result,
        gpointer       source_tag,
        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Idle lock */

static gboolean
idle_check_cb (gpointer user_data)
{
  TillAccess *self = user_data;
  guint seconds = g_settings_get_uint (self->settings, "lock-after-seconds");
  gint64 now = g_get_monotonic_time ();

  /* Not in the middle of a payment: the customer may be at the bank's
   * challenge. */
  if (self->payment_busy != NULL && self->payment_busy (self->sale_data))
    self->last_activity = now;
  if (seconds > 0 && self->signed_in && now - self->last_activity >= (gint64) seconds * G_USEC_PER_SEC)
    till_access_lock (self);

  return G_SOURCE_CONTINUE;
}

void
till_access_note_activity (TillAccess *self)
{
  g_return_if_fail (TILL_IS_ACCESS (self));

  self->last_activity = g_get_monotonic_time ();
}

void
till_access_set_sale_funcs (TillAccess         *self,
                            TillAccessSaleFunc  sale_open,
                            TillAccessSaleFunc  payment_busy,
                            gpointer            user_data)
{
  g_return_if_fail (TILL_IS_ACCESS (self));

  self->sale_open = sale_open;
  self->payment_busy = payment_busy;
  self->sale_data = user_data;
}

/* Sign in */

static void
sign_in_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  TillSession *session = TILL_SESSION (object);
  gboolean remember = GPOINTER_TO_INT (g_task_get_task_data (task));
  g_autoptr(GError) error = NULL;
  gboolean saved;

  if (!till_session_sign_in_finish (session, result, &error))
    {
      if (!is_cancelled (error))
        {
          g_autofree char *message = describe_error (session, error);

          set_state (self, TILL_ACCESS_SIGNED_OUT, message);
        }
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  saved = remember && till_session_get_keyring_available (session);
  g_settings_set_string (self->settings, "server-url",
                         till_backend_client_get_base_url (till_session_get_client (session)));
  g_settings_set_string (self->settings, "last-username", till_session_get_username (session));
  g_settings_set_boolean (self->settings, "auto-sign-in", saved);
  set_remembered (self, saved);
  start_session (self);
  if (remember && !saved)
    notice (self, _("The keyring is not available, so this terminal cannot remember you. "
                    "You will have to sign in next time."));
  g_task_return_boolean (task, TRUE);
}

void
till_access_sign_in_async (TillAccess          *self,
                           const char          *server,
                           const char          *username,
                           const char          *password,
                           gboolean             remember,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));
  g_return_if_fail (server != NULL && username != NULL && password != NULL);

  task = start_flow (self, till_access_sign_in_async, TILL_ACCESS_SIGNED_OUT,
                     self->cancellable, callback, user_data);
  if (task == NULL)
    return;
  g_task_set_task_data (task, GINT_TO_POINTER (remember), NULL);

  url = g_strstrip (g_strdup (server));
  if (*url == '\0' || *username == '\0' || *password == '\0')
    {
      set_state (self, TILL_ACCESS_SIGNED_OUT,
                 _("Fill in the shop server, your username and your password."));
      g_task_return_new_error (task, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_INCOMPLETE,
                               "Server, username or password is empty");
      return;
    }
  if (!setup_session (self, url, &error))
    {
      g_autofree char *message = describe_error (NULL, error);

      set_state (self, TILL_ACCESS_SIGNED_OUT, message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  set_state (self, TILL_ACCESS_SIGNING_IN, NULL);
  till_session_sign_in_async (self->session, username, password, remember,
                              self->cancellable, sign_in_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_sign_in_finish (TillAccess    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return finish (self, result, till_access_sign_in_async, error);
}

/* Remembered terminal */

static char *
describe_restore_error (TillAccess   *self,
                        TillSession  *session,
                        const GError *error)
{
  /* The keyring may well be back next time: keep the saved sign-in. */
  if (!till_session_get_keyring_available (session))
    return g_strdup (_("The keyring is not available, so the saved sign-in cannot be "
                       "read. Please sign in."));

  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    {
      /* Nothing saved works any more: the saved sign-in is stale. */
      g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
      return g_strdup (_("Your saved sign-in no longer works. Please sign in again."));
    }

  return describe_error (session, error);
}

static void
restore_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  TillSession *session = TILL_SESSION (object);
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean restored = till_session_restore_finish (session, result, &error);

  /* Disposed: nothing to show any more, and "locked" must stay as it is. */
  if (g_task_return_error_if_cancelled (task))
    return;
  g_clear_object (&self->restore_cancellable);

  if (restored)
    {
      start_session (self);
      /* Stopped while locked: it comes back locked. */
      if (g_settings_get_boolean (self->settings, "locked"))
        lock_now (self);
      g_task_return_boolean (task, TRUE);
      return;
    }

  /* Cancelled by the cashier: the form, with nothing to apologise for. */
  if (!is_cancelled (error))
    message = describe_restore_error (self, session, error);
  set_state (self, TILL_ACCESS_SIGNED_OUT, message);
  g_task_return_error (task, g_steal_pointer (&error));
}

void
till_access_restore_async (TillAccess          *self,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));

  task = start_flow (self, till_access_restore_async, TILL_ACCESS_SIGNED_OUT,
                     self->cancellable, callback, user_data);
  if (task == NULL)
    return;

  server = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "last-username");
  if (!g_settings_get_boolean (self->settings, "auto-sign-in") || *server == '\0' || *username == '\0')
    {
      /* The form, and a "locked" left over from a cashier who was not
       * remembered must not lock the next one who is. */
      set_state (self, TILL_ACCESS_SIGNED_OUT, NULL);
      g_task_return_new_error (task, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_NOTHING_SAVED,
                               "No remembered cashier");
      return;
    }
  if (!setup_session (self, server, &error))
    {
      g_autofree char *message = describe_error (NULL, error);

      set_state (self, TILL_ACCESS_SIGNED_OUT, message);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* The restoring page says whom it signs in. */
  set_string (self, &self->username, username, PROP_USERNAME);
  g_clear_object (&self->restore_cancellable);
  self->restore_cancellable = g_cancellable_new ();
  set_state (self, TILL_ACCESS_RESTORING, NULL);
  till_session_restore_async (self->session, username, self->restore_cancellable,
                              restore_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_restore_finish (TillAccess    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return finish (self, result, till_access_restore_async, error);
}

void
till_access_cancel_restore (TillAccess *self)
{
  g_return_if_fail (TILL_IS_ACCESS (self));

  if (self->state != TILL_ACCESS_RESTORING || self->restore_cancellable == NULL)
    return;
  /* Cancelling a remembered sign-in also stops the next start from trying. */
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  g_cancellable_cancel (self->restore_cancellable);
}

/* Lock */

void
till_access_lock (TillAccess *self)
{
  g_return_if_fail (TILL_IS_ACCESS (self));

  if (self->state == TILL_ACCESS_SIGNED_IN)
    lock_now (self);
}

static void
unlock_now (TillAccess *self)
{
  g_settings_set_boolean (self->settings, "locked", FALSE);
  set_state (self, TILL_ACCESS_SIGNED_IN, NULL);
}

static void
unlock_failed (TillAccess   *self,
               TillSession  *session,
               const GError *error)
{
  g_autofree char *message = NULL;

  if (is_cancelled (error))
    return;
  message = describe_error (session, error);
  set_state (self, TILL_ACCESS_LOCKED, message);
}

static void
verify_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!till_session_verify_password_finish (TILL_SESSION (object), result, &error))
    {
      if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
        /* Only the password was typed here: say so. */
        set_state (self, TILL_ACCESS_LOCKED, _("Wrong password. Try again."));
      else
        unlock_failed (self, TILL_SESSION (object), error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  unlock_now (self);
  g_task_return_boolean (task, TRUE);
}

void
till_access_unlock_async (TillAccess          *self,
                          const char          *password,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));
  g_return_if_fail (password != NULL);

  task = start_flow (self, till_access_unlock_async, TILL_ACCESS_LOCKED,
                     self->cancellable, callback, user_data);
  if (task == NULL)
    return;

  set_state (self, TILL_ACCESS_UNLOCKING, NULL);
  till_session_verify_password_async (self->session, password, self->cancellable,
                                      verify_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_unlock_finish (TillAccess    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return finish (self, result, till_access_unlock_async, error);
}

/* Another cashier signs in on a session of their own first; only once the
 * server accepted them is the previous cashier's session revoked, so a
 * typo never signs anybody out. */
static void
switch_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  TillSession *candidate = TILL_SESSION (object);
  g_autoptr(GError) error = NULL;

  if (!till_session_sign_in_finish (candidate, result, &error))
    {
      unlock_failed (self, candidate, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  till_session_sign_out_async (self->session, NULL, NULL, NULL);
  use_session (self, candidate);
  /* The new cashier did not ask to be remembered. */
  g_settings_set_string (self->settings, "last-username", till_session_get_username (candidate));
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  set_remembered (self, FALSE);
  g_settings_set_boolean (self->settings, "locked", FALSE);
  start_session (self);
  g_task_return_boolean (task, TRUE);
}

void
till_access_switch_cashier_async (TillAccess          *self,
                                  const char          *username,
                                  const char          *password,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(TillSession) candidate = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));
  g_return_if_fail (username != NULL && password != NULL);

  task = start_flow (self, till_access_switch_cashier_async, TILL_ACCESS_LOCKED,
                     self->cancellable, callback, user_data);
  if (task == NULL)
    return;

  candidate = till_session_new (till_session_get_client (self->session), self->store);
  set_state (self, TILL_ACCESS_UNLOCKING, NULL);
  till_session_sign_in_async (candidate, username, password, FALSE, self->cancellable,
                              switch_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_switch_cashier_finish (TillAccess    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return finish (self, result, till_access_switch_cashier_async, error);
}

/* Sign out and forget */

static void
sign_out_done_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* The session is forgotten locally whatever the server said. */
  if (!till_session_sign_out_finish (TILL_SESSION (object), result, &error) && !is_cancelled (error))
    g_info ("Signing out at the server failed: %s", error->message);

  set_state (self, TILL_ACCESS_SIGNED_OUT, NULL);
  notice (self, _("Signed out"));
  g_task_return_boolean (task, TRUE);
}

void
till_access_sign_out_async (TillAccess          *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));

  /* Not cancelled by disposing: the server should hear of it. */
  task = start_flow (self, till_access_sign_out_async, TILL_ACCESS_SIGNED_IN,
                     NULL, callback, user_data);
  if (task == NULL)
    return;

  if (self->sale_open != NULL && self->sale_open (self->sale_data))
    {
      notice (self, _("This sale is not finished yet. Finish it before signing out."));
      g_task_return_new_error (task, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_SALE_OPEN,
                               "A sale is open");
      return;
    }
  /* The next start shows the form, even with a saved password. */
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  set_state (self, TILL_ACCESS_SIGNING_OUT, NULL);
  till_session_sign_out_async (self->session, NULL, sign_out_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_sign_out_finish (TillAccess    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return finish (self, result, till_access_sign_out_async, error);
}

static void
forget_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillAccess *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!till_session_forget_finish (TILL_SESSION (object), result, &error))
    {
      if (!is_cancelled (error))
        notice (self, _("The saved sign-in could not be removed. Try again."));
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_task_return_error_if_cancelled (task))
    return;

  set_remembered (self, FALSE);
  notice (self, _("Saved sign-in forgotten"));
  g_task_return_boolean (task, TRUE);
}

void
till_access_forget_sign_in_async (TillAccess          *self,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (TILL_IS_ACCESS (self));

  task = g_task_new (self, self->cancellable, callback, user_data);
  g_task_set_source_tag (task, till_access_forget_sign_in_async);

  server = g_settings_get_string (self->settings, "server-url");
  username = g_settings_get_string (self->settings, "last-username");
  g_settings_set_boolean (self->settings, "auto-sign-in", FALSE);
  if (*server == '\0' || *username == '\0' ||
      (self->session == NULL && !setup_session (self, server, NULL)))
    {
      notice (self, _("There is no saved sign-in"));
      g_task_return_new_error (task, TILL_ACCESS_ERROR, TILL_ACCESS_ERROR_NOTHING_SAVED,
                               "No saved sign-in");
      return;
    }
  till_session_forget_async (self->session, username, self->cancellable,
                             forget_done_cb, g_steal_pointer (&task));
}

gboolean
till_access_forget_sign_in_finish (TillAccess    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  return finish (self, result, till_access_forget_sign_in_async, error);
}

/* Getters */

TillAccessState
till_access_get_state (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), TILL_ACCESS_SIGNED_OUT);

  return self->state;
}

const char *
till_access_get_error (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return self->error;
}

TillSession *
till_access_get_session (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return self->session;
}

const char *
till_access_get_username (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return self->username;
}

const char *
till_access_get_role (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return self->role;
}

gboolean
till_access_is_manager (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), FALSE);

  return self->session != NULL && till_session_is_manager (self->session);
}

gboolean
till_access_get_signed_in (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), FALSE);

  return self->signed_in;
}

gboolean
till_access_get_session_ended (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), FALSE);

  return self->session_ended;
}

gboolean
till_access_get_remembered (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), FALSE);

  return g_settings_get_boolean (self->settings, "remembered");
}

char *
till_access_dup_server_url (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return g_settings_get_string (self->settings, "server-url");
}

char *
till_access_dup_last_username (TillAccess *self)
{
  g_return_val_if_fail (TILL_IS_ACCESS (self), NULL);

  return g_settings_get_string (self->settings, "last-username");
}

/* Object */

static void
till_access_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  TillAccess *self = TILL_ACCESS (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_ERROR:
      g_value_set_string (value, self->error);
      break;
    case PROP_SESSION:
      g_value_set_object (value, self->session);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_SIGNED_IN:
      g_value_set_boolean (value, self->signed_in);
      break;
    case PROP_SESSION_ENDED:
      g_value_set_boolean (value, self->session_ended);
      break;
    case PROP_REMEMBERED:
      g_value_set_boolean (value, till_access_get_remembered (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_access_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  TillAccess *self = TILL_ACCESS (object);

  switch (prop_id)
    {
    case PROP_SETTINGS:
      self->settings = g_value_dup_object (value);
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_access_dispose (GObject *object)
{
  TillAccess *self = (TillAccess *)object;

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->restore_cancellable);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  /* Whoever answered for the charge screen may be gone. */
  till_access_set_sale_funcs (self, NULL, NULL, NULL);

  G_OBJECT_CLASS (till_access_parent_class)->dispose (object);
}

static void
till_access_finalize (GObject *object)
{
  TillAccess *self = (TillAccess *)object;

  g_clear_object (&self->session_signals);
  g_clear_object (&self->session);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->restore_cancellable);
  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->role, g_free);

  G_OBJECT_CLASS (till_access_parent_class)->finalize (object);
}

static void
till_access_class_init (TillAccessClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = till_access_get_property;
  object_class->set_property = till_access_set_property;
  object_class->dispose = till_access_dispose;
  object_class->finalize = till_access_finalize;

  properties[PROP_SETTINGS] =
    g_param_spec_object ("settings", NULL, NULL, G_TYPE_SETTINGS,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TILL_TYPE_CREDENTIAL_STORE,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TILL_TYPE_ACCESS_STATE, TILL_ACCESS_SIGNED_OUT,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ERROR] =
    g_param_spec_string ("error", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SESSION] =
    g_param_spec_object ("session", NULL, NULL, TILL_TYPE_SESSION,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SIGNED_IN] =
    g_param_spec_boolean ("signed-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SESSION_ENDED] =
    g_param_spec_boolean ("session-ended", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMEMBERED] =
    g_param_spec_boolean ("remembered", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SESSION_STARTED] =
    g_signal_new ("session-started", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, TILL_TYPE_SESSION);
  signals[NOTICE] =
    g_signal_new ("notice", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
till_access_init (TillAccess *self)
{
  self->cancellable = g_cancellable_new ();
  self->session_signals = g_signal_group_new (TILL_TYPE_SESSION);
  g_signal_group_connect_object (self->session_signals, "notify::state",
                                 G_CALLBACK (session_state_changed_cb), self, G_CONNECT_SWAPPED);
}

TillAccess *
till_access_new (GSettings           *settings,
                 TillCredentialStore *store)
{
  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (store == NULL || TILL_IS_CREDENTIAL_STORE (store), NULL);

  return g_object_new (TILL_TYPE_ACCESS, "settings", settings, "store", store, NULL);
}
