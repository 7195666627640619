/* till-audit-page-private.h: what the tests look at inside the audit page
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-audit-list.h"
#include "till-audit-page.h"

G_BEGIN_DECLS

/* The entries fetched so far (NULL before a session). */
TillAuditList     *till_audit_page_get_list     (TillAuditPage *self);
GtkScrolledWindow *till_audit_page_get_scroller (TillAuditPage *self);

G_END_DECLS
