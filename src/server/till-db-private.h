/* till-db-private.h: what only till-server's tests ask of its store
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "till-db.h"

G_BEGIN_DECLS

char        *till_db_explain_search_payments (TillDb                  *self,
                                              const TillPaymentFilter *filter);

G_END_DECLS
