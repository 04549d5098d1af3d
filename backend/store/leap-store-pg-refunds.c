/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: mirrors leap-store-sqlite-refunds.c. What SQLite gets from
 * serialized writers, a refund gets here from its order's row lock: the
 * refunds of one order (and their completions) take their turns, each
 * seeing the tickets the others voided. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

/* The refunds of an order and their sum, added to the order as the API
 * shows it. */
gboolean
_leap_store_pg_add_refunds (LeapStorePg *self,
                            JsonObject  *order,
                            const char  *order_id,
                            GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(JsonArray) rows = NULL;

  _leap_pg_params_text (params, order_id);
  rows = _leap_store_pg_query_rows (self, "SELECT id AS refund_id, seq, amount, currency, method, "
                                          "items, reason, user_id, created_at, returned_at, "
                                          "status FROM refunds WHERE order_id = $1 ORDER BY seq",
                                    params, error);
  if (rows == NULL)
    return FALSE;
  leap_store_add_refund_rows (order, rows);
  return TRUE;
}

/* Locks @order_id's row until the transaction ends: {"status",
 * "event_id"}, or NOT_FOUND. */
static JsonObject *
lock_order (LeapStorePg *self,
            const char  *order_id,
            GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, order_id);
  return _leap_store_pg_query_one (self, "SELECT status, event_id FROM orders WHERE id = $1 "
                                         "FOR UPDATE", params, TRUE, "order", error);
}

/* Voids up to @quantity valid tickets of one tier for @refund_id, those
 * not checked in first (a box office refunds the seats that are still
 * empty; checked-in ones only when asked for). Locked as they are chosen,
 * so that a check-in in between is either before (and seen) or after.
 * How many it voided, or -1. */
static gint64
void_tickets (LeapStorePg *self,
              const char  *order_id,
              gint64       refund_id,
              gint64       tier_id,
              gint64       quantity,
              gboolean     include_checked_in,
              GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, order_id);
  _leap_pg_params_int (params, tier_id);
  _leap_pg_params_int (params, include_checked_in ? 1 : 0);
  _leap_pg_params_int (params, quantity);
  _leap_pg_params_int (params, refund_id);
  result = _leap_store_pg_query (self, "UPDATE tickets SET status = 'voided', refund_id = $5 "
                                       "WHERE id IN (SELECT id FROM tickets WHERE order_id = $1 "
                                       "AND tier_id = $2 AND status = 'valid' AND ($3::bigint <> 0 "
                                       "OR checked_in_at IS NULL) ORDER BY checked_in_at IS NOT "
                                       "NULL, id DESC LIMIT $4 FOR UPDATE)", params, error);
  return result != NULL ? _leap_store_pg_changes (result) : -1;
}

/* The refund's row, numbered here (the order's lock makes the number its
 * own): {"id", "seq", "provider_key"}, or NULL. */
static JsonObject *
insert_refund (LeapStorePg *self,
               JsonObject  *refund,
               gint64       event_id,
               const char  *items,
               gint64       now,
               GError     **error)
{
  const char *order_id = leap_json_get_string (refund, "order_id", "");
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;

  _leap_pg_params_text (params, order_id);
  _leap_pg_params_int (params, event_id);
  _leap_pg_params_id (params, leap_json_get_int (refund, "user_id", 0));
  _leap_pg_params_int (params, leap_json_get_int (refund, "amount", 0));
  _leap_pg_params_text (params, leap_json_get_string (refund, "currency", ""));
  _leap_pg_params_text (params, leap_json_get_string (refund, "method", ""));
  _leap_pg_params_text (params, items);
  _leap_pg_params_text (params, leap_json_get_string (refund, "reason", NULL));
  _leap_pg_params_int (params, now);
  result = _leap_store_pg_query (self, "INSERT INTO refunds (order_id, seq, event_id, user_id, "
                                       "amount, currency, method, provider_key, items, reason, "
                                       "created_at, status) SELECT $1::text, n.seq, $2::bigint, "
                                       "$3::bigint, $4::bigint, $5::text, $6::text, "
                                       "$1::text || ':r' || n.seq, $7::text, $8::text, "
                                       "$9::bigint, 'pending' FROM (SELECT coalesce (max (seq), "
                                       "0) + 1 AS seq FROM refunds WHERE order_id = $1) n "
                                       "RETURNING id, seq, provider_key", params, error);
  return result != NULL ? _leap_store_pg_row (result, 0, TRUE) : NULL;
}

static JsonObject *
refund_in (LeapStorePg *self,
           JsonObject  *refund,
           gint64       now,
           GError     **error)
{
  const char *order_id = leap_json_get_string (refund, "order_id", "");
  gint64 user_id = leap_json_get_int (refund, "user_id", 0);
  gboolean include_checked_in =
    json_object_get_boolean_member_with_default (refund, "include_checked_in", FALSE);
  JsonArray *lines = json_object_get_array_member (refund, "lines");
  g_autoptr(GString) items = g_string_new (NULL);
  g_autoptr(JsonObject) head = NULL;
  g_autoptr(JsonObject) row = NULL;
  g_autofree char *details = NULL;
  gint64 event_id, refund_id, seq, voided = 0;
  JsonObject *order;

  if ((head = lock_order (self, order_id, error)) == NULL)
    return NULL;
  if (!g_str_equal (leap_json_get_string (head, "status", ""), "paid"))
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                   "This order is %s and cannot be refunded",
                   leap_json_get_string (head, "status", "?"));
      return NULL;
    }
  event_id = leap_json_get_int (head, "event_id", 0);
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      g_string_append_printf (items, "%s%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT,
                              items->len ? "," : "", leap_json_get_int (line, "tier_id", 0),
                              leap_json_get_int (line, "quantity", 0));
    }

  /* The row first, for its id on the tickets; all of it is undone with
   * the transaction when the tickets are not there. */
  if ((row = insert_refund (self, refund, event_id, items->str, now, error)) == NULL)
    return NULL;
  refund_id = leap_json_get_int (row, "id", 0);
  seq = leap_json_get_int (row, "seq", 0);
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 tier_id = leap_json_get_int (line, "tier_id", 0);
      gint64 quantity = leap_json_get_int (line, "quantity", 0);
      gint64 found = void_tickets (self, order_id, refund_id, tier_id, quantity,
                                   include_checked_in, error);

      if (found < 0)
        return NULL;
      if (found < quantity)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Only %" G_GINT64_FORMAT " tickets of tier %" G_GINT64_FORMAT
                       " can be refunded",
                       found, tier_id);
          return NULL;
        }
      voided += found;
    }
  if (voided == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "Nothing left to refund");
      return NULL;
    }

  details = leap_store_refund_details (refund, refund_id, seq, items->str, voided);
  if (!_leap_store_pg_audit (self, now, user_id, "refund", "order", order_id, details, error))
    return NULL;
  if ((order = _leap_store_pg_get_order_in (self, order_id, error)) == NULL)
    return NULL;
  return leap_store_refund_begun (refund_id, seq, leap_json_get_string (row, "provider_key", ""),
                                  event_id, items->str, order);
}

/* The provider paid a pending refund back: its payment row (keyed by the
 * refund's provider key, so once), the refund done, and the order
 * refunded once no ticket of it is left. */
static JsonObject *
complete_refund_in (LeapStorePg *self,
                    gint64       refund_id,
                    const char  *provider_ref,
                    gint64       now,
                    GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) done = _leap_pg_params_new ();
  g_autoptr(JsonObject) refund = NULL;
  g_autoptr(JsonObject) head = NULL;
  g_autoptr(JsonObject) answer = json_object_new ();
  g_autoptr(PGresult) result = NULL;
  const char *order_id;
  JsonObject *order;

  _leap_pg_params_int (params, refund_id);
  refund = _leap_store_pg_query_one (self, "SELECT order_id, event_id, amount, currency, method, "
                                           "provider_key, items FROM refunds WHERE id = $1",
                                     params, TRUE, "refund", error);
  if (refund == NULL)
    return NULL;
  order_id = leap_json_get_string (refund, "order_id", "");
  /* The order first, as a refund takes it: completions of its refunds
   * take their turns, so the last one sees the others done. */
  if ((head = lock_order (self, order_id, error)) == NULL)
    return NULL;
  _leap_pg_params_text (done, provider_ref);
  _leap_pg_params_int (done, refund_id);
  result = _leap_store_pg_query (self, "UPDATE refunds SET status = 'done', provider_ref = $1 "
                                       "WHERE id = $2 AND status = 'pending'", done, error);
  if (result == NULL)
    return NULL;
  if (_leap_store_pg_changes (result) == 1)
    {
      g_autoptr(LeapPgParams) payment = _leap_pg_params_new ();
      g_autoptr(LeapPgParams) status = _leap_pg_params_new ();

      /* The money going back, next to the money that came in. */
      _leap_pg_params_text (payment, order_id);
      _leap_pg_params_text (payment, leap_json_get_string (refund, "method", ""));
      _leap_pg_params_int (payment, -leap_json_get_int (refund, "amount", 0));
      _leap_pg_params_text (payment, leap_json_get_string (refund, "currency", ""));
      _leap_pg_params_text (payment, provider_ref);
      _leap_pg_params_text (payment, leap_json_get_string (refund, "provider_key", NULL));
      _leap_pg_params_int (payment, now);
      _leap_pg_params_text (status, order_id);
      _leap_pg_params_int (status, now);
      if (!_leap_store_pg_exec (self, "INSERT INTO payments (order_id, method, status, amount, "
                                      "currency, provider_ref, idempotency_key, created_at) "
                                      "VALUES ($1, $2, 'refunded', $3, $4, $5, $6, $7)",
                                payment, error) ||
          !_leap_store_pg_exec (self, "UPDATE orders SET status = CASE WHEN NOT EXISTS "
                                      "(SELECT 1 FROM tickets WHERE order_id = $1 "
                                      "AND status = 'valid') AND NOT EXISTS (SELECT 1 "
                                      "FROM refunds WHERE order_id = $1 AND status = 'pending') "
                                      "THEN 'refunded' ELSE status END, updated_at = $2 "
                                      "WHERE id = $1", status, error))
        return NULL;
    }

  if ((order = _leap_store_pg_get_order_in (self, order_id, error)) == NULL)
    return NULL;
  json_object_set_int_member (answer, "refund_id", refund_id);
  json_object_set_int_member (answer, "event_id", leap_json_get_int (refund, "event_id", 0));
  json_object_set_string_member (answer, "items", leap_json_get_string (refund, "items", ""));
  json_object_set_object_member (answer, "order", order);
  return g_steal_pointer (&answer);
}

static JsonObject *
complete_refund (LeapStore  *store,
                 gint64      refund_id,
                 const char *provider_ref,
                 GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(JsonObject) answer = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  answer = complete_refund_in (self, refund_id, provider_ref,
                               g_get_real_time () / G_USEC_PER_SEC, error);
  if (answer == NULL || !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

static JsonArray *
list_unfinished_refunds (LeapStore *store,
                         GError   **error)
{
  return _leap_store_pg_query_rows (
      LEAP_STORE_PG (store),
      "SELECT r.id AS refund_id, r.order_id, r.provider_key AS refund_key, r.amount, "
      "r.currency, r.method, (SELECT p.provider_ref FROM payments p "
      "WHERE p.order_id = r.order_id AND p.status = 'approved' ORDER BY p.id LIMIT 1) "
      "AS charge_ref FROM refunds r WHERE r.status = 'pending' ORDER BY r.id LIMIT 1000",
      NULL, error);
}

static JsonObject *
begin_refund (LeapStore  *store,
              JsonObject *refund,
              GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(JsonObject) answer = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  answer = refund_in (self, refund, g_get_real_time () / G_USEC_PER_SEC, error);
  if (answer == NULL || !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&answer);
}

static JsonArray *
list_pending_returns (LeapStore *store,
                      GError   **error)
{
  return _leap_store_pg_query_rows (LEAP_STORE_PG (store),
                                    "SELECT id AS refund_id, event_id, items FROM refunds "
                                    "WHERE returned_at IS NULL AND status = 'done' "
                                    "ORDER BY id LIMIT 1000", NULL, error);
}

static int
by_tier (gconstpointer a,
         gconstpointer b)
{
  gint64 one = leap_json_get_int (*(JsonObject **) a, "tier_id", 0);
  gint64 two = leap_json_get_int (*(JsonObject **) b, "tier_id", 0);

  return (one > two) - (one < two);
}

/* The refund marked returned, guarded so that once, and its tickets taken
 * off the tiers' sold counts: by tier id, the order in which a batch of
 * orders locks them, so that the two cannot deadlock. */
static gboolean
mark_returned_in (LeapStorePg *self,
                  gint64       refund_id,
                  gint64       now,
                  GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) refund = NULL;
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();

  _leap_pg_params_int (params, now);
  _leap_pg_params_int (params, refund_id);
  result = _leap_store_pg_query (self, "UPDATE refunds SET returned_at = $1 WHERE id = $2 "
                                       "AND returned_at IS NULL RETURNING event_id, items",
                                 params, error);
  if (result == NULL)
    return FALSE;
  /* Returned already: nothing to do. */
  if (PQntuples (result) == 0)
    return TRUE;
  refund = _leap_store_pg_row (result, 0, TRUE);
  lines = leap_store_items_to_lines (leap_json_get_string (refund, "items", ""));
  for (guint i = 0; i < json_array_get_length (lines); i++)
    g_ptr_array_add (sorted, json_array_get_object_element (lines, i));
  g_ptr_array_sort (sorted, by_tier);
  for (guint i = 0; i < sorted->len; i++)
    {
      JsonObject *line = sorted->pdata[i];
      g_autoptr(LeapPgParams) tier = _leap_pg_params_new ();

      _leap_pg_params_int (tier, leap_json_get_int (line, "quantity", 0));
      _leap_pg_params_int (tier, now);
      _leap_pg_params_int (tier, leap_json_get_int (line, "tier_id", 0));
      _leap_pg_params_int (tier, leap_json_get_int (refund, "event_id", 0));
      if (!_leap_store_pg_exec (self, "UPDATE tiers SET sold = greatest (sold - $1, 0), "
                                      "updated_at = $2 WHERE id = $3 AND event_id = $4",
                                tier, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
mark_returned (LeapStore *store,
               gint64     refund_id,
               GError   **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);

  if (!_leap_store_pg_begin (self, error))
    return FALSE;
  if (!mark_returned_in (self, refund_id, g_get_real_time () / G_USEC_PER_SEC, error) ||
      !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return FALSE;
    }
  return TRUE;
}

void
_leap_store_pg_refunds_class_init (LeapStoreClass *klass)
{
  klass->begin_refund = begin_refund;
  klass->complete_refund = complete_refund;
  klass->list_unfinished_refunds = list_unfinished_refunds;
  klass->list_pending_returns = list_pending_returns;
  klass->mark_returned = mark_returned;
}
