/* till-api-json.c: how till-server's HTTP API writes its answers
 *
 * Every answer is JSON written here, so that an error always reads
 * {"error": {"code", "message"}} and a payment or refund looks the same
 * from every route that returns one (docs/api.md).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-json-util.h"

static void
send_node (SoupServerMessage *msg,
           guint              status,
           JsonNode          *root)
{
  char *data = till_json_write (root);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, data, strlen (data));
}

void
till_api_send_json (SoupServerMessage *msg,
                    guint              status,
                    JsonBuilder       *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  send_node (msg, status, root);
}

void
till_api_add_error (JsonBuilder *builder,
                    const char  *code,
                    const char  *message,
                    const char  *param)
{
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, message);
  if (param != NULL)
    {
      json_builder_set_member_name (builder, "param");
      json_builder_add_string_value (builder, param);
    }
  json_builder_end_object (builder);
}

void
till_api_send_error_param (SoupServerMessage *msg,
                           guint              status,
                           const char        *code,
                           const char        *param,
                           const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  till_api_add_error (builder, code, message, param);
  json_builder_end_object (builder);
  till_api_send_json (msg, status, builder);
}

void
till_api_send_error (SoupServerMessage *msg,
                     guint              status,
                     const char        *code,
                     const char        *message)
{
  till_api_send_error_param (msg, status, code, NULL, message);
}

void
till_api_set_retry_after (SoupServerMessage *msg,
                          guint              seconds)
{
  g_autofree char *value = g_strdup_printf ("%u", seconds);

  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Retry-After", value);
}

static char *
format_time (gint64 unix_time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_time);

  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

void
till_api_add_string (JsonBuilder *builder,
                     const char  *name,
                     const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

void
till_api_add_int (JsonBuilder *builder,
                  const char  *name,
                  gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

void
till_api_add_time (JsonBuilder *builder,
                   const char  *name,
                   gint64       unix_time)
{
  g_autofree char *text = format_time (unix_time);

  till_api_add_string (builder, name, text);
}

void
till_api_add_user (JsonBuilder *builder,
                   TillUser    *user)
{
  till_api_add_user_as (builder, "user", user);
}

/* A user as member name: the approver of an approval, say. */
void
till_api_add_user_as (JsonBuilder *builder,
                      const char  *name,
                      TillUser    *user)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  till_api_add_int (builder, "id", user->id);
  till_api_add_string (builder, "name", user->name);
  till_api_add_string (builder, "role", user->role);
  json_builder_end_object (builder);
}

/* The client secret lets a page finish the customer's 3-D Secure: only
 * the terminal that took the payment is given it. The members only, so
 * that one answer can add its own. */
void
till_api_add_payment_members (JsonBuilder *builder,
                              TillPayment *p,
                              gboolean     with_secret)
{
  till_api_add_string (builder, "id", p->id);
  till_api_add_string (builder, "status", p->status);
  till_api_add_int (builder, "amount", p->amount);
  till_api_add_string (builder, "currency", p->currency);
  till_api_add_string (builder, "description", p->description);
  json_builder_set_member_name (builder, "card");
  if (p->card_last4 != NULL)
    {
      json_builder_begin_object (builder);
      till_api_add_string (builder, "brand", p->card_brand);
      till_api_add_string (builder, "last4", p->card_last4);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  till_api_add_int (builder, "amount_refunded", p->amount_refunded);
  if (p->dispute_status != NULL)
    {
      /* Only when there is one: older terminals never see the member. */
      json_builder_set_member_name (builder, "dispute");
      json_builder_begin_object (builder);
      till_api_add_string (builder, "status", p->dispute_status);
      json_builder_end_object (builder);
    }
  till_api_add_string (builder, "idempotency_key", p->idempotency_key);
  till_api_add_string (builder, "cashier", p->user_name);
  till_api_add_string (builder, "mode", p->mode);
  till_api_add_string (builder, "decline_code", p->decline_code);
  if (with_secret && g_str_equal (p->status, TILL_STATUS_REQUIRES_ACTION))
    till_api_add_string (builder, "client_secret", p->client_secret);
  if (p->error_code != NULL)
    {
      json_builder_set_member_name (builder, "last_error");
      json_builder_begin_object (builder);
      till_api_add_string (builder, "code", p->error_code);
      till_api_add_string (builder, "message", p->error_message);
      json_builder_end_object (builder);
    }
  till_api_add_time (builder, "created", p->created);
  till_api_add_time (builder, "updated", p->updated);
}

void
till_api_add_payment (JsonBuilder *builder,
                      TillPayment *p,
                      gboolean     with_secret)
{
  json_builder_begin_object (builder);
  till_api_add_payment_members (builder, p, with_secret);
  json_builder_end_object (builder);
}

void
till_api_add_refund (JsonBuilder *builder,
                     TillRefund  *r,
                     const char  *currency)
{
  json_builder_begin_object (builder);
  till_api_add_string (builder, "id", r->id);
  till_api_add_string (builder, "payment_id", r->payment_id);
  till_api_add_string (builder, "status", r->status);
  till_api_add_int (builder, "amount", r->amount);
  till_api_add_string (builder, "currency", currency);
  till_api_add_string (builder, "reason", r->reason);
  till_api_add_string (builder, "error_code", r->error_code);
  till_api_add_string (builder, "requested_by", r->requested_by);
  till_api_add_string (builder, "approved_by", r->approved_by_name);
  till_api_add_time (builder, "created", r->created);
  json_builder_end_object (builder);
}

/* Never the password hash. */
void
till_api_add_staff (JsonBuilder *builder,
                    TillUser    *user)
{
  json_builder_begin_object (builder);
  till_api_add_string (builder, "username", user->name);
  till_api_add_string (builder, "role", user->role);
  json_builder_set_member_name (builder, "disabled");
  json_builder_add_boolean_value (builder, user->disabled);
  till_api_add_time (builder, "created", user->created);
  json_builder_end_object (builder);
}

/* Ends a list answer begun with {"data": [ and sends it. */
void
till_api_send_list (SoupServerMessage *msg,
                    JsonBuilder       *builder,
                    gboolean           has_more)
{
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "has_more");
  json_builder_add_boolean_value (builder, has_more);
  json_builder_end_object (builder);
  till_api_send_json (msg, 200, builder);
}

void
till_api_send_problem (SoupServerMessage    *msg,
                       const TillApiProblem *problem)
{
  till_api_send_error_param (msg, problem->status, problem->code, problem->param, problem->message);
}

/* Another request with the same payment or refund is talking to Stripe:
 * the client asks again in a second rather than starting a second one. */
void
till_api_send_in_progress (SoupServerMessage *msg,
                           const char        *code,
                           const char        *message)
{
  till_api_set_retry_after (msg, 1);
  till_api_send_error (msg, 409, code, message);
}

/* The answer about a stored payment or refund; one that replays an
 * Idempotency-Key says so, so that the client knows nothing new was done. */
void
till_api_send_outcome (SoupServerMessage *msg,
                       guint              status,
                       JsonBuilder       *builder,
                       gboolean           fresh)
{
  if (!fresh)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Idempotent-Replayed", "true");
  till_api_send_json (msg, status, builder);
}

