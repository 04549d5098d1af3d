/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-waiting-room"

#include "leap-waiting-room.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-reply.h"

#include <string.h>

/* The waiting room of an on-sale (issue 20). From an event's on_sale_at
 * and for window_s after it, a guest's hold needs an admission: guests
 * line up in Redis by arrival (lua/waiting-room.lua, one place per
 * session), and the backend holding the timers lease lets `rate` of each
 * event's line in every second, first come first served. A guest that
 * does not ask for its place for timeout_s loses it. Staff and kiosk
 * sessions never wait.
 *
 * An admission token is "EVENT.EXPIRES.MAC": an HMAC-SHA256 under the
 * session key (shared by every backend of the database) of the event,
 * the expiry and the session's token hash, so it is good for that
 * session and event only, on any backend, until it expires. */

struct _LeapWaitingRoom
{
  GObject               parent_instance;

  /* Owned */
  LeapRedis            *redis;
  LeapCatalogue        *catalogue;
  LeapSessions         *sessions;
  LeapLease            *lease;

  LeapWaitingRoomConfig config;
  guint                 tick_id;
  gboolean              admitting; /* a tick's scripts are under way */
};

G_DEFINE_FINAL_TYPE (LeapWaitingRoom, leap_waiting_room, G_TYPE_OBJECT)

typedef struct
{
  char    *token_hash;
  char    *token;      /* check: the admission shown */
  gint64   event_id;
  gboolean guest;
  gboolean join;
} Ask;

static void
ask_free (Ask *ask)
{
  g_free (ask->token_hash);
  g_free (ask->token);
  g_free (ask);
}

static gint64
now_s (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static char *
admission_text (gint64      event_id,
                gint64      expires_at,
                const char *token_hash)
{
  return g_strdup_printf ("leap-admission-v1\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT "\n%s",
                          event_id, expires_at, token_hash);
}

static char *
admission_token (LeapWaitingRoom *self,
                 gint64           event_id,
                 gint64           expires_at,
                 const char      *token_hash)
{
  g_autofree char *text = admission_text (event_id, expires_at, token_hash);
  g_autofree char *mac = leap_sessions_sign (self->sessions, text);

  return g_strdup_printf ("%" G_GINT64_FORMAT ".%" G_GINT64_FORMAT ".%s", event_id, expires_at,
                          mac);
}

static gboolean
admission_is_valid (LeapWaitingRoom *self,
                    const Ask       *ask)
{
  g_auto(GStrv) parts = ask->token != NULL ? g_strsplit (ask->token, ".", 4) : NULL;
  g_autofree char *text = NULL;
  gint64 event_id, expires_at;
  char *end = NULL;

  if (parts == NULL || g_strv_length (parts) != 3)
    return FALSE;
  event_id = g_ascii_strtoll (parts[0], &end, 10);
  if (*end != '\0' || event_id != ask->event_id)
    return FALSE;
  expires_at = g_ascii_strtoll (parts[1], &end, 10);
  if (*end != '\0' || expires_at <= now_s ())
    return FALSE;
  text = admission_text (event_id, expires_at, ask->token_hash);
  return leap_sessions_verify (self->sessions, text, parts[2]);
}

/* Active from on_sale_at for window_s; an event without one has no room. */
static gboolean
room_is_active (LeapWaitingRoom *self,
                GBytes          *event)
{
  g_autoptr(JsonObject) object = NULL;
  gint64 on_sale_at, now = now_s ();

  object = leap_json_parse_object (g_bytes_get_data (event, NULL), g_bytes_get_size (event), NULL);
  if (object == NULL ||
      !leap_time_parse (leap_json_get_string (object, "on_sale_at", NULL), &on_sale_at))
    return FALSE;
  return now >= on_sale_at && now < on_sale_at + (gint64) self->config.window_s;
}

static void
run_script (LeapWaitingRoom   *self,
            gint64             event_id,
            LeapRedisReplyFunc func,
            gpointer           user_data,
            GDestroyNotify     destroy,
            ...) G_GNUC_NULL_TERMINATED;

static void
run_script (LeapWaitingRoom   *self,
            gint64             event_id,
            LeapRedisReplyFunc func,
            gpointer           user_data,
            GDestroyNotify     destroy,
            ...)
{
  g_autoptr(GPtrArray) argv = leap_keys_waiting_room_script (event_id);
  guint nkeys = argv->len;
  const char *arg;
  va_list args;

  va_start (args, destroy);
  while ((arg = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
  leap_redis_eval_argv_full (self->redis, "waiting-room", func, user_data, destroy, nkeys,
                             argv->len, (const char **) argv->pdata, NULL);
}

/* How long the room's keys outlive their last join: the room's window and
 * the last admission's time. */
static char *
keep_ms (LeapWaitingRoom *self)
{
  return g_strdup_printf ("%u", (self->config.window_s + self->config.token_ttl_s) * 1000);
}

static JsonObject *
place_new (gint64      event_id,
           gboolean    active,
           const char *status)
{
  JsonObject *place = json_object_new ();

  json_object_set_int_member (place, "event_id", event_id);
  json_object_set_boolean_member (place, "active", active);
  json_object_set_string_member (place, "status", status);
  json_object_set_int_member (place, "position", 0);
  json_object_set_int_member (place, "in_line", 0);
  json_object_set_int_member (place, "wait_s", 0);
  json_object_set_null_member (place, "admission_token");
  json_object_set_null_member (place, "admission_expires_at");
  return place;
}

static void
listed_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  if (error != NULL)
    g_warning ("Cannot list a waiting room for admission: %s", error->message);
}

static void
placed_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapWaitingRoom *self = g_task_get_source_object (task);
  Ask *ask = g_task_get_task_data (task);
  const char *status = leap_reply_status (reply);
  g_autoptr(JsonObject) place = NULL;

  if (error != NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "The waiting room cannot be reached: %s", error->message);
      return;
    }
  if (g_str_equal (status, "out"))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND,
                               "Not in the line of event %" G_GINT64_FORMAT ": join it again",
                               ask->event_id);
      return;
    }
  place = place_new (ask->event_id, TRUE, status);
  if (g_str_equal (status, "admitted"))
    {
      gint64 expires_at = leap_reply_element_int (reply, 1) / 1000 + self->config.token_ttl_s;
      g_autofree char *token = admission_token (self, ask->event_id, expires_at, ask->token_hash);
      g_autofree char *expires = leap_time_format (expires_at);

      json_object_set_string_member (place, "admission_token", token);
      json_object_set_string_member (place, "admission_expires_at", expires);
    }
  else if (g_str_equal (status, "line"))
    {
      gint64 position = leap_reply_element_int (reply, 1);

      json_object_set_int_member (place, "position", position);
      json_object_set_int_member (place, "in_line", leap_reply_element_int (reply, 2));
      json_object_set_int_member (place, "wait_s",
                                  (position + self->config.rate - 1) / self->config.rate);
      if (ask->join)
        {
          g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, ask->event_id);

          leap_redis_command (self->redis, listed_cb, NULL, "SADD", leap_keys_waiting_rooms (),
                              event, NULL);
        }
    }
  else
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_INTERNAL,
                               "Unexpected reply of the waiting room");
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&place), (GDestroyNotify) json_object_unref);
}

static void
place_event_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapWaitingRoom *self = g_task_get_source_object (task);
  Ask *ask = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) event = leap_catalogue_read_finish (LEAP_CATALOGUE (object), result, &error);
  g_autofree char *keep = NULL;
  gboolean active;

  if (event == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  active = room_is_active (self, event);
  if (!active || !ask->guest)
    {
      g_task_return_pointer (task, place_new (ask->event_id, active, "open"),
                             (GDestroyNotify) json_object_unref);
      return;
    }
  keep = keep_ms (self);
  run_script (self, ask->event_id, placed_cb, g_steal_pointer (&task), g_object_unref,
              ask->join ? "join" : "poll", ask->token_hash, keep, NULL);
}

static GTask *
ask_new (LeapWaitingRoom     *self,
         const LeapSession   *session,
         gint64               event_id,
         gpointer             source_tag,
         GAsyncReadyCallback  callback,
         gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  Ask *ask = g_new0 (Ask, 1);

  g_task_set_source_tag (task, source_tag);
  ask->token_hash = g_strdup (session->token_hash);
  ask->event_id = event_id;
  ask->guest = g_strcmp0 (session->role, "guest") == 0;
  g_task_set_task_data (task, ask, (GDestroyNotify) ask_free);
  return task;
}

/* Joins (@join) or asks for @session's place in @event_id's line: a JSON
 * place (see docs/api.md); asking also counts as being there. */
void
leap_waiting_room_place_async (LeapWaitingRoom     *self,
                               const LeapSession   *session,
                               gint64               event_id,
                               gboolean             join,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (LEAP_IS_WAITING_ROOM (self) && session != NULL);

  task = ask_new (self, session, event_id, leap_waiting_room_place_async, callback, user_data);
  ((Ask *) g_task_get_task_data (task))->join = join;
  leap_catalogue_get_event_async (self->catalogue, event_id, place_event_cb,
                                  g_steal_pointer (&task));
}

JsonObject *
leap_waiting_room_place_finish (LeapWaitingRoom *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
check_event_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapWaitingRoom *self = g_task_get_source_object (task);
  Ask *ask = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) event = leap_catalogue_read_finish (LEAP_CATALOGUE (object), result, &error);

  /* No such event: the hold says so, as it always did. */
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    g_task_return_boolean (task, TRUE);
  else if (event == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (room_is_active (self, event) && !admission_is_valid (self, ask))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_WAITING_ROOM,
                             "The sale of event %" G_GINT64_FORMAT " has a waiting room: join "
                             "it at /api/v1/events/%" G_GINT64_FORMAT "/queue",
                             ask->event_id, ask->event_id);
  else
    g_task_return_boolean (task, TRUE);
}

/* Whether @session may hold tickets of @event_id now: staff and kiosk
 * sessions always, guests while the room is not active or with a valid
 * admission @token (NULL: none); else LEAP_ERROR_WAITING_ROOM. */
void
leap_waiting_room_check_async (LeapWaitingRoom     *self,
                               const LeapSession   *session,
                               gint64               event_id,
                               const char          *token,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Ask *ask;

  g_return_if_fail (LEAP_IS_WAITING_ROOM (self) && session != NULL);

  task = ask_new (self, session, event_id, leap_waiting_room_check_async, callback, user_data);
  ask = g_task_get_task_data (task);
  if (!ask->guest || event_id <= 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  ask->token = g_strdup (token);
  leap_catalogue_get_event_async (self->catalogue, event_id, check_event_cb,
                                  g_steal_pointer (&task));
}

gboolean
leap_waiting_room_check_finish (LeapWaitingRoom *self,
                                GAsyncResult    *result,
                                GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

typedef struct
{
  LeapWaitingRoom *self;
  gint64           event_id;
} Admit;

static void
admit_free (Admit *admit)
{
  g_object_unref (admit->self);
  g_free (admit);
}

static void
admitted_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  Admit *admit = user_data;
  gsize n = leap_reply_n_elements (reply);

  if (error != NULL)
    g_warning ("Cannot admit from the waiting room of event %" G_GINT64_FORMAT ": %s",
               admit->event_id, error->message);
  else if (n == 1 && leap_reply_element_int (reply, 0) == 0)
    {
      g_autofree char *event = g_strdup_printf ("%" G_GINT64_FORMAT, admit->event_id);

      /* Empty: the timer stops looking at it until someone joins. */
      leap_redis_command (redis, listed_cb, NULL, "SREM", leap_keys_waiting_rooms (), event, NULL);
    }
  else if (n > 1)
    g_debug ("Event %" G_GINT64_FORMAT ": %zu admitted, %" G_GINT64_FORMAT " in line",
             admit->event_id, n - 1, leap_reply_element_int (reply, n - 1));
  admit_free (admit);
}

static void
rooms_cb (LeapRedis        *redis,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  g_autoptr(LeapWaitingRoom) self = user_data;
  g_autofree char *rate = g_strdup_printf ("%u", self->config.rate);
  g_autofree char *timeout = g_strdup_printf ("%u", self->config.timeout_s * 1000);
  g_autofree char *lasts = g_strdup_printf ("%u", self->config.token_ttl_s * 1000);

  self->admitting = FALSE;
  if (error != NULL)
    {
      g_warning ("Cannot list the waiting rooms: %s", error->message);
      return;
    }
  for (gsize i = 0; i < leap_reply_n_elements (reply); i++)
    {
      Admit *admit = g_new0 (Admit, 1);

      admit->self = g_object_ref (self);
      admit->event_id = leap_reply_element_int (reply, i);
      run_script (self, admit->event_id, admitted_cb, admit, (GDestroyNotify) admit_free,
                  "admit", rate, timeout, lasts, NULL);
    }
}

static gboolean
tick_cb (gpointer user_data)
{
  LeapWaitingRoom *self = user_data;

  /* One backend admits, or the rate would be theirs times their number. */
  if (!self->admitting && leap_lease_is_held (self->lease))
    {
      self->admitting = TRUE;
      leap_redis_command_full (self->redis, rooms_cb, g_object_ref (self), g_object_unref,
                               "SMEMBERS", leap_keys_waiting_rooms (), NULL);
    }
  return G_SOURCE_CONTINUE;
}

static void
leap_waiting_room_dispose (GObject *object)
{
  LeapWaitingRoom *self = LEAP_WAITING_ROOM (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->redis);
  g_clear_object (&self->catalogue);
  g_clear_object (&self->sessions);
  g_clear_object (&self->lease);

  G_OBJECT_CLASS (leap_waiting_room_parent_class)->dispose (object);
}

static void
leap_waiting_room_class_init (LeapWaitingRoomClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_waiting_room_dispose;
}

static void
leap_waiting_room_init (LeapWaitingRoom *self)
{
}

LeapWaitingRoom *
leap_waiting_room_new (LeapRedis                   *redis,
                       LeapCatalogue               *catalogue,
                       LeapSessions                *sessions,
                       LeapLease                   *lease,
                       const LeapWaitingRoomConfig *config)
{
  LeapWaitingRoom *self;

  g_return_val_if_fail (LEAP_IS_REDIS (redis) && LEAP_IS_LEASE (lease), NULL);
  g_return_val_if_fail (config->rate > 0 && config->timeout_s > 0 && config->token_ttl_s > 0,
                        NULL);

  self = g_object_new (LEAP_TYPE_WAITING_ROOM, NULL);
  self->redis = g_object_ref (redis);
  self->catalogue = g_object_ref (catalogue);
  self->sessions = g_object_ref (sessions);
  self->lease = g_object_ref (lease);
  self->config = *config;
  self->tick_id = g_timeout_add (1000, tick_cb, self);
  return self;
}
