/* till-api-input.h: till-server's checks on what a request carries
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_API_MAX_USERNAME        64
#define TILL_API_MAX_PASSWORD        1024
#define TILL_API_MIN_NEW_PASSWORD    8
#define TILL_API_MAX_DESCRIPTION     200
#define TILL_API_MAX_SOURCE_ID       255
#define TILL_API_MAX_REASON          32
#define TILL_API_MAX_JSON_DEPTH      32
#define TILL_API_MIN_IDEMPOTENCY_KEY 8
#define TILL_API_MAX_IDEMPOTENCY_KEY 255
#define TILL_API_MAX_QUERY           4096
#define TILL_API_MAX_REFERENCE       255

/* Why a request is refused: the HTTP status, the stable error code, the
 * field it concerns (or NULL) and an English message that never quotes
 * the client's text. All strings are static. */
typedef struct
{
  guint       status;
  const char *code;
  const char *param;
  const char *message;
} TillApiProblem;

typedef struct
{
  const char *username;
  const char *password;
} TillLoginInput;

typedef struct
{
  gint64      amount;
  const char *currency;
  const char *description;   /* NULL when absent */
  const char *token;
} TillPaymentInput;

typedef struct
{
  gboolean    has_amount;
  gint64      amount;
  const char *reason;        /* NULL when absent */
  const char *approval_username;   /* NULL when no approval was given */
  const char *approval_password;
} TillRefundInput;

/* What a manager may approve at a terminal (POST /api/approvals). */
#define TILL_APPROVAL_KIOSK_LEAVE       "kiosk.leave"
#define TILL_APPROVAL_KIOSK_QUIT        "kiosk.quit"
#define TILL_APPROVAL_KIOSK_PREFERENCES "kiosk.preferences"

typedef struct
{
  const char *username;
  const char *password;
  const char *action;
} TillApprovalInput;

/* The staff endpoints' bodies; what a body does not carry is NULL, and
 * disabled is -1 when absent. */
typedef struct
{
  const char *username;
  const char *password;
  const char *role;
  int         disabled;
} TillStaffInput;

/* The strings of the inputs point into the JsonObject they came from. */
JsonObject *till_api_input_parse_body     (const char       *content_type,
                                           const char       *data,
                                           gsize             length,
                                           gsize             max_size,
                                           gboolean          allow_empty,
                                           TillApiProblem   *problem);
gboolean    till_api_input_login          (JsonObject       *body,
                                           TillLoginInput   *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_approval       (JsonObject       *body,
                                           TillApprovalInput *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_payment        (JsonObject       *body,
                                           TillPaymentInput *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_refund         (JsonObject       *body,
                                           TillRefundInput  *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_new_staff      (JsonObject       *body,
                                           TillStaffInput   *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_staff_change   (JsonObject       *body,
                                           TillStaffInput   *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_new_password   (JsonObject       *body,
                                           TillStaffInput   *out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_empty          (JsonObject       *body,
                                           TillApiProblem   *problem);
gboolean    till_api_input_idempotency_key (const char      *key,
                                           TillApiProblem   *problem);

gboolean    till_api_input_valid_username (const char      *name);
const char *till_api_input_password_problem (const char    *password);
gboolean    till_api_input_query          (const char       *raw,
                                           const char      **allowed,
                                           GHashTable      **out,
                                           TillApiProblem   *problem);
gboolean    till_api_input_time           (const char       *text,
                                           gint64           *out);

gboolean    till_api_input_has_control_chars (const char    *s);
gboolean    till_api_input_matches_charset (const char      *s,
                                           const char       *extra);

G_END_DECLS
