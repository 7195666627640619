/* till-lock-page.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-ui-state.h"

G_BEGIN_DECLS

#define TILL_TYPE_LOCK_PAGE (till_lock_page_get_type ())
G_DECLARE_FINAL_TYPE (TillLockPage, till_lock_page, TILL, LOCK_PAGE, AdwBin)

/* reason: why the terminal is locked, e.g. "Signed in as alice" or
 * "Your session ended. Sign in again to carry on." */
void          till_lock_page_reset              (TillLockPage  *self,
                                                 const char    *title,
                                                 const char    *description);
void          till_lock_page_set_state          (TillLockPage  *self,
                                                 TillFormState  state,
                                                 const char    *error_message);
TillFormState till_lock_page_get_state          (TillLockPage  *self);
const char   *till_lock_page_get_error          (TillLockPage  *self);
void          till_lock_page_clear_passwords    (TillLockPage  *self);
const char   *till_lock_page_get_password       (TillLockPage  *self);
const char   *till_lock_page_get_other_username (TillLockPage  *self);
const char   *till_lock_page_get_other_password (TillLockPage  *self);

G_END_DECLS
