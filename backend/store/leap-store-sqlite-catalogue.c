/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: the catalogue (venues, events, tiers, offers) and its change log. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-store-kinds.h"

/* Binds a checked JSON value to parameter i as its column type wants. */
static void
bind_field (sqlite3_stmt        *stmt,
            int                  i,
            const LeapFieldSpec *spec,
            JsonNode            *node)
{
  gint64 t;

  if (JSON_NODE_HOLDS_NULL (node))
    sqlite3_bind_null (stmt, i);
  else if (spec->type == LEAP_FIELD_TIME && leap_time_parse (json_node_get_string (node), &t))
    sqlite3_bind_int64 (stmt, i, t);
  else if (spec->type == LEAP_FIELD_INT || spec->type == LEAP_FIELD_ID)
    sqlite3_bind_int64 (stmt, i, json_node_get_int (node));
  else if (spec->type == LEAP_FIELD_BOOL)
    sqlite3_bind_int (stmt, i, json_node_get_boolean (node));
  else
    sqlite3_bind_text (stmt, i, json_node_get_string (node), -1, SQLITE_TRANSIENT);
}

static gboolean
record_change (LeapStoreSqlite *self,
               LeapKind         kind,
               gint64           id,
               const char      *action,
               gint64           actor,
               JsonObject      *details,
               GError         **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *detail_text = details ? leap_json_object_to_string (details) : NULL;
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO changes (kind, object_id, deleted, at) "
                                           "VALUES (?, ?, ?, ?)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, leap_kind_to_string (kind), -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, id);
  sqlite3_bind_int (stmt, 3, g_str_equal (action, "delete"));
  sqlite3_bind_int64 (stmt, 4, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return FALSE;

  return _leap_store_sqlite_audit (self, now, actor, action, leap_kind_to_string (kind), id_text,
                                   detail_text, error);
}

static JsonObject *
get_in_tx (LeapStoreSqlite *self,
           LeapKind         kind,
           gint64           id,
           GError         **error)
{
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s WHERE id = ?", info->columns,
                                          info->table);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self, sql, error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, id);
  return _leap_store_sqlite_collect_one (self, stmt, FALSE, leap_kind_to_string (kind), error);
}

static gboolean
exists (LeapStoreSqlite *self,
        LeapKind         kind,
        gint64           id,
        GError         **error)
{
  g_autoptr(JsonObject) object = get_in_tx (self, kind, id, error);
  return object != NULL;
}

JsonObject *
_leap_store_sqlite_get (LeapStore *store,
                        LeapKind   kind,
                        gint64     id,
                        GError   **error)
{
  return get_in_tx (LEAP_STORE_SQLITE (store), kind, id, error);
}

JsonArray *
_leap_store_sqlite_list_venues (LeapStore *store,
                                GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT id, name, address, city, country, "
                                                   "timezone, capacity, created_at, updated_at "
                                                   "FROM venues ORDER BY name, id", error);

  return stmt ? _leap_store_sqlite_collect_rows (self, stmt, error) : NULL;
}

JsonArray *
_leap_store_sqlite_list_events (LeapStore             *store,
                                const LeapEventFilter *filter,
                                GError               **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autofree char *pattern = _leap_store_like_pattern (filter->q);
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "SELECT id, venue_id, name, description, starts_at, "
                                           "ends_at, status, on_sale_at, created_at, "
                                           "updated_at FROM events "
                                           "WHERE (?1 IS NULL OR name LIKE ?1 ESCAPE '\\') "
                                           "AND (?2 = 0 OR venue_id = ?2) AND starts_at >= ?3 "
                                           "AND starts_at < ?4 AND (starts_at > ?5 "
                                           "OR (starts_at = ?5 AND id > ?6)) "
                                           "ORDER BY starts_at, id LIMIT ?7", error);
  if (stmt == NULL)
    return NULL;

  _leap_store_sqlite_bind_text_or_null (stmt, 1, pattern);
  sqlite3_bind_int64 (stmt, 2, filter->venue_id);
  sqlite3_bind_int64 (stmt, 3, filter->from);
  sqlite3_bind_int64 (stmt, 4, filter->to);
  sqlite3_bind_int64 (stmt, 5, filter->after_id > 0 ? filter->after_starts_at : G_MININT64);
  sqlite3_bind_int64 (stmt, 6, filter->after_id);
  sqlite3_bind_int64 (stmt, 7, filter->limit);
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

JsonArray *
_leap_store_sqlite_list_children (LeapStore *store,
                                  LeapKind   kind,
                                  gint64     event_id,
                                  GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (info->has_event, NULL);

  sql = g_strdup_printf ("SELECT %s FROM %s WHERE event_id = ? ORDER BY id", info->columns,
                         info->table);
  stmt = _leap_store_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, event_id);
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

JsonArray *
_leap_store_sqlite_list_availability (LeapStore *store,
                                      gint64     event_id,
                                      GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt;

  if (!exists (self, LEAP_KIND_EVENT, event_id, error))
    return NULL;

  /* Live holds count against availability until they expire. While Redis
   * is down (an outage is open) what is left is what the database may
   * still sell: Redis's last figure less this outage's holds. */
  stmt = _leap_store_sqlite_prepare (self,
                                     "SELECT t.id AS tier_id, t.capacity, "
                                     "CASE WHEN ot.available IS NULL THEN t.capacity - t.sold - "
                                     "  coalesce ((SELECT sum (i.quantity) FROM hold_items i "
                                     "             JOIN holds h ON h.id = i.hold_id "
                                     "             WHERE i.tier_id = t.id "
                                     "             AND h.status IN ('held', 'checking_out') "
                                     "             AND (h.status = 'checking_out' "
                                     "                  OR h.expires_at > ?2)), 0) "
                                     "ELSE max (ot.available - "
                                     "  coalesce ((SELECT sum (i.quantity) FROM hold_items i "
                                     "             JOIN holds h ON h.id = i.hold_id "
                                     "             WHERE i.tier_id = t.id "
                                     "             AND h.outage_ms = "
                                     "                 (SELECT since_ms FROM redis_outage) "
                                     "             AND (h.status IN ('checking_out', 'confirmed') "
                                     "                  OR (h.status = 'held' "
                                     "                      AND h.expires_at > ?2))), 0), 0) "
                                     "END AS available "
                                     "FROM tiers t LEFT JOIN redis_outage_tiers ot "
                                     "ON ot.tier_id = t.id "
                                     "WHERE t.event_id = ?1 ORDER BY t.id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, event_id);
  sqlite3_bind_int64 (stmt, 2, g_get_real_time () / G_USEC_PER_SEC);
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

JsonArray *
_leap_store_sqlite_list_inventory (LeapStore *store,
                                   gint64     event_id,
                                   GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT t.id AS tier_id, t.event_id, "
                                                   "t.capacity, t.sold, t.max_per_order "
                                                   "FROM tiers t JOIN events e ON e.id = "
                                                   "t.event_id WHERE (?1 = 0 AND e.status = "
                                                   "'on_sale') OR t.event_id = ?1 ORDER BY t.id",
                                                   error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, event_id);
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

/* The newest change of each object after a sequence number; rows come with
 * raw integers: seq, kind, object_id, deleted. */
JsonArray *
_leap_store_sqlite_list_changes (LeapStore *store,
                                 gint64     since,
                                 guint      limit,
                                 GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT max (seq) AS seq, kind, object_id, "
                                                   "coalesce (max (seq) = max (CASE WHEN deleted "
                                                   "THEN seq END), 0) AS deleted FROM (SELECT * "
                                                   "FROM changes WHERE seq > ? ORDER BY seq "
                                                   "LIMIT ?) GROUP BY kind, object_id ORDER BY seq",
                                                   error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, limit);
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

JsonObject *
_leap_store_sqlite_create (LeapStore  *store,
                           LeapKind    kind,
                           gint64      event_id,
                           JsonObject *fields,
                           gint64      actor,
                           GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(GString) cols = g_string_new (NULL);
  g_autoptr(GString) marks = g_string_new (NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt;
  JsonObject *created;
  gint64 id;
  int n = 0;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;

  if (info->has_event && !exists (self, LEAP_KIND_EVENT, event_id, error))
    goto fail;
  if (!_leap_store_check_references (store, _leap_store_sqlite_get, kind, event_id, fields,
                                     error))
    goto fail;

  for (guint i = 0; i < info->schema->n_fields; i++)
    if (json_object_has_member (fields, info->schema->fields[i].name))
      {
        g_string_append_printf (cols, "%s, ", info->schema->fields[i].name);
        g_string_append (marks, "?, ");
      }
  if (info->has_event)
    {
      g_string_append (cols, "event_id, ");
      g_string_append (marks, "?, ");
    }
  g_string_append (cols, "created_at, updated_at");
  g_string_append (marks, "?, ?");

  {
    g_autofree char *sql = g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s)",
                                            info->table, cols->str, marks->str);
    stmt = _leap_store_sqlite_prepare (self, sql, error);
  }
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < info->schema->n_fields; i++)
    {
      JsonNode *node = json_object_get_member (fields, info->schema->fields[i].name);
      if (node != NULL)
        bind_field (stmt, ++n, &info->schema->fields[i], node);
    }
  if (info->has_event)
    sqlite3_bind_int64 (stmt, ++n, event_id);
  sqlite3_bind_int64 (stmt, ++n, now);
  sqlite3_bind_int64 (stmt, ++n, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    goto fail;

  id = sqlite3_last_insert_rowid (self->db);
  if (!record_change (self, kind, id, "create", actor, fields, error))
    goto fail;
  created = get_in_tx (self, kind, id, error);
  if (created == NULL || !_leap_store_sqlite_commit (self, error))
    {
      g_clear_pointer (&created, json_object_unref);
      goto fail;
    }
  return created;

fail:
  _leap_store_sqlite_rollback (self);
  return NULL;
}

JsonObject *
_leap_store_sqlite_update (LeapStore  *store,
                           LeapKind    kind,
                           gint64      id,
                           JsonObject *patch,
                           gint64      actor,
                           GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(GString) sets = g_string_new (NULL);
  g_autoptr(JsonObject) merged = NULL;
  sqlite3_stmt *stmt;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  JsonObject *updated;
  int n = 0;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;

  /* Check the object as it will be, not only the fields that change. */
  merged = get_in_tx (self, kind, id, error);
  if (merged == NULL)
    goto fail;
  json_object_iter_init (&iter, patch);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (merged, member, json_node_copy (node));
  if (!_leap_store_check_references (store, _leap_store_sqlite_get, kind,
                                     leap_json_get_int (merged, "event_id", 0), merged, error))
    goto fail;

  for (guint i = 0; i < info->schema->n_fields; i++)
    if (json_object_has_member (patch, info->schema->fields[i].name))
      g_string_append_printf (sets, "%s = ?, ", info->schema->fields[i].name);
  g_string_append (sets, "updated_at = ?");
  {
    g_autofree char *sql = g_strdup_printf ("UPDATE %s SET %s WHERE id = ?", info->table,
                                            sets->str);
    stmt = _leap_store_sqlite_prepare (self, sql, error);
  }
  if (stmt == NULL)
    goto fail;
  for (guint i = 0; i < info->schema->n_fields; i++)
    {
      node = json_object_get_member (patch, info->schema->fields[i].name);
      if (node != NULL)
        bind_field (stmt, ++n, &info->schema->fields[i], node);
    }
  sqlite3_bind_int64 (stmt, ++n, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_int64 (stmt, ++n, id);
  if (sqlite3_step (stmt) != SQLITE_DONE)
    {
      int rc = sqlite3_extended_errcode (self->db);
      sqlite3_reset (stmt);
      if (rc == SQLITE_CONSTRAINT_CHECK && kind == LEAP_KIND_TIER)
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                     "tier.capacity cannot be lower than the tickets already sold");
      else
        _leap_store_sqlite_set_error (self, rc, error);
      goto fail;
    }
  sqlite3_reset (stmt);

  if (!record_change (self, kind, id, "update", actor, patch, error))
    goto fail;
  updated = get_in_tx (self, kind, id, error);
  if (updated == NULL || !_leap_store_sqlite_commit (self, error))
    {
      g_clear_pointer (&updated, json_object_unref);
      goto fail;
    }
  return updated;

fail:
  _leap_store_sqlite_rollback (self);
  return NULL;
}

JsonObject *
_leap_store_sqlite_remove (LeapStore *store,
                           LeapKind   kind,
                           gint64     id,
                           gint64     actor,
                           GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(JsonObject) old = NULL;
  g_autofree char *sql = NULL;
  sqlite3_stmt *stmt;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  old = get_in_tx (self, kind, id, error);
  if (old == NULL)
    goto fail;

  sql = g_strdup_printf ("DELETE FROM %s WHERE id = ?", _leap_store_kinds[kind].table);
  stmt = _leap_store_sqlite_prepare (self, sql, error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, id);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    {
      if (g_error_matches (*error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
        {
          g_clear_error (error);
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                       "This %s cannot be deleted: other records still refer to it",
                       leap_kind_to_string (kind));
        }
      goto fail;
    }
  if (!record_change (self, kind, id, "delete", actor, NULL, error) ||
      !_leap_store_sqlite_commit (self, error))
    goto fail;
  return g_steal_pointer (&old);

fail:
  _leap_store_sqlite_rollback (self);
  return NULL;
}

/* Live holds of the database (made while Redis was down) and sold tickets
 * of one tier (?1) or of every tier of an event (?2). */
JsonObject *
_leap_store_sqlite_count_committed (LeapStore *store,
                                    LeapKind   kind,
                                    gint64     id,
                                    GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (
      self,
      "SELECT "
      "coalesce ((SELECT sum (i.quantity) FROM hold_items i JOIN holds h ON h.id = i.hold_id "
      "           JOIN tiers t ON t.id = i.tier_id WHERE (t.id = ?1 OR t.event_id = ?2) "
      "           AND h.status = 'held' AND h.expires_at > ?3), 0) AS held, "
      "coalesce ((SELECT sum (i.quantity) FROM hold_items i JOIN holds h ON h.id = i.hold_id "
      "           JOIN tiers t ON t.id = i.tier_id WHERE (t.id = ?1 OR t.event_id = ?2) "
      "           AND h.status = 'checking_out'), 0) AS checking_out, "
      "coalesce ((SELECT sum (sold) FROM tiers WHERE id = ?1 OR event_id = ?2), 0) AS sold",
      error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, kind == LEAP_KIND_TIER ? id : 0);
  sqlite3_bind_int64 (stmt, 2, kind == LEAP_KIND_EVENT ? id : 0);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, leap_kind_to_string (kind), error);
}
