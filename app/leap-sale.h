/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "leap-event.h"
#include "leap-money.h"
#include "leap-tier.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_SALE (leap_sale_get_type ())

G_DECLARE_FINAL_TYPE (LeapSale, leap_sale, LEAP, SALE, GObject)

LeapSale   *leap_sale_new              (LeapClient          *client,
                                        LeapOfflineCache    *cache);
LeapEvent  *leap_sale_get_event        (LeapSale            *self);
void        leap_sale_set_event        (LeapSale            *self,
                                        LeapEvent           *event);
void        leap_sale_set_tiers        (LeapSale            *self,
                                        GPtrArray           *tiers);
gboolean    leap_sale_set_quantity     (LeapSale            *self,
                                        LeapTier            *tier,
                                        guint                quantity);
guint       leap_sale_get_quantity     (LeapSale            *self,
                                        LeapTier            *tier);
guint       leap_sale_get_n_tickets    (LeapSale            *self);
LeapMoney   leap_sale_get_total        (LeapSale            *self);
JsonObject *leap_sale_describe         (LeapSale            *self);

void        leap_sale_hold             (LeapSale            *self,
                                        const char          *pay_method);
void        leap_sale_hold_later       (LeapSale            *self);
void        leap_sale_release_hold     (LeapSale            *self);
void        leap_sale_forget_hold      (LeapSale            *self);
void        leap_sale_end              (LeapSale            *self);
void        leap_sale_count_down       (LeapSale            *self);
const char *leap_sale_get_hold_id      (LeapSale            *self);
gboolean    leap_sale_get_holding      (LeapSale            *self);
gboolean    leap_sale_get_hold_pending (LeapSale            *self);
guint       leap_sale_get_seconds_left (LeapSale            *self);
void        leap_sale_set_reachable    (LeapSale            *self,
                                        gboolean             reachable);

void        leap_sale_pay_async        (LeapSale            *self,
                                        const char          *method,
                                        gint64               tendered,
                                        const char          *customer_name,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
JsonObject *leap_sale_pay_finish       (LeapSale            *self,
                                        GAsyncResult        *result,
                                        LeapPlaced          *placed,
                                        GError             **error);
gboolean    leap_sale_get_paying       (LeapSale            *self);

G_END_DECLS
