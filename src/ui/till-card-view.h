/* till-card-view.h: the card page (Stripe Elements) in a WebKitWebView
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-card-message.h"

G_BEGIN_DECLS

#define TILL_TYPE_CARD_VIEW (till_card_view_get_type ())
G_DECLARE_FINAL_TYPE (TillCardView, till_card_view, TILL, CARD_VIEW, AdwBin)

/* The one Stripe.js URL a release build accepts. */
#define TILL_CARD_VIEW_STRIPE_JS_URL "https://js.stripe.com/v3/"

gboolean         till_card_view_stripe_js_url_allowed       (const char     *url,
                                                             gboolean        release);

GtkWidget       *till_card_view_new                         (void);

/* Starts the web process on an empty page, ahead of till_card_view_load(). */
void             till_card_view_prepare                     (TillCardView   *self);

/* base_origin: the backend's origin ("https://shop.example:8443"), the
 * page's origin; mode: "payment_intents" (createPaymentMethod) or
 * "charges" (createToken). Fails when the Stripe.js URL is not allowed in
 * this build or an argument is malformed. */
gboolean         till_card_view_load                        (TillCardView   *self,
                                                             const char     *base_origin,
                                                             const char     *stripe_js_url,
                                                             const char     *publishable_key,
                                                             const char     *mode,
                                                             GError        **error);
/* The "ready" (the form is mounted and answers) and "complete" (the card
 * typed is whole) properties, which notify when they change. */
gboolean         till_card_view_get_ready                   (TillCardView   *self);
gboolean         till_card_view_get_complete                (TillCardView   *self);
const char      *till_card_view_get_brand                   (TillCardView   *self);
/* Stripe's words for what is wrong with the card typed so far, or NULL. */
const char      *till_card_view_get_error                   (TillCardView   *self);

/* Result: a TillCardMessage of type TILL_CARD_MESSAGE_TOKEN,
 * _PAYMENT_METHOD or _ERROR_RESULT. One at a time. */
void             till_card_view_tokenize_async              (TillCardView        *self,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
TillCardMessage *till_card_view_tokenize_finish             (TillCardView        *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
/* Result: TILL_CARD_MESSAGE_ACTION_RESULT or _ERROR_RESULT. */
void             till_card_view_handle_card_action_async    (TillCardView        *self,
                                                             const char          *client_secret,
                                                             GCancellable        *cancellable,
                                                             GAsyncReadyCallback  callback,
                                                             gpointer             user_data);
TillCardMessage *till_card_view_handle_card_action_finish   (TillCardView        *self,
                                                             GAsyncResult        *result,
                                                             GError             **error);
void             till_card_view_clear                       (TillCardView   *self);
/* Loads the card page again; a pending call ends with G_IO_ERROR_CANCELLED. */
void             till_card_view_reload                      (TillCardView   *self);
void             till_card_view_focus_card                  (TillCardView   *self);
/* Between sales: a new web process for the form after this many card reads. */
#define TILL_CARD_VIEW_RENEW_AFTER_READS 150
gboolean         till_card_view_renew_if_worn               (TillCardView   *self);

/* For tests: how many messages from the page were dropped. */
guint            till_card_view_get_dropped_count           (TillCardView   *self);
/* For tests: renew the web process after this many card reads instead. */
void             till_card_view_set_renew_after             (TillCardView   *self,
                                                             guint           reads);
/* For tests: the web view inside. */
GtkWidget       *till_card_view_get_web_view                (TillCardView   *self);

G_END_DECLS
