/* till-session.h: the signed-in cashier and the session every screen uses
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-backend-client.h"
#include "till-credential-store.h"

G_BEGIN_DECLS

typedef enum
{
  TILL_SESSION_SIGNED_OUT,
  TILL_SESSION_SIGNING_IN,
  TILL_SESSION_SIGNED_IN,
  TILL_SESSION_NEEDS_SIGN_IN,   /* the server refused the session and no remembered
                                 * password could renew it: ask the cashier, keep
                                 * what is on screen */
} TillSessionState;

#define TILL_TYPE_SESSION (till_session_get_type ())
G_DECLARE_FINAL_TYPE (TillSession, till_session, TILL, SESSION, GObject)

/* store may be NULL (no keyring at all). */
TillSession       *till_session_new                 (TillBackendClient    *client,
                                                     TillCredentialStore  *store);

/* Properties, all notify: "state", "username", "role", "expires-at" (gint64
 * unix time), "remembered" (a password is kept in the keyring for this
 * cashier on this terminal), "keyring-available" (FALSE once the keyring
 * failed in this run). */
TillSessionState   till_session_get_state           (TillSession          *self);
const char        *till_session_get_username        (TillSession          *self);
const char        *till_session_get_role            (TillSession          *self);
gboolean           till_session_is_manager          (TillSession          *self);
gint64             till_session_get_expires_at      (TillSession          *self);
gboolean           till_session_get_remembered      (TillSession          *self);
gboolean           till_session_get_keyring_available (TillSession        *self);
TillBackendClient *till_session_get_client          (TillSession          *self);
/* Seconds the server asked to wait in its last 429 answer, 0 if none. */
guint              till_session_get_retry_after     (TillSession          *self);

/* POST /api/login. With remember, the password and the session token are
 * stored in the keyring; a keyring failure does not fail the sign-in (see
 * "keyring-available"). Errors: TILL_BACKEND_ERROR_*. */
void               till_session_sign_in_async       (TillSession          *self,
                                                     const char           *username,
                                                     const char           *password,
                                                     gboolean              remember,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean           till_session_sign_in_finish      (TillSession          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* At start-up, for the terminal's remembered cashier: the stored session
 * is checked with GET /api/check-auth; if the server refuses it, the stored
 * password signs in again. Fails with TILL_BACKEND_ERROR_UNAUTHORIZED when
 * nothing stored works, or with the network error that stopped it. */
void               till_session_restore_async       (TillSession          *self,
                                                     const char           *username,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean           till_session_restore_finish      (TillSession          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Checks a password with the server for the signed-in cashier (unlocking
 * the terminal). On success the session is renewed with the new token. */
void               till_session_verify_password_async (TillSession        *self,
                                                     const char           *password,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean           till_session_verify_password_finish (TillSession       *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Revokes the session at the server (best effort) and forgets the stored
 * session; a remembered password stays. */
void               till_session_sign_out_async      (TillSession          *self,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean           till_session_sign_out_finish     (TillSession          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* Removes the stored password (and session) of username on this server. */
void               till_session_forget_async        (TillSession          *self,
                                                     const char           *username,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
gboolean           till_session_forget_finish       (TillSession          *self,
                                                     GAsyncResult         *result,
                                                     GError              **error);

/* An authenticated request. On a 401 it signs in again silently with the
 * remembered password, if there is one, and retries once with the same
 * Idempotency-Key; otherwise the state becomes NEEDS_SIGN_IN and the call
 * fails with TILL_BACKEND_ERROR_UNAUTHORIZED. */
void               till_session_request_async       (TillSession          *self,
                                                     const char           *method,
                                                     const char           *path,
                                                     const char           *idempotency_key,
                                                     JsonNode             *body,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback   callback,
                                                     gpointer              user_data);
/* The same for a text answer of the media type text_type (a CSV export,
 * till_backend_client_get_text_async()); finish with
 * till_session_request_finish() and read till_backend_response_get_text(). */
void               till_session_get_text_async      (TillSession          *self,
                                                     const char           *path,
                                                     const char           *text_type,
                                                     GCancellable         *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
TillBackendResponse *till_session_request_finish    (TillSession          *self,
                                                     GAsyncResult         *result,
                                                     TillBackendResponse **out_response,
                                                     GError              **error);

G_END_DECLS
