/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-event.h"
#include "leap-tier.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_EVENT_PAGE (leap_event_page_get_type ())

G_DECLARE_FINAL_TYPE (LeapEventPage, leap_event_page, LEAP, EVENT_PAGE, GtkWidget)

LeapEvent    *leap_event_page_get_event        (LeapEventPage    *self);
void          leap_event_page_set_event        (LeapEventPage    *self,
                                                LeapEvent        *event);
void          leap_event_page_set_cache        (LeapEventPage    *self,
                                                LeapOfflineCache *cache);
void          leap_event_page_set_client       (LeapEventPage    *self,
                                                LeapClient       *client);
void          leap_event_page_set_sale         (LeapEventPage    *self,
                                                LeapSale         *sale);
LeapTierTile *leap_event_page_find_tile        (LeapEventPage    *self,
                                                LeapTier         *tier);
guint         leap_event_page_get_n_tiles      (LeapEventPage    *self);
LeapTierTile *leap_event_page_get_tile         (LeapEventPage    *self,
                                                guint             position);
void          leap_event_page_clear_quantities (LeapEventPage    *self);
gboolean      leap_event_page_focus_tiers      (LeapEventPage    *self);
void          leap_event_page_refresh          (LeapEventPage    *self);

G_END_DECLS
