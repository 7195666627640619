/* till-amount-pad.c: the reference field and the keypad of the charge screen
 *
 * The keypad is for touch screens; on a keyboard the charge screen takes
 * digits wherever the focus is. Its keys are not focusable, so a tap
 * never takes the focus from where the cashier is typing.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "till-amount-pad.h"

struct _TillAmountPad
{
  AdwBin    parent_instance;

  /* template widgets */
  GtkEntry *reference_entry;
  GtkGrid  *keypad;
};

G_DEFINE_FINAL_TYPE (TillAmountPad, till_amount_pad, ADW_TYPE_BIN)

static void
build_keypad (TillAmountPad *self)
{
  static const char *keys[] = { "7", "8", "9", "4", "5", "6", "1", "2", "3", "00", "0", "back" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *button;

      if (g_str_equal (keys[i], "back"))
        {
          button = gtk_button_new_from_icon_name ("edit-clear-symbolic");
          gtk_widget_set_tooltip_text (button, _("Remove the last digit (Backspace)"));
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          _("Remove the last digit"), -1);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "charge.back");
        }
      else
        {
          button = gtk_button_new_with_label (keys[i]);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "charge.type");
          gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", keys[i]);
        }
      /* Keys are typed, not tabbed through: focus stays where the cashier is. */
      gtk_widget_set_focus_on_click (button, FALSE);
      gtk_widget_set_can_focus (button, FALSE);
      gtk_widget_set_size_request (button, -1, 52);
      gtk_widget_add_css_class (button, "title-2");
      gtk_grid_attach (self->keypad, button, i % 3, i / 3, 1, 1);
    }
}

static void
reference_activate_cb (TillAmountPad *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "charge.reference", NULL);
}

const char *
till_amount_pad_get_reference (TillAmountPad *self)
{
  g_return_val_if_fail (TILL_IS_AMOUNT_PAD (self), NULL);
  return gtk_editable_get_text (GTK_EDITABLE (self->reference_entry));
}

void
till_amount_pad_clear_reference (TillAmountPad *self)
{
  g_return_if_fail (TILL_IS_AMOUNT_PAD (self));
  gtk_editable_set_text (GTK_EDITABLE (self->reference_entry), "");
}

GtkWidget *
till_amount_pad_get_entry (TillAmountPad *self)
{
  g_return_val_if_fail (TILL_IS_AMOUNT_PAD (self), NULL);
  return GTK_WIDGET (self->reference_entry);
}

static void
till_amount_pad_class_init (TillAmountPadClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-amount-pad.ui");
  gtk_widget_class_bind_template_child (widget_class, TillAmountPad, reference_entry);
  gtk_widget_class_bind_template_child (widget_class, TillAmountPad, keypad);
  gtk_widget_class_bind_template_callback (widget_class, reference_activate_cb);
}

static void
till_amount_pad_init (TillAmountPad *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  build_keypad (self);
}
