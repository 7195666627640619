/* till-approval-dialog.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* What a kiosk asks a manager to approve (POST /api/approvals). */
#define TILL_APPROVAL_LEAVE_FULLSCREEN "kiosk.leave"
#define TILL_APPROVAL_QUIT             "kiosk.quit"
#define TILL_APPROVAL_PREFERENCES      "kiosk.preferences"

#define TILL_TYPE_APPROVAL_DIALOG (till_approval_dialog_get_type ())
G_DECLARE_FINAL_TYPE (TillApprovalDialog, till_approval_dialog, TILL, APPROVAL_DIALOG, AdwWindow)

TillApprovalDialog *till_approval_dialog_new          (GSettings          *settings,
                                                       const char         *action);
const char         *till_approval_dialog_get_action   (TillApprovalDialog *self);
/* What the dialog says now: why it refused, or NULL. */
const char         *till_approval_dialog_get_message  (TillApprovalDialog *self);
gboolean            till_approval_dialog_get_busy     (TillApprovalDialog *self);

G_END_DECLS
