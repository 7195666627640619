/* till-api.h: till-server's HTTP API
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-db.h"
#include "till-payments.h"
#include "till-server-config.h"

G_BEGIN_DECLS

#define TILL_TYPE_API (till_api_get_type ())
G_DECLARE_FINAL_TYPE (TillApi, till_api, TILL, API, GObject)

TillApi *till_api_new    (TillServerConfig  *config,
                          TillDb            *db,
                          TillPayments      *payments);
char    *till_api_listen (TillApi           *self,
                          GError           **error);

gboolean  till_api_reload  (TillApi           *self,
                           GError           **error);

/* The configured certificate and key, checked to belong together; NULL
 * with error set when they do not, NULL without when TLS is not set. */
GTlsCertificate *till_api_load_certificate (TillServerConfig  *config,
                                           GError           **error);

G_END_DECLS
