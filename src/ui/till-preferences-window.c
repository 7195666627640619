/* till-preferences-window.c
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-preferences-window-private.h"

struct _TillPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template widgets */
  GtkSwitch            *kiosk_switch;
  GtkSpinButton        *lock_spin;
  GtkSpinButton        *connect_spin;
  GtkSpinButton        *request_spin;
  AdwActionRow         *ca_row;
  GtkButton            *ca_clear_button;

  /* owned references */
  GSettings            *settings;
  GtkFileChooserNative *chooser;
};

G_DEFINE_FINAL_TYPE (TillPreferencesWindow, till_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
update_ca_row (TillPreferencesWindow *self)
{
  g_autofree char *path = g_settings_get_string (self->settings, "ca-file");

  adw_action_row_set_subtitle (self->ca_row, *path ? path : _("The system’s authorities"));
  gtk_widget_set_visible (GTK_WIDGET (self->ca_clear_button), *path != '\0');
}

/* The key holds seconds so that the lock can be tested in seconds; people
 * set whole minutes. Showing the stored value is no change (the binding
 * writes only what the spin button is changed to): 90 s stays 90 s. */
static gboolean
seconds_to_minutes (GValue   *value,
                    GVariant *variant,
                    gpointer  user_data)
{
  g_value_set_double (value, g_variant_get_uint32 (variant) / 60);
  return TRUE;
}

static GVariant *
minutes_to_seconds (const GValue       *value,
                    const GVariantType *expected_type,
                    gpointer            user_data)
{
  return g_variant_new_uint32 ((guint32) g_value_get_double (value) * 60);
}

static void
ca_clear_cb (TillPreferencesWindow *self)
{
  g_settings_set_string (self->settings, "ca-file", "");
}

static void
chooser_response_cb (TillPreferencesWindow *self,
                     int                    response,
                     GtkFileChooserNative  *chooser)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path != NULL)
        g_settings_set_string (self->settings, "ca-file", path);
    }
  g_clear_object (&self->chooser);
}

static void
ca_choose_cb (TillPreferencesWindow *self)
{
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  self->chooser = gtk_file_chooser_native_new (_("Certificate Authority"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Select"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("PEM certificates"));
  gtk_file_filter_add_pattern (filter, "*.pem");
  gtk_file_filter_add_pattern (filter, "*.crt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), filter);
  G_GNUC_END_IGNORE_DEPRECATIONS
  g_signal_connect_object (self->chooser, "response", G_CALLBACK (chooser_response_cb), self, G_CONNECT_SWAPPED);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

static void
till_preferences_window_finalize (GObject *object)
{
  TillPreferencesWindow *self = (TillPreferencesWindow *)object;

  g_clear_object (&self->settings);
  g_clear_object (&self->chooser);

  G_OBJECT_CLASS (till_preferences_window_parent_class)->finalize (object);
}

static void
till_preferences_window_class_init (TillPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = till_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, kiosk_switch);
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, lock_spin);
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, connect_spin);
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, request_spin);
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, ca_row);
  gtk_widget_class_bind_template_child (widget_class, TillPreferencesWindow, ca_clear_button);
  gtk_widget_class_bind_template_callback (widget_class, ca_clear_cb);
  gtk_widget_class_bind_template_callback (widget_class, ca_choose_cb);
}

static void
till_preferences_window_init (TillPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  till_a11y_fix_mnemonics (GTK_WIDGET (self));
  till_a11y_name_search_entry (GTK_WIDGET (self), _("Search Preferences"));
}

TillPreferencesWindow *
till_preferences_window_new (GSettings *settings)
{
  TillPreferencesWindow *self = g_object_new (TILL_TYPE_PREFERENCES_WINDOW, NULL);

  self->settings = g_object_ref (settings);
  /* Bound, so that a key the shop's IT locked (dconf) shows insensitive. */
  g_settings_bind (settings, "kiosk", self->kiosk_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind_with_mapping (settings, "lock-after-seconds", self->lock_spin, "value", G_SETTINGS_BIND_DEFAULT,
                                seconds_to_minutes, minutes_to_seconds, NULL, NULL);
  g_settings_bind (settings, "connect-timeout", self->connect_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (settings, "request-timeout", self->request_spin, "value", G_SETTINGS_BIND_DEFAULT);
  /* The file is chosen with buttons: the whole row follows the lock. */
  g_settings_bind_writable (settings, "ca-file", self->ca_row, "sensitive", FALSE);
  g_signal_connect_object (settings, "changed::ca-file", G_CALLBACK (update_ca_row), self, G_CONNECT_SWAPPED);
  update_ca_row (self);

  return self;
}

GtkWidget *
till_preferences_window_get_control (TillPreferencesWindow *self,
                                     const char            *key)
{
  const struct { const char *key; gpointer widget; } controls[] = {
    { "kiosk", self->kiosk_switch },
    { "lock-after-seconds", self->lock_spin },
    { "ca-file", self->ca_row },
    { "connect-timeout", self->connect_spin },
    { "request-timeout", self->request_spin },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (controls); i++)
    if (g_str_equal (controls[i].key, key))
      return GTK_WIDGET (controls[i].widget);
  return NULL;
}
