/* till-staff-page-private.h: what the tests look at inside the staff page
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-staff-page.h"

G_BEGIN_DECLS

/* The sentence on show about the last change, or NULL. */
const char  *till_staff_page_get_error        (TillStaffPage *self);
/* TRUE while the server is asked something. */
gboolean     till_staff_page_get_busy         (TillStaffPage *self);
/* The line under a user's name ("Cashier", "Manager · Disabled"), or NULL
 * when the list has no such user. */
const char  *till_staff_page_describe         (TillStaffPage *self,
                                               const char    *username);
/* A user's new-password fields (again: the second one), or NULL. */
GtkEditable *till_staff_page_get_password_field (TillStaffPage *self,
                                               const char    *username,
                                               gboolean       again);

G_END_DECLS
