/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: tickets checked in at the door; mirrors
 * leap-store-sqlite-checkins.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
#include "leap-json.h"

static JsonObject *
check_in_in_tx (LeapStorePg *self,
                const char  *code,
                gint64       event_id,
                gint64       now,
                gint64       actor,
                GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(LeapPgParams) read = _leap_pg_params_new ();
  g_autoptr(PGresult) result = NULL;
  g_autoptr(JsonObject) ticket = NULL;
  g_autoptr(JsonObject) details = json_object_new ();
  g_autofree char *detail_text = NULL;
  gboolean admitted;

  /* The check and the write are one statement: of two scanners (or two
   * backends) reading the same ticket, the second waits for the first's
   * row lock, then finds it checked in and changes nothing; and only a
   * ticket of a paid order of the door's event ($3, 0 for any). */
  _leap_pg_params_int (params, now);
  _leap_pg_params_text (params, code);
  _leap_pg_params_int (params, event_id);
  result = _leap_store_pg_query (self,
                                 "UPDATE tickets SET checked_in_at = $1::bigint WHERE code = $2 "
                                 "AND status = 'valid' AND checked_in_at IS NULL AND EXISTS "
                                 "(SELECT 1 FROM orders o WHERE o.id = tickets.order_id "
                                 "AND o.status = 'paid' AND ($3::bigint = 0 "
                                 "OR o.event_id = $3::bigint))",
                                 params, error);
  if (result == NULL)
    return NULL;
  admitted = _leap_store_pg_changes (result) == 1;

  _leap_pg_params_text (read, code);
  ticket = _leap_store_pg_query_one (
      self,
      "SELECT t.code, t.order_id, t.tier_id, o.event_id, t.status, t.checked_in_at, "
      "o.status AS order_status, ti.name AS tier_name, e.name AS event_name, "
      "e.starts_at AS event_starts_at, v.timezone AS event_timezone "
      "FROM tickets t JOIN orders o ON o.id = t.order_id LEFT JOIN tiers ti ON ti.id = t.tier_id "
      "LEFT JOIN events e ON e.id = o.event_id LEFT JOIN venues v ON v.id = e.venue_id "
      "WHERE t.code = $1",
      read, FALSE, "ticket", error);
  if (ticket == NULL)
    return NULL;
  json_object_set_boolean_member (ticket, "admitted", admitted);
  if (!admitted)
    return g_steal_pointer (&ticket);

  json_object_set_string_member (details, "order_id",
                                 json_object_get_string_member (ticket, "order_id"));
  json_object_set_int_member (details, "tier_id", json_object_get_int_member (ticket, "tier_id"));
  detail_text = leap_json_object_to_string (details);
  if (!_leap_store_pg_audit (self, now, actor, "check_in", "ticket", code, detail_text, error))
    return NULL;
  return g_steal_pointer (&ticket);
}

static JsonObject *
check_in_ticket (LeapStore  *store,
                 const char *code,
                 gint64      event_id,
                 gint64      now,
                 gint64      actor,
                 GError    **error)
{
  LeapStorePg *self = LEAP_STORE_PG (store);
  g_autoptr(JsonObject) ticket = NULL;

  if (!_leap_store_pg_begin (self, error))
    return NULL;
  ticket = check_in_in_tx (self, code, event_id, now, actor, error);
  if (ticket == NULL || !_leap_store_pg_commit (self, error))
    {
      _leap_store_pg_rollback (self);
      return NULL;
    }
  return g_steal_pointer (&ticket);
}

void
_leap_store_pg_checkins_class_init (LeapStoreClass *klass)
{
  klass->check_in_ticket = check_in_ticket;
}
