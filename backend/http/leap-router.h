/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "leap-request.h"

G_BEGIN_DECLS

void             leap_router_install    (LeapHttpContext *ctx,
                                         SoupServer      *server);
/* The routing table, for the authorization tests. */
const LeapRoute *leap_router_get_routes (guint           *n_routes);

G_END_DECLS
