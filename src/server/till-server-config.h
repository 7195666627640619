/* till-server-config.h: till-server's configuration key file
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TILL_STRIPE_MODE_PAYMENT_INTENTS,
  TILL_STRIPE_MODE_CHARGES,
} TillStripeMode;

typedef struct
{
  /* [server] */
  char   *listen_address;
  guint   port;
  char   *tls_certificate;
  char   *tls_key;
  char   *database;
  gint64  session_lifetime;
  gsize   max_body_size;
  guint   max_connections;           /* 0: derived from the descriptor limit */
  guint   idle_timeout;              /* seconds between requests */
  guint   request_timeout;           /* seconds to read a request, or write its answer */
  guint   login_failures_per_user;
  guint   login_failures_per_address;
  guint   login_window;
  guint   login_checks;              /* password checks at once, in all */
  guint   login_checks_per_address;  /* … and from one address */
  guint   login_tracked_names;       /* names and addresses the limiter holds */

  /* [shop] */
  char   *shop_name;
  char   *currency;
  char   *country;
  char   *time_zone;                 /* IANA name as given; NULL: the server's own zone */
  GTimeZone *shop_tz;                /* set by till_server_config_validate_settings() */

  /* [stripe] */
  char           *stripe_api_base;
  char           *stripe_publishable_key;
  char           *stripe_js_url;
  char           *stripe_secret_key;        /* read by till_server_config_validate() */
  char           *stripe_secret_key_file;
  TillStripeMode  stripe_mode;
  gboolean        stripe_moto;
  guint           stripe_timeout;
  char          **stripe_webhook_secrets;   /* read by till_server_config_validate(); NULL: none */
  char           *stripe_webhook_secrets_file;
  guint           stripe_webhook_tolerance;

  /* Where each key was read: "group/key" → line, for the errors. */
  GHashTable     *key_lines;
} TillServerConfig;

TillServerConfig *till_server_config_new_default (void);
TillServerConfig *till_server_config_load        (const char        *path,
                                                  GError           **error);
TillServerConfig *till_server_config_load_from_data (const char      *data,
                                                     gsize            length,
                                                     GError         **error);
gboolean          till_server_config_validate    (TillServerConfig  *self,
                                                  GError           **error);
gboolean          till_server_config_validate_settings (TillServerConfig *self,
                                                        GError          **error);
gboolean          till_server_config_load_secrets (TillServerConfig  *self,
                                                   GError           **error);
const char       *till_server_config_describe_secret_source (TillServerConfig *self);
GPtrArray        *till_server_config_apply_reload (TillServerConfig  *self,
                                                   TillServerConfig  *next);
gboolean          till_server_config_load_webhook_secrets (TillServerConfig *self,
                                                          GError          **error);
void              till_server_config_clear_webhook_secrets (TillServerConfig *self);
gboolean          till_server_config_is_loopback (const char        *host);
const char       *till_stripe_mode_to_string     (TillStripeMode     mode);
void              till_server_config_free        (TillServerConfig  *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TillServerConfig, till_server_config_free)

G_END_DECLS
