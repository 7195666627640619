/* till-window-private.h: what the tests look at inside the window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-access.h"
#include "till-audit-page.h"
#include "till-charge-page.h"
#include "till-history-page.h"
#include "till-lock-page.h"
#include "till-session.h"
#include "till-sign-in-page.h"
#include "till-staff-page.h"
#include "till-window.h"

G_BEGIN_DECLS

/* What the window shows: "sign-in", "restoring", "locked", or the name of
 * the shell's page on show ("charge", "history", …). */
const char     *till_window_get_visible_page   (TillWindow      *self);
const char     *till_window_get_status_text    (TillWindow      *self);
const char     *till_window_get_last_notice    (TillWindow      *self);
TillSignInPage *till_window_get_sign_in_page   (TillWindow      *self);
TillLockPage   *till_window_get_lock_page      (TillWindow      *self);
TillAccess     *till_window_get_access         (TillWindow      *self);
TillSession    *till_window_get_session        (TillWindow      *self);
TillChargePage *till_window_get_charge_page    (TillWindow      *self);
TillStaffPage  *till_window_get_staff_page     (TillWindow      *self);
TillAuditPage  *till_window_get_audit_page     (TillWindow      *self);
/* Shows the shell's page of that name, as the sidebar would. */
void            till_window_show_page          (TillWindow      *self,
                                                const char      *name);
TillHistoryPage *till_window_get_history_page  (TillWindow      *self);
GtkStack       *till_window_get_shell_stack    (TillWindow      *self);
gboolean        till_window_get_shell_folded   (TillWindow      *self);
GtkWidget      *till_window_get_shell_back_button (TillWindow   *self);

G_END_DECLS
