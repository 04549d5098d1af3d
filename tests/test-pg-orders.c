/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Orders and refunds in PostgreSQL (issue 17): written once however many
 * workers write them at once, a batch whose bad order is undone alone,
 * refunds that never pay back more than was paid, and the same JSON as
 * SQLite. Each test has a database of its own on one server. */
#include "leap-test-pg.h"
#include "leap-test-util.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-order-code.h"
#include "leap-store.h"

#include <sqlite3.h>

static LeapTestPg pg;

/* The same catalogue in either store: tiers 1 and 3 with room, tier 2
 * with 3 seats. */
static const char seed[] =
  "INSERT INTO venues (id, name, created_at, updated_at) VALUES (1, 'Hall', 0, 0);"
  "INSERT INTO events (id, venue_id, name, starts_at, created_at, updated_at) "
  "VALUES (1, 1, 'Show', 2000000000, 0, 0);"
  "INSERT INTO tiers (id, event_id, name, price, currency, capacity, created_at, updated_at) "
  "VALUES (1, 1, 'Stalls', 2500, 'EUR', 100, 0, 0), (2, 1, 'Box', 9000, 'EUR', 3, 0, 0), "
  "(3, 1, 'Circle', 4000, 'EUR', 100, 0, 0);";

typedef struct
{
  char      *url;
  LeapStore *store;
} Fixture;

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->url = leap_test_pg_create_db (&pg);
  f->store = leap_store_open (f->url, &error);
  g_assert_no_error (error);
  leap_test_pg_exec (f->url, seed);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->store);
  g_clear_pointer (&f->url, g_free);
}

static gint64
pg_int (Fixture    *f,
        const char *sql)
{
  g_autofree char *value = leap_test_pg_query (f->url, sql);

  return g_ascii_strtoll (value, NULL, 10);
}

static JsonObject *
object_from (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

/* A paid order of @quantity tickets of @tier, as a worker writes it. */
static JsonObject *
paid_order (const char *order_id,
            gint64      tier,
            guint       quantity)
{
  g_autoptr(GString) tickets = g_string_new (NULL);
  g_autofree char *text = NULL;
  gint64 price = tier == 1 ? 2500 : tier == 3 ? 4000 : 9000;

  for (guint i = 0; i < quantity; i++)
    g_string_append_printf (tickets, "%s{\"code\": \"%s-t%u\", \"tier_id\": %" G_GINT64_FORMAT "}",
                            i > 0 ? ", " : "", order_id, i, tier);
  text = g_strdup_printf ("{\"order_id\": \"%s\", \"hold_id\": \"h-%s\", \"event_id\": 1, "
                          "\"status\": \"paid\", \"total\": %" G_GINT64_FORMAT ", "
                          "\"currency\": \"EUR\", \"customer_name\": \"Ada \\\"A\\\" \\\\ B\", "
                          "\"owner\": \"owner-hash\", \"lines\": [{\"tier_id\": %" G_GINT64_FORMAT
                          ", \"quantity\": %u, \"unit_price\": %" G_GINT64_FORMAT
                          ", \"currency\": \"EUR\"}], \"tickets\": [%s], "
                          "\"payment\": {\"method\": \"cash\", \"status\": \"approved\", "
                          "\"amount\": %" G_GINT64_FORMAT ", \"currency\": \"EUR\", "
                          "\"tendered\": 50000, \"change\": %" G_GINT64_FORMAT ", "
                          "\"provider_ref\": \"ref-%s\"}}",
                          order_id, order_id, price * quantity, tier, quantity, price,
                          tickets->str, price * quantity, 50000 - price * quantity, order_id);
  return object_from (text);
}

static JsonArray *
array_of (JsonObject *first,
          ...)
{
  JsonArray *array = json_array_new ();
  va_list args;

  va_start (args, first);
  for (JsonObject *o = first; o != NULL; o = va_arg (args, JsonObject *))
    json_array_add_object_element (array, o);
  va_end (args);
  return array;
}

static const char *
result_status (JsonArray *results,
               guint      i)
{
  return leap_json_get_string (json_array_get_object_element (results, i), "status", NULL);
}

/* The same order twice: one row of each kind, sold raised once. */
static void
test_twice (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(JsonObject) order = paid_order ("o-1-A", 1, 3);
      g_autoptr(JsonObject) stored = leap_store_write_order (f->store, order, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (leap_json_get_string (stored, "order_id", NULL), ==, "o-1-A");
      g_assert_cmpstr (leap_json_get_string (stored, "status", NULL), ==, "paid");
    }
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders"), ==, 1);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_lines"), ==, 1);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments"), ==, 1);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_codes"), ==, 1);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM audit_log WHERE action = 'checkout'"), ==, 1);
}

/* Two stores, each in a thread of its own, given the go at once. */
typedef struct
{
  const char *url;
  JsonArray  *orders;   /* to write, in batches of five */
  JsonObject *refund;   /* or this to begin */
  gint64      complete; /* or this refund to complete */
  JsonArray  *results;  /* what each batch answered, flattened */
  JsonObject *answer;
  GError     *error;
} Writer;

static GMutex gate_lock;
static GCond gate_cond;
static guint gate_waiting;

static void
gate_pass (guint n)
{
  g_mutex_lock (&gate_lock);
  gate_waiting++;
  g_cond_broadcast (&gate_cond);
  while (gate_waiting < n)
    g_cond_wait (&gate_cond, &gate_lock);
  g_mutex_unlock (&gate_lock);
}

static gpointer
writer_run (gpointer data)
{
  Writer *w = data;
  g_autoptr(LeapStore) store = leap_store_open (w->url, &w->error);

  gate_pass (2);
  if (store == NULL)
    return NULL;
  if (w->refund != NULL)
    w->answer = leap_store_begin_refund (store, w->refund, &w->error);
  else if (w->complete != 0)
    w->answer = leap_store_complete_refund (store, w->complete, "ref", &w->error);
  else
    {
      w->results = json_array_new ();
      for (guint i = 0; i < json_array_get_length (w->orders); i += 5)
        {
          g_autoptr(JsonArray) batch = json_array_new ();
          g_autoptr(JsonArray) results = NULL;

          for (guint j = i; j < MIN (i + 5, json_array_get_length (w->orders)); j++)
            json_array_add_element (batch, json_array_dup_element (w->orders, j));
          results = leap_store_write_orders (store, batch, &w->error);
          if (results == NULL)
            return NULL;
          for (guint j = 0; j < json_array_get_length (results); j++)
            json_array_add_element (w->results, json_array_dup_element (results, j));
        }
    }
  return NULL;
}

static void
writer_clear (Writer *w)
{
  g_clear_pointer (&w->orders, json_array_unref);
  g_clear_pointer (&w->refund, json_object_unref);
  g_clear_pointer (&w->results, json_array_unref);
  g_clear_pointer (&w->answer, json_object_unref);
  g_clear_error (&w->error);
}

/* Runs both writers at once and waits for both. */
static void
run_writers (Writer *a,
             Writer *b)
{
  GThread *ta, *tb;

  gate_waiting = 0;
  ta = g_thread_new ("writer-a", writer_run, a);
  tb = g_thread_new ("writer-b", writer_run, b);
  g_thread_join (ta);
  g_thread_join (tb);
}

/* Two workers on two connections write the same twenty orders at once,
 * one from the first and one from the last, and a third time after them:
 * each order is stored once and sold raised once, and every writer is
 * answered paid. */
static void
test_concurrent (Fixture *f, gconstpointer data)
{
  Writer a = { f->url, json_array_new () }, b = { f->url, json_array_new () };
  g_autoptr(JsonArray) again = json_array_new ();
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 20; i++)
    {
      g_autofree char *id = g_strdup_printf ("o-1-%02u", i);
      g_autofree char *back = g_strdup_printf ("o-1-%02u", 19 - i);

      json_array_add_object_element (a.orders, paid_order (id, 1, 2));
      /* b from the last to the first */
      json_array_add_object_element (b.orders, paid_order (back, 1, 2));
      json_array_add_object_element (again, paid_order (id, 1, 2));
    }
  run_writers (&a, &b);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);
  results = leap_store_write_orders (f->store, again, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < 20; i++)
    {
      g_assert_cmpstr (result_status (a.results, i), ==, "paid");
      g_assert_cmpstr (result_status (b.results, i), ==, "paid");
      g_assert_cmpstr (result_status (results, i), ==, "paid");
    }

  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders"), ==, 20);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_lines"), ==, 20);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets"), ==, 40);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments"), ==, 20);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_codes"), ==, 20);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 40);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM audit_log WHERE action = 'checkout'"), ==, 20);
  writer_clear (&a);
  writer_clear (&b);
}

/* Two workers write different orders of one event at once, whose tiers
 * come in opposite orders: a batch takes its tiers' locks before its
 * first order, in one order, so neither waits for the other while
 * holding a tier the other needs. Nothing deadlocks; every order is
 * written the first time. */
static void
test_tiers_crossed (Fixture *f, gconstpointer data)
{
  for (guint round = 0; round < 3; round++)
    {
      Writer a = { f->url, json_array_new () }, b = { f->url, json_array_new () };

      for (guint i = 0; i < 10; i++)
        {
          g_autofree char *one = g_strdup_printf ("o-1-a%u-%02u", round, i);
          g_autofree char *two = g_strdup_printf ("o-1-b%u-%02u", round, i);

          json_array_add_object_element (a.orders, paid_order (one, i % 2 ? 3 : 1, 1));
          json_array_add_object_element (b.orders, paid_order (two, i % 2 ? 1 : 3, 1));
        }
      run_writers (&a, &b);
      g_assert_no_error (a.error);
      g_assert_no_error (b.error);
      for (guint i = 0; i < 10; i++)
        {
          g_assert_cmpstr (result_status (a.results, i), ==, "paid");
          g_assert_cmpstr (result_status (b.results, i), ==, "paid");
        }
      writer_clear (&a);
      writer_clear (&b);
    }
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 30);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 3"), ==, 30);
}

/* Orders written together share a commit but not their fate: one that
 * names a tier of no event, and one that would sell past a tier's
 * capacity, are undone alone; writing the batch again changes nothing. */
static void
test_batch (Fixture *f, gconstpointer data)
{
  g_autoptr(JsonArray) orders = array_of (paid_order ("o-1-A", 1, 1),
                                          paid_order ("o-1-B", 999999, 1),
                                          paid_order ("o-1-C", 2, 2), paid_order ("o-1-D", 2, 2),
                                          paid_order ("o-1-E", 1, 1), NULL);
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(JsonArray) again = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) why = NULL;
  g_autoptr(JsonObject) stored = NULL;

  results = leap_store_write_orders (f->store, orders, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, 5);
  g_assert_cmpstr (result_status (results, 0), ==, "paid");
  stored = leap_store_batch_result (results, 1, &why);
  g_assert_null (stored);
  g_assert_error (why, LEAP_ERROR, LEAP_ERROR_CONFLICT);
  g_clear_error (&why);
  g_assert_cmpstr (result_status (results, 2), ==, "paid");
  stored = leap_store_batch_result (results, 3, &why);
  g_assert_null (stored);
  g_assert_error (why, LEAP_ERROR, LEAP_ERROR_CONFLICT);
  g_assert_cmpstr (result_status (results, 4), ==, "paid");

  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders WHERE id IN ('o-1-B', 'o-1-D')"), ==, 0);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets"), ==, 4);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_lines"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 2);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 2"), ==, 2);

  again = leap_store_write_orders (f->store, orders, &error);
  g_assert_no_error (error);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 2);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 2"), ==, 2);
}

/* The queries that @count orders take: their intents (found
 * @begun_status),
 * then their payments, each batch through the store at once. */
static guint64
queries_for (Fixture    *f,
             guint       first,
             guint       count,
             const char *begun_status)
{
  g_autoptr(JsonArray) orders = json_array_new ();
  g_autoptr(JsonArray) begun = NULL;
  g_autoptr(JsonArray) written = NULL;
  g_autoptr(GError) error = NULL;
  guint64 before = leap_store_get_query_count (f->store);

  for (guint i = first; i < first + count; i++)
    {
      g_autofree char *id = g_strdup_printf ("o-1-N%u", i);

      json_array_add_object_element (orders, paid_order (id, i % 2 == 0 ? 1 : 3, 1 + i % 3));
    }
  begun = leap_store_begin_orders (f->store, orders, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < count; i++)
    g_assert_cmpstr (result_status (begun, i), ==, begun_status);
  written = leap_store_write_orders (f->store, orders, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < count; i++)
    g_assert_cmpstr (result_status (written, i), ==, "paid");
  return leap_store_get_query_count (f->store) - before;
}

/* A batch of orders takes the same number of statements however many
 * orders it holds (round trips are most of a checkout's time), and
 * stores what order by order would. */
static void
test_set_based (Fixture *f, gconstpointer data)
{
  guint64 two = queries_for (f, 0, 2, "pending");
  guint64 twelve = queries_for (f, 2, 12, "pending");

  g_assert_cmpuint (twelve, ==, two);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders WHERE status = 'paid'"), ==, 14);
  /* Tier 1: orders 0, 2, …, 12 of 1 + i % 3 tickets; tier 3: the others. */
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 13);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 3"), ==, 14);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets"), ==, 27);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_lines"), ==, 14);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM order_codes"), ==, 14);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM audit_log WHERE action = 'checkout'"), ==,
                   14);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments WHERE status = 'approved' "
                              "AND tendered = 50000 AND provider_ref = 'ref-' || order_id"),
                   ==, 14);
  /* Again: all there, nothing changes, in no more statements. */
  g_assert_cmpuint (queries_for (f, 2, 12, "paid"), <=, two);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 13);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments"), ==, 14);
}

/* The queries that recording @count charges of the card terminal takes,
 * the last with the first one's key when @twice. */
static guint64
ledger_queries (Fixture  *f,
                guint     count,
                gboolean  twice)
{
  g_autoptr(JsonArray) entries = json_array_new ();
  g_autoptr(JsonArray) results = NULL;
  g_autoptr(GError) error = NULL;
  guint64 before = leap_store_get_query_count (f->store);

  for (guint i = 0; i < count; i++)
    {
      g_autofree char *key = g_strdup_printf ("o-1-L%u-%u", count, twice && i == count - 1 ? 0 : i);
      g_autofree char *text = g_strdup_printf ("{\"key\": \"%s\", \"kind\": \"charge\", "
                                               "\"amount\": %u, \"currency\": \"EUR\", "
                                               "\"result\": \"approved\"}", key, 100 + i);

      json_array_add_object_element (entries, object_from (text));
    }
  results = leap_store_card_ledger_record_many (f->store, entries, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (results), ==, count);
  for (guint i = 0; i < count; i++)
    {
      JsonObject *result = json_array_get_object_element (results, i);

      g_assert_cmpint (leap_json_get_int (result, "amount", 0), ==,
                       twice && i == count - 1 ? 100 : 100 + i);
      g_assert_cmpint (leap_json_get_int (result, "requests", 0), ==,
                       twice && (i == 0 || i == count - 1) ? 1 + (i > 0) : 1);
    }
  return leap_store_get_query_count (f->store) - before;
}

/* The card terminal records a batch of charges in as many statements
 * however many it holds; a key twice in one is counted twice. */
static void
test_ledger_set_based (Fixture *f, gconstpointer data)
{
  g_assert_cmpuint (ledger_queries (f, 12, FALSE), ==, ledger_queries (f, 2, FALSE));
  ledger_queries (f, 3, TRUE);
}

static JsonObject *
refund_of (const char *order_id,
           guint       quantity)
{
  g_autofree char *text = g_strdup_printf ("{\"order_id\": \"%s\", \"amount\": %u, "
                                           "\"currency\": \"EUR\", \"method\": \"cash\", "
                                           "\"reason\": \"ill\", \"lines\": [{\"tier_id\": 1, "
                                           "\"quantity\": %u}]}",
                                           order_id, quantity * 2500, quantity);

  return object_from (text);
}

/* Two stores refund the same order at once: three of its four tickets
 * each. One refund is made, the other finds one ticket left; then two
 * refunds of two tickets each both go through, each with tickets of its
 * own, and their completions at once leave the order refunded. Never more
 * is paid back than was paid. */
static void
test_refunds (Fixture *f, gconstpointer data)
{
  Writer a = { f->url }, b = { f->url };
  g_autoptr(JsonObject) one = paid_order ("o-1-A", 1, 4);
  g_autoptr(JsonObject) two = paid_order ("o-1-B", 1, 4);
  g_autoptr(JsonObject) stored = NULL;
  g_autoptr(GError) error = NULL;
  Writer *made, *refused;

  g_assert_nonnull ((stored = leap_store_write_order (f->store, one, &error)));
  g_clear_pointer (&stored, json_object_unref);
  g_assert_nonnull ((stored = leap_store_write_order (f->store, two, &error)));
  g_assert_no_error (error);
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 8);

  a.refund = refund_of ("o-1-A", 3);
  b.refund = refund_of ("o-1-A", 3);
  run_writers (&a, &b);
  g_assert_true ((a.answer == NULL) != (b.answer == NULL));
  made = a.answer != NULL ? &a : &b;
  refused = a.answer != NULL ? &b : &a;
  g_assert_no_error (made->error);
  g_assert_error (refused->error, LEAP_ERROR, LEAP_ERROR_INVALID);
  g_assert_cmpstr (refused->error->message, ==, "Only 1 tickets of tier 1 can be refunded");
  g_assert_cmpint (leap_json_get_int (made->answer, "seq", 0), ==, 1);
  g_assert_cmpstr (leap_json_get_string (made->answer, "refund_key", NULL), ==, "o-1-A:r1");
  g_assert_cmpstr (leap_json_get_string (made->answer, "items", NULL), ==, "1:3");
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets WHERE order_id = 'o-1-A' "
                              "AND status = 'voided'"), ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM refunds"), ==, 1);
  writer_clear (&a);
  writer_clear (&b);

  a.refund = refund_of ("o-1-B", 2);
  b.refund = refund_of ("o-1-B", 2);
  run_writers (&a, &b);
  g_assert_no_error (a.error);
  g_assert_no_error (b.error);
  g_assert_cmpint (leap_json_get_int (a.answer, "seq", 0) + leap_json_get_int (b.answer, "seq", 0),
                   ==, 3);
  g_assert_cmpint (pg_int (f, "SELECT count(DISTINCT refund_id) FROM tickets "
                              "WHERE order_id = 'o-1-B' AND status = 'voided'"), ==, 2);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM tickets WHERE order_id = 'o-1-B' "
                              "AND status = 'valid'"), ==, 0);
  g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders o WHERE (SELECT sum(amount) "
                              "FROM refunds r WHERE r.order_id = o.id) > o.total"), ==, 0);
  {
    gint64 first = leap_json_get_int (a.answer, "refund_id", 0);
    gint64 second = leap_json_get_int (b.answer, "refund_id", 0);

    writer_clear (&a);
    writer_clear (&b);
    a.complete = first;
    b.complete = second;
    run_writers (&a, &b);
    g_assert_no_error (a.error);
    g_assert_no_error (b.error);
    g_assert_cmpint (pg_int (f, "SELECT count(*) FROM orders WHERE id = 'o-1-B' "
                                "AND status = 'refunded'"), ==, 1);
    writer_clear (&a);
    writer_clear (&b);

    /* The same completion twice at once pays back once. */
    a.complete = first;
    b.complete = first;
    run_writers (&a, &b);
    g_assert_no_error (a.error);
    g_assert_no_error (b.error);
    g_assert_cmpint (pg_int (f, "SELECT count(*) FROM payments WHERE order_id = 'o-1-B' "
                                "AND status = 'refunded'"), ==, 2);
    g_assert_cmpint (pg_int (f, "SELECT -sum(amount) FROM payments WHERE order_id = 'o-1-B' "
                                "AND status = 'refunded'"), ==, 10000);
    writer_clear (&a);
    writer_clear (&b);

    /* Given back to sale once, however often it is marked. */
    for (guint i = 0; i < 2; i++)
      {
        g_assert_true (leap_store_mark_returned (f->store, first, &error));
        g_assert_no_error (error);
      }
    g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 6);
  }
}

/* @node with every time (a member named *_at) checked to be ISO 8601 and
 * replaced by "time": the stores wrote them in seconds that may differ. */
static void
drop_times (JsonNode *node)
{
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        drop_times (json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);

      for (GList *l = members; l != NULL; l = l->next)
        {
          JsonNode *member = json_object_get_member (object, l->data);

          if (g_str_has_suffix (l->data, "_at") && JSON_NODE_HOLDS_VALUE (member))
            {
              g_autoptr(GDateTime) time =
                g_date_time_new_from_iso8601 (json_node_get_string (member), NULL);

              g_assert_nonnull (time);
              json_object_set_string_member (object, l->data, "time");
            }
          else
            drop_times (member);
        }
    }
}

/* The same answer, or the same error, from both stores. */
static void
assert_same_object (JsonObject   *sqlite_object,
                    const GError *sqlite_error,
                    JsonObject   *pg_object,
                    const GError *pg_error)
{
  if (sqlite_error != NULL || pg_error != NULL)
    {
      g_assert_nonnull (sqlite_error);
      g_assert_error (pg_error, sqlite_error->domain, sqlite_error->code);
      g_assert_cmpstr (pg_error->message, ==, sqlite_error->message);
      return;
    }
  {
    g_autoptr(JsonNode) one = json_node_init_object (json_node_alloc (), sqlite_object);
    g_autoptr(JsonNode) two = json_node_init_object (json_node_alloc (), pg_object);
    g_autofree char *one_text = NULL;
    g_autofree char *two_text = NULL;

    drop_times (one);
    drop_times (two);
    one_text = json_to_string (one, FALSE);
    two_text = json_to_string (two, FALSE);
    g_assert_cmpstr (two_text, ==, one_text);
  }
}

typedef JsonArray *(*ListFunc) (LeapStore *, GError **);

/* The same list from both stores; its length. */
static guint
assert_same_list (LeapStore *sqlite_store,
                  LeapStore *pg_store,
                  ListFunc   list)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) sqlite_array = list (sqlite_store, &error);
  g_autoptr(JsonArray) pg_array = list (pg_store, &error);
  g_autoptr(JsonNode) one = NULL;
  g_autoptr(JsonNode) two = NULL;
  g_autofree char *one_text = NULL;
  g_autofree char *two_text = NULL;

  g_assert_no_error (error);
  one = json_node_init_array (json_node_alloc (), sqlite_array);
  two = json_node_init_array (json_node_alloc (), pg_array);
  drop_times (one);
  drop_times (two);
  one_text = json_to_string (one, FALSE);
  two_text = json_to_string (two, FALSE);
  g_assert_cmpstr (two_text, ==, one_text);
  return json_array_get_length (sqlite_array);
}

typedef JsonObject *(*ReadFunc) (LeapStore *, const char *, GError **);

static void
assert_same_read (LeapStore  *sqlite_store,
                  LeapStore  *pg_store,
                  ReadFunc    read,
                  const char *key)
{
  g_autoptr(GError) sqlite_error = NULL;
  g_autoptr(GError) pg_error = NULL;
  g_autoptr(JsonObject) one = read (sqlite_store, key, &sqlite_error);
  g_autoptr(JsonObject) two = read (pg_store, key, &pg_error);

  assert_same_object (one, sqlite_error, two, pg_error);
}

static void
assert_same_refund (LeapStore  *sqlite_store,
                    LeapStore  *pg_store,
                    JsonObject *refund)
{
  g_autoptr(GError) sqlite_error = NULL;
  g_autoptr(GError) pg_error = NULL;
  g_autoptr(JsonObject) one = leap_store_begin_refund (sqlite_store, refund, &sqlite_error);
  g_autoptr(JsonObject) two = leap_store_begin_refund (pg_store, refund, &pg_error);

  assert_same_object (one, sqlite_error, two, pg_error);
}

/* The same calls on a SQLite store and on PostgreSQL read the same JSON:
 * orders paid, failed, pending and voided, with codes, refunds and their
 * completion, and the same errors. */
static void
test_same_json (Fixture *f, gconstpointer data)
{
  g_autofree char *dir = leap_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "leap.db", NULL);
  g_autofree char *url = g_strconcat ("sqlite:", path, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(LeapStore) sqlite_store = leap_store_open (url, &error);
  LeapStore *stores[] = { sqlite_store, f->store };
  g_autoptr(JsonObject) accepted = object_from ("{\"order_id\": \"o-1-A\", \"hold_id\": "
                                                "\"h-o-1-A\", \"event_id\": 1, \"owner\": "
                                                "\"owner-hash\", \"items\": \"1:2\", \"message\": "
                                                "\"{\\\"a\\\": 1}\", "
                                                "\"created_ms\": 1700000000123}");
  g_autoptr(JsonObject) failed = object_from ("{\"order_id\": \"o-1-F\", \"event_id\": 1, "
                                              "\"status\": \"failed\", \"reason\": \"declined\", "
                                              "\"total\": 2500, \"currency\": \"EUR\", "
                                              "\"lines\": [{\"tier_id\": 1, \"quantity\": 1, "
                                              "\"unit_price\": 2500, \"currency\": \"EUR\"}], "
                                              "\"payment\": {\"method\": \"card\", \"status\": "
                                              "\"declined\", \"amount\": 2500, \"currency\": "
                                              "\"EUR\", \"tendered\": null}}");
  g_autoptr(JsonObject) pending = paid_order ("o-1-P", 2, 1);
  g_autoptr(JsonObject) refund = refund_of ("o-1-A", 1);
  g_autoptr(JsonObject) too_many = refund_of ("o-1-A", 2);
  g_autoptr(JsonObject) not_paid = refund_of ("o-1-F", 1);
  sqlite3 *db = NULL;

  g_autofree char *code_a = leap_order_code_candidate ("o-1-A", 0);
  g_autofree char *code_f = leap_order_code_candidate ("o-1-F", 0);
  /* Other orders have the first codes of A (accepted) and F (written
   * whole): both get their second. */
  g_autofree char *taken = g_strdup_printf ("INSERT INTO order_codes (order_id, code) "
                                            "VALUES ('o-9-A', '%s'), ('o-9-F', '%s');",
                                            code_a, code_f);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, seed, NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, taken, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  leap_test_pg_exec (f->url, taken);

  for (guint s = 0; s < G_N_ELEMENTS (stores); s++)
    {
      g_autoptr(JsonArray) accept = array_of (json_object_ref (accepted), NULL);
      g_autoptr(JsonArray) begin = array_of (json_object_ref (pending), NULL);
      g_autoptr(JsonArray) results = NULL;

      g_assert_true (leap_store_accept_orders (stores[s], accept, &error));
      g_assert_no_error (error);
      /* Accepted twice (a retry), kept once. */
      g_assert_true (leap_store_accept_orders (stores[s], accept, &error));
      g_assert_no_error (error);
      results = leap_store_begin_orders (stores[s], begin, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (result_status (results, 0), ==, "pending");
    }
  assert_same_read (sqlite_store, f->store, leap_store_get_accepted_order, "o-1-A");
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-P");
  assert_same_read (sqlite_store, f->store, leap_store_find_order_code, "o-1-A");

  for (guint s = 0; s < G_N_ELEMENTS (stores); s++)
    {
      g_autoptr(JsonObject) paid = paid_order ("o-1-A", 1, 2);
      g_autoptr(JsonObject) stored = leap_store_write_order (stores[s], paid, &error);

      g_assert_no_error (error);
      g_clear_pointer (&stored, json_object_unref);
      stored = leap_store_write_order (stores[s], failed, &error);
      g_assert_no_error (error);
      g_assert_true (leap_store_void_order (stores[s], "o-1-P", "could not be written", &error));
      g_assert_no_error (error);
    }
  assert_same_read (sqlite_store, f->store, leap_store_get_accepted_order, "o-1-A");
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-A");
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-F");
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-P");
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-none");
  assert_same_read (sqlite_store, f->store, leap_store_find_order_code, "o-1-F");
  for (guint i = 0; i < 2; i++)
    {
      const char *id = i == 0 ? "o-1-A" : "o-1-F";
      g_autofree char *second = leap_order_code_candidate (id, 1);
      g_autofree char *sql = g_strdup_printf ("SELECT code FROM order_codes "
                                              "WHERE order_id = '%s'", id);
      g_autofree char *code = leap_test_pg_query (f->url, sql);

      g_assert_cmpstr (code, ==, second);
      assert_same_read (sqlite_store, f->store, leap_store_find_order_code, second);
    }

  assert_same_refund (sqlite_store, f->store, not_paid);
  assert_same_refund (sqlite_store, f->store, refund);
  assert_same_refund (sqlite_store, f->store, too_many);
  g_assert_cmpuint (assert_same_list (sqlite_store, f->store,
                                     leap_store_list_unfinished_refunds), ==, 1);
  {
    g_autoptr(GError) sqlite_error = NULL;
    g_autoptr(GError) pg_error = NULL;
    g_autoptr(JsonObject) one = leap_store_complete_refund (sqlite_store, 1, "ref-r1",
                                                            &sqlite_error);
    g_autoptr(JsonObject) two = leap_store_complete_refund (f->store, 1, "ref-r1", &pg_error);

    assert_same_object (one, sqlite_error, two, pg_error);
  }
  g_assert_cmpuint (assert_same_list (sqlite_store, f->store, leap_store_list_pending_returns),
                    ==, 1);
  for (guint s = 0; s < G_N_ELEMENTS (stores); s++)
    {
      g_assert_true (leap_store_mark_returned (stores[s], 1, &error));
      g_assert_no_error (error);
    }
  assert_same_read (sqlite_store, f->store, leap_store_get_order, "o-1-A");
  g_assert_cmpint (pg_int (f, "SELECT sold FROM tiers WHERE id = 1"), ==, 1);

  g_clear_object (&sqlite_store);
  leap_test_rmdir (dir);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&pg);
  g_test_add ("/leap/pg-orders/twice", Fixture, NULL, setup, test_twice, teardown);
  g_test_add ("/leap/pg-orders/concurrent", Fixture, NULL, setup, test_concurrent, teardown);
  g_test_add ("/leap/pg-orders/tiers-crossed", Fixture, NULL, setup, test_tiers_crossed,
              teardown);
  g_test_add ("/leap/pg-orders/batch", Fixture, NULL, setup, test_batch, teardown);
  g_test_add ("/leap/pg-orders/set-based", Fixture, NULL, setup, test_set_based, teardown);
  g_test_add ("/leap/pg-orders/ledger-set-based", Fixture, NULL, setup, test_ledger_set_based,
              teardown);
  g_test_add ("/leap/pg-orders/refunds", Fixture, NULL, setup, test_refunds, teardown);
  g_test_add ("/leap/pg-orders/same-json", Fixture, NULL, setup, test_same_json, teardown);
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  return status;
}
