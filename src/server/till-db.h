/* till-db.h: till-server's SQLite store
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define TILL_TYPE_DB (till_db_get_type ())
G_DECLARE_FINAL_TYPE (TillDb, till_db, TILL, DB, GObject)

typedef struct
{
  gint64    id;
  char     *name;
  char     *role;          /* "cashier" or "manager" */
  char     *password_hash;
  gboolean  disabled;
  gint64    created;
} TillUser;

/* Payment and refund states; "pending" means the outcome at Stripe is not
 * known yet and must be resolved with the same idempotency key. */
#define TILL_STATUS_PENDING         "pending"
#define TILL_STATUS_SUCCEEDED       "succeeded"
#define TILL_STATUS_DECLINED        "declined"
#define TILL_STATUS_REQUIRES_ACTION "requires_action"
#define TILL_STATUS_FAILED          "failed"

typedef struct
{
  gint64  rowid;
  char   *id;
  char   *idempotency_key;
  char   *request_hash;
  gint64  user_id;
  char   *user_name;
  gint64  amount;
  char   *currency;
  char   *description;
  char   *source;          /* tok_… or pm_… */
  char   *mode;            /* "charges" or "payment_intents" */
  gboolean moto;           /* flagged as a mail or telephone order */
  char   *status;
  char   *stripe_id;       /* ch_… or pi_… */
  char   *client_secret;
  char   *card_brand;
  char   *card_last4;
  char   *decline_code;
  char   *error_code;
  char   *error_message;
  gint64  amount_refunded;
  gint64  created;
  gint64  updated;
  int     confirm_round;   /* 3-D Secure confirms answered requires_action */
  char   *dispute_status;  /* Stripe's status of its latest dispute; NULL: none */
} TillPayment;

typedef struct
{
  char   *id;
  char   *payment_id;
  char   *idempotency_key;
  char   *request_hash;
  gint64  user_id;
  gint64  amount;
  char   *reason;
  char   *status;
  char   *stripe_id;
  char   *error_code;
  gint64  created;
  gint64  updated;
  gint64  approved_by;     /* the manager who approved it; 0: none */
  char   *requested_by;    /* read only: the name of user_id */
  char   *approved_by_name; /* read only: the name of approved_by */
} TillRefund;

/* The audit log's actions (docs/api.md, "The audit entry"): a fixed set. */
#define TILL_AUDIT_LOGIN                "login"
#define TILL_AUDIT_LOGIN_FAILED         "login_failed"
#define TILL_AUDIT_LOGOUT               "logout"
#define TILL_AUDIT_REFUND               "refund"
#define TILL_AUDIT_APPROVAL_GRANTED     "approval_granted"
#define TILL_AUDIT_APPROVAL_REFUSED     "approval_refused"
#define TILL_AUDIT_STAFF_ADDED          "staff_added"
#define TILL_AUDIT_STAFF_CHANGED        "staff_changed"
#define TILL_AUDIT_STAFF_PASSWORD_RESET "staff_password_reset"

/* One line of the audit log (docs/api.md, "The audit entry"); details
 * is a JSON object's text. */
typedef struct
{
  gint64  id;
  gint64  time;
  char   *actor;
  char   *action;
  char   *subject;
  char   *details;
  char   *address;
} TillAuditEntry;

typedef struct
{
  gint64 payments_count;
  gint64 payments_amount;
  gint64 declined_count;
  gint64 refunds_count;
  gint64 refunds_amount;
  gint64 pending_count;
  gint64 disputes_count;
  gint64 disputes_amount;
} TillDayTotals;

void         till_user_free               (TillUser      *user);
void         till_payment_free            (TillPayment   *payment);
void         till_refund_free             (TillRefund    *refund);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillUser, till_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillPayment, till_payment_free)
void         till_audit_entry_free        (TillAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillRefund, till_refund_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillAuditEntry, till_audit_entry_free)

TillDb      *till_db_open                 (const char    *path,
                                           GError       **error);
TillDb      *till_db_open_read_only       (const char    *path,
                                           GError       **error);

gboolean     till_db_add_user             (TillDb        *self,
                                           const char    *name,
                                           const char    *role,
                                           const char    *password_hash,
                                           GError       **error);
TillUser    *till_db_get_user_by_name     (TillDb        *self,
                                           const char    *name);
GPtrArray   *till_db_list_users           (TillDb        *self);
gboolean     till_db_set_user_disabled    (TillDb        *self,
                                           const char    *name,
                                           gboolean       disabled,
                                           GError       **error);
gboolean     till_db_set_user_password    (TillDb        *self,
                                           const char    *name,
                                           const char    *password_hash,
                                           GError       **error);
gint64       till_db_count_enabled_managers (TillDb      *self);
gboolean     till_db_update_user          (TillDb        *self,
                                           gint64         id,
                                           const char    *role,
                                           gboolean       disabled,
                                           GError       **error);
gboolean     till_db_revoke_sessions      (TillDb        *self,
                                           gint64         user_id,
                                           GError       **error);

gboolean     till_db_add_session          (TillDb        *self,
                                           const char    *token_hash,
                                           gint64         user_id,
                                           gint64         expires,
                                           GError       **error);
TillUser    *till_db_lookup_session       (TillDb        *self,
                                           const char    *token_hash,
                                           gint64        *out_expires);
void         till_db_delete_session       (TillDb        *self,
                                           const char    *token_hash);

gboolean     till_db_insert_payment       (TillDb        *self,
                                           TillPayment   *payment,
                                           GError       **error);
gboolean     till_db_update_payment       (TillDb        *self,
                                           TillPayment   *payment,
                                           GError       **error);
TillPayment *till_db_get_payment          (TillDb        *self,
                                           const char    *id);
TillPayment *till_db_get_payment_by_key   (TillDb        *self,
                                           const char    *idempotency_key);
GPtrArray   *till_db_list_payments        (TillDb        *self,
                                           gint64         user_id,
                                           gint64         before_rowid,
                                           guint          limit);
GPtrArray   *till_db_list_payments_in_status (TillDb     *self,
                                           const char    *status);
gint64       till_db_count_payments       (TillDb        *self);

gboolean     till_db_insert_refund        (TillDb        *self,
                                           TillRefund    *refund,
                                           GError       **error);
gboolean     till_db_finish_refund        (TillDb        *self,
                                           TillRefund    *refund,
                                           GError       **error);
TillRefund  *till_db_get_refund_by_key    (TillDb        *self,
                                           const char    *idempotency_key);
GPtrArray   *till_db_list_refunds_in_status (TillDb      *self,
                                           const char    *status);
gint64       till_db_get_refunds_reserved (TillDb        *self,
                                           const char    *payment_id);

void         till_db_get_day_totals       (TillDb        *self,
                                           const char    *currency,
                                           gint64         start,
                                           gint64         end,
                                           TillDayTotals *totals);

/* The audit log: append only */
gboolean     till_db_add_audit            (TillDb        *self,
                                           const char    *actor,
                                           const char    *action,
                                           const char    *subject,
                                           const char    *details,
                                           const char    *address,
                                           GError       **error);
gboolean     till_db_has_audit            (TillDb        *self,
                                           gint64         id);
GPtrArray   *till_db_list_audit           (TillDb        *self,
                                           const char    *action,
                                           const char    *actor,
                                           gint64         before_id,
                                           guint          limit);

/* Operations */
gboolean     till_db_begin                (TillDb        *self,
                                           GError       **error);
gboolean     till_db_commit               (TillDb        *self,
                                           GError       **error);
void         till_db_rollback             (TillDb        *self);
gboolean     till_db_check_writable       (TillDb        *self,
                                           GError       **error);
gboolean     till_db_backup               (TillDb        *self,
                                           const char    *path,
                                           GError       **error);

/* Webhooks */
gboolean     till_db_has_stripe_event     (TillDb        *self,
                                           const char    *event_id);
gboolean     till_db_add_stripe_event     (TillDb        *self,
                                           const char    *event_id,
                                           const char    *type,
                                           gint64         created,
                                           GError       **error);
TillPayment *till_db_get_payment_by_stripe_id (TillDb    *self,
                                           const char    *stripe_id);
gboolean     till_db_adopt_refund         (TillDb        *self,
                                           const char    *refund_id,
                                           const char    *stripe_id,
                                           GError       **error);
gboolean     till_db_update_refund_state  (TillDb        *self,
                                           const char    *refund_id,
                                           const char    *stripe_id,
                                           const char    *status,
                                           const char    *error_code,
                                           GError       **error);
gboolean     till_db_record_stripe_refund (TillDb        *self,
                                           TillRefund    *refund,
                                           GError       **error);
gboolean     till_db_record_dispute       (TillDb        *self,
                                           const char    *dispute_id,
                                           const char    *payment_id,
                                           gint64         amount,
                                           const char    *reason,
                                           const char    *status,
                                           gint64         created,
                                           GError       **error);

G_END_DECLS
