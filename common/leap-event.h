/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define LEAP_TYPE_EVENT (leap_event_get_type ())

G_DECLARE_FINAL_TYPE (LeapEvent, leap_event, LEAP, EVENT, GObject)

LeapEvent  *leap_event_new_from_json      (JsonObject  *object,
                                           GError     **error);
gint64      leap_event_get_id             (LeapEvent   *self);
gint64      leap_event_get_venue_id       (LeapEvent   *self);
const char *leap_event_get_name           (LeapEvent   *self);
const char *leap_event_get_description    (LeapEvent   *self);
gint64      leap_event_get_starts_at      (LeapEvent   *self);
gint64      leap_event_get_ends_at        (LeapEvent   *self);
const char *leap_event_get_status         (LeapEvent   *self);
const char *leap_event_get_venue_name     (LeapEvent   *self);
void        leap_event_set_venue_name     (LeapEvent   *self,
                                           const char  *venue_name);
const char *leap_event_get_venue_timezone (LeapEvent   *self);
void        leap_event_set_venue_timezone (LeapEvent   *self,
                                           const char  *venue_timezone);
gint64      leap_event_get_capacity       (LeapEvent   *self);
void        leap_event_set_capacity       (LeapEvent   *self,
                                           gint64       capacity);
gint64      leap_event_get_available      (LeapEvent   *self);
void        leap_event_set_available      (LeapEvent   *self,
                                           gint64       available);
GDateTime  *leap_event_dup_local_start    (LeapEvent   *self);
gboolean    leap_event_matches            (LeapEvent          *self,
                                           const char * const *words);

G_END_DECLS
