/* till-card-view.c: the card page (Stripe Elements) in a WebKitWebView
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The page ships in the GResource (src/web/) and is loaded with
 * webkit_web_view_load_html() and a base URI on the backend's origin, so in
 * production it has the backend's HTTPS origin without the backend serving
 * it (design.md's second way): the page Till runs is the one it was built
 * with, and nothing about it can be changed on the server.
 *
 * Configuration (Stripe.js URL, publishable key, mode) reaches the page
 * through a user script that sets window.tillConfig from JSON before the
 * page runs, rather than by substituting placeholders into the HTML: JSON
 * is a safe JavaScript literal for any string, and nothing the backend
 * sends can end up parsed as markup.
 *
 * Main frame only: WebKitGTK tells the UI process nothing about which frame
 * posted a script message. So the one message handler ("till") is
 * registered in an isolated script world ("till-bridge") that page scripts
 * in no frame can reach, and a bridge script (src/web/bridge.js) is injected
 * into that world in the top frame only. It forwards only messages the top
 * frame's window posted to itself from its own origin. Native code then
 * checks that the view's current URI has the expected origin and validates
 * the message strictly (till_card_message_parse()).
 */
#define G_LOG_DOMAIN "till-card-view"

#include "config.h"

#include <json-glib/json-glib.h>
#include <webkit/webkit.h>

#include "till-card-page.h"
#include "till-card-view.h"

#define BRIDGE_WORLD "till-bridge"
#define HANDLER_NAME "till"
#define PAGE_PATH "/till/card"

struct _TillCardView
{
  AdwBin parent_instance;

  WebKitWebView *web_view;
  WebKitUserContentManager *content_manager;

  char *base_origin;        /* normalized, e.g. "https://shop.example:8443" */
  char *base_uri;           /* base_origin + PAGE_PATH */
  char *stripe_js_url;
  char *stripe_js_origin;
  char *publishable_key;
  char *mode;

  gboolean expect_page_load;
  gboolean ready;
  gboolean complete;
  char *brand;
  char *error;
  guint dropped;
  guint reload_source;
  guint reads;              /* cards read since this web process started */
  guint renew_after;        /* TILL_CARD_VIEW_RENEW_AFTER_READS, or a test's */
  gboolean renewing;        /* ended on purpose by till_card_view_renew_if_worn() */

  GTask *pending_tokenize;
  GTask *pending_action;

  /* till_card_view_prepare() waits for the window's first frame */
  GtkWidget *prepare_root;          /* weak */
  GdkFrameClock *prepare_clock;
  gulong prepare_paint_handler;
  gulong prepare_map_handler;
  guint prepare_source;
};

G_DEFINE_FINAL_TYPE (TillCardView, till_card_view, ADW_TYPE_BIN)

enum
{
  SIGNAL_READY,
  SIGNAL_CHANGED,
  SIGNAL_WEB_PROCESS_CRASHED,
  N_SIGNALS
};

enum
{
  PROP_0,
  PROP_READY,
  PROP_COMPLETE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static guint signals[N_SIGNALS];

static void
cancel_prepare (TillCardView *self)
{
  if (self->prepare_root != NULL)
    {
      g_clear_signal_handler (&self->prepare_map_handler, self->prepare_root);
      g_object_remove_weak_pointer (G_OBJECT (self->prepare_root), (gpointer *) &self->prepare_root);
      self->prepare_root = NULL;
    }
  self->prepare_map_handler = 0;
  if (self->prepare_clock != NULL)
    g_clear_signal_handler (&self->prepare_paint_handler, self->prepare_clock);
  g_clear_object (&self->prepare_clock);
  g_clear_handle_id (&self->prepare_source, g_source_remove);
}

static gboolean
is_release_build (void)
{
#ifdef TILL_CARD_VIEW_ALLOW_LOOPBACK_STRIPE_JS
  /* Only the tests' and benchmarks' copy of the UI is built this way. */
  return FALSE;
#else
  return g_str_equal (PROFILE, "release");
#endif
}

static gboolean
is_loopback_host (const char *host)
{
  return host != NULL &&
         (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "::1") ||
          g_str_equal (host, "[::1]") || g_str_equal (host, "localhost"));
}

/* An http(s) origin or URL without user info, query or fragment. */
static GUri *
parse_web_uri (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  if (text == NULL)
    return NULL;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL)
    return NULL;
  scheme = g_uri_get_scheme (uri);
  if (g_strcmp0 (scheme, "https") != 0 && g_strcmp0 (scheme, "http") != 0)
    return NULL;
  if (g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_query (uri) != NULL ||
      g_uri_get_fragment (uri) != NULL)
    return NULL;
  /* Plain HTTP only to loopback. */
  if (g_str_equal (scheme, "http") && !is_loopback_host (g_uri_get_host (uri)))
    return NULL;
  return g_steal_pointer (&uri);
}

/**
 * till_card_view_stripe_js_url_allowed:
 * @url: the Stripe.js URL to load
 * @release: whether this is a release build
 *
 * A release build loads Stripe.js only from https://js.stripe.com/v3/, as
 * Stripe requires; development and test builds may also load a stand-in
 * from a loopback address (http or https, path /v3/).
 */
gboolean
till_card_view_stripe_js_url_allowed (const char *url,
                                      gboolean    release)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    return FALSE;
  if (g_str_equal (url, TILL_CARD_VIEW_STRIPE_JS_URL))
    return TRUE;
  if (release)
    return FALSE;
  uri = parse_web_uri (url);
  return uri != NULL && is_loopback_host (g_uri_get_host (uri)) &&
         g_str_equal (g_uri_get_path (uri), "/v3/");
}

static char *
origin_of (const char *uri)
{
  WebKitSecurityOrigin *origin;
  char *text;

  if (uri == NULL)
    return NULL;
  origin = webkit_security_origin_new_for_uri (uri);
  if (origin == NULL)
    return NULL;
  text = webkit_security_origin_to_string (origin);
  webkit_security_origin_unref (origin);
  return text;
}

/* Stripe's own frames in production; the configured stand-in's origin in
 * development and test builds (the Stripe.js URL was checked at load). */
static gboolean
is_stripe_frame_uri (TillCardView *self,
                     const char   *text)
{
  g_autoptr(GUri) uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  g_autofree char *origin = NULL;
  const char *host;

  if (uri == NULL)
    return FALSE;
  origin = origin_of (text);
  if (origin != NULL && self->stripe_js_origin != NULL &&
      g_str_equal (origin, self->stripe_js_origin))
    return TRUE;
  host = g_uri_get_host (uri);
  if (g_strcmp0 (g_uri_get_scheme (uri), "https") != 0 || host == NULL ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_port (uri) != -1)
    return FALSE;
  /* js.stripe.com (the Elements frames), hooks.stripe.com (3-D Secure),
   * m.stripe.network (Stripe's fraud signals frame). */
  return g_str_equal (host, "js.stripe.com") ||
         g_str_equal (host, "hooks.stripe.com") ||
         g_str_has_suffix (host, ".stripe.com") ||
         g_str_equal (host, "m.stripe.network");
}

static gboolean
decide_policy_cb (WebKitWebView            *web_view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  TillCardView             *self)
{
  WebKitNavigationAction *action;
  const char *uri;
  gboolean allowed = FALSE;

  switch (type)
    {
    case WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION:
      action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
      uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));
      if (uri == NULL)
        allowed = FALSE;
      else if (self->expect_page_load && self->base_uri != NULL && g_str_equal (uri, self->base_uri))
        {
          /* Our own load_html(); a reload or a link from the page would
           * fetch the base URI from the network instead. */
          self->expect_page_load = FALSE;
          allowed = TRUE;
        }
      else if (g_str_equal (uri, "about:blank") || g_str_equal (uri, "about:srcdoc"))
        allowed = TRUE;
      else
        allowed = is_stripe_frame_uri (self, uri);
      break;

    case WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION:
      allowed = FALSE;
      break;

    case WEBKIT_POLICY_DECISION_TYPE_RESPONSE:
    default:
      return FALSE;
    }

  if (allowed)
    webkit_policy_decision_use (decision);
  else
    {
      g_debug ("Denied a navigation from the card page");
      webkit_policy_decision_ignore (decision);
    }
  return TRUE;
}

static GtkWidget *
create_cb (WebKitWebView          *web_view,
           WebKitNavigationAction *action,
           TillCardView           *self)
{
  g_debug ("Denied a new window from the card page");
  return NULL;
}

static void
drop (TillCardView *self,
      const char   *why)
{
  self->dropped++;
  g_warning ("Dropped a message from the card page: %s", why);
}

/* The form's readiness and completeness, which the charge screen follows
 * (notify::ready, notify::complete). */
static void
set_form_state (TillCardView *self,
                gboolean      ready,
                gboolean      complete)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->ready != ready)
    {
      self->ready = ready;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READY]);
    }
  if (self->complete != complete)
    {
      self->complete = complete;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COMPLETE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
deliver (TillCardView    *self,
         TillCardMessage *message)
{
  GTask *task = NULL;

  switch (message->type)
    {
    case TILL_CARD_MESSAGE_READY:
      set_form_state (self, TRUE, self->complete);
      till_card_message_free (message);
      g_signal_emit (self, signals[SIGNAL_READY], 0);
      return;

    case TILL_CARD_MESSAGE_CHANGE:
      set_form_state (self, self->ready, message->complete);
      g_free (self->brand);
      self->brand = g_strdup (message->brand);
      g_free (self->error);
      self->error = g_strdup (message->error_message);
      till_card_message_free (message);
      g_signal_emit (self, signals[SIGNAL_CHANGED], 0, self->complete, self->brand);
      return;

    case TILL_CARD_MESSAGE_TOKEN:
    case TILL_CARD_MESSAGE_PAYMENT_METHOD:
      task = g_steal_pointer (&self->pending_tokenize);
      break;

    case TILL_CARD_MESSAGE_ACTION_RESULT:
      task = g_steal_pointer (&self->pending_action);
      break;

    case TILL_CARD_MESSAGE_ERROR_RESULT:
      task = self->pending_tokenize != NULL ? g_steal_pointer (&self->pending_tokenize)
                                            : g_steal_pointer (&self->pending_action);
      break;

    default:
      break;
    }

  if (task == NULL)
    {
      till_card_message_free (message);
      drop (self, "a result nothing asked for");
      return;
    }
  g_task_return_pointer (task, message, (GDestroyNotify) till_card_message_free);
  g_object_unref (task);
}

static gboolean
script_message_cb (WebKitUserContentManager *manager,
                   JSCValue                 *value,
                   WebKitScriptMessageReply *reply,
                   TillCardView             *self)
{
  g_autofree char *page_origin = origin_of (webkit_web_view_get_uri (self->web_view));
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) answer = NULL;
  TillCardMessage *message = NULL;

  if (self->base_origin == NULL || page_origin == NULL || !g_str_equal (page_origin, self->base_origin))
    drop (self, "the page is not on the expected origin");
  else if (!jsc_value_is_string (value))
    drop (self, "not JSON text");
  else
    {
      json = jsc_value_to_string (value);
      message = till_card_message_parse (json, strlen (json), &error);
      if (message == NULL)
        drop (self, error->message);
    }

  answer = jsc_value_new_boolean (jsc_value_get_context (value), message != NULL);
  webkit_script_message_reply_return_value (reply, answer);

  if (message != NULL)
    deliver (self, message);
  return TRUE;
}

static void
fail_pending (TillCardView *self,
              GQuark        domain,
              int           code,
              const char   *text)
{
  GTask *task;

  if ((task = g_steal_pointer (&self->pending_tokenize)) != NULL)
    {
      g_task_return_new_error (task, domain, code, "%s", text);
      g_object_unref (task);
    }
  if ((task = g_steal_pointer (&self->pending_action)) != NULL)
    {
      g_task_return_new_error (task, domain, code, "%s", text);
      g_object_unref (task);
    }
}

static void web_process_terminated_cb (WebKitWebView                     *web_view,
                                       WebKitWebProcessTerminationReason  reason,
                                       TillCardView                      *self);

/* The web view on first use. WebKit's first view also starts its network
 * process and, once it loads anything, a web process; both compete with
 * the sign-in window for the CPU, so till_card_view_prepare() waits for
 * that window's first frame. */
static void
ensure_web_view (TillCardView *self)
{
  static gsize configured = 0;
  g_autoptr(WebKitSettings) settings = NULL;
  /* Nothing of the card page (cookies, cache, storage) is kept on disk. */
  g_autoptr(WebKitNetworkSession) session = NULL;

  if (self->web_view != NULL)
    return;

  if (g_once_init_enter (&configured))
    {
      /* One small page, loaded once per window and never navigated back
       * to: WebKit's browser-sized memory and page caches only hold memory. */
      webkit_web_context_set_cache_model (webkit_web_context_get_default (), WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
      g_once_init_leave (&configured, 1);
    }

  settings = webkit_settings_new ();
  session = webkit_network_session_new_ephemeral ();
  webkit_settings_set_enable_developer_extras (settings, g_str_has_suffix (APP_ID, ".Devel"));
  webkit_settings_set_enable_javascript (settings, TRUE);
  webkit_settings_set_enable_javascript_markup (settings, TRUE);
  webkit_settings_set_allow_file_access_from_file_urls (settings, FALSE);
  webkit_settings_set_allow_universal_access_from_file_urls (settings, FALSE);
  webkit_settings_set_allow_top_navigation_to_data_urls (settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically (settings, FALSE);
  webkit_settings_set_javascript_can_access_clipboard (settings, FALSE);
  webkit_settings_set_enable_webaudio (settings, FALSE);
  webkit_settings_set_enable_webgl (settings, FALSE);
  webkit_settings_set_enable_media (settings, FALSE);
  webkit_settings_set_enable_back_forward_navigation_gestures (settings, FALSE);
  /* The card page is one small form: nothing in it needs a GPU. With
   * hardware acceleration, WebKitGTK 2.50 paints with Skia into GL
   * contexts on several threads of the web process (SkiaGPUWorker,
   * ThreadedCompositor). On Mesa's software rasterizer (llvmpipe: any
   * terminal without a GPU driver, and every Xvfb) those threads race
   * inside swrast_dri.so, and the web process dies with a segfault now and
   * then, taking the card being typed with it; more often under load.
   * Painted on the CPU, neither thread exists: Skia paints into memory.
   * docs/testing.md, "WebKit's web process", has the evidence. */
  webkit_settings_set_hardware_acceleration_policy (settings, WEBKIT_HARDWARE_ACCELERATION_POLICY_NEVER);

  self->content_manager = webkit_user_content_manager_new ();
  webkit_user_content_manager_register_script_message_handler_with_reply (self->content_manager, HANDLER_NAME,
                                                                          BRIDGE_WORLD);
  g_signal_connect (self->content_manager, "script-message-with-reply-received::" HANDLER_NAME,
                    G_CALLBACK (script_message_cb), self);

  self->web_view = g_object_new (WEBKIT_TYPE_WEB_VIEW,
                                 "network-session", session,
                                 "settings", settings,
                                 "user-content-manager", self->content_manager,
                                 NULL);
  /* The page's own box is the card field; around it, the window shows. */
  webkit_web_view_set_background_color (self->web_view, &(GdkRGBA) { 0, 0, 0, 0 });
  g_signal_connect (self->web_view, "decide-policy", G_CALLBACK (decide_policy_cb), self);
  g_signal_connect (self->web_view, "create", G_CALLBACK (create_cb), self);
  g_signal_connect (self->web_view, "web-process-terminated", G_CALLBACK (web_process_terminated_cb), self);
  gtk_widget_set_hexpand (GTK_WIDGET (self->web_view), TRUE);
  gtk_widget_set_vexpand (GTK_WIDGET (self->web_view), TRUE);
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->web_view));
}

static void
load_page (TillCardView *self)
{
  g_autofree char *html = till_card_page_build_html ();
  g_autofree char *config = till_card_page_build_config (self->stripe_js_url, self->publishable_key, self->mode);
  g_autofree char *bridge = till_card_page_read ("bridge.js");
  g_autoptr(WebKitUserScript) bridge_script = NULL;
  g_autoptr(WebKitUserScript) config_script = NULL;

  cancel_prepare (self);
  ensure_web_view (self);
  webkit_user_content_manager_remove_all_scripts (self->content_manager);
  bridge_script = webkit_user_script_new_for_world (bridge, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                                    WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START,
                                                    BRIDGE_WORLD, NULL, NULL);
  config_script = webkit_user_script_new (config, WEBKIT_USER_CONTENT_INJECT_TOP_FRAME,
                                          WEBKIT_USER_SCRIPT_INJECT_AT_DOCUMENT_START, NULL, NULL);
  webkit_user_content_manager_add_script (self->content_manager, bridge_script);
  webkit_user_content_manager_add_script (self->content_manager, config_script);

  set_form_state (self, FALSE, FALSE);
  g_clear_pointer (&self->brand, g_free);
  g_clear_pointer (&self->error, g_free);
  self->expect_page_load = TRUE;
  webkit_web_view_load_html (self->web_view, html, self->base_uri);
}

static gboolean
reload_cb (gpointer data)
{
  TillCardView *self = data;

  self->reload_source = 0;
  load_page (self);
  return G_SOURCE_REMOVE;
}

static void
web_process_terminated_cb (WebKitWebView                     *web_view,
                           WebKitWebProcessTerminationReason  reason,
                           TillCardView                      *self)
{
  self->reads = 0;
  if (self->renewing && reason == WEBKIT_WEB_PROCESS_TERMINATED_BY_API)
    {
      /* Between sales, nothing was pending: only a new page to load. */
      self->renewing = FALSE;
      g_debug ("The card page's web process was renewed");
      if (self->base_uri != NULL && self->reload_source == 0)
        self->reload_source = g_idle_add (reload_cb, self);
      return;
    }
  self->renewing = FALSE;
  g_message ("The card page's web process ended (reason %d); reloading it", (int) reason);
  set_form_state (self, FALSE, FALSE);
  g_clear_pointer (&self->error, g_free);
  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED, "The card form stopped");
  g_signal_emit (self, signals[SIGNAL_WEB_PROCESS_CRASHED], 0);
  if (self->base_uri != NULL && self->reload_source == 0)
    self->reload_source = g_idle_add (reload_cb, self);
}

gboolean
till_card_view_load (TillCardView  *self,
                     const char    *base_origin,
                     const char    *stripe_js_url,
                     const char    *publishable_key,
                     const char    *mode,
                     GError       **error)
{
  g_autoptr(GUri) base = NULL;
  const char *path;

  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), FALSE);

  base = parse_web_uri (base_origin);
  path = base != NULL ? g_uri_get_path (base) : NULL;
  if (base == NULL || (*path != '\0' && !g_str_equal (path, "/")))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The shop's address is not an HTTPS origin");
      return FALSE;
    }
  if (!till_card_view_stripe_js_url_allowed (stripe_js_url, is_release_build ()))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                           "This build loads Stripe.js only from " TILL_CARD_VIEW_STRIPE_JS_URL);
      return FALSE;
    }
  if (publishable_key == NULL || !g_str_has_prefix (publishable_key, "pk_") ||
      strlen (publishable_key) > 255 || !g_str_is_ascii (publishable_key))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The shop's publishable key is not a Stripe publishable key");
      return FALSE;
    }
  if (g_strcmp0 (mode, "payment_intents") != 0 && g_strcmp0 (mode, "charges") != 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "The payment mode is neither payment_intents nor charges");
      return FALSE;
    }

  g_free (self->base_origin);
  self->base_origin = origin_of (base_origin);
  g_free (self->base_uri);
  self->base_uri = g_strconcat (self->base_origin, PAGE_PATH, NULL);
  g_free (self->stripe_js_url);
  self->stripe_js_url = g_strdup (stripe_js_url);
  g_free (self->stripe_js_origin);
  self->stripe_js_origin = origin_of (stripe_js_url);
  g_free (self->publishable_key);
  self->publishable_key = g_strdup (publishable_key);
  g_free (self->mode);
  self->mode = g_strdup (mode);

  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The card form was reloaded");
  load_page (self);
  return TRUE;
}

static void
call_done_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(TillCardView) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = NULL;

  value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (object), result, &error);
  /* The result itself comes as a message; only a failed call ends the
   * wait here. */
  if (value == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("The card page's function failed: %s", error->message);
      fail_pending (self, G_IO_ERROR, G_IO_ERROR_FAILED, "The card form did not answer");
    }
}

void
till_card_view_tokenize_async (TillCardView        *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GVariantDict args;

  g_return_if_fail (TILL_IS_CARD_VIEW (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_card_view_tokenize_async);
  if (self->pending_tokenize != NULL || self->pending_action != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "The card form is busy");
      return;
    }
  if (!self->ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "The card form is not ready");
      return;
    }
  self->pending_tokenize = g_steal_pointer (&task);
  self->reads++;
  g_variant_dict_init (&args, NULL);
  g_variant_dict_insert (&args, "mode", "s", self->mode);
  webkit_web_view_call_async_javascript_function (self->web_view, "return await tillTokenize(mode);", -1,
                                                  g_variant_dict_end (&args), NULL, NULL, NULL,
                                                  call_done_cb, g_object_ref (self));
}

static TillCardMessage *
finish (TillCardView  *self,
        GAsyncResult  *result,
        gpointer       tag,
        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == tag, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

TillCardMessage *
till_card_view_tokenize_finish (TillCardView  *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  return finish (self, result, till_card_view_tokenize_async, error);
}

void
till_card_view_handle_card_action_async (TillCardView        *self,
                                         const char          *client_secret,
                                         GCancellable        *cancellable,
                                         GAsyncReadyCallback  callback,
                                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GVariantDict args;

  g_return_if_fail (TILL_IS_CARD_VIEW (self));
  g_return_if_fail (client_secret != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, till_card_view_handle_card_action_async);
  if (self->pending_tokenize != NULL || self->pending_action != NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING, "The card form is busy");
      return;
    }
  if (!self->ready)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "The card form is not ready");
      return;
    }
  self->pending_action = g_steal_pointer (&task);
  g_variant_dict_init (&args, NULL);
  g_variant_dict_insert (&args, "secret", "s", client_secret);
  webkit_web_view_call_async_javascript_function (self->web_view, "return await tillHandleCardAction(secret);", -1,
                                                  g_variant_dict_end (&args), NULL, NULL, NULL,
                                                  call_done_cb, g_object_ref (self));
}

TillCardMessage *
till_card_view_handle_card_action_finish (TillCardView  *self,
                                          GAsyncResult  *result,
                                          GError       **error)
{
  return finish (self, result, till_card_view_handle_card_action_async, error);
}

static void
simple_done_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = NULL;

  /* Clearing or focusing the form: a failure leaves nothing waiting. */
  value = webkit_web_view_call_async_javascript_function_finish (WEBKIT_WEB_VIEW (object), result, &error);
  if (value == NULL)
    g_debug ("The card page's function failed: %s", error->message);
}

static void
call_simple (TillCardView *self,
             const char   *body)
{
  if (self->ready)
    webkit_web_view_call_async_javascript_function (self->web_view, body, -1, NULL, NULL, NULL, NULL,
                                                    simple_done_cb, NULL);
}

void
till_card_view_clear (TillCardView *self)
{
  g_return_if_fail (TILL_IS_CARD_VIEW (self));
  call_simple (self, "return tillClear();");
}

void
till_card_view_reload (TillCardView *self)
{
  g_return_if_fail (TILL_IS_CARD_VIEW (self));

  if (self->base_uri == NULL)
    return;
  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The card form was reloaded");
  load_page (self);
}

/**
 * till_card_view_renew_if_worn:
 * @self: a #TillCardView
 *
 * Between two sales, when the card form's web process has read
 * TILL_CARD_VIEW_RENEW_AFTER_READS cards, ends that process and loads the
 * form again in a new one: WebKit's web process only grows over a day of
 * sales (docs/testing.md, "A day at the counter"), and a new one starts
 * from its first size. The form is empty again afterwards either way, and
 * not ready until the new page is (notify::ready). Never while a card read
 * or a customer's challenge is under way.
 *
 * Returns: whether the web process is being renewed; if not, nothing was done
 */
gboolean
till_card_view_renew_if_worn (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), FALSE);

  if (self->web_view == NULL || self->base_uri == NULL || self->reads < self->renew_after ||
      self->pending_tokenize != NULL || self->pending_action != NULL || self->reload_source != 0 ||
      self->renewing)
    return FALSE;
  self->renewing = TRUE;
  set_form_state (self, FALSE, FALSE);
  g_clear_pointer (&self->brand, g_free);
  g_clear_pointer (&self->error, g_free);
  webkit_web_view_terminate_web_process (self->web_view);
  return TRUE;
}

void
till_card_view_focus_card (TillCardView *self)
{
  g_return_if_fail (TILL_IS_CARD_VIEW (self));
  ensure_web_view (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->web_view));
  call_simple (self, "return tillFocus();");
}

gboolean
till_card_view_get_ready (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), FALSE);
  return self->ready;
}

gboolean
till_card_view_get_complete (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), FALSE);
  return self->complete;
}

const char *
till_card_view_get_brand (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), NULL);
  return self->brand;
}

const char *
till_card_view_get_error (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), NULL);
  return self->error;
}

static gboolean
prepare_cb (gpointer data)
{
  TillCardView *self = data;

  self->prepare_source = 0;
  cancel_prepare (self);
  ensure_web_view (self);
  /* about:blank is always allowed (decide_policy_cb); loading it spawns
   * the web process, which the card page then reuses. */
  if (self->base_uri == NULL)
    webkit_web_view_load_uri (self->web_view, "about:blank");
  return G_SOURCE_REMOVE;
}

static void
first_frame_cb (GdkFrameClock *clock,
                TillCardView  *self)
{
  g_clear_signal_handler (&self->prepare_paint_handler, clock);
  /* After the frame is on screen, not within its paint. */
  if (self->prepare_source == 0)
    self->prepare_source = g_idle_add_full (G_PRIORITY_LOW, prepare_cb, self, NULL);
}

static void
root_mapped_cb (GtkWidget    *root,
                TillCardView *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (root);

  g_clear_signal_handler (&self->prepare_map_handler, root);
  g_object_remove_weak_pointer (G_OBJECT (root), (gpointer *) &self->prepare_root);
  self->prepare_root = NULL;
  if (clock == NULL)
    {
      first_frame_cb (NULL, self);
      return;
    }
  g_set_object (&self->prepare_clock, clock);
  self->prepare_paint_handler = g_signal_connect (clock, "after-paint", G_CALLBACK (first_frame_cb), self);
}

void
till_card_view_prepare (TillCardView *self)
{
  GtkWidget *root;

  g_return_if_fail (TILL_IS_CARD_VIEW (self));

  if (self->web_view != NULL || self->prepare_map_handler != 0 || self->prepare_paint_handler != 0 ||
      self->prepare_source != 0)
    return;
  root = GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (self)));
  if (root == NULL || gtk_widget_get_mapped (root))
    self->prepare_source = g_idle_add_full (G_PRIORITY_LOW, prepare_cb, self, NULL);
  else
    {
      self->prepare_root = root;
      g_object_add_weak_pointer (G_OBJECT (root), (gpointer *) &self->prepare_root);
      self->prepare_map_handler = g_signal_connect (root, "map", G_CALLBACK (root_mapped_cb), self);
    }
}

void
till_card_view_set_renew_after (TillCardView *self,
                                guint         reads)
{
  g_return_if_fail (TILL_IS_CARD_VIEW (self));
  g_return_if_fail (reads > 0);
  self->renew_after = reads;
}

guint
till_card_view_get_dropped_count (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), 0);
  return self->dropped;
}

GtkWidget *
till_card_view_get_web_view (TillCardView *self)
{
  g_return_val_if_fail (TILL_IS_CARD_VIEW (self), NULL);
  ensure_web_view (self);
  return GTK_WIDGET (self->web_view);
}

GtkWidget *
till_card_view_new (void)
{
  return g_object_new (TILL_TYPE_CARD_VIEW, NULL);
}

static void
till_card_view_dispose (GObject *object)
{
  TillCardView *self = TILL_CARD_VIEW (object);

  g_clear_handle_id (&self->reload_source, g_source_remove);
  cancel_prepare (self);
  fail_pending (self, G_IO_ERROR, G_IO_ERROR_CANCELLED, "The card form was closed");
  if (self->content_manager != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->content_manager, self);
      webkit_user_content_manager_unregister_script_message_handler (self->content_manager, HANDLER_NAME,
                                                                     BRIDGE_WORLD);
    }
  if (self->web_view != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->web_view, self);
      /* A closed card view's web process stayed alive (bench-charge counts
       * them); nothing else uses it, and the form in it is gone. */
      webkit_web_view_terminate_web_process (self->web_view);
    }
  g_clear_object (&self->content_manager);
  self->web_view = NULL;
  adw_bin_set_child (ADW_BIN (self), NULL);

  G_OBJECT_CLASS (till_card_view_parent_class)->dispose (object);
}

static void
till_card_view_finalize (GObject *object)
{
  TillCardView *self = TILL_CARD_VIEW (object);

  g_free (self->base_origin);
  g_free (self->base_uri);
  g_free (self->stripe_js_url);
  g_free (self->stripe_js_origin);
  g_free (self->publishable_key);
  g_free (self->mode);
  g_free (self->brand);
  g_free (self->error);

  G_OBJECT_CLASS (till_card_view_parent_class)->finalize (object);
}

static void
till_card_view_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  TillCardView *self = TILL_CARD_VIEW (object);

  switch (prop_id)
    {
    case PROP_READY:
      g_value_set_boolean (value, self->ready);
      break;
    case PROP_COMPLETE:
      g_value_set_boolean (value, self->complete);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
till_card_view_class_init (TillCardViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = till_card_view_dispose;
  object_class->finalize = till_card_view_finalize;
  object_class->get_property = till_card_view_get_property;

  properties[PROP_READY] =
    g_param_spec_boolean ("ready", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  properties[PROP_COMPLETE] =
    g_param_spec_boolean ("complete", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_READY] =
    g_signal_new ("ready", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
  signals[SIGNAL_WEB_PROCESS_CRASHED] =
    g_signal_new ("web-process-crashed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

/* Tab into the view lands in the web page, not in its card field: a
 * keyboard gets there as Enter does, in the number field. */
static void
focus_entered_cb (TillCardView *self)
{
  if (self->ready)
    call_simple (self, "return tillFocus();");
}

static void
till_card_view_init (TillCardView *self)
{
  GtkEventController *focus = gtk_event_controller_focus_new ();

  g_signal_connect_swapped (focus, "enter", G_CALLBACK (focus_entered_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
  self->renew_after = TILL_CARD_VIEW_RENEW_AFTER_READS;
  /* The web view, and with it WebKit's web and network processes, comes
   * later (ensure_web_view()): created here, at the window's construction,
   * it delayed the sign-in window's first frame. */
}
