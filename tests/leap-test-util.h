/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* A real redis-server on a free loopback port, in a temporary folder, set
 * up as the shipped configuration: append-only file, fsync every second,
 * never evict. */
typedef struct
{
  GSubprocess *process;
  char        *dir;
  guint16      port;
  char       **args;  /* more arguments for redis-server, or NULL; borrowed */
} LeapTestRedis;

guint16      leap_test_free_port      (void);
int          leap_test_connect        (guint16        port);
gboolean     leap_test_serving        (gpointer       port);
GSubprocessLauncher *leap_test_launcher_new (GSubprocessFlags flags);
int          leap_test_run_va         (GSubprocessLauncher *launcher,
                                       const char    *input,
                                       char         **out,
                                       const char    *program,
                                       const char    *first_arg,
                                       va_list        args);
void         leap_test_allow_warnings (void);
char        *leap_test_make_tmpdir    (void);
void         leap_test_rmdir          (const char    *dir);
void         leap_test_redis_start    (LeapTestRedis *redis);
void         leap_test_redis_stop     (LeapTestRedis *redis);
void         leap_test_redis_kill     (LeapTestRedis *redis);
void         leap_test_redis_clear    (LeapTestRedis *redis);
char        *leap_test_redis_cli      (LeapTestRedis *redis,
                                       const char    *first_arg,
                                       ...) G_GNUC_NULL_TERMINATED;

/* Iterates the default main context until func returns TRUE or the
 * deadline passes; returns what func returned last. */
gboolean     leap_test_wait_until     (GSourceFunc    func,
                                       gpointer       data,
                                       guint          timeout_ms);

/* An HTTP call run on the default main context (so that an in-process
 * server keeps answering); returns the parsed JSON body or NULL. */
typedef struct
{
  guint       status;
  char       *body;
  JsonNode   *json;
  SoupMessageHeaders *headers;
} LeapTestReply;

void         leap_test_reply_clear    (LeapTestReply *reply);
void         leap_test_http           (SoupSession   *session,
                                       const char    *method,
                                       const char    *url,
                                       const char    *token,
                                       const char    *body,
                                       LeapTestReply *reply);
void         leap_test_send           (SoupSession   *session,
                                       SoupMessage   *msg,
                                       LeapTestReply *reply);
/* Records an answer for the "openapi" test; leap_test_send () records its
 * own, a test that reads answers otherwise (races, bursts) calls this. */
void         leap_test_record         (SoupMessage   *msg,
                                       GBytes        *body);
JsonObject  *leap_test_reply_object   (LeapTestReply *reply);
const char  *leap_test_error_code     (LeapTestReply *reply);

/* A client of /api/v1/live that keeps every message it receives. */
typedef struct
{
  SoupWebsocketConnection *conn;
  GPtrArray               *messages; /* char * */
} LeapTestLive;

void         leap_test_live_open      (LeapTestLive  *live,
                                       SoupSession   *session,
                                       guint16        port);
gboolean     leap_test_live_wait      (LeapTestLive  *live,
                                       const char    *needle,
                                       guint          timeout_ms);
void         leap_test_live_close     (LeapTestLive  *live);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (LeapTestReply, leap_test_reply_clear)

G_END_DECLS
