/* till-card-page.c: the card page's text, as the card view loads it
 *
 * One place for it, so that the card view and the benchmark's floor
 * program (tests/bench/bench-floor.c) load the very same page.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "till-card-page.h"
#include "till-json-util.h"

#define WEB_PREFIX "/io/github/tillpos/Till/web/"

char *
till_card_page_read (const char *name)
{
  g_autofree char *path = g_strconcat (WEB_PREFIX, name, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  g_assert (bytes != NULL);
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

char *
till_card_page_build_html (void)
{
  g_autofree char *css = till_card_page_read ("card.css");
  g_autofree char *js = till_card_page_read ("card.js");
  g_autofree char *template = till_card_page_read ("card.html");
  GString *html = g_string_new (template);

  /* Our own files, but an "</" in them would end the element early. */
  g_assert (strstr (css, "</") == NULL && strstr (js, "</") == NULL);
  g_string_replace (html, "/*@TILL_CARD_CSS@*/", css, 1);
  g_string_replace (html, "/*@TILL_CARD_JS@*/", js, 1);
  return g_string_free (html, FALSE);
}

char *
till_card_page_build_config (const char *stripe_js_url,
                             const char *publishable_key,
                             const char *mode)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "stripeJsUrl");
  json_builder_add_string_value (builder, stripe_js_url);
  json_builder_set_member_name (builder, "publishableKey");
  json_builder_add_string_value (builder, publishable_key);
  json_builder_set_member_name (builder, "mode");
  json_builder_add_string_value (builder, mode);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = till_json_write (root);
  return g_strdup_printf ("window.tillConfig = Object.freeze(%s);", json);
}
