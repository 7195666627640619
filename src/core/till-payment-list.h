/* till-payment-list.h: the payment history as a list that pages as it is read
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "till-payment-item.h"
#include "till-session.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_PAYMENT_LIST_IDLE,     /* no page asked for, or all there is has arrived */
  TILL_PAYMENT_LIST_LOADING,  /* a page is on its way */
  TILL_PAYMENT_LIST_ERROR,    /* the last page asked for did not come; see "error" */
} TillPaymentListState;

/* What the history shows: GET /api/payments's filter parameters. NULL and
 * -1 mean "any". */
typedef struct
{
  GDateTime *created_gte;   /* from this time … */
  GDateTime *created_lt;    /* … to before this one */
  gint64     amount_gte;    /* minor units */
  gint64     amount_lte;
  char      *last4;
  char      *brand;
  char      *reference;
  char      *cashier;
  char      *status;
} TillPaymentFilter;

#define TILL_TYPE_PAYMENT_FILTER (till_payment_filter_get_type ())
GType              till_payment_filter_get_type    (void) G_GNUC_CONST;
TillPaymentFilter *till_payment_filter_new         (void);
TillPaymentFilter *till_payment_filter_copy        (const TillPaymentFilter *filter);
void               till_payment_filter_free        (TillPaymentFilter       *filter);
gboolean           till_payment_filter_equal       (const TillPaymentFilter *a,
                                                    const TillPaymentFilter *b);
/* Whether anything is filtered at all. */
gboolean           till_payment_filter_is_empty    (const TillPaymentFilter *filter);
/* What a person typed into the search: four digits are the card's last
 * four, anything else a reference (pay_…, a Stripe id, a description);
 * blank clears both. */
void               till_payment_filter_set_search  (TillPaymentFilter       *filter,
                                                    const char              *text);
/* "&name=value…", escaped, for the list's query; "" when empty. */
char              *till_payment_filter_to_query    (const TillPaymentFilter *filter) G_GNUC_WARN_UNUSED_RESULT;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillPaymentFilter, till_payment_filter_free)

#define TILL_TYPE_PAYMENT_LIST (till_payment_list_get_type ())
G_DECLARE_FINAL_TYPE (TillPaymentList, till_payment_list, TILL, PAYMENT_LIST, GObject)

/* A GListModel of TillPaymentItem, newest first. It asks for page_size
 * payments at a time (1 to 100), the first page as soon as it is made,
 * the next one when an item near the end is read (g_list_model_get_item)
 * or load_more() is called, never all at once. */
TillPaymentList   *till_payment_list_new           (TillSession             *session,
                                                    guint                    page_size);
/* Properties, all notify: "state", "error" (a sentence for the person, or
 * NULL), "has-more" (the server has older payments than the last one
 * here), "filter" (boxed TillPaymentFilter, never NULL). */
TillPaymentListState till_payment_list_get_state   (TillPaymentList         *self);
const char        *till_payment_list_get_error     (TillPaymentList         *self);
/* The error as the session reported it (domain and code), or NULL. */
const GError      *till_payment_list_get_gerror    (TillPaymentList         *self);
gboolean           till_payment_list_get_has_more  (TillPaymentList         *self);
const TillPaymentFilter *till_payment_list_get_filter (TillPaymentList      *self);
/* A new filter empties the list, cancels what is on its way and starts
 * again from the first page. The same filter again does nothing. */
void               till_payment_list_set_filter    (TillPaymentList         *self,
                                                    const TillPaymentFilter *filter);
/* Starts again from the first page with the same filter. */
void               till_payment_list_reload        (TillPaymentList         *self);
/* Asks for the next page (soon, from an idle), unless one is on its way,
 * there is none, or the last one failed: for a view that has scrolled
 * near the end of what it already read. */
void               till_payment_list_load_more     (TillPaymentList         *self);
/* After an error: asks for the page that failed again. */
void               till_payment_list_retry         (TillPaymentList         *self);
/* Requests sent since the list was made (each a page of at most page_size). */
guint              till_payment_list_get_n_requests (TillPaymentList        *self);

G_END_DECLS
