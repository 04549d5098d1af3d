/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-store.h"

G_BEGIN_DECLS

/* What both stores share, so that they answer alike. */

/* Why a conditional update of a database hold changed nothing: reads the
 * hold and sets NOT_FOUND, UNAVAILABLE, EXPIRED or CONFLICT, and returns
 * FALSE; or TRUE when the update was a checkout of @order_id (NULL for
 * none) that the hold already has: placing the same order again finds it
 * placed. */
gboolean _leap_store_db_hold_refusal (LeapStore   *self,
                                      const char  *hold_id,
                                      const char  *owner,
                                      const char  *order_id,
                                      gint64       now_ms,
                                      GError     **error);

G_END_DECLS
