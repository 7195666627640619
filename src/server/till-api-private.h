/* till-api-private.h: what the files of till-server's HTTP API share
 *
 * TillApi is one object spread over several files, as GNOME apps split a
 * large class: till-api.c owns the object, the connection guards and the
 * dispatch; till-api-json.c writes answers; till-api-checks.c holds the
 * checks a handler makes on a request; each till-api-<resource>.c holds
 * the routes of one resource. Not installed, and not for anything outside
 * the API.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "till-api.h"
#include "till-api-input.h"
#include "till-rate-limiter.h"
#include "till-webhooks.h"

G_BEGIN_DECLS

struct _TillApi
{
  GObject           parent_instance;

  /* owned references */
  SoupServer       *server;
  TillDb           *db;
  TillPayments     *payments;
  TillRateLimiter  *user_limiter;
  TillRateLimiter  *address_limiter;
  TillWebhooks     *webhooks;

  /* state */
  gint64            health_checked;      /* monotonic µs of the last write check */
  gboolean          health_writable;
  TillServerConfig *config;   /* owned by the caller, outlives us */
  guint             checks_in_flight;
  GHashTable       *checks_by_address;   /* address key → checks running */
};

typedef enum
{
  TILL_API_ACCESS_PUBLIC,
  TILL_API_ACCESS_STAFF,
  TILL_API_ACCESS_MANAGER,
} TillApiAccess;

typedef struct
{
  TillApi           *self;
  SoupServerMessage *msg;
  char             **segments;   /* the path split at '/', without the leading "" */
  GHashTable        *query;
  TillUser          *user;
  char              *token_hash;
  gint64             session_expires;
  gboolean           fresh;      /* made its payment or refund, did not replay a key */
} TillApiRequest;

typedef void (*TillApiHandler) (TillApiRequest *req);

typedef struct
{
  const char    *method;
  const char    *pattern;        /* '*' matches one id segment, '@' one user name */
  TillApiAccess  access;
  TillApiHandler handler;
} TillApiRoute;

/* Each resource file's routes, ended by an entry whose method is NULL. A
 * new resource file adds its table here and to route_tables in
 * till-api.c; a path's methods are offered (Allow) in table order. */
extern const TillApiRoute till_api_auth_routes[];
extern const TillApiRoute till_api_shop_routes[];
extern const TillApiRoute till_api_webhooks_routes[];
extern const TillApiRoute till_api_payments_routes[];
extern const TillApiRoute till_api_refunds_routes[];
extern const TillApiRoute till_api_reports_routes[];
extern const TillApiRoute till_api_staff_routes[];
extern const TillApiRoute till_api_approvals_routes[];

/* Called when a password check is done: user is the user whose password
 * was given, or NULL when the name or password was wrong. Returns whether
 * the attempt got what it asked for (a session, an approval): only then is
 * it taken back from the sign-in limits. A right password that is refused
 * all the same (a disabled account, a cashier's own name as approver)
 * counts as a failed attempt, so that it cannot be repeated faster than
 * wrong ones. */
typedef gboolean (*TillApiPasswordChecked) (TillApiRequest *req,
                                            const char     *username,
                                            TillUser       *user);

/* till-api.c */
const TillApiRoute * const *till_api_get_route_tables (guint       *n_tables);
char           *till_api_path_username       (TillApiRequest       *req,
                                              guint                 index);
void            till_api_request_free        (TillApiRequest       *req);
TillApiRequest *till_api_request_suspend     (TillApiRequest       *req);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillApiRequest, till_api_request_free)

/* till-api-json.c */
void            till_api_send_json           (SoupServerMessage    *msg,
                                              guint                 status,
                                              JsonBuilder          *builder);
void            till_api_send_error          (SoupServerMessage    *msg,
                                              guint                 status,
                                              const char           *code,
                                              const char           *message);
void            till_api_send_error_param    (SoupServerMessage    *msg,
                                              guint                 status,
                                              const char           *code,
                                              const char           *param,
                                              const char           *message);
void            till_api_send_problem        (SoupServerMessage    *msg,
                                              const TillApiProblem *problem);
void            till_api_send_in_progress    (SoupServerMessage    *msg,
                                              const char           *code,
                                              const char           *message);
void            till_api_send_outcome        (SoupServerMessage    *msg,
                                              guint                 status,
                                              JsonBuilder          *builder,
                                              gboolean              fresh);
void            till_api_send_list           (SoupServerMessage    *msg,
                                              JsonBuilder          *builder,
                                              gboolean              has_more);
void            till_api_set_retry_after     (SoupServerMessage    *msg,
                                              guint                 seconds);
void            till_api_add_error           (JsonBuilder          *builder,
                                              const char           *code,
                                              const char           *message,
                                              const char           *param);
void            till_api_add_string          (JsonBuilder          *builder,
                                              const char           *name,
                                              const char           *value);
void            till_api_add_int             (JsonBuilder          *builder,
                                              const char           *name,
                                              gint64                value);
void            till_api_add_time            (JsonBuilder          *builder,
                                              const char           *name,
                                              gint64                unix_time);
void            till_api_add_user            (JsonBuilder          *builder,
                                              TillUser             *user);
void            till_api_add_user_as         (JsonBuilder          *builder,
                                              const char           *name,
                                              TillUser             *user);
void            till_api_add_payment         (JsonBuilder          *builder,
                                              TillPayment          *p,
                                              gboolean              with_secret);
void            till_api_add_payment_members (JsonBuilder          *builder,
                                              TillPayment          *p,
                                              gboolean              with_secret);
void            till_api_add_refund          (JsonBuilder          *builder,
                                              TillRefund           *r,
                                              const char           *currency);
void            till_api_add_staff           (JsonBuilder          *builder,
                                              TillUser             *user);

/* till-api-auth.c */
void            till_api_check_password      (TillApiRequest       *req,
                                              const char           *username,
                                              const char           *password,
                                              TillApiPasswordChecked done);
char           *till_api_take_hash_slot      (TillApiRequest       *req);
void            till_api_release_hash_slot   (TillApi              *self,
                                              const char           *key);

/* till-api-staff.c: details is an open object, or NULL for none */
gboolean        till_api_audit               (TillApiRequest       *req,
                                              const char           *actor,
                                              const char           *action,
                                              const char           *subject,
                                              JsonBuilder          *details);
gboolean        till_api_audit_add_name_tried (JsonBuilder         *details,
                                              TillApi              *self,
                                              const char           *member,
                                              const char           *name);

/* till-api-checks.c: a check given the request answers it when it fails,
 * so that the handler only has to return. */
gboolean        till_api_authenticate        (TillApiRequest       *req,
                                              TillApiAccess         access);
gboolean        till_api_session_holds       (TillApiRequest       *req);
gboolean        till_api_is_manager          (TillUser             *user);
gboolean        till_api_may_see             (TillApiRequest       *req,
                                              TillPayment          *p);
JsonObject     *till_api_parse_body          (TillApiRequest       *req,
                                              gboolean              allow_empty);
const char     *till_api_get_idempotency_key (TillApiRequest       *req);
TillPayment    *till_api_lookup_payment      (TillApiRequest       *req);
gboolean        till_api_check_stripe_amount (TillApiRequest       *req,
                                              gint64                amount,
                                              const char           *currency);

G_END_DECLS
