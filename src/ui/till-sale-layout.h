/* till-sale-layout.h: the charge screen's two columns, side by side when there is room
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define TILL_TYPE_SALE_LAYOUT (till_sale_layout_get_type ())
G_DECLARE_FINAL_TYPE (TillSaleLayout, till_sale_layout, TILL, SALE_LAYOUT, GtkLayoutManager)

GtkLayoutManager *till_sale_layout_new       (void);
/* TRUE: one above the other whatever the width (a bank's challenge in
 * the card page wants all the width there is). */
void              till_sale_layout_set_stacked (TillSaleLayout *self,
                                                gboolean        stacked);

G_END_DECLS
