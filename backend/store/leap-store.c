/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-store.h"
#include "leap-store-pg.h"
#include "leap-store-private.h"
#include "leap-store-replicas.h"
#include "leap-store-sqlite.h"
#include "leap-error.h"
#include "leap-json.h"

#define DEFAULT_CONNECTIONS 4

typedef struct
{
  GMutex             lock;        /* queries */
  guint64            queries;
  char              *url;
  LeapStoreReplicas *replicas;    /* NULL: none */
  LeapStore         *counts_to;   /* Borrowed: the store a pool connection works for */
  guint              connections; /* the pool's size */
  GThreadPool       *pool;        /* runs leap_store_call_async ()'s functions */
  GAsyncQueue       *idle;        /* of LeapStore: the pool's connections not in use */
} LeapStorePrivate;

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (LeapStore, leap_store, G_TYPE_OBJECT)

static void
leap_store_finalize (GObject *object)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (LEAP_STORE (object));

  /* Every call holds a reference to the store: none is left to run. */
  if (priv->pool != NULL)
    g_thread_pool_free (priv->pool, FALSE, TRUE);
  g_async_queue_unref (priv->idle);
  g_mutex_clear (&priv->lock);
  g_free (priv->url);
  g_clear_pointer (&priv->replicas, _leap_store_replicas_free);

  G_OBJECT_CLASS (leap_store_parent_class)->finalize (object);
}

static void
leap_store_class_init (LeapStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_store_finalize;
}

static void
leap_store_init (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  g_mutex_init (&priv->lock);
  priv->connections = DEFAULT_CONNECTIONS;
  priv->idle = g_async_queue_new_full (g_object_unref);
}

const char *
leap_kind_to_string (LeapKind kind)
{
  static const char *names[] = { "venue", "event", "tier", "offer" };

  g_return_val_if_fail (kind < LEAP_N_KINDS, "unknown");
  return names[kind];
}

/* Whether @url is PostgreSQL's: a postgresql:// or postgres:// URI, or a
 * libpq "key=value …" string (an '=' and no scheme before it). */
static gboolean
is_pg_url (const char *url)
{
  const char *equals = strchr (url, '=');
  const char *colon = strchr (url, ':');

  if (g_str_has_prefix (url, "postgresql://") || g_str_has_prefix (url, "postgres://"))
    return TRUE;
  return equals != NULL && (colon == NULL || colon > equals);
}

/* Opens the database a URL names: sqlite:PATH, or PostgreSQL (see
 * is_pg_url ()). */
LeapStore *
leap_store_open (const char *url,
                 GError    **error)
{
  LeapStore *store;

  g_return_val_if_fail (url != NULL, NULL);

  if (g_str_has_prefix (url, "sqlite:"))
    store = leap_store_sqlite_new (url + strlen ("sqlite:"), error);
  else if (is_pg_url (url))
    store = leap_store_pg_new (url, error);
  else
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                   "Unsupported database URL “%s”: use sqlite:PATH, postgresql://… or a "
                   "PostgreSQL connection string (host=… dbname=…)", url);
      return NULL;
    }
  if (store != NULL)
    {
      LeapStorePrivate *priv = leap_store_get_instance_private (store);

      priv->url = g_strdup (url);
    }
  return store;
}

/* A connection of its own to the same database, for another thread: a
 * store is used by one thread at a time. */
LeapStore *
leap_store_open_again (LeapStore *self,
                       GError   **error)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  LeapStore *store;

  if (priv->url == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                           "This store was not opened from a URL");
      return NULL;
    }
  store = leap_store_open (priv->url, error);
  if (store != NULL && priv->replicas != NULL)
    {
      LeapStorePrivate *again = leap_store_get_instance_private (store);

      again->replicas = _leap_store_replicas_open_again (priv->replicas, store);
    }
  return store;
}

/* Streaming replicas of this PostgreSQL database (docs/deployment.md,
 * "Read replicas"), for the reads that may be a moment old: get,
 * list_venues, list_events, list_children (the catalogue's loads behind
 * the cache). Everything else (device sync too), and those
 * reads after a catalogue write until a replica has replayed it, is the
 * primary's, as are the reads while no replica is fit (down, too far
 * behind, or without the primary's migrations). Nothing is connected
 * here: a replica that is down now is tried again later. */
gboolean
leap_store_set_replicas (LeapStore          *self,
                         const char * const *urls,
                         GError            **error)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  g_return_val_if_fail (priv->replicas == NULL, FALSE);

  if (urls == NULL || urls[0] == NULL)
    return TRUE;
  if (!LEAP_IS_STORE_PG (self))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "Read replicas are PostgreSQL's: the database must be PostgreSQL");
      return FALSE;
    }
  for (guint i = 0; urls[i] != NULL; i++)
    {
      if (!is_pg_url (urls[i]))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "Read replica “%s”: not a PostgreSQL database (postgresql://… or "
                       "host=… dbname=…)", urls[i]);
          return FALSE;
        }
      if (!leap_store_pg_check_conninfo (urls[i], error))
        {
          g_prefix_error (error, "Read replica “%s”: ", urls[i]);
          return FALSE;
        }
    }
  priv->replicas = _leap_store_replicas_new (self, urls);
  return TRUE;
}

/* Where the reads that may go to a replica went; zeros without replicas. */
void
leap_store_get_read_stats (LeapStore          *self,
                           LeapStoreReadStats *stats)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  memset (stats, 0, sizeof *stats);
  if (priv->replicas != NULL)
    _leap_store_replicas_get_stats (priv->replicas, stats);
}

guint64
leap_store_get_query_count (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  guint64 queries;

  g_mutex_lock (&priv->lock);
  queries = priv->queries;
  g_mutex_unlock (&priv->lock);
  return queries;
}

/* A pool connection counts for the store it works for: the count is what
 * the backend asked of the database, on whichever connection. */
void
leap_store_count_query (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  if (priv->counts_to != NULL)
    priv = leap_store_get_instance_private (priv->counts_to);
  g_mutex_lock (&priv->lock);
  priv->queries++;
  g_mutex_unlock (&priv->lock);
}

/* Calls off the main loop: a pool of at most `connections` threads, each
 * call on a connection of its own (leap_store_open_again ()) that no other
 * thread uses meanwhile. The main loop never waits for the database, be it
 * a SQLite file another writer has locked or a server across the network;
 * the answer comes back to the caller's main context. */

typedef struct
{
  LeapStoreFunc  func;
  gpointer       data;
  GDestroyNotify data_destroy;
  GDestroyNotify result_destroy;
  gpointer       result;
  GError        *error;
} Call;

static void
call_free (Call *call)
{
  if (call->data_destroy != NULL)
    call->data_destroy (call->data);
  if (call->result != NULL && call->result_destroy != NULL)
    call->result_destroy (call->result);
  g_clear_error (&call->error);
  g_free (call);
}

/* On the caller's context, where the task is also dropped: its data and
 * the store are then never freed by a pool thread. */
static gboolean
call_return_cb (gpointer data)
{
  g_autoptr(GTask) task = data;
  Call *call = g_task_get_task_data (task);

  if (call->error != NULL)
    g_task_return_error (task, g_steal_pointer (&call->error));
  else
    g_task_return_pointer (task, g_steal_pointer (&call->result), call->result_destroy);
  return G_SOURCE_REMOVE;
}

static LeapStore *
take_connection (LeapStore *self,
                 GError   **error)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  LeapStore *conn = g_async_queue_try_pop (priv->idle);
  LeapStorePrivate *conn_priv;

  /* At most one connection per thread of the pool is ever opened. */
  if (conn != NULL)
    return conn;
  conn = leap_store_open_again (self, error);
  if (conn == NULL)
    return NULL;
  conn_priv = leap_store_get_instance_private (conn);
  conn_priv->counts_to = self;
  return conn;
}

static void
call_run (gpointer data,
          gpointer user_data)
{
  GTask *task = data;
  LeapStore *self = user_data;
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  Call *call = g_task_get_task_data (task);
  GSource *source;

  if (!g_cancellable_set_error_if_cancelled (g_task_get_cancellable (task), &call->error))
    {
      LeapStore *conn = take_connection (self, &call->error);

      if (conn != NULL)
        {
          call->result = call->func (conn, call->data, &call->error);
          g_async_queue_push (priv->idle, conn);
        }
    }
  source = g_idle_source_new ();
  /* Not idle's low priority: a busy loop would starve the answers. */
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, call_return_cb, task, NULL);
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);
}

/* How many connections (and threads) the calls may use at once; default 4. */
void
leap_store_set_connections (LeapStore *self,
                            guint      connections)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  g_return_if_fail (LEAP_IS_STORE (self));
  g_return_if_fail (connections > 0);

  priv->connections = connections;
  if (priv->pool != NULL)
    g_thread_pool_set_max_threads (priv->pool, connections, NULL);
}

/* Runs func (connection, data, error) on a connection of the pool, in
 * another thread: func must touch nothing but data and what it makes. It
 * fails if and only if it sets its error; what it returns is the result,
 * freed with result_destroy if nobody takes it. data is freed with
 * data_destroy on the caller's context. Calls made one after the other's
 * answer see each other's writes; calls in flight together may run in
 * any order. */
void
leap_store_call_async (LeapStore          *self,
                       LeapStoreFunc       func,
                       gpointer            data,
                       GDestroyNotify      data_destroy,
                       GDestroyNotify      result_destroy,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);
  g_autoptr(GTask) task = NULL;
  Call *call;

  g_return_if_fail (LEAP_IS_STORE (self));
  g_return_if_fail (func != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_store_call_async);
  call = g_new0 (Call, 1);
  call->func = func;
  call->data = data;
  call->data_destroy = data_destroy;
  call->result_destroy = result_destroy;
  g_task_set_task_data (task, call, (GDestroyNotify) call_free);

  if (priv->pool == NULL)
    {
      g_autoptr(GError) error = NULL;

      priv->pool = g_thread_pool_new (call_run, self, priv->connections, FALSE, &error);
      if (priv->pool == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  /* The pool's reference is dropped by call_return_cb (). */
  g_thread_pool_push (priv->pool, g_steal_pointer (&task), NULL);
}

/* The result of func; NULL with error set if it failed, NULL without if
 * that is what it returned. */
gpointer
leap_store_call_finish (LeapStore    *self,
                        GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == leap_store_call_async, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

JsonObject *
leap_store_batch_failure (const GError *error)
{
  JsonObject *result = json_object_new ();
  JsonObject *failure = json_object_new ();

  json_object_set_string_member (failure, "code", leap_error_code_to_string (error->code));
  json_object_set_string_member (failure, "message", error->message);
  json_object_set_object_member (result, "error", failure);
  return result;
}

#define FORWARD(name, ret, ...) LEAP_STORE_GET_CLASS (self)->name (self, __VA_ARGS__)

/* A read a replica may answer (leap_store_set_replicas ()): one try on a
 * fit replica, else, or if it failed, the primary. */
#define READ(ret, name, error, ...)                                                 \
  LeapStorePrivate *priv = leap_store_get_instance_private (self);                \
  LeapStore *replica;                                                             \
                                                                                  \
  if (priv->replicas == NULL)                                                     \
    return FORWARD (name, ret, ##__VA_ARGS__, error);                             \
  if ((replica = _leap_store_replicas_pick (priv->replicas)) != NULL)             \
    {                                                                             \
      g_autoptr(GError) replica_error = NULL;                                     \
      ret result = LEAP_STORE_GET_CLASS (replica)->name (replica, ##__VA_ARGS__,  \
                                                         &replica_error);         \
                                                                                  \
      if (_leap_store_replicas_answered (priv->replicas, replica, replica_error)) \
        return result;                                                            \
    }                                                                             \
  _leap_store_replicas_primary_read (priv->replicas);                             \
  return FORWARD (name, ret, ##__VA_ARGS__, error)

/* After a catalogue write, reads are the primary's until a replica has it. */
static void
wrote (LeapStore *self)
{
  LeapStorePrivate *priv = leap_store_get_instance_private (self);

  if (priv->replicas != NULL)
    _leap_store_replicas_wrote (priv->replicas);
}

gboolean
leap_store_ping (LeapStore *self, GError **error)
{
  return FORWARD (ping, gboolean, error);
}

JsonObject *
leap_store_get (LeapStore *self, LeapKind kind, gint64 id, GError **error)
{
  READ (JsonObject *, get, error, kind, id);
}

JsonArray *
leap_store_list_venues (LeapStore *self, GError **error)
{
  READ (JsonArray *, list_venues, error);
}

JsonArray *
leap_store_list_events (LeapStore *self, const LeapEventFilter *filter, GError **error)
{
  READ (JsonArray *, list_events, error, filter);
}

JsonArray *
leap_store_list_children (LeapStore *self, LeapKind kind, gint64 event_id, GError **error)
{
  READ (JsonArray *, list_children, error, kind, event_id);
}

JsonArray *
leap_store_list_availability (LeapStore *self, gint64 event_id, GError **error)
{
  return FORWARD (list_availability, JsonArray *, event_id, error);
}

/* What Redis needs to count tickets: tier_id, event_id, capacity, sold,
 * max_per_order of one event, or of every event on sale with event_id 0. */
JsonArray *
leap_store_list_inventory (LeapStore *self, gint64 event_id, GError **error)
{
  return FORWARD (list_inventory, JsonArray *, event_id, error);
}

JsonArray *
leap_store_list_changes (LeapStore *self, gint64 since, guint limit, GError **error)
{
  /* The primary's: a standby replays commits out of seq order, and a
   * device's cursor must never pass one still to come. */
  return FORWARD (list_changes, JsonArray *, since, limit, error);
}

JsonObject *
leap_store_create (LeapStore *self, LeapKind kind, gint64 event_id, JsonObject *fields,
                   gint64 actor, GError **error)
{
  JsonObject *created = FORWARD (create, JsonObject *, kind, event_id, fields, actor, error);

  wrote (self);
  return created;
}

JsonObject *
leap_store_update (LeapStore *self, LeapKind kind, gint64 id, JsonObject *patch,
                   gint64 actor, GError **error)
{
  JsonObject *updated = FORWARD (update, JsonObject *, kind, id, patch, actor, error);

  wrote (self);
  return updated;
}

JsonObject *
leap_store_remove (LeapStore *self, LeapKind kind, gint64 id, gint64 actor, GError **error)
{
  JsonObject *removed = FORWARD (remove, JsonObject *, kind, id, actor, error);

  wrote (self);
  return removed;
}

/* What the database still counts of a tier or of an event's tiers:
 * {held, checking_out, sold}, holds being those it made while Redis was
 * down. kind: LEAP_KIND_TIER or LEAP_KIND_EVENT. */
JsonObject *
leap_store_count_committed (LeapStore *self, LeapKind kind, gint64 id, GError **error)
{
  g_return_val_if_fail (kind == LEAP_KIND_TIER || kind == LEAP_KIND_EVENT, NULL);
  return FORWARD (count_committed, JsonObject *, kind, id, error);
}

gint64
leap_store_create_user (LeapStore *self, const char *username, const char *role,
                        const char *password_hash, GError **error)
{
  return FORWARD (create_user, gint64, username, role, password_hash, error);
}

JsonObject *
leap_store_get_user (LeapStore *self, const char *username, GError **error)
{
  return FORWARD (get_user, JsonObject *, username, error);
}

gboolean
leap_store_set_password_hash (LeapStore *self, gint64 user_id, const char *password_hash,
                              GError **error)
{
  return FORWARD (set_password_hash, gboolean, user_id, password_hash, error);
}

gboolean
leap_store_put_session (LeapStore *self, JsonObject *session, GError **error)
{
  return FORWARD (put_session, gboolean, session, error);
}

JsonObject *
leap_store_get_session (LeapStore *self, const char *token_hash, GError **error)
{
  return FORWARD (get_session, JsonObject *, token_hash, error);
}

gboolean
leap_store_revoke_session (LeapStore *self, const char *token_hash, gint64 now, GError **error)
{
  return FORWARD (revoke_session, gboolean, token_hash, now, error);
}

/* An order as the API shows it (order_id, status, lines, total, currency,
 * customer, payment, tickets) plus its owner; NOT_FOUND if none. */
JsonObject *
leap_store_get_order (LeapStore *self, const char *order_id, GError **error)
{
  return FORWARD (get_order, JsonObject *, order_id, error);
}

/* Writes finished checkouts, each keyed by its order_id and all-or-nothing
 * on its own: the order, its lines, its payment and, when paid, its
 * tickets and the tiers' sold counts. An order that exists already is left
 * as it is: a redelivered message changes nothing. Several orders share
 * one commit (one fsync), which is what lets a worker keep up with a rush.
 * Returns one element per order, in order: {"order_id", "status"} as stored, or
 * {"error": {"code", "message"}} for an order that could not be written
 * (the others are written all the same); NULL if nothing could be. */
JsonArray *
leap_store_write_orders (LeapStore *self, JsonArray *orders, GError **error)
{
  return FORWARD (write_orders, JsonArray *, orders, error);
}

/* Element @i of what a batch returned (leap_store_write_orders () and
 * the like): the stored object, or NULL and the element's own error. */
JsonObject *
leap_store_batch_result (JsonArray  *results,
                         guint       i,
                         GError    **error)
{
  JsonObject *result = json_array_get_object_element (results, i);
  JsonObject *failure;

  if (!json_object_has_member (result, "error"))
    return json_object_ref (result);
  failure = json_object_get_object_member (result, "error");
  g_set_error_literal (error, LEAP_ERROR,
                       leap_error_code_from_string (leap_json_get_string (failure, "code", "")),
                       leap_json_get_string (failure, "message", "?"));
  return NULL;
}

/* A batch of one: its element, or its error. */
static JsonObject *
batch_of_one (JsonArray *(*batch) (LeapStore *, JsonArray *, GError **),
              LeapStore  *self,
              JsonObject *item,
              GError    **error)
{
  g_autoptr(JsonArray) items = json_array_new ();
  g_autoptr(JsonArray) results = NULL;

  json_array_add_object_element (items, json_object_ref (item));
  results = batch (self, items, error);
  return results != NULL ? leap_store_batch_result (results, 0, error) : NULL;
}

/* One order, as above; its error is the GError. */
JsonObject *
leap_store_write_order (LeapStore *self, JsonObject *order, GError **error)
{
  return batch_of_one (leap_store_write_orders, self, order, error);
}

/* Records the intent of checkouts before any money moves: each order
 * (its lines, owner, customer) as "pending" and its payment attempt as
 * "pending" under the provider's idempotency key, the order id. An order
 * already there is left as it is. Returns one element per order, as
 * leap_store_write_orders () does: {"order_id", "status"} as stored,
 * where "pending" means the provider is to be asked (again, with the same
 * key) and any other status that the order is settled. All in one
 * transaction. */
JsonArray *
leap_store_begin_orders (LeapStore *self, JsonArray *orders, GError **error)
{
  return FORWARD (begin_orders, JsonArray *, orders, error);
}

/* One order, as above; its error is the GError. */
JsonObject *
leap_store_begin_order (LeapStore *self, JsonObject *order, GError **error)
{
  return batch_of_one (leap_store_begin_orders, self, order, error);
}

/* A pending order whose charge was voided because it could not be
 * written after all (a tier deleted, a capacity lowered under it): the
 * order ends "failed" with reason, its payment "voided", and it is no
 * longer an accepted order to queue again. An order that is no longer
 * pending is left as it is. */
gboolean
leap_store_void_order (LeapStore *self, const char *order_id, const char *reason, GError **error)
{
  return FORWARD (void_order, gboolean, order_id, reason, error);
}

/* The simulated card terminal's idempotency ledger: each entry {"key",
 * "kind": "charge" | "refund" | "void", "amount", "currency", "result"}
 * is recorded if its key is new; returns, one element per entry as
 * leap_store_write_orders () does, the entry recorded for the key (the
 * first one's result) with "requests", how often the key was asked. All
 * in one transaction. */
JsonArray *
leap_store_card_ledger_record_many (LeapStore *self, JsonArray *entries, GError **error)
{
  return FORWARD (card_ledger_record, JsonArray *, entries, error);
}

/* One entry, as above; its error is the GError. */
JsonObject *
leap_store_card_ledger_record (LeapStore *self, JsonObject *entry, GError **error)
{
  return batch_of_one (leap_store_card_ledger_record_many, self, entry, error);
}

/* A consistent copy of the running database in the file @path, replaced
 * only once the copy is whole. */
gboolean
leap_store_backup (LeapStore *self, const char *path, GError **error)
{
  if (LEAP_STORE_GET_CLASS (self)->backup == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "This database backs itself up with its own tools: for PostgreSQL, "
                           "pg_basebackup and WAL archiving (docs/deployment.md)");
      return FALSE;
    }
  return FORWARD (backup, gboolean, path, error);
}

gboolean
leap_store_set_order_status (LeapStore *self, const char *order_id, const char *status,
                             const char *reason, GError **error)
{
  return FORWARD (set_order_status, gboolean, order_id, status, reason, error);
}

/* Refunds */

/* The intent of a refund, before any money moves, in one transaction
 * that checks the tickets. refund: order_id, user_id, reason,
 * include_checked_in, lines [{tier_id, quantity}], amount, currency,
 * method. The refund takes the order's next number (seq) here, so that
 * concurrent refunds of one order take turns, each seeing what the
 * previous ones voided. Voids the tickets (those not checked in first),
 * records the refund as "pending" with its provider key ORDER_ID:rSEQ,
 * and writes the audit log. CONFLICT if the order is not paid or nothing
 * is left; INVALID if a line asks for more tickets than are left. Returns
 * {"refund_id", "seq", "refund_key", "event_id", "items":
 * "tier:quantity,…", "order": the order}. Complete it with
 * leap_store_complete_refund () once the provider has paid it back. */
JsonObject *
leap_store_begin_refund (LeapStore *self, JsonObject *refund, GError **error)
{
  return FORWARD (begin_refund, JsonObject *, refund, error);
}

/* The provider paid refund_id back (under its key; provider_ref is its
 * reference): the refund's payment row (status "refunded", negative
 * amount), the refund "done", the order "refunded" once no ticket is
 * left. A refund already done changes nothing. Returns {"refund_id",
 * "event_id", "items", "order"}. The tickets stay counted in tiers.sold
 * until leap_store_mark_returned (). */
JsonObject *
leap_store_complete_refund (LeapStore *self, gint64 refund_id, const char *provider_ref,
                            GError **error)
{
  return FORWARD (complete_refund, JsonObject *, refund_id, provider_ref, error);
}

/* Pending refunds (a crash between intent and provider, or a provider
 * without an answer): [{"refund_id", "order_id", "refund_key", "amount",
 * "currency", "method", "charge_ref"}]. */
JsonArray *
leap_store_list_unfinished_refunds (LeapStore *self, GError **error)
{
  return FORWARD (list_unfinished_refunds, JsonArray *, error);
}

/* Refunds done whose tickets are not back in Redis yet: [{"refund_id",
 * "event_id", "items"}]. */
JsonArray *
leap_store_list_pending_returns (LeapStore *self, GError **error)
{
  return FORWARD (list_pending_returns, JsonArray *, error);
}

/* The refund's tickets are back on sale in Redis: take them off
 * tiers.sold, once (a second call changes nothing). */
gboolean
leap_store_mark_returned (LeapStore *self, gint64 refund_id, GError **error)
{
  return FORWARD (mark_returned, gboolean, refund_id, error);
}

/* Admits a ticket at most once, whatever number of backends race for it:
 * one conditional UPDATE sets checked_in_at only on a valid ticket not yet
 * admitted whose order is paid and, unless event_id is 0 (a scanner that
 * names no event), of event event_id; with an audit_log row when it did.
 * Returns the ticket ({code, order_id, tier_id, event_id, status,
 * checked_in_at, tier_name, event_name, event_starts_at, event_timezone,
 * order_status}) with "admitted": TRUE when this call admitted it, FALSE
 * when it was refused (the caller tells why from the rest) or admitted
 * before; NOT_FOUND if no ticket has this code. */
JsonObject *
leap_store_check_in_ticket (LeapStore  *self,
                            const char *code,
                            gint64      event_id,
                            gint64      now,
                            gint64      actor,
                            GError    **error)
{
  return FORWARD (check_in_ticket, JsonObject *, code, event_id, now, actor, error);
}

/* Holds without Redis */

/* Opens the Redis outage, or joins the one another backend opened: since
 * that moment the database sells, per tier, at most what Redis had
 * available when it was lost (available: [{"tier_id", "event_id",
 * "available"}], this backend's last figures; the smallest figure of all
 * backends is kept). Returns the outage's since_ms (the first backend's),
 * 0 on error. */
gint64
leap_store_outage_open (LeapStore *self, gint64 since_ms, JsonArray *available, GError **error)
{
  return FORWARD (outage_open, gint64, since_ms, available, error);
}

/* The fence between Redis and the database: a backend that sells through
 * Redis holds a lease, renewed well before ttl_ms is over; the database
 * makes no hold while any lease is live (by the database's clock). */
gboolean
leap_store_lease_renew (LeapStore *self, const char *holder, gint64 ttl_ms, GError **error)
{
  return FORWARD (lease_renew, gboolean, holder, ttl_ms, error);
}

/* Gives the lease up: this backend no longer sells through Redis. */
gboolean
leap_store_lease_drop (LeapStore *self, const char *holder, GError **error)
{
  return FORWARD (lease_drop, gboolean, holder, error);
}

/* Ends the outage, so that no database hold is made any more, and returns,
 * in the same transaction, every hold of the database that Redis must take
 * over: [{"hold_id", "event_id", "owner", "status" (held or checking_out),
 * "expires_ms", "items" ("tier:quantity,…"), "order_id" and "message" for
 * an order in the outbox}]. Checked-out holds whose order is written are
 * left out. */
JsonArray *
leap_store_outage_close (LeapStore *self, gint64 now_ms, GError **error)
{
  return FORWARD (outage_close, JsonArray *, now_ms, error);
}

/* Lowers the figures of the outage since_ms to available (as
 * leap_store_outage_open takes them) if that outage is still open; an
 * outage once ended is never opened again by this (a late message), and
 * another outage is left alone. TRUE also when nothing was open. */
gboolean
leap_store_outage_lower (LeapStore *self, gint64 since_ms, JsonArray *available, GError **error)
{
  return FORWARD (outage_lower, gboolean, since_ms, available, error);
}

/* Places a hold in the database during the outage, in one transaction that
 * checks every tier (max per order, and what the outage may still sell)
 * before it writes. hold: {"hold_id", "event_id", "owner", "now_ms",
 * "expires_ms", "items": [{"tier_id", "quantity"}]}. Returns the outage's
 * since_ms; UNAVAILABLE when no outage is open (Redis is back), SOLD_OUT,
 * INVALID. */
gint64
leap_store_db_hold_create (LeapStore *self, JsonObject *hold, GError **error)
{
  return FORWARD (db_hold_create, gint64, hold, error);
}

/* {"hold_id", "event_id", "owner", "status", "expires_ms", "items",
 * "outage_ms" (0 when its outage is over)} or NOT_FOUND. */
JsonObject *
leap_store_db_hold_get (LeapStore *self, const char *hold_id, GError **error)
{
  return FORWARD (db_hold_get, JsonObject *, hold_id, error);
}

gboolean
_leap_store_db_hold_refusal (LeapStore   *self,
                             const char  *hold_id,
                             const char  *owner,
                             const char  *order_id,
                             gint64       now_ms,
                             GError     **error)
{
  g_autoptr(JsonObject) hold = leap_store_db_hold_get (self, hold_id, error);
  const char *status;

  if (hold == NULL)
    return FALSE;
  if (order_id != NULL && g_strcmp0 (leap_json_get_string (hold, "owner", NULL), owner) == 0 &&
      g_strcmp0 (leap_json_get_string (hold, "order_id", NULL), order_id) == 0)
    return TRUE;
  if (owner != NULL && g_strcmp0 (leap_json_get_string (hold, "owner", NULL), owner) != 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such hold");
      return FALSE;
    }
  status = leap_json_get_string (hold, "status", "");
  if (g_str_equal (status, "held") && leap_json_get_int (hold, "expires_ms", 0) > now_ms &&
      owner != NULL && leap_json_get_int (hold, "outage_ms", 0) == 0)
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                         "Holds cannot be changed right now; try again in a moment");
  else if (g_str_equal (status, "expired") ||
      (g_str_equal (status, "held") && leap_json_get_int (hold, "expires_ms", 0) <= now_ms))
    g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_EXPIRED,
                         "This hold has expired and its tickets were given back");
  else
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "This hold is %s", status);
  return FALSE;
}

/* Ends a live hold of the database (status "released" or "expired"); owner
 * NULL for any. NOT_FOUND, EXPIRED or CONFLICT (not held). */
gboolean
leap_store_db_hold_end (LeapStore *self, const char *hold_id, const char *owner, const char *status,
                        gint64 now_ms, GError **error)
{
  return FORWARD (db_hold_end, gboolean, hold_id, owner, status, now_ms, error);
}

/* Marks a live hold of the database checking out and puts its checkout
 * message in the outbox, in one transaction; placing the same order again
 * succeeds and changes nothing. NOT_FOUND, EXPIRED, CONFLICT. */
gboolean
leap_store_db_hold_checkout (LeapStore  *self,
                             const char *hold_id,
                             const char *owner,
                             const char *order_id,
                             const char *message,
                             gint64      now_ms,
                             GError    **error)
{
  return FORWARD (db_hold_checkout, gboolean, hold_id, owner, order_id, message, now_ms, error);
}

/* Marks the database holds past their time expired; returns how many. */
gint64
leap_store_db_holds_expire (LeapStore *self, gint64 now_ms, GError **error)
{
  return FORWARD (db_holds_expire, gint64, now_ms, error);
}

/* The order's message is on its checkout stream. */
gboolean
leap_store_outbox_mark_sent (LeapStore *self, const char *order_id, gint64 now_ms, GError **error)
{
  return FORWARD (outbox_mark_sent, gboolean, order_id, now_ms, error);
}

/* Keeps the orders just queued on a checkout stream until a worker writes
 * them (leap_store_write_orders deletes them): what the backend rebuilding
 * a Redis that lost its data queues again. orders: {"order_id", "hold_id",
 * "event_id", "owner", "items", "message", "created_ms"}; an order already
 * written is skipped. */
gboolean
leap_store_accept_orders (LeapStore *self, JsonArray *orders, GError **error)
{
  return FORWARD (accept_orders, gboolean, orders, error);
}

/* An accepted order no worker has written yet: {"order_id", "hold_id",
 * "event_id", "owner", "items"}; NOT_FOUND if there is none. */
JsonObject *
leap_store_get_accepted_order (LeapStore *self, const char *order_id, GError **error)
{
  return FORWARD (get_accepted_order, JsonObject *, order_id, error);
}

/* {"order_id", "code"} of the order whose id or short code is @key. */
JsonObject *
leap_store_find_order_code (LeapStore *self, const char *key, GError **error)
{
  return FORWARD (find_order_code, JsonObject *, key, error);
}

/* When the open outage began (ms), 0 if none is open. */
gint64
leap_store_outage_since (LeapStore *self, GError **error)
{
  return FORWARD (outage_since, gint64, error);
}
