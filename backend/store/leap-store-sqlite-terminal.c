/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStoreSqlite: the simulated card terminal's idempotency ledger, kept
 * durably as a real gateway keeps its own (card_charges). */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-sqlite-private.h"
#include "leap-json.h"

/* One request of a batch: the first for a key decides, later ones are
 * only counted; answers the key's entry. */
static JsonObject *
record_one (LeapStoreSqlite *self,
            JsonObject      *entry,
            gint64           now,
            GError         **error)
{
  const char *key = leap_json_get_string (entry, "key", "");
  sqlite3_stmt *stmt;

  stmt = _leap_store_sqlite_prepare (self, "INSERT INTO card_charges (key, kind, amount, "
                                           "currency, result, created_at) "
                                           "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) "
                                           "DO UPDATE SET requests = requests + 1", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, leap_json_get_string (entry, "kind", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 3, leap_json_get_int (entry, "amount", 0));
  sqlite3_bind_text (stmt, 4, leap_json_get_string (entry, "currency", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 5, leap_json_get_string (entry, "result", ""), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 6, now);
  if (!_leap_store_sqlite_step_done (self, stmt, error))
    return NULL;
  stmt = _leap_store_sqlite_prepare (self, "SELECT key, kind, amount, currency, result, requests "
                                           "FROM card_charges WHERE key = ?", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_TRANSIENT);
  return _leap_store_sqlite_collect_one (self, stmt, TRUE, "charge", error);
}

JsonArray *
_leap_store_sqlite_card_ledger_record (LeapStore  *store,
                                       JsonArray  *entries,
                                       GError    **error)
{
  return _leap_store_sqlite_batch (LEAP_STORE_SQLITE (store), entries, record_one, error);
}
