/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The catalogue on PostgreSQL (issue 17): every call answers what SQLite
 * answers for the same calls, JSON and errors alike, and the checks of a
 * write hold while other connections write at once. */
#include <libpq-fe.h>
#include <sqlite3.h>

#include "leap-test-pg.h"
#include "leap-test-util.h"
#include "leap-error.h"
#include "leap-json.h"
#include "leap-store.h"

static LeapTestPg pg;

typedef struct
{
  char      *dir;
  char      *db_path;  /* the SQLite store's file */
  char      *url;      /* the PostgreSQL store's database */
  LeapStore *sqlite;
  LeapStore *pg;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *sqlite_url = NULL;

  f->dir = leap_test_make_tmpdir ();
  f->db_path = g_build_filename (f->dir, "leap.db", NULL);
  sqlite_url = g_strconcat ("sqlite:", f->db_path, NULL);
  f->sqlite = leap_store_open (sqlite_url, &error);
  g_assert_no_error (error);
  f->url = leap_test_pg_create_db (&pg);
  f->pg = leap_store_open (f->url, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_clear_object (&f->sqlite);
  g_clear_object (&f->pg);
  leap_test_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db_path);
  g_free (f->url);
}

/* Runs SQL text that both dialects read alike in both databases, beside
 * the stores: what other parts (orders, holds) would have written. */
static void
exec_both (Fixture    *f,
           const char *sql)
{
  sqlite3 *db = NULL;
  char *message = NULL;

  g_assert_cmpint (sqlite3_open (f->db_path, &db), ==, SQLITE_OK);
  if (sqlite3_exec (db, sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
  sqlite3_close (db);
  leap_test_pg_exec (f->url, sql);
}

static JsonObject *
object (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *o = leap_json_parse_object (json, -1, &error);

  g_assert_no_error (error);
  return o;
}

/* The text of a result with the times of writes left out (the two stores
 * write a moment apart), after checking that they are API times. */
static char *
normalized (JsonNode *node)
{
  g_autoptr(JsonNode) copy = json_node_copy (node);
  g_autoptr(GList) objects = NULL;

  if (JSON_NODE_HOLDS_OBJECT (copy))
    objects = g_list_prepend (NULL, json_node_get_object (copy));
  else if (JSON_NODE_HOLDS_ARRAY (copy))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (copy)); i++)
      objects = g_list_prepend (objects,
                                json_array_get_object_element (json_node_get_array (copy), i));
  for (GList *l = objects; l != NULL; l = l->next)
    for (guint i = 0; i < 2; i++)
      {
        const char *name = i == 0 ? "created_at" : "updated_at";
        const char *text = leap_json_get_string (l->data, name, NULL);
        gint64 t;

        if (!json_object_has_member (l->data, name))
          continue;
        g_assert_true (leap_time_parse (text, &t));
        json_object_remove_member (l->data, name);
      }
  return leap_json_to_string (copy);
}

/* The calls the tests make on both stores. */
typedef enum
{
  GET,
  CREATE,
  UPDATE,
  REMOVE,
  VENUES,
  EVENTS,
  CHILDREN,
  AVAILABILITY,
  INVENTORY,
  CHANGES,
  COUNT_COMMITTED,
} Call;

typedef struct
{
  Call                   call;
  LeapKind               kind;
  gint64                 id;     /* the object, its event, or the changes' cursor */
  const char            *json;   /* the fields or the patch */
  const LeapEventFilter *filter;
} Args;

static JsonNode *
take_object (JsonObject *o)
{
  JsonNode *node = o ? json_node_init_object (json_node_alloc (), o) : NULL;

  g_clear_pointer (&o, json_object_unref);
  return node;
}

static JsonNode *
take_array (JsonArray *array)
{
  JsonNode *node = array ? json_node_init_array (json_node_alloc (), array) : NULL;

  g_clear_pointer (&array, json_array_unref);
  return node;
}

static JsonNode *
call (LeapStore  *store,
      const Args *args,
      GError    **error)
{
  g_autoptr(JsonObject) fields = args->json ? object (args->json) : NULL;
  LeapKind kind = args->kind;
  gint64 id = args->id;

  switch (args->call)
    {
    case GET:
      return take_object (leap_store_get (store, kind, id, error));
    case CREATE:
      return take_object (leap_store_create (store, kind, id, fields, 7, error));
    case UPDATE:
      return take_object (leap_store_update (store, kind, id, fields, 7, error));
    case REMOVE:
      return take_object (leap_store_remove (store, kind, id, 7, error));
    case VENUES:
      return take_array (leap_store_list_venues (store, error));
    case EVENTS:
      return take_array (leap_store_list_events (store, args->filter, error));
    case CHILDREN:
      return take_array (leap_store_list_children (store, kind, id, error));
    case AVAILABILITY:
      return take_array (leap_store_list_availability (store, id, error));
    case INVENTORY:
      return take_array (leap_store_list_inventory (store, id, error));
    case CHANGES:
      return take_array (leap_store_list_changes (store, id, 100, error));
    case COUNT_COMMITTED:
      return take_object (leap_store_count_committed (store, kind, id, error));
    }
  g_assert_not_reached ();
}

/* Makes one call on both stores, which must answer alike: the same JSON
 * (but for the times of writes), or, when @code is not 0, that error with
 * the same message. PostgreSQL's answer, or NULL for an error. */
static JsonNode *
both (Fixture    *f,
      const Args *args,
      int         code)
{
  g_autoptr(GError) error_a = NULL;
  g_autoptr(GError) error_b = NULL;
  g_autoptr(JsonNode) a = call (f->sqlite, args, &error_a);
  g_autoptr(JsonNode) b = call (f->pg, args, &error_b);
  g_autofree char *text_a = NULL;
  g_autofree char *text_b = NULL;

  if (code != 0)
    {
      g_assert_null (a);
      g_assert_null (b);
      g_assert_error (error_a, LEAP_ERROR, code);
      g_assert_error (error_b, LEAP_ERROR, code);
      g_assert_cmpstr (error_b->message, ==, error_a->message);
      return NULL;
    }
  g_assert_no_error (error_a);
  g_assert_no_error (error_b);
  text_a = normalized (a);
  text_b = normalized (b);
  g_assert_cmpstr (text_b, ==, text_a);
  return g_steal_pointer (&b);
}

static JsonObject *
object_both (Fixture    *f,
             Call        what,
             LeapKind    kind,
             gint64      id,
             const char *json)
{
  Args args = { what, kind, id, json, NULL };
  g_autoptr(JsonNode) node = both (f, &args, 0);

  return json_object_ref (json_node_get_object (node));
}

static JsonArray *
array_both (Fixture  *f,
            Call      what,
            LeapKind  kind,
            gint64    id)
{
  Args args = { what, kind, id, NULL, NULL };
  g_autoptr(JsonNode) node = both (f, &args, 0);

  return json_array_ref (json_node_get_array (node));
}

static void
fails_both (Fixture    *f,
            Call        what,
            LeapKind    kind,
            gint64      id,
            const char *json,
            int         code)
{
  Args args = { what, kind, id, json, NULL };

  g_assert_null (both (f, &args, code));
}

static gint64
pg_count (Fixture    *f,
          const char *sql)
{
  g_autofree char *text = leap_test_pg_query (f->url, sql);

  return g_ascii_strtoll (text, NULL, 10);
}

/* A venue, an event there, a tier and an offer of it, in both stores. */
static void
add_catalogue (Fixture *f)
{
  g_autoptr(JsonObject) venue = NULL;
  g_autoptr(JsonObject) event = NULL;
  g_autoptr(JsonObject) tier = NULL;
  g_autoptr(JsonObject) offer = NULL;

  venue = object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"Hall\", \"city\": \"Ghent\", "
                                                      "\"country\": \"BE\", \"capacity\": 900}");
  g_assert_cmpint (leap_json_get_int (venue, "id", 0), ==, 1);
  event = object_both (f, CREATE, LEAP_KIND_EVENT, 0,
                       "{\"venue_id\": 1, \"name\": \"Opening\", "
                       "\"starts_at\": \"2027-03-01T19:00:00+01:00\", "
                       "\"ends_at\": \"2027-03-01T22:00:00Z\"}");
  g_assert_cmpstr (leap_json_get_string (event, "starts_at", NULL), ==, "2027-03-01T18:00:00Z");
  g_assert_cmpstr (leap_json_get_string (event, "status", NULL), ==, "on_sale");
  tier = object_both (f, CREATE, LEAP_KIND_TIER, 1, "{\"name\": \"Floor\", \"price\": 2500, "
                                                    "\"currency\": \"EUR\", \"capacity\": 100}");
  g_assert_cmpint (leap_json_get_int (tier, "event_id", 0), ==, 1);
  g_assert_cmpint (leap_json_get_int (tier, "max_per_order", 0), ==, 10);
  offer = object_both (f, CREATE, LEAP_KIND_OFFER, 1, "{\"name\": \"Early\", \"tier_id\": 1, "
                                                      "\"kind\": \"percent\", \"value\": 20, "
                                                      "\"valid_until\": \"2027-02-01T00:00:00Z\"}");
  g_assert_true (json_object_get_null_member (offer, "valid_from"));
  g_assert_true (json_object_get_null_member (offer, "code"));
}

/* Create, read, update and delete each kind; every write leaves one
 * change and one audit line, as SQLite's does. */
static void
test_crud (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonArray) changes = NULL;
  g_autoptr(JsonObject) updated = NULL;
  g_autoptr(JsonObject) got = NULL;

  add_catalogue (f);
  for (LeapKind kind = 0; kind < LEAP_N_KINDS; kind++)
    json_object_unref (object_both (f, GET, kind, 1, NULL));
  for (LeapKind kind = LEAP_KIND_TIER; kind <= LEAP_KIND_OFFER; kind++)
    {
      g_autoptr(JsonArray) children = array_both (f, CHILDREN, kind, 1);

      g_assert_cmpuint (json_array_get_length (children), ==, 1);
    }

  updated = object_both (f, UPDATE, LEAP_KIND_VENUE, 1, "{\"city\": null, \"capacity\": 950}");
  g_assert_true (json_object_get_null_member (updated, "city"));
  g_clear_pointer (&updated, json_object_unref);
  updated = object_both (f, UPDATE, LEAP_KIND_EVENT, 1,
                         "{\"status\": \"off_sale\", "
                         "\"ends_at\": \"2027-03-02T01:00:00+02:00\"}");
  g_assert_cmpstr (leap_json_get_string (updated, "ends_at", NULL), ==, "2027-03-01T23:00:00Z");
  g_clear_pointer (&updated, json_object_unref);
  updated = object_both (f, UPDATE, LEAP_KIND_TIER, 1, "{\"price\": 3000, \"max_per_order\": 4}");
  g_clear_pointer (&updated, json_object_unref);
  updated = object_both (f, UPDATE, LEAP_KIND_OFFER, 1,
                         "{\"code\": \"EARLY20\", \"tier_id\": null}");
  g_assert_cmpstr (leap_json_get_string (updated, "code", NULL), ==, "EARLY20");
  g_clear_pointer (&updated, json_object_unref);

  /* What update answered is what is stored. */
  got = leap_store_get (f->pg, LEAP_KIND_TIER, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpint (leap_json_get_int (got, "price", 0), ==, 3000);

  json_array_unref (array_both (f, VENUES, 0, 0));

  /* Children first: a venue with events is not deleted (test_conflicts). */
  for (int kind = LEAP_KIND_OFFER; kind >= LEAP_KIND_VENUE; kind--)
    {
      json_object_unref (object_both (f, REMOVE, kind, 1, NULL));
      fails_both (f, GET, kind, 1, NULL, LEAP_ERROR_NOT_FOUND);
      fails_both (f, REMOVE, kind, 1, NULL, LEAP_ERROR_NOT_FOUND);
      fails_both (f, UPDATE, kind, 1, "{\"name\": \"Gone\"}", LEAP_ERROR_NOT_FOUND);
    }

  /* Four creates, four updates, four deletes: the newest change of each
   * object, with its deletion, and a line of audit for each write. */
  changes = array_both (f, CHANGES, 0, 0);
  g_assert_cmpuint (json_array_get_length (changes), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *change = json_array_get_object_element (changes, i);

      g_assert_cmpint (leap_json_get_int (change, "seq", 0), ==, 9 + i);
      g_assert_cmpint (leap_json_get_int (change, "deleted", -1), ==, 1);
    }
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM changes"), ==, 12);
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM audit_log WHERE user_id = 7"), ==, 12);
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM audit_log WHERE action = 'update' "
                                "AND object_kind = 'offer' AND object_id = '1' "
                                "AND details = '{\"code\":\"EARLY20\",\"tier_id\":null}'"), ==, 1);
  json_array_unref (changes);
  changes = array_both (f, CHANGES, 0, 11);
  g_assert_cmpuint (json_array_get_length (changes), ==, 1);
}

/* The rules across rows and fields answer as SQLite's, and a refused
 * write leaves no change and no audit line behind. */
static void
test_rules (Fixture       *f,
            gconstpointer  data)
{
  add_catalogue (f);
  json_object_unref (object_both (f, CREATE, LEAP_KIND_EVENT, 0,
                                  "{\"venue_id\": 1, \"name\": \"Second\", "
                                  "\"starts_at\": \"2027-04-01T19:00:00Z\"}"));
  json_object_unref (object_both (f, CREATE, LEAP_KIND_TIER, 2,
                                  "{\"name\": \"Balcony\", \"price\": 1000, "
                                  "\"currency\": \"EUR\", \"capacity\": 50}"));

  fails_both (f, CREATE, LEAP_KIND_EVENT, 0, "{\"venue_id\": 42, \"name\": \"Nowhere\", "
                                             "\"starts_at\": \"2027-04-01T19:00:00Z\"}",
              LEAP_ERROR_INVALID);
  fails_both (f, CREATE, LEAP_KIND_EVENT, 0, "{\"venue_id\": 1, \"name\": \"Backwards\", "
                                             "\"starts_at\": \"2027-04-01T19:00:00Z\", "
                                             "\"ends_at\": \"2027-04-01T18:00:00Z\"}",
              LEAP_ERROR_INVALID);
  fails_both (f, CREATE, LEAP_KIND_TIER, 42, "{\"name\": \"Orphan\", \"price\": 1000, "
                                             "\"currency\": \"EUR\", \"capacity\": 5}",
              LEAP_ERROR_NOT_FOUND);
  /* Tier 2 is the second event's. */
  fails_both (f, CREATE, LEAP_KIND_OFFER, 1, "{\"name\": \"Stray\", \"tier_id\": 2, "
                                             "\"kind\": \"fixed\", \"value\": 500}",
              LEAP_ERROR_INVALID);
  fails_both (f, CREATE, LEAP_KIND_OFFER, 1, "{\"name\": \"Too much\", \"kind\": \"percent\", "
                                             "\"value\": 101}", LEAP_ERROR_INVALID);
  fails_both (f, UPDATE, LEAP_KIND_OFFER, 1, "{\"valid_from\": \"2027-02-01T00:00:00Z\"}",
              LEAP_ERROR_INVALID);
  fails_both (f, UPDATE, LEAP_KIND_EVENT, 1, "{\"venue_id\": 42}", LEAP_ERROR_INVALID);
  fails_both (f, UPDATE, LEAP_KIND_EVENT, 2, "{\"ends_at\": \"2027-04-01T00:00:00Z\"}",
              LEAP_ERROR_INVALID);

  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM changes"), ==, 6);
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM audit_log"), ==, 6);
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM events"), ==, 2);
}

static gint64
ids_of (JsonArray *rows,
        GString   *into)
{
  gint64 last = 0;

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      last = leap_json_get_int (json_array_get_object_element (rows, i), "id", 0);
      g_string_append_printf (into, "%" G_GINT64_FORMAT " ", last);
    }
  return last;
}

static JsonArray *
events_both (Fixture               *f,
             const LeapEventFilter *filter)
{
  Args args = { EVENTS, 0, 0, NULL, filter };
  g_autoptr(JsonNode) node = both (f, &args, 0);

  return json_array_ref (json_node_get_array (node));
}

/* The events a filter finds in both stores are, in order, @expected. */
static void
assert_events (Fixture               *f,
               const LeapEventFilter *filter,
               const char            *expected)
{
  g_autoptr(JsonArray) events = events_both (f, filter);
  g_autoptr(GString) ids = g_string_new (NULL);

  ids_of (events, ids);
  g_assert_cmpstr (g_strchomp (ids->str), ==, expected);
}

static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  static const char *events[] = {
    "{\"venue_id\": 1, \"name\": \"Rock night\", \"starts_at\": \"2027-05-01T20:00:00Z\"}",
    "{\"venue_id\": 2, \"name\": \"ROCKY horror\", \"starts_at\": \"2027-05-01T20:00:00Z\"}",
    "{\"venue_id\": 1, \"name\": \"50% off jazz\", \"starts_at\": \"2027-05-02T20:00:00Z\"}",
    "{\"venue_id\": 2, \"name\": \"500 seats\", \"starts_at\": \"2027-05-01T18:00:00Z\"}",
    "{\"venue_id\": 1, \"name\": \"Under_score\", \"starts_at\": \"2027-05-03T20:00:00Z\"}",
    "{\"venue_id\": 1, \"name\": \"Underscore\", \"starts_at\": \"2027-05-01T20:00:00Z\"}",
    "{\"venue_id\": 2, \"name\": \"Caf\xc3\xa9 concert\", \"starts_at\": \"2027-06-01T20:00:00Z\"}",
  };
  LeapEventFilter all = { NULL, 0, G_MININT64, G_MAXINT64, 0, 0, 100 };
  LeapEventFilter filter;
  g_autoptr(GString) paged = g_string_new (NULL);
  g_autoptr(JsonArray) venues = NULL;
  gint64 t;

  json_object_unref (object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"Hall\"}"));
  json_object_unref (object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"Arena\"}"));
  json_object_unref (object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"apron\"}"));
  /* Venues sort by name as SQLite sorts text: by its bytes. */
  venues = array_both (f, VENUES, 0, 0);
  ids_of (venues, paged);
  g_assert_cmpstr (paged->str, ==, "2 1 3 ");
  g_string_truncate (paged, 0);
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    json_object_unref (object_both (f, CREATE, LEAP_KIND_EVENT, 0, events[i]));

  assert_events (f, &all, "4 1 2 6 3 5 7");

  /* Words match anywhere, whatever the case of ASCII letters, and their
   * wildcards are plain characters. */
  filter = all;
  filter.q = "rock";
  assert_events (f, &filter, "1 2");
  filter.q = "50%";
  assert_events (f, &filter, "3");
  filter.q = "r_s";
  assert_events (f, &filter, "5");
  filter.q = "CAF\xc3\xa9";
  assert_events (f, &filter, "7");
  /* Like SQLite's LIKE: no folding beyond ASCII. */
  filter.q = "CAF\xc3\x89";
  assert_events (f, &filter, "");

  filter = all;
  filter.venue_id = 2;
  assert_events (f, &filter, "4 2 7");

  filter = all;
  g_assert_true (leap_time_parse ("2027-05-01T20:00:00Z", &filter.from));
  g_assert_true (leap_time_parse ("2027-05-03T20:00:00Z", &filter.to));
  assert_events (f, &filter, "1 2 6 3");

  /* Pages of two, each after the last row of the one before: three of
   * them start at the same time, so the cursor needs the id too. */
  filter = all;
  filter.limit = 2;
  g_assert_true (leap_time_parse ("2027-05-01T20:00:00Z", &t));
  for (guint page = 0; page < 5; page++)
    {
      g_autoptr(JsonArray) rows = events_both (f, &filter);
      JsonObject *last;

      if (json_array_get_length (rows) == 0)
        break;
      filter.after_id = ids_of (rows, paged);
      last = json_array_get_object_element (rows, json_array_get_length (rows) - 1);
      g_assert_true (leap_time_parse (leap_json_get_string (last, "starts_at", NULL),
                                      &filter.after_starts_at));
    }
  g_assert_cmpstr (paged->str, ==, "4 1 2 6 3 5 7 ");

  /* A cursor in the middle of a run of equal times. */
  filter = all;
  filter.after_starts_at = t;
  filter.after_id = 2;
  assert_events (f, &filter, "6 3 5 7");
}

/* What other records still need is not deleted, nor sold tickets
 * stranded; counts and availability read the same from both stores. */
static void
test_conflicts (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonArray) available = NULL;

  add_catalogue (f);
  json_object_unref (object_both (f, CREATE, LEAP_KIND_TIER, 1,
                                  "{\"name\": \"Balcony\", \"price\": 1000, "
                                  "\"currency\": \"EUR\", \"capacity\": 50}"));

  /* A venue with events. */
  fails_both (f, REMOVE, LEAP_KIND_VENUE, 1, NULL, LEAP_ERROR_CONFLICT);

  /* Two tickets of tier 1 sold, three held until far ahead. */
  exec_both (f, "INSERT INTO orders (id, event_id, status, total, currency, created_at, "
                "updated_at) VALUES ('o-1', 1, 'paid', 5000, 'EUR', 0, 0)");
  exec_both (f, "INSERT INTO order_lines (order_id, tier_id, quantity, unit_price, currency) "
                "VALUES ('o-1', 1, 2, 2500, 'EUR')");
  exec_both (f, "UPDATE tiers SET sold = 2 WHERE id = 1");
  exec_both (f, "INSERT INTO holds (id, event_id, session_hash, status, expires_at, "
                "created_at, updated_at) VALUES ('h-1', 1, 's', 'held', 4102444800, 0, 0)");
  exec_both (f, "INSERT INTO hold_items (hold_id, tier_id, quantity) VALUES ('h-1', 1, 3)");

  fails_both (f, REMOVE, LEAP_KIND_TIER, 1, NULL, LEAP_ERROR_CONFLICT);
  fails_both (f, REMOVE, LEAP_KIND_EVENT, 1, NULL, LEAP_ERROR_CONFLICT);
  fails_both (f, UPDATE, LEAP_KIND_TIER, 1, "{\"capacity\": 1}", LEAP_ERROR_CONFLICT);
  json_object_unref (object_both (f, UPDATE, LEAP_KIND_TIER, 1, "{\"capacity\": 2}"));
  json_object_unref (object_both (f, UPDATE, LEAP_KIND_TIER, 1, "{\"capacity\": 10}"));

  for (LeapKind kind = LEAP_KIND_EVENT; kind <= LEAP_KIND_TIER; kind++)
    {
      g_autoptr(JsonObject) counts = object_both (f, COUNT_COMMITTED, kind, 1, NULL);

      g_assert_cmpint (leap_json_get_int (counts, "held", 0), ==, 3);
      g_assert_cmpint (leap_json_get_int (counts, "checking_out", -1), ==, 0);
      g_assert_cmpint (leap_json_get_int (counts, "sold", 0), ==, 2);
    }

  available = array_both (f, AVAILABILITY, 0, 1);
  g_assert_cmpint (leap_json_get_int (json_array_get_object_element (available, 0),
                                      "available", 0), ==, 5);
  fails_both (f, AVAILABILITY, 0, 42, NULL, LEAP_ERROR_NOT_FOUND);
  for (gint64 event_id = 0; event_id <= 1; event_id++)
    {
      g_autoptr(JsonArray) inventory = array_both (f, INVENTORY, 0, event_id);

      g_assert_cmpuint (json_array_get_length (inventory), ==, 2);
    }

  /* The tier with nothing sold goes; the refusals wrote nothing. */
  json_object_unref (object_both (f, REMOVE, LEAP_KIND_TIER, 2, NULL));
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM changes"), ==, 8);
  g_assert_cmpint (pg_count (f, "SELECT count(*) FROM audit_log"), ==, 8);
}

/* Another connection's transaction, open while a store call runs in a
 * thread: the call must wait for it (its row lock or its changes), and
 * then answer from what it committed. */
typedef struct
{
  Fixture  *f;
  Args      args;   /* the call, on the PostgreSQL store */
  PGconn   *other;
  JsonNode *result;
  GError   *error;
} Race;

static void
race_begin (Race       *race,
            Fixture    *f,
            const char *sql)
{
  PGresult *result;

  race->f = f;
  race->other = PQconnectdb (f->url);
  g_assert_cmpint (PQstatus (race->other), ==, CONNECTION_OK);
  result = PQexec (race->other, sql);
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
}

static gpointer
race_call_cb (gpointer data)
{
  Race *race = data;

  race->result = call (race->f->pg, &race->args, &race->error);
  return NULL;
}

static gboolean
someone_waits (gpointer data)
{
  Race *race = data;

  return pg_count (race->f, "SELECT count(*) FROM pg_locks WHERE NOT granted") > 0;
}

/* The call starts and waits for the other transaction; then that commits
 * and the call ends. */
static void
race_finish (Race *race)
{
  GThread *thread = g_thread_new ("store-call", race_call_cb, race);
  PGresult *result;

  g_assert_true (leap_test_wait_until (someone_waits, race, 10000));
  result = PQexec (race->other, "COMMIT");
  g_assert_cmpint (PQresultStatus (result), ==, PGRES_COMMAND_OK);
  PQclear (result);
  g_thread_join (thread);
  PQfinish (race->other);
}

static void
race_clear (Race *race)
{
  g_clear_pointer (&race->result, json_node_unref);
  g_clear_error (&race->error);
}

/* A device that syncs never steps over a change that commits after a
 * later one: seq 2 commits after seq 3 here. */
static void
test_changes_in_order (Fixture       *f,
                       gconstpointer  data)
{
  Race race = { .args = { CHANGES, 0, 0, NULL, NULL } };
  JsonArray *changes;

  json_object_unref (object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"First\"}"));
  race_begin (&race, f, "BEGIN; INSERT INTO changes (kind, object_id, deleted, at) "
                        "VALUES ('venue', 99, 0, 0)");
  /* Writers do not wait for each other: this one commits meanwhile. */
  json_object_unref (object_both (f, CREATE, LEAP_KIND_VENUE, 0, "{\"name\": \"Third\"}"));

  race_finish (&race);
  g_assert_no_error (race.error);
  changes = json_node_get_array (race.result);
  g_assert_cmpuint (json_array_get_length (changes), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (leap_json_get_int (json_array_get_object_element (changes, i), "seq", 0),
                     ==, i + 1);
  race_clear (&race);
}

/* A capacity lowered while a sale lands is checked against that sale. */
static void
test_capacity_race (Fixture       *f,
                    gconstpointer  data)
{
  Race race = { .args = { UPDATE, LEAP_KIND_TIER, 1, "{\"capacity\": 2}", NULL } };

  add_catalogue (f);
  race_begin (&race, f, "BEGIN; UPDATE tiers SET sold = 3 WHERE id = 1");
  race_finish (&race);
  g_assert_null (race.result);
  g_assert_error (race.error, LEAP_ERROR, LEAP_ERROR_CONFLICT);
  g_assert_cmpstr (race.error->message, ==,
                   "tier.capacity cannot be lower than the tickets already sold");
  race_clear (&race);
}

/* A tier added to an event that is being deleted: the event is gone when
 * the write looks, as SQLite would say had the delete come first. */
static void
test_parent_race (Fixture       *f,
                  gconstpointer  data)
{
  Race race = { .args = { CREATE, LEAP_KIND_TIER, 2, "{\"name\": \"Late\", \"price\": 100, "
                                                     "\"currency\": \"EUR\", \"capacity\": 5}",
                          NULL } };

  add_catalogue (f);
  json_object_unref (object_both (f, CREATE, LEAP_KIND_EVENT, 0,
                                  "{\"venue_id\": 1, \"name\": \"Doomed\", "
                                  "\"starts_at\": \"2027-04-01T19:00:00Z\"}"));
  race_begin (&race, f, "BEGIN; DELETE FROM events WHERE id = 2");
  race_finish (&race);
  g_assert_null (race.result);
  g_assert_error (race.error, LEAP_ERROR, LEAP_ERROR_NOT_FOUND);
  g_assert_cmpstr (race.error->message, ==, "No such event");
  race_clear (&race);
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  leap_test_pg_start (&pg);
#define ADD(path, func) \
  g_test_add ("/leap/pg-catalogue/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("crud", test_crud);
  ADD ("rules", test_rules);
  ADD ("events", test_events);
  ADD ("conflicts", test_conflicts);
  ADD ("changes-in-order", test_changes_in_order);
  ADD ("capacity-race", test_capacity_race);
  ADD ("parent-race", test_parent_race);
#undef ADD
  status = g_test_run ();
  leap_test_pg_clear (&pg);
  return status;
}
