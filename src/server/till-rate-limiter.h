/* till-rate-limiter.h: counts failed logins in a sliding window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TillRateLimiter TillRateLimiter;

TillRateLimiter *till_rate_limiter_new         (guint            max_failures,
                                                guint            window_seconds);
void             till_rate_limiter_free        (TillRateLimiter *self);
/* Returns 0 when allowed, otherwise the seconds until the next try. */
guint            till_rate_limiter_check       (TillRateLimiter *self,
                                                const char      *key,
                                                gint64           now_usec);
void             till_rate_limiter_add_failure (TillRateLimiter *self,
                                                const char      *key,
                                                gint64           now_usec);
void             till_rate_limiter_reset       (TillRateLimiter *self,
                                                const char      *key);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillRateLimiter, till_rate_limiter_free)

G_END_DECLS
