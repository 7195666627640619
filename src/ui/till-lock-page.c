/* till-lock-page.c: the locked terminal
 *
 * The screen under the lock is kept as it was; this page only asks for
 * the signed-in cashier's password, or another cashier's sign-in.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-lock-page.h"

struct _TillLockPage
{
  AdwBin          parent_instance;

  /* template widgets */
  GtkLabel       *title_label;
  GtkLabel       *description_label;
  AdwEntryRow    *password_row;
  GtkRevealer    *error_revealer;
  GtkLabel       *error_label;
  GtkButton      *unlock_button;
  AdwExpanderRow *switch_row;
  AdwEntryRow    *other_username_row;
  AdwEntryRow    *other_password_row;
  GtkButton      *switch_button;

  /* state */
  TillFormState   state;
  char           *error;
};

G_DEFINE_FINAL_TYPE (TillLockPage, till_lock_page, ADW_TYPE_BIN)

enum {
  UNLOCK,
  SWITCH_USER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
unlock_cb (TillLockPage *self)
{
  if (self->state != TILL_FORM_BUSY && *till_lock_page_get_password (self) != '\0')
    g_signal_emit (self, signals[UNLOCK], 0);
}

static void
switch_cb (TillLockPage *self)
{
  if (self->state != TILL_FORM_BUSY &&
      *till_lock_page_get_other_username (self) != '\0' &&
      *till_lock_page_get_other_password (self) != '\0')
    g_signal_emit (self, signals[SWITCH_USER], 0);
}

static void
other_activated_cb (TillLockPage *self,
                    AdwEntryRow  *row)
{
  if (*till_lock_page_get_other_username (self) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->other_username_row));
  else if (*till_lock_page_get_other_password (self) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->other_password_row));
  else
    switch_cb (self);
}

/* Opening "Another Cashier" puts the cursor in its username field. */
static void
switch_expanded_cb (TillLockPage *self)
{
  if (adw_expander_row_get_expanded (self->switch_row))
    gtk_widget_grab_focus (GTK_WIDGET (self->other_username_row));
}

static void
field_changed_cb (TillLockPage *self)
{
  if (self->state == TILL_FORM_ERROR)
    till_lock_page_set_state (self, TILL_FORM_IDLE, NULL);
}

void
till_lock_page_reset (TillLockPage *self,
                      const char   *title,
                      const char   *description)
{
  g_return_if_fail (TILL_IS_LOCK_PAGE (self));

  gtk_label_set_text (self->title_label, title);
  gtk_label_set_text (self->description_label, description);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->other_username_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->other_password_row), "");
  adw_expander_row_set_expanded (self->switch_row, FALSE);
  till_lock_page_set_state (self, TILL_FORM_IDLE, NULL);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

void
till_lock_page_set_state (TillLockPage  *self,
                          TillFormState  state,
                          const char    *error_message)
{
  gboolean busy = state == TILL_FORM_BUSY;

  g_return_if_fail (TILL_IS_LOCK_PAGE (self));

  /* A wrong password is typed again from scratch; emptied before the error
   * is set, since editing a field clears a shown error. */
  if (state == TILL_FORM_ERROR)
    {
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      gtk_editable_set_text (GTK_EDITABLE (self->other_password_row), "");
    }

  self->state = state;
  g_free (self->error);
  self->error = state == TILL_FORM_ERROR ? g_strdup (error_message) : NULL;
  gtk_label_set_text (self->error_label, self->error ? self->error : "");
  /* Heard with the password field, which gets the focus back (see
   * till-a11y.c). */
  till_a11y_describe (GTK_WIDGET (self->password_row), self->error);
  till_a11y_describe (GTK_WIDGET (self->other_password_row), self->error);
  till_a11y_announce (GTK_WIDGET (self->error_label), self->error);
  gtk_revealer_set_reveal_child (self->error_revealer, self->error != NULL);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->unlock_button), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->switch_row), !busy);

  /* Back from busy, the cursor returns to the password that was typed:
   * the other cashier's when that was the attempt. */
  if (state != TILL_FORM_BUSY && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      if (adw_expander_row_get_expanded (self->switch_row))
        gtk_widget_grab_focus (GTK_WIDGET (self->other_password_row));
      else
        gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
    }
}

/* Nothing typed stays in a hidden field once the terminal is unlocked. */
void
till_lock_page_clear_passwords (TillLockPage *self)
{
  g_return_if_fail (TILL_IS_LOCK_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->other_password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->other_username_row), "");
  adw_expander_row_set_expanded (self->switch_row, FALSE);
}

TillFormState
till_lock_page_get_state (TillLockPage *self)
{
  return self->state;
}

const char *
till_lock_page_get_error (TillLockPage *self)
{
  return self->error;
}

const char *
till_lock_page_get_password (TillLockPage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->password_row));
}

const char *
till_lock_page_get_other_username (TillLockPage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->other_username_row));
}

const char *
till_lock_page_get_other_password (TillLockPage *self)
{
  return gtk_editable_get_text (GTK_EDITABLE (self->other_password_row));
}

static void
till_lock_page_finalize (GObject *object)
{
  TillLockPage *self = (TillLockPage *)object;

  g_clear_pointer (&self->error, g_free);

  G_OBJECT_CLASS (till_lock_page_parent_class)->finalize (object);
}

static void
till_lock_page_class_init (TillLockPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = till_lock_page_finalize;

  signals[UNLOCK] = g_signal_new ("unlock", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[SWITCH_USER] = g_signal_new ("switch-user", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-lock-page.ui");
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, title_label);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, description_label);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, password_row);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, error_label);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, switch_row);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, other_username_row);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, other_password_row);
  gtk_widget_class_bind_template_child (widget_class, TillLockPage, switch_button);
  gtk_widget_class_bind_template_callback (widget_class, unlock_cb);
  gtk_widget_class_bind_template_callback (widget_class, switch_cb);
  gtk_widget_class_bind_template_callback (widget_class, other_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, field_changed_cb);
}

static void
till_lock_page_init (TillLockPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_name_password_row (ADW_PASSWORD_ENTRY_ROW (self->password_row));
  till_a11y_name_password_row (ADW_PASSWORD_ENTRY_ROW (self->other_password_row));

  g_signal_connect_object (self->switch_row, "notify::expanded",
                           G_CALLBACK (switch_expanded_cb), self, G_CONNECT_SWAPPED);
}
