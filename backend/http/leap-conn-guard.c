/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-conn-guard.c: closes the keep-alive connections that libsoup 3.2 forgets.
 *
 * The bug (libsoup 3.2.3, soup-server-message-io-http1.c): when a response
 * has been sent on a keep-alive connection, libsoup creates the next message
 * and polls the socket for it, but it only attaches the server's completion
 * callback once the first byte of that next request arrives. If the client
 * closes the connection first, libsoup reads EOF, finishes that message with
 * no callback, and nobody ever calls soup_server_connection_disconnect (): the
 * server keeps the connection in its client list, with its socket open,
 * forever. (Later libsoup disconnects there.) In that state not even
 * soup_server_message_steal_connection () is safe: it dereferences the
 * connection's message I/O, which is NULL by then.
 *
 * So the guard must see the EOF before libsoup does. While a connection is
 * idle it watches the socket with a source of higher priority than libsoup's
 * I/O: GLib never dispatches a lower-priority source in an iteration in which
 * a higher one is ready, so on the same readable socket ours always runs
 * first. If it peeks a byte, a request is arriving and libsoup reads it. If it
 * peeks EOF or an error, it steals the connection while libsoup's idle
 * message still exists (that is safe and makes the server drop it) and hands
 * the stream back with soup_server_accept_iostream (): a new connection's
 * first message does have the completion callback, so libsoup serves any
 * pipelined request it had already buffered and then disconnects cleanly.
 *
 * A periodic sweep closes connections idle for longer than the idle timeout.
 * The same timeout bounds the reading of a request: its headers and body
 * must have arrived within it of the request's first byte (of the accept,
 * for a connection's first request), however steadily a slow client
 * trickles them, since touching the connection on every byte would let a
 * slowloris keep it for ever. Once the body is read, the message is a
 * handler's, which may hold it, paused, for as long as it likes.
 */

#include "leap-conn-guard.h"
#include "leap-framing.h"

#include <errno.h>
#include <glib-unix.h>
#include <sys/socket.h>

/* Must beat libsoup's socket sources, which run at G_PRIORITY_DEFAULT. */
#define WATCH_PRIORITY (G_PRIORITY_DEFAULT - 1)

/* G_IO_IN, like libsoup's own source: both get the revents of the same
 * poll (), so ours is ready whenever libsoup's is. Polling for POLLRDHUP
 * alone would spare a wakeup per request, but Linux can report POLLIN for a
 * FIN before POLLRDHUP, and then libsoup reads the EOF first.
 */
#define WATCH_EVENTS (G_IO_IN | G_IO_HUP | G_IO_ERR)

typedef struct _Guard Guard;

typedef struct
{
  GList              link;            /* In Guard.conns, least recently active first */
  Guard             *guard;           /* Borrowed */
  GObject           *key;             /* Owned: holds this struct as qdata */
  GSocket           *socket;          /* Borrowed from key or its qdata; may be NULL */
  SoupServerMessage *msg;             /* Owned: the newest message, our handle on the connection */
  gulong             disconnected_id;
  gulong             got_body_id;
  GSource           *watch;           /* Owned: set while idle and no request is arriving */
  gint64             last_active;     /* Monotonic, µs */
  gboolean           idle;            /* The last message has finished */
  gboolean           got_body;        /* The current request has been read whole */
} Conn;

struct _Guard
{
  SoupServer   *server;               /* Borrowed: the guard lives in its qdata */
  GMainContext *context;              /* Owned */
  GSource      *sweep;                /* Owned */
  GQueue        conns;
  guint         idle_timeout;         /* Seconds; 0 keeps idle connections open */
};

G_DEFINE_QUARK (leap-conn-guard, guard)
G_DEFINE_QUARK (leap-conn-guard-conn, conn)
G_DEFINE_QUARK (leap-conn-guard-handed-back, handed_back)

static void
source_destroy_and_unref (GSource *source)
{
  g_source_destroy (source);
  g_source_unref (source);
}

/* A connection is keyed by its GSocket. A connection accepted through
 * leap_framing_listen () and a stream that the guard handed back have none
 * in libsoup's eyes, but the remote address object is the connection's,
 * shared with no other live connection: the framing's socket, or the mark
 * of a hand-back, hangs off it. *socket is NULL for a handed-back stream
 * whose socket the guard does not know.
 */
static GObject *
conn_key_for_message (SoupServerMessage  *msg,
                      GSocket           **socket)
{
  GSocketAddress *remote;

  *socket = soup_server_message_get_socket (msg);
  if (*socket != NULL)
    return G_OBJECT (*socket);

  remote = soup_server_message_get_remote_address (msg);
  *socket = leap_framing_get_socket (msg);
  if (remote != NULL && (*socket != NULL ||
                         g_object_get_qdata (G_OBJECT (remote), handed_back_quark ()) != NULL))
    return G_OBJECT (remote);

  return NULL;
}

static void
conn_free (Conn *conn)
{
  g_queue_unlink (&conn->guard->conns, &conn->link);
  g_clear_pointer (&conn->watch, source_destroy_and_unref);
  g_signal_handler_disconnect (conn->msg, conn->disconnected_id);
  g_signal_handler_disconnect (conn->msg, conn->got_body_id);
  g_object_set_qdata (conn->key, conn_quark (), NULL);
  g_object_unref (conn->key);
  g_object_unref (conn->msg);
  g_free (conn);
}

/* libsoup re-emits the connection's "disconnected" on each live message of
 * it, for a disconnect and for a steal alike: the one reliable end of a
 * connection. It runs inside a closure that holds a reference on @msg.
 */
static void
msg_disconnected_cb (SoupServerMessage *msg,
                     Conn              *conn)
{
  conn_free (conn);
}

/* Server handlers run on "got-body" too: from here on the message is
 * theirs. libsoup skips the body (and this signal) of a message answered
 * from its headers, such as a 413; then it is never a handler's. */
static void
msg_got_body_cb (SoupServerMessage *msg,
                 Conn              *conn)
{
  conn->got_body = TRUE;
}

static void
conn_set_msg (Conn              *conn,
              SoupServerMessage *msg)
{
  if (conn->msg == msg)
    return;

  if (conn->msg != NULL)
    {
      g_signal_handler_disconnect (conn->msg, conn->disconnected_id);
      g_signal_handler_disconnect (conn->msg, conn->got_body_id);
      g_object_unref (conn->msg);
    }
  conn->msg = g_object_ref (msg);
  conn->got_body = FALSE;
  conn->disconnected_id = g_signal_connect (msg, "disconnected", G_CALLBACK (msg_disconnected_cb),
                                            conn);
  conn->got_body_id = g_signal_connect (msg, "got-body", G_CALLBACK (msg_got_body_cb), conn);
}

static Conn *
conn_new (Guard             *guard,
          GObject           *key,
          GSocket           *socket,
          SoupServerMessage *msg)
{
  Conn *conn = g_new0 (Conn, 1);

  conn->guard = guard;
  conn->key = g_object_ref (key);
  conn->socket = socket;
  conn->link.data = conn;
  g_queue_push_tail_link (&guard->conns, &conn->link);
  g_object_set_qdata (key, conn_quark (), conn);
  conn_set_msg (conn, msg);

  /* Stealing caches both addresses and warns if the peer is gone by then;
   * cache them now, while getpeername () can still answer.
   */
  if (conn->socket != NULL)
    {
      g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (conn->socket, NULL);

      if (remote != NULL)
        {
          soup_server_message_get_remote_address (msg);
          soup_server_message_get_local_address (msg);
        }
    }

  return conn;
}

static void
conn_touch (Conn *conn)
{
  GQueue *conns = &conn->guard->conns;

  conn->last_active = g_get_monotonic_time ();
  g_queue_unlink (conns, &conn->link);
  g_queue_push_tail_link (conns, &conn->link);
}

/* Returns > 0 if the peer sent data, 0 on EOF, < 0 on error, and
 * -EAGAIN if nothing is waiting.
 */
static gssize
conn_peek (Conn *conn)
{
  char byte;
  gssize n = recv (g_socket_get_fd (conn->socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

  if (n < 0)
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? -EAGAIN : -errno;
  return n;
}

/* Frees @conn, through libsoup's "disconnected". */
static void
conn_close (Conn     *conn,
            gboolean  hand_back)
{
  SoupServer *server = conn->guard->server;
  g_autoptr(SoupServerMessage) msg = g_object_ref (conn->msg);
  g_autoptr(GIOStream) stream = NULL;
  GSocketAddress *local;
  GSocketAddress *remote;

  stream = soup_server_message_steal_connection (msg);
  if (stream == NULL)
    return;

  local = soup_server_message_get_local_address (msg);
  remote = soup_server_message_get_remote_address (msg);
  if (hand_back && local != NULL && remote != NULL)
    {
      /* The stolen stream keeps whatever libsoup had already read past the
       * last request. A fresh connection serves it, then disconnects on EOF.
       */
      g_object_set_qdata (G_OBJECT (remote), handed_back_quark (), GINT_TO_POINTER (TRUE));
      soup_server_accept_iostream (server, stream, local, remote, NULL);
      return;
    }

  g_io_stream_close (stream, NULL, NULL);
}

static gboolean
watch_cb (gpointer user_data)
{
  Conn *conn = user_data;

  if (conn->socket != NULL)
    {
      gssize n = conn_peek (conn);

      if (n == -EAGAIN)
        return G_SOURCE_CONTINUE;

      if (n > 0)
        {
          /* The next request, maybe followed by a FIN: libsoup's source
           * reads it in the next iteration and the server emits
           * "request-started"; the watch returns after that request.
           */
          g_clear_pointer (&conn->watch, g_source_unref);
          return G_SOURCE_REMOVE;
        }
    }

  /* EOF, an error, or a handed-back stream, whose client already closed. */
  conn_close (conn, TRUE);
  return G_SOURCE_REMOVE;
}

static gboolean
fd_watch_cb (gint         fd,
             GIOCondition condition,
             gpointer     user_data)
{
  return watch_cb (user_data);
}

static void
conn_watch (Conn *conn)
{
  g_clear_pointer (&conn->watch, source_destroy_and_unref);

  if (conn->socket != NULL)
    {
      conn->watch = g_unix_fd_source_new (g_socket_get_fd (conn->socket), WATCH_EVENTS);
      g_source_set_callback (conn->watch, G_SOURCE_FUNC (fd_watch_cb), conn, NULL);
    }
  else
    {
      /* A handed-back stream ends in EOF: hand it back again, once per
       * pipelined request, before libsoup's idle message can read that EOF.
       */
      conn->watch = g_timeout_source_new (0);
      g_source_set_callback (conn->watch, watch_cb, conn, NULL);
    }

  g_source_set_priority (conn->watch, WATCH_PRIORITY);
  /* The same context as libsoup's sources for this connection. */
  g_source_attach (conn->watch, g_main_context_get_thread_default ());
}

static gboolean
conn_is_closable (Conn *conn)
{
  /* Before its headers and body are read, no handler has the message: a
   * request still arriving after the timeout is a slow client's. */
  if (!conn->idle)
    return soup_server_message_get_method (conn->msg) == NULL || !conn->got_body;

  /* No watch means a request is arriving. */
  if (conn->watch == NULL)
    return FALSE;

  return conn->socket == NULL || conn_peek (conn) <= 0;
}

static gboolean
sweep_cb (gpointer user_data)
{
  Guard *guard = user_data;
  gint64 deadline = g_get_monotonic_time () - (gint64) guard->idle_timeout * G_USEC_PER_SEC;
  GList *l = guard->conns.head;

  while (l != NULL)
    {
      Conn *conn = l->data;

      /* Closing frees only this connection. */
      l = l->next;
      if (conn->last_active > deadline)
        break;
      if (conn_is_closable (conn))
        conn_close (conn, FALSE);
    }

  return G_SOURCE_CONTINUE;
}

static void
guard_schedule_sweep (Guard *guard)
{
  g_clear_pointer (&guard->sweep, source_destroy_and_unref);
  if (guard->idle_timeout == 0)
    return;

  /* A connection is closed between idle_timeout and 1.25 × idle_timeout. */
  guard->sweep = g_timeout_source_new_seconds (CLAMP (guard->idle_timeout / 4, 1, 15));
  g_source_set_callback (guard->sweep, sweep_cb, guard, NULL);
  g_source_attach (guard->sweep, guard->context);
}

static void
guard_free (gpointer data)
{
  Guard *guard = data;

  /* The server's dispose disconnects every client first; this is a fallback. */
  while (guard->conns.head != NULL)
    conn_free (guard->conns.head->data);

  g_clear_pointer (&guard->sweep, source_destroy_and_unref);
  g_clear_pointer (&guard->context, g_main_context_unref);
  g_free (guard);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    Guard             *guard)
{
  GSocket *socket;
  GObject *key = conn_key_for_message (msg, &socket);
  Conn *conn;

  if (key == NULL)
    return;

  conn = g_object_get_qdata (key, conn_quark ());
  if (conn == NULL)
    conn = conn_new (guard, key, socket, msg);
  else
    conn_set_msg (conn, msg);

  conn->idle = FALSE;
  conn->got_body = FALSE;
  g_clear_pointer (&conn->watch, source_destroy_and_unref);
  conn_touch (conn);
}

/* For "request-finished" and "request-aborted". Either way libsoup then
 * keeps the connection for another request, or disconnects it right away,
 * which frees @conn and the watch with it.
 */
static void
request_done_cb (SoupServer        *server,
                 SoupServerMessage *msg,
                 Guard             *guard)
{
  GSocket *socket;
  GObject *key = conn_key_for_message (msg, &socket);
  Conn *conn;

  if (key == NULL)
    return;

  conn = g_object_get_qdata (key, conn_quark ());
  if (conn == NULL || conn->msg != msg)
    return;

  conn->idle = TRUE;
  conn_touch (conn);
  conn_watch (conn);
}

static Guard *
guard_get (SoupServer *server)
{
  return g_object_get_qdata (G_OBJECT (server), guard_quark ());
}

/**
 * leap_conn_guard_install:
 * @server: a plain-HTTP #SoupServer
 *
 * Works around the libsoup 3.2 connection leak for @server, and closes its
 * connections after %LEAP_CONN_GUARD_DEFAULT_IDLE_TIMEOUT seconds without a
 * request. Call it once, on the thread whose main context runs @server,
 * before it accepts connections. The guard lives as long as @server.
 */
void
leap_conn_guard_install (SoupServer *server)
{
  Guard *guard;

  g_return_if_fail (SOUP_IS_SERVER (server));
  /* Over TLS the bytes on the socket say nothing about requests. */
  g_return_if_fail (!soup_server_is_https (server));

  if (guard_get (server) != NULL)
    return;

  guard = g_new0 (Guard, 1);
  guard->server = server;
  guard->context = g_main_context_ref_thread_default ();
  guard->idle_timeout = LEAP_CONN_GUARD_DEFAULT_IDLE_TIMEOUT;
  g_queue_init (&guard->conns);
  g_object_set_qdata_full (G_OBJECT (server), guard_quark (), guard, guard_free);

  g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), guard);
  g_signal_connect (server, "request-finished", G_CALLBACK (request_done_cb), guard);
  g_signal_connect (server, "request-aborted", G_CALLBACK (request_done_cb), guard);

  guard_schedule_sweep (guard);
}

/**
 * leap_conn_guard_set_idle_timeout:
 * @server: a #SoupServer with the guard installed
 * @seconds: how long a connection may wait for a request, or 0 for ever
 *
 * A connection counts as idle from the end of a response, or from its accept,
 * until the first byte of its next request; from that byte the whole request,
 * headers and body, must arrive within the same time, or the connection is
 * closed.
 */
void
leap_conn_guard_set_idle_timeout (SoupServer *server,
                                  guint       seconds)
{
  Guard *guard;

  g_return_if_fail (SOUP_IS_SERVER (server));
  guard = guard_get (server);
  g_return_if_fail (guard != NULL);

  guard->idle_timeout = seconds;
  guard_schedule_sweep (guard);
}

/**
 * leap_conn_guard_get_n_connections:
 * @server: a #SoupServer with the guard installed
 *
 * Returns: the number of connections the guard is following, for metrics
 */
guint
leap_conn_guard_get_n_connections (SoupServer *server)
{
  Guard *guard;

  g_return_val_if_fail (SOUP_IS_SERVER (server), 0);
  guard = guard_get (server);
  g_return_val_if_fail (guard != NULL, 0);

  return guard->conns.length;
}
