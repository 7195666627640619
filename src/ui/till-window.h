/* till-window.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "till-application.h"

G_BEGIN_DECLS

#define TILL_TYPE_WINDOW (till_window_get_type ())
G_DECLARE_FINAL_TYPE (TillWindow, till_window, TILL, WINDOW, AdwApplicationWindow)

typedef void (*TillWindowApprovedFunc) (TillWindow *window,
                                        gpointer    user_data);

TillWindow     *till_window_new                (TillApplication *application);
void            till_window_forget_sign_in     (TillWindow      *self);
void            till_window_ask_approval       (TillWindow             *self,
                                                const char             *action,
                                                TillWindowApprovedFunc  approved,
                                                gpointer                user_data);

G_END_DECLS
