/* fuzz-backend-answers.c: the terminal's readers of the shop server's answers
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A server that is down, lying or taken over answers whatever it likes;
 * till-backend-answers is what reads its bytes into what the terminal
 * shows and does. Each input is one answer body, given to the strict
 * parser and then to every reader (login, check-auth, config, payment,
 * the payment list, the error answer), as any of them may receive it.
 * What must hold:
 * - a reader gives a value or an error, never both nor neither, and its
 *   error is of TILL_ANSWER_ERROR and names a member in a short message
 *   (never the value: answers carry session tokens);
 * - what a reader gives keeps the documented limits: valid UTF-8 without
 *   control characters and within its length, upper-case codes, an amount
 *   of 1 to 99999999, a state the terminal knows, a client secret only for
 *   requires_action, at most one page of payments.
 */
#include "config.h"

#include <string.h>

#include "till-backend-answers.h"
#include "till-fuzz.h"

static void
check_text (const char *text,
            gsize       max_bytes,
            gboolean    required)
{
  if (text == NULL)
    {
      g_assert_false (required);
      return;
    }
  g_assert_true (g_utf8_validate (text, -1, NULL));
  g_assert_cmpuint (strlen (text), <=, max_bytes);
  for (const char *c = text; *c != '\0'; c++)
    g_assert_true ((guchar) *c >= 0x20 && *c != 0x7f);
}

static void
check_upper_code (const char *text,
                  gsize       length)
{
  g_assert_nonnull (text);
  g_assert_cmpuint (strlen (text), ==, length);
  for (gsize i = 0; i < length; i++)
    g_assert_true (g_ascii_isupper (text[i]));
}

/* Exactly one of value and error, and an error that says little. */
static void
check_outcome (gconstpointer  value,
               const GError  *error)
{
  if (value != NULL)
    {
      g_assert_null (error);
      return;
    }
  g_assert_nonnull (error);
  g_assert_true (error->domain == TILL_ANSWER_ERROR);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_cmpuint (strlen (error->message), <=, 200);
}

static void
check_payment (const TillPaymentAnswer *payment)
{
  check_text (payment->id, TILL_ANSWER_PAYMENT_ID_MAX, TRUE);
  g_assert_true (g_str_has_prefix (payment->id, "pay_"));
  g_assert_cmpint (payment->status, >=, TILL_PAYMENT_STATE_PENDING);
  g_assert_cmpint (payment->status, <=, TILL_PAYMENT_STATE_FAILED);
  g_assert_cmpint (payment->amount, >=, 1);
  g_assert_cmpint (payment->amount, <=, TILL_ANSWER_AMOUNT_MAX);
  check_upper_code (payment->currency, 3);
  check_text (payment->description, TILL_ANSWER_DESCRIPTION_MAX, FALSE);
  if (payment->description != NULL)
    g_assert_cmpstr (payment->description, !=, "");
  check_text (payment->idempotency_key, TILL_ANSWER_KEY_MAX, TRUE);
  check_text (payment->brand, 32, FALSE);
  check_text (payment->last4, 4, FALSE);
  check_text (payment->decline_code, TILL_ANSWER_CODE_MAX, FALSE);
  check_text (payment->last_error_code, TILL_ANSWER_CODE_MAX, FALSE);
  check_text (payment->last_error_message, TILL_ANSWER_MESSAGE_MAX, FALSE);
  check_text (payment->client_secret, TILL_ANSWER_CLIENT_SECRET_MAX,
              payment->status == TILL_PAYMENT_STATE_REQUIRES_ACTION);
  if (payment->status != TILL_PAYMENT_STATE_REQUIRES_ACTION)
    g_assert_null (payment->client_secret);
}

static void
read_login (JsonObject *object,
            gboolean    with_token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillLoginAnswer) login = till_login_answer_read (object, with_token, &error);

  check_outcome (login, error);
  if (login == NULL)
    return;
  if (with_token)
    {
      check_text (login->token, TILL_ANSWER_TOKEN_MAX, TRUE);
      g_assert_cmpuint (strlen (login->token), >=, TILL_ANSWER_TOKEN_MIN);
    }
  else
    {
      g_assert_null (login->token);
    }
  g_assert_cmpint (login->user_id, >=, 1);
  check_text (login->name, TILL_ANSWER_NAME_MAX, TRUE);
  g_assert_true (g_str_equal (login->role, "cashier") || g_str_equal (login->role, "manager"));
}

static void
read_config (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillConfigAnswer) config = till_config_answer_read (object, &error);

  check_outcome (config, error);
  if (config == NULL)
    return;
  check_text (config->shop_name, TILL_ANSWER_SHOP_NAME_MAX, FALSE);
  check_upper_code (config->currency, 3);
  g_assert_cmpint (config->currency_exponent, >=, 0);
  g_assert_cmpint (config->currency_exponent, <=, 4);
  if (config->country != NULL)
    check_upper_code (config->country, 2);
  check_text (config->publishable_key, TILL_ANSWER_PUBLISHABLE_KEY_MAX, TRUE);
  g_assert_true (g_str_has_prefix (config->publishable_key, "pk_"));
  check_text (config->stripe_js_url, TILL_ANSWER_URL_MAX, TRUE);
  g_assert_true (g_str_has_prefix (config->stripe_js_url, "https://") ||
                 g_str_has_prefix (config->stripe_js_url, "http://"));
  g_assert_true (g_str_equal (config->mode, "payment_intents") || g_str_equal (config->mode, "charges"));
}

static void
read_payment (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPaymentAnswer) payment = till_payment_answer_read (object, &error);

  check_outcome (payment, error);
  if (payment != NULL)
    check_payment (payment);
}

static void
read_list (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  gboolean has_more = 2;
  g_autoptr(GPtrArray) payments = till_payment_list_answer_read (object, &has_more, &error);

  check_outcome (payments, error);
  if (payments == NULL)
    return;
  g_assert_true (has_more == TRUE || has_more == FALSE);
  g_assert_cmpuint (payments->len, <=, TILL_ANSWER_LIST_MAX);
  for (guint i = 0; i < payments->len; i++)
    check_payment (g_ptr_array_index (payments, i));
}

static void
read_error (JsonObject *object)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillErrorAnswer) answer = till_error_answer_read (object, &error);

  check_outcome (answer, error);
  if (answer == NULL)
    return;
  check_text (answer->code, TILL_ANSWER_CODE_MAX, TRUE);
  for (const char *c = answer->code; *c != '\0'; c++)
    g_assert_true (g_ascii_islower (*c) || g_ascii_isdigit (*c) || *c == '_');
  check_text (answer->message, TILL_ANSWER_MESSAGE_MAX, FALSE);
  check_text (answer->decline_code, TILL_ANSWER_CODE_MAX, FALSE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = till_answer_parse_object ((const char *) data, size, &error);

  check_outcome (object, error);
  if (object == NULL)
    return 0;

  read_login (object, TRUE);
  read_login (object, FALSE);
  read_config (object);
  read_payment (object);
  read_list (object);
  read_error (object);
  /* An error answer's body and a payment's are often read together. */
  if (json_object_has_member (object, "payment") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "payment")))
    read_payment (json_object_get_object_member (object, "payment"));
  return 0;
}
