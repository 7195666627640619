/* fuzz-webhook-signature.c: the Stripe-Signature header of a webhook
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Anyone can post to POST /api/stripe/webhook: the header and the body are
 * attacker bytes until the signature says otherwise. Input: the header up
 * to the first newline, then the body. What must hold: no memory error;
 * the verdict is one of the four; an event is taken (OK) only when a v1
 * in the header is the HMAC of "t.body" under one of the secrets and t is
 * within the tolerance, which is recomputed here on its own; a header the
 * parser takes is one GLib's HMAC agrees with, whatever the fuzzer does.
 */
#include "config.h"

#include <string.h>

#include "till-webhooks.h"
#include "till-fuzz.h"

#define NOW       1700000000
#define TOLERANCE 300

static const char * const secrets[] = { "whsec_fuzz_old", "whsec_fuzz_new", NULL };

/* Does header hold t=T and a v1 that GLib's HMAC computes for body? */
static gboolean
genuinely_signed (const char   *header,
                  const guint8 *body,
                  gsize         length)
{
  g_auto(GStrv) items = g_strsplit (header, ",", -1);
  const char *t = NULL;

  for (guint i = 0; items[i] != NULL; i++)
    if (g_str_has_prefix (items[i], "t=") && t == NULL)
      t = items[i] + 2;
  if (t == NULL)
    return FALSE;
  for (guint s = 0; secrets[s] != NULL; s++)
    {
      g_autoptr(GHmac) hmac = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) secrets[s], strlen (secrets[s]));
      g_autofree char *expected = NULL;

      g_hmac_update (hmac, (const guchar *) t, strlen (t));
      g_hmac_update (hmac, (const guchar *) ".", 1);
      g_hmac_update (hmac, body, length);
      expected = g_strconcat ("v1=", g_hmac_get_string (hmac), NULL);
      for (guint i = 0; items[i] != NULL; i++)
        if (g_str_equal (items[i], expected))
          return TRUE;
    }
  return FALSE;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  const uint8_t *newline = memchr (data, '\n', size);
  g_autofree char *header = NULL;
  const guint8 *body;
  gsize length;
  TillWebhookSignature verdict;

  if (newline == NULL)
    return 0;
  header = g_strndup ((const char *) data, newline - data);
  body = newline + 1;
  length = size - (newline - data) - 1;

  verdict = till_webhook_verify_signature (header, body, length, secrets, NOW, TOLERANCE);
  g_assert_cmpint (verdict, >=, TILL_WEBHOOK_SIGNATURE_OK);
  g_assert_cmpint (verdict, <=, TILL_WEBHOOK_SIGNATURE_EXPIRED);
  if (verdict == TILL_WEBHOOK_SIGNATURE_OK || verdict == TILL_WEBHOOK_SIGNATURE_EXPIRED)
    g_assert_true (genuinely_signed (header, body, length));

  /* And what the server's own signer makes always verifies. */
  {
    g_autofree char *digest = till_webhook_sign (secrets[1], NOW - 10, body, length);
    g_autofree char *good = g_strdup_printf ("t=%d,v1=%s", NOW - 10, digest);

    g_assert_cmpint (till_webhook_verify_signature (good, body, length, secrets, NOW, TOLERANCE), ==,
                     TILL_WEBHOOK_SIGNATURE_OK);
  }
  return 0;
}
