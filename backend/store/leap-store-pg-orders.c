/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: mirrors leap-store-sqlite-orders.c. Several workers write
 * at once here, unserialized: exactly once is keyed on the order id (the
 * intent is an INSERT … ON CONFLICT DO NOTHING, its completion an UPDATE
 * guarded by status = 'pending'), and sold is raised by an UPDATE guarded
 * by the capacity, which the CHECK backs. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-order-code.h"

/* Tries before a code is given up on: with 31⁷ codes, a second is rare. */
#define CODE_ATTEMPTS 16

/* Gives @order_id its short code, in the caller's transaction, unless it
 * has one: the first candidate from @attempt on not taken by another
 * order. */
static gboolean
assign_code (LeapStorePg *self,
             const char  *order_id,
             guint        attempt,
             GError     **error)
{
  for (; attempt < CODE_ATTEMPTS; attempt++)
    {
      g_autofree char *code = leap_order_code_candidate (order_id, attempt);
      g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
      g_autoptr(PGresult) result = NULL;

      _leap_pg_params_text (params, order_id);
      _leap_pg_params_text (params, code);
      /* Nothing inserted: the order has its code, or another order has
       * this one (then the next candidate). */
      result = _leap_store_pg_query (self, "WITH given AS (INSERT INTO order_codes (order_id, "
                                           "code) VALUES ($1, $2) ON CONFLICT DO NOTHING "
                                           "RETURNING 1) SELECT (EXISTS (SELECT 1 FROM given) OR "
                                           "EXISTS (SELECT 1 FROM order_codes "
                                           "WHERE order_id = $1))::int",
                                     params, error);
      if (result == NULL)
        return FALSE;
      if (_leap_store_pg_int (result, 0, 0) != 0)
        return TRUE;
    }
  g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "No free short code for order %s",
               order_id);
  return FALSE;
}

/* The rows of a query on one order id. */
static JsonArray *
rows_of (LeapStorePg *self,
         const char  *sql,
         const char  *order_id,
         GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_query_rows (self, sql, params, error);
}

JsonObject *
_leap_store_pg_get_order_in (LeapStorePg *self,
                             const char  *order_id,
                             GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonObject) order = NULL;
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(JsonArray) payments = NULL;
  JsonArray *tickets;

  _leap_pg_params_text (params, order_id);
  order = _leap_store_pg_query_one (self, "SELECT id AS order_id, c.code, hold_id, event_id, "
                                          "status, total, currency, customer_name, "
                                          "customer_email, owner, reason, user_id, created_at, "
                                          "updated_at FROM orders "
                                          "LEFT JOIN order_codes c ON c.order_id = orders.id "
                                          "WHERE id = $1", params, FALSE, "order", error);
  if (order == NULL)
    return NULL;
  lines = rows_of (self, "SELECT tier_id, quantity, unit_price, currency "
                         "FROM order_lines WHERE order_id = $1 ORDER BY id", order_id, error);
  if (lines == NULL)
    return NULL;
  payments = rows_of (self, "SELECT method, status, amount, currency, tendered, "
                            "change_given AS change, provider_ref, created_at "
                            "FROM payments WHERE order_id = $1 "
                            "AND status <> 'refunded' ORDER BY id DESC LIMIT 1", order_id, error);
  if (payments == NULL)
    return NULL;
  tickets = rows_of (self, "SELECT code, tier_id, status, checked_in_at "
                           "FROM tickets WHERE order_id = $1 ORDER BY id", order_id, error);
  if (tickets == NULL)
    return NULL;
  leap_store_shape_order (order, g_steal_pointer (&lines), payments, tickets);
  if (!_leap_store_pg_add_refunds (self, order, order_id, error))
    return NULL;
  return g_steal_pointer (&order);
}

static JsonObject *
get_order (LeapStore  *store,
           const char *order_id,
           GError    **error)
{
  return _leap_store_pg_get_order_in (LEAP_STORE_PG (store), order_id, error);
}

/* The order's lines, all in one statement. */
static gboolean
insert_lines (LeapStorePg *self,
              const char  *id,
              JsonArray   *lines,
              GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(GString) tiers = g_string_new ("{");
  g_autoptr(GString) quantities = g_string_new ("{");
  g_autoptr(GString) prices = g_string_new ("{");
  g_autoptr(GString) currencies = g_string_new ("{");

  if (lines == NULL || json_array_get_length (lines) == 0)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      _leap_pg_array_int (tiers, leap_json_get_int (line, "tier_id", 0));
      _leap_pg_array_int (quantities, leap_json_get_int (line, "quantity", 0));
      _leap_pg_array_int (prices, leap_json_get_int (line, "unit_price", 0));
      _leap_pg_array_text (currencies, leap_json_get_string (line, "currency", ""));
    }
  _leap_pg_params_text (params, id);
  _leap_pg_params_array (params, tiers);
  _leap_pg_params_array (params, quantities);
  _leap_pg_params_array (params, prices);
  _leap_pg_params_array (params, currencies);
  return _leap_store_pg_exec (self, "INSERT INTO order_lines (order_id, tier_id, quantity, "
                                    "unit_price, currency) SELECT $1::text, l.tier_id, "
                                    "l.quantity, l.unit_price, l.currency "
                                    "FROM unnest ($2::bigint[], $3::bigint[], $4::bigint[], "
                                    "$5::text[]) WITH ORDINALITY "
                                    "AS l (tier_id, quantity, unit_price, currency, n) "
                                    "ORDER BY l.n", params, error);
}

/* The intent of a checkout, before any money moves: the order and its
 * lines as 'pending', and its payment attempt as 'pending' under the
 * provider's idempotency key (the order id). Keyed by the order id: of
 * writers that race, one inserts it and the others wait for its commit
 * and find it. */
static gboolean
insert_intent (LeapStorePg *self,
               JsonObject  *order,
               gint64       now,
               GError     **error)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  JsonObject *payment = json_object_has_member (order, "payment")
                        ? json_object_get_object_member (order, "payment") : NULL;
  const char *method = leap_json_get_string (order, "method", NULL);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) pay = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  if (payment != NULL)
    method = leap_json_get_string (payment, "method", method);
  _leap_pg_params_text (params, id);
  _leap_pg_params_text (params, leap_json_get_string (order, "hold_id", NULL));
  _leap_pg_params_int (params, leap_json_get_int (order, "event_id", 0));
  _leap_pg_params_id (params, leap_json_get_int (order, "user_id", 0));
  _leap_pg_params_int (params, leap_json_get_int (order, "total", 0));
  _leap_pg_params_text (params, leap_json_get_string (order, "currency", ""));
  _leap_pg_params_text (params, leap_json_get_string (order, "customer_name", NULL));
  _leap_pg_params_text (params, leap_json_get_string (order, "customer_email", NULL));
  _leap_pg_params_text (params, leap_json_get_string (order, "owner", NULL));
  _leap_pg_params_int (params, now);
  result = _leap_store_pg_query (self, "INSERT INTO orders (id, hold_id, event_id, user_id, "
                                       "status, total, currency, customer_name, "
                                       "customer_email, owner, created_at, updated_at) "
                                       "VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, "
                                       "$10, $10) ON CONFLICT (id) DO NOTHING", params, error);
  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_changes (result) == 0)
    return TRUE;
  if (!assign_code (self, id, 0, error) ||
      !insert_lines (self, id, json_object_get_array_member (order, "lines"), error))
    return FALSE;

  _leap_pg_params_text (pay, id);
  _leap_pg_params_text (pay, method != NULL ? method : "");
  _leap_pg_params_int (pay, leap_json_get_int (order, "total", 0));
  _leap_pg_params_text (pay, leap_json_get_string (order, "currency", ""));
  _leap_pg_params_int (pay, now);
  return _leap_store_pg_exec (self, "INSERT INTO payments (order_id, method, status, amount, "
                                    "currency, idempotency_key, created_at) "
                                    "VALUES ($1, $2, 'pending', $3, $4, $1, $5)", pay, error);
}

/* Raises a tier's sold count by one line of a paid order, never past its
 * capacity: the guard decides under the row's lock, and the CHECK is
 * there should it not. */
static gboolean
raise_sold (LeapStorePg *self,
            const char  *id,
            gint64       event_id,
            JsonObject  *line,
            gint64       now,
            GError     **error)
{
  gint64 tier_id = leap_json_get_int (line, "tier_id", 0);
  gint64 quantity = leap_json_get_int (line, "quantity", 0);
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_int (params, quantity);
  _leap_pg_params_int (params, now);
  _leap_pg_params_int (params, tier_id);
  _leap_pg_params_int (params, event_id);
  result = _leap_store_pg_query (self, "WITH raised AS (UPDATE tiers SET sold = sold + $1, "
                                       "updated_at = $2 WHERE id = $3 AND event_id = $4 "
                                       "AND sold + $1 <= capacity RETURNING id) "
                                       "SELECT (SELECT count(*) FROM raised), "
                                       "(SELECT count(*) FROM tiers "
                                       "WHERE id = $3 AND event_id = $4)", params, error);
  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_int (result, 0, 0) == 1)
    return TRUE;
  if (_leap_store_pg_int (result, 0, 1) == 0)
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                 "Order %s names tier %" G_GINT64_FORMAT " that is not of its event",
                 id, tier_id);
  else
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                 "Order %s would sell tier %" G_GINT64_FORMAT " past its capacity", id, tier_id);
  return FALSE;
}

/* A paid order's tickets, all in one statement. */
static gboolean
insert_tickets (LeapStorePg *self,
                const char  *id,
                JsonArray   *tickets,
                gint64       now,
                GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(GString) tiers = g_string_new ("{");
  g_autoptr(GString) codes = g_string_new ("{");

  if (tickets == NULL || json_array_get_length (tickets) == 0)
    return TRUE;
  for (guint i = 0; i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);

      _leap_pg_array_int (tiers, leap_json_get_int (ticket, "tier_id", 0));
      _leap_pg_array_text (codes, leap_json_get_string (ticket, "code", ""));
    }
  _leap_pg_params_text (params, id);
  _leap_pg_params_int (params, now);
  _leap_pg_params_array (params, tiers);
  _leap_pg_params_array (params, codes);
  return _leap_store_pg_exec (self, "INSERT INTO tickets (order_id, tier_id, code, created_at) "
                                    "SELECT $1::text, t.tier_id, t.code, $2::bigint "
                                    "FROM unnest ($3::bigint[], $4::text[]) WITH ORDINALITY "
                                    "AS t (tier_id, code, n) ORDER BY t.n", params, error);
}

/* tendered and change: a number, or SQL NULL when absent or null. */
static void
params_int_or_null (LeapPgParams *params,
                    JsonObject   *object,
                    const char   *member)
{
  if (json_object_has_member (object, member) && !json_object_get_null_member (object, member))
    _leap_pg_params_int (params, leap_json_get_int (object, member, 0));
  else
    _leap_pg_params_text (params, NULL);
}

static gboolean
update_payment (LeapStorePg *self,
                const char  *id,
                JsonObject  *payment,
                GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, leap_json_get_string (payment, "method", ""));
  _leap_pg_params_text (params, leap_json_get_string (payment, "status", ""));
  _leap_pg_params_int (params, leap_json_get_int (payment, "amount", 0));
  _leap_pg_params_text (params, leap_json_get_string (payment, "currency", ""));
  params_int_or_null (params, payment, "tendered");
  params_int_or_null (params, payment, "change");
  _leap_pg_params_text (params, leap_json_get_string (payment, "provider_ref", NULL));
  _leap_pg_params_text (params, id);
  return _leap_store_pg_exec (self, "UPDATE payments SET method = $1, status = $2, amount = $3, "
                                    "currency = $4, tendered = $5, change_given = $6, "
                                    "provider_ref = $7 WHERE idempotency_key = $8 "
                                    "AND status = 'pending'", params, error);
}

/* The provider's answer on a pending intent: the order paid (its tickets,
 * the tiers' sold counts) or failed, and its payment attempt with the
 * answer. Only the writer whose guarded UPDATE moves the order out of
 * 'pending' does the rest; another finds it done. */
static gboolean
complete_order (LeapStorePg *self,
                JsonObject  *order,
                gint64       now,
                GError     **error)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  const char *status = leap_json_get_string (order, "status", "");
  gboolean paid = g_str_equal (status, "paid");
  JsonObject *payment = json_object_has_member (order, "payment")
                        ? json_object_get_object_member (order, "payment") : NULL;
  JsonArray *lines = json_object_get_array_member (order, "lines");
  JsonArray *tickets = json_object_has_member (order, "tickets")
                       ? json_object_get_array_member (order, "tickets") : NULL;
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, status);
  _leap_pg_params_text (params, leap_json_get_string (order, "reason", NULL));
  _leap_pg_params_int (params, now);
  _leap_pg_params_text (params, id);
  result = _leap_store_pg_query (self, "UPDATE orders SET status = $1, reason = $2, "
                                       "updated_at = $3 WHERE id = $4 AND status = 'pending'",
                                 params, error);
  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_changes (result) == 0)
    return TRUE;

  /* The database's count of sold tickets moves with the tickets. */
  for (guint i = 0; paid && lines != NULL && i < json_array_get_length (lines); i++)
    if (!raise_sold (self, id, leap_json_get_int (order, "event_id", 0),
                     json_array_get_object_element (lines, i), now, error))
      return FALSE;
  if (paid && !insert_tickets (self, id, tickets, now, error))
    return FALSE;
  if (payment != NULL && !update_payment (self, id, payment, error))
    return FALSE;
  return _leap_store_pg_audit (self, now, leap_json_get_int (order, "user_id", 0), "checkout",
                               "order", id, status, error);
}

/* {"order_id", "status"} of a stored order: all a writer needs back. */
static JsonObject *
order_status_in (LeapStorePg *self,
                 const char  *id,
                 GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, id);
  return _leap_store_pg_query_one (self, "SELECT id AS order_id, status FROM orders "
                                         "WHERE id = $1", params, TRUE, "order", error);
}

static gboolean
forget_accepted (LeapStorePg *self,
                 const char  *order_id,
                 GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_exec (self, "DELETE FROM accepted_orders WHERE order_id = $1", params,
                              error);
}

/* One order of a batch: written whole, or completed from its intent. */
static JsonObject *
write_one (LeapStorePg *self,
           JsonObject  *order,
           gint64       now,
           GError     **error)
{
  const char *id = leap_json_get_string (order, "order_id", NULL);

  if (id == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID, "An order without order_id");
      return NULL;
    }
  /* No intent (a writer that did not record one): written whole. Written:
   * no longer one to queue again after a Redis lost its data. */
  if (!insert_intent (self, order, now, error) || !complete_order (self, order, now, error) ||
      !forget_accepted (self, id, error))
    return NULL;
  return order_status_in (self, id, error);
}

/* Each paid order raises its tiers' sold, and holds their rows until the
 * batch commits: the batch takes them all first, by id, or two batches
 * that meet the same tiers in other orders would deadlock. NO KEY: the
 * foreign-key checks of other writers' lines and tickets (KEY SHARE) do
 * not wait for it. */
static JsonArray *
write_orders (LeapStore  *store,
              JsonArray  *orders,
              GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(GString) tiers = g_string_new ("{");

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      JsonArray *lines = json_object_get_array_member (order, "lines");

      if (!g_str_equal (leap_json_get_string (order, "status", ""), "paid"))
        continue;
      for (guint j = 0; lines != NULL && j < json_array_get_length (lines); j++)
        _leap_pg_array_int (tiers, leap_json_get_int (json_array_get_object_element (lines, j),
                                                      "tier_id", 0));
    }
  _leap_pg_params_array (params, tiers);
  return _leap_store_pg_batch_set (LEAP_STORE_PG (store), "SELECT id FROM tiers "
                                                          "WHERE id = ANY ($1::bigint[]) "
                                                          "ORDER BY id FOR NO KEY UPDATE",
                                   params, orders, _leap_store_pg_write_set, write_one, error);
}

/* One intent of a batch: the order as it is, or inserted pending. */
static JsonObject *
begin_one (LeapStorePg *self,
           JsonObject  *order,
           gint64       now,
           GError     **error)
{
  if (!insert_intent (self, order, now, error))
    return NULL;
  return order_status_in (self, leap_json_get_string (order, "order_id", ""), error);
}

static JsonArray *
begin_orders (LeapStore  *store,
              JsonArray  *orders,
              GError    **error)
{
  return _leap_store_pg_batch_set (LEAP_STORE_PG (store), NULL, NULL, orders,
                                   _leap_store_pg_begin_set, begin_one, error);
}

static gboolean
void_order_in (LeapStorePg *self,
               const char  *order_id,
               const char  *reason,
               gint64       now,
               GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) key = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, reason);
  _leap_pg_params_int (params, now);
  _leap_pg_params_text (params, order_id);
  result = _leap_store_pg_query (self, "UPDATE orders SET status = 'failed', reason = $1, "
                                       "updated_at = $2 WHERE id = $3 AND status = 'pending'",
                                 params, error);
  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_changes (result) != 1)
    return TRUE;
  _leap_pg_params_text (key, order_id);
  return _leap_store_pg_exec (self, "UPDATE payments SET status = 'voided' "
                                    "WHERE idempotency_key = $1", key, error) &&
         forget_accepted (self, order_id, error) &&
         _leap_store_pg_audit (self, now, 0, "void", "order", order_id, reason, error);
}

static gboolean
void_order (LeapStore  *store,
            const char *order_id,
            const char *reason,
            GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);

  if (!_leap_store_pg_begin (self, error))
    return FALSE;
  if (!void_order_in (self, order_id, reason, g_get_real_time () / G_USEC_PER_SEC, error) ||
      !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static gboolean
set_order_status (LeapStore  *store,
                  const char *order_id,
                  const char *status,
                  const char *reason,
                  GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, status);
  _leap_pg_params_text (params, reason);
  _leap_pg_params_int (params, g_get_real_time () / G_USEC_PER_SEC);
  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_exec (LEAP_STORE_PG (store), "UPDATE orders SET status = $1, "
                                                     "reason = $2, updated_at = $3 "
                                                     "WHERE id = $4", params, error);
}

gboolean
_leap_store_pg_give_codes (LeapStorePg *self,
                           const char  *ids,
                           const char  *candidates,
                           GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) missing_params = _leap_pg_params_new ();
  g_autoptr(PGresult) missing = NULL;

  _leap_pg_params_text (params, ids);
  _leap_pg_params_text (params, candidates);
  _leap_pg_params_text (missing_params, ids);
  if (!_leap_store_pg_exec (self, "INSERT INTO order_codes (order_id, code) "
                                  "SELECT * FROM unnest ($1::text[], $2::text[]) "
                                  "ON CONFLICT DO NOTHING", params, error))
    return FALSE;
  missing = _leap_store_pg_query (self, "SELECT DISTINCT id FROM unnest ($1::text[]) AS id "
                                        "WHERE NOT EXISTS (SELECT 1 FROM order_codes c "
                                        "WHERE c.order_id = id)", missing_params, error);
  if (missing == NULL)
    return FALSE;
  for (int row = 0; row < PQntuples (missing); row++)
    if (!assign_code (self, PQgetvalue (missing, row, 0), 1, error))
      return FALSE;
  return TRUE;
}

/* The orders of one turn in three statements: their rows, their first
 * code candidates, and which of them still lack a code (rare: a clash). */
static gboolean
accept_orders_in (LeapStorePg *self,
                  JsonArray   *orders,
                  GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  GString *columns[8];
  gboolean ok;

  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    columns[c] = g_string_new ("{");
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      const char *id = leap_json_get_string (order, "order_id", "");
      g_autofree char *code = leap_order_code_candidate (id, 0);

      _leap_pg_array_text (columns[0], id);
      _leap_pg_array_text (columns[1], leap_json_get_string (order, "hold_id", ""));
      _leap_pg_array_int (columns[2], leap_json_get_int (order, "event_id", 0));
      _leap_pg_array_text (columns[3], leap_json_get_string (order, "owner", ""));
      _leap_pg_array_text (columns[4], leap_json_get_string (order, "items", ""));
      _leap_pg_array_text (columns[5], leap_json_get_string (order, "message", ""));
      _leap_pg_array_int (columns[6], leap_json_get_int (order, "created_ms", 0) / 1000);
      _leap_pg_array_text (columns[7], code);
    }
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    g_string_append_c (columns[c], '}');
  for (guint c = 0; c < 7; c++)
    _leap_pg_params_text (params, columns[c]->str);

  /* A worker may have written the order already: then it stays out. */
  ok = _leap_store_pg_exec (self, "INSERT INTO accepted_orders (order_id, hold_id, event_id, "
                                  "owner, items, message, created_at) SELECT a.* "
                                  "FROM unnest ($1::text[], $2::text[], $3::bigint[], "
                                  "$4::text[], $5::text[], $6::text[], $7::bigint[]) "
                                  "AS a (order_id, hold_id, event_id, owner, items, message, "
                                  "created_at) WHERE NOT EXISTS (SELECT 1 FROM orders o "
                                  "WHERE o.id = a.order_id AND o.status <> 'pending') "
                                  "ON CONFLICT (order_id) DO NOTHING", params, error) &&
       _leap_store_pg_give_codes (self, columns[0]->str, columns[7]->str, error);
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    g_string_free (columns[c], TRUE);
  return ok;
}

static gboolean
accept_orders (LeapStore  *store,
               JsonArray  *orders,
               GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);

  if (!_leap_store_pg_begin (self, error))
    return FALSE;
  if (!accept_orders_in (self, orders, error) || !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  return TRUE;
}

static JsonObject *
get_accepted_order (LeapStore  *store,
                    const char *order_id,
                    GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_query_one (LEAP_STORE_PG (store), "SELECT order_id, hold_id, event_id, "
                                                          "owner, items FROM accepted_orders "
                                                          "WHERE order_id = $1",
                                   params, TRUE, "order", error);
}

static JsonObject *
find_order_code (LeapStore  *store,
                 const char *key,
                 GError    **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, key);
  return _leap_store_pg_query_one (LEAP_STORE_PG (store), "SELECT order_id, code FROM order_codes "
                                                          "WHERE order_id = $1 OR code = $1",
                                   params, TRUE, "order", error);
}

void
_leap_store_pg_orders_class_init (LeapStoreClass *klass)
{
  klass->get_order = get_order;
  klass->write_orders = write_orders;
  klass->set_order_status = set_order_status;
  klass->accept_orders = accept_orders;
  klass->get_accepted_order = get_accepted_order;
  klass->find_order_code = find_order_code;
  klass->begin_orders = begin_orders;
  klass->void_order = void_order;
}
