/* till-approval-dialog.c: a manager approves what a kiosk does
 *
 * In kiosk mode, leaving full screen, quitting and opening Preferences
 * wait for a manager, who types their name and password here. The shop's
 * server checks them (POST /api/approvals), never the terminal: a server
 * that cannot be reached means no approval. The password goes into the
 * one request and is cleared from the field as it is sent; it is never
 * stored or logged. The dialog sends no session: an approval is the same
 * whether someone is signed in or the kiosk stands at its sign-in form.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-approval"

#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-approval-dialog.h"
#include "till-backend-answers.h"
#include "till-backend-client.h"

struct _TillApprovalDialog
{
  AdwWindow            parent_instance;

  /* template widgets */
  GtkLabel            *message_label;
  GtkLabel            *summary_label;
  GtkSpinner          *spinner;
  AdwPreferencesGroup *fields_group;
  AdwEntryRow         *username_row;
  AdwPasswordEntryRow *password_row;

  /* owned references */
  GSettings           *settings;
  GCancellable        *cancellable;

  /* state */
  char                *action;
  char                *message;
  gboolean             busy;
};

G_DEFINE_FINAL_TYPE (TillApprovalDialog, till_approval_dialog, ADW_TYPE_WINDOW)

enum {
  APPROVED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *
text_of (gpointer row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
update (TillApprovalDialog *self)
{
  gboolean typed = *text_of (self->username_row) != '\0' && *text_of (self->password_row) != '\0';

  gtk_label_set_text (self->message_label, self->message ? self->message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), self->message != NULL);
  gtk_spinner_set_spinning (self->spinner, self->busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->fields_group), !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "approval.send", typed && !self->busy);
}

static void
set_message (TillApprovalDialog *self,
             const char         *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
  update (self);
}

static void
field_changed_cb (TillApprovalDialog *self)
{
  update (self);
}

/* Why the server gave no approval, in the manager's words. */
static char *
describe_refusal (TillBackendResponse *response,
                  GError              *error)
{
  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_FORBIDDEN))
    return g_strdup (_("Not approved: the name or password is wrong, or the account is not an "
                       "enabled manager’s."));
  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_RATE_LIMITED))
    {
      guint wait = response ? MAX (till_backend_response_get_retry_after (response), 1) : 1;

      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                           "Too many tries. Try again in %u second.",
                                           "Too many tries. Try again in %u seconds.", wait), wait);
    }
  if (g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_NETWORK) ||
      g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TIMEOUT) ||
      g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_TLS))
    return g_strdup (_("The shop server cannot be reached, so nothing can be approved. "
                       "Only the shop server can check a manager’s password."));
  return g_strdup (_("The shop server could not check the approval, so nothing was approved."));
}

/* A 200 is an approval only if it says it is one, of this action, by a
 * manager. */
static gboolean
answer_approves (TillApprovalDialog  *self,
                 TillBackendResponse *response,
                 const char         **out_name)
{
  JsonObject *answer = till_backend_response_get_object (response);
  JsonObject *approver = answer ? till_answer_get_object (answer, "approver") : NULL;
  const char *action = NULL, *role = NULL;

  return approver != NULL &&
         till_answer_get_string (answer, "action", 32, TRUE, &action, NULL) &&
         g_str_equal (action, self->action) &&
         till_answer_get_string (approver, "role", 16, TRUE, &role, NULL) &&
         g_str_equal (role, "manager") &&
         till_answer_get_string (approver, "name", TILL_ANSWER_NAME_MAX, TRUE, out_name, NULL);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(TillApprovalDialog) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillBackendResponse) refused = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  const char *approver = NULL;

  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, &refused, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->busy = FALSE;
  if (response != NULL && answer_approves (self, response, &approver))
    {
      g_debug ("%s approved by %s", self->action, approver);
      g_signal_emit (self, signals[APPROVED], 0, approver);
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (response != NULL)
    message = g_strdup (_("The shop server’s answer was not an approval, so nothing was approved."));
  else
    {
      g_debug ("%s not approved: %s", self->action, error->message);
      message = describe_refusal (refused, error);
    }
  set_message (self, message);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static TillBackendClient *
new_client (TillApprovalDialog  *self,
            GError             **error)
{
  g_autofree char *server = g_settings_get_string (self->settings, "server-url");
  g_autofree char *ca_file = g_settings_get_string (self->settings, "ca-file");
  TillBackendClient *client;

  if (*server == '\0')
    {
      g_set_error_literal (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_INVALID_URL, "no server");
      return NULL;
    }
  client = till_backend_client_new (server, *ca_file ? ca_file : NULL, error);
  if (client != NULL)
    till_backend_client_set_timeouts (client,
                                      g_settings_get_uint (self->settings, "connect-timeout"),
                                      g_settings_get_uint (self->settings, "request-timeout"));
  return client;
}

static void
send_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  TillApprovalDialog *self = TILL_APPROVAL_DIALOG (widget);
  g_autoptr(TillBackendClient) client = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;

  if (self->busy || *text_of (self->username_row) == '\0' || *text_of (self->password_row) == '\0')
    return;
  if ((client = new_client (self, &error)) == NULL)
    {
      set_message (self, _("This terminal has no usable shop server address, so nothing can be "
                           "approved."));
      return;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, text_of (self->username_row));
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, text_of (self->password_row));
  json_builder_set_member_name (builder, "action");
  json_builder_add_string_value (builder, self->action);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  /* The password is in the request now, and nowhere else. */
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  self->busy = TRUE;
  g_clear_pointer (&self->message, g_free);
  update (self);
  till_backend_client_request_async (client, "POST", "/api/approvals", NULL, NULL, body,
                                     self->cancellable, sent_cb, g_object_ref (self));
}

/* Enter moves to the password, and sends once both are typed. */
static void
activated_cb (TillApprovalDialog *self,
              AdwEntryRow        *row)
{
  if (row == self->username_row && *text_of (self->password_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "approval.send", NULL);
}

static const char *
summary_of (const char *action)
{
  if (g_str_equal (action, TILL_APPROVAL_QUIT))
    return _("This terminal is in kiosk mode. A manager must approve quitting Till.");
  if (g_str_equal (action, TILL_APPROVAL_PREFERENCES))
    return _("This terminal is in kiosk mode. A manager must approve opening Preferences.");
  return _("This terminal is in kiosk mode. A manager must approve leaving full screen.");
}

static void
till_approval_dialog_dispose (GObject *object)
{
  TillApprovalDialog *self = (TillApprovalDialog *)object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), TILL_TYPE_APPROVAL_DIALOG);

  G_OBJECT_CLASS (till_approval_dialog_parent_class)->dispose (object);
}

static void
till_approval_dialog_finalize (GObject *object)
{
  TillApprovalDialog *self = (TillApprovalDialog *)object;

  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->action, g_free);
  g_clear_pointer (&self->message, g_free);

  G_OBJECT_CLASS (till_approval_dialog_parent_class)->finalize (object);
}

static void
till_approval_dialog_class_init (TillApprovalDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = till_approval_dialog_dispose;
  object_class->finalize = till_approval_dialog_finalize;

  /* A manager approved: the name of the manager. */
  signals[APPROVED] = g_signal_new ("approved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                    0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-approval-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, message_label);
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, summary_label);
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, fields_group);
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, TillApprovalDialog, password_row);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, activated_cb);

  gtk_widget_class_install_action (widget_class, "approval.send", NULL, send_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
till_approval_dialog_init (TillApprovalDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_fix_mnemonics (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

TillApprovalDialog *
till_approval_dialog_new (GSettings  *settings,
                          const char *action)
{
  TillApprovalDialog *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);
  g_return_val_if_fail (action != NULL, NULL);

  self = g_object_new (TILL_TYPE_APPROVAL_DIALOG, NULL);
  self->settings = g_object_ref (settings);
  self->action = g_strdup (action);
  gtk_label_set_text (self->summary_label, summary_of (action));
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->username_row));
  update (self);
  return self;
}

const char *
till_approval_dialog_get_action (TillApprovalDialog *self)
{
  return self->action;
}

const char *
till_approval_dialog_get_message (TillApprovalDialog *self)
{
  return self->message;
}

gboolean
till_approval_dialog_get_busy (TillApprovalDialog *self)
{
  return self->busy;
}
