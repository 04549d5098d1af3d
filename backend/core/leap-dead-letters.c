/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-dead-letters"

#include "leap-dead-letters.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-keys.h"
#include "leap-orders.h"
#include "leap-reply.h"

#include <string.h>

struct _LeapDeadLetters
{
  GObject    parent_instance;

  /* Owned */
  LeapStore *store;
  LeapRedis *redis;
};

G_DEFINE_FINAL_TYPE (LeapDeadLetters, leap_dead_letters, G_TYPE_OBJECT)

/* A stream entry id: "MS-SEQ", both decimal and within 64 bits, as Redis
 * takes them: anything else Redis refuses, and that must not read as Redis
 * being unavailable. */
gboolean
leap_dead_letter_id_is_valid (const char *id)
{
  g_auto(GStrv) parts = id != NULL ? g_strsplit (id, "-", -1) : NULL;

  if (parts == NULL || g_strv_length (parts) != 2)
    return FALSE;
  for (guint i = 0; i < 2; i++)
    if (!g_ascii_string_to_unsigned (parts[i], 10, 0, G_MAXUINT64, NULL, NULL))
      return FALSE;
  return TRUE;
}

static const char *
field_or_empty (const redisReply *fields,
                const char       *name)
{
  const char *value = leap_reply_field (fields, name);

  return value != NULL ? value : "";
}

static JsonObject *
parse_order (const char *text)
{
  g_autoptr(JsonNode) node = text != NULL ? json_from_string (text, NULL) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

/* One dead letter as the API shows it: id and fields of its stream entry. */
static JsonObject *
entry_to_object (const char       *id,
                 const redisReply *fields)
{
  g_autoptr(JsonObject) order = parse_order (leap_reply_field (fields, "order"));
  g_autofree char *failed_at = NULL;
  JsonObject *object = json_object_new ();
  const char *order_id = order != NULL ? leap_json_get_string (order, "order_id", NULL) : NULL;

  failed_at = leap_time_format (g_ascii_strtoll (id, NULL, 10) / 1000);
  json_object_set_string_member (object, "id", id);
  if (order_id != NULL)
    json_object_set_string_member (object, "order_id", order_id);
  else
    json_object_set_null_member (object, "order_id");
  if (order != NULL && json_object_has_member (order, "event_id"))
    json_object_set_int_member (object, "event_id", leap_json_get_int (order, "event_id", 0));
  else
    json_object_set_null_member (object, "event_id");
  json_object_set_string_member (object, "stream", field_or_empty (fields, "stream"));
  json_object_set_string_member (object, "entry", field_or_empty (fields, "entry"));
  json_object_set_int_member (object, "deliveries",
                              g_ascii_strtoll (field_or_empty (fields, "deliveries"), NULL, 10));
  json_object_set_string_member (object, "error", field_or_empty (fields, "error"));
  json_object_set_string_member (object, "failed_at", failed_at);
  /* The message as it was, for a person to read: it may not be JSON. */
  json_object_set_string_member (object, "message", field_or_empty (fields, "order"));
  return object;
}

/* Listing */

static void
listed_cb (LeapRedis        *redis,
           const redisReply *reply,
           const GError     *error,
           gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  guint limit = GPOINTER_TO_UINT (g_task_get_task_data (task));
  g_autoptr(JsonObject) answer = json_object_new ();
  JsonArray *letters = json_array_new ();
  const char *last = NULL;

  json_object_set_array_member (answer, "dead_letters", letters);
  if (error != NULL || !leap_reply_is_array (reply, 0))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "The dead letters cannot be read right now");
      return;
    }
  for (gsize i = 0; i < leap_reply_n_elements (reply); i++)
    {
      const redisReply *fields;
      const char *id;

      if (!leap_reply_stream_entry (leap_reply_element (reply, i), &id, &fields))
        continue;
      json_array_add_object_element (letters, entry_to_object (id, fields));
      last = id;
    }
  /* A full page may have a next one. */
  if (last != NULL && leap_reply_n_elements (reply) >= limit)
    json_object_set_string_member (answer, "next_after", last);
  else
    json_object_set_null_member (answer, "next_after");
  g_task_return_pointer (task, g_steal_pointer (&answer), (GDestroyNotify) json_object_unref);
}

/* Oldest first, limit entries after the id after (exclusive), or from the
 * start. */
void
leap_dead_letters_list_async (LeapDeadLetters    *self,
                              const char         *after,
                              guint               limit,
                              GAsyncReadyCallback callback,
                              gpointer            user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autofree char *start = after != NULL ? g_strconcat ("(", after, NULL) : g_strdup ("-");
  g_autofree char *count = g_strdup_printf ("%u", MAX (limit, 1u));

  g_task_set_source_tag (task, leap_dead_letters_list_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (MAX (limit, 1u)), NULL);
  /* Nothing comes after the largest id, and Redis refuses to be asked. */
  if (g_strcmp0 (after, "18446744073709551615-18446744073709551615") == 0)
    {
      JsonObject *answer = json_object_new ();

      json_object_set_array_member (answer, "dead_letters", json_array_new ());
      json_object_set_null_member (answer, "next_after");
      g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
      g_object_unref (task);
      return;
    }
  leap_redis_command_full (self->redis, listed_cb, task, g_object_unref, "XRANGE",
                           leap_keys_checkout_dead (), start, "+", "COUNT", count, NULL);
}

/* Replaying */

typedef struct
{
  char       *id;
  char       *stream;
  char       *order_id;  /* "" when the message has none */
  char       *hold_key;
  JsonObject *order;     /* the message, NULL if it is not an order */
  char       *status;    /* what to answer */
} Replay;

static void
replay_free (Replay *r)
{
  g_free (r->id);
  g_free (r->stream);
  g_free (r->order_id);
  g_free (r->hold_key);
  g_free (r->status);
  g_clear_pointer (&r->order, json_object_unref);
  g_free (r);
}

static void run_replay (GTask *task, const char *mode);

static JsonObject *
replay_answer (Replay *r)
{
  JsonObject *answer = json_object_new ();

  if (r->order_id[0] != '\0')
    json_object_set_string_member (answer, "order_id", r->order_id);
  else
    json_object_set_null_member (answer, "order_id");
  json_object_set_string_member (answer, "status", r->status);
  json_object_set_string_member (answer, "id", r->id);
  return answer;
}

/* The order was never written and its hold no longer waits for it: a
 * worker would charge for tickets that are not set aside any more. The
 * order is written as needs_review (no tickets, no charge recorded) for a
 * person to settle, and the letter is removed. */
static gpointer
write_order_run (LeapStore *store,
                 gpointer   data,
                 GError   **error)
{
  return leap_store_write_order (store, data, error);
}

static void
review_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapDeadLetters *self = g_task_get_source_object (task);
  Replay *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = leap_store_call_finish (LEAP_STORE (object), result, &error);
  g_autofree char *channel = leap_keys_order_channel (r->order_id);
  g_autofree char *text = NULL;

  if (stored == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_free (r->status);
  r->status = g_strdup (leap_json_get_string (stored, "status", "needs_review"));
  text = g_strdup_printf ("{\"order_id\":\"%s\",\"status\":\"%s\"}", r->order_id, r->status);
  leap_redis_command (self->redis, NULL, NULL, "PUBLISH", channel, text, NULL);
  run_replay (g_steal_pointer (&task), "drop");
}

/* Takes the task; the order is written off the main loop, then the
 * letter dropped. */
static void
write_needs_review (GTask      *task,
                    const char *hold_status)
{
  LeapDeadLetters *self = g_task_get_source_object (task);
  Replay *r = g_task_get_task_data (task);
  g_autoptr(JsonObject) order = json_object_new ();
  g_autofree char *reason =
      g_strdup_printf ("replayed from the dead letters, but its hold is %s: the payment "
                       "may or may not have gone through",
                       hold_status[0] != '\0' ? hold_status : "gone");
  static const char * const copied[] = { "order_id",       "hold_id", "event_id", "owner",
                                         "user_id",        "total",   "currency", "customer_name",
                                         "customer_email", "lines",   NULL };

  for (guint i = 0; copied[i] != NULL; i++)
    if (json_object_has_member (r->order, copied[i]))
      json_object_set_member (order, copied[i], json_object_dup_member (r->order, copied[i]));
  json_object_set_string_member (order, "status", "needs_review");
  json_object_set_string_member (order, "reason", reason);
  leap_store_call_async (self->store, write_order_run, g_steal_pointer (&order),
                         (GDestroyNotify) json_object_unref, (GDestroyNotify) json_object_unref,
                         NULL, review_written_cb, task);
}

static void
replayed_cb (LeapRedis        *redis,
             const redisReply *reply,
             const GError     *error,
             gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  Replay *r = g_task_get_task_data (task);
  const char *status = leap_reply_element_string (reply, 0);
  const char *detail = leap_reply_element_string (reply, 1);

  if (error != NULL || status == NULL)
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "The letter cannot be replayed right now");
      return;
    }
  if (g_str_equal (status, "requeued"))
    {
      g_message ("Dead letter %s (order %s) is back on %s as %s", r->id, r->order_id, r->stream,
                 detail != NULL ? detail : "?");
      g_task_return_pointer (task, replay_answer (r), (GDestroyNotify) json_object_unref);
    }
  else if (g_str_equal (status, "dropped"))
    g_task_return_pointer (task, replay_answer (r), (GDestroyNotify) json_object_unref);
  else if (g_str_equal (status, "not_found"))
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such dead letter");
  else if (g_str_equal (status, "hold"))
    write_needs_review (g_steal_pointer (&task), detail != NULL ? detail : "");
  else
    g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                             "The letter cannot be replayed: %s", detail != NULL ? detail : status);
}

static void
run_replay (GTask      *task,
            const char *mode)
{
  LeapDeadLetters *self = g_task_get_source_object (task);
  Replay *r = g_task_get_task_data (task);
  g_autoptr(GPtrArray) argv = leap_keys_replay_dead_script (r->stream, r->hold_key);
  guint nkeys = argv->len;

  g_ptr_array_add (argv, g_strdup (r->id));
  g_ptr_array_add (argv, g_strdup (mode));
  g_ptr_array_add (argv, g_strdup (r->order_id));
  leap_redis_eval_argv_full (self->redis, "replay-dead", replayed_cb, task, g_object_unref, nkeys,
                             argv->len, (const char **) argv->pdata, NULL);
}

/* In a thread of the store's pool. */
static gpointer
get_order_run (LeapStore *store,
               gpointer   data,
               GError   **error)
{
  return leap_store_get_order (store, data, error);
}

static void
order_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Replay *r = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) stored = leap_store_call_finish (LEAP_STORE (object), result, &error);

  if (stored != NULL)
    {
      /* Written: the worker only has Redis to settle, while the hold is
       * there; otherwise there is nothing left to do. */
      g_free (r->status);
      r->status = g_strdup (leap_json_get_string (stored, "status", "pending"));
      run_replay (g_steal_pointer (&task), "written");
    }
  else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND))
    run_replay (g_steal_pointer (&task), "unwritten");
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
found_cb (LeapRedis        *redis,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  g_autoptr(GTask) task = user_data;
  LeapDeadLetters *self = g_task_get_source_object (task);
  Replay *r = g_task_get_task_data (task);
  g_autofree char *hold_id = NULL;
  const redisReply *fields;
  const char *stream;
  gint64 event_id = 0;

  if (error != NULL || !leap_reply_is_array (reply, 0))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE,
                               "The letter cannot be replayed right now");
      return;
    }
  if (!leap_reply_stream_entry (leap_reply_element (reply, 0), NULL, &fields))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such dead letter");
      return;
    }
  stream = leap_reply_field (fields, "stream");
  /* Only ever back onto a checkout stream. */
  if (!leap_keys_is_checkout_stream (stream))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_CONFLICT,
                               "The letter names no checkout stream and cannot be replayed");
      return;
    }
  r->stream = g_strdup (stream);
  r->order = parse_order (leap_reply_field (fields, "order"));
  r->order_id = g_strdup (r->order != NULL ? leap_json_get_string (r->order, "order_id", "") : "");
  r->status = g_strdup ("pending");

  /* A message that is no order goes back as it is: the worker decides
   * (and it comes back here after its deliveries). An order is looked at
   * first, so that replaying it is right whatever became of it. */
  if (leap_order_id_parse (r->order_id, &hold_id, &event_id))
    {
      r->hold_key = leap_keys_hold (event_id, hold_id);
      leap_store_call_async (self->store, get_order_run, g_strdup (r->order_id), g_free,
                             (GDestroyNotify) json_object_unref, NULL, order_read_cb,
                             g_steal_pointer (&task));
      return;
    }
  r->hold_key = g_strdup (stream);
  run_replay (g_steal_pointer (&task), "requeue");
}

void
leap_dead_letters_replay_async (LeapDeadLetters    *self,
                                const char         *id,
                                GAsyncReadyCallback callback,
                                gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, callback, user_data);
  Replay *r;

  g_task_set_source_tag (task, leap_dead_letters_replay_async);
  if (!leap_dead_letter_id_is_valid (id))
    {
      g_task_return_new_error (task, LEAP_ERROR, LEAP_ERROR_NOT_FOUND, "No such dead letter");
      return;
    }
  r = g_new0 (Replay, 1);
  r->id = g_strdup (id);
  g_task_set_task_data (task, r, (GDestroyNotify) replay_free);
  leap_redis_command_full (self->redis, found_cb, g_steal_pointer (&task), g_object_unref, "XRANGE",
                           leap_keys_checkout_dead (), id, id, NULL);
}

JsonObject *
leap_dead_letters_object_finish (LeapDeadLetters *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
leap_dead_letters_dispose (GObject *object)
{
  LeapDeadLetters *self = LEAP_DEAD_LETTERS (object);

  g_clear_object (&self->redis);
  g_clear_object (&self->store);

  G_OBJECT_CLASS (leap_dead_letters_parent_class)->dispose (object);
}

static void
leap_dead_letters_class_init (LeapDeadLettersClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = leap_dead_letters_dispose;
}

static void
leap_dead_letters_init (LeapDeadLetters *self)
{
}

LeapDeadLetters *
leap_dead_letters_new (LeapStore *store,
                       LeapRedis *redis)
{
  LeapDeadLetters *self = g_object_new (LEAP_TYPE_DEAD_LETTERS, NULL);

  self->store = g_object_ref (store);
  self->redis = g_object_ref (redis);
  return self;
}
