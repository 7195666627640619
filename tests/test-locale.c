/* test-locale.c: Till in Korean, against a shop that takes won
 *
 * Runs under Xvfb in ko_KR.UTF-8, with the translation this build compiled
 * (po/ko.po, made into $builddir/po/ko/LC_MESSAGES/till.mo) bound in this
 * process, against a real till-server whose shop's currency is KRW: the
 * sign-in form speaks Korean, read from its widgets; an amount typed on the
 * charge page shows as won, grouped, without decimals; a card charged, and
 * one declined, show their results in Korean; the history and the audit log
 * show dates in the Korean form; the day's totals name their day the Korean
 * way; About credits the translators. Every page is saved as a screenshot
 * at 1024×568 (a 600 px screen less the top bar) for a person to look at:
 * sign-in (and its error), charge, card, result, decline, history, refund,
 * day totals, staff, audit log, preferences, lock.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>
#include <sqlite3.h>
#include <webkit/webkit.h>

#include "till-application.h"
#include "till-approval-dialog.h"
#include "till-audit-page-private.h"
#include "till-charge-page-private.h"
#include "till-day-totals-page-private.h"
#include "till-history-page-private.h"
#include "till-preferences-window.h"
#include "till-receipt-private.h"
#include "till-refund-dialog-private.h"
#include "till-staff-page-private.h"
#include "till-test-harness.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define LOCALE "ko_KR.UTF-8"
#define ALICE_PASSWORD "alice-password-1"
#define MORGAN_PASSWORD "morgan-password-3"
/* The seeded payment: a year and more ago, so that its row shows a date
 * with its year. */
#define OLD_PAYMENT "pay_seed_morgan_0"
#define OLD_AGE (400 * 24 * 3600)
#define OLD_AMOUNT 25000

static TillApplication *app;
static TillTestServer *shop;

/* The texts of the labels under widget, as set (mnemonics with their
 * underscore): what a person sees on it. */
static void
collect_labels (GtkWidget *widget,
                GPtrArray *texts)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget))
    g_ptr_array_add (texts, g_strdup (gtk_label_get_label (GTK_LABEL (widget))));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, texts);
}

/* The text a widget shows by its kind: a label's text, a preferences
 * row's title; NULL for other widgets. */
typedef const char *(*TextOf) (GtkWidget *widget);

/* The first widget under widget, itself included, whose text_of is text. */
static GtkWidget *
find_widget (GtkWidget  *widget,
             TextOf      text_of,
             const char *text)
{
  if (g_strcmp0 (text_of (widget), text) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, text_of, text);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static const char *
label_text (GtkWidget *widget)
{
  return GTK_IS_LABEL (widget) && gtk_widget_get_visible (widget) ? gtk_label_get_label (GTK_LABEL (widget)) : NULL;
}

static const char *
row_title (GtkWidget *widget)
{
  return ADW_IS_PREFERENCES_ROW (widget) ? adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)) : NULL;
}

/* The label under widget whose text is text, or NULL. */
static GtkWidget *
find_label (GtkWidget  *widget,
            const char *text)
{
  return find_widget (widget, label_text, text);
}

static GtkWidget *
assert_shows (GtkWidget  *widget,
              const char *text)
{
  GtkWidget *label = find_label (widget, text);

  if (label == NULL)
    {
      g_autoptr(GPtrArray) texts = g_ptr_array_new_with_free_func (g_free);
      g_autofree char *joined = NULL;

      collect_labels (widget, texts);
      g_ptr_array_add (texts, NULL);
      joined = g_strjoinv ("” “", (char **) texts->pdata);
      g_error ("%s shows no “%s”; it shows “%s”", G_OBJECT_TYPE_NAME (widget), text, joined);
    }
  return label;
}

static gboolean
shows_label (TillWindow    *window,
             gconstpointer  text)
{
  return find_label (GTK_WIDGET (window), text) != NULL;
}

static gboolean
sign_in_refused (TillWindow    *window,
                 gconstpointer  data)
{
  TillSignInPage *page = till_window_get_sign_in_page (window);

  return till_sign_in_page_get_state (page) == TILL_FORM_ERROR && till_sign_in_page_get_error (page) != NULL;
}

static gboolean
refund_done (TillWindow    *window,
             gconstpointer  dialog)
{
  TillRefundDialog *refund = TILL_REFUND_DIALOG ((gpointer) dialog);

  return !till_refund_dialog_get_busy (refund) && till_refund_dialog_get_outcome (refund) == TILL_REFUND_OUTCOME_SUCCEEDED;
}

static gboolean
approval_answered (TillWindow    *window,
                   gconstpointer  dialog)
{
  TillApprovalDialog *approval = TILL_APPROVAL_DIALOG ((gpointer) dialog);

  return !till_approval_dialog_get_busy (approval) && till_approval_dialog_get_message (approval) != NULL;
}

static gboolean
widget_mapped (TillWindow    *window,
               gconstpointer  widget)
{
  return gtk_widget_get_mapped (GTK_WIDGET (widget));
}

static gboolean
revealed (TillWindow    *window,
          gconstpointer  revealer)
{
  return gtk_revealer_get_child_revealed (GTK_REVEALER (revealer));
}

static gboolean
can_charge (TillWindow    *window,
            gconstpointer  data)
{
  return till_charge_page_get_can_charge (till_window_get_charge_page (window));
}

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

/* From the charge page's amount to a card ready to charge: amount_keys
 * typed, Enter, then the card's number, expiry and code. */
static void
charge_card (TillWindow *window,
             const char *amount_keys,
             gint64      amount,
             const char *number)
{
  /* "": the amount is on screen already. */
  if (*amount_keys != '\0')
    type_text (amount_keys);
  till_test_window_wait (window, till_test_window_amount_is, GINT_TO_POINTER (amount), "the amount");
  gtk_widget_grab_focus (GTK_WIDGET (till_window_get_charge_page (window)));
  till_test_xdo ("key", "Return", NULL);
  till_test_web_wait_card_focus (till_test_window_get_web_view (window));
  type_text (number);
  type_text ("1230");
  type_text ("123");
  till_test_window_wait (window, can_charge, NULL, "the card to be complete");
}

static void
focus_window (void)
{
  /* Xvfb has no window manager to give the X input focus back. */
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
}

/* The history's list and details once it has loaded. */
static gboolean
history_listed (TillWindow    *window,
                gconstpointer  data)
{
  TillHistoryPage *page = till_window_get_history_page (window);
  TillPaymentList *list = till_history_page_get_list (page);

  return g_strcmp0 (till_history_page_get_list_state (page), "list") == 0 &&
         till_payment_list_get_state (list) == TILL_PAYMENT_LIST_IDLE &&
         g_list_model_get_n_items (G_LIST_MODEL (list)) == 3;
}

static gboolean
details_match (TillWindow    *window,
               gconstpointer  pattern)
{
  g_autofree char *text = till_history_page_dup_details_text (till_window_get_history_page (window));

  return g_regex_match_simple (pattern, text, 0, 0);
}

/* The receipt's dialog, once the payment read back has been laid out. */
static gboolean
receipt_shown (TillWindow    *window,
               gconstpointer  data)
{
  GtkWindow *dialog = till_receipt_find_dialog ();
  g_autofree char *text = dialog ? till_printout_dup_text (till_receipt_dialog_get_printout (dialog)) : NULL;

  return text != NULL && *text != '\0';
}

static gboolean
day_totals_shown (TillWindow    *window,
                  gconstpointer  data)
{
  return g_strcmp0 (till_day_totals_page_get_state (till_test_window_get_day_totals (window)), "report") == 0;
}

static gboolean
staff_listed (TillWindow    *window,
              gconstpointer  data)
{
  TillStaffPage *page = till_window_get_staff_page (window);

  return !till_staff_page_get_busy (page) && g_strcmp0 (till_staff_page_describe (page, "alice"), "계산원") == 0;
}

static gboolean
audit_listed (TillWindow    *window,
              gconstpointer  data)
{
  TillAuditList *list = till_audit_page_get_list (till_window_get_audit_page (window));

  return list != NULL && !till_audit_list_get_loading (list) && g_list_model_get_n_items (G_LIST_MODEL (list)) > 0;
}

/* A toplevel other than the main window, by its title. */
static GtkWindow *
find_toplevel (const char *title)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (gtk_widget_get_visible (GTK_WIDGET (toplevel)) && g_strcmp0 (gtk_window_get_title (toplevel), title) == 0)
        return toplevel;
    }
  return NULL;
}

static gboolean
toplevel_shown (TillWindow    *window,
                gconstpointer  title)
{
  return find_toplevel (title) != NULL;
}

static AdwAboutWindow *
find_about (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (ADW_IS_ABOUT_WINDOW (toplevel))
        return ADW_ABOUT_WINDOW (toplevel);
    }
  return NULL;
}

static gboolean
about_shown (TillWindow    *window,
             gconstpointer  data)
{
  return find_about () != NULL;
}

/* The texts a date is shown in, worked out here in the Korean form, so
 * that a translation that lost its date formats fails. */
static char *
korean_date_time (GDateTime  *time,
                  const char *format)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (time);

  return g_date_time_format (local, format);
}

/* A manager signs in at 1024×568, charges ₩12,000 and walks through every
 * page; each is checked for Korean and saved as a screenshot. */
static void
test_korean_window (void)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  TillWindow *window;
  TillChargePage *charge;
  TillHistoryPage *history;
  GtkWidget *sign_in_label;
  GtkWidget *sign_in_button;
  GtkWidget *error_label;
  g_autoptr(TillPaymentItem) old = NULL;
  g_autoptr(TillPaymentItem) new = NULL;
  g_autofree char *old_when = NULL;
  g_autofree char *new_when = NULL;
  g_autofree char *day = NULL;
  GtkWindow *dialog;

  g_settings_set_string (settings, "server-url", shop->url);
  g_settings_set_string (settings, "last-username", "morgan");
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_set_int (settings, "window-width", 1024);
  g_settings_set_int (settings, "window-height", 568);
  g_settings_sync ();

  window = till_window_new (app);
  gtk_window_present (GTK_WINDOW (window));
  till_test_window_wait (window, till_test_window_is_mapped, NULL, "the window to map");
  focus_window ();

  /* The sign-in form, in ko.po's words: its title, its fields, its
   * button (with its mnemonic in the Korean form) and the button's tooltip. */
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  assert_shows (GTK_WIDGET (till_window_get_sign_in_page (window)), "로그인");
  assert_shows (GTK_WIDGET (till_window_get_sign_in_page (window)), "매장 서버");
  assert_shows (GTK_WIDGET (till_window_get_sign_in_page (window)), "이 단말기에서 로그인 유지");
  sign_in_label = assert_shows (GTK_WIDGET (till_window_get_sign_in_page (window)), "로그인(_S)");
  sign_in_button = gtk_widget_get_ancestor (sign_in_label, GTK_TYPE_BUTTON);
  g_assert_nonnull (sign_in_button);
  g_assert_cmpstr (gtk_widget_get_tooltip_text (sign_in_button), ==, "로그인(Enter)");
  g_assert_null (find_label (GTK_WIDGET (window), "_Sign In"));
  till_test_save_screenshot (GTK_WIDGET (window), "ko-sign-in");

  /* A wrong password, said in Korean. */
  type_text ("not-the-password");
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, sign_in_refused, NULL, "the wrong password's error");
  g_assert_cmpstr (till_sign_in_page_get_error (till_window_get_sign_in_page (window)), ==,
                   "사용자 이름 또는 암호가 틀렸습니다.");
  error_label = assert_shows (GTK_WIDGET (till_window_get_sign_in_page (window)), "사용자 이름 또는 암호가 틀렸습니다.");
  till_test_window_wait (window, revealed, gtk_widget_get_ancestor (error_label, GTK_TYPE_REVEALER),
                         "the error to slide in");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-sign-in-error");

  type_text (MORGAN_PASSWORD);
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_form_ready, NULL, "the charge page");
  g_assert_cmpstr (till_window_get_status_text (window), ==, "morgan, 관리자");

  /* Won: grouped, no decimals, the symbol before the number. */
  charge = till_window_get_charge_page (window);
  type_text ("12000");
  till_test_window_wait (window, till_test_window_amount_is, GINT_TO_POINTER (12000), "the amount");
  g_assert_cmpstr (till_charge_page_get_amount_text (charge), ==, "₩12,000");
  assert_shows (GTK_WIDGET (charge), "₩12,000");
  till_test_window_wait (window, shows_label, "₩12,000 결제", "the charge button");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-charge");

  charge_card (window, "", 12000, "4242424242424242");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-card");
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_charge_state_is, "result", "the result");
  g_assert_cmpstr (till_charge_page_get_result_title (charge), ==, "승인 완료");
  g_assert_nonnull (strstr (till_charge_page_get_result_description (charge), "₩12,000 · Visa •••• 4242"));
  assert_shows (GTK_WIDGET (charge), "새 판매(_N)");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-result");

  /* A card the bank declines: the longest result a cashier reads often. */
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_form_ready, NULL, "the next sale");
  charge_card (window, "5000", 5000, "4000000000000002");
  till_test_xdo ("key", "Return", NULL);
  till_test_window_wait (window, till_test_window_charge_state_is, "result", "the decline");
  g_assert_cmpstr (till_charge_page_get_result_title (charge), ==, "승인 거절");
  g_assert_nonnull (strstr (till_charge_page_get_result_description (charge),
                            "카드사에서 승인을 거절했습니다. 다른 카드를 요청하세요."));
  till_test_save_screenshot (GTK_WIDGET (window), "ko-declined");

  /* The history: today's payment at its time of day, the old one with its
   * date in the Korean form, each in won; the details' full date too. */
  till_window_show_page (window, "history");
  till_test_window_wait (window, till_test_window_shows_page, "history", "the history");
  till_test_window_wait (window, history_listed, NULL, "the three payments");
  history = till_window_get_history_page (window);
  /* Newest first: the decline, the approved sale, the old one. */
  new = g_list_model_get_item (G_LIST_MODEL (till_history_page_get_list (history)), 1);
  old = g_list_model_get_item (G_LIST_MODEL (till_history_page_get_list (history)), 2);
  g_assert_cmpstr (till_payment_item_get_id (old), ==, OLD_PAYMENT);
  old_when = korean_date_time (till_payment_item_get_created (old), "%Y년 %-m월 %-d일 %H:%M");
  new_when = korean_date_time (till_payment_item_get_created (new), "%H:%M");
  till_test_window_wait (window, shows_label, old_when, "the old payment's date");
  assert_shows (GTK_WIDGET (history), new_when);
  assert_shows (GTK_WIDGET (history), "₩25,000");
  assert_shows (GTK_WIDGET (history), "₩12,000");
  assert_shows (GTK_WIDGET (history), "결제 완료");
  assert_shows (GTK_WIDGET (history), "승인 거절");
  gtk_selection_model_select_item (gtk_list_view_get_model (till_history_page_get_list_view (history)), 1, TRUE);
  g_free (new_when);
  new_when = korean_date_time (till_payment_item_get_created (new), "시각: %Y년 %-m월 %-d일 %H:%M:%S");
  till_test_window_wait (window, till_test_window_details_show, new_when, "the payment's date in full");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-history");

  /* A refund of part of it, in the dialog; then the payment's refund
   * listed in Korean words (not the server's "succeeded"). */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (history), "history.refund", NULL));
  till_test_window_wait (window, toplevel_shown, "결제 환불", "the refund dialog");
  dialog = find_toplevel ("결제 환불");
  assert_shows (GTK_WIDGET (dialog), "환불(_R)");
  g_assert_cmpstr (till_refund_dialog_get_amount_text (TILL_REFUND_DIALOG (dialog)), ==, "₩12,000");
  till_test_save_screenshot (GTK_WIDGET (dialog), "ko-refund");
  gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (dialog), row_title, "금액")), "2,000");
  g_assert_true (till_refund_dialog_get_can_send (TILL_REFUND_DIALOG (dialog)));
  gtk_widget_activate_action (GTK_WIDGET (dialog), "refund.send", NULL);
  till_test_window_wait (window, refund_done, dialog, "the refund");
  g_assert_cmpstr (till_refund_dialog_get_message (TILL_REFUND_DIALOG (dialog)), ==, "₩2,000 환불했습니다. 처리: morgan.");
  till_test_save_screenshot (GTK_WIDGET (dialog), "ko-refund-done");
  gtk_window_destroy (dialog);
  focus_window ();
  till_test_window_wait (window, details_match,
                         "₩2,000: 환불 완료, [0-9]{4}년 [0-9]{1,2}월 [0-9]{1,2}일 [0-9]{2}:[0-9]{2}:[0-9]{2}\n",
              "the refund in the payment's details");
  assert_shows (GTK_WIDGET (history), "부분 환불");
  /* And its row in the list at once, not at the next reload. */
  assert_shows (GTK_WIDGET (till_history_page_get_list_view (history)), "부분 환불");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-history-refunded");

  /* Its receipt: the date and the amounts the Korean way. */
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (history), "history.receipt", NULL));
  till_test_window_wait (window, receipt_shown, NULL, "the receipt");
  {
    g_autofree char *text = till_printout_dup_text (till_receipt_dialog_get_printout (till_receipt_find_dialog ()));
    g_autofree char *paid = korean_date_time (till_payment_item_get_created (new), "%Y년 %-m월 %-d일 %H:%M");

    const char *lines[] = { paid, "₩12,000", "승인 완료", "환불 후 합계", "₩10,000", NULL };

    for (const char *const *line = lines; *line != NULL; line++)
      if (strstr (text, *line) == NULL)
        g_error ("The receipt has no “%s”:\n%s", *line, text);
  }
  till_test_save_screenshot (GTK_WIDGET (till_receipt_find_dialog ()), "ko-receipt");
  gtk_window_destroy (till_receipt_find_dialog ());
  focus_window ();

  /* The day's totals, named by their day the Korean way. */
  till_window_show_page (window, "day-totals");
  till_test_window_wait (window, day_totals_shown, NULL, "the day's totals");
  g_assert_cmpstr (till_day_totals_page_get_value (till_test_window_get_day_totals (window), "totals", "결제"),
                   ==, "₩12,000");
  day = g_date_time_format (now, "%Y년 %-m월 %-d일 (%a)");
  assert_shows (GTK_WIDGET (till_test_window_get_day_totals (window)), day);
  till_test_save_screenshot (GTK_WIDGET (window), "ko-day-totals");
  /* The printed totals (the Z-report) name it the same way. */
  {
    g_autoptr(TillPrintout) printout = till_day_totals_page_new_printout (till_test_window_get_day_totals (window));
    g_autofree char *text = till_printout_dup_text (printout);
    g_autofree char *printed = g_date_time_format (now, "%Y년 %-m월 %-d일 ");

    if (strstr (text, day) == NULL || strstr (text, printed) == NULL || strstr (text, "순매출\t₩10,000") == NULL)
      g_error ("The day's printed totals lack “%s”, “%s” or their net:\n%s", day, printed, text);
  }

  till_window_show_page (window, "staff");
  till_test_window_wait (window, staff_listed, NULL, "the staff");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-staff");

  till_window_show_page (window, "audit");
  till_test_window_wait (window, audit_listed, NULL, "the audit log");
  assert_shows (GTK_WIDGET (till_window_get_audit_page (window)), "로그인");
  {
    TillAuditList *list = till_audit_page_get_list (till_window_get_audit_page (window));
    g_autoptr(TillAuditEntry) newest = g_list_model_get_item (G_LIST_MODEL (list), 0);
    g_autofree char *when = korean_date_time (till_audit_entry_get_time (newest), "%Y년 %-m월 %-d일 %H:%M:%S");

    assert_shows (GTK_WIDGET (till_window_get_audit_page (window)), when);
  }
  till_test_save_screenshot (GTK_WIDGET (window), "ko-audit");

  {
    TillPreferencesWindow *preferences = till_preferences_window_new (settings);

    gtk_window_set_transient_for (GTK_WINDOW (preferences), GTK_WINDOW (window));
    gtk_window_present (GTK_WINDOW (preferences));
    till_test_window_wait (window, widget_mapped, preferences, "the preferences to map");
    assert_shows (GTK_WIDGET (preferences), "미사용 시 잠금(_L)");
    till_test_save_screenshot (GTK_WIDGET (preferences), "ko-preferences");
    gtk_window_destroy (GTK_WINDOW (preferences));
  }

  /* A kiosk's approval dialog, refused for a cashier's password: its
   * summary and the server's refusal in Korean. */
  {
    TillApprovalDialog *approval = till_approval_dialog_new (settings, TILL_APPROVAL_QUIT);

    gtk_window_set_transient_for (GTK_WINDOW (approval), GTK_WINDOW (window));
    gtk_window_present (GTK_WINDOW (approval));
    till_test_window_wait (window, widget_mapped, approval, "the approval dialog to map");
    assert_shows (GTK_WIDGET (approval), "이 단말기는 키오스크 모드입니다.\nTill을 끝내려면 관리자 승인이 필요합니다.");
    gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (approval), row_title, "관리자 사용자 이름")), "alice");
    gtk_editable_set_text (GTK_EDITABLE (find_widget (GTK_WIDGET (approval), row_title, "관리자 암호")), ALICE_PASSWORD);
    gtk_widget_activate_action (GTK_WIDGET (approval), "approval.send", NULL);
    till_test_window_wait (window, approval_answered, approval, "the server's answer to the approval");
    assert_shows (GTK_WIDGET (approval), "승인 안 됨: 이름이나 암호가 틀렸거나, 관리자 계정이 아니거나, 사용 중지된 계정입니다.");
    till_test_save_screenshot (GTK_WIDGET (approval), "ko-approval-refused");
    gtk_window_destroy (GTK_WINDOW (approval));
  }

  /* About credits the translators, as ko.po says. */
  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  till_test_window_wait (window, about_shown, NULL, "the About window");
  g_assert_cmpstr (adw_about_window_get_translator_credits (find_about ()), ==,
                   g_dgettext (GETTEXT_PACKAGE, "translator-credits"));
  g_assert_cmpstr (adw_about_window_get_translator_credits (find_about ()), !=, "translator-credits");
  gtk_window_destroy (GTK_WINDOW (find_about ()));
  focus_window ();

  till_access_lock (till_window_get_access (window));
  till_test_window_wait (window, till_test_window_shows_page, "locked", "the lock");
  assert_shows (GTK_WIDGET (till_window_get_lock_page (window)), "잠김");
  assert_shows (GTK_WIDGET (till_window_get_lock_page (window)), "잠금 해제(_U)");
  till_test_save_screenshot (GTK_WIDGET (window), "ko-lock");

  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
}

/* The shop's one old payment, a year and more ago, in won. */
static void
seed_old_payment (void)
{
  g_autofree char *path = g_build_filename (shop->dir, "db", "till.db", NULL);
  g_autofree char *sql = g_strdup_printf ("UPDATE payments SET currency = 'KRW', amount = %d WHERE id = '%s'",
                                          OLD_AMOUNT, OLD_PAYMENT);
  sqlite3 *db = NULL;

  till_test_server_seed_payments (shop, "morgan", 1, OLD_AGE);
  g_assert_cmpint (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 5000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (db), ==, 1);
  sqlite3_close (db);
}

/* The translation this build made, not an installed one: bound to the
 * build folder in this process only. */
static void
use_built_translation (void)
{
  g_autofree char *localedir = g_build_filename (g_getenv ("G_TEST_BUILDDIR"), "..", "po", NULL);
  g_autofree char *mo = g_build_filename (localedir, "ko", "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);

  if (!g_file_test (mo, G_FILE_TEST_IS_REGULAR))
    g_error ("%s is missing: po/LINGUAS should name ko, and the build make it", mo);
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  const char *messages;
  int status;

  /* Before gtk_init(), which sets the locale from the environment. */
  g_setenv ("LC_ALL", LOCALE, TRUE);
  g_setenv ("LANGUAGE", "ko", TRUE);
  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-locale");
  /* Its cases look for what earlier ones made today. */
  till_test_keep_off_midnight (150);
  gtk_init ();
  messages = setlocale (LC_MESSAGES, NULL);
  if (messages == NULL || !g_str_has_prefix (messages, "ko_KR"))
    g_error ("The locale %s is not installed (build-aux/install-deps makes it)", LOCALE);
  use_built_translation ();

  app = till_test_application_new ();
  till_test_fatal_warnings_except ((const char * const[]) { NULL });

  shop = till_test_server_new (NULL, "[shop]\ncurrency=KRW\ncountry=KR\n");
  till_test_server_add_user (shop, "alice", "cashier", ALICE_PASSWORD);
  till_test_server_add_user (shop, "morgan", "manager", MORGAN_PASSWORD);
  till_test_server_start (shop);
  seed_old_payment ();

  g_test_add_func ("/locale/korean-window", test_korean_window);
  status = till_test_run ();

  till_test_server_free (shop);
  g_object_unref (app);
  return status;
}
