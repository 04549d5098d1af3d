/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "leap-tier.h"
#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_TIER_TILE (leap_tier_tile_get_type ())

G_DECLARE_FINAL_TYPE (LeapTierTile, leap_tier_tile, LEAP, TIER_TILE, GtkWidget)

GtkWidget *leap_tier_tile_new          (LeapTier     *tier);
LeapTier  *leap_tier_tile_get_tier     (LeapTierTile *self);
guint      leap_tier_tile_get_quantity (LeapTierTile *self);
void       leap_tier_tile_set_quantity (LeapTierTile *self,
                                        guint         quantity);
guint      leap_tier_tile_get_maximum  (LeapTierTile *self);
guint      leap_tier_tile_get_held     (LeapTierTile *self);
void       leap_tier_tile_set_held     (LeapTierTile *self,
                                        guint         held);
gboolean   leap_tier_tile_get_live     (LeapTierTile *self);
void       leap_tier_tile_set_live     (LeapTierTile *self,
                                        gboolean      live);

G_END_DECLS
