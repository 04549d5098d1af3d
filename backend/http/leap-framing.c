/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-framing.c: serves a listening socket through LeapFramingInput.
 *
 * libsoup 3.2 has no hook between its socket and its parser, so the
 * backend accepts connections itself (a GSocketService) and gives each to
 * soup_server_accept_iostream () as a stream whose input is a
 * LeapFramingInput. libsoup then knows the connection by the remote
 * address object passed here, which it hands back from
 * soup_server_message_get_remote_address (): the input and the socket hang
 * off that object.
 */
#define G_LOG_DOMAIN "leap-http"

#include "leap-framing.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

G_DEFINE_QUARK (leap-framing-input, input)
G_DEFINE_QUARK (leap-framing-socket, socket)
G_DEFINE_QUARK (leap-framing-head, head)

typedef struct
{
  SoupServer *server;   /* Borrowed: outlives the service */
  gsize       max_body;
} Listener;

static LeapFramingInput *
input_for_message (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), input_quark ()) : NULL;
}

static void
got_headers_cb (SoupServerMessage *msg,
                LeapFramingInput  *input)
{
  g_object_set_qdata (G_OBJECT (msg), head_quark (),
                      GUINT_TO_POINTER (leap_framing_input_count_head (input)));
}

static void
wrote_informational_cb (SoupServerMessage *msg,
                        LeapFramingInput  *input)
{
  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS)
    leap_framing_input_set_upgraded (input, TRUE);
}

static void
finished_cb (SoupServerMessage *msg,
             LeapFramingInput  *input)
{
  leap_framing_input_set_upgraded (input, FALSE);
}

static void
request_started_cb (SoupServer        *server,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  LeapFramingInput *input = input_for_message (msg);

  if (input == NULL)
    return;
  g_signal_connect_object (msg, "got-headers", G_CALLBACK (got_headers_cb), input, 0);
  g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (wrote_informational_cb),
                           input, 0);
  g_signal_connect_object (msg, "finished", G_CALLBACK (finished_cb), input, 0);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             Listener          *listener)
{
  GSocket *socket = g_socket_connection_get_socket (connection);
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(LeapFramingInput) input = NULL;
  g_autoptr(GIOStream) stream = NULL;
  g_autoptr(GError) error = NULL;

  /* A peer already gone: dropping the connection closes it. */
  if (local == NULL || remote == NULL)
    return TRUE;

  /* libsoup writes a head and its body apart. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, 1, NULL);
  input = leap_framing_input_new (G_IO_STREAM (connection), listener->max_body);
  stream = g_simple_io_stream_new (G_INPUT_STREAM (input),
                                   g_io_stream_get_output_stream (G_IO_STREAM (connection)));
  g_object_set_qdata_full (G_OBJECT (remote), input_quark (), g_object_ref (input),
                           g_object_unref);
  g_object_set_qdata_full (G_OBJECT (remote), socket_quark (), g_object_ref (socket),
                           g_object_unref);
  if (!soup_server_accept_iostream (listener->server, stream, local, remote, &error))
    g_debug ("Cannot serve a connection: %s", error->message);
  return TRUE;
}

/* libsoup 3.2 keeps a connection alive after a request only if the server
 * has a listener of its own (`priv->listeners` in request_finished ()),
 * and has no other way to say so. Give it one that nobody can reach: a
 * Unix socket whose path is gone. */
static gboolean
add_unreachable_listener (SoupServer  *server,
                          GError     **error)
{
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GSocket) anchor = NULL;
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gboolean listening;
  int fd;

  if (soup_server_get_listeners (server) != NULL)
    return TRUE;
  dir = g_dir_make_tmp ("leap-backend-XXXXXX", error);
  if (dir == NULL)
    return FALSE;
  path = g_build_filename (dir, "unreachable", NULL);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &address, sizeof address) != 0 ||
      listen (fd, 1) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "Cannot listen on %s: %s",
                   path, g_strerror (saved));
      if (fd >= 0)
        close (fd);
      g_unlink (path);
      g_rmdir (dir);
      return FALSE;
    }
  anchor = g_socket_new_from_fd (fd, error);
  if (anchor == NULL)
    close (fd);
  listening = anchor != NULL && soup_server_listen_socket (server, anchor, 0, error);
  g_unlink (path);
  g_rmdir (dir);
  return listening;
}

/**
 * leap_framing_listen:
 * @server: the server to hand connections to
 * @socket: a listening socket
 * @max_body: the largest request body, in bytes
 *
 * Accepts connections on @socket for @server, each through a
 * LeapFramingInput. Stop and close the service before @server goes.
 *
 * Returns: (transfer full): the service, running
 */
GSocketService *
leap_framing_listen (SoupServer *server,
                     GSocket    *socket,
                     gsize       max_body,
                     GError    **error)
{
  g_autoptr(GSocketService) service = NULL;
  Listener *listener;

  if (!add_unreachable_listener (server, error))
    return NULL;
  service = g_socket_service_new ();
  listener = g_new0 (Listener, 1);
  listener->server = server;
  listener->max_body = max_body;
  g_object_set_data_full (G_OBJECT (service), "leap-framing-listener", listener, g_free);
  if (!g_socket_listener_add_socket (G_SOCKET_LISTENER (service), socket, NULL, error))
    return NULL;
  g_signal_connect (service, "incoming", G_CALLBACK (incoming_cb), listener);
  if (g_object_get_data (G_OBJECT (server), "leap-framing") == NULL)
    {
      g_object_set_data (G_OBJECT (server), "leap-framing", GINT_TO_POINTER (TRUE));
      g_signal_connect (server, "request-started", G_CALLBACK (request_started_cb), NULL);
    }
  g_socket_service_start (service);
  return g_steal_pointer (&service);
}

/**
 * leap_framing_get_refusal:
 *
 * Returns: (nullable): why @msg's request was refused before libsoup read
 *   it, or %NULL for a request that passed (or one not served through
 *   leap_framing_listen ())
 */
const LeapFramingRefusal *
leap_framing_get_refusal (SoupServerMessage *msg)
{
  LeapFramingInput *input = input_for_message (msg);
  guint head = GPOINTER_TO_UINT (g_object_get_qdata (G_OBJECT (msg), head_quark ()));

  return input != NULL && head != 0 ? leap_framing_input_get_refusal (input, head) : NULL;
}

/**
 * leap_framing_get_socket:
 *
 * Returns: (nullable) (transfer none): the socket of @msg's connection if
 *   it was accepted through leap_framing_listen (); libsoup knows none
 */
GSocket *
leap_framing_get_socket (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return remote != NULL ? g_object_get_qdata (G_OBJECT (remote), socket_quark ()) : NULL;
}
