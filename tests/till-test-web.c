/* till-test-web.c: what the window tests ask of a WebKit view
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "till-test-harness.h"
#include "till-test-web.h"

void
till_test_web_flush_posted_messages (WebKitWebView *web_view)
{
  GAsyncResult *slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JSCValue) value = NULL;

  webkit_web_view_call_async_javascript_function (web_view,
    "return await new Promise((resolve) => {"
    "  const tag = 'till-test-flush';"
    "  const seen = (event) => {"
    "    if (event.source !== window || event.data !== tag) return;"
    "    window.removeEventListener('message', seen);"
    "    resolve(true);"
    "  };"
    "  window.addEventListener('message', seen);"
    "  window.postMessage(tag, location.origin);"
    "});", -1, NULL, NULL, NULL, NULL, till_test_result_cb, &slot);
  value = webkit_web_view_call_async_javascript_function_finish (web_view, till_test_wait (&slot), &error);
  g_assert_no_error (error);
  g_clear_object (&slot);
}

static GPtrArray *navigations;
static gulong navigation_hook;

static gboolean
note_navigation_hook (GSignalInvocationHint *hint,
                      guint                  n_values,
                      const GValue          *values,
                      gpointer               data)
{
  WebKitPolicyDecision *decision = g_value_get_object (&values[1]);
  WebKitNavigationAction *action;

  if (g_value_get_enum (&values[2]) == WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION)
    {
      action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
      g_ptr_array_add (navigations, g_strdup (webkit_uri_request_get_uri (webkit_navigation_action_get_request (action))));
    }
  return TRUE;
}

void
till_test_web_watch_navigations (void)
{
  g_assert_null (navigations);
  navigations = g_ptr_array_new_with_free_func (g_free);
  navigation_hook = g_signal_add_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW), 0,
                                                note_navigation_hook, NULL, NULL);
}

void
till_test_web_unwatch_navigations (void)
{
  g_signal_remove_emission_hook (g_signal_lookup ("decide-policy", WEBKIT_TYPE_WEB_VIEW), navigation_hook);
  navigation_hook = 0;
  g_clear_pointer (&navigations, g_ptr_array_unref);
}

gboolean
till_test_web_navigation_asked (const char *uri)
{
  return navigations != NULL && g_ptr_array_find_with_equal_func (navigations, uri, g_str_equal, NULL);
}
