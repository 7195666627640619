/* till-staff-page.h: the manager's page of staff accounts
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-session.h"

G_BEGIN_DECLS

#define TILL_TYPE_STAFF_PAGE (till_staff_page_get_type ())
G_DECLARE_FINAL_TYPE (TillStaffPage, till_staff_page, TILL, STAFF_PAGE, AdwBin)

/* The signed-in manager's session (or NULL); the list is read again. */
void till_staff_page_set_session (TillStaffPage *self,
                                  TillSession   *session);
/* Reads the list from the server again. */
void till_staff_page_reload      (TillStaffPage *self);
/* Opens the form to add an account, with the cursor in its first field. */
void till_staff_page_start_adding (TillStaffPage *self);

G_END_DECLS
