/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: holds made while Redis is down (see "When Redis is
 * down" in docs/architecture.md). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-store-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* A hold's prices as its Redis record keeps them ("tier:unit_price:currency,…",
 * of the lines that have one): a column of the hold's row h. */
#define HELD_PRICES                                                                   \
  "(SELECT group_concat (tier_id || ':' || unit_price || ':' || currency, ',') "     \
  " FROM hold_prices WHERE hold_id = h.id) "

/* When the open outage began, 0 when none is open; -1 with @error set
 * when the database cannot be read. */
static gint64
outage_since_in (LeapStoreSqlite *self,
                 GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT since_ms FROM redis_outage WHERE id = 1",
                                                   error);
  gint64 since = 0;

  if (stmt == NULL)
    return -1;
  if (sqlite3_step (stmt) == SQLITE_ROW)
    since = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return since;
}

/* Within a transaction: per tier, the smallest of the figures the outage
 * has and available ([{"tier_id", "available"}]); only_since != 0 keeps
 * them to the outage of that name, still open. */
static gboolean
outage_lower_in (LeapStoreSqlite *self,
                 gint64           only_since,
                 JsonArray       *available,
                 GError         **error)
{
  sqlite3_stmt *stmt;

  for (guint i = 0; available != NULL && i < json_array_get_length (available); i++)
    {
      JsonObject *tier = json_array_get_object_element (available, i);

      /* Of several backends' figures the smallest: none of them sells what
       * another saw held. */
      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO redis_outage_tiers (tier_id, event_id, "
                                               "available) SELECT id, event_id, max (?2, 0) "
                                               "FROM tiers WHERE id = ?1 AND (?3 = 0 OR EXISTS "
                                               "(SELECT 1 FROM redis_outage WHERE since_ms = ?3)) "
                                               "ON CONFLICT (tier_id) DO "
                                               "UPDATE SET available = min (available, "
                                               "excluded.available)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, leap_json_get_int (tier, "tier_id", 0));
      sqlite3_bind_int64 (stmt, 2, leap_json_get_int (tier, "available", 0));
      sqlite3_bind_int64 (stmt, 3, only_since);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

gint64
_leap_store_sqlite_outage_open (LeapStore  *store,
                                gint64      since_ms,
                                JsonArray  *available,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt;
  gint64 since = 0;

  if (!_leap_store_sqlite_begin (self, error))
    return 0;
  stmt = _leap_store_sqlite_prepare (self, "INSERT OR IGNORE INTO redis_outage (id, since_ms) "
                                           "VALUES (1, ?)", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, since_ms);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    goto fail;
  if (!outage_lower_in (self, 0, available, error))
    goto fail;
  since = outage_since_in (self, error);
  if (since < 0 || !_leap_store_sqlite_commit (self, error))
    goto fail;
  return since;

fail:
  _leap_store_sqlite_rollback (self);
  return 0;
}

gboolean
_leap_store_sqlite_outage_lower (LeapStore  *store,
                                 gint64      since_ms,
                                 JsonArray  *available,
                                 GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);

  g_return_val_if_fail (since_ms != 0, FALSE);

  if (!_leap_store_sqlite_begin (self, error))
    return FALSE;
  if (!outage_lower_in (self, since_ms, available, error) ||
      !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return FALSE;
    }
  return TRUE;
}

JsonArray *
_leap_store_sqlite_outage_close (LeapStore  *store,
                                 gint64      now_ms,
                                 GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(JsonArray) holds = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  if (!_leap_store_sqlite_exec (self, "DELETE FROM redis_outage", error) ||
      !_leap_store_sqlite_exec (self, "DELETE FROM redis_outage_tiers", error))
    goto fail;
  /* Live holds, and holds checking out whose order the worker has not
   * settled yet (paid or not: a row in orders that is no longer pending
   * means it is done; a pending one is an intent, still to settle). */
  stmt = _leap_store_sqlite_prepare (self,
                                     "SELECT h.id, h.event_id, h.session_hash, h.status, "
                                     "h.expires_at, "
                                     "(SELECT group_concat (tier_id || ':' || quantity, ',') "
                                     " FROM hold_items WHERE hold_id = h.id), "
                                     "o.order_id, o.message, " HELD_PRICES
                                     "FROM holds h LEFT JOIN checkout_outbox o ON o.hold_id = h.id "
                                     "WHERE (h.status = 'held' AND h.expires_at > ?1) "
                                     "OR (h.status = 'checking_out' AND o.order_id IS NOT NULL "
                                     "    AND NOT EXISTS (SELECT 1 FROM orders "
                                     "                    WHERE id = o.order_id "
                                     "                    AND status <> 'pending')) "
                                     /* and the orders Redis took that no worker has written */
                                     "UNION ALL SELECT a.hold_id, a.event_id, a.owner, "
                                     "'checking_out', 0, a.items, a.order_id, a.message, NULL "
                                     "FROM accepted_orders a "
                                     "WHERE NOT EXISTS (SELECT 1 FROM checkout_outbox "
                                     "                  WHERE order_id = a.order_id) "
                                     "AND NOT EXISTS (SELECT 1 FROM orders WHERE id = a.order_id "
                                     "                AND status <> 'pending')",
                                     error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_int64 (stmt, 1, now_ms / 1000);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      JsonObject *hold = json_object_new ();

      json_object_set_string_member (hold, "hold_id", (const char *) sqlite3_column_text (stmt, 0));
      json_object_set_int_member (hold, "event_id", sqlite3_column_int64 (stmt, 1));
      json_object_set_string_member (hold, "owner", (const char *) sqlite3_column_text (stmt, 2));
      json_object_set_string_member (hold, "status", (const char *) sqlite3_column_text (stmt, 3));
      json_object_set_int_member (hold, "expires_ms", sqlite3_column_int64 (stmt, 4) * 1000);
      json_object_set_string_member (hold, "items", (const char *) sqlite3_column_text (stmt, 5));
      if (sqlite3_column_type (stmt, 6) != SQLITE_NULL)
        {
          json_object_set_string_member (hold, "order_id",
                                         (const char *) sqlite3_column_text (stmt, 6));
          json_object_set_string_member (hold, "message",
                                         (const char *) sqlite3_column_text (stmt, 7));
        }
      if (sqlite3_column_type (stmt, 8) != SQLITE_NULL)
        json_object_set_string_member (hold, "prices",
                                       (const char *) sqlite3_column_text (stmt, 8));
      json_array_add_object_element (holds, hold);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      _leap_store_sqlite_set_error (self, rc, error);
      goto fail;
    }
  if (!_leap_store_sqlite_commit (self, error))
    goto fail;
  return g_steal_pointer (&holds);

fail:
  _leap_store_sqlite_rollback (self);
  return NULL;
}

static gint64
db_hold_create_in_tx (LeapStoreSqlite *self,
                      JsonObject      *hold,
                      GError         **error)
{
  JsonArray *items = json_object_get_array_member (hold, "items");
  gint64 event_id = leap_json_get_int (hold, "event_id", 0);
  gint64 now_ms = leap_json_get_int (hold, "now_ms", 0);
  const char *hold_id = leap_json_get_string (hold, "hold_id", "");
  sqlite3_stmt *stmt;
  gint64 since;
  int live;
  int rc;

  since = outage_since_in (self, error);
  if (since < 0)
    return 0;
  /* The fence: some backend may still sell through Redis. */
  live = _leap_store_sqlite_lease_live_in (self, error);
  if (live < 0)
    return 0;
  if (since == 0 || live > 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "Tickets cannot be held right now; try again in a moment");
      return 0;
    }

  /* Every tier is checked before anything is written. */
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);
      gint64 tier_id = leap_json_get_int (item, "tier_id", 0);
      gint64 quantity = leap_json_get_int (item, "quantity", 0);
      gint64 max, available, used;
      gboolean known;

      stmt = _leap_store_sqlite_prepare (self,
                                         "SELECT t.max_per_order, ot.available, "
                                         "(SELECT coalesce (sum (i.quantity), 0) FROM hold_items i "
                                         " JOIN holds h ON h.id = i.hold_id "
                                         " WHERE i.tier_id = t.id AND h.outage_ms = ?3 "
                                         " AND (h.status IN ('checking_out', 'confirmed') "
                                         "      OR (h.status = 'held' AND h.expires_at > ?4))) "
                                         "FROM tiers t LEFT JOIN redis_outage_tiers ot "
                                         "ON ot.tier_id = t.id "
                                         "WHERE t.id = ?1 AND t.event_id = ?2", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_int64 (stmt, 1, tier_id);
      sqlite3_bind_int64 (stmt, 2, event_id);
      sqlite3_bind_int64 (stmt, 3, since);
      sqlite3_bind_int64 (stmt, 4, now_ms / 1000);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          if (rc != SQLITE_DONE)
            return _leap_store_sqlite_set_error (self, rc, error);
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Tier %" G_GINT64_FORMAT " is not on sale for this event", tier_id);
          return 0;
        }
      max = sqlite3_column_int64 (stmt, 0);
      known = sqlite3_column_type (stmt, 1) != SQLITE_NULL;
      available = sqlite3_column_int64 (stmt, 1);
      used = sqlite3_column_int64 (stmt, 2);
      sqlite3_reset (stmt);
      /* No backend saw what Redis had left of this tier: nothing to sell. */
      if (!known)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "Tickets cannot be held right now; try again in a moment");
          return 0;
        }
      if (quantity > max)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "At most %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                       " per order",
                       max, tier_id);
          return 0;
        }
      if (available - used < quantity)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT,
                       "Not enough tickets left in tier %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                       " available",
                       tier_id, MAX (available - used, 0));
          return 0;
        }
    }

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO holds (id, event_id, session_hash, status, "
                                           "expires_at, created_at, updated_at, outage_ms) "
                                           "VALUES (?1, ?2, ?3, 'held', ?4, ?5, ?5, ?6)", error);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, event_id);
  sqlite3_bind_text (stmt, 3, leap_json_get_string (hold, "owner", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, leap_json_get_int (hold, "expires_ms", 0) / 1000);
  sqlite3_bind_int64 (stmt, 5, now_ms / 1000);
  sqlite3_bind_int64 (stmt, 6, since);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return 0;
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = json_array_get_object_element (items, i);

      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO hold_items (hold_id, tier_id, "
                                               "quantity) VALUES (?, ?, ?)", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, leap_json_get_int (item, "tier_id", 0));
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (item, "quantity", 0));
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return 0;
      /* The price it is held at, when the hold has one for the line. */
      if (!json_object_has_member (item, "currency"))
        continue;
      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO hold_prices (hold_id, tier_id, "
                                               "unit_price, currency) VALUES (?, ?, ?, ?)", error);
      if (stmt == NULL)
        return 0;
      sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, leap_json_get_int (item, "tier_id", 0));
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (item, "unit_price", 0));
      sqlite3_bind_text (stmt, 4, leap_json_get_string (item, "currency", ""), -1,
                         SQLITE_TRANSIENT);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return 0;
    }
  return since;
}

gint64
_leap_store_sqlite_db_hold_create (LeapStore  *store,
                                   JsonObject *hold,
                                   GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  gint64 since;

  if (!_leap_store_sqlite_begin (self, error))
    return 0;
  since = db_hold_create_in_tx (self, hold, error);
  if (since == 0 || !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return 0;
    }
  return since;
}

JsonObject *
_leap_store_sqlite_db_hold_get (LeapStore  *store,
                                const char *hold_id,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT h.id, h.event_id, h.session_hash, "
                                                   "h.status, h.expires_at, (SELECT group_concat "
                                                   "(tier_id || ':' || quantity, ',') "
                                                   "FROM hold_items "
                                                   " WHERE hold_id = h.id), CASE "
                                                   "WHEN h.outage_ms = (SELECT since_ms "
                                                   "FROM redis_outage WHERE id = 1) "
                                                   "THEN h.outage_ms ELSE 0 END, (SELECT order_id "
                                                   "FROM checkout_outbox WHERE hold_id = h.id), "
                                                   HELD_PRICES
                                                   "FROM holds h WHERE h.id = ?", error);
  JsonObject *hold;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such hold");
      else
        _leap_store_sqlite_set_error (self, rc, error);
      return NULL;
    }
  hold = json_object_new ();
  json_object_set_string_member (hold, "hold_id", (const char *) sqlite3_column_text (stmt, 0));
  json_object_set_int_member (hold, "event_id", sqlite3_column_int64 (stmt, 1));
  json_object_set_string_member (hold, "owner", (const char *) sqlite3_column_text (stmt, 2));
  json_object_set_string_member (hold, "status", (const char *) sqlite3_column_text (stmt, 3));
  json_object_set_int_member (hold, "expires_ms", sqlite3_column_int64 (stmt, 4) * 1000);
  json_object_set_string_member (hold, "items", sqlite3_column_type (stmt, 5) == SQLITE_NULL
                                                  ? "" : (const char *) sqlite3_column_text (stmt,
                                                          5));
  json_object_set_int_member (hold, "outage_ms", sqlite3_column_int64 (stmt, 6));
  if (sqlite3_column_type (stmt, 7) != SQLITE_NULL)
    json_object_set_string_member (hold, "order_id", (const char *) sqlite3_column_text (stmt, 7));
  if (sqlite3_column_type (stmt, 8) != SQLITE_NULL)
    json_object_set_string_member (hold, "prices", (const char *) sqlite3_column_text (stmt, 8));
  sqlite3_reset (stmt);
  return hold;
}

gboolean
_leap_store_sqlite_db_hold_end (LeapStore  *store,
                                const char *hold_id,
                                const char *owner,
                                const char *status,
                                gint64      now_ms,
                                GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  /* With an owner (a client's request), only a hold of the outage that is
   * still open: one made in an earlier outage belongs to Redis now. */
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE holds SET status = ?3, updated_at = ?4 "
                                                   "WHERE id = ?1 AND (?2 IS NULL "
                                                   "OR session_hash = ?2) AND status = 'held' "
                                                   "AND expires_at > ?5 AND (?2 IS NULL "
                                                   "OR outage_ms = (SELECT since_ms "
                                                   "FROM redis_outage))", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 2, owner);
  sqlite3_bind_text (stmt, 3, status, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 4, now_ms / 1000);
  sqlite3_bind_int64 (stmt, 5, now_ms / 1000);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) == 1)
    return TRUE;
  return _leap_store_db_hold_refusal (LEAP_STORE (self), hold_id, owner, NULL, now_ms, error);
}

static gboolean
db_hold_checkout_in_tx (LeapStoreSqlite *self,
                        const char      *hold_id,
                        const char      *owner,
                        const char      *order_id,
                        const char      *message,
                        gint64           now_ms,
                        GError         **error)
{
  /* Only during the outage the hold was made in: the outbox is emptied
   * when the outage ends (leap_store_outage_close), in a transaction that
   * this one cannot interleave with. */
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE holds SET status = 'checking_out', "
                                                   "updated_at = ?3 WHERE id = ?1 "
                                                   "AND session_hash = ?2 AND status = 'held' "
                                                   "AND expires_at > ?3 AND outage_ms = (SELECT "
                                                   "since_ms FROM redis_outage)", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, hold_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, owner, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, now_ms / 1000);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return FALSE;
  if (sqlite3_changes (self->db) != 1)
    return _leap_store_db_hold_refusal (LEAP_STORE (self), hold_id, owner, order_id, now_ms,
                                        error);
  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO checkout_outbox (order_id, hold_id, "
                                           "event_id, message, created_at) SELECT ?1, id, "
                                           "event_id, ?2, ?3 FROM holds WHERE id = ?4", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, message, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, now_ms / 1000);
  sqlite3_bind_text (stmt, 4, hold_id, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

gboolean
_leap_store_sqlite_db_hold_checkout (LeapStore  *store,
                                     const char *hold_id,
                                     const char *owner,
                                     const char *order_id,
                                     const char *message,
                                     gint64      now_ms,
                                     GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);

  if (!_leap_store_sqlite_begin (self, error))
    return FALSE;
  if (!db_hold_checkout_in_tx (self, hold_id, owner, order_id, message, now_ms, error) ||
      !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return FALSE;
    }
  return TRUE;
}

gint64
_leap_store_sqlite_db_holds_expire (LeapStore *store,
                                    gint64     now_ms,
                                    GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE holds SET status = 'expired', "
                                                   "updated_at = ?1 WHERE status = 'held' "
                                                   "AND expires_at <= ?1", error);

  if (stmt == NULL)
    return -1;
  sqlite3_bind_int64 (stmt, 1, now_ms / 1000);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return -1;
  return sqlite3_changes (self->db);
}

gboolean
_leap_store_sqlite_outbox_mark_sent (LeapStore  *store,
                                     const char *order_id,
                                     gint64      now_ms,
                                     GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE checkout_outbox SET sent_at = ? "
                                                   "WHERE order_id = ? AND sent_at IS NULL", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now_ms / 1000);
  sqlite3_bind_text (stmt, 2, order_id, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

gint64
_leap_store_sqlite_outage_since (LeapStore  *store,
                                 GError    **error)
{
  return MAX (outage_since_in (LEAP_STORE_SQLITE (store), error), 0);
}
