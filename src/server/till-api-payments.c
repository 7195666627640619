/* till-api-payments.c: till-server's payment routes
 *
 * Taking a payment, listing and reading them, and finishing one that
 * waits for the customer's 3-D Secure. Stripe is talked to by
 * till-payments.c; here the request is checked, the payment stored before
 * Stripe hears of it, and its outcome turned into an answer.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-crypto.h"
#include "till-server-error.h"

#define MAX_LIST_LIMIT       100
#define DEFAULT_LIST_LIMIT   25

static void
send_busy (SoupServerMessage *msg)
{
  till_api_send_in_progress (msg, "payment_in_progress",
                             "This payment is being processed; ask again in a moment");
}

/* The outcome of a payment decides the status code, so that a replay of
 * the same Idempotency-Key answers exactly as the first request did. */
static void
respond_payment (SoupServerMessage *msg,
                 TillPayment       *p,
                 gboolean           fresh)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint status = 200;

  json_builder_begin_object (builder);

  if (g_str_equal (p->status, TILL_STATUS_SUCCEEDED))
    status = fresh ? 201 : 200;
  else if (g_str_equal (p->status, TILL_STATUS_REQUIRES_ACTION))
    status = 202;
  else if (g_str_equal (p->status, TILL_STATUS_DECLINED))
    {
      status = 402;
      json_builder_set_member_name (builder, "error");
      json_builder_begin_object (builder);
      till_api_add_string (builder, "code", "card_declined");
      till_api_add_string (builder, "decline_code", p->decline_code);
      till_api_add_string (builder, "message",
                           p->error_message ? p->error_message : "The card was declined.");
      json_builder_end_object (builder);
    }
  else if (g_str_equal (p->status, TILL_STATUS_FAILED))
    {
      gboolean ours = g_strcmp0 (p->error_code, "stripe_auth_failed") == 0;

      status = ours ? 502 : 422;
      till_api_add_error (builder, ours ? "stripe_auth_failed" : "payment_failed",
                          ours ? "The shop's server could not authenticate with Stripe. No charge was made."
                               : (p->error_message ? p->error_message : "Stripe refused the payment. No charge was made."),
                          NULL);
    }
  else
    {
      /* pending: the outcome is unknown and must not read as a failure */
      const char *code = p->error_code ? p->error_code : "payment_pending";

      if (g_str_equal (code, "stripe_rate_limited"))
        {
          status = 503;
          till_api_set_retry_after (msg, 2);
        }
      else if (g_str_equal (code, "stripe_unreachable"))
        status = 504;
      else
        status = 502;
      till_api_add_error (builder, code,
                          "The outcome of this payment is not known yet. Retry with the same "
                          "Idempotency-Key or look it up; it will never be charged twice.",
                          NULL);
    }

  json_builder_set_member_name (builder, "payment");
  till_api_add_payment (builder, p, TRUE);
  json_builder_end_object (builder);

  till_api_send_outcome (msg, status, builder, fresh);
}

static void
payment_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(TillApiRequest) req = user_data;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;

  soup_server_message_unpause (req->msg);

  if (g_async_result_is_tagged (result, till_payments_confirm_async))
    p = till_payments_confirm_finish (TILL_PAYMENTS (object), result, &error);
  else
    p = till_payments_submit_finish (TILL_PAYMENTS (object), result, &error);

  if (p == NULL)
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        send_busy (req->msg);
      else
        till_api_send_error (req->msg, 500, "internal_error", "The payment could not be recorded");
      return;
    }

  respond_payment (req->msg, p, req->fresh);
}

static void
drive_payment (TillApiRequest *req,
               TillPayment    *p,
               gboolean        fresh)
{
  TillPayments *payments = req->self->payments;

  req->fresh = fresh;
  /* till_api_request_suspend() empties req: nothing may read it after. Past
   * the PaymentIntent's creation (a confirm whose answer was lost, or one
   * Stripe is still processing), its state is read back from it: sending
   * the creation again would only replay its first answer. */
  if (p->stripe_id != NULL && g_str_has_prefix (p->stripe_id, "pi_"))
    till_payments_confirm_async (payments, p, payment_done_cb, till_api_request_suspend (req));
  else
    till_payments_submit_async (payments, p, payment_done_cb, till_api_request_suspend (req));
}

static gboolean
check_source (TillApiRequest *req,
              const char     *source)
{
  gboolean charges = req->self->config->stripe_mode == TILL_STRIPE_MODE_CHARGES;
  const char *prefix = charges ? "tok_" : "pm_";

  if (!g_str_has_prefix (source, prefix) || strlen (source) <= strlen (prefix) ||
      !till_api_input_matches_charset (source, "_"))
    {
      till_api_send_error_param (req->msg, 400, "invalid_token", "token",
                                 charges ? "This shop takes card tokens (tok_…)"
                                         : "This shop takes PaymentMethods (pm_…)");
      return FALSE;
    }
  return TRUE;
}

static char *
hash_payment_request (gint64      amount,
                      const char *currency,
                      const char *description,
                      const char *source)
{
  g_autofree char *canonical =
    g_strdup_printf ("%" G_GINT64_FORMAT "\n%s\n%s\n%s", amount, currency,
                     description ? description : "", source);

  return till_crypto_sha256_hex (canonical, -1);
}

/* A second request with a used Idempotency-Key: the same payment is
 * answered as it stands, or finished if it was left pending. */
static void
replay_payment (TillApiRequest *req,
                TillPayment    *existing,
                const char     *request_hash)
{
  if (!g_str_equal (existing->request_hash, request_hash))
    till_api_send_error (req->msg, 409, "idempotency_key_reused",
                         "This Idempotency-Key was used for a different payment");
  else if (till_payments_is_busy (req->self->payments, existing->id))
    send_busy (req->msg);
  else if (g_str_equal (existing->status, TILL_STATUS_PENDING))
    drive_payment (req, existing, FALSE);
  else
    respond_payment (req->msg, existing, FALSE);
}

static TillPayment *
new_payment (TillApiRequest         *req,
             const char             *key,
             char                   *request_hash,
             const TillPaymentInput *input,
             const char             *currency)
{
  TillServerConfig *config = req->self->config;
  TillPayment *p = g_new0 (TillPayment, 1);

  p->id = till_crypto_new_id ("pay");
  p->idempotency_key = g_strdup (key);
  p->request_hash = request_hash;
  p->user_id = req->user->id;
  p->amount = input->amount;
  p->currency = g_strdup (currency);
  p->description = g_strdup (input->description);
  p->source = g_strdup (input->token);
  p->mode = g_strdup (till_stripe_mode_to_string (config->stripe_mode));
  p->moto = config->stripe_moto;
  p->status = g_strdup (TILL_STATUS_PENDING);
  return p;
}

static void
handle_create_payment (TillApiRequest *req)
{
  TillApi *self = req->self;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(TillPayment) existing = NULL;
  TillPaymentInput input;
  TillApiProblem problem;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *currency = NULL;
  g_autofree char *request_hash = NULL;
  const char *key, *currency_in, *description, *source;
  gint64 amount;

  if ((key = till_api_get_idempotency_key (req)) == NULL ||
      (body = till_api_parse_body (req, FALSE)) == NULL)
    return;
  if (!till_api_input_payment (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  amount = input.amount;
  currency_in = input.currency;
  description = input.description;
  source = input.token;

  if (amount <= 0)
    {
      till_api_send_error_param (req->msg, 400, "invalid_amount", "amount", "The amount must be positive");
      return;
    }
  if (!till_api_check_stripe_amount (req, amount, self->config->currency))
    return;
  currency = g_ascii_strup (currency_in, -1);
  if (!g_str_equal (currency, self->config->currency))
    {
      till_api_send_error_param (req->msg, 400, "currency_mismatch", "currency",
                                 "The currency is not the shop's currency");
      return;
    }
  request_hash = hash_payment_request (amount, currency, description, source);
  existing = till_db_get_payment_by_key (self->db, key);
  if (existing != NULL)
    {
      replay_payment (req, existing, request_hash);
      return;
    }

  /* Checked for new payments only: a retry of a payment made before the
   * shop changed its Stripe mode must still find its stored result. */
  if (!check_source (req, source))
    return;

  p = new_payment (req, key, g_steal_pointer (&request_hash), &input, currency);

  /* Written before Stripe hears of it: a crash from here on leaves a
   * pending row that start-up recovery resolves with the same key. */
  if (!till_db_insert_payment (self->db, p, &error))
    {
      g_warning ("%s", error->message);
      till_api_send_error (req->msg, 500, "internal_error", "The payment could not be recorded");
      return;
    }

  drive_payment (req, p, TRUE);
}

static void
send_payment_list (TillApiRequest *req,
                   GPtrArray      *payments,
                   gboolean        has_more)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < payments->len; i++)
    {
      TillPayment *p = g_ptr_array_index (payments, i);

      till_api_add_payment (builder, p, p->user_id == req->user->id);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "has_more");
  json_builder_add_boolean_value (builder, has_more);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

static const char *list_parameters[] = {
  "limit", "starting_after", "idempotency_key", "created_gte", "created_lt", "amount_gte",
  "amount_lte", "last4", "brand", "reference", "cashier", "status", NULL
};

/* Stripe's card brands in the spelling till-payments.c stores */
static const char *card_brands[] = {
  "amex", "cartes_bancaires", "diners", "discover", "eftpos_au", "interac", "jcb", "link",
  "mastercard", "unionpay", "visa", "unknown", NULL
};

static const char *payment_states[] = {
  TILL_STATUS_PENDING, TILL_STATUS_SUCCEEDED, TILL_STATUS_DECLINED,
  TILL_STATUS_REQUIRES_ACTION, TILL_STATUS_FAILED, NULL
};

static gboolean
refuse_parameter (TillApiRequest *req,
                  const char     *param,
                  const char     *message)
{
  till_api_send_error_param (req->msg, 400, "invalid_parameter", param, message);
  return FALSE;
}

static gboolean
is_digits (const char *text,
           gsize       min_length,
           gsize       max_length)
{
  gsize length = strlen (text);

  return length >= min_length && length <= max_length && strspn (text, "0123456789") == length;
}

static gboolean
parse_amount (TillApiRequest *req,
              GHashTable     *params,
              const char     *name,
              gboolean       *has,
              gint64         *out)
{
  const char *text = g_hash_table_lookup (params, name);
  guint64 value;

  if (text == NULL)
    return TRUE;
  if (!is_digits (text, 1, 18) ||
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT64, &value, NULL))
    return refuse_parameter (req, name, "An amount is 1 to 18 decimal digits, in minor units");
  *has = TRUE;
  *out = (gint64) value;
  return TRUE;
}

static gboolean
parse_time (TillApiRequest *req,
            GHashTable     *params,
            const char     *name,
            gboolean       *has,
            gint64         *out)
{
  const char *text = g_hash_table_lookup (params, name);

  if (text == NULL)
    return TRUE;
  if (!till_api_input_time (text, out))
    return refuse_parameter (req, name,
                             "A time is RFC 3339 with a zone, e.g. 2026-11-27T07:11:57Z or 2026-11-27T08:11:57+01:00");
  *has = TRUE;
  return TRUE;
}

static const char *
find_static (const char **names,
             const char  *name)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (g_str_equal (names[i], name))
      return names[i];
  return NULL;
}

static gboolean
parse_statuses (TillApiRequest    *req,
                const char        *text,
                TillPaymentFilter *filter)
{
  g_auto(GStrv) names = g_strsplit (text, ",", -1);

  if (names[0] == NULL)
    return refuse_parameter (req, "status", "status is empty");
  G_STATIC_ASSERT (G_N_ELEMENTS (payment_states) - 1 <= TILL_PAYMENT_FILTER_MAX_STATUSES);
  for (guint i = 0; names[i] != NULL; i++)
    {
      const char *state = find_static (payment_states, names[i]);

      /* Each state at most once, so the set never outgrows the filter. */
      if (state == NULL || g_strv_contains (filter->statuses, state))
        return refuse_parameter (req, "status",
                                 "status is one or more of pending, succeeded, declined, "
                                 "requires_action, failed, separated by commas, each once");
      filter->statuses[i] = state;
    }
  return TRUE;
}

/* A cashier's list is only ever their own: naming anyone else is refused
 * rather than answered with an empty list that would read as "no sales". */
static gboolean
parse_cashier (TillApiRequest    *req,
               const char        *name,
               TillPaymentFilter *filter)
{
  g_autoptr(TillUser) user = NULL;

  if (name[0] == '\0' || strlen (name) > TILL_API_MAX_USERNAME)
    return refuse_parameter (req, "cashier", "cashier is a user name of 1 to 64 bytes");
  if (!till_api_is_manager (req->user))
    {
      if (g_str_equal (name, req->user->name))
        return TRUE;
      till_api_send_error_param (req->msg, 403, "forbidden", "cashier",
                                 "A cashier can list only their own payments");
      return FALSE;
    }
  if ((user = till_db_get_user_by_name (req->self->db, name)) == NULL)
    return refuse_parameter (req, "cashier", "cashier is not a user of this shop");
  filter->user_id = user->id;
  return TRUE;
}

/* The filter's strings point into params. */
static gboolean
parse_filter (TillApiRequest    *req,
              GHashTable        *params,
              TillPaymentFilter *filter)
{
  const char *last4 = g_hash_table_lookup (params, "last4");
  const char *brand = g_hash_table_lookup (params, "brand");
  const char *reference = g_hash_table_lookup (params, "reference");
  const char *cashier = g_hash_table_lookup (params, "cashier");
  const char *status = g_hash_table_lookup (params, "status");

  if (!parse_time (req, params, "created_gte", &filter->has_created_gte, &filter->created_gte) ||
      !parse_time (req, params, "created_lt", &filter->has_created_lt, &filter->created_lt) ||
      !parse_amount (req, params, "amount_gte", &filter->has_amount_gte, &filter->amount_gte) ||
      !parse_amount (req, params, "amount_lte", &filter->has_amount_lte, &filter->amount_lte))
    return FALSE;
  if (last4 != NULL && !is_digits (last4, 4, 4))
    return refuse_parameter (req, "last4", "last4 is exactly 4 digits");
  if (brand != NULL && (filter->card_brand = find_static (card_brands, brand)) == NULL)
    return refuse_parameter (req, "brand", "brand is not a card brand this server knows");
  if (reference != NULL && (reference[0] == '\0' || strlen (reference) > TILL_API_MAX_REFERENCE))
    return refuse_parameter (req, "reference", "reference is 1 to 255 bytes");
  if (cashier != NULL && !parse_cashier (req, cashier, filter))
    return FALSE;
  if (status != NULL && !parse_statuses (req, status, filter))
    return FALSE;
  filter->card_last4 = last4;
  filter->reference = reference;
  return TRUE;
}

static void
handle_list_payments (TillApiRequest *req)
{
  GUri *uri = soup_server_message_get_uri (req->msg);
  g_autoptr(GHashTable) params = NULL;
  g_autoptr(GPtrArray) payments = NULL;
  TillPaymentFilter filter = { .user_id = -1 };
  TillApiProblem problem;
  const char *key, *limit_str, *after;
  guint64 limit = DEFAULT_LIST_LIMIT;
  gboolean has_more;

  if (!till_api_input_query (g_uri_get_query (uri), list_parameters, &params, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  key = g_hash_table_lookup (params, "idempotency_key");
  limit_str = g_hash_table_lookup (params, "limit");
  after = g_hash_table_lookup (params, "starting_after");

  /* A terminal resolving an unknown payment may be signed in as another
   * cashier than the one who started it; the key itself is the proof. */
  if (key != NULL)
    {
      g_autoptr(TillPayment) p = till_db_get_payment_by_key (req->self->db, key);

      payments = g_ptr_array_new_with_free_func ((GDestroyNotify) till_payment_free);
      if (p != NULL)
        g_ptr_array_add (payments, g_steal_pointer (&p));
      send_payment_list (req, payments, FALSE);
      return;
    }

  if (limit_str != NULL &&
      (!is_digits (limit_str, 1, 18) ||
       !g_ascii_string_to_unsigned (limit_str, 10, 1, MAX_LIST_LIMIT, &limit, NULL)))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "limit", "limit must be 1 to 100");
      return;
    }
  if (!till_api_is_manager (req->user))
    filter.user_id = req->user->id;
  if (!parse_filter (req, params, &filter))
    return;
  if (after != NULL)
    {
      g_autoptr(TillPayment) cursor = till_db_get_payment (req->self->db, after);

      /* Another cashier's payment is no cursor of theirs: as for GET, it
       * does not exist for them. It need not match the filters: it is
       * only a place in the list. */
      if (cursor == NULL || !till_api_may_see (req, cursor))
        {
          till_api_send_error_param (req->msg, 400, "invalid_parameter", "starting_after",
                                     "starting_after is not a payment id");
          return;
        }
      filter.after_created = cursor->created;
      filter.after_rowid = cursor->rowid;
    }

  payments = till_db_search_payments (req->self->db, &filter, (guint) limit + 1);
  has_more = payments->len > limit;
  if (has_more)
    g_ptr_array_set_size (payments, (guint) limit);
  send_payment_list (req, payments, has_more);
}

/* The one place a payment's refunds are given: a list of payments stays
 * as light as it was. */
static void
handle_get_payment (TillApiRequest *req)
{
  g_autoptr(TillPayment) p = till_api_lookup_payment (req);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) refunds = NULL;

  if (p == NULL)
    return;
  refunds = till_db_list_refunds_of_payment (req->self->db, p->id);
  json_builder_begin_object (builder);
  till_api_add_payment_members (builder, p, p->user_id == req->user->id);
  json_builder_set_member_name (builder, "refunds");
  json_builder_begin_array (builder);
  for (guint i = 0; i < refunds->len; i++)
    till_api_add_refund (builder, g_ptr_array_index (refunds, i), p->currency);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

static void
handle_confirm_payment (TillApiRequest *req)
{
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(JsonObject) body = NULL;
  TillApiProblem problem;
  TillPayments *payments;

  /* Only the cashier who took the payment (or a manager) may finish its
   * authentication: to anyone else it does not exist, as for GET. */
  if ((p = till_api_lookup_payment (req)) == NULL)
    return;
  if ((body = till_api_parse_body (req, TRUE)) == NULL)
    return;
  if (!till_api_input_empty (body, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }

  if (till_payments_is_busy (req->self->payments, p->id))
    {
      send_busy (req->msg);
      return;
    }
  /* A pending payment never reached Stripe's PaymentIntent, or its outcome
   * was lost: resolve it the way it was left. */
  if (g_str_equal (p->status, TILL_STATUS_PENDING) &&
      (p->stripe_id == NULL || !g_str_has_prefix (p->stripe_id, "pi_")))
    {
      drive_payment (req, p, FALSE);
      return;
    }
  if (!g_str_equal (p->status, TILL_STATUS_REQUIRES_ACTION) &&
      !g_str_equal (p->status, TILL_STATUS_PENDING))
    {
      respond_payment (req->msg, p, FALSE);
      return;
    }

  req->fresh = TRUE;
  payments = req->self->payments;
  till_payments_confirm_async (payments, p, payment_done_cb, till_api_request_suspend (req));
}

const TillApiRoute till_api_payments_routes[] = {
  { "GET", "api/payments", TILL_API_ACCESS_STAFF, handle_list_payments },
  { "POST", "api/payments", TILL_API_ACCESS_STAFF, handle_create_payment },
  { "GET", "api/payments/*", TILL_API_ACCESS_STAFF, handle_get_payment },
  { "POST", "api/payments/*/confirm", TILL_API_ACCESS_STAFF, handle_confirm_payment },
  { NULL }
};
