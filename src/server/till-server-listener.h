/* till-server-listener.h: till-server's listening socket and its connections
 *
 * Copyright 2026 The Till authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include "till-server-config.h"

G_BEGIN_DECLS

#define TILL_TYPE_SERVER_LISTENER (till_server_listener_get_type ())

G_DECLARE_FINAL_TYPE (TillServerListener, till_server_listener, TILL, SERVER_LISTENER, GObject)

TillServerListener *till_server_listener_new     (SoupServer              *server,
                                                  const TillServerConfig  *config,
                                                  GTlsCertificate         *certificate);
gboolean            till_server_listener_listen  (TillServerListener      *self,
                                                  GSocketAddress          *address,
                                                  GError                 **error);
char               *till_server_listener_get_url (TillServerListener      *self);
guint               till_server_listener_get_max_connections (TillServerListener *self);
gboolean            till_server_certificate_check_pair (GTlsCertificate  *certificate,
                                                        GError          **error);
void                till_server_listener_reconfigure (TillServerListener     *self,
                                                      const TillServerConfig *config,
                                                      GTlsCertificate        *certificate);
void                till_server_listener_guard_close (GSocket *socket);
GSocket            *till_server_listener_take_over   (TillServerListener *self,
                                                      SoupServerMessage  *msg,
                                                      gint64              timeout);

G_END_DECLS
