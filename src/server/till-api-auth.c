/* till-api-auth.c: till-server's sessions: sign-in, check-auth, sign-out
 *
 * Every check of a password someone sends runs here, with its thread,
 * check slots and limiters (till_api_check_password()): sign-in's, and a
 * manager's approval of a cashier's refund (till-api-refunds.c), which
 * share the limits. The token sign-in hands out is checked for every
 * other route by till_api_authenticate() in till-api-checks.c.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-crypto.h"

/* Sign-in. Argon2id takes tens of milliseconds and 64 MiB, so checks run
 * off the main loop, and at most config->login_checks of them at once
 * (config->login_checks_per_address from one address): memory stays
 * bounded however many attempts arrive together, and what is over the cap
 * is answered 429 at once. An attempt is counted before its check starts
 * (till-rate-limiter.c). */

typedef struct
{
  TillApiPasswordChecked done;
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
address_key (TillApiRequest *req)
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
send_rate_limited (TillApiRequest *req,
                   guint           wait,
                   const char     *message)
{
  till_api_set_retry_after (req->msg, wait);
  till_api_send_error (req->msg, 429, "rate_limited", message);
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
  g_autoptr(TillApiRequest) req = user_data;
  TillApi *self = req->self;
  VerifyData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(TillUser) user = NULL;

  soup_server_message_unpause (req->msg);
  release_check_slot (self, data->address_key);
  /* An approval's cashier disabled while it was checked: nothing more. */
  if (!till_api_session_holds (req))
    return;

  if (g_task_propagate_boolean (G_TASK (result), NULL))
    {
      user = till_db_get_user_by_name (self->db, data->username);
      /* Checked against the hash read when the check began: a password
       * changed meanwhile (a manager's reset, to lock someone out) makes
       * the one sent the old one, which must not get a session that
       * outlives the reset, nor approve anything. */
      if (user != NULL && g_strcmp0 (user->password_hash, data->password_hash) != 0)
        g_clear_pointer (&user, till_user_free);
    }
  if (data->done (req, data->username, user))
    {
      /* The right password, and let in: this attempt is not a failure
       * for either count. Only this one is taken back: the name's count
       * is shared by every spelling that folds to it ("Alice", "ALICE"),
       * so clearing it would let whoever owns one of them wipe the
       * failures others ran up on another. A right password refused all
       * the same stays counted: each such refusal is an audit entry. */
      till_rate_limiter_forgive (self->user_limiter, data->user_key, data->attempt_usec);
      till_rate_limiter_forgive (self->address_limiter, data->address_key, data->attempt_usec);
    }
}

/**
 * till_api_check_password:
 * @req: the request, answered 429 here when the limiters refuse
 * @username: the name given
 * @password: the password given
 * @done: called with the request and the user when the password is right,
 *   or %NULL, unless the attempt was refused; it may suspend the request
 *
 * Checks a password off the main loop, in one of the sign-in check slots
 * and counted by the sign-in limiters, whatever asks: sign-in and a
 * manager's approval share the limits, so that neither can be used to
 * guess a password faster than the other allows.
 */
void
till_api_check_password (TillApiRequest         *req,
                         const char             *username,
                         const char             *password,
                         TillApiPasswordChecked  done)
{
  TillApi *self = req->self;
  g_autoptr(TillUser) user = NULL;
  g_autoptr(GTask) task = NULL;
  g_autoptr(VerifyData) data = NULL;
  guint wait;

  data = g_new0 (VerifyData, 1);
  data->done = done;
  data->username = g_strdup (username);
  data->address_key = address_key (req);
  data->user_key = user_key (username);
  data->attempt_usec = g_get_real_time ();

  if (!take_check_slot (self, data->address_key))
    {
      send_rate_limited (req, 1, "The server is checking other passwords. Try again in a second.");
      return;
    }
  if ((wait = count_attempt (self, data)) > 0)
    {
      g_autofree char *message =
        g_strdup_printf ("Too many password attempts. Try again in %u seconds.", wait);

      release_check_slot (self, data->address_key);
      send_rate_limited (req, wait, message);
      return;
    }

  user = till_db_get_user_by_name (self->db, username);
  data->password_hash = user ? g_strdup (user->password_hash) : NULL;
  data->password = g_strdup (password);

  task = g_task_new (NULL, NULL, verify_done_cb, till_api_request_suspend (req));
  g_task_set_task_data (task, g_steal_pointer (&data), (GDestroyNotify) verify_data_free);
  g_task_run_in_thread (task, verify_thread);
}

/**
 * till_api_take_hash_slot:
 * @req: the request, answered 429 here when no slot is free
 *
 * Argon2id work that is no check of a password sent (hashing a new
 * one) takes a check slot too, so that the memory it takes stays within
 * the same bounds. It counts for no limiter.
 *
 * Returns: (nullable): the key to give back with
 *   till_api_release_hash_slot(), or %NULL when the request was answered
 */
char *
till_api_take_hash_slot (TillApiRequest *req)
{
  g_autofree char *akey = address_key (req);

  if (!take_check_slot (req->self, akey))
    {
      send_rate_limited (req, 1, "The server is checking other passwords. Try again in a second.");
      return NULL;
    }
  return g_steal_pointer (&akey);
}

void
till_api_release_hash_slot (TillApi    *self,
                            const char *key)
{
  release_check_slot (self, key);
}

/* A failed sign-in goes into the audit log only once the limiters let its
 * check run, so the log grows no faster than they allow (docs/api.md). */
static void
audit_failed_login (TillApiRequest *req,
                    const char     *username,
                    const char     *reason)
{
  g_autoptr(JsonBuilder) details = json_builder_new ();
  gboolean known;

  json_builder_begin_object (details);
  known = till_api_audit_add_name_tried (details, req->self, "username", username);
  till_api_add_string (details, "reason", known ? reason : "unknown_user");
  till_api_audit (req, NULL, TILL_AUDIT_LOGIN_FAILED, known ? username : NULL, details);
}

static gboolean
login_checked (TillApiRequest *req,
               const char     *username,
               TillUser       *user)
{
  TillApi *self = req->self;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token_hash = NULL;
  gint64 now = g_get_real_time ();
  gint64 expires;

  if (user == NULL)
    {
      audit_failed_login (req, username, "wrong_password");
      till_api_send_error (req->msg, 401, "invalid_credentials", "Wrong username or password");
      return FALSE;
    }
  if (user->disabled)
    {
      audit_failed_login (req, username, "account_disabled");
      till_api_send_error (req->msg, 403, "account_disabled", "This account has been disabled by a manager");
      return FALSE;
    }

  token = till_crypto_new_token ();
  token_hash = till_crypto_sha256_hex (token, -1);
  expires = now / G_USEC_PER_SEC + self->config->session_lifetime;
  if (!till_db_add_session (self->db, token_hash, user->id, expires, &error))
    {
      g_warning ("%s", error->message);
      till_api_send_error (req->msg, 500, "internal_error", "The session could not be stored");
      return TRUE;
    }
  till_api_audit (req, user->name, TILL_AUDIT_LOGIN, user->name, NULL);

  json_builder_begin_object (builder);
  till_api_add_string (builder, "token", token);
  till_api_add_time (builder, "expires_at", expires);
  till_api_add_user (builder, user);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
  explicit_bzero (token, strlen (token));
  return TRUE;
}

static void
handle_login (TillApiRequest *req)
{
  g_autoptr(JsonObject) body = till_api_parse_body (req, FALSE);
  TillLoginInput input;
  TillApiProblem problem;

  if (body == NULL)
    return;
  if (!till_api_input_login (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  till_api_check_password (req, input.username, input.password, login_checked);
}

static void
handle_check_auth (TillApiRequest *req)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  till_api_add_user (builder, req->user);
  till_api_add_time (builder, "expires_at", req->session_expires);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

static void
handle_logout (TillApiRequest *req)
{
  till_db_delete_session (req->self->db, req->token_hash);
  till_api_audit (req, req->user->name, TILL_AUDIT_LOGOUT, req->user->name, NULL);
  soup_server_message_set_status (req->msg, 204, NULL);
}

const TillApiRoute till_api_auth_routes[] = {
  { "POST", "api/login", TILL_API_ACCESS_PUBLIC, handle_login },
  { "GET", "api/check-auth", TILL_API_ACCESS_STAFF, handle_check_auth },
  { "POST", "api/logout", TILL_API_ACCESS_STAFF, handle_logout },
  { NULL }
};
