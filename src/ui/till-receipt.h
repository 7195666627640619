/* till-receipt.h: one payment's receipt, printed or saved as PDF
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>
#include <json-glib/json-glib.h>

#include "till-printout.h"
#include "till-session.h"

G_BEGIN_DECLS

#define TILL_RECEIPT_ERROR (till_receipt_error_quark ())

/**
 * TillReceiptError:
 * @TILL_RECEIPT_ERROR_NOT_APPROVED: the payment did not succeed: nothing
 *   was charged, or it is not known yet, and there is nothing to give a
 *   receipt for
 * @TILL_RECEIPT_ERROR_UNUSABLE: the payment object is not one
 *
 * The messages are sentences for the cashier.
 */
typedef enum
{
  TILL_RECEIPT_ERROR_NOT_APPROVED,
  TILL_RECEIPT_ERROR_UNUSABLE,
} TillReceiptError;

GQuark        till_receipt_error_quark   (void);

/* The receipt of payment, a payment object as GET /api/payments/{id}
 * answers it (with its "refunds" array when it has one), for the shop
 * shop_name (may be NULL). Only an approved payment has one. */
TillPrintout *till_receipt_new_printout  (JsonObject   *payment,
                                          const char   *shop_name,
                                          GError      **error);

/* Reads the shop's name (GET /api/config), then offers payment's receipt
 * in a dialog over parent: the paper, Print… and Save as PDF…. A payment
 * that is not approved gets a dialog that says why there is no receipt. */
void          till_receipt_present       (GtkWindow    *parent,
                                          TillSession  *session,
                                          JsonObject   *payment);
/* The same for a payment known by its id: reads it first
 * (GET /api/payments/{id}). */
void          till_receipt_present_id    (GtkWindow    *parent,
                                          TillSession  *session,
                                          const char   *payment_id);
/* Drops the receipts asked for over parent that are still on their way
 * (as when the terminal locks): none comes up afterwards. */
void          till_receipt_cancel        (GtkWindow    *parent);

G_END_DECLS
