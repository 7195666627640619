/* till-ui-state.h: the state every form screen follows
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* Flows set the state; widgets only follow it (the busy spinner, the
 * insensitive fields, the inline error). */
typedef enum
{
  TILL_FORM_IDLE,
  TILL_FORM_BUSY,
  TILL_FORM_ERROR,
} TillFormState;

G_END_DECLS
