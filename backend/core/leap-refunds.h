/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-lease.h"
#include "leap-redis.h"
#include "leap-sessions.h"
#include "leap-store.h"

G_BEGIN_DECLS

#define LEAP_TYPE_REFUNDS (leap_refunds_get_type ())
G_DECLARE_FINAL_TYPE (LeapRefunds, leap_refunds, LEAP, REFUNDS, GObject)

/* Refunds of paid orders, whole or some lines. The money goes back through
 * the order's payment provider first (keyed by order and refund number, so
 * a retry pays back once); then one database transaction voids the
 * tickets, records the refund and its payment and writes the audit log;
 * then lua/refund.lua puts the tickets back on sale. That last step is
 * recorded as pending in the database until it is done, and retried (on
 * the next refund, every few seconds, and whenever Redis comes back), so a
 * Redis outage or a crash between the commit and the script loses no
 * ticket and gives none back twice. */
LeapRefunds *leap_refunds_new            (LeapStore          *store,
                                          LeapRedis          *redis);
void         leap_refunds_refund_async   (LeapRefunds        *self,
                                          const LeapSession  *session,
                                          const char         *order_id,
                                          JsonObject         *request,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
JsonObject  *leap_refunds_refund_finish  (LeapRefunds        *self,
                                          GAsyncResult       *result,
                                          GError            **error);
void         leap_refunds_set_lease      (LeapRefunds        *self,
                                          LeapLease          *lease);
void         leap_refunds_return_pending (LeapRefunds        *self);
void         leap_refunds_complete_unfinished (LeapRefunds   *self);

G_END_DECLS
