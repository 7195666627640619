/* till-api.c: till-server's HTTP API
 *
 * The contract is written down in docs/api.md. Every error is
 * {"error": {"code", "message"}} with a stable code; every request is
 * logged as one line without any secret in it.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>
#include <libsoup/soup.h>
#include <json-glib/json-glib.h>

#include "till-api.h"
#include "till-json-util.h"
#include "till-webhooks.h"
#include "till-api-input.h"
#include "till-crypto.h"
#include "till-money.h"
#include "till-rate-limiter.h"
#include "till-server-error.h"
#include "till-server-listener.h"
#include "till-server-log.h"

#define MAX_LIST_LIMIT       100
#define DEFAULT_LIST_LIMIT   25
/* Past the body limit, libsoup still reads a request to its end; up to
 * this much more is read and answered with a plain 413, beyond it the
 * connection is cut. */
#define BODY_SLACK           (1024 * 1024)

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

G_DEFINE_FINAL_TYPE (TillApi, till_api, G_TYPE_OBJECT)

typedef enum
{
  ACCESS_PUBLIC,
  ACCESS_STAFF,
  ACCESS_MANAGER,
} Access;

typedef struct
{
  char   *id;
  gint64  started;
} RequestInfo;

typedef struct
{
  TillApi           *self;
  SoupServerMessage *msg;
  char             **segments;   /* the path split at '/', without the leading "" */
  GHashTable        *query;
  TillUser          *user;
  char              *token_hash;
  gint64             session_expires;
} Request;

typedef void (*Handler) (Request *req);

typedef struct
{
  const char *method;
  const char *pattern;           /* '*' matches one segment */
  Access      access;
  Handler     handler;
} Route;

static void
request_free (Request *req)
{
  g_clear_object (&req->self);
  g_clear_object (&req->msg);
  g_clear_pointer (&req->segments, g_strfreev);
  g_clear_pointer (&req->query, g_hash_table_unref);
  g_clear_pointer (&req->user, till_user_free);
  g_clear_pointer (&req->token_hash, g_free);
  g_free (req);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

static void
request_info_free (RequestInfo *info)
{
  g_free (info->id);
  g_free (info);
}

/* Responses */

static void
send_json (SoupServerMessage *msg,
           guint              status,
           JsonNode          *root)
{
  char *data = till_json_write (root);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json; charset=utf-8",
                                    SOUP_MEMORY_TAKE, data, strlen (data));
}

static void
send_builder (SoupServerMessage *msg,
              guint              status,
              JsonBuilder       *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  send_json (msg, status, root);
}

static void
add_error_object (JsonBuilder *builder,
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

static void
send_error_param (SoupServerMessage *msg,
                  guint              status,
                  const char        *code,
                  const char        *param,
                  const char        *message)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_error_object (builder, code, message, param);
  json_builder_end_object (builder);
  send_builder (msg, status, builder);
}

static void
send_error (SoupServerMessage *msg,
            guint              status,
            const char        *code,
            const char        *message)
{
  send_error_param (msg, status, code, NULL, message);
}

static void
set_retry_after (SoupServerMessage *msg,
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

static void
add_string_member (JsonBuilder *builder,
                   const char  *name,
                   const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_int_member (JsonBuilder *builder,
                const char  *name,
                gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}

static void
add_time_member (JsonBuilder *builder,
                 const char  *name,
                 gint64       unix_time)
{
  g_autofree char *text = format_time (unix_time);

  add_string_member (builder, name, text);
}

static void
add_user (JsonBuilder *builder,
          TillUser    *user)
{
  json_builder_set_member_name (builder, "user");
  json_builder_begin_object (builder);
  add_int_member (builder, "id", user->id);
  add_string_member (builder, "name", user->name);
  add_string_member (builder, "role", user->role);
  json_builder_end_object (builder);
}

/* The client secret lets a page finish the customer's 3-D Secure: only
 * the terminal that took the payment is given it. */
static void
add_payment (JsonBuilder *builder,
             TillPayment *p,
             gboolean     with_secret)
{
  json_builder_begin_object (builder);
  add_string_member (builder, "id", p->id);
  add_string_member (builder, "status", p->status);
  add_int_member (builder, "amount", p->amount);
  add_string_member (builder, "currency", p->currency);
  add_string_member (builder, "description", p->description);
  json_builder_set_member_name (builder, "card");
  if (p->card_last4 != NULL)
    {
      json_builder_begin_object (builder);
      add_string_member (builder, "brand", p->card_brand);
      add_string_member (builder, "last4", p->card_last4);
      json_builder_end_object (builder);
    }
  else
    json_builder_add_null_value (builder);
  add_int_member (builder, "amount_refunded", p->amount_refunded);
  if (p->dispute_status != NULL)
    {
      /* Only when there is one: older terminals never see the member. */
      json_builder_set_member_name (builder, "dispute");
      json_builder_begin_object (builder);
      add_string_member (builder, "status", p->dispute_status);
      json_builder_end_object (builder);
    }
  add_string_member (builder, "idempotency_key", p->idempotency_key);
  add_string_member (builder, "cashier", p->user_name);
  add_string_member (builder, "mode", p->mode);
  add_string_member (builder, "decline_code", p->decline_code);
  if (with_secret && g_str_equal (p->status, TILL_STATUS_REQUIRES_ACTION))
    add_string_member (builder, "client_secret", p->client_secret);
  if (p->error_code != NULL)
    {
      json_builder_set_member_name (builder, "last_error");
      json_builder_begin_object (builder);
      add_string_member (builder, "code", p->error_code);
      add_string_member (builder, "message", p->error_message);
      json_builder_end_object (builder);
    }
  add_time_member (builder, "created", p->created);
  add_time_member (builder, "updated", p->updated);
  json_builder_end_object (builder);
}

static void
add_refund (JsonBuilder *builder,
            TillRefund  *r,
            const char  *currency)
{
  json_builder_begin_object (builder);
  add_string_member (builder, "id", r->id);
  add_string_member (builder, "payment_id", r->payment_id);
  add_string_member (builder, "status", r->status);
  add_int_member (builder, "amount", r->amount);
  add_string_member (builder, "currency", currency);
  add_string_member (builder, "reason", r->reason);
  add_string_member (builder, "error_code", r->error_code);
  add_time_member (builder, "created", r->created);
  json_builder_end_object (builder);
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
      add_string_member (builder, "code", "card_declined");
      add_string_member (builder, "decline_code", p->decline_code);
      add_string_member (builder, "message",
                         p->error_message ? p->error_message : "The card was declined.");
      json_builder_end_object (builder);
    }
  else if (g_str_equal (p->status, TILL_STATUS_FAILED))
    {
      gboolean ours = g_strcmp0 (p->error_code, "stripe_auth_failed") == 0;

      status = ours ? 502 : 422;
      add_error_object (builder, ours ? "stripe_auth_failed" : "payment_failed",
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
          set_retry_after (msg, 2);
        }
      else if (g_str_equal (code, "stripe_unreachable"))
        status = 504;
      else
        status = 502;
      add_error_object (builder, code,
                        "The outcome of this payment is not known yet. Retry with the same "
                        "Idempotency-Key or look it up; it will never be charged twice.",
                        NULL);
    }

  json_builder_set_member_name (builder, "payment");
  add_payment (builder, p, TRUE);
  json_builder_end_object (builder);

  if (!fresh)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Idempotent-Replayed", "true");
  send_builder (msg, status, builder);
}

/* Input checks: the syntax lives in till-api-input.c */

static void
send_problem (SoupServerMessage    *msg,
              const TillApiProblem *problem)
{
  send_error_param (msg, problem->status, problem->code, problem->param, problem->message);
}

static JsonObject *
parse_body (Request *req,
            gboolean allow_empty)
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
    send_problem (req->msg, &problem);
  return object;
}

static const char *
get_idempotency_key (Request *req)
{
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                  "Idempotency-Key");
  TillApiProblem problem;

  if (!till_api_input_idempotency_key (key, &problem))
    {
      send_problem (req->msg, &problem);
      return NULL;
    }
  return key;
}

static gboolean
is_manager (TillUser *user)
{
  return g_strcmp0 (user->role, "manager") == 0;
}

/* Hands the request to an async callback, which then owns it. */
static Request *
steal_request (Request *req)
{
  Request *copy = g_memdup2 (req, sizeof *req);

  memset (req, 0, sizeof *req);
  return copy;
}

/* Handlers: sessions */

/* Sign-in. Argon2id takes tens of milliseconds and 64 MiB, so checks run
 * off the main loop, and at most config->login_checks of them at once
 * (config->login_checks_per_address from one address): memory stays
 * bounded however many attempts arrive together, and what is over the cap
 * is answered 429 at once. An attempt is counted before its check starts
 * (till-rate-limiter.c). */

typedef struct
{
  char   *password_hash;   /* NULL for an unknown user */
  char   *password;
  char   *username;
  char   *address_key;
  char   *user_key;
  gint64  attempt_usec;
} VerifyData;

static void
verify_data_free (VerifyData *data)
{
  g_free (data->password_hash);
  if (data->password != NULL)
    explicit_bzero (data->password, strlen (data->password));
  g_free (data->password);
  g_free (data->username);
  g_free (data->address_key);
  g_free (data->user_key);
  g_free (data);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (VerifyData, verify_data_free)

static void
verify_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  VerifyData *data = task_data;

  if (data->password_hash == NULL)
    {
      till_crypto_burn_time (data->password);
      g_task_return_boolean (task, FALSE);
    }
  else
    g_task_return_boolean (task, till_crypto_verify_password (data->password_hash, data->password));
}

/* One key per address; an IPv6 client is counted by its /64, which is what
 * one household or shop is given, so that it cannot take a new address
 * for each attempt. */
static char *
address_key (Request *req)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (req->msg);
  GInetAddress *inet = G_IS_INET_SOCKET_ADDRESS (remote)
                       ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)) : NULL;
  const guint8 *bytes;

  if (inet == NULL)
    return g_strdup ("a:?");
  bytes = g_inet_address_to_bytes (inet);
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6 &&
      !g_inet_address_get_is_loopback (inet))
    {
      static const guint8 v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

      if (memcmp (bytes, v4_mapped, sizeof v4_mapped) == 0)
        return g_strdup_printf ("a:%u.%u.%u.%u", bytes[12], bytes[13], bytes[14], bytes[15]);
      return g_strdup_printf ("a:%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                              bytes[0], bytes[1], bytes[2], bytes[3],
                              bytes[4], bytes[5], bytes[6], bytes[7]);
    }
  return g_strconcat ("a:", soup_server_message_get_remote_host (req->msg), NULL);
}

static char *
user_key (const char *username)
{
  g_autofree char *folded = g_utf8_casefold (username, -1);

  return g_strconcat ("u:", folded, NULL);
}

static gboolean
take_check_slot (TillApi    *self,
                 const char *akey)
{
  guint from_address = GPOINTER_TO_UINT (g_hash_table_lookup (self->checks_by_address, akey));

  if (self->checks_in_flight >= self->config->login_checks ||
      from_address >= self->config->login_checks_per_address)
    return FALSE;
  self->checks_in_flight++;
  g_hash_table_insert (self->checks_by_address, g_strdup (akey), GUINT_TO_POINTER (from_address + 1));
  return TRUE;
}

static void
release_check_slot (TillApi    *self,
                    const char *akey)
{
  guint from_address = GPOINTER_TO_UINT (g_hash_table_lookup (self->checks_by_address, akey));

  g_assert (self->checks_in_flight > 0 && from_address > 0);
  self->checks_in_flight--;
  if (from_address > 1)
    g_hash_table_insert (self->checks_by_address, g_strdup (akey), GUINT_TO_POINTER (from_address - 1));
  else
    g_hash_table_remove (self->checks_by_address, akey);
}

static void
send_rate_limited (Request    *req,
                   guint       wait,
                   const char *message)
{
  set_retry_after (req->msg, wait);
  send_error (req->msg, 429, "rate_limited", message);
}

static void
warn_if_saturated (TillApi *self)
{
  if (till_rate_limiter_take_saturated (self->user_limiter) ||
      till_rate_limiter_take_saturated (self->address_limiter))
    g_warning ("Sign-in limiter full (%u names in the last %u s): refusing sign-ins of names and "
               "addresses it does not know yet until room frees up",
               self->config->login_tracked_names, self->config->login_window);
}

/* The attempt is counted for the address, then for the name; when the
 * name is refused the address's count is taken back, as nothing was
 * checked. */
static guint
count_attempt (TillApi    *self,
               VerifyData *data)
{
  guint wait = till_rate_limiter_try (self->address_limiter, data->address_key, data->attempt_usec);

  if (wait == 0)
    {
      wait = till_rate_limiter_try (self->user_limiter, data->user_key, data->attempt_usec);
      if (wait > 0)
        till_rate_limiter_forgive (self->address_limiter, data->address_key, data->attempt_usec);
    }
  warn_if_saturated (self);
  return wait;
}

static void
verify_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Request) req = user_data;
  TillApi *self = req->self;
  VerifyData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(TillUser) user = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  gint64 now = g_get_real_time ();
  gint64 expires;

  soup_server_message_unpause (req->msg);
  release_check_slot (self, data->address_key);

  if (!g_task_propagate_boolean (G_TASK (result), NULL) ||
      (user = till_db_get_user_by_name (self->db, data->username)) == NULL)
    {
      send_error (req->msg, 401, "invalid_credentials", "Wrong username or password");
      return;
    }
  /* The right password: this attempt is not a failure for either count.
   * Only this one is taken back: the name's count is shared by every
   * spelling that folds to it ("Alice", "ALICE"), so clearing it would let
   * whoever owns one of them wipe the failures others ran up on another. */
  till_rate_limiter_forgive (self->user_limiter, data->user_key, data->attempt_usec);
  till_rate_limiter_forgive (self->address_limiter, data->address_key, data->attempt_usec);
  if (user->disabled)
    {
      send_error (req->msg, 403, "account_disabled", "This account has been disabled by a manager");
      return;
    }

  token = till_crypto_new_token ();
  token_hash = till_crypto_sha256_hex (token, -1);
  expires = now / G_USEC_PER_SEC + self->config->session_lifetime;
  if (!till_db_add_session (self->db, token_hash, user->id, expires, &error))
    {
      g_warning ("%s", error->message);
      send_error (req->msg, 500, "internal_error", "The session could not be stored");
      return;
    }

  json_builder_begin_object (builder);
  add_string_member (builder, "token", token);
  add_time_member (builder, "expires_at", expires);
  add_user (builder, user);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
  explicit_bzero (token, strlen (token));
}

static void
handle_login (Request *req)
{
  TillApi *self = req->self;
  g_autoptr(JsonObject) body = parse_body (req, FALSE);
  g_autoptr(TillUser) user = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(VerifyData) data = NULL;
  TillLoginInput input;
  TillApiProblem problem;
  guint wait;

  if (body == NULL)
    return;
  if (!till_api_input_login (body, &input, &problem))
    {
      send_problem (req->msg, &problem);
      return;
    }

  data = g_new0 (VerifyData, 1);
  data->username = g_strdup (input.username);
  data->address_key = address_key (req);
  data->user_key = user_key (input.username);
  data->attempt_usec = g_get_real_time ();

  if (!take_check_slot (self, data->address_key))
    {
      send_rate_limited (req, 1, "The server is checking other sign-ins. Try again in a second.");
      return;
    }
  if ((wait = count_attempt (self, data)) > 0)
    {
      g_autofree char *message =
        g_strdup_printf ("Too many sign-in attempts. Try again in %u seconds.", wait);

      release_check_slot (self, data->address_key);
      send_rate_limited (req, wait, message);
      return;
    }

  user = till_db_get_user_by_name (self->db, input.username);
  data->password_hash = user ? g_strdup (user->password_hash) : NULL;
  data->password = g_strdup (input.password);

  soup_server_message_pause (req->msg);
  task = g_task_new (NULL, NULL, verify_done_cb, steal_request (req));
  g_task_set_task_data (task, g_steal_pointer (&data), (GDestroyNotify) verify_data_free);
  g_task_run_in_thread (task, verify_thread);
}

static void
handle_check_auth (Request *req)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_user (builder, req->user);
  add_time_member (builder, "expires_at", req->session_expires);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
}

static void
handle_logout (Request *req)
{
  till_db_delete_session (req->self->db, req->token_hash);
  soup_server_message_set_status (req->msg, 204, NULL);
}

static void
handle_config (Request *req)
{
  TillServerConfig *config = req->self->config;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  add_string_member (builder, "shop_name", config->shop_name);
  add_string_member (builder, "currency", config->currency);
  add_int_member (builder, "currency_exponent", till_currency_get_exponent (config->currency));
  add_string_member (builder, "country", config->country);
  add_string_member (builder, "publishable_key", config->stripe_publishable_key);
  add_string_member (builder, "stripe_js_url", config->stripe_js_url);
  add_string_member (builder, "mode", till_stripe_mode_to_string (config->stripe_mode));
  json_builder_set_member_name (builder, "moto");
  json_builder_add_boolean_value (builder, config->stripe_moto);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
}

/* Handlers: payments */

static void
payment_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(GError) error = NULL;
  gboolean fresh = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (req->msg), "till-fresh"));

  soup_server_message_unpause (req->msg);

  if (g_async_result_is_tagged (result, till_payments_confirm_async))
    p = till_payments_confirm_finish (TILL_PAYMENTS (object), result, &error);
  else
    p = till_payments_submit_finish (TILL_PAYMENTS (object), result, &error);

  if (p == NULL)
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        {
          set_retry_after (req->msg, 1);
          send_error (req->msg, 409, "payment_in_progress",
                      "This payment is being processed; ask again in a moment");
        }
      else
        send_error (req->msg, 500, "internal_error", "The payment could not be recorded");
      return;
    }

  respond_payment (req->msg, p, fresh);
}

static void
drive_payment (Request     *req,
               TillPayment *p,
               gboolean     fresh)
{
  g_object_set_data (G_OBJECT (req->msg), "till-fresh", GINT_TO_POINTER (fresh));
  TillPayments *payments = req->self->payments;

  soup_server_message_pause (req->msg);
  /* steal_request() empties req: nothing may read it after. Past the
   * PaymentIntent's creation (a confirm whose answer was lost, or one
   * Stripe is still processing), its state is read back from it: sending
   * the creation again would only replay its first answer. */
  if (p->stripe_id != NULL && g_str_has_prefix (p->stripe_id, "pi_"))
    till_payments_confirm_async (payments, p, payment_done_cb, steal_request (req));
  else
    till_payments_submit_async (payments, p, payment_done_cb, steal_request (req));
}

static gboolean
check_source (Request    *req,
              const char *source)
{
  gboolean charges = req->self->config->stripe_mode == TILL_STRIPE_MODE_CHARGES;
  const char *prefix = charges ? "tok_" : "pm_";

  if (!g_str_has_prefix (source, prefix) || strlen (source) <= strlen (prefix) ||
      !till_api_input_matches_charset (source, "_"))
    {
      send_error_param (req->msg, 400, "invalid_token", "token",
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

/* Refuses, with 400 and before anything is stored or sent, an amount that
 * Stripe would not take in currency: past its eight digits in Stripe's own
 * minor unit (999999 ISK is the most), a three-decimal amount whose last
 * digit is not 0, or a currency Stripe does not take (till-money.c). */
static gboolean
check_stripe_amount (Request    *req,
                     gint64      amount,
                     const char *currency)
{
  g_autoptr(GError) error = NULL;

  if (till_money_to_stripe (amount, currency, NULL, &error))
    return TRUE;

  if (g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_ACCEPTED))
    send_error_param (req->msg, 400, "amount_not_accepted", "amount", error->message);
  else if (g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_NOT_AT_STRIPE) ||
           g_error_matches (error, TILL_MONEY_ERROR, TILL_MONEY_ERROR_UNKNOWN_CURRENCY))
    send_error_param (req->msg, 400, "currency_not_supported", "currency", error->message);
  else
    send_error_param (req->msg, 400, "invalid_amount", "amount", error->message);
  return FALSE;
}

static void
handle_create_payment (Request *req)
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

  if ((key = get_idempotency_key (req)) == NULL ||
      (body = parse_body (req, FALSE)) == NULL)
    return;
  if (!till_api_input_payment (body, &input, &problem))
    {
      send_problem (req->msg, &problem);
      return;
    }
  amount = input.amount;
  currency_in = input.currency;
  description = input.description;
  source = input.token;

  if (amount <= 0)
    {
      send_error_param (req->msg, 400, "invalid_amount", "amount", "The amount must be positive");
      return;
    }
  if (!check_stripe_amount (req, amount, self->config->currency))
    return;
  currency = g_ascii_strup (currency_in, -1);
  if (!g_str_equal (currency, self->config->currency))
    {
      send_error_param (req->msg, 400, "currency_mismatch", "currency",
                        "The currency is not the shop's currency");
      return;
    }
  request_hash = hash_payment_request (amount, currency, description, source);
  existing = till_db_get_payment_by_key (self->db, key);
  if (existing != NULL)
    {
      if (!g_str_equal (existing->request_hash, request_hash))
        send_error (req->msg, 409, "idempotency_key_reused",
                    "This Idempotency-Key was used for a different payment");
      else if (till_payments_is_busy (self->payments, existing->id))
        {
          set_retry_after (req->msg, 1);
          send_error (req->msg, 409, "payment_in_progress",
                      "This payment is being processed; ask again in a moment");
        }
      else if (g_str_equal (existing->status, TILL_STATUS_PENDING))
        drive_payment (req, existing, FALSE);
      else
        respond_payment (req->msg, existing, FALSE);
      return;
    }

  /* Checked for new payments only: a retry of a payment made before the
   * shop changed its Stripe mode must still find its stored result. */
  if (!check_source (req, source))
    return;

  p = g_new0 (TillPayment, 1);
  p->id = till_crypto_new_id ("pay");
  p->idempotency_key = g_strdup (key);
  p->request_hash = g_steal_pointer (&request_hash);
  p->user_id = req->user->id;
  p->amount = amount;
  p->currency = g_strdup (currency);
  p->description = g_strdup (description);
  p->source = g_strdup (source);
  p->mode = g_strdup (till_stripe_mode_to_string (self->config->stripe_mode));
  p->moto = self->config->stripe_moto;
  p->status = g_strdup (TILL_STATUS_PENDING);

  /* Written before Stripe hears of it: a crash from here on leaves a
   * pending row that start-up recovery resolves with the same key. */
  if (!till_db_insert_payment (self->db, p, &error))
    {
      g_warning ("%s", error->message);
      send_error (req->msg, 500, "internal_error", "The payment could not be recorded");
      return;
    }

  drive_payment (req, p, TRUE);
}

static gboolean
may_see (Request     *req,
         TillPayment *p)
{
  return is_manager (req->user) || p->user_id == req->user->id;
}

static TillPayment *
lookup_payment (Request *req)
{
  TillPayment *p = till_db_get_payment (req->self->db, req->segments[2]);

  if (p == NULL || !may_see (req, p))
    {
      g_clear_pointer (&p, till_payment_free);
      send_error (req->msg, 404, "payment_not_found", "There is no such payment");
    }
  return p;
}

static void
send_payment_list (Request   *req,
                   GPtrArray *payments,
                   gboolean   has_more)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < payments->len; i++)
    {
      TillPayment *p = g_ptr_array_index (payments, i);

      add_payment (builder, p, p->user_id == req->user->id);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "has_more");
  json_builder_add_boolean_value (builder, has_more);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
}

static void
handle_list_payments (Request *req)
{
  const char *key = req->query ? g_hash_table_lookup (req->query, "idempotency_key") : NULL;
  const char *limit_str = req->query ? g_hash_table_lookup (req->query, "limit") : NULL;
  const char *after = req->query ? g_hash_table_lookup (req->query, "starting_after") : NULL;
  g_autoptr(GPtrArray) payments = NULL;
  guint64 limit = DEFAULT_LIST_LIMIT;
  gint64 before_rowid = 0;
  gboolean has_more;

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
      (!g_ascii_string_to_unsigned (limit_str, 10, 1, MAX_LIST_LIMIT, &limit, NULL)))
    {
      send_error_param (req->msg, 400, "invalid_parameter", "limit", "limit must be 1 to 100");
      return;
    }
  if (after != NULL)
    {
      g_autoptr(TillPayment) cursor = till_db_get_payment (req->self->db, after);

      /* Another cashier's payment is no cursor of theirs: as for GET, it
       * does not exist for them. */
      if (cursor == NULL || !may_see (req, cursor))
        {
          send_error_param (req->msg, 400, "invalid_parameter", "starting_after",
                            "starting_after is not a payment id");
          return;
        }
      before_rowid = cursor->rowid;
    }

  payments = till_db_list_payments (req->self->db, is_manager (req->user) ? -1 : req->user->id,
                                    before_rowid, (guint) limit + 1);
  has_more = payments->len > limit;
  if (has_more)
    g_ptr_array_set_size (payments, (guint) limit);
  send_payment_list (req, payments, has_more);
}

static void
handle_get_payment (Request *req)
{
  g_autoptr(TillPayment) p = lookup_payment (req);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  if (p == NULL)
    return;
  add_payment (builder, p, p->user_id == req->user->id);
  send_builder (req->msg, 200, builder);
}

static void
handle_confirm_payment (Request *req)
{
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(JsonObject) body = NULL;
  TillApiProblem problem;
  TillPayments *payments;

  /* Only the cashier who took the payment (or a manager) may finish its
   * authentication: to anyone else it does not exist, as for GET. */
  if ((p = lookup_payment (req)) == NULL)
    return;
  if ((body = parse_body (req, TRUE)) == NULL)
    return;
  if (!till_api_input_empty (body, &problem))
    {
      send_problem (req->msg, &problem);
      return;
    }

  if (till_payments_is_busy (req->self->payments, p->id))
    {
      set_retry_after (req->msg, 1);
      send_error (req->msg, 409, "payment_in_progress",
                  "This payment is being processed; ask again in a moment");
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

  g_object_set_data (G_OBJECT (req->msg), "till-fresh", GINT_TO_POINTER (TRUE));
  payments = req->self->payments;
  soup_server_message_pause (req->msg);
  till_payments_confirm_async (payments, p, payment_done_cb, steal_request (req));
}

/* Handlers: refunds */

static void
respond_refund (SoupServerMessage *msg,
                TillDb            *db,
                TillRefund        *r,
                gboolean           fresh)
{
  g_autoptr(TillPayment) p = till_db_get_payment (db, r->payment_id);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint status;

  json_builder_begin_object (builder);
  if (g_str_equal (r->status, TILL_STATUS_SUCCEEDED))
    status = fresh ? 201 : 200;
  else if (g_str_equal (r->status, TILL_STATUS_FAILED))
    {
      status = 409;
      add_error_object (builder, "refund_failed", "Stripe refused the refund. Nothing was refunded.", NULL);
    }
  else if (g_strcmp0 (r->error_code, "refund_pending") == 0)
    {
      /* Stripe took it; the card's bank has yet to (card refunds can also
       * fail days later). Accepted, not done: not counted as refunded. */
      status = 202;
      add_error_object (builder, "refund_pending",
                        "Stripe accepted the refund and the card's bank has not confirmed it yet. "
                        "It counts as refunded once it has; do not refund again.", NULL);
    }
  else if (g_strcmp0 (r->error_code, "needs_review") == 0)
    {
      status = 502;
      add_error_object (builder, "needs_review",
                        "The outcome of this refund is not known and too old to ask Stripe again safely. "
                        "Check it in the Stripe Dashboard; do not refund again.", NULL);
    }
  else
    {
      if (g_strcmp0 (r->error_code, "stripe_rate_limited") == 0)
        {
          status = 503;
          set_retry_after (msg, 2);
        }
      else
        status = g_strcmp0 (r->error_code, "stripe_unreachable") == 0 ? 504 : 502;
      add_error_object (builder, r->error_code ? r->error_code : "refund_unknown",
                        "The outcome of this refund is not known yet. Retry with the same "
                        "Idempotency-Key; it will never be refunded twice.", NULL);
    }
  json_builder_set_member_name (builder, "refund");
  add_refund (builder, r, p->currency);
  json_builder_set_member_name (builder, "payment");
  add_payment (builder, p, FALSE);
  json_builder_end_object (builder);

  if (!fresh)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "Idempotent-Replayed", "true");
  send_builder (msg, status, builder);
}

static void
refund_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(TillRefund) r = NULL;
  g_autoptr(GError) error = NULL;
  gboolean fresh = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (req->msg), "till-fresh"));

  soup_server_message_unpause (req->msg);
  r = till_payments_refund_finish (TILL_PAYMENTS (object), result, &error);
  if (r == NULL)
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        {
          set_retry_after (req->msg, 1);
          send_error (req->msg, 409, "refund_in_progress",
                      "This refund is being processed; ask again in a moment");
        }
      else
        send_error (req->msg, 500, "internal_error", "The refund could not be recorded");
      return;
    }
  respond_refund (req->msg, req->self->db, r, fresh);
}

static void
drive_refund (Request     *req,
              TillPayment *p,
              TillRefund  *r,
              gboolean     fresh)
{
  g_object_set_data (G_OBJECT (req->msg), "till-fresh", GINT_TO_POINTER (fresh));
  TillPayments *payments = req->self->payments;

  soup_server_message_pause (req->msg);
  till_payments_refund_async (payments, p, r, refund_done_cb, steal_request (req));
}

static void
handle_refund (Request *req)
{
  TillApi *self = req->self;
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(TillPayment) p = NULL;
  g_autoptr(TillRefund) existing = NULL;
  TillRefundInput input;
  TillApiProblem problem;
  g_autoptr(TillRefund) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request_hash = NULL;
  g_autofree char *canonical = NULL;
  const char *key, *reason;
  gboolean present;
  gint64 amount = 0, remaining;

  if ((key = get_idempotency_key (req)) == NULL ||
      (p = lookup_payment (req)) == NULL ||
      (body = parse_body (req, TRUE)) == NULL)
    return;
  if (!till_api_input_refund (body, &input, &problem))
    {
      send_problem (req->msg, &problem);
      return;
    }
  present = input.has_amount;
  amount = present ? input.amount : 0;
  reason = input.reason;

  canonical = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%s", p->id, present ? amount : -1,
                               reason ? reason : "");
  request_hash = till_crypto_sha256_hex (canonical, -1);
  existing = till_db_get_refund_by_key (self->db, key);
  if (existing != NULL)
    {
      if (!g_str_equal (existing->request_hash, request_hash))
        send_error (req->msg, 409, "idempotency_key_reused",
                    "This Idempotency-Key was used for a different refund");
      else if (till_payments_is_busy (self->payments, existing->id))
        {
          set_retry_after (req->msg, 1);
          send_error (req->msg, 409, "refund_in_progress",
                      "This refund is being processed; ask again in a moment");
        }
      else if (g_str_equal (existing->status, TILL_STATUS_PENDING))
        drive_refund (req, p, existing, FALSE);
      else
        respond_refund (req->msg, self->db, existing, FALSE);
      return;
    }

  if (!g_str_equal (p->status, TILL_STATUS_SUCCEEDED))
    {
      send_error (req->msg, 409, "payment_not_refundable", "Only a successful payment can be refunded");
      return;
    }
  remaining = p->amount - till_db_get_refunds_reserved (self->db, p->id);
  if (remaining <= 0)
    {
      send_error (req->msg, 409, "payment_not_refundable", "This payment is already fully refunded");
      return;
    }
  if (!present)
    amount = remaining;
  if (amount <= 0 || amount > remaining)
    {
      send_error_param (req->msg, 400, "invalid_amount", "amount",
                        "The refund must be positive and at most what is left of the payment");
      return;
    }
  if (!check_stripe_amount (req, amount, p->currency))
    return;

  r = g_new0 (TillRefund, 1);
  r->id = till_crypto_new_id ("ref");
  r->payment_id = g_strdup (p->id);
  r->idempotency_key = g_strdup (key);
  r->request_hash = g_steal_pointer (&request_hash);
  r->user_id = req->user->id;
  r->amount = amount;
  r->reason = g_strdup (reason);
  r->status = g_strdup (TILL_STATUS_PENDING);
  if (!till_db_insert_refund (self->db, r, &error))
    {
      g_warning ("%s", error->message);
      send_error (req->msg, 500, "internal_error", "The refund could not be recorded");
      return;
    }

  drive_refund (req, p, r, TRUE);
}

/* Handlers: reports */

static void
add_totals_object (JsonBuilder *builder,
                   const char  *name,
                   gint64       count,
                   gint64       amount)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  add_int_member (builder, "count", count);
  add_int_member (builder, "amount", amount);
  json_builder_end_object (builder);
}

static GDateTime *
parse_day (const char *text)
{
  guint64 y, m, d;
  g_auto(GStrv) parts = NULL;

  if (text == NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();

      return g_date_time_new_local (g_date_time_get_year (now), g_date_time_get_month (now),
                                    g_date_time_get_day_of_month (now), 0, 0, 0);
    }

  parts = g_strsplit (text, "-", 4);
  if (g_strv_length (parts) != 3 || strlen (text) != 10 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 1970, 9999, &y, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 1, 12, &m, NULL) ||
      !g_ascii_string_to_unsigned (parts[2], 10, 1, 31, &d, NULL) ||
      !g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
    return NULL;

  return g_date_time_new_local ((int) y, (int) m, (int) d, 0, 0, 0);
}

static void
handle_day_report (Request *req)
{
  const char *date = req->query ? g_hash_table_lookup (req->query, "date") : NULL;
  g_autoptr(GDateTime) start = parse_day (date);
  g_autoptr(GDateTime) end = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *day = NULL;
  TillDayTotals totals;

  if (start == NULL)
    {
      send_error_param (req->msg, 400, "invalid_parameter", "date", "date must be YYYY-MM-DD");
      return;
    }

  /* A local day, so that the shop's day matches its opening hours. */
  end = g_date_time_add_days (start, 1);
  till_db_get_day_totals (req->self->db, req->self->config->currency,
                          g_date_time_to_unix (start), g_date_time_to_unix (end), &totals);
  day = g_date_time_format (start, "%Y-%m-%d");

  json_builder_begin_object (builder);
  add_string_member (builder, "date", day);
  add_string_member (builder, "currency", req->self->config->currency);
  add_totals_object (builder, "payments", totals.payments_count, totals.payments_amount);
  add_totals_object (builder, "refunds", totals.refunds_count, totals.refunds_amount);
  add_int_member (builder, "net", totals.payments_amount - totals.refunds_amount);
  add_totals_object (builder, "disputes", totals.disputes_count, totals.disputes_amount);
  add_int_member (builder, "declined_count", totals.declined_count);
  add_int_member (builder, "unresolved_count", totals.pending_count);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
}

/* Health: for a monitor that asks every few seconds, unauthenticated, so
 * it says only what a monitor needs. The database is written to (an
 * fsync) at most once a second however often it is asked. */
static void
handle_health (Request *req)
{
  TillApi *self = req->self;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint64 now = g_get_monotonic_time ();
  gint64 last_answer = till_stripe_client_get_last_answer (till_payments_get_stripe_client (self->payments));

  if (self->health_checked == 0 || now - self->health_checked >= G_USEC_PER_SEC)
    {
      g_autoptr(GError) error = NULL;
      gboolean writable = till_db_check_writable (self->db, &error);

      if (!writable && self->health_writable)
        g_warning ("Health: %s", error->message);
      self->health_writable = writable;
      self->health_checked = now;
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "no-store");
  json_builder_begin_object (builder);
  add_string_member (builder, "status", self->health_writable ? "ok" : "degraded");
  add_string_member (builder, "database", self->health_writable ? "writable" : "not_writable");
  json_builder_set_member_name (builder, "stripe_last_answer_seconds");
  if (last_answer > 0)
    json_builder_add_int_value (builder, MAX (0, (g_get_real_time () - last_answer) / G_USEC_PER_SEC));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  send_builder (req->msg, self->health_writable ? 200 : 503, builder);
}

/* Stripe's webhooks */

static void
webhook_done_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Request) req = user_data;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  const char *outcome = till_webhooks_handle_finish (TILL_WEBHOOKS (object), result, &error);

  soup_server_message_unpause (req->msg);
  if (outcome == NULL)
    {
      /* Stripe sends the event again later, and it is handled then. */
      g_warning ("A Stripe event was not handled: %s", error->message);
      send_error (req->msg, 500, "not_handled", "The event was not handled; send it again");
      return;
    }
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "received");
  json_builder_add_boolean_value (builder, TRUE);
  add_string_member (builder, "outcome", outcome);
  json_builder_end_object (builder);
  send_builder (req->msg, 200, builder);
}

static void
handle_stripe_webhook (Request *req)
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
      send_error (req->msg, 503, "webhooks_not_configured",
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
      send_error (req->msg, 400, "signature_expired", "The signature's timestamp is outside the tolerance");
      return;
    case TILL_WEBHOOK_SIGNATURE_MISMATCH:
      g_warning ("A Stripe webhook event's signature matches no secret of this server");
      send_error (req->msg, 400, "signature_invalid", "The Stripe-Signature does not verify");
      return;
    case TILL_WEBHOOK_SIGNATURE_MALFORMED:
    default:
      send_error (req->msg, 400, "signature_invalid", "No usable Stripe-Signature header");
      return;
    }

  event = parse_body (req, FALSE);
  if (event == NULL)
    return;
  webhooks = req->self->webhooks;
  soup_server_message_pause (req->msg);
  till_webhooks_handle_async (webhooks, event, webhook_done_cb, steal_request (req));
}

/* Routing */

static const Route routes[] = {
  { "POST", "api/login", ACCESS_PUBLIC, handle_login },
  { "GET", "api/health", ACCESS_PUBLIC, handle_health },
  { "POST", "api/stripe/webhook", ACCESS_PUBLIC, handle_stripe_webhook },
  { "GET", "api/check-auth", ACCESS_STAFF, handle_check_auth },
  { "POST", "api/logout", ACCESS_STAFF, handle_logout },
  { "GET", "api/config", ACCESS_STAFF, handle_config },
  { "GET", "api/payments", ACCESS_STAFF, handle_list_payments },
  { "POST", "api/payments", ACCESS_STAFF, handle_create_payment },
  { "GET", "api/payments/*", ACCESS_STAFF, handle_get_payment },
  { "POST", "api/payments/*/confirm", ACCESS_STAFF, handle_confirm_payment },
  { "POST", "api/payments/*/refunds", ACCESS_MANAGER, handle_refund },
  { "GET", "api/reports/day", ACCESS_MANAGER, handle_day_report },
};

static gboolean
pattern_matches (const char  *pattern,
                 char       **segments)
{
  g_auto(GStrv) parts = g_strsplit (pattern, "/", -1);
  guint n = g_strv_length (parts);

  if (g_strv_length (segments) != n)
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      if (g_str_equal (parts[i], "*"))
        {
          /* Ids are short and plain; anything else is no route of ours. */
          if (*segments[i] == '\0' || strlen (segments[i]) > 64 || !till_api_input_matches_charset (segments[i], "_-"))
            return FALSE;
        }
      else if (!g_str_equal (parts[i], segments[i]))
        return FALSE;
    }
  return TRUE;
}

static gboolean
authenticate (Request *req,
              Access   access)
{
  const char *header = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                     "Authorization");
  gint64 expires = 0;

  if (access == ACCESS_PUBLIC)
    return TRUE;

  if (header == NULL || !g_str_has_prefix (header, "Bearer ") || strlen (header) > 512)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer");
      send_error (req->msg, 401, "unauthorized", "Sign in first");
      return FALSE;
    }

  req->token_hash = till_crypto_sha256_hex (header + strlen ("Bearer "), -1);
  req->user = till_db_lookup_session (req->self->db, req->token_hash, &expires);
  if (req->user == NULL || req->user->disabled)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      send_error (req->msg, 401, "unauthorized", "The session is not valid; sign in again");
      return FALSE;
    }
  if (expires <= g_get_real_time () / G_USEC_PER_SEC)
    {
      till_db_delete_session (req->self->db, req->token_hash);
      soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                    "WWW-Authenticate", "Bearer error=\"invalid_token\"");
      send_error (req->msg, 401, "session_expired", "The session has expired; sign in again");
      return FALSE;
    }
  req->session_expires = expires;
  if (access == ACCESS_MANAGER && !is_manager (req->user))
    {
      send_error (req->msg, 403, "forbidden", "Only a manager may do this");
      return FALSE;
    }
  return TRUE;
}

static void
server_handler_cb (SoupServer        *server,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  TillApi *self = user_data;
  g_autoptr(Request) req = g_new0 (Request, 1);
  const char *method = soup_server_message_get_method (msg);
  g_autoptr(GString) allow = g_string_new (NULL);
  const Route *route = NULL;

  req->self = g_object_ref (self);
  req->msg = g_object_ref (msg);
  req->segments = g_strsplit (path[0] == '/' ? path + 1 : path, "/", 8);
  req->query = query ? g_hash_table_ref (query) : NULL;

  /* A body that got past the early check (no Content-Length) is caught
   * here, before any handler sees it. */
  if (soup_server_message_get_request_body (msg)->length > (goffset) self->config->max_body_size)
    {
      send_error (msg, 413, "body_too_large", "The request body is too large");
      return;
    }

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!pattern_matches (routes[i].pattern, req->segments))
        continue;
      if (g_str_equal (routes[i].method, method))
        route = &routes[i];
      g_string_append_printf (allow, "%s%s", allow->len ? ", " : "", routes[i].method);
    }

  if (route == NULL && allow->len > 0)
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow", allow->str);
      send_error (msg, 405, "method_not_allowed", "This method is not allowed here");
      return;
    }
  if (route == NULL)
    {
      send_error (msg, 404, "not_found", "There is no such API endpoint");
      return;
    }

  if (authenticate (req, route->access))
    route->handler (req);
}

/* Request bookkeeping and logging */

/* Closing a socket with unread data in it resets the connection, which can
 * destroy the 413 before the client reads it: what the client still sends
 * is read and thrown away (never kept) for a few seconds first. */
typedef struct
{
  GIOStream    *stream;
  GCancellable *cancellable;
  guint         timeout;
  gsize         drained;
} Drain;

#define DRAIN_SECONDS 5
#define DRAIN_MAX     (64 * 1024 * 1024)

static void
drain_finish (Drain *drain)
{
  g_clear_handle_id (&drain->timeout, g_source_remove);
  g_io_stream_close (drain->stream, NULL, NULL);
  g_object_unref (drain->stream);
  g_object_unref (drain->cancellable);
  g_free (drain);
}

static gboolean
drain_timeout_cb (gpointer user_data)
{
  Drain *drain = user_data;

  drain->timeout = 0;
  g_cancellable_cancel (drain->cancellable);
  return G_SOURCE_REMOVE;
}

static void
drain_skip_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  Drain *drain = user_data;
  gssize skipped = g_input_stream_skip_finish (G_INPUT_STREAM (object), result, NULL);

  if (skipped <= 0 || (drain->drained += (gsize) skipped) > DRAIN_MAX)
    {
      drain_finish (drain);
      return;
    }
  g_input_stream_skip_async (G_INPUT_STREAM (object), 64 * 1024, G_PRIORITY_LOW,
                             drain->cancellable, drain_skip_cb, drain);
}

static void
drain_and_close (GIOStream *stream)
{
  Drain *drain = g_new0 (Drain, 1);

  drain->stream = g_object_ref (stream);
  drain->cancellable = g_cancellable_new ();
  drain->timeout = g_timeout_add_seconds (DRAIN_SECONDS, drain_timeout_cb, drain);
  g_input_stream_skip_async (g_io_stream_get_input_stream (stream), 64 * 1024, G_PRIORITY_LOW,
                             drain->cancellable, drain_skip_cb, drain);
}

/* Answers straight on the socket and closes the connection, before libsoup
 * reads what follows the headers: for a body far over the limit, and for
 * a request whose framing is ambiguous, where what follows may be a second
 * request hidden from whatever stands in front of us. */
static void
refuse_and_close (SoupServerMessage *msg,
                  guint              status,
                  const char        *reason,
                  const char        *code,
                  const char        *message)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "till-request");
  g_autofree char *body = NULL;
  g_autofree char *response = NULL;
  g_autoptr(GIOStream) stream = NULL;
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *path = g_strndup (uri ? g_uri_get_path (uri) : "?", 128);

  body = g_strdup_printf ("{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code, message);
  response = g_strdup_printf ("HTTP/1.1 %u %s\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: %zu\r\n"
                              "X-Request-Id: %s\r\n"
                              "Cache-Control: no-store\r\n"
                              "Connection: close\r\n\r\n%s",
                              status, reason, strlen (body), info ? info->id : "-", body);
  if (info != NULL)
    till_server_log_request (info->id, soup_server_message_get_method (msg), path, status,
                             (g_get_monotonic_time () - info->started) / 1000.0);
  g_object_set_data (G_OBJECT (msg), "till-request", NULL);

  stream = soup_server_message_steal_connection (msg);
  g_output_stream_write_all (g_io_stream_get_output_stream (stream), response, strlen (response),
                             NULL, NULL, NULL);
  drain_and_close (stream);
}

/* libsoup reads a request body to its end whatever the answer will be, so
 * a far oversized one is refused by taking the connection over, before
 * more than the limit and its slack is held in memory. A body just over
 * the limit is read and answered normally, so that a client still sending
 * is not cut off mid-write. */
static void
refuse_oversized_body (SoupServerMessage *msg,
                       TillApi           *self)
{
  refuse_and_close (msg, 413, "Payload Too Large", "body_too_large", "The request body is too large");
}

static void
got_chunk_cb (SoupServerMessage *msg,
              GBytes            *chunk,
              TillApi           *self)
{
  if (soup_server_message_get_request_body (msg)->length > (goffset) (self->config->max_body_size + BODY_SLACK))
    refuse_oversized_body (msg, self);
}

typedef struct
{
  guint    content_length;
  guint    transfer_encoding;
  gboolean bad_value;
} Framing;

static void
count_framing_cb (const char *name,
                  const char *value,
                  gpointer    user_data)
{
  Framing *framing = user_data;

  if (g_ascii_strcasecmp (name, "Content-Length") == 0)
    {
      framing->content_length++;
      /* Digits only: no sign, no list ("10, 10"), no white space inside. */
      if (*value == '\0' || strspn (value, "0123456789") != strlen (value) || strlen (value) > 18)
        framing->bad_value = TRUE;
    }
  else if (g_ascii_strcasecmp (name, "Transfer-Encoding") == 0)
    {
      framing->transfer_encoding++;
      if (g_ascii_strcasecmp (value, "chunked") != 0)
        framing->bad_value = TRUE;
    }
}

/* RFC 9112 §6.3: a request with two Content-Lengths, or with both a
 * Content-Length and a Transfer-Encoding, or with a framing header we
 * would read otherwise than a proxy might, is refused and its connection
 * closed (issue 9, H: the last of two Content-Lengths won, and the bytes
 * after it ran as a second request). */
static gboolean
has_ambiguous_framing (SoupServerMessage *msg)
{
  Framing framing = { 0, 0, FALSE };

  soup_message_headers_foreach (soup_server_message_get_request_headers (msg), count_framing_cb, &framing);
  return framing.bad_value || framing.content_length > 1 || framing.transfer_encoding > 1 ||
         (framing.content_length > 0 && framing.transfer_encoding > 0);
}

static void
got_headers_cb (SoupServerMessage *msg,
                TillApi           *self)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  if (has_ambiguous_framing (msg))
    refuse_and_close (msg, 400, "Bad Request", "bad_framing",
                      "The request has conflicting or malformed Content-Length or Transfer-Encoding headers");
  else if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH &&
           soup_message_headers_get_content_length (headers) > (goffset) (self->config->max_body_size + BODY_SLACK))
    refuse_oversized_body (msg, self);
}

static void
finished_cb (SoupServerMessage *msg,
             TillApi           *self)
{
  RequestInfo *info = g_object_get_data (G_OBJECT (msg), "till-request");
  GUri *uri = soup_server_message_get_uri (msg);
  g_autofree char *path = g_strndup (uri ? g_uri_get_path (uri) : "?", 128);

  if (info == NULL)
    return;
  till_server_log_request (info->id, soup_server_message_get_method (msg), path,
                           soup_server_message_get_status (msg),
                           (g_get_monotonic_time () - info->started) / 1000.0);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    TillApi           *self)
{
  RequestInfo *info = g_new0 (RequestInfo, 1);
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *raw = till_crypto_new_id ("req");

  info->id = g_strdup (raw + 4);
  info->started = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), "till-request", info, (GDestroyNotify) request_info_free);

  soup_message_headers_replace (headers, "X-Request-Id", info->id);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");

  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), self, 0);
  g_signal_connect_object (msg, "got-chunk", G_CALLBACK (got_chunk_cb), self, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), self, 0);
}

static void
till_api_finalize (GObject *object)
{
  TillApi *self = (TillApi *)object;

  if (self->server != NULL)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  g_clear_object (&self->db);
  g_clear_object (&self->payments);
  g_clear_object (&self->webhooks);
  g_clear_pointer (&self->user_limiter, till_rate_limiter_free);
  g_clear_pointer (&self->address_limiter, till_rate_limiter_free);
  g_clear_pointer (&self->checks_by_address, g_hash_table_unref);

  G_OBJECT_CLASS (till_api_parent_class)->finalize (object);
}

static void
till_api_class_init (TillApiClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_api_finalize;
}

static void
till_api_init (TillApi *self)
{
}

TillApi *
till_api_new (TillServerConfig *config,
              TillDb           *db,
              TillPayments     *payments)
{
  TillApi *self = g_object_new (TILL_TYPE_API, NULL);

  self->config = config;
  self->db = g_object_ref (db);
  self->payments = g_object_ref (payments);
  self->user_limiter = till_rate_limiter_new (config->login_failures_per_user, config->login_window,
                                              config->login_tracked_names);
  self->address_limiter = till_rate_limiter_new (config->login_failures_per_address, config->login_window,
                                                 config->login_tracked_names);
  self->checks_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->webhooks = till_webhooks_new (db, payments, config);
  self->health_writable = TRUE;

  return self;
}

GTlsCertificate *
till_api_load_certificate (TillServerConfig  *config,
                           GError           **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;

  if (config->tls_certificate == NULL)
    return NULL;
  certificate = g_tls_certificate_new_from_files (config->tls_certificate, config->tls_key, error);
  if (certificate == NULL || !till_server_certificate_check_pair (certificate, error))
    return NULL;
  return g_steal_pointer (&certificate);
}

/* Listens as configured and returns the base URL, with the real port when
 * port 0 asked for any free one. */
char *
till_api_listen (TillApi  *self,
                 GError  **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  TillServerListener *listener;

  certificate = till_api_load_certificate (self->config, error);
  if (certificate == NULL && self->config->tls_certificate != NULL)
    return NULL;

  self->server = soup_server_new ("server-header", "till-server/" PACKAGE_VERSION,
                                  "tls-certificate", certificate,
                                  NULL);
  g_signal_connect_object (self->server, "request-started", G_CALLBACK (request_started_cb), self, 0);
  soup_server_add_handler (self->server, NULL, server_handler_cb, self, NULL);

  inet = g_inet_address_new_from_string (self->config->listen_address);
  if (inet == NULL && g_str_equal (self->config->listen_address, "localhost"))
    inet = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  if (inet == NULL)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_CONFIG,
                   "[server] listen = %s is not an IP address", self->config->listen_address);
      return NULL;
    }
  address = g_inet_socket_address_new (inet, self->config->port);
  /* Our own listener, with timeouts and a connection cap, and one that
   * survives running out of descriptors: see till-server-listener.c. The
   * server holds it, and it goes with the server. */
  listener = till_server_listener_new (self->server, self->config, certificate);
  g_object_set_data_full (G_OBJECT (self->server), "till-listener", listener, g_object_unref);
  if (!till_server_listener_listen (listener, address, error))
    return NULL;

  return till_server_listener_get_url (listener);
}

/* After the config was reloaded in place (SIGHUP): the certificate is read
 * from its files again, so that a renewed one is served, and the listener
 * takes the new timeouts. A certificate that cannot be read leaves the old
 * one serving. */
gboolean
till_api_reload (TillApi  *self,
                 GError  **error)
{
  g_autoptr(GTlsCertificate) certificate = NULL;
  TillServerListener *listener;

  g_return_val_if_fail (TILL_IS_API (self), FALSE);

  if (self->server == NULL)
    return TRUE;
  certificate = till_api_load_certificate (self->config, error);
  if (certificate == NULL && self->config->tls_certificate != NULL)
    return FALSE;
  listener = g_object_get_data (G_OBJECT (self->server), "till-listener");
  till_server_listener_reconfigure (listener, self->config, certificate);
  return TRUE;
}
