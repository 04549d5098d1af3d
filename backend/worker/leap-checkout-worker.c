/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-worker"

#include "leap-checkout-worker.h"
#include "leap-json.h"
#include "leap-key-file.h"
#include "leap-keys.h"
#include "leap-orders.h"
#include "leap-payment-provider.h"
#include "leap-redis.h"
#include "leap-reply.h"

#include <string.h>
#include <unistd.h>

#define LUA_RESOURCES "/io/github/leapboxoffice/lua"
#define STREAMS_REFRESH_US (1 * G_USEC_PER_SEC)

struct _LeapCheckoutWorker
{
  GObject                  parent_instance;

  LeapCheckoutWorkerConfig config;

  /* Owned */
  LeapOrders              *orders;   /* settles each message's order */
  LeapRedis               *redis;    /* scripts, acks, claims */
  LeapRedis               *reader;   /* the blocking XREADGROUP only */
  GCancellable            *cancellable;
  GPtrArray               *streams;  /* stream keys with our group on them */
  GHashTable              *jobs;     /* "stream entry" → Job, the messages in work */

  gint64                   streams_read_at;
  guint                    claim_id;
  guint                    retry_id;
  guint64                  processed;
  guint64                  dead;
  gboolean                 started;
  gboolean                 reading;
};

G_DEFINE_FINAL_TYPE (LeapCheckoutWorker, leap_checkout_worker, G_TYPE_OBJECT)

static void read_next (LeapCheckoutWorker *self);

void
leap_checkout_worker_config_init (LeapCheckoutWorkerConfig *config)
{
  memset (config, 0, sizeof *config);
  config->redis_host = g_strdup ("127.0.0.1");
  config->redis_port = 6379;
  config->database_url = leap_default_database_url (); /* the backend's */
  config->consumer = g_strdup_printf ("%s-%d", g_get_host_name (), (int) getpid ());
  config->concurrency = 512;
  config->card_latency_ms = 0;
  config->card_decline_rate = 0;
  config->claim_idle_ms = 30000;
  config->max_deliveries = 5;
  config->block_ms = 500;
}

void
leap_checkout_worker_config_clear (LeapCheckoutWorkerConfig *config)
{
  g_clear_pointer (&config->redis_host, g_free);
  g_clear_pointer (&config->redis_sentinels, g_strfreev);
  g_clear_pointer (&config->redis_master, g_free);
  g_clear_pointer (&config->database_url, g_free);
  g_clear_pointer (&config->consumer, g_free);
  g_clear_pointer (&config->ticket_key, g_free);
}

/* One checkout message in work. Jobs belong to the worker's table; the
 * callbacks borrow them, and a disposed worker drops its Redis replies
 * (and cancels its settles) before it frees them. */
typedef struct
{
  LeapCheckoutWorker *self;     /* Borrowed */
  char               *key;      /* "stream entry" */
  char               *stream;
  char               *entry;
  char               *order_id;
} Job;

static void
job_free (Job *job)
{
  g_free (job->key);
  g_free (job->stream);
  g_free (job->entry);
  g_free (job->order_id);
  g_free (job);
}

/* For the worker's own writes: acknowledgements, kept errors, results,
 * dead letters. One that fails is logged and otherwise dropped: the message
 * it was about stays pending and is claimed again, and settling an order
 * twice changes nothing. */
static void
logged_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  const char *command = user_data;

  if (error != NULL)
    g_message ("%s failed: %s", command, error->message);
}

static void
kick (LeapCheckoutWorker *self)
{
  if (!self->reading)
    read_next (self);
}

/* The end of a job: the message stays pending (error) or is done. */
static void
job_drop (Job *job)
{
  LeapCheckoutWorker *self = job->self;

  g_hash_table_remove (self->jobs, job->key);
  kick (self);
}

/* Something failed before the message was done: it stays pending, with
 * the error kept for the dead-letter stream, and is taken up again after
 * the idle timeout (by this worker or another). */
static void
job_fail (Job        *job,
          const char *message)
{
  g_warning ("Checkout %s (%s %s) will be retried: %s", job->order_id ? job->order_id : "?",
             job->stream, job->entry, message);
  leap_redis_command (job->self->redis, logged_cb, "HSET", "HSET", leap_keys_checkout_errors (),
                      job->key, message, NULL);
  job_drop (job);
}

static void
job_done (Job        *job,
          const char *status)
{
  LeapCheckoutWorker *self = job->self;
  g_autofree char *channel = leap_keys_order_channel (job->order_id);
  g_autoptr(JsonObject) result = json_object_new ();
  g_autofree char *text = NULL;

  json_object_set_string_member (result, "order_id", job->order_id);
  json_object_set_string_member (result, "status", status);
  text = leap_json_object_to_string (result);

  /* Only now is the message done; nothing trims a message before. */
  leap_redis_command (self->redis, logged_cb, "XACK", "XACK", job->stream,
                      leap_keys_checkout_group (), job->entry, NULL);
  leap_redis_command (self->redis, logged_cb, "XDEL", "XDEL", job->stream, job->entry, NULL);
  leap_redis_command (self->redis, logged_cb, "HDEL", "HDEL", leap_keys_checkout_errors (),
                      job->key, NULL);
  leap_redis_command (self->redis, logged_cb, "PUBLISH", "PUBLISH", channel, text, NULL);
  self->processed++;
  g_debug ("Order %s is %s", job->order_id, status);
  job_drop (job);
}

static void
settled_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *status = leap_orders_settle_finish (LEAP_ORDERS (object), result, &error);
  Job *job;

  /* A cancelled settle belongs to a worker that is gone, and so is its job. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  job = user_data;
  if (status == NULL)
    job_fail (job, error->message);
  else
    job_done (job, status);
}

static void
job_start (LeapCheckoutWorker *self,
           const char         *stream,
           const char         *entry,
           const char         *message)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *order;
  Job *job;

  job = g_new0 (Job, 1);
  job->self = self;
  job->stream = g_strdup (stream);
  job->entry = g_strdup (entry);
  job->key = g_strconcat (stream, " ", entry, NULL);
  if (g_hash_table_contains (self->jobs, job->key))
    {
      /* Claimed back while this worker still works on it. */
      job_free (job);
      return;
    }
  g_hash_table_insert (self->jobs, job->key, job);

  if (message != NULL)
    node = json_from_string (message, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      job_fail (job, "the message has no order object");
      return;
    }
  order = json_node_get_object (node);
  job->order_id = g_strdup (leap_json_get_string (order, "order_id", ""));
  leap_orders_settle_async (self->orders, order, self->cancellable, settled_cb, job);
}

/* [[stream, [[id, [field, value…]]…]]…] */
static void
start_entries (LeapCheckoutWorker *self,
               const redisReply   *reply)
{
  for (gsize i = 0; i < leap_reply_n_elements (reply); i++)
    {
      const redisReply *s = leap_reply_element (reply, i);
      const char *stream = leap_reply_element_string (s, 0);
      const redisReply *entries = leap_reply_element (s, 1);

      if (stream == NULL)
        continue;
      for (gsize j = 0; j < leap_reply_n_elements (entries); j++)
        {
          const redisReply *fields;
          const char *entry;

          if (leap_reply_stream_entry (leap_reply_element (entries, j), &entry, &fields))
            job_start (self, stream, entry, leap_reply_field (fields, "order"));
        }
    }
}

static guint
free_slots (LeapCheckoutWorker *self)
{
  guint busy = g_hash_table_size (self->jobs);

  return busy >= self->config.concurrency ? 0 : self->config.concurrency - busy;
}

static gboolean
retry_cb (gpointer data)
{
  LeapCheckoutWorker *self = data;

  self->retry_id = 0;
  kick (self);
  return G_SOURCE_REMOVE;
}

static void
retry_later (LeapCheckoutWorker *self)
{
  self->reading = FALSE;
  if (self->retry_id == 0)
    self->retry_id = g_timeout_add (self->config.block_ms, retry_cb, self);
}

static void
read_cb (LeapRedis        *redis,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  LeapCheckoutWorker *self = user_data;

  if (error != NULL)
    {
      /* A stream whose key was deleted lost its group: look again. */
      if (strstr (error->message, "NOGROUP") != NULL)
        {
          g_ptr_array_set_size (self->streams, 0);
          self->streams_read_at = 0;
        }
      else
        g_debug ("XREADGROUP failed: %s", error->message);
      retry_later (self);
      return;
    }
  self->reading = FALSE;
  start_entries (self, reply);
  kick (self);
}

static void
read_streams (LeapCheckoutWorker *self)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  guint slots = free_slots (self);

  if (!self->started || slots == 0)
    {
      /* Called again when a job ends (unless stopped). */
      self->reading = FALSE;
      return;
    }
  if (self->streams->len == 0)
    {
      retry_later (self);
      return;
    }
  g_ptr_array_add (argv, g_strdup ("XREADGROUP"));
  g_ptr_array_add (argv, g_strdup ("GROUP"));
  g_ptr_array_add (argv, g_strdup (leap_keys_checkout_group ()));
  g_ptr_array_add (argv, g_strdup (self->config.consumer));
  g_ptr_array_add (argv, g_strdup ("COUNT"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", slots));
  g_ptr_array_add (argv, g_strdup ("BLOCK"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", self->config.block_ms));
  g_ptr_array_add (argv, g_strdup ("STREAMS"));
  for (guint i = 0; i < self->streams->len; i++)
    g_ptr_array_add (argv, g_strdup (self->streams->pdata[i]));
  for (guint i = 0; i < self->streams->len; i++)
    g_ptr_array_add (argv, g_strdup (">"));
  leap_redis_command_argv (self->reader, read_cb, self, argv->len, (const char **) argv->pdata,
                           NULL);
}

static void
group_created_cb (LeapRedis        *redis,
                  const redisReply *reply,
                  const GError     *error,
                  gpointer          user_data)
{
  /* BUSYGROUP: the group exists already, which is all this asks for. */
  if (error != NULL && strstr (error->message, "BUSYGROUP") == NULL)
    g_message ("XGROUP CREATE failed: %s", error->message);
}

static void
streams_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  LeapCheckoutWorker *self = user_data;
  g_auto(GStrv) streams = leap_reply_dup_strv (reply);

  if (error != NULL || streams == NULL)
    {
      retry_later (self);
      return;
    }
  self->streams_read_at = g_get_monotonic_time ();
  for (guint i = 0; streams[i] != NULL; i++)
    {
      const char *stream = streams[i];
      gboolean known = FALSE;

      for (guint j = 0; j < self->streams->len && !known; j++)
        known = g_str_equal (self->streams->pdata[j], stream);
      if (known)
        continue;
      /* From the start of the stream: a message added before the group
       * existed is read too. */
      leap_redis_command (self->reader, group_created_cb, NULL, "XGROUP", "CREATE", stream,
                          leap_keys_checkout_group (), "0", "MKSTREAM", NULL);
      g_ptr_array_add (self->streams, g_strdup (stream));
    }
  read_streams (self);
}

static void
read_next (LeapCheckoutWorker *self)
{
  /* Both connections: a message taken while the command connection is
   * still down could not be settled and would wait for the claim timeout
   * (seen when Redis comes back). */
  if (!self->started || self->reading || !leap_redis_is_connected (self->reader) ||
      !leap_redis_is_connected (self->redis))
    return;
  self->reading = TRUE;
  if (g_get_monotonic_time () - self->streams_read_at > STREAMS_REFRESH_US)
    leap_redis_command (self->reader, streams_cb, self, "SMEMBERS", leap_keys_checkout_streams (),
                        NULL);
  else
    read_streams (self);
}

/* Taking over what a dead worker left */

typedef struct
{
  LeapCheckoutWorker *self;
  char               *stream;
  char               *entry;
  char               *order;
  gint64              deliveries;
} Dead;

static void
dead_free (Dead *d)
{
  g_free (d->stream);
  g_free (d->entry);
  g_free (d->order);
  g_free (d);
}

static void
dead_error_cb (LeapRedis        *redis,
               const redisReply *reply,
               const GError     *error,
               gpointer          user_data)
{
  Dead *d = user_data;
  LeapCheckoutWorker *self = d->self;
  g_autofree char *key = g_strconcat (d->stream, " ", d->entry, NULL);
  g_autofree char *deliveries = g_strdup_printf ("%" G_GINT64_FORMAT, d->deliveries);
  const char *last = leap_reply_string (reply, NULL);

  /* No error kept (HGET answers nil), or the HGET failed. */
  if (last == NULL)
    last = "no error recorded";
  g_warning ("Checkout message %s %s failed %s times (%s): moved to %s", d->stream, d->entry,
             deliveries, last, leap_keys_checkout_dead ());
  leap_redis_command (self->redis, logged_cb, "XADD", "XADD", leap_keys_checkout_dead (), "*",
                      "stream", d->stream, "entry", d->entry, "order", d->order ? d->order : "",
                      "error", last, "deliveries", deliveries, NULL);
  leap_redis_command (self->redis, logged_cb, "XACK", "XACK", d->stream,
                      leap_keys_checkout_group (), d->entry, NULL);
  leap_redis_command (self->redis, logged_cb, "XDEL", "XDEL", d->stream, d->entry, NULL);
  leap_redis_command (self->redis, logged_cb, "HDEL", "HDEL", leap_keys_checkout_errors (), key,
                      NULL);
  self->dead++;
  dead_free (d);
}

typedef struct
{
  LeapCheckoutWorker *self;
  char               *stream;
} Claim;

static void
claim_free (Claim *c)
{
  g_free (c->stream);
  g_free (c);
}

/* XPENDING for one claimed message: how often it was delivered. */
static void
deliveries_cb (LeapRedis        *redis,
               const redisReply *reply,
               const GError     *error,
               gpointer          user_data)
{
  Dead *d = user_data;
  LeapCheckoutWorker *self = d->self;
  g_autofree char *key = g_strconcat (d->stream, " ", d->entry, NULL);

  /* [[id, consumer, idle ms, deliveries]]; on an error reply is NULL and
   * the message is taken up again. */
  if (leap_reply_n_elements (reply) == 1)
    leap_reply_get_int (leap_reply_element (leap_reply_element (reply, 0), 3), &d->deliveries);
  if (g_hash_table_contains (self->jobs, key))
    ; /* still in work here: its idle time ran out under a slow payment */
  else if (d->deliveries > (gint64) self->config.max_deliveries)
    {
      leap_redis_command_full (self->redis, dead_error_cb, d, (GDestroyNotify) dead_free,
                               "HGET", leap_keys_checkout_errors (), key, NULL);
      return;
    }
  else
    job_start (self, d->stream, d->entry, d->order);
  dead_free (d);
}

static void
claimed_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  Claim *c = user_data;
  LeapCheckoutWorker *self = c->self;
  const redisReply *entries;

  /* [next cursor, [[id, fields]…], [deleted ids]]; none on an error, where
   * reply is NULL. */
  entries = leap_reply_element (reply, 1);
  for (gsize i = 0; i < leap_reply_n_elements (entries); i++)
    {
      const redisReply *fields;
      const char *entry;
      Dead *d;

      if (!leap_reply_stream_entry (leap_reply_element (entries, i), &entry, &fields))
        continue;
      /* Too many deliveries: to the dead-letter stream instead of trying
       * once more. Otherwise work on it as on a new message. */
      d = g_new0 (Dead, 1);
      d->self = self;
      d->stream = g_strdup (c->stream);
      d->entry = g_strdup (entry);
      d->order = g_strdup (leap_reply_field (fields, "order"));
      leap_redis_command_full (self->redis, deliveries_cb, d, (GDestroyNotify) dead_free,
                               "XPENDING", c->stream, leap_keys_checkout_group (), d->entry,
                               d->entry, "1", NULL);
    }
  claim_free (c);
}

static gboolean
claim_tick_cb (gpointer data)
{
  LeapCheckoutWorker *self = data;
  g_autofree char *idle = g_strdup_printf ("%u", self->config.claim_idle_ms);
  g_autofree char *count = NULL;
  guint slots = free_slots (self);

  if (!leap_redis_is_connected (self->redis) || slots == 0)
    return G_SOURCE_CONTINUE;
  count = g_strdup_printf ("%u", MIN (slots, 100u));
  for (guint i = 0; i < self->streams->len; i++)
    {
      Claim *c = g_new0 (Claim, 1);

      c->self = self;
      c->stream = g_strdup (self->streams->pdata[i]);
      /* A dispose drops the reply: claim_free then, not claimed_cb. */
      leap_redis_command_full (self->redis, claimed_cb, c, (GDestroyNotify) claim_free,
                               "XAUTOCLAIM", c->stream, leap_keys_checkout_group (),
                               self->config.consumer, idle, "0-0", "COUNT", count, NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
reader_state_cb (LeapCheckoutWorker *self)
{
  if (leap_redis_is_connected (self->reader))
    {
      g_message ("Connected to Redis; reading the checkout streams as %s", self->config.consumer);
      self->streams_read_at = 0;
      kick (self);
    }
  else
    {
      g_warning ("Redis is unreachable; checkout waits until it returns");
      self->reading = FALSE;
    }
}

static void
commands_state_cb (LeapCheckoutWorker *self)
{
  if (leap_redis_is_connected (self->redis))
    kick (self);
}

void
leap_checkout_worker_start (LeapCheckoutWorker *self)
{
  g_return_if_fail (LEAP_IS_CHECKOUT_WORKER (self));

  if (self->started)
    return;
  self->started = TRUE;
  self->claim_id = g_timeout_add (MAX (self->config.claim_idle_ms / 2, 100u), claim_tick_cb, self);
  kick (self);
}

/* Takes no new messages; those in work go on. A message that arrives in
 * a read already sent is worked on too (it was delivered to us). */
void
leap_checkout_worker_stop (LeapCheckoutWorker *self)
{
  g_return_if_fail (LEAP_IS_CHECKOUT_WORKER (self));

  self->started = FALSE;
  g_clear_handle_id (&self->claim_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
}

/* Nothing in work and no read waiting for an answer. */
gboolean
leap_checkout_worker_is_idle (LeapCheckoutWorker *self)
{
  return !self->reading && g_hash_table_size (self->jobs) == 0;
}

gboolean
leap_checkout_worker_is_connected (LeapCheckoutWorker *self)
{
  return leap_redis_is_connected (self->redis) && leap_redis_is_connected (self->reader);
}

guint64
leap_checkout_worker_get_processed (LeapCheckoutWorker *self)
{
  return self->processed;
}

guint64
leap_checkout_worker_get_dead (LeapCheckoutWorker *self)
{
  return self->dead;
}

guint
leap_checkout_worker_get_in_flight (LeapCheckoutWorker *self)
{
  return g_hash_table_size (self->jobs);
}

static void
leap_checkout_worker_dispose (GObject *object)
{
  LeapCheckoutWorker *self = LEAP_CHECKOUT_WORKER (object);

  g_clear_handle_id (&self->claim_id, g_source_remove);
  g_clear_handle_id (&self->retry_id, g_source_remove);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  /* Pending replies point at jobs: a disposed connection drops them. */
  if (self->reader != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->reader, self);
      g_object_run_dispose (G_OBJECT (self->reader));
    }
  if (self->redis != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->redis, self);
      g_object_run_dispose (G_OBJECT (self->redis));
    }
  /* Paid orders waiting for their write point at jobs too. */
  if (self->orders != NULL)
    g_object_run_dispose (G_OBJECT (self->orders));
  g_clear_pointer (&self->jobs, g_hash_table_unref);
  g_clear_object (&self->orders);
  g_clear_object (&self->reader);
  g_clear_object (&self->redis);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_checkout_worker_parent_class)->dispose (object);
}

static void
leap_checkout_worker_finalize (GObject *object)
{
  LeapCheckoutWorker *self = LEAP_CHECKOUT_WORKER (object);

  g_clear_pointer (&self->streams, g_ptr_array_unref);
  leap_checkout_worker_config_clear (&self->config);
  G_OBJECT_CLASS (leap_checkout_worker_parent_class)->finalize (object);
}

static void
leap_checkout_worker_class_init (LeapCheckoutWorkerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_checkout_worker_dispose;
  object_class->finalize = leap_checkout_worker_finalize;
}

static void
leap_checkout_worker_init (LeapCheckoutWorker *self)
{
  self->streams = g_ptr_array_new_with_free_func (g_free);
  self->jobs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) job_free);
  self->cancellable = g_cancellable_new ();
}

LeapCheckoutWorker *
leap_checkout_worker_new (const LeapCheckoutWorkerConfig *config,
                          GError                        **error)
{
  g_autoptr(LeapCheckoutWorker) self = g_object_new (LEAP_TYPE_CHECKOUT_WORKER, NULL);
  g_autoptr(LeapPaymentProvider) cash = NULL;
  g_autoptr(LeapPaymentProvider) card = NULL;
  g_autoptr(LeapStore) ledger = NULL;

  g_return_val_if_fail (config != NULL, NULL);

  self->config = *config;
  self->config.redis_host = g_strdup (config->redis_host);
  self->config.redis_sentinels = g_strdupv (config->redis_sentinels);
  self->config.redis_master = g_strdup (config->redis_master);
  self->config.database_url = g_strdup (config->database_url);
  self->config.consumer = g_strdup (config->consumer);
  self->config.ticket_key = g_strdup (config->ticket_key);
  self->config.concurrency = MAX (config->concurrency, 1u);
  self->config.block_ms = CLAMP (config->block_ms, 10u, 1000u);
  self->config.max_deliveries = MAX (config->max_deliveries, 1u);
  self->config.claim_idle_ms = MAX (config->claim_idle_ms, 100u);

  self->redis = leap_redis_new_full (config->redis_host, config->redis_port,
                                     (const char * const *) config->redis_sentinels,
                                     config->redis_master);
  self->orders = leap_orders_new_for_settling (config->database_url, config->ticket_key,
                                               self->redis, error);
  if (self->orders == NULL)
    return NULL;
  /* The simulated terminal stands for a gateway outside this process: its
   * ledger has a connection of its own. */
  ledger = leap_store_open (config->database_url, error);
  if (ledger == NULL)
    return NULL;
  cash = leap_payment_cash_new ();
  card = leap_payment_simulated_card_new (ledger, config->card_latency_ms,
                                          config->card_decline_rate);
  leap_orders_add_payment_provider (self->orders, cash);
  leap_orders_add_payment_provider (self->orders, card);
  leap_redis_load_scripts (self->redis, LUA_RESOURCES);
  self->reader = leap_redis_new_full (config->redis_host, config->redis_port,
                                      (const char * const *) config->redis_sentinels,
                                      config->redis_master);
  g_signal_connect_swapped (self->reader, "notify::connected", G_CALLBACK (reader_state_cb), self);
  g_signal_connect_swapped (self->redis, "notify::connected", G_CALLBACK (commands_state_cb), self);
  return g_steal_pointer (&self);
}
