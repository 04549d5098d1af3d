/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: holds made while Redis is down (see "When Redis is down"
 * in docs/architecture.md); mirrors leap-store-sqlite-outage.c.
 *
 * SQLite serialises writers; here several backends write at once, so the
 * outage's row is the lock that orders them: what makes or changes a hold
 * of the outage reads it FOR SHARE, what opens or ends the outage locks
 * its table (lock_outage ()). A hold also locks the figures of its tiers
 * (in tier order, so two holds never wait on each other in a circle)
 * before it counts what is held, so two holds never both take the last
 * tickets. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-store-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* A hold's tickets and its prices as its Redis record keeps them
 * ("tier:quantity,…", "tier:unit_price:currency,…"): columns of the hold's
 * row h, in tier order as SQLite's group_concat reads them. */
#define HELD_ITEMS                                                                        \
  "(SELECT string_agg (tier_id::text || ':' || quantity::text, ',' ORDER BY tier_id) "   \
  " FROM hold_items WHERE hold_id = h.id)"
#define HELD_PRICES                                                                       \
  "(SELECT string_agg (tier_id::text || ':' || unit_price::text || ':' || currency, ',' " \
  " ORDER BY tier_id) FROM hold_prices WHERE hold_id = h.id)"

/* The members SQLite's store leaves out when they are NULL. */
static JsonObject *
hold_from_row (const PGresult *result,
               int             row)
{
  static const char * const optional[] = { "order_id", "message", "prices" };
  JsonObject *hold = _leap_store_pg_row (result, row, TRUE);

  for (guint i = 0; i < G_N_ELEMENTS (optional); i++)
    if (json_object_has_member (hold, optional[i]) &&
        json_object_get_null_member (hold, optional[i]))
      json_object_remove_member (hold, optional[i]);
  return hold;
}

/* When the open outage began, 0 when none is open; -1 with @error set.
 * @lock keeps it open (FOR SHARE) until the transaction ends. */
static gint64
outage_since_in (LeapStorePg *self,
                 gboolean     lock,
                 GError     **error)
{
  g_autoptr(PGresult) result = NULL;

  result = _leap_store_pg_query (self, lock ? "SELECT since_ms FROM redis_outage WHERE id = 1 "
                                              "FOR SHARE"
                                            : "SELECT since_ms FROM redis_outage WHERE id = 1",
                                 NULL, error);
  if (result == NULL)
    return -1;
  return PQntuples (result) > 0 ? _leap_store_pg_int (result, 0, 0) : 0;
}

/* Within a transaction that holds the outage's row: per tier, the
 * smallest of the figures the outage has and available
 * ([{"tier_id", "available"}]). One statement, in tier order. */
static gboolean
outage_lower_in (LeapStorePg *self,
                 JsonArray   *available,
                 GError     **error)
{
  g_autoptr(LeapPgParams) params = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (available == NULL || json_array_get_length (available) == 0)
    return TRUE;
  node = json_node_init_array (json_node_alloc (), available);
  text = leap_json_to_string (node);
  params = _leap_pg_params_new ();
  _leap_pg_params_text (params, text);
  /* Of several backends' figures the smallest: none of them sells what
   * another saw held. */
  return _leap_store_pg_exec (self,
                              "INSERT INTO redis_outage_tiers (tier_id, event_id, available) "
                              "SELECT t.id, t.event_id, greatest (f.available, 0) "
                              "FROM (SELECT (value->>'tier_id')::bigint AS tier_id, "
                              "      min ((value->>'available')::bigint) AS available "
                              "      FROM jsonb_array_elements ($1::jsonb) GROUP BY 1) f "
                              "JOIN tiers t ON t.id = f.tier_id ORDER BY t.id "
                              "ON CONFLICT (tier_id) DO UPDATE SET available = "
                              "least (redis_outage_tiers.available, excluded.available)",
                              params, error);
}

/* Within a transaction that opens or ends the outage: waits for those
 * that read its row FOR SHARE (holds, releases, checkouts, figures) to
 * end, and makes those that come later wait. A table lock, as those that
 * wait for it queue: a row's share lockers let one another in, and a
 * steady stream of holds would keep the end of the outage waiting. */
static gboolean
lock_outage (LeapStorePg *self,
             GError     **error)
{
  return _leap_store_pg_exec (self, "LOCK TABLE redis_outage IN EXCLUSIVE MODE", NULL, error);
}

static gint64
outage_open (LeapStore  *store,
             gint64      since_ms,
             JsonArray  *available,
             GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  gint64 since;

  if (!_leap_store_pg_begin (self, error))
    return 0;
  /* Opens the outage or joins the open one (a no-op update, so that
   * RETURNING names it); an outage_close () waits for this to commit. */
  _leap_pg_params_int (params, since_ms);
  if (!lock_outage (self, error))
    goto fail;
  result = _leap_store_pg_query (self,
                                 "INSERT INTO redis_outage (id, since_ms) VALUES (1, $1::bigint) "
                                 "ON CONFLICT (id) DO UPDATE SET since_ms = redis_outage.since_ms "
                                 "RETURNING since_ms",
                                 params, error);
  if (result == NULL)
    goto fail;
  since = _leap_store_pg_int (result, 0, 0);
  if (!outage_lower_in (self, available, error) || !_leap_store_pg_commit (self, error))
    goto fail;
  return since;

fail:
  _leap_store_pg_rollback (self);
  return 0;
}

static gboolean
outage_lower (LeapStore  *store,
              gint64      since_ms,
              JsonArray  *available,
              GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  gint64 since;

  g_return_val_if_fail (since_ms != 0, FALSE);

  if (!_leap_store_pg_begin (self, error))
    return FALSE;
  /* Only the outage of that name, kept open while its figures change. */
  since = outage_since_in (self, TRUE, error);
  if (since < 0 || (since == since_ms && !outage_lower_in (self, available, error)) ||
      !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static JsonArray *
outage_close (LeapStore  *store,
              gint64      now_ms,
              GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(JsonArray) holds = json_array_new ();
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  /* Waits for the holds being made in the outage, so that the list below
   * has them; any later finds no outage. */
  if (!lock_outage (self, error) ||
      !_leap_store_pg_exec (self, "DELETE FROM redis_outage", NULL, error) ||
      !_leap_store_pg_exec (self, "DELETE FROM redis_outage_tiers", NULL, error))
    goto fail;
  /* Live holds, and holds checking out whose order the worker has not
   * settled yet (paid or not: a row in orders that is no longer pending
   * means it is done; a pending one is an intent, still to settle). */
  _leap_pg_params_int (params, now_ms / 1000);
  result = _leap_store_pg_query (self,
                                 "SELECT h.id AS hold_id, h.event_id, h.session_hash AS owner, "
                                 "h.status, h.expires_at * 1000 AS expires_ms, "
                                 HELD_ITEMS " AS items, o.order_id, o.message, "
                                 HELD_PRICES " AS prices "
                                 "FROM holds h LEFT JOIN checkout_outbox o ON o.hold_id = h.id "
                                 "WHERE (h.status = 'held' AND h.expires_at > $1::bigint) "
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
                                 params, error);
  if (result == NULL)
    goto fail;
  for (int i = 0; i < PQntuples (result); i++)
    json_array_add_object_element (holds, hold_from_row (result, i));
  if (!_leap_store_pg_commit (self, error))
    goto fail;
  return g_steal_pointer (&holds);

fail:
  _leap_store_pg_rollback (self);
  return NULL;
}

/* Every tier of @items checked, in their order, before anything is
 * written; the figures of the tiers are locked by then. */
static gboolean
db_hold_check_in_tx (LeapStorePg *self,
                     const char  *items,
                     gint64       event_id,
                     gint64       since,
                     gint64       now_ms,
                     GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, items);
  _leap_pg_params_int (params, event_id);
  _leap_pg_params_int (params, since);
  _leap_pg_params_int (params, now_ms / 1000);
  result = _leap_store_pg_query (self,
                                 "SELECT i.tier_id, i.quantity, t.id, t.max_per_order, "
                                 "ot.available, (SELECT coalesce (sum (hi.quantity), 0)::bigint "
                                 " FROM hold_items hi JOIN holds h ON h.id = hi.hold_id "
                                 " WHERE hi.tier_id = t.id AND h.outage_ms = $3::bigint "
                                 " AND (h.status IN ('checking_out', 'confirmed') "
                                 "      OR (h.status = 'held' AND h.expires_at > $4::bigint))) "
                                 "FROM (SELECT coalesce ((e.value->>'tier_id')::bigint, 0) "
                                 "      AS tier_id, coalesce ((e.value->>'quantity')::bigint, 0) "
                                 "      AS quantity, e.n "
                                 "      FROM jsonb_array_elements ($1::jsonb) WITH ORDINALITY "
                                 "      AS e (value, n)) i "
                                 "LEFT JOIN tiers t "
                                 "ON t.id = i.tier_id AND t.event_id = $2::bigint "
                                 "LEFT JOIN redis_outage_tiers ot ON ot.tier_id = t.id "
                                 "ORDER BY i.n",
                                 params, error);
  if (result == NULL)
    return FALSE;
  for (int i = 0; i < PQntuples (result); i++)
    {
      gint64 tier_id = _leap_store_pg_int (result, i, 0);
      gint64 quantity = _leap_store_pg_int (result, i, 1);
      gint64 max = _leap_store_pg_int (result, i, 3);
      gint64 available = _leap_store_pg_int (result, i, 4);
      gint64 used = _leap_store_pg_int (result, i, 5);

      if (PQgetisnull (result, i, 2))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Tier %" G_GINT64_FORMAT " is not on sale for this event", tier_id);
          return FALSE;
        }
      /* No backend saw what Redis had left of this tier: nothing to sell. */
      if (PQgetisnull (result, i, 4))
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "Tickets cannot be held right now; try again in a moment");
          return FALSE;
        }
      if (quantity > max)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "At most %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                       " per order",
                       max, tier_id);
          return FALSE;
        }
      if (available - used < quantity)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT,
                       "Not enough tickets left in tier %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT
                       " available",
                       tier_id, MAX (available - used, 0));
          return FALSE;
        }
    }
  return TRUE;
}

static gint64
db_hold_create_in_tx (LeapStorePg *self,
                      JsonObject  *hold,
                      GError     **error)
{
  JsonArray *items = json_object_get_array_member (hold, "items");
  gint64 event_id = leap_json_get_int (hold, "event_id", 0);
  gint64 now_ms = leap_json_get_int (hold, "now_ms", 0);
  g_autoptr(LeapPgParams) lock = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) row = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) lines = _leap_pg_params_new ();
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), items);
  g_autofree char *items_text = leap_json_to_string (node);
  gint64 since;
  int live;

  /* The outage stays open until this hold is in (outage_close () lists it). */
  since = outage_since_in (self, TRUE, error);
  if (since < 0)
    return 0;
  /* The fence: some backend may still sell through Redis. */
  live = _leap_store_pg_lease_live_in (self, error);
  if (live < 0)
    return 0;
  if (since == 0 || live > 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           "Tickets cannot be held right now; try again in a moment");
      return 0;
    }

  /* Every other hold of these tiers waits here until this one is in, and
   * then counts it. */
  _leap_pg_params_text (lock, items_text);
  if (!_leap_store_pg_exec (self,
                            "SELECT tier_id FROM redis_outage_tiers WHERE tier_id IN "
                            "(SELECT (value->>'tier_id')::bigint "
                            " FROM jsonb_array_elements ($1::jsonb)) "
                            "ORDER BY tier_id FOR UPDATE",
                            lock, error) ||
      !db_hold_check_in_tx (self, items_text, event_id, since, now_ms, error))
    return 0;

  _leap_pg_params_text (row, leap_json_get_string (hold, "hold_id", ""));
  _leap_pg_params_int (row, event_id);
  _leap_pg_params_text (row, leap_json_get_string (hold, "owner", ""));
  _leap_pg_params_int (row, leap_json_get_int (hold, "expires_ms", 0) / 1000);
  _leap_pg_params_int (row, now_ms / 1000);
  _leap_pg_params_int (row, since);
  if (!_leap_store_pg_exec (self,
                            "INSERT INTO holds (id, event_id, session_hash, status, expires_at, "
                            "created_at, updated_at, outage_ms) VALUES ($1, $2::bigint, $3, "
                            "'held', $4::bigint, $5::bigint, $5::bigint, $6::bigint)",
                            row, error))
    return 0;
  /* The lines, and the price each is held at when the hold has one. */
  _leap_pg_params_text (lines, leap_json_get_string (hold, "hold_id", ""));
  _leap_pg_params_text (lines, items_text);
  if (!_leap_store_pg_exec (self,
                            "INSERT INTO hold_items (hold_id, tier_id, quantity) "
                            "SELECT $1, (value->>'tier_id')::bigint, "
                            "(value->>'quantity')::bigint FROM jsonb_array_elements ($2::jsonb)",
                            lines, error) ||
      !_leap_store_pg_exec (self,
                            "INSERT INTO hold_prices (hold_id, tier_id, unit_price, currency) "
                            "SELECT $1, (value->>'tier_id')::bigint, "
                            "coalesce ((value->>'unit_price')::bigint, 0), "
                            "coalesce (value->>'currency', '') "
                            "FROM jsonb_array_elements ($2::jsonb) WHERE value ? 'currency'",
                            lines, error))
    return 0;
  return since;
}

static gint64
db_hold_create (LeapStore  *store,
                JsonObject *hold,
                GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  gint64 since;

  if (!_leap_store_pg_begin (self, error))
    return 0;
  since = db_hold_create_in_tx (self, hold, error);
  if (since == 0 || !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return 0;
    }
  return since;
}

static JsonObject *
db_hold_get (LeapStore  *store,
             const char *hold_id,
             GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, hold_id);
  result = _leap_store_pg_query (self,
                                 "SELECT h.id AS hold_id, h.event_id, h.session_hash AS owner, "
                                 "h.status, h.expires_at * 1000 AS expires_ms, "
                                 "coalesce (" HELD_ITEMS ", '') AS items, "
                                 "CASE WHEN h.outage_ms = (SELECT since_ms FROM redis_outage "
                                 "WHERE id = 1) THEN h.outage_ms ELSE 0 END AS outage_ms, "
                                 "(SELECT order_id FROM checkout_outbox WHERE hold_id = h.id) "
                                 "AS order_id, " HELD_PRICES " AS prices "
                                 "FROM holds h WHERE h.id = $1",
                                 params, error);
  if (result == NULL)
    return NULL;
  if (PQntuples (result) == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such hold");
      return NULL;
    }
  return hold_from_row (result, 0);
}

/* A conditional update of one hold (@sql): TRUE if it changed the hold,
 * else why not (_leap_store_db_hold_refusal ()). */
static gboolean
hold_update (LeapStore    *store,
             const char   *sql,
             LeapPgParams *params,
             const char   *hold_id,
             const char   *owner,
             const char   *order_id,
             gint64        now_ms,
             GError      **error)
{
  g_autoptr(PGresult) result = _leap_store_pg_query (LEAP_STORE_PG (store), sql, params, error);

  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_changes (result) == 1)
    return TRUE;
  return _leap_store_db_hold_refusal (store, hold_id, owner, order_id, now_ms, error);
}

static gboolean
db_hold_end (LeapStore  *store,
             const char *hold_id,
             const char *owner,
             const char *status,
             gint64      now_ms,
             GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, hold_id);
  _leap_pg_params_text (params, owner);
  _leap_pg_params_text (params, status);
  _leap_pg_params_int (params, now_ms / 1000);
  /* With an owner (a client's request), only a hold of the outage that is
   * still open, kept open until this is done: one made in an earlier
   * outage belongs to Redis now. */
  return hold_update (store,
                      "UPDATE holds SET status = $3, updated_at = $4::bigint "
                      "WHERE id = $1 AND ($2::text IS NULL OR session_hash = $2::text) "
                      "AND status = 'held' AND expires_at > $4::bigint "
                      "AND ($2::text IS NULL OR outage_ms = "
                      "     (SELECT since_ms FROM redis_outage FOR SHARE))",
                      params, hold_id, owner, NULL, now_ms, error);
}

static gboolean
db_hold_checkout (LeapStore  *store,
                  const char *hold_id,
                  const char *owner,
                  const char *order_id,
                  const char *message,
                  gint64      now_ms,
                  GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, hold_id);
  _leap_pg_params_text (params, owner);
  _leap_pg_params_int (params, now_ms / 1000);
  _leap_pg_params_text (params, order_id);
  _leap_pg_params_text (params, message);
  /* One statement: the hold checks out and its order goes into the outbox
   * together, only during the outage the hold was made in, which stays
   * open until both are in (the outbox is emptied when it ends). */
  return hold_update (store,
                      "WITH h AS (UPDATE holds SET status = 'checking_out', "
                      "updated_at = $3::bigint WHERE id = $1 AND session_hash = $2 "
                      "AND status = 'held' AND expires_at > $3::bigint "
                      "AND outage_ms = (SELECT since_ms FROM redis_outage FOR SHARE) "
                      "RETURNING id, event_id) "
                      "INSERT INTO checkout_outbox (order_id, hold_id, event_id, message, "
                      "created_at) SELECT $4, id, event_id, $5, $3::bigint FROM h",
                      params, hold_id, owner, order_id, now_ms, error);
}

static gint64
db_holds_expire (LeapStore *store,
                 gint64     now_ms,
                 GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_int (params, now_ms / 1000);
  result = _leap_store_pg_query (self,
                                 "UPDATE holds SET status = 'expired', updated_at = $1::bigint "
                                 "WHERE status = 'held' AND expires_at <= $1::bigint",
                                 params, error);
  if (result == NULL)
    return -1;
  return _leap_store_pg_changes (result);
}

static gboolean
outbox_mark_sent (LeapStore  *store,
                  const char *order_id,
                  gint64      now_ms,
                  GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_int (params, now_ms / 1000);
  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_exec (LEAP_STORE_PG (store),
                              "UPDATE checkout_outbox SET sent_at = $1::bigint "
                              "WHERE order_id = $2 AND sent_at IS NULL",
                              params, error);
}

static gint64
outage_since (LeapStore  *store,
              GError    **error)
{
  return MAX (outage_since_in (LEAP_STORE_PG (store), FALSE, error), 0);
}

void
_leap_store_pg_outage_class_init (LeapStoreClass *klass)
{
  klass->outage_open = outage_open;
  klass->outage_close = outage_close;
  klass->outage_lower = outage_lower;
  klass->outage_since = outage_since;
  klass->db_hold_create = db_hold_create;
  klass->db_hold_get = db_hold_get;
  klass->db_hold_end = db_hold_end;
  klass->db_hold_checkout = db_hold_checkout;
  klass->db_holds_expire = db_holds_expire;
  klass->outbox_mark_sent = outbox_mark_sent;
}
