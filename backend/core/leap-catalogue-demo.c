/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapCatalogue: the demo catalogue (--seed-demo). */
#define G_LOG_DOMAIN "leap-catalogue"

#include "leap-catalogue-private.h"
#include "leap-json.h"

static JsonObject *
parse_literal (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *object = leap_json_parse_object (json, -1, &error);

  g_assert_no_error (error);
  return object;
}

/* A small catalogue for demos and first runs: three venues, a fortnight of
 * events from today. Loading it twice changes nothing. */
gboolean
leap_catalogue_seed_demo (LeapCatalogue *self,
                          GError       **error)
{
  static const struct { const char *name, *city, *country, *tz; int capacity; } venues[] = {
    { "Leap Theatre", "Berlin", "DE", "Europe/Berlin", 900 },
    { "Riverside Jazz Club", "London", "GB", "Europe/London", 220 },
    { "Open Air Arena", "Paris", "FR", "Europe/Paris", 12000 },
  };
  static const struct { int venue; const char *name; int day; int hour; int minute; } events[] = {
    { 0, "Hamlet", 0, 19, 30 }, { 1, "Late Night Jazz", 0, 22, 0 },
    { 0, "The Magic Flute", 1, 19, 0 }, { 2, "Summer Festival Opening", 2, 18, 0 },
    { 1, "Swing Big Band", 3, 20, 0 }, { 0, "A Midsummer Night's Dream", 5, 19, 30 },
    { 2, "Symphony under the Stars", 7, 20, 30 }, { 0, "Hamlet", 9, 19, 30 },
    { 1, "Blue Note Tribute", 12, 21, 0 }, { 2, "Rock the Arena", 14, 19, 0 },
  };
  static const struct { const char *name; int price; int capacity; } tiers[3][3] = {
    { { "Stalls", 4500, 400 }, { "Circle", 3500, 300 }, { "Balcony", 2500, 200 } },
    { { "Table", 3000, 80 }, { "Standing", 1800, 140 }, { NULL } },
    { { "Front of stage", 8900, 2000 }, { "General admission", 4900, 10000 }, { NULL } },
  };
  static const char *currencies[] = { "EUR", "GBP", "EUR" };
  g_autoptr(JsonArray) existing = leap_store_list_venues (self->store, error);
  gint64 venue_ids[G_N_ELEMENTS (venues)];
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  if (existing == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (existing); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (existing, i),
                                                    "name"),
                     venues[0].name))
      return TRUE;

  for (guint v = 0; v < G_N_ELEMENTS (venues); v++)
    {
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(JsonObject) venue = NULL;

      json_object_set_string_member (fields, "name", venues[v].name);
      json_object_set_string_member (fields, "city", venues[v].city);
      json_object_set_string_member (fields, "country", venues[v].country);
      json_object_set_string_member (fields, "timezone", venues[v].tz);
      json_object_set_int_member (fields, "capacity", venues[v].capacity);
      venue = leap_catalogue_create (self, LEAP_KIND_VENUE, 0, fields, 0, error);
      if (venue == NULL)
        return FALSE;
      venue_ids[v] = json_object_get_int_member (venue, "id");
    }

  for (guint e = 0; e < G_N_ELEMENTS (events); e++)
    {
      int v = events[e].venue;
      g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (venues[v].tz);
      g_autoptr(GDateTime) day = g_date_time_add_days (now, events[e].day);
      g_autoptr(GDateTime) local = g_date_time_new (tz, g_date_time_get_year (day),
                                                    g_date_time_get_month (day),
                                                    g_date_time_get_day_of_month (day),
                                                    events[e].hour, events[e].minute, 0);
      g_autoptr(GDateTime) ends = g_date_time_add_hours (local, 3);
      g_autofree char *starts_text = g_date_time_format_iso8601 (local);
      g_autofree char *ends_text = g_date_time_format_iso8601 (ends);
      g_autoptr(JsonObject) fields = json_object_new ();
      g_autoptr(JsonObject) event = NULL;
      gint64 event_id;

      json_object_set_int_member (fields, "venue_id", venue_ids[v]);
      json_object_set_string_member (fields, "name", events[e].name);
      json_object_set_string_member (fields, "description", "A demo event of the Leap Box Office.");
      json_object_set_string_member (fields, "starts_at", starts_text);
      json_object_set_string_member (fields, "ends_at", ends_text);
      event = leap_catalogue_create (self, LEAP_KIND_EVENT, 0, fields, 0, error);
      if (event == NULL)
        return FALSE;
      event_id = json_object_get_int_member (event, "id");

      for (guint t = 0; t < 3 && tiers[v][t].name != NULL; t++)
        {
          g_autoptr(JsonObject) tier_fields = json_object_new ();
          g_autoptr(JsonObject) tier = NULL;

          json_object_set_string_member (tier_fields, "name", tiers[v][t].name);
          json_object_set_int_member (tier_fields, "price", tiers[v][t].price);
          json_object_set_string_member (tier_fields, "currency", currencies[v]);
          json_object_set_int_member (tier_fields, "capacity", tiers[v][t].capacity);
          json_object_set_int_member (tier_fields, "max_per_order", 10);
          tier = leap_catalogue_create (self, LEAP_KIND_TIER, event_id, tier_fields, 0, error);
          if (tier == NULL)
            return FALSE;
        }
      if (e == 0)
        {
          g_autoptr(JsonObject) offer =
            parse_literal ("{\"name\": \"Students\", \"code\": \"STUDENT\","
                           " \"kind\": \"percent\", \"value\": 20}");
          g_autoptr(JsonObject) created = leap_catalogue_create (self, LEAP_KIND_OFFER, event_id,
                                                                 offer, 0, error);
          if (created == NULL)
            return FALSE;
        }
    }
  g_message ("Loaded the demo catalogue: %u venues, %u events",
             (guint) G_N_ELEMENTS (venues), (guint) G_N_ELEMENTS (events));
  return TRUE;
}
