/* test-charge.c: charging cards end to end, in the real window
 *
 * Under Xvfb, in a private D-Bus session with a real keyring, against real
 * till-servers and the Stripe stand-ins (API and Stripe.js). Amounts, card
 * numbers, expiry dates and CVCs are typed as X key events (xdotool), the
 * 3-D Secure challenge is clicked, and every outcome is checked at both
 * ends: what the cashier sees, and what the Stripe stand-in holds.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <webkit/webkit.h>

#include "till-application.h"
#include "till-charge-page-private.h"
#include "till-money.h"
#include "till-receipt-private.h"
#include "till-test-harness.h"
#include "till-test-liar.h"
#include "till-test-web.h"
#include "till-test-window.h"
#include "till-window-private.h"

#define PASSWORD "alice-password-1"

static TillApplication *app;
static guint crashes;

typedef gboolean (*Condition) (TillWindow *window, gconstpointer data);

static void
count_crash_cb (guint *count)
{
  (*count)++;
}

static TillChargePage *
page_of (TillWindow *window)
{
  return till_window_get_charge_page (window);
}

static void
wait_until (TillWindow    *window,
            Condition      condition,
            gconstpointer  data,
            guint          seconds,
            const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!condition (window, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s (window: “%s”, charge page: “%s”, result: “%s”, card: “%s”)",
                 what, till_window_get_visible_page (window), till_charge_page_get_state (page_of (window)),
                 till_charge_page_get_result_title (page_of (window)),
                 till_charge_page_get_card_status (page_of (window)));
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
in_state (TillWindow    *window,
          gconstpointer  state)
{
  return g_strcmp0 (till_charge_page_get_state (page_of (window)), state) == 0;
}

static gboolean
form_ready (TillWindow    *window,
            gconstpointer  data)
{
  return in_state (window, "entry") && till_card_view_get_ready (till_charge_page_get_card_view (page_of (window)));
}

static gboolean
settled (TillWindow    *window,
         gconstpointer  data)
{
  return form_ready (window, NULL) ||
         (in_state (window, "result") && till_card_view_get_ready (till_charge_page_get_card_view (page_of (window))));
}

static gboolean
is_mapped (TillWindow    *window,
           gconstpointer  data)
{
  return gtk_widget_get_mapped (GTK_WIDGET (window));
}

/* Key presses that reached the window, by keyval: counted in the capture
 * phase, in the same dispatch as the charge page's own capture handler, so
 * a key counted here has been handled by the page. */
static GHashTable *keys_seen;

static gboolean
count_key_cb (GtkEventControllerKey *controller,
              guint                  keyval,
              guint                  keycode,
              GdkModifierType        modifiers,
              gpointer               data)
{
  gpointer key = GUINT_TO_POINTER (keyval);

  g_hash_table_insert (keys_seen, key, GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (keys_seen, key)) + 1));
  return GDK_EVENT_PROPAGATE;
}

static guint
keys_counted (guint keyval)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (keys_seen, GUINT_TO_POINTER (keyval)));
}

typedef struct
{
  guint keyval;
  guint count;
} KeyWait;

static gboolean
keys_reached (TillWindow    *window,
              gconstpointer  data)
{
  const KeyWait *wait = data;

  return keys_counted (wait->keyval) >= wait->count;
}

static void
wait_keys (TillWindow *window,
           guint       keyval,
           guint       count,
           const char *what)
{
  KeyWait wait = { keyval, count };

  wait_until (window, keys_reached, &wait, 10, what);
}

static gboolean
can_charge (TillWindow    *window,
            gconstpointer  data)
{
  return till_charge_page_get_can_charge (page_of (window));
}

static gboolean
card_complete (TillWindow    *window,
               gconstpointer  data)
{
  return till_card_view_get_complete (till_charge_page_get_card_view (page_of (window)));
}

static void
type_text (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

static void
press (const char *keys)
{
  till_test_xdo ("key", "--delay", "20", keys, NULL);
}

/* Presses Return and waits until the charge page has handled it. */
static void
press_return (TillWindow *window)
{
  guint before = keys_counted (GDK_KEY_Return);

  press ("Return");
  wait_keys (window, GDK_KEY_Return, before + 1, "the Return to reach the window");
}

static char *
run_js (TillWindow *window,
        const char *script)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = NULL;

  webkit_web_view_evaluate_javascript (till_test_window_get_web_view (window), script, -1, NULL, NULL, NULL,
                                       till_test_result_cb, &slot);
  value = webkit_web_view_evaluate_javascript_finish (till_test_window_get_web_view (window),
                                                      till_test_wait (&slot), &error);
  g_assert_no_error (error);
  g_clear_object (&slot);
  return jsc_value_to_string (value);
}

/* Polls script in the page until it says "true". */
static void
wait_js (TillWindow *window,
         const char *script,
         const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autofree char *value = run_js (window, script);

      if (g_str_equal (value, "true"))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      till_test_settle (50);
    }
}

static gboolean
navigation_asked (TillWindow    *window,
                  gconstpointer  uri)
{
  return till_test_web_navigation_asked (uri);
}

/* A shop: its own till-server, with its currency and Stripe mode. */
static TillTestServer *
open_shop (const char *extra_config)
{
  TillTestServer *server = till_test_server_new (NULL, extra_config);

  till_test_server_add_user (server, "alice", "cashier", PASSWORD);
  till_test_server_start (server);
  return server;
}

/* Shows a new window and gives it the X input focus for typed keys, once
 * it is mapped; its keys are counted (keys_seen). */
static void
present_and_focus (TillWindow *window)
{
  GtkEventController *keys = gtk_event_controller_key_new ();

  gtk_event_controller_set_propagation_phase (keys, GTK_PHASE_CAPTURE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (count_key_cb), NULL);
  gtk_widget_add_controller (GTK_WIDGET (window), keys);
  gtk_window_present (GTK_WINDOW (window));
  wait_until (window, is_mapped, NULL, 20, "the window to map");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
}

/* Starts a window at the shop's sign-in form (server and name filled in),
 * types the password and waits for the card form. */
static TillWindow *
sign_in_at (const char *url)
{
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window;

  g_settings_set_string (settings, "server-url", url);
  g_settings_set_string (settings, "last-username", "alice");
  g_settings_set_boolean (settings, "auto-sign-in", FALSE);
  g_settings_set_boolean (settings, "remembered", FALSE);
  g_settings_sync ();

  window = till_window_new (app);
  g_signal_connect_swapped (till_charge_page_get_card_view (page_of (window)), "web-process-crashed",
                            G_CALLBACK (count_crash_cb), &crashes);
  present_and_focus (window);
  g_assert_cmpstr (till_window_get_visible_page (window), ==, "sign-in");
  type_text (PASSWORD);
  press ("Return");
  /* The card form, or first what became of payments from before. */
  wait_until (window, settled, NULL, 30, "the card form");
  return window;
}

static TillWindow *
sign_in (TillTestServer *server)
{
  return sign_in_at (server->url);
}

/* The next window is found by its title (present_and_focus): once the X
 * server has answered a round trip, it has handled the destruction of this
 * one, which gtk_window_destroy() asked for. */
static void
close_window (TillWindow *window)
{
  gtk_window_destroy (GTK_WINDOW (window));
  gdk_display_sync (gdk_display_get_default ());
}

/* After a Return the page has handled (press_return), which asked the card
 * form for the focus: the focus moves into Stripe's frame in the web
 * process; keys typed before it is there are lost. */
static void
wait_card_focus (TillWindow *window)
{
  wait_js (window, "String(document.hasFocus() && document.activeElement !== null "
                   "&& document.activeElement.tagName === 'IFRAME')", "the focus in the card's frame");
  /* And inside the frame, its number field: the frame focuses it when it
   * runs the message that card.focus() posted to it. */
  till_test_web_flush_posted_messages (till_test_window_get_web_view (window));
}

/* The card page's web process ends only when a test ends it
 * (webkit_web_view_terminate_web_process()); a death nobody asked for is a
 * failure, said as such rather than as a timeout further on. The card view
 * paints without GL because of such deaths: docs/testing.md. */
typedef struct
{
  Condition done;
  guint crashes_before;
} AliveWait;

static gboolean
done_or_died (TillWindow    *window,
              gconstpointer  data)
{
  const AliveWait *wait = data;

  return wait->done (window, NULL) || crashes != wait->crashes_before;
}

static void
wait_alive (TillWindow *window,
            Condition   done,
            guint       seconds,
            const char *what)
{
  AliveWait wait = { done, crashes };

  wait_until (window, done_or_died, &wait, seconds, what);
  if (crashes != wait.crashes_before)
    g_error ("The card page's web process died by itself while waiting for %s", what);
}

/* Types the amount on the page, then Enter moves to the card form, where
 * the card is typed. */
static void
type_sale (TillWindow *window,
           const char *amount_keys,
           const char *number)
{
  /* "": the amount is on screen already. */
  if (*amount_keys != '\0')
    type_text (amount_keys);
  wait_until (window, form_ready, NULL, 20, "the card form");
  press_return (window);
  wait_card_focus (window);
  type_text (number);
  type_text ("1230");
  type_text ("123");
  wait_alive (window, can_charge, 15, "the card to be complete");
}

static gboolean
has_result (TillWindow    *window,
            gconstpointer  data)
{
  return in_state (window, "result");
}

/* Enter charges the typed sale. */
static void
charge_typed (TillWindow *window)
{
  press ("Return");
  wait_alive (window, has_result, 40, "the result");
}

static guint
creations_at_stripe (gboolean charges_mode)
{
  return till_test_stripe_count_requests ("POST", charges_mode ? "/v1/charges" : "/v1/payment_intents");
}

/* Exactly one charge for the sale on screen, of exactly amount. */
static void
assert_charged_once (TillWindow *window,
                     gint64      amount,
                     gboolean    charges_mode)
{
  TillSale *sale = till_charge_page_get_sale (page_of (window));
  gint64 charged = -1;

  g_assert_nonnull (sale);
  g_assert_cmpuint (till_test_stripe_count_for_payment (charges_mode ? "/v1/charges" : "/v1/payment_intents",
                                                        till_sale_get_payment_id (sale), "succeeded", &charged),
                    ==, 1);
  g_assert_cmpint (charged, ==, amount);
}

static void
assert_not_charged (TillWindow *window,
                    gboolean    charges_mode)
{
  TillSale *sale = till_charge_page_get_sale (page_of (window));

  g_assert_nonnull (sale);
  g_assert_cmpuint (till_test_stripe_count_for_payment (charges_mode ? "/v1/charges" : "/v1/payment_intents",
                                                        till_sale_get_payment_id (sale), "succeeded", NULL),
                    ==, 0);
}

static void
assert_result (TillWindow *window,
               const char *title,
               const char *description_part)
{
  TillChargePage *page = page_of (window);

  g_assert_cmpstr (till_charge_page_get_result_title (page), ==, title);
  if (strstr (till_charge_page_get_result_description (page), description_part) == NULL)
    g_error ("The result says “%s”, without “%s”", till_charge_page_get_result_description (page),
             description_part);
}

/* Before the Return that charges a card with 3-D Secure: notes when the
 * challenge's frame has loaded (its buttons work from then on). Installed
 * before the frame can exist, so its load event cannot be missed: the
 * observer runs as a microtask right after the frame is added. */
static void
watch_challenge (TillWindow *window)
{
  g_autofree char *done = run_js (window,
    "window.tillTestChallenge = 'none';"
    "new MutationObserver((records, observer) => {"
    "  const frame = document.querySelector('iframe[title=\"3D Secure authentication\"]');"
    "  if (!frame) return;"
    "  observer.disconnect();"
    "  window.tillTestChallenge = 'shown';"
    "  frame.addEventListener('load', () => { window.tillTestChallenge = 'loaded'; });"
    "}).observe(document.body, {childList: true, subtree: true});"
    "'watching';");

  g_assert_cmpstr (done, ==, "watching");
}

static void
wait_challenge_loaded (TillWindow *window)
{
  wait_js (window, "String(window.tillTestChallenge === 'loaded')", "the 3-D Secure challenge to load");
}

/* The view has grown to the challenge's room (the page's 420 px), and the
 * page has been told: its viewport is the view's size. */
static void
wait_challenge_room (TillWindow *window)
{
  GtkWidget *view = GTK_WIDGET (till_test_window_get_web_view (window));
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      int width = gtk_widget_get_width (view), height = gtk_widget_get_height (view);
      g_autofree char *expected = g_strdup_printf ("%dx%d", width, height);
      g_autofree char *viewport = run_js (window, "innerWidth + 'x' + innerHeight");

      if (height >= 420 && g_str_equal (viewport, expected))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("The card view did not grow for the challenge (view %s, page %s)", expected, viewport);
      till_test_settle (50);
    }
}

/* Clicks a button of the stand-in's 3-D Secure challenge, which Stripe.js
 * (the stand-in) shows in a 400×320 frame centred on the card page. */
static void
answer_challenge (TillWindow *window,
                  gboolean    complete)
{
  GtkWidget *view = GTK_WIDGET (till_test_window_get_web_view (window));
  graphene_point_t origin = GRAPHENE_POINT_INIT (0, 0);
  graphene_point_t point;
  double surface_x, surface_y;
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;

  /* The frame's own page loads, and the view has grown to show it. */
  wait_challenge_loaded (window);
  wait_challenge_room (window);

  g_assert_true (gtk_widget_compute_point (view, GTK_WIDGET (window), &origin, &point));
  gtk_native_get_surface_transform (GTK_NATIVE (window), &surface_x, &surface_y);
  /* Buttons: 24 px padding, two halves with a 12 px gap, about 44 px high. */
  x = g_strdup_printf ("%d", (int) (surface_x + point.x + gtk_widget_get_width (view) / 2.0 + (complete ? 91 : -91)));
  y = g_strdup_printf ("%d", (int) (surface_y + point.y + gtk_widget_get_height (view) / 2.0 + 115));
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$",
                 "mousemove", "--window", "%1", "--sync", x, y, "click", "1", NULL);
}

static void
wait_result (TillWindow *window)
{
  wait_until (window, in_state, "result", 40, "the result");
}

static gboolean
receipt_shown (TillWindow    *window,
               gconstpointer  data)
{
  return till_receipt_find_dialog () != NULL;
}

/* The approved sale's Receipt… (its action, as the button activates it):
 * the dialog reads the payment back from the server and offers its
 * receipt, with the sale's payment id and card. The dialog is closed again,
 * and the focus stays on the result's button that goes on. */
static void
check_receipt (TillWindow *window,
               const char *amount_text)
{
  TillSale *sale = till_charge_page_get_sale (page_of (window));
  GtkWindow *dialog;
  g_autofree char *text = NULL;

  g_assert_true (till_charge_page_get_receipt_offered (page_of (window)));
  gtk_widget_activate_action (GTK_WIDGET (page_of (window)), "charge.receipt", NULL);
  wait_until (window, receipt_shown, NULL, 20, "the receipt dialog");
  dialog = till_receipt_find_dialog ();
  g_assert_true (gtk_window_get_transient_for (dialog) == GTK_WINDOW (window));
  text = till_printout_dup_text (till_receipt_dialog_get_printout (dialog));
  g_assert_nonnull (strstr (text, till_sale_get_payment_id (sale)));
  g_assert_nonnull (strstr (text, amount_text));
  g_assert_nonnull (strstr (text, "Visa •••• 4242"));
  g_assert_nonnull (strstr (text, "Approved"));
  gtk_window_destroy (dialog);
  /* Xvfb has no window manager to give the X input focus back. */
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^Till$", "windowfocus", "--sync", NULL);
}

/* New sale from the result: Enter. */
static void
next_sale (TillWindow *window)
{
  press ("Return");
  wait_until (window, form_ready, NULL, 10, "the next sale");
  g_assert_cmpint (till_charge_page_get_amount (page_of (window)), ==, 0);
  g_assert_false (till_card_view_get_complete (till_charge_page_get_card_view (page_of (window))));
}

/* PaymentIntents: approve (with Enter held down), decline, insufficient
 * funds, 3-D Secure passed and failed, one after the other at one till. */
static void
test_payment_intents (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  TillWindow *window = sign_in (shop);
  TillChargePage *page = page_of (window);
  guint before;

  g_assert_cmpstr (till_window_get_status_text (window), ==, "alice, cashier");

  /* Approved. Enter three times in a row: still one payment. */
  type_sale (window, "1250", "4242424242424242");
  g_assert_cmpint (till_charge_page_get_amount (page), ==, 1250);
  g_assert_cmpstr (till_charge_page_get_amount_text (page), ==, "$12.50");
  before = creations_at_stripe (FALSE);
  till_test_xdo ("key", "--delay", "20", "Return", "Return", "Return", NULL);
  wait_result (window);
  assert_result (window, "Approved", "$12.50 · Visa •••• 4242");
  assert_charged_once (window, 1250, FALSE);
  g_assert_cmpuint (creations_at_stripe (FALSE) - before, ==, 1);
  g_assert_cmpuint (till_test_server_wait_log (shop, "path=/api/payments status=201", 1), ==, 1);
  check_receipt (window, "$12.50");

  /* Declined: the generic words. */
  next_sale (window);
  type_sale (window, "900", "4000000000000002");
  charge_typed (window);
  assert_result (window, "Declined", "Declined by the card’s bank. Ask for another card.");
  assert_not_charged (window, FALSE);
  /* Nothing was charged: no receipt. */
  g_assert_false (till_charge_page_get_receipt_offered (page));

  /* Insufficient funds, in the words. */
  next_sale (window);
  type_sale (window, "1999", "4000000000009995");
  charge_typed (window);
  assert_result (window, "Declined", "Declined: insufficient funds. Ask for another card.");
  assert_not_charged (window, FALSE);

  /* 3-D Secure, passed by the customer. */
  next_sale (window);
  type_sale (window, "3100", "4000002760003184");
  watch_challenge (window);
  press ("Return");
  wait_until (window, in_state, "authenticating", 20, "the customer's authentication");
  answer_challenge (window, TRUE);
  wait_result (window);
  assert_result (window, "Approved", "$31.00");
  assert_charged_once (window, 3100, FALSE);

  /* 3-D Secure, failed by the customer. */
  next_sale (window);
  type_sale (window, "3200", "4000002760003184");
  watch_challenge (window);
  press ("Return");
  wait_until (window, in_state, "authenticating", 20, "the customer's authentication");
  answer_challenge (window, FALSE);
  wait_result (window);
  assert_result (window, "Declined", "$32.00");
  assert_not_charged (window, FALSE);

  /* 3-D Secure the customer walks away from: Escape stops waiting, the
   * sale waits for the bank, and cancelling it charges nothing. */
  next_sale (window);
  type_sale (window, "3300", "4000002760003184");
  watch_challenge (window);
  press ("Return");
  wait_until (window, in_state, "authenticating", 20, "the customer's authentication");
  /* The customer has seen the challenge before walking away. */
  wait_challenge_loaded (window);
  press ("Escape");
  wait_result (window);
  assert_result (window, "Waiting for the Customer’s Bank", "Nothing has been charged.");
  g_assert_true (till_charge_page_has_open_sale (page));
  press ("Escape");
  wait_until (window, form_ready, NULL, 20, "the next sale after cancelling");
  g_assert_false (till_charge_page_has_open_sale (page));
  g_assert_cmpstr (till_window_get_last_notice (window), ==, "Sale cancelled. Nothing was charged.");
  /* One PaymentIntent per sale, whatever happened to it. */
  g_assert_cmpuint (creations_at_stripe (FALSE) - before, ==, 6);

  till_test_stripe_assert_conforms ();
  close_window (window);
}

/* The legacy token mode: tokens, not PaymentMethods, reach the server. */
static void
test_charges_mode (void)
{
  g_autoptr(TillTestServer) shop = open_shop ("[stripe]\nmode=charges\n");
  TillWindow *window = sign_in (shop);
  guint before = creations_at_stripe (TRUE);

  type_sale (window, "4200", "4242424242424242");
  charge_typed (window);
  assert_result (window, "Approved", "$42.00 · Visa •••• 4242");
  assert_charged_once (window, 4200, TRUE);
  g_assert_true (g_str_has_prefix (till_sale_get_token (till_charge_page_get_sale (page_of (window))), "tok_"));

  next_sale (window);
  type_sale (window, "4300", "4000000000009995");
  charge_typed (window);
  assert_result (window, "Declined", "Declined: insufficient funds. Ask for another card.");
  g_assert_cmpuint (creations_at_stripe (TRUE) - before, ==, 2);

  close_window (window);
}

/* A KRW shop: no decimals, from the keys to Stripe. */
static void
test_krw (void)
{
  g_autoptr(TillTestServer) shop = open_shop ("[shop]\ncurrency=KRW\ncountry=KR\n");
  TillWindow *window = sign_in (shop);
  TillChargePage *page = page_of (window);
  g_autoptr(JsonNode) intents = NULL;

  type_sale (window, "1250", "4242424242424242");
  g_assert_cmpint (till_charge_page_get_amount (page), ==, 1250);
  g_assert_null (strchr (till_charge_page_get_amount_text (page), '.'));
  g_assert_nonnull (strstr (till_charge_page_get_amount_text (page), "1250"));
  press ("Return");
  wait_result (window);
  assert_result (window, "Approved", "₩");
  assert_charged_once (window, 1250, FALSE);
  intents = till_test_stripe_get_json ("/v1/payment_intents?limit=1");
  g_assert_cmpstr (till_test_json_string (json_array_get_element (json_object_get_array_member (
                   json_node_get_object (intents), "data"), 0), "currency"), ==, "krw");

  close_window (window);
}

/* Shops whose currency Stripe takes in another unit than the cashier's
 * (docs.stripe.com/currencies#special-cases): typed and shown in the
 * customary form, charged in Stripe's. */
static gboolean
has_amount (TillWindow    *window,
            gconstpointer  amount)
{
  return till_charge_page_get_amount (page_of (window)) == *(const gint64 *) amount;
}

/* Types keys on the page and waits until they have made amount. */
static void
type_amount (TillWindow *window,
             const char *keys,
             gint64      amount)
{
  if (*keys != '\0')
    type_text (keys);
  wait_until (window, has_amount, &amount, 40, "the typed amount");
}

/* shown: what the amount on screen must contain (the locale chooses the
 * grouping and the symbol's place). */
static void
assert_shown (TillChargePage *page,
              const char     *currency,
              gint64          amount,
              const char     *shown)
{
  g_autofree char *formatted = till_money_format (amount, currency, NULL);

  g_assert_cmpstr (till_charge_page_get_amount_text (page), ==, formatted);
  if (strstr (formatted, shown) == NULL)
    g_error ("The amount on screen is “%s”, without “%s”", formatted, shown);
}

static void
charge_customary (TillWindow *window,
                  const char *currency,
                  const char *keys,
                  gint64      amount,
                  const char *shown,
                  gint64      at_stripe)
{
  TillChargePage *page = page_of (window);

  type_sale (window, keys, "4242424242424242");
  g_assert_cmpint (till_charge_page_get_amount (page), ==, amount);
  assert_shown (page, currency, amount, shown);
  g_assert_cmpstr (till_charge_page_get_amount_problem (page), ==, "");
  charge_typed (window);
  assert_result (window, "Approved", till_charge_page_get_amount_text (page));
  assert_charged_once (window, at_stripe, FALSE);
  g_assert_cmpint (till_sale_get_amount (till_charge_page_get_sale (page)), ==, amount);
}

/* ISK: whole krónur on the keypad, up to Stripe's 99999900 (999,999 kr). */
static void
test_isk (void)
{
  g_autoptr(TillTestServer) shop = open_shop ("[shop]\ncurrency=ISK\ncountry=IS\n");
  TillWindow *window = sign_in (shop);
  TillChargePage *page = page_of (window);
  guint nines;

  /* The seventh 9 rings the bell: checked once the page has handled it. */
  nines = keys_counted (GDK_KEY_9);
  type_amount (window, "9999999", 999999);
  wait_keys (window, GDK_KEY_9, nines + 7, "the seventh 9 to reach the window");
  g_assert_cmpint (till_charge_page_get_amount (page), ==, 999999);
  press ("Escape");
  type_amount (window, "", 0);

  charge_customary (window, "ISK", "1234", 1234, "234", 123400);
  g_assert_null (strchr (till_charge_page_get_amount_text (page), '.'));
  till_test_stripe_assert_conforms ();
  close_window (window);
}

/* MGA: whole ariary (ISO's two decimals are not Stripe's, nor in use). */
static void
test_mga (void)
{
  g_autoptr(TillTestServer) shop = open_shop ("[shop]\ncurrency=MGA\ncountry=MG\n");
  TillWindow *window = sign_in (shop);

  charge_customary (window, "MGA", "12345", 12345, "345", 12345);
  g_assert_null (strchr (till_charge_page_get_amount_text (page_of (window)), '.'));
  close_window (window);
}

/* KWD: three decimals, and Stripe takes only those ending in 0. */
static void
test_kwd (void)
{
  g_autoptr(TillTestServer) shop = open_shop ("[shop]\ncurrency=KWD\ncountry=KW\n");
  TillWindow *window = sign_in (shop);
  TillChargePage *page = page_of (window);
  guint before;

  type_amount (window, "5124", 5124);
  assert_shown (page, "KWD", 5124, "5.124");
  g_assert_cmpstr (till_charge_page_get_amount_problem (page), ==, "Amounts in KWD end in 0");
  press ("BackSpace");
  type_amount (window, "", 512);
  charge_customary (window, "KWD", "0", 5120, "5.120", 5120);

  /* With the card complete, 0.515 still cannot be charged: Enter only
   * moves to the card, and nothing reaches Stripe. */
  next_sale (window);
  before = creations_at_stripe (FALSE);
  type_amount (window, "515", 515);
  press_return (window);
  wait_card_focus (window);
  type_text ("4242424242424242");
  type_text ("1230");
  type_text ("123");
  wait_until (window, card_complete, NULL, 40, "the card to be complete");
  g_assert_cmpstr (till_charge_page_get_amount_problem (page), ==, "Amounts in KWD end in 0");
  g_assert_false (till_charge_page_get_can_charge (page));
  /* A charge would leave the entry state in the page's handler of the key. */
  press_return (window);
  g_assert_cmpstr (till_charge_page_get_state (page), ==, "entry");
  g_assert_cmpuint (creations_at_stripe (FALSE), ==, before);

  close_window (window);
}

static void
note_sending_cb (TillCheckout *checkout,
                 GParamSpec   *pspec,
                 gboolean     *sending_seen)
{
  if (till_checkout_get_state (checkout) == TILL_CHECKOUT_STATE_SENDING)
    *sending_seen = TRUE;
}

/* The web process dies while the payment is with the server: the form
 * comes back, and the payment is neither lost nor doubled. Then it dies
 * while reading the card: nothing was sent, and the cashier is told. */
static void
test_web_process_killed (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  TillWindow *window = sign_in (shop);
  TillCardView *card = till_charge_page_get_card_view (page_of (window));
  guint intents_before = creations_at_stripe (FALSE);
  guint methods_before = till_test_stripe_count_requests ("POST", "/v1/payment_methods");
  guint payments_before;
  gboolean sending_seen = FALSE;
  gulong states_handler;
  gint64 deadline;

  type_sale (window, "5100", "4242424242424242");
  /* The stand-in holds the PaymentMethod's answer and the PaymentIntent's
   * for 3 s each. */
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":2,\"ms\":3000}");
  press ("Return");
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (creations_at_stripe (FALSE) == intents_before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      till_test_settle (50);
    }
  webkit_web_view_terminate_web_process (till_test_window_get_web_view (window));
  wait_result (window);
  assert_result (window, "Approved", "$51.00");
  assert_charged_once (window, 5100, FALSE);
  g_assert_cmpuint (creations_at_stripe (FALSE) - intents_before, ==, 1);
  g_assert_cmpstr (till_window_get_last_notice (window), ==,
                   "The card form stopped and has been reloaded. Type the card again.");

  /* The form came back, ready for the next sale. */
  next_sale (window);
  g_assert_true (till_card_view_get_ready (card));

  /* Killed while the card is being read: the sale never left. */
  type_sale (window, "5200", "4242424242424242");
  methods_before = till_test_stripe_count_requests ("POST", "/v1/payment_methods");
  intents_before = creations_at_stripe (FALSE);
  payments_before = till_test_server_count_log (shop, "path=/api/payments");
  states_handler = g_signal_connect (till_charge_page_get_checkout (page_of (window)), "notify::state",
                                     G_CALLBACK (note_sending_cb), &sending_seen);
  till_test_stripe_post_json ("/__standin/hold", "{\"count\":1,\"ms\":3000}");
  press ("Return");
  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (till_test_stripe_count_requests ("POST", "/v1/payment_methods") == methods_before)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      till_test_settle (50);
    }
  webkit_web_view_terminate_web_process (till_test_window_get_web_view (window));
  wait_until (window, form_ready, NULL, 30, "the card form back");
  g_assert_cmpstr (till_charge_page_get_card_status (page_of (window)), ==,
                   "The card form did not answer. Nothing was charged. Type the card again.");
  g_assert_cmpint (till_charge_page_get_amount (page_of (window)), ==, 5200);
  /* A PaymentIntent comes only from a request to the shop's server, which
   * only the sending state makes; the checkout went from reading the card
   * back to entry without it. (The held PaymentMethod's answer has nowhere
   * to go: the web process that asked, and its connection, are gone.) */
  g_signal_handler_disconnect (till_charge_page_get_checkout (page_of (window)), states_handler);
  g_assert_false (sending_seen);
  g_assert_cmpuint (till_test_server_count_log (shop, "path=/api/payments"), ==, payments_before);
  g_assert_cmpuint (creations_at_stripe (FALSE), ==, intents_before);

  /* Type the card again: charged once. */
  type_sale (window, "", "4242424242424242");
  charge_typed (window);
  assert_result (window, "Approved", "$52.00");
  assert_charged_once (window, 5200, FALSE);
  g_assert_cmpuint (creations_at_stripe (FALSE) - intents_before, ==, 1);

  close_window (window);
}

typedef struct
{
  TillCheckout *checkout;
  guint renewals;
  guint during_sale;
} Renewals;

static void
renewal_cb (WebKitWebView                     *web_view,
            WebKitWebProcessTerminationReason  reason,
            Renewals                          *renewals)
{
  g_assert_cmpint (reason, ==, WEBKIT_WEB_PROCESS_TERMINATED_BY_API);
  renewals->renewals++;
  /* Renewed once the sale is over, its result on screen. */
  if (till_checkout_get_state (renewals->checkout) != TILL_CHECKOUT_STATE_RESULT)
    renewals->during_sale++;
}

static gboolean
renewed (TillWindow    *window,
         gconstpointer  data)
{
  const Renewals *renewals = data;

  return renewals->renewals > 0;
}

/* Over a day, the card form's web process is renewed between sales (here
 * after each card read instead of 150): never while the customer's bank
 * challenge is open, the cashier is told nothing, and the next sale in the
 * new process is charged once. */
static void
test_renewed_between_sales (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  TillWindow *window = sign_in (shop);
  TillCardView *card = till_charge_page_get_card_view (page_of (window));
  Renewals renewals = { till_charge_page_get_checkout (page_of (window)), 0, 0 };
  guint crashes_before = crashes;
  gint64 renewed_at;
  gulong handler;

  till_card_view_set_renew_after (card, 1);
  handler = g_signal_connect (till_test_window_get_web_view (window), "web-process-terminated",
                              G_CALLBACK (renewal_cb), &renewals);

  /* The card is read, then the customer's bank asks: the page is needed
   * until the result. */
  type_sale (window, "7100", "4000002760003184");
  watch_challenge (window);
  press ("Return");
  wait_until (window, in_state, "authenticating", 20, "the customer's authentication");
  g_assert_cmpuint (renewals.renewals, ==, 0);
  answer_challenge (window, TRUE);
  wait_result (window);
  assert_result (window, "Approved", "$71.00");
  assert_charged_once (window, 7100, FALSE);
  wait_until (window, renewed, &renewals, 20, "the web process to be renewed");
  g_assert_cmpuint (renewals.during_sale, ==, 0);
  /* What a renewal costs: the form is back this long after. */
  renewed_at = g_get_monotonic_time ();
  wait_until (window, settled, NULL, 20, "the renewed card form");
  g_test_message ("The renewed card form was ready %.0f ms after its web process ended",
                  (g_get_monotonic_time () - renewed_at) / 1000.0);

  /* A new page in a new process, ready for the next sale. */
  next_sale (window);
  g_assert_true (till_card_view_get_ready (card));
  type_sale (window, "7200", "4242424242424242");
  charge_typed (window);
  assert_result (window, "Approved", "$72.00");
  assert_charged_once (window, 7200, FALSE);
  g_assert_cmpuint (crashes, ==, crashes_before);
  g_assert_cmpstr (till_window_get_last_notice (window), !=,
                   "The card form stopped and has been reloaded. Type the card again.");

  g_signal_handler_disconnect (till_test_window_get_web_view (window), handler);
  close_window (window);
}

static gboolean
dropped_three (TillWindow    *window,
               gconstpointer  before)
{
  return till_card_view_get_dropped_count (till_charge_page_get_card_view (page_of (window))) >=
         *(const guint *) before + 3;
}

/* The page forges results in the real window: dropped, nothing charged. */
static void
test_hostile_page (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  TillWindow *window = sign_in (shop);
  TillCardView *card = till_charge_page_get_card_view (page_of (window));
  guint dropped = till_card_view_get_dropped_count (card);
  g_autofree char *result = NULL;

  till_test_web_watch_navigations ();
  type_text ("700");
  result = run_js (window,
    "const p = (m) => window.postMessage('till:' + JSON.stringify(m), location.origin);"
    "const card = {brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2030};"
    "p({type: 'payment_method', payment_method: {id: 'pm_card_visa', card}, amount: 100000});"
    "p({type: 'payment_method', payment_method: {id: 'pm_card_visa', card}});"
    "p({type: 'change', complete: true, empty: false, brand: 'visa', error: null, currency: 'usd'});"
    "window.open('https://example.com/'); location = 'https://example.com/'; 'done';");
  g_assert_cmpstr (result, ==, "done");
  /* The three messages dropped (there are no more to come), and the
   * navigation refused. */
  wait_until (window, dropped_three, &dropped, 20, "the forged messages to be dropped");
  wait_until (window, navigation_asked, "https://example.com/", 20, "the navigation to be decided");
  /* The forged amount and currency are refused outright; the well-formed
   * result nobody asked for is dropped too. */
  g_assert_cmpuint (till_card_view_get_dropped_count (card) - dropped, ==, 3);
  g_assert_cmpstr (till_charge_page_get_state (page_of (window)), ==, "entry");
  g_assert_false (till_charge_page_get_can_charge (page_of (window)));
  g_assert_cmpuint (till_test_server_count_log (shop, "path=/api/payments"), ==, 0);
  g_assert_true (g_str_has_suffix (webkit_web_view_get_uri (till_test_window_get_web_view (window)), "/till/card"));

  till_test_web_unwatch_navigations ();
  close_window (window);
}


/* Benchmark (not a test): run by tests/bench/bench-charge with --bench. */

static GArray *token_to_request;
static GArray *response_to_result;

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
print_figures (const char *what,
               GArray     *values)
{
  double sum = 0;

  g_array_sort (values, compare_doubles);
  for (guint i = 0; i < values->len; i++)
    sum += g_array_index (values, double, i);
  if (values->len == 0)
    {
      g_print ("%-44s no samples\n", what);
      return;
    }
  g_print ("%-44s median %8.2f ms  mean %8.2f ms  max %8.2f ms  (n=%u)\n", what,
           g_array_index (values, double, values->len / 2), sum / values->len,
           g_array_index (values, double, values->len - 1), values->len);
}

/* Proportional set size of this process and all its descendants (the
 * WebKit web and network processes, their sandbox helpers), in KiB; and,
 * if out_anon_kib is given, the part of it in anonymous memory (heaps,
 * JavaScript's, graphics buffers): the PSS of a shared library's pages
 * also moves when another program that maps it (another WebKit process on
 * the machine) starts or ends, its anonymous memory only with the process. */
static guint64
tree_pss_kib (guint    *out_processes,
              guint    *out_web_processes,
              guint64  *out_anon_kib,
              gboolean  list)
{
  g_autoptr(GHashTable) parents = g_hash_table_new (NULL, NULL);
  g_autoptr(GDir) dir = g_dir_open ("/proc", 0, NULL);
  g_autoptr(GArray) tree = g_array_new (FALSE, FALSE, sizeof (int));
  int self = getpid ();
  const char *name;
  guint64 total = 0, total_anon = 0;

  *out_processes = 0;
  *out_web_processes = 0;
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = NULL;
      g_autofree char *stat = NULL;
      const char *end;
      int pid = atoi (name), ppid = 0;

      if (pid <= 0)
        continue;
      path = g_strdup_printf ("/proc/%d/stat", pid);
      if (!g_file_get_contents (path, &stat, NULL, NULL) || (end = strrchr (stat, ')')) == NULL)
        continue;
      if (sscanf (end + 2, "%*c %d", &ppid) == 1)
        g_hash_table_insert (parents, GINT_TO_POINTER (pid), GINT_TO_POINTER (ppid));
    }

  g_array_append_val (tree, self);
  for (gboolean grew = TRUE; grew;)
    {
      GHashTableIter iter;
      gpointer pid, ppid;

      grew = FALSE;
      g_hash_table_iter_init (&iter, parents);
      while (g_hash_table_iter_next (&iter, &pid, &ppid))
        for (guint i = 0; i < tree->len; i++)
          if (g_array_index (tree, int, i) == GPOINTER_TO_INT (ppid))
            {
              int child = GPOINTER_TO_INT (pid);

              g_array_append_val (tree, child);
              g_hash_table_iter_remove (&iter);
              grew = TRUE;
              break;
            }
    }

  for (guint i = 0; i < tree->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/proc/%d/smaps_rollup", g_array_index (tree, int, i));
      g_autofree char *comm_path = g_strdup_printf ("/proc/%d/comm", g_array_index (tree, int, i));
      g_autofree char *comm = NULL;
      g_autofree char *rollup = NULL;
      const char *line;
      guint64 kib = 0, anon = 0;

      /* The shop's server and the stand-ins are this harness's, not Till's. */
      if (!g_file_get_contents (comm_path, &comm, NULL, NULL) ||
          g_str_has_prefix (comm, "till-server") || g_str_has_prefix (comm, "node") ||
          g_str_has_prefix (comm, "xdotool"))
        continue;
      (*out_processes)++;
      /* comm is cut to 15 characters: "WebKitWebProces". */
      if (g_str_has_prefix (comm, "WebKitWebProces"))
        (*out_web_processes)++;
      if (g_file_get_contents (path, &rollup, NULL, NULL) && (line = strstr (rollup, "\nPss:")) != NULL &&
          sscanf (line, "\nPss: %" G_GUINT64_FORMAT, &kib) == 1)
        {
          if ((line = strstr (rollup, "\nPss_Anon:")) == NULL ||
              sscanf (line, "\nPss_Anon: %" G_GUINT64_FORMAT, &anon) != 1)
            anon = 0;
          total += kib;
          total_anon += anon;
          if (list && out_anon_kib != NULL)
            g_print ("  %-24s %8.1f MiB  (anonymous %.1f MiB)\n", g_strstrip (comm), kib / 1024.0, anon / 1024.0);
          else if (list)
            g_print ("  %-24s %8.1f MiB\n", g_strstrip (comm), kib / 1024.0);
        }
    }
  if (out_anon_kib != NULL)
    *out_anon_kib = total_anon;
  return total;
}

/* The moment sign-in was accepted: TillAccess signs the cashier in
 * before the charge page asks the server for the shop's settings and
 * loads the card form. */
static void
access_state_cb (TillAccess *access,
                 GParamSpec *pspec,
                 gint64     *signed_in)
{
  if (*signed_in == 0 && till_access_get_state (access) == TILL_ACCESS_SIGNED_IN)
    *signed_in = g_get_monotonic_time ();
}

static gint64 ready_at;

static void
card_ready_cb (TillCardView *view,
               gpointer      data)
{
  if (ready_at == 0)
    ready_at = g_get_monotonic_time ();
}

static int
run_bench (guint rounds,
           guint sales)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  g_autoptr(GArray) ready = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) pss_mib = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  TillWindow *window = NULL;
  guint processes = 0, web_processes = 0, left_max = 0, closes = 0;
  guint64 pss = 0;

  token_to_request = g_array_new (FALSE, FALSE, sizeof (double));
  response_to_result = g_array_new (FALSE, FALSE, sizeof (double));

  for (guint round = 0; round < rounds; round++)
    {
      gint64 signed_in = 0;
      double ms, mib;

      if (window != NULL)
        {
          close_window (window);
          /* No process left behind by the closed card view. */
          till_test_settle (1000);
          tree_pss_kib (&processes, &web_processes, NULL, FALSE);
          left_max = MAX (left_max, web_processes);
          closes++;
        }
      g_settings_set_string (settings, "server-url", shop->url);
      g_settings_set_string (settings, "last-username", "alice");
      g_settings_set_boolean (settings, "auto-sign-in", FALSE);
      window = till_window_new (app);
      g_signal_connect (till_window_get_access (window), "notify::state", G_CALLBACK (access_state_cb),
                        &signed_in);
      ready_at = 0;
      g_signal_connect (till_charge_page_get_card_view (page_of (window)), "ready", G_CALLBACK (card_ready_cb),
                        NULL);
      present_and_focus (window);
      type_text (PASSWORD);
      press ("Return");
      while (!form_ready (window, NULL))
        {
          g_main_context_iteration (NULL, FALSE);
          g_usleep (500);
        }
      /* Both times come from signal handlers (µs, g_get_monotonic_time),
       * not from this loop's polling. */
      ms = (ready_at - signed_in) / 1000.0;
      g_array_append_val (ready, ms);
      till_test_settle (2000);
      pss = tree_pss_kib (&processes, &web_processes, NULL, round + 1 == rounds);
      mib = pss / 1024.0;
      g_array_append_val (pss_mib, mib);
      g_print ("round %u: sign-in accepted → card form ready %.1f ms; PSS %.1f MiB in %u processes\n",
               round + 1, ms, mib, processes);
    }

  for (guint i = 0; i < sales; i++)
    {
      /* Another amount each time: the same amount on the same card within
       * five minutes is a likely duplicate, which the screen asks about. */
      g_autofree char *amount = g_strdup_printf ("%u", 1250 + i);

      type_sale (window, amount, "4242424242424242");
      press ("Return");
      wait_result (window);
      g_assert_cmpstr (till_charge_page_get_result_title (page_of (window)), ==, "Approved");
      till_test_settle (200);
      {
        double to_request, to_result;

        till_charge_page_get_timings (page_of (window), &to_request, &to_result);
        g_array_append_val (token_to_request, to_request);
        g_array_append_val (response_to_result, to_result);
      }
      next_sale (window);
    }

  close_window (window);
  till_test_settle (1000);
  tree_pss_kib (&processes, &web_processes, NULL, FALSE);
  left_max = MAX (left_max, web_processes);
  closes++;

  g_print ("\n");
  print_figures ("sign-in accepted → card form ready", ready);
  print_figures ("card token received → payment request started", token_to_request);
  print_figures ("payment response received → result drawn", response_to_result);
  g_array_sort (pss_mib, compare_doubles);
  g_print ("%-44s median %8.1f MiB  (n=%u; Till, WebKit and helpers)\n", "PSS at the charge screen",
           g_array_index (pss_mib, double, pss_mib->len / 2), pss_mib->len);
  g_print ("%-44s %u (most after any of %u closes)\n", "web processes left 1 s after a window closed",
           left_max, closes);
  return 0;
}

static gboolean
checking_shown (TillWindow    *window,
                gconstpointer  data)
{
  return g_str_has_prefix (till_charge_page_get_working_text (page_of (window)), "Checking the payment of");
}

/* Faults in the real window (test-faults has the many): answers lost on
 * the way, the duplicate question, and a restart with a sale still open. */
static void
test_faults (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  TillTestProxy *proxy = till_test_proxy_start (shop->url);
  TillWindow *window;
  guint before = creations_at_stripe (FALSE);

  /* The proxy answers 502 four times: the sale's own resends all fail, the
   * screen says it is checking (never failed), then the answer comes. */
  window = sign_in_at (proxy->url);
  type_sale (window, "6100", "4242424242424242");
  till_test_proxy_plan (proxy, "[\"bad_gateway\",\"bad_gateway\",\"bad_gateway\",\"bad_gateway\"]", 0);
  press ("Return");
  wait_until (window, checking_shown, NULL, 30, "the payment being checked");
  g_assert_cmpstr (till_charge_page_get_state (page_of (window)), ==, "working");
  wait_result (window);
  assert_result (window, "Approved", "$61.00");
  assert_charged_once (window, 6100, FALSE);

  /* The same amount on the same card at once: asked first; Escape, and
   * nothing more is charged. */
  next_sale (window);
  type_sale (window, "6100", "4242424242424242");
  charge_typed (window);
  assert_result (window, "Charge This Card Again?", "$61.00 was charged to this Visa card •••• 4242");
  press ("Escape");
  wait_until (window, form_ready, NULL, 20, "the next sale");
  g_assert_cmpuint (creations_at_stripe (FALSE) - before, ==, 1);

  /* Till closes while a payment's answer is lost: the journal keeps it,
   * and the next start resolves it before the next sale. */
  type_sale (window, "6200", "4242424242424242");
  till_test_proxy_plan (proxy, "[\"drop_after\",\"drop_after\",\"drop_after\",\"drop_after\",\"drop_after\","
                               "\"drop_after\",\"drop_after\",\"drop_after\"]", 0);
  press ("Return");
  wait_until (window, checking_shown, NULL, 30, "the payment being checked");
  close_window (window);
  till_test_proxy_plan (proxy, "[]", 0);

  window = sign_in_at (proxy->url);
  g_assert_cmpstr (till_charge_page_get_result_title (page_of (window)), ==, "Payments From Before");
  g_assert_cmpstr (till_charge_page_get_result_description (page_of (window)), ==, "$62.00 · Visa •••• 4242: approved");
  /* One PaymentIntent for it, however often it was sent. */
  g_assert_cmpuint (creations_at_stripe (FALSE) - before, ==, 2);
  next_sale (window);

  close_window (window);
  till_test_proxy_free (proxy);
}


/* A shop server that lies or hangs, in front of a real one (the issue's
 * cases, in the window): the cashier is told in time that the payment is
 * still out and must not be charged again, and an answer that changes the
 * payment's id is checked by key before anything is shown. */

#define FORGED_ID "pay_FORGEDforgedFORGEDforg"

typedef enum
{
  LIE_NONE,
  LIE_HANG_FIRST,   /* the sale's first payment request is never answered */
  LIE_FLIP,         /* 502 pending, then 201 succeeded under another id */
} LieMode;

typedef struct
{
  LieMode mode;
  guint   armed_at;   /* payment requests before the lie started */
} WindowLies;

static gboolean
is_payment_post (const char *method,
                 const char *path)
{
  return g_str_equal (method, "POST") && g_str_equal (path, "/api/payments");
}

static TillTestLie
window_before (const char *method,
               const char *path,
               guint       nth,
               gpointer    data)
{
  WindowLies *lies = data;

  if (lies->mode == LIE_HANG_FIRST && is_payment_post (method, path) && nth == lies->armed_at + 1)
    return TILL_TEST_LIE_HANG;
  return TILL_TEST_LIE_PASS;
}

static void
window_after (const char  *method,
              const char  *path,
              guint        nth,
              guint       *status,
              JsonObject **body,
              guint       *delay_ms,
              gpointer     data)
{
  WindowLies *lies = data;
  JsonObject *payment;

  if (lies->mode != LIE_FLIP || !is_payment_post (method, path) || *body == NULL ||
      !json_object_has_member (*body, "payment"))
    return;
  payment = json_object_get_object_member (*body, "payment");
  json_object_remove_member (payment, "last_error");
  json_object_set_null_member (payment, "decline_code");
  json_object_remove_member (*body, "error");
  if (nth == lies->armed_at + 1)
    {
      *status = 502;
      json_object_set_string_member (payment, "status", "pending");
    }
  else
    {
      *status = 201;
      json_object_set_string_member (payment, "status", "succeeded");
      json_object_set_string_member (payment, "id", FORGED_ID);
      /* Long enough for the screen to be seen checking. */
      *delay_ms = 1500;
    }
}

static gboolean
working_text_starts (TillWindow    *window,
                     gconstpointer  prefix)
{
  return in_state (window, "working") &&
         g_str_has_prefix (till_charge_page_get_working_text (page_of (window)), prefix);
}

/* The warning the lying server causes on purpose, in this test only. */
static const char * const lying_server_warnings[] = {
  "till-sale: The server's answer is about another payment than this sale",
  NULL
};

static void
test_lying_server (void)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  g_autoptr(GSettings) settings = g_settings_new ("io.github.tillpos.Till");
  WindowLies lies = { LIE_NONE, 0 };
  g_autoptr(TillTestLiar) liar = till_test_liar_start (shop->url, window_before, window_after, &lies);
  TillWindow *window;
  TillSale *sale;
  gint64 sent;
  const char *text;
  guint before = creations_at_stripe (FALSE);

  till_test_allow_warnings_now (lying_server_warnings);
  /* The deadline of each request, so that the hung one ends within the test. */
  g_settings_set_uint (settings, "request-timeout", 8);
  window = sign_in_at (till_test_liar_get_url (liar));

  /* Hung: "Charging", then after 5 s the words for the cashier, then
   * checking once the 8 s deadline passed; the resend is answered. */
  type_sale (window, "2345", "4242424242424242");
  lies.mode = LIE_HANG_FIRST;
  lies.armed_at = till_test_liar_count (liar, "POST", "/api/payments");
  press ("Return");
  wait_until (window, working_text_starts, "Charging $23.45…", 20, "the payment being sent");
  sent = g_get_monotonic_time ();
  wait_until (window, working_text_starts, "Still waiting for the shop’s server since ", 10, "the waiting words");
  /* Not at once (the words come after 5 s; "sent" is when the poll saw
   * "Charging", which a loaded machine may see late). */
  g_assert_cmpint (g_get_monotonic_time () - sent, >=, 3 * G_USEC_PER_SEC);
  text = till_charge_page_get_working_text (page_of (window));
  if (strstr (text, "The card may or may not be charged. Do not charge it again.") == NULL ||
      strstr (text, " (0:0") == NULL)
    g_error ("The waiting words are “%s”", text);
  wait_until (window, checking_shown, NULL, 20, "the payment being checked");
  /* Once the 8 s deadline passed, not at the end of a longer one. */
  g_assert_cmpint (g_get_monotonic_time () - sent, <=, 16 * G_USEC_PER_SEC);
  lies.mode = LIE_NONE;
  wait_result (window);
  assert_result (window, "Approved", "$23.45");
  assert_charged_once (window, 2345, FALSE);

  /* The id flips between answers, for a card the real server declined:
   * "Checking the payment…", then the real outcome. */
  next_sale (window);
  type_sale (window, "2399", "4000000000000002");
  lies.mode = LIE_FLIP;
  lies.armed_at = till_test_liar_count (liar, "POST", "/api/payments");
  press ("Return");
  wait_until (window, checking_shown, NULL, 30, "the payment being checked");
  wait_result (window);
  assert_result (window, "Declined", "$23.99");
  sale = till_charge_page_get_sale (page_of (window));
  g_assert_true (g_str_has_prefix (till_sale_get_payment_id (sale), "pay_"));
  g_assert_cmpstr (till_sale_get_payment_id (sale), !=, FORGED_ID);
  assert_not_charged (window, FALSE);
  g_assert_cmpuint (till_test_liar_count (liar, "GET", "/api/payments"), >=, 1);
  g_assert_cmpuint (creations_at_stripe (FALSE) - before, ==, 2);
  lies.mode = LIE_NONE;

  close_window (window);
  g_settings_reset (settings, "request-timeout");
  till_test_allow_warnings_now (NULL);
}

/* Benchmark (not a test): a day at the counter, run by tests/bench/bench-day
 * with --bench-day. A week of journal on disk, then one sale after another
 * in one window; it must reach the end whatever happens to one sale, so
 * nothing here aborts: a sale that goes wrong is counted and the screen is
 * brought back to an empty sale. */

/* Like wait_until(), but a timeout is an answer, not the end. */
static gboolean
day_wait (TillWindow    *window,
          Condition      condition,
          gconstpointer  data,
          guint          seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!condition (window, data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
  return TRUE;
}

static gboolean
day_card_focused (TillWindow    *window,
                  gconstpointer  data)
{
  g_autofree char *focused = run_js (window, "String(document.hasFocus() && document.activeElement !== null "
                                             "&& document.activeElement.tagName === 'IFRAME')");

  return g_str_equal (focused, "true");
}

/* A week of a busy shop's final sales, as the terminal writes them
 * (docs/journal.md), spread over the last 7 days but none in the last ten
 * minutes, so that none of the benchmark's sales looks like a duplicate and
 * none is old enough to be deleted at start. */
static gboolean
day_fill_journal (const char *server_url,
                  guint       entries)
{
  static const struct { const char *brand, *last4; } cards[] = {
    { "visa", "4242" }, { "visa", "1881" }, { "mastercard", "4444" }, { "mastercard", "5100" },
    { "amex", "8431" }, { "discover", "1117" }, { "visa", "0077" }, { "visa", "3155" },
  };
  static const char *cashiers[] = { "alice", "bob", "carol" };
  static const char *references[] = { NULL, NULL, NULL, "Table 4", "Order 1187", "Gift card", "Deposit" };
  g_autofree char *dir = g_build_filename (g_get_user_state_dir (), "till", "journal", NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260601);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  /* Never a real terminal's journal. */
  if (g_getenv ("XDG_STATE_HOME") == NULL || g_getenv ("TILL_BENCH_INSIDE") == NULL)
    {
      g_printerr ("--bench-day fills the journal folder: run it from tests/bench/bench-day\n");
      return FALSE;
    }
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_printerr ("Could not make %s\n", dir);
      return FALSE;
    }
  for (guint i = 0; i < entries; i++)
    {
      g_autoptr(JsonObject) entry = json_object_new ();
      g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autoptr(GError) error = NULL;
      g_autofree char *key = g_uuid_string_random ();
      g_autofree char *token = g_strdup_printf ("tok_%08x%08x", g_rand_int (rand), g_rand_int (rand));
      g_autofree char *payment = g_strdup_printf ("pay_%08x%08x", g_rand_int (rand), g_rand_int (rand));
      g_autofree char *name = g_strconcat (key, ".json", NULL);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *text = NULL;
      guint card = g_rand_int_range (rand, 0, G_N_ELEMENTS (cards));
      gboolean declined = g_rand_int_range (rand, 0, 20) == 0;
      gint64 created = now - g_rand_int_range (rand, 600, 7 * 24 * 3600 - 3600);
      const char *reference = references[g_rand_int_range (rand, 0, G_N_ELEMENTS (references))];

      json_object_set_string_member (entry, "key", key);
      json_object_set_int_member (entry, "amount", g_rand_int_range (rand, 50, 25000));
      json_object_set_string_member (entry, "currency", "USD");
      if (reference != NULL)
        json_object_set_string_member (entry, "description", reference);
      else
        json_object_set_null_member (entry, "description");
      json_object_set_string_member (entry, "token", token);
      json_object_set_string_member (entry, "state", declined ? "declined" : "succeeded");
      json_object_set_boolean_member (entry, "confirm_unknown", FALSE);
      json_object_set_string_member (entry, "payment_id", payment);
      json_object_set_string_member (entry, "brand", cards[card].brand);
      json_object_set_string_member (entry, "last4", cards[card].last4);
      if (declined)
        json_object_set_string_member (entry, "reason", "card_declined");
      else
        json_object_set_null_member (entry, "reason");
      json_object_set_string_member (entry, "server", server_url);
      json_object_set_string_member (entry, "cashier", cashiers[g_rand_int_range (rand, 0, G_N_ELEMENTS (cashiers))]);
      json_object_set_int_member (entry, "created", created);
      json_object_set_int_member (entry, "updated", created + g_rand_int_range (rand, 1, 4));
      json_node_set_object (node, entry);
      text = json_to_string (node, FALSE);
      if (!g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_NONE, 0600, &error))
        {
          g_printerr ("%s\n", error->message);
          return FALSE;
        }
    }
  return TRUE;
}

static void
day_type (const char *text)
{
  till_test_xdo ("type", "--delay", "30", text, NULL);
}

/* One approved sale of amount, from the empty form to its result on
 * screen; FALSE if any step did not happen in time, with *step naming it. */
static gboolean
day_sale (TillWindow  *window,
          guint        amount,
          const char **step)
{
  g_autofree char *keys = g_strdup_printf ("%u", amount);
  gint64 typed = amount;

  *step = "the card form ready";
  if (!day_wait (window, form_ready, NULL, 20))
    return FALSE;
  day_type (keys);
  *step = "the amount typed";
  if (!day_wait (window, has_amount, &typed, 5))
    return FALSE;
  press ("Return");
  *step = "the card number field focused";
  if (!day_wait (window, day_card_focused, NULL, 20))
    return FALSE;
  /* And inside the frame, its number field. */
  till_test_settle (300);
  day_type ("4242424242424242");
  day_type ("1230");
  day_type ("123");
  *step = "the card complete";
  if (!day_wait (window, can_charge, NULL, 10))
    return FALSE;
  press ("Return");
  *step = "a result within 60 s";
  if (!day_wait (window, in_state, "result", 60))
    return FALSE;
  *step = "the result Approved";
  return g_strcmp0 (till_charge_page_get_result_title (page_of (window)), "Approved") == 0;
}

/* Back to an empty sale, whatever the screen shows. */
/* The end of till-server's log, for a sale that went wrong: whether its
 * answer was slow, lost or never asked for. */
static void
day_print_server_log (TillTestServer *shop,
                      guint           sale)
{
  g_autofree char *log = NULL;
  g_auto(GStrv) lines = NULL;
  guint n;

  if (!g_file_get_contents (shop->log_path, &log, NULL, NULL))
    return;
  lines = g_strsplit (log, "\n", -1);
  n = g_strv_length (lines);
  for (guint i = n > 13 ? n - 13 : 0; i < n; i++)
    if (*lines[i] != '\0')
      g_printerr ("sale %u went wrong: till-server: %s\n", sale, lines[i]);
}

static void
day_recover (TillWindow     *window,
             TillTestServer *shop,
             guint           sale,
             const char     *step)
{
  TillChargePage *page = page_of (window);

  gint64 waited = g_get_monotonic_time ();

  g_printerr ("sale %u went wrong, waiting for %s: state “%s”, result “%s”, card “%s”; recovering\n",
              sale, step, till_charge_page_get_state (page), till_charge_page_get_result_title (page),
              till_charge_page_get_card_status (page));
  /* Whatever is under way ends in a result or back at the form. */
  day_wait (window, settled, NULL, 150);
  g_printerr ("sale %u went wrong: %.1f s later, state “%s”, result “%s”\n", sale,
              (g_get_monotonic_time () - waited) / (double) G_USEC_PER_SEC,
              till_charge_page_get_state (page), till_charge_page_get_result_title (page));
  day_print_server_log (shop, sale);
  if (in_state (window, "result"))
    {
      gtk_widget_activate_action (GTK_WIDGET (page), "charge.next", NULL);
      day_wait (window, form_ready, NULL, 10);
    }
  if (till_charge_page_get_amount (page) != 0)
    gtk_widget_activate_action (GTK_WIDGET (page), "charge.clear", NULL);
  till_card_view_clear (till_charge_page_get_card_view (page));
  if (!day_wait (window, form_ready, NULL, 10))
    {
      till_card_view_reload (till_charge_page_get_card_view (page));
      day_wait (window, form_ready, NULL, 30);
    }
  till_test_settle (500);
}

static void
day_print_window (const char *which,
                  GArray     *values,
                  guint       from,
                  guint       count,
                  double     *out_median)
{
  g_autoptr(GArray) part = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *what = g_strdup_printf ("  %s", which);

  g_array_append_vals (part, &g_array_index (values, double, from), count);
  print_figures (what, part);
  *out_median = count > 0 ? g_array_index (part, double, count / 2) : 0;
}

/* The smallest PSS and anonymous memory of Till's process tree over
 * samples taken interval_ms apart. */
static guint64
day_smallest_pss (guint    samples,
                  guint    interval_ms,
                  guint64 *out_anon_kib)
{
  guint processes, web_processes;
  guint64 pss = G_MAXUINT64, anon = G_MAXUINT64, sample_anon;

  for (guint i = 0; i < samples; i++)
    {
      if (i > 0)
        till_test_settle (interval_ms);
      pss = MIN (pss, tree_pss_kib (&processes, &web_processes, &sample_anon, FALSE));
      anon = MIN (anon, sample_anon);
    }
  *out_anon_kib = anon;
  return pss;
}

/* Till's process tree at a checkpoint; the heap this process's malloc
 * hands out, to tell Till's own objects from the rest of its PSS. */
static guint64
day_memory (guint    sales_done,
            guint64 *out_anon_kib)
{
  struct mallinfo2 heap = mallinfo2 ();
  guint processes = 0, web_processes = 0;
  guint64 anon, sample_anon = 0;
  /* WebKit's web process swings by tens of MiB between its garbage
   * collections: one sample cannot tell growth from that cycle. The
   * smallest of five, a second apart, is what stays. */
  guint64 pss = day_smallest_pss (5, 1000, &anon);

  g_print ("after %u sales:\n", sales_done);
  tree_pss_kib (&processes, &web_processes, &sample_anon, TRUE);
  g_print ("  %-24s %8.1f MiB  (anonymous %.1f MiB; smallest of 5 samples each; malloc in use in Till's own "
           "process: %.1f MiB)\n", "total", pss / 1024.0, anon / 1024.0, heap.uordblks / 1048576.0);
  *out_anon_kib = anon;
  return pss;
}

static void
day_renewed_cb (WebKitWebView                     *web_view,
                WebKitWebProcessTerminationReason  reason,
                guint                             *renewals)
{
  if (reason == WEBKIT_WEB_PROCESS_TERMINATED_BY_API)
    (*renewals)++;
}

/* The samples every 100 sales fall anywhere in the web process's cycle (it
 * is renewed every TILL_CARD_VIEW_RENEW_AFTER_READS card reads), so two of
 * them alone can show growth or loss that is only the cycle's. These fall
 * at the same point of it each time: the new process's form ready. */
static void
day_print_renewals (GArray *sale,
                    GArray *pss,
                    GArray *anon)
{
  guint first = 0;

  if (sale->len == 0)
    return;
  g_print ("just after each renewal of the web process, at sale");
  for (guint i = 0; i < sale->len; i++)
    g_print (" %s%u", i == 0 ? "" : "→ ", g_array_index (sale, guint, i));
  g_print (":\n  PSS of Till's process tree:");
  for (guint i = 0; i < pss->len; i++)
    g_print (" %s%.1f", i == 0 ? "" : "→ ", g_array_index (pss, guint64, i) / 1024.0);
  g_print (" MiB\n  of which anonymous:");
  for (guint i = 0; i < anon->len; i++)
    g_print (" %s%.1f", i == 0 ? "" : "→ ", g_array_index (anon, guint64, i) / 1024.0);
  g_print (" MiB\n");
  while (first < sale->len && g_array_index (sale, guint, first) < 200)
    first++;
  if (sale->len - first >= 2)
    {
      guint from = g_array_index (sale, guint, first), to = g_array_index (sale, guint, sale->len - 1);
      double anon_kib = (double) g_array_index (anon, guint64, anon->len - 1) - g_array_index (anon, guint64, first);

      g_print ("  from sale %u to sale %u: PSS %+.1f MiB, anonymous %+.1f MiB (%.1f KiB a sale)\n", from, to,
               ((double) g_array_index (pss, guint64, pss->len - 1) - g_array_index (pss, guint64, first)) / 1024.0,
               anon_kib / 1024.0, anon_kib / (to - from));
    }
}

static int
run_bench_day (guint sales,
               guint entries)
{
  g_autoptr(TillTestServer) shop = open_shop (NULL);
  g_autoptr(GArray) to_request = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) to_drawn = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) pss_at = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) anon_at = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) renewed_sale = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GArray) renewed_pss = g_array_new (FALSE, FALSE, sizeof (guint64));
  g_autoptr(GArray) renewed_anon = g_array_new (FALSE, FALSE, sizeof (guint64));
  guint renewals = 0, renewals_sampled = 0;
  TillWindow *window;
  guint failed = 0, window_size = MIN (100, sales / 2);
  gint64 started;
  double first_request, last_request, first_drawn, last_drawn;

  started = g_get_monotonic_time ();
  if (!day_fill_journal (shop->url, entries))
    return 1;
  g_print ("journal: %u final entries over the last 7 days, written in %.1f s\n", entries,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);

  started = g_get_monotonic_time ();
  window = sign_in (shop);
  g_print ("sign-in → card form ready, with that journal: %.0f ms\n",
           (g_get_monotonic_time () - started) / 1000.0);
  till_test_settle (2000);
  {
    guint64 anon;
    guint64 pss = day_memory (0, &anon);

    g_array_append_val (pss_at, pss);
    g_array_append_val (anon_at, anon);
  }

  g_signal_connect (till_test_window_get_web_view (window), "web-process-terminated",
                    G_CALLBACK (day_renewed_cb), &renewals);
  started = g_get_monotonic_time ();
  for (guint i = 0; i < sales; i++)
    {
      double request_ms = 0, drawn_ms = 0;

      /* Another amount each time: the same amount on the same card within
       * five minutes is a likely duplicate, which the screen asks about. */
      const char *step = NULL;

      if (!day_sale (window, 1250 + i, &step))
        {
          failed++;
          day_recover (window, shop, i + 1, step);
          g_array_append_val (to_request, request_ms);
          g_array_append_val (to_drawn, drawn_ms);
        }
      else
        {
          till_test_settle (200);
          till_charge_page_get_timings (page_of (window), &request_ms, &drawn_ms);
          g_array_append_val (to_request, request_ms);
          g_array_append_val (to_drawn, drawn_ms);
          press ("Return");
          if (!day_wait (window, form_ready, NULL, 10))
            {
              failed++;
              day_recover (window, shop, i + 1, "the form back after New Sale");
            }
        }
      /* The next sale's form is ready: in the new process if renewed. */
      if (renewals != renewals_sampled)
        {
          guint sale = i + 1;
          guint64 anon;
          guint64 pss;

          renewals_sampled = renewals;
          till_test_settle (500);
          pss = day_smallest_pss (3, 500, &anon);
          g_array_append_val (renewed_sale, sale);
          g_array_append_val (renewed_pss, pss);
          g_array_append_val (renewed_anon, anon);
        }
      if ((i + 1) % 100 == 0 || i + 1 == sales)
        {
          guint64 anon;
          guint64 pss = day_memory (i + 1, &anon);

          g_array_append_val (pss_at, pss);
          g_array_append_val (anon_at, anon);
          g_printerr ("%u sales, %.0f s\n", i + 1, (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC);
        }
    }

  g_print ("\n%u sales in %.0f s, %u went wrong (their timings count as 0)\n", sales,
           (g_get_monotonic_time () - started) / (double) G_USEC_PER_SEC, failed);
  g_print ("first %u sales:\n", window_size);
  day_print_window ("card token received → payment request started", to_request, 0, window_size, &first_request);
  day_print_window ("payment response received → result drawn", to_drawn, 0, window_size, &first_drawn);
  g_print ("last %u sales:\n", window_size);
  day_print_window ("card token received → payment request started", to_request, sales - window_size,
                    window_size, &last_request);
  day_print_window ("payment response received → result drawn", to_drawn, sales - window_size,
                    window_size, &last_drawn);
  g_print ("last/first median: token → request %.2f×, response → drawn %.2f×  (target ≤ 1.2×)\n",
           first_request > 0 ? last_request / first_request : 0, first_drawn > 0 ? last_drawn / first_drawn : 0);
  g_print ("PSS of Till's process tree:");
  for (guint i = 0; i < pss_at->len; i++)
    g_print (" %s%.1f", i == 0 ? "" : "→ ", g_array_index (pss_at, guint64, i) / 1024.0);
  g_print (" MiB (start, then every 100 sales)\n");
  g_print ("of which anonymous:");
  for (guint i = 0; i < anon_at->len; i++)
    g_print (" %s%.1f", i == 0 ? "" : "→ ", g_array_index (anon_at, guint64, i) / 1024.0);
  g_print (" MiB\n");
  if (pss_at->len > 3)
    g_print ("PSS growth from sale 200 to %u: %+.1f MiB  (target < 10 MiB); anonymous: %+.1f MiB\n", sales,
             ((double) g_array_index (pss_at, guint64, pss_at->len - 1) - g_array_index (pss_at, guint64, 2)) / 1024.0,
             ((double) g_array_index (anon_at, guint64, anon_at->len - 1) - g_array_index (anon_at, guint64, 2)) / 1024.0);
  day_print_renewals (renewed_sale, renewed_pss, renewed_anon);
  /* Under heaptrack (bench-day --heaptrack) the window stays: what it
   * holds is then among what was not freed, which runs of different
   * lengths are compared by. */
  if (g_getenv ("TILL_BENCH_DAY_HEAPTRACK") == NULL)
    close_window (window);
  return 0;
}

/* What these tests make happen on purpose: a hostile page's dropped
 * messages (the lying-server test allows its own warning itself). */
static const char * const expected_warnings[] = {
  "till-card-view: Dropped a message from the card page: *",
  NULL
};

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  gboolean bench = till_test_take_flag (&argc, argv, "--bench");
  gboolean bench_day = till_test_take_flag (&argc, argv, "--bench-day");
  int status;

  g_test_init (&argc, &argv, NULL);
  g_set_prgname ("test-charge");
  g_setenv ("MESA_SHADER_CACHE_DISABLE", "true", TRUE);
  gtk_init ();

  app = till_test_application_new ();
  /* Warnings are fatal but for the ones this test causes on purpose: the
   * card view warns about each message it drops, and the hostile page
   * makes it drop some. */
  till_test_fatal_warnings_except (expected_warnings);
  keys_seen = g_hash_table_new (NULL, NULL);

  if (bench)
    {
      const char *rounds = g_getenv ("TILL_BENCH_ROUNDS");
      const char *sales = g_getenv ("TILL_BENCH_SALES");

      status = run_bench (rounds ? atoi (rounds) : 5, sales ? atoi (sales) : 10);
      g_object_unref (app);
      return till_test_finish (status);
    }

  if (bench_day)
    {
      const char *sales = g_getenv ("TILL_BENCH_DAY_SALES");
      const char *entries = g_getenv ("TILL_BENCH_DAY_ENTRIES");

      status = run_bench_day (sales ? atoi (sales) : 1000, entries ? atoi (entries) : 10000);
      g_object_unref (app);
      return till_test_finish (status);
    }

  g_test_add_func ("/charge/payment-intents", test_payment_intents);
  g_test_add_func ("/charge/charges-mode", test_charges_mode);
  g_test_add_func ("/charge/krw", test_krw);
  g_test_add_func ("/charge/isk", test_isk);
  g_test_add_func ("/charge/mga", test_mga);
  g_test_add_func ("/charge/kwd", test_kwd);
  g_test_add_func ("/charge/web-process-killed", test_web_process_killed);
  g_test_add_func ("/charge/renewed-between-sales", test_renewed_between_sales);
  g_test_add_func ("/charge/hostile-page", test_hostile_page);
  g_test_add_func ("/charge/faults", test_faults);
  g_test_add_func ("/charge/lying-server", test_lying_server);
  status = till_test_run ();

  g_object_unref (app);
  return status;
}
