/* till-api-webhooks.c: the route Stripe sends its webhook events to
 *
 * Here the signature is checked before the body is read; what an event
 * does to a payment or refund is till-webhooks.c's.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include "till-api-private.h"

static void
webhook_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillApiRequest) req = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  const char *outcome = till_webhooks_handle_finish (TILL_WEBHOOKS (object), result, &error);

  soup_server_message_unpause (req->msg);
  if (outcome == NULL)
    {
      /* Stripe sends the event again later, and it is handled then. */
      g_warning ("A Stripe event was not handled: %s", error->message);
      till_api_send_error (req->msg, 500, "not_handled", "The event was not handled; send it again");
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "received");
  json_builder_add_boolean_value (builder, TRUE);
  till_api_add_string (builder, "outcome", outcome);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

static void
handle_stripe_webhook (TillApiRequest *req)
{
  TillServerConfig *config = req->self->config;
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *signature =
    soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg), "Stripe-Signature");
  g_autoptr(JsonObject) event = NULL;
  TillWebhooks *webhooks;
  TillWebhookSignature verdict;

  if (config->stripe_webhook_secrets == NULL)
    {
      till_api_send_error (req->msg, 503, "webhooks_not_configured",
                           "This server has no Stripe webhook secret; see docs/server.md");
      return;
    }
  /* The signature before anything is read: unsigned bytes are no event. */
  verdict = till_webhook_verify_signature (signature, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                           (const char * const *) config->stripe_webhook_secrets,
                                           g_get_real_time () / G_USEC_PER_SEC, config->stripe_webhook_tolerance);
  switch (verdict)
    {
    case TILL_WEBHOOK_SIGNATURE_OK:
      break;
    case TILL_WEBHOOK_SIGNATURE_EXPIRED:
      g_warning ("A Stripe webhook event was signed outside the tolerance (a replay, or a wrong clock)");
      till_api_send_error (req->msg, 400, "signature_expired", "The signature's timestamp is outside the tolerance");
      return;
    case TILL_WEBHOOK_SIGNATURE_MISMATCH:
      g_warning ("A Stripe webhook event's signature matches no secret of this server");
      till_api_send_error (req->msg, 400, "signature_invalid", "The Stripe-Signature does not verify");
      return;
    case TILL_WEBHOOK_SIGNATURE_MALFORMED:
    default:
      till_api_send_error (req->msg, 400, "signature_invalid", "No usable Stripe-Signature header");
      return;
    }

  event = till_api_parse_body (req, FALSE);
  if (event == NULL)
    return;
  webhooks = req->self->webhooks;
  till_webhooks_handle_async (webhooks, event, webhook_done_cb, till_api_request_suspend (req));
}

const TillApiRoute till_api_webhooks_routes[] = {
  { "POST", "api/stripe/webhook", TILL_API_ACCESS_PUBLIC, handle_stripe_webhook },
  { NULL }
};
