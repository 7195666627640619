/* till-sign-in-page.c: the sign-in form
 *
 * The page only collects and shows; the window runs the sign-in and sets
 * the page's state.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-sign-in-page.h"

struct _TillSignInPage
{
  AdwBin         parent_instance;

  /* template widgets */
  AdwEntryRow   *server_row;
  AdwEntryRow   *username_row;
  AdwEntryRow   *password_row;
  GtkSwitch     *remember_switch;
  GtkRevealer   *error_revealer;
  GtkLabel      *error_label;
  GtkButton     *sign_in_button;
  GtkStack      *button_stack;
  GtkSpinner    *spinner;

  /* owned references */
  GSettings     *settings;

  /* state */
  TillFormState  state;
  char          *error;
  char          *fixed_server;
};

G_DEFINE_FINAL_TYPE (TillSignInPage, till_sign_in_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

enum {
  SIGN_IN,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static const char *
text_of (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

static void
submit (TillSignInPage *self)
{
  if (self->state == TILL_FORM_BUSY)
    return;
  g_signal_emit (self, signals[SIGN_IN], 0);
}

/* Enter in a field moves on to the next empty one, or signs in when all
 * are filled: the whole form works from the keyboard. */
static void
row_activated_cb (TillSignInPage *self,
                  AdwEntryRow    *row)
{
  AdwEntryRow *rows[] = { self->server_row, self->username_row, self->password_row };

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      if (*text_of (rows[i]) == '\0')
        {
          gtk_widget_grab_focus (GTK_WIDGET (rows[i]));
          return;
        }
    }
  submit (self);
}

static void
field_changed_cb (TillSignInPage *self)
{
  /* A stale error must not sit next to what the cashier is correcting. */
  if (self->state == TILL_FORM_ERROR)
    till_sign_in_page_set_state (self, TILL_FORM_IDLE, NULL);
}

static void
sign_in_clicked_cb (TillSignInPage *self)
{
  submit (self);
}

/* Whether the server field is not the cashier's to type over: the shop's
 * IT locked the address (dconf), or the terminal is a kiosk that has one.
 * A kiosk's approvals are asked of the saved server, so whoever could
 * point it at their own server (one that signs anyone in) could approve
 * its own way out, and have the next manager's password sent there. A
 * kiosk's server is changed with kiosk mode off (Preferences, which a
 * manager approves); a kiosk without one yet is set up at its form. */
gboolean
till_sign_in_server_is_fixed (GSettings *settings)
{
  g_autofree char *saved = NULL;

  g_return_val_if_fail (G_IS_SETTINGS (settings), TRUE);

  if (!g_settings_is_writable (settings, "server-url"))
    return TRUE;
  saved = g_settings_get_string (settings, "server-url");
  return g_settings_get_boolean (settings, "kiosk") && *saved != '\0';
}

static gboolean
server_fixed (TillSignInPage *self)
{
  return self->settings != NULL && till_sign_in_server_is_fixed (self->settings);
}

void
till_sign_in_page_set_state (TillSignInPage *self,
                             TillFormState   state,
                             const char     *error_message)
{
  gboolean busy;

  g_return_if_fail (TILL_IS_SIGN_IN_PAGE (self));

  busy = state == TILL_FORM_BUSY;
  g_free (self->error);
  self->error = state == TILL_FORM_ERROR ? g_strdup (error_message) : NULL;

  gtk_label_set_text (self->error_label, self->error ? self->error : "");
  /* Heard with the field that gets the focus (see till-a11y.c). */
  till_a11y_describe (GTK_WIDGET (self->server_row), self->error);
  till_a11y_describe (GTK_WIDGET (self->username_row), self->error);
  till_a11y_describe (GTK_WIDGET (self->password_row), self->error);
  till_a11y_announce (GTK_WIDGET (self->error_label), self->error);
  gtk_revealer_set_reveal_child (self->error_revealer, self->error != NULL);
  gtk_stack_set_visible_child_name (self->button_stack, busy ? "busy" : "label");
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy && !server_fixed (self));
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->remember_switch), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy);

  if (self->state != state)
    {
      self->state = state;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
}

TillFormState
till_sign_in_page_get_state (TillSignInPage *self)
{
  return self->state;
}

const char *
till_sign_in_page_get_error (TillSignInPage *self)
{
  return self->error;
}

/* What was typed; a fixed address (server_fixed()) is the saved one,
 * whatever the field was made to hold. */
const char *
till_sign_in_page_get_server (TillSignInPage *self)
{
  if (server_fixed (self))
    {
      g_free (self->fixed_server);
      self->fixed_server = g_settings_get_string (self->settings, "server-url");
      return self->fixed_server;
    }
  return text_of (self->server_row);
}

void
till_sign_in_page_set_server (TillSignInPage *self,
                              const char     *server)
{
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server ? server : "");
}

const char *
till_sign_in_page_get_username (TillSignInPage *self)
{
  return text_of (self->username_row);
}

void
till_sign_in_page_set_username (TillSignInPage *self,
                                const char     *username)
{
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username ? username : "");
}

const char *
till_sign_in_page_get_password (TillSignInPage *self)
{
  return text_of (self->password_row);
}

void
till_sign_in_page_clear_password (TillSignInPage *self)
{
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
}

static void
server_fixed_changed_cb (TillSignInPage *self)
{
  g_autofree char *error = g_strdup (self->error);

  till_sign_in_page_set_state (self, self->state, error);
}

/**
 * till_sign_in_page_follow_settings:
 * @self: the page
 * @settings: the terminal's settings
 *
 * The server field shows the server-url key as it changes (what is typed
 * is saved once a sign-in succeeds), and cannot be typed into while the
 * key is locked, nor on a kiosk that has a server.
 */
void
till_sign_in_page_follow_settings (TillSignInPage *self,
                                   GSettings      *settings)
{
  g_return_if_fail (TILL_IS_SIGN_IN_PAGE (self));
  g_return_if_fail (self->settings == NULL);

  self->settings = g_object_ref (settings);
  g_settings_bind (settings, "server-url", self->server_row, "text", G_SETTINGS_BIND_GET);
  g_signal_connect_object (settings, "writable-changed::server-url", G_CALLBACK (server_fixed_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::server-url", G_CALLBACK (server_fixed_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (settings, "changed::kiosk", G_CALLBACK (server_fixed_changed_cb), self,
                           G_CONNECT_SWAPPED);
  server_fixed_changed_cb (self);
}

gboolean
till_sign_in_page_get_remember (TillSignInPage *self)
{
  return gtk_switch_get_active (self->remember_switch);
}

void
till_sign_in_page_set_remember (TillSignInPage *self,
                                gboolean        remember)
{
  gtk_switch_set_active (self->remember_switch, remember);
}

/* Puts the cursor where the cashier has to type next. */
void
till_sign_in_page_focus (TillSignInPage *self)
{
  if (*text_of (self->server_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (*text_of (self->username_row) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
till_sign_in_page_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  TillSignInPage *self = TILL_SIGN_IN_PAGE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_sign_in_page_finalize (GObject *object)
{
  TillSignInPage *self = (TillSignInPage *)object;

  g_clear_pointer (&self->error, g_free);
  g_clear_pointer (&self->fixed_server, g_free);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (till_sign_in_page_parent_class)->finalize (object);
}

static void
till_sign_in_page_class_init (TillSignInPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = till_sign_in_page_get_property;
  object_class->finalize = till_sign_in_page_finalize;

  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL, TILL_FORM_IDLE, TILL_FORM_ERROR, TILL_FORM_IDLE,
                      G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The cashier asked to sign in with what the fields hold. */
  signals[SIGN_IN] = g_signal_new ("sign-in", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                   0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-sign-in-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, server_row);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, username_row);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, button_stack);
  gtk_widget_class_bind_template_child (widget_class, TillSignInPage, spinner);
  gtk_widget_class_bind_template_callback (widget_class, row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, sign_in_clicked_cb);
}

static void
till_sign_in_page_init (TillSignInPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_password_row (ADW_PASSWORD_ENTRY_ROW (self->password_row));
}
