/* till-rate-limiter.h: counts sign-in attempts in a sliding window
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TillRateLimiter TillRateLimiter;

/* max_keys bounds the names tracked at once; past it the limiter refuses
 * names it does not know rather than forget any. */
TillRateLimiter *till_rate_limiter_new      (guint            max_attempts,
                                             guint            window_seconds,
                                             guint            max_keys);
void             till_rate_limiter_free     (TillRateLimiter *self);
/* Records an attempt and returns 0 when it is allowed; otherwise records
 * nothing and returns the seconds until the next try (at least 1). */
guint            till_rate_limiter_try      (TillRateLimiter *self,
                                             const char      *key,
                                             gint64           now_usec);
/* Takes back the attempt recorded at now_usec by till_rate_limiter_try(),
 * for one that turned out to be no failure. */
void             till_rate_limiter_forgive  (TillRateLimiter *self,
                                             const char      *key,
                                             gint64           attempt_usec);
void             till_rate_limiter_reset    (TillRateLimiter *self,
                                             const char      *key);
/* Whether names were refused since the last call because the table was
 * full (for a warning in the log, not one per refusal). */
gboolean         till_rate_limiter_take_saturated (TillRateLimiter *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillRateLimiter, till_rate_limiter_free)

G_END_DECLS
