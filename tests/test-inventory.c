/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The inventory scripts in lua/ against a real Redis, run the way the
 * backend runs them (LeapRedis, EVALSHA): all-or-nothing holds, limits,
 * exactly-once release and expiry, the checkout state machine, and the
 * race test that proves nothing oversells, with a control that does. */
#include "leap-test-util.h"
#include "leap-redis.h"

#include <stdarg.h>
#include <string.h>

#define EVENT "1"
#define KEY(suffix) ("leap:{ev:" EVENT "}:" suffix)
#define STREAM_KEY "leap:{ev:" EVENT "}:checkout-stream"
#define HOLD_MS "600000"
#define LUA_PATH "/io/github/leapboxoffice/lua"

static LeapTestRedis redis;
static LeapRedis *conn;

/* Each case starts from an empty Redis; the connection is shared. */
typedef struct
{
  int unused;
} Fixture;

static const char *counters[] = { "cap", "avail", "held", "checkout", "sold" };

/* Replies flattened to text, elements separated by spaces, so that a test
 * reads as the contract does: "sold_out 2 0". An empty string shows as "". */
static void
append_reply (GString          *out,
              const redisReply *reply)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  switch (reply->type)
    {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      g_string_append (out, reply->len > 0 ? reply->str : "\"\"");
      break;
    case REDIS_REPLY_INTEGER:
      g_string_append_printf (out, "%lld", reply->integer);
      break;
    case REDIS_REPLY_NIL:
      g_string_append (out, "(nil)");
      break;
    case REDIS_REPLY_ARRAY:
      {
        GString *inner = g_string_new (NULL);

        for (size_t i = 0; i < reply->elements; i++)
          append_reply (inner, reply->element[i]);
        g_string_append (out, inner->str);
        g_string_free (inner, TRUE);
      }
      break;
    default:
      g_string_append_printf (out, "(type %d)", reply->type);
    }
}

static char *
reply_text (const redisReply *reply,
            const GError     *error)
{
  GString *out;

  if (error != NULL)
    return g_strdup_printf ("error: %s", error->message);
  out = g_string_new (NULL);
  append_reply (out, reply);
  return g_string_free (out, FALSE);
}

typedef struct
{
  gboolean done;
  char    *text;
} Sync;

static void
sync_cb (LeapRedis        *self,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  Sync *sync = user_data;

  sync->text = reply_text (reply, error);
  sync->done = TRUE;
}

static gboolean
sync_done (gpointer data)
{
  return ((Sync *) data)->done;
}

static char *
sync_wait (Sync *sync)
{
  g_assert_true (leap_test_wait_until (sync_done, sync, 10000));
  return sync->text;
}

/* One Redis command on the shared connection, waited for. */
static char *
cmd (const char *first,
     ...)
{
  g_autoptr(GPtrArray) args = g_ptr_array_new ();
  Sync sync = { FALSE, NULL };
  va_list ap;

  va_start (ap, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, (gpointer) arg);
  va_end (ap);
  leap_redis_command_argv (conn, sync_cb, &sync, args->len, (const char **) args->pdata, NULL);
  return sync_wait (&sync);
}

/* The keys every inventory script takes, then ARGV: the event id and the
 * NULL-terminated arguments. hold NULL stands for "no hold" (hold:-). */
static GPtrArray *
script_args (const char *script,
             const char *hold,
             int        *nkeys,
             va_list     ap)
{
  GPtrArray *args = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    g_ptr_array_add (args, g_strdup_printf ("leap:{ev:" EVENT "}:%s", counters[i]));
  g_ptr_array_add (args, g_strdup (KEY ("max")));
  g_ptr_array_add (args, g_strdup (KEY ("holds")));
  g_ptr_array_add (args, g_strdup_printf ("leap:{ev:" EVENT "}:hold:%s", hold ? hold : "-"));
  if (g_str_equal (script, "begin-checkout"))
    g_ptr_array_add (args, g_strdup (STREAM_KEY));
  *nkeys = args->len;
  g_ptr_array_add (args, g_strdup (EVENT));
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (args, g_strdup (arg));
  return args;
}

static void
eval_async (LeapRedis          *redis_conn,
            LeapRedisReplyFunc  func,
            gpointer            user_data,
            const char         *script,
            const char         *hold,
            ...)
{
  g_autoptr(GPtrArray) args = NULL;
  int nkeys;
  va_list ap;

  va_start (ap, hold);
  args = script_args (script, hold, &nkeys, ap);
  va_end (ap);
  leap_redis_eval_argv (redis_conn, script, func, user_data, nkeys, args->len,
                        (const char **) args->pdata, NULL);
}

/* Runs a script on the shared connection and waits for its reply. */
static char *
run (const char *script,
     const char *hold,
     ...)
{
  g_autoptr(GPtrArray) args = NULL;
  Sync sync = { FALSE, NULL };
  int nkeys;
  va_list ap;

  va_start (ap, hold);
  args = script_args (script, hold, &nkeys, ap);
  va_end (ap);
  leap_redis_eval_argv (conn, script, sync_cb, &sync, nkeys, args->len,
                        (const char **) args->pdata, NULL);
  return sync_wait (&sync);
}

static gboolean
redis_connected (gpointer data)
{
  return leap_redis_is_connected (data);
}

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static char *
ms_text (gint64 ms)
{
  return g_strdup_printf ("%" G_GINT64_FORMAT, ms);
}

static gint64
counter (const char *name,
         const char *tier)
{
  g_autofree char *key = g_strdup_printf ("leap:{ev:" EVENT "}:%s", name);
  g_autofree char *value = cmd ("HGET", key, tier, NULL);

  return g_ascii_strtoll (value, NULL, 10);
}

/* "avail held checkout sold" of a tier, asserting the invariant on the way. */
static char *
counts (const char *tier)
{
  gint64 v[G_N_ELEMENTS (counters)];

  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      v[i] = counter (counters[i], tier);
      g_assert_cmpint (v[i], >=, 0);
    }
  g_assert_cmpint (v[1] + v[2] + v[3] + v[4], ==, v[0]);
  return g_strdup_printf ("%" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                          " %" G_GINT64_FORMAT, v[1], v[2], v[3], v[4]);
}

#define assert_reply(expr, expected) \
  G_STMT_START { \
    g_autofree char *text_ = (expr); \
    g_assert_cmpstr (text_, ==, (expected)); \
  } G_STMT_END

#define assert_counts(tier, expected) assert_reply (counts (tier), expected)

static void
tier_set (const char *tier,
          const char *capacity,
          const char *max)
{
  g_autofree char *reply = run ("tier-set", NULL, tier, capacity, "0", max, "set", NULL);

  g_assert_true (g_str_has_prefix (reply, "ok "));
}

static void
setup (Fixture       *fixture,
       gconstpointer  data)
{
  assert_reply (cmd ("FLUSHALL", NULL), "OK");
}

static void
teardown (Fixture       *fixture,
          gconstpointer  data)
{
}

/* Several tiers in one hold: one short tier and nothing changes anywhere. */
static void
test_all_or_nothing (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());
  g_autofree char *expected = NULL;

  tier_set ("1", "10", "10");
  tier_set ("2", "2", "10");
  tier_set ("3", "10", "10");

  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "3", "2", "3", "3", "1",
                     NULL),
                "sold_out 2 2");
  assert_counts ("1", "10 0 0 0");
  assert_counts ("2", "2 0 0 0");
  assert_counts ("3", "10 0 0 0");
  assert_reply (cmd ("EXISTS", KEY ("hold:h1"), KEY ("holds"), NULL), "0");

  expected = g_strdup_printf ("ok %" G_GINT64_FORMAT, g_ascii_strtoll (now, NULL, 10) + 600000);
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "3", "2", "2", "3", "1",
                     NULL),
                expected);
  assert_counts ("1", "7 3 0 0");
  assert_counts ("2", "0 2 0 0");
  assert_counts ("3", "9 1 0 0");
  assert_reply (cmd ("HMGET", KEY ("hold:h1"), "status", "owner", "event", "items", NULL),
                "held alice 1 1:3,2:2,3:1");
  assert_reply (cmd ("ZSCORE", KEY ("holds"), "h1", NULL), expected + 3);
  {
    g_autofree char *pttl = cmd ("PTTL", KEY ("hold:h1"), NULL);
    gint64 ttl = g_ascii_strtoll (pttl, NULL, 10);

    /* Expiry plus a day, so that finished holds do not pile up. */
    g_assert_cmpint (ttl, >, 600000 + 86400000 - 60000);
    g_assert_cmpint (ttl, <=, 600000 + 86400000);
  }
}

static void
test_limit (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());

  tier_set ("1", "100", "4");
  tier_set ("2", "100", "10");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "2", "1", "1", "5", NULL),
                "limit 1 4");
  assert_counts ("1", "100 0 0 0");
  assert_counts ("2", "100 0 0 0");
  assert_reply (cmd ("EXISTS", KEY ("hold:h1"), NULL), "0");
}

static void
test_limit_ok (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());
  g_autofree char *reply = NULL;

  tier_set ("1", "100", "4");
  reply = run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "4", NULL);
  g_assert_true (g_str_has_prefix (reply, "ok "));
  assert_counts ("1", "96 4 0 0");
}

/* Malformed requests and unknown tiers are refused before any write. */
static void
test_refusals (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());
  g_autofree char *reply = NULL;

  tier_set ("1", "10", "10");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "1", "99", "1", NULL),
                "unknown_tier 99");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, NULL),
                "invalid no tier/quantity pairs");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", NULL),
                "invalid no tier/quantity pairs");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "0", NULL),
                "invalid quantity must be a positive integer");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "-2", NULL),
                "invalid quantity must be a positive integer");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "1.5", NULL),
                "invalid quantity must be a positive integer");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "two", NULL),
                "invalid quantity must be a positive integer");
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "1", "1", "2", NULL),
                "invalid tier 1 requested twice");
  assert_reply (run ("reserve", "h1", "h1", "alice", "soon", HOLD_MS, "1", "1", NULL),
                "invalid bad time");
  assert_counts ("1", "10 0 0 0");
  assert_reply (cmd ("EXISTS", KEY ("hold:h1"), KEY ("holds"), NULL), "0");

  reply = run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "1", NULL);
  g_assert_true (g_str_has_prefix (reply, "ok "));
  assert_reply (run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "1", "1", NULL), "exists");
  assert_counts ("1", "9 1 0 0");
}

static void
test_sold_out (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());
  g_autofree char *reply = NULL;

  tier_set ("1", "5", "10");
  tier_set ("2", "1", "10");
  tier_set ("3", "5", "10");
  reply = run ("reserve", "h1", "h1", "alice", now, HOLD_MS, "2", "1", NULL);
  g_assert_true (g_str_has_prefix (reply, "ok "));
  /* The first short tier in request order is named, with what is left. */
  assert_reply (run ("reserve", "h2", "h2", "bob", now, HOLD_MS, "1", "1", "2", "1", "3", "6",
                     NULL),
                "sold_out 2 0");
  assert_reply (run ("reserve", "h2", "h2", "bob", now, HOLD_MS, "3", "6", "1", "6", NULL),
                "sold_out 3 5");
  assert_counts ("1", "5 0 0 0");
  assert_counts ("2", "0 1 0 0");
  assert_counts ("3", "5 0 0 0");
}

static char *
reserve_ok (const char *hold,
            const char *owner,
            gint64      now,
            gint64      ttl,
            const char *tier,
            const char *quantity)
{
  g_autofree char *now_text = ms_text (now);
  g_autofree char *ttl_text = ms_text (ttl);
  char *reply = run ("reserve", hold, hold, owner, now_text, ttl_text, tier, quantity, NULL);

  g_assert_true (g_str_has_prefix (reply, "ok "));
  return reply;
}

static void
test_release_once (Fixture *fixture, gconstpointer data)
{
  gint64 now = now_ms ();
  g_autofree char *now_text = ms_text (now);

  tier_set ("1", "10", "10");
  g_free (reserve_ok ("h1", "alice", now, 600000, "1", "4"));
  assert_counts ("1", "6 4 0 0");
  assert_reply (run ("release", "h1", "alice", now_text, NULL), "released");
  assert_counts ("1", "10 0 0 0");
  assert_reply (run ("release", "h1", "alice", now_text, NULL), "status released");
  assert_counts ("1", "10 0 0 0");
  assert_reply (cmd ("ZCARD", KEY ("holds"), NULL), "0");
  assert_reply (run ("release", "nope", "alice", now_text, NULL), "not_found");
}

/* Only the owner (or the system, owner "") can touch a hold; to anyone
 * else it does not exist. */
static void
test_other_owner (Fixture *fixture, gconstpointer data)
{
  gint64 now = now_ms ();
  g_autofree char *now_text = ms_text (now);

  tier_set ("1", "10", "10");
  g_free (reserve_ok ("h1", "alice", now, 600000, "1", "2"));
  assert_reply (run ("release", "h1", "mallory", now_text, NULL), "not_found");
  assert_reply (run ("begin-checkout", "h1", "mallory", now_text, "o1", "order", "o1", NULL),
                "not_found");
  assert_counts ("1", "8 2 0 0");
  assert_reply (cmd ("HGET", KEY ("hold:h1"), "status", NULL), "held");
  assert_reply (run ("release", "h1", "", now_text, NULL), "released");
  assert_counts ("1", "10 0 0 0");
}

static char *
expire (gint64 now,
        guint  max_count)
{
  g_autofree char *now_text = ms_text (now);
  g_autofree char *max_text = g_strdup_printf ("%u", max_count);

  return run ("expire", NULL, now_text, max_text, NULL);
}

static void
test_expiry_once (Fixture *fixture, gconstpointer data)
{
  gint64 now = now_ms ();
  g_autofree char *later = ms_text (now + 1000);
  g_autofree char *reply = NULL;

  tier_set ("1", "5", "10");
  g_free (reserve_ok ("h1", "alice", now, 1000, "1", "3"));
  g_free (reserve_ok ("h2", "alice", now, 5000, "1", "1"));
  assert_reply (expire (now + 999, 100), "expired 0");
  assert_counts ("1", "1 4 0 0");
  assert_reply (expire (now + 1000, 100), "expired 1");
  assert_counts ("1", "4 1 0 0");
  assert_reply (expire (now + 1000, 100), "expired 0");
  assert_reply (expire (now + 2000, 100), "expired 0");
  assert_counts ("1", "4 1 0 0");
  assert_reply (cmd ("HGET", KEY ("hold:h1"), "status", NULL), "expired");
  assert_reply (run ("release", "h1", "alice", later, NULL), "status expired");
  assert_counts ("1", "4 1 0 0");

  /* A tier that looks sold out first takes back what has run out. */
  g_free (reserve_ok ("h3", "alice", now, 1000, "1", "4"));
  assert_counts ("1", "0 5 0 0");
  g_free (reserve_ok ("h4", "bob", now + 1000, 600000, "1", "3"));
  assert_counts ("1", "1 4 0 0");
  assert_reply (cmd ("HGET", KEY ("hold:h3"), "status", NULL), "expired");
  reply = cmd ("ZRANGE", KEY ("holds"), "0", "-1", NULL);
  g_assert_cmpstr (reply, ==, "h2 h4");
}

typedef struct
{
  guint pending;
  guint released;
  guint refused;
  guint expired;
  guint other;
} Storm;

static void
storm_release_cb (LeapRedis        *self,
                  const redisReply *reply,
                  const GError     *error,
                  gpointer          user_data)
{
  Storm *storm = user_data;
  g_autofree char *text = reply_text (reply, error);

  if (g_str_equal (text, "released"))
    storm->released++;
  else if (g_str_equal (text, "status expired"))
    storm->refused++;
  else
    storm->other++;
  storm->pending--;
}

static void
storm_expire_cb (LeapRedis        *self,
                 const redisReply *reply,
                 const GError     *error,
                 gpointer          user_data)
{
  Storm *storm = user_data;
  g_autofree char *text = reply_text (reply, error);

  if (g_str_has_prefix (text, "expired "))
    storm->expired += g_ascii_strtoull (text + 8, NULL, 10);
  else
    storm->other++;
  storm->pending--;
}

static gboolean
storm_done (gpointer data)
{
  return ((Storm *) data)->pending == 0;
}

/* Release and expiry race for the same holds, from two connections, many
 * times over: each hold goes back exactly once, by one or the other. */
static void
test_expire_release_race (Fixture *fixture, gconstpointer data)
{
  const guint n = 500;
  gint64 now = now_ms ();
  g_autofree char *due = ms_text (now + 1000);
  g_autoptr(LeapRedis) other = leap_redis_new ("127.0.0.1", redis.port);
  Storm storm = { 0 };
  guint statuses_released = 0, statuses_expired = 0;

  leap_redis_load_scripts (other, LUA_PATH);
  g_assert_true (leap_test_wait_until (redis_connected, other, 10000));
  tier_set ("1", "2000", "10");
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *hold = g_strdup_printf ("x%04u", i);
      g_autofree char *q = g_strdup_printf ("%u", 1 + i % 3);

      g_free (reserve_ok (hold, "alice", now, 1000, "1", q));
    }

  /* Releases go in hold order; each expire takes the first due hold left,
   * which is the same order: they keep meeting on the same hold. Both
   * connections carry both kinds, so however Redis interleaves the two
   * streams, each side wins some. */
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *hold = g_strdup_printf ("x%04u", i);

      storm.pending += 2;
      eval_async (i % 2 ? other : conn, storm_release_cb, &storm, "release", hold, "alice", due,
                  NULL);
      eval_async (i % 2 ? conn : other, storm_expire_cb, &storm, "expire", NULL, due, "1", NULL);
    }
  g_assert_true (leap_test_wait_until (storm_done, &storm, 20000));
  g_assert_cmpuint (storm.other, ==, 0);
  /* Whatever the expire calls did not reach, one more run sweeps. */
  {
    g_autofree char *rest = expire (now + 1000, 1000);

    storm.expired += g_ascii_strtoull (rest + 8, NULL, 10);
  }

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *key = g_strdup_printf ("leap:{ev:" EVENT "}:hold:x%04u", i);
      g_autofree char *status = cmd ("HGET", key, "status", NULL);

      if (g_str_equal (status, "released"))
        statuses_released++;
      else if (g_str_equal (status, "expired"))
        statuses_expired++;
      else
        g_error ("hold %u ended as %s", i, status);
    }
  g_test_message ("%u released, %u expired", storm.released, storm.expired);
  g_assert_cmpuint (storm.released + storm.expired, ==, n);
  g_assert_cmpuint (storm.released, ==, statuses_released);
  g_assert_cmpuint (storm.expired, ==, statuses_expired);
  g_assert_cmpuint (storm.refused, ==, statuses_expired);
  /* Both sides won some: the race really happened. */
  g_assert_cmpuint (storm.released, >, 0);
  g_assert_cmpuint (storm.expired, >, 0);
  assert_counts ("1", "2000 0 0 0");
  assert_reply (cmd ("ZCARD", KEY ("holds"), NULL), "0");
}

static void
test_checkout (Fixture *fixture, gconstpointer data)
{
  gint64 now = now_ms ();
  g_autofree char *now_text = ms_text (now);
  g_autofree char *late = ms_text (now + 2000);
  g_autofree char *reply = NULL;
  g_autofree char *entry = NULL;

  tier_set ("1", "10", "10");
  tier_set ("2", "10", "10");
  g_free (run ("reserve", "h1", "h1", "alice", now_text, HOLD_MS, "1", "2", "2", "1", NULL));
  assert_counts ("1", "8 2 0 0");

  /* Held → checking out, with its message, atomically. */
  reply = run ("begin-checkout", "h1", "alice", now_text, "o1", "order", "o1", "hold", "h1", NULL);
  g_assert_true (g_str_has_prefix (reply, "ok "));
  entry = g_strdup (reply + 3);
  g_assert_nonnull (strchr (entry, '-'));
  assert_counts ("1", "8 0 2 0");
  assert_counts ("2", "9 0 1 0");
  assert_reply (cmd ("HMGET", KEY ("hold:h1"), "status", "order", NULL), "checking_out o1");
  assert_reply (cmd ("ZCARD", KEY ("holds"), NULL), "0");
  assert_reply (cmd ("PTTL", KEY ("hold:h1"), NULL), "-1");
  {
    g_autofree char *expected = g_strdup_printf ("%s order o1 hold h1", entry);
    assert_reply (cmd ("XRANGE", STREAM_KEY, "-", "+", NULL), expected);
  }

  /* A retry of the same order changes nothing and adds no message. */
  assert_reply (run ("begin-checkout", "h1", "alice", now_text, "o1", "order", "o1", "hold", "h1",
                     NULL),
                "ok \"\"");
  assert_reply (run ("begin-checkout", "h1", "alice", now_text, "o2", "order", "o2", NULL),
                "status checking_out");
  assert_reply (cmd ("XLEN", STREAM_KEY, NULL), "1");
  assert_reply (run ("release", "h1", "alice", now_text, NULL), "status checking_out");
  /* Past its expiry it does not expire any more. */
  assert_reply (expire (now + 10000000, 100), "expired 0");
  assert_counts ("1", "8 0 2 0");

  assert_reply (run ("confirm", "h1", "o2", NULL), "status checking_out");
  assert_reply (run ("abort-checkout", "h1", "o2", NULL), "status checking_out");
  assert_reply (run ("confirm", "h1", "o1", NULL), "confirmed");
  assert_counts ("1", "8 0 0 2");
  assert_counts ("2", "9 0 0 1");
  assert_reply (run ("confirm", "h1", "o1", NULL), "confirmed");
  assert_reply (run ("abort-checkout", "h1", "o1", NULL), "status confirmed");
  assert_reply (run ("release", "h1", "alice", now_text, NULL), "status confirmed");
  assert_counts ("1", "8 0 0 2");
  assert_reply (run ("confirm", "nope", "o1", NULL), "not_found");
  assert_reply (run ("abort-checkout", "nope", "o1", NULL), "not_found");
  assert_reply (run ("begin-checkout", "nope", "alice", now_text, "o1", "order", "o1", NULL),
                "not_found");
  {
    g_autofree char *pttl = cmd ("PTTL", KEY ("hold:h1"), NULL);
    g_assert_cmpint (g_ascii_strtoll (pttl, NULL, 10), >, 86400000 - 60000);
  }

  /* Payment declined: back on sale, once. */
  g_free (run ("reserve", "h2", "h2", "bob", now_text, HOLD_MS, "1", "3", NULL));
  g_free (run ("begin-checkout", "h2", "bob", now_text, "o3", "order", "o3", NULL));
  assert_counts ("1", "5 0 3 2");
  assert_reply (run ("abort-checkout", "h2", "o3", NULL), "released");
  assert_counts ("1", "8 0 0 2");
  assert_reply (run ("abort-checkout", "h2", "o3", NULL), "released");
  assert_reply (run ("confirm", "h2", "o3", NULL), "status released");
  assert_reply (run ("begin-checkout", "h2", "bob", now_text, "o3", "order", "o3", NULL),
                "status released");
  assert_counts ("1", "8 0 0 2");

  /* Too late to check out: the tickets go back as expiry would. */
  g_free (run ("reserve", "h3", "h3", "carol", now_text, "1000", "1", "1", NULL));
  assert_counts ("1", "7 1 0 2");
  assert_reply (run ("begin-checkout", "h3", "carol", late, "o4", "order", "o4", NULL), "expired");
  assert_counts ("1", "8 0 0 2");
  assert_reply (cmd ("HGET", KEY ("hold:h3"), "status", NULL), "expired");
  assert_reply (expire (now + 2000, 100), "expired 0");
  assert_counts ("1", "8 0 0 2");
  assert_reply (cmd ("XLEN", STREAM_KEY, NULL), "2");
}

static void
test_tier_set (Fixture *fixture, gconstpointer data)
{
  gint64 now = now_ms ();
  g_autofree char *now_text = ms_text (now);

  assert_reply (run ("tier-set", NULL, "1", "10", "2", "6", "set", NULL), "ok 8");
  assert_counts ("1", "8 0 0 2");
  assert_reply (cmd ("HGET", KEY ("max"), "1", NULL), "6");
  g_free (reserve_ok ("h1", "alice", now, 600000, "1", "3"));
  g_free (run ("reserve", "h2", "h2", "alice", now_text, HOLD_MS, "1", "1", NULL));
  g_free (run ("begin-checkout", "h2", "alice", now_text, "o2", "order", "o2", NULL));
  assert_counts ("1", "4 3 1 2");

  /* Sold 2 + held 3 + checking out 1: 5 is too little. */
  assert_reply (run ("tier-set", NULL, "1", "5", "2", "6", "set", NULL), "capacity_below 6");
  assert_counts ("1", "4 3 1 2");
  assert_reply (cmd ("HGET", KEY ("cap"), "1", NULL), "10");
  assert_reply (run ("tier-set", NULL, "1", "6", "2", "4", "set", NULL), "ok 0");
  assert_counts ("1", "0 3 1 2");
  assert_reply (cmd ("HGET", KEY ("max"), "1", NULL), "4");
  /* Redis's sold stays: the database's 3 may count the checkout's ticket
   * already (committed, not yet confirmed). */
  assert_reply (run ("tier-set", NULL, "1", "20", "3", "4", "set", NULL), "ok 14");
  assert_counts ("1", "14 3 1 2");

  /* Repair only fills in a tier that has no counters. */
  assert_reply (run ("tier-set", NULL, "1", "100", "0", "4", "repair", NULL), "present");
  assert_counts ("1", "14 3 1 2");
  assert_reply (run ("tier-set", NULL, "2", "100", "7", "4", "repair", NULL), "ok 93");
  assert_counts ("2", "93 0 0 7");

  assert_reply (run ("tier-set", NULL, "3", "100", "0", "4", "replace", NULL),
                "invalid mode must be set or repair");
  assert_reply (run ("tier-set", NULL, "3", "-1", "0", "4", "set", NULL),
                "invalid capacity, sold and max per order must be integers");
  assert_reply (run ("tier-set", NULL, "3", "10", "0", "0", "set", NULL),
                "invalid capacity, sold and max per order must be integers");
  assert_reply (cmd ("HEXISTS", KEY ("cap"), "3", NULL), "0");
}

typedef struct
{
  guint pending;
  guint ok;
  GPtrArray *failures;
} Burst;

static void
burst_cb (LeapRedis        *self,
          const redisReply *reply,
          const GError     *error,
          gpointer          user_data)
{
  Burst *burst = user_data;
  char *text = reply_text (reply, error);

  if (g_str_has_prefix (text, "ok ") || g_str_equal (text, "OK"))
    {
      burst->ok++;
      g_free (text);
    }
  else
    g_ptr_array_add (burst->failures, text);
  burst->pending--;
}

static gboolean
burst_done (gpointer data)
{
  return ((Burst *) data)->pending == 0;
}

/* The SHA1 Redis knows a script by: its text behind the prelude. */
static char *
script_sha (const char *name)
{
  g_autofree char *path = g_strdup_printf (LUA_PATH "/%s.lua", name);
  g_autoptr(GBytes) prelude = g_resources_lookup_data (LUA_PATH "/prelude.lua", 0, NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, 0, NULL);
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA1);

  g_assert_nonnull (prelude);
  g_assert_nonnull (bytes);
  g_checksum_update (checksum, g_bytes_get_data (prelude, NULL), g_bytes_get_size (prelude));
  g_checksum_update (checksum, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  return g_strdup (g_checksum_get_string (checksum));
}

/* Redis forgets its scripts in the middle of a run (a restart, SCRIPT
 * FLUSH): the commands already sent and those that follow all succeed. */
static void
test_script_flush (Fixture *fixture, gconstpointer data)
{
  g_autofree char *now = ms_text (now_ms ());
  g_autofree char *sha = script_sha ("reserve");
  Burst burst = { 0, 0, g_ptr_array_new_with_free_func (g_free) };

  tier_set ("1", "1000", "10");
  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *hold = g_strdup_printf ("f%u", i);

      burst.pending++;
      eval_async (conn, burst_cb, &burst, "reserve", hold, hold, "alice", now, HOLD_MS, "1", "1",
                  NULL);
      if (i == 100)
        {
          burst.pending++;
          leap_redis_command (conn, burst_cb, &burst, "SCRIPT", "FLUSH", NULL);
        }
    }
  g_assert_true (leap_test_wait_until (burst_done, &burst, 10000));
  for (guint i = 0; i < burst.failures->len; i++)
    g_test_message ("failed: %s", (char *) g_ptr_array_index (burst.failures, i));
  g_assert_cmpuint (burst.failures->len, ==, 0);
  g_assert_cmpuint (burst.ok, ==, 201);
  assert_counts ("1", "800 200 0 0");
  /* The first EVALSHA after the flush went out again as EVAL, which cached it. */
  {
    g_autofree char *exists = cmd ("SCRIPT", "EXISTS", sha, NULL);
    g_assert_cmpstr (exists, ==, "1");
  }
  /* Once more with a flush from somewhere else, between two calls. */
  g_free (leap_test_redis_cli (&redis, "SCRIPT", "FLUSH", NULL));
  g_free (reserve_ok ("g1", "alice", now_ms (), 600000, "1", "5"));
  assert_counts ("1", "795 205 0 0");
  g_ptr_array_unref (burst.failures);
}

/* The random walk: hold ids, their owner, and the order they were checked
 * out under. */
typedef struct
{
  char  *id;
  char  *owner;
  char  *order;
} Walk;

static void
walk_free (Walk *walk)
{
  g_free (walk->id);
  g_free (walk->owner);
  g_free (walk->order);
  g_free (walk);
}

static const char *tiers3[] = { "1", "2", "3" };

static void
check_invariant (void)
{
  for (guint t = 0; t < G_N_ELEMENTS (tiers3); t++)
    g_free (counts (tiers3[t]));
}

static gboolean
reply_in (const char *reply,
          ...)
{
  gboolean found = FALSE;
  va_list ap;

  va_start (ap, reply);
  for (const char *prefix = va_arg (ap, const char *); prefix != NULL;
       prefix = va_arg (ap, const char *))
    if (g_str_has_prefix (reply, prefix))
      found = TRUE;
  va_end (ap);
  if (!found)
    g_error ("unexpected reply: %s", reply);
  return found;
}

/* Thousands of random operations over three tiers, in a fixed order (seeded),
 * with time moving on: afterwards every counter agrees with the holds. */
static void
test_random_walk (Fixture *fixture, gconstpointer data)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260101);
  g_autoptr(GPtrArray) holds = g_ptr_array_new_with_free_func ((GDestroyNotify) walk_free);
  gint64 now = now_ms ();
  const guint n_ops = 6000;
  guint stats[8] = { 0 };

  tier_set ("1", "60", "6");
  tier_set ("2", "40", "6");
  tier_set ("3", "25", "6");

  for (guint op = 0; op < n_ops; op++)
    {
      guint kind = g_rand_int_range (rand, 0, 100);
      g_autofree char *now_text = NULL;
      g_autofree char *reply = NULL;
      Walk            *walk = NULL;

      if (holds->len > 0)
        walk = g_ptr_array_index (holds, g_rand_int_range (rand, 0, holds->len));
      now += g_rand_int_range (rand, 0, 40);
      now_text = ms_text (now);

      if (kind < 35 || walk == NULL)
        {
          Walk *fresh = g_new0 (Walk, 1);
          g_autofree char *ttl = g_strdup_printf ("%d", g_rand_int_range (rand, 200, 4000));
          g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
          guint first = g_rand_int_range (rand, 0, 3);
          guint n_tiers = g_rand_int_range (rand, 1, 4);
          Sync sync = { FALSE, NULL };
          int nkeys = 8;
          const char *keys[] = { KEY ("cap"), KEY ("avail"), KEY ("held"), KEY ("checkout"),
                                 KEY ("sold"), KEY ("max"), KEY ("holds") };

          fresh->id = g_strdup_printf ("w%u", op);
          fresh->owner = g_strdup_printf ("owner%d", g_rand_int_range (rand, 0, 5));
          for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
            g_ptr_array_add (args, g_strdup (keys[i]));
          g_ptr_array_add (args, g_strdup_printf ("leap:{ev:" EVENT "}:hold:%s", fresh->id));
          g_ptr_array_add (args, g_strdup (EVENT));
          g_ptr_array_add (args, g_strdup (fresh->id));
          g_ptr_array_add (args, g_strdup (fresh->owner));
          g_ptr_array_add (args, g_strdup (now_text));
          g_ptr_array_add (args, g_strdup (ttl));
          for (guint i = 0; i < n_tiers; i++)
            {
              g_ptr_array_add (args, g_strdup (tiers3[(first + i) % 3]));
              g_ptr_array_add (args, g_strdup_printf ("%d", g_rand_int_range (rand, 1, 8)));
            }
          leap_redis_eval_argv (conn, "reserve", sync_cb, &sync, nkeys, args->len,
                                (const char **) args->pdata, NULL);
          reply = sync_wait (&sync);
          reply_in (reply, "ok ", "sold_out ", "limit ", NULL);
          if (g_str_has_prefix (reply, "ok "))
            {
              g_ptr_array_add (holds, fresh);
              stats[0]++;
            }
          else
            {
              stats[7] += g_str_has_prefix (reply, "sold_out ");
              walk_free (fresh);
            }
        }
      else if (kind < 50)
        {
          /* Now and then someone else tries, or the system. */
          guint who = g_rand_int_range (rand, 0, 10);
          const char *owner = who == 0 ? "intruder" : who == 1 ? "" : walk->owner;

          reply = run ("release", walk->id, owner, now_text, NULL);
          reply_in (reply, "released", "status ", who == 0 ? "not_found" : "released", NULL);
          stats[1] += g_str_equal (reply, "released");
        }
      else if (kind < 65)
        {
          g_autofree char *order = g_strdup_printf ("o-%s-%d", walk->id,
                                                    g_rand_int_range (rand, 0, 2));

          reply = run ("begin-checkout", walk->id, walk->owner, now_text, order, "order", order,
                       NULL);
          reply_in (reply, "ok ", "expired", "status ", NULL);
          if (g_str_has_prefix (reply, "ok ") && walk->order == NULL)
            {
              walk->order = g_steal_pointer (&order);
              stats[2]++;
            }
        }
      else if (kind < 75)
        {
          reply = run ("confirm", walk->id, walk->order ? walk->order : "none", NULL);
          reply_in (reply, "confirmed", "status ", NULL);
          stats[3] += g_str_equal (reply, "confirmed");
        }
      else if (kind < 83)
        {
          reply = run ("abort-checkout", walk->id, walk->order ? walk->order : "none", NULL);
          reply_in (reply, "released", "status ", NULL);
          stats[4] += g_str_equal (reply, "released");
        }
      else if (kind < 95)
        {
          reply = expire (now, g_rand_int_range (rand, 1, 30));
          reply_in (reply, "expired ", NULL);
          stats[5] += g_ascii_strtoull (reply + 8, NULL, 10);
        }
      else
        {
          const char *tier = tiers3[g_rand_int_range (rand, 0, 3)];
          g_autofree char *sold = ms_text (counter ("sold", tier));
          g_autofree char *cap = g_strdup_printf ("%d", g_rand_int_range (rand, 10, 90));

          reply = run ("tier-set", NULL, tier, cap, sold, "6", "set", NULL);
          reply_in (reply, "ok ", "capacity_below ", NULL);
          stats[6]++;
        }

      if (op % 20 == 0)
        check_invariant ();
    }
  check_invariant ();

  /* Every counter is the sum of the holds in its state; the expiry index
   * lists exactly the live holds. */
  {
    gint64 held[3] = { 0 }, checkout[3] = { 0 };
    guint live = 0;
    g_autofree char *zcard = NULL;

    for (guint i = 0; i < holds->len; i++)
      {
        Walk *walk = g_ptr_array_index (holds, i);
        g_autofree char *key = g_strdup_printf ("leap:{ev:" EVENT "}:hold:%s", walk->id);
        g_autofree char *status = cmd ("HGET", key, "status", NULL);
        g_autofree char *items = cmd ("HGET", key, "items", NULL);
        g_auto(GStrv) pairs = g_strsplit (items, ",", -1);
        gint64 *sums = NULL;

        if (g_str_equal (status, "held"))
          {
            sums = held;
            live++;
          }
        else if (g_str_equal (status, "checking_out"))
          sums = checkout;
        for (guint p = 0; sums != NULL && pairs[p] != NULL; p++)
          {
            g_auto(GStrv) tq = g_strsplit (pairs[p], ":", 2);
            sums[g_ascii_strtoll (tq[0], NULL, 10) - 1] += g_ascii_strtoll (tq[1], NULL, 10);
          }
      }
    for (guint t = 0; t < 3; t++)
      {
        g_assert_cmpint (counter ("held", tiers3[t]), ==, held[t]);
        g_assert_cmpint (counter ("checkout", tiers3[t]), ==, checkout[t]);
      }
    zcard = cmd ("ZCARD", KEY ("holds"), NULL);
    g_assert_cmpint (g_ascii_strtoll (zcard, NULL, 10), ==, live);
  }
  g_test_message ("%u holds, %u sold out, %u released, %u checked out, %u confirmed, "
                  "%u aborted, %u expired, %u tier-sets", stats[0], stats[7], stats[1], stats[2],
                  stats[3], stats[4], stats[5], stats[6]);
  /* Every path was taken often. */
  g_assert_cmpuint (stats[0], >, 500);
  g_assert_cmpuint (stats[1], >, 50);
  g_assert_cmpuint (stats[2], >, 50);
  g_assert_cmpuint (stats[3], >, 20);
  g_assert_cmpuint (stats[4], >, 20);
  g_assert_cmpuint (stats[5], >, 50);
  g_assert_cmpuint (stats[7], >, 100);
}

typedef struct
{
  GPtrArray *messages;
} Listener;

static void
message_cb (LeapRedis  *self,
            const char *channel,
            const char *message,
            gsize       length,
            gpointer    user_data)
{
  Listener *listener = user_data;

  g_assert_cmpstr (channel, ==, "leap:avail:" EVENT);
  g_ptr_array_add (listener->messages, g_strndup (message, length));
}

static gboolean
subscribed (gpointer data)
{
  g_autofree char *reply = cmd ("PUBSUB", "NUMSUB", "leap:avail:" EVENT, NULL);

  return g_str_equal (reply, "leap:avail:" EVENT " 1");
}

typedef struct
{
  Listener *listener;
  guint     count;
} Awaited;

static gboolean
received (gpointer data)
{
  Awaited *awaited = data;

  return awaited->listener->messages->len >= awaited->count;
}

static void
assert_message (Listener   *listener,
                guint       index,
                const char *expected)
{
  Awaited awaited = { listener, index + 1 };

  g_assert_true (leap_test_wait_until (received, &awaited, 5000));
  g_assert_cmpstr (g_ptr_array_index (listener->messages, index), ==, expected);
}

/* Every change of availability reaches a subscriber, as compact JSON. */
static void
test_publish (Fixture *fixture, gconstpointer data)
{
  g_autoptr(LeapRedis) subscriber = leap_redis_new ("127.0.0.1", redis.port);
  Listener listener = { g_ptr_array_new_with_free_func (g_free) };
  gint64 now = now_ms ();
  g_autofree char *now_text = ms_text (now);

  leap_redis_subscribe (subscriber, "leap:avail:" EVENT, message_cb, &listener);
  g_assert_true (leap_test_wait_until (subscribed, NULL, 10000));

  tier_set ("1", "10", "10");
  assert_message (&listener, 0, "{\"event_id\":1,\"tiers\":[{\"tier_id\":1,\"available\":10}]}");
  tier_set ("2", "5", "10");
  assert_message (&listener, 1, "{\"event_id\":1,\"tiers\":[{\"tier_id\":2,\"available\":5}]}");

  g_free (run ("reserve", "h1", "h1", "alice", now_text, "1000", "2", "2", "1", "3", NULL));
  assert_message (&listener, 2, "{\"event_id\":1,\"tiers\":[{\"tier_id\":2,\"available\":3},"
                                "{\"tier_id\":1,\"available\":7}]}");
  g_free (run ("reserve", "h2", "h2", "alice", now_text, "1000", "1", "1", NULL));
  assert_message (&listener, 3, "{\"event_id\":1,\"tiers\":[{\"tier_id\":1,\"available\":6}]}");
  assert_reply (run ("release", "h2", "alice", now_text, NULL), "released");
  assert_message (&listener, 4, "{\"event_id\":1,\"tiers\":[{\"tier_id\":1,\"available\":7}]}");
  /* One message for everything one expire run gave back. */
  assert_reply (expire (now + 1000, 100), "expired 1");
  assert_message (&listener, 5, "{\"event_id\":1,\"tiers\":[{\"tier_id\":2,\"available\":5},"
                                "{\"tier_id\":1,\"available\":10}]}");
  /* A refusal changes nothing and says nothing. */
  assert_reply (run ("reserve", "h3", "h3", "alice", now_text, "1000", "2", "6", NULL),
                "sold_out 2 5");
  tier_set ("3", "1", "10");
  assert_message (&listener, 6, "{\"event_id\":1,\"tiers\":[{\"tier_id\":3,\"available\":1}]}");
  g_assert_cmpuint (listener.messages->len, ==, 7);

  leap_redis_unsubscribe_all (subscriber, &listener);
  g_ptr_array_unref (listener.messages);
}

/* The race: N_CLIENTS connections, each with one request in flight at a
 * time, until N_ATTEMPTS requests are answered. */
#define N_CLIENTS 200
#define N_ATTEMPTS 5000
#define N_TICKETS 1000

typedef struct _Race Race;

typedef struct
{
  Race      *race;
  LeapRedis *conn;
  gint64     read_value;
} Client;

struct _Race
{
  Client   clients[N_CLIENTS];
  char    *now;
  guint    next;
  guint    answered;
  guint    sold;
  guint    refused;
  guint    failed;
};

static void race_reserve_next (Client *client);
static void race_naive_next (Client *client);

static void
race_reserve_cb (LeapRedis        *self,
                 const redisReply *reply,
                 const GError     *error,
                 gpointer          user_data)
{
  Client *client = user_data;
  g_autofree char *text = reply_text (reply, error);

  if (g_str_has_prefix (text, "ok "))
    client->race->sold++;
  else if (g_str_has_prefix (text, "sold_out 1 0"))
    client->race->refused++;
  else
    client->race->failed++;
  client->race->answered++;
  race_reserve_next (client);
}

static void
race_reserve_next (Client *client)
{
  Race *race = client->race;
  g_autofree char *hold = NULL;

  if (race->next == N_ATTEMPTS)
    return;
  hold = g_strdup_printf ("r%u", race->next++);
  eval_async (client->conn, race_reserve_cb, client, "reserve", hold, hold, "buyer", race->now,
              HOLD_MS, "1", "1", NULL);
}

static void
race_naive_set_cb (LeapRedis        *self,
                   const redisReply *reply,
                   const GError     *error,
                   gpointer          user_data)
{
  Client *client = user_data;

  if (error != NULL)
    client->race->failed++;
  client->race->answered++;
  race_naive_next (client);
}

/* What no request path may do: read the counter, decide in C, write back. */
static void
race_naive_get_cb (LeapRedis        *self,
                   const redisReply *reply,
                   const GError     *error,
                   gpointer          user_data)
{
  Client *client = user_data;
  g_autofree char *value = NULL;

  if (error != NULL || reply->type != REDIS_REPLY_STRING)
    {
      client->race->failed++;
      client->race->answered++;
      race_naive_next (client);
      return;
    }
  client->read_value = g_ascii_strtoll (reply->str, NULL, 10);
  if (client->read_value <= 0)
    {
      client->race->refused++;
      client->race->answered++;
      race_naive_next (client);
      return;
    }
  client->race->sold++;
  value = ms_text (client->read_value - 1);
  leap_redis_command (client->conn, race_naive_set_cb, client, "SET", "naive:avail", value, NULL);
}

static void
race_naive_next (Client *client)
{
  Race *race = client->race;

  if (race->next == N_ATTEMPTS)
    return;
  race->next++;
  leap_redis_command (client->conn, race_naive_get_cb, client, "GET", "naive:avail", NULL);
}

static gboolean
race_done (gpointer data)
{
  return ((Race *) data)->answered == N_ATTEMPTS;
}

static gboolean
clients_connected (gpointer data)
{
  Race *race = data;

  for (guint i = 0; i < N_CLIENTS; i++)
    if (!leap_redis_is_connected (race->clients[i].conn))
      return FALSE;
  return TRUE;
}

static void
race_reset (Race *race)
{
  race->next = race->answered = race->sold = race->refused = race->failed = 0;
}

static void
test_race (Fixture *fixture, gconstpointer data)
{
  Race *race = g_new0 (Race, 1);
  g_autofree char *naive_left = NULL;
  gint64 started;

  for (guint i = 0; i < N_CLIENTS; i++)
    {
      race->clients[i].race = race;
      race->clients[i].conn = leap_redis_new ("127.0.0.1", redis.port);
      leap_redis_load_scripts (race->clients[i].conn, LUA_PATH);
    }
  g_assert_true (leap_test_wait_until (clients_connected, race, 20000));
  assert_reply (run ("tier-set", NULL, "1", "1000", "0", "10", "set", NULL), "ok 1000");

  /* The scripts: exactly the tickets there are, and not one more. */
  race->now = ms_text (now_ms ());
  started = g_get_monotonic_time ();
  for (guint i = 0; i < N_CLIENTS; i++)
    race_reserve_next (&race->clients[i]);
  g_assert_true (leap_test_wait_until (race_done, race, 30000));
  g_test_message ("scripts: %u held, %u refused in %.0f ms", race->sold, race->refused,
                  (g_get_monotonic_time () - started) / 1000.0);
  g_assert_cmpuint (race->failed, ==, 0);
  g_assert_cmpuint (race->sold, ==, N_TICKETS);
  g_assert_cmpuint (race->refused, ==, N_ATTEMPTS - N_TICKETS);
  assert_counts ("1", "0 1000 0 0");
  assert_reply (cmd ("ZCARD", KEY ("holds"), NULL), "1000");

  /* The control: the same clients, the same load, the naive way. It must
   * oversell, or this test could not see a race at all. */
  race_reset (race);
  assert_reply (cmd ("SET", "naive:avail", "1000", NULL), "OK");
  started = g_get_monotonic_time ();
  for (guint i = 0; i < N_CLIENTS; i++)
    race_naive_next (&race->clients[i]);
  g_assert_true (leap_test_wait_until (race_done, race, 30000));
  naive_left = cmd ("GET", "naive:avail", NULL);
  g_test_message ("control: %u \"sold\" of %u, counter left at %s, in %.0f ms", race->sold,
                  N_TICKETS, naive_left, (g_get_monotonic_time () - started) / 1000.0);
  g_assert_cmpuint (race->failed, ==, 0);
  g_assert_cmpuint (race->sold, >, N_TICKETS);

  for (guint i = 0; i < N_CLIENTS; i++)
    g_object_unref (race->clients[i].conn);
  g_free (race->now);
  g_free (race);
}

/* The _full variants: a command that never gets its reply (the connection
 * is disposed first) has its user_data freed by destroy, and only then;
 * one that gets its reply leaves user_data to its callback. */
typedef struct
{
  guint replies;
  guint destroyed;
} Outcome;

static void
outcome_reply_cb (LeapRedis        *self,
                  const redisReply *reply,
                  const GError     *error,
                  gpointer          user_data)
{
  ((Outcome *) user_data)->replies++;
}

static void
outcome_destroy (gpointer data)
{
  ((Outcome *) data)->destroyed++;
}

static gboolean
blocked_on_server (gpointer data)
{
  g_autofree char *info = cmd ("INFO", "clients", NULL);

  return strstr (info, "blocked_clients:1") != NULL;
}

static void
test_dispose_frees_user_data (Fixture *fixture, gconstpointer data)
{
  Outcome answered = { 0 }, blocked = { 0 }, queued = { 0 }, script = { 0 }, failing = { 0 },
          no_func = { 0 };
  const char *argv[] = { "EVAL", "return 1", "0" };
  const char *keys[] = { KEY ("avail") };
  LeapRedis *other = leap_redis_new ("127.0.0.1", redis.port);
  LeapRedis *down = leap_redis_new ("127.0.0.1", leap_test_free_port ());

  leap_redis_load_scripts (other, LUA_PATH);
  g_assert_true (leap_test_wait_until (redis_connected, other, 10000));

  /* Answered: the callback has it, destroy is not called. */
  leap_redis_command_full (other, outcome_reply_cb, &answered, outcome_destroy, "PING", NULL);
  leap_redis_command_argv_full (other, NULL, &no_func, outcome_destroy, G_N_ELEMENTS (argv), argv,
                                NULL);
  {
    Sync sync = { FALSE, NULL };

    /* Replies come in order: once this one is in, both above are too. */
    leap_redis_command (other, sync_cb, &sync, "PING", NULL);
    g_free (sync_wait (&sync));
  }
  g_assert_cmpuint (answered.replies, ==, 1);
  g_assert_cmpuint (answered.destroyed, ==, 0);
  g_assert_cmpuint (no_func.destroyed, ==, 1);

  /* Waiting on the server, sent and not yet sent, and failing on an idle
   * of a connection that is not up: all dropped by the dispose. */
  leap_redis_command_full (other, outcome_reply_cb, &blocked, outcome_destroy,
                           "BLPOP", "leap:test:never", "0", NULL);
  g_assert_true (leap_test_wait_until (blocked_on_server, NULL, 10000));
  leap_redis_command_full (other, outcome_reply_cb, &queued, outcome_destroy, "PING", NULL);
  leap_redis_eval_argv_full (other, "cache-drop-index", outcome_reply_cb, &script, outcome_destroy,
                             1, 1, keys, NULL);
  leap_redis_command_full (down, outcome_reply_cb, &failing, outcome_destroy, "PING", NULL);
  g_object_run_dispose (G_OBJECT (down));
  g_object_unref (other);
  g_assert_cmpuint (blocked.destroyed, ==, 1);
  g_assert_cmpuint (queued.destroyed, ==, 1);
  g_assert_cmpuint (script.destroyed, ==, 1);
  {
    Sync sync = { FALSE, NULL };

    /* The failure of "down" runs from an idle at high priority: gone by
     * the time a reply on the shared connection is read. */
    leap_redis_command (conn, sync_cb, &sync, "PING", NULL);
    g_free (sync_wait (&sync));
  }
  g_assert_cmpuint (failing.destroyed, ==, 1);
  g_object_unref (down);

  g_assert_cmpuint (blocked.replies + queued.replies + script.replies + failing.replies, ==, 0);
  g_assert_cmpuint (blocked.destroyed + queued.destroyed + script.destroyed + failing.destroyed, ==,
                    4);
}

static void
drop_message (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
}

/* Redis's clock, in ms, from TIME ("seconds microseconds"). */
static gint64
redis_ms (void)
{
  g_autofree char *text = cmd ("TIME", NULL);
  g_auto(GStrv) parts = g_strsplit (text, " ", 2);

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  return g_ascii_strtoll (parts[0], NULL, 10) * 1000 + g_ascii_strtoll (parts[1], NULL, 10) / 1000;
}

static gboolean
redis_past (gpointer data)
{
  return redis_ms () > *(gint64 *) data;
}

/* "" for now (what the backends pass): the scripts read Redis's clock. */
static void
test_redis_clock (Fixture *fixture, gconstpointer data)
{
  gint64 before, after, expires;
  g_autofree char *reply = NULL;

  tier_set ("1", "10", "10");
  before = redis_ms ();
  reply = run ("reserve", "h1", "h1", "alice", "", "200", "1", "2", NULL);
  after = redis_ms ();
  g_assert_true (g_str_has_prefix (reply, "ok "));
  expires = g_ascii_strtoll (reply + 3, NULL, 10);
  g_assert_cmpint (expires, >=, before + 200);
  g_assert_cmpint (expires, <=, after + 200);
  g_free (reserve_ok ("h2", "alice", redis_ms (), 600000, "1", "1"));

  assert_reply (run ("expire", NULL, "", "100", NULL), "expired 0");
  g_assert_true (leap_test_wait_until (redis_past, &expires, 10000));
  assert_reply (run ("begin-checkout", "h1", "alice", "", "o1", "order", "o1", NULL), "expired");
  assert_counts ("1", "9 1 0 0");
  assert_reply (run ("release", "h2", "alice", "", NULL), "released");
  assert_reply (run ("expire", NULL, "", "100", NULL), "expired 0");
  assert_counts ("1", "10 0 0 0");
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Two hundred "Connected to Redis" lines say nothing; warnings still show. */
  g_log_set_handler ("leap-redis", G_LOG_LEVEL_MESSAGE, drop_message, NULL);
  leap_test_redis_start (&redis);
  conn = leap_redis_new ("127.0.0.1", redis.port);
  leap_redis_load_scripts (conn, LUA_PATH);
  if (!leap_test_wait_until (redis_connected, conn, 10000))
    g_error ("Could not connect to the test Redis");

  g_test_add ("/leap/inventory/all-or-nothing", Fixture, NULL, setup, test_all_or_nothing,
              teardown);
  g_test_add ("/leap/inventory/limit", Fixture, NULL, setup, test_limit, teardown);
  g_test_add ("/leap/inventory/redis-clock", Fixture, NULL, setup, test_redis_clock, teardown);
  g_test_add ("/leap/inventory/limit-ok", Fixture, NULL, setup, test_limit_ok, teardown);
  g_test_add ("/leap/inventory/refusals", Fixture, NULL, setup, test_refusals, teardown);
  g_test_add ("/leap/inventory/sold-out", Fixture, NULL, setup, test_sold_out, teardown);
  g_test_add ("/leap/inventory/release-once", Fixture, NULL, setup, test_release_once, teardown);
  g_test_add ("/leap/inventory/other-owner", Fixture, NULL, setup, test_other_owner, teardown);
  g_test_add ("/leap/inventory/expiry-once", Fixture, NULL, setup, test_expiry_once, teardown);
  g_test_add ("/leap/inventory/expire-release-race", Fixture, NULL, setup, test_expire_release_race,
              teardown);
  g_test_add ("/leap/inventory/checkout", Fixture, NULL, setup, test_checkout, teardown);
  g_test_add ("/leap/inventory/tier-set", Fixture, NULL, setup, test_tier_set, teardown);
  g_test_add ("/leap/inventory/script-flush", Fixture, NULL, setup, test_script_flush, teardown);
  g_test_add ("/leap/inventory/random-walk", Fixture, NULL, setup, test_random_walk, teardown);
  g_test_add ("/leap/inventory/publish", Fixture, NULL, setup, test_publish, teardown);
  g_test_add ("/leap/inventory/race", Fixture, NULL, setup, test_race, teardown);
  g_test_add ("/leap/inventory/dispose-frees-user-data", Fixture, NULL, setup,
              test_dispose_frees_user_data, teardown);

  status = g_test_run ();
  g_clear_object (&conn);
  leap_test_redis_clear (&redis);
  return status;
}
