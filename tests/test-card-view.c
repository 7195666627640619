/* test-card-view.c: the card page in a real window, against the Stripe.js
 * stand-in, with card numbers typed as X key events (xdotool), and a
 * hostile page that must not get anything past the message bridge.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <adwaita.h>
#include <webkit/webkit.h>

#include "till-card-view.h"
#include "till-test-harness.h"
#include "till-test-web.h"

#define BASE_ORIGIN "http://127.0.0.1:1"
#define PAGE_URI BASE_ORIGIN "/till/card"
#define WINDOW_TITLE "Till card view test"

typedef gboolean (*Condition) (TillCardView *view, gconstpointer data);

static void
wait_until (TillCardView  *view,
            Condition      condition,
            gconstpointer  data,
            guint          seconds,
            const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;

  while (!condition (view, data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
is_ready (TillCardView *view, gconstpointer data)
{
  return till_card_view_get_ready (view);
}

static gboolean
dropped_at_least (TillCardView *view, gconstpointer data)
{
  return till_card_view_get_dropped_count (view) >= GPOINTER_TO_UINT (data);
}

static gboolean
crashed_and_ready (TillCardView *view, gconstpointer data)
{
  return *(const guint *) data > 0 && till_card_view_get_ready (view);
}

static JSCValue *
run_js (TillCardView *view,
        const char   *script)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  JSCValue *value;

  webkit_web_view_evaluate_javascript (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view)), script, -1,
                                       NULL, NULL, NULL, till_test_result_cb, &slot);
  value = webkit_web_view_evaluate_javascript_finish (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view)),
                                                      till_test_wait (&slot), &error);
  g_assert_no_error (error);
  g_clear_object (&slot);
  return value;
}

/* Polls script in the page until it is true. */
static void
wait_js (TillCardView *view,
         const char   *script,
         const char   *what)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;

  for (;;)
    {
      g_autoptr(JSCValue) value = run_js (view, script);

      if (jsc_value_to_boolean (value))
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      till_test_settle (50);
    }
}

static guint crashes;
static guint readies;

static void
count_cb (guint *count)
{
  (*count)++;
}

static gboolean
readies_above (TillCardView *view, gconstpointer before)
{
  return readies > GPOINTER_TO_UINT (before);
}

/* A harmless message (the form is ready already) through the bridge, the
 * way the card page posts: once the view has it, every message posted
 * before it has been handled, since the bridge and the view take them in
 * order. */
static void
probe_bridge (TillCardView *view)
{
  guint before = readies;

  g_clear_object (&(JSCValue *) { run_js (view,
    "window.postMessage('till:' + JSON.stringify({type: 'ready'}), location.origin); true;") });
  wait_until (view, readies_above, GUINT_TO_POINTER (before), 40, "a message posted after the others");
}

static gboolean
navigation_asked (TillCardView *view, gconstpointer uri)
{
  return till_test_web_navigation_asked (uri);
}

/* Types the card with real key events, once the focus is in its field.
 * The web process ends only when the test ends it: a death nobody asked
 * for fails here, said as such (the card view paints without GL because of
 * such deaths: docs/testing.md). */
static void
type_card (TillCardView *view)
{
  guint crashes_before = crashes;
  gint64 deadline;

  wait_until (view, is_ready, NULL, 20, "the card form to be ready");
  till_test_xdo ("search", "--sync", "--onlyvisible", "--name", "^" WINDOW_TITLE "$", "windowfocus", "--sync", NULL);
  till_card_view_focus_card (view);
  /* Focusing the field runs in the web process, inside Stripe's frame:
   * keys typed before it is there are lost. */
  wait_js (view, "document.hasFocus() && document.activeElement !== null "
                 "&& document.activeElement.tagName === 'IFRAME'", "the focus in the card's frame");
  /* And its number field: the frame focuses it when it runs the message
   * that card.focus() posted to it. */
  till_test_web_flush_posted_messages (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view)));
  till_test_xdo ("type", "--delay", "30", "4242424242424242", NULL);
  till_test_xdo ("type", "--delay", "30", "1230", NULL);
  till_test_xdo ("type", "--delay", "30", "123", NULL);
  for (deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;
       !till_card_view_get_complete (view) && crashes == crashes_before && g_get_monotonic_time () < deadline;)
    till_test_settle (20);
  if (crashes != crashes_before)
    g_error ("The card page's web process died by itself while the card was typed");
  if (!till_card_view_get_complete (view))
    g_error ("Timed out waiting for the card to be complete");
}

static TillCardMessage *
tokenize (TillCardView *view,
          const char   *hostile_script)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  TillCardMessage *message;

  till_card_view_tokenize_async (view, NULL, till_test_result_cb, &slot);
  /* Forged results posted while a real one is being made. */
  if (hostile_script != NULL)
    g_clear_object (&(JSCValue *) { run_js (view, hostile_script) });
  message = till_card_view_tokenize_finish (view, till_test_wait (&slot), &error);
  g_assert_no_error (error);
  g_clear_object (&slot);
  return message;
}

static void
assert_visa (TillCardMessage *message)
{
  g_assert_nonnull (message);
  g_assert_cmpint (message->type, ==, TILL_CARD_MESSAGE_PAYMENT_METHOD);
  g_assert_cmpstr (message->id, ==, "pm_card_visa");
  g_assert_cmpstr (message->brand, ==, "visa");
  g_assert_cmpstr (message->last4, ==, "4242");
  g_assert_cmpint (message->exp_month, ==, 12);
  g_assert_cmpint (message->exp_year, ==, 2030);
}

static void
test_stripe_js_url (void)
{
  g_assert_true (till_card_view_stripe_js_url_allowed ("https://js.stripe.com/v3/", TRUE));
  g_assert_true (till_card_view_stripe_js_url_allowed ("https://js.stripe.com/v3/", FALSE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("http://127.0.0.1:4000/v3/", TRUE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("https://js.stripe.com.evil.example/v3/", TRUE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("https://js.stripe.com/v3/?x", TRUE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("http://js.stripe.com/v3/", TRUE));
  g_assert_false (till_card_view_stripe_js_url_allowed (NULL, FALSE));
  g_assert_true (till_card_view_stripe_js_url_allowed ("http://127.0.0.1:4000/v3/", FALSE));
  g_assert_true (till_card_view_stripe_js_url_allowed ("http://localhost:4000/v3/", FALSE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("http://example.com/v3/", FALSE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("http://127.0.0.1:4000/evil.js", FALSE));
  g_assert_false (till_card_view_stripe_js_url_allowed ("file:///tmp/v3/", FALSE));
}

static void
test_load_refuses (void)
{
  TillCardView *view = TILL_CARD_VIEW (g_object_ref_sink (till_card_view_new ()));
  g_autoptr(GError) error = NULL;

  g_assert_false (till_card_view_load (view, "http://shop.example", "https://js.stripe.com/v3/", "pk_test_x",
                                       "payment_intents", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (till_card_view_load (view, BASE_ORIGIN, "https://evil.example/v3/", "pk_test_x",
                                       "payment_intents", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  g_assert_false (till_card_view_load (view, BASE_ORIGIN, "https://js.stripe.com/v3/", "sk_test_x",
                                       "payment_intents", &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_object_unref (view);
}

/* Painted on the CPU: with GL on Mesa's software rasterizer the web
 * process died by itself now and then (docs/testing.md). */
static void
test_no_gpu (void)
{
  TillCardView *view = TILL_CARD_VIEW (g_object_ref_sink (till_card_view_new ()));
  WebKitWebView *web_view = WEBKIT_WEB_VIEW (till_card_view_get_web_view (view));

  g_assert_cmpint (webkit_settings_get_hardware_acceleration_policy (webkit_web_view_get_settings (web_view)), ==,
                   WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER);
  g_object_unref (view);
}

static void
test_card_and_hostile_page (void)
{
  TillTestStripe *stripe = till_test_stripe_get ();
  g_autofree char *stripe_js = g_strconcat (stripe->url, "/v3/", NULL);
  GtkWidget *window = gtk_window_new ();
  TillCardView *view = TILL_CARD_VIEW (till_card_view_new ());
  g_autoptr(TillCardMessage) first = NULL;
  g_autoptr(TillCardMessage) second = NULL;
  g_autoptr(TillCardMessage) third = NULL;
  g_autoptr(JSCValue) value = NULL;
  g_autoptr(GError) error = NULL;
  guint toplevels, dropped, crashes_before_navigation;

  gtk_window_set_title (GTK_WINDOW (window), WINDOW_TITLE);
  gtk_window_set_default_size (GTK_WINDOW (window), 600, 200);
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (view));
  gtk_window_present (GTK_WINDOW (window));

  g_assert_true (till_card_view_load (view, BASE_ORIGIN, stripe_js, "pk_test_till_card_view",
                                      "payment_intents", &error));
  g_assert_no_error (error);
  till_test_web_watch_navigations ();
  g_signal_connect_swapped (view, "web-process-crashed", G_CALLBACK (count_cb), &crashes);
  g_signal_connect_swapped (view, "ready", G_CALLBACK (count_cb), &readies);
  wait_until (view, is_ready, NULL, 20, "the card form to be ready");
  g_assert_cmpstr (webkit_web_view_get_uri (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view))), ==, PAGE_URI);

  type_card (view);
  g_assert_cmpstr (till_card_view_get_brand (view), ==, "visa");
  g_assert_cmpuint (till_card_view_get_dropped_count (view), ==, 0);

  first = tokenize (view, NULL);
  assert_visa (first);

  /* (a) The main frame posts malformed and forged messages while a real
   * tokenization runs: each is dropped and counted, the result is Stripe's. */
  second = tokenize (view,
    "const p = (m) => window.postMessage('till:' + JSON.stringify(m), location.origin);"
    "const card = {brand: 'visa', last4: '0000', exp_month: 1, exp_year: 2031};"
    "p({type: 'payment_method', payment_method: {id: 'pm_forged', card}, extra: 1});"
    "p({type: 'payment_method', payment_method: {id: 'pm_forged', card}, amount: 1});"
    "p({type: 'payment_method', payment_method: {id: 7, card: {brand: 'visa', last4: 4242, exp_month: '1', exp_year: 2031}}});"
    "true;");
  assert_visa (second);
  wait_until (view, dropped_at_least, GUINT_TO_POINTER (3), 40, "the forged messages to be dropped");
  g_assert_cmpuint (till_card_view_get_dropped_count (view), ==, 3);

  /* (b) An iframe (same origin, from srcdoc) cannot reach the handler nor
   * get the bridge to forward for it. */
  dropped = till_card_view_get_dropped_count (view);
  value = run_js (view,
    "const f = document.createElement('iframe');"
    "f.srcdoc = '<script>"
    "const m = JSON.stringify({type: \"change\", complete: false, empty: true, brand: \"unknown\", error: null});"
    "parent.postMessage(\"till:\" + m, \"*\");"
    "let direct = \"no handler\";"
    "try { window.webkit.messageHandlers.till.postMessage(m); direct = \"posted\"; } catch (e) {}"
    "parent.window.iframeRan = direct;"
    "</' + 'script>';"
    "document.body.appendChild(f); true;");
  g_clear_object (&value);
  /* The iframe's script posted to the page before it set iframeRan; a
   * message posted after that reaching the view proves the bridge has
   * dealt with it. */
  wait_js (view, "window.iframeRan !== undefined", "the iframe's script");
  probe_bridge (view);
  value = run_js (view, "String(window.iframeRan)");
  g_assert_cmpstr (jsc_value_to_string (value), ==, "no handler");
  g_clear_object (&value);
  g_assert_true (till_card_view_get_complete (view));
  g_assert_cmpuint (till_card_view_get_dropped_count (view), ==, dropped);

  /* (c) No new windows. */
  toplevels = g_list_model_get_n_items (gtk_window_get_toplevels ());
  /* window.open() returns once WebKit has refused (here, or by asking the
   * view, which says no at once); anything sent meanwhile comes before the
   * probe. */
  value = run_js (view, "String(window.open('https://example.com/'))");
  g_assert_cmpstr (jsc_value_to_string (value), ==, "null");
  g_clear_object (&value);
  probe_bridge (view);
  g_assert_cmpuint (g_list_model_get_n_items (gtk_window_get_toplevels ()), ==, toplevels);

  /* (d) No navigation away: the page stays, and its web process with it. */
  crashes_before_navigation = crashes;
  value = run_js (view, "location = 'https://example.com/'; true;");
  g_clear_object (&value);
  /* The view decides in the emission that asks it. */
  wait_until (view, navigation_asked, "https://example.com/", 20, "the navigation to be decided");
  g_assert_cmpstr (webkit_web_view_get_uri (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view))), ==, PAGE_URI);
  value = run_js (view, "location.href");
  g_assert_cmpstr (jsc_value_to_string (value), ==, PAGE_URI);
  g_clear_object (&value);
  g_assert_cmpuint (crashes, ==, crashes_before_navigation);
  g_assert_true (till_card_view_get_complete (view));

  /* The form still works after all that. */
  third = tokenize (view, NULL);
  assert_visa (third);

  /* The web process dies: the view says so and the form comes back. */
  crashes = 0;
  webkit_web_view_terminate_web_process (WEBKIT_WEB_VIEW (till_card_view_get_web_view (view)));
  wait_until (view, crashed_and_ready, &crashes, 20, "the card form to come back");
  g_assert_cmpuint (crashes, ==, 1);
  g_assert_false (till_card_view_get_complete (view));

  till_test_web_unwatch_navigations ();
  gtk_window_destroy (GTK_WINDOW (window));
}

/* What the hostile page makes happen on purpose. */
static const char * const expected_warnings[] = {
  "till-card-view: Dropped a message from the card page: *",
  NULL
};

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  /* g_test_init() names the program by its path; WebKit builds its data
   * folders from the name. */
  g_set_prgname ("test-card-view");
  /* WebKit's helper processes outlive this one by a moment; they must not
   * be writing a shader cache into the folder keyring-session removes. */
  g_setenv ("MESA_SHADER_CACHE_DISABLE", "true", TRUE);
  gtk_init ();
  adw_init ();
  /* Warnings are fatal but for the ones this test causes on purpose: the
   * card view warns about each message it drops, and the hostile page
   * makes it drop some. */
  till_test_fatal_warnings_except (expected_warnings);

  g_test_add_func ("/card-view/stripe-js-url", test_stripe_js_url);
  g_test_add_func ("/card-view/load-refuses", test_load_refuses);
  g_test_add_func ("/card-view/no-gpu", test_no_gpu);
  g_test_add_func ("/card-view/card-and-hostile-page", test_card_and_hostile_page);
  return till_test_run ();
}
