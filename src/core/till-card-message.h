/* till-card-message.h: the messages the card page posts to native code
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_CARD_MESSAGE_ERROR (till_card_message_error_quark ())

/* Whole messages are at most this many bytes. */
#define TILL_CARD_MESSAGE_MAX_SIZE (16 * 1024)

/**
 * TillCardMessageError:
 * @TILL_CARD_MESSAGE_ERROR_MALFORMED: empty, not UTF-8, not strict
 *   RFC 8259 JSON (json-glib 1.6 alone would take comments, single quotes,
 *   hex and octal numbers and trailing text), not an object at the root,
 *   nested more than 4 deep, or an object with the same key twice
 * @TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE: "type" is a string naming no
 *   message this parser knows
 * @TILL_CARD_MESSAGE_ERROR_UNKNOWN_FIELD: an object has a member its shape
 *   does not list
 * @TILL_CARD_MESSAGE_ERROR_BAD_FIELD: a listed member is missing, has the
 *   wrong JSON type, or a value outside its pattern, list or range; also a
 *   \u0000 escape or an integer literal of more than 18 digits anywhere
 * @TILL_CARD_MESSAGE_ERROR_FORBIDDEN_FIELD: a member name, at any depth,
 *   contains "amount" or "currency" (ASCII case ignored): the amount is
 *   only ever set natively
 * @TILL_CARD_MESSAGE_ERROR_TOO_LARGE: more than
 *   %TILL_CARD_MESSAGE_MAX_SIZE bytes
 *
 * Error codes of the %TILL_CARD_MESSAGE_ERROR domain, set by
 * till_card_message_parse(). Messages name the field by its expected path
 * ("token.card.last4") and never quote anything the page sent, so they can
 * go to a log as they are.
 */
typedef enum
{
  TILL_CARD_MESSAGE_ERROR_MALFORMED,
  TILL_CARD_MESSAGE_ERROR_UNKNOWN_TYPE,
  TILL_CARD_MESSAGE_ERROR_UNKNOWN_FIELD,
  TILL_CARD_MESSAGE_ERROR_BAD_FIELD,
  TILL_CARD_MESSAGE_ERROR_FORBIDDEN_FIELD,
  TILL_CARD_MESSAGE_ERROR_TOO_LARGE,
} TillCardMessageError;

/**
 * TillCardMessageType:
 * @TILL_CARD_MESSAGE_READY: {"type":"ready"}: the card element is mounted
 * @TILL_CARD_MESSAGE_CHANGE: the card element's change event
 * @TILL_CARD_MESSAGE_TOKEN: a createToken() result (legacy charges mode)
 * @TILL_CARD_MESSAGE_PAYMENT_METHOD: a createPaymentMethod() result
 * @TILL_CARD_MESSAGE_ERROR_RESULT: a Stripe.js error result
 * @TILL_CARD_MESSAGE_ACTION_RESULT: a handleCardAction() result
 */
typedef enum
{
  TILL_CARD_MESSAGE_READY,
  TILL_CARD_MESSAGE_CHANGE,
  TILL_CARD_MESSAGE_TOKEN,
  TILL_CARD_MESSAGE_PAYMENT_METHOD,
  TILL_CARD_MESSAGE_ERROR_RESULT,
  TILL_CARD_MESSAGE_ACTION_RESULT,
} TillCardMessageType;

/**
 * TillCardMessage:
 * @type: which message this is; only the fields of that message are set,
 *   the others are %NULL or 0
 * @complete: change: the card element holds a complete card
 * @empty: change: the card element is empty
 * @error_code: change: the validation error's code, or %NULL when the
 *   element has no error; error result: Stripe's code, or %NULL.
 *   1 to 100 bytes of [a-z0-9_]
 * @error_message: change: the validation error's message, or %NULL;
 *   error result: Stripe's message (always set). 1 to 500 bytes of UTF-8
 *   without control characters; Stripe's words, fit to show the cashier
 * @id: token: tok_…; payment method: pm_…. The prefix, then 1 to 250 of
 *   [A-Za-z0-9_]
 * @brand: change, token, payment method: one of visa, mastercard, amex,
 *   discover, diners, jcb, unionpay, cartes_bancaires, eftpos_au, interac,
 *   unknown (a token's "Visa", "MasterCard", "American Express"… mapped to
 *   these)
 * @last4: token, payment method: exactly 4 ASCII digits
 * @exp_month: token, payment method: 1 to 12
 * @exp_year: token, payment method: 2000 to 2100
 * @error_type: error result: one of Stripe.js's error types (card_error,
 *   validation_error, api_connection_error, api_error,
 *   authentication_error, idempotency_error, invalid_request_error,
 *   rate_limit_error)
 * @decline_code: error result: Stripe's decline code, or %NULL; same
 *   charset as @error_code
 * @payment_intent_id: action result: pi_…, same pattern as @id
 * @payment_intent_status: action result: one of the PaymentIntent
 *   statuses (requires_payment_method, requires_confirmation,
 *   requires_action, processing, requires_capture, canceled, succeeded)
 *
 * One message from the card page, validated. Nothing in it says how much
 * or in which currency: those never come from the page.
 */
typedef struct
{
  TillCardMessageType type;

  /* change */
  gboolean complete;
  gboolean empty;
  char *error_code;
  char *error_message;

  /* token / payment_method */
  char *id;
  char *brand;
  char *last4;
  int exp_month;
  int exp_year;

  /* error result (also error_code and error_message) */
  char *error_type;
  char *decline_code;

  /* action result */
  char *payment_intent_id;
  char *payment_intent_status;
} TillCardMessage;

GQuark           till_card_message_error_quark (void);

TillCardMessage *till_card_message_parse       (const char       *json,
                                                gsize             length,
                                                GError          **error) G_GNUC_WARN_UNUSED_RESULT;
void             till_card_message_free        (TillCardMessage  *message);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillCardMessage, till_card_message_free)

G_END_DECLS
