/* till-a11y.c: what a screen reader needs that GTK 4.8 does not give by itself
 *
 * GTK 4.8 names a button after its label in two ways at once: the raw
 * mnemonic text as the accessible label ("_Unlock") and a labelled-by
 * relation to the label inside it ("Unlock"); AT-SPI joins both, and a
 * screen reader says "underscore Unlock Unlock". A check button gets the raw
 * text alone. Newer GTK fixed this; till_a11y_fix_mnemonics() mends them.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "till-a11y.h"

/* "_Unlock" -> "Unlock", "Fish __& Chips" -> "Fish _& Chips": what
 * gtk_label_set_text_with_mnemonic() shows. */
static char *
strip_mnemonic (const char *text)
{
  GString *plain;

  if (text == NULL)
    return NULL;

  plain = g_string_sized_new (strlen (text));
  for (const char *p = text; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          p++;
          if (*p == '\0')
            break;
        }
      g_string_append_c (plain, *p);
    }
  return g_string_free (plain, FALSE);
}

static void
name_after_label (GtkWidget  *widget,
                  const char *label,
                  gboolean    use_underline)
{
  g_autofree char *plain = NULL;

  if (label == NULL || !use_underline)
    return;

  plain = strip_mnemonic (label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, plain,
                                  -1);
  /* The label inside says the same; named twice it is read twice. */
  if (GTK_IS_BUTTON (widget))
    gtk_accessible_reset_relation (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static void
label_changed_cb (GtkWidget *widget)
{
  if (GTK_IS_BUTTON (widget))
    name_after_label (widget,
                      gtk_button_get_label (GTK_BUTTON (widget)),
                      gtk_button_get_use_underline (GTK_BUTTON (widget)));
  else
    name_after_label (widget,
                      gtk_check_button_get_label (GTK_CHECK_BUTTON (widget)),
                      gtk_check_button_get_use_underline (GTK_CHECK_BUTTON (widget)));
}

/* Mends the name of every button and check button in root, and again
 * whenever its label changes. Called on each window and on what is added
 * to one later. (GObject's notify takes no emission hook, which would have
 * caught every button in one place.) */
void
till_a11y_fix_mnemonics (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if ((GTK_IS_BUTTON (root) || GTK_IS_CHECK_BUTTON (root)) &&
      g_object_get_data (G_OBJECT (root), "till-a11y-mended") == NULL)
    {
      g_object_set_data (G_OBJECT (root), "till-a11y-mended", GINT_TO_POINTER (TRUE));
      /* GTK updates the accessible label before it notifies. */
      g_signal_connect (root, "notify::label", G_CALLBACK (label_changed_cb), NULL);
      g_signal_connect (root, "notify::use-underline", G_CALLBACK (label_changed_cb), NULL);
      label_changed_cb (root);
    }
  /* And the other widgets of the kind GTK 4.8 and libadwaita 1.2 leave
   * unnamed, wherever they are: every window gets them right, not only
   * those that remember to ask. */
  if (ADW_IS_PASSWORD_ENTRY_ROW (root))
    till_a11y_name_password_row (ADW_PASSWORD_ENTRY_ROW (root));
  if (GTK_IS_DROP_DOWN (root))
    till_a11y_name_drop_down (GTK_DROP_DOWN (root));

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    till_a11y_fix_mnemonics (child);
}

static void
tooltip_to_name_cb (GtkWidget *button)
{
  const char *tooltip = gtk_widget_get_tooltip_text (button);

  if (tooltip != NULL)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button),
                                    GTK_ACCESSIBLE_PROPERTY_LABEL, tooltip,
                                    -1);
}

/* libadwaita 1.2's password row has an icon-only button that shows the
 * password, named only by its tooltip ("Show Text"); AT-SPI reads the
 * icon's class name instead. It is named after its tooltip, which it
 * changes as it toggles. */
void
till_a11y_name_password_row (AdwPasswordEntryRow *row)
{
  GtkWidget *widget = GTK_WIDGET (row);

  g_return_if_fail (ADW_IS_PASSWORD_ENTRY_ROW (row));

  if (g_object_get_data (G_OBJECT (row), "till-a11y-named") != NULL)
    return;
  g_object_set_data (G_OBJECT (row), "till-a11y-named", GINT_TO_POINTER (TRUE));

  /* Depth first through the row's own children: the button sits in its
   * suffix box. */
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;)
    {
      if (GTK_IS_BUTTON (child) && gtk_widget_get_tooltip_text (child) != NULL)
        {
          tooltip_to_name_cb (child);
          g_signal_connect (child, "notify::tooltip-text", G_CALLBACK (tooltip_to_name_cb), NULL);
        }

      if (!GTK_IS_BUTTON (child) && gtk_widget_get_first_child (child) != NULL)
        child = gtk_widget_get_first_child (child);
      else
        {
          while (child != widget && gtk_widget_get_next_sibling (child) == NULL)
            child = gtk_widget_get_parent (child);
          child = child == widget ? NULL : gtk_widget_get_next_sibling (child);
        }
    }
}

/* The search entries in root, which a window builds itself (as
 * AdwPreferencesWindow does) and names only by their class, get label. */
void
till_a11y_name_search_entry (GtkWidget  *root,
                             const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_SEARCH_ENTRY (root))
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      return;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL; child = gtk_widget_get_next_sibling (child))
    till_a11y_name_search_entry (child, label);
}

/* GTK 4.8's drop down is a combo box whose inner button, the one that
 * takes the focus, has no name of its own: it takes the drop down's. */
void
till_a11y_name_drop_down (GtkDropDown *drop_down)
{
  g_return_if_fail (GTK_IS_DROP_DOWN (drop_down));

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (drop_down));
       child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_TOGGLE_BUTTON (child))
        gtk_accessible_update_relation (GTK_ACCESSIBLE (child),
                                        GTK_ACCESSIBLE_RELATION_LABELLED_BY, drop_down, NULL,
                                        -1);
    }
}

/* What a screen reader says after a widget's name when it gets the focus,
 * and again when it changes while the widget has the focus; NULL: nothing. */
void
till_a11y_describe (GtkWidget  *widget,
                    const char *description)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (description != NULL && *description != '\0')
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget),
                                    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                    -1);
  else
    gtk_accessible_reset_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

/* A message shown in widget's window, away from the focus: it becomes the
 * description of the widget that has the focus, where a screen reader says
 * it at once (see above); called again when the focus moves. *described
 * remembers that widget (a weak pointer, NULL at first), whose description
 * goes with the next call. */
void
till_a11y_describe_focus (GtkWidget   *widget,
                          const char  *description,
                          GtkWidget  **described)
{
  GtkRoot *root;
  GtkWidget *focus;

  g_return_if_fail (GTK_IS_WIDGET (widget));
  g_return_if_fail (described != NULL);

  if (*described != NULL)
    till_a11y_describe (*described, NULL);
  root = gtk_widget_get_root (widget);
  focus = root != NULL && description != NULL ? gtk_root_get_focus (root) : NULL;
  g_set_weak_pointer (described, focus);
  if (focus != NULL)
    till_a11y_describe (focus, description);
}

/* Says message to a screen reader now. GTK 4.14 has a call for it; 4.8 has
 * none (and no way to send AT-SPI's announcement event), so there the
 * callers also make the message the description of what gets the focus,
 * which Orca reads with it: see the callers. */
void
till_a11y_announce (GtkWidget  *widget,
                    const char *message)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (message == NULL || *message == '\0')
    return;
#if GTK_CHECK_VERSION (4, 14, 0)
  /* Newer than the GDK_VERSION_MAX_ALLOWED the build pins. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_accessible_announce (GTK_ACCESSIBLE (widget), message, GTK_ACCESSIBLE_ANNOUNCEMENT_PRIORITY_MEDIUM);
  G_GNUC_END_IGNORE_DEPRECATIONS
#endif
}
