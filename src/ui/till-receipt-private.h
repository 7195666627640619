/* till-receipt-private.h: what tests read of the receipt dialog
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-receipt.h"

G_BEGIN_DECLS

/* The receipt dialog open now, or NULL. */
GtkWindow    *till_receipt_find_dialog        (void);
/* Its receipt. */
TillPrintout *till_receipt_dialog_get_printout (GtkWindow *dialog);
/* The paper chosen in it. */
TillPaper     till_receipt_dialog_get_paper   (GtkWindow *dialog);
void          till_receipt_dialog_set_paper   (GtkWindow *dialog,
                                               TillPaper  paper);

G_END_DECLS
