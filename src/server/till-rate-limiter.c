/* till-rate-limiter.c: counts failed logins in a sliding window
 *
 * Kept in memory: a restart forgets the counts, which is acceptable for a
 * shop's server and keeps the database free of attacker-driven writes.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-rate-limiter.h"

/* Bounds the memory an attacker can make us spend with made-up names. */
#define MAX_KEYS 10000

struct _TillRateLimiter
{
  guint       max_failures;
  gint64      window_usec;
  GHashTable *failures;   /* key → GArray of gint64 times, oldest first */
};

TillRateLimiter *
till_rate_limiter_new (guint max_failures,
                       guint window_seconds)
{
  TillRateLimiter *self = g_new0 (TillRateLimiter, 1);

  self->max_failures = MAX (max_failures, 1);
  self->window_usec = (gint64) window_seconds * G_USEC_PER_SEC;
  self->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_array_unref);
  return self;
}

void
till_rate_limiter_free (TillRateLimiter *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->failures);
  g_free (self);
}

static GArray *
get_recent (TillRateLimiter *self,
            const char      *key,
            gint64           now_usec)
{
  GArray *times = g_hash_table_lookup (self->failures, key);
  guint expired = 0;

  if (times == NULL)
    return NULL;

  while (expired < times->len &&
         g_array_index (times, gint64, expired) <= now_usec - self->window_usec)
    expired++;
  g_array_remove_range (times, 0, expired);

  if (times->len == 0)
    {
      g_hash_table_remove (self->failures, key);
      return NULL;
    }
  return times;
}

guint
till_rate_limiter_check (TillRateLimiter *self,
                         const char      *key,
                         gint64           now_usec)
{
  GArray *times = get_recent (self, key, now_usec);
  gint64 oldest, wait_usec;

  if (times == NULL || times->len < self->max_failures)
    return 0;

  /* Allowed again once enough of the recent failures have aged out. */
  oldest = g_array_index (times, gint64, times->len - self->max_failures);
  wait_usec = oldest + self->window_usec - now_usec;
  return (guint) MAX (1, (wait_usec + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);
}

static void
forget_expired (TillRateLimiter *self,
                gint64           now_usec)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->failures);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      GArray *times = value;

      if (g_array_index (times, gint64, times->len - 1) <= now_usec - self->window_usec)
        g_hash_table_iter_remove (&iter);
    }
}

void
till_rate_limiter_add_failure (TillRateLimiter *self,
                               const char      *key,
                               gint64           now_usec)
{
  GArray *times = get_recent (self, key, now_usec);

  if (times == NULL)
    {
      if (g_hash_table_size (self->failures) >= MAX_KEYS)
        forget_expired (self, now_usec);
      if (g_hash_table_size (self->failures) >= MAX_KEYS)
        return;
      times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (self->failures, g_strdup (key), times);
    }

  g_array_append_val (times, now_usec);
  /* Only the newest max_failures matter for the decision. */
  if (times->len > self->max_failures)
    g_array_remove_range (times, 0, times->len - self->max_failures);
}

void
till_rate_limiter_reset (TillRateLimiter *self,
                         const char      *key)
{
  g_hash_table_remove (self->failures, key);
}
