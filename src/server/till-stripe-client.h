/* till-stripe-client.h: a small client for Stripe's form-encoded API
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_STRIPE_CLIENT (till_stripe_client_get_type ())
G_DECLARE_FINAL_TYPE (TillStripeClient, till_stripe_client, TILL, STRIPE_CLIENT, GObject)

typedef struct
{
  guint       status;
  JsonObject *body;      /* NULL when Stripe did not answer with a JSON object */
  gboolean    replayed;  /* Stripe answered from its idempotency store */
  char       *request_id;   /* Stripe's Request-Id, for support; NULL if none */
  int         should_retry; /* Stripe-Should-Retry: 1 true, 0 false, -1 not sent */
} TillStripeResponse;

void                till_stripe_response_free          (TillStripeResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillStripeResponse, till_stripe_response_free)

/* Parameters in the order given, as key/value pairs; keys use Stripe's
 * bracket nesting ("metadata[till_payment_id]"). */
GPtrArray          *till_stripe_params_new             (void);
void                till_stripe_params_add             (GPtrArray          *params,
                                                        const char         *key,
                                                        const char         *value);
char               *till_stripe_params_encode          (GPtrArray          *params);

TillStripeClient   *till_stripe_client_new             (const char         *api_base,
                                                        const char         *secret_key,
                                                        guint               timeout_seconds);
void                till_stripe_client_request_async   (TillStripeClient   *self,
                                                        const char         *method,
                                                        const char         *path,
                                                        GPtrArray          *params,
                                                        const char         *idempotency_key,
                                                        GCancellable       *cancellable,
                                                        GAsyncReadyCallback callback,
                                                        gpointer            user_data);
TillStripeResponse *till_stripe_client_request_finish  (TillStripeClient   *self,
                                                        GAsyncResult       *result,
                                                        GError            **error);

gint64              till_stripe_client_get_last_answer (TillStripeClient   *self);

G_END_DECLS
