/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: refunds, and the refunded tickets given back to sale. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* The refunds of an order and their sum, added to the order as the API
 * shows it. */
gboolean
_leap_store_sqlite_add_refunds (LeapStoreSqlite *self,
                                JsonObject      *order,
                                const char      *order_id,
                                GError         **error)
{
  g_autoptr(JsonArray) rows = NULL;
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "SELECT id AS refund_id, seq, amount, currency, method, "
                                           "items, reason, user_id, created_at, returned_at, "
                                           "status FROM refunds WHERE order_id = ? ORDER BY seq",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((rows = _leap_store_sqlite_collect_rows (self, stmt, error)) == NULL)
    return FALSE;
  leap_store_add_refund_rows (order, rows);
  return TRUE;
}

static gint64
query_int (LeapStoreSqlite *self,
           sqlite3_stmt    *stmt,
           gint64           fallback,
           GError         **error)
{
  gint64 value = fallback;
  int rc = sqlite3_step (stmt);

  if (rc == SQLITE_ROW)
    value = sqlite3_column_int64 (stmt, 0);
  else if (rc != SQLITE_DONE)
    {
      sqlite3_reset (stmt);
      _leap_store_sqlite_set_error (self, rc, error);
      return G_MININT64;
    }
  sqlite3_reset (stmt);
  return value;
}

static JsonObject *
refund_in (LeapStoreSqlite *self,
           JsonObject      *refund,
           gint64           now,
           GError         **error)
{
  const char *order_id = leap_json_get_string (refund, "order_id", "");
  g_autofree char *provider_key = NULL;
  gint64 seq;
  gint64 user_id = leap_json_get_int (refund, "user_id", 0);
  gint64 amount = leap_json_get_int (refund, "amount", 0);
  gboolean include_checked_in =
    json_object_get_boolean_member_with_default (refund, "include_checked_in", FALSE);
  JsonArray *lines = json_object_get_array_member (refund, "lines");
  g_autoptr(GArray) tickets = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GString) items = g_string_new (NULL);
  g_autoptr(JsonObject) head = NULL;
  g_autofree char *details = NULL;
  JsonObject *order;
  sqlite3_stmt *stmt;
  gint64 event_id, refund_id, last;

  stmt = _leap_store_sqlite_prepare (self, "SELECT status, event_id FROM orders WHERE id = ?",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((head = _leap_store_sqlite_collect_one (self, stmt, TRUE, "order", error)) == NULL)
    return NULL;
  if (!g_str_equal (leap_json_get_string (head, "status", ""), "paid"))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                   "This order is %s and cannot be refunded",
                   leap_json_get_string (head, "status", "?"));
      return NULL;
    }
  event_id = leap_json_get_int (head, "event_id", 0);

  stmt = _leap_store_sqlite_prepare (self, "SELECT coalesce (max (seq), 0) FROM refunds "
                                           "WHERE order_id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((last = query_int (self, stmt, 0, error)) == G_MININT64)
    return NULL;
  /* Numbered here, in the transaction: concurrent refunds of one order
   * take their turns, each checking the tickets the others left. */
  seq = last + 1;
  provider_key = g_strdup_printf ("%s:r%" G_GINT64_FORMAT, order_id, seq);

  /* Tickets not checked in go first: a box office refunds the seats that
   * are still empty; checked-in ones only when asked for. */
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 tier_id = leap_json_get_int (line, "tier_id", 0);
      gint64 quantity = leap_json_get_int (line, "quantity", 0);
      gint64 found = 0;
      int rc;

      stmt = _leap_store_sqlite_prepare (self, "SELECT id FROM tickets WHERE order_id = ?1 "
                                               "AND tier_id = ?2 AND status = 'valid' AND (?3 "
                                               "OR checked_in_at IS NULL) ORDER BY checked_in_at "
                                               "IS NOT NULL, id DESC LIMIT ?4", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, tier_id);
      sqlite3_bind_int (stmt, 3, include_checked_in ? 1 : 0);
      sqlite3_bind_int64 (stmt, 4, quantity);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);

          g_array_append_val (tickets, id);
          found++;
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        {
          _leap_store_sqlite_set_error (self, rc, error);
          return NULL;
        }
      if (found < quantity)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Only %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                       " can be refunded",
                       found, tier_id);
          return NULL;
        }
      g_string_append_printf (items, "%s%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                              items->len ? "," : "", tier_id, quantity);
    }
  if (tickets->len == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "Nothing left to refund");
      return NULL;
    }

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO refunds (order_id, seq, event_id, user_id, "
                                           "amount, currency, method, provider_key, items, reason, "
                                           "created_at, status) "
                                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending')",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, seq);
  sqlite3_bind_int64 (stmt, 3, event_id);
  if (user_id > 0)
    sqlite3_bind_int64 (stmt, 4, user_id);
  sqlite3_bind_int64 (stmt, 5, amount);
  sqlite3_bind_text (stmt, 6, leap_json_get_string (refund, "currency", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 7, leap_json_get_string (refund, "method", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 8, provider_key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 9, items->str, -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 10, leap_json_get_string (refund, "reason", NULL));
  sqlite3_bind_int64 (stmt, 11, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return NULL;
  refund_id = sqlite3_last_insert_rowid (self->db);

  for (guint i = 0; i < tickets->len; i++)
    {
      stmt = _leap_store_sqlite_prepare (self, "UPDATE tickets SET status = 'voided', refund_id = "
                                               "? WHERE id = ? AND status = 'valid'", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, refund_id);
      sqlite3_bind_int64 (stmt, 2, g_array_index (tickets, gint64, i));
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return NULL;
    }

  details = leap_store_refund_details (refund, refund_id, seq, items->str, tickets->len);
  if (!_leap_store_sqlite_audit (self, now, user_id, "refund", "order", order_id, details, error))
    return NULL;
  if ((order = _leap_store_sqlite_get_order_in (self, order_id, error)) == NULL)
    return NULL;
  return leap_store_refund_begun (refund_id, seq, provider_key, event_id, items->str, order);
}

/* The provider paid a pending refund back: its payment row (keyed by the
 * refund's provider key, so once), the refund done, and the order
 * refunded once no ticket of it is left. */
static JsonObject *
complete_refund_in (LeapStoreSqlite *self,
                    gint64           refund_id,
                    const char      *provider_ref,
                    gint64           now,
                    GError         **error)
{
  g_autoptr(JsonObject) refund = NULL;
  g_autoptr(JsonObject) answer = json_object_new ();
  const char *order_id;
  JsonObject *order;
  sqlite3_stmt *stmt;
  gint64 remaining;

  stmt = _leap_store_sqlite_prepare (self, "SELECT order_id, event_id, amount, currency, method, "
                                           "provider_key, items, status FROM refunds "
                                           "WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, refund_id);
  if ((refund = _leap_store_sqlite_collect_one (self, stmt, TRUE, "refund", error)) == NULL)
    return NULL;
  order_id = leap_json_get_string (refund, "order_id", "");
  if (g_str_equal (leap_json_get_string (refund, "status", ""), "pending"))
    {
      stmt = _leap_store_sqlite_prepare (self, "UPDATE refunds SET status = 'done', "
                                               "provider_ref = ? WHERE id = ?", error);
      if (stmt == NULL)
        return NULL;
      _leap_store_sqlite_bind_text_or_null (stmt, 1, provider_ref);
      sqlite3_bind_int64 (stmt, 2, refund_id);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return NULL;

      /* The money going back, next to the money that came in. */
      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO payments (order_id, method, status, "
                                               "amount, currency, provider_ref, "
                                               "idempotency_key, created_at) "
                                               "VALUES (?, ?, 'refunded', ?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, leap_json_get_string (refund, "method", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, -leap_json_get_int (refund, "amount", 0));
      sqlite3_bind_text (stmt, 4, leap_json_get_string (refund, "currency", ""), -1,
                         SQLITE_TRANSIENT);
      _leap_store_sqlite_bind_text_or_null (stmt, 5, provider_ref);
      _leap_store_sqlite_bind_text_or_null (stmt, 6,
                                            leap_json_get_string (refund, "provider_key", NULL));
      sqlite3_bind_int64 (stmt, 7, now);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return NULL;

      stmt = _leap_store_sqlite_prepare (self, "SELECT count(*) FROM tickets WHERE order_id = ? "
                                               "AND status = 'valid'", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
      if ((remaining = query_int (self, stmt, 0, error)) == G_MININT64)
        return NULL;
      stmt = _leap_store_sqlite_prepare (self, "UPDATE orders SET status = CASE WHEN ?1 = 0 AND "
                                               "NOT EXISTS (SELECT 1 FROM refunds WHERE "
                                               "order_id = ?3 AND status = 'pending') "
                                               "THEN 'refunded' ELSE status END, updated_at = ?2 "
                                               "WHERE id = ?3", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_int64 (stmt, 1, remaining);
      sqlite3_bind_int64 (stmt, 2, now);
      sqlite3_bind_text (stmt, 3, order_id, -1, SQLITE_TRANSIENT);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return NULL;
    }

  if ((order = _leap_store_sqlite_get_order_in (self, order_id, error)) == NULL)
    return NULL;
  json_object_set_int_member (answer, "refund_id", refund_id);
  json_object_set_int_member (answer, "event_id", leap_json_get_int (refund, "event_id", 0));
  json_object_set_string_member (answer, "items", leap_json_get_string (refund, "items", ""));
  json_object_set_object_member (answer, "order", order);
  return g_steal_pointer (&answer);
}

JsonObject *
_leap_store_sqlite_complete_refund (LeapStore  *store,
                                    gint64      refund_id,
                                    const char *provider_ref,
                                    GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(JsonObject) answer = NULL;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  answer = complete_refund_in (self, refund_id, provider_ref,
                               g_get_real_time () / G_USEC_PER_SEC, error);
  if (answer == NULL || !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

JsonArray *
_leap_store_sqlite_list_unfinished_refunds (LeapStore *store,
                                            GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (
      self, "SELECT r.id AS refund_id, r.order_id, r.provider_key AS refund_key, r.amount, "
            "r.currency, r.method, (SELECT p.provider_ref FROM payments p "
            "WHERE p.order_id = r.order_id AND p.status = 'approved' ORDER BY p.id LIMIT 1) "
            "AS charge_ref FROM refunds r WHERE r.status = 'pending' ORDER BY r.id LIMIT 1000",
      error);

  if (stmt == NULL)
    return NULL;
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

JsonObject *
_leap_store_sqlite_begin_refund (LeapStore  *store,
                                 JsonObject *refund,
                                 GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(JsonObject) answer = NULL;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  answer = refund_in (self, refund, g_get_real_time () / G_USEC_PER_SEC, error);
  if (answer == NULL || !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

JsonArray *
_leap_store_sqlite_list_pending_returns (LeapStore *store,
                                         GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT id AS refund_id, event_id, items "
                                                   "FROM refunds WHERE returned_at IS NULL "
                                                   "AND status = 'done' ORDER BY id LIMIT 1000",
                                                   error);

  if (stmt == NULL)
    return NULL;
  return _leap_store_sqlite_collect_rows (self, stmt, error);
}

static gboolean
mark_returned_in (LeapStoreSqlite *self,
                  gint64           refund_id,
                  gint64           now,
                  GError         **error)
{
  g_autoptr(JsonObject) refund = NULL;
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(GError) local_error = NULL;
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "SELECT event_id, items FROM refunds WHERE id = ? "
                                           "AND returned_at IS NULL", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, refund_id);
  refund = _leap_store_sqlite_collect_one (self, stmt, TRUE, "refund", &local_error);
  if (refund == NULL)
    {
      /* Returned already: nothing to do. */
      if (g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  stmt = _leap_store_sqlite_prepare (self, "UPDATE refunds SET returned_at = ? WHERE id = ?",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, now);
  sqlite3_bind_int64 (stmt, 2, refund_id);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return FALSE;
  lines = leap_store_items_to_lines (leap_json_get_string (refund, "items", ""));
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      stmt = _leap_store_sqlite_prepare (self, "UPDATE tiers SET sold = max (sold - ?, 0), "
                                               "updated_at = ? WHERE id = ? AND event_id = ?",
                                         error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, leap_json_get_int (line, "quantity", 0));
      sqlite3_bind_int64 (stmt, 2, now);
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (line, "tier_id", 0));
      sqlite3_bind_int64 (stmt, 4, leap_json_get_int (refund, "event_id", 0));
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
_leap_store_sqlite_mark_returned (LeapStore *store,
                                  gint64     refund_id,
                                  GError   **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);

  if (!_leap_store_sqlite_begin (self, error))
    return FALSE;
  if (!mark_returned_in (self, refund_id, g_get_real_time () / G_USEC_PER_SEC, error) ||
      !_leap_store_sqlite_commit (self, error))
    {
      _leap_store_sqlite_rollback (self);
      return FALSE;
    }
  return TRUE;
}
