/* till-test-session.c: a terminal's session, signed in for real, for tests
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-harness.h"
#include "till-test-session.h"

TillSession *
till_test_signed_in_session (const char *url,
                             const char *username,
                             const char *password,
                             gboolean    remember)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillBackendClient) client = till_backend_client_new (url, NULL, &error);
  g_autoptr(TillCredentialStore) store = till_credential_store_new (APP_ID);
  g_autoptr(GAsyncResult) result = NULL;
  TillSession *session;

  g_assert_no_error (error);
  till_backend_client_set_timeouts (client, 2, 5);
  session = till_session_new (client, store);
  till_session_sign_in_async (session, username, password, remember, NULL, till_test_result_cb, &result);
  g_assert_true (till_session_sign_in_finish (session, till_test_wait (&result), &error));
  g_assert_no_error (error);
  return session;
}
