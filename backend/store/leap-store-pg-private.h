/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libpq-fe.h>

#include "leap-store-pg.h"

G_BEGIN_DECLS

/* LeapStorePg mirrors LeapStoreSqlite file for file: leap-store-pg.c holds
 * the type, the connection, the statement cache, rows, transactions and
 * migrations; each aggregate is in a leap-store-pg-*.c of its own and wires
 * its own vfuncs in its _class_init () below.
 *
 * The tables, columns and their meaning are those of the SQLite migrations
 * (backend/store/sqlite/), in PostgreSQL's dialect (backend/store/pg/):
 * integers are bigint, times bigint seconds (UTC), flags integers, so a row
 * reads the same JSON from either store. */
struct _LeapStorePg
{
  LeapStore   parent_instance;

  /* Owned */
  PGconn     *conn;
  GHashTable *statements;  /* SQL text → statement name, prepared on conn */
  char       *conninfo;
  guint       depth;       /* open transactions: 0 or 1 */
};

/* The parameters of one statement ($1, $2, …), as text; NULL is SQL NULL. */
typedef struct _LeapPgParams LeapPgParams;

LeapPgParams *_leap_pg_params_new      (void);
void          _leap_pg_params_free     (LeapPgParams *params);
void          _leap_pg_params_text     (LeapPgParams *params,
                                        const char   *text);
void          _leap_pg_params_int      (LeapPgParams *params,
                                        gint64        value);
/* 0 (no id, no user) is SQL NULL. */
void          _leap_pg_params_id       (LeapPgParams *params,
                                        gint64        id);
/* Adds an element to a PostgreSQL array literal begun as "{": a number,
 * or a string quoted whole (NULL is SQL NULL). For unnest ($1::text[], …):
 * one statement for many rows. */
void          _leap_pg_array_int       (GString      *array,
                                        gint64        value);
void          _leap_pg_array_text      (GString      *array,
                                        const char   *text);
/* Closes @array and passes it as the next parameter. */
void          _leap_pg_params_array    (LeapPgParams *params,
                                        GString      *array);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LeapPgParams, _leap_pg_params_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

/* One element of a batch (_leap_store_pg_batch ()): its stored result, or
 * NULL and @error. */
typedef JsonObject *(*LeapStorePgOneFunc) (LeapStorePg  *self,
                                           JsonObject   *item,
                                           gint64        now,
                                           GError      **error);

/* A whole batch (_leap_store_pg_batch_set ()): one element per item, in
 * order, or NULL and @error if any item could not be stored. */
typedef JsonArray  *(*LeapStorePgSetFunc) (LeapStorePg  *self,
                                           JsonArray    *items,
                                           gint64        now,
                                           GError      **error);

/* leap-store-pg.c: statements, rows and transactions */

/* A LEAP_ERROR from a failed result (or the connection when @result is
 * NULL): unique and foreign-key violations are conflicts, a lost
 * connection, a deadlock or a serialization failure unavailable. The
 * server's own text goes to the log, never into @error: it reaches
 * clients. Always returns FALSE. */
gboolean      _leap_store_pg_set_error  (LeapStorePg         *self,
                                         const PGresult      *result,
                                         GError             **error);
/* Runs fixed SQL text ($1, $2, … for @params, which may be NULL) as a
 * statement prepared once on this connection. The result when it is
 * COMMAND_OK or TUPLES_OK, else NULL and @error. SQL is never built from
 * client input. A connection found broken is reset once, outside a
 * transaction. */
PGresult     *_leap_store_pg_query      (LeapStorePg         *self,
                                         const char          *sql,
                                         LeapPgParams        *params,
                                         GError             **error);
gboolean      _leap_store_pg_exec       (LeapStorePg         *self,
                                         const char          *sql,
                                         LeapPgParams        *params,
                                         GError             **error);
/* The rows of a query as objects (API times as ISO 8601 strings). */
JsonArray    *_leap_store_pg_query_rows (LeapStorePg         *self,
                                         const char          *sql,
                                         LeapPgParams        *params,
                                         GError             **error);
/* The first row, or NULL and NOT_FOUND "No such @what". */
JsonObject   *_leap_store_pg_query_one  (LeapStorePg         *self,
                                         const char          *sql,
                                         LeapPgParams        *params,
                                         gboolean             raw_times,
                                         const char          *what,
                                         GError             **error);
/* One row of @result as an object: bigint and integer columns as ints
 * (times, *_at, valid_from and valid_until, as ISO 8601 unless
 * @raw_times), text as strings, NULL as null. */
JsonObject   *_leap_store_pg_row        (const PGresult      *result,
                                         int                  row,
                                         gboolean             raw_times);
gint64        _leap_store_pg_int        (const PGresult      *result,
                                         int                  row,
                                         int                  column);
/* Rows a command changed (PQcmdTuples). */
gint64        _leap_store_pg_changes    (const PGresult      *result);
gboolean      _leap_store_pg_begin      (LeapStorePg         *self,
                                         GError             **error);
gboolean      _leap_store_pg_commit     (LeapStorePg         *self,
                                         GError             **error);
void          _leap_store_pg_undo       (LeapStorePg         *self,
                                         const char          *sql);
void          _leap_store_pg_rollback   (LeapStorePg         *self);
JsonArray    *_leap_store_pg_batch      (LeapStorePg         *self,
                                         JsonArray           *items,
                                         LeapStorePgOneFunc   one,
                                         GError             **error);
JsonArray    *_leap_store_pg_batch_after (LeapStorePg        *self,
                                         const char          *first,
                                         LeapPgParams        *params,
                                         JsonArray           *items,
                                         LeapStorePgOneFunc   one,
                                         GError             **error);
JsonArray    *_leap_store_pg_batch_set  (LeapStorePg         *self,
                                         const char          *first,
                                         LeapPgParams        *params,
                                         JsonArray           *items,
                                         LeapStorePgSetFunc   set,
                                         LeapStorePgOneFunc   one,
                                         GError             **error);
gboolean      _leap_store_pg_audit      (LeapStorePg         *self,
                                         gint64               now,
                                         gint64               user_id,
                                         const char          *action,
                                         const char          *object_kind,
                                         const char          *object_id,
                                         const char          *details,
                                         GError             **error);

/* Each file wires its own vfuncs. */
void _leap_store_pg_catalogue_class_init (LeapStoreClass *klass);
void _leap_store_pg_sessions_class_init  (LeapStoreClass *klass);
void _leap_store_pg_orders_class_init    (LeapStoreClass *klass);
void _leap_store_pg_terminal_class_init  (LeapStoreClass *klass);
void _leap_store_pg_leases_class_init    (LeapStoreClass *klass);
void _leap_store_pg_checkins_class_init  (LeapStoreClass *klass);
void _leap_store_pg_refunds_class_init   (LeapStoreClass *klass);
void _leap_store_pg_outage_class_init    (LeapStoreClass *klass);
void _leap_store_pg_copy_class_init      (LeapStoreClass *klass);

/* Shared between the files (the vfuncs themselves are static in theirs). */
JsonObject   *_leap_store_pg_get_order_in  (LeapStorePg  *self,
                                            const char   *order_id,
                                            GError      **error);
int           _leap_store_pg_lease_live_in (LeapStorePg  *self,
                                            GError      **error);
gboolean      _leap_store_pg_add_refunds   (LeapStorePg  *self,
                                            JsonObject   *order,
                                            const char   *order_id,
                                            GError      **error);
/* leap-store-pg-orders.c: gives each of the orders @ids (an array
 * literal) its @candidates (the first candidate each), or when taken
 * the next free one, unless it has a code. */
gboolean      _leap_store_pg_give_codes    (LeapStorePg  *self,
                                            const char   *ids,
                                            const char   *candidates,
                                            GError      **error);
/* leap-store-pg-orders-set.c: the set-based ways (LeapStorePgSetFunc) */
JsonArray    *_leap_store_pg_write_set     (LeapStorePg  *self,
                                            JsonArray    *orders,
                                            gint64        now,
                                            GError      **error);
JsonArray    *_leap_store_pg_begin_set     (LeapStorePg  *self,
                                            JsonArray    *orders,
                                            gint64        now,
                                            GError      **error);

G_END_DECLS
