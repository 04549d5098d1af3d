/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-catalogue"

#include "leap-catalogue-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-schema.h"

#include <string.h>

/* TTLs from the seed design's table, in seconds: a range is jittered so
 * that keys filled together do not expire together. */
#define VENUE_TTL_MIN    3300
#define VENUE_TTL_MAX    3600
#define LISTING_TTL_MIN  300
#define LISTING_TTL_MAX  600
#define PRICING_TTL_MIN  600
#define PRICING_TTL_MAX  1800

G_DEFINE_FINAL_TYPE (LeapCatalogue, leap_catalogue, G_TYPE_OBJECT)

typedef struct _Write Write;
static void write_free (Write *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Write, write_free)

static GBytes *
bytes_from_object (JsonObject *object)
{
  char *text = leap_json_object_to_string (object);
  return g_bytes_new_take (text, strlen (text));
}

/* Loaders: what a miss reads from the database. */

/* A load runs in a thread of the store's pool: it reads only the
 * store it is given and its own id and filter. */
typedef struct
{
  LeapStore        *store;     /* Owned */
  LeapStoreFunc     run;
  gint64            id;
  LeapEventFilter   filter;
  char             *q;
  LeapCacheLoadDone done;
  gpointer          done_data;
} Load;

static void
load_free (Load *load)
{
  g_object_unref (load->store);
  g_free (load->q);
  g_free (load);
}

static Load *
load_new (LeapCatalogue *self,
          gint64         id,
          LeapStoreFunc  run)
{
  Load *load = g_new0 (Load, 1);

  load->store = g_object_ref (self->store);
  load->run = run;
  load->id = id;
  return load;
}

static void
loaded_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  Load *load = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) value = leap_store_call_finish (LEAP_STORE (object), result, &error);

  load->done (value, error, load->done_data);
}

/* The cache's loader: load->run off the main loop. */
static void
load_async (gpointer          data,
            LeapCacheLoadDone done,
            gpointer          done_data)
{
  Load *load = data;

  load->done = done;
  load->done_data = done_data;
  leap_store_call_async (load->store, load->run, load, NULL, (GDestroyNotify) g_bytes_unref,
                         NULL, loaded_cb, load);
}

static gpointer
load_venues (LeapStore *store,
             gpointer   data,
             GError   **error)
{
  g_autoptr(JsonArray) venues = leap_store_list_venues (store, error);
  g_autoptr(JsonObject) object = NULL;

  if (venues == NULL)
    return NULL;
  object = json_object_new ();
  json_object_set_array_member (object, "venues", g_steal_pointer (&venues));
  return bytes_from_object (object);
}

static gpointer
load_venue (LeapStore *store,
            gpointer   data,
            GError   **error)
{
  Load *load = data;
  g_autoptr(JsonObject) venue =
    leap_store_get (store, LEAP_KIND_VENUE, load->id, error);

  return venue ? bytes_from_object (venue) : NULL;
}

static gpointer
load_events (LeapStore *store,
             gpointer   data,
             GError   **error)
{
  Load *load = data;
  LeapEventFilter filter = load->filter;
  g_autoptr(JsonArray) events = NULL;
  g_autoptr(JsonObject) object = json_object_new ();
  guint limit = filter.limit;

  /* One row more than asked tells whether there is a next page. */
  filter.limit = limit + 1;
  events = leap_store_list_events (store, &filter, error);
  if (events == NULL)
    return NULL;

  if (json_array_get_length (events) > limit)
    {
      JsonObject *last = json_array_get_object_element (events, limit - 1);
      gint64 starts_at = 0;
      g_autofree char *cursor = NULL;

      leap_time_parse (json_object_get_string_member (last, "starts_at"), &starts_at);
      cursor = leap_event_cursor_encode (starts_at, json_object_get_int_member (last, "id"));
      json_array_remove_element (events, limit);
      json_object_set_string_member (object, "next", cursor);
    }
  else
    json_object_set_null_member (object, "next");
  json_object_set_array_member (object, "events", g_steal_pointer (&events));
  return bytes_from_object (object);
}

static gpointer
load_event (LeapStore *store,
            gpointer   data,
            GError   **error)
{
  Load *load = data;
  g_autoptr(JsonObject) event =
    leap_store_get (store, LEAP_KIND_EVENT, load->id, error);

  return event ? bytes_from_object (event) : NULL;
}

static gpointer
load_pricing (LeapStore *store,
              gpointer   data,
              GError   **error)
{
  Load *load = data;
  g_autoptr(JsonObject) object = json_object_new ();
  JsonArray *tiers, *offers;

  tiers = leap_store_list_children (store, LEAP_KIND_TIER, load->id, error);
  if (tiers == NULL)
    return NULL;
  json_object_set_array_member (object, "tiers", tiers);
  offers = leap_store_list_children (store, LEAP_KIND_OFFER, load->id, error);
  if (offers == NULL)
    return NULL;
  json_object_set_array_member (object, "offers", offers);
  return bytes_from_object (object);
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  GBytes *bytes = leap_cache_get_finish (LEAP_CACHE (object), result, &error);

  if (bytes == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, bytes, (GDestroyNotify) g_bytes_unref);
}

void
leap_catalogue_list_venues_async (LeapCatalogue      *self,
                                  GAsyncReadyCallback callback,
                                  gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, leap_catalogue_list_venues_async);
  leap_cache_get_async (self->cache, leap_keys_venues (), NULL, VENUE_TTL_MIN, VENUE_TTL_MAX,
                        load_async, load_new (self, 0, load_venues),
                        (GDestroyNotify) load_free, read_cb, task);
}

void
leap_catalogue_get_venue_async (LeapCatalogue      *self,
                                gint64              venue_id,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *key = leap_keys_venue (venue_id);

  g_task_set_source_tag (task, leap_catalogue_get_venue_async);
  leap_cache_get_async (self->cache, key, NULL, VENUE_TTL_MIN, VENUE_TTL_MAX,
                        load_async, load_new (self, venue_id, load_venue),
                        (GDestroyNotify) load_free, read_cb, task);
}

/* One key per distinct query; all of them are listed in one index set. */
static char *
listing_key (const LeapEventFilter *filter)
{
  g_autofree char *canonical = NULL;
  g_autofree char *digest = NULL;

  canonical = g_strdup_printf ("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT
                               "\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%u",
                               filter->q ? filter->q : "", filter->venue_id, filter->from,
                               filter->to, filter->after_starts_at, filter->after_id,
                               filter->limit);
  digest = g_compute_checksum_for_string (G_CHECKSUM_SHA1, canonical, -1);
  return leap_keys_event_listing (digest);
}

void
leap_catalogue_list_events_async (LeapCatalogue         *self,
                                  const LeapEventFilter *filter,
                                  GAsyncReadyCallback    callback,
                                  gpointer               user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  Load *load = load_new (self, 0, load_events);
  g_autofree char *key = listing_key (filter);

  g_task_set_source_tag (task, leap_catalogue_list_events_async);
  load->filter = *filter;
  load->q = g_strdup (filter->q);
  load->filter.q = load->q;
  leap_cache_get_async (self->cache, key, leap_keys_event_listings (),
                        LISTING_TTL_MIN, LISTING_TTL_MAX,
                        load_async, load, (GDestroyNotify) load_free, read_cb, task);
}

/* An event's answer is its own object and its pricing (tiers and offers),
 * cached apart because the seed design keeps them for different times. */
typedef struct
{
  GBytes *event;
  GBytes *pricing;
  GError *error;
  guint   pending;
} EventJoin;

static void
event_join_free (EventJoin *join)
{
  g_clear_pointer (&join->event, g_bytes_unref);
  g_clear_pointer (&join->pricing, g_bytes_unref);
  g_clear_error (&join->error);
  g_free (join);
}

/* {"id":…} + {"tiers":…} → {"id":…,"tiers":…} */
static GBytes *
join_event (GBytes *event,
            GBytes *pricing)
{
  gsize elen, plen;
  const char *e = g_bytes_get_data (event, &elen);
  const char *p = g_bytes_get_data (pricing, &plen);
  GByteArray *out = g_byte_array_sized_new (elen + plen);

  g_byte_array_append (out, (const guint8 *) e, elen - 1);
  g_byte_array_append (out, (const guint8 *) ",", 1);
  g_byte_array_append (out, (const guint8 *) p + 1, plen - 1);
  return g_byte_array_free_to_bytes (out);
}

static void
event_part_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data,
               gboolean      is_event)
{
  g_autoptr(GTask) task = user_data;
  EventJoin *join = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GBytes *bytes = leap_cache_get_finish (LEAP_CACHE (object), result, &error);

  if (bytes == NULL && join->error == NULL)
    join->error = g_steal_pointer (&error);
  if (is_event)
    join->event = bytes;
  else
    join->pricing = bytes;

  if (--join->pending > 0)
    return;
  if (join->error != NULL)
    {
      g_task_return_error (task, g_steal_pointer (&join->error));
      return;
    }

  g_task_return_pointer (task, join_event (join->event, join->pricing),
                         (GDestroyNotify)g_bytes_unref);
}

static void
event_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  event_part_cb (object, result, user_data, TRUE);
}

static void
pricing_cb (GObject *object, GAsyncResult *result, gpointer user_data)
{
  event_part_cb (object, result, user_data, FALSE);
}

void
leap_catalogue_get_event_async (LeapCatalogue      *self,
                                gint64              event_id,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  EventJoin *join = g_new0 (EventJoin, 1);
  g_autofree char *ekey = leap_keys_event (event_id);
  g_autofree char *pkey = leap_keys_event_pricing (event_id);

  g_task_set_source_tag (task, leap_catalogue_get_event_async);
  g_task_set_task_data (task, join, (GDestroyNotify) event_join_free);
  join->pending = 2;
  leap_cache_get_async (self->cache, ekey, NULL, LISTING_TTL_MIN, LISTING_TTL_MAX,
                        load_async, load_new (self, event_id, load_event),
                        (GDestroyNotify) load_free, event_cb, g_object_ref (task));
  leap_cache_get_async (self->cache, pkey, NULL, PRICING_TTL_MIN, PRICING_TTL_MAX,
                        load_async, load_new (self, event_id, load_pricing),
                        (GDestroyNotify) load_free, pricing_cb, g_object_ref (task));
}

/* Fast paths: the answer when this process holds it fresh, else NULL and
 * the caller goes the _async way. */
GBytes *
leap_catalogue_peek_venues (LeapCatalogue *self)
{
  return leap_cache_peek (self->cache, leap_keys_venues ());
}

GBytes *
leap_catalogue_peek_venue (LeapCatalogue *self,
                           gint64         venue_id)
{
  g_autofree char *key = leap_keys_venue (venue_id);
  return leap_cache_peek (self->cache, key);
}

GBytes *
leap_catalogue_peek_events (LeapCatalogue         *self,
                            const LeapEventFilter *filter)
{
  g_autofree char *key = listing_key (filter);
  return leap_cache_peek (self->cache, key);
}

GBytes *
leap_catalogue_peek_event (LeapCatalogue *self,
                           gint64         event_id)
{
  g_autofree char *ekey = leap_keys_event (event_id);
  g_autofree char *pkey = leap_keys_event_pricing (event_id);
  g_autoptr(GBytes) event = leap_cache_peek (self->cache, ekey);
  g_autoptr(GBytes) pricing = event ? leap_cache_peek (self->cache, pkey) : NULL;

  return pricing ? join_event (event, pricing) : NULL;
}

GBytes *
leap_catalogue_read_finish (LeapCatalogue *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Everything that changed after a cursor, as current objects and
 * tombstones, for devices that keep an offline copy. In a thread of the
 * store's pool. */
typedef struct
{
  gint64 since;
  guint  limit;
} SyncAsk;

static gpointer
sync_run (LeapStore *store,
          gpointer   data,
          GError   **error)
{
  static const char *members[LEAP_N_KINDS] = { "venues", "events", "tiers", "offers" };
  SyncAsk *ask = data;
  gint64 since = ask->since;
  g_autoptr(JsonArray) changes = leap_store_list_changes (store, since, ask->limit, error);
  g_autoptr(JsonObject) answer = NULL;
  JsonArray *lists[LEAP_N_KINDS];
  JsonArray *deleted;
  gint64 cursor = since;
  guint n;

  if (changes == NULL)
    return NULL;
  answer = json_object_new ();
  for (guint k = 0; k < LEAP_N_KINDS; k++)
    {
      lists[k] = json_array_new ();
      json_object_set_array_member (answer, members[k], lists[k]);
    }
  deleted = json_array_new ();
  json_object_set_array_member (answer, "deleted", deleted);

  n = json_array_get_length (changes);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *change = json_array_get_object_element (changes, i);
      const char *kind_name = json_object_get_string_member (change, "kind");
      gint64 id = json_object_get_int_member (change, "object_id");
      g_autoptr(JsonObject) object = NULL;
      g_autoptr(GError) local_error = NULL;
      LeapKind kind = LEAP_N_KINDS;

      cursor = MAX (cursor, json_object_get_int_member (change, "seq"));
      for (guint k = 0; k < LEAP_N_KINDS; k++)
        if (g_str_equal (kind_name, leap_kind_to_string (k)))
          kind = k;
      if (kind == LEAP_N_KINDS)
        continue;

      if (!json_object_get_int_member (change, "deleted"))
        object = leap_store_get (store, kind, id, &local_error);
      if (object != NULL)
        json_array_add_object_element (lists[kind], g_steal_pointer (&object));
      else if (local_error == NULL ||
               g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        {
          JsonObject *tomb = json_object_new ();
          json_object_set_string_member (tomb, "kind", kind_name);
          json_object_set_int_member (tomb, "id", id);
          json_array_add_object_element (deleted, tomb);
        }
      else
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
    }
  json_object_set_int_member (answer, "cursor", cursor);
  {
    g_autoptr(JsonArray) next = leap_store_list_changes (store, cursor, 1, error);

    if (next == NULL)
      return NULL;
    json_object_set_boolean_member (answer, "more", json_array_get_length (next) > 0);
  }
  return g_steal_pointer (&answer);
}

static void
synced_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  JsonObject *answer = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (answer == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

void
leap_catalogue_sync_async (LeapCatalogue      *self,
                           gint64              since,
                           guint               limit,
                           GAsyncReadyCallback callback,
                           gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  SyncAsk *ask = g_new0 (SyncAsk, 1);

  g_task_set_source_tag (task, leap_catalogue_sync_async);
  ask->since = since;
  ask->limit = limit;
  leap_store_call_async (self->store, sync_run, ask, g_free, (GDestroyNotify) json_object_unref,
                         NULL, synced_cb, task);
}

JsonObject *
leap_catalogue_sync_finish (LeapCatalogue *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Which cached answers a write makes wrong. */
static void
invalidate (LeapCatalogue *self,
            LeapKind       kind,
            JsonObject    *object)
{
  gint64 id = json_object_get_int_member (object, "id");
  g_autofree char *k1 = NULL;
  g_autofree char *k2 = NULL;

  switch (kind)
    {
    case LEAP_KIND_VENUE:
      {
        const char *keys[] = { leap_keys_venues (), (k1 = leap_keys_venue (id)), NULL };
        leap_cache_invalidate (self->cache, keys, NULL);
      }
      break;
    case LEAP_KIND_EVENT:
      {
        const char *keys[] = { (k1 = leap_keys_event (id)), (k2 = leap_keys_event_pricing (id)),
                               NULL };
        leap_cache_invalidate (self->cache, keys, leap_keys_event_listings ());
      }
      break;
    case LEAP_KIND_TIER:
    case LEAP_KIND_OFFER:
      {
        gint64 event_id = json_object_get_int_member (object, "event_id");
        const char *keys[] = { (k1 = leap_keys_event_pricing (event_id)), NULL };
        leap_cache_invalidate (self->cache, keys, NULL);
      }
      break;
    case LEAP_N_KINDS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
check_venue_timezone (LeapKind    kind,
                      JsonObject *fields,
                      GError    **error)
{
  const char *tz = leap_json_get_string (fields, "timezone", NULL);
  g_autoptr(GTimeZone) zone = NULL;

  if (kind != LEAP_KIND_VENUE || tz == NULL)
    return TRUE;
  zone = g_time_zone_new_identifier (tz);
  if (zone == NULL)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "venue.timezone “%s” is not a time zone name such as Europe/Berlin", tz);
      return FALSE;
    }
  return TRUE;
}

/* One currency per event: a sale adds up its tiers' prices, and money of
 * two currencies cannot be added. event_id is the tier's event (create);
 * tier_id the tier changed (update), whose event is looked up. */
static gboolean
check_tier_currency (LeapStore  *store,
                     LeapKind    kind,
                     gint64      event_id,
                     gint64      tier_id,
                     JsonObject *fields,
                     GError    **error)
{
  const char *currency = leap_json_get_string (fields, "currency", NULL);
  g_autoptr(JsonArray) tiers = NULL;

  if (kind != LEAP_KIND_TIER || currency == NULL)
    return TRUE;
  if (tier_id != 0)
    {
      g_autoptr(JsonObject) tier = leap_store_get (store, LEAP_KIND_TIER, tier_id, error);

      if (tier == NULL)
        return FALSE;
      event_id = leap_json_get_int (tier, "event_id", 0);
    }
  tiers = leap_store_list_children (store, LEAP_KIND_TIER, event_id, error);
  if (tiers == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      JsonObject *other = json_array_get_object_element (tiers, i);
      const char *theirs = leap_json_get_string (other, "currency", "");

      if (leap_json_get_int (other, "id", 0) != tier_id && !g_str_equal (theirs, currency))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_CURRENCY_MISMATCH,
                       "tier.currency must be %s, the currency of this event's other tiers",
                       theirs);
          return FALSE;
        }
    }
  return TRUE;
}

const LeapSchema *
_leap_catalogue_schema_of (LeapKind kind)
{
  static const LeapSchema *schemas[LEAP_N_KINDS] = {
    &leap_schema_venue, &leap_schema_event, &leap_schema_tier, &leap_schema_offer,
  };
  return schemas[kind];
}

/* A write to the database: create (id 0, under event_id for tiers and
 * offers), update (id and fields: the patch) or remove (no fields). */
struct _Write
{
  LeapKind    kind;
  gint64      id;
  gint64      event_id;
  gint64      actor;
  JsonObject *fields;
};

static void
write_free (Write *w)
{
  g_clear_pointer (&w->fields, json_object_unref);
  g_free (w);
}

/* What is checked before the database is asked. */
static Write *
write_new_or_error (LeapKind    kind,
                    gint64      id,
                    gint64      event_id,
                    JsonObject *fields,
                    gint64      actor,
                    GError    **error)
{
  Write *w;

  if (fields != NULL &&
      (!leap_json_check (fields, _leap_catalogue_schema_of (kind), id != 0, error) ||
       !check_venue_timezone (kind, fields, error)))
    return NULL;
  w = g_new0 (Write, 1);
  w->kind = kind;
  w->id = id;
  w->event_id = event_id;
  w->actor = actor;
  w->fields = fields ? leap_json_object_copy (fields) : NULL;
  return w;
}

/* On the store's connection, in a thread of its pool (or, for the demo,
 * on the main loop before it serves). */
static gpointer
write_run (LeapStore *store,
           gpointer   data,
           GError   **error)
{
  Write *w = data;

  if (w->fields == NULL)
    return leap_store_remove (store, w->kind, w->id, w->actor, error);
  if (!check_tier_currency (store, w->kind, w->event_id, w->id, w->fields, error))
    return NULL;
  if (w->id == 0)
    return leap_store_create (store, w->kind, w->event_id, w->fields, w->actor, error);
  return leap_store_update (store, w->kind, w->id, w->fields, w->actor, error);
}

/* Only for the demo catalogue, made before the backend serves. */
JsonObject *
leap_catalogue_create (LeapCatalogue *self,
                       LeapKind       kind,
                       gint64         event_id,
                       JsonObject    *fields,
                       gint64         actor,
                       GError       **error)
{
  g_autoptr(Write) w = write_new_or_error (kind, 0, event_id, fields, actor, error);
  JsonObject *created;

  if (w == NULL)
    return NULL;
  created = write_run (self->store, w, error);
  if (created != NULL)
    invalidate (self, kind, created);
  return created;
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapCatalogue *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  JsonObject *written = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (written == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  invalidate (self, GPOINTER_TO_INT (g_task_get_task_data (task)), written);
  g_task_return_pointer (task, written, (GDestroyNotify) json_object_unref);
}

static void
write_async (LeapCatalogue      *self,
             LeapKind            kind,
             gint64              id,
             gint64              event_id,
             JsonObject         *fields,
             gint64              actor,
             GAsyncReadyCallback callback,
             gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GError) error = NULL;
  Write *w;

  g_task_set_source_tag (task, write_async);
  g_task_set_task_data (task, GINT_TO_POINTER (kind), NULL);
  w = write_new_or_error (kind, id, event_id, fields, actor, &error);
  if (w == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  leap_store_call_async (self->store, write_run, w, (GDestroyNotify) write_free,
                         (GDestroyNotify) json_object_unref, NULL, written_cb,
                         g_steal_pointer (&task));
}

void
leap_catalogue_create_async (LeapCatalogue      *self,
                             LeapKind            kind,
                             gint64              event_id,
                             JsonObject         *fields,
                             gint64              actor,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  write_async (self, kind, 0, event_id, fields, actor, callback, user_data);
}

void
leap_catalogue_update_async (LeapCatalogue      *self,
                             LeapKind            kind,
                             gint64              id,
                             JsonObject         *patch,
                             gint64              actor,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  write_async (self, kind, id, 0, patch, actor, callback, user_data);
}

/* Deletes without asking Redis: see leap_catalogue_remove_async (). */
void
_leap_catalogue_delete_async (LeapCatalogue      *self,
                              LeapKind            kind,
                              gint64              id,
                              gint64              actor,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  write_async (self, kind, id, 0, NULL, actor, callback, user_data);
}

/* The object written (for a removal, the object as it was). */
JsonObject *
leap_catalogue_write_finish (LeapCatalogue *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

char *
leap_event_cursor_encode (gint64 starts_at,
                          gint64 id)
{
  g_autofree char *plain = g_strdup_printf ("e1:%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT, starts_at,
                                            id);
  char *cursor = g_base64_encode ((const guchar *) plain, strlen (plain));

  /* URL-safe, so that clients can put it in a query string as it is. */
  g_strdelimit (cursor, "+", '-');
  g_strdelimit (cursor, "/", '_');
  g_strdelimit (cursor, "=", '\0');
  return cursor;
}

gboolean
leap_event_cursor_decode (const char *cursor,
                          gint64     *starts_at,
                          gint64     *id)
{
  g_autofree char *padded = NULL;
  g_autofree guchar *plain = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = NULL;
  gsize len;
  char *end;

  if (cursor == NULL || strlen (cursor) == 0 || strlen (cursor) > 64)
    return FALSE;
  for (const char *p = cursor; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  padded = g_strnfill ((strlen (cursor) + 3) / 4 * 4, '=');
  memcpy (padded, cursor, strlen (cursor));
  g_strdelimit (padded, "-", '+');
  g_strdelimit (padded, "_", '/');
  plain = g_base64_decode (padded, &len);
  text = g_strndup ((const char *) plain, len);
  parts = g_strsplit (text, ":", -1);
  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], "e1"))
    return FALSE;
  *starts_at = g_ascii_strtoll (parts[1], &end, 10);
  if (*end != '\0' || parts[1][0] == '\0')
    return FALSE;
  *id = g_ascii_strtoll (parts[2], &end, 10);
  return *end == '\0' && *id > 0;
}

static void
leap_catalogue_dispose (GObject *object)
{
  LeapCatalogue *self = LEAP_CATALOGUE (object);

  g_clear_object (&self->store);
  g_clear_object (&self->cache);

  G_OBJECT_CLASS (leap_catalogue_parent_class)->dispose (object);
}

static void
leap_catalogue_class_init (LeapCatalogueClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_catalogue_dispose;
}

static void
leap_catalogue_init (LeapCatalogue *self)
{
}

LeapCatalogue *
leap_catalogue_new (LeapStore *store,
                    LeapCache *cache)
{
  LeapCatalogue *self = g_object_new (LEAP_TYPE_CATALOGUE, NULL);

  self->store = g_object_ref (store);
  self->cache = g_object_ref (cache);
  return self;
}
