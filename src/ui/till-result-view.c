/* till-result-view.c: the outcome of a sale, or a question about it
 *
 * One look for every result: a large icon in the result's colour, a title
 * a cashier takes in at a glance, the sentence that says what to do, and
 * the one button that goes on. A screen reader hears title and sentence
 * at once.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-a11y.h"
#include "till-result-view.h"

struct _TillResultView
{
  AdwBin     parent_instance;

  /* template widgets */
  GtkBox    *result_box;
  GtkImage  *icon;
  GtkLabel  *title;
  GtkLabel  *description;
  GtkButton *abandon_button;
  GtkButton *receipt_button;
  GtkButton *next_button;
};

G_DEFINE_FINAL_TYPE (TillResultView, till_result_view, ADW_TYPE_BIN)

void
till_result_view_show (TillResultView        *self,
                       const TillChargeWords *words)
{
  static const char *styles[] = { "success", "error", "warning", "accent" };

  g_return_if_fail (TILL_IS_RESULT_VIEW (self));
  g_return_if_fail (words != NULL);

  gtk_image_set_from_icon_name (self->icon, words->icon);
  for (guint i = 0; i < G_N_ELEMENTS (styles); i++)
    gtk_widget_remove_css_class (GTK_WIDGET (self->icon), styles[i]);
  gtk_widget_add_css_class (GTK_WIDGET (self->icon), words->style);
  gtk_label_set_label (self->title, words->title);
  gtk_label_set_label (self->description, words->description);
  gtk_button_set_label (self->next_button, words->button);
  gtk_widget_set_visible (GTK_WIDGET (self->abandon_button), words->can_abandon);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->result_box),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, words->title,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, words->description,
                                  -1);
  /* The button gets the focus (till_result_view_focus()): Orca says the
   * alert's title as the new ancestor, then the button and its
   * description, the result's sentence. GTK 4.14 also announces it. */
  till_a11y_describe (GTK_WIDGET (self->next_button), words->description);
}

void
till_result_view_set_receipt_visible (TillResultView *self,
                                      gboolean        visible)
{
  g_return_if_fail (TILL_IS_RESULT_VIEW (self));
  gtk_widget_set_visible (GTK_WIDGET (self->receipt_button), visible);
}

gboolean
till_result_view_get_receipt_visible (TillResultView *self)
{
  g_return_val_if_fail (TILL_IS_RESULT_VIEW (self), FALSE);
  return gtk_widget_get_visible (GTK_WIDGET (self->receipt_button));
}

void
till_result_view_focus (TillResultView *self)
{
  g_autofree char *message = NULL;

  g_return_if_fail (TILL_IS_RESULT_VIEW (self));
  gtk_widget_grab_focus (GTK_WIDGET (self->next_button));
  message = g_strjoin (" ", gtk_label_get_label (self->title), gtk_label_get_label (self->description), NULL);
  till_a11y_announce (GTK_WIDGET (self->result_box), message);
}

const char *
till_result_view_get_title (TillResultView *self)
{
  g_return_val_if_fail (TILL_IS_RESULT_VIEW (self), NULL);
  return gtk_label_get_label (self->title);
}

const char *
till_result_view_get_description (TillResultView *self)
{
  g_return_val_if_fail (TILL_IS_RESULT_VIEW (self), NULL);
  return gtk_label_get_label (self->description);
}

static void
till_result_view_class_init (TillResultViewClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/tillpos/Till/till-result-view.ui");
  gtk_widget_class_bind_template_child (widget_class, TillResultView, result_box);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, icon);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, title);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, description);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, abandon_button);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, receipt_button);
  gtk_widget_class_bind_template_child (widget_class, TillResultView, next_button);
}

static void
till_result_view_init (TillResultView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
