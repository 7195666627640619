/* test-receipts.c: receipts and the day's totals, printed to PDF and read back
 *
 * Under Xvfb, against a real till-server and the Stripe stand-in: real
 * payments and refunds, each receipt exported to PDF in both layouts
 * through GtkPrintOperation's export, then read back with poppler's
 * pdftotext (the PDF holds text, not pictures of text) and checked line
 * by line: what a customer relies on is there, and no card number, key or
 * secret is. The day's totals page reads the server's day report; its
 * PDF must say what the server says.
 *
 * Screenshots of the receipt dialog and the Day Totals page, and the
 * PDFs with their pages as PNG, go to $TILL_TEST_ARTIFACTS (else
 * $G_TEST_BUILDDIR/artifacts).
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <adwaita.h>
#include <glib/gstdio.h>

#include "till-day-totals-page-private.h"
#include "till-money.h"
#include "till-receipt-private.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-session.h"
#include "till-test-web.h"

#define CASHIER_PASSWORD "alice-password-1"
#define MANAGER_PASSWORD "morgan-password-1"
#define SHOP_NAME "Corner Café"

static TillTestServer *server;
static char *cashier_token;
static char *manager_token;
static char *artifacts;

/* Helpers: the server */

static JsonObject *
object_of (TillTestResponse *response)
{
  g_assert_nonnull (response->json);
  return json_node_get_object (response->json);
}

/* A real payment by the cashier; its id. */
static char *
pay (gint64      amount,
     const char *source,
     guint       expected_status)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *body =
    g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"currency\":\"EUR\",\"token\":\"%s\","
                     "\"description\":\"2 coffees\"}", amount, source);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, "/api/payments", cashier_token, key, body);

  g_assert_cmpuint (response->status, ==, expected_status);
  return g_strdup (till_test_json_string (response->json, "payment.id"));
}

/* A refund made by the manager; the refund object. */
static JsonNode *
refund (const char *payment_id,
        gint64      amount)
{
  g_autofree char *key = till_test_new_key ();
  g_autofree char *path = g_strdup_printf ("/api/payments/%s/refunds", payment_id);
  g_autofree char *body = g_strdup_printf ("{\"amount\":%" G_GINT64_FORMAT ",\"reason\":\"requested_by_customer\"}",
                                           amount);
  g_autoptr(TillTestResponse) response = till_test_post_json (server, path, manager_token, key, body);

  g_assert_cmpuint (response->status, ==, 201);
  g_assert_cmpstr (till_test_json_string (response->json, "refund.status"), ==, "succeeded");
  return json_node_ref (json_object_get_member (object_of (response), "refund"));
}

/* GET /api/payments/{id}, which lists the payment's refunds ("refunds",
 * docs/api.md): the ones made here, and no other. */
static JsonObject *
get_payment (const char *id,
             JsonNode  **refunds,
             guint       n_refunds)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s", id);
  g_autoptr(TillTestResponse) response = till_test_get (server, path, manager_token);
  JsonObject *payment;
  JsonArray *listed;

  g_assert_cmpuint (response->status, ==, 200);
  payment = json_object_ref (object_of (response));
  listed = json_object_get_array_member (payment, "refunds");
  g_assert_nonnull (listed);
  g_assert_cmpuint (json_array_get_length (listed), ==, n_refunds);
  for (guint i = 0; i < n_refunds; i++)
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (listed, i), "id"), ==,
                     json_object_get_string_member (json_node_get_object (refunds[i]), "id"));
  return payment;
}

/* Helpers: PDFs */

static char *
artifact_path (const char *name)
{
  return g_build_filename (artifacts, name, NULL);
}

static char *
run (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
  return g_steal_pointer (&out);
}

/* The PDF's text, as pdftotext lays it out; its first page as PNG too. */
static char *
pdf_text (const char *pdf)
{
  g_autofree char *png_root = g_strndup (pdf, strlen (pdf) - strlen (".pdf"));
  const char *text_argv[] = { "pdftotext", "-layout", "-enc", "UTF-8", pdf, "-", NULL };
  const char *png_argv[] = { "pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", pdf, png_root,
                             NULL };
  g_autofree char *png = run (png_argv);

  return run (text_argv);
}

/* Page size in points, from pdfinfo. */
static void
pdf_page_size (const char *pdf,
               double     *width,
               double     *height)
{
  const char *argv[] = { "pdfinfo", pdf, NULL };
  g_autofree char *info = run (argv);
  const char *line = strstr (info, "Page size:");

  g_assert_nonnull (line);
  g_assert_cmpint (sscanf (line, "Page size: %lf x %lf pts", width, height), ==, 2);
}

/* The line of text holding every one of the strings, in that order,
 * with only spaces between (NULL-terminated); fails if there is none. */
static void
assert_line (const char *text,
             ...)
{
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  va_list args;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *at = lines[i];
      const char *part;
      gboolean found = TRUE;

      va_start (args, text);
      while (found && (part = va_arg (args, const char *)) != NULL)
        {
          const char *next = strstr (at, part);

          found = next != NULL;
          if (found)
            {
              for (const char *c = at; c < next && at != lines[i]; c++)
                found = found && *c == ' ';
              at = next + strlen (part);
            }
        }
      va_end (args);
      if (found)
        return;
    }
  va_start (args, text);
  g_error ("No line with “%s” (and what follows) in:\n%s", va_arg (args, const char *), text);
}

static void
assert_no_card_number (const char *text)
{
  g_autoptr(GRegex) run_of_digits = g_regex_new ("[0-9]{13,}", 0, 0, NULL);

  if (g_regex_match (run_of_digits, text, 0, NULL))
    g_error ("A run of 13 or more digits in:\n%s", text);
}

static char *
local_time (const char *iso8601)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_iso8601 (iso8601, NULL);
  g_autoptr(GDateTime) local = g_date_time_to_local (utc);

  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

static const char *
local_time_static (const char *iso8601)
{
  static char *last;

  g_free (last);
  last = local_time (iso8601);
  return last;
}

static char *
euros (gint64 amount)
{
  return till_money_format (amount, "EUR", NULL);
}

static const char *
euros_zero (void)
{
  static char *zero;

  if (zero == NULL)
    zero = euros (0);
  return zero;
}

static char *
export (TillPrintout *printout,
        TillPaper     paper,
        const char   *name)
{
  g_autofree char *pdf = artifact_path (name);
  g_autoptr(GError) error = NULL;

  g_remove (pdf);
  g_assert_true (till_printout_export_pdf (printout, paper, pdf, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_test (pdf, G_FILE_TEST_IS_REGULAR));
  return g_steal_pointer (&pdf);
}

/* Helpers: windows */

static void
wait_for (gboolean (*condition) (gpointer data),
          gpointer   data,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

/* The visible window of that type (a file chooser, a message dialog). */
static GtkWindow *
find_toplevel (GType type)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type) && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

static gboolean
toplevel_shown (gpointer type)
{
  return find_toplevel (GPOINTER_TO_SIZE (type)) != NULL;
}

static gboolean
file_exists (gpointer path)
{
  return g_file_test (path, G_FILE_TEST_IS_REGULAR);
}

/* A new file is made empty and then written: waiting for what it must
 * hold, not for it to be there. */
typedef struct
{
  const char *path;
  const char *contents;
} FileHolds;

static gboolean
file_holds (gpointer data)
{
  FileHolds *holds = data;
  g_autofree char *contents = NULL;

  return g_file_get_contents (holds->path, &contents, NULL, NULL) && g_str_equal (contents, holds->contents);
}

/* Answers the file chooser that action opens (a response of the receipt
 * dialog, or a page's action) with name in the artifacts folder, as a
 * user would, and waits for the file. */
static gboolean
in_start_folder (gpointer chooser)
{
  g_autoptr(GFile) expected = till_printout_dup_save_folder ();
  g_autoptr(GFile) folder = gtk_file_chooser_get_current_folder (chooser);

  return folder != NULL && g_file_equal (folder, expected);
}

typedef struct
{
  GtkFileChooser *chooser;
  GFile          *file;
} Choice;

static gboolean
file_chosen (gpointer data)
{
  Choice *choice = data;
  g_autoptr(GFile) file = gtk_file_chooser_get_file (choice->chooser);

  return file != NULL && g_file_equal (file, choice->file);
}

/* Answers the file chooser that is opening with name in the artifacts
 * folder, as a user would, and waits for the file. */
static void
answer_file_chooser (const char *name)
{
  g_autofree char *path = artifact_path (name);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFile) folder = g_file_new_for_path (artifacts);
  g_autoptr(GError) error = NULL;
  GtkWindow *chooser;

  wait_for (toplevel_shown, GSIZE_TO_POINTER (GTK_TYPE_FILE_CHOOSER_DIALOG), "the file chooser");
  chooser = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  /* Once it has read the folder it starts in, it takes another. */
  wait_for (in_start_folder, chooser, "the file chooser's folder");
  g_assert_true (gtk_file_chooser_set_current_folder (GTK_FILE_CHOOSER (chooser), folder, &error));
  g_assert_no_error (error);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  /* The chooser reads the folder first. */
  wait_for (file_chosen, &(Choice) { GTK_FILE_CHOOSER (chooser), file }, "the file chooser to take the name");
  /* Its Save button, as a click would. */
  g_assert_true (gtk_widget_activate (gtk_dialog_get_widget_for_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT)));
}

static void
save_through_chooser (GtkWindow  *receipt_dialog,
                      const char *response,
                      const char *name)
{
  g_autofree char *path = artifact_path (name);

  g_remove (path);
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (receipt_dialog), response);
  answer_file_chooser (name);
  wait_for (file_exists, path, "the saved file");
}

/* Tests: receipts */

/* An approved sale: both layouts hold what the customer relies on, and
 * nothing that is not theirs to see. */
static void
test_receipt_approved (void)
{
  g_autofree char *id = pay (1250, "pm_card_visa", 201);
  g_autoptr(JsonObject) payment = get_payment (id, NULL, 0);
  g_autofree char *when = local_time (json_object_get_string_member (payment, "created"));
  g_autofree char *total = euros (1250);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPrintout) printout = till_receipt_new_printout (payment, SHOP_NAME, &error);
  const struct { TillPaper paper; const char *name; double width; } layouts[] = {
    { TILL_PAPER_RECEIPT, "receipt-80mm.pdf", 80 * 72 / 25.4 },
    { TILL_PAPER_A4, "receipt-a4.pdf", 210 * 72 / 25.4 },
  };

  g_assert_no_error (error);
  g_assert_nonnull (printout);
  for (guint i = 0; i < G_N_ELEMENTS (layouts); i++)
    {
      g_autofree char *pdf = export (printout, layouts[i].paper, layouts[i].name);
      g_autofree char *text = pdf_text (pdf);
      double width, height;

      g_test_message ("%s:\n%s", layouts[i].name, text);
      assert_line (text, SHOP_NAME, NULL);
      assert_line (text, when, NULL);
      assert_line (text, "2 coffees", NULL);
      assert_line (text, "Total", total, NULL);
      g_assert_nonnull (strstr (total, "12.50"));
      assert_line (text, "Card", "Visa •••• 4242", NULL);
      assert_line (text, id, NULL);
      assert_line (text, "Approved", NULL);
      g_assert_null (strstr (text, "Refund"));
      g_assert_null (strstr (text, json_object_get_string_member (payment, "idempotency_key")));
      assert_no_card_number (text);

      pdf_page_size (pdf, &width, &height);
      g_assert_cmpfloat_with_epsilon (width, layouts[i].width, 0.5);
      if (layouts[i].paper == TILL_PAPER_RECEIPT)
        {
          /* As long as the receipt, no longer: between 6 and 20 cm. */
          g_assert_cmpfloat (height, >, 60 * 72 / 25.4);
          g_assert_cmpfloat (height, <, 200 * 72 / 25.4);
        }
      else
        g_assert_cmpfloat_with_epsilon (height, 297 * 72 / 25.4, 0.5);
    }
}

/* Partly refunded twice: each refund with its date and amount, and what is
 * left of the payment. */
static void
test_receipt_refunded (void)
{
  g_autofree char *id = pay (4000, "pm_card_mastercard", 201);
  JsonNode *refunds[2] = { refund (id, 1500), refund (id, 500) };
  g_autoptr(JsonObject) payment = get_payment (id, refunds, G_N_ELEMENTS (refunds));
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPrintout) printout = till_receipt_new_printout (payment, SHOP_NAME, &error);
  g_autofree char *total = euros (4000);
  g_autofree char *first = euros (1500);
  g_autofree char *second = euros (500);
  g_autofree char *left = euros (2000);

  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (payment, "amount_refunded"), ==, 2000);
  for (TillPaper paper = TILL_PAPER_RECEIPT; paper <= TILL_PAPER_A4; paper++)
    {
      g_autofree char *pdf = export (printout, paper, paper == TILL_PAPER_A4 ? "receipt-refunded-a4.pdf"
                                                                              : "receipt-refunded-80mm.pdf");
      g_autofree char *text = pdf_text (pdf);

      g_test_message ("%s:\n%s", pdf, text);
      assert_line (text, "Total", total, NULL);
      assert_line (text, "Mastercard •••• 4444", NULL);
      assert_line (text, "Approved", NULL);
      assert_line (text, "Refunds", NULL);
      for (guint i = 0; i < G_N_ELEMENTS (refunds); i++)
        {
          JsonObject *r = json_node_get_object (refunds[i]);
          g_autofree char *when = local_time (json_object_get_string_member (r, "created"));
          g_autofree char *label = g_strdup_printf ("Refunded %s", when);

          assert_line (text, label, i == 0 ? first : second, NULL);
        }
      assert_line (text, "Total after refunds", left, NULL);
      assert_no_card_number (text);
    }
  for (guint i = 0; i < G_N_ELEMENTS (refunds); i++)
    json_node_unref (refunds[i]);
}

/* A declined payment has no receipt: nothing was charged. */
static void
test_receipt_declined (void)
{
  g_autofree char *id = pay (900, "pm_card_visa_chargeDeclined", 402);
  g_autoptr(JsonObject) payment = get_payment (id, NULL, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPrintout) printout = till_receipt_new_printout (payment, SHOP_NAME, &error);

  g_assert_null (printout);
  g_assert_error (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_NOT_APPROVED);
}

static JsonObject *
parse_object (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

#define PAYMENT_JSON(status, description, refunded, refunds) \
  "{\"id\":\"pay_KRrIEaGdFpOmMa1iiV3qGKHA\",\"status\":\"" status "\",\"amount\":1500," \
  "\"currency\":\"JPY\",\"description\":" description ",\"card\":{\"brand\":\"amex\",\"last4\":\"0005\"}," \
  "\"amount_refunded\":" refunded ",\"idempotency_key\":\"6a0f3c5e-1b2d-4c8e-9f00-0123456789ab\"," \
  "\"cashier\":\"alice\",\"mode\":\"payment_intents\",\"decline_code\":null," \
  "\"created\":\"2026-11-27T07:11:57Z\",\"updated\":\"2026-11-27T07:11:57Z\"" refunds "}"

/* What the server may hold that no sale above makes: a card number typed
 * into the description, refunds pending and failed, a refund made at
 * Stripe that the server counts without listing it, no shop name, a
 * zero-decimal currency; and payments that have no receipt. */
static void
test_receipt_edges (void)
{
  g_autoptr(JsonObject) typed = parse_object (PAYMENT_JSON ("succeeded", "\"oops 4242 4242 4242 4242 and 4000056655665556\"", "1000",
    ",\"refunds\":["
    "{\"id\":\"ref_1\",\"status\":\"succeeded\",\"amount\":1000,\"currency\":\"JPY\",\"created\":\"2026-11-27T08:00:00Z\"},"
    "{\"id\":\"ref_2\",\"status\":\"pending\",\"amount\":200,\"currency\":\"JPY\",\"created\":\"2026-11-27T09:00:00Z\"},"
    "{\"id\":\"ref_3\",\"status\":\"failed\",\"amount\":300,\"currency\":\"JPY\",\"created\":\"2026-11-27T10:00:00Z\"}]"));
  g_autoptr(JsonObject) at_stripe = parse_object (PAYMENT_JSON ("succeeded", "null", "700", ""));
  g_autoptr(JsonObject) waiting = parse_object (PAYMENT_JSON ("requires_action", "null", "0",
                                                                  ",\"client_secret\":\"pi_1_secret_2\""));
  g_autoptr(JsonObject) unknown = parse_object (PAYMENT_JSON ("pending", "null", "0", ""));
  g_autoptr(JsonObject) broken = parse_object ("{\"id\":\"pay_x\",\"status\":\"succeeded\"}");
  g_autoptr(GError) error = NULL;
  g_autoptr(TillPrintout) printout = till_receipt_new_printout (typed, NULL, &error);
  g_autoptr(TillPrintout) stripe_printout = NULL;
  g_autofree char *text = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *pdf_contents = NULL;
  g_autofree char *total = till_money_format (1500, "JPY", NULL);
  g_autofree char *refunded = till_money_format (1000, "JPY", NULL);
  g_autofree char *pending = till_money_format (200, "JPY", NULL);
  g_autofree char *left = till_money_format (500, "JPY", NULL);
  g_autofree char *stripe_left = till_money_format (800, "JPY", NULL);
  g_autofree char *stripe_other = till_money_format (700, "JPY", NULL);
  g_autofree char *other = NULL;
  g_autofree char *when = local_time ("2026-11-27T08:00:00Z");
  g_autofree char *pending_when = local_time ("2026-11-27T09:00:00Z");
  g_autofree char *refunded_line = g_strdup_printf ("Refunded %s", when);
  g_autofree char *pending_line = g_strdup_printf ("Refund pending, %s", pending_when);

  g_assert_no_error (error);
  pdf = export (printout, TILL_PAPER_RECEIPT, "receipt-edges-80mm.pdf");
  pdf_contents = pdf_text (pdf);
  g_test_message ("%s", pdf_contents);
  assert_no_card_number (pdf_contents);
  assert_line (pdf_contents, "oops •••• and ••••", NULL);
  assert_line (pdf_contents, "Total", total, NULL);
  assert_line (pdf_contents, "American Express •••• 0005", NULL);
  assert_line (pdf_contents, refunded_line, refunded, NULL);
  assert_line (pdf_contents, pending_line, pending, NULL);
  assert_line (pdf_contents, "Total after refunds", left, NULL);
  /* The failed refund gave nothing back. */
  g_assert_null (strstr (pdf_contents, local_time_static ("2026-11-27T10:00:00Z")));
  g_assert_null (strstr (pdf_contents, "6a0f3c5e"));

  stripe_printout = till_receipt_new_printout (at_stripe, "", &error);
  g_assert_no_error (error);
  text = till_printout_dup_text (stripe_printout);
  g_assert_nonnull (strstr (text, "Refunds\n"));
  other = g_strdup_printf ("Other refunds\t%s\n", stripe_other);
  g_assert_nonnull (strstr (text, other));
  g_assert_nonnull (strstr (text, stripe_left));
  g_assert_null (strstr (text, "Refund pending"));

  g_assert_null (till_receipt_new_printout (waiting, SHOP_NAME, &error));
  g_assert_error (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_NOT_APPROVED);
  g_clear_error (&error);
  g_assert_null (till_receipt_new_printout (unknown, SHOP_NAME, &error));
  g_assert_error (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_NOT_APPROVED);
  g_clear_error (&error);
  g_assert_null (till_receipt_new_printout (broken, SHOP_NAME, &error));
  g_assert_error (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_UNUSABLE);
}

/* A printout longer than a page: A4 breaks it into pages and loses no
 * line; receipt paper is one page as long as the text. */
static void
test_printout_pages (void)
{
  g_autoptr(TillPrintout) printout = till_printout_new ("Long");
  g_autofree char *a4 = NULL;
  g_autofree char *roll = NULL;
  g_autofree char *text = NULL;
  const char *info_argv[] = { "pdfinfo", NULL, NULL };
  g_autofree char *info = NULL;
  double width, height;
  int pages;

  for (int i = 1; i <= 150; i++)
    {
      g_autofree char *label = g_strdup_printf ("Line %d", i);
      g_autofree char *value = euros (i * 100);

      till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, label, NULL, value);
    }
  a4 = export (printout, TILL_PAPER_A4, "long-a4.pdf");
  info_argv[1] = a4;
  info = run (info_argv);
  g_assert_nonnull (strstr (info, "Pages:"));
  g_assert_cmpint (sscanf (strstr (info, "Pages:"), "Pages: %d", &pages), ==, 1);
  g_assert_cmpint (pages, >=, 3);
  text = pdf_text (a4);
  for (int i = 1; i <= 150; i++)
    {
      g_autofree char *label = g_strdup_printf ("Line %d", i);
      g_autofree char *value = euros (i * 100);

      assert_line (text, label, value, NULL);
    }

  roll = export (printout, TILL_PAPER_RECEIPT, "long-80mm.pdf");
  pdf_page_size (roll, &width, &height);
  g_assert_cmpfloat_with_epsilon (width, 80 * 72 / 25.4, 0.5);
  /* 150 lines of 9 pt and a little space: 0.5 to 0.9 m of paper, all on it. */
  g_assert_cmpfloat (height, >, 500 * 72 / 25.4);
  g_assert_cmpfloat (height, <, 900 * 72 / 25.4);
  g_free (text);
  text = pdf_text (roll);
  assert_line (text, "Line 1", NULL);
  assert_line (text, "Line 150", NULL);
}

static gboolean
receipt_dialog_open (gpointer data)
{
  return till_receipt_find_dialog () != NULL;
}

/* The dialog, as the History page opens it: reads the shop's name from the
 * server, previews the receipt, and exports the paper chosen. */
static void
test_receipt_dialog (void)
{
  g_autofree char *id = pay (780, "pm_card_visa", 201);
  g_autoptr(JsonObject) payment = get_payment (id, NULL, 0);
  g_autoptr(TillSession) session = till_test_signed_in_session (server->url, "morgan", MANAGER_PASSWORD, FALSE);
  GtkWidget *parent = gtk_window_new ();
  GtkWindow *dialog;
  g_autofree char *pdf = NULL;
  g_autofree char *text = NULL;
  g_autofree char *chosen_pdf = artifact_path ("receipt-chosen.pdf");
  double width, height;

  gtk_window_set_default_size (GTK_WINDOW (parent), 800, 600);
  gtk_window_present (GTK_WINDOW (parent));
  till_receipt_present (GTK_WINDOW (parent), session, payment);
  wait_for (receipt_dialog_open, NULL, "the receipt dialog");
  dialog = till_receipt_find_dialog ();
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (parent));
  till_test_save_screenshot (GTK_WIDGET (dialog), "receipt-dialog");

  g_assert_cmpint (till_receipt_dialog_get_paper (dialog), ==, TILL_PAPER_RECEIPT);
  till_receipt_dialog_set_paper (dialog, TILL_PAPER_A4);
  g_assert_cmpint (till_receipt_dialog_get_paper (dialog), ==, TILL_PAPER_A4);
  pdf = export (till_receipt_dialog_get_printout (dialog), till_receipt_dialog_get_paper (dialog),
                "receipt-dialog-a4.pdf");
  text = pdf_text (pdf);
  /* The shop's name came from GET /api/config. */
  assert_line (text, SHOP_NAME, NULL);
  assert_line (text, id, NULL);
  pdf_page_size (pdf, &width, &height);
  g_assert_cmpfloat_with_epsilon (height, 297 * 72 / 25.4, 0.5);

  /* Save as PDF…: the file chooser asks where, and the PDF is there. */
  save_through_chooser (dialog, "pdf", "receipt-chosen.pdf");
  g_free (text);
  text = pdf_text (chosen_pdf);
  assert_line (text, id, NULL);
  pdf_page_size (chosen_pdf, &width, &height);
  g_assert_cmpfloat_with_epsilon (height, 297 * 72 / 25.4, 0.5);

  gtk_window_destroy (GTK_WINDOW (parent));
}

/* Tests: the day's totals */

static gboolean
page_settled (gpointer data)
{
  const char *state = till_day_totals_page_get_state (data);

  return g_strcmp0 (state, "report") == 0 || g_strcmp0 (state, "error") == 0;
}

static void
wait_report (TillDayTotalsPage *page)
{
  wait_for (page_settled, page, "the day's report");
  g_assert_cmpstr (till_day_totals_page_get_state (page), ==, "report");
}

static void
assert_value (TillDayTotalsPage *page,
              const char        *title,
              const char        *expected)
{
  g_assert_cmpstr (till_day_totals_page_get_value (page, "totals", title), ==, expected);
}

typedef struct
{
  GAsyncResult *result;
} Waiting;

static gboolean
has_result (gpointer data)
{
  return ((Waiting *) data)->result != NULL;
}

static void
store_result_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  ((Waiting *) data)->result = g_object_ref (result);
}

/* Export CSV…: what the server's day.csv says, byte for byte. Where this
 * server has no CSV export yet, the export fails and writes nothing. */
static void
check_csv_export (TillDayTotalsPage *page,
                  const char        *date)
{
  g_autofree char *name = g_strdup_printf ("day-totals-%s.csv", date);
  g_autofree char *path = artifact_path (name);
  g_autofree char *url_path = g_strdup_printf ("/api/reports/day.csv?date=%s", date);
  g_autoptr(TillTestResponse) expected = till_test_get (server, url_path, manager_token);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) error = NULL;
  g_autofree char *contents = NULL;
  Waiting waiting = { NULL };
  gboolean exported;

  g_remove (path);
  till_day_totals_page_export_csv_async (page, file, NULL, store_result_cb, &waiting);
  wait_for (has_result, &waiting, "the CSV export");
  exported = till_day_totals_page_export_csv_finish (page, waiting.result, &error);
  g_clear_object (&waiting.result);
  g_assert_no_error (error);
  g_assert_true (exported);
  g_assert_cmpuint (expected->status, ==, 200);
  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, expected->body);
}

/* Save as PDF… and Export CSV… as a manager uses them: the page's
 * actions, the file chooser answered. */
static void
check_page_actions (TillDayTotalsPage *page,
                    JsonNode          *report,
                    const char        *date)
{
  g_autofree char *pdf = artifact_path ("day-totals-chosen.pdf");
  g_autofree char *csv = artifact_path ("day-totals-chosen.csv");
  g_autofree char *url_path = g_strdup_printf ("/api/reports/day.csv?date=%s", date);
  g_autoptr(TillTestResponse) expected = till_test_get (server, url_path, manager_token);
  g_autofree char *net = euros (till_test_json_int (report, "net"));
  g_autofree char *text = NULL;

  g_remove (pdf);
  gtk_widget_activate_action (GTK_WIDGET (page), "day-totals.save-pdf", NULL);
  answer_file_chooser ("day-totals-chosen.pdf");
  wait_for (file_exists, pdf, "the saved PDF");
  text = pdf_text (pdf);
  assert_line (text, "Net", net, NULL);

  g_remove (csv);
  gtk_widget_activate_action (GTK_WIDGET (page), "day-totals.export-csv", NULL);
  answer_file_chooser ("day-totals-chosen.csv");
  {
    FileHolds holds = { csv, expected->body };

    g_assert_cmpuint (expected->status, ==, 200);
    wait_for (file_holds, &holds, "the saved CSV, whole");
  }
}

/* Each figure of the server's report on one line of the PDF's text. */
static void
check_z_report_pdf (TillDayTotalsPage *page,
                    JsonNode          *report,
                    TillPaper          paper,
                    const char        *name)
{
  g_autoptr(TillPrintout) printout = till_day_totals_page_new_printout (page);
  g_autofree char *pdf = export (printout, paper, name);
  g_autofree char *text = pdf_text (pdf);
  g_autofree char *payments = g_strdup_printf ("%" G_GINT64_FORMAT, till_test_json_int (report, "payments.count"));
  g_autofree char *paid = euros (till_test_json_int (report, "payments.amount"));
  g_autofree char *refunds = g_strdup_printf ("%" G_GINT64_FORMAT, till_test_json_int (report, "refunds.count"));
  g_autofree char *refunded = euros (till_test_json_int (report, "refunds.amount"));
  g_autofree char *net = euros (till_test_json_int (report, "net"));
  g_autofree char *declined = g_strdup_printf ("%" G_GINT64_FORMAT, till_test_json_int (report, "declined_count"));
  g_autofree char *unresolved = g_strdup_printf ("%" G_GINT64_FORMAT, till_test_json_int (report, "unresolved_count"));
  JsonArray *brands;

  g_test_message ("%s:\n%s", name, text);
  assert_line (text, SHOP_NAME, NULL);
  assert_line (text, "Day Totals", NULL);
  assert_line (text, till_test_json_string (report, "date"), NULL);
  assert_line (text, "Payments", payments, paid, NULL);
  assert_line (text, "Refunds", refunds, refunded, NULL);
  assert_line (text, "Net", net, NULL);
  assert_line (text, "Declined", declined, NULL);
  assert_line (text, "Unresolved", unresolved, NULL);
  /* Wrapped on receipt paper: its first words are enough. */
  if (till_test_json_int (report, "unresolved_count") > 0)
    assert_line (text, unresolved, "payment", NULL);
  assert_no_card_number (text);

  brands = json_object_has_member (json_node_get_object (report), "by_brand")
           ? json_object_get_array_member (json_node_get_object (report), "by_brand") : NULL;
  for (guint i = 0; brands != NULL && i < json_array_get_length (brands); i++)
    {
      JsonObject *brand = json_array_get_object_element (brands, i);
      g_autofree char *brand_net = euros (json_object_get_int_member (brand, "net"));

      assert_line (text, "Net", brand_net, NULL);
    }
}

/* The page shows the server's report for the day, warns while payments are
 * unresolved, and prints the same figures. */
static void
test_day_totals (void)
{
  g_autoptr(TillSession) session = till_test_signed_in_session (server->url, "morgan", MANAGER_PASSWORD, FALSE);
  g_autofree char *pending = pay (2500, "pm_card_authenticationRequired", 202);
  g_autofree char *declined = pay (300, "pm_card_visa_chargeDeclined", 402);
  GtkWidget *window = gtk_window_new ();
  TillDayTotalsPage *page = g_object_new (TILL_TYPE_DAY_TOTALS_PAGE, NULL);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) yesterday = g_date_time_add_days (now, -1);
  g_autofree char *today = g_date_time_format (now, "%Y-%m-%d");
  g_autofree char *yesterday_date = g_date_time_format (yesterday, "%Y-%m-%d");
  g_autofree char *path = g_strdup_printf ("/api/reports/day?date=%s", today);
  g_autoptr(TillTestResponse) report = till_test_get (server, path, manager_token);
  g_autofree char *paid = euros (till_test_json_int (report->json, "payments.amount"));
  g_autofree char *refunded = euros (till_test_json_int (report->json, "refunds.amount"));
  g_autofree char *net = euros (till_test_json_int (report->json, "net"));
  g_autofree char *date = NULL;

  g_assert_cmpuint (report->status, ==, 200);
  /* The payments made by the tests before this one, and these two. */
  g_assert_cmpint (till_test_json_int (report->json, "payments.count"), >=, 3);
  g_assert_cmpint (till_test_json_int (report->json, "refunds.count"), ==, 2);
  g_assert_cmpint (till_test_json_int (report->json, "unresolved_count"), ==, 1);
  g_assert_cmpint (till_test_json_int (report->json, "declined_count"), >=, 2);

  till_day_totals_page_set_session (page, session);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 760);
  gtk_window_present (GTK_WINDOW (window));
  wait_report (page);
  date = till_day_totals_page_dup_date (page);
  g_assert_cmpstr (date, ==, today);
  assert_value (page, "Payments", paid);
  assert_value (page, "Refunds", refunded);
  assert_value (page, "Net", net);
  assert_value (page, "Unresolved", "1");
  g_assert_nonnull (till_day_totals_page_get_warning (page));
  g_assert_nonnull (strstr (till_day_totals_page_get_warning (page), "may still change"));
  till_test_save_screenshot (GTK_WIDGET (window), "day-totals-page");

  check_z_report_pdf (page, report->json, TILL_PAPER_A4, "day-totals-a4.pdf");
  check_z_report_pdf (page, report->json, TILL_PAPER_RECEIPT, "day-totals-80mm.pdf");
  check_csv_export (page, today);
  check_page_actions (page, report->json, today);

  /* The day before: nothing happened then. */
  gtk_widget_activate_action (GTK_WIDGET (page), "day-totals.previous", NULL);
  wait_report (page);
  g_free (date);
  date = till_day_totals_page_dup_date (page);
  g_assert_cmpstr (date, ==, yesterday_date);
  assert_value (page, "Payments", euros_zero ());
  g_assert_null (till_day_totals_page_get_warning (page));
  gtk_widget_activate_action (GTK_WIDGET (page), "day-totals.next", NULL);
  wait_report (page);
  g_free (date);
  date = till_day_totals_page_dup_date (page);
  g_assert_cmpstr (date, ==, today);

  /* A cashier signs in at this terminal: the manager's figures go at
   * once, before the server refuses the cashier. */
  {
    g_autoptr(TillSession) cashier = till_test_signed_in_session (server->url, "alice", CASHIER_PASSWORD, FALSE);
    g_autoptr(TillPrintout) gone = NULL;

    till_day_totals_page_set_session (page, cashier);
    gone = till_day_totals_page_new_printout (page);
    g_assert_null (gone);
    wait_for (page_settled, page, "the refusal");
    g_assert_cmpstr (till_day_totals_page_get_state (page), ==, "error");
  }

  gtk_window_destroy (GTK_WINDOW (window));
}

/* A cashier's session: the server refuses, and the page says why. */
static void
test_day_totals_cashier (void)
{
  g_autoptr(TillSession) session = till_test_signed_in_session (server->url, "alice", CASHIER_PASSWORD, FALSE);
  GtkWidget *window = gtk_window_new ();
  TillDayTotalsPage *page = g_object_new (TILL_TYPE_DAY_TOTALS_PAGE, NULL);

  till_day_totals_page_set_session (page, session);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_present (GTK_WINDOW (window));
  wait_for (page_settled, page, "the refusal");
  g_assert_cmpstr (till_day_totals_page_get_state (page), ==, "error");
  g_assert_null (till_day_totals_page_new_printout (page));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The breakdowns by brand and by cashier, as the server's report gives
 * them (read on their way by a proxy in front of it): one row each on
 * the page, and their figures in the PDF. */
static void
add_breakdowns_cb (const char  *method,
                   const char  *path,
                   guint        nth,
                   guint       *status,
                   JsonObject **body,
                   guint       *delay_ms,
                   gpointer     data)
{
  JsonObject **seen = data;

  if (!g_str_equal (path, "/api/reports/day") || *status != 200 || *body == NULL)
    return;
  g_clear_pointer (seen, json_object_unref);
  *seen = json_object_ref (*body);
}

static gboolean
report_seen (gpointer data)
{
  return *(JsonObject **) data != NULL;
}

static void
test_day_totals_breakdowns (void)
{
  g_autoptr(JsonObject) seen = NULL;
  g_autoptr(TillTestLiar) liar = till_test_liar_start (server->url, NULL, add_breakdowns_cb, &seen);
  g_autoptr(TillSession) session = till_test_signed_in_session (till_test_liar_get_url (liar), "morgan",
                                                                MANAGER_PASSWORD, FALSE);
  GtkWidget *window = gtk_window_new ();
  TillDayTotalsPage *page = g_object_new (TILL_TYPE_DAY_TOTALS_PAGE, NULL);
  const struct { const char *member; const char *key; const char *group; } kinds[] = {
    { "by_brand", "brand", "brand" },
    { "by_cashier", "cashier", "cashier" },
  };
  g_autoptr(TillPrintout) printout = NULL;
  g_autofree char *pdf = NULL;
  g_autofree char *text = NULL;

  till_day_totals_page_set_session (page, session);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  gtk_window_set_default_size (GTK_WINDOW (window), 900, 1100);
  gtk_window_present (GTK_WINDOW (window));
  wait_for (report_seen, &seen, "the report");
  wait_report (page);
  till_test_save_screenshot (GTK_WIDGET (window), "day-totals-page-breakdowns");
  printout = till_day_totals_page_new_printout (page);
  pdf = export (printout, TILL_PAPER_A4, "day-totals-breakdowns-a4.pdf");
  text = pdf_text (pdf);
  g_test_message ("%s", text);

  for (guint k = 0; k < G_N_ELEMENTS (kinds); k++)
    {
      JsonArray *rows = json_object_get_array_member (seen, kinds[k].member);

      g_assert_cmpuint (json_array_get_length (rows), >, 0);
      for (guint i = 0; i < json_array_get_length (rows); i++)
        {
          JsonObject *row = json_array_get_object_element (rows, i);
          const char *name = json_object_get_string_member_with_default (row, kinds[k].key, NULL);
          /* The brands as the charge screen names them. */
          const char *title = k == 1 ? name
                              : g_strcmp0 (name, "visa") == 0 ? "Visa"
                              : g_strcmp0 (name, "mastercard") == 0 ? "Mastercard"
                              : name == NULL ? "Brand not known" : NULL;
          g_autofree char *net = euros (json_object_get_int_member (row, "net"));
          JsonObject *payments = json_object_get_object_member (row, "payments");
          g_autofree char *paid = euros (json_object_get_int_member (payments, "amount"));
          g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int_member (payments, "count"));

          if (title == NULL)
            continue;
          g_assert_cmpstr (till_day_totals_page_get_value (page, kinds[k].group, title), ==, net);
          assert_line (text, title, NULL);
          assert_line (text, "Net", net, NULL);
          assert_line (text, "Payments", count, paid, NULL);
        }
    }
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A report for another day than the one asked for (or for no day at
 * all) is not shown as that day's, printed, or used to ask for a CSV. */
static void
other_day_cb (const char  *method,
              const char  *path,
              guint        nth,
              guint       *status,
              JsonObject **body,
              guint       *delay_ms,
              gpointer     data)
{
  if (g_str_equal (path, "/api/reports/day") && *status == 200 && *body != NULL)
    json_object_set_string_member (*body, "date", data);
}

static void
test_day_totals_other_day (void)
{
  const char *lies[] = { "2001-01-01", "1&limit=9" };

  for (guint i = 0; i < G_N_ELEMENTS (lies); i++)
    {
      g_autoptr(TillTestLiar) liar = till_test_liar_start (server->url, NULL, other_day_cb, (gpointer) lies[i]);
      g_autoptr(TillSession) session = till_test_signed_in_session (till_test_liar_get_url (liar), "morgan",
                                                                    MANAGER_PASSWORD, FALSE);
      GtkWidget *window = gtk_window_new ();
      TillDayTotalsPage *page = g_object_new (TILL_TYPE_DAY_TOTALS_PAGE, NULL);

      till_day_totals_page_set_session (page, session);
      gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
      gtk_window_present (GTK_WINDOW (window));
      wait_for (page_settled, page, "the lying report");
      g_assert_cmpstr (till_day_totals_page_get_state (page), ==, "error");
      g_assert_null (till_day_totals_page_new_printout (page));
      gtk_window_destroy (GTK_WINDOW (window));
    }
}

int
main (int   argc,
      char *argv[])
{
  static const char * const no_warnings[] = { NULL };
  const char *dir = g_getenv ("TILL_TEST_ARTIFACTS");
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-receipts");
  /* Its cases look for what earlier ones made today. */
  till_test_keep_off_midnight (150);
  gtk_init ();
  adw_init ();
  till_test_fatal_warnings_except (no_warnings);

  artifacts = dir != NULL ? g_strdup (dir) : g_build_filename (g_getenv ("G_TEST_BUILDDIR") ? g_getenv ("G_TEST_BUILDDIR") : ".",
                                                               "artifacts", NULL);
  g_mkdir_with_parents (artifacts, 0755);

  server = till_test_server_new (NULL, "[shop]\nname=" SHOP_NAME "\ncurrency=EUR\ncountry=DE\n");
  till_test_server_add_user (server, "alice", "cashier", CASHIER_PASSWORD);
  till_test_server_add_user (server, "morgan", "manager", MANAGER_PASSWORD);
  till_test_server_start (server);
  cashier_token = till_test_server_login (server, "alice", CASHIER_PASSWORD);
  manager_token = till_test_server_login (server, "morgan", MANAGER_PASSWORD);

  g_test_add_func ("/receipts/approved", test_receipt_approved);
  g_test_add_func ("/receipts/refunded", test_receipt_refunded);
  g_test_add_func ("/receipts/declined", test_receipt_declined);
  g_test_add_func ("/receipts/edges", test_receipt_edges);
  g_test_add_func ("/receipts/dialog", test_receipt_dialog);
  g_test_add_func ("/printout/pages", test_printout_pages);
  g_test_add_func ("/day-totals/manager", test_day_totals);
  g_test_add_func ("/day-totals/breakdowns", test_day_totals_breakdowns);
  g_test_add_func ("/day-totals/cashier", test_day_totals_cashier);
  g_test_add_func ("/day-totals/other-day", test_day_totals_other_day);
  status = till_test_run ();

  till_test_server_free (server);
  g_free (cashier_token);
  g_free (manager_token);
  g_free (artifacts);
  return status;
}
