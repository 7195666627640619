/* till-api-checks.c: the checks a till-server handler makes on a request
 *
 * Who is asking, whether they may see a payment, and whether the body and
 * headers are what the route takes. The syntax of a body lives in
 * till-api-input.c, which knows nothing of HTTP; here a failed check is
 * answered, so that a handler only returns when one fails.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-crypto.h"
#include "till-money.h"

static void
send_invalid_session (TillApiRequest *req)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "WWW-Authenticate", "Bearer error=\"invalid_token\"");
  till_api_send_error (req->msg, 401, "unauthorized", "The session is not valid; sign in again");
}

gboolean
till_api_authenticate (TillApiRequest *req,
                       TillApiAccess   access)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                     "Authorization");
  gint64 expires = 0;

  if (access == TILL_API_ACCESS_PUBLIC)
    return TRUE;

  if (header == NULL || !g_str_has_prefix (header, "Bearer ") || strlen (header) > 512)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer");
      till_api_send_error (req->msg, 401, "unauthorized", "Sign in first");
      return FALSE;
    }

  req->token_hash = till_crypto_sha256_hex (header + strlen ("Bearer "), -1);
  req->user = till_db_lookup_session (req->self->db, req->token_hash, &expires);
  if (req->user == NULL || req->user->disabled)
    {
      send_invalid_session (req);
      return FALSE;
    }
  if (expires <= g_get_real_time () / G_USEC_PER_SEC)
    {
      till_db_delete_session (req->self->db, req->token_hash);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      till_api_send_error (req->msg, 401, "session_expired", "The session has expired; sign in again");
      return FALSE;
    }
  req->session_expires = expires;
  if (access == TILL_API_ACCESS_MANAGER && !till_api_is_manager (req->user))
    {
      till_api_send_error (req->msg, 403, "forbidden", "Only a manager may do this");
      return FALSE;
    }
  return TRUE;
}

/**
 * till_api_session_holds:
 * @req: a request that waited off the main loop (a password hashed or
 *   checked), answered 401 here when its session is gone
 *
 * Disabling an account, making a manager a cashier and a new password end
 * the account's sessions: a request that was waiting meanwhile must not
 * go on with the rights it had when it came in.
 *
 * Returns: whether the request's session is still there (TRUE for one
 *   without a session: a sign-in)
 */
gboolean
till_api_session_holds (TillApiRequest *req)
{
  g_autoptr(TillUser) user = NULL;
  gint64 expires = 0;

  if (req->token_hash == NULL)
    return TRUE;
  user = till_db_lookup_session (req->self->db, req->token_hash, &expires);
  if (user != NULL && !user->disabled && g_str_equal (user->role, req->user->role))
    return TRUE;
  send_invalid_session (req);
  return FALSE;
}

gboolean
till_api_is_manager (TillUser *user)
{
  return g_strcmp0 (user->role, "manager") == 0;
}

gboolean
till_api_may_see (TillApiRequest *req,
                  TillPayment    *p)
{
  return till_api_is_manager (req->user) || p->user_id == req->user->id;
}

TillPayment *
till_api_lookup_payment (TillApiRequest *req)
{
  TillPayment *p = till_db_get_payment (req->self->db, req->segments[2]);

  if (p == NULL || !till_api_may_see (req, p))
    {
      g_clear_pointer (&p, till_payment_free);
      till_api_send_error (req->msg, 404, "payment_not_found", "There is no such payment");
    }
  return p;
}

JsonObject *
till_api_parse_body (TillApiRequest *req,
                     gboolean        allow_empty)
{
  SoupMessageBody *body = soup_server_message_get_request_body (req->msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (body);
  const char *content_type =
    soup_message_headers_get_content_type (soup_server_message_get_request_headers (req->msg), NULL);
  TillApiProblem problem;
  JsonObject *object;

  object = till_api_input_parse_body (content_type, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), req->self->config->max_body_size,
                                      allow_empty, &problem);
  if (object == NULL)
    till_api_send_problem (req->msg, &problem);
  return object;
}

const char *
till_api_get_idempotency_key (TillApiRequest *req)
{
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                  "Idempotency-Key");
  TillApiProblem problem;

  if (!till_api_input_idempotency_key (key, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return NULL;
    }
  return key;
}

/* Refuses, with 400 and before anything is stored or sent, an amount that
 * Stripe would not take in currency: past its eight digits in Stripe's own
 * minor unit (999999 ISK is the most), a three-decimal amount whose last
 * digit is not 0, or a currency Stripe does not take (till-money.c). */
gboolean
till_api_check_stripe_amount (TillApiRequest *req,
                              gint64          amount,
                              const char     *currency)
{
  g_autoptr(GError) error = NULL;

  if (till_money_to_stripe (amount, currency, NULL, &error))
    return TRUE;

  if (g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_ACCEPTED))
    till_api_send_error_param (req->msg, 400, "amount_not_accepted", "amount", error->message);
  else if (g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_AT_STRIPE) ||
           g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY))
    till_api_send_error_param (req->msg, 400, "currency_not_supported", "currency", error->message);
  else
    till_api_send_error_param (req->msg, 400, "invalid_amount", "amount", error->message);
  return FALSE;
}
