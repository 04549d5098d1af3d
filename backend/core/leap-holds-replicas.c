/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-holds"

/* A hold answered 201 survives a failover: with a replica that keeps up,
 * the hold is answered only once WAIT says a replica has it (see "An
 * acknowledged hold" in docs/reliability.md). WAIT covers every write the
 * connection made before it and blocks what is behind it, so one WAIT
 * answers every hold made while none was in flight (a group commit). */
#include "leap-holds-private.h"
#include "leap-error.h"

#include <glib/gi18n.h>

void
_leap_holds_replicas_init (LeapHolds *self)
{
  self->unreplicated = g_ptr_array_new ();
}

/* The holds waiting for a replica join those waiting for a rebuild, which
 * dispose refuses. */
void
_leap_holds_replicas_dispose (LeapHolds *self)
{
  if (self->unreplicated != NULL && self->waiting != NULL)
    g_ptr_array_extend_and_steal (self->waiting, g_steal_pointer (&self->unreplicated));
  g_clear_pointer (&self->unreplicated, g_ptr_array_unref);
}

/* ROLE on the primary: {"master", offset, {{host, port, acked offset}…}}.
 * A replica counts unless a WAIT found none in time: then only once it has
 * acknowledged all the primary had written by the next ROLE. So a replica
 * that froze (SIGSTOP, a hung machine), which the primary lists until
 * repl-timeout (60 s), costs one refused group of holds, not a minute of
 * them; one that comes back counts again. */
static void
role_cb (LeapRedis        *redis,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  g_autoptr(LeapHolds) self = user_data;
  const redisReply *replicas = leap_reply_element (reply, 2);
  guint up = 0;

  if (error != NULL || g_strcmp0 (leap_reply_status (reply), "master") != 0)
    replicas = NULL;
  if (self->wait_failed)
    {
      self->catch_up_to = leap_reply_element_int (reply, 1);
      self->wait_failed = FALSE;
    }
  for (gsize i = 0; i < leap_reply_n_elements (replicas); i++)
    if (leap_reply_element_int (leap_reply_element (replicas, i), 2) >= self->catch_up_to)
      up++;
  if (up != self->replicas)
    g_message ("Redis replicas that keep up: %u%s", up,
               up > 0 && self->config.redis_wait_ms > 0 ? "; holds wait for one (WAIT)" : "");
  self->replicas = up;
}

/* Every second, asked on the holds' own connection. */
void
_leap_holds_replicas_poll (LeapHolds *self)
{
  if (self->config.redis_wait_ms == 0)
    return;
  leap_redis_command_full (self->redis, role_cb, g_object_ref (self), g_object_unref, "ROLE",
                           NULL);
}

/* A new connection may be to another primary (a failover): its replicas
 * are not those of the last one until ROLE says so. */
void
_leap_holds_replicas_connected (LeapHolds *self)
{
  self->replicas = 0;
  self->catch_up_to = 0;
  self->wait_failed = FALSE;
  _leap_holds_replicas_poll (self);
}

gboolean
_leap_holds_replicas_wanted (LeapHolds *self)
{
  return self->config.redis_wait_ms > 0 && self->replicas > 0;
}

static void send_wait (LeapHolds *self);

static void
release_cb (LeapRedis        *redis,
            const redisReply *reply,
            const GError     *error,
            gpointer          user_data)
{
  if (error != NULL)
    g_warning ("Cannot release a hold no replica confirmed (%s); it expires in its time",
               error->message);
}

/* No replica confirmed it in time: a failover could lose it, so it is not
 * acknowledged; and released, so that nothing stays held that the client
 * does not know of. The client may try again (503). */
static void
refuse (LeapHolds *self,
        GTask     *task)
{
  Create *c = g_task_get_task_data (task);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);

  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, c->event_id));
  g_ptr_array_add (args, g_strdup (c->owner));
  g_ptr_array_add (args, g_strdup (LEAP_HOLDS_REDIS_NOW));
  _leap_holds_run_script (self, "release", c->event_id, c->hold_id, args, release_cb, NULL, NULL);
  g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                           N_("Tickets cannot be held right now; try again in a moment"));
  g_object_unref (task);
}

static void
waited_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  g_autoptr(GPtrArray) batch = user_data;
  /* Kept: the tasks, which hold it, may go before send_wait (). */
  g_autoptr(LeapHolds) self = g_object_ref (g_task_get_source_object (batch->pdata[0]));
  gint64 replicas = 0;

  self->replicating = FALSE;
  if (error == NULL)
    leap_reply_get_int (reply, &replicas);
  if (replicas == 0)
    {
      g_message ("No Redis replica confirmed %u holds within %u ms; they are released",
                 batch->len, self->config.redis_wait_ms);
      self->replicas = 0;
      self->wait_failed = TRUE;
    }
  for (guint i = 0; i < batch->len; i++)
    {
      GTask *task = batch->pdata[i];

      batch->pdata[i] = NULL;
      if (replicas > 0)
        _leap_holds_reserved (self, task);
      else
        refuse (self, task);
    }
  send_wait (self);
}

static void
batch_free (GPtrArray *batch)
{
  for (guint i = 0; i < batch->len; i++)
    g_clear_object (&batch->pdata[i]);
  g_ptr_array_unref (batch);
}

static void
send_wait (LeapHolds *self)
{
  g_autofree char *timeout = NULL;
  GPtrArray *batch;

  if (self->replicating || self->unreplicated->len == 0)
    return;
  batch = g_steal_pointer (&self->unreplicated);
  self->unreplicated = g_ptr_array_new ();
  self->replicating = TRUE;
  timeout = g_strdup_printf ("%u", self->config.redis_wait_ms);
  leap_redis_command_full (self->redis, waited_cb, batch, (GDestroyNotify) batch_free, "WAIT",
                           "1", timeout, NULL);
}

void
_leap_holds_replicate (LeapHolds *self,
                       GTask     *task)
{
  g_ptr_array_add (self->unreplicated, task);
  send_wait (self);
}
