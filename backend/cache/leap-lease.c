/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-lease"

/* Work that one backend of many must do alone (the reconciler's runs, the
 * refunds' retries) runs under a lease in Redis (lua/lease.lua): taken
 * with SET NX PX, renewed a third of its time in, and used only until a
 * third of its time before it ends by this backend's clock, so that a
 * renewal that comes late stops the work before another holder starts.
 * What the holder writes carries its token, and a lower token than one
 * already seen is refused there (see lua/reconcile.lua's apply-fenced). */

#include "leap-lease.h"
#include "leap-keys.h"
#include "leap-reply.h"

#include <unistd.h>

struct _LeapLease
{
  GObject    parent_instance;

  LeapRedis *redis;
  char      *name;
  char      *holder;    /* this process: host, pid and a random number */
  guint      ttl_ms;
  guint      renew_id;
  gboolean   asking;    /* a take waits for its reply */
  gint64     until;     /* monotonic ms up to which the lease is used */
  gint64     token;     /* of the lease held, else 0 */
};

G_DEFINE_FINAL_TYPE (LeapLease, leap_lease, G_TYPE_OBJECT)

/* A take's reply may come after the lease is gone: self is then NULL. */
typedef struct
{
  LeapLease *self;
  gint64     start;     /* monotonic ms, taken before the take was sent */
} Take;

static void
take_free (Take *t)
{
  if (t->self != NULL)
    g_object_remove_weak_pointer (G_OBJECT (t->self), (gpointer *) &t->self);
  g_free (t);
}

static void
taken_cb (LeapRedis        *redis,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  Take *take = user_data;
  LeapLease *self = take->self;
  gint64 start = take->start;
  gboolean was_held;

  take_free (take);
  if (self == NULL)
    return;
  was_held = leap_lease_is_held (self);
  self->asking = FALSE;
  if (error == NULL && leap_reply_is_array (reply, 2) && leap_reply_element_int (reply, 0) == 1)
    {
      gint64 token = leap_reply_element_int (reply, 1);

      if (token != self->token)
        g_message ("This backend now runs the %s (lease token %" G_GINT64_FORMAT ")", self->name,
                   token);
      self->token = token;
      self->until = start + self->ttl_ms - self->ttl_ms / 3;
      return;
    }
  if (error != NULL)
    g_debug ("Cannot take the %s lease: %s", self->name, error->message);
  if (was_held)
    g_message ("Another backend runs the %s now", self->name);
  self->token = 0;
  self->until = 0;
}

static void
take (LeapLease *self)
{
  g_autoptr(GPtrArray) argv = leap_keys_lease_script (self->name);
  guint nkeys = argv->len;
  Take *t;

  if (self->asking || !leap_redis_is_connected (self->redis))
    return;
  t = g_new (Take, 1);
  t->self = self;
  g_object_add_weak_pointer (G_OBJECT (self), (gpointer *) &t->self);
  t->start = g_get_monotonic_time () / 1000;
  g_ptr_array_add (argv, g_strdup (self->holder));
  g_ptr_array_add (argv, g_strdup ("take"));
  g_ptr_array_add (argv, g_strdup_printf ("%u", self->ttl_ms));
  self->asking = TRUE;
  leap_redis_eval_argv_full (self->redis, "lease", taken_cb, t, (GDestroyNotify) take_free, nkeys,
                             argv->len, (const char **) argv->pdata, NULL);
}

static gboolean
renew_cb (gpointer data)
{
  take (data);
  return G_SOURCE_CONTINUE;
}

static void
redis_state_cb (LeapLease *self)
{
  if (leap_redis_is_connected (self->redis))
    take (self);
  else
    {
      /* What runs under the lease needs Redis; a reply lost with the
       * connection is not waited for. */
      self->asking = FALSE;
      self->token = 0;
      self->until = 0;
    }
}

static void
leap_lease_dispose (GObject *object)
{
  LeapLease *self = LEAP_LEASE (object);

  g_clear_handle_id (&self->renew_id, g_source_remove);
  if (self->redis != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->redis, self);
      /* Given up, so that another backend need not wait for it to end. */
      if (self->token != 0)
        {
          g_autoptr(GPtrArray) argv = leap_keys_lease_script (self->name);
          guint nkeys = argv->len;

          g_ptr_array_add (argv, g_strdup (self->holder));
          g_ptr_array_add (argv, g_strdup ("give"));
          leap_redis_eval_argv (self->redis, "lease", NULL, NULL, nkeys, argv->len,
                                (const char **) argv->pdata, NULL);
        }
    }
  g_clear_object (&self->redis);
  G_OBJECT_CLASS (leap_lease_parent_class)->dispose (object);
}

static void
leap_lease_finalize (GObject *object)
{
  LeapLease *self = LEAP_LEASE (object);

  g_free (self->name);
  g_free (self->holder);
  G_OBJECT_CLASS (leap_lease_parent_class)->finalize (object);
}

static void
leap_lease_class_init (LeapLeaseClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = leap_lease_dispose;
  object_class->finalize = leap_lease_finalize;
}

static void
leap_lease_init (LeapLease *self)
{
  self->holder = g_strdup_printf ("%s:%d:%08x", g_get_host_name (), (int) getpid (),
                                  g_random_int ());
}

/* name: what runs under it, for the key and the log ("timers"). */
LeapLease *
leap_lease_new (LeapRedis  *redis,
                const char *name,
                guint       ttl_ms)
{
  LeapLease *self;

  g_return_val_if_fail (LEAP_IS_REDIS (redis), NULL);
  g_return_val_if_fail (name != NULL && ttl_ms >= 3, NULL);

  self = g_object_new (LEAP_TYPE_LEASE, NULL);
  self->redis = g_object_ref (redis);
  self->name = g_strdup (name);
  self->ttl_ms = ttl_ms;
  self->renew_id = g_timeout_add (ttl_ms / 3, renew_cb, self);
  g_signal_connect_swapped (redis, "notify::connected", G_CALLBACK (redis_state_cb), self);
  take (self);
  return self;
}

gboolean
leap_lease_is_held (LeapLease *self)
{
  g_return_val_if_fail (LEAP_IS_LEASE (self), FALSE);

  return self->token != 0 && g_get_monotonic_time () / 1000 < self->until;
}

/* The token of the lease held, for the writes made under it; 0 if not
 * held. */
gint64
leap_lease_get_token (LeapLease *self)
{
  g_return_val_if_fail (LEAP_IS_LEASE (self), 0);

  return leap_lease_is_held (self) ? self->token : 0;
}

/* Whether work that needs no Redis may run here: under the lease, or by
 * every backend while Redis is unreachable (work that is safe to do twice,
 * as nothing can hand out the lease then). */
gboolean
leap_lease_may_run (LeapLease *self)
{
  g_return_val_if_fail (LEAP_IS_LEASE (self), FALSE);

  return leap_lease_is_held (self) || !leap_redis_is_connected (self->redis);
}

const char *
leap_lease_get_name (LeapLease *self)
{
  g_return_val_if_fail (LEAP_IS_LEASE (self), NULL);

  return self->name;
}
