/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_CHECKOUT (leap_checkout_get_type ())

G_DECLARE_FINAL_TYPE (LeapCheckout, leap_checkout, LEAP, CHECKOUT, GObject)

LeapCheckout *leap_checkout_new             (LeapClient        *client,
                                             LeapOfflineCache  *cache);
void          leap_checkout_pay_async       (LeapCheckout      *self,
                                             JsonObject        *sale,
                                             GCancellable      *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer           user_data);
JsonObject   *leap_checkout_pay_finish      (LeapCheckout      *self,
                                             GAsyncResult      *result,
                                             LeapPlaced        *placed,
                                             GError           **error);
void          leap_checkout_refresh_async   (LeapCheckout      *self,
                                             JsonObject        *order,
                                             GCancellable      *cancellable,
                                             GAsyncReadyCallback callback,
                                             gpointer           user_data);
JsonObject   *leap_checkout_refresh_finish  (LeapCheckout      *self,
                                             GAsyncResult      *result,
                                             GError           **error);
JsonObject   *leap_checkout_merge           (JsonObject        *record,
                                             JsonObject        *server_order);

G_END_DECLS
