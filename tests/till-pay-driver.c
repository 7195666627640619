/* till-pay-driver.c: the terminal's payment code (TillSale, TillJournal,
 * TillSession) in a process of its own, for the exactly-once test, which
 * kills it with SIGKILL in the middle of a payment and starts it again.
 *
 *   till-pay-driver SERVER_URL JOURNAL_DIR
 *
 * stdin, one line each: alice's password; then, once "ready" is printed,
 * "pay AMOUNT CURRENCY TOKEN" or "resolve". Prints "done STATE KEY" for a
 * payment, "resolved STATE KEY" for each journal entry it resolved, then
 * "end". No widgets: the same objects the charge screen uses.
 *
 * A payment that stops at 3-D Secure prints "action PAYMENT_INTENT" and
 * reads what the card page would do next: "confirm" once the customer has
 * answered the challenge (the charge screen confirms after
 * handleCardAction whatever it reported), or "leave" when the customer
 * walks away (Cancel). A resolve leaves a sale still waiting for its
 * customer abandoned, as Till's start-up recovery does.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "till-sale.h"

static const char *
state_name (TillSale *sale)
{
  static const char *names[] = { "sending", "succeeded", "declined", "failed", "requires_action", "unknown",
                                 "abandoned" };

  return names[till_sale_get_status (sale)];
}

static void
done_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  GAsyncResult **slot = user_data;

  *slot = g_object_ref (result);
}

static GAsyncResult *
wait_for (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

/* The PaymentIntent's id: the client secret is "pi_…_secret_…". */
static char *
intent_of (TillSale *sale)
{
  const char *secret = till_sale_get_client_secret (sale);
  const char *end = secret ? strstr (secret, "_secret_") : NULL;

  return end ? g_strndup (secret, end - secret) : g_strdup ("none");
}

static char *
read_line (void)
{
  char buffer[512];

  if (fgets (buffer, sizeof buffer, stdin) == NULL)
    return NULL;
  return g_strchomp (g_strdup (buffer));
}

typedef enum
{
  STEP_SUBMIT,
  STEP_CONFIRM,
  STEP_RESOLVE,
} Step;

static void
step (TillSale   *sale,
      Step        what,
      const char *token)
{
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  if (what == STEP_RESOLVE)
    till_sale_resolve_async (sale, NULL, done_cb, &result);
  else if (what == STEP_CONFIRM)
    till_sale_confirm_async (sale, NULL, done_cb, &result);
  else
    till_sale_submit_async (sale, token, NULL, done_cb, &result);
  if (!till_sale_step_finish (sale, wait_for (&result), &error))
    g_printerr ("till-pay-driver: %s\n", error->message);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(TillBackendClient) client = NULL;
  g_autoptr(TillSession) session = NULL;
  g_autoptr(TillJournal) journal = NULL;
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *password = NULL;
  g_autofree char *command = NULL;

  if (argc != 3)
    {
      g_printerr ("Usage: till-pay-driver SERVER_URL JOURNAL_DIR\n");
      return 2;
    }
  setvbuf (stdout, NULL, _IOLBF, 0);

  client = till_backend_client_new (argv[1], NULL, &error);
  journal = client ? till_journal_new (argv[2], &error) : NULL;
  password = read_line ();
  if (journal == NULL || password == NULL)
    {
      g_printerr ("till-pay-driver: %s\n", error ? error->message : "no password");
      return 2;
    }
  /* Short deadlines: the proxy's "delay" (2.5 s) outlasts them. */
  till_backend_client_set_timeouts (client, 1, 2);
  session = till_session_new (client, NULL);
  till_session_sign_in_async (session, "alice", password, FALSE, NULL, done_cb, &result);
  if (!till_session_sign_in_finish (session, wait_for (&result), &error))
    {
      printf ("error sign-in\n");
      return 3;
    }
  printf ("ready\n");

  command = read_line ();
  if (command != NULL && g_str_has_prefix (command, "pay "))
    {
      g_auto(GStrv) words = g_strsplit (command, " ", 4);
      g_autoptr(TillSale) sale = NULL;

      if (g_strv_length (words) != 4)
        return 2;
      sale = till_sale_new (session, g_ascii_strtoll (words[1], NULL, 10), words[2], NULL);
      till_sale_set_journal (sale, journal);
      till_sale_set_retry_policy (sale, 3, 300);
      step (sale, STEP_SUBMIT, words[3]);
      /* A bank may ask twice; the charge screen allows two rounds. */
      for (guint round = 0; round < 3 && till_sale_get_status (sale) == TILL_SALE_STATUS_REQUIRES_ACTION; round++)
        {
          g_autofree char *intent = intent_of (sale);
          g_autofree char *answer = NULL;

          printf ("action %s\n", intent);
          answer = read_line ();
          if (g_strcmp0 (answer, "confirm") == 0)
            step (sale, STEP_CONFIRM, NULL);
          else
            {
              till_sale_abandon (sale);
              break;
            }
        }
      printf ("done %s %s\n", state_name (sale), till_sale_get_idempotency_key (sale));
    }
  else if (g_strcmp0 (command, "resolve") == 0)
    {
      g_autoptr(GPtrArray) entries = till_journal_list (journal);

      for (guint i = 0; i < entries->len; i++)
        {
          g_autoptr(TillSale) sale = NULL;

          if (till_journal_entry_is_final (g_ptr_array_index (entries, i)))
            continue;
          sale = till_sale_new_from_journal (session, g_ptr_array_index (entries, i), &error);
          if (sale == NULL)
            return 4;
          till_sale_set_journal (sale, journal);
          till_sale_set_retry_policy (sale, 4, 300);
          step (sale, STEP_RESOLVE, NULL);
          /* The customer of a sale stopped at 3-D Secure is gone. */
          till_sale_abandon (sale);
          printf ("resolved %s %s\n", state_name (sale), till_sale_get_idempotency_key (sale));
        }
    }
  else
    return 2;
  /* As Till does before it quits (it holds the application): what the
   * sale wrote last is on disk before the process ends. */
  while (till_journal_get_pending (journal) > 0)
    g_main_context_iteration (NULL, TRUE);
  printf ("end\n");
  return 0;
}
