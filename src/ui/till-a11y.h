/* till-a11y.h: what a screen reader needs that GTK 4.8 does not give by itself
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

void  till_a11y_fix_mnemonics          (GtkWidget           *root);
void  till_a11y_name_password_row      (AdwPasswordEntryRow *row);
void  till_a11y_name_drop_down         (GtkDropDown         *drop_down);
void  till_a11y_describe               (GtkWidget           *widget,
                                        const char          *description);
void  till_a11y_name_search_entry      (GtkWidget           *root,
                                        const char          *label);
void  till_a11y_describe_focus         (GtkWidget           *widget,
                                        const char          *description,
                                        GtkWidget          **described);
void  till_a11y_announce               (GtkWidget           *widget,
                                        const char          *message);

G_END_DECLS
