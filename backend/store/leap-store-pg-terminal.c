/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: the simulated card terminal's idempotency ledger, kept
 * durably as a real gateway keeps its own (card_charges); mirrors
 * leap-store-sqlite-terminal.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-json.h"

/* One request of a batch: the first for a key decides, later ones are
 * only counted; answers the key's entry. One statement, so that backends
 * recording the same key at once count both requests and read one entry. */
static JsonObject *
record_one (LeapStorePg *self,
            JsonObject  *entry,
            gint64       now,
            GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();

  _leap_pg_params_text (params, leap_json_get_string (entry, "key", ""));
  _leap_pg_params_text (params, leap_json_get_string (entry, "kind", ""));
  _leap_pg_params_int (params, leap_json_get_int (entry, "amount", 0));
  _leap_pg_params_text (params, leap_json_get_string (entry, "currency", ""));
  _leap_pg_params_text (params, leap_json_get_string (entry, "result", ""));
  _leap_pg_params_int (params, now);
  return _leap_store_pg_query_one (self,
                                   "INSERT INTO card_charges (key, kind, amount, currency, "
                                   "result, created_at) VALUES ($1, $2, $3::bigint, $4, $5, "
                                   "$6::bigint) ON CONFLICT (key) DO UPDATE SET "
                                   "requests = card_charges.requests + 1 "
                                   "RETURNING key, kind, amount, currency, result, requests",
                                   params, TRUE, "charge", error);
}

static JsonArray *
card_ledger_record (LeapStore  *store,
                    JsonArray  *entries,
                    GError    **error)
{
  return _leap_store_pg_batch (LEAP_STORE_PG (store), entries, record_one, error);
}

void
_leap_store_pg_terminal_class_init (LeapStoreClass *klass)
{
  klass->card_ledger_record = card_ledger_record;
}
