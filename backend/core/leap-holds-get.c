/* SPDX-License-Identifier: GPL-3.0-or-later */
/* LeapHolds: reading and releasing a hold, in Redis or (Redis down, or a
 * hold it never took over) in the database. */
#define G_LOG_DOMAIN "leap-holds"

#include "leap-holds-private.h"
#include "leap-error.h"
#include "leap-json.h"

#include <glib/gi18n.h>

/* Reading and releasing a hold */

/* What get and release keep for the reply: the hold and who asks. */
typedef struct
{
  char  *hold_id;
  char  *owner;        /* the session's token hash */
  gint64 redis_now_ms; /* Redis's clock when it read the hold (get); 0 if unknown */
} Asked;

static Asked *
asked_new (const char *hold_id,
           const char *owner)
{
  Asked *asked = g_new0 (Asked, 1);

  asked->hold_id = g_strdup (hold_id);
  asked->owner = g_strdup (owner);
  return asked;
}

static void
asked_free (Asked *asked)
{
  g_free (asked->hold_id);
  g_free (asked->owner);
  g_free (asked);
}

static void
hold_time_cb (LeapRedis        *redis,
              const redisReply *reply,
              const GError     *error,
              gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Asked *asked = g_task_get_task_data (task);

  asked->redis_now_ms = leap_reply_time_ms (reply);
}

static void
hold_read_cb (LeapRedis        *redis,
              const redisReply *reply,
              const GError     *error,
              gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Asked *asked = g_task_get_task_data (task);
  const char *owner = asked->owner;
  const char *hold_id = asked->hold_id;
  g_autoptr(JsonArray) items = NULL;
  gint64 event_id = 0;
  const char *status;

  if (error != NULL && !leap_hold_id_is_db (hold_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Holds cannot be read right now"));
      return;
    }
  /* A hold of the database that Redis does not have (Redis down, or the
   * hold ended before Redis came back) is read from the database. */
  if (leap_hold_id_is_db (hold_id) &&
      (error != NULL || leap_reply_n_elements (reply) == 0))
    {
      _leap_holds_read_from_database (self, g_steal_pointer (&task), hold_id, owner);
      return;
    }
  /* Another session's hold is as invisible as one that does not exist. */
  if (leap_reply_n_elements (reply) == 0 ||
      g_strcmp0 (leap_reply_field (reply, "owner"), owner) != 0)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      return;
    }
  leap_hold_id_parse (hold_id, &event_id);
  status = leap_reply_field (reply, "status");
  /* A hold past its time that the timer has not reached yet is expired,
   * by Redis's clock as for every script. */
  if (g_strcmp0 (status, "held") == 0 &&
      g_ascii_strtoll (leap_reply_field (reply, "expires_ms"), NULL, 10) <=
        (asked->redis_now_ms > 0 ? asked->redis_now_ms : now_ms ()))
    status = "expired";
  items = leap_hold_lines_parse (leap_reply_field (reply, "items"),
                                 leap_reply_field (reply, "prices"));
  _leap_holds_describe_hold_async (self, event_id, hold_id, status ? status : "unknown",
                                   g_ascii_strtoll (leap_reply_field (reply, "expires_ms"),
                                                    NULL, 10),
                                   items, _leap_holds_described_cb, g_steal_pointer (&task));
}

void
leap_holds_get_async (LeapHolds          *self,
                      const LeapSession  *session,
                      const char         *hold_id,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *key = NULL;
  gint64 event_id;

  g_task_set_source_tag (task, leap_holds_get_async);
  if (!leap_hold_id_parse (hold_id, &event_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, asked_new (hold_id, session->token_hash),
                        (GDestroyNotify) asked_free);
  key = leap_keys_hold (event_id, hold_id);
  /* One round trip: the replies come in order, TIME's first. */
  leap_redis_command_full (self->redis, hold_time_cb, g_object_ref (task), g_object_unref, "TIME",
                           NULL);
  leap_redis_command_full (self->redis, hold_read_cb, task, g_object_unref, "HGETALL", key, NULL);
}

/* Releasing a hold */

/* In a thread of the store's pool: the database's record of a hold is
 * released (by its owner, if data names one: hold id, owner or NULL). */
static gpointer
db_release_run (LeapStore *store,
                gpointer   data,
                GError   **error)
{
  const char * const *asked = data;

  if (!leap_store_db_hold_end (store, asked[0], asked[1], "released", now_ms (), error))
    return NULL;
  return data;
}

static void
db_release_async (LeapHolds          *self,
                  const char         *hold_id,
                  const char         *owner,
                  GAsyncReadyCallback callback,
                  GTask              *task)
{
  char **asked = g_new0 (char *, 3);

  asked[0] = g_strdup (hold_id);
  asked[1] = g_strdup (owner);
  leap_store_call_async (self->store, db_release_run, asked, (GDestroyNotify) g_strfreev, NULL,
                         NULL, callback, task);
}

static void
record_released_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Asked *asked = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  /* The database's record follows, for GET while Redis is down. The
   * release itself is done (Redis has the tickets back), so a record
   * left behind is told, and the client still gets its answer. */
  if (leap_store_call_finish (LEAP_STORE (object), result, &error) == NULL)
    g_warning ("Hold %s is released, but its database record is not (%s): while Redis is "
               "down it reads as held until it expires", asked->hold_id, error->message);
  g_task_return_boolean (task, TRUE);
}

static void
never_handed_over_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(JsonObject) hold = leap_store_call_finish (LEAP_STORE (object), result, NULL);

  if (hold == NULL)
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             "This hold is %s and cannot be released",
                             leap_json_get_string (hold, "status", ""));
}

static void
released_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapHolds *self = g_task_get_source_object (task);
  Asked *asked = g_task_get_task_data (task);
  const char *hold_id = asked->hold_id;
  const char *status;

  if (error != NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               N_("Holds cannot be released right now"));
      return;
    }
  status = leap_reply_status (reply);
  if (leap_hold_id_is_db (hold_id) && g_str_equal (status, "released"))
    db_release_async (self, hold_id, NULL, record_released_cb, g_steal_pointer (&task));
  else if (g_str_equal (status, "released"))
    g_task_return_boolean (task, TRUE);
  else if (g_str_equal (status, "not_found") && leap_hold_id_is_db (hold_id))
    {
      /* Never handed to Redis: it ended before Redis came back. */
      _leap_holds_db_hold_get_async (self, hold_id, asked->owner, never_handed_over_cb,
                                     g_steal_pointer (&task));
    }
  else if (g_str_equal (status, "not_found"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             "This hold is %s and cannot be released",
                             leap_reply_element_string (reply, 1) ?: status);
}

static void
db_released_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;

  if (leap_store_call_finish (LEAP_STORE (object), result, &error) != NULL)
    g_task_return_boolean (task, TRUE);
  else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_EXPIRED))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             N_("This hold is expired and cannot be released"));
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

void
leap_holds_release_async (LeapHolds          *self,
                          const LeapSession  *session,
                          const char         *hold_id,
                          GAsyncReadyCallback callback,
                          gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  gint64 event_id;

  g_task_set_source_tag (task, leap_holds_release_async);
  if (!leap_hold_id_parse (hold_id, &event_id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, N_("No such hold"));
      g_object_unref (task);
      return;
    }
  g_task_set_task_data (task, asked_new (hold_id, session->token_hash),
                        (GDestroyNotify) asked_free);
  if (leap_hold_id_is_db (hold_id) && !self->ready)
    {
      /* Only a hold of this outage: its tickets go back to what the
       * database may sell (they are no longer counted). */
      if (leap_redis_is_connected (self->redis))
        {
          g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                                   N_("Holds cannot be released right now; try again in a "
                                      "moment"));
          g_object_unref (task);
        }
      else
        db_release_async (self, hold_id, session->token_hash, db_released_cb, task);
      return;
    }
  g_ptr_array_add (args, g_strdup_printf ("%" G_GINT64_FORMAT, event_id));
  g_ptr_array_add (args, g_strdup (session->token_hash));
  g_ptr_array_add (args, g_strdup (LEAP_HOLDS_REDIS_NOW));
  _leap_holds_run_script (self, "release", event_id, hold_id, args, released_cb, task,
                          g_object_unref);
}

gboolean
leap_holds_release_finish (LeapHolds    *self,
                           GAsyncResult *result,
                           GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
