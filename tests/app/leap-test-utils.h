/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef gboolean (*LeapTestCondition) (gpointer user_data);

JsonObject *leap_test_demo_page      (void);
gint64      leap_test_today_at       (int                hour,
                                      int                minute,
                                      int                days_from_today);
char       *leap_test_make_tmpdir    (void);
void        leap_test_rm_rf          (const char        *path);
guint16     leap_test_free_port      (void);
gboolean    leap_test_wait_for       (LeapTestCondition  condition,
                                      gpointer           user_data,
                                      guint              timeout_ms);
gboolean    leap_test_wait_flag      (gboolean          *flag,
                                      guint              timeout_ms);
GLogWriterOutput leap_test_log_writer (GLogLevelFlags    log_level,
                                      const GLogField   *fields,
                                      gsize              n_fields,
                                      gpointer           user_data);

G_END_DECLS

#include <libsoup/soup.h>

G_BEGIN_DECLS

SoupServer *leap_test_server_new    (char              **base_url);
void        leap_test_reply_json    (SoupServerMessage  *msg,
                                     guint               status,
                                     const char         *json);

G_END_DECLS

#include "leap-check-in-view.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-offline-cache.h"
#include "leap-window.h"

G_BEGIN_DECLS

/* The real thing for the app tests: redis-server, leap-backend (with the
 * demo catalogue) and, when asked, leap-worker, on free loopback ports,
 * with their files in a temporary folder. The servers die with the test
 * program even when it aborts. */
typedef enum
{
  LEAP_TEST_STACK_NONE   = 0,
  LEAP_TEST_STACK_WORKER = 1 << 0, /* leap-worker must be built */
} LeapTestStackFlags;

typedef struct
{
  char        *dir;         /* the temporary folder */
  char        *db_path;     /* DIR/leap.db */
  char        *database;    /* sqlite:DIR/leap.db, as the programs take it */
  char        *redis_addr;  /* 127.0.0.1:PORT */
  char        *listen;      /* the backend's 127.0.0.1:PORT, kept over restarts */
  char        *url;         /* http://LISTEN */
  char        *password;    /* every user's */
  GSubprocess *redis;
  GSubprocess *backend;
  GSubprocess *worker;
  const char  *skip;        /* why there is no stack: a program is missing */
} LeapTestStack;

gboolean    leap_test_stack_start          (LeapTestStack      *stack,
                                            LeapTestStackFlags  flags,
                                            const char         *password,
                                            const char         *first_user,
                                            ...) G_GNUC_NULL_TERMINATED;
void        leap_test_stack_start_backend  (LeapTestStack      *stack);
void        leap_test_stack_stop_backend   (LeapTestStack      *stack);
void        leap_test_stack_start_worker   (LeapTestStack      *stack,
                                            const char         *consumer,
                                            ...) G_GNUC_NULL_TERMINATED;
void        leap_test_stack_stop_worker    (LeapTestStack      *stack);
void        leap_test_stack_stop           (LeapTestStack      *stack);
LeapClient *leap_test_stack_sign_in        (LeapTestStack      *stack,
                                            const char         *user);
LeapClient *leap_test_stack_sign_in_at     (LeapTestStack      *stack,
                                            const char         *user,
                                            const char         *url);
JsonObject *leap_test_send_now             (LeapClient         *client,
                                            const char         *method,
                                            const char         *path,
                                            const char         *json);
void        leap_test_stack_assert_paid    (LeapTestStack      *stack,
                                            const char         *order_id,
                                            gint64              total,
                                            const char         *method);
gint64      leap_test_stack_make_event     (LeapTestStack      *stack,
                                            const char         *admin,
                                            const char         *name,
                                            const char         *first_tier,
                                            ...) G_GNUC_NULL_TERMINATED;

/* A gateway between the app and the stack's backend, to lose an answer:
 * with lose_post set, the next POST /api/v1/orders goes through, and then
 * the backend is stopped before its answer is passed on (502); while it is
 * down every request gets 502, and the GETs of an order are counted.
 * leap_test_relay_restart_backend () brings it back. */
typedef struct
{
  LeapTestStack *stack;            /* Borrowed */
  SoupServer    *server;
  SoupSession   *session;
  char          *url;              /* where the app is pointed */
  gboolean       lose_post;
  gboolean       backend_down;
  guint          gets_while_down;  /* GET /api/v1/orders/… while it is down */
} LeapTestRelay;

void        leap_test_relay_start           (LeapTestRelay      *relay,
                                             LeapTestStack      *stack);
gboolean    leap_test_relay_asked_for_order (gpointer            relay);
void        leap_test_relay_restart_backend (LeapTestRelay      *relay);
void        leap_test_relay_stop            (LeapTestRelay      *relay);

/* For screenshots: the system's high-contrast and text-scaling settings
 * as the desktop would set them, from LEAP_SHOT_HIGH_CONTRAST=1 and
 * LEAP_SHOT_TEXT_SCALE=FACTOR. After gtk_init (). */
void        leap_test_apply_shot_settings  (void);

/* Widgets of @type under @root (itself included), shown on screen
 * (mapped) only if @mapped; and the first visible window of @type. */
GPtrArray  *leap_test_find_widgets   (gpointer           root,
                                      GType              type,
                                      gboolean           mapped);
gpointer    leap_test_find_window    (GType              type);

void        leap_test_reload_cache   (LeapOfflineCache  *cache,
                                      guint              timeout_ms);
/* A payment through LeapCheckout, and what it finished with. */
typedef struct
{
  gboolean    done;
  LeapPlaced  placed;
  JsonObject *order;
  GError     *error;
} LeapTestPay;

void        leap_test_pay            (LeapCheckout      *checkout,
                                      JsonObject        *sale,
                                      LeapTestPay       *result,
                                      guint              timeout_ms);
const char *leap_test_check_in       (LeapCheckInView   *view,
                                      const char        *code,
                                      guint              timeout_ms);
GPtrArray  *leap_test_find_orders    (LeapOfflineCache  *cache,
                                      const char        *text,
                                      gint64             since);
void        leap_test_save_order     (LeapOfflineCache  *cache,
                                      JsonObject        *order,
                                      guint              timeout_ms);
void        leap_test_sync_cache     (LeapOfflineCache  *cache,
                                      LeapClient        *client,
                                      guint              timeout_ms);
gboolean    leap_test_file_exists    (gpointer           path);

/* A box office at the counter: a signed-in client, the offline cache at
 * a path the test shares, synced, and a window on both. */
typedef struct
{
  LeapClient       *client;
  LeapOfflineCache *cache;
  LeapWindow       *window;
} LeapTestCounter;

void        leap_test_counter_open   (LeapTestCounter   *counter,
                                      LeapClient        *client,
                                      const char        *cache_path,
                                      guint              timeout_ms);
void        leap_test_counter_close  (LeapTestCounter   *counter);

G_END_DECLS
