/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The lease on the work one backend of many does alone (lua/lease.lua,
 * LeapLease) and the fence on the reconciler's repairs (lua/reconcile.lua's
 * apply-fenced), against a real Redis. */
#include "leap-test-util.h"
#include "leap-keys.h"
#include "leap-lease.h"
#include "leap-reply.h"

#include <string.h>

#define LUA_PATH "/io/github/leapboxoffice/lua"

static LeapTestRedis redis;
static LeapRedis *conn;

typedef struct
{
  gboolean done;
  char    *text;
} Sync;

/* Replies flattened to text, elements separated by spaces. */
static void
append_reply (GString          *out,
              const redisReply *reply)
{
  if (out->len > 0)
    g_string_append_c (out, ' ');
  if (reply->type == REDIS_REPLY_ARRAY)
    {
      g_autoptr(GString) inner = g_string_new (NULL);

      for (size_t i = 0; i < reply->elements; i++)
        append_reply (inner, reply->element[i]);
      g_string_append (out, inner->str);
    }
  else if (reply->type == REDIS_REPLY_INTEGER)
    g_string_append_printf (out, "%lld", reply->integer);
  else if (reply->type == REDIS_REPLY_NIL)
    g_string_append (out, "(nil)");
  else
    g_string_append (out, reply->str);
}

static void
sync_cb (LeapRedis        *self,
         const redisReply *reply,
         const GError     *error,
         gpointer          user_data)
{
  Sync *sync = user_data;
  g_autoptr(GString) out = g_string_new (NULL);

  if (error != NULL)
    g_string_printf (out, "error: %s", error->message);
  else
    append_reply (out, reply);
  sync->text = g_string_free (g_steal_pointer (&out), FALSE);
  sync->done = TRUE;
}

static gboolean
sync_done (gpointer data)
{
  return ((Sync *) data)->done;
}

/* Runs script with keys (the array's first nkeys) and the NULL-terminated
 * ARGV after them; the reply as text. */
static char *
eval (const char *script,
      GPtrArray  *keys,
      ...)
{
  guint nkeys = keys->len;
  Sync sync = { FALSE, NULL };
  va_list ap;

  va_start (ap, keys);
  for (const char *arg = va_arg (ap, const char *); arg != NULL; arg = va_arg (ap, const char *))
    g_ptr_array_add (keys, g_strdup (arg));
  va_end (ap);
  leap_redis_eval_argv (conn, script, sync_cb, &sync, nkeys, keys->len,
                        (const char **) keys->pdata, NULL);
  g_assert_true (leap_test_wait_until (sync_done, &sync, 10000));
  return sync.text;
}

static char *
lease (const char *holder,
       const char *op,
       const char *ms)
{
  g_autoptr(GPtrArray) keys = leap_keys_lease_script ("test");

  return eval ("lease", keys, holder, op, ms, NULL);
}

static void
setup (gpointer      fixture,
       gconstpointer data)
{
  g_autofree char *reply = leap_test_redis_cli (&redis, "FLUSHALL", NULL);
}

/* One holder at a time; renewing keeps the token, a new holder gets a
 * higher one; only the holder gives it up. */
static void
test_take_give (gpointer fixture, gconstpointer data)
{
  g_autofree char *a = lease ("a", "take", "60000");
  g_autofree char *a_again = lease ("a", "take", "60000");
  g_autofree char *b = lease ("b", "take", "60000");
  g_autofree char *b_gives = lease ("b", "give", NULL);
  g_autofree char *a_gives = lease ("a", "give", NULL);
  g_autofree char *b_takes = lease ("b", "take", "60000");
  g_autofree char *bad = lease ("b", "take", "0");

  g_assert_cmpstr (a, ==, "1 1");
  g_assert_cmpstr (a_again, ==, "1 1");
  /* The time a has left. */
  g_assert_true (g_str_has_prefix (b, "0 "));
  g_assert_cmpint (g_ascii_strtoll (b + 2, NULL, 10), >, 50000);
  g_assert_cmpstr (b_gives, ==, "0");
  g_assert_cmpstr (a_gives, ==, "1");
  g_assert_cmpstr (b_takes, ==, "1 2");
  g_assert_true (g_str_has_prefix (bad, "error: "));
}

static gboolean
lease_gone (gpointer data)
{
  g_autofree char *left = leap_test_redis_cli (&redis, "EXISTS", "leap:{lease:test}", NULL);

  return g_str_has_prefix (left, "0");
}

/* A holder that stops renewing loses the lease when its time is up. */
static void
test_expires (gpointer fixture, gconstpointer data)
{
  g_autofree char *a = lease ("a", "take", "200");
  g_autofree char *b = NULL;

  g_assert_cmpstr (a, ==, "1 1");
  g_assert_true (leap_test_wait_until (lease_gone, NULL, 10000));
  b = lease ("b", "take", "60000");
  g_assert_cmpstr (b, ==, "1 2");
}

/* Repairs of event 1's tier 7 from what it holds now to capacity 12. */
static char *
apply (const char *mode,
       const char *token)
{
  g_autoptr(GPtrArray) keys = leap_keys_reconcile_script (1);
  const char *counters[] = { "cap", "avail", "held", "checkout", "sold" };
  guint nkeys = keys->len;
  Sync sync = { FALSE, NULL };

  g_ptr_array_add (keys, g_strdup ("1"));
  g_ptr_array_add (keys, g_strdup (mode));
  if (token != NULL)
    g_ptr_array_add (keys, g_strdup (token));
  g_ptr_array_add (keys, g_strdup (""));
  g_ptr_array_add (keys, g_strdup ("1"));
  g_ptr_array_add (keys, g_strdup ("7"));
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    {
      g_autofree char *key = g_strdup_printf ("leap:{ev:1}:%s", counters[i]);
      g_autofree char *now = leap_test_redis_cli (&redis, "HGET", key, "7", NULL);

      g_ptr_array_add (keys, g_strdup (g_strstrip (now)));
    }
  for (guint i = 0; i < G_N_ELEMENTS (counters); i++)
    g_ptr_array_add (keys, g_strdup (i < 2 ? "12" : "0"));
  leap_redis_eval_argv (conn, "reconcile", sync_cb, &sync, nkeys, keys->len,
                        (const char **) keys->pdata, NULL);
  g_assert_true (leap_test_wait_until (sync_done, &sync, 10000));
  return sync.text;
}

/* A reconciler whose lease was taken over since repairs nothing: the
 * event remembers the highest token that repaired it. */
static void
test_reconcile_fenced (gpointer fixture, gconstpointer data)
{
  g_autofree char *first = apply ("apply-fenced", "5");
  g_autofree char *stale = apply ("apply-fenced", "4");
  g_autofree char *same = apply ("apply-fenced", "5");
  g_autofree char *newer = apply ("apply-fenced", "6");
  g_autofree char *stale_again = apply ("apply-fenced", "5");
  g_autofree char *unfenced = apply ("apply", NULL);
  g_autofree char *fence = leap_test_redis_cli (&redis, "GET", "leap:{ev:1}:fence", NULL);
  g_autofree char *bad = apply ("apply-fenced", "x");

  g_assert_cmpstr (first, ==, "ok 1");
  g_assert_cmpstr (stale, ==, "fenced 5");
  g_assert_cmpstr (same, ==, "ok 1");
  g_assert_cmpstr (newer, ==, "ok 1");
  g_assert_cmpstr (stale_again, ==, "fenced 6");
  /* Asked for by an operator: no lease, no fence. */
  g_assert_cmpstr (unfenced, ==, "ok 1");
  g_assert_cmpstr (g_strstrip (fence), ==, "6");
  g_assert_cmpstr (bad, ==, "invalid bad token");
}

typedef struct
{
  LeapLease *leases[2];
  int        holder;
} Two;

static gboolean
one_holds (gpointer data)
{
  Two *two = data;
  guint held = 0;

  for (int i = 0; i < 2; i++)
    if (two->leases[i] != NULL && leap_lease_is_held (two->leases[i]))
      {
        held++;
        two->holder = i;
      }
  return held == 1;
}

static gboolean
none_holds (gpointer data)
{
  Two *two = data;

  return !leap_lease_is_held (two->leases[0]) && !leap_lease_is_held (two->leases[1]);
}

/* LeapLease: of two, one holds with a token; dropped, it gives the lease
 * up and the other takes it with a higher token well before it would have
 * run out; with Redis gone neither holds (what runs under it needs Redis),
 * but both may run the work that does not. */
static void
test_object (gpointer fixture, gconstpointer data)
{
  g_autoptr(LeapRedis) other = leap_redis_new ("127.0.0.1", redis.port);
  Two two = { { NULL, NULL }, -1 };
  gint64 token, started;
  int survivor;

  leap_redis_load_scripts (other, LUA_PATH);
  two.leases[0] = leap_lease_new (conn, "test", 3000);
  two.leases[1] = leap_lease_new (other, "test", 3000);
  g_assert_true (leap_test_wait_until (one_holds, &two, 10000));
  token = leap_lease_get_token (two.leases[two.holder]);
  g_assert_cmpint (token, >, 0);
  g_assert_cmpint (leap_lease_get_token (two.leases[1 - two.holder]), ==, 0);
  g_assert_false (leap_lease_may_run (two.leases[1 - two.holder]));

  survivor = 1 - two.holder;
  started = g_get_monotonic_time ();
  g_clear_object (&two.leases[two.holder]);
  g_assert_true (leap_test_wait_until (one_holds, &two, 10000));
  g_assert_cmpint (two.holder, ==, survivor);
  /* Given up, not run out: within a renewal (a second), not three. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 2500 * 1000);
  g_assert_cmpint (leap_lease_get_token (two.leases[survivor]), >, token);

  two.leases[1 - survivor] = leap_lease_new (conn, "test", 3000);
  /* The connections say they lost Redis: that is the point. */
  leap_test_allow_warnings ();
  leap_test_redis_stop (&redis);
  g_assert_true (leap_test_wait_until (none_holds, &two, 10000));
  g_assert_true (leap_lease_may_run (two.leases[0]));
  g_assert_true (leap_lease_may_run (two.leases[1]));
  leap_test_redis_start (&redis);
  g_assert_true (leap_test_wait_until (one_holds, &two, 20000));

  g_clear_object (&two.leases[0]);
  g_clear_object (&two.leases[1]);
}

static void
drop_message (const char     *domain,
              GLogLevelFlags  level,
              const char     *message,
              gpointer        user_data)
{
}

static gboolean
redis_connected (gpointer data)
{
  return leap_redis_is_connected (data);
}

int
main (int argc, char *argv[])
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_log_set_handler ("leap-redis", G_LOG_LEVEL_MESSAGE, drop_message, NULL);
  leap_test_redis_start (&redis);
  conn = leap_redis_new ("127.0.0.1", redis.port);
  leap_redis_load_scripts (conn, LUA_PATH);
  if (!leap_test_wait_until (redis_connected, conn, 10000))
    g_error ("Could not connect to the test Redis");

  g_test_add ("/leap/lease/take-give", void, NULL, setup, test_take_give, NULL);
  g_test_add ("/leap/lease/expires", void, NULL, setup, test_expires, NULL);
  g_test_add ("/leap/lease/reconcile-fenced", void, NULL, setup, test_reconcile_fenced, NULL);
  g_test_add ("/leap/lease/object", void, NULL, setup, test_object, NULL);
  status = g_test_run ();
  g_clear_object (&conn);
  leap_test_redis_stop (&redis);
  return status;
}
