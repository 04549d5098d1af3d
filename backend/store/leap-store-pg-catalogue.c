/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: mirrors leap-store-sqlite-catalogue.c. SQLite serializes
 * its writers; here several backends write at once, so a write locks what
 * its checks read (the row it changes FOR UPDATE, the rows it refers to
 * FOR KEY SHARE) and a delete is one statement. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-store-kinds.h"
#include "leap-error.h"
#include "leap-json.h"

/* How a read inside a write locks the row it finds. */
#define FOR_UPDATE    " FOR UPDATE"     /* the row this write changes */
#define FOR_KEY_SHARE " FOR KEY SHARE"  /* a row it refers to: no one deletes it meanwhile */

/* Adds a checked JSON value as the text of its column type. */
static void
add_field (LeapPgParams        *params,
           const LeapFieldSpec *spec,
           JsonNode            *node)
{
  gint64 t;

  if (JSON_NODE_HOLDS_NULL (node))
    _leap_pg_params_text (params, NULL);
  else if (spec->type == LEAP_FIELD_TIME && leap_time_parse (json_node_get_string (node), &t))
    _leap_pg_params_int (params, t);
  else if (spec->type == LEAP_FIELD_INT || spec->type == LEAP_FIELD_ID)
    _leap_pg_params_int (params, json_node_get_int (node));
  else if (spec->type == LEAP_FIELD_BOOL)
    _leap_pg_params_int (params, json_node_get_boolean (node));
  else
    _leap_pg_params_text (params, json_node_get_string (node));
}

static gboolean
record_change (LeapStorePg *self,
               LeapKind     kind,
               gint64       id,
               const char  *action,
               gint64       actor,
               JsonObject  *details,
               GError     **error)
{
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *detail_text = details ? leap_json_object_to_string (details) : NULL;
  g_autofree char *id_text = g_strdup_printf ("%" G_GINT64_FORMAT, id);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, leap_kind_to_string (kind));
  _leap_pg_params_int (params, id);
  _leap_pg_params_int (params, g_str_equal (action, "delete"));
  _leap_pg_params_int (params, now);
  if (!_leap_store_pg_exec (self, "INSERT INTO changes (kind, object_id, deleted, at) "
                                  "VALUES ($1, $2, $3, $4)", params, error))
    return FALSE;

  return _leap_store_pg_audit (self, now, actor, action, leap_kind_to_string (kind), id_text,
                               detail_text, error);
}

/* One object; @lock is NULL, FOR_UPDATE or FOR_KEY_SHARE. */
static JsonObject *
get_locked (LeapStorePg *self,
            LeapKind     kind,
            gint64       id,
            const char  *lock,
            GError     **error)
{
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autofree char *sql = g_strdup_printf ("SELECT %s FROM %s WHERE id = $1%s", info->columns,
                                          info->table, lock ? lock : "");
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, id);
  return _leap_store_pg_query_one (self, sql, params, FALSE, leap_kind_to_string (kind), error);
}

static JsonObject *
get_object (LeapStore *store,
            LeapKind   kind,
            gint64     id,
            GError   **error)
{
  return get_locked (LEAP_STORE_PG (store), kind, id, NULL, error);
}

/* What a write refers to stays until it commits. */
static JsonObject *
get_referred (LeapStore *store,
              LeapKind   kind,
              gint64     id,
              GError   **error)
{
  return get_locked (LEAP_STORE_PG (store), kind, id, FOR_KEY_SHARE, error);
}

static JsonArray *
list_venues (LeapStore *store,
             GError   **error)
{
  /* COLLATE "C": names sort by their bytes, as in SQLite, whatever the
   * database's locale. */
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store),
                                    "SELECT id, name, address, city, country, timezone, "
                                    "capacity, created_at, updated_at FROM venues "
                                    "ORDER BY name COLLATE \"C\", id", NULL, error);
}

static JsonArray *
list_events (LeapStore             *store,
             const LeapEventFilter *filter,
             GError               **error)
{
  g_autofree char *pattern = _leap_store_like_pattern (filter->q);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, pattern);
  _leap_pg_params_int (params, filter->venue_id);
  _leap_pg_params_int (params, filter->from);
  _leap_pg_params_int (params, filter->to);
  _leap_pg_params_int (params, filter->after_id > 0 ? filter->after_starts_at : G_MININT64);
  _leap_pg_params_int (params, filter->after_id);
  _leap_pg_params_int (params, filter->limit);
  /* SQLite's LIKE ignores the case of ASCII letters only: so does ILIKE
   * under the "C" collation. The cursor is one row comparison, which the
   * index on (starts_at, id) serves. */
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store),
                                    "SELECT id, venue_id, name, description, starts_at, "
                                    "ends_at, status, on_sale_at, created_at, updated_at "
                                    "FROM events "
                                    "WHERE ($1::text IS NULL "
                                    "       OR name COLLATE \"C\" ILIKE $1::text ESCAPE '\\') "
                                    "AND ($2::bigint = 0 OR venue_id = $2::bigint) "
                                    "AND starts_at >= $3::bigint AND starts_at < $4::bigint "
                                    "AND (starts_at, id) > ($5::bigint, $6::bigint) "
                                    "ORDER BY starts_at, id LIMIT $7::bigint", params, error);
}

static JsonArray *
list_children (LeapStore *store,
               LeapKind   kind,
               gint64     event_id,
               GError   **error)
{
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autofree char *sql = NULL;

  g_return_val_if_fail (info->has_event, NULL);

  sql = g_strdup_printf ("SELECT %s FROM %s WHERE event_id = $1 ORDER BY id", info->columns,
                         info->table);
  _leap_pg_params_int (params, event_id);
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store), sql, params, error);
}

static JsonArray *
list_availability (LeapStore *store,
                   gint64     event_id,
                   GError   **error)
{
  g_autoptr(JsonObject) event = get_object (store, LEAP_KIND_EVENT, event_id, error);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  if (event == NULL)
    return NULL;

  /* Live holds count against availability until they expire. While Redis
   * is down (an outage is open) what is left is what the database may
   * still sell: Redis's last figure less this outage's holds. */
  _leap_pg_params_int (params, event_id);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store),
                                    "SELECT t.id AS tier_id, t.capacity, "
                                    "(CASE WHEN ot.available IS NULL THEN t.capacity - t.sold - "
                                    "  coalesce ((SELECT sum (i.quantity) FROM hold_items i "
                                    "             JOIN holds h ON h.id = i.hold_id "
                                    "             WHERE i.tier_id = t.id "
                                    "             AND h.status IN ('held', 'checking_out') "
                                    "             AND (h.status = 'checking_out' "
                                    "                  OR h.expires_at > $2::bigint)), 0) "
                                    "ELSE greatest (ot.available - "
                                    "  coalesce ((SELECT sum (i.quantity) FROM hold_items i "
                                    "             JOIN holds h ON h.id = i.hold_id "
                                    "             WHERE i.tier_id = t.id "
                                    "             AND h.outage_ms = "
                                    "                 (SELECT since_ms FROM redis_outage) "
                                    "             AND (h.status IN ('checking_out', 'confirmed') "
                                    "                  OR (h.status = 'held' "
                                    "                      AND h.expires_at > $2::bigint))), 0), "
                                    "  0) "
                                    "END)::bigint AS available "
                                    "FROM tiers t LEFT JOIN redis_outage_tiers ot "
                                    "ON ot.tier_id = t.id "
                                    "WHERE t.event_id = $1::bigint ORDER BY t.id", params, error);
}

static JsonArray *
list_inventory (LeapStore *store,
                gint64     event_id,
                GError   **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, event_id);
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store),
                                    "SELECT t.id AS tier_id, t.event_id, t.capacity, t.sold, "
                                    "t.max_per_order FROM tiers t JOIN events e "
                                    "ON e.id = t.event_id WHERE ($1::bigint = 0 "
                                    "AND e.status = 'on_sale') OR t.event_id = $1::bigint "
                                    "ORDER BY t.id", params, error);
}

/* The newest change of each object after a sequence number; rows come with
 * raw integers: seq, kind, object_id, deleted.
 *
 * Writers take their seq when they insert and commit in any order, so a
 * reader could see seq 11 while 10 is still to commit, move its cursor
 * past 10 and never see it. SHARE mode waits for the transactions that
 * have written changes and holds off new ones while it reads: everything
 * up to the last seq it sees has committed or is gone for good. Writers
 * still do not wait for each other. */
static JsonArray *
list_changes (LeapStore *store,
              gint64     since,
              guint      limit,
              GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonArray) changes = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  if (!_leap_store_pg_exec (self, "LOCK TABLE changes IN SHARE MODE", NULL, error))
    goto fail;
  _leap_pg_params_int (params, since);
  _leap_pg_params_int (params, limit);
  changes = _leap_store_pg_query_rows (self,
                                       "SELECT max (seq) AS seq, kind, object_id, "
                                       "coalesce ((max (seq) = max (CASE WHEN deleted <> 0 "
                                       "THEN seq END))::integer, 0) AS deleted FROM (SELECT * "
                                       "FROM changes WHERE seq > $1::bigint ORDER BY seq "
                                       "LIMIT $2::bigint) c GROUP BY kind, object_id "
                                       "ORDER BY max (seq)", params, error);
  if (changes == NULL || !_leap_store_pg_commit (self, error))
    goto fail;
  return g_steal_pointer (&changes);

fail:
  _leap_store_pg_rollback (self);
  return NULL;
}

static JsonObject *
create_object (LeapStore  *store,
               LeapKind    kind,
               gint64      event_id,
               JsonObject *fields,
               gint64      actor,
               GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(GString) cols = g_string_new (NULL);
  g_autoptr(GString) marks = g_string_new (NULL);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonObject) referred = NULL;
  g_autofree char *sql = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  JsonObject *created;
  int n = 0;

  if (!_leap_store_pg_begin (self, error))
    return NULL;

  if (info->has_event &&
      (referred = get_referred (store, LEAP_KIND_EVENT, event_id, error)) == NULL)
    goto fail;
  if (!_leap_store_check_references (store, get_referred, kind, event_id, fields, error))
    goto fail;

  for (guint i = 0; i < info->schema->n_fields; i++)
    {
      const LeapFieldSpec *spec = &info->schema->fields[i];
      JsonNode *node = json_object_get_member (fields, spec->name);

      if (node == NULL)
        continue;
      g_string_append_printf (cols, "%s, ", spec->name);
      g_string_append_printf (marks, "$%d, ", ++n);
      add_field (params, spec, node);
    }
  if (info->has_event)
    {
      g_string_append (cols, "event_id, ");
      g_string_append_printf (marks, "$%d, ", ++n);
      _leap_pg_params_int (params, event_id);
    }
  g_string_append (cols, "created_at, updated_at");
  g_string_append_printf (marks, "$%d, $%d", n + 1, n + 2);
  _leap_pg_params_int (params, now);
  _leap_pg_params_int (params, now);

  sql = g_strdup_printf ("INSERT INTO %s (%s) VALUES (%s) RETURNING %s",
                         info->table, cols->str, marks->str, info->columns);
  created = _leap_store_pg_query_one (self, sql, params, FALSE, leap_kind_to_string (kind),
                                      error);
  if (created == NULL)
    goto fail;
  if (!record_change (self, kind, leap_json_get_int (created, "id", 0), "create", actor, fields,
                      error) ||
      !_leap_store_pg_commit (self, error))
    {
      json_object_unref (created);
      goto fail;
    }
  return created;

fail:
  _leap_store_pg_rollback (self);
  return NULL;
}

/* Tickets sold stay within the capacity (the table's CHECK says so too):
 * the tier's row is locked, so no sale lands between this and the write. */
static gboolean
check_capacity (LeapStorePg *self,
                gint64       id,
                JsonObject  *patch,
                GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonObject) row = NULL;

  if (!json_object_has_member (patch, "capacity"))
    return TRUE;
  _leap_pg_params_int (params, id);
  row = _leap_store_pg_query_one (self, "SELECT sold FROM tiers WHERE id = $1", params, TRUE,
                                  "tier", error);
  if (row == NULL)
    return FALSE;
  if (leap_json_get_int (patch, "capacity", 0) < leap_json_get_int (row, "sold", 0))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                   "tier.capacity cannot be lower than the tickets already sold");
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
update_object (LeapStore  *store,
               LeapKind    kind,
               gint64      id,
               JsonObject *patch,
               gint64      actor,
               GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(GString) sets = g_string_new (NULL);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonObject) merged = NULL;
  g_autofree char *sql = NULL;
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;
  JsonObject *updated;
  int n = 0;

  if (!_leap_store_pg_begin (self, error))
    return NULL;

  /* Check the object as it will be, not only the fields that change. */
  merged = get_locked (self, kind, id, FOR_UPDATE, error);
  if (merged == NULL)
    goto fail;
  json_object_iter_init (&iter, patch);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (merged, member, json_node_copy (node));
  if (!_leap_store_check_references (store, get_referred, kind,
                                     leap_json_get_int (merged, "event_id", 0), merged, error))
    goto fail;
  if (kind == LEAP_KIND_TIER && !check_capacity (self, id, patch, error))
    goto fail;

  for (guint i = 0; i < info->schema->n_fields; i++)
    {
      const LeapFieldSpec *spec = &info->schema->fields[i];

      node = json_object_get_member (patch, spec->name);
      if (node == NULL)
        continue;
      g_string_append_printf (sets, "%s = $%d, ", spec->name, ++n);
      add_field (params, spec, node);
    }
  g_string_append_printf (sets, "updated_at = $%d", n + 1);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  _leap_pg_params_int (params, id);

  sql = g_strdup_printf ("UPDATE %s SET %s WHERE id = $%d RETURNING %s", info->table,
                         sets->str, n + 2, info->columns);
  updated = _leap_store_pg_query_one (self, sql, params, FALSE, leap_kind_to_string (kind),
                                      error);
  if (updated == NULL)
    goto fail;
  if (!record_change (self, kind, id, "update", actor, patch, error) ||
      !_leap_store_pg_commit (self, error))
    {
      json_object_unref (updated);
      goto fail;
    }
  return updated;

fail:
  _leap_store_pg_rollback (self);
  return NULL;
}

static JsonObject *
remove_object (LeapStore *store,
               LeapKind   kind,
               gint64     id,
               gint64     actor,
               GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  const LeapStoreKind *info = &_leap_store_kinds[kind];
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autofree char *sql = g_strdup_printf ("DELETE FROM %s WHERE id = $1 RETURNING %s",
                                          info->table, info->columns);
  g_autoptr(JsonObject) old = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;

  /* One statement: what it returns is what it deleted. */
  _leap_pg_params_int (params, id);
  old = _leap_store_pg_query_one (self, sql, params, FALSE, leap_kind_to_string (kind),
                                  &local_error);
  if (old == NULL)
    {
      if (g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_CONFLICT))
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                     "This %s cannot be deleted: other records still refer to it",
                     leap_kind_to_string (kind));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      goto fail;
    }
  if (!record_change (self, kind, id, "delete", actor, NULL, error) ||
      !_leap_store_pg_commit (self, error))
    goto fail;
  return g_steal_pointer (&old);

fail:
  _leap_store_pg_rollback (self);
  return NULL;
}

/* Live holds of the database (made while Redis was down) and sold tickets
 * of one tier ($1) or of every tier of an event ($2). */
static JsonObject *
count_committed (LeapStore *store,
                 LeapKind   kind,
                 gint64     id,
                 GError   **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, kind == LEAP_KIND_TIER ? id : 0);
  _leap_pg_params_int (params, kind == LEAP_KIND_EVENT ? id : 0);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  return _leap_store_pg_query_one (
      LEAP_STORE_PG (store),
      "SELECT "
      "coalesce ((SELECT sum (i.quantity) FROM hold_items i JOIN holds h ON h.id = i.hold_id "
      "           JOIN tiers t ON t.id = i.tier_id "
      "           WHERE (t.id = $1::bigint OR t.event_id = $2::bigint) "
      "           AND h.status = 'held' AND h.expires_at > $3::bigint), 0)::bigint AS held, "
      "coalesce ((SELECT sum (i.quantity) FROM hold_items i JOIN holds h ON h.id = i.hold_id "
      "           JOIN tiers t ON t.id = i.tier_id "
      "           WHERE (t.id = $1::bigint OR t.event_id = $2::bigint) "
      "           AND h.status = 'checking_out'), 0)::bigint AS checking_out, "
      "coalesce ((SELECT sum (sold) FROM tiers "
      "           WHERE id = $1::bigint OR event_id = $2::bigint), 0)::bigint AS sold",
      params, TRUE, leap_kind_to_string (kind), error);
}

void
_leap_store_pg_catalogue_class_init (LeapStoreClass *klass)
{
  klass->get = get_object;
  klass->list_venues = list_venues;
  klass->list_events = list_events;
  klass->list_children = list_children;
  klass->list_availability = list_availability;
  klass->list_inventory = list_inventory;
  klass->list_changes = list_changes;
  klass->create = create_object;
  klass->update = update_object;
  klass->remove = remove_object;
  klass->count_committed = count_committed;
}
