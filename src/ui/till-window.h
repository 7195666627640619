/* till-window.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-application.h"
#include "till-charge-page.h"
#include "till-lock-page.h"
#include "till-session.h"
#include "till-sign-in-page.h"

G_BEGIN_DECLS

#define TILL_TYPE_WINDOW (till_window_get_type ())
G_DECLARE_FINAL_TYPE (TillWindow, till_window, TILL, WINDOW, AdwApplicationWindow)

TillWindow     *till_window_new                (TillApplication *application);
void            till_window_forget_sign_in     (TillWindow      *self);

/* What the window shows: "sign-in", "restoring", "home" or "locked". */
const char     *till_window_get_visible_page   (TillWindow      *self);
const char     *till_window_get_status_text    (TillWindow      *self);
const char     *till_window_get_last_notice    (TillWindow      *self);
TillSignInPage *till_window_get_sign_in_page   (TillWindow      *self);
TillLockPage   *till_window_get_lock_page      (TillWindow      *self);
TillSession    *till_window_get_session        (TillWindow      *self);
TillChargePage *till_window_get_charge_page    (TillWindow      *self);

G_END_DECLS
