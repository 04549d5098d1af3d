/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "leap-request.h"

G_BEGIN_DECLS

void             leap_router_install    (LeapHttpContext *ctx,
                                         SoupServer      *server);
/* The security and CORS headers of every answer, for answers given
 * outside the router (a refused WebSocket upgrade). */
void             leap_router_add_common_headers (LeapRequest *req);
/* The routing table, for the authorization tests. */
const LeapRoute *leap_router_get_routes (guint           *n_routes);

G_END_DECLS
