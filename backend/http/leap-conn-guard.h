/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-conn-guard.h: closes the keep-alive connections that libsoup 3.2 forgets.
 *
 * libsoup 3.2.3 keeps the descriptor (and its SoupServerConnection) of every
 * keep-alive connection that the client closes between two requests; later
 * libsoup fixed it. The guard notices those closes before libsoup does
 * and hands the connection back through public API so that it is released,
 * and it closes connections that stay idle longer than a timeout.
 *
 * Plain HTTP/1.x only: install it on a server without a TLS certificate.
 */

#pragma once

#include <libsoup/soup.h>

G_BEGIN_DECLS

#define LEAP_CONN_GUARD_DEFAULT_IDLE_TIMEOUT 60

void  leap_conn_guard_install             (SoupServer *server);
void  leap_conn_guard_set_idle_timeout    (SoupServer *server,
                                           guint       seconds);
guint leap_conn_guard_get_n_connections   (SoupServer *server);

G_END_DECLS
