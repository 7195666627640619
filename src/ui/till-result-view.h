/* till-result-view.h: the outcome of a sale, or a question about it
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-charge-words.h"

G_BEGIN_DECLS

#define TILL_TYPE_RESULT_VIEW (till_result_view_get_type ())
G_DECLARE_FINAL_TYPE (TillResultView, till_result_view, TILL, RESULT_VIEW, AdwBin)

/* Its buttons activate the charge screen's "charge.next",
 * "charge.abandon" and "charge.receipt" actions. */
void        till_result_view_show            (TillResultView        *self,
                                              const TillChargeWords *words);
/* The Receipt… button, for an approved sale. */
void        till_result_view_set_receipt_visible (TillResultView *self,
                                                  gboolean        visible);
gboolean    till_result_view_get_receipt_visible (TillResultView *self);
void        till_result_view_focus           (TillResultView        *self);
const char *till_result_view_get_title       (TillResultView        *self);
const char *till_result_view_get_description (TillResultView        *self);

G_END_DECLS
