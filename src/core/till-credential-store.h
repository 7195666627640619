/* till-credential-store.h: the cashier's secrets in the system keyring
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TILL_CREDENTIAL_ERROR (till_credential_error_quark ())

typedef enum
{
  TILL_CREDENTIAL_ERROR_UNAVAILABLE,  /* no Secret Service, or it cannot be unlocked */
  TILL_CREDENTIAL_ERROR_FAILED,
} TillCredentialError;

GQuark till_credential_error_quark (void);

typedef enum
{
  TILL_CREDENTIAL_PASSWORD,
  TILL_CREDENTIAL_SESSION,
} TillCredentialKind;

#define TILL_TYPE_CREDENTIAL_STORE (till_credential_store_get_type ())
G_DECLARE_FINAL_TYPE (TillCredentialStore, till_credential_store, TILL, CREDENTIAL_STORE, GObject)

/* schema_name: the app ID; items carry the attributes server, username and
 * kind ("password" or "session"). */
TillCredentialStore *till_credential_store_new           (const char           *schema_name);
void                 till_credential_store_store_async   (TillCredentialStore  *self,
                                                          const char           *server,
                                                          const char           *username,
                                                          TillCredentialKind    kind,
                                                          const char           *secret,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             till_credential_store_store_finish  (TillCredentialStore  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
/* Finishes with NULL and no error when nothing is stored. */
void                 till_credential_store_lookup_async  (TillCredentialStore  *self,
                                                          const char           *server,
                                                          const char           *username,
                                                          TillCredentialKind    kind,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
char                *till_credential_store_lookup_finish (TillCredentialStore  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);
/* Clears one kind, or both when kind is -1. Clearing nothing is success. */
void                 till_credential_store_clear_async   (TillCredentialStore  *self,
                                                          const char           *server,
                                                          const char           *username,
                                                          int                   kind,
                                                          GCancellable         *cancellable,
                                                          GAsyncReadyCallback   callback,
                                                          gpointer              user_data);
gboolean             till_credential_store_clear_finish  (TillCredentialStore  *self,
                                                          GAsyncResult         *result,
                                                          GError              **error);

G_END_DECLS
