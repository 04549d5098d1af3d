/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapStorePg: the simulated card terminal's idempotency ledger, kept
 * durably as a real gateway keeps its own (card_charges); mirrors
 * leap-store-sqlite-terminal.c. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store-pg-private.h"
#include "leap-error.h"
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

/* The batch in one statement, keys in order (two batches that share
 * keys take them in the same order); a key twice in it (the statement
 * cannot change a row twice) goes the per-request way. */
static JsonArray *
record_set (LeapStorePg *self,
            JsonArray   *entries,
            gint64       now,
            GError     **error)
{
  g_autoptr(LeapPgParams) params = _leap_pg_params_new ();
  g_autoptr(GHashTable) rows = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonArray) results = json_array_new ();
  g_autoptr(PGresult) result = NULL;
  GString *columns[5];

  for (guint i = 0; i < json_array_get_length (entries); i++)
    if (!g_hash_table_add (rows, (gpointer) leap_json_get_string (json_array_get_object_element
                                                                    (entries, i), "key", "")))
      {
        g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID, "A key twice in a batch");
        return NULL;
      }
  g_hash_table_remove_all (rows);
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    columns[c] = g_string_new ("{");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      _leap_pg_array_text (columns[0], leap_json_get_string (entry, "key", ""));
      _leap_pg_array_text (columns[1], leap_json_get_string (entry, "kind", ""));
      _leap_pg_array_int (columns[2], leap_json_get_int (entry, "amount", 0));
      _leap_pg_array_text (columns[3], leap_json_get_string (entry, "currency", ""));
      _leap_pg_array_text (columns[4], leap_json_get_string (entry, "result", ""));
    }
  for (guint c = 0; c < G_N_ELEMENTS (columns); c++)
    {
      _leap_pg_params_array (params, columns[c]);
      g_string_free (columns[c], TRUE);
    }
  _leap_pg_params_int (params, now);
  result = _leap_store_pg_query (self, "INSERT INTO card_charges (key, kind, amount, currency, "
                                       "result, created_at) SELECT e.*, $6 FROM unnest "
                                       "($1::text[], $2::text[], $3::bigint[], $4::text[], "
                                       "$5::text[]) AS e (key, kind, amount, currency, result) "
                                       "ORDER BY e.key ON CONFLICT (key) DO UPDATE SET "
                                       "requests = card_charges.requests + 1 "
                                       "RETURNING key, kind, amount, currency, result, requests",
                                 params, error);
  if (result == NULL)
    return NULL;
  for (int row = 0; row < PQntuples (result); row++)
    g_hash_table_insert (rows, PQgetvalue (result, row, 0), GINT_TO_POINTER (row + 1));
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      const char *key = leap_json_get_string (json_array_get_object_element (entries, i), "key",
                                              "");
      int row = GPOINTER_TO_INT (g_hash_table_lookup (rows, key));

      if (row == 0)
        {
          g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such charge");
          return NULL;
        }
      json_array_add_object_element (results, _leap_store_pg_row (result, row - 1, TRUE));
    }
  return g_steal_pointer (&results);
}

static JsonArray *
card_ledger_record (LeapStore  *store,
                    JsonArray  *entries,
                    GError    **error)
{
  return _leap_store_pg_batch_set (LEAP_STORE_PG (store), NULL, NULL, entries, record_set,
                                   record_one, error);
}

void
_leap_store_pg_terminal_class_init (LeapStoreClass *klass)
{
  klass->card_ledger_record = card_ledger_record;
}
