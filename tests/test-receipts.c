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

#include "till-money.h"
#include "till-receipt-private.h"
#include "till-test-harness.h"
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

/* GET /api/payments/{id}. The server lists a payment's refunds in it
 * ("refunds", docs/api.md); where this server does not yet, the refunds
 * made here are put in as it would. */
static JsonObject *
get_payment (const char *id,
             JsonNode  **refunds,
             guint       n_refunds)
{
  g_autofree char *path = g_strdup_printf ("/api/payments/%s", id);
  g_autoptr(TillTestResponse) response = till_test_get (server, path, manager_token);
  JsonObject *payment;

  g_assert_cmpuint (response->status, ==, 200);
  payment = json_object_ref (object_of (response));
  if (!json_object_has_member (payment, "refunds") && n_refunds > 0)
    {
      JsonArray *array = json_array_new ();

      for (guint i = 0; i < n_refunds; i++)
        json_array_add_element (array, json_node_copy (refunds[i]));
      json_object_set_array_member (payment, "refunds", array);
    }
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

static char *
euros (gint64 amount)
{
  return till_money_format (amount, "EUR", NULL);
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

static gboolean
drawn (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0;
}

/* The widget as it looks on screen, saved as a PNG artifact. */
static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = artifact_path (name);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);

  wait_for (drawn, widget, "the widget to be drawn");
  /* A frame for the layout to settle. */
  for (int i = 0; i < 50; i++)
    g_main_context_iteration (NULL, FALSE);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, path));
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
  double width, height;

  gtk_window_set_default_size (GTK_WINDOW (parent), 800, 600);
  gtk_window_present (GTK_WINDOW (parent));
  till_receipt_present (GTK_WINDOW (parent), session, payment);
  wait_for (receipt_dialog_open, NULL, "the receipt dialog");
  dialog = till_receipt_find_dialog ();
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (parent));
  screenshot (GTK_WIDGET (dialog), "receipt-dialog.png");

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

  gtk_window_destroy (dialog);
  gtk_window_destroy (GTK_WINDOW (parent));
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
  g_test_add_func ("/receipts/dialog", test_receipt_dialog);
  status = g_test_run ();

  till_test_server_free (server);
  g_free (cashier_token);
  g_free (manager_token);
  g_free (artifacts);
  return status;
}
