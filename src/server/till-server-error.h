/* till-server-error.h: the server's GError domain
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TILL_SERVER_ERROR (till_server_error_quark ())

typedef enum
{
  TILL_SERVER_ERROR_FAILED,
  TILL_SERVER_ERROR_CONFIG,
  TILL_SERVER_ERROR_DATABASE,
  TILL_SERVER_ERROR_NOT_FOUND,
  TILL_SERVER_ERROR_EXISTS,
  TILL_SERVER_ERROR_STRIPE_PROTOCOL,
} TillServerError;

GQuark till_server_error_quark (void);

G_END_DECLS
