/* till-webhooks.h: Stripe's webhook events, verified and handled once
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "till-db.h"
#include "till-payments.h"
#include "till-server-config.h"

G_BEGIN_DECLS

/* Stripe's own libraries take 5 minutes; the same here by default. */
#define TILL_WEBHOOK_DEFAULT_TOLERANCE 300

typedef enum
{
  TILL_WEBHOOK_SIGNATURE_OK,
  TILL_WEBHOOK_SIGNATURE_MALFORMED,   /* no header, or not t=…,v1=… */
  TILL_WEBHOOK_SIGNATURE_MISMATCH,    /* no v1 matches any secret */
  TILL_WEBHOOK_SIGNATURE_EXPIRED,     /* signed, but outside the tolerance */
} TillWebhookSignature;

TillWebhookSignature till_webhook_verify_signature (const char          *header,
                                                    const guint8        *body,
                                                    gsize                length,
                                                    const char * const  *secrets,
                                                    gint64               now,
                                                    guint                tolerance);
char                *till_webhook_sign             (const char          *secret,
                                                    gint64               timestamp,
                                                    const guint8        *body,
                                                    gsize                length);

#define TILL_TYPE_WEBHOOKS (till_webhooks_get_type ())
G_DECLARE_FINAL_TYPE (TillWebhooks, till_webhooks, TILL, WEBHOOKS, GObject)

TillWebhooks *till_webhooks_new           (TillDb              *db,
                                           TillPayments        *payments,
                                           TillServerConfig    *config);
void          till_webhooks_handle_async  (TillWebhooks        *self,
                                           JsonObject          *event,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
const char   *till_webhooks_handle_finish (TillWebhooks        *self,
                                           GAsyncResult        *result,
                                           GError             **error);

G_END_DECLS
