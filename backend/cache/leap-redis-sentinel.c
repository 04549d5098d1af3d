/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-redis"

#include "leap-redis-sentinel.h"
#include "leap-error.h"

#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

/* A Sentinel that takes longer to connect or answer is passed over. */
#define SENTINEL_TIMEOUT_S 2
#define WATCH_RETRY_MS 1000
#define WATCH_KEEPALIVE_S 5

struct _LeapRedisSentinel
{
  GObject        parent_instance;

  /* Owned */
  char         **addresses; /* "HOST:PORT" each */
  char          *master;
  GSocketClient *client;
  GCancellable  *cancellable; /* the watch's */

  guint          n_addresses;
  guint          preferred;   /* the Sentinel that answered last */
  guint          watched;     /* the Sentinel the watch listens to */
  guint          watch_retry_id;
};

G_DEFINE_FINAL_TYPE (LeapRedisSentinel, leap_redis_sentinel, G_TYPE_OBJECT)

enum {
  SWITCH_MASTER,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* One conversation with the Sentinels, in a GTask: a command sent to one
 * of them, its replies read. An ask moves on to the next Sentinel when one
 * fails; a watch ends, and is started again on the next one. */
typedef struct
{
  LeapRedisSentinel *self;       /* Borrowed: alive while the task is not cancelled */
  GSocketConnection *connection;
  redisReader       *reader;
  char              *command;
  int                command_len;
  gboolean           watch;
  guint              index;      /* in self->addresses */
  guint              tried;
  GString           *failures;
  char              *host;       /* the answer */
  guint16            port;
  char               buffer[4096];
} Talk;

typedef enum {
  TALK_MORE,
  TALK_DONE,
  TALK_FAILED,
} TalkState;

static void talk_start (GTask *task);
static void read_more (GTask *task);
static void watch_start (LeapRedisSentinel *self);

static void
talk_free (Talk *talk)
{
  g_clear_object (&talk->connection);
  g_clear_pointer (&talk->reader, redisReaderFree);
  g_clear_pointer (&talk->command, redisFreeCommand);
  g_string_free (talk->failures, TRUE);
  g_free (talk->host);
  g_free (talk);
}

static GTask *
talk_new (LeapRedisSentinel *self,
          gboolean           watch,
          guint              index,
          GCancellable      *cancellable,
          GAsyncReadyCallback callback,
          gpointer           user_data)
{
  const char *ask[] = { "SENTINEL", "get-master-addr-by-name", self->master };
  const char *subscribe[] = { "SUBSCRIBE", "+switch-master" };
  /* A watch's task holds no reference: the Sentinel's dispose cancels it. */
  GTask *task = g_task_new (watch ? NULL : self, cancellable, callback, user_data);
  Talk *talk = g_new0 (Talk, 1);

  talk->self = self;
  talk->watch = watch;
  talk->index = index;
  talk->failures = g_string_new (NULL);
  talk->command_len = watch ? redisFormatCommandArgv (&talk->command, 2, subscribe, NULL)
                            : redisFormatCommandArgv (&talk->command, 3, ask, NULL);
  g_task_set_task_data (task, talk, (GDestroyNotify) talk_free);
  return task;
}

/* An ask tries the next Sentinel until each has failed once. */
static void
talk_failed (GTask  *task,
             GError *error)
{
  Talk *talk = g_task_get_task_data (task);
  LeapRedisSentinel *self = talk->self;

  if (talk->watch || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }
  g_debug ("Sentinel %s: %s", self->addresses[talk->index], error->message);
  g_string_append_printf (talk->failures, "%s%s: %s", talk->failures->len ? "; " : "",
                          self->addresses[talk->index], error->message);
  g_error_free (error);
  if (++talk->tried == self->n_addresses)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "No Sentinel named the Redis primary “%s” (%s)", self->master,
                               talk->failures->str);
      g_object_unref (task);
      return;
    }
  talk->index = (talk->index + 1) % self->n_addresses;
  g_clear_object (&talk->connection);
  g_clear_pointer (&talk->reader, redisReaderFree);
  talk_start (task);
}

/* ["message", "+switch-master", "MASTER OLD-IP OLD-PORT NEW-IP NEW-PORT"] */
static void
watch_reply (Talk             *talk,
             const redisReply *reply)
{
  g_auto(GStrv) words = NULL;
  guint64 port;

  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING ||
      strcmp (reply->element[0]->str, "message") != 0 ||
      reply->element[2]->type != REDIS_REPLY_STRING)
    return;
  words = g_strsplit (reply->element[2]->str, " ", -1);
  if (g_strv_length (words) != 5 || strcmp (words[0], talk->self->master) != 0 ||
      !g_ascii_string_to_unsigned (words[4], 10, 1, 65535, &port, NULL))
    return;
  g_message ("Sentinel %s: the Redis primary “%s” moved from %s:%s to %s:%s",
             talk->self->addresses[talk->index], words[0], words[1], words[2], words[3],
             words[4]);
  g_signal_emit (talk->self, signals[SWITCH_MASTER], 0, words[3], (guint) port);
}

/* [IP, PORT], or nil for a primary the Sentinel does not know. */
static TalkState
ask_reply (Talk             *talk,
           const redisReply *reply,
           GError          **error)
{
  guint64 port;

  if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
      reply->element[0]->type == REDIS_REPLY_STRING &&
      reply->element[1]->type == REDIS_REPLY_STRING &&
      g_ascii_string_to_unsigned (reply->element[1]->str, 10, 1, 65535, &port, NULL))
    {
      talk->host = g_strdup (reply->element[0]->str);
      talk->port = port;
      talk->self->preferred = talk->index;
      return TALK_DONE;
    }
  if (reply->type == REDIS_REPLY_ERROR)
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE, "%s", reply->str);
  else
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE, "knows no primary “%s”",
                 talk->self->master);
  return TALK_FAILED;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Talk *talk = g_task_get_task_data (task);
  GError *error = NULL;
  gssize n = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);

  if (n <= 0)
    {
      talk_failed (g_steal_pointer (&task),
                   error ? error : g_error_new_literal (LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                                        "closed the connection"));
      return;
    }
  redisReaderFeed (talk->reader, talk->buffer, n);
  for (;;)
    {
      redisReply *reply = NULL;
      TalkState state = TALK_MORE;

      if (redisReaderGetReply (talk->reader, (void **) &reply) != REDIS_OK)
        {
          talk_failed (g_steal_pointer (&task),
                       g_error_new (LEAP_ERROR, LEAP_ERROR_UNAVAILABLE, "bad reply: %s",
                                    talk->reader->errstr));
          return;
        }
      if (reply == NULL)
        break;
      /* Cancelled: talk->self may be gone. */
      if (g_task_return_error_if_cancelled (task))
        {
          freeReplyObject (reply);
          return;
        }
      if (talk->watch)
        watch_reply (talk, reply);
      else
        state = ask_reply (talk, reply, &error);
      freeReplyObject (reply);
      if (state == TALK_DONE)
        {
          g_task_return_boolean (task, TRUE);
          return;
        }
      if (state == TALK_FAILED)
        {
          talk_failed (g_steal_pointer (&task), error);
          return;
        }
    }
  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  Talk *talk = g_task_get_task_data (task);
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (talk->connection));

  g_input_stream_read_async (input, talk->buffer, sizeof talk->buffer, G_PRIORITY_DEFAULT,
                             g_task_get_cancellable (task), read_cb, task);
}

static void
written_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    talk_failed (g_steal_pointer (&task), error);
  else
    read_more (g_steal_pointer (&task));
}

/* A watch waits for news as long as the Sentinel is there: without a
 * timeout, but with TCP keepalive probes, so that a Sentinel whose machine
 * is lost (no FIN) is noticed within about 15 s and the next one watched. */
static void
watch_keepalive (Talk    *talk,
                 GSocket *socket)
{
  g_autoptr(GError) error = NULL;

  g_socket_set_timeout (socket, 0);
  g_socket_set_keepalive (socket, TRUE);
  if (!g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPIDLE, WATCH_KEEPALIVE_S, &error) ||
      !g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPINTVL, WATCH_KEEPALIVE_S, &error) ||
      !g_socket_set_option (socket, IPPROTO_TCP, TCP_KEEPCNT, 2, &error))
    g_debug ("Sentinel %s: no keepalive probes: %s", talk->self->addresses[talk->index],
             error->message);
}

static void
connected_cb (GObject      *object,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Talk *talk = g_task_get_task_data (task);
  GError *error = NULL;
  GOutputStream *output;
  GCancellable *cancellable;

  talk->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (object), result,
                                                             &error);
  if (talk->connection == NULL)
    {
      talk_failed (g_steal_pointer (&task), error);
      return;
    }
  /* Cancelled: talk->self may be gone. */
  if (g_task_return_error_if_cancelled (task))
    return;
  if (talk->watch)
    watch_keepalive (talk, g_socket_connection_get_socket (talk->connection));
  talk->reader = redisReaderCreate ();
  output = g_io_stream_get_output_stream (G_IO_STREAM (talk->connection));
  cancellable = g_task_get_cancellable (task);
  g_output_stream_write_all_async (output, talk->command, talk->command_len, G_PRIORITY_DEFAULT,
                                   cancellable, written_cb, g_steal_pointer (&task));
}

static void
talk_start (GTask *task)
{
  Talk *talk = g_task_get_task_data (task);

  g_socket_client_connect_to_host_async (talk->self->client, talk->self->addresses[talk->index],
                                         0, g_task_get_cancellable (task), connected_cb, task);
}

/* Asks the Sentinels in turn, from the one that answered last, where the
 * primary is. The answer is not checked: the caller asks the node its ROLE. */
void
leap_redis_sentinel_ask_async (LeapRedisSentinel  *self,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data)
{
  GTask *task;

  g_return_if_fail (LEAP_IS_REDIS_SENTINEL (self));

  task = talk_new (self, FALSE, self->preferred, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_redis_sentinel_ask_async);
  talk_start (task);
}

gboolean
leap_redis_sentinel_ask_finish (LeapRedisSentinel *self,
                                GAsyncResult      *result,
                                char             **host,
                                guint16           *port,
                                GError           **error)
{
  Talk *talk;

  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  if (!g_task_propagate_boolean (G_TASK (result), error))
    return FALSE;
  talk = g_task_get_task_data (G_TASK (result));
  *host = g_strdup (talk->host);
  *port = talk->port;
  return TRUE;
}

static gboolean
watch_retry_cb (gpointer data)
{
  LeapRedisSentinel *self = data;

  self->watch_retry_id = 0;
  watch_start (self);
  return G_SOURCE_REMOVE;
}

static void
watch_done_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  LeapRedisSentinel *self;

  if (g_task_propagate_boolean (G_TASK (result), &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = user_data;
  g_debug ("Sentinel %s: %s; listening to the next one", self->addresses[self->watched],
           error->message);
  self->watched = (self->watched + 1) % self->n_addresses;
  self->watch_retry_id = g_timeout_add (WATCH_RETRY_MS, watch_retry_cb, self);
}

/* Listens for +switch-master on one Sentinel at a time. */
static void
watch_start (LeapRedisSentinel *self)
{
  talk_start (talk_new (self, TRUE, self->watched, self->cancellable, watch_done_cb, self));
}

const char *
leap_redis_sentinel_get_master (LeapRedisSentinel *self)
{
  g_return_val_if_fail (LEAP_IS_REDIS_SENTINEL (self), NULL);
  return self->master;
}

static void
leap_redis_sentinel_dispose (GObject *object)
{
  LeapRedisSentinel *self = LEAP_REDIS_SENTINEL (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->watch_retry_id, g_source_remove);

  G_OBJECT_CLASS (leap_redis_sentinel_parent_class)->dispose (object);
}

static void
leap_redis_sentinel_finalize (GObject *object)
{
  LeapRedisSentinel *self = LEAP_REDIS_SENTINEL (object);

  g_strfreev (self->addresses);
  g_free (self->master);
  g_clear_object (&self->client);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_redis_sentinel_parent_class)->finalize (object);
}

static void
leap_redis_sentinel_class_init (LeapRedisSentinelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_redis_sentinel_dispose;
  object_class->finalize = leap_redis_sentinel_finalize;

  signals[SWITCH_MASTER] =
    g_signal_new ("switch-master", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_UINT);
}

static void
leap_redis_sentinel_init (LeapRedisSentinel *self)
{
  self->client = g_socket_client_new ();
  g_socket_client_set_timeout (self->client, SENTINEL_TIMEOUT_S);
  g_socket_client_set_enable_proxy (self->client, FALSE);
  self->cancellable = g_cancellable_new ();
}

/* @addresses: "HOST:PORT" each, at least one, as leap_parse_redis_address ()
 * checked them. Starts the watch at once. */
LeapRedisSentinel *
leap_redis_sentinel_new (const char * const *addresses,
                         const char         *master)
{
  LeapRedisSentinel *self;

  g_return_val_if_fail (addresses != NULL && addresses[0] != NULL, NULL);
  g_return_val_if_fail (master != NULL, NULL);

  self = g_object_new (LEAP_TYPE_REDIS_SENTINEL, NULL);
  self->addresses = g_strdupv ((char **) addresses);
  self->n_addresses = g_strv_length (self->addresses);
  self->master = g_strdup (master);
  watch_start (self);
  return self;
}
