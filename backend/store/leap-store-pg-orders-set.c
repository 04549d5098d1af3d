/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: a batch of orders in a fixed number of statements however
 * many orders it holds (unnest () over one array per column), where the
 * way of leap-store-pg-orders.c takes a savepoint and about ten statements
 * per order, and raises a tier's sold once per order: with every order on
 * one tier, its row gets a new version per order, all in one transaction.
 * The guarantees are the same: intents inserted ON CONFLICT DO NOTHING,
 * completions only for the orders whose guarded UPDATE moved them out of
 * 'pending', sold raised under the capacity guard. An order that cannot
 * be written fails the whole batch here; then it goes the per-order way
 * (_leap_store_pg_batch_set ()), where that order fails alone. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-order-code.h"

/* Array literals, one per column of a statement, each begun as "{". */
typedef struct
{
  GString *column[9];
  guint    n;
} Columns;

static void
columns_init (Columns *columns,
              guint    n)
{
  g_assert (n <= G_N_ELEMENTS (columns->column));
  columns->n = n;
  for (guint c = 0; c < n; c++)
    columns->column[c] = g_string_new ("{");
}

static void
columns_clear (Columns *columns)
{
  for (guint c = 0; c < columns->n; c++)
    g_string_free (columns->column[c], TRUE);
  columns->n = 0;
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Columns, columns_clear)

/* Whether any row was added. */
static gboolean
columns_empty (Columns *columns)
{
  return columns->column[0]->len == 1;
}

/* Closes the columns and passes them as the next parameters. */
static void
columns_pass (Columns      *columns,
              LeapPgParams *params)
{
  for (guint c = 0; c < columns->n; c++)
    _leap_pg_params_array (params, columns->column[c]);
}

/* 0 (no user) is SQL NULL, as _leap_pg_params_id () has it. */
static void
array_add_id (GString *column,
              gint64   id)
{
  if (id > 0)
    _leap_pg_array_int (column, id);
  else
    _leap_pg_array_text (column, NULL);
}

static JsonArray *
lines_of (JsonObject *order)
{
  return json_object_has_member (order, "lines")
         ? json_object_get_array_member (order, "lines") : NULL;
}

static JsonObject *
payment_of (JsonObject *order)
{
  return json_object_has_member (order, "payment")
         ? json_object_get_object_member (order, "payment") : NULL;
}

/* The set-based way takes a batch whose orders each have an id, once,
 * and lines of positive quantities: then the sum of a tier's quantities
 * passes the capacity guard exactly when each order would, one after the
 * other. The ids as an array literal, else NULL. */
static char *
batch_ids (JsonArray  *orders,
           GError    **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) ids = g_string_new ("{");

  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      const char *id = leap_json_get_string (order, "order_id", NULL);
      JsonArray *lines = lines_of (order);

      if (id == NULL || !g_hash_table_add (seen, (gpointer) id))
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                               "An order without order_id, or twice");
          return NULL;
        }
      for (guint j = 0; lines != NULL && j < json_array_get_length (lines); j++)
        if (leap_json_get_int (json_array_get_object_element (lines, j), "quantity", 0) <= 0)
          {
            g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                         "Order %s has a line without tickets", id);
            return NULL;
          }
      _leap_pg_array_text (ids, id);
    }
  g_string_append_c (ids, '}');
  return g_string_free (g_steal_pointer (&ids), FALSE);
}

/* The order ids of a result's first column. */
static GHashTable *
ids_of (const PGresult *result)
{
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int row = 0; row < PQntuples (result); row++)
    g_hash_table_add (ids, g_strdup (PQgetvalue (result, row, 0)));
  return ids;
}

/* The codes, lines and payment attempts of the intents just inserted. */
static gboolean
complete_intents (LeapStorePg *self,
                  JsonArray   *orders,
                  GHashTable  *inserted,
                  gint64       now,
                  GError     **error)
{
  g_autoptr(LeapPgParams) lines_params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) pay_params = _leap_pg_params_new ();
  g_auto(Columns) codes = { 0 };
  g_auto(Columns) lines = { 0 };
  g_auto(Columns) pay = { 0 };

  columns_init (&codes, 2);
  columns_init (&lines, 5);
  columns_init (&pay, 4);
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      const char *id = leap_json_get_string (order, "order_id", "");
      JsonObject *payment = payment_of (order);
      const char *method = leap_json_get_string (order, "method", NULL);
      JsonArray *order_lines = lines_of (order);
      g_autofree char *code = NULL;

      if (!g_hash_table_contains (inserted, id))
        continue;
      code = leap_order_code_candidate (id, 0);
      _leap_pg_array_text (codes.column[0], id);
      _leap_pg_array_text (codes.column[1], code);
      for (guint j = 0; order_lines != NULL && j < json_array_get_length (order_lines); j++)
        {
          JsonObject *line = json_array_get_object_element (order_lines, j);

          _leap_pg_array_text (lines.column[0], id);
          _leap_pg_array_int (lines.column[1], leap_json_get_int (line, "tier_id", 0));
          _leap_pg_array_int (lines.column[2], leap_json_get_int (line, "quantity", 0));
          _leap_pg_array_int (lines.column[3], leap_json_get_int (line, "unit_price", 0));
          _leap_pg_array_text (lines.column[4], leap_json_get_string (line, "currency", ""));
        }
      if (payment != NULL)
        method = leap_json_get_string (payment, "method", method);
      _leap_pg_array_text (pay.column[0], id);
      _leap_pg_array_text (pay.column[1], method != NULL ? method : "");
      _leap_pg_array_int (pay.column[2], leap_json_get_int (order, "total", 0));
      _leap_pg_array_text (pay.column[3], leap_json_get_string (order, "currency", ""));
    }
  g_string_append_c (codes.column[0], '}');
  g_string_append_c (codes.column[1], '}');
  if (!_leap_store_pg_give_codes (self, codes.column[0]->str, codes.column[1]->str, error))
    return FALSE;
  if (!columns_empty (&lines))
    {
      columns_pass (&lines, lines_params);
      if (!_leap_store_pg_exec (self, "INSERT INTO order_lines (order_id, tier_id, quantity, "
                                      "unit_price, currency) SELECT l.order_id, l.tier_id, "
                                      "l.quantity, l.unit_price, l.currency "
                                      "FROM unnest ($1::text[], $2::bigint[], $3::bigint[], "
                                      "$4::bigint[], $5::text[]) WITH ORDINALITY AS l (order_id, "
                                      "tier_id, quantity, unit_price, currency, n) ORDER BY l.n",
                                lines_params, error))
        return FALSE;
    }
  columns_pass (&pay, pay_params);
  _leap_pg_params_int (pay_params, now);
  return _leap_store_pg_exec (self, "INSERT INTO payments (order_id, method, status, amount, "
                                    "currency, idempotency_key, created_at) SELECT p.order_id, "
                                    "p.method, 'pending', p.amount, p.currency, p.order_id, $5 "
                                    "FROM unnest ($1::text[], $2::text[], $3::bigint[], "
                                    "$4::text[]) WITH ORDINALITY AS p (order_id, method, amount, "
                                    "currency, n) ORDER BY p.n", pay_params, error);
}

/* The intents of a batch, as insert_intent () of leap-store-pg-orders.c
 * does one: those already stored are left as they are. In the ids' order,
 * as two batches that share orders would otherwise deadlock. */
static gboolean
insert_intents (LeapStorePg *self,
                JsonArray   *orders,
                gint64       now,
                GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GHashTable) inserted = NULL;
  g_auto(Columns) o = { 0 };

  columns_init (&o, 9);
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      _leap_pg_array_text (o.column[0], leap_json_get_string (order, "order_id", ""));
      _leap_pg_array_text (o.column[1], leap_json_get_string (order, "hold_id", NULL));
      _leap_pg_array_int (o.column[2], leap_json_get_int (order, "event_id", 0));
      array_add_id (o.column[3], leap_json_get_int (order, "user_id", 0));
      _leap_pg_array_int (o.column[4], leap_json_get_int (order, "total", 0));
      _leap_pg_array_text (o.column[5], leap_json_get_string (order, "currency", ""));
      _leap_pg_array_text (o.column[6], leap_json_get_string (order, "customer_name", NULL));
      _leap_pg_array_text (o.column[7], leap_json_get_string (order, "customer_email", NULL));
      _leap_pg_array_text (o.column[8], leap_json_get_string (order, "owner", NULL));
    }
  columns_pass (&o, params);
  _leap_pg_params_int (params, now);
  result = _leap_store_pg_query (self, "INSERT INTO orders (id, hold_id, event_id, user_id, "
                                       "status, total, currency, customer_name, "
                                       "customer_email, owner, created_at, updated_at) "
                                       "SELECT o.id, o.hold_id, o.event_id, o.user_id, "
                                       "'pending', o.total, o.currency, o.customer_name, "
                                       "o.customer_email, o.owner, $10, $10 "
                                       "FROM unnest ($1::text[], $2::text[], $3::bigint[], "
                                       "$4::bigint[], $5::bigint[], $6::text[], $7::text[], "
                                       "$8::text[], $9::text[]) AS o (id, hold_id, event_id, "
                                       "user_id, total, currency, customer_name, "
                                       "customer_email, owner) ORDER BY o.id "
                                       "ON CONFLICT (id) DO NOTHING RETURNING id",
                                 params, error);
  if (result == NULL)
    return FALSE;
  if (PQntuples (result) == 0)
    return TRUE;
  inserted = ids_of (result);
  return complete_intents (self, orders, inserted, now, error);
}

/* {"order_id", "status"} of each order of the batch, in order. */
static JsonArray *
statuses (LeapStorePg *self,
          JsonArray   *orders,
          const char  *ids,
          GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(GHashTable) rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonArray) results = json_array_new ();

  _leap_pg_params_text (params, ids);
  result = _leap_store_pg_query (self, "SELECT id AS order_id, status FROM orders "
                                       "WHERE id = ANY ($1::text[])", params, error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    g_hash_table_insert (rows, PQgetvalue (result, row, 0), GINT_TO_POINTER (row + 1));
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      int row = GPOINTER_TO_INT (g_hash_table_lookup (rows, leap_json_get_string (order,
                                                                                  "order_id",
                                                                                  "")));

      if (row == 0)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such order");
          return NULL;
        }
      json_array_add_object_element (results, _leap_store_pg_row (result, row - 1, TRUE));
    }
  return g_steal_pointer (&results);
}

JsonArray *
_leap_store_pg_begin_set (LeapStorePg *self,
                          JsonArray   *orders,
                          gint64       now,
                          GError     **error)
{
  g_autofree char *ids = batch_ids (orders, error);

  if (ids == NULL || !insert_intents (self, orders, now, error))
    return NULL;
  return statuses (self, orders, ids, error);
}

/* Moves the orders still pending to their status: the ids of those moved. */
static GHashTable *
move_orders (LeapStorePg *self,
             JsonArray   *orders,
             gint64       now,
             GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  g_auto(Columns) moves = { 0 };

  columns_init (&moves, 3);
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);

      _leap_pg_array_text (moves.column[0], leap_json_get_string (order, "order_id", ""));
      _leap_pg_array_text (moves.column[1], leap_json_get_string (order, "status", ""));
      _leap_pg_array_text (moves.column[2], leap_json_get_string (order, "reason", NULL));
    }
  columns_pass (&moves, params);
  _leap_pg_params_int (params, now);
  result = _leap_store_pg_query (self, "UPDATE orders SET status = m.status, reason = m.reason, "
                                       "updated_at = $4 FROM unnest ($1::text[], $2::text[], "
                                       "$3::text[]) AS m (id, status, reason) "
                                       "WHERE orders.id = m.id AND orders.status = 'pending' "
                                       "RETURNING orders.id", params, error);
  return result != NULL ? ids_of (result) : NULL;
}

/* Raises the tiers' sold by the lines of all paid orders at once, each
 * tier once, under the capacity guard; any tier not raised fails it.
 * Their rows are locked by id first, as write_orders () of
 * leap-store-pg-orders.c does, but last in the transaction: the
 * writers wait for each other only for this and the commit. */
static gboolean
raise_sold (LeapStorePg *self,
            Columns     *need,
            gint64       now,
            GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) tiers = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  if (columns_empty (need))
    return TRUE;
  columns_pass (need, params);
  _leap_pg_params_int (params, now);
  _leap_pg_params_text (tiers, need->column[0]->str);
  if (!_leap_store_pg_exec (self, "SELECT id FROM tiers WHERE id = ANY ($1::bigint[]) "
                                  "ORDER BY id FOR NO KEY UPDATE", tiers, error))
    return FALSE;
  result = _leap_store_pg_query (self, "WITH need AS (SELECT tier_id, event_id, "
                                       "sum (quantity)::bigint AS quantity "
                                       "FROM unnest ($1::bigint[], $2::bigint[], $3::bigint[]) "
                                       "AS n (tier_id, event_id, quantity) "
                                       "GROUP BY tier_id, event_id), "
                                       "raised AS (UPDATE tiers SET sold = sold + need.quantity, "
                                       "updated_at = $4 FROM need WHERE tiers.id = need.tier_id "
                                       "AND tiers.event_id = need.event_id "
                                       "AND tiers.sold + need.quantity <= tiers.capacity "
                                       "RETURNING tiers.id) SELECT ((SELECT count(*) FROM raised) "
                                       "= (SELECT count(*) FROM need))::int", params, error);
  if (result == NULL)
    return FALSE;
  if (_leap_store_pg_int (result, 0, 0) == 1)
    return TRUE;
  g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                       "A tier of the batch is not of its event or would be sold past its "
                       "capacity");
  return FALSE;
}

/* Adds the tickets and tiers' sold counts of a paid order to @tickets
 * and @need. */
static void
add_paid (JsonObject *order,
          Columns    *tickets,
          Columns    *need)
{
  const char *id = leap_json_get_string (order, "order_id", "");
  JsonArray *lines = lines_of (order);
  JsonArray *order_tickets = json_object_has_member (order, "tickets")
                             ? json_object_get_array_member (order, "tickets") : NULL;

  for (guint j = 0; lines != NULL && j < json_array_get_length (lines); j++)
    {
      JsonObject *line = json_array_get_object_element (lines, j);

      _leap_pg_array_int (need->column[0], leap_json_get_int (line, "tier_id", 0));
      _leap_pg_array_int (need->column[1], leap_json_get_int (order, "event_id", 0));
      _leap_pg_array_int (need->column[2], leap_json_get_int (line, "quantity", 0));
    }
  for (guint j = 0; order_tickets != NULL && j < json_array_get_length (order_tickets); j++)
    {
      JsonObject *ticket = json_array_get_object_element (order_tickets, j);

      _leap_pg_array_text (tickets->column[0], id);
      _leap_pg_array_int (tickets->column[1], leap_json_get_int (ticket, "tier_id", 0));
      _leap_pg_array_text (tickets->column[2], leap_json_get_string (ticket, "code", ""));
    }
}

/* Adds a number, or NULL when absent or null (tendered, change). */
static void
add_int_or_null (GString    *column,
                 JsonObject *object,
                 const char *member)
{
  if (json_object_has_member (object, member) && !json_object_get_null_member (object, member))
    _leap_pg_array_int (column, leap_json_get_int (object, member, 0));
  else
    _leap_pg_array_text (column, NULL);
}

static void
add_payment (JsonObject *order,
             Columns    *pay)
{
  JsonObject *payment = payment_of (order);

  if (payment == NULL)
    return;
  _leap_pg_array_text (pay->column[0], leap_json_get_string (order, "order_id", ""));
  _leap_pg_array_text (pay->column[1], leap_json_get_string (payment, "method", ""));
  _leap_pg_array_text (pay->column[2], leap_json_get_string (payment, "status", ""));
  _leap_pg_array_int (pay->column[3], leap_json_get_int (payment, "amount", 0));
  _leap_pg_array_text (pay->column[4], leap_json_get_string (payment, "currency", ""));
  add_int_or_null (pay->column[5], payment, "tendered");
  add_int_or_null (pay->column[6], payment, "change");
  _leap_pg_array_text (pay->column[7], leap_json_get_string (payment, "provider_ref", NULL));
}

/* The tickets, payments and audit lines of the orders moved, each in one
 * statement. */
static gboolean
complete_orders (LeapStorePg *self,
                 Columns     *tickets,
                 Columns     *pay,
                 Columns     *audit,
                 gint64       now,
                 GError     **error)
{
  g_autoptr(LeapPgParams) tickets_params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) pay_params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) audit_params = _leap_pg_params_new ();

  if (!columns_empty (tickets))
    {
      columns_pass (tickets, tickets_params);
      _leap_pg_params_int (tickets_params, now);
      if (!_leap_store_pg_exec (self, "INSERT INTO tickets (order_id, tier_id, code, "
                                      "created_at) SELECT t.order_id, t.tier_id, t.code, $4 "
                                      "FROM unnest ($1::text[], $2::bigint[], $3::text[]) "
                                      "WITH ORDINALITY AS t (order_id, tier_id, code, n) "
                                      "ORDER BY t.n", tickets_params, error))
        return FALSE;
    }
  if (!columns_empty (pay))
    {
      columns_pass (pay, pay_params);
      if (!_leap_store_pg_exec (self, "UPDATE payments SET method = p.method, "
                                      "status = p.status, amount = p.amount, "
                                      "currency = p.currency, tendered = p.tendered, "
                                      "change_given = p.change, provider_ref = p.ref "
                                      "FROM unnest ($1::text[], $2::text[], $3::text[], "
                                      "$4::bigint[], $5::text[], $6::bigint[], $7::bigint[], "
                                      "$8::text[]) AS p (id, method, status, amount, currency, "
                                      "tendered, change, ref) WHERE idempotency_key = p.id "
                                      "AND payments.status = 'pending'", pay_params, error))
        return FALSE;
    }
  if (columns_empty (audit))
    return TRUE;
  columns_pass (audit, audit_params);
  _leap_pg_params_int (audit_params, now);
  return _leap_store_pg_exec (self, "INSERT INTO audit_log (at, user_id, action, object_kind, "
                                    "object_id, details) SELECT $4, a.user_id, 'checkout', "
                                    "'order', a.id, a.status FROM unnest ($1::bigint[], "
                                    "$2::text[], $3::text[]) WITH ORDINALITY "
                                    "AS a (user_id, id, status, n) ORDER BY a.n",
                              audit_params, error);
}

/* What write_one () of leap-store-pg-orders.c does, for the whole batch. */
JsonArray *
_leap_store_pg_write_set (LeapStorePg *self,
                          JsonArray   *orders,
                          gint64       now,
                          GError     **error)
{
  g_autofree char *ids = batch_ids (orders, error);
  g_autoptr(LeapPgParams) ids_params = _leap_pg_params_new ();
  g_autoptr(GHashTable) moved = NULL;
  g_auto(Columns) need = { 0 };
  g_auto(Columns) tickets = { 0 };
  g_auto(Columns) pay = { 0 };
  g_auto(Columns) audit = { 0 };

  /* No intent (a writer that did not record one): written whole. */
  if (ids == NULL || !insert_intents (self, orders, now, error) ||
      (moved = move_orders (self, orders, now, error)) == NULL)
    return NULL;
  columns_init (&need, 3);
  columns_init (&tickets, 3);
  columns_init (&pay, 8);
  columns_init (&audit, 3);
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *order = json_array_get_object_element (orders, i);
      const char *id = leap_json_get_string (order, "order_id", "");

      if (!g_hash_table_contains (moved, id))
        continue;
      if (g_str_equal (leap_json_get_string (order, "status", ""), "paid"))
        add_paid (order, &tickets, &need);
      add_payment (order, &pay);
      array_add_id (audit.column[0], leap_json_get_int (order, "user_id", 0));
      _leap_pg_array_text (audit.column[1], id);
      _leap_pg_array_text (audit.column[2], leap_json_get_string (order, "status", ""));
    }
  /* Written: no longer one to queue again after a Redis lost its data. */
  _leap_pg_params_text (ids_params, ids);
  if (!complete_orders (self, &tickets, &pay, &audit, now, error) ||
      !_leap_store_pg_exec (self, "DELETE FROM accepted_orders "
                                  "WHERE order_id = ANY ($1::text[])", ids_params, error) ||
      !raise_sold (self, &need, now, error))
    return NULL;
  return statuses (self, orders, ids, error);
}
