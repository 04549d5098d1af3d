/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "leap-money.h"

G_BEGIN_DECLS

#define LEAP_TYPE_TIER (leap_tier_get_type ())

G_DECLARE_FINAL_TYPE (LeapTier, leap_tier, LEAP, TIER, GObject)

LeapTier   *leap_tier_new_from_json      (JsonObject  *object,
                                          GError     **error);
gint64      leap_tier_get_id             (LeapTier    *self);
gint64      leap_tier_get_event_id       (LeapTier    *self);
const char *leap_tier_get_name           (LeapTier    *self);
LeapMoney   leap_tier_get_price          (LeapTier    *self);
const char *leap_tier_get_currency       (LeapTier    *self);
gint64      leap_tier_get_capacity       (LeapTier    *self);
gint64      leap_tier_get_max_per_order  (LeapTier    *self);
gint64      leap_tier_get_available      (LeapTier    *self);
void        leap_tier_set_available      (LeapTier    *self,
                                          gint64       available);

G_END_DECLS
