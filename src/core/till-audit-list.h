/* till-audit-list.h: the server's audit log, a page at a time, as a list model
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-audit-entry.h"
#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_AUDIT_LIST (till_audit_list_get_type ())
G_DECLARE_FINAL_TYPE (TillAuditList, till_audit_list, TILL, AUDIT_LIST, GObject)

/* A GListModel of TillAuditEntry, newest first, empty until reloaded. */
TillAuditList *till_audit_list_new          (TillSession   *session);

/* Properties, all notify: "loading" (a page is being fetched), "has-more"
 * (the server has older entries than the last one here), "error" (why the
 * last fetch failed, a sentence for the manager, or NULL). */
gboolean       till_audit_list_get_loading  (TillAuditList *self);
gboolean       till_audit_list_get_has_more (TillAuditList *self);
const char    *till_audit_list_get_error    (TillAuditList *self);

/* Drops what is there and fetches the newest page. */
void           till_audit_list_reload       (TillAuditList *self);
/* Fetches the next older page, unless one is being fetched or there is
 * none. The view calls it when it nears the end. */
void           till_audit_list_load_more    (TillAuditList *self);

G_END_DECLS
