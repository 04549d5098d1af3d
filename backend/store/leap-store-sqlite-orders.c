/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: orders as the workers write them, and the orders Redis
 * accepted that no worker has written yet. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-order-code.h"

/* Tries before a code is given up on: with 31⁷ codes, a second is rare. */
#define CODE_ATTEMPTS 16

/* Gives @order_id its short code, in the caller's transaction, unless it
 * has one: the first candidate not taken by another order. */
static gboolean
assign_code (LeapStoreSqlite *self,
             const char      *order_id,
             GError         **error)
{
  for (guint attempt = 0; attempt < CODE_ATTEMPTS; attempt++)
    {
      g_autofree char *code = leap_order_code_candidate (order_id, attempt);
      sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                       "INSERT INTO order_codes (order_id, code) "
                                                       "VALUES (?, ?) "
                                                       "ON CONFLICT (order_id) DO NOTHING",
                                                       error);
      int rc;

      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, code, -1, SQLITE_TRANSIENT);
      rc = sqlite3_step (stmt);
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        return TRUE;
      /* Only the code can clash here: another order has it. */
      if ((rc & 0xff) != SQLITE_CONSTRAINT)
        return _leap_store_sqlite_set_error (self, rc, error);
    }
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "No free short code for order %s",
               order_id);
  return FALSE;
}

JsonObject *
_leap_store_sqlite_get_order_in (LeapStoreSqlite *self,
                                 const char      *order_id,
                                 GError         **error)
{
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(JsonArray) payments = NULL;
  JsonArray *tickets;
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "SELECT id AS order_id, c.code, hold_id, event_id, "
                                           "status, total, currency, customer_name, "
                                           "customer_email, owner, reason, user_id, created_at, "
                                           "updated_at FROM orders "
                                           "LEFT JOIN order_codes c ON c.order_id = orders.id "
                                           "WHERE id = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  order = _leap_store_sqlite_collect_one (self, stmt, FALSE, "order", error);
  if (order == NULL)
    return NULL;

  stmt = _leap_store_sqlite_prepare (self, "SELECT tier_id, quantity, unit_price, currency "
                                           "FROM order_lines WHERE order_id = ? ORDER BY id",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((lines = _leap_store_sqlite_collect_rows (self, stmt, error)) == NULL)
    return NULL;

  stmt = _leap_store_sqlite_prepare (self, "SELECT method, status, amount, currency, tendered, "
                                           "change_given AS change, provider_ref, created_at "
                                           "FROM payments WHERE order_id = ? "
                                           "AND status <> 'refunded' ORDER BY id DESC LIMIT 1",
                                     error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((payments = _leap_store_sqlite_collect_rows (self, stmt, error)) == NULL)
    return NULL;

  stmt = _leap_store_sqlite_prepare (self, "SELECT code, tier_id, status, checked_in_at "
                                           "FROM tickets WHERE order_id = ? ORDER BY id", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  if ((tickets = _leap_store_sqlite_collect_rows (self, stmt, error)) == NULL)
    return NULL;
  leap_store_shape_order (order, g_steal_pointer (&lines), payments, tickets);
  if (!_leap_store_sqlite_add_refunds (self, order, order_id, error))
    return NULL;
  return g_steal_pointer (&order);
}

JsonObject *
_leap_store_sqlite_get_order (LeapStore  *store,
                              const char *order_id,
                              GError    **error)
{
  return _leap_store_sqlite_get_order_in (LEAP_STORE_SQLITE (store), order_id, error);
}

/* The intent of a checkout, before any money moves: the order and its
 * lines as 'pending', and its payment attempt as 'pending' under the
 * provider's idempotency key (the order id). */
static gboolean
insert_intent (LeapStoreSqlite *self,
               JsonObject      *order,
               gint64           now,
               GError         **error)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  JsonObject *payment = json_object_has_member (order, "payment")
                        ? json_object_get_object_member (order, "payment") : NULL;
  JsonArray *lines = json_object_get_array_member (order, "lines");
  gint64 user_id = leap_json_get_int (order, "user_id", 0);
  const char *method = leap_json_get_string (order, "method", NULL);
  sqlite3_stmt *stmt;

  if (payment != NULL)
    method = leap_json_get_string (payment, "method", method);
  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO orders (id, hold_id, event_id, user_id, "
                                           "status, total, currency, customer_name, "
                                           "customer_email, owner, created_at, updated_at) "
                                           "VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?)",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 2, leap_json_get_string (order, "hold_id", NULL));
  sqlite3_bind_int64 (stmt, 3, leap_json_get_int (order, "event_id", 0));
  if (user_id > 0)
    sqlite3_bind_int64 (stmt, 4, user_id);
  sqlite3_bind_int64 (stmt, 5, leap_json_get_int (order, "total", 0));
  sqlite3_bind_text (stmt, 6, leap_json_get_string (order, "currency", ""), -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 7,
                                        leap_json_get_string (order, "customer_name", NULL));
  _leap_store_sqlite_bind_text_or_null (stmt, 8,
                                        leap_json_get_string (order, "customer_email", NULL));
  _leap_store_sqlite_bind_text_or_null (stmt, 9, leap_json_get_string (order, "owner", NULL));
  sqlite3_bind_int64 (stmt, 10, now);
  sqlite3_bind_int64 (stmt, 11, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error) || !assign_code (self, id, error))
    return FALSE;

  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO order_lines (order_id, tier_id, "
                                               "quantity, unit_price, currency) "
                                               "VALUES (?, ?, ?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, leap_json_get_int (line, "tier_id", 0));
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (line, "quantity", 0));
      sqlite3_bind_int64 (stmt, 4, leap_json_get_int (line, "unit_price", 0));
      sqlite3_bind_text (stmt, 5, leap_json_get_string (line, "currency", ""), -1,
                         SQLITE_TRANSIENT);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
    }

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO payments (order_id, method, status, "
                                           "amount, currency, idempotency_key, created_at) "
                                           "VALUES (?1, ?2, 'pending', ?3, ?4, ?1, ?5)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, method != NULL ? method : "", -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, leap_json_get_int (order, "total", 0));
  sqlite3_bind_text (stmt, 4, leap_json_get_string (order, "currency", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 5, now);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

/* The provider's answer on a pending intent: the order paid (its tickets,
 * the tiers' sold counts) or failed, and its payment attempt with the
 * answer. */
static gboolean
complete_order (LeapStoreSqlite *self,
                JsonObject      *order,
                gint64           now,
                GError         **error)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  gboolean paid = g_str_equal (leap_json_get_string (order, "status", ""), "paid");
  JsonObject *payment = json_object_has_member (order, "payment")
                        ? json_object_get_object_member (order, "payment") : NULL;
  JsonArray *lines = json_object_get_array_member (order, "lines");
  JsonArray *tickets = json_object_has_member (order, "tickets")
                       ? json_object_get_array_member (order, "tickets") : NULL;
  gint64 user_id = leap_json_get_int (order, "user_id", 0);
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "UPDATE orders SET status = ?, reason = ?, "
                                           "updated_at = ? WHERE id = ? AND status = 'pending'",
                                     error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, leap_json_get_string (order, "status", ""), -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 2, leap_json_get_string (order, "reason", NULL));
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_text (stmt, 4, id, -1, SQLITE_TRANSIENT);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return FALSE;

  for (guint i = 0; paid && lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 tier_id = leap_json_get_int (line, "tier_id", 0);

      /* The database's count of sold tickets moves with the tickets. */
      stmt = _leap_store_sqlite_prepare (self, "UPDATE tiers SET sold = sold + ?, updated_at = ? "
                                               "WHERE id = ? AND event_id = ?", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_int64 (stmt, 1, leap_json_get_int (line, "quantity", 0));
      sqlite3_bind_int64 (stmt, 2, now);
      sqlite3_bind_int64 (stmt, 3, tier_id);
      sqlite3_bind_int64 (stmt, 4, leap_json_get_int (order, "event_id", 0));
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
      if (sqlite3_changes (self->db) != 1)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                       "Order %s names tier %" G_GINT64_FORMAT " that is not of its event",
                       id, tier_id);
          return FALSE;
        }
    }

  for (guint i = 0; paid && tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);

      stmt = _leap_store_sqlite_prepare (self, "INSERT INTO tickets (order_id, tier_id, code, "
                                               "created_at) VALUES (?, ?, ?, ?)", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 2, leap_json_get_int (ticket, "tier_id", 0));
      sqlite3_bind_text (stmt, 3, leap_json_get_string (ticket, "code", ""), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 4, now);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
    }

  if (payment != NULL)
    {
      stmt = _leap_store_sqlite_prepare (self, "UPDATE payments SET method = ?, status = ?, "
                                               "amount = ?, currency = ?, tendered = ?, "
                                               "change_given = ?, provider_ref = ? "
                                               "WHERE idempotency_key = ? "
                                               "AND status = 'pending'", error);
      if (stmt == NULL)
        return FALSE;
      sqlite3_bind_text (stmt, 1, leap_json_get_string (payment, "method", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, leap_json_get_string (payment, "status", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (payment, "amount", 0));
      sqlite3_bind_text (stmt, 4, leap_json_get_string (payment, "currency", ""), -1,
                         SQLITE_TRANSIENT);
      if (json_object_has_member (payment, "tendered") &&
          !json_object_get_null_member (payment, "tendered"))
        sqlite3_bind_int64 (stmt, 5, leap_json_get_int (payment, "tendered", 0));
      if (json_object_has_member (payment, "change") &&
          !json_object_get_null_member (payment, "change"))
        sqlite3_bind_int64 (stmt, 6, leap_json_get_int (payment, "change", 0));
      _leap_store_sqlite_bind_text_or_null (stmt, 7,
                                            leap_json_get_string (payment, "provider_ref", NULL));
      sqlite3_bind_text (stmt, 8, id, -1, SQLITE_TRANSIENT);
      if (!_leap_store_sqlite_step_done (self, stmt, error))
        return FALSE;
    }

  return _leap_store_sqlite_audit (self, now, user_id, "checkout", "order", id,
                                   leap_json_get_string (order, "status", ""), error);
}

/* {"order_id", "status"} of a stored order: all a writer needs back. */
static JsonObject *
order_status_in (LeapStoreSqlite *self,
                 const char      *id,
                 GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT status FROM orders WHERE id = ?", error);
  JsonObject *result;
  int rc;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No order %s", id);
      else
        _leap_store_sqlite_set_error (self, rc, error);
      sqlite3_reset (stmt);
      return NULL;
    }
  result = json_object_new ();
  json_object_set_string_member (result, "order_id", id);
  json_object_set_string_member (result, "status", (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  return result;
}

static gboolean
forget_accepted (LeapStoreSqlite *self,
                 const char      *order_id,
                 GError         **error)
{
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "DELETE FROM accepted_orders WHERE order_id = ?",
                                                   error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

/* One order of a batch: written whole, or completed from its intent. */
static JsonObject *
write_one (LeapStoreSqlite *self,
           JsonObject      *order,
           gint64           now,
           GError         **error)
{
  const char *id = leap_json_get_string (order, "order_id", NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) stored = NULL;

  if (id == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID, "An order without order_id");
      return NULL;
    }
  /* Keyed by the order id, inside the write transaction: two workers
   * delivering the same message cannot both insert it. */
  stored = order_status_in (self, id, &local_error);
  if (stored == NULL && g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      /* No intent (a writer that did not record one): written whole. */
      g_clear_error (&local_error);
      if (insert_intent (self, order, now, &local_error))
        stored = order_status_in (self, id, &local_error);
    }
  if (stored != NULL && g_str_equal (leap_json_get_string (stored, "status", ""), "pending"))
    {
      g_clear_pointer (&stored, json_object_unref);
      if (complete_order (self, order, now, &local_error))
        stored = order_status_in (self, id, &local_error);
    }
  /* Written: no longer one to queue again after a Redis lost its data. */
  if (stored == NULL || !forget_accepted (self, id, &local_error))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return g_steal_pointer (&stored);
}

JsonArray *
_leap_store_sqlite_write_orders (LeapStore  *store,
                                 JsonArray  *orders,
                                 GError    **error)
{
  return _leap_store_sqlite_batch (LEAP_STORE_SQLITE (store), orders, write_one, error);
}

/* One intent of a batch: the order as it is, or inserted pending. */
static JsonObject *
begin_one (LeapStoreSqlite *self,
           JsonObject      *order,
           gint64           now,
           GError         **error)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  g_autoptr(GError) local_error = NULL;
  JsonObject *stored;

  stored = order_status_in (self, id, &local_error);
  if (stored == NULL && g_error_matches (local_error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    {
      g_clear_error (&local_error);
      if (insert_intent (self, order, now, &local_error))
        stored = order_status_in (self, id, &local_error);
    }
  if (stored == NULL)
    g_propagate_error (error, g_steal_pointer (&local_error));
  return stored;
}

JsonArray *
_leap_store_sqlite_begin_orders (LeapStore  *store,
                                 JsonArray  *orders,
                                 GError    **error)
{
  return _leap_store_sqlite_batch (LEAP_STORE_SQLITE (store), orders, begin_one, error);
}

gboolean
_leap_store_sqlite_void_order (LeapStore  *store,
                               const char *order_id,
                               const char *reason,
                               GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  sqlite3_stmt *stmt;

  if (!_leap_store_sqlite_begin (self, error))
    return FALSE;
  stmt = _leap_store_sqlite_prepare (self, "UPDATE orders SET status = 'failed', reason = ?, "
                                           "updated_at = ? WHERE id = ? AND status = 'pending'",
                                     error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, reason, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, now);
  sqlite3_bind_text (stmt, 3, order_id, -1, SQLITE_TRANSIENT);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    goto fail;
  if (sqlite3_changes (self->db) == 1)
    {
      stmt = _leap_store_sqlite_prepare (self, "UPDATE payments SET status = 'voided' "
                                               "WHERE idempotency_key = ?", error);
      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
      if (!_leap_store_sqlite_step_done (self, stmt, error) ||
          !forget_accepted (self, order_id, error) ||
          !_leap_store_sqlite_audit (self, now, 0, "void", "order", order_id, reason, error))
        goto fail;
    }
  if (_leap_store_sqlite_commit (self, error))
    return TRUE;

fail:
  _leap_store_sqlite_rollback (self);
  return FALSE;
}

gboolean
_leap_store_sqlite_set_order_status (LeapStore  *store,
                                     const char *order_id,
                                     const char *status,
                                     const char *reason,
                                     GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "UPDATE orders SET status = ?, reason = ?, "
                                                   "updated_at = ? WHERE id = ?", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, status, -1, SQLITE_TRANSIENT);
  _leap_store_sqlite_bind_text_or_null (stmt, 2, reason);
  sqlite3_bind_int64 (stmt, 3, g_get_real_time () / G_USEC_PER_SEC);
  sqlite3_bind_text (stmt, 4, order_id, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_step_done (self, stmt, error);
}

gboolean
_leap_store_sqlite_accept_orders (LeapStore  *store,
                                  JsonArray  *orders,
                                  GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);

  if (!_leap_store_sqlite_begin (self, error))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      /* A worker may have written the order already: then it stays out. */
      sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                       "INSERT OR IGNORE INTO accepted_orders "
                                                       "(order_id, hold_id, event_id, owner, "
                                                       "items, message, created_at) "
                                                       "SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 "
                                                       "WHERE NOT EXISTS (SELECT 1 FROM orders "
                                                       "WHERE id = ?1 AND status <> 'pending')",
                                                       error);

      if (stmt == NULL)
        goto fail;
      sqlite3_bind_text (stmt, 1, leap_json_get_string (order, "order_id", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, leap_json_get_string (order, "hold_id", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 3, leap_json_get_int (order, "event_id", 0));
      sqlite3_bind_text (stmt, 4, leap_json_get_string (order, "owner", ""), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 5, leap_json_get_string (order, "items", ""), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 6, leap_json_get_string (order, "message", ""), -1,
                         SQLITE_TRANSIENT);
      sqlite3_bind_int64 (stmt, 7, leap_json_get_int (order, "created_ms", 0) / 1000);
      if (!_leap_store_sqlite_step_done (self, stmt, error) ||
          !assign_code (self, leap_json_get_string (order, "order_id", ""), error))
        goto fail;
    }
  if (_leap_store_sqlite_commit (self, error))
    return TRUE;

fail:
  _leap_store_sqlite_rollback (self);
  return FALSE;
}

JsonObject *
_leap_store_sqlite_get_accepted_order (LeapStore  *store,
                                       const char *order_id,
                                       GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT order_id, hold_id, event_id, owner, "
                                                   "items FROM accepted_orders WHERE order_id = ?",
                                                   error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, order_id, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, "order", error);
}

JsonObject *
_leap_store_sqlite_find_order_code (LeapStore  *store,
                                    const char *key,
                                    GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  sqlite3_stmt *stmt = _leap_store_sqlite_prepare (self,
                                                   "SELECT order_id, code FROM order_codes "
                                                   "WHERE order_id = ?1 OR code = ?1", error);

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, "order", error);
}
