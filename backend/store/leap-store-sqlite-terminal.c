/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: the simulated card terminal's idempotency ledger, kept
 * durably as a real gateway keeps its own (card_charges). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-json.h"

JsonObject *
_leap_store_sqlite_card_ledger_record (LeapStore  *store,
                                       JsonObject *entry,
                                       GError    **error)
{
  LeapStoreSqlite *self = LEAP_STORE_SQLITE (store);
  g_autoptr(JsonObject) stored = NULL;
  sqlite3_stmt *stmt;

  if (!_leap_store_sqlite_begin (self, error))
    return NULL;
  /* The first request for a key decides; later ones are only counted. */
  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO card_charges (key, kind, amount, "
                                           "currency, result, created_at) "
                                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) "
                                           "DO UPDATE SET requests = requests + 1", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, leap_json_get_string (entry, "key", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, leap_json_get_string (entry, "kind", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, leap_json_get_int (entry, "amount", 0));
  sqlite3_bind_text (stmt, 4, leap_json_get_string (entry, "currency", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, leap_json_get_string (entry, "result", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, g_get_real_time () / G_USEC_PER_SEC);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    goto fail;
  stmt = _leap_store_sqlite_prepare (self, "SELECT key, kind, amount, currency, result, requests "
                                           "FROM card_charges WHERE key = ?", error);
  if (stmt == NULL)
    goto fail;
  sqlite3_bind_text (stmt, 1, leap_json_get_string (entry, "key", ""), -1, SQLITE_TRANSIENT);
  stored = _leap_store_sqlite_collect_one (self, stmt, TRUE, "charge", error);
  if (stored != NULL && _leap_store_sqlite_commit (self, error))
    return g_steal_pointer (&stored);

fail:
  _leap_store_sqlite_rollback (self);
  return NULL;
}
