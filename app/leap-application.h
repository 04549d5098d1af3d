/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "leap-types.h"

G_BEGIN_DECLS

#define LEAP_TYPE_APPLICATION (leap_application_get_type ())

G_DECLARE_FINAL_TYPE (LeapApplication, leap_application, LEAP, APPLICATION, AdwApplication)

LeapApplication *leap_application_new        (void);
LeapClient      *leap_application_get_client (LeapApplication *self);
LeapOfflineCache       *leap_application_get_cache  (LeapApplication *self);
void             leap_application_sync_now   (LeapApplication *self);

G_END_DECLS
