/* till-receipt.c: one payment's receipt, printed or saved as PDF
 *
 * A receipt is proof that a card was charged, so only an approved
 * (succeeded) payment has one: for a declined, failed or still unknown
 * payment the cashier is told why there is none, and no paper that could
 * pass for proof of payment leaves the till. What it shows, and why, is in
 * docs/receipts.md. It names the card by its brand and last 4 digits only
 * (the only part of a number Till ever holds), and never carries the
 * payment's idempotency key or client secret.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-receipt"

#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "till-a11y.h"
#include "till-backend-answers.h"
#include "till-charge-words.h"
#include "till-money.h"
#include "till-receipt-private.h"

#define PREVIEW_PADDING 12
#define PREVIEW_MAX_HEIGHT 360

G_DEFINE_QUARK (till-receipt-error-quark, till_receipt_error)

/* Local time, as the customer's clock shows it; "" when unreadable. */
static char *
format_time (const char *iso8601)
{
  g_autoptr(GDateTime) utc = iso8601 != NULL ? g_date_time_new_from_iso8601 (iso8601, NULL) : NULL;
  g_autoptr(GDateTime) local = utc != NULL ? g_date_time_to_local (utc) : NULL;

  if (local == NULL)
    return g_strdup ("");
  /* Translators: a receipt's date and time, see g_date_time_format(). */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M"));
}

/* A card number typed into a sale's description by mistake is never
 * printed: a run of 13 or more digits, with or without spaces or dashes
 * between them, becomes bullets. */
static char *
mask_card_numbers (const char *text)
{
  static GRegex *digits;
  g_autofree char *masked = NULL;

  if (g_once_init_enter (&digits))
    g_once_init_leave (&digits, g_regex_new ("[0-9](?:[ -]?[0-9]){12,}", G_REGEX_OPTIMIZE, 0, NULL));
  masked = g_regex_replace_literal (digits, text, -1, 0, "••••", 0, NULL);
  return masked != NULL ? g_steal_pointer (&masked) : g_strdup ("");
}

static const char *
get_string (JsonObject *object,
            const char *name)
{
  const char *value = NULL;

  if (!till_answer_get_string (object, name, 1000, FALSE, &value, NULL))
    return NULL;
  return value;
}

static void
start_refunds (TillPrintout *printout,
               gboolean     *started)
{
  if (*started)
    return;
  till_printout_add_rule (printout);
  till_printout_add_text (printout, TILL_PRINTOUT_HEADING, _("Refunds"));
  *started = TRUE;
}

/* The refunds of the "refunds" array: each one with its date and amount.
 * A failed refund gave nothing back and is left out; a pending one is
 * shown as such, and not taken off the total. What the server counts as
 * refunded beyond the refunds listed (refunds made at Stripe that it does
 * not list) is one more line, so that the lines add up to the total. */
static void
add_refunds (TillPrintout *printout,
             JsonObject   *payment,
             const char   *currency,
             gint64        amount,
             gint64        refunded)
{
  JsonNode *node = json_object_get_member (payment, "refunds");
  JsonArray *refunds = node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
  gboolean started = FALSE;
  gint64 listed = 0;

  for (guint i = 0; refunds != NULL && i < json_array_get_length (refunds); i++)
    {
      JsonNode *element = json_array_get_element (refunds, i);
      JsonObject *refund = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      const char *status = refund != NULL ? get_string (refund, "status") : NULL;
      g_autofree char *when = NULL;
      g_autofree char *money = NULL;
      g_autofree char *label = NULL;
      gint64 refund_amount;

      if (status == NULL || g_str_equal (status, "failed") ||
          !till_answer_get_int (refund, "amount", 1, amount, &refund_amount, NULL))
        continue;
      start_refunds (printout, &started);
      when = format_time (get_string (refund, "created"));
      money = till_money_format (refund_amount, currency, NULL);
      if (g_str_equal (status, "succeeded"))
        {
          /* Translators: a refund on a receipt, with its date and time. */
          label = g_strdup_printf (_("Refunded %s"), when);
          listed = MIN (listed + refund_amount, amount);
        }
      else
        /* Translators: a refund the card's bank has not confirmed yet. */
        label = g_strdup_printf (_("Refund pending, %s"), when);
      till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, label, NULL, money);
    }
  if (refunded > listed)
    {
      g_autofree char *money = till_money_format (refunded - listed, currency, NULL);

      start_refunds (printout, &started);
      till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Other refunds"), NULL, money);
    }
  if (started)
    {
      g_autofree char *left = till_money_format (amount - refunded, currency, NULL);

      till_printout_add_row (printout, TILL_PRINTOUT_STRONG, _("Total after refunds"), NULL, left);
    }
}

TillPrintout *
till_receipt_new_printout (JsonObject  *payment,
                           const char  *shop_name,
                           GError     **error)
{
  g_autoptr(TillPaymentAnswer) answer = NULL;
  g_autoptr(TillPrintout) printout = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *when = NULL;
  g_autofree char *total = NULL;
  g_autofree char *card = NULL;
  gint64 refunded = 0;

  g_return_val_if_fail (payment != NULL, NULL);

  answer = till_payment_answer_read (payment, &local_error);
  if (answer == NULL ||
      !till_answer_get_int (payment, "amount_refunded", 0, answer->amount, &refunded, &local_error))
    {
      g_message ("Not a payment: %s", local_error->message);
      g_set_error_literal (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_UNUSABLE,
                           _("The shop server’s answer about this payment is not usable."));
      return NULL;
    }
  if (answer->status != TILL_PAYMENT_STATE_SUCCEEDED)
    {
      g_set_error_literal (error, TILL_RECEIPT_ERROR, TILL_RECEIPT_ERROR_NOT_APPROVED,
                           answer->status == TILL_PAYMENT_STATE_PENDING ||
                           answer->status == TILL_PAYMENT_STATE_REQUIRES_ACTION
                             ? _("This payment is not approved yet, so there is no receipt for it.")
                             : _("This payment was not approved and nothing was charged, so there is "
                                 "no receipt for it."));
      return NULL;
    }

  printout = till_printout_new (_("Receipt"));
  if (shop_name != NULL && *shop_name != '\0')
    till_printout_add_text (printout, TILL_PRINTOUT_TITLE, shop_name);
  when = format_time (get_string (payment, "created"));
  till_printout_add_text (printout, TILL_PRINTOUT_CENTRED, when);
  till_printout_add_rule (printout);

  if (answer->description != NULL)
    {
      g_autofree char *description = mask_card_numbers (answer->description);

      till_printout_add_text (printout, TILL_PRINTOUT_NORMAL, description);
    }
  total = till_money_format (answer->amount, answer->currency, NULL);
  till_printout_add_row (printout, TILL_PRINTOUT_STRONG, _("Total"), NULL, total);
  till_printout_add_space (printout);

  if (answer->last4 != NULL)
    /* Translators: a card's brand and the last 4 digits of its number. */
    card = g_strdup_printf (_("%s •••• %s"), till_charge_words_brand (answer->brand), answer->last4);
  else
    card = g_strdup (till_charge_words_brand (answer->brand));
  till_printout_add_row (printout, TILL_PRINTOUT_NORMAL, _("Card"), NULL, card);
  till_printout_add_text (printout, TILL_PRINTOUT_NORMAL, _("Payment"));
  till_printout_add_text (printout, TILL_PRINTOUT_NORMAL, answer->id);
  till_printout_add_space (printout);
  till_printout_add_text (printout, TILL_PRINTOUT_TITLE, _("Approved"));

  add_refunds (printout, payment, answer->currency, answer->amount, refunded);

  till_printout_add_rule (printout);
  till_printout_add_text (printout, TILL_PRINTOUT_CENTRED, _("Thank you"));
  return g_steal_pointer (&printout);
}

/* The dialog */

typedef struct
{
  TillPrintout   *printout;
  GtkWindow      *parent;         /* weak */
  GtkCheckButton *receipt_paper;  /* the dialog's */
  GtkCheckButton *a4_paper;
  char           *payment_id;
} Dialog;

static void
dialog_free (gpointer data)
{
  Dialog *dialog = data;

  g_object_unref (dialog->printout);
  g_clear_weak_pointer (&dialog->parent);
  g_free (dialog->payment_id);
  g_free (dialog);
}

static Dialog *
dialog_of (GtkWindow *window)
{
  return g_object_get_data (G_OBJECT (window), "till-receipt");
}

static void
draw_preview_cb (GtkDrawingArea *area,
                 cairo_t        *cr,
                 int             width,
                 int             height,
                 gpointer        data)
{
  TillPrintout *printout = data;

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_translate (cr, PREVIEW_PADDING, PREVIEW_PADDING);
  till_printout_draw (printout, cr, width - 2 * PREVIEW_PADDING);
}

/* The receipt as it prints on receipt paper, 72 mm at 72 points an inch. */
static GtkWidget *
new_preview (TillPrintout *printout)
{
  double width = 72.0 * 72.0 / 25.4;
  int height = (int) till_printout_get_height (printout, width) + 2 * PREVIEW_PADDING;
  GtkWidget *area = gtk_drawing_area_new ();
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (area), (int) width + 2 * PREVIEW_PADDING);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (area), height);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (area), draw_preview_cb, g_object_ref (printout),
                                  g_object_unref);
  gtk_widget_set_halign (area, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (area), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Preview of the receipt"), -1);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), area);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  /* All of a short receipt, a long one scrolls. */
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), MIN (height, PREVIEW_MAX_HEIGHT));
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), PREVIEW_MAX_HEIGHT);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_widget_add_css_class (scrolled, "card");
  return scrolled;
}

static GtkWidget *
new_paper_choice (Dialog *dialog)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_("Paper"));
  GtkWidget *receipt = gtk_check_button_new_with_mnemonic (_("_Receipt 80 mm"));
  GtkWidget *a4 = gtk_check_button_new_with_mnemonic (_("_A4"));

  gtk_widget_add_css_class (label, "dim-label");
  gtk_check_button_set_group (GTK_CHECK_BUTTON (a4), GTK_CHECK_BUTTON (receipt));
  gtk_check_button_set_active (GTK_CHECK_BUTTON (receipt), TRUE);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), label);
  gtk_box_append (GTK_BOX (box), receipt);
  gtk_box_append (GTK_BOX (box), a4);
  dialog->receipt_paper = GTK_CHECK_BUTTON (receipt);
  dialog->a4_paper = GTK_CHECK_BUTTON (a4);
  return box;
}

static void
response_cb (AdwMessageDialog *window,
             const char       *response,
             gpointer          data)
{
  Dialog *dialog = dialog_of (GTK_WINDOW (window));
  TillPaper paper = till_receipt_dialog_get_paper (GTK_WINDOW (window));
  g_autofree char *name = NULL;

  if (dialog->parent == NULL)
    return;
  if (g_str_equal (response, "print"))
    till_printout_print (dialog->printout, paper, dialog->parent);
  else if (g_str_equal (response, "pdf"))
    {
      /* Translators: the file name a receipt is saved as; %s is the payment id. */
      name = g_strdup_printf (_("receipt-%s.pdf"), dialog->payment_id);
      till_printout_save_pdf (dialog->printout, paper, dialog->parent, name);
    }
}

static void
show_receipt (GtkWindow    *parent,
              TillPrintout *printout,
              JsonObject   *payment)
{
  GtkWidget *window;
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  Dialog *dialog = g_new0 (Dialog, 1);

  dialog->printout = g_object_ref (printout);
  dialog->payment_id = g_strdup (get_string (payment, "id"));
  g_set_weak_pointer (&dialog->parent, parent);

  window = adw_message_dialog_new (parent, _("Receipt"), NULL);
  /* It goes with the window it was opened over (a sign-out, a lock). */
  gtk_window_set_destroy_with_parent (GTK_WINDOW (window), TRUE);
  g_object_set_data_full (G_OBJECT (window), "till-receipt", dialog, dialog_free);
  gtk_box_append (GTK_BOX (box), new_preview (printout));
  gtk_box_append (GTK_BOX (box), new_paper_choice (dialog));
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (window), box);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (window),
                                    "close", _("_Close"),
                                    "pdf", _("Save as P_DF…"),
                                    "print", _("_Print…"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (window), "print",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (window), "print");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (window), "close");
  g_signal_connect (window, "response", G_CALLBACK (response_cb), NULL);
  till_a11y_fix_mnemonics (window);
  gtk_window_present (GTK_WINDOW (window));
}

GtkWindow *
till_receipt_find_dialog (void)
{
  g_autoptr(GList) windows = gtk_window_list_toplevels ();

  for (GList *l = windows; l != NULL; l = l->next)
    if (dialog_of (l->data) != NULL && gtk_widget_get_visible (l->data))
      return l->data;
  return NULL;
}

TillPrintout *
till_receipt_dialog_get_printout (GtkWindow *window)
{
  g_return_val_if_fail (dialog_of (window) != NULL, NULL);
  return dialog_of (window)->printout;
}

TillPaper
till_receipt_dialog_get_paper (GtkWindow *window)
{
  g_return_val_if_fail (dialog_of (window) != NULL, TILL_PAPER_RECEIPT);
  return gtk_check_button_get_active (dialog_of (window)->receipt_paper) ? TILL_PAPER_RECEIPT
                                                                          : TILL_PAPER_A4;
}

void
till_receipt_dialog_set_paper (GtkWindow *window,
                               TillPaper  paper)
{
  Dialog *dialog = dialog_of (window);

  g_return_if_fail (dialog != NULL);
  gtk_check_button_set_active (paper == TILL_PAPER_RECEIPT ? dialog->receipt_paper : dialog->a4_paper, TRUE);
}

/* Presenting: the payment (when only its id is known), then the shop's
 * name, then the dialog. */

typedef struct
{
  GtkWindow    *parent;       /* weak */
  TillSession  *session;
  JsonObject   *payment;
  GCancellable *cancellable;  /* the parent's, see till_receipt_cancel() */
} Present;

static void
present_free (Present *present)
{
  g_clear_weak_pointer (&present->parent);
  g_clear_object (&present->session);
  g_clear_object (&present->cancellable);
  g_clear_pointer (&present->payment, json_object_unref);
  g_free (present);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Present, present_free)

#define CANCELLABLE_KEY "till-receipt-cancellable"

static Present *
present_new (GtkWindow   *parent,
             TillSession *session)
{
  Present *present = g_new0 (Present, 1);
  GCancellable *cancellable = g_object_get_data (G_OBJECT (parent), CANCELLABLE_KEY);

  if (cancellable == NULL)
    {
      cancellable = g_cancellable_new ();
      g_object_set_data_full (G_OBJECT (parent), CANCELLABLE_KEY, cancellable, g_object_unref);
    }
  g_set_weak_pointer (&present->parent, parent);
  present->session = g_object_ref (session);
  present->cancellable = g_object_ref (cancellable);
  return present;
}

/* Gone, or what was asked over it is no longer wanted. */
static gboolean
present_dropped (Present *present)
{
  return present->parent == NULL || g_cancellable_is_cancelled (present->cancellable);
}

void
till_receipt_cancel (GtkWindow *parent)
{
  GCancellable *cancellable;

  g_return_if_fail (GTK_IS_WINDOW (parent));

  cancellable = g_object_get_data (G_OBJECT (parent), CANCELLABLE_KEY);
  if (cancellable != NULL)
    {
      g_cancellable_cancel (cancellable);
      /* The next receipt asked for starts afresh. */
      g_object_set_data (G_OBJECT (parent), CANCELLABLE_KEY, NULL);
    }
}

static void
config_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(Present) present = data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(TillPrintout) printout = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) config_error = NULL;
  JsonObject *config;
  const char *shop_name = NULL;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &config_error);
  if (present_dropped (present))
    return;
  config = response != NULL ? till_backend_response_get_object (response) : NULL;
  if (config != NULL)
    till_answer_get_string (config, "shop_name", 200, FALSE, &shop_name, NULL);
  else
    /* A receipt without the shop's name is still a receipt. */
    g_message ("The shop's settings could not be read: %s",
               config_error != NULL ? config_error->message : "no body");

  printout = till_receipt_new_printout (present->payment, shop_name, &error);
  if (printout == NULL)
    till_printout_show_problem (present->parent, _("No Receipt"), error->message);
  else
    show_receipt (present->parent, printout, present->payment);
}

static void
read_config (Present *present)
{
  TillSession *session = present->session;

  till_session_request_async (session, "GET", "/api/config", NULL, NULL, present->cancellable, config_cb,
                              present);
}

void
till_receipt_present (GtkWindow   *parent,
                      TillSession *session,
                      JsonObject  *payment)
{
  Present *present;

  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (TILL_IS_SESSION (session));
  g_return_if_fail (payment != NULL);

  present = present_new (parent, session);
  present->payment = json_object_ref (payment);
  read_config (present);
}

static void
payment_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(Present) present = data;
  g_autoptr(TillBackendResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *payment;

  response = till_session_request_finish (TILL_SESSION (object), result, NULL, &error);
  if (present_dropped (present))
    return;
  payment = response != NULL ? till_backend_response_get_object (response) : NULL;
  if (payment == NULL)
    {
      g_message ("The payment could not be read: %s", error != NULL ? error->message : "no body");
      till_printout_show_problem (present->parent, _("Could Not Make the Receipt"),
                    _("The payment could not be read from the shop server. Try again in a moment."));
      return;
    }
  present->payment = json_object_ref (payment);
  read_config (g_steal_pointer (&present));
}

void
till_receipt_present_id (GtkWindow   *parent,
                         TillSession *session,
                         const char  *payment_id)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  Present *present;

  g_return_if_fail (GTK_IS_WINDOW (parent));
  g_return_if_fail (TILL_IS_SESSION (session));
  g_return_if_fail (payment_id != NULL);

  escaped = g_uri_escape_string (payment_id, NULL, FALSE);
  path = g_strconcat ("/api/payments/", escaped, NULL);
  present = present_new (parent, session);
  till_session_request_async (session, "GET", path, NULL, NULL, present->cancellable, payment_cb, present);
}
