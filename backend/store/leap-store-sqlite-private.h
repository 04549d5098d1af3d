/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <sqlite3.h>

#include "leap-store-sqlite.h"

G_BEGIN_DECLS

/* LeapStoreSqlite is spread over one file per aggregate, so that another
 * store (PostgreSQL) can mirror it file for file. leap-store-sqlite.c holds
 * the type, the statement cache, transactions and migrations, and wires the
 * functions below into LeapStoreClass. */
struct _LeapStoreSqlite
{
  LeapStore   parent_instance;

  /* Owned */
  sqlite3    *db;
  GHashTable *statements; /* SQL text → sqlite3_stmt, prepared once */
  char       *path;
};

/* One element of a batch (_leap_store_sqlite_batch ()): its stored
 * result, or NULL and @error. */
typedef JsonObject *(*LeapStoreSqliteOneFunc) (LeapStoreSqlite  *self,
                                               JsonObject       *item,
                                               gint64            now,
                                               GError          **error);

/* leap-store-sqlite.c: statements, rows and transactions */
gboolean      _leap_store_sqlite_set_error         (LeapStoreSqlite  *self,
                                                    int               rc,
                                                    GError          **error);
sqlite3_stmt *_leap_store_sqlite_prepare           (LeapStoreSqlite  *self,
                                                    const char       *sql,
                                                    GError          **error);
gboolean      _leap_store_sqlite_exec              (LeapStoreSqlite  *self,
                                                    const char       *sql,
                                                    GError          **error);
gboolean      _leap_store_sqlite_begin             (LeapStoreSqlite  *self,
                                                    GError          **error);
gboolean      _leap_store_sqlite_commit            (LeapStoreSqlite  *self,
                                                    GError          **error);
void          _leap_store_sqlite_undo              (LeapStoreSqlite  *self,
                                                    const char       *sql);
void          _leap_store_sqlite_rollback          (LeapStoreSqlite  *self);
JsonArray    *_leap_store_sqlite_batch             (LeapStoreSqlite  *self,
                                                    JsonArray        *items,
                                                    LeapStoreSqliteOneFunc one,
                                                    GError          **error);
JsonObject   *_leap_store_sqlite_row               (sqlite3_stmt     *stmt,
                                                    gboolean          raw_times);
JsonArray    *_leap_store_sqlite_collect_rows      (LeapStoreSqlite  *self,
                                                    sqlite3_stmt     *stmt,
                                                    GError          **error);
JsonObject   *_leap_store_sqlite_collect_one       (LeapStoreSqlite  *self,
                                                    sqlite3_stmt     *stmt,
                                                    gboolean          raw_times,
                                                    const char       *what,
                                                    GError          **error);
gboolean      _leap_store_sqlite_step_done         (LeapStoreSqlite  *self,
                                                    sqlite3_stmt     *stmt,
                                                    GError          **error);
void          _leap_store_sqlite_bind_text_or_null (sqlite3_stmt     *stmt,
                                                    int               i,
                                                    const char       *text);
gboolean      _leap_store_sqlite_audit             (LeapStoreSqlite  *self,
                                                    gint64            now,
                                                    gint64            user_id,
                                                    const char       *action,
                                                    const char       *object_kind,
                                                    const char       *object_id,
                                                    const char       *details,
                                                    GError          **error);

/* leap-store-sqlite-catalogue.c */
JsonObject   *_leap_store_sqlite_get                  (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  id,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_venues          (LeapStore              *store,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_events          (LeapStore              *store,
                                                       const LeapEventFilter  *filter,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_children        (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  event_id,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_availability    (LeapStore              *store,
                                                       gint64                  event_id,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_inventory       (LeapStore              *store,
                                                       gint64                  event_id,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_changes         (LeapStore              *store,
                                                       gint64                  since,
                                                       guint                   limit,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_create               (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  event_id,
                                                       JsonObject             *fields,
                                                       gint64                  actor,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_update               (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  id,
                                                       JsonObject             *patch,
                                                       gint64                  actor,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_remove               (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  id,
                                                       gint64                  actor,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_count_committed      (LeapStore              *store,
                                                       LeapKind                kind,
                                                       gint64                  id,
                                                       GError                **error);

/* leap-store-sqlite-sessions.c: users and sessions */
gint64        _leap_store_sqlite_create_user          (LeapStore              *store,
                                                       const char             *username,
                                                       const char             *role,
                                                       const char             *password_hash,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_get_user             (LeapStore              *store,
                                                       const char             *username,
                                                       GError                **error);
gboolean      _leap_store_sqlite_set_password_hash    (LeapStore              *store,
                                                       gint64                  user_id,
                                                       const char             *password_hash,
                                                       GError                **error);
gboolean      _leap_store_sqlite_put_session          (LeapStore              *store,
                                                       JsonObject             *session,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_get_session          (LeapStore              *store,
                                                       const char             *token_hash,
                                                       GError                **error);
gboolean      _leap_store_sqlite_revoke_session       (LeapStore              *store,
                                                       const char             *token_hash,
                                                       gint64                  now,
                                                       GError                **error);

/* leap-store-sqlite-orders.c: orders, and the orders Redis accepted */
JsonObject   *_leap_store_sqlite_get_order_in         (LeapStoreSqlite        *self,
                                                       const char             *order_id,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_get_order            (LeapStore              *store,
                                                       const char             *order_id,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_write_orders         (LeapStore              *store,
                                                       JsonArray              *orders,
                                                       GError                **error);
gboolean      _leap_store_sqlite_set_order_status     (LeapStore              *store,
                                                       const char             *order_id,
                                                       const char             *status,
                                                       const char             *reason,
                                                       GError                **error);
gboolean      _leap_store_sqlite_accept_orders        (LeapStore              *store,
                                                       JsonArray              *orders,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_get_accepted_order   (LeapStore              *store,
                                                       const char             *order_id,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_find_order_code      (LeapStore              *store,
                                                       const char             *key,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_begin_orders         (LeapStore              *store,
                                                       JsonArray              *orders,
                                                       GError                **error);
gboolean      _leap_store_sqlite_void_order           (LeapStore              *store,
                                                       const char             *order_id,
                                                       const char             *reason,
                                                       GError                **error);

/* leap-store-sqlite-terminal.c: the simulated card terminal's ledger */
JsonArray    *_leap_store_sqlite_card_ledger_record   (LeapStore              *store,
                                                       JsonArray              *entries,
                                                       GError                **error);

/* leap-store-sqlite-leases.c: who sells through Redis */
gboolean      _leap_store_sqlite_lease_renew          (LeapStore              *store,
                                                       const char             *holder,
                                                       gint64                  ttl_ms,
                                                       GError                **error);
gboolean      _leap_store_sqlite_lease_drop           (LeapStore              *store,
                                                       const char             *holder,
                                                       GError                **error);
int           _leap_store_sqlite_lease_live_in        (LeapStoreSqlite        *self,
                                                       GError                **error);

/* leap-store-sqlite-checkins.c */
JsonObject   *_leap_store_sqlite_check_in_ticket      (LeapStore              *store,
                                                       const char             *code,
                                                       gint64                  event_id,
                                                       gint64                  now,
                                                       gint64                  actor,
                                                       GError                **error);

/* leap-store-sqlite-refunds.c */
gboolean      _leap_store_sqlite_add_refunds          (LeapStoreSqlite        *self,
                                                       JsonObject             *order,
                                                       const char             *order_id,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_begin_refund         (LeapStore              *store,
                                                       JsonObject             *refund,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_complete_refund      (LeapStore              *store,
                                                       gint64                  refund_id,
                                                       const char             *provider_ref,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_list_unfinished_refunds (LeapStore           *store,
                                                          GError             **error);
JsonArray    *_leap_store_sqlite_list_pending_returns (LeapStore              *store,
                                                       GError                **error);
gboolean      _leap_store_sqlite_mark_returned        (LeapStore              *store,
                                                       gint64                  refund_id,
                                                       GError                **error);

/* leap-store-sqlite-outage.c: holds made while Redis is down */
gint64        _leap_store_sqlite_outage_open          (LeapStore              *store,
                                                       gint64                  since_ms,
                                                       JsonArray              *available,
                                                       GError                **error);
JsonArray    *_leap_store_sqlite_outage_close         (LeapStore              *store,
                                                       gint64                  now_ms,
                                                       GError                **error);
gboolean      _leap_store_sqlite_outage_lower         (LeapStore              *store,
                                                       gint64                  since_ms,
                                                       JsonArray              *available,
                                                       GError                **error);
gint64        _leap_store_sqlite_outage_since         (LeapStore              *store,
                                                       GError                **error);
gint64        _leap_store_sqlite_db_hold_create       (LeapStore              *store,
                                                       JsonObject             *hold,
                                                       GError                **error);
JsonObject   *_leap_store_sqlite_db_hold_get          (LeapStore              *store,
                                                       const char             *hold_id,
                                                       GError                **error);
gboolean      _leap_store_sqlite_db_hold_end          (LeapStore              *store,
                                                       const char             *hold_id,
                                                       const char             *owner,
                                                       const char             *status,
                                                       gint64                  now_ms,
                                                       GError                **error);
gboolean      _leap_store_sqlite_db_hold_checkout     (LeapStore              *store,
                                                       const char             *hold_id,
                                                       const char             *owner,
                                                       const char             *order_id,
                                                       const char             *message,
                                                       gint64                  now_ms,
                                                       GError                **error);
gint64        _leap_store_sqlite_db_holds_expire      (LeapStore              *store,
                                                       gint64                  now_ms,
                                                       GError                **error);
gboolean      _leap_store_sqlite_outbox_mark_sent     (LeapStore              *store,
                                                       const char             *order_id,
                                                       gint64                  now_ms,
                                                       GError                **error);

/* leap-store-sqlite-copy.c: every row, for leap_store_copy () */
gboolean      _leap_store_sqlite_copy_out             (LeapStore              *store,
                                                       LeapStoreCopyFunc       sink,
                                                       gpointer                data,
                                                       GError                **error);

G_END_DECLS
