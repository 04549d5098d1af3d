/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Issue 18's proof, on the whole topology of tools/cluster.sh: nginx in
 * front of two backends, two workers, PostgreSQL with a streaming replica,
 * Redis with a replica and three Sentinels. A flash sale of 2,000 buyers
 * for one tier of 500 tickets goes through nginx while one backend is
 * killed (kill -9) and then the Redis primary: buyers retry with their
 * Idempotency-Key, and in the end exactly 500 tickets are sold, every
 * order answered 202 is paid, once. */
#include "leap-test-backend.h"
#include "leap-test-pg.h"

#include <signal.h>
#include <string.h>

#define BUYERS 2000
#define CAPACITY 500
#define IN_FLIGHT 100

typedef struct _Sale Sale;

typedef struct
{
  Sale  *sale;
  guint  n;
  char  *hold_id;
  guint  tries;
  guint  attempt;    /* a new hold after "sold out": a new key */
} Buyer;

struct _Sale
{
  LeapTestBackend  tb;        /* base: nginx; no backend in this process */
  GSubprocess     *cluster;
  char            *dir;
  GHashTable      *ready;     /* what cluster.sh wrote: KEY → VALUE */
  char            *admin;
  char            *cashier;
  gint64           event;
  gint64           tier;

  guint            next;      /* the next buyer to start */
  guint            in_flight;
  guint            done;
  guint            holds;     /* 201 */
  guint            sold_out;  /* 409 */
  guint            retries;   /* no answer, or 5xx: the same request again */
  guint            lost;      /* holds answered 201 that a failover lost */
  GHashTable      *accepted;  /* order id → NULL, answered 202 */
  gint64           last_sale; /* monotonic µs of the last 201 */
  gint64           longest_gap;
  gboolean         killed_backend;
  gboolean         killed_redis;
  gboolean         complete;  /* the database sold every ticket */
  gint64           checked;   /* monotonic µs of the last look at it */
};

static const char *
ready_get (Sale       *s,
           const char *key)
{
  const char *value = g_hash_table_lookup (s->ready, key);

  if (value == NULL)
    g_error ("cluster.sh's ready file has no %s", key);
  return value;
}

static gboolean
ready_written (gpointer data)
{
  Sale *s = data;
  g_autofree char *path = g_build_filename (s->dir, "ready", NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS) ||
         g_subprocess_get_identifier (s->cluster) == NULL;
}

static void
start_cluster (Sale *s)
{
  /* Not killed with the test (it would leave what it started running):
   * it stops everything itself when the test's process is gone. */
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autofree char *script = g_build_filename (g_getenv ("LEAP_SOURCE_ROOT"), "tools",
                                              "cluster.sh", NULL);
  g_autofree char *folder = g_build_filename (s->dir, "cluster", NULL);
  g_autofree char *ready = g_build_filename (s->dir, "ready", NULL);
  g_autofree char *log = g_build_filename (s->dir, "cluster.log", NULL);
  g_autofree char *parent = g_strdup_printf ("%d", (int) getpid ());
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "LEAP_CLUSTER_DIR", folder, TRUE);
  g_subprocess_launcher_setenv (launcher, "LEAP_CLUSTER_READY", ready, TRUE);
  g_subprocess_launcher_setenv (launcher, "LEAP_CLUSTER_SEED", "no", TRUE);
  g_subprocess_launcher_setenv (launcher, "LEAP_CLUSTER_PARENT", parent, TRUE);
  /* Holds a failover orphaned come back within seconds, and so do counts
   * it left wrong. */
  g_subprocess_launcher_setenv (launcher, "LEAP_CLUSTER_BACKEND_ARGS",
                                "--hold-ttl 20 --reconcile-interval 2", TRUE);
  /* The processes complain of what the test breaks: that is the point. */
  g_subprocess_launcher_unsetenv (launcher, "G_DEBUG");
  g_subprocess_launcher_set_stdout_file_path (launcher, log);
  s->cluster = g_subprocess_launcher_spawn (launcher, &error, "sh", script,
                                            g_getenv ("LEAP_BUILD_ROOT"), NULL);
  g_assert_no_error (error);
  if (!leap_test_wait_until (ready_written, s, 180000) ||
      !g_file_get_contents (ready, &text, NULL, NULL))
    {
      g_autofree char *said = NULL;

      g_file_get_contents (log, &said, NULL, NULL);
      if (g_subprocess_get_identifier (s->cluster) == NULL)
        g_test_message ("cluster.sh ended with status %d",
                        g_subprocess_get_exit_status (s->cluster));
      g_error ("tools/cluster.sh did not come up; it said:\n%s", said ? said : "(nothing)");
    }
  s->ready = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      const char *eq = strchr (lines[i], '=');

      if (eq != NULL)
        g_hash_table_insert (s->ready, g_strndup (lines[i], eq - lines[i]), g_strdup (eq + 1));
    }
}

static void
stop_cluster (Sale *s)
{
  /* cluster.sh stops what it started. */
  g_subprocess_send_signal (s->cluster, SIGTERM);
  g_subprocess_wait (s->cluster, NULL, NULL);
  g_clear_object (&s->cluster);
}

static char *
sign_in (Sale       *s,
         const char *user,
         const char *password_key)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *password = NULL;
  g_autofree char *body = NULL;

  g_assert_true (g_file_get_contents (ready_get (s, password_key), &password, NULL, NULL));
  body = g_strdup_printf ("{\"username\": \"%s\", \"password\": \"%s\"}", user,
                          g_strstrip (password));
  leap_test_backend_call (&s->tb, "POST", "/api/v1/sessions", NULL, body, &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  return g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
}

static void
setup (Sale         *s,
       gconstpointer data)
{
  g_autofree char *body = NULL;
  g_autofree char *tiers = NULL;
  gint64 venue;

  s->dir = leap_test_make_tmpdir ();
  start_cluster (s);
  s->tb.base = g_strdup (ready_get (s, "URL"));
  s->tb.session = soup_session_new_with_options ("timeout", 30, "max-conns", 256,
                                                 "max-conns-per-host", 256, NULL);
  s->admin = sign_in (s, "demo-admin", "ADMIN_PASSWORD_FILE");
  s->cashier = sign_in (s, "demo-cashier", "CASHIER_PASSWORD_FILE");
  venue = leap_test_backend_create (&s->tb, s->admin, "/api/v1/venues",
                                    "{\"name\": \"Arena\", \"timezone\": \"Europe/Berlin\"}");
  body = g_strdup_printf ("{\"venue_id\": %" G_GINT64_FORMAT ", \"name\": \"Flash sale\", "
                          "\"starts_at\": \"2027-06-01T19:30:00Z\"}", venue);
  s->event = leap_test_backend_create (&s->tb, s->admin, "/api/v1/events", body);
  tiers = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/tiers", s->event);
  s->tier = leap_test_backend_create (&s->tb, s->admin, tiers,
                                      "{\"name\": \"Floor\", \"price\": 4500, \"currency\": "
                                      "\"EUR\", \"capacity\": " G_STRINGIFY (CAPACITY) ", "
                                      "\"max_per_order\": 4}");
  s->accepted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

static void
teardown (Sale         *s,
          gconstpointer data)
{
  if (s->cluster != NULL)
    stop_cluster (s);
  g_clear_pointer (&s->ready, g_hash_table_unref);
  g_clear_pointer (&s->accepted, g_hash_table_unref);
  g_clear_object (&s->tb.session);
  g_free (s->tb.base);
  g_free (s->admin);
  g_free (s->cashier);
  leap_test_rmdir (s->dir);
  g_free (s->dir);
}

/* The buyers */

static void buyer_hold (Buyer *b);
static void buyer_order (Buyer *b);

static void
buyer_done (Buyer *b)
{
  Sale *s = b->sale;

  s->in_flight--;
  s->done++;
  g_free (b->hold_id);
  g_free (b);
}

static void
send (Buyer               *b,
      const char          *path,
      const char          *key,
      const char          *body,
      GAsyncReadyCallback  callback)
{
  Sale *s = b->sale;
  g_autofree char *url = leap_test_backend_url (&s->tb, path);
  g_autofree char *auth = g_strconcat ("Bearer ", s->cashier, NULL);
  g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));
  SoupMessage *msg = soup_message_new ("POST", url);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_headers_replace (headers, "Authorization", auth);
  soup_message_headers_replace (headers, "Idempotency-Key", key);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_session_send_and_read_async (s->tb.session, msg, G_PRIORITY_DEFAULT, NULL, callback, b);
}

/* The status (0: no answer) and the JSON object answered, if any. */
static guint
answer (GObject       *session,
        GAsyncResult  *result,
        JsonObject   **object)
{
  g_autoptr(SoupMessage) msg =
    g_object_ref (soup_session_get_async_result_message (SOUP_SESSION (session), result));
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (session), result,
                                                               NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();

  *object = NULL;
  if (bytes == NULL)
    return 0;
  if (json_parser_load_from_data (parser, g_bytes_get_data (bytes, NULL),
                                  g_bytes_get_size (bytes), NULL) &&
      JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    *object = json_object_ref (json_node_get_object (json_parser_get_root (parser)));
  return soup_message_get_status (msg);
}

static gboolean
hold_again_cb (gpointer data)
{
  buyer_hold (data);
  return G_SOURCE_REMOVE;
}

static gboolean
order_again_cb (gpointer data)
{
  buyer_order (data);
  return G_SOURCE_REMOVE;
}

/* No answer, or a server that cannot now: the same request again, with
 * the same key, a moment later; for a minute at most. */
static gboolean
retry (Buyer       *b,
       guint        status,
       GSourceFunc  again)
{
  if (status != 0 && status < 500)
    return FALSE;
  if (++b->tries > 300)
    g_error ("Buyer %u got no answer (%u) 300 times", b->n, status);
  b->sale->retries++;
  g_timeout_add (200, again, b);
  return TRUE;
}

static void
ordered_cb (GObject      *session,
            GAsyncResult *result,
            gpointer      user_data)
{
  Buyer *b = user_data;
  g_autoptr(JsonObject) object = NULL;
  guint status = answer (session, result, &object);

  if (retry (b, status, order_again_cb))
    return;
  if (status == 202)
    g_hash_table_add (b->sale->accepted,
                      g_strdup (json_object_get_string_member (object, "order_id")));
  else
    {
      /* A hold the failover lost (its write had not reached the replica
       * when the primary died): the order finds no hold, and the buyer
       * comes away with nothing; its ticket was never sold. */
      g_assert_cmpuint (status, ==, 404);
      b->sale->lost++;
    }
  buyer_done (b);
}

static void
buyer_order (Buyer *b)
{
  g_autofree char *key = g_strdup_printf ("order-%u", b->n);
  g_autofree char *body = g_strdup_printf ("{\"hold_id\": \"%s\", \"payment\": {\"method\": "
                                           "\"cash\", \"tendered\": 5000}, \"customer\": "
                                           "{\"name\": \"Buyer %u\"}}", b->hold_id, b->n);

  send (b, "/api/v1/orders", key, body, ordered_cb);
}

static void
held_cb (GObject      *session,
         GAsyncResult *result,
         gpointer      user_data)
{
  Buyer *b = user_data;
  Sale *s = b->sale;
  g_autoptr(JsonObject) object = NULL;
  guint status = answer (session, result, &object);
  gint64 now = g_get_monotonic_time ();

  if (retry (b, status, hold_again_cb))
    return;
  if (status == 201)
    {
      s->holds++;
      if (s->last_sale != 0)
        s->longest_gap = MAX (s->longest_gap, now - s->last_sale);
      s->last_sale = now;
      b->hold_id = g_strdup (json_object_get_string_member (object, "hold_id"));
      b->tries = 0;
      buyer_order (b);
      return;
    }
  g_assert_cmpuint (status, ==, 409);
  /* Sold out for now: a fan tries again while tickets may come back (a
   * hold that expires), until every ticket is sold. */
  if (!s->complete && ++b->attempt < 60)
    {
      g_timeout_add (1000, hold_again_cb, b);
      return;
    }
  s->sold_out++;
  buyer_done (b);
}

static void
buyer_hold (Buyer *b)
{
  Sale *s = b->sale;
  g_autofree char *key = g_strdup_printf ("hold-%u-%u", b->n, b->attempt);
  g_autofree char *body = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                           "[{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": "
                                           "1}]}", s->event, s->tier);

  send (b, "/api/v1/holds", key, body, held_cb);
}

static void
kill_pid (const char *list,
          guint       index)
{
  g_auto(GStrv) pids = g_strsplit (list, ",", -1);

  g_assert_cmpuint (index, <, g_strv_length (pids));
  g_assert_cmpint (kill ((pid_t) g_ascii_strtoll (pids[index], NULL, 10), SIGKILL), ==, 0);
}

static gint64 count (Sale       *s,
                     const char *sql);

/* Starts buyers up to IN_FLIGHT at once, and the faults on the way. */
static gboolean
sale_over (gpointer data)
{
  Sale *s = data;
  gint64 now = g_get_monotonic_time ();

  if (now - s->checked > G_USEC_PER_SEC)
    {
      g_autofree char *sold =
        g_strdup_printf ("SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT, s->tier);

      s->complete = count (s, sold) == CAPACITY;
      s->checked = now;
    }
  if (!s->killed_backend && s->holds >= CAPACITY / 5)
    {
      g_test_message ("kill -9 of the first backend after %u holds", s->holds);
      kill_pid (ready_get (s, "BACKEND_PIDS"), 0);
      s->killed_backend = TRUE;
    }
  if (!s->killed_redis && s->holds >= CAPACITY / 2)
    {
      g_test_message ("kill -9 of the Redis primary after %u holds", s->holds);
      kill_pid (ready_get (s, "REDIS_PIDS"), 0);
      s->killed_redis = TRUE;
    }
  while (s->in_flight < IN_FLIGHT && s->next < BUYERS)
    {
      Buyer *b = g_new0 (Buyer, 1);

      b->sale = s;
      b->n = s->next++;
      s->in_flight++;
      buyer_hold (b);
    }
  return s->done == BUYERS;
}

static gint64
count (Sale       *s,
       const char *sql)
{
  g_autofree char *text = leap_test_pg_query (ready_get (s, "DATABASE"), sql);

  return g_ascii_strtoll (text, NULL, 10);
}

static gboolean
all_paid (gpointer data)
{
  Sale *s = data;

  return count (s, "SELECT count(*) FROM orders WHERE status = 'paid'") >=
         g_hash_table_size (s->accepted);
}

static void
test_flash_sale (Sale         *s,
                 gconstpointer data)
{
  g_autofree char *sold = NULL;
  GHashTableIter iter;
  gpointer id;

  g_assert_true (leap_test_wait_until (sale_over, s, 240000));
  g_test_message ("%u buyers: %u holds (%u of them lost by the failover), %u sold out, "
                  "%u orders accepted, %u requests sent again; the longest time without a "
                  "sale: %" G_GINT64_FORMAT " ms",
                  BUYERS, s->holds, s->lost, s->sold_out, g_hash_table_size (s->accepted),
                  s->retries, s->longest_gap / 1000);
  g_assert_true (s->killed_backend && s->killed_redis);

  /* Every order answered 202 is paid, once; nothing more is sold than
   * there is, and nothing is left unsold while buyers were turned away. */
  g_assert_true (leap_test_wait_until (all_paid, s, 60000));
  g_hash_table_iter_init (&iter, s->accepted);
  while (g_hash_table_iter_next (&iter, &id, NULL))
    {
      g_autofree char *sql = g_strdup_printf ("SELECT status FROM orders WHERE id = '%s'",
                                              (const char *) id);
      g_autofree char *status = leap_test_pg_query (ready_get (s, "DATABASE"), sql);

      g_assert_cmpstr (status, ==, "paid");
    }
  g_assert_cmpint (count (s, "SELECT count(*) FROM orders WHERE status = 'paid'"), ==,
                   g_hash_table_size (s->accepted));
  g_assert_cmpint (count (s, "SELECT count(*) FROM (SELECT order_id FROM payments GROUP BY "
                             "order_id HAVING count(*) > 1) AS twice"), ==, 0);
  sold = g_strdup_printf ("SELECT sold FROM tiers WHERE id = %" G_GINT64_FORMAT, s->tier);
  g_assert_cmpint (count (s, sold), ==, CAPACITY);
  g_assert_cmpint (count (s, "SELECT count(*) FROM tickets"), ==, CAPACITY);
  g_assert_cmpuint (g_hash_table_size (s->accepted), ==, CAPACITY);
}

/* A guest hammering through nginx, which sends each request to the next
 * backend: thirty holds a minute, then 429 from either, as from one. */
static void
test_guest_limit (Sale         *s,
                  gconstpointer data)
{
  g_auto(LeapTestReply) reply = { 0 };
  g_autofree char *guest = NULL;
  g_autofree char *one = g_strdup_printf ("{\"event_id\": %" G_GINT64_FORMAT ", \"items\": "
                                          "[{\"tier_id\": %" G_GINT64_FORMAT ", \"quantity\": 1}]}",
                                          s->event, s->tier);

  leap_test_backend_call (&s->tb, "POST", "/api/v1/sessions", NULL, "{\"guest\": true}", &reply);
  g_assert_cmpuint (reply.status, ==, 201);
  guest = g_strdup (json_object_get_string_member (leap_test_reply_object (&reply), "token"));
  for (guint i = 0; i < 30; i++)
    {
      leap_test_backend_call (&s->tb, "POST", "/api/v1/holds", guest, one, &reply);
      /* At most five holds at once: the rest are refused, and count. */
      g_assert_true (reply.status == 201 ||
                     g_strcmp0 (leap_test_error_code (&reply), "too_many_holds") == 0);
    }
  for (guint i = 0; i < 4; i++)
    {
      leap_test_backend_call (&s->tb, "POST", "/api/v1/holds", guest, one, &reply);
      g_assert_cmpuint (reply.status, ==, 429);
      g_assert_cmpstr (leap_test_error_code (&reply), ==, "rate_limited");
    }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/leap/faults/cluster/flash-sale", Sale, NULL, setup, test_flash_sale, teardown);
  g_test_add ("/leap/faults/cluster/guest-limit", Sale, NULL, setup, test_guest_limit, teardown);
  return g_test_run ();
}
