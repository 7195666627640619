/* till-db.c: till-server's SQLite store
 *
 * One database file in WAL mode. Every statement is prepared with bound
 * parameters, so nothing a client sends is ever spliced into SQL.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
/* renameat2() and RENAME_NOREPLACE, for the backup. */
#define _GNU_SOURCE

#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <sqlite3.h>
#include <glib/gstdio.h>

#include "till-db.h"
#include "till-server-error.h"

#define BUSY_TIMEOUT_MS 5000

struct _TillDb
{
  GObject  parent_instance;

  sqlite3 *handle;
};

G_DEFINE_FINAL_TYPE (TillDb, till_db, G_TYPE_OBJECT)

static const char schema_v1[] =
  "CREATE TABLE users ("
  "  id INTEGER PRIMARY KEY,"
  "  name TEXT NOT NULL UNIQUE,"
  "  role TEXT NOT NULL CHECK (role IN ('cashier', 'manager')),"
  "  password_hash TEXT NOT NULL,"
  "  disabled INTEGER NOT NULL DEFAULT 0,"
  "  created INTEGER NOT NULL);"
  "CREATE TABLE sessions ("
  "  token_hash TEXT PRIMARY KEY,"
  "  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,"
  "  created INTEGER NOT NULL,"
  "  expires INTEGER NOT NULL);"
  "CREATE TABLE payments ("
  "  id TEXT NOT NULL UNIQUE,"
  "  idempotency_key TEXT NOT NULL UNIQUE,"
  "  request_hash TEXT NOT NULL,"
  "  user_id INTEGER NOT NULL REFERENCES users (id),"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  currency TEXT NOT NULL,"
  "  description TEXT,"
  "  source TEXT NOT NULL,"
  "  mode TEXT NOT NULL,"
  "  moto INTEGER NOT NULL DEFAULT 0,"
  "  status TEXT NOT NULL,"
  "  stripe_id TEXT,"
  "  client_secret TEXT,"
  "  card_brand TEXT,"
  "  card_last4 TEXT,"
  "  decline_code TEXT,"
  "  error_code TEXT,"
  "  error_message TEXT,"
  "  amount_refunded INTEGER NOT NULL DEFAULT 0,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL);"
  "CREATE INDEX payments_created ON payments (created);"
  "CREATE INDEX payments_status ON payments (status);"
  "CREATE TABLE refunds ("
  "  id TEXT PRIMARY KEY,"
  "  payment_id TEXT NOT NULL REFERENCES payments (id),"
  "  idempotency_key TEXT NOT NULL UNIQUE,"
  "  request_hash TEXT NOT NULL,"
  "  user_id INTEGER NOT NULL REFERENCES users (id),"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  reason TEXT,"
  "  status TEXT NOT NULL,"
  "  stripe_id TEXT,"
  "  error_code TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL);"
  "CREATE INDEX refunds_payment ON refunds (payment_id);"
  "PRAGMA user_version = 1;";

/* Version 2: what reaches till-server from Stripe's webhooks. A refund
 * made in Stripe's Dashboard has no cashier (user_id may be NULL) and its
 * origin is "stripe"; recovery never sends such a refund to Stripe again.
 * Each event is recorded by its id so that it is handled once. The health
 * row is what GET /api/health writes to see that the database is. */
static const char schema_v2[] =
  "CREATE TABLE refunds_v2 ("
  "  id TEXT PRIMARY KEY,"
  "  payment_id TEXT NOT NULL REFERENCES payments (id),"
  "  idempotency_key TEXT NOT NULL UNIQUE,"
  "  request_hash TEXT NOT NULL,"
  "  user_id INTEGER REFERENCES users (id),"
  "  amount INTEGER NOT NULL CHECK (amount > 0),"
  "  reason TEXT,"
  "  status TEXT NOT NULL,"
  "  stripe_id TEXT,"
  "  error_code TEXT,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL,"
  "  origin TEXT NOT NULL DEFAULT 'till' CHECK (origin IN ('till', 'stripe')));"
  "INSERT INTO refunds_v2 (id, payment_id, idempotency_key, request_hash, user_id, amount, reason,"
  "  status, stripe_id, error_code, created, updated)"
  "  SELECT id, payment_id, idempotency_key, request_hash, user_id, amount, reason, status,"
  "  stripe_id, error_code, created, updated FROM refunds;"
  "DROP TABLE refunds;"
  "ALTER TABLE refunds_v2 RENAME TO refunds;"
  "CREATE INDEX refunds_payment ON refunds (payment_id);"
  "CREATE INDEX refunds_stripe ON refunds (stripe_id);"
  "CREATE INDEX payments_stripe ON payments (stripe_id);"
  "CREATE TABLE disputes ("
  "  id TEXT PRIMARY KEY,"
  "  payment_id TEXT NOT NULL REFERENCES payments (id),"
  "  amount INTEGER NOT NULL,"
  "  reason TEXT,"
  "  status TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  updated INTEGER NOT NULL);"
  "CREATE INDEX disputes_payment ON disputes (payment_id);"
  "CREATE TABLE stripe_events ("
  "  id TEXT PRIMARY KEY,"
  "  type TEXT NOT NULL,"
  "  created INTEGER NOT NULL,"
  "  received INTEGER NOT NULL);"
  "CREATE TABLE health ("
  "  id INTEGER PRIMARY KEY CHECK (id = 1),"
  "  checked INTEGER NOT NULL);"
  /* Each 3-D Secure confirm round has its own idempotency key. */
  "ALTER TABLE payments ADD COLUMN confirm_round INTEGER NOT NULL DEFAULT 0;"
  "PRAGMA user_version = 2;";

/* Version 4: the manager's console. A refund a manager approved for a
 * cashier names that manager (approved_by; the cashier who asked is
 * user_id, as before). The audit log is append-only: triggers refuse any
 * UPDATE or DELETE of its rows, whoever holds the file open. Its actor is
 * a user name, not an id, so that an entry reads the same whatever
 * happens to the account later. */
static const char schema_v4[] =
  "ALTER TABLE refunds ADD COLUMN approved_by INTEGER REFERENCES users (id);"
  "CREATE TABLE audit ("
  "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time INTEGER NOT NULL,"
  "  actor TEXT,"
  "  action TEXT NOT NULL,"
  "  subject TEXT,"
  "  details TEXT NOT NULL DEFAULT '{}',"
  "  address TEXT);"
  "CREATE INDEX audit_action ON audit (action, id);"
  "CREATE INDEX audit_actor ON audit (actor, id);"
  "CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
  "  BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;"
  "PRAGMA user_version = 4;";

/* The schema this version writes; a database of a later one is refused. */
#define SCHEMA_VERSION 4

static void
till_db_finalize (GObject *object)
{
  TillDb *self = (TillDb *)object;

  g_clear_pointer (&self->handle, sqlite3_close_v2);

  G_OBJECT_CLASS (till_db_parent_class)->finalize (object);
}

static void
till_db_class_init (TillDbClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = till_db_finalize;
}

static void
till_db_init (TillDb *self)
{
}

void
till_user_free (TillUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->role);
  g_free (user->password_hash);
  g_free (user);
}

void
till_payment_free (TillPayment *payment)
{
  if (payment == NULL)
    return;
  g_free (payment->id);
  g_free (payment->idempotency_key);
  g_free (payment->request_hash);
  g_free (payment->user_name);
  g_free (payment->currency);
  g_free (payment->description);
  g_free (payment->source);
  g_free (payment->mode);
  g_free (payment->status);
  g_free (payment->stripe_id);
  g_free (payment->client_secret);
  g_free (payment->card_brand);
  g_free (payment->card_last4);
  g_free (payment->decline_code);
  g_free (payment->error_code);
  g_free (payment->error_message);
  g_free (payment->dispute_status);
  g_free (payment);
}

void
till_refund_free (TillRefund *refund)
{
  if (refund == NULL)
    return;
  g_free (refund->id);
  g_free (refund->payment_id);
  g_free (refund->idempotency_key);
  g_free (refund->request_hash);
  g_free (refund->reason);
  g_free (refund->status);
  g_free (refund->stripe_id);
  g_free (refund->error_code);
  g_free (refund->requested_by);
  g_free (refund->approved_by_name);
  g_free (refund);
}

static gboolean
set_db_error (TillDb      *self,
              GError     **error,
              const char  *what)
{
  int code = sqlite3_extended_errcode (self->handle);

  g_set_error (error, TILL_SERVER_ERROR,
               (code & 0xff) == SQLITE_CONSTRAINT ? TILL_SERVER_ERROR_EXISTS
                                                  : TILL_SERVER_ERROR_DATABASE,
               "%s: %s", what, sqlite3_errmsg (self->handle));
  return FALSE;
}

static void
finalize_stmt (sqlite3_stmt *stmt)
{
  sqlite3_finalize (stmt);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, finalize_stmt)

static sqlite3_stmt *
prepare (TillDb     *self,
         const char *sql)
{
  sqlite3_stmt *stmt = NULL;

  /* The SQL is all static text of this file: failing to prepare it is a
   * programming error, not a runtime condition. */
  if (sqlite3_prepare_v2 (self->handle, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("Cannot prepare “%s”: %s", sql, sqlite3_errmsg (self->handle));

  return stmt;
}

static void
bind_text (sqlite3_stmt *stmt,
           int           index,
           const char   *text)
{
  if (text == NULL)
    sqlite3_bind_null (stmt, index);
  else
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
}

static char *
column_text (sqlite3_stmt *stmt,
             int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

static gboolean
exec (TillDb      *self,
      const char  *sql,
      GError     **error)
{
  char *message = NULL;

  if (sqlite3_exec (self->handle, sql, NULL, NULL, &message) != SQLITE_OK)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "%s", message ? message : "unknown SQLite error");
      sqlite3_free (message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
migrate (TillDb  *self,
         GError **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "PRAGMA user_version");
  int version = 0;

  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  /* A statement still open would lock the tables the migration drops. */
  g_clear_pointer (&stmt, finalize_stmt);

  if (version > SCHEMA_VERSION)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "The database was written by a newer till-server (schema %d)", version);
      return FALSE;
    }
  if (version < SCHEMA_VERSION)
    {
      /* One transaction, so that a database is of one version or the
       * next, never in between. */
      if (!exec (self, "BEGIN IMMEDIATE", error))
        return FALSE;
      if ((version < 1 && !exec (self, schema_v1, error)) ||
          (version < 2 && !exec (self, schema_v2, error)) ||
          (version < 4 && !exec (self, schema_v4, error)) ||
          !exec (self, "COMMIT", error))
        {
          exec (self, "ROLLBACK", NULL);
          return FALSE;
        }
    }
  return TRUE;
}

/* The live database as a backup reads it: read-only, never migrated nor
 * changed in any way (a backup made before an upgrade must stay one the
 * old version opens), of a schema this version knows. */
TillDb *
till_db_open_read_only (const char  *path,
                        GError     **error)
{
  g_autoptr(TillDb) self = g_object_new (TILL_TYPE_DB, NULL);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int version = -1;

  if (sqlite3_open_v2 (path, &self->handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_db_error (self, error, "Cannot open the database");
      return NULL;
    }
  sqlite3_busy_timeout (self->handle, BUSY_TIMEOUT_MS);
  stmt = prepare (self, "PRAGMA user_version");
  if (sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  if (version < 1 || version > SCHEMA_VERSION)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "%s is no till-server database of a schema this version knows (%d)", path, version);
      return NULL;
    }
  return g_steal_pointer (&self);
}

TillDb *
till_db_open (const char  *path,
              GError     **error)
{
  g_autoptr(TillDb) self = g_object_new (TILL_TYPE_DB, NULL);
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "Cannot create %s: %s", dir, g_strerror (errno));
      return NULL;
    }

  if (sqlite3_open_v2 (path, &self->handle,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                       NULL) != SQLITE_OK)
    {
      set_db_error (self, error, "Cannot open the database");
      return NULL;
    }

  /* The database holds password hashes and session hashes: keep it private. */
  g_chmod (path, 0600);

  sqlite3_busy_timeout (self->handle, BUSY_TIMEOUT_MS);
  if (!exec (self, "PRAGMA journal_mode = WAL", error) ||
      !exec (self, "PRAGMA synchronous = FULL", error) ||
      !exec (self, "PRAGMA foreign_keys = ON", error) ||
      !migrate (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

static gint64
now_unix (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Users */

gboolean
till_db_add_user (TillDb      *self,
                  const char  *name,
                  const char  *role,
                  const char  *password_hash,
                  GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "INSERT INTO users (name, role, password_hash, created) VALUES (?, ?, ?, ?)");

  bind_text (stmt, 1, name);
  bind_text (stmt, 2, role);
  bind_text (stmt, 3, password_hash);
  sqlite3_bind_int64 (stmt, 4, now_unix ());

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot add the user");
  return TRUE;
}

#define USER_COLUMNS "id, name, role, password_hash, disabled, created"

static TillUser *
read_user (sqlite3_stmt *stmt,
           int           first)
{
  TillUser *user = g_new0 (TillUser, 1);

  user->id = sqlite3_column_int64 (stmt, first + 0);
  user->name = column_text (stmt, first + 1);
  user->role = column_text (stmt, first + 2);
  user->password_hash = column_text (stmt, first + 3);
  user->disabled = sqlite3_column_int (stmt, first + 4) != 0;
  user->created = sqlite3_column_int64 (stmt, first + 5);

  return user;
}

TillUser *
till_db_get_user_by_name (TillDb     *self,
                          const char *name)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT " USER_COLUMNS " FROM users WHERE name = ?");

  bind_text (stmt, 1, name);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return read_user (stmt, 0);
}

GPtrArray *
till_db_list_users (TillDb *self)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT " USER_COLUMNS " FROM users ORDER BY name");
  GPtrArray *users = g_ptr_array_new_with_free_func ((GDestroyNotify) till_user_free);

  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (users, read_user (stmt, 0));

  return users;
}

static gboolean
changed_one_user (TillDb      *self,
                  const char  *name,
                  GError     **error)
{
  if (sqlite3_changes (self->handle) == 0)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_NOT_FOUND,
                   "There is no user “%s”", name);
      return FALSE;
    }
  return TRUE;
}

gboolean
till_db_set_user_disabled (TillDb      *self,
                           const char  *name,
                           gboolean     disabled,
                           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "UPDATE users SET disabled = ? WHERE name = ?");
  g_autoptr(sqlite3_stmt) revoke =
    prepare (self, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)");

  sqlite3_bind_int (stmt, 1, disabled ? 1 : 0);
  bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the user");
  if (!changed_one_user (self, name, error))
    return FALSE;

  /* A disabled account loses its sessions at once. */
  if (disabled)
    {
      bind_text (revoke, 1, name);
      if (sqlite3_step (revoke) != SQLITE_DONE)
        return set_db_error (self, error, "Cannot revoke the user's sessions");
    }
  return TRUE;
}

gboolean
till_db_set_user_password (TillDb      *self,
                           const char  *name,
                           const char  *password_hash,
                           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "UPDATE users SET password_hash = ? WHERE name = ?");
  g_autoptr(sqlite3_stmt) revoke =
    prepare (self, "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?)");

  bind_text (stmt, 1, password_hash);
  bind_text (stmt, 2, name);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the user");
  if (!changed_one_user (self, name, error))
    return FALSE;

  /* A new password signs the old sessions out. */
  bind_text (revoke, 1, name);
  if (sqlite3_step (revoke) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot revoke the user's sessions");
  return TRUE;
}

/* What the last-manager rule counts: a database without an enabled
 * manager could only be put right from the command line. */
gint64
till_db_count_enabled_managers (TillDb *self)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT count (*) FROM users WHERE role = 'manager' AND disabled = 0");

  sqlite3_step (stmt);
  return sqlite3_column_int64 (stmt, 0);
}

gboolean
till_db_update_user (TillDb      *self,
                     gint64       id,
                     const char  *role,
                     gboolean     disabled,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "UPDATE users SET role = ?, disabled = ? WHERE id = ?");

  bind_text (stmt, 1, role);
  sqlite3_bind_int (stmt, 2, disabled ? 1 : 0);
  sqlite3_bind_int64 (stmt, 3, id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the user");
  return TRUE;
}

gboolean
till_db_revoke_sessions (TillDb      *self,
                         gint64       user_id,
                         GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "DELETE FROM sessions WHERE user_id = ?");

  sqlite3_bind_int64 (stmt, 1, user_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot revoke the user's sessions");
  return TRUE;
}

/* Sessions */

gboolean
till_db_add_session (TillDb      *self,
                     const char  *token_hash,
                     gint64       user_id,
                     gint64       expires,
                     GError     **error)
{
  g_autoptr(sqlite3_stmt) purge = prepare (self, "DELETE FROM sessions WHERE expires < ?");
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "INSERT INTO sessions (token_hash, user_id, created, expires) VALUES (?, ?, ?, ?)");

  /* Expired sessions are useless: drop them whenever a new one starts. */
  sqlite3_bind_int64 (purge, 1, now_unix () - 24 * 3600);
  sqlite3_step (purge);

  bind_text (stmt, 1, token_hash);
  sqlite3_bind_int64 (stmt, 2, user_id);
  sqlite3_bind_int64 (stmt, 3, now_unix ());
  sqlite3_bind_int64 (stmt, 4, expires);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot store the session");
  return TRUE;
}

TillUser *
till_db_lookup_session (TillDb     *self,
                        const char *token_hash,
                        gint64     *out_expires)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "SELECT s.expires, u.id, u.name, u.role, u.password_hash, u.disabled, u.created"
             " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?");

  bind_text (stmt, 1, token_hash);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;

  *out_expires = sqlite3_column_int64 (stmt, 0);
  return read_user (stmt, 1);
}

void
till_db_delete_session (TillDb     *self,
                        const char *token_hash)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "DELETE FROM sessions WHERE token_hash = ?");

  bind_text (stmt, 1, token_hash);
  sqlite3_step (stmt);
}

/* Payments */

#define PAYMENT_COLUMNS \
  "p.rowid, p.id, p.idempotency_key, p.request_hash, p.user_id, u.name, p.amount, p.currency," \
  " p.description, p.source, p.mode, p.moto, p.status, p.stripe_id, p.client_secret, p.card_brand," \
  " p.card_last4, p.decline_code, p.error_code, p.error_message, p.amount_refunded," \
  " p.created, p.updated, p.confirm_round," \
  " (SELECT d.status FROM disputes d WHERE d.payment_id = p.id ORDER BY d.created DESC LIMIT 1)"
#define PAYMENT_FROM " FROM payments p JOIN users u ON u.id = p.user_id "

static TillPayment *
read_payment (sqlite3_stmt *stmt)
{
  TillPayment *p = g_new0 (TillPayment, 1);
  int i = 0;

  p->rowid = sqlite3_column_int64 (stmt, i++);
  p->id = column_text (stmt, i++);
  p->idempotency_key = column_text (stmt, i++);
  p->request_hash = column_text (stmt, i++);
  p->user_id = sqlite3_column_int64 (stmt, i++);
  p->user_name = column_text (stmt, i++);
  p->amount = sqlite3_column_int64 (stmt, i++);
  p->currency = column_text (stmt, i++);
  p->description = column_text (stmt, i++);
  p->source = column_text (stmt, i++);
  p->mode = column_text (stmt, i++);
  p->moto = sqlite3_column_int (stmt, i++) != 0;
  p->status = column_text (stmt, i++);
  p->stripe_id = column_text (stmt, i++);
  p->client_secret = column_text (stmt, i++);
  p->card_brand = column_text (stmt, i++);
  p->card_last4 = column_text (stmt, i++);
  p->decline_code = column_text (stmt, i++);
  p->error_code = column_text (stmt, i++);
  p->error_message = column_text (stmt, i++);
  p->amount_refunded = sqlite3_column_int64 (stmt, i++);
  p->created = sqlite3_column_int64 (stmt, i++);
  p->updated = sqlite3_column_int64 (stmt, i++);
  p->confirm_round = sqlite3_column_int (stmt, i++);
  p->dispute_status = column_text (stmt, i++);

  return p;
}

gboolean
till_db_insert_payment (TillDb       *self,
                        TillPayment  *p,
                        GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "INSERT INTO payments (id, idempotency_key, request_hash, user_id, amount, currency,"
             " description, source, mode, moto, status, created, updated)"
             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  p->created = p->updated = now_unix ();
  bind_text (stmt, 1, p->id);
  bind_text (stmt, 2, p->idempotency_key);
  bind_text (stmt, 3, p->request_hash);
  sqlite3_bind_int64 (stmt, 4, p->user_id);
  sqlite3_bind_int64 (stmt, 5, p->amount);
  bind_text (stmt, 6, p->currency);
  bind_text (stmt, 7, p->description);
  bind_text (stmt, 8, p->source);
  bind_text (stmt, 9, p->mode);
  sqlite3_bind_int (stmt, 10, p->moto ? 1 : 0);
  bind_text (stmt, 11, p->status);
  sqlite3_bind_int64 (stmt, 12, p->created);
  sqlite3_bind_int64 (stmt, 13, p->updated);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot record the payment");
  p->rowid = sqlite3_last_insert_rowid (self->handle);
  return TRUE;
}

gboolean
till_db_update_payment (TillDb       *self,
                        TillPayment  *p,
                        GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "UPDATE payments SET status = ?, stripe_id = ?, client_secret = ?, card_brand = ?,"
             " card_last4 = ?, decline_code = ?, error_code = ?, error_message = ?, updated = ?,"
             " confirm_round = ? WHERE id = ?");

  p->updated = now_unix ();
  bind_text (stmt, 1, p->status);
  bind_text (stmt, 2, p->stripe_id);
  bind_text (stmt, 3, p->client_secret);
  bind_text (stmt, 4, p->card_brand);
  bind_text (stmt, 5, p->card_last4);
  bind_text (stmt, 6, p->decline_code);
  bind_text (stmt, 7, p->error_code);
  bind_text (stmt, 8, p->error_message);
  sqlite3_bind_int64 (stmt, 9, p->updated);
  sqlite3_bind_int (stmt, 10, p->confirm_round);
  bind_text (stmt, 11, p->id);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the payment");
  return TRUE;
}

static TillPayment *
get_one_payment (TillDb     *self,
                 const char *sql,
                 const char *value)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, sql);

  bind_text (stmt, 1, value);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return read_payment (stmt);
}

TillPayment *
till_db_get_payment (TillDb     *self,
                     const char *id)
{
  return get_one_payment (self, "SELECT " PAYMENT_COLUMNS PAYMENT_FROM "WHERE p.id = ?", id);
}

TillPayment *
till_db_get_payment_by_key (TillDb     *self,
                            const char *idempotency_key)
{
  return get_one_payment (self,
                          "SELECT " PAYMENT_COLUMNS PAYMENT_FROM "WHERE p.idempotency_key = ?",
                          idempotency_key);
}

/* Newest first; user_id < 0 lists everybody's, before_rowid <= 0 starts at
 * the newest. */
GPtrArray *
till_db_list_payments (TillDb *self,
                       gint64  user_id,
                       gint64  before_rowid,
                       guint   limit)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "SELECT " PAYMENT_COLUMNS PAYMENT_FROM
             "WHERE (?1 < 0 OR p.user_id = ?1) AND (?2 <= 0 OR p.rowid < ?2)"
             " ORDER BY p.rowid DESC LIMIT ?3");
  GPtrArray *payments = g_ptr_array_new_with_free_func ((GDestroyNotify) till_payment_free);

  sqlite3_bind_int64 (stmt, 1, user_id);
  sqlite3_bind_int64 (stmt, 2, before_rowid);
  sqlite3_bind_int64 (stmt, 3, limit);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (payments, read_payment (stmt));

  return payments;
}

GPtrArray *
till_db_list_payments_in_status (TillDb     *self,
                                 const char *status)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT " PAYMENT_COLUMNS PAYMENT_FROM "WHERE p.status = ? ORDER BY p.rowid");
  GPtrArray *payments = g_ptr_array_new_with_free_func ((GDestroyNotify) till_payment_free);

  bind_text (stmt, 1, status);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (payments, read_payment (stmt));

  return payments;
}

gint64
till_db_count_payments (TillDb *self)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT count(*) FROM payments");

  sqlite3_step (stmt);
  return sqlite3_column_int64 (stmt, 0);
}

/* Refunds */

#define REFUND_COLUMNS \
  "id, payment_id, idempotency_key, request_hash, user_id, amount, reason, status, stripe_id," \
  " error_code, created, updated, approved_by," \
  " (SELECT name FROM users WHERE id = refunds.user_id)," \
  " (SELECT name FROM users WHERE id = refunds.approved_by)"

static TillRefund *
read_refund (sqlite3_stmt *stmt)
{
  TillRefund *r = g_new0 (TillRefund, 1);
  int i = 0;

  r->id = column_text (stmt, i++);
  r->payment_id = column_text (stmt, i++);
  r->idempotency_key = column_text (stmt, i++);
  r->request_hash = column_text (stmt, i++);
  r->user_id = sqlite3_column_int64 (stmt, i++);
  r->amount = sqlite3_column_int64 (stmt, i++);
  r->reason = column_text (stmt, i++);
  r->status = column_text (stmt, i++);
  r->stripe_id = column_text (stmt, i++);
  r->error_code = column_text (stmt, i++);
  r->created = sqlite3_column_int64 (stmt, i++);
  r->updated = sqlite3_column_int64 (stmt, i++);
  r->approved_by = sqlite3_column_int64 (stmt, i++);
  r->requested_by = column_text (stmt, i++);
  r->approved_by_name = column_text (stmt, i++);

  return r;
}

gboolean
till_db_insert_refund (TillDb      *self,
                       TillRefund  *r,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "INSERT INTO refunds (id, payment_id, idempotency_key, request_hash, user_id, amount,"
             " reason, status, created, updated, approved_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");

  r->created = r->updated = now_unix ();
  bind_text (stmt, 1, r->id);
  bind_text (stmt, 2, r->payment_id);
  bind_text (stmt, 3, r->idempotency_key);
  bind_text (stmt, 4, r->request_hash);
  sqlite3_bind_int64 (stmt, 5, r->user_id);
  sqlite3_bind_int64 (stmt, 6, r->amount);
  bind_text (stmt, 7, r->reason);
  bind_text (stmt, 8, r->status);
  sqlite3_bind_int64 (stmt, 9, r->created);
  sqlite3_bind_int64 (stmt, 10, r->updated);
  if (r->approved_by > 0)
    sqlite3_bind_int64 (stmt, 11, r->approved_by);
  else
    sqlite3_bind_null (stmt, 11);

  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot record the refund");
  return TRUE;
}

/* Records the refund's outcome and, when it succeeded, the refunded amount
 * of its payment, in one transaction so that the two never disagree. */
gboolean
till_db_finish_refund (TillDb      *self,
                       TillRefund  *r,
                       GError     **error)
{
  g_autoptr(sqlite3_stmt) update =
    prepare (self,
             "UPDATE refunds SET status = ?, stripe_id = ?, error_code = ?, updated = ?"
             " WHERE id = ? AND status != 'succeeded'");
  g_autoptr(sqlite3_stmt) add =
    prepare (self, "UPDATE payments SET amount_refunded = amount_refunded + ?, updated = ? WHERE id = ?");

  if (!exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;

  r->updated = now_unix ();
  bind_text (update, 1, r->status);
  bind_text (update, 2, r->stripe_id);
  bind_text (update, 3, r->error_code);
  sqlite3_bind_int64 (update, 4, r->updated);
  bind_text (update, 5, r->id);
  if (sqlite3_step (update) != SQLITE_DONE)
    {
      set_db_error (self, error, "Cannot update the refund");
      exec (self, "ROLLBACK", NULL);
      return FALSE;
    }

  if (sqlite3_changes (self->handle) > 0 && g_str_equal (r->status, TILL_STATUS_SUCCEEDED))
    {
      sqlite3_bind_int64 (add, 1, r->amount);
      sqlite3_bind_int64 (add, 2, r->updated);
      bind_text (add, 3, r->payment_id);
      if (sqlite3_step (add) != SQLITE_DONE)
        {
          set_db_error (self, error, "Cannot update the refunded amount");
          exec (self, "ROLLBACK", NULL);
          return FALSE;
        }
    }

  return exec (self, "COMMIT", error);
}

TillRefund *
till_db_get_refund_by_key (TillDb     *self,
                           const char *idempotency_key)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT " REFUND_COLUMNS " FROM refunds WHERE idempotency_key = ?");

  bind_text (stmt, 1, idempotency_key);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return read_refund (stmt);
}

GPtrArray *
till_db_list_refunds_in_status (TillDb     *self,
                                const char *status)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT " REFUND_COLUMNS " FROM refunds WHERE status = ? AND origin = 'till'"
                   " ORDER BY created");
  GPtrArray *refunds = g_ptr_array_new_with_free_func ((GDestroyNotify) till_refund_free);

  bind_text (stmt, 1, status);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (refunds, read_refund (stmt));

  return refunds;
}

/* What is refunded or may still be: a pending refund holds its amount so
 * that two refunds at once cannot together exceed the payment. */
gint64
till_db_get_refunds_reserved (TillDb     *self,
                              const char *payment_id)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "SELECT coalesce (sum (amount), 0) FROM refunds"
             " WHERE payment_id = ? AND status IN ('succeeded', 'pending')");

  bind_text (stmt, 1, payment_id);
  sqlite3_step (stmt);
  return sqlite3_column_int64 (stmt, 0);
}

/* Reports */

void
till_db_get_day_totals (TillDb        *self,
                        const char    *currency,
                        gint64         start,
                        gint64         end,
                        TillDayTotals *totals)
{
  g_autoptr(sqlite3_stmt) payments =
    prepare (self,
             "SELECT coalesce (sum (status = 'succeeded'), 0),"
             " coalesce (sum (CASE WHEN status = 'succeeded' THEN amount ELSE 0 END), 0),"
             " coalesce (sum (status = 'declined'), 0),"
             " coalesce (sum (status IN ('pending', 'requires_action')), 0)"
             " FROM payments WHERE created >= ? AND created < ? AND currency = ?");
  g_autoptr(sqlite3_stmt) refunds =
    prepare (self,
             "SELECT count (*), coalesce (sum (r.amount), 0) FROM refunds r"
             " JOIN payments p ON p.id = r.payment_id"
             " WHERE r.status = 'succeeded' AND r.created >= ? AND r.created < ? AND p.currency = ?");

  g_autoptr(sqlite3_stmt) disputes =
    prepare (self,
             "SELECT count (*), coalesce (sum (d.amount), 0) FROM disputes d"
             " JOIN payments p ON p.id = d.payment_id"
             " WHERE d.created >= ? AND d.created < ? AND p.currency = ?");

  memset (totals, 0, sizeof *totals);

  sqlite3_bind_int64 (payments, 1, start);
  sqlite3_bind_int64 (payments, 2, end);
  bind_text (payments, 3, currency);
  if (sqlite3_step (payments) == SQLITE_ROW)
    {
      totals->payments_count = sqlite3_column_int64 (payments, 0);
      totals->payments_amount = sqlite3_column_int64 (payments, 1);
      totals->declined_count = sqlite3_column_int64 (payments, 2);
      totals->pending_count = sqlite3_column_int64 (payments, 3);
    }

  sqlite3_bind_int64 (refunds, 1, start);
  sqlite3_bind_int64 (refunds, 2, end);
  bind_text (refunds, 3, currency);
  if (sqlite3_step (refunds) == SQLITE_ROW)
    {
      totals->refunds_count = sqlite3_column_int64 (refunds, 0);
      totals->refunds_amount = sqlite3_column_int64 (refunds, 1);
    }

  sqlite3_bind_int64 (disputes, 1, start);
  sqlite3_bind_int64 (disputes, 2, end);
  bind_text (disputes, 3, currency);
  if (sqlite3_step (disputes) == SQLITE_ROW)
    {
      totals->disputes_count = sqlite3_column_int64 (disputes, 0);
      totals->disputes_amount = sqlite3_column_int64 (disputes, 1);
    }
}

/* The audit log */

void
till_audit_entry_free (TillAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->actor);
  g_free (entry->action);
  g_free (entry->subject);
  g_free (entry->details);
  g_free (entry->address);
  g_free (entry);
}

gboolean
till_db_add_audit (TillDb      *self,
                   const char  *actor,
                   const char  *action,
                   const char  *subject,
                   const char  *details,
                   const char  *address,
                   GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "INSERT INTO audit (time, actor, action, subject, details, address)"
                   " VALUES (?, ?, ?, ?, ?, ?)");

  sqlite3_bind_int64 (stmt, 1, now_unix ());
  bind_text (stmt, 2, actor);
  bind_text (stmt, 3, action);
  bind_text (stmt, 4, subject);
  bind_text (stmt, 5, details ? details : "{}");
  bind_text (stmt, 6, address);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot write the audit log");
  return TRUE;
}

gboolean
till_db_has_audit (TillDb *self,
                   gint64  id)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT 1 FROM audit WHERE id = ?");

  sqlite3_bind_int64 (stmt, 1, id);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* Newest first, below before_id when it is not 0; action and actor
 * filter when not NULL. */
GPtrArray *
till_db_list_audit (TillDb     *self,
                    const char *action,
                    const char *actor,
                    gint64      before_id,
                    guint       limit)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "SELECT id, time, actor, action, subject, details, address FROM audit"
                   " WHERE (?1 = 0 OR id < ?1) AND (?2 IS NULL OR action = ?2)"
                   " AND (?3 IS NULL OR actor = ?3) ORDER BY id DESC LIMIT ?4");
  GPtrArray *entries = g_ptr_array_new_with_free_func ((GDestroyNotify) till_audit_entry_free);

  sqlite3_bind_int64 (stmt, 1, before_id);
  bind_text (stmt, 2, action);
  bind_text (stmt, 3, actor);
  sqlite3_bind_int64 (stmt, 4, limit);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      TillAuditEntry *entry = g_new0 (TillAuditEntry, 1);

      entry->id = sqlite3_column_int64 (stmt, 0);
      entry->time = sqlite3_column_int64 (stmt, 1);
      entry->actor = column_text (stmt, 2);
      entry->action = column_text (stmt, 3);
      entry->subject = column_text (stmt, 4);
      entry->details = column_text (stmt, 5);
      entry->address = column_text (stmt, 6);
      g_ptr_array_add (entries, entry);
    }
  return entries;
}

/* Operations */

gboolean
till_db_begin (TillDb  *self,
               GError **error)
{
  return exec (self, "BEGIN IMMEDIATE", error);
}

gboolean
till_db_commit (TillDb  *self,
                GError **error)
{
  return exec (self, "COMMIT", error);
}

void
till_db_rollback (TillDb *self)
{
  exec (self, "ROLLBACK", NULL);
}

/* A real write, fsync included (synchronous = FULL): what a monitor wants
 * to know is whether a payment could be recorded now. */
gboolean
till_db_check_writable (TillDb  *self,
                        GError **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "INSERT OR REPLACE INTO health (id, checked) VALUES (1, ?)");

  gboolean written;

  sqlite3_bind_int64 (stmt, 1, now_unix ());
  /* A monitor's question must not hold the server for the busy timeout
   * behind a lock another process holds: busy is an answer too. */
  sqlite3_busy_timeout (self->handle, 0);
  written = sqlite3_step (stmt) == SQLITE_DONE;
  sqlite3_busy_timeout (self->handle, BUSY_TIMEOUT_MS);
  if (!written)
    return set_db_error (self, error, "The database cannot be written");
  return TRUE;
}

/* The file's data and its name both on disk before it counts as there. */
static gboolean
sync_and_rename (const char  *from,
                 const char  *to,
                 GError     **error)
{
  g_autofree char *dir = g_path_get_dirname (to);
  int fd = g_open (from, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
  int dir_fd;

  /* RENAME_NOREPLACE: a file that appeared at the name meanwhile stays. */
  if (fd < 0 || fsync (fd) != 0 || close (fd) != 0 ||
      renameat2 (AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) != 0)
    {
      int saved = errno;

      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "Cannot write %s: %s", to, g_strerror (saved));
      return FALSE;
    }
  dir_fd = g_open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

/* SQLite's online backup: a consistent copy of the whole database while
 * the server goes on writing (in WAL mode, readers do not block it). The
 * copy is written beside its final name, checked, synced and renamed, so
 * that a backup file is either whole or not there. */
gboolean
till_db_backup (TillDb      *self,
                const char  *path,
                GError     **error)
{
  g_autofree char *partial = g_strconcat (path, ".partial", NULL);
  g_autoptr(sqlite3_stmt) check = NULL;
  sqlite3 *copy = NULL;
  sqlite3_backup *backup;
  gboolean intact = FALSE;
  int fd;
  int rc;

  if (g_file_test (path, G_FILE_TEST_EXISTS | G_FILE_TEST_IS_SYMLINK))
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_EXISTS,
                   "%s exists already; a backup never overwrites a file", path);
      return FALSE;
    }
  /* It holds password and session hashes, as the database does: private
   * from its first byte (created 0600, never through a link, never over
   * a file someone put there), not chmod-ed after a window to open it. */
  g_unlink (partial);
  fd = open (partial, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int saved = errno;

      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "Cannot create %s: %s", partial, g_strerror (saved));
      return FALSE;
    }
  close (fd);
  if (sqlite3_open_v2 (partial, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL) != SQLITE_OK)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "Cannot open %s: %s", partial, copy ? sqlite3_errmsg (copy) : "out of memory");
      sqlite3_close (copy);
      g_unlink (partial);
      return FALSE;
    }

  backup = sqlite3_backup_init (copy, "main", self->handle, "main");
  if (backup == NULL)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "Cannot start the backup: %s", sqlite3_errmsg (copy));
      sqlite3_close (copy);
      g_unlink (partial);
      return FALSE;
    }
  /* All pages in one step: one read transaction, so one moment's state. */
  do
    {
      rc = sqlite3_backup_step (backup, -1);
      if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        sqlite3_sleep (50);
    }
  while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
  sqlite3_backup_finish (backup);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   "The backup failed: %s", sqlite3_errstr (rc));
      sqlite3_close (copy);
      g_unlink (partial);
      return FALSE;
    }

  /* A copy that does not pass SQLite's own check is no backup. Then the
   * copy goes out of WAL mode: one self-contained file to keep. */
  if (sqlite3_prepare_v2 (copy, "PRAGMA integrity_check", -1, &check, NULL) == SQLITE_OK &&
      sqlite3_step (check) == SQLITE_ROW)
    intact = g_strcmp0 ((const char *) sqlite3_column_text (check, 0), "ok") == 0;
  g_clear_pointer (&check, finalize_stmt);
  if (!intact || sqlite3_exec (copy, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE,
                   intact ? "The backup copy cannot be made self-contained: %s"
                          : "The backup copy does not pass SQLite's integrity check%s",
                   intact ? sqlite3_errmsg (copy) : "");
      sqlite3_close (copy);
      g_unlink (partial);
      return FALSE;
    }
  if (sqlite3_close (copy) != SQLITE_OK || !sync_and_rename (partial, path, error))
    {
      g_unlink (partial);
      if (error != NULL && *error == NULL)
        g_set_error (error, TILL_SERVER_ERROR, TILL_SERVER_ERROR_DATABASE, "Cannot close %s", partial);
      return FALSE;
    }
  return TRUE;
}

/* Webhooks */

gboolean
till_db_has_stripe_event (TillDb     *self,
                          const char *event_id)
{
  g_autoptr(sqlite3_stmt) stmt = prepare (self, "SELECT 1 FROM stripe_events WHERE id = ?");

  bind_text (stmt, 1, event_id);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

gboolean
till_db_add_stripe_event (TillDb      *self,
                          const char  *event_id,
                          const char  *type,
                          gint64       created,
                          GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "INSERT INTO stripe_events (id, type, created, received) VALUES (?, ?, ?, ?)");

  bind_text (stmt, 1, event_id);
  bind_text (stmt, 2, type);
  sqlite3_bind_int64 (stmt, 3, created);
  sqlite3_bind_int64 (stmt, 4, now_unix ());
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot record the Stripe event");
  return TRUE;
}

TillPayment *
till_db_get_payment_by_stripe_id (TillDb     *self,
                                  const char *stripe_id)
{
  return get_one_payment (self, "SELECT " PAYMENT_COLUMNS PAYMENT_FROM "WHERE p.stripe_id = ?", stripe_id);
}

static gboolean
adjust_refunded (TillDb      *self,
                 const char  *payment_id,
                 gint64       amount,
                 GError     **error)
{
  g_autoptr(sqlite3_stmt) adjust =
    prepare (self, "UPDATE payments SET amount_refunded = amount_refunded + ?, updated = ? WHERE id = ?");

  sqlite3_bind_int64 (adjust, 1, amount);
  sqlite3_bind_int64 (adjust, 2, now_unix ());
  bind_text (adjust, 3, payment_id);
  if (sqlite3_step (adjust) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the refunded amount");
  return TRUE;
}

/* A refund's state as Stripe now reports it (a refund that was pending
 * at the card network and then succeeded or failed, days later): the
 * payment's refunded amount follows, in one step, whichever way it goes.
 * Nothing is done for a refund whose request is still on its way (no
 * Stripe id yet): that request records the outcome. Call inside
 * till_db_begin(). */
gboolean
till_db_update_refund_state (TillDb      *self,
                             const char  *refund_id,
                             const char  *stripe_id,
                             const char  *status,
                             const char  *error_code,
                             GError     **error)
{
  g_autoptr(sqlite3_stmt) find =
    prepare (self, "SELECT status, amount, payment_id, stripe_id FROM refunds WHERE id = ?");
  g_autoptr(sqlite3_stmt) update =
    prepare (self, "UPDATE refunds SET status = ?, error_code = ?, updated = ? WHERE id = ?");
  g_autofree char *was = NULL;
  g_autofree char *payment_id = NULL;
  gint64 amount;
  gboolean was_counted;
  gboolean counted = g_str_equal (status, TILL_STATUS_SUCCEEDED);

  bind_text (find, 1, refund_id);
  if (sqlite3_step (find) != SQLITE_ROW)
    return TRUE;
  if (sqlite3_column_type (find, 3) == SQLITE_NULL ||
      g_strcmp0 ((const char *) sqlite3_column_text (find, 3), stripe_id) != 0)
    return TRUE;
  was = column_text (find, 0);
  amount = sqlite3_column_int64 (find, 1);
  payment_id = column_text (find, 2);
  g_clear_pointer (&find, finalize_stmt);

  /* Stripe's events come in any order, and a read-back can cross one: a
   * refund only moves forward. Failed is final; nothing goes back to
   * pending; succeeded may still fail (the card network returns it). */
  if (g_strcmp0 (was, status) == 0 || g_strcmp0 (was, TILL_STATUS_FAILED) == 0 ||
      (g_str_equal (status, TILL_STATUS_PENDING) && g_strcmp0 (was, TILL_STATUS_PENDING) != 0))
    return TRUE;

  bind_text (update, 1, status);
  bind_text (update, 2, error_code);
  sqlite3_bind_int64 (update, 3, now_unix ());
  bind_text (update, 4, refund_id);
  if (sqlite3_step (update) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the refund");

  was_counted = g_strcmp0 (was, TILL_STATUS_SUCCEEDED) == 0;
  if (counted == was_counted)
    return TRUE;
  return adjust_refunded (self, payment_id, counted ? amount : -amount, error);
}

/* Till's own refund whose answer was lost: Stripe's event names it (by
 * metadata[till_refund_id]) with its Stripe id, which is taken here, once,
 * so that its state can follow. FALSE with no error when it is not such a
 * refund. Call inside till_db_begin(). */
gboolean
till_db_adopt_refund (TillDb      *self,
                      const char  *refund_id,
                      const char  *stripe_id,
                      GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self, "UPDATE refunds SET stripe_id = ?, updated = ? WHERE id = ? AND stripe_id IS NULL"
                   " AND origin = 'till' AND status = 'pending'");

  bind_text (stmt, 1, stripe_id);
  sqlite3_bind_int64 (stmt, 2, now_unix ());
  bind_text (stmt, 3, refund_id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot update the refund");
  return sqlite3_changes (self->handle) > 0;
}

/* A refund Stripe reports that Till did not make (the Dashboard, the API
 * from elsewhere), or a change of one it already recorded that way: kept
 * as a refund of origin "stripe", and the payment's refunded amount
 * follows its state. Call inside till_db_begin(). */
gboolean
till_db_record_stripe_refund (TillDb      *self,
                              TillRefund  *r,
                              GError     **error)
{
  g_autoptr(sqlite3_stmt) find =
    prepare (self, "SELECT id, origin FROM refunds WHERE stripe_id = ?");
  g_autoptr(sqlite3_stmt) insert = NULL;
  g_autofree char *key = NULL;

  bind_text (find, 1, r->stripe_id);
  if (sqlite3_step (find) == SQLITE_ROW)
    {
      g_autofree char *id = column_text (find, 0);

      g_clear_pointer (&find, finalize_stmt);
      return till_db_update_refund_state (self, id, r->stripe_id, r->status, r->error_code, error);
    }
  g_clear_pointer (&find, finalize_stmt);

  insert = prepare (self,
                    "INSERT INTO refunds (id, payment_id, idempotency_key, request_hash, user_id, amount,"
                    " reason, status, stripe_id, error_code, created, updated, origin)"
                    " VALUES (?, ?, ?, '', NULL, ?, ?, ?, ?, ?, ?, ?, 'stripe')");
  key = g_strconcat ("stripe:", r->stripe_id, NULL);
  r->updated = now_unix ();
  bind_text (insert, 1, r->id);
  bind_text (insert, 2, r->payment_id);
  bind_text (insert, 3, key);
  sqlite3_bind_int64 (insert, 4, r->amount);
  bind_text (insert, 5, r->reason);
  bind_text (insert, 6, r->status);
  bind_text (insert, 7, r->stripe_id);
  bind_text (insert, 8, r->error_code);
  sqlite3_bind_int64 (insert, 9, r->created);
  sqlite3_bind_int64 (insert, 10, r->updated);
  if (sqlite3_step (insert) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot record the refund");
  if (!g_str_equal (r->status, TILL_STATUS_SUCCEEDED))
    return TRUE;
  return adjust_refunded (self, r->payment_id, r->amount, error);
}

/* Call inside till_db_begin(). */
gboolean
till_db_record_dispute (TillDb      *self,
                        const char  *dispute_id,
                        const char  *payment_id,
                        gint64       amount,
                        const char  *reason,
                        const char  *status,
                        gint64       created,
                        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt =
    prepare (self,
             "INSERT INTO disputes (id, payment_id, amount, reason, status, created, updated)"
             " VALUES (?, ?, ?, ?, ?, ?, ?)"
             " ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, reason = excluded.reason,"
             " status = excluded.status, updated = excluded.updated"
             /* Events come in any order: a closed dispute stays closed. */
             " WHERE disputes.status NOT IN ('won', 'lost', 'warning_closed')");

  bind_text (stmt, 1, dispute_id);
  bind_text (stmt, 2, payment_id);
  sqlite3_bind_int64 (stmt, 3, amount);
  bind_text (stmt, 4, reason);
  bind_text (stmt, 5, status);
  sqlite3_bind_int64 (stmt, 6, created);
  sqlite3_bind_int64 (stmt, 7, now_unix ());
  if (sqlite3_step (stmt) != SQLITE_DONE)
    return set_db_error (self, error, "Cannot record the dispute");
  return TRUE;
}

