/* till-backend-answers.h: the shop server's answers, read strictly into small structs
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_ANSWER_ERROR (till_answer_error_quark ())

/**
 * TillAnswerError:
 * @TILL_ANSWER_ERROR_NOT_JSON: the body is not strict JSON (a NUL escape,
 *   invalid UTF-8, too deep, a number past 18 digits, a syntax error) or not
 *   an object
 * @TILL_ANSWER_ERROR_MISSING: a required member is absent or null
 * @TILL_ANSWER_ERROR_WRONG_TYPE: a member has another JSON type
 * @TILL_ANSWER_ERROR_INVALID: a string holds invalid UTF-8 or a control
 *   character, is longer than its limit, or is not of its pattern or set;
 *   or an integer is out of range
 *
 * The message names the member ("payment.id", "user.role"), never its value:
 * answers carry session tokens.
 */
typedef enum
{
  TILL_ANSWER_ERROR_NOT_JSON,
  TILL_ANSWER_ERROR_MISSING,
  TILL_ANSWER_ERROR_WRONG_TYPE,
  TILL_ANSWER_ERROR_INVALID,
} TillAnswerError;

GQuark       till_answer_error_quark          (void);

/* The limits, in bytes of UTF-8 (docs/api.md, "What the terminal accepts"). */
/* json-glib 1.6 parses recursively and overflows the stack on a few
 * hundred thousand nested brackets; the API nests a handful of levels. */
#define TILL_ANSWER_MAX_DEPTH            64
#define TILL_ANSWER_TOKEN_MIN            16
#define TILL_ANSWER_TOKEN_MAX            256
#define TILL_ANSWER_NAME_MAX             64
#define TILL_ANSWER_SHOP_NAME_MAX        200
#define TILL_ANSWER_KEY_MAX              255
#define TILL_ANSWER_PUBLISHABLE_KEY_MAX  255
#define TILL_ANSWER_URL_MAX              2048
#define TILL_ANSWER_PAYMENT_ID_MAX       64
#define TILL_ANSWER_CLIENT_SECRET_MAX    255
#define TILL_ANSWER_CODE_MAX             100
#define TILL_ANSWER_MESSAGE_MAX          1000
#define TILL_ANSWER_DESCRIPTION_MAX      200
#define TILL_ANSWER_LIST_MAX             100
#define TILL_ANSWER_AMOUNT_MAX           G_GINT64_CONSTANT (99999999)

/* Raw bytes to the object at the root: strict JSON only, so that nothing
 * the parser would cut short (a \u0000 escape) or misread ever reaches a
 * reader below. */
JsonObject  *till_answer_parse_object         (const char   *data,
                                               gsize         length,
                                               GError      **error);

/* {token, expires_at, user{id, name, role}} from POST /api/login
 * (with_token), or {user, expires_at} from GET /api/check-auth. */
typedef struct
{
  char    *token;        /* NULL for check-auth */
  gint64   expires_at;   /* unix seconds */
  gint64   user_id;
  char    *name;
  char    *role;         /* "cashier" or "manager" */
} TillLoginAnswer;

TillLoginAnswer *till_login_answer_read       (JsonObject   *object,
                                               gboolean      with_token,
                                               GError      **error);
void         till_login_answer_free           (TillLoginAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillLoginAnswer, till_login_answer_free)

/* GET /api/config */
typedef struct
{
  char     *shop_name;       /* may be NULL */
  char     *currency;        /* upper case, a code till-money knows */
  int       currency_exponent;
  char     *country;         /* two letters, upper case, may be NULL */
  char     *publishable_key; /* pk_… */
  char     *stripe_js_url;   /* https://… (or http:// to loopback for a stand-in) */
  char     *mode;            /* "payment_intents" or "charges" */
  gboolean  moto;
} TillConfigAnswer;

TillConfigAnswer *till_config_answer_read     (JsonObject   *object,
                                               GError      **error);
void         till_config_answer_free          (TillConfigAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillConfigAnswer, till_config_answer_free)

typedef enum
{
  TILL_PAYMENT_STATE_PENDING,
  TILL_PAYMENT_STATE_SUCCEEDED,
  TILL_PAYMENT_STATE_DECLINED,
  TILL_PAYMENT_STATE_REQUIRES_ACTION,
  TILL_PAYMENT_STATE_FAILED,
} TillPaymentState;

/* The payment object. */
typedef struct
{
  char             *id;               /* pay_… */
  TillPaymentState  status;
  gint64            amount;
  char             *currency;         /* upper case */
  char             *description;      /* NULL for null or "" */
  char             *idempotency_key;
  char             *brand;            /* card.brand, may be NULL */
  char             *last4;            /* card.last4, may be NULL */
  char             *client_secret;    /* only for requires_action */
  char             *decline_code;     /* may be NULL */
  char             *last_error_code;  /* may be NULL */
  char             *last_error_message;
} TillPaymentAnswer;

TillPaymentAnswer *till_payment_answer_read   (JsonObject   *object,
                                               GError      **error);
void         till_payment_answer_free         (TillPaymentAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillPaymentAnswer, till_payment_answer_free)

/* {data: [payment…], has_more} from GET /api/payments: an array of
 * TillPaymentAnswer. */
GPtrArray   *till_payment_list_answer_read    (JsonObject   *object,
                                               gboolean     *out_has_more,
                                               GError      **error);

/* The error member of an error answer: {error{code, message, decline_code}}. */
typedef struct
{
  char *code;           /* [a-z0-9_]+ */
  char *message;        /* may be NULL */
  char *decline_code;   /* may be NULL */
} TillErrorAnswer;

TillErrorAnswer *till_error_answer_read       (JsonObject   *object,
                                               GError      **error);
void         till_error_answer_free           (TillErrorAnswer *answer);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillErrorAnswer, till_error_answer_free)

/* The same member readers for any other answer the terminal reads: each
 * refuses a wrong type, and a string with invalid UTF-8, a control
 * character (below U+0020, or U+007F) or more than max_bytes. Absent and
 * null give NULL (or FALSE for the boolean) without an error unless
 * required. name is used in messages only. */
gboolean     till_answer_get_string           (JsonObject   *object,
                                               const char   *name,
                                               gsize         max_bytes,
                                               gboolean      required,
                                               const char  **out_value,
                                               GError      **error);
gboolean     till_answer_get_int              (JsonObject   *object,
                                               const char   *name,
                                               gint64        min,
                                               gint64        max,
                                               gint64       *out_value,
                                               GError      **error);
JsonObject  *till_answer_get_object           (JsonObject   *object,
                                               const char   *name);

G_END_DECLS
