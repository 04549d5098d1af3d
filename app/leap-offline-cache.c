/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "leap-offline-cache.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event.h"
#include "leap-json.h"
#include "leap-tier.h"

/* The offline cache: a SQLite file that mirrors the public catalogue of
 * one server (venues, events, tiers, offers) and the sync cursor, so the
 * box office opens and browses with no network at all.
 *
 * The database is only ever touched from worker threads (GTask
 * run_in_thread), one at a time under @lock; the main thread sees the
 * results as a GListModel of LeapEvent that is replaced in one splice. */
struct _LeapOfflineCache
{
  GObject parent_instance;

  /* Owned */
  char       *path;
  sqlite3    *db;
  GMutex      lock;
  GListStore *events;
  GHashTable *events_by_id;
  char       *server;

  gint64      cursor;
  gint64      synced_at;
  guint       syncing : 1;
  guint       loaded : 1;
};

G_DEFINE_FINAL_TYPE (LeapOfflineCache, leap_offline_cache, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_PATH,
  PROP_SYNCED_AT,
  PROP_CURSOR,
  PROP_SYNCING,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define SCHEMA_VERSION 1
#define SYNC_PAGE 5000

static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
  "CREATE TABLE IF NOT EXISTS venues (id INTEGER PRIMARY KEY, name TEXT, timezone TEXT,"
  "  json TEXT NOT NULL);"
  "CREATE TABLE IF NOT EXISTS events (id INTEGER PRIMARY KEY, venue_id INTEGER, name TEXT,"
  "  description TEXT, starts_at INTEGER NOT NULL, ends_at INTEGER, status TEXT,"
  "  json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS events_starts ON events (starts_at, id);"
  "CREATE TABLE IF NOT EXISTS tiers (id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,"
  "  price INTEGER, available INTEGER, capacity INTEGER, json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS tiers_event ON tiers (event_id);"
  "CREATE TABLE IF NOT EXISTS offers (id INTEGER PRIMARY KEY, event_id INTEGER,"
  "  json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS offers_event ON offers (event_id);";

/* The device's own orders. They are not a copy of anything: they are kept
 * through a rebuild of the catalogue tables and a change of server, so a
 * sale confirmed before the network went is never lost. One row per
 * order id (an order's id is its hold's), so a sale is never there twice. */
static const char orders_sql[] =
  "CREATE TABLE IF NOT EXISTS orders (order_id TEXT PRIMARY KEY, server TEXT,"
  "  status TEXT NOT NULL, customer_name TEXT, codes TEXT, method TEXT,"
  "  total INTEGER, currency TEXT, cashier TEXT, created_at INTEGER NOT NULL,"
  "  updated_at INTEGER NOT NULL, json TEXT NOT NULL);"
  "CREATE INDEX IF NOT EXISTS orders_created ON orders (created_at);";

static const char drop_sql[] =
  "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS venues; DROP TABLE IF EXISTS events;"
  "DROP TABLE IF EXISTS tiers; DROP TABLE IF EXISTS offers;";

static gboolean
set_sqlite_error (GError     **error,
                  sqlite3     *db,
                  const char  *what)
{
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "The offline cache could not %s: %s",
               what, sqlite3_errmsg (db));
  return FALSE;
}

static gboolean
exec_sql (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  if (sqlite3_exec (db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "be written");
  return TRUE;
}

static char *
meta_get (sqlite3    *db,
          const char *key)
{
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = ?", -1, &stmt, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static gboolean
meta_set (sqlite3     *db,
          const char  *key,
          const char  *value,
          GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc;

  if (sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", -1,
                          &stmt, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "be written");
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, db, "be written");
  return TRUE;
}

static gint64
meta_get_int (sqlite3    *db,
              const char *key)
{
  g_autofree char *value = meta_get (db, key);

  return value ? g_ascii_strtoll (value, NULL, 10) : 0;
}

static gboolean
meta_set_int (sqlite3     *db,
              const char  *key,
              gint64       value,
              GError     **error)
{
  char buf[32];

  g_snprintf (buf, sizeof buf, "%" G_GINT64_FORMAT, value);
  return meta_set (db, key, buf, error);
}

static void
leap_offline_cache_finalize (GObject *object)
{
  LeapOfflineCache *self = (LeapOfflineCache *) object;

  g_clear_pointer (&self->db, sqlite3_close);
  g_mutex_clear (&self->lock);
  g_clear_object (&self->events);
  g_clear_pointer (&self->events_by_id, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->server, g_free);

  G_OBJECT_CLASS (leap_offline_cache_parent_class)->finalize (object);
}

static void
leap_offline_cache_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  LeapOfflineCache *self = LEAP_OFFLINE_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH: g_value_set_string (value, self->path); break;
    case PROP_SYNCED_AT: g_value_set_int64 (value, self->synced_at); break;
    case PROP_CURSOR: g_value_set_int64 (value, self->cursor); break;
    case PROP_SYNCING: g_value_set_boolean (value, self->syncing); break;
    case PROP_LOADED: g_value_set_boolean (value, self->loaded); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_offline_cache_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  LeapOfflineCache *self = LEAP_OFFLINE_CACHE (object);

  switch (prop_id)
    {
    case PROP_PATH: self->path = g_value_dup_string (value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_offline_cache_class_init (LeapOfflineCacheClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->finalize = leap_offline_cache_finalize;
  object_class->get_property = leap_offline_cache_get_property;
  object_class->set_property = leap_offline_cache_set_property;

  properties[PROP_PATH] =
    g_param_spec_string ("path", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SYNCED_AT] = g_param_spec_int64 ("synced-at", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_CURSOR] = g_param_spec_int64 ("cursor", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_SYNCING] = g_param_spec_boolean ("syncing", NULL, NULL, FALSE, ro);
  properties[PROP_LOADED] = g_param_spec_boolean ("loaded", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
leap_offline_cache_init (LeapOfflineCache *self)
{
  g_mutex_init (&self->lock);
  self->events = g_list_store_new (LEAP_TYPE_EVENT);
  self->events_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
}

/* $LEAP_CACHE_DB wins, so tests and several instances on one account can
 * each have their own file. */
char *
leap_offline_cache_dup_default_path (void)
{
  const char *env = g_getenv ("LEAP_CACHE_DB");

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  return g_build_filename (g_get_user_data_dir (), "leap-boxoffice", "cache.db", NULL);
}

/* Opens (or makes) the cache file. This is quick and happens once at start;
 * everything that reads or writes rows runs in a worker thread. A cache of
 * another schema version is simply rebuilt: it is only a copy. */
LeapOfflineCache *
leap_offline_cache_new (const char  *path,
                        GError     **error)
{
  g_autoptr(LeapOfflineCache) self = NULL;
  g_autofree char *default_path = NULL;
  g_autofree char *dir = NULL;
  sqlite3_stmt *stmt = NULL;
  int version = 0;

  if (path == NULL)
    path = default_path = leap_offline_cache_dup_default_path ();

  self = g_object_new (LEAP_TYPE_OFFLINE_CACHE, "path", path, NULL);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                   _("Cannot make the folder of the offline cache %s: %s"), dir,
                   g_strerror (saved));
      return NULL;
    }

  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "be opened");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 5000);
  exec_sql (self->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL);

  if (sqlite3_prepare_v2 (self->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);

  if (version != SCHEMA_VERSION)
    {
      g_autofree char *set_version = g_strdup_printf ("PRAGMA user_version = %d", SCHEMA_VERSION);

      if (!exec_sql (self->db, drop_sql, error) || !exec_sql (self->db, schema_sql, error) ||
          !exec_sql (self->db, set_version, error))
        return NULL;
    }

  if (!exec_sql (self->db, orders_sql, error))
    return NULL;

  self->cursor = meta_get_int (self->db, "cursor");
  self->synced_at = meta_get_int (self->db, "synced_at");
  self->server = meta_get (self->db, "server");

  return g_steal_pointer (&self);
}

const char *
leap_offline_cache_get_path (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), NULL);
  return self->path;
}

/* A GListModel of LeapEvent sorted by start time, filled by
 * leap_offline_cache_reload_async() and after every sync that changed something. */
GListModel *
leap_offline_cache_get_events (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), NULL);
  return G_LIST_MODEL (self->events);
}

gint64
leap_offline_cache_get_synced_at (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), 0);
  return self->synced_at;
}

gint64
leap_offline_cache_get_cursor (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), 0);
  return self->cursor;
}

gboolean
leap_offline_cache_get_syncing (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), FALSE);
  return self->syncing;
}

gboolean
leap_offline_cache_get_loaded (LeapOfflineCache *self)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), FALSE);
  return self->loaded;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

static char *
object_to_json (JsonObject *object)
{
  return leap_json_object_to_string (object);
}

static gboolean
step_done (sqlite3_stmt  *stmt,
           sqlite3       *db,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  if (rc != SQLITE_DONE)
    return set_sqlite_error (error, db, "be written");
  return TRUE;
}

static void
bind_text_or_null (sqlite3_stmt *stmt,
                   int           index,
                   const char   *text)
{
  if (text != NULL)
    sqlite3_bind_text (stmt, index, text, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, index);
}

typedef struct
{
  sqlite3_stmt *venue;
  sqlite3_stmt *event;
  sqlite3_stmt *tier;
  sqlite3_stmt *offer;
  sqlite3_stmt *delete[6];
} Statements;

static void
statements_clear (Statements *st)
{
  g_clear_pointer (&st->venue, sqlite3_finalize);
  g_clear_pointer (&st->event, sqlite3_finalize);
  g_clear_pointer (&st->tier, sqlite3_finalize);
  g_clear_pointer (&st->offer, sqlite3_finalize);
  for (guint i = 0; i < G_N_ELEMENTS (st->delete); i++)
    g_clear_pointer (&st->delete[i], sqlite3_finalize);
}

static gboolean
statements_prepare (Statements  *st,
                    sqlite3     *db,
                    GError     **error)
{
  static const char *deletes[] = {
    "DELETE FROM venues WHERE id = ?1",
    "DELETE FROM events WHERE id = ?1",
    "DELETE FROM tiers WHERE id = ?1 OR event_id = ?2",
    "DELETE FROM offers WHERE id = ?1 OR event_id = ?2",
    "DELETE FROM tiers WHERE id = ?1",
    "DELETE FROM offers WHERE id = ?1",
  };

  if (sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO venues (id, name, timezone, json) "
                          "VALUES (?, ?, ?, ?)", -1, &st->venue, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO events (id, venue_id, name, description, "
                          "starts_at, ends_at, status, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          -1, &st->event, NULL) != SQLITE_OK ||
      /* An update of a tier keeps the last availability the server told us. */
      sqlite3_prepare_v2 (db, "INSERT INTO tiers (id, event_id, price, capacity, json) "
                          "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                          "event_id = excluded.event_id, price = excluded.price, "
                          "capacity = excluded.capacity, json = excluded.json",
                          -1, &st->tier, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO offers (id, event_id, json) VALUES (?, ?, ?)",
                          -1, &st->offer, NULL) != SQLITE_OK)
    return set_sqlite_error (error, db, "prepare a statement");
  for (guint i = 0; i < G_N_ELEMENTS (deletes); i++)
    if (sqlite3_prepare_v2 (db, deletes[i], -1, &st->delete[i], NULL) != SQLITE_OK)
      return set_sqlite_error (error, db, "prepare a statement");
  return TRUE;
}

static gboolean
apply_rows (LeapOfflineCache  *self,
            Statements        *st,
            JsonObject        *page,
            GError           **error)
{
  JsonArray *array;

  if ((array = get_array (page, "venues")) != NULL)
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);
        g_autofree char *json = NULL;

        if (o == NULL || leap_json_get_int (o, "id", 0) < 1)
          continue;
        json = object_to_json (o);
        sqlite3_bind_int64 (st->venue, 1, leap_json_get_int (o, "id", 0));
        bind_text_or_null (st->venue, 2, leap_json_get_string (o, "name", NULL));
        bind_text_or_null (st->venue, 3, leap_json_get_string (o, "timezone", NULL));
        sqlite3_bind_text (st->venue, 4, json, -1, SQLITE_TRANSIENT);
        if (!step_done (st->venue, self->db, error))
          return FALSE;
      }

  if ((array = get_array (page, "events")) != NULL)
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);
        g_autofree char *json = NULL;
        gint64 starts_at = 0, ends_at = 0;

        /* An event whose start cannot be read cannot be listed: skip it
         * rather than lose the whole page. */
        if (o == NULL || leap_json_get_int (o, "id", 0) < 1 ||
            !leap_time_parse (leap_json_get_string (o, "starts_at", NULL), &starts_at))
          continue;
        json = object_to_json (o);
        sqlite3_bind_int64 (st->event, 1, leap_json_get_int (o, "id", 0));
        sqlite3_bind_int64 (st->event, 2, leap_json_get_int (o, "venue_id", 0));
        bind_text_or_null (st->event, 3, leap_json_get_string (o, "name", NULL));
        bind_text_or_null (st->event, 4, leap_json_get_string (o, "description", NULL));
        sqlite3_bind_int64 (st->event, 5, starts_at);
        if (leap_time_parse (leap_json_get_string (o, "ends_at", NULL), &ends_at))
          sqlite3_bind_int64 (st->event, 6, ends_at);
        else
          sqlite3_bind_null (st->event, 6);
        bind_text_or_null (st->event, 7, leap_json_get_string (o, "status", "on_sale"));
        sqlite3_bind_text (st->event, 8, json, -1, SQLITE_TRANSIENT);
        if (!step_done (st->event, self->db, error))
          return FALSE;
      }

  if ((array = get_array (page, "tiers")) != NULL)
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);
        g_autofree char *json = NULL;

        if (o == NULL || leap_json_get_int (o, "id", 0) < 1)
          continue;
        json = object_to_json (o);
        sqlite3_bind_int64 (st->tier, 1, leap_json_get_int (o, "id", 0));
        sqlite3_bind_int64 (st->tier, 2, leap_json_get_int (o, "event_id", 0));
        sqlite3_bind_int64 (st->tier, 3, leap_json_get_int (o, "price", 0));
        sqlite3_bind_int64 (st->tier, 4, leap_json_get_int (o, "capacity", 0));
        sqlite3_bind_text (st->tier, 5, json, -1, SQLITE_TRANSIENT);
        if (!step_done (st->tier, self->db, error))
          return FALSE;
      }

  if ((array = get_array (page, "offers")) != NULL)
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);
        g_autofree char *json = NULL;

        if (o == NULL || leap_json_get_int (o, "id", 0) < 1)
          continue;
        json = object_to_json (o);
        sqlite3_bind_int64 (st->offer, 1, leap_json_get_int (o, "id", 0));
        sqlite3_bind_int64 (st->offer, 2, leap_json_get_int (o, "event_id", 0));
        sqlite3_bind_text (st->offer, 3, json, -1, SQLITE_TRANSIENT);
        if (!step_done (st->offer, self->db, error))
          return FALSE;
      }

  if ((array = get_array (page, "deleted")) != NULL)
    for (guint i = 0; i < json_array_get_length (array); i++)
      {
        JsonObject *o = json_array_get_object_element (array, i);
        const char *kind;
        gint64 id;
        guint first = 0, last = 0;

        if (o == NULL || (id = leap_json_get_int (o, "id", 0)) < 1)
          continue;
        kind = leap_json_get_string (o, "kind", "");
        if (g_str_equal (kind, "venue"))
          first = last = 0;
        else if (g_str_equal (kind, "event"))
          first = 1, last = 3; /* the event, its tiers and its offers */
        else if (g_str_equal (kind, "tier"))
          first = last = 4;
        else if (g_str_equal (kind, "offer"))
          first = last = 5;
        else
          continue;
        for (guint d = first; d <= last; d++)
          {
            sqlite3_bind_int64 (st->delete[d], 1, (d == 2 || d == 3) ? -1 : id);
            if (d == 2 || d == 3)
              sqlite3_bind_int64 (st->delete[d], 2, id);
            if (!step_done (st->delete[d], self->db, error))
              return FALSE;
          }
      }

  return TRUE;
}

/* Writes one page of GET /api/v1/sync in one transaction, cursor included,
 * so a crash half-way leaves the cache as it was before the page. A page
 * from another server than the one the cache mirrors starts afresh.
 * Runs in any one thread at a time; the caller updates the properties. */
gboolean
leap_offline_cache_apply_sync (LeapOfflineCache  *self,
                               const char        *server,
                               JsonObject        *page,
                               GError           **error)
{
  Statements st = { 0 };
  JsonNode *cursor_node;
  gint64 cursor;
  gboolean ok = FALSE;
  g_autofree char *stored_server = NULL;

  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), FALSE);
  g_return_val_if_fail (server != NULL, FALSE);
  g_return_val_if_fail (page != NULL, FALSE);

  cursor_node = json_object_get_member (page, "cursor");
  if (cursor_node == NULL || !JSON_NODE_HOLDS_VALUE (cursor_node) ||
      (cursor = leap_json_get_int (page, "cursor", -1)) < 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                           _("The server's sync answer has no cursor"));
      return FALSE;
    }

  g_mutex_lock (&self->lock);

  if (!exec_sql (self->db, "BEGIN IMMEDIATE", error))
    goto out;

  stored_server = meta_get (self->db, "server");
  if (g_strcmp0 (stored_server, server) != 0)
    {
      if (!exec_sql (self->db, "DELETE FROM venues; DELETE FROM events; DELETE FROM tiers;"
                     "DELETE FROM offers; DELETE FROM meta;", error) ||
          !meta_set (self->db, "server", server, error))
        goto rollback;
    }

  if (!statements_prepare (&st, self->db, error) ||
      !apply_rows (self, &st, page, error) ||
      !meta_set_int (self->db, "cursor", cursor, error))
    goto rollback;
  if (!json_object_get_boolean_member_with_default (page, "more", FALSE) &&
      !meta_set_int (self->db, "synced_at", g_get_real_time () / G_USEC_PER_SEC, error))
    goto rollback;

  statements_clear (&st);
  if (!exec_sql (self->db, "COMMIT", error))
    goto rollback;
  ok = TRUE;
  goto out;

rollback:
  statements_clear (&st);
  exec_sql (self->db, "ROLLBACK", NULL);
out:
  g_mutex_unlock (&self->lock);
  return ok;
}

/* Reading the events */

static LeapEvent *
event_from_row (sqlite3_stmt *stmt)
{
  LeapEvent *event = g_object_new (LEAP_TYPE_EVENT,
                                   "id", (gint64) sqlite3_column_int64 (stmt, 0),
                                   "venue-id", (gint64) sqlite3_column_int64 (stmt, 1),
                                   "name", (const char *) sqlite3_column_text (stmt, 2),
                                   "description", (const char *) sqlite3_column_text (stmt, 3),
                                   "starts-at", (gint64) sqlite3_column_int64 (stmt, 4),
                                   "ends-at", (gint64) sqlite3_column_int64 (stmt, 5),
                                   "status", (const char *) sqlite3_column_text (stmt, 6),
                                   "venue-name", (const char *) sqlite3_column_text (stmt, 7),
                                   "venue-timezone", (const char *) sqlite3_column_text (stmt, 8),
                                   NULL);

  if (sqlite3_column_type (stmt, 9) != SQLITE_NULL)
    leap_event_set_capacity (event, sqlite3_column_int64 (stmt, 9));
  if (sqlite3_column_type (stmt, 10) != SQLITE_NULL)
    leap_event_set_available (event, sqlite3_column_int64 (stmt, 10));
  return event;
}

/* Events that ended (or, without an end, started) more than a day ago are
 * of no use at a box office and are not loaded. */
static GPtrArray *
load_events (LeapOfflineCache  *self,
             GError           **error)
{
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  gint64 since = g_get_real_time () / G_USEC_PER_SEC - 24 * 3600;
  int rc;

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT e.id, e.venue_id, e.name, e.description, e.starts_at, "
                          "  e.ends_at, e.status, v.name, v.timezone, "
                          "  (SELECT SUM (t.capacity) FROM tiers t WHERE t.event_id = e.id), "
                          "  (SELECT CASE WHEN COUNT (*) > 0 AND COUNT (*) = COUNT (t.available) "
                          "     THEN SUM (t.available) END FROM tiers t WHERE t.event_id = e.id) "
                          "FROM events e LEFT JOIN venues v ON v.id = e.venue_id "
                          "WHERE COALESCE (e.ends_at, e.starts_at) >= ? "
                          "ORDER BY e.starts_at, e.id", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (error, self->db, "be read");
      g_mutex_unlock (&self->lock);
      return NULL;
    }
  sqlite3_bind_int64 (stmt, 1, since);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (events, event_from_row (stmt));
  if (rc != SQLITE_DONE)
    set_sqlite_error (error, self->db, "be read");
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);

  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&events);
}

static void
reload_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GError *error = NULL;
  GPtrArray *events = load_events (LEAP_OFFLINE_CACHE (source_object), &error);

  if (events == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, events, (GDestroyNotify) g_ptr_array_unref);
}

static gboolean
same_event (LeapEvent *a,
            LeapEvent *b)
{
  return leap_event_get_id (a) == leap_event_get_id (b) &&
         leap_event_get_venue_id (a) == leap_event_get_venue_id (b) &&
         leap_event_get_starts_at (a) == leap_event_get_starts_at (b) &&
         leap_event_get_ends_at (a) == leap_event_get_ends_at (b) &&
         g_strcmp0 (leap_event_get_name (a), leap_event_get_name (b)) == 0 &&
         g_strcmp0 (leap_event_get_description (a), leap_event_get_description (b)) == 0 &&
         g_strcmp0 (leap_event_get_status (a), leap_event_get_status (b)) == 0 &&
         g_strcmp0 (leap_event_get_venue_name (a), leap_event_get_venue_name (b)) == 0 &&
         g_strcmp0 (leap_event_get_venue_timezone (a), leap_event_get_venue_timezone (b)) == 0;
}

/* Replaces the model's contents in one splice. An event that did not
 * change keeps its object, so a list's selection of it survives the sync
 * (GtkSingleSelection finds a removed item among the added ones). */
static void
replace_events (LeapOfflineCache *self,
                GPtrArray        *events)
{
  g_autoptr(GHashTable) old = g_steal_pointer (&self->events_by_id);

  self->events_by_id = g_hash_table_new (g_int64_hash, g_int64_equal);
  for (guint i = 0; i < events->len; i++)
    {
      LeapEvent *event = g_ptr_array_index (events, i);
      gint64 id = leap_event_get_id (event);
      LeapEvent *previous = g_hash_table_lookup (old, &id);
      gint64 *key;

      if (previous != NULL && same_event (previous, event))
        {
          leap_event_set_capacity (previous, leap_event_get_capacity (event));
          leap_event_set_available (previous, leap_event_get_available (event));
          g_ptr_array_index (events, i) = g_object_ref (previous);
          g_object_unref (event);
          event = previous;
        }
      else
        {
          key = g_new (gint64, 1);
          *key = id;
          g_object_set_data_full (G_OBJECT (event), "leap-cache-key", key, g_free);
        }
      g_hash_table_insert (self->events_by_id,
                           g_object_get_data (G_OBJECT (event), "leap-cache-key"), event);
    }
  g_list_store_splice (self->events, 0, g_list_model_get_n_items (G_LIST_MODEL (self->events)),
                       events->pdata, events->len);
  if (!self->loaded)
    {
      self->loaded = TRUE;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
    }
}

static void
reload_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOfflineCache *self = LEAP_OFFLINE_CACHE (source);
  g_autoptr(GPtrArray) events = NULL;
  GError *error = NULL;

  events = g_task_propagate_pointer (G_TASK (result), &error);
  if (events == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  replace_events (self, events);
  g_task_return_boolean (task, TRUE);
}

/* Reads the events from the file in a worker thread and then replaces the
 * contents of the events model on the main thread in one go. */
void
leap_offline_cache_reload_async (LeapOfflineCache    *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) inner = NULL;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_offline_cache_reload_async);

  inner = g_task_new (self, cancellable, reload_cb, g_steal_pointer (&task));
  g_task_run_in_thread (inner, reload_thread);
}

gboolean
leap_offline_cache_reload_finish (LeapOfflineCache  *self,
                                  GAsyncResult      *result,
                                  GError           **error)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Sync */

typedef struct
{
  LeapClient *client;
  char       *server;
  gint64      cursor;
  gboolean    more;
  GBytes     *body;
} SyncData;

static void
sync_data_free (SyncData *data)
{
  g_clear_object (&data->client);
  g_clear_pointer (&data->server, g_free);
  g_clear_pointer (&data->body, g_bytes_unref);
  g_free (data);
}

static void sync_fetch (GTask *task);

static void
set_syncing (LeapOfflineCache *self,
             gboolean          syncing)
{
  if (self->syncing == !!syncing)
    return;
  self->syncing = !!syncing;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNCING]);
}

static void
sync_return_error (GTask  *task,
                   GError *error)
{
  set_syncing (g_task_get_source_object (task), FALSE);
  g_task_return_error (task, error);
}

/* Parsing and writing a page happen in the worker thread: a first sync of
 * ten thousand events must not freeze the window. */
static void
sync_apply_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  LeapOfflineCache *self = source_object;
  SyncData *data = task_data;
  g_autoptr(JsonObject) page = NULL;
  GError *error = NULL;

  page = leap_json_parse_object (g_bytes_get_data (data->body, NULL),
                                 g_bytes_get_size (data->body), &error);
  if (page == NULL || !leap_offline_cache_apply_sync (self, data->server, page, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  data->cursor = leap_json_get_int (page, "cursor", data->cursor);
  data->more = json_object_get_boolean_member_with_default (page, "more", FALSE);
  g_task_return_boolean (task, TRUE);
}

static void
sync_reloaded_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!leap_offline_cache_reload_finish (LEAP_OFFLINE_CACHE (source), result, &error))
    sync_return_error (task, error);
  else
    {
      set_syncing (LEAP_OFFLINE_CACHE (source), FALSE);
      g_task_return_boolean (task, TRUE);
    }
}

static void
sync_applied_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapOfflineCache *self = LEAP_OFFLINE_CACHE (source);
  SyncData *data = g_task_get_task_data (task);
  GCancellable *cancellable;
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      sync_return_error (task, error);
      return;
    }

  g_clear_pointer (&data->body, g_bytes_unref);
  if (g_strcmp0 (self->server, data->server) != 0)
    {
      g_free (self->server);
      self->server = g_strdup (data->server);
    }
  if (self->cursor != data->cursor)
    {
      self->cursor = data->cursor;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR]);
    }

  if (data->more)
    {
      sync_fetch (g_steal_pointer (&task));
      return;
    }

  self->synced_at = g_get_real_time () / G_USEC_PER_SEC;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SYNCED_AT]);
  cancellable = g_task_get_cancellable (task);
  leap_offline_cache_reload_async (self, cancellable, sync_reloaded_cb, g_steal_pointer (&task));
}

static void
sync_fetched_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GTask) inner = NULL;
  SyncData *data = g_task_get_task_data (task);
  GError *error = NULL;

  data->body = leap_client_send_finish (LEAP_CLIENT (source), result, &error);
  if (data->body == NULL)
    {
      sync_return_error (task, error);
      return;
    }

  inner = g_task_new (g_task_get_source_object (task), g_task_get_cancellable (task),
                      sync_applied_cb, g_object_ref (task));
  g_task_set_task_data (inner, data, NULL);
  g_task_run_in_thread (inner, sync_apply_thread);
}

static void
sync_fetch (GTask *task)
{
  SyncData *data = g_task_get_task_data (task);
  g_autofree char *path = NULL;

  path = g_strdup_printf ("/api/v1/sync?since=%" G_GINT64_FORMAT "&limit=%d",
                          data->cursor, SYNC_PAGE);
  leap_client_send_async (data->client, "GET", path, NULL, g_task_get_cancellable (task),
                          sync_fetched_cb, task);
}

/* Brings the cache up to date with the server of @client: pages of
 * GET /api/v1/sync from the stored cursor while the server says there is
 * more, each written in a worker thread, then the events model reloaded.
 * The catalogue is public, so this works signed in or not. */
void
leap_offline_cache_sync_async (LeapOfflineCache    *self,
                               LeapClient          *client,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SyncData *data;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));
  g_return_if_fail (LEAP_IS_CLIENT (client));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_offline_cache_sync_async);

  if (self->syncing)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_PENDING,
                               _("The offline cache is already being brought up to date"));
      return;
    }

  data = g_new0 (SyncData, 1);
  data->client = g_object_ref (client);
  data->server = g_strdup (leap_client_get_base_url (client));
  /* A cache of another server starts from the beginning. */
  data->cursor = g_strcmp0 (self->server, data->server) == 0 ? self->cursor : 0;
  g_task_set_task_data (task, data, (GDestroyNotify) sync_data_free);

  set_syncing (self, TRUE);
  sync_fetch (g_steal_pointer (&task));
}

gboolean
leap_offline_cache_sync_finish (LeapOfflineCache  *self,
                                GAsyncResult      *result,
                                GError           **error)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Tiers */

static void
list_tiers_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  LeapOfflineCache *self = source_object;
  gint64 event_id = *(gint64 *) task_data;
  g_autoptr(GPtrArray) tiers = g_ptr_array_new_with_free_func (g_object_unref);
  sqlite3_stmt *stmt = NULL;
  GError *error = NULL;
  int rc;

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db, "SELECT json, available FROM tiers WHERE event_id = ? "
                          "ORDER BY price DESC, id", -1, &stmt, NULL) != SQLITE_OK)
    {
      set_sqlite_error (&error, self->db, "be read");
      g_mutex_unlock (&self->lock);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_int64 (stmt, 1, event_id);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      g_autoptr(JsonObject) object = NULL;
      LeapTier *tier;

      object = leap_json_parse_object ((const char *) sqlite3_column_text (stmt, 0), -1, NULL);
      if (object == NULL || (tier = leap_tier_new_from_json (object, NULL)) == NULL)
        continue;
      if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
        leap_tier_set_available (tier, sqlite3_column_int64 (stmt, 1));
      g_ptr_array_add (tiers, tier);
    }
  if (rc != SQLITE_DONE)
    set_sqlite_error (&error, self->db, "be read");
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&tiers), (GDestroyNotify) g_ptr_array_unref);
}

void
leap_offline_cache_list_tiers_async (LeapOfflineCache    *self,
                                     gint64               event_id,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_offline_cache_list_tiers_async);
  g_task_set_task_data (task, g_memdup2 (&event_id, sizeof event_id), g_free);
  g_task_run_in_thread (task, list_tiers_thread);
}

GPtrArray *
leap_offline_cache_list_tiers_finish (LeapOfflineCache  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
store_availability_thread (GTask        *task,
                           gpointer      source_object,
                           gpointer      task_data,
                           GCancellable *cancellable)
{
  LeapOfflineCache *self = source_object;
  JsonObject *availability = task_data;
  JsonArray *tiers = get_array (availability, "tiers");
  gint64 event_id = leap_json_get_int (availability, "event_id", 0);
  sqlite3_stmt *stmt = NULL;

  g_mutex_lock (&self->lock);
  if (tiers != NULL &&
      sqlite3_prepare_v2 (self->db, "UPDATE tiers SET available = ? WHERE id = ? AND event_id = ?",
                          -1, &stmt, NULL) == SQLITE_OK)
    {
      exec_sql (self->db, "BEGIN", NULL);
      for (guint i = 0; i < json_array_get_length (tiers); i++)
        {
          JsonObject *o = json_array_get_object_element (tiers, i);

          if (o == NULL)
            continue;
          sqlite3_bind_int64 (stmt, 1, MAX (leap_json_get_int (o, "available", 0), 0));
          sqlite3_bind_int64 (stmt, 2, leap_json_get_int (o, "tier_id", 0));
          sqlite3_bind_int64 (stmt, 3, event_id);
          step_done (stmt, self->db, NULL);
        }
      exec_sql (self->db, "COMMIT", NULL);
    }
  g_clear_pointer (&stmt, sqlite3_finalize);
  g_mutex_unlock (&self->lock);
  g_task_return_boolean (task, TRUE);
}

/* Keeps the availability the server just told (the answer of
 * GET /api/v1/events/{id}/availability): in the events model at once, and
 * in the file in the background, so the list shows it offline too. */
void
leap_offline_cache_store_availability (LeapOfflineCache *self,
                                       JsonObject       *availability)
{
  g_autoptr(GTask) task = NULL;
  gint64 event_id;
  LeapEvent *event;
  JsonArray *tiers;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));
  g_return_if_fail (availability != NULL);

  event_id = leap_json_get_int (availability, "event_id", 0);
  tiers = get_array (availability, "tiers");
  if (tiers == NULL)
    return;

  if ((event = g_hash_table_lookup (self->events_by_id, &event_id)) != NULL)
    {
      gint64 available = 0, capacity = 0;

      for (guint i = 0; i < json_array_get_length (tiers); i++)
        {
          JsonObject *o = json_array_get_object_element (tiers, i);

          if (o == NULL)
            continue;
          available += MAX (leap_json_get_int (o, "available", 0), 0);
          capacity += MAX (leap_json_get_int (o, "capacity", 0), 0);
        }
      leap_event_set_available (event, available);
      if (capacity > 0)
        leap_event_set_capacity (event, capacity);
    }

  task = g_task_new (self, NULL, NULL, NULL);
  g_task_set_source_tag (task, leap_offline_cache_store_availability);
  g_task_set_task_data (task, json_object_ref (availability), (GDestroyNotify) json_object_unref);
  g_task_run_in_thread (task, store_availability_thread);
}


/* Orders of this device */

/* Ticket codes of @order, separated by spaces, for the search. */
static char *
order_codes (JsonObject *order)
{
  JsonArray *tickets = get_array (order, "tickets");
  g_autoptr(GString) codes = g_string_new (NULL);

  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      const char *code = ticket ? leap_json_get_string (ticket, "code", NULL) : NULL;

      if (code == NULL)
        continue;
      if (codes->len > 0)
        g_string_append_c (codes, ' ');
      g_string_append (codes, code);
    }
  return g_string_free (g_steal_pointer (&codes), FALSE);
}

static JsonObject *
order_read (sqlite3    *db,
            const char *order_id)
{
  sqlite3_stmt *stmt = NULL;
  JsonObject *order = NULL;

  if (sqlite3_prepare_v2 (db, "SELECT json FROM orders WHERE order_id = ?", -1, &stmt,
                          NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    order = leap_json_parse_object ((const char *) sqlite3_column_text (stmt, 0), -1, NULL);
  sqlite3_finalize (stmt);
  return order;
}

static void
save_order_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  LeapOfflineCache *self = source_object;
  JsonObject *order = task_data;
  const char *order_id = leap_json_get_string (order, "order_id", NULL);
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(JsonObject) merged = NULL;
  g_autofree char *codes = NULL;
  g_autofree char *json = NULL;
  JsonObject *customer, *payment;
  sqlite3_stmt *stmt = NULL;
  GError *error = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  gint64 created_at;
  static const char *kept[] = { "event", "tier_names", "server", "cashier", "sold_at",
                                "customer", "payment_request" };

  g_mutex_lock (&self->lock);

  /* What this device knew before (the event, the tier names, when it was
   * sold) stays when the server's answer does not carry it. */
  merged = json_object_new ();
  old = order_read (self->db, order_id);
  {
    GList *members = json_object_get_members (order);

    for (GList *l = members; l != NULL; l = l->next)
      {
        JsonNode *node = json_object_get_member (order, l->data);

        if (JSON_NODE_HOLDS_NULL (node) && old != NULL && json_object_has_member (old, l->data))
          continue;
        json_object_set_member (merged, l->data, json_node_copy (node));
      }
    g_list_free (members);
  }
  for (guint i = 0; old != NULL && i < G_N_ELEMENTS (kept); i++)
    if (!json_object_has_member (merged, kept[i]) && json_object_has_member (old, kept[i]))
      json_object_set_member (merged, kept[i],
                              json_node_copy (json_object_get_member (old, kept[i])));
  if (!json_object_has_member (merged, "sold_at"))
    json_object_set_int_member (merged, "sold_at", now);
  created_at = leap_json_get_int (merged, "sold_at", now);

  codes = order_codes (merged);
  json = leap_json_object_to_string (merged);
  customer = json_object_has_member (merged, "customer") &&
             JSON_NODE_HOLDS_OBJECT (json_object_get_member (merged, "customer"))
             ? json_object_get_object_member (merged, "customer") : NULL;
  payment = json_object_has_member (merged, "payment") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (merged, "payment"))
            ? json_object_get_object_member (merged, "payment") : NULL;
  if (payment == NULL && json_object_has_member (merged, "payment_request") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (merged, "payment_request")))
    payment = json_object_get_object_member (merged, "payment_request");

  if (sqlite3_prepare_v2 (self->db,
                          "INSERT INTO orders (order_id, server, status, customer_name, codes,"
                          "  method, total, currency, cashier, created_at, updated_at, json)"
                          " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                          " ON CONFLICT (order_id) DO UPDATE SET server = excluded.server,"
                          "  status = excluded.status, customer_name = excluded.customer_name,"
                          "  codes = excluded.codes, method = excluded.method,"
                          "  total = excluded.total, currency = excluded.currency,"
                          "  cashier = excluded.cashier, updated_at = excluded.updated_at,"
                          "  json = excluded.json", -1, &stmt, NULL) != SQLITE_OK)
    set_sqlite_error (&error, self->db, "keep the order");
  else
    {
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_STATIC);
      bind_text_or_null (stmt, 2, leap_json_get_string (merged, "server", NULL));
      sqlite3_bind_text (stmt, 3, leap_json_get_string (merged, "status", "pending"), -1,
                         SQLITE_STATIC);
      bind_text_or_null (stmt, 4, customer ? leap_json_get_string (customer, "name", NULL) : NULL);
      sqlite3_bind_text (stmt, 5, codes, -1, SQLITE_STATIC);
      bind_text_or_null (stmt, 6, payment ? leap_json_get_string (payment, "method", NULL) : NULL);
      sqlite3_bind_int64 (stmt, 7, leap_json_get_int (merged, "total", 0));
      bind_text_or_null (stmt, 8, leap_json_get_string (merged, "currency", NULL));
      bind_text_or_null (stmt, 9, leap_json_get_string (merged, "cashier", NULL));
      sqlite3_bind_int64 (stmt, 10, created_at);
      sqlite3_bind_int64 (stmt, 11, now);
      sqlite3_bind_text (stmt, 12, json, -1, SQLITE_STATIC);
      step_done (stmt, self->db, &error);
      sqlite3_finalize (stmt);
    }
  g_mutex_unlock (&self->lock);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&merged), (GDestroyNotify) json_object_unref);
}

/* Keeps @order (the server's order, with what the app adds: "event",
 * "tier_names", "server", "cashier", "payment_request") in the file, by
 * its "order_id": a second save of the same order replaces the first. The
 * result is the order as kept (with what an earlier save knew). */
void
leap_offline_cache_save_order_async (LeapOfflineCache    *self,
                                     JsonObject          *order,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *copy = NULL;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));
  g_return_if_fail (order != NULL);
  g_return_if_fail (leap_json_get_string (order, "order_id", NULL) != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_offline_cache_save_order_async);
  /* A copy: the caller may change its object while the thread runs. */
  copy = leap_json_object_to_string (order);
  g_task_set_task_data (task, leap_json_parse_object (copy, -1, NULL),
                        (GDestroyNotify) json_object_unref);
  g_task_run_in_thread (task, save_order_thread);
}

JsonObject *
leap_offline_cache_save_order_finish (LeapOfflineCache  *self,
                                      GAsyncResult      *result,
                                      GError           **error)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  char   *text;
  gint64  since;
} FindData;

static void
find_data_free (FindData *data)
{
  g_free (data->text);
  g_free (data);
}

static void
find_orders_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  LeapOfflineCache *self = source_object;
  FindData *data = task_data;
  g_autoptr(GPtrArray) orders = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GString) pattern = g_string_new ("%");
  sqlite3_stmt *stmt = NULL;
  GError *error = NULL;
  int rc;

  /* The text is matched as it is: % and _ are not wildcards here. */
  for (const char *p = data->text ? data->text : ""; *p != '\0'; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (pattern, '\\');
      g_string_append_c (pattern, *p);
    }
  g_string_append_c (pattern, '%');

  g_mutex_lock (&self->lock);
  if (sqlite3_prepare_v2 (self->db,
                          "SELECT json FROM orders WHERE created_at >= ?3 AND"
                          " (order_id LIKE ?1 ESCAPE '\\' OR codes LIKE ?2 ESCAPE '\\'"
                          "  OR customer_name LIKE ?2 ESCAPE '\\')"
                          " ORDER BY created_at DESC, order_id LIMIT 500", -1, &stmt,
                          NULL) != SQLITE_OK)
    {
      set_sqlite_error (&error, self->db, "be searched");
      g_mutex_unlock (&self->lock);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_bind_int64 (stmt, 3, data->since);
  sqlite3_bind_text (stmt, 1, pattern->str, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, pattern->str, -1, SQLITE_TRANSIENT);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *order = leap_json_parse_object ((const char *) sqlite3_column_text (stmt, 0), -1,
                                                  NULL);
      if (order != NULL)
        g_ptr_array_add (orders, order);
    }
  if (rc != SQLITE_DONE)
    set_sqlite_error (&error, self->db, "be searched");
  sqlite3_finalize (stmt);
  g_mutex_unlock (&self->lock);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&orders), (GDestroyNotify) g_ptr_array_unref);
}

/* The orders this device made since @since (Unix time) whose number,
 * ticket code or customer name contains @text (NULL or "" for all), the
 * newest first. The result is a GPtrArray of JsonObject. */
void
leap_offline_cache_find_orders_async (LeapOfflineCache    *self,
                                      const char          *text,
                                      gint64               since,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  FindData *data;

  g_return_if_fail (LEAP_IS_OFFLINE_CACHE (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_offline_cache_find_orders_async);
  data = g_new0 (FindData, 1);
  data->text = g_strstrip (g_strdup (text ? text : ""));
  data->since = since;
  g_task_set_task_data (task, data, (GDestroyNotify) find_data_free);
  g_task_run_in_thread (task, find_orders_thread);
}

GPtrArray *
leap_offline_cache_find_orders_finish (LeapOfflineCache  *self,
                                       GAsyncResult      *result,
                                       GError           **error)
{
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
