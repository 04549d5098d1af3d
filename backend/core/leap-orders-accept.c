/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-orders"

/* Keeping accepted orders in the database before their 202 goes out. */

#include "leap-orders-private.h"

/* Every order Redis took in one turn of the main loop is kept in the
 * database, in one transaction, before its 202 goes out: a Redis that comes
 * back without its data loses the stream, not the order. One thread of the
 * backend's own writes them, on a connection of its own, so that a database
 * locked by another writer never stops the main loop nor fills GLib's
 * thread pool; the answers wait for it at most ACCEPT_WAIT_MS (the write
 * goes on; a worker writes the order anyway). */
#define ACCEPT_WAIT_MS 250

struct _LeapAccepting
{
  GPtrArray *tasks;       /* GTasks of POST /orders, answered once */
  GPtrArray *answers;     /* JsonObject: each task's answer */
  JsonArray *orders;      /* the rows to keep */
  guint      timeout_id;
  GError    *error;       /* set by the writer if the database refused */
};

static LeapAccepting *
accepting_new (void)
{
  LeapAccepting *a = g_new0 (LeapAccepting, 1);

  a->tasks = g_ptr_array_new ();
  a->answers = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  a->orders = json_array_new ();
  return a;
}

static void
accepting_free (LeapAccepting *a)
{
  g_clear_handle_id (&a->timeout_id, g_source_remove);
  g_clear_pointer (&a->tasks, g_ptr_array_unref);
  g_clear_pointer (&a->answers, g_ptr_array_unref);
  g_clear_pointer (&a->orders, json_array_unref);
  g_clear_error (&a->error);
  g_free (a);
}

static void
accepting_answer (LeapAccepting *a)
{
  g_autoptr(GPtrArray) tasks = g_steal_pointer (&a->tasks);

  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    {
      g_autoptr(GTask) task = tasks->pdata[i];

      g_task_return_pointer (task, json_object_ref (a->answers->pdata[i]),
                             (GDestroyNotify) json_object_unref);
    }
}

static gboolean
accept_waited_cb (gpointer data)
{
  LeapAccepting *a = data;

  a->timeout_id = 0;
  g_debug ("%u accepted orders answered before the database kept them",
           json_array_get_length (a->orders));
  accepting_answer (a);
  return G_SOURCE_REMOVE;
}

/* Back in the main thread: the writer is done with it. */
static gboolean
accept_written_cb (gpointer data)
{
  LeapAccepting *a = data;

  if (a->error != NULL)
    g_warning ("%u accepted orders are only in Redis's stream: %s",
               json_array_get_length (a->orders), a->error->message);
  accepting_answer (a);
  accepting_free (a);
  return G_SOURCE_REMOVE;
}

/* The writer: everything queued meanwhile goes in one transaction.
 * GINT_TO_POINTER (1) in the queue ends it (a GAsyncQueue takes no NULL). */
static gpointer
accept_writer (gpointer data)
{
  GAsyncQueue *queue = data;
  g_autoptr(LeapStore) store = g_async_queue_pop (queue);
  gboolean running = TRUE;

  while (running)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new ();
      g_autoptr(JsonArray) orders = json_array_new ();
      g_autoptr(GError) error = NULL;
      LeapAccepting *a = g_async_queue_pop (queue);

      do
        {
          if (a == GINT_TO_POINTER (1))
            {
              running = FALSE;
              break;
            }
          g_ptr_array_add (batch, a);
          for (guint i = 0; i < json_array_get_length (a->orders); i++)
            {
              JsonObject *order = json_array_get_object_element (a->orders, i);

              json_array_add_object_element (orders, json_object_ref (order));
            }
        }
      while ((a = g_async_queue_try_pop (queue)) != NULL);
      if (batch->len == 0)
        break;
      leap_store_accept_orders (store, orders, &error);
      /* Its references go before the main thread may free the orders. */
      g_clear_pointer (&orders, json_array_unref);
      for (guint i = 0; i < batch->len; i++)
        {
          a = batch->pdata[i];
          a->error = error != NULL ? g_error_copy (error) : NULL;
          g_idle_add_full (G_PRIORITY_DEFAULT, accept_written_cb, a, NULL);
        }
    }
  g_async_queue_unref (queue);
  return NULL;
}

static gboolean
accept_flush_cb (gpointer data)
{
  LeapOrders *self = data;
  LeapAccepting *a = g_steal_pointer (&self->accepting);

  self->accept_id = 0;
  if (self->accept_queue == NULL)
    {
      g_autoptr(GError) error = NULL;
      LeapStore *store = leap_store_open_again (self->store, &error);

      if (store == NULL)
        {
          a->error = g_steal_pointer (&error);
          accept_written_cb (a);
          return G_SOURCE_REMOVE;
        }
      self->accept_queue = g_async_queue_new ();
      g_async_queue_push (self->accept_queue, store);
      self->accept_thread = g_thread_new ("leap-accept", accept_writer,
                                          g_async_queue_ref (self->accept_queue));
    }
  a->timeout_id = g_timeout_add (ACCEPT_WAIT_MS, accept_waited_cb, a);
  g_async_queue_push (self->accept_queue, a);
  return G_SOURCE_REMOVE;
}

/* Takes @task, @order (the row to keep) and @answer (the task's answer). */
void
_leap_orders_accept (LeapOrders *self,
                     GTask      *task,
                     JsonObject *order,
                     JsonObject *answer)
{
  if (self->accepting == NULL)
    self->accepting = accepting_new ();
  g_ptr_array_add (self->accepting->tasks, task);
  g_ptr_array_add (self->accepting->answers, answer);
  json_array_add_object_element (self->accepting->orders, order);
  /* Not an idle: under a rush there is always something else to do. */
  if (self->accept_id == 0)
    self->accept_id = g_idle_add_full (G_PRIORITY_DEFAULT, accept_flush_cb, self, NULL);
}

void
_leap_orders_accept_stop (LeapOrders *self)
{
  /* Each GTask of an order not answered yet holds a reference: by now
   * nothing is waiting, and the writer has nothing left to do. */
  g_assert (self->accepting == NULL);
  if (self->accept_thread != NULL)
    {
      g_async_queue_push (self->accept_queue, GINT_TO_POINTER (1));
      g_thread_join (self->accept_thread);
      g_async_queue_unref (self->accept_queue);
    }
}
