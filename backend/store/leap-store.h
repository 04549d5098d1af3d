/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The kinds of catalogue object, each a table with the fields of its schema. */
typedef enum
{
  LEAP_KIND_VENUE,
  LEAP_KIND_EVENT,
  LEAP_KIND_TIER,
  LEAP_KIND_OFFER,
  LEAP_N_KINDS
} LeapKind;

const char *leap_kind_to_string (LeapKind kind);

typedef struct
{
  const char *q;           /* words in the name, or NULL */
  gint64      venue_id;    /* 0: any venue */
  gint64      from;        /* starts_at >= from */
  gint64      to;          /* starts_at < to */
  gint64      after_starts_at; /* the cursor: rows after (starts_at, id) */
  gint64      after_id;    /* 0: from the start */
  guint       limit;
} LeapEventFilter;

/* Takes a page of a table's rows (objects of raw column values). */
typedef gboolean (*LeapStoreCopyFunc) (const char  *table,
                                       JsonArray   *rows,
                                       gpointer     data,
                                       GError     **error);

#define LEAP_TYPE_STORE (leap_store_get_type ())
G_DECLARE_DERIVABLE_TYPE (LeapStore, leap_store, LEAP, STORE, GObject)

/* The central database. Objects cross this interface as JsonObjects whose
 * members are the API's fields, so the HTTP layer can render them as they
 * are. Every call that can fail sets a LEAP_ERROR. A PostgreSQL store
 * implements the same vfuncs. */
struct _LeapStoreClass
{
  GObjectClass parent_class;

  gboolean    (*ping)              (LeapStore             *self,
                                    GError               **error);
  JsonObject *(*get)               (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 id,
                                    GError               **error);
  JsonArray  *(*list_venues)       (LeapStore             *self,
                                    GError               **error);
  JsonArray  *(*list_events)       (LeapStore             *self,
                                    const LeapEventFilter *filter,
                                    GError               **error);
  JsonArray  *(*list_children)     (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 event_id,
                                    GError               **error);
  JsonArray  *(*list_availability) (LeapStore             *self,
                                    gint64                 event_id,
                                    GError               **error);
  JsonArray  *(*list_inventory)    (LeapStore             *self,
                                    gint64                 event_id,
                                    GError               **error);
  JsonArray  *(*list_changes)      (LeapStore             *self,
                                    gint64                 since,
                                    guint                  limit,
                                    GError               **error);
  JsonObject *(*create)            (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 event_id,
                                    JsonObject            *fields,
                                    gint64                 actor,
                                    GError               **error);
  JsonObject *(*update)            (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 id,
                                    JsonObject            *patch,
                                    gint64                 actor,
                                    GError               **error);
  JsonObject *(*remove)            (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 id,
                                    gint64                 actor,
                                    GError               **error);
  JsonObject *(*count_committed)   (LeapStore             *self,
                                    LeapKind               kind,
                                    gint64                 id,
                                    GError               **error);

  gint64      (*create_user)       (LeapStore             *self,
                                    const char            *username,
                                    const char            *role,
                                    const char            *password_hash,
                                    GError               **error);
  JsonObject *(*get_user)          (LeapStore             *self,
                                    const char            *username,
                                    GError               **error);
  gboolean    (*set_password_hash) (LeapStore             *self,
                                    gint64                 user_id,
                                    const char            *password_hash,
                                    GError               **error);

  gboolean    (*put_session)       (LeapStore             *self,
                                    JsonObject            *session,
                                    GError               **error);
  JsonObject *(*get_session)       (LeapStore             *self,
                                    const char            *token_hash,
                                    GError               **error);
  gboolean    (*revoke_session)    (LeapStore             *self,
                                    const char            *token_hash,
                                    gint64                 now,
                                    GError               **error);

  JsonObject *(*get_order)         (LeapStore             *self,
                                    const char            *order_id,
                                    GError               **error);
  JsonArray  *(*write_orders)      (LeapStore             *self,
                                    JsonArray             *orders,
                                    GError               **error);
  gboolean    (*set_order_status)  (LeapStore             *self,
                                    const char            *order_id,
                                    const char            *status,
                                    const char            *reason,
                                    GError               **error);

  /* Refunds */
  JsonObject *(*begin_refund)         (LeapStore             *self,
                                       JsonObject            *refund,
                                       GError               **error);
  JsonObject *(*complete_refund)      (LeapStore             *self,
                                       gint64                 refund_id,
                                       const char            *provider_ref,
                                       GError               **error);
  JsonArray  *(*list_unfinished_refunds) (LeapStore          *self,
                                          GError            **error);
  JsonArray  *(*list_pending_returns) (LeapStore             *self,
                                       GError               **error);
  gboolean    (*mark_returned)        (LeapStore             *self,
                                       gint64                 refund_id,
                                       GError               **error);

  /* Tickets */
  JsonObject *(*check_in_ticket)      (LeapStore             *self,
                                       const char            *code,
                                       gint64                 event_id,
                                       gint64                 now,
                                       gint64                 actor,
                                       GError               **error);

  /* Holds without Redis */
  gint64      (*outage_open)          (LeapStore             *self,
                                       gint64                 since_ms,
                                       JsonArray             *available,
                                       GError               **error);
  JsonArray  *(*outage_close)         (LeapStore             *self,
                                       gint64                 now_ms,
                                       GError               **error);
  gboolean    (*lease_renew)          (LeapStore             *self,
                                       const char            *holder,
                                       gint64                 ttl_ms,
                                       GError               **error);
  gboolean    (*lease_drop)           (LeapStore             *self,
                                       const char            *holder,
                                       GError               **error);
  gboolean    (*outage_lower)         (LeapStore             *self,
                                       gint64                 since_ms,
                                       JsonArray             *available,
                                       GError               **error);
  gint64      (*db_hold_create)       (LeapStore             *self,
                                       JsonObject            *hold,
                                       GError               **error);
  JsonObject *(*db_hold_get)          (LeapStore             *self,
                                       const char            *hold_id,
                                       GError               **error);
  gboolean    (*db_hold_end)          (LeapStore             *self,
                                       const char            *hold_id,
                                       const char            *owner,
                                       const char            *status,
                                       gint64                 now_ms,
                                       GError               **error);
  gboolean    (*db_hold_checkout)     (LeapStore             *self,
                                       const char            *hold_id,
                                       const char            *owner,
                                       const char            *order_id,
                                       const char            *message,
                                       gint64                 now_ms,
                                       GError               **error);
  gint64      (*db_holds_expire)      (LeapStore             *self,
                                       gint64                 now_ms,
                                       GError               **error);
  gboolean    (*outbox_mark_sent)     (LeapStore             *self,
                                       const char            *order_id,
                                       gint64                 now_ms,
                                       GError               **error);
  gint64      (*outage_since)         (LeapStore             *self,
                                       GError               **error);
  gboolean    (*accept_orders)        (LeapStore             *self,
                                       JsonArray             *orders,
                                       GError               **error);
  JsonObject *(*get_accepted_order)   (LeapStore             *self,
                                       const char            *order_id,
                                       GError               **error);
  JsonObject *(*find_order_code)      (LeapStore             *self,
                                       const char            *key,
                                       GError               **error);

  /* Charge once */
  JsonArray  *(*begin_orders)         (LeapStore             *self,
                                       JsonArray             *orders,
                                       GError               **error);
  gboolean    (*void_order)           (LeapStore             *self,
                                       const char            *order_id,
                                       const char            *reason,
                                       GError               **error);
  JsonArray  *(*card_ledger_record)   (LeapStore             *self,
                                       JsonArray             *entries,
                                       GError               **error);

  /* Backups; NULL where the server has its own tools */
  gboolean    (*backup)               (LeapStore             *self,
                                       const char            *path,
                                       GError               **error);

  /* Copying a database into another store (leap_store_copy ()): the
   * source gives every row, parents before children; the target takes
   * them into an empty database, in one transaction. NULL where a store
   * is not one side. */
  gboolean    (*copy_out)             (LeapStore             *self,
                                       LeapStoreCopyFunc      sink,
                                       gpointer               data,
                                       GError               **error);
  gboolean    (*copy_in_begin)        (LeapStore             *self,
                                       GError               **error);
  gboolean    (*copy_in)              (LeapStore             *self,
                                       const char            *table,
                                       JsonArray             *rows,
                                       GError               **error);
  gboolean    (*copy_in_end)          (LeapStore             *self,
                                       gboolean               commit,
                                       GError               **error);
};

LeapStore  *leap_store_open              (const char            *url,
                                          GError               **error);
LeapStore  *leap_store_open_again        (LeapStore             *self,
                                          GError               **error);

/* Read replicas */
typedef struct
{
  guint64 replica_reads; /* reads a replica answered */
  guint64 primary_reads; /* reads a replica could have answered that the primary did */
} LeapStoreReadStats;

gboolean    leap_store_set_replicas      (LeapStore             *self,
                                          const char * const    *urls,
                                          GError               **error);
void        leap_store_get_read_stats    (LeapStore             *self,
                                          LeapStoreReadStats    *stats);

gboolean    leap_store_ping              (LeapStore             *self,
                                          GError               **error);
JsonObject *leap_store_get               (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 id,
                                          GError               **error);
JsonArray  *leap_store_list_venues       (LeapStore             *self,
                                          GError               **error);
JsonArray  *leap_store_list_events       (LeapStore             *self,
                                          const LeapEventFilter *filter,
                                          GError               **error);
JsonArray  *leap_store_list_children     (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 event_id,
                                          GError               **error);
JsonArray  *leap_store_list_availability (LeapStore             *self,
                                          gint64                 event_id,
                                          GError               **error);
JsonArray  *leap_store_list_inventory    (LeapStore             *self,
                                          gint64                 event_id,
                                          GError               **error);
JsonArray  *leap_store_list_changes      (LeapStore             *self,
                                          gint64                 since,
                                          guint                  limit,
                                          GError               **error);
JsonObject *leap_store_create            (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 event_id,
                                          JsonObject            *fields,
                                          gint64                 actor,
                                          GError               **error);
JsonObject *leap_store_update            (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 id,
                                          JsonObject            *patch,
                                          gint64                 actor,
                                          GError               **error);
JsonObject *leap_store_remove            (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 id,
                                          gint64                 actor,
                                          GError               **error);
JsonObject *leap_store_count_committed   (LeapStore             *self,
                                          LeapKind               kind,
                                          gint64                 id,
                                          GError               **error);
gint64      leap_store_create_user       (LeapStore             *self,
                                          const char            *username,
                                          const char            *role,
                                          const char            *password_hash,
                                          GError               **error);
JsonObject *leap_store_get_user          (LeapStore             *self,
                                          const char            *username,
                                          GError               **error);
gboolean    leap_store_set_password_hash (LeapStore             *self,
                                          gint64                 user_id,
                                          const char            *password_hash,
                                          GError               **error);
gboolean    leap_store_put_session       (LeapStore             *self,
                                          JsonObject            *session,
                                          GError               **error);
JsonObject *leap_store_get_session       (LeapStore             *self,
                                          const char            *token_hash,
                                          GError               **error);
gboolean    leap_store_revoke_session    (LeapStore             *self,
                                          const char            *token_hash,
                                          gint64                 now,
                                          GError               **error);

JsonObject *leap_store_get_order         (LeapStore             *self,
                                          const char            *order_id,
                                          GError               **error);
JsonArray  *leap_store_write_orders      (LeapStore             *self,
                                          JsonArray             *orders,
                                          GError               **error);
JsonObject *leap_store_write_order       (LeapStore             *self,
                                          JsonObject            *order,
                                          GError               **error);
gboolean    leap_store_set_order_status  (LeapStore             *self,
                                          const char            *order_id,
                                          const char            *status,
                                          const char            *reason,
                                          GError               **error);

/* Refunds */
JsonObject *leap_store_begin_refund      (LeapStore             *self,
                                          JsonObject            *refund,
                                          GError               **error);
JsonObject *leap_store_complete_refund   (LeapStore             *self,
                                          gint64                 refund_id,
                                          const char            *provider_ref,
                                          GError               **error);
JsonArray  *leap_store_list_unfinished_refunds (LeapStore       *self,
                                                GError         **error);
JsonArray  *leap_store_list_pending_returns (LeapStore             *self,
                                             GError               **error);
gboolean    leap_store_mark_returned        (LeapStore             *self,
                                             gint64                 refund_id,
                                             GError               **error);

/* Tickets */
JsonObject *leap_store_check_in_ticket      (LeapStore             *self,
                                             const char            *code,
                                             gint64                 event_id,
                                             gint64                 now,
                                             gint64                 actor,
                                             GError               **error);

/* Holds without Redis (see "When Redis is down" in docs/architecture.md) */
gint64      leap_store_outage_open        (LeapStore             *self,
                                           gint64                 since_ms,
                                           JsonArray             *available,
                                           GError               **error);
gboolean    leap_store_lease_renew        (LeapStore             *self,
                                           const char            *holder,
                                           gint64                 ttl_ms,
                                           GError               **error);
gboolean    leap_store_lease_drop         (LeapStore             *self,
                                           const char            *holder,
                                           GError               **error);
JsonArray  *leap_store_outage_close       (LeapStore             *self,
                                           gint64                 now_ms,
                                           GError               **error);
gboolean    leap_store_outage_lower       (LeapStore             *self,
                                           gint64                 since_ms,
                                           JsonArray             *available,
                                           GError               **error);
gint64      leap_store_db_hold_create     (LeapStore             *self,
                                           JsonObject            *hold,
                                           GError               **error);
JsonObject *leap_store_db_hold_get        (LeapStore             *self,
                                           const char            *hold_id,
                                           GError               **error);
gboolean    leap_store_db_hold_end        (LeapStore             *self,
                                           const char            *hold_id,
                                           const char            *owner,
                                           const char            *status,
                                           gint64                 now_ms,
                                           GError               **error);
gboolean    leap_store_db_hold_checkout   (LeapStore             *self,
                                           const char            *hold_id,
                                           const char            *owner,
                                           const char            *order_id,
                                           const char            *message,
                                           gint64                 now_ms,
                                           GError               **error);
gint64      leap_store_db_holds_expire    (LeapStore             *self,
                                           gint64                 now_ms,
                                           GError               **error);
gboolean    leap_store_outbox_mark_sent   (LeapStore             *self,
                                           const char            *order_id,
                                           gint64                 now_ms,
                                           GError               **error);
gboolean    leap_store_accept_orders      (LeapStore             *self,
                                           JsonArray             *orders,
                                           GError               **error);
JsonObject *leap_store_get_accepted_order (LeapStore             *self,
                                           const char            *order_id,
                                           GError               **error);
JsonObject *leap_store_find_order_code    (LeapStore             *self,
                                           const char            *key,
                                           GError               **error);
gint64      leap_store_outage_since       (LeapStore             *self,
                                           GError               **error);
JsonArray  *leap_store_begin_orders       (LeapStore             *self,
                                           JsonArray             *orders,
                                           GError               **error);
JsonObject *leap_store_begin_order        (LeapStore             *self,
                                           JsonObject            *order,
                                           GError               **error);
gboolean    leap_store_void_order         (LeapStore             *self,
                                           const char            *order_id,
                                           const char            *reason,
                                           GError               **error);
JsonArray  *leap_store_card_ledger_record_many (LeapStore        *self,
                                                JsonArray        *entries,
                                                GError          **error);
JsonObject *leap_store_card_ledger_record (LeapStore             *self,
                                           JsonObject            *entry,
                                           GError               **error);
JsonObject *leap_store_batch_result       (JsonArray             *results,
                                           guint                  i,
                                           GError               **error);

gboolean    leap_store_backup             (LeapStore             *self,
                                           const char            *path,
                                           GError               **error);
JsonObject *leap_store_copy               (LeapStore             *from,
                                           LeapStore             *to,
                                           GError               **error);

/* For the stores: rows read the same way from either database. */
JsonArray  *leap_store_items_to_lines     (const char            *items);
void        leap_store_shape_order        (JsonObject            *order,
                                           JsonArray             *lines,
                                           JsonArray             *payments,
                                           JsonArray             *tickets);
void        leap_store_add_refund_rows    (JsonObject            *order,
                                           JsonArray             *rows);
char       *leap_store_refund_details     (JsonObject            *refund,
                                           gint64                 refund_id,
                                           gint64                 seq,
                                           const char            *items,
                                           gint64                 tickets);
JsonObject *leap_store_refund_begun       (gint64                 refund_id,
                                           gint64                 seq,
                                           const char            *refund_key,
                                           gint64                 event_id,
                                           const char            *items,
                                           JsonObject            *order);

/* Runs on a connection of the store's pool, in another thread (see
 * leap_store_call_async ()). */
typedef gpointer (*LeapStoreFunc) (LeapStore *store,
                                   gpointer   data,
                                   GError   **error);

void        leap_store_set_connections   (LeapStore             *self,
                                          guint                  connections);
void        leap_store_call_async        (LeapStore             *self,
                                          LeapStoreFunc          func,
                                          gpointer               data,
                                          GDestroyNotify         data_destroy,
                                          GDestroyNotify         result_destroy,
                                          GCancellable          *cancellable,
                                          GAsyncReadyCallback    callback,
                                          gpointer               user_data);
gpointer    leap_store_call_finish       (LeapStore             *self,
                                          GAsyncResult          *result,
                                          GError               **error);

/* How many statements this store has run; tests use it to prove that a
 * cache hit does not reach the database. */
guint64     leap_store_get_query_count   (LeapStore             *self);
void        leap_store_count_query       (LeapStore             *self);
/* For the stores' batches: one element that failed, as
 * {"error": {"code", "message"}}. */
JsonObject *leap_store_batch_failure     (const GError          *error);

G_END_DECLS
