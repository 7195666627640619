/* fuzz-card-message.c: the card page's messages to native code
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The card page is web content: whatever it posts is untrusted bytes, and
 * till_card_message_parse() is all that stands between them and a payment.
 * The input goes in as it is, not NUL-terminated, so a read past its
 * length is an ASan report.
 */
#include "config.h"

#include <string.h>

#include "till-card-message.h"
#include "till-fuzz.h"

static void
check_optional_text (const char *text)
{
  if (text != NULL)
    g_assert_true (g_utf8_validate (text, -1, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(TillCardMessage) message = till_card_message_parse ((const char *) data, size, &error);

  if (message == NULL)
    {
      g_assert_error (error, TILL_CARD_MESSAGE_ERROR, error->code);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      return 0;
    }

  g_assert_no_error (error);
  g_assert_cmpint (message->type, >=, TILL_CARD_MESSAGE_READY);
  g_assert_cmpint (message->type, <=, TILL_CARD_MESSAGE_ACTION_RESULT);
  g_assert_cmpuint (size, <=, TILL_CARD_MESSAGE_MAX_SIZE);
  check_optional_text (message->error_code);
  check_optional_text (message->error_message);
  check_optional_text (message->id);
  check_optional_text (message->brand);
  check_optional_text (message->error_type);
  check_optional_text (message->decline_code);
  check_optional_text (message->payment_intent_id);
  check_optional_text (message->payment_intent_status);
  if (message->last4 != NULL)
    {
      g_assert_cmpuint (strlen (message->last4), ==, 4);
      for (int i = 0; i < 4; i++)
        g_assert_true (g_ascii_isdigit (message->last4[i]));
    }
  if (message->type == TILL_CARD_MESSAGE_TOKEN || message->type == TILL_CARD_MESSAGE_PAYMENT_METHOD)
    {
      g_assert_nonnull (message->id);
      g_assert_cmpint (message->exp_month, >=, 1);
      g_assert_cmpint (message->exp_month, <=, 12);
      g_assert_cmpint (message->exp_year, >=, 2000);
      g_assert_cmpint (message->exp_year, <=, 2100);
    }
  return 0;
}
