/* till-preferences-window-private.h: what tests look at in Preferences
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-preferences-window.h"

G_BEGIN_DECLS

/* The control that shows and sets the settings key, or NULL. */
GtkWidget *till_preferences_window_get_control (TillPreferencesWindow *self,
                                                const char            *key);

G_END_DECLS
