/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-event.h"
#include "leap-error.h"
#include "leap-json.h"

#include <string.h>

/* One event of the catalogue, as the API sends it, plus a few facts a list
 * of events wants at hand: the venue's name and time zone, and how many
 * tickets there are and are left (-1 while unknown). */
struct _LeapEvent
{
  GObject parent_instance;

  /* Owned */
  char   *name;
  char   *description;
  char   *status;
  char   *venue_name;
  char   *venue_timezone;
  char   *search_key;

  gint64  id;
  gint64  venue_id;
  gint64  starts_at;
  gint64  ends_at;
  gint64  capacity;
  gint64  available;
};

G_DEFINE_FINAL_TYPE (LeapEvent, leap_event, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_VENUE_ID,
  PROP_NAME,
  PROP_DESCRIPTION,
  PROP_STARTS_AT,
  PROP_ENDS_AT,
  PROP_STATUS,
  PROP_VENUE_NAME,
  PROP_VENUE_TIMEZONE,
  PROP_CAPACITY,
  PROP_AVAILABLE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
leap_event_finalize (GObject *object)
{
  LeapEvent *self = (LeapEvent *) object;

  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->description, g_free);
  g_clear_pointer (&self->status, g_free);
  g_clear_pointer (&self->venue_name, g_free);
  g_clear_pointer (&self->venue_timezone, g_free);
  g_clear_pointer (&self->search_key, g_free);

  G_OBJECT_CLASS (leap_event_parent_class)->finalize (object);
}

static void
leap_event_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LeapEvent *self = LEAP_EVENT (object);

  switch (prop_id)
    {
    case PROP_ID: g_value_set_int64 (value, self->id); break;
    case PROP_VENUE_ID: g_value_set_int64 (value, self->venue_id); break;
    case PROP_NAME: g_value_set_string (value, self->name); break;
    case PROP_DESCRIPTION: g_value_set_string (value, self->description); break;
    case PROP_STARTS_AT: g_value_set_int64 (value, self->starts_at); break;
    case PROP_ENDS_AT: g_value_set_int64 (value, self->ends_at); break;
    case PROP_STATUS: g_value_set_string (value, self->status); break;
    case PROP_VENUE_NAME: g_value_set_string (value, self->venue_name); break;
    case PROP_VENUE_TIMEZONE: g_value_set_string (value, self->venue_timezone); break;
    case PROP_CAPACITY: g_value_set_int64 (value, self->capacity); break;
    case PROP_AVAILABLE: g_value_set_int64 (value, self->available); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  LeapEvent *self = LEAP_EVENT (object);

  switch (prop_id)
    {
    case PROP_ID: self->id = g_value_get_int64 (value); break;
    case PROP_VENUE_ID: self->venue_id = g_value_get_int64 (value); break;
    case PROP_NAME: self->name = g_value_dup_string (value); break;
    case PROP_DESCRIPTION: self->description = g_value_dup_string (value); break;
    case PROP_STARTS_AT: self->starts_at = g_value_get_int64 (value); break;
    case PROP_ENDS_AT: self->ends_at = g_value_get_int64 (value); break;
    case PROP_STATUS: self->status = g_value_dup_string (value); break;
    case PROP_VENUE_NAME: leap_event_set_venue_name (self, g_value_get_string (value)); break;
    case PROP_VENUE_TIMEZONE:
      leap_event_set_venue_timezone (self, g_value_get_string (value));
      break;
    case PROP_CAPACITY: leap_event_set_capacity (self, g_value_get_int64 (value)); break;
    case PROP_AVAILABLE: leap_event_set_available (self, g_value_get_int64 (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_event_class_init (LeapEventClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS;
  GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = leap_event_finalize;
  object_class->get_property = leap_event_get_property;
  object_class->set_property = leap_event_set_property;

  properties[PROP_ID] = g_param_spec_int64 ("id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_VENUE_ID] = g_param_spec_int64 ("venue-id", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_NAME] = g_param_spec_string ("name", NULL, NULL, NULL, ro);
  properties[PROP_DESCRIPTION] = g_param_spec_string ("description", NULL, NULL, NULL, ro);
  properties[PROP_STARTS_AT] =
    g_param_spec_int64 ("starts-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_ENDS_AT] =
    g_param_spec_int64 ("ends-at", NULL, NULL, G_MININT64, G_MAXINT64, 0, ro);
  properties[PROP_STATUS] = g_param_spec_string ("status", NULL, NULL, "on_sale", ro);
  properties[PROP_VENUE_NAME] = g_param_spec_string ("venue-name", NULL, NULL, NULL, rw);
  properties[PROP_VENUE_TIMEZONE] =
    g_param_spec_string ("venue-timezone", NULL, NULL, NULL, rw);
  properties[PROP_CAPACITY] = g_param_spec_int64 ("capacity", NULL, NULL, -1, G_MAXINT64, -1, rw);
  properties[PROP_AVAILABLE] =
    g_param_spec_int64 ("available", NULL, NULL, -1, G_MAXINT64, -1, rw);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
leap_event_init (LeapEvent *self)
{
  self->capacity = -1;
  self->available = -1;
}

/* Reads an event object of the API. The times must be there and valid:
 * an event whose start cannot be read cannot be listed or sold. */
LeapEvent *
leap_event_new_from_json (JsonObject *object,
                          GError    **error)
{
  gint64 id = leap_json_get_int (object, "id", 0);
  gint64 starts_at = 0, ends_at = 0;
  const char *ends = leap_json_get_string (object, "ends_at", NULL);

  g_return_val_if_fail (object != NULL, NULL);

  if (id < 1 || !leap_time_parse (leap_json_get_string (object, "starts_at", NULL), &starts_at))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                   "The server sent an event without an id or a start time");
      return NULL;
    }
  if (ends != NULL && !leap_time_parse (ends, &ends_at))
    ends_at = 0;

  return g_object_new (LEAP_TYPE_EVENT,
                       "id", id,
                       "venue-id", leap_json_get_int (object, "venue_id", 0),
                       "name", leap_json_get_string (object, "name", ""),
                       "description", leap_json_get_string (object, "description", NULL),
                       "starts-at", starts_at,
                       "ends-at", ends_at,
                       "status", leap_json_get_string (object, "status", "on_sale"),
                       NULL);
}

gint64
leap_event_get_id (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), 0);
  return self->id;
}

gint64
leap_event_get_venue_id (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), 0);
  return self->venue_id;
}

const char *
leap_event_get_name (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);
  return self->name ? self->name : "";
}

const char *
leap_event_get_description (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);
  return self->description;
}

gint64
leap_event_get_starts_at (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), 0);
  return self->starts_at;
}

gint64
leap_event_get_ends_at (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), 0);
  return self->ends_at;
}

const char *
leap_event_get_status (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);
  return self->status ? self->status : "on_sale";
}

const char *
leap_event_get_venue_name (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);
  return self->venue_name;
}

void
leap_event_set_venue_name (LeapEvent  *self,
                           const char *venue_name)
{
  g_return_if_fail (LEAP_IS_EVENT (self));

  if (g_strcmp0 (self->venue_name, venue_name) == 0)
    return;
  g_free (self->venue_name);
  self->venue_name = g_strdup (venue_name);
  g_clear_pointer (&self->search_key, g_free);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VENUE_NAME]);
}

const char *
leap_event_get_venue_timezone (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);
  return self->venue_timezone;
}

void
leap_event_set_venue_timezone (LeapEvent  *self,
                               const char *venue_timezone)
{
  g_return_if_fail (LEAP_IS_EVENT (self));

  if (g_strcmp0 (self->venue_timezone, venue_timezone) == 0)
    return;
  g_free (self->venue_timezone);
  self->venue_timezone = g_strdup (venue_timezone);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_VENUE_TIMEZONE]);
}

gint64
leap_event_get_capacity (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), -1);
  return self->capacity;
}

void
leap_event_set_capacity (LeapEvent *self,
                         gint64     capacity)
{
  g_return_if_fail (LEAP_IS_EVENT (self));

  if (self->capacity == capacity)
    return;
  self->capacity = capacity;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CAPACITY]);
}

gint64
leap_event_get_available (LeapEvent *self)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), -1);
  return self->available;
}

void
leap_event_set_available (LeapEvent *self,
                          gint64     available)
{
  g_return_if_fail (LEAP_IS_EVENT (self));

  if (self->available == available)
    return;
  self->available = available;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_AVAILABLE]);
}

/* The start in the venue's own time zone: a show at 19:30 in Vienna is at
 * 19:30 on the ticket wherever the box office computer thinks it is. */
GDateTime *
leap_event_dup_local_start (LeapEvent *self)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GTimeZone) tz = NULL;

  g_return_val_if_fail (LEAP_IS_EVENT (self), NULL);

  utc = g_date_time_new_from_unix_utc (self->starts_at);
  if (self->venue_timezone != NULL)
    tz = g_time_zone_new_identifier (self->venue_timezone);
  if (tz == NULL)
    tz = g_time_zone_new_local ();
  return g_date_time_to_timezone (utc, tz);
}

/* TRUE when every one of @words (already g_utf8_casefold()ed) occurs in
 * the name, venue or description. */
gboolean
leap_event_matches (LeapEvent          *self,
                    const char * const *words)
{
  g_return_val_if_fail (LEAP_IS_EVENT (self), FALSE);

  if (words == NULL)
    return TRUE;
  if (self->search_key == NULL)
    {
      g_autofree char *joined = g_strjoin (" ", leap_event_get_name (self),
                                           self->venue_name ? self->venue_name : "",
                                           self->description ? self->description : "", NULL);
      self->search_key = g_utf8_casefold (joined, -1);
    }
  for (guint i = 0; words[i] != NULL; i++)
    if (words[i][0] != '\0' && strstr (self->search_key, words[i]) == NULL)
      return FALSE;
  return TRUE;
}
