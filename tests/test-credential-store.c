/* test-credential-store.c: TillCredentialStore against a real keyring
 *
 * Run through tests/keyring-session, which gives the program a private
 * D-Bus session with a real, unlocked gnome-keyring-daemon. With
 * --no-secret-service (under `keyring-session --no-secret-service`) it
 * checks instead that a bus without any Secret Service gives UNAVAILABLE
 * at once rather than a hang.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <libsecret/secret.h>

#include "till-credential-store.h"
#include "till-test-harness.h"

#define SCHEMA_NAME APP_ID ".Test"
#define SERVER "https://shop.example:8443"

/* Helpers: the async API, waited for */

static gboolean
store (TillCredentialStore  *self,
       const char           *server,
       const char           *username,
       TillCredentialKind    kind,
       const char           *secret,
       GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_credential_store_store_async (self, server, username, kind, secret, NULL,
                                     till_test_result_cb, &result);
  return till_credential_store_store_finish (self, till_test_wait (&result), error);
}

static char *
lookup (TillCredentialStore  *self,
        const char           *server,
        const char           *username,
        TillCredentialKind    kind,
        GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_credential_store_lookup_async (self, server, username, kind, NULL,
                                      till_test_result_cb, &result);
  return till_credential_store_lookup_finish (self, till_test_wait (&result), error);
}

static gboolean
clear (TillCredentialStore  *self,
       const char           *server,
       const char           *username,
       int                   kind,
       GError              **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  till_credential_store_clear_async (self, server, username, kind, NULL,
                                     till_test_result_cb, &result);
  return till_credential_store_clear_finish (self, till_test_wait (&result), error);
}

static void
assert_stored (TillCredentialStore *self,
               const char          *server,
               const char          *username,
               TillCredentialKind   kind,
               const char          *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = lookup (self, server, username, kind, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, expected);
}

/* An equivalent schema, built here and not taken from the store, so that
 * the test checks what really is in the keyring. */
static SecretSchema *
equivalent_schema (void)
{
  return secret_schema_new (SCHEMA_NAME, SECRET_SCHEMA_NONE,
                            "server", SECRET_SCHEMA_ATTRIBUTE_STRING,
                            "username", SECRET_SCHEMA_ATTRIBUTE_STRING,
                            "kind", SECRET_SCHEMA_ATTRIBUTE_STRING,
                            NULL);
}

/* With a keyring */

static const TillCredentialKind kinds[] = { TILL_CREDENTIAL_PASSWORD, TILL_CREDENTIAL_SESSION };

static void
test_store_lookup_clear (gconstpointer data)
{
  TillCredentialKind kind = *(const TillCredentialKind *) data;
  TillCredentialKind other = kind == TILL_CREDENTIAL_PASSWORD ? TILL_CREDENTIAL_SESSION
                                                             : TILL_CREDENTIAL_PASSWORD;
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  const char *user = kind == TILL_CREDENTIAL_PASSWORD ? "pat" : "sam";
  g_autoptr(GError) error = NULL;

  g_assert_true (store (self, SERVER, user, kind, "first secret", &error));
  g_assert_no_error (error);
  assert_stored (self, SERVER, user, kind, "first secret");
  /* The other kind is another item. */
  assert_stored (self, SERVER, user, other, NULL);

  /* Storing again replaces. */
  g_assert_true (store (self, SERVER, user, kind, "second secret", &error));
  g_assert_no_error (error);
  assert_stored (self, SERVER, user, kind, "second secret");

  g_assert_true (clear (self, SERVER, user, kind, &error));
  g_assert_no_error (error);
  assert_stored (self, SERVER, user, kind, NULL);

  /* Clearing nothing is success too. */
  g_assert_true (clear (self, SERVER, user, kind, &error));
  g_assert_no_error (error);
}

static void
test_lookup_nothing (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = lookup (self, SERVER, "nobody", TILL_CREDENTIAL_PASSWORD, &error);

  g_assert_no_error (error);
  g_assert_null (secret);
}

static void
test_clear_both (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  g_autoptr(GError) error = NULL;

  g_assert_true (store (self, SERVER, "kim", TILL_CREDENTIAL_PASSWORD, "kim-password", &error));
  g_assert_true (store (self, SERVER, "kim", TILL_CREDENTIAL_SESSION, "kim-session", &error));
  g_assert_true (store (self, SERVER, "lee", TILL_CREDENTIAL_PASSWORD, "lee-password", &error));
  g_assert_no_error (error);

  g_assert_true (clear (self, SERVER, "kim", -1, &error));
  g_assert_no_error (error);
  assert_stored (self, SERVER, "kim", TILL_CREDENTIAL_PASSWORD, NULL);
  assert_stored (self, SERVER, "kim", TILL_CREDENTIAL_SESSION, NULL);
  /* Another cashier's is untouched. */
  assert_stored (self, SERVER, "lee", TILL_CREDENTIAL_PASSWORD, "lee-password");
}

static void
test_separate_servers_and_users (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  g_autoptr(TillCredentialStore) other_app = till_credential_store_new (SCHEMA_NAME ".Other");
  g_autoptr(GError) error = NULL;

  g_assert_true (store (self, "https://one.example", "max", TILL_CREDENTIAL_PASSWORD, "one",
                        &error));
  g_assert_true (store (self, "https://two.example", "max", TILL_CREDENTIAL_PASSWORD, "two",
                        &error));
  g_assert_no_error (error);

  assert_stored (self, "https://one.example", "max", TILL_CREDENTIAL_PASSWORD, "one");
  assert_stored (self, "https://two.example", "max", TILL_CREDENTIAL_PASSWORD, "two");
  assert_stored (self, "https://one.example", "maxine", TILL_CREDENTIAL_PASSWORD, NULL);
  /* Another schema does not see them. */
  assert_stored (other_app, "https://one.example", "max", TILL_CREDENTIAL_PASSWORD, NULL);
}

static void
test_items_in_default_collection (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  /* Not g_autoptr: libsecret 0.20 declares SecretSchema's cleanup as
   * g_object_unref(), which crashes on this boxed type. */
  SecretSchema *schema = equivalent_schema ();
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *session = NULL;
  GList *items;
  guint found = 0;

  g_assert_true (store (self, SERVER, "alice", TILL_CREDENTIAL_PASSWORD, "alice-password-1",
                        &error));
  g_assert_true (store (self, SERVER, "alice", TILL_CREDENTIAL_SESSION, "alice-session-token",
                        &error));
  g_assert_no_error (error);

  password = secret_password_lookup_sync (schema, NULL, &error,
                                          "server", SERVER, "username", "alice", "kind", "password",
                                          NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (password, ==, "alice-password-1");
  session = secret_password_lookup_sync (schema, NULL, &error,
                                         "server", SERVER, "username", "alice", "kind", "session",
                                         NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (session, ==, "alice-session-token");
  secret_schema_unref (schema);

  service = secret_service_get_sync (SECRET_SERVICE_LOAD_COLLECTIONS, NULL, &error);
  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_LOAD_ITEMS, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (collection);

  items = secret_collection_get_items (collection);
  for (GList *l = items; l != NULL; l = l->next)
    {
      SecretItem *item = l->data;
      g_autoptr(GHashTable) attributes = secret_item_get_attributes (item);
      g_autofree char *label = secret_item_get_label (item);
      const char *kind = g_hash_table_lookup (attributes, "kind");

      if (g_strcmp0 (g_hash_table_lookup (attributes, "username"), "alice") != 0)
        continue;
      found++;
      g_assert_cmpstr (g_hash_table_lookup (attributes, "xdg:schema"), ==, SCHEMA_NAME);
      g_assert_cmpstr (g_hash_table_lookup (attributes, "server"), ==, SERVER);
      g_assert_true (g_str_equal (kind, "password") || g_str_equal (kind, "session"));
      if (g_str_equal (kind, "password"))
        g_assert_cmpstr (label, ==, "Till password for alice on " SERVER);
      else
        g_assert_cmpstr (label, ==, "Till session for alice on " SERVER);
    }
  g_list_free_full (items, g_object_unref);
  g_assert_cmpuint (found, ==, 2);
}

static void
test_cancelled (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  till_credential_store_store_async (self, SERVER, "cat", TILL_CREDENTIAL_PASSWORD, "secret",
                                     cancellable, till_test_result_cb, &result);
  g_assert_false (till_credential_store_store_finish (self, till_test_wait (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Without a Secret Service */

static void
assert_unavailable_quickly (gint64        start,
                            const GError *error)
{
  double elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

  g_test_message ("%s after %.3f s", error ? error->message : "(no error)", elapsed);
  g_assert_error (error, TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE);
  /* The store's deadline is 10 s; a missing service is known before it,
   * not by waiting it out (9 s leaves room for a loaded machine). */
  g_assert_cmpfloat (elapsed, <, 9.0);
}

static void
test_no_secret_service (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  gint64 start;

  g_assert_nonnull (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));

  {
    g_autoptr(GError) error = NULL;

    start = g_get_monotonic_time ();
    g_assert_false (store (self, SERVER, "alice", TILL_CREDENTIAL_PASSWORD, "pw", &error));
    assert_unavailable_quickly (start, error);
  }
  {
    g_autoptr(GError) error = NULL;
    g_autofree char *secret = NULL;

    start = g_get_monotonic_time ();
    secret = lookup (self, SERVER, "alice", TILL_CREDENTIAL_SESSION, &error);
    g_assert_null (secret);
    assert_unavailable_quickly (start, error);
  }
  {
    g_autoptr(GError) error = NULL;

    start = g_get_monotonic_time ();
    g_assert_false (clear (self, SERVER, "alice", -1, &error));
    assert_unavailable_quickly (start, error);
  }
}

/* A locked keyring whose unlock prompt cannot be shown (no display): the
 * prompter fails to start, and that must be UNAVAILABLE, not a hang. */
static void
test_locked (void)
{
  g_autoptr(TillCredentialStore) self = till_credential_store_new (SCHEMA_NAME);
  g_autoptr(SecretService) service = NULL;
  g_autoptr(SecretCollection) collection = NULL;
  g_autoptr(GError) error = NULL;
  GList *objects;
  gint64 start;

  g_assert_true (store (self, SERVER, "uma", TILL_CREDENTIAL_PASSWORD, "uma-password", &error));
  g_assert_no_error (error);

  service = secret_service_get_sync (SECRET_SERVICE_LOAD_COLLECTIONS, NULL, &error);
  g_assert_no_error (error);
  collection = secret_collection_for_alias_sync (service, SECRET_COLLECTION_DEFAULT,
                                                 SECRET_COLLECTION_NONE, NULL, &error);
  g_assert_no_error (error);
  objects = g_list_append (NULL, collection);
  secret_service_lock_sync (service, objects, NULL, NULL, &error);
  g_list_free (objects);
  g_assert_no_error (error);
  g_assert_true (secret_collection_get_locked (collection));

  start = g_get_monotonic_time ();
  g_assert_false (store (self, SERVER, "uma", TILL_CREDENTIAL_PASSWORD, "new-password", &error));
  assert_unavailable_quickly (start, error);
  g_clear_error (&error);

  {
    g_autofree char *secret = NULL;

    start = g_get_monotonic_time ();
    secret = lookup (self, SERVER, "uma", TILL_CREDENTIAL_PASSWORD, &error);
    /* Locked items are not handed out: either nothing, or unavailable. */
    g_assert_null (secret);
    if (error != NULL)
      assert_unavailable_quickly (start, error);
  }
}

int
main (int   argc,
      char *argv[])
{
  gboolean no_secret_service = till_test_take_flag (&argc, argv, "--no-secret-service");
  int status;

  g_test_init (&argc, &argv, NULL);

  if (no_secret_service)
    {
      g_test_add_func ("/credential-store/no-secret-service/unavailable", test_no_secret_service);
    }
  else
    {
      g_test_add_data_func ("/credential-store/password/store-lookup-clear", &kinds[0],
                            test_store_lookup_clear);
      g_test_add_data_func ("/credential-store/session/store-lookup-clear", &kinds[1],
                            test_store_lookup_clear);
      g_test_add_func ("/credential-store/lookup-nothing", test_lookup_nothing);
      g_test_add_func ("/credential-store/clear-both-kinds", test_clear_both);
      g_test_add_func ("/credential-store/separate-servers-and-users",
                       test_separate_servers_and_users);
      g_test_add_func ("/credential-store/items-in-default-collection",
                       test_items_in_default_collection);
      g_test_add_func ("/credential-store/cancelled", test_cancelled);
      /* Last: it leaves the keyring locked. */
      g_test_add_func ("/credential-store/~locked/unavailable", test_locked);
    }

  status = till_test_run ();

  /* libsecret keeps a shared connection to the service; dropping it keeps
   * leak checkers quiet. */
  secret_service_disconnect ();
  return status;
}
