/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The catalogue's kinds and the rules both stores check the same way. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-kinds.h"
#include "leap-error.h"
#include "leap-json.h"

const LeapStoreKind _leap_store_kinds[LEAP_N_KINDS] = {
  [LEAP_KIND_VENUE] = { "venues", "id, name, address, city, country, timezone, capacity, "
                        "created_at, updated_at", &leap_schema_venue, FALSE },
  [LEAP_KIND_EVENT] = { "events", "id, venue_id, name, description, starts_at, ends_at, status, "
                        "on_sale_at, created_at, updated_at", &leap_schema_event, FALSE },
  [LEAP_KIND_TIER] = { "tiers", "id, event_id, name, price, currency, capacity, max_per_order, "
                       "created_at, updated_at", &leap_schema_tier, TRUE },
  [LEAP_KIND_OFFER] = { "offers", "id, event_id, tier_id, name, code, kind, value, valid_from, "
                        "valid_until, created_at, updated_at", &leap_schema_offer, TRUE },
};

/* Rules that span rows or fields; the schema has checked each field alone.
 * @get reads the rows @merged names, in the caller's transaction. */
gboolean
_leap_store_check_references (LeapStore        *store,
                              LeapStoreGetFunc  get,
                              LeapKind          kind,
                              gint64            event_id,
                              JsonObject       *merged,
                              GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 a, b;

  if (kind == LEAP_KIND_EVENT && json_object_has_member (merged, "venue_id"))
    {
      g_autoptr(JsonObject) venue = get (store, LEAP_KIND_VENUE,
                                         leap_json_get_int (merged, "venue_id", 0), &local_error);
      if (venue == NULL)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "event.venue_id names no venue");
          return FALSE;
        }
    }
  if (kind == LEAP_KIND_EVENT &&
      leap_time_parse (leap_json_get_string (merged, "starts_at", NULL), &a) &&
      leap_time_parse (leap_json_get_string (merged, "ends_at", NULL), &b) && b < a)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "event.ends_at is before event.starts_at");
      return FALSE;
    }
  if (kind == LEAP_KIND_OFFER)
    {
      gint64 tier_id = leap_json_get_int (merged, "tier_id", 0);

      if (tier_id > 0)
        {
          g_autoptr(JsonObject) tier = get (store, LEAP_KIND_TIER, tier_id, &local_error);
          if (tier == NULL || leap_json_get_int (tier, "event_id", 0) != event_id)
            {
              g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "offer.tier_id names no tier of this event");
              return FALSE;
            }
        }
      if (g_strcmp0 (leap_json_get_string (merged, "kind", NULL), "percent") == 0 &&
          leap_json_get_int (merged, "value", 0) > 100)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "offer.value is a percentage: 1 to 100");
          return FALSE;
        }
      if (leap_time_parse (leap_json_get_string (merged, "valid_from", NULL), &a) &&
          leap_time_parse (leap_json_get_string (merged, "valid_until", NULL), &b) && b <= a)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "offer.valid_until must be after offer.valid_from");
          return FALSE;
        }
    }
  return TRUE;
}

/* A LIKE pattern that finds @q anywhere in a name, or NULL for no search:
 * the search words are data, so LIKE's wildcards in them are escaped (with
 * ESCAPE '\'). */
char *
_leap_store_like_pattern (const char *q)
{
  GString *s;

  if (q == NULL || q[0] == '\0')
    return NULL;
  s = g_string_new ("%");
  for (const char *p = q; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}
