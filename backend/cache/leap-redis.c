/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-redis"

#include "leap-redis.h"
#include "leap-error.h"
#include "leap-redis-sentinel.h"

#include <hiredis/async.h>
/* The adapter defines static functions: this is the one file that includes it. */
#include <hiredis/adapters/glib.h>
#include <stdarg.h>
#include <string.h>

#define BACKOFF_MIN_MS 50
#define BACKOFF_MAX_MS 2000
#define PING_INTERVAL_MS 500
#define PING_DEADLINE_US (1500 * G_TIME_SPAN_MILLISECOND)

struct _LeapRedis
{
  GObject            parent_instance;

  /* Owned */
  char              *host;     /* in Sentinel mode the primary's, once known */
  char              *user;     /* NULL: AUTH names the default user */
  char              *password; /* NULL: no AUTH */
  redisAsyncContext *ac;
  GSource           *source;
  GHashTable        *scripts;  /* name → Script */
  GHashTable        *channels; /* channel → GPtrArray of Subscription */
  LeapRedisSentinel *sentinel; /* NULL: Redis at host:port */
  GCancellable      *cancellable;

  guint16            port;
  gboolean           connected;
  gboolean           asking;   /* the Sentinels, where the primary is */
  gboolean           disposing;
  guint              backoff_ms;
  guint              reconnect_id;
  guint              ping_id;
  gint64             ping_sent_at; /* 0 when no PING is outstanding */
  gint64             last_reply_at;
  gint64             last_tick_at;
  guint64            disconnects;
};

G_DEFINE_FINAL_TYPE (LeapRedis, leap_redis, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CONNECTED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SUBSCRIBED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

typedef struct
{
  char *sha;
  char *source;
} Script;

typedef struct
{
  LeapRedisMessageFunc func;
  gpointer             user_data;
} Subscription;

typedef struct
{
  LeapRedis         *self;
  LeapRedisReplyFunc func;
  gpointer           user_data;
  GDestroyNotify     destroy; /* for user_data when func is not called */
  /* For EVALSHA only: the command, kept to send again as EVAL after NOSCRIPT. */
  Script            *script;
  int                argc;
  const char       **argv;
  size_t            *lens;
  char              *chunk;
} Pending;

static void schedule_reconnect (LeapRedis *self);
static void send_subscribe (LeapRedis *self, const char *channel);

static void
script_free (Script *script)
{
  g_free (script->sha);
  g_free (script->source);
  g_free (script);
}

static void
pending_free (Pending *pending)
{
  g_free (pending->argv);
  g_free (pending->lens);
  g_free (pending->chunk);
  g_free (pending);
}

static void
complete (Pending          *pending,
          const redisReply *reply)
{
  g_autoptr(GError) error = NULL;

  if (reply == NULL)
    error = g_error_new_literal (LEAP_ERROR, LEAP_ERROR_UNAVAILABLE, "Redis is unavailable");
  else if (reply->type == REDIS_REPLY_ERROR)
    error = g_error_new (LEAP_ERROR, LEAP_ERROR_INTERNAL, "Redis: %s", reply->str);

  /* Once disposed, callers may be gone too: say nothing to anyone, only
   * free what they handed over for a reply that will not come. */
  if (pending->func != NULL && !pending->self->disposing)
    pending->func (pending->self, error ? NULL : reply, error, pending->user_data);
  else if (pending->destroy != NULL)
    pending->destroy (pending->user_data);
  pending_free (pending);
}

static void
reply_cb (redisAsyncContext *ac,
          void              *r,
          void              *privdata)
{
  Pending *pending = privdata;
  redisReply *reply = r;

  if (reply != NULL)
    pending->self->last_reply_at = g_get_monotonic_time ();

  /* A script cache emptied by a restart or SCRIPT FLUSH: send the source
   * once with EVAL, which also caches it again. */
  if (pending->script != NULL && reply != NULL && reply->type == REDIS_REPLY_ERROR &&
      g_str_has_prefix (reply->str, "NOSCRIPT") && pending->self->ac != NULL)
    {
      pending->argv[0] = "EVAL";
      pending->lens[0] = 4;
      pending->argv[1] = pending->script->source;
      pending->lens[1] = strlen (pending->script->source);
      pending->script = NULL;
      if (redisAsyncCommandArgv (pending->self->ac, reply_cb, pending, pending->argc,
                                 pending->argv, pending->lens) == REDIS_OK)
        return;
      reply = NULL;
    }
  complete (pending, reply);
}

static gboolean
fail_idle_cb (gpointer data)
{
  Pending *pending = data;
  LeapRedis *self = pending->self;

  complete (pending, NULL);
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

/* Fails a command from an idle callback, never from within the call. */
static void
fail_later (Pending *pending)
{
  g_object_ref (pending->self);
  g_idle_add_full (G_PRIORITY_HIGH, fail_idle_cb, pending, NULL);
}

static void
set_connected (LeapRedis *self,
               gboolean   connected)
{
  if (self->connected == connected)
    return;
  self->connected = connected;
  if (!connected)
    self->disconnects++;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CONNECTED]);
}

static gboolean
destroy_source_idle_cb (gpointer data)
{
  GSource *source = data;

  g_source_destroy (source);
  g_source_unref (source);
  return G_SOURCE_REMOVE;
}

/* hiredis frees the context itself after a failed connect or a disconnect,
 * and the adapter's dispatch may still look at its revents: clear them and
 * destroy the source once the dispatch has returned. */
static void
forget_context (LeapRedis *self)
{
  if (self->source != NULL)
    {
      ((RedisSource *) self->source)->poll_fd.revents = 0;
      g_idle_add_full (G_PRIORITY_HIGH, destroy_source_idle_cb, g_steal_pointer (&self->source),
                       NULL);
    }
  self->ac = NULL;
  self->ping_sent_at = 0;
}

static void
script_load_cb (LeapRedis        *self,
                const redisReply *reply,
                const GError     *error,
                gpointer          user_data)
{
  if (error != NULL && !self->disposing)
    g_warning ("Could not load a script into Redis: %s", error->message);
}

static void
load_all_scripts (LeapRedis *self)
{
  GHashTableIter iter;
  Script *script;

  g_hash_table_iter_init (&iter, self->scripts);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &script))
    leap_redis_command (self, script_load_cb, NULL, "SCRIPT", "LOAD", script->source, NULL);
}

static void
ready (LeapRedis *self)
{
  g_message ("Connected to Redis at %s:%u%s%s%s%s%s", self->host, self->port,
             self->password ? " as " : "",
             self->password ? (self->user ? self->user : "default") : "",
             self->sentinel ? ", the primary “" : "",
             self->sentinel ? leap_redis_sentinel_get_master (self->sentinel) : "",
             self->sentinel ? "”" : "");
  self->backoff_ms = 0;
  set_connected (self, TRUE);
  load_all_scripts (self);

  {
    GHashTableIter iter;
    const char *channel;

    g_hash_table_iter_init (&iter, self->channels);
    while (g_hash_table_iter_next (&iter, (gpointer *) &channel, NULL))
      send_subscribe (self, channel);
  }
}

/* A Sentinel's answer may be out of date (a primary that came back after
 * its replica was promoted still thinks it is one for a while, and a
 * demoted one is a replica): use a node only if it says it is the primary. */
static void
role_cb (redisAsyncContext *ac,
         void              *r,
         void              *privdata)
{
  LeapRedis *self = ac->data;
  redisReply *reply = r;
  const char *role = "no role";

  if (reply == NULL || self->disposing)
    return;
  self->last_reply_at = g_get_monotonic_time ();
  if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0 &&
      reply->element[0]->type == REDIS_REPLY_STRING)
    role = reply->element[0]->str;
  else if (reply->type == REDIS_REPLY_ERROR)
    role = reply->str;
  if (reply->type == REDIS_REPLY_ARRAY && strcmp (role, "master") == 0)
    {
      ready (self);
      return;
    }
  g_warning ("Redis at %s:%u is not the primary “%s” (%s); asking the Sentinels again",
             self->host, self->port, leap_redis_sentinel_get_master (self->sentinel), role);
  redisAsyncDisconnect (ac); /* then disconnect_cb asks again, with backoff */
}

static void
signed_in (LeapRedis *self)
{
  if (self->sentinel == NULL)
    ready (self);
  else if (redisAsyncCommand (self->ac, role_cb, NULL, "ROLE") != REDIS_OK)
    g_warning ("Cannot send ROLE to Redis at %s:%u", self->host, self->port);
}

/* AUTH comes first on every connection; nothing else is sent (the
 * connection does not count as connected) until Redis accepts it. */
static void
auth_cb (redisAsyncContext *ac,
         void              *r,
         void              *privdata)
{
  LeapRedis *self = ac->data;
  redisReply *reply = r;

  /* No reply: the connection is gone, and disconnect_cb deals with that. */
  if (reply == NULL || self->disposing)
    return;
  self->last_reply_at = g_get_monotonic_time ();
  if (reply->type == REDIS_REPLY_ERROR)
    {
      g_warning ("Redis at %s:%u refused the credentials of user %s: %s", self->host, self->port,
                 self->user ? self->user : "default", reply->str);
      redisAsyncDisconnect (ac); /* then disconnect_cb tries again, with backoff */
      return;
    }
  signed_in (self);
}

static void
connect_cb (const redisAsyncContext *ac,
            int                      status)
{
  LeapRedis *self = ac->data;

  if (status != REDIS_OK)
    {
      g_debug ("Cannot connect to Redis at %s:%u: %s", self->host, self->port, ac->errstr);
      forget_context (self);
      schedule_reconnect (self);
      return;
    }

  if (self->password != NULL)
    {
      const char *argv[] = { "AUTH", self->user ? self->user : self->password, self->password };

      if (redisAsyncCommandArgv (self->ac, auth_cb, NULL, self->user ? 3 : 2, argv, NULL) !=
          REDIS_OK)
        g_warning ("Cannot send AUTH to Redis at %s:%u", self->host, self->port);
      return;
    }
  signed_in (self);
}

static void
disconnect_cb (const redisAsyncContext *ac,
               int                      status)
{
  LeapRedis *self = ac->data;

  /* hiredis 0.14 cannot unset a disconnect callback: ignore our own free. */
  if (self->disposing)
    return;
  g_warning ("Lost the connection to Redis at %s:%u%s%s", self->host, self->port,
             ac->err ? ": " : "", ac->err ? ac->errstr : "");
  forget_context (self);
  set_connected (self, FALSE);
  schedule_reconnect (self);
}

static void
connect_node (LeapRedis *self)
{
  redisAsyncContext *ac = redisAsyncConnect (self->host, self->port);
  if (ac == NULL || ac->err)
    {
      g_debug ("Cannot connect to Redis at %s:%u: %s", self->host, self->port,
               ac ? ac->errstr : "out of memory");
      if (ac != NULL)
        redisAsyncFree (ac);
      schedule_reconnect (self);
      return;
    }
  ac->data = self;
  self->ac = ac;
  self->source = redis_source_new (ac);
  g_source_attach (self->source, g_main_context_get_thread_default ());
  redisAsyncSetConnectCallback (ac, connect_cb);
  redisAsyncSetDisconnectCallback (ac, disconnect_cb);
}

static void
primary_found_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *host = NULL;
  LeapRedis *self;
  guint16 port;

  if (!leap_redis_sentinel_ask_finish (LEAP_REDIS_SENTINEL (object), result, &host, &port,
                                       &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* disposed */
  self = user_data;
  self->asking = FALSE;
  if (error != NULL)
    {
      /* Said at start; while the primary is lost, at each try in the debug log. */
      if (self->backoff_ms < BACKOFF_MIN_MS)
        g_warning ("%s", error->message);
      else
        g_debug ("%s", error->message);
      schedule_reconnect (self);
      return;
    }
  g_free (self->host);
  self->host = g_steal_pointer (&host);
  self->port = port;
  connect_node (self);
}

/* With Sentinels, asks them first where the primary is, on every connect. */
void
leap_redis_connect (LeapRedis *self)
{
  g_return_if_fail (LEAP_IS_REDIS (self));

  if (self->ac != NULL || self->asking)
    return;
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  if (self->sentinel == NULL)
    {
      connect_node (self);
      return;
    }
  self->asking = TRUE;
  leap_redis_sentinel_ask_async (self->sentinel, self->cancellable, primary_found_cb, self);
}

/* A Sentinel says the primary moved: leave the old one now, rather than
 * write to it until it is demoted (or wait for a dead one's socket). */
static void
switch_master_cb (LeapRedis  *self,
                  const char *host,
                  guint       port)
{
  redisAsyncContext *ac = self->ac;

  if (ac != NULL && g_strcmp0 (host, self->host) == 0 && port == self->port)
    return;
  if (ac != NULL)
    {
      redisAsyncFree (ac); /* calls disconnect_cb if the connect had completed */
      if (self->ac == ac)
        forget_context (self);
    }
  set_connected (self, FALSE);
  self->backoff_ms = 0;
  leap_redis_connect (self);
}

static gboolean
reconnect_cb (gpointer data)
{
  LeapRedis *self = data;

  self->reconnect_id = 0;
  leap_redis_connect (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_reconnect (LeapRedis *self)
{
  if (self->reconnect_id != 0)
    return;
  self->backoff_ms = CLAMP (self->backoff_ms * 2, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
  self->reconnect_id = g_timeout_add (self->backoff_ms +
                                          g_random_int_range (0, self->backoff_ms / 4 + 1),
                                      reconnect_cb, self);
}

static void
ping_cb (LeapRedis        *self,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  self->ping_sent_at = 0;
}

/* A Redis that stops answering without closing the socket (a frozen
 * process, a dropped network) is noticed here within two seconds. */
static gboolean
watchdog_cb (gpointer data)
{
  LeapRedis *self = data;
  gint64 now = g_get_monotonic_time ();
  gboolean   loop_was_late = self->last_tick_at != 0 &&
                           now - self->last_tick_at >
                               2 * PING_INTERVAL_MS * G_TIME_SPAN_MILLISECOND;

  self->last_tick_at = now;
  if (!self->connected || self->ac == NULL || g_hash_table_size (self->channels) > 0)
    return G_SOURCE_CONTINUE;

  /* A busy main loop reads replies late: that is not a dead Redis. So is a
   * connection that answered anything lately. */
  if (loop_was_late || now - self->last_reply_at < PING_DEADLINE_US)
    {
      if (self->ping_sent_at != 0)
        self->ping_sent_at = now;
      else if (now - self->last_reply_at >= PING_INTERVAL_MS * G_TIME_SPAN_MILLISECOND)
        {
          self->ping_sent_at = now;
          leap_redis_command (self, ping_cb, NULL, "PING", NULL);
        }
      return G_SOURCE_CONTINUE;
    }

  if (self->ping_sent_at == 0)
    {
      self->ping_sent_at = now;
      leap_redis_command (self, ping_cb, NULL, "PING", NULL);
    }
  else if (now - self->ping_sent_at > PING_DEADLINE_US)
    {
      g_warning ("Redis at %s:%u did not answer PING in time; reconnecting", self->host,
                 self->port);
      redisAsyncFree (self->ac); /* calls disconnect_cb */
    }
  return G_SOURCE_CONTINUE;
}

void
leap_redis_command_argv_full (LeapRedis         *self,
                              LeapRedisReplyFunc func,
                              gpointer           user_data,
                              GDestroyNotify     destroy,
                              int                argc,
                              const char       **argv,
                              const size_t      *argvlen)
{
  Pending *pending = g_new0 (Pending, 1);

  pending->self = self;
  pending->func = func;
  pending->user_data = user_data;
  pending->destroy = destroy;

  /* Fail fast while disconnected: callers fall back to the database. */
  if (!self->connected || self->ac == NULL ||
      redisAsyncCommandArgv (self->ac, reply_cb, pending, argc, argv, argvlen) != REDIS_OK)
    fail_later (pending);
}

void
leap_redis_command_argv (LeapRedis         *self,
                         LeapRedisReplyFunc func,
                         gpointer           user_data,
                         int                argc,
                         const char       **argv,
                         const size_t      *argvlen)
{
  leap_redis_command_argv_full (self, func, user_data, NULL, argc, argv, argvlen);
}

static void
command_valist (LeapRedis         *self,
                LeapRedisReplyFunc func,
                gpointer           user_data,
                GDestroyNotify     destroy,
                va_list            args)
{
  const char *argv[32];
  int argc = 0;

  for (const char *arg = va_arg (args, const char *); arg != NULL;
       arg = va_arg (args, const char *))
    {
      g_assert (argc < (int) G_N_ELEMENTS (argv));
      argv[argc++] = arg;
    }
  leap_redis_command_argv_full (self, func, user_data, destroy, argc, argv, NULL);
}

void
leap_redis_command (LeapRedis         *self,
                    LeapRedisReplyFunc func,
                    gpointer           user_data,
                    ...)
{
  va_list args;

  va_start (args, user_data);
  command_valist (self, func, user_data, NULL, args);
  va_end (args);
}

void
leap_redis_command_full (LeapRedis         *self,
                         LeapRedisReplyFunc func,
                         gpointer           user_data,
                         GDestroyNotify     destroy,
                         ...)
{
  va_list args;

  va_start (args, destroy);
  command_valist (self, func, user_data, destroy, args);
  va_end (args);
}

void
leap_redis_add_script (LeapRedis  *self,
                       const char *name,
                       const char *source)
{
  Script *script = g_new0 (Script, 1);

  script->source = g_strdup (source);
  script->sha = g_compute_checksum_for_string (G_CHECKSUM_SHA1, source, -1);
  g_hash_table_replace (self->scripts, g_strdup (name), script);
  if (self->connected)
    leap_redis_command (self, script_load_cb, NULL, "SCRIPT", "LOAD", source, NULL);
}

/* Adds every NAME.lua under a resource path as script NAME, each behind
 * prelude.lua (the helpers the scripts share: Redis runs every script as
 * one chunk, with no way to include another). */
void
leap_redis_load_scripts (LeapRedis  *self,
                         const char *resource_path)
{
  g_auto(GStrv) names = g_resources_enumerate_children (resource_path, 0, NULL);
  g_autofree char *prelude_path = g_build_path ("/", resource_path, "prelude.lua", NULL);
  g_autoptr(GBytes) prelude = g_resources_lookup_data (prelude_path, 0, NULL);

  for (guint i = 0; names != NULL && names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_path ("/", resource_path, names[i], NULL);
      g_autoptr(GBytes) bytes = g_resources_lookup_data (path, 0, NULL);
      g_autofree char *name = NULL;
      g_autoptr(GString) source = g_string_new (NULL);

      if (bytes == NULL || !g_str_has_suffix (names[i], ".lua") ||
          g_str_equal (names[i], "prelude.lua"))
        continue;
      name = g_strndup (names[i], strlen (names[i]) - 4);
      if (prelude != NULL)
        g_string_append_len (source, g_bytes_get_data (prelude, NULL), g_bytes_get_size (prelude));
      g_string_append_len (source, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      leap_redis_add_script (self, name, source->str);
    }
}

/* Runs a script by its SHA1; argv holds its keys and then its arguments. */
void
leap_redis_eval_argv (LeapRedis         *self,
                      const char        *name,
                      LeapRedisReplyFunc func,
                      gpointer           user_data,
                      int                nkeys,
                      int                argc,
                      const char       **argv,
                      const size_t      *argvlen)
{
  leap_redis_eval_argv_full (self, name, func, user_data, NULL, nkeys, argc, argv, argvlen);
}

void
leap_redis_eval_argv_full (LeapRedis         *self,
                           const char        *name,
                           LeapRedisReplyFunc func,
                           gpointer           user_data,
                           GDestroyNotify     destroy,
                           int                nkeys,
                           int                argc,
                           const char       **argv,
                           const size_t      *argvlen)
{
  Script *script = g_hash_table_lookup (self->scripts, name);
  char nkeys_text[16];
  Pending *pending;
  gsize total, offset;

  g_return_if_fail (script != NULL);

  g_snprintf (nkeys_text, sizeof nkeys_text, "%d", nkeys);
  pending = g_new0 (Pending, 1);
  pending->self = self;
  pending->func = func;
  pending->user_data = user_data;
  pending->destroy = destroy;
  pending->script = script;
  pending->argc = argc + 3;
  pending->argv = g_new (const char *, argc + 3);
  pending->lens = g_new (size_t, argc + 3);

  /* Copy the arguments into one chunk, so that a retry can send them again. */
  total = strlen (nkeys_text);
  for (int i = 0; i < argc; i++)
    total += argvlen ? argvlen[i] : strlen (argv[i]);
  pending->chunk = g_malloc (total + 1);
  pending->argv[0] = "EVALSHA";
  pending->lens[0] = 7;
  pending->argv[1] = script->sha;
  pending->lens[1] = strlen (script->sha);
  offset = strlen (nkeys_text);
  memcpy (pending->chunk, nkeys_text, offset);
  pending->argv[2] = pending->chunk;
  pending->lens[2] = offset;
  for (int i = 0; i < argc; i++)
    {
      size_t len = argvlen ? argvlen[i] : strlen (argv[i]);

      memcpy (pending->chunk + offset, argv[i], len);
      pending->argv[i + 3] = pending->chunk + offset;
      pending->lens[i + 3] = len;
      offset += len;
    }

  if (!self->connected || self->ac == NULL ||
      redisAsyncCommandArgv (self->ac, reply_cb, pending, pending->argc,
                             pending->argv, pending->lens) != REDIS_OK)
    fail_later (pending);
}

static void
subscribe_cb (redisAsyncContext *ac,
              void              *r,
              void              *privdata)
{
  LeapRedis *self = ac->data;
  redisReply *reply = r;
  GPtrArray *subs;

  redisReply *channel, *payload;

  if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
      reply->element[0]->type != REDIS_REPLY_STRING)
    return;

  /* ["subscribe" or "psubscribe", channel, count]: from now on every
   * message on it arrives, and what was published before did not. */
  if ((strcmp (reply->element[0]->str, "subscribe") == 0 ||
       strcmp (reply->element[0]->str, "psubscribe") == 0) &&
      reply->element[1]->type == REDIS_REPLY_STRING)
    {
      if (!self->disposing)
        g_signal_emit (self, signals[SUBSCRIBED], 0, reply->element[1]->str);
      return;
    }
  /* ["message", channel, payload] or ["pmessage", pattern, channel, payload] */
  if (strcmp (reply->element[0]->str, "message") == 0 && reply->elements == 3)
    {
      subs = g_hash_table_lookup (self->channels, reply->element[1]->str);
      channel = reply->element[1];
      payload = reply->element[2];
    }
  else if (strcmp (reply->element[0]->str, "pmessage") == 0 && reply->elements == 4)
    {
      subs = g_hash_table_lookup (self->channels, reply->element[1]->str);
      channel = reply->element[2];
      payload = reply->element[3];
    }
  else
    return;

  for (guint i = 0; subs != NULL && i < subs->len; i++)
    {
      Subscription *sub = g_ptr_array_index (subs, i);
      sub->func (self, channel->str, payload->str, payload->len, sub->user_data);
    }
}

/* A channel name ending in '*' is a pattern. */
static void
send_subscribe (LeapRedis  *self,
                const char *channel)
{
  const char *argv[] = { g_str_has_suffix (channel, "*") ? "PSUBSCRIBE" : "SUBSCRIBE", channel };

  if (self->connected && self->ac != NULL)
    redisAsyncCommandArgv (self->ac, subscribe_cb, NULL, 2, argv, NULL);
}

/* A connection that subscribes is used for nothing else; channels are
 * subscribed again after every reconnect. */
void
leap_redis_subscribe (LeapRedis           *self,
                      const char          *channel,
                      LeapRedisMessageFunc func,
                      gpointer             user_data)
{
  GPtrArray *subs = g_hash_table_lookup (self->channels, channel);
  Subscription *sub = g_new0 (Subscription, 1);

  sub->func = func;
  sub->user_data = user_data;
  if (subs == NULL)
    {
      subs = g_ptr_array_new_with_free_func (g_free);
      g_hash_table_insert (self->channels, g_strdup (channel), subs);
      send_subscribe (self, channel);
    }
  g_ptr_array_add (subs, sub);
}

void
leap_redis_unsubscribe_all (LeapRedis *self,
                            gpointer   user_data)
{
  GHashTableIter iter;
  GPtrArray *subs;

  g_hash_table_iter_init (&iter, self->channels);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &subs))
    for (guint i = subs->len; i > 0; i--)
      if (((Subscription *) g_ptr_array_index (subs, i - 1))->user_data == user_data)
        g_ptr_array_remove_index (subs, i - 1);
}

gboolean
leap_redis_is_connected (LeapRedis *self)
{
  g_return_val_if_fail (LEAP_IS_REDIS (self), FALSE);
  return self->connected;
}

guint64
leap_redis_get_disconnects (LeapRedis *self)
{
  return self->disconnects;
}

static void
leap_redis_dispose (GObject *object)
{
  LeapRedis *self = LEAP_REDIS (object);

  self->disposing = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->sentinel != NULL)
    g_signal_handlers_disconnect_by_data (self->sentinel, self);
  g_clear_object (&self->sentinel);
  g_clear_handle_id (&self->reconnect_id, g_source_remove);
  g_clear_handle_id (&self->ping_id, g_source_remove);
  if (self->ac != NULL)
    {
      redisAsyncContext *ac = self->ac;

      /* Pending commands are dropped without a word (complete () frees
       * their user_data when they came with a destroy); no reconnect follows. */
      self->ac = NULL;
      redisAsyncFree (ac);
    }
  if (self->source != NULL)
    {
      g_source_destroy (self->source);
      g_clear_pointer (&self->source, g_source_unref);
    }
  self->connected = FALSE;

  G_OBJECT_CLASS (leap_redis_parent_class)->dispose (object);
}

static void
leap_redis_finalize (GObject *object)
{
  LeapRedis *self = LEAP_REDIS (object);

  g_free (self->host);
  g_free (self->user);
  if (self->password != NULL)
    memset (self->password, 0, strlen (self->password));
  g_free (self->password);
  g_hash_table_unref (self->scripts);
  g_hash_table_unref (self->channels);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_redis_parent_class)->finalize (object);
}

static void
leap_redis_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  LeapRedis *self = LEAP_REDIS (object);

  switch (prop_id)
    {
    case PROP_CONNECTED:
      g_value_set_boolean (value, self->connected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_redis_class_init (LeapRedisClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_redis_dispose;
  object_class->finalize = leap_redis_finalize;
  object_class->get_property = leap_redis_get_property;

  properties[PROP_CONNECTED] =
    g_param_spec_boolean ("connected", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* Redis confirmed a subscription to a channel (or pattern), after
   * leap_redis_subscribe () or after a reconnect. */
  signals[SUBSCRIBED] = g_signal_new ("subscribed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void
leap_redis_init (LeapRedis *self)
{
  self->scripts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify)script_free);
  self->channels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) g_ptr_array_unref);
  self->cancellable = g_cancellable_new ();
}

/* Credentials for a Redis with ACLs (data/redis/, docs/security.md). They
 * come from the environment, so that the backend, the workers and the tools
 * read them alike and no password shows on a command line: the password is
 * in the file LEAP_REDIS_PASSWORD_FILE, or in the systemd credential
 * "redis-password" (LoadCredential=); the user is LEAP_REDIS_USER, or the
 * default user when that is unset. Without a password, no AUTH is sent. */
static void
load_credentials (LeapRedis *self)
{
  const char *path = g_getenv ("LEAP_REDIS_PASSWORD_FILE");
  const char *user = g_getenv ("LEAP_REDIS_USER");
  const char *credentials = g_getenv ("CREDENTIALS_DIRECTORY");
  g_autofree char *credential = NULL;
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  if ((path == NULL || *path == '\0') && credentials != NULL)
    {
      credential = g_build_filename (credentials, "redis-password", NULL);
      path = g_file_test (credential, G_FILE_TEST_EXISTS) ? credential : NULL;
    }
  if (path == NULL || *path == '\0')
    return;
  if (!g_file_get_contents (path, &text, NULL, &error))
    {
      g_warning ("Cannot read the Redis password: %s", error->message);
      return;
    }
  self->password = g_strstrip (text);
  self->user = user != NULL && *user != '\0' ? g_strdup (user) : NULL;
}

/* A connection to one Redis server; it connects at once and reconnects
 * with backoff whenever the connection is lost. */
LeapRedis *
leap_redis_new (const char *host,
                guint16     port)
{
  return leap_redis_new_full (host, port, NULL, NULL);
}

/* The same, to the primary that @sentinels ("HOST:PORT" each) call
 * @master when there are any (then @host and @port are not used). */
LeapRedis *
leap_redis_new_full (const char         *host,
                     guint16             port,
                     const char * const *sentinels,
                     const char         *master)
{
  LeapRedis *self = g_object_new (LEAP_TYPE_REDIS, NULL);

  if (sentinels != NULL && sentinels[0] != NULL)
    {
      self->sentinel = leap_redis_sentinel_new (sentinels, master);
      g_signal_connect_swapped (self->sentinel, "switch-master", G_CALLBACK (switch_master_cb),
                                self);
    }
  else
    {
      self->host = g_strdup (host);
      self->port = port;
    }
  load_credentials (self);
  self->ping_id = g_timeout_add (PING_INTERVAL_MS, watchdog_cb, self);
  leap_redis_connect (self);
  return self;
}
