/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "leap-json.h"

G_BEGIN_DECLS

/* What clients may send for each catalogue object; the backend checks every
 * request against these and the app can check a form before sending it. */
extern const LeapSchema leap_schema_venue;
extern const LeapSchema leap_schema_event;
extern const LeapSchema leap_schema_tier;
extern const LeapSchema leap_schema_offer;
extern const LeapSchema leap_schema_login;

extern const char * const leap_roles[];
extern const char * const leap_event_statuses[];

gboolean leap_role_is_valid (const char *role);

G_END_DECLS
