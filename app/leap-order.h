/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_ORDER (leap_order_get_type ())

G_DECLARE_FINAL_TYPE (LeapOrder, leap_order, LEAP, ORDER, GObject)

LeapOrder  *leap_order_new          (JsonObject *record);
JsonObject *leap_order_get_record   (LeapOrder  *self);
const char *leap_order_get_id       (LeapOrder  *self);
const char *leap_order_get_status   (LeapOrder  *self);
char       *leap_order_dup_title    (LeapOrder  *self);
char       *leap_order_dup_subtitle (LeapOrder  *self);
const char *leap_order_status_text  (const char *status);

G_END_DECLS
