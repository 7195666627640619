/* till-audit-page.h: the manager's page of the server's audit log
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-audit-entry.h"
#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_AUDIT_PAGE (till_audit_page_get_type ())
G_DECLARE_FINAL_TYPE (TillAuditPage, till_audit_page, TILL, AUDIT_PAGE, AdwBin)

/* The signed-in manager's session (or NULL); the log is read again each
 * time the page is shown. */
void  till_audit_page_set_session (TillAuditPage  *self,
                                   TillSession    *session);
/* currency: the shop's, for the amounts of refunds; NULL shows none. */
void  till_audit_page_set_currency (TillAuditPage *self,
                                   const char     *currency);

/* What a row says: what was done, in words ("Refunded €2.50, approved by
 * morgan"), and who did it ("alice"; "Someone" for a failed sign-in). */
char *till_audit_page_describe_action (TillAuditEntry *entry,
                                       const char     *currency) G_GNUC_WARN_UNUSED_RESULT;
char *till_audit_page_describe_actor  (TillAuditEntry *entry) G_GNUC_WARN_UNUSED_RESULT;

G_END_DECLS
