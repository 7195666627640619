/* till-api-staff.c: till-server's staff accounts and audit log routes
 *
 * A manager lists, adds, changes and disables staff, and resets their
 * passwords, as `till-server user` does from the command line and by the
 * same rules (till-api-input.c). Each change and its audit entry are
 * written in one transaction, so that neither is ever there without the
 * other, and the rule that one enabled manager always remains is checked
 * inside it: two requests at the same instant cannot both pass it.
 *
 * The audit log is append-only (till-db.c's triggers); this file writes
 * its entries for every resource and reads them back for GET /api/audit.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include <string.h>

#include "till-api-private.h"
#include "till-crypto.h"
#include "till-json-util.h"
#include "till-server-error.h"

#define DEFAULT_AUDIT_LIMIT 25
#define MAX_AUDIT_LIMIT     100
/* An address as the server saw it: IPv6 text is at most 45 bytes. */
#define MAX_AUDIT_ADDRESS   64

static const char * const audit_actions[] = {
  TILL_AUDIT_LOGIN, TILL_AUDIT_LOGIN_FAILED, TILL_AUDIT_LOGOUT, TILL_AUDIT_REFUND,
  TILL_AUDIT_APPROVAL_GRANTED, TILL_AUDIT_APPROVAL_REFUSED, TILL_AUDIT_STAFF_ADDED,
  TILL_AUDIT_STAFF_CHANGED, TILL_AUDIT_STAFF_PASSWORD_RESET, NULL
};

/* The audit log */

/**
 * till_api_audit:
 * @req: the request, whose client address is recorded
 * @actor: (nullable): the user who acted
 * @action: one of the TILL_AUDIT_ names
 * @subject: (nullable): what it was done to: a user name or a payment id
 * @details: (nullable): a builder inside an open object, closed here
 *
 * Returns: whether the entry was written (a failure is logged)
 */
gboolean
till_api_audit (TillApiRequest *req,
                const char     *actor,
                const char     *action,
                const char     *subject,
                JsonBuilder    *details)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const char *host = soup_server_message_get_remote_host (req->msg);
  g_autofree char *address = host ? g_strndup (host, MAX_AUDIT_ADDRESS) : NULL;

  g_assert (g_strv_contains (audit_actions, action));
  if (details != NULL)
    {
      g_autoptr(JsonNode) root = NULL;

      json_builder_end_object (details);
      root = json_builder_get_root (details);
      text = till_json_write (root);
    }
  if (!till_db_add_audit (req->self->db, actor, action, subject, text, address, &error))
    {
      g_warning ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/**
 * till_api_audit_add_name_tried:
 * @details: an open object
 * @self: the API
 * @member: the member's name
 * @name: a user name someone typed
 *
 * Adds what the log may keep of a name someone typed: the name when it is
 * a user's; else only the first 16 hex digits of its SHA-256, as @member
 * with "_sha256" after it, since people type their password into the name
 * field. The name is at most 64 bytes without control characters by then
 * (till-api-input.c).
 *
 * Returns: whether @name is a user's
 */
gboolean
till_api_audit_add_name_tried (JsonBuilder *details,
                               TillApi     *self,
                               const char  *member,
                               const char  *name)
{
  g_autoptr(TillUser) known = till_db_get_user_by_name (self->db, name);
  g_autofree char *hash = NULL;
  g_autofree char *hash_member = NULL;

  if (known != NULL)
    {
      till_api_add_string (details, member, known->name);
      return TRUE;
    }
  hash = till_crypto_sha256_hex (name, -1);
  hash[16] = '\0';
  hash_member = g_strconcat (member, "_sha256", NULL);
  till_api_add_string (details, hash_member, hash);
  return FALSE;
}

static void
add_audit_entry (JsonBuilder    *builder,
                 TillAuditEntry *entry)
{
  g_autoptr(JsonNode) details = json_from_string (entry->details, NULL);

  json_builder_begin_object (builder);
  till_api_add_int (builder, "id", entry->id);
  till_api_add_time (builder, "time", entry->time);
  till_api_add_string (builder, "actor", entry->actor);
  till_api_add_string (builder, "action", entry->action);
  till_api_add_string (builder, "subject", entry->subject);
  json_builder_set_member_name (builder, "details");
  if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
    json_builder_add_value (builder, g_steal_pointer (&details));
  else
    {
      json_builder_begin_object (builder);
      json_builder_end_object (builder);
    }
  till_api_add_string (builder, "address", entry->address);
  json_builder_end_object (builder);
}

static const char *
query_param (TillApiRequest *req,
             const char     *name)
{
  return req->query ? g_hash_table_lookup (req->query, name) : NULL;
}

static void
handle_list_audit (TillApiRequest *req)
{
  const char *limit_str = query_param (req, "limit");
  const char *after = query_param (req, "starting_after");
  const char *action = query_param (req, "action");
  const char *actor = query_param (req, "actor");
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GPtrArray) entries = NULL;
  guint64 limit = DEFAULT_AUDIT_LIMIT;
  guint64 before_id = 0;
  gboolean has_more;

  if (limit_str != NULL &&
      !g_ascii_string_to_unsigned (limit_str, 10, 1, MAX_AUDIT_LIMIT, &limit, NULL))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "limit", "limit must be 1 to 100");
      return;
    }
  if (after != NULL &&
      (strlen (after) > 18 || !g_ascii_string_to_unsigned (after, 10, 1, G_MAXINT64, &before_id, NULL) ||
       !till_db_has_audit (req->self->db, (gint64) before_id)))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "starting_after",
                                 "starting_after is not the id of an audit entry");
      return;
    }
  if (action != NULL && !g_strv_contains (audit_actions, action))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "action",
                                 "action is not one of the audit log's actions");
      return;
    }
  if (actor != NULL && !till_api_input_valid_username (actor))
    {
      till_api_send_error_param (req->msg, 400, "invalid_parameter", "actor", "actor is not a user name");
      return;
    }

  entries = till_db_list_audit (req->self->db, action, actor, (gint64) before_id, (guint) limit + 1);
  has_more = entries->len > limit;
  if (has_more)
    g_ptr_array_set_size (entries, (guint) limit);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    add_audit_entry (builder, g_ptr_array_index (entries, i));
  till_api_send_list (req->msg, builder, has_more);
}

/* Staff */

static void
send_staff (TillApiRequest *req,
            guint           status,
            TillUser       *user)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  till_api_add_staff (builder, user);
  till_api_send_json (req->msg, status, builder);
}

static void
send_user_not_found (TillApiRequest *req)
{
  till_api_send_error (req->msg, 404, "user_not_found", "There is no user of that name");
}

static void
handle_list_staff (TillApiRequest *req)
{
  g_autoptr(GPtrArray) users = till_db_list_users (req->self->db);
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "data");
  json_builder_begin_array (builder);
  for (guint i = 0; i < users->len; i++)
    till_api_add_staff (builder, g_ptr_array_index (users, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

/* A new password is hashed (Argon2id, tens of milliseconds and 64 MiB) off
 * the main loop, in one of the sign-in check slots, so that the memory it
 * takes stays bounded; then is called with the request and the hash. */
typedef void (*HashedFunc) (TillApiRequest *req,
                            const char     *hash);

typedef struct
{
  char       *password;
  char       *slot;
  HashedFunc  then;
} HashData;

static void
hash_data_free (HashData *data)
{
  g_free (data->slot);
  explicit_bzero (data->password, strlen (data->password));
  g_free (data->password);
  g_free (data);
}

static void
hash_thread (GTask        *task,
             gpointer      source_object,
             gpointer      task_data,
             GCancellable *cancellable)
{
  HashData *data = task_data;
  GError *error = NULL;
  char *hash = till_crypto_hash_password (data->password, &error);

  if (hash == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, hash, g_free);
}

static void
hashed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(TillApiRequest) req = user_data;
  HashData *data = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = g_task_propagate_pointer (G_TASK (result), &error);

  soup_server_message_unpause (req->msg);
  till_api_release_hash_slot (req->self, data->slot);
  if (!till_api_session_holds (req))
    return;
  if (hash == NULL)
    {
      g_warning ("Cannot hash a password: %s", error->message);
      till_api_send_error (req->msg, 500, "internal_error", "The password could not be stored");
      return;
    }
  data->then (req, hash);
}

static void
hash_password_then (TillApiRequest *req,
                    const char     *password,
                    HashedFunc      then)
{
  g_autofree char *slot = till_api_take_hash_slot (req);
  g_autoptr(GTask) task = NULL;
  HashData *data;

  if (slot == NULL)
    return;
  task = g_task_new (NULL, NULL, hashed_cb, till_api_request_suspend (req));
  data = g_new0 (HashData, 1);
  data->password = g_strdup (password);
  data->slot = g_steal_pointer (&slot);
  data->then = then;
  g_task_set_task_data (task, data, (GDestroyNotify) hash_data_free);
  g_task_run_in_thread (task, hash_thread);
}

/* Re-reads the body a handler checked before its password was hashed. */
static JsonObject *
reparse_body (TillApiRequest *req)
{
  JsonObject *body = till_api_parse_body (req, FALSE);

  g_assert (body != NULL);
  return body;
}

/* Ends the transaction the change was made in: committed, or rolled back
 * and answered 500. */
static gboolean
commit_or_fail (TillApiRequest *req,
                GError         *error)
{
  if (error == NULL && till_db_commit (req->self->db, &error))
    return TRUE;
  g_warning ("%s", error->message);
  till_db_rollback (req->self->db);
  till_api_send_error (req->msg, 500, "internal_error", "The change could not be stored");
  return FALSE;
}

static void
add_staff_hashed (TillApiRequest *req,
                  const char     *hash)
{
  TillDb *db = req->self->db;
  g_autoptr(JsonObject) body = reparse_body (req);
  g_autoptr(JsonBuilder) details = json_builder_new ();
  g_autoptr(TillUser) user = NULL;
  g_autoptr(GError) error = NULL;
  TillStaffInput input;
  TillApiProblem problem;

  if (!till_api_input_new_staff (body, &input, &problem))
    g_assert_not_reached ();
  json_builder_begin_object (details);
  till_api_add_string (details, "role", input.role);
  if (!till_db_begin (db, &error))
    {
      commit_or_fail (req, error);
      return;
    }
  if (!till_db_add_user (db, input.username, input.role, hash, &error))
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS))
        {
          till_db_rollback (db);
          till_api_send_error_param (req->msg, 409, "username_taken", "username",
                                     "A user of that name exists already");
          return;
        }
      commit_or_fail (req, error);
      return;
    }
  if (!till_api_audit (req, req->user->name, TILL_AUDIT_STAFF_ADDED, input.username, details))
    g_set_error_literal (&error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE, "Cannot write the audit log");
  if (!commit_or_fail (req, g_steal_pointer (&error)))
    return;
  user = till_db_get_user_by_name (db, input.username);
  send_staff (req, 201, user);
}

static void
handle_add_staff (TillApiRequest *req)
{
  g_autoptr(JsonObject) body = till_api_parse_body (req, FALSE);
  g_autoptr(TillUser) existing = NULL;
  TillStaffInput input;
  TillApiProblem problem;

  if (body == NULL)
    return;
  if (!till_api_input_new_staff (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  /* Checked again when the user is added, after the hash. */
  if ((existing = till_db_get_user_by_name (req->self->db, input.username)) != NULL)
    {
      till_api_send_error_param (req->msg, 409, "username_taken", "username",
                                 "A user of that name exists already");
      return;
    }
  hash_password_then (req, input.password, add_staff_hashed);
}

static void
add_state (JsonBuilder *details,
           const char  *member,
           const char  *role,
           gboolean     disabled)
{
  json_builder_set_member_name (details, member);
  json_builder_begin_object (details);
  till_api_add_string (details, "role", role);
  json_builder_set_member_name (details, "disabled");
  json_builder_add_boolean_value (details, disabled);
  json_builder_end_object (details);
}

/* Inside the transaction: the change, its sessions and its audit entry.
 * FALSE when it was answered (and the transaction rolled back). */
static gboolean
change_user (TillApiRequest *req,
             TillUser       *user,
             const char     *role,
             gboolean        disabled)
{
  TillDb *db = req->self->db;
  g_autoptr(JsonBuilder) details = json_builder_new ();
  g_autoptr(GError) error = NULL;
  gboolean was_manager = till_api_is_manager (user) && !user->disabled;
  gboolean is_manager = g_str_equal (role, "manager") && !disabled;

  /* Counted inside the transaction (BEGIN IMMEDIATE): of two requests at
   * once, the second sees what the first did. */
  if (was_manager && !is_manager && till_db_count_enabled_managers (db) <= 1)
    {
      till_db_rollback (db);
      till_api_send_error (req->msg, 409, "last_manager",
                           "This is the last enabled manager; make another manager first");
      return FALSE;
    }
  json_builder_begin_object (details);
  add_state (details, "before", user->role, user->disabled);
  add_state (details, "after", role, disabled);
  if (!till_db_update_user (db, user->id, role, disabled, &error) ||
      /* Disabled or no longer a manager: their sessions end now, so that
       * nothing runs on with rights they no longer have. */
      ((disabled || (till_api_is_manager (user) && !g_str_equal (role, "manager"))) &&
       !till_db_revoke_sessions (db, user->id, &error)))
    return commit_or_fail (req, g_steal_pointer (&error));
  if (!till_api_audit (req, req->user->name, TILL_AUDIT_STAFF_CHANGED, user->name, details))
    g_set_error_literal (&error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE, "Cannot write the audit log");
  return commit_or_fail (req, g_steal_pointer (&error));
}

static void
handle_change_staff (TillApiRequest *req)
{
  TillDb *db = req->self->db;
  g_autofree char *name = till_api_path_username (req, 2);
  g_autoptr(JsonObject) body = till_api_parse_body (req, FALSE);
  g_autoptr(TillUser) user = NULL;
  g_autoptr(GError) error = NULL;
  TillStaffInput input;
  TillApiProblem problem;
  const char *role;
  gboolean disabled;

  if (body == NULL)
    return;
  if (!till_api_input_staff_change (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  if (!till_db_begin (db, &error))
    {
      commit_or_fail (req, g_steal_pointer (&error));
      return;
    }
  if ((user = till_db_get_user_by_name (db, name)) == NULL)
    {
      till_db_rollback (db);
      send_user_not_found (req);
      return;
    }
  role = input.role ? input.role : user->role;
  disabled = input.disabled >= 0 ? input.disabled : user->disabled;
  if (g_str_equal (role, user->role) && disabled == user->disabled)
    till_db_rollback (db);   /* nothing changes: nothing to record */
  else if (!change_user (req, user, role, disabled))
    return;

  g_clear_pointer (&user, till_user_free);
  user = till_db_get_user_by_name (db, name);
  send_staff (req, 200, user);
}

static void
reset_password_hashed (TillApiRequest *req,
                       const char     *hash)
{
  TillDb *db = req->self->db;
  g_autofree char *name = till_api_path_username (req, 2);
  g_autoptr(GError) error = NULL;

  if (!till_db_begin (db, &error))
    {
      commit_or_fail (req, g_steal_pointer (&error));
      return;
    }
  /* Changing the password signs the user's sessions out (till-db.c). */
  if (!till_db_set_user_password (db, name, hash, &error))
    {
      if (g_error_matches (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_NOT_FOUND))
        {
          till_db_rollback (db);
          send_user_not_found (req);
          return;
        }
      commit_or_fail (req, g_steal_pointer (&error));
      return;
    }
  if (!till_api_audit (req, req->user->name, TILL_AUDIT_STAFF_PASSWORD_RESET, name, NULL))
    g_set_error_literal (&error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE, "Cannot write the audit log");
  if (commit_or_fail (req, g_steal_pointer (&error)))
    soup_server_message_set_status (req->msg, 204, NULL);
}

static void
handle_reset_password (TillApiRequest *req)
{
  g_autofree char *name = till_api_path_username (req, 2);
  g_autoptr(JsonObject) body = till_api_parse_body (req, FALSE);
  g_autoptr(TillUser) user = NULL;
  TillStaffInput input;
  TillApiProblem problem;

  if (body == NULL)
    return;
  if (!till_api_input_new_password (body, &input, &problem))
    {
      till_api_send_problem (req->msg, &problem);
      return;
    }
  if ((user = till_db_get_user_by_name (req->self->db, name)) == NULL)
    {
      send_user_not_found (req);
      return;
    }
  hash_password_then (req, input.password, reset_password_hashed);
}

const TillApiRoute till_api_staff_routes[] = {
  { "GET", "api/staff", TILL_API_ACCESS_MANAGER, handle_list_staff },
  { "POST", "api/staff", TILL_API_ACCESS_MANAGER, handle_add_staff },
  { "PATCH", "api/staff/@", TILL_API_ACCESS_MANAGER, handle_change_staff },
  { "POST", "api/staff/@/password", TILL_API_ACCESS_MANAGER, handle_reset_password },
  { "GET", "api/audit", TILL_API_ACCESS_MANAGER, handle_list_audit },
  { NULL }
};
