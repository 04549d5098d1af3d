/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-schema.h"

const char * const leap_roles[] = { "admin", "manager", "cashier", "kiosk", NULL };
const char * const leap_event_statuses[] = { "draft", "on_sale", "off_sale", "cancelled", NULL };
static const char * const offer_kinds[] = { "percent", "fixed", NULL };

#define MAX_MINOR G_GINT64_CONSTANT (100000000000) /* a billion in major units */

static const LeapFieldSpec venue_fields[] = {
  { "name", LEAP_FIELD_STRING, TRUE, FALSE, 1, 200 },
  { "address", LEAP_FIELD_STRING, FALSE, TRUE, 0, 500 },
  { "city", LEAP_FIELD_STRING, FALSE, TRUE, 0, 200 },
  { "country", LEAP_FIELD_STRING, FALSE, TRUE, 0, 2 },
  { "timezone", LEAP_FIELD_STRING, FALSE, FALSE, 1, 64 },
  { "capacity", LEAP_FIELD_INT, FALSE, TRUE, 0, 1000000 },
};
const LeapSchema leap_schema_venue = { "venue", venue_fields, G_N_ELEMENTS (venue_fields) };

static const LeapFieldSpec event_fields[] = {
  { "venue_id", LEAP_FIELD_ID, TRUE, FALSE },
  { "name", LEAP_FIELD_STRING, TRUE, FALSE, 1, 200 },
  { "description", LEAP_FIELD_STRING, FALSE, TRUE, 0, 10000 },
  { "starts_at", LEAP_FIELD_TIME, TRUE, FALSE },
  { "ends_at", LEAP_FIELD_TIME, FALSE, TRUE },
  { "status", LEAP_FIELD_ENUM, FALSE, FALSE, 0, 0, leap_event_statuses },
  { "on_sale_at", LEAP_FIELD_TIME, FALSE, TRUE },
};
const LeapSchema leap_schema_event = { "event", event_fields, G_N_ELEMENTS (event_fields) };

static const LeapFieldSpec tier_fields[] = {
  { "name", LEAP_FIELD_STRING, TRUE, FALSE, 1, 100 },
  { "price", LEAP_FIELD_INT, TRUE, FALSE, 0, MAX_MINOR },
  { "currency", LEAP_FIELD_CURRENCY, TRUE, FALSE },
  { "capacity", LEAP_FIELD_INT, TRUE, FALSE, 0, 1000000 },
  { "max_per_order", LEAP_FIELD_INT, FALSE, FALSE, 1, 100 },
};
const LeapSchema leap_schema_tier = { "tier", tier_fields, G_N_ELEMENTS (tier_fields) };

static const LeapFieldSpec offer_fields[] = {
  { "name", LEAP_FIELD_STRING, TRUE, FALSE, 1, 100 },
  { "tier_id", LEAP_FIELD_ID, FALSE, TRUE },
  { "code", LEAP_FIELD_STRING, FALSE, TRUE, 1, 40 },
  { "kind", LEAP_FIELD_ENUM, TRUE, FALSE, 0, 0, offer_kinds },
  { "value", LEAP_FIELD_INT, TRUE, FALSE, 1, MAX_MINOR },
  { "valid_from", LEAP_FIELD_TIME, FALSE, TRUE },
  { "valid_until", LEAP_FIELD_TIME, FALSE, TRUE },
};
const LeapSchema leap_schema_offer = { "offer", offer_fields, G_N_ELEMENTS (offer_fields) };

static const LeapFieldSpec login_fields[] = {
  { "username", LEAP_FIELD_STRING, FALSE, FALSE, 1, 64 },
  { "password", LEAP_FIELD_STRING, FALSE, FALSE, 1, 1024 },
  { "guest", LEAP_FIELD_BOOL, FALSE, FALSE },
};
const LeapSchema leap_schema_login = { "session", login_fields, G_N_ELEMENTS (login_fields) };

gboolean
leap_role_is_valid (const char *role)
{
  return role != NULL && g_strv_contains (leap_roles, role);
}
