/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The PostgreSQL store while Redis is down (issue 17): database holds made
 * by several stores at once never sell more than the outage's figures,
 * expiry gives them back, the end of the outage waits for the holds and
 * releases under way, doors checking in one ticket at once admit it once,
 * and every call answers the same JSON as the SQLite store. */
#include <libpq-fe.h>
#include <sqlite3.h>

#include "leap-error.h"
#include "leap-json.h"
#include "leap-store.h"
#include "leap-test-pg.h"
#include "leap-test-util.h"

static LeapTestPg pg;

/* Valid in both dialects: one event of three tiers (at most 4 tickets
 * each a hold), paid and pending orders with their tickets, and an order
 * Redis accepted that no worker has written. */
static const char seed_sql[] =
  "INSERT INTO venues (id, name, created_at, updated_at) VALUES (1, 'Hall', 0, 0);"
  "INSERT INTO events (id, venue_id, name, starts_at, created_at, updated_at) "
  "VALUES (1, 1, 'Outage', 1900000000, 0, 0), (2, 1, 'Other', 1900000000, 0, 0);"
  "INSERT INTO tiers (id, event_id, name, price, currency, capacity, max_per_order, "
  "created_at, updated_at) VALUES (1, 1, 'Stalls', 2500, 'EUR', 100, 4, 0, 0), "
  "(2, 1, 'Circle', 1500, 'EUR', 100, 4, 0, 0), (3, 1, 'Boxes', 9000, 'EUR', 10, 4, 0, 0);"
  "INSERT INTO orders (id, event_id, status, total, currency, created_at, updated_at) "
  "VALUES ('o-paid', 1, 'paid', 5000, 'EUR', 0, 0), "
  "('o-pending', 1, 'pending', 2500, 'EUR', 0, 0);"
  "INSERT INTO tickets (order_id, tier_id, code, created_at) VALUES ('o-paid', 1, 'PAID-1', 0), "
  "('o-paid', 1, 'PAID-2', 0), ('o-pending', 1, 'PENDING-1', 0);"
  "INSERT INTO accepted_orders (order_id, hold_id, event_id, owner, items, message, created_at) "
  "VALUES ('o-1-accepted', '1-accepted', 1, 'bob', '1:2', '{\"order\":1}', 0);";

/* A PostgreSQL database of its own, seeded, and its store. */
static LeapStore *
pg_store_new (char **url_out)
{
  g_autofree char *url = leap_test_pg_create_db (&pg);
  g_autoptr(GError) error = NULL;
  LeapStore *store = leap_store_open (url, &error);

  g_assert_no_error (error);
  leap_test_pg_exec (url, seed_sql);
  if (url_out != NULL)
    *url_out = g_steal_pointer (&url);
  return store;
}

/* Figures of event 1's tiers, "tier:available,…". */
static JsonArray *
figures (const char *spec)
{
  JsonArray *array = json_array_new ();
  g_auto(GStrv) pairs = g_strsplit (spec, ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (pairs[i], ":", 2);
      JsonObject *figure = json_object_new ();

      json_object_set_int_member (figure, "tier_id", g_ascii_strtoll (parts[0], NULL, 10));
      json_object_set_int_member (figure, "event_id", 1);
      json_object_set_int_member (figure, "available", g_ascii_strtoll (parts[1], NULL, 10));
      json_array_add_object_element (array, figure);
    }
  return array;
}

/* A hold of event 1: items as "tier:quantity" or "tier:quantity:price"
 * (in EUR), one each. */
static JsonObject *
hold_new (const char *hold_id,
          const char *owner,
          gint64      now_ms,
          gint64      expires_ms,
          const char *items)
{
  JsonObject *hold = json_object_new ();
  JsonArray *array = json_array_new ();
  g_auto(GStrv) lines = g_strsplit (items, ",", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto(GStrv) parts = g_strsplit (lines[i], ":", -1);
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "tier_id", g_ascii_strtoll (parts[0], NULL, 10));
      json_object_set_int_member (item, "quantity", g_ascii_strtoll (parts[1], NULL, 10));
      if (parts[2] != NULL)
        {
          json_object_set_int_member (item, "unit_price", g_ascii_strtoll (parts[2], NULL, 10));
          json_object_set_string_member (item, "currency", "EUR");
        }
      json_array_add_object_element (array, item);
    }
  json_object_set_string_member (hold, "hold_id", hold_id);
  json_object_set_int_member (hold, "event_id", 1);
  json_object_set_string_member (hold, "owner", owner);
  json_object_set_int_member (hold, "now_ms", now_ms);
  json_object_set_int_member (hold, "expires_ms", expires_ms);
  json_object_set_array_member (hold, "items", array);
  return hold;
}

static gint64
hold (LeapStore  *store,
      JsonObject *hold,
      GError    **error)
{
  gint64 since = leap_store_db_hold_create (store, hold, error);

  json_object_unref (hold);
  return since;
}

/* Notes in @log what a step answered (@value, taken), or its error. */
static void
note (JsonObject *log,
      const char *step,
      JsonNode   *value,
      GError    **error)
{
  g_assert_false (json_object_has_member (log, step));
  if (*error != NULL)
    {
      JsonObject *failure = json_object_new ();

      json_object_set_int_member (failure, "code", (*error)->code);
      json_object_set_string_member (failure, "message", (*error)->message);
      json_object_set_object_member (log, step, failure);
      g_clear_error (error);
      g_clear_pointer (&value, json_node_unref);
      return;
    }
  json_object_set_member (log, step, value);
}

static JsonNode *
int_node (gint64 value)
{
  return json_node_init_int (json_node_alloc (), value);
}

static JsonNode *
object_node (JsonObject *object)
{
  JsonNode *node = json_node_alloc ();

  if (object == NULL)
    return json_node_init_null (node);
  json_node_init_object (node, object);
  json_object_unref (object);
  return node;
}

static JsonNode *
array_node (JsonArray *array)
{
  JsonNode *node = json_node_alloc ();

  if (array == NULL)
    return json_node_init_null (node);
  json_node_init_array (node, array);
  json_array_unref (array);
  return node;
}

static int
by_hold_id (gconstpointer a,
            gconstpointer b)
{
  JsonObject *x = json_node_get_object (*(JsonNode **) a);
  JsonObject *y = json_node_get_object (*(JsonNode **) b);

  return g_strcmp0 (leap_json_get_string (x, "hold_id", ""),
                    leap_json_get_string (y, "hold_id", ""));
}

/* The holds outage_close () hands over, in a fixed order: neither store
 * promises one. */
static JsonNode *
sorted_node (JsonArray *array)
{
  g_autoptr(GPtrArray) nodes = g_ptr_array_new ();
  JsonArray *sorted;

  if (array == NULL)
    return array_node (NULL);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (nodes, json_array_get_element (array, i));
  g_ptr_array_sort (nodes, by_hold_id);
  sorted = json_array_new ();
  for (guint i = 0; i < nodes->len; i++)
    json_array_add_element (sorted, json_node_copy (nodes->pdata[i]));
  json_array_unref (array);
  return array_node (sorted);
}

/* One outage from its start to its end, with every refusal on the way,
 * a check-in at the door and the card ledger; what each step answered. */
static JsonObject *
script (LeapStore *store)
{
  JsonObject *log = json_object_new ();
  g_autoptr(JsonArray) open_figures = figures ("1:6,2:4");
  g_autoptr(JsonArray) lower_figures = figures ("2:2");
  g_autoptr(JsonArray) ledger = json_array_new ();
  g_autoptr(GError) error = NULL;
  const gint64 t = 1700000000000;
  const gint64 expires = t + 600000;
  gint64 since;

  since = leap_store_outage_open (store, t, open_figures, &error);
  note (log, "open", int_node (since), &error);
  note (log, "join", int_node (leap_store_outage_open (store, t + 5, open_figures, &error)),
        &error);
  note (log, "hold-a", int_node (hold (store, hold_new ("1-a_", "alice", t, expires,
                                                      "1:2:2500,2:1"), &error)), &error);
  note (log, "get-a", object_node (leap_store_db_hold_get (store, "1-a_", &error)), &error);
  note (log, "too-many", int_node (hold (store, hold_new ("1-b_", "alice", t, expires, "1:5"),
                                         &error)), &error);
  note (log, "hold-c", int_node (hold (store, hold_new ("1-c_", "carol", t, expires,
                                                      "1:4:2500"), &error)), &error);
  note (log, "sold-out", int_node (hold (store, hold_new ("1-d_", "dan", t, expires, "1:1"),
                                         &error)), &error);
  note (log, "no-figure", int_node (hold (store, hold_new ("1-e_", "eve", t, expires, "3:1"),
                                          &error)), &error);
  note (log, "no-tier", int_node (hold (store, hold_new ("1-f_", "eve", t, expires, "99:1"),
                                        &error)), &error);
  note (log, "lower", int_node (leap_store_outage_lower (store, since, lower_figures, &error)),
        &error);
  note (log, "lower-other", int_node (leap_store_outage_lower (store, since + 1, open_figures,
                                                               &error)), &error);
  note (log, "lowered", int_node (hold (store, hold_new ("1-g_", "gus", t, expires, "2:2"),
                                        &error)), &error);
  note (log, "end-other-owner", int_node (leap_store_db_hold_end (store, "1-a_", "mallory",
                                                                  "released", t, &error)),
        &error);
  note (log, "checkout", int_node (leap_store_db_hold_checkout (store, "1-a_", "alice", "o-1-a_",
                                                                "{\"m\":1}", t, &error)),
        &error);
  note (log, "checkout-again",
        int_node (leap_store_db_hold_checkout (store, "1-a_", "alice", "o-1-a_", "{\"m\":1}", t,
                                               &error)), &error);
  note (log, "checkout-other",
        int_node (leap_store_db_hold_checkout (store, "1-a_", "alice", "o-x", "{}", t, &error)),
        &error);
  note (log, "get-a-out", object_node (leap_store_db_hold_get (store, "1-a_", &error)), &error);
  note (log, "release-c", int_node (leap_store_db_hold_end (store, "1-c_", "carol", "released", t,
                                                            &error)), &error);
  note (log, "release-c-again", int_node (leap_store_db_hold_end (store, "1-c_", "carol",
                                                                  "released", t, &error)),
        &error);
  note (log, "hold-h", int_node (hold (store, hold_new ("1-h_", "hal", t, t + 10000, "1:3:2500"),
                                       &error)), &error);
  note (log, "end-h-late", int_node (leap_store_db_hold_end (store, "1-h_", "hal", "released",
                                                             t + 10000, &error)), &error);
  note (log, "expire", int_node (leap_store_db_holds_expire (store, t + 10000, &error)), &error);
  note (log, "get-h", object_node (leap_store_db_hold_get (store, "1-h_", &error)), &error);
  note (log, "hold-i", int_node (hold (store, hold_new ("1-i_", "ida", t + 10000, expires,
                                                      "1:4:2500"), &error)), &error);
  note (log, "sent", int_node (leap_store_outbox_mark_sent (store, "o-1-a_", t, &error)),
        &error);
  note (log, "since", int_node (leap_store_outage_since (store, &error)), &error);
  note (log, "close", sorted_node (leap_store_outage_close (store, t + 20000, &error)), &error);
  note (log, "since-closed", int_node (leap_store_outage_since (store, &error)), &error);
  note (log, "hold-closed", int_node (hold (store, hold_new ("1-j_", "jo", t, expires, "2:1"),
                                            &error)), &error);
  note (log, "end-closed", int_node (leap_store_db_hold_end (store, "1-i_", "ida", "released",
                                                             t + 20000, &error)), &error);
  note (log, "get-i", object_node (leap_store_db_hold_get (store, "1-i_", &error)), &error);
  note (log, "get-none", object_node (leap_store_db_hold_get (store, "1-none_", &error)), &error);

  /* The door. */
  note (log, "check-in", object_node (leap_store_check_in_ticket (store, "PAID-1", 1, 5000, 0,
                                                                  &error)), &error);
  note (log, "check-in-again", object_node (leap_store_check_in_ticket (store, "PAID-1", 1, 6000,
                                                                        0, &error)), &error);
  note (log, "check-in-other-door",
        object_node (leap_store_check_in_ticket (store, "PAID-2", 2, 5000, 0, &error)), &error);
  note (log, "check-in-any-door",
        object_node (leap_store_check_in_ticket (store, "PAID-2", 0, 5000, 0, &error)), &error);
  note (log, "check-in-unpaid",
        object_node (leap_store_check_in_ticket (store, "PENDING-1", 1, 5000, 0, &error)),
        &error);
  note (log, "check-in-unknown",
        object_node (leap_store_check_in_ticket (store, "NOPE", 1, 5000, 0, &error)), &error);

  /* The card terminal's ledger: the first request for a key decides. */
  for (guint i = 0; i < 3; i++)
    {
      JsonObject *entry = json_object_new ();

      json_object_set_string_member (entry, "key", i < 2 ? "o-1" : "o-2");
      json_object_set_string_member (entry, "kind", "charge");
      json_object_set_int_member (entry, "amount", 5000 + i);
      json_object_set_string_member (entry, "currency", "EUR");
      json_object_set_string_member (entry, "result", i == 1 ? "declined" : "approved");
      json_array_add_object_element (ledger, entry);
    }
  note (log, "ledger", array_node (leap_store_card_ledger_record_many (store, ledger, &error)),
        &error);
  note (log, "ledger-again",
        array_node (leap_store_card_ledger_record_many (store, ledger, &error)), &error);
  return log;
}

/* "step: what it answered". */
static char *
step_text (JsonObject *log,
           const char *step)
{
  g_autofree char *text = leap_json_to_string (json_object_get_member (log, step));

  return g_strconcat (step, ": ", text, NULL);
}

/* Both stores answer every step alike. */
static void
test_same_json (void)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "outage.db", NULL);
  g_autofree char *sqlite_url = g_strconcat ("sqlite:", path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) sqlite_store = leap_store_open (sqlite_url, &error);
  g_autoptr(LeapStore) pg_store = NULL;
  g_autoptr(JsonObject) sqlite_log = NULL;
  g_autoptr(JsonObject) pg_log = NULL;
  g_autoptr(GList) steps = NULL;
  g_autofree char *pg_url = NULL;
  g_autofree char *audits = NULL;
  sqlite3 *db = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, seed_sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  pg_store = pg_store_new (&pg_url);

  sqlite_log = script (sqlite_store);
  pg_log = script (pg_store);
  /* Step by step, so that a difference names its step. */
  steps = json_object_get_members (sqlite_log);
  for (GList *l = steps; l != NULL; l = l->next)
    {
      g_autofree char *sqlite_text = step_text (sqlite_log, l->data);
      g_autofree char *pg_text = step_text (pg_log, l->data);

      g_assert_cmpstr (pg_text, ==, sqlite_text);
    }
  g_assert_cmpuint (json_object_get_size (pg_log), ==, g_list_length (steps));

  /* Not vacuous: the script sold, refused and admitted. */
  g_assert_cmpint (json_object_get_int_member (sqlite_log, "hold-i"), ==, 1700000000000);
  g_assert_true (json_object_has_member (json_object_get_object_member (sqlite_log, "sold-out"),
                                         "code"));
  g_assert_true (json_object_get_boolean_member (
      json_object_get_object_member (sqlite_log, "check-in"), "admitted"));
  audits = leap_test_pg_query (pg_url, "SELECT count (*) FROM audit_log "
                                       "WHERE action = 'check_in'");
  g_assert_cmpstr (audits, ==, "2");
  leap_test_rmdir (dir);
}

/* Threads, each with a store (a connection) of its own, start together. */
typedef struct
{
  LeapStore *store;
  guint      index;
  gint      *waiting;   /* threads not yet at the start */
  gint64     now_ms;
  gint64     expires_ms;
  gint       ends;      /* the LEAP_ERROR that ends the holds */
  gint       made;      /* holds made, tickets admitted */
  GPtrArray *hold_ids;  /* the holds made, when not NULL */
} Worker;

static void
worker_start (Worker *w)
{
  g_atomic_int_add (w->waiting, -1);
  while (g_atomic_int_get (w->waiting) > 0)
    g_thread_yield ();
}

/* Holds one ticket of tiers 1 and 2 at a time (in either order, so that
 * a store that locked tiers as listed would deadlock) until refused: sold
 * out, or what w->ends says. */
static gpointer
hold_worker (gpointer data)
{
  Worker *w = data;

  worker_start (w);
  for (guint n = 0;; n++)
    {
      /* Far more than the tests sell: overselling, not sold out. */
      g_assert_cmpuint (n, <, 1000);
      g_autofree char *hold_id = g_strdup_printf ("1-w%u-%u-%" G_GINT64_FORMAT "_", w->index, n,
                                                  w->now_ms);
      g_autoptr(GError) error = NULL;

      if (hold (w->store, hold_new (hold_id, "crowd", w->now_ms, w->expires_ms,
                                    w->index % 2 ? "1:1,2:1" : "2:1,1:1"), &error) == 0)
        {
          gint ends = w->ends != 0 ? w->ends : LEAP_ERROR_SOLD_OUT;

          g_assert_error (error, LEAP_ERROR, ends);
          return NULL;
        }
      if (w->hold_ids != NULL)
        g_ptr_array_add (w->hold_ids, g_steal_pointer (&hold_id));
      g_atomic_int_inc (&w->made);
    }
}

#define N_WORKERS 4

static void
start_workers (Worker      *workers,
               GThreadFunc  func,
               GThread    **threads,
               gint        *waiting)
{
  *waiting = N_WORKERS;
  for (guint i = 0; i < N_WORKERS; i++)
    {
      workers[i].waiting = waiting;
      workers[i].made = 0;
      threads[i] = g_thread_new ("worker", func, &workers[i]);
    }
}

/* What the workers made in all. */
static guint
join_workers (Worker   *workers,
              GThread **threads)
{
  guint made = 0;

  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_thread_join (threads[i]);
      made += workers[i].made;
    }
  return made;
}

static guint
run_workers (Worker      *workers,
             GThreadFunc  func)
{
  GThread *threads[N_WORKERS];
  gint waiting;

  start_workers (workers, func, threads, &waiting);
  return join_workers (workers, threads);
}

/* A store for each worker, holding at @t for a minute. */
static void
workers_init (Worker     *workers,
              const char *url,
              gint64      t)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < N_WORKERS; i++)
    {
      workers[i].store = leap_store_open (url, &error);
      g_assert_no_error (error);
      workers[i].index = i;
      workers[i].now_ms = t;
      workers[i].expires_ms = t + 60000;
    }
}

static void
workers_clear (Worker *workers)
{
  for (guint i = 0; i < N_WORKERS; i++)
    {
      g_clear_object (&workers[i].store);
      g_clear_pointer (&workers[i].hold_ids, g_ptr_array_unref);
    }
}

/* Four stores make holds at once from 30 seats a tier: exactly 30, and
 * the database counts 30 tickets a tier. When they expire, by time or by
 * the timer, their seats are sold again. */
static void
test_concurrent_holds (void)
{
  g_autofree char *url = NULL;
  g_autoptr(LeapStore) store = pg_store_new (&url);
  g_autoptr(JsonArray) thirty = figures ("1:30,2:30");
  g_autoptr(JsonArray) holds = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *held = NULL;
  Worker workers[N_WORKERS] = { 0 };
  const gint64 t = 1700000000000;

  g_assert_cmpint (leap_store_outage_open (store, t, thirty, &error), ==, t);
  g_assert_no_error (error);
  workers_init (workers, url, t);
  g_assert_cmpuint (run_workers (workers, hold_worker), ==, 30);
  held = leap_test_pg_query (url, "SELECT string_agg (n::text, ',' ORDER BY tier_id) FROM "
                                  "(SELECT tier_id, sum (quantity) AS n FROM hold_items "
                                  "GROUP BY tier_id) s");
  g_assert_cmpstr (held, ==, "30,30");

  /* Expired by their time before the timer marks them: sold again. */
  for (guint i = 0; i < N_WORKERS; i++)
    {
      workers[i].now_ms = t + 60000;
      workers[i].expires_ms = t + 120000;
    }
  g_assert_cmpuint (run_workers (workers, hold_worker), ==, 30);
  /* The timer marks the first 30, and the next 30 are all that is live
   * (with the seed's order that Redis accepted). */
  g_assert_cmpint (leap_store_db_holds_expire (store, t + 60000, &error), ==, 30);
  g_assert_no_error (error);
  holds = leap_store_outage_close (store, t + 60000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (holds), ==, 31);
  for (guint i = 0; i < json_array_get_length (holds); i++)
    {
      JsonObject *held = json_array_get_object_element (holds, i);

      if (g_str_equal (leap_json_get_string (held, "status", ""), "held"))
        g_assert_cmpint (leap_json_get_int (held, "expires_ms", 0), ==, t + 120000);
    }
  workers_clear (workers);
}

static gboolean
made_some (gpointer data)
{
  Worker *workers = data;
  gint made = 0;

  for (guint i = 0; i < N_WORKERS; i++)
    made += g_atomic_int_get (&workers[i].made);
  return made >= 20;
}

/* The outage ends while four stores are making holds: every hold made is
 * handed over (a hold the end did not wait for would be lost with its
 * seats sold twice), and the holds after it are refused. */
static void
test_close_race (void)
{
  g_autofree char *url = NULL;
  g_autoptr(LeapStore) store = pg_store_new (&url);
  g_autoptr(JsonArray) plenty = figures ("1:100000,2:100000");
  g_autoptr(JsonArray) holds = NULL;
  g_autoptr(GHashTable) handed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  Worker workers[N_WORKERS] = { 0 };
  GThread *threads[N_WORKERS];
  const gint64 t = 1700000000000;
  gint waiting;

  g_assert_cmpint (leap_store_outage_open (store, t, plenty, &error), ==, t);
  g_assert_no_error (error);
  workers_init (workers, url, t);
  for (guint i = 0; i < N_WORKERS; i++)
    {
      workers[i].ends = LEAP_ERROR_UNAVAILABLE;
      workers[i].hold_ids = g_ptr_array_new_with_free_func (g_free);
    }
  start_workers (workers, hold_worker, threads, &waiting);
  g_assert_true (leap_test_wait_until (made_some, workers, 30000));
  holds = leap_store_outage_close (store, t, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (join_workers (workers, threads), >=, 20);

  for (guint i = 0; i < json_array_get_length (holds); i++)
    g_hash_table_add (handed, (gpointer) leap_json_get_string (
                                  json_array_get_object_element (holds, i), "hold_id", ""));
  for (guint i = 0; i < N_WORKERS; i++)
    for (guint j = 0; j < workers[i].hold_ids->len; j++)
      if (!g_hash_table_contains (handed, workers[i].hold_ids->pdata[j]))
        g_error ("Hold %s was made but not handed over", (char *) workers[i].hold_ids->pdata[j]);
  workers_clear (workers);
}

/* One call of a store in a thread of its own. */
typedef struct
{
  LeapStore *store;
  gint64     result;
  JsonArray *holds;
  GError    *error;
  gint       done;
} Call;

static gpointer
hold_call (gpointer data)
{
  Call *c = data;

  c->result = hold (c->store, hold_new ("1-late_", "late", 1700000000000, 1700000060000, "1:1"),
                    &c->error);
  g_atomic_int_set (&c->done, 1);
  return NULL;
}

static gpointer
release_call (gpointer data)
{
  Call *c = data;

  c->result = leap_store_db_hold_end (c->store, "1-gone_", "gone", "released", 1700000000000,
                                      &c->error);
  g_atomic_int_set (&c->done, 1);
  return NULL;
}

static gpointer
close_call (gpointer data)
{
  Call *c = data;

  c->holds = leap_store_outage_close (c->store, 1700000000000, &c->error);
  g_atomic_int_set (&c->done, 1);
  return NULL;
}

typedef struct
{
  const char *url;
  const char *statement; /* the start of one */
  Call       *call;      /* or this call is over */
} Waiting;

/* Whether a connection waits for a lock in @statement, or the call ended. */
static gboolean
waits_for_lock (gpointer data)
{
  Waiting *w = data;
  g_autofree char *sql = g_strdup_printf ("SELECT count (*) FROM pg_stat_activity "
                                          "WHERE wait_event_type = 'Lock' "
                                          "AND query LIKE '%s%%'", w->statement);
  g_autofree char *count = NULL;

  if (w->call != NULL && g_atomic_int_get (&w->call->done))
    return TRUE;
  count = leap_test_pg_query (w->url, sql);
  return !g_str_equal (count, "0");
}

static void
pg_run (PGconn     *conn,
        const char *sql)
{
  PGresult *result = PQexec (conn, sql);
  ExecStatusType status = PQresultStatus (result);

  g_assert_true (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK);
  PQclear (result);
}

/* Ends the outage (opened at 1700000000000) while @func, run with @call on
 * a store of its own, is held up where it waits for @block (a transaction
 * of another connection), in @statement; then an outage opens again at
 * once if the end did not wait. The holds the end handed over. */
static JsonArray *
close_during (const char  *url,
              LeapStore   *store,
              const char  *block,
              GThreadFunc  func,
              Call        *call,
              const char  *statement)
{
  g_autoptr(JsonArray) again = figures ("1:1000");
  g_autoptr(GError) error = NULL;
  Call closed = { 0 };
  Waiting at_block = { url, statement, NULL };
  Waiting at_end = { url, "LOCK TABLE redis_outage", &closed };
  PGconn *blocker = PQconnectdb (url);
  GThread *thread, *close_thread;

  call->store = leap_store_open (url, &error);
  g_assert_no_error (error);
  closed.store = leap_store_open (url, &error);
  g_assert_no_error (error);
  g_assert_cmpint (PQstatus (blocker), ==, CONNECTION_OK);
  pg_run (blocker, block);

  thread = g_thread_new ("call", func, call);
  g_assert_true (leap_test_wait_until (waits_for_lock, &at_block, 30000));
  close_thread = g_thread_new ("close", close_call, &closed);
  g_assert_true (leap_test_wait_until (waits_for_lock, &at_end, 30000));
  if (g_atomic_int_get (&closed.done))
    {
      g_assert_cmpint (leap_store_outage_open (store, 1700000000001, again, &error), !=, 0);
      g_assert_no_error (error);
    }

  pg_run (blocker, "COMMIT");
  PQfinish (blocker);
  g_thread_join (thread);
  g_thread_join (close_thread);
  g_assert_no_error (closed.error);
  g_clear_object (&call->store);
  g_object_unref (closed.store);
  return closed.holds;
}

/* A store of its own database, in an outage opened at 1700000000000. */
static LeapStore *
outage_store_new (char **url)
{
  g_autoptr(JsonArray) plenty = figures ("1:1000");
  g_autoptr(GError) error = NULL;
  LeapStore *store = pg_store_new (url);

  g_assert_cmpint (leap_store_outage_open (store, 1700000000000, plenty, &error), ==,
                   1700000000000);
  g_assert_no_error (error);
  return store;
}

/* The status @hold_id is handed over with, or NULL. */
static const char *
handed_status (JsonArray  *holds,
               const char *hold_id)
{
  for (guint i = 0; i < json_array_get_length (holds); i++)
    {
      JsonObject *hold = json_array_get_object_element (holds, i);

      if (g_str_equal (leap_json_get_string (hold, "hold_id", ""), hold_id))
        return leap_json_get_string (hold, "status", "");
    }
  return NULL;
}

/* A hold that has read the outage's row is slowed down (at the lease
 * fence, which another connection locks) while the outage ends: the end
 * waits for it and hands it over. Had the end not waited, the hold would
 * go on into the next outage under the old one's name, and nobody would
 * hand it over. */
static void
test_close_waits (void)
{
  g_autofree char *url = NULL;
  g_autoptr(LeapStore) store = outage_store_new (&url);
  g_autoptr(JsonArray) holds = NULL;
  Call held = { 0 };

  holds = close_during (url, store, "BEGIN; LOCK TABLE redis_leases IN EXCLUSIVE MODE",
                        hold_call, &held, "LOCK TABLE redis_leases");
  /* Made in the outage that was open, and handed over when it ended. */
  g_assert_no_error (held.error);
  g_assert_cmpint (held.result, ==, 1700000000000);
  g_assert_cmpstr (handed_status (holds, "1-late_"), ==, "held");
}

/* The same for a client's release, held up at the hold's row: the end
 * waits for it, and does not hand over as held a hold the client was told
 * is released. */
static void
test_release_waits (void)
{
  g_autofree char *url = NULL;
  g_autoptr(LeapStore) store = outage_store_new (&url);
  g_autoptr(JsonArray) holds = NULL;
  g_autoptr(GError) error = NULL;
  Call released = { 0 };

  g_assert_cmpint (hold (store, hold_new ("1-gone_", "gone", 1700000000000, 1700000060000, "1:1"),
                         &error), ==, 1700000000000);
  g_assert_no_error (error);
  holds = close_during (url, store,
                        "BEGIN; SELECT 1 FROM holds WHERE id = '1-gone_' FOR UPDATE",
                        release_call, &released, "UPDATE holds");
  g_assert_no_error (released.error);
  g_assert_cmpint (released.result, ==, TRUE);
  g_assert_null (handed_status (holds, "1-gone_"));
}

/* Every door checks in the same 20 tickets, one after another, at once. */
static gpointer
door_worker (gpointer data)
{
  Worker *w = data;

  worker_start (w);
  for (guint n = 0; n < 20; n++)
    {
      g_autofree char *code = g_strdup_printf ("RACE-%u", n);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) ticket = leap_store_check_in_ticket (w->store, code, 1, 5000, 0,
                                                                 &error);

      g_assert_no_error (error);
      if (json_object_get_boolean_member (ticket, "admitted"))
        w->made++;
      else
        /* what core answers already_checked_in */
        g_assert_false (json_object_get_null_member (ticket, "checked_in_at"));
    }
  return NULL;
}

static void
test_check_in_race (void)
{
  g_autofree char *url = NULL;
  g_autofree char *audits = NULL;
  Worker workers[N_WORKERS] = { 0 };

  /* The database, migrated and seeded; the doors have stores of their own. */
  g_object_unref (pg_store_new (&url));
  leap_test_pg_exec (url, "INSERT INTO tickets (order_id, tier_id, code, created_at) "
                          "SELECT 'o-paid', 1, 'RACE-' || n, 0 FROM generate_series (0, 19) n");
  workers_init (workers, url, 0);
  g_assert_cmpuint (run_workers (workers, door_worker), ==, 20);
  audits = leap_test_pg_query (url, "SELECT count (*) FROM audit_log WHERE action = 'check_in'");
  g_assert_cmpstr (audits, ==, "20");
  workers_clear (workers);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&pg);
  g_test_add_func ("/leap/pg-outage/same-json", test_same_json);
  g_test_add_func ("/leap/pg-outage/concurrent-holds", test_concurrent_holds);
  g_test_add_func ("/leap/pg-outage/close-race", test_close_race);
  g_test_add_func ("/leap/pg-outage/close-waits", test_close_waits);
  g_test_add_func ("/leap/pg-outage/release-waits", test_release_waits);
  g_test_add_func ("/leap/pg-outage/check-in-race", test_check_in_race);
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  return status;
}
