/* till-audit-entry.h: one entry of the server's audit log
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define TILL_TYPE_AUDIT_ENTRY (till_audit_entry_get_type ())
G_DECLARE_FINAL_TYPE (TillAuditEntry, till_audit_entry, TILL, AUDIT_ENTRY, GObject)

/* An entry of GET /api/audit, read strictly; NULL with error when it is
 * not one (docs/api.md, "The audit entry"). */
TillAuditEntry *till_audit_entry_new_from_json (JsonObject     *object,
                                                GError        **error);

gint64          till_audit_entry_get_id        (TillAuditEntry *self);
/* In UTC; the caller shows it in the local time zone. */
GDateTime      *till_audit_entry_get_time      (TillAuditEntry *self);
/* NULL for a failed sign-in, or a change made on the server's command line. */
const char     *till_audit_entry_get_actor     (TillAuditEntry *self);
const char     *till_audit_entry_get_action    (TillAuditEntry *self);
/* A user name or a payment id, or NULL. */
const char     *till_audit_entry_get_subject   (TillAuditEntry *self);
/* Never NULL; members depend on the action. */
JsonObject     *till_audit_entry_get_details   (TillAuditEntry *self);

G_END_DECLS
