/* till-credential-store.c: the cashier's secrets in the system keyring
 *
 * A thin layer over libsecret's password API that adds what the terminal
 * needs around it: one schema (named after the app ID) with the attributes
 * server, username and kind; a label a person can read in Seahorse; errors
 * sorted into "there is no usable keyring" (UNAVAILABLE) and everything
 * else (FAILED); and a deadline, because a Secret Service that waits on an
 * unlock prompt nobody can see must not hold up a sign-in.
 *
 * Secrets only pass through here; nothing is logged or written elsewhere.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#define G_LOG_DOMAIN "till-credentials"

#include <string.h>

#include <libsecret/secret.h>

#include "till-credential-store.h"

/* Seconds. A Secret Service that answers at all answers in milliseconds;
 * this only ends waits that would otherwise never end. */
#define OPERATION_DEADLINE 10

G_DEFINE_QUARK (till-credential-error-quark, till_credential_error)

struct _TillCredentialStore
{
  GObject       parent_instance;

  /* owned references */
  char         *schema_name;
  SecretSchema *schema;
};

G_DEFINE_FINAL_TYPE (TillCredentialStore, till_credential_store, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_SCHEMA_NAME,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef enum
{
  OPERATION_STORE,
  OPERATION_LOOKUP,
  OPERATION_CLEAR,
} Operation;

typedef struct
{
  Operation     operation;
  GHashTable   *attributes;
  char         *label;        /* store only */
  char         *secret;       /* store only */
  GMainContext *context;
  /* Ours, passed to libsecret: the caller's cancellable or the deadline
   * cancels it. */
  GCancellable *cancellable;
  GSource      *caller_cancelled_source;
  GSource      *deadline;
  gboolean      caller_cancelled;
  gboolean      timed_out;
  /* Set once the task has returned: after the deadline, libsecret's late
   * answer is dropped. */
  gboolean      returned;
} Call;

static void
wipe_free (char *secret)
{
  if (secret == NULL)
    return;
  explicit_bzero (secret, strlen (secret));
  g_free (secret);
}

static void
destroy_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
call_free (gpointer data)
{
  Call *call = data;

  destroy_source (&call->caller_cancelled_source);
  destroy_source (&call->deadline);
  g_clear_pointer (&call->attributes, g_hash_table_unref);
  g_clear_pointer (&call->secret, wipe_free);
  g_clear_object (&call->cancellable);
  g_clear_pointer (&call->context, g_main_context_unref);
  g_free (call->label);
  g_free (call);
}

static const char *
kind_to_string (TillCredentialKind kind)
{
  switch (kind)
    {
    case TILL_CREDENTIAL_PASSWORD:
      return "password";
    case TILL_CREDENTIAL_SESSION:
      return "session";
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

static void
till_credential_store_constructed (GObject *object)
{
  TillCredentialStore *self = TILL_CREDENTIAL_STORE (object);

  G_OBJECT_CLASS (till_credential_store_parent_class)->constructed (object);

  g_assert (self->schema_name != NULL);
  self->schema = secret_schema_new (self->schema_name, SECRET_SCHEMA_NONE,
                                    "server", SECRET_SCHEMA_ATTRIBUTE_STRING,
                                    "username", SECRET_SCHEMA_ATTRIBUTE_STRING,
                                    "kind", SECRET_SCHEMA_ATTRIBUTE_STRING,
                                    NULL);
}

static void
till_credential_store_finalize (GObject *object)
{
  TillCredentialStore *self = TILL_CREDENTIAL_STORE (object);

  g_clear_pointer (&self->schema, secret_schema_unref);
  g_clear_pointer (&self->schema_name, g_free);

  G_OBJECT_CLASS (till_credential_store_parent_class)->finalize (object);
}

static void
till_credential_store_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  TillCredentialStore *self = TILL_CREDENTIAL_STORE (object);

  switch (prop_id)
    {
    case PROP_SCHEMA_NAME:
      g_value_set_string (value, self->schema_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_credential_store_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  TillCredentialStore *self = TILL_CREDENTIAL_STORE (object);

  switch (prop_id)
    {
    case PROP_SCHEMA_NAME:
      self->schema_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_credential_store_class_init (TillCredentialStoreClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = till_credential_store_constructed;
  object_class->finalize = till_credential_store_finalize;
  object_class->get_property = till_credential_store_get_property;
  object_class->set_property = till_credential_store_set_property;

  properties[PROP_SCHEMA_NAME] =
    g_param_spec_string ("schema-name", NULL, NULL,
                         NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY |
                         G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
till_credential_store_init (TillCredentialStore *self)
{
}

TillCredentialStore *
till_credential_store_new (const char *schema_name)
{
  g_return_val_if_fail (schema_name != NULL && *schema_name != '\0', NULL);

  return g_object_new (TILL_TYPE_CREDENTIAL_STORE, "schema-name", schema_name, NULL);
}

/* Errors */

static gboolean
is_unavailable_error (const GError *error)
{
  /* Every D-Bus failure on the way to the Secret Service means there is
   * none to use: not on the bus, cannot be activated, its default
   * collection missing ("Object does not exist at path …/collection/login"
   * is UNKNOWN_METHOD) or locked behind a prompt that could not be shown. */
  if (error->domain == G_DBUS_ERROR)
    return !g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_INVALID_ARGS);

  return g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED) ||
         g_error_matches (error, SECRET_ERROR, SECRET_ERROR_NO_SUCH_OBJECT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CLOSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE);
}

static void
call_return (GTask  *task,
             GError *error,
             char   *secret)
{
  Call *call = g_task_get_task_data (task);

  g_assert (!call->returned);
  call->returned = TRUE;
  destroy_source (&call->deadline);
  destroy_source (&call->caller_cancelled_source);

  if (error != NULL)
    g_task_return_error (task, error);
  else if (call->operation == OPERATION_LOOKUP)
    g_task_return_pointer (task, secret, (GDestroyNotify) wipe_free);
  else
    g_task_return_boolean (task, TRUE);
}

static GError *
map_error (Call         *call,
           const GError *error)
{
  if (call->timed_out)
    return g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE,
                        "The keyring did not answer within %u seconds", OPERATION_DEADLINE);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (call->caller_cancelled)
        return g_error_copy (error);
      /* libsecret reports a dismissed unlock prompt as cancelled. */
      return g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE,
                          "The keyring is locked and was not unlocked");
    }
  if (g_error_matches (error, SECRET_ERROR, SECRET_ERROR_IS_LOCKED))
    return g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE,
                        "The keyring is locked and could not be unlocked: %s", error->message);
  if (is_unavailable_error (error))
    return g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE,
                        "No usable keyring (Secret Service): %s", error->message);
  return g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_FAILED,
                      "The keyring failed: %s", error->message);
}

/* Deadline and cancellation */

/* Answers at once rather than waiting for libsecret to notice the
 * cancellation; its late answer, if any, is dropped. */
static gboolean
deadline_cb (gpointer user_data)
{
  GTask *task = user_data;
  Call *call = g_task_get_task_data (task);

  g_clear_pointer (&call->deadline, g_source_unref);
  call->timed_out = TRUE;
  g_cancellable_cancel (call->cancellable);
  if (!call->returned)
    call_return (task, map_error (call, NULL), NULL);
  return G_SOURCE_REMOVE;
}

/* A GCancellableSource rather than g_cancellable_connect(), so that the
 * task never finishes from inside the caller's g_cancellable_cancel(). */
static gboolean
caller_cancelled_cb (GCancellable *cancellable,
                     gpointer      user_data)
{
  Call *call = user_data;

  g_clear_pointer (&call->caller_cancelled_source, g_source_unref);
  call->caller_cancelled = TRUE;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

/* Operations */

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  secret_password_store_finish (result, &error);
  if (!call->returned)
    call_return (task, error ? map_error (call, error) : NULL, NULL);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  char *secret = secret_password_lookup_finish (result, &error);
  char *copy = NULL;

  /* The caller frees with g_free(); libsecret's own copy is wiped here. */
  if (secret != NULL)
    copy = g_strdup (secret);
  g_clear_pointer (&secret, secret_password_free);

  if (call->returned)
    g_clear_pointer (&copy, wipe_free);
  else
    call_return (task, error ? map_error (call, error) : NULL, copy);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* FALSE without an error: there was nothing to clear, which is fine. */
  secret_password_clear_finish (result, &error);
  if (!call->returned)
    call_return (task, error ? map_error (call, error) : NULL, NULL);
}

/* libsecret reports a missing session bus as a bare G_IO_ERROR_FAILED;
 * asking for the bus first tells that case apart. The connection is
 * GIO's shared one, which libsecret then uses too. */
static void
bus_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  TillCredentialStore *self = g_task_get_source_object (task);
  Call *call = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_finish (result, &error);

  if (call->returned)
    return;
  if (bus == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || call->timed_out)
        call_return (task, map_error (call, error), NULL);
      else
        call_return (task,
                     g_error_new (TILL_CREDENTIAL_ERROR, TILL_CREDENTIAL_ERROR_UNAVAILABLE,
                                  "No D-Bus session bus, so no keyring: %s", error->message),
                     NULL);
      return;
    }

  switch (call->operation)
    {
    case OPERATION_STORE:
      secret_password_storev (self->schema, call->attributes, SECRET_COLLECTION_DEFAULT,
                              call->label, call->secret, call->cancellable, store_cb,
                              g_steal_pointer (&task));
      /* libsecret has its own copy now. */
      g_clear_pointer (&call->secret, wipe_free);
      break;
    case OPERATION_LOOKUP:
      secret_password_lookupv (self->schema, call->attributes, call->cancellable, lookup_cb,
                               g_steal_pointer (&task));
      break;
    case OPERATION_CLEAR:
      secret_password_clearv (self->schema, call->attributes, call->cancellable, clear_cb,
                              g_steal_pointer (&task));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
start_call (TillCredentialStore *self,
            Operation            operation,
            const char          *server,
            const char          *username,
            int                  kind,
            const char          *secret,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data,
            gpointer             source_tag)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Call *call = g_new0 (Call, 1);

  g_task_set_source_tag (task, source_tag);
  g_task_set_task_data (task, call, call_free);

  call->operation = operation;
  call->context = g_main_context_ref_thread_default ();
  call->cancellable = g_cancellable_new ();
  call->attributes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (call->attributes, (gpointer) "server", g_strdup (server));
  g_hash_table_insert (call->attributes, (gpointer) "username", g_strdup (username));
  if (kind >= 0)
    g_hash_table_insert (call->attributes, (gpointer) "kind",
                         g_strdup (kind_to_string ((TillCredentialKind) kind)));
  if (operation == OPERATION_STORE)
    {
      /* What a person sees in Seahorse. */
      call->label = g_strdup_printf ("Till %s for %s on %s",
                                     kind_to_string (kind), username, server);
      call->secret = g_strdup (secret);
    }

  if (cancellable != NULL)
    {
      call->caller_cancelled_source = g_cancellable_source_new (cancellable);
      g_source_set_callback (call->caller_cancelled_source, G_SOURCE_FUNC (caller_cancelled_cb),
                             call, NULL);
      g_source_attach (call->caller_cancelled_source, call->context);
    }

  /* The source does not own the task: call_free() destroys it first. */
  call->deadline = g_timeout_source_new_seconds (OPERATION_DEADLINE);
  g_source_set_callback (call->deadline, deadline_cb, task, NULL);
  g_source_set_static_name (call->deadline, "[till] keyring deadline");
  g_source_attach (call->deadline, call->context);

  g_bus_get (G_BUS_TYPE_SESSION, call->cancellable, bus_cb, g_steal_pointer (&task));
}

void
till_credential_store_store_async (TillCredentialStore *self,
                                   const char          *server,
                                   const char          *username,
                                   TillCredentialKind   kind,
                                   const char          *secret,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TILL_IS_CREDENTIAL_STORE (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (kind == TILL_CREDENTIAL_PASSWORD || kind == TILL_CREDENTIAL_SESSION);
  g_return_if_fail (secret != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_call (self, OPERATION_STORE, server, username, kind, secret, cancellable, callback,
              user_data, till_credential_store_store_async);
}

gboolean
till_credential_store_store_finish (TillCredentialStore  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (TILL_IS_CREDENTIAL_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_credential_store_store_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

void
till_credential_store_lookup_async (TillCredentialStore *self,
                                    const char          *server,
                                    const char          *username,
                                    TillCredentialKind   kind,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_return_if_fail (TILL_IS_CREDENTIAL_STORE (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (kind == TILL_CREDENTIAL_PASSWORD || kind == TILL_CREDENTIAL_SESSION);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_call (self, OPERATION_LOOKUP, server, username, kind, NULL, cancellable, callback,
              user_data, till_credential_store_lookup_async);
}

char *
till_credential_store_lookup_finish (TillCredentialStore  *self,
                                     GAsyncResult         *result,
                                     GError              **error)
{
  g_return_val_if_fail (TILL_IS_CREDENTIAL_STORE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_credential_store_lookup_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

void
till_credential_store_clear_async (TillCredentialStore *self,
                                   const char          *server,
                                   const char          *username,
                                   int                  kind,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_return_if_fail (TILL_IS_CREDENTIAL_STORE (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (kind == -1 || kind == TILL_CREDENTIAL_PASSWORD ||
                    kind == TILL_CREDENTIAL_SESSION);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  start_call (self, OPERATION_CLEAR, server, username, kind, NULL, cancellable, callback,
              user_data, till_credential_store_clear_async);
}

gboolean
till_credential_store_clear_finish (TillCredentialStore  *self,
                                    GAsyncResult         *result,
                                    GError              **error)
{
  g_return_val_if_fail (TILL_IS_CREDENTIAL_STORE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) ==
                        till_credential_store_clear_async, FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
