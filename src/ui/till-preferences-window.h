/* till-preferences-window.h
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define TILL_TYPE_PREFERENCES_WINDOW (till_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (TillPreferencesWindow, till_preferences_window, TILL, PREFERENCES_WINDOW, AdwPreferencesWindow)

TillPreferencesWindow *till_preferences_window_new (GSettings *settings);

G_END_DECLS
