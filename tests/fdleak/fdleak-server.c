/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fdleak-server.c: a minimal libsoup server that shows the libsoup 3.2.3
 * keep-alive descriptor leak, with or without leap_conn_guard.
 *
 *   GET /healthz      200 "ok"
 *   GET /slow?ms=N    pauses the message for N ms, then 200 "slow"
 *   GET /guard        the number of connections the guard follows
 *
 * It listens on a free loopback port and prints "PORT=<n>" on stdout.
 * SIGTERM or SIGINT stops it cleanly, so sanitizers see the teardown.
 */

#include "leap-conn-guard.h"

#include <glib-unix.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
  SoupServerMessage *msg;   /* Owned */
} SlowReply;

static gboolean
slow_reply_cb (gpointer user_data)
{
  SlowReply *reply = user_data;

  soup_server_message_set_response (reply->msg, "text/plain", SOUP_MEMORY_STATIC, "slow\n", 5);
  soup_server_message_set_status (reply->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_unpause (reply->msg);
  g_object_unref (reply->msg);
  g_free (reply);

  return G_SOURCE_REMOVE;
}

static void
server_cb (SoupServer        *server,
           SoupServerMessage *msg,
           const char        *path,
           GHashTable        *query,
           gpointer           user_data)
{
  gboolean guarded = GPOINTER_TO_INT (user_data);

  if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_GET) != 0)
    {
      soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    }
  else if (g_str_equal (path, "/healthz"))
    {
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC, "ok\n", 3);
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  else if (g_str_equal (path, "/slow"))
    {
      const char *ms = query != NULL ? g_hash_table_lookup (query, "ms") : NULL;
      SlowReply *reply = g_new0 (SlowReply, 1);

      /* Async work in a real handler: the guard must leave this one alone. */
      reply->msg = g_object_ref (msg);
      soup_server_message_pause (msg);
      g_timeout_add (ms != NULL ? (guint)g_ascii_strtoull (ms, NULL, 10) : 1000, slow_reply_cb,
                     reply);
    }
  else if (g_str_equal (path, "/guard"))
    {
      char *body = g_strdup_printf ("%u\n",
                                    guarded ? leap_conn_guard_get_n_connections (server) : 0);

      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_TAKE, body, strlen (body));
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
    }
}

static gboolean
quit_cb (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_CONTINUE;
}

int
main (int   argc,
      char *argv[])
{
  gboolean guard = FALSE;
  int idle_timeout = -1;
  GOptionEntry entries[] = { { "guard", 'g', 0, G_OPTION_ARG_NONE, &guard,
                               "Install leap_conn_guard", NULL },
                             { "idle-timeout", 't', 0, G_OPTION_ARG_INT, &idle_timeout,
                               "Guard idle timeout (implies --guard)", "SECONDS" },
                             G_OPTION_ENTRY_NULL };
  g_autoptr(GOptionContext) context = g_option_context_new ("- libsoup keep-alive fd leak demo");
  g_autoptr(GError) error = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GUri) uri = NULL;
  GSList *uris;
  guint sigterm_id, sigint_id;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("%s\n", error->message);
      return 2;
    }
  if (idle_timeout >= 0)
    guard = TRUE;

  loop = g_main_loop_new (NULL, FALSE);
  server = soup_server_new ("server-header", "fdleak-server ", NULL);
  if (guard)
    {
      leap_conn_guard_install (server);
      if (idle_timeout >= 0)
        leap_conn_guard_set_idle_timeout (server, idle_timeout);
    }
  soup_server_add_handler (server, NULL, server_cb, GINT_TO_POINTER (guard), NULL);

  if (!soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error))
    {
      g_printerr ("listen: %s\n", error->message);
      return 1;
    }
  uris = soup_server_get_uris (server);
  uri = g_uri_ref (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_print ("PORT=%d\n", g_uri_get_port (uri));
  fflush (stdout);

  sigterm_id = g_unix_signal_add (SIGTERM, quit_cb, loop);
  sigint_id = g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);
  g_source_remove (sigterm_id);
  g_source_remove (sigint_id);

  return 0;
}
