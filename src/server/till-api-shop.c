/* till-api-shop.c: what till-server says about the shop itself
 *
 * The configuration a terminal needs to take payments, and the health
 * check a monitor asks for.
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#define G_LOG_DOMAIN "till-server"

#include "config.h"

#include "till-api-private.h"
#include "till-money.h"

static void
handle_config (TillApiRequest *req)
{
  TillServerConfig *config = req->self->config;
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  till_api_add_string (builder, "shop_name", config->shop_name);
  till_api_add_string (builder, "currency", config->currency);
  till_api_add_int (builder, "currency_exponent", till_currency_get_exponent (config->currency));
  till_api_add_string (builder, "country", config->country);
  /* So that a manager's console can say which day "today" is for the
   * day report: the shop's, not the terminal's. */
  till_api_add_string (builder, "time_zone", g_time_zone_get_identifier (config->shop_tz));
  till_api_add_string (builder, "publishable_key", config->stripe_publishable_key);
  till_api_add_string (builder, "stripe_js_url", config->stripe_js_url);
  till_api_add_string (builder, "mode", till_stripe_mode_to_string (config->stripe_mode));
  json_builder_set_member_name (builder, "moto");
  json_builder_add_boolean_value (builder, config->stripe_moto);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, 200, builder);
}

/* Health: for a monitor that asks every few seconds, unauthenticated, so
 * it says only what a monitor needs. The database is written to (an
 * fsync) at most once a second however often it is asked. */
static void
handle_health (TillApiRequest *req)
{
  TillApi *self = req->self;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  gint64 now = g_get_monotonic_time ();
  gint64 last_answer = till_stripe_client_get_last_answer (till_payments_get_stripe_client (self->payments));

  if (self->health_checked == 0 || now - self->health_checked >= G_USEC_PER_SEC)
    {
      g_autoptr(GError) error = NULL;
      gboolean writable = till_db_check_writable (self->db, &error);

      if (!writable && self->health_writable)
        g_warning ("Health: %s", error->message);
      self->health_writable = writable;
      self->health_checked = now;
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg),
                                "Cache-Control", "no-store");
  json_builder_begin_object (builder);
  till_api_add_string (builder, "status", self->health_writable ? "ok" : "degraded");
  till_api_add_string (builder, "database", self->health_writable ? "writable" : "not_writable");
  json_builder_set_member_name (builder, "stripe_last_answer_seconds");
  if (last_answer > 0)
    json_builder_add_int_value (builder, MAX (0, (g_get_real_time () - last_answer) / G_USEC_PER_SEC));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  till_api_send_json (req->msg, self->health_writable ? 200 : 503, builder);
}

const TillApiRoute till_api_shop_routes[] = {
  { "GET", "api/health", TILL_API_ACCESS_PUBLIC, handle_health },
  { "GET", "api/config", TILL_API_ACCESS_STAFF, handle_config },
  { NULL }
};
