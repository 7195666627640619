/* till-session.c: the signed-in cashier and the session every screen uses
 *
 * The session token lives in this object's memory and, when the cashier
 * asked to be remembered, in the keyring; the password only ever in the
 * keyring, and only then. When the server refuses the session mid-work
 * (expired, revoked), requests sign in again silently with the remembered
 * password and are retried once with the same Idempotency-Key, so that a
 * payment is never charged twice; all requests refused at the same time
 * share one such sign-in. A request is only ever retried for the cashier
 * and session it was first sent for: a payment must never be charged to
 * another cashier who signed in meanwhile.
 *
 * A token this object lets go of (replaced by a sign-in or an unlock,
 * refused, signed out) is revoked at the server, best effort, so that no
 * bearer token is left usable behind the terminal's back.
 *
 * A keyring that is missing or locked never stops a sign-in: the session
 * then simply lasts for this run ("keyring-available" turns FALSE).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "till-session"

#include <string.h>

#include "till-backend-answers.h"
#include "till-enums.h"
#include "till-session.h"

struct _TillSession
{
  GObject              parent_instance;

  /* owned references */
  TillBackendClient   *client;
  TillCredentialStore *store;
  char                *username;
  char                *role;
  char                *token;
  /* request_async tasks waiting for the shared silent sign-in */
  GPtrArray           *renew_waiters;

  /* state */
  TillSessionState     state;
  gint64               expires_at;
  guint                retry_after;
  gboolean             remembered;
  gboolean             keyring_available;
  gboolean             renewing;
  /* Bumped by every sign-in (when it starts and when it is applied),
   * unlock and sign-out, so that a silent sign-in or unlock that finishes
   * after one of them does not bring back an older session, and a request
   * is never retried under a session it was not sent for. A silent
   * sign-in keeps it: the session goes on. */
  guint                generation;
  guint                renew_generation;
};

G_DEFINE_FINAL_TYPE (TillSession, till_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_STORE,
  PROP_STATE,
  PROP_USERNAME,
  PROP_ROLE,
  PROP_EXPIRES_AT,
  PROP_REMEMBERED,
  PROP_KEYRING_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Operations */

typedef struct
{
  char                *username;
  char                *password;
  char                *token;
  gboolean             remember;
  TillSessionState     previous_state;
  /* self->generation when the flow started, or when the request was
   * first sent (with username) */
  guint                generation;
  /* restore: a keyring lookup failed, so nothing may be cleared on the
   * strength of "nothing stored" */
  GError              *keyring_error;
  /* sign_out: steps still running */
  guint                pending;
  /* request_async */
  char                *method;
  char                *path;
  char                *idempotency_key;
  JsonNode            *body;
  char                *text_type;      /* get_text_async */
  gboolean             retried;
  TillBackendResponse *response;
} Op;

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
op_free (gpointer data)
{
  Op *op = data;

  g_clear_pointer (&op->password, wipe_free);
  g_clear_pointer (&op->token, wipe_free);
  g_clear_pointer (&op->body, json_node_unref);
  g_clear_pointer (&op->response, till_backend_response_unref);
  g_clear_error (&op->keyring_error);
  g_free (op->username);
  g_free (op->method);
  g_free (op->path);
  g_free (op->idempotency_key);
  g_free (op->text_type);
  g_free (op);
}

static GTask *
new_task (TillSession         *self,
          GCancellable        *cancellable,
          GAsyncReadyCallback  callback,
          gpointer             user_data,
          gpointer             source_tag)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  Op *op = g_new0 (Op, 1);

  g_task_set_source_tag (task, source_tag);
  op->previous_state = self->state;
  g_task_set_task_data (task, op, op_free);
  return task;
}

static Op *
task_op (GTask *task)
{
  return g_task_get_task_data (task);
}

/* Properties */

static void
set_state (TillSession      *self,
           TillSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
set_string (TillSession  *self,
            char        **field,
            const char   *value,
            guint         prop_id)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
}

static void
set_expires_at (TillSession *self,
                gint64       expires_at)
{
  if (self->expires_at == expires_at)
    return;
  self->expires_at = expires_at;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_EXPIRES_AT]);
}

static void
set_remembered (TillSession *self,
                gboolean     remembered)
{
  remembered = !!remembered;
  if (self->remembered == remembered)
    return;
  self->remembered = remembered;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REMEMBERED]);
}

static void
set_keyring_available (TillSession *self,
                       gboolean     available)
{
  available = !!available;
  if (self->keyring_available == available)
    return;
  self->keyring_available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_KEYRING_AVAILABLE]);
}

static void
revoke_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, NULL,
                                                 &error);
  if (response == NULL)
    g_debug ("A session let go of was not revoked: %s", error->message);
}

/* Best effort and not waited for: no flow's result depends on it, and a
 * server that already forgot the session answers 401, which is fine.
 * Without a cancellable, so that it outlives whoever let go of the token;
 * the client's own timeouts end it. Takes the token. */
static void
revoke_token (TillSession *self,
              char        *token)
{
  if (token == NULL)
    return;
  till_backend_client_request_async (self->client, "POST", "/api/logout", token, NULL, NULL,
                                     NULL, revoke_cb, NULL);
  wipe_free (token);
}

/* The token replaced or dropped is revoked. finalize() does not come
 * here: a remembered session outlives the app. */
static void
set_token (TillSession *self,
           const char  *token)
{
  char *old = g_steal_pointer (&self->token);

  self->token = g_strdup (token);
  if (g_strcmp0 (old, token) != 0)
    revoke_token (self, g_steal_pointer (&old));
  g_clear_pointer (&old, wipe_free);
}

/* The server refused the session and nothing could renew it. */
static void
drop_session (TillSession      *self,
              TillSessionState  state)
{
  g_object_freeze_notify (G_OBJECT (self));
  set_token (self, NULL);
  set_expires_at (self, 0);
  if (state == TILL_SESSION_SIGNED_OUT)
    set_string (self, &self->role, NULL, PROP_ROLE);
  set_state (self, state);
  g_object_thaw_notify (G_OBJECT (self));
}

/* Server answers */

/* Applies {user{name, role}, expires_at} from /api/login or
 * /api/check-auth, with the token that goes with it, read strictly
 * (till-backend-answers.c). The answer must be about the cashier the
 * terminal asked for: a server that signs "alice" in as someone else, or
 * answers a check of her session with another user, is not believed. */
static gboolean
apply_identity (TillSession      *self,
                TillLoginAnswer  *answer,
                const char       *token,
                const char       *expected_username,
                GError          **error)
{
  if (expected_username != NULL && !g_str_equal (answer->name, expected_username))
    {
      g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                   "The server's answer to signing in is about another user than “%s”",
                   expected_username);
      return FALSE;
    }

  g_object_freeze_notify (G_OBJECT (self));
  set_token (self, token);
  set_string (self, &self->username, answer->name, PROP_USERNAME);
  set_string (self, &self->role, answer->role, PROP_ROLE);
  set_expires_at (self, answer->expires_at);
  set_state (self, TILL_SESSION_SIGNED_IN);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

static TillLoginAnswer *
read_login_answer (TillBackendResponse  *response,
                   gboolean              with_token,
                   GError              **error)
{
  JsonObject *object = till_backend_response_get_object (response);
  g_autoptr(GError) local_error = NULL;
  TillLoginAnswer *answer;

  if (object == NULL)
    {
      g_set_error_literal (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                           "The server's answer to signing in has no token or user");
      return NULL;
    }
  answer = till_login_answer_read (object, with_token, &local_error);
  if (answer == NULL)
    g_set_error (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_BAD_RESPONSE,
                 "The server's answer to signing in is not usable: %s", local_error->message);
  return answer;
}

/* A login answer whose session is not wanted (a sign-in or sign-out came
 * first, or the answer cannot be used): its token is not left behind, if
 * it is one. */
static void
discard_login (TillSession         *self,
               TillBackendResponse *response)
{
  JsonObject *object = till_backend_response_get_object (response);
  const char *token = NULL;

  if (object != NULL &&
      till_answer_get_string (object, "token", TILL_ANSWER_TOKEN_MAX, TRUE, &token, NULL) &&
      strlen (token) >= TILL_ANSWER_TOKEN_MIN)
    revoke_token (self, g_strdup (token));
}

/* Applies the answer of /api/login for expected_username. */
static gboolean
apply_login (TillSession          *self,
             TillBackendResponse  *response,
             const char           *expected_username,
             GError              **error)
{
  g_autoptr(TillLoginAnswer) answer = read_login_answer (response, TRUE, error);

  if (answer != NULL && apply_identity (self, answer, answer->token, expected_username, error))
    return TRUE;
  discard_login (self, response);
  return FALSE;
}

static void
note_login_answer (TillSession         *self,
                   TillBackendResponse *response)
{
  guint retry_after = 0;

  if (response != NULL && till_backend_response_get_status (response) == 429)
    retry_after = till_backend_response_get_retry_after (response);
  self->retry_after = retry_after;
}

/* A login answer, with the server's Retry-After noted for the UI. */
static TillBackendResponse *
finish_login (TillSession   *self,
              GAsyncResult  *result,
              GError       **error)
{
  g_autoptr(TillBackendResponse) error_response = NULL;
  TillBackendResponse *response =
    till_backend_client_request_finish (self->client, result, &error_response, error);

  note_login_answer (self, error_response);
  return response;
}

static void
post_login_async (TillSession         *self,
                  const char          *username,
                  const char          *password,
                  GCancellable        *cancellable,
                  GAsyncReadyCallback  callback,
                  gpointer             user_data)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) body = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  body = json_builder_get_root (builder);

  till_backend_client_request_async (self->client, "POST", "/api/login", NULL, NULL, body,
                                     cancellable, callback, user_data);
}

/* Keyring steps
 *
 * They never fail the flow they are part of: a failure is noted (an
 * unavailable keyring turns "keyring-available" off and is not asked
 * again in this run) and the flow goes on as if nothing were stored;
 * only restore, which has nothing else to go on, tells a failed lookup
 * from an empty one, so as not to clear what it could not read.
 */

static gboolean
keyring_usable (TillSession *self)
{
  return self->store != NULL && self->keyring_available;
}

static void
note_keyring_error (TillSession  *self,
                    const GError *error)
{
  if (g_error_matches (error, TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE))
    {
      g_info ("The keyring is not available; nothing is remembered in this run: %s",
              error->message);
      set_keyring_available (self, FALSE);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("The keyring failed: %s", error->message);
}

static const char *
server_key (TillSession *self)
{
  return till_backend_client_get_base_url (self->client);
}

static void
keyring_lookup_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  char *secret = till_credential_store_lookup_finish (TILL_CREDENTIAL_STORE (object), result,
                                                      &error);

  if (error != NULL)
    {
      note_keyring_error (g_task_get_source_object (task), error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, secret, (GDestroyNotify) wipe_free);
}

/* cancellable: the caller's, for a lookup before a flow's point of no
 * return; a cancelled lookup finishes with G_IO_ERROR_CANCELLED. */
static void
keyring_lookup_async (TillSession         *self,
                      const char          *username,
                      TillCredentialKind   kind,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, keyring_lookup_async);
  if (!keyring_usable (self) || username == NULL)
    {
      g_task_return_pointer (task, NULL, NULL);
      return;
    }
  till_credential_store_lookup_async (self->store, server_key (self), username, kind, cancellable,
                                      keyring_lookup_cb, g_steal_pointer (&task));
}

/* NULL when nothing is stored or the keyring cannot be used; error (if
 * not NULL) tells a failed or cancelled lookup from an empty one. */
static char *
keyring_lookup_finish (TillSession   *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void keyring_clear_async (TillSession         *self,
                                 const char          *username,
                                 int                  kind,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);

static void
keyring_store_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  gboolean done;

  if (g_task_get_source_tag (task) == keyring_clear_async)
    done = till_credential_store_clear_finish (TILL_CREDENTIAL_STORE (object), result, &error);
  else
    done = till_credential_store_store_finish (TILL_CREDENTIAL_STORE (object), result, &error);
  if (error != NULL)
    note_keyring_error (g_task_get_source_object (task), error);
  g_task_return_boolean (task, done);
}

static void
keyring_store_async (TillSession         *self,
                     const char          *username,
                     TillCredentialKind   kind,
                     const char          *secret,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, keyring_store_async);
  if (!keyring_usable (self) || username == NULL || secret == NULL)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  till_credential_store_store_async (self->store, server_key (self), username, kind, secret, NULL,
                                     keyring_store_cb, g_steal_pointer (&task));
}

/* kind -1 clears both. */
static void
keyring_clear_async (TillSession         *self,
                     const char          *username,
                     int                  kind,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, keyring_clear_async);
  if (!keyring_usable (self) || username == NULL)
    {
      g_task_return_boolean (task, FALSE);
      return;
    }
  till_credential_store_clear_async (self->store, server_key (self), username, kind, NULL,
                                     keyring_store_cb, g_steal_pointer (&task));
}

/* TRUE when the keyring did it. */
static gboolean
keyring_step_finish (TillSession  *self,
                     GAsyncResult *result)
{
  return g_task_propagate_boolean (G_TASK (result), NULL);
}

/* GObject */

static void
till_session_dispose (GObject *object)
{
  TillSession *self = TILL_SESSION (object);

  /* Waiters hold a reference to the session, so none is left here. */
  g_assert (self->renew_waiters->len == 0);
  g_clear_object (&self->client);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (till_session_parent_class)->dispose (object);
}

static void
till_session_finalize (GObject *object)
{
  TillSession *self = TILL_SESSION (object);

  g_clear_pointer (&self->token, wipe_free);
  g_clear_pointer (&self->renew_waiters, g_ptr_array_unref);
  g_free (self->username);
  g_free (self->role);

  G_OBJECT_CLASS (till_session_parent_class)->finalize (object);
}

static void
till_session_constructed (GObject *object)
{
  TillSession *self = TILL_SESSION (object);

  G_OBJECT_CLASS (till_session_parent_class)->constructed (object);

  g_assert (self->client != NULL);
  self->keyring_available = self->store != NULL;
}

static void
till_session_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  TillSession *self = TILL_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_STORE:
      g_value_set_object (value, self->store);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;
    case PROP_ROLE:
      g_value_set_string (value, self->role);
      break;
    case PROP_EXPIRES_AT:
      g_value_set_int64 (value, self->expires_at);
      break;
    case PROP_REMEMBERED:
      g_value_set_boolean (value, self->remembered);
      break;
    case PROP_KEYRING_AVAILABLE:
      g_value_set_boolean (value, self->keyring_available);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_session_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  TillSession *self = TILL_SESSION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    case PROP_STORE:
      self->store = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_session_class_init (TillSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags construct_only =
    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  const GParamFlags read_only =
    G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->constructed = till_session_constructed;
  object_class->dispose = till_session_dispose;
  object_class->finalize = till_session_finalize;
  object_class->get_property = till_session_get_property;
  object_class->set_property = till_session_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, TILL_TYPE_BACKEND_CLIENT, construct_only);
  properties[PROP_STORE] =
    g_param_spec_object ("store", NULL, NULL, TILL_TYPE_CREDENTIAL_STORE, construct_only);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, TILL_TYPE_SESSION_STATE, TILL_SESSION_SIGNED_OUT,
                       read_only);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL, read_only);
  properties[PROP_ROLE] =
    g_param_spec_string ("role", NULL, NULL, NULL, read_only);
  properties[PROP_EXPIRES_AT] =
    g_param_spec_int64 ("expires-at", NULL, NULL, 0, G_MAXINT64, 0, read_only);
  properties[PROP_REMEMBERED] =
    g_param_spec_boolean ("remembered", NULL, NULL, FALSE, read_only);
  properties[PROP_KEYRING_AVAILABLE] =
    g_param_spec_boolean ("keyring-available", NULL, NULL, FALSE, read_only);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_session_init (TillSession *self)
{
  self->renew_waiters = g_ptr_array_new ();
  self->state = TILL_SESSION_SIGNED_OUT;
}

TillSession *
till_session_new (TillBackendClient   *client,
                  TillCredentialStore *store)
{
  g_return_val_if_fail (TILL_IS_BACKEND_CLIENT (client), NULL);
  g_return_val_if_fail (store == NULL || TILL_IS_CREDENTIAL_STORE (store), NULL);

  return g_object_new (TILL_TYPE_SESSION, "client", client, "store", store, NULL);
}

TillSessionState
till_session_get_state (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), TILL_SESSION_SIGNED_OUT);

  return self->state;
}

const char *
till_session_get_username (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), NULL);

  return self->username;
}

const char *
till_session_get_role (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), NULL);

  return self->role;
}

gboolean
till_session_is_manager (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);

  return g_strcmp0 (self->role, "manager") == 0;
}

gint64
till_session_get_expires_at (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), 0);

  return self->expires_at;
}

gboolean
till_session_get_remembered (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);

  return self->remembered;
}

gboolean
till_session_get_keyring_available (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);

  return self->keyring_available;
}

TillBackendClient *
till_session_get_client (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), NULL);

  return self->client;
}

guint
till_session_get_retry_after (TillSession *self)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), 0);

  return self->retry_after;
}

/* Sign in */

static void
fail_sign_in (GTask  *task,
              GError *error)
{
  TillSession *self = g_task_get_source_object (task);

  /* A failed attempt leaves things as they were: the screen that asked
   * (sign-in form, lock page) shows the error. */
  if (self->state == TILL_SESSION_SIGNING_IN)
    set_state (self, task_op (task)->previous_state);
  g_task_return_error (task, error);
}

/* Past the point of no return: the session is applied and a sign-in's
 * result is that, whatever the caller's cancellable does from here (GTask
 * would otherwise report a cancellation for a session that is in use). */
static void
sign_in_applied (GTask *task)
{
  g_task_set_check_cancellable (task, FALSE);
}

/* The last step of a flow was a keyring write or clear, whose failure the
 * flow outlives (see "keyring-available"): the flow has succeeded. */
static void
keyring_step_done_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  keyring_step_finish (TILL_SESSION (object), result);
  g_task_return_boolean (task, TRUE);
}

static void
sign_in_password_stored_cb (GObject      *object,
                            GAsyncResult *result,
                            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = TILL_SESSION (object);

  set_remembered (self, keyring_step_finish (self, result));
  keyring_store_async (self, self->username, TILL_CREDENTIAL_SESSION, self->token,
                       keyring_step_done_cb, g_steal_pointer (&task));
}

static void
sign_in_login_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  Op *op = task_op (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = finish_login (self, result, &error);
  if (response == NULL)
    {
      fail_sign_in (task, g_steal_pointer (&error));
      return;
    }

  self->generation++;
  if (!apply_login (self, response, op->username, &error))
    {
      fail_sign_in (task, g_steal_pointer (&error));
      return;
    }
  sign_in_applied (task);

  /* The keyring steps get no cancellable: they carry out what the cashier
   * chose, and their failure does not fail the sign-in anyway. */
  if (op->remember)
    {
      keyring_store_async (self, self->username, TILL_CREDENTIAL_PASSWORD, op->password,
                           sign_in_password_stored_cb, g_steal_pointer (&task));
      return;
    }

  /* Not remembered: whatever an earlier "remember me" stored goes. */
  set_remembered (self, FALSE);
  keyring_clear_async (self, self->username, -1, keyring_step_done_cb, g_steal_pointer (&task));
}

void
till_session_sign_in_async (TillSession         *self,
                            const char          *username,
                            const char          *password,
                            gboolean             remember,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_task (self, cancellable, callback, user_data, till_session_sign_in_async);
  op = task_op (task);
  op->username = g_strdup (username);
  op->password = g_strdup (password);
  op->remember = !!remember;

  /* From here a silent sign-in for whoever was signed in is of no use. */
  self->generation++;
  set_state (self, TILL_SESSION_SIGNING_IN);
  post_login_async (self, username, password, cancellable, sign_in_login_cb,
                    g_steal_pointer (&task));
}

gboolean
till_session_sign_in_finish (TillSession   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_sign_in_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Restore */

static void
restore_login_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = finish_login (self, result, &error);
  if (response == NULL)
    {
      fail_sign_in (task, g_steal_pointer (&error));
      return;
    }

  self->generation++;
  if (!apply_login (self, response, task_op (task)->username, &error))
    {
      fail_sign_in (task, g_steal_pointer (&error));
      return;
    }
  sign_in_applied (task);
  set_remembered (self, TRUE);
  keyring_store_async (self, self->username, TILL_CREDENTIAL_SESSION, self->token,
                       keyring_step_done_cb, g_steal_pointer (&task));
}

/* Why nothing stored could be used: the keyring (unavailable: see
 * "keyring-available", which is FALSE by now; or failed), or nothing
 * stored works any more. */
static void
restore_nothing_works (GTask *task)
{
  TillSession *self = g_task_get_source_object (task);
  Op *op = task_op (task);

  set_remembered (self, FALSE);
  if (!self->keyring_available)
    fail_sign_in (task, g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                                     "The keyring is not available, so nothing stored for %s "
                                     "can be used", op->username));
  else if (op->keyring_error != NULL)
    fail_sign_in (task, g_error_copy (op->keyring_error));
  else
    fail_sign_in (task, g_error_new (TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                                     "Nothing stored for %s on %s signs in any more",
                                     op->username, server_key (self)));
}

static void
restore_cleared_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = TILL_SESSION (object);

  keyring_step_finish (self, result);
  restore_nothing_works (task);
}

/* After a keyring lookup: TRUE when the restore ends here because the
 * caller cancelled it. Any other keyring failure is kept in the op, so
 * that nothing stored is cleared as if it were missing. */
static gboolean
restore_lookup_cancelled (GTask  *task,
                          GError *error)
{
  Op *op = task_op (task);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      fail_sign_in (task, g_error_copy (error));
      return TRUE;
    }
  if (error != NULL && op->keyring_error == NULL)
    op->keyring_error = g_error_copy (error);
  return FALSE;
}

static void
restore_password_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  TillSession *self = TILL_SESSION (object);
  Op *op = task_op (task);
  GCancellable *cancellable;

  op->password = keyring_lookup_finish (self, result, &error);
  if (restore_lookup_cancelled (task, error))
    return;
  if (op->password == NULL)
    {
      /* A keyring that failed says nothing about what it holds. */
      if (op->keyring_error != NULL || !keyring_usable (self))
        {
          restore_nothing_works (task);
          return;
        }
      /* A stored session without a password is of no more use. */
      keyring_clear_async (self, op->username, op->token ? TILL_CREDENTIAL_SESSION : -1,
                           restore_cleared_cb, g_steal_pointer (&task));
      return;
    }
  cancellable = g_task_get_cancellable (task);
  post_login_async (self, op->username, op->password, cancellable, restore_login_cb,
                    g_steal_pointer (&task));
}

static void
restore_remembered_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = TILL_SESSION (object);
  g_autofree char *password = keyring_lookup_finish (self, result, NULL);

  set_remembered (self, password != NULL);
  if (password != NULL)
    explicit_bzero (password, strlen (password));
  g_task_return_boolean (task, TRUE);
}

static void
restore_check_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  Op *op = task_op (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillLoginAnswer) answer = NULL;
  g_autoptr(GError) error = NULL;

  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, NULL,
                                                 &error);
  if (response == NULL)
    {
      if (!g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
        {
          fail_sign_in (task, g_steal_pointer (&error));
          return;
        }
      /* Expired or revoked: the remembered password may still work. */
      keyring_lookup_async (self, op->username, TILL_CREDENTIAL_PASSWORD, cancellable,
                            restore_password_cb, g_steal_pointer (&task));
      return;
    }

  self->generation++;
  answer = read_login_answer (response, FALSE, &error);
  if (answer == NULL || !apply_identity (self, answer, op->token, op->username, &error))
    {
      fail_sign_in (task, g_steal_pointer (&error));
      return;
    }
  sign_in_applied (task);
  /* Only to show whether a password is remembered; it is not kept. */
  keyring_lookup_async (self, self->username, TILL_CREDENTIAL_PASSWORD, NULL,
                        restore_remembered_cb, g_steal_pointer (&task));
}

static void
restore_token_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  TillSession *self = TILL_SESSION (object);
  Op *op = task_op (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  op->token = keyring_lookup_finish (self, result, &error);
  if (restore_lookup_cancelled (task, error))
    return;
  if (op->token == NULL)
    {
      keyring_lookup_async (self, op->username, TILL_CREDENTIAL_PASSWORD, cancellable,
                            restore_password_cb, g_steal_pointer (&task));
      return;
    }
  till_backend_client_request_async (self->client, "GET", "/api/check-auth", op->token, NULL, NULL,
                                     cancellable, restore_check_cb, g_steal_pointer (&task));
}

void
till_session_restore_async (TillSession         *self,
                            const char          *username,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_task (self, cancellable, callback, user_data, till_session_restore_async);
  task_op (task)->username = g_strdup (username);

  if (!keyring_usable (self))
    {
      g_task_return_new_error (task, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                               "There is no keyring, so nothing is stored for %s", username);
      return;
    }

  self->generation++;
  set_state (self, TILL_SESSION_SIGNING_IN);
  keyring_lookup_async (self, username, TILL_CREDENTIAL_SESSION, cancellable, restore_token_cb,
                        g_steal_pointer (&task));
}

gboolean
till_session_restore_finish (TillSession   *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_restore_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Verify password */

static void
verify_login_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  response = finish_login (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Signed out, or another cashier signed in, while the password was
   * checked: the session it was for is gone and must not come back. */
  if (task_op (task)->generation != self->generation)
    {
      discard_login (self, response);
      g_task_return_new_error (task, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                               "The session changed while the password was checked");
      return;
    }

  /* The session it replaces is revoked (see set_token()). */
  self->generation++;
  if (!apply_login (self, response, self->username, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  sign_in_applied (task);
  if (!self->remembered)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  keyring_store_async (self, self->username, TILL_CREDENTIAL_SESSION, self->token,
                       keyring_step_done_cb, g_steal_pointer (&task));
}

void
till_session_verify_password_async (TillSession         *self,
                                    const char          *password,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_task (self, cancellable, callback, user_data, till_session_verify_password_async);
  task_op (task)->generation = self->generation;
  if (self->username == NULL)
    {
      g_task_return_new_error (task, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                               "No cashier has signed in on this terminal");
      return;
    }
  post_login_async (self, self->username, password, cancellable, verify_login_cb,
                    g_steal_pointer (&task));
}

gboolean
till_session_verify_password_finish (TillSession   *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_verify_password_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sign out */

/* Both steps, the keyring's and the server's, run side by side; the
 * sign-out is over when both are. */
static void
sign_out_step_done (GTask *task)
{
  Op *op = task_op (task);

  g_assert (op->pending > 0);
  if (--op->pending == 0)
    g_task_return_boolean (task, TRUE);
}

static void
sign_out_logout_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  /* Best effort: a server that cannot be reached, or that already
   * forgot the session, changes nothing here. */
  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, NULL,
                                                 &error);
  if (response == NULL)
    g_info ("The server did not revoke the session: %s", error->message);
  sign_out_step_done (task);
}

static void
sign_out_cleared_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;

  keyring_step_finish (TILL_SESSION (object), result);
  sign_out_step_done (task);
}

void
till_session_sign_out_async (TillSession         *self,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_task (self, cancellable, callback, user_data, till_session_sign_out_async);
  op = task_op (task);
  op->username = g_strdup (self->username);
  op->token = g_steal_pointer (&self->token);

  /* Forgotten here at once, whatever the server says later; so the result
   * is a sign-out even if the caller cancels. */
  self->generation++;
  drop_session (self, TILL_SESSION_SIGNED_OUT);
  g_task_set_check_cancellable (task, FALSE);

  /* Neither step takes the caller's cancellable: a sign-out that stopped
   * halfway would leave a session usable at the server or in the keyring.
   * The request ends with the client's own timeouts, the keyring step
   * with the store's deadline. */
  op->pending = 1;
  if (op->token != NULL)
    {
      op->pending++;
      till_backend_client_request_async (self->client, "POST", "/api/logout", op->token, NULL,
                                         NULL, NULL, sign_out_logout_cb, g_object_ref (task));
    }
  keyring_clear_async (self, op->username, TILL_CREDENTIAL_SESSION, sign_out_cleared_cb,
                       g_steal_pointer (&task));
}

gboolean
till_session_sign_out_finish (TillSession   *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_sign_out_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Forget */

static void
forget_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  if (!till_credential_store_clear_finish (TILL_CREDENTIAL_STORE (object), result, &error))
    {
      note_keyring_error (self, error);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (g_strcmp0 (task_op (task)->username, self->username) == 0)
    set_remembered (self, FALSE);
  g_task_return_boolean (task, TRUE);
}

void
till_session_forget_async (TillSession         *self,
                           const char          *username,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = new_task (self, cancellable, callback, user_data, till_session_forget_async);
  task_op (task)->username = g_strdup (username);

  /* Asked for by the cashier, so tried even after the keyring failed
   * once: its answer is what they need to hear. */
  if (self->store == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  till_credential_store_clear_async (self->store, server_key (self), username, -1, cancellable,
                                     forget_cb, g_steal_pointer (&task));
}

gboolean
till_session_forget_finish (TillSession   *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (TILL_IS_SESSION (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_forget_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Authenticated requests */

static void send_request (GTask *task);

static void
fail_unauthorized (GTask      *task,
                   const char *reason)
{
  Op *op = task_op (task);

  g_task_return_new_error (task, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED,
                           "%s %s: %s", op->method, op->path, reason);
}

/* A sign-in, unlock or sign-out since the request was first sent: its
 * session is not this one, whoever is signed in now. */
static gboolean
session_changed (TillSession *self,
                 Op          *op)
{
  return op->generation != self->generation || g_strcmp0 (op->username, self->username) != 0;
}

/* Every request refused during the silent sign-in retries once with the
 * session it brought, or fails if there is none, or if the session is
 * not the one the request was sent for. */
static void
finish_renewal (TillSession *self,
                const char  *failure)
{
  g_autoptr(GPtrArray) waiters = g_steal_pointer (&self->renew_waiters);

  self->renew_waiters = g_ptr_array_new ();
  self->renewing = FALSE;

  for (guint i = 0; i < waiters->len; i++)
    {
      g_autoptr(GTask) task = waiters->pdata[i];

      if (session_changed (self, task_op (task)))
        fail_unauthorized (task, "the session changed");
      else if (self->token != NULL)
        send_request (g_steal_pointer (&task));
      else
        fail_unauthorized (task, failure ? failure : "the session is not valid any more");
    }
}

static void
renew_failed (TillSession *self,
              const char  *failure)
{
  /* Unless a sign-in or sign-out happened meanwhile, the cashier has to
   * sign in; what is on screen stays. */
  if (self->renew_generation == self->generation)
    drop_session (self, TILL_SESSION_NEEDS_SIGN_IN);
  finish_renewal (self, failure);
}

static void
renew_stored_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  TillSession *self = TILL_SESSION (object);

  keyring_step_finish (self, result);
  finish_renewal (self, NULL);
  g_object_unref (self);
}

static void
renew_login_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(TillSession) self = user_data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *failure = NULL;

  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result, NULL,
                                                 &error);
  if (response == NULL)
    {
      failure = g_strdup_printf ("the session is not valid any more and signing in again "
                                 "failed: %s", error->message);
      renew_failed (self, failure);
      return;
    }

  /* A sign-in, unlock or sign-out while this one ran wins over it; the
   * session this one brought is not left behind. */
  if (self->renew_generation != self->generation)
    {
      discard_login (self, response);
      finish_renewal (self, NULL);
      return;
    }

  /* The refused session it replaces is revoked (see set_token()). */
  if (!apply_login (self, response, self->username, &error))
    {
      renew_failed (self, error->message);
      return;
    }
  set_remembered (self, TRUE);
  keyring_store_async (self, self->username, TILL_CREDENTIAL_SESSION, self->token,
                       renew_stored_cb, g_object_ref (self));
}

static void
renew_password_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(TillSession) self = user_data;
  char *password = keyring_lookup_finish (self, result, NULL);

  /* Signed out, or someone signed in, while the keyring was asked: the
   * password is not posted for a session nobody uses any more. */
  if (self->renew_generation != self->generation)
    {
      g_clear_pointer (&password, wipe_free);
      finish_renewal (self, NULL);
      return;
    }
  if (password == NULL)
    {
      renew_failed (self, "the session is not valid any more and no password is remembered");
      return;
    }
  post_login_async (self, self->username, password, NULL, renew_login_cb, g_object_ref (self));
  wipe_free (password);
}

static void
join_renewal (GTask *task)
{
  TillSession *self = g_task_get_source_object (task);

  g_ptr_array_add (self->renew_waiters, task);
  if (self->renewing)
    return;
  self->renewing = TRUE;
  self->renew_generation = self->generation;
  keyring_lookup_async (self, self->username, TILL_CREDENTIAL_PASSWORD, NULL, renew_password_cb,
                        g_object_ref (self));
}

static void
request_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillSession *self = g_task_get_source_object (task);
  Op *op = task_op (task);
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&op->response, till_backend_response_unref);
  response = till_backend_client_request_finish (TILL_BACKEND_CLIENT (object), result,
                                                 &op->response, &error);
  if (response != NULL)
    {
      g_task_return_pointer (task, g_steal_pointer (&response),
                             (GDestroyNotify) till_backend_response_unref);
      return;
    }

  if (!g_error_matches (error, TILL_BACKEND_ERROR, TILL_BACKEND_ERROR_UNAUTHORIZED))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  if (op->retried)
    {
      /* Refused again right after a fresh sign-in: no second one. */
      if (g_strcmp0 (op->token, self->token) == 0)
        drop_session (self, TILL_SESSION_NEEDS_SIGN_IN);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (session_changed (self, op))
    {
      fail_unauthorized (task, "the session changed");
      return;
    }
  if (self->token == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  op->retried = TRUE;
  /* Another request already renewed the session while this one ran. */
  if (g_strcmp0 (op->token, self->token) != 0)
    {
      send_request (g_steal_pointer (&task));
      return;
    }
  join_renewal (g_steal_pointer (&task));
}

static void
send_request (GTask *task)
{
  TillSession *self = g_task_get_source_object (task);
  Op *op = task_op (task);

  g_assert (self->token != NULL);
  g_clear_pointer (&op->token, wipe_free);
  op->token = g_strdup (self->token);
  if (op->text_type != NULL)
    till_backend_client_get_text_async (self->client, op->path, op->token, op->text_type,
                                        g_task_get_cancellable (task), request_cb, task);
  else
    till_backend_client_request_async (self->client, op->method, op->path, op->token,
                                       op->idempotency_key, op->body,
                                       g_task_get_cancellable (task), request_cb, task);
}

static void
start_request (TillSession         *self,
               const char          *method,
               const char          *path,
               const char          *idempotency_key,
               JsonNode            *body,
               const char          *text_type,
               GCancellable        *cancellable,
               GAsyncReadyCallback  callback,
               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Op *op;

  task = new_task (self, cancellable, callback, user_data, till_session_request_async);
  op = task_op (task);
  op->method = g_strdup (method);
  op->path = g_strdup (path);
  op->idempotency_key = g_strdup (idempotency_key);
  op->body = body ? json_node_ref (body) : NULL;
  op->text_type = g_strdup (text_type);

  if (self->token == NULL)
    {
      fail_unauthorized (task, "no cashier is signed in");
      return;
    }
  /* Retried, after a refusal, only for this cashier and this session. */
  op->generation = self->generation;
  op->username = g_strdup (self->username);
  send_request (g_steal_pointer (&task));
}

void
till_session_request_async (TillSession         *self,
                            const char          *method,
                            const char          *path,
                            const char          *idempotency_key,
                            JsonNode            *body,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (method != NULL);
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_request (self, method, path, idempotency_key, body, NULL, cancellable, callback, user_data);
}

void
till_session_get_text_async (TillSession         *self,
                             const char          *path,
                             const char          *text_type,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_return_if_fail (TILL_IS_SESSION (self));
  g_return_if_fail (path != NULL && path[0] == '/');
  g_return_if_fail (text_type != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_request (self, "GET", path, NULL, NULL, text_type, cancellable, callback, user_data);
}

TillBackendResponse *
till_session_request_finish (TillSession          *self,
                             GAsyncResult         *result,
                             TillBackendResponse **out_response,
                             GError              **error)
{
  TillBackendResponse *response;
  Op *op;

  g_return_val_if_fail (TILL_IS_SESSION (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_session_request_async, NULL);

  op = task_op (G_TASK (result));
  response = g_task_propagate_pointer (G_TASK (result), error);
  if (out_response != NULL)
    *out_response = (response == NULL && op->response != NULL)
                    ? till_backend_response_ref (op->response) : NULL;
  return response;
}
