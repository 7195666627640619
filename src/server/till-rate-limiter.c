/* till-rate-limiter.c: counts sign-in attempts in a sliding window
 *
 * An attempt counts from the moment it is let through, before its
 * password is checked: forty attempts sent at the same instant are forty
 * attempts, not forty checks that each saw an empty count (issue 9, A).
 * A check that then succeeds is taken back by its caller.
 *
 * Memory is bounded by max_keys. When the table is full of names whose
 * attempts are still in the window, a name it does not know is refused
 * until room frees up: the limiter fails closed, never open, so that
 * filling it with made-up names cannot wipe out the count of a real one
 * (issue 9, F). The per-address limit in front of it makes filling it slow.
 *
 * Kept in memory: a restart forgets the counts, which is acceptable for a
 * shop's server and keeps the database free of attacker-driven writes.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-rate-limiter.h"

struct _TillRateLimiter
{
  guint       max_attempts;
  guint       max_keys;
  gint64      window_usec;
  GHashTable *attempts;    /* key → GArray of gint64 times, oldest first */
  gint64      oldest_usec; /* a lower bound of the oldest time in the table */
  gboolean    saturated;
};

TillRateLimiter *
till_rate_limiter_new (guint max_attempts,
                       guint window_seconds,
                       guint max_keys)
{
  TillRateLimiter *self = g_new0 (TillRateLimiter, 1);

  self->max_attempts = MAX (max_attempts, 1);
  self->max_keys = MAX (max_keys, 1);
  self->window_usec = (gint64) MAX (window_seconds, 1) * G_USEC_PER_SEC;
  self->attempts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
  return self;
}

void
till_rate_limiter_free (TillRateLimiter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->attempts);
  g_free (self);
}

static gboolean
drop_expired (GArray *times,
              gint64  cutoff)
{
  guint expired = 0;

  while (expired < times->len && g_array_index (times, gint64, expired) <= cutoff)
    expired++;
  g_array_remove_range (times, 0, expired);
  return times->len == 0;
}

static GArray *
get_recent (TillRateLimiter *self,
            const char      *key,
            gint64           now_usec)
{
  GArray *times = g_hash_table_lookup (self->attempts, key);

  if (times != NULL && drop_expired (times, now_usec - self->window_usec))
    {
      g_hash_table_remove (self->attempts, key);
      return NULL;
    }
  return times;
}

static guint
seconds_until (gint64 then_usec,
               gint64 now_usec)
{
  gint64 wait_usec = then_usec - now_usec;

  return (guint) CLAMP ((wait_usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC, 1, G_MAXUINT);
}

/* A full sweep, at most once a window's worth of time has passed since
 * the oldest entry we know of: a flood of refused names costs no more
 * than a hash lookup each. */
static void
forget_expired (TillRateLimiter *self,
                gint64           now_usec)
{
  GHashTableIter iter;
  gpointer value;
  gint64 cutoff = now_usec - self->window_usec;
  gint64 oldest = G_MAXINT64;

  if (self->oldest_usec > cutoff)
    return;
  g_hash_table_iter_init (&iter, self->attempts);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GArray *times = value;

      if (drop_expired (times, cutoff))
        g_hash_table_iter_remove (&iter);
      else
        oldest = MIN (oldest, g_array_index (times, gint64, 0));
    }
  self->oldest_usec = oldest;
}

guint
till_rate_limiter_try (TillRateLimiter *self,
                       const char      *key,
                       gint64           now_usec)
{
  GArray *times = get_recent (self, key, now_usec);

  if (times != NULL && times->len >= self->max_attempts)
    {
      /* Allowed again once enough of the recent attempts have aged out. */
      gint64 oldest = g_array_index (times, gint64, times->len - self->max_attempts);

      return seconds_until (oldest + self->window_usec, now_usec);
    }

  if (times == NULL)
    {
      if (g_hash_table_size (self->attempts) >= self->max_keys)
        forget_expired (self, now_usec);
      if (g_hash_table_size (self->attempts) >= self->max_keys)
        {
          self->saturated = TRUE;
          return seconds_until (self->oldest_usec + self->window_usec, now_usec);
        }
      if (g_hash_table_size (self->attempts) == 0)
        self->oldest_usec = now_usec;
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->attempts, g_strdup (key), times);
    }

  g_array_append_val (times, now_usec);
  /* Only the newest max_attempts matter for the decision. */
  if (times->len > self->max_attempts)
    g_array_remove_range (times, 0, times->len - self->max_attempts);
  return 0;
}

void
till_rate_limiter_forgive (TillRateLimiter *self,
                           const char      *key,
                           gint64           attempt_usec)
{
  GArray *times = g_hash_table_lookup (self->attempts, key);

  if (times == NULL)
    return;
  for (guint i = times->len; i > 0; i--)
    {
      if (g_array_index (times, gint64, i - 1) == attempt_usec)
        {
          g_array_remove_index (times, i - 1);
          break;
        }
    }
  if (times->len == 0)
    g_hash_table_remove (self->attempts, key);
}

void
till_rate_limiter_reset (TillRateLimiter *self,
                         const char      *key)
{
  g_hash_table_remove (self->attempts, key);
}

gboolean
till_rate_limiter_take_saturated (TillRateLimiter *self)
{
  gboolean saturated = self->saturated;

  self->saturated = FALSE;
  return saturated;
}
