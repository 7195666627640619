/* fuzz-api-input.c: till-server's checks on every request body and on the
 * Idempotency-Key header
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: one byte choosing the route's check, one choosing the media type,
 * whether an empty body stands for {} and the size limit; then the body
 * (for the header check, its value). The checks are what till-api.c runs
 * on a request before a handler sees it. What must hold: no memory error;
 * a refusal is a 4xx with a code and a message; what is accepted keeps
 * every documented limit, in valid UTF-8 (issue 9, G).
 */
#include "config.h"

#include <string.h>

#include "till-api-input.h"
#include "till-json-util.h"
#include "till-fuzz.h"

typedef enum
{
  ROUTE_LOGIN,             /* POST /api/login */
  ROUTE_PAYMENT,           /* POST /api/payments */
  ROUTE_REFUND,            /* POST /api/payments/{id}/refund */
  ROUTE_EMPTY,             /* the routes that take no fields */
  ROUTE_IDEMPOTENCY_KEY,   /* the header of POST /api/payments */
  ROUTE_APPROVAL,          /* POST /api/approvals */
  N_ROUTES
} Route;

static const char * const content_types[] = {
  "application/json", NULL, "text/plain", "APPLICATION/JSON", "application/json; charset=utf-8",
};

/* The strings are static (till-api-input.h), so never the client's words. */
static void
check_refusal (const TillApiProblem *problem)
{
  g_assert_cmpuint (problem->status, >=, 400);
  g_assert_cmpuint (problem->status, <, 500);
  g_assert_nonnull (problem->code);
  g_assert_nonnull (problem->message);
  g_assert_true (g_utf8_validate (problem->message, -1, NULL));
}

static void
check_text (const char *text,
            gsize       min_length,
            gsize       max_length)
{
  g_assert_nonnull (text);
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (strlen (text), >=, min_length);
  g_assert_cmpuint (strlen (text), <=, max_length);
}

static void
check_route (Route       route,
             JsonObject *body)
{
  TillApiProblem problem = { 0, };
  TillLoginInput login;
  TillPaymentInput payment;
  TillRefundInput refund;
  TillApprovalInput approval;

  switch (route)
    {
    case ROUTE_LOGIN:
      if (!till_api_input_login (body, &login, &problem))
        return check_refusal (&problem);
      check_text (login.username, 1, TILL_API_MAX_USERNAME);
      check_text (login.password, 1, TILL_API_MAX_PASSWORD);
      g_assert_false (till_api_input_has_control_chars (login.username));
      return;
    case ROUTE_PAYMENT:
      if (!till_api_input_payment (body, &payment, &problem))
        return check_refusal (&problem);
      check_text (payment.currency, 1, 3);
      g_assert_true (till_api_input_matches_charset (payment.currency, ""));
      check_text (payment.token, 1, TILL_API_MAX_SOURCE_ID);
      if (payment.description != NULL)
        {
          check_text (payment.description, 0, TILL_API_MAX_DESCRIPTION);
          g_assert_false (till_api_input_has_control_chars (payment.description));
        }
      return;
    case ROUTE_REFUND:
      if (!till_api_input_refund (body, &refund, &problem))
        return check_refusal (&problem);
      if (refund.reason != NULL)
        g_assert_true (g_str_equal (refund.reason, "duplicate") || g_str_equal (refund.reason, "fraudulent") ||
                       g_str_equal (refund.reason, "requested_by_customer"));
      return;
    case ROUTE_APPROVAL:
      if (!till_api_input_approval (body, &approval, &problem))
        return check_refusal (&problem);
      check_text (approval.username, 1, TILL_API_MAX_USERNAME);
      check_text (approval.password, 1, TILL_API_MAX_PASSWORD);
      g_assert_false (till_api_input_has_control_chars (approval.username));
      g_assert_true (g_str_equal (approval.action, "kiosk.leave") || g_str_equal (approval.action, "kiosk.quit") ||
                     g_str_equal (approval.action, "kiosk.preferences"));
      return;
    case ROUTE_EMPTY:
      if (!till_api_input_empty (body, &problem))
        return check_refusal (&problem);
      g_assert_cmpuint (json_object_get_size (body), ==, 0);
      return;
    case ROUTE_IDEMPOTENCY_KEY:
    case N_ROUTES:
    default:
      g_assert_not_reached ();
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(JsonObject) body = NULL;
  g_autofree char *text = NULL;
  TillApiProblem problem = { 0, };
  const char *content_type;
  const char *bytes;
  gboolean allow_empty;
  gsize max_size;
  gsize length;
  Route route;

  if (size < 2)
    return 0;
  route = data[0] % N_ROUTES;
  content_type = content_types[data[1] % G_N_ELEMENTS (content_types)];
  allow_empty = (data[1] & 0x10) != 0;
  max_size = (data[1] & 0x20) != 0 ? 64 : 64 * 1024;
  bytes = (const char *) data + 2;
  length = size - 2;
  text = till_fuzz_strndup (data + 2, length);

  if (route == ROUTE_IDEMPOTENCY_KEY)
    {
      if (!till_api_input_idempotency_key (text, &problem))
        {
          check_refusal (&problem);
          return 0;
        }
      check_text (text, TILL_API_MIN_IDEMPOTENCY_KEY, TILL_API_MAX_IDEMPOTENCY_KEY);
      g_assert_true (till_api_input_matches_charset (text, "-_.:"));
      return 0;
    }

  body = till_api_input_parse_body (content_type, bytes, length, max_size, allow_empty, &problem);
  if (body == NULL)
    {
      check_refusal (&problem);
      return 0;
    }
  g_assert_cmpuint (length, <=, max_size);
  if (length > 0)
    g_assert_cmpint (till_json_find_raw_problem (bytes, length, TILL_API_MAX_JSON_DEPTH), ==, TILL_JSON_RAW_OK);
  check_route (route, body);
  return 0;
}
