/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Redis key names (leap-keys) and reply readers (leap-reply). The names
 * are checked byte for byte: a Redis that outlives an upgrade keeps its
 * keys, and lua/ builds some of the same names. */
#include "leap-keys.h"
#include "leap-reply.h"

#include <string.h>

static void
test_event (void)
{
  static const char * const inventory[] = {
    "leap:{ev:42}:cap", "leap:{ev:42}:avail", "leap:{ev:42}:held", "leap:{ev:42}:checkout",
    "leap:{ev:42}:sold", "leap:{ev:42}:max", "leap:{ev:42}:holds",
  };
  g_autofree char *hold = leap_keys_hold (42, "42-AbCdEfGhIjKlMnOpQrStUv");
  g_autofree char *refunds = leap_keys_event_refunds (42);
  g_autofree char *stream = leap_keys_checkout_stream (42);
  g_autofree char *event = leap_keys_event (42);
  g_autofree char *pricing = leap_keys_event_pricing (42);
  g_autofree char *big = leap_keys_hold (G_MAXINT64, "x");

  G_STATIC_ASSERT (G_N_ELEMENTS (inventory) == LEAP_INVENTORY_N_KEYS);
  for (guint i = 0; i < LEAP_INVENTORY_N_KEYS; i++)
    {
      g_autofree char *key = leap_keys_event_inventory (42, i);
      g_assert_cmpstr (key, ==, inventory[i]);
    }
  g_assert_cmpstr (hold, ==, "leap:{ev:42}:hold:42-AbCdEfGhIjKlMnOpQrStUv");
  g_assert_cmpstr (big, ==, "leap:{ev:9223372036854775807}:hold:x");
  g_assert_cmpstr (refunds, ==, "leap:{ev:42}:refunds");
  g_assert_cmpstr (stream, ==, "leap:{ev:42}:checkout-stream");
  g_assert_cmpstr (event, ==, "leap:{ev:42}:event");
  g_assert_cmpstr (pricing, ==, "leap:{ev:42}:pricing");
}

/* lua/prelude.lua and lua/reconcile.lua name a hold after the "holds" key:
 * its name minus "holds", plus "hold:ID". */
static void
test_hold_from_holds (void)
{
  g_autofree char *holds = leap_keys_event_inventory (7, LEAP_INVENTORY_HOLDS);
  g_autofree char *hold = leap_keys_hold (7, "7-x");
  g_autofree char *built = NULL;

  built = g_strdup_printf ("%.*shold:%s", (int) strlen (holds) - 5, holds, "7-x");
  g_assert_cmpstr (hold, ==, built);
}

/* ...and the event's change counter: minus "holds", plus "version". */
static void
test_version_from_holds (void)
{
  g_autofree char *holds = leap_keys_event_inventory (7, LEAP_INVENTORY_HOLDS);
  g_autofree char *version = leap_keys_event_version (7);
  g_autofree char *built = g_strdup_printf ("%.*sversion", (int) strlen (holds) - 5, holds);

  g_assert_cmpstr (version, ==, built);
}

static void
test_checkout_stream (void)
{
  g_autofree char *stream = leap_keys_checkout_stream (12);

  g_assert_true (leap_keys_is_checkout_stream (stream));
  g_assert_true (leap_keys_is_checkout_stream ("leap:{ev:}:checkout-stream"));
  g_assert_false (leap_keys_is_checkout_stream ("leap:{ev:12}:holds"));
  g_assert_false (leap_keys_is_checkout_stream ("leap:checkout-dead"));
  g_assert_false (leap_keys_is_checkout_stream ("x{ev:12}:checkout-stream"));
  g_assert_false (leap_keys_is_checkout_stream (NULL));
}

/* keys must be the inventory of event 5, in script order, then tail. */
static void
assert_script_keys (GPtrArray          *keys,
                    const char * const *tail)
{
  static const char * const inventory[] = {
    "leap:{ev:5}:cap", "leap:{ev:5}:avail", "leap:{ev:5}:held", "leap:{ev:5}:checkout",
    "leap:{ev:5}:sold", "leap:{ev:5}:max", "leap:{ev:5}:holds",
  };
  guint n = G_N_ELEMENTS (inventory);

  g_assert_cmpuint (keys->len, ==, n + g_strv_length ((char **) tail));
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (g_ptr_array_index (keys, i), ==, inventory[i]);
  for (guint i = n; i < keys->len; i++)
    g_assert_cmpstr (g_ptr_array_index (keys, i), ==, tail[i - n]);
}

static void
test_scripts (void)
{
  static const char * const hold[] = { "leap:{ev:5}:hold:5-h", NULL };
  static const char * const no_hold[] = { "leap:{ev:5}:hold:-", NULL };
  static const char * const checkout[] = {
    "leap:{ev:5}:hold:5-h", "leap:{ev:5}:checkout-stream", NULL
  };
  static const char * const reconcile[] = {
    "leap:{ev:5}:checkout-stream", "leap:{ev:5}:fence", NULL
  };
  static const char * const refund[] = { "leap:{ev:5}:refunds", NULL };
  static const char * const replay[] = {
    "leap:checkout-dead", "leap:{ev:5}:checkout-stream", "leap:checkout-streams",
    "leap:{ev:5}:hold:5-h", NULL
  };
  g_autoptr(GPtrArray) a = leap_keys_inventory_script (5, "5-h");
  g_autoptr(GPtrArray) b = leap_keys_inventory_script (5, NULL);
  g_autoptr(GPtrArray) c = leap_keys_checkout_script (5, "5-h");
  g_autoptr(GPtrArray) d = leap_keys_reconcile_script (5);
  g_autoptr(GPtrArray) e = leap_keys_refund_script (5);
  g_autoptr(GPtrArray) f = leap_keys_replay_dead_script ("leap:{ev:5}:checkout-stream",
                                                         "leap:{ev:5}:hold:5-h");
  g_autoptr(GPtrArray) lease = leap_keys_lease_script ("timers");
  g_autoptr(GPtrArray) room = leap_keys_waiting_room_script (5);
  static const char * const room_keys[] = {
    "leap:{ev:5}:room:line", "leap:{ev:5}:room:seen", "leap:{ev:5}:room:admitted",
    "leap:{ev:5}:room:last",
  };

  assert_script_keys (a, hold);
  assert_script_keys (b, no_hold);
  assert_script_keys (c, checkout);
  assert_script_keys (d, reconcile);
  assert_script_keys (e, refund);
  g_assert_cmpuint (lease->len, ==, 2);
  g_assert_cmpstr (g_ptr_array_index (lease, 0), ==, "leap:{lease:timers}");
  g_assert_cmpstr (g_ptr_array_index (lease, 1), ==, "leap:{lease:timers}:fence");
  g_assert_cmpuint (room->len, ==, G_N_ELEMENTS (room_keys));
  for (guint i = 0; i < room->len; i++)
    g_assert_cmpstr (g_ptr_array_index (room, i), ==, room_keys[i]);
  g_assert_cmpstr (leap_keys_waiting_rooms (), ==, "leap:{rooms}");
  g_assert_cmpuint (f->len, ==, g_strv_length ((char **) replay));
  for (guint i = 0; i < f->len; i++)
    g_assert_cmpstr (g_ptr_array_index (f, i), ==, replay[i]);
  /* The caller appends ARGV to the same array, which frees them. */
  g_ptr_array_add (a, g_strdup ("5"));
  g_assert_cmpuint (a->len, ==, 9);
}

static void
test_global (void)
{
  g_autofree char *guest = leap_keys_guest_holds ("abc");
  g_autofree char *address = leap_keys_address_holds ("2001:db8::6");
  g_autofree char *session = leap_keys_session ("f00d");
  g_autofree char *idem = leap_keys_idempotency ("scope", "hash");

  g_assert_cmpstr (leap_keys_expiring (), ==, "leap:expiring");
  g_assert_cmpstr (guest, ==, "leap:guest-holds:abc");
  g_assert_cmpstr (address, ==, "leap:address-holds:2001:db8::6");
  g_assert_cmpstr (leap_keys_checkout_streams (), ==, "leap:checkout-streams");
  g_assert_cmpstr (leap_keys_checkout_group (), ==, "leap-workers");
  g_assert_cmpstr (leap_keys_checkout_dead (), ==, "leap:checkout-dead");
  g_assert_cmpstr (leap_keys_checkout_errors (), ==, "leap:checkout-errors");
  g_assert_cmpstr (session, ==, "leap:session:f00d");
  g_assert_cmpstr (idem, ==, "leap:idem:scope:hash");
}

static void
test_catalogue (void)
{
  g_autofree char *venue = leap_keys_venue (3);
  g_autofree char *listing = leap_keys_event_listing ("da39a3ee");

  g_assert_cmpstr (leap_keys_venues (), ==, "leap:{cat}:venues");
  g_assert_cmpstr (venue, ==, "leap:{cat}:venue:3");
  g_assert_cmpstr (leap_keys_event_listings (), ==, "leap:{cat}:events:");
  g_assert_cmpstr (listing, ==, "leap:{cat}:events:da39a3ee");
  /* LeapCache forgets listings by the index's name as a prefix. */
  g_assert_true (g_str_has_prefix (listing, leap_keys_event_listings ()));
}

static void
test_channels (void)
{
  g_autofree char *avail = leap_keys_avail_channel (42);
  g_autofree char *order = leap_keys_order_channel ("o-42-x");

  g_assert_cmpstr (avail, ==, "leap:avail:42");
  g_assert_cmpstr (leap_keys_avail_channel_pattern (), ==, "leap:avail:*");
  g_assert_cmpstr (order, ==, "leap:order:o-42-x");
  g_assert_cmpstr (leap_keys_order_channel_pattern (), ==, "leap:order:*");
  g_assert_cmpstr (leap_keys_order_channel_order_id (order), ==, "o-42-x");
  g_assert_null (leap_keys_order_channel_order_id ("leap:avail:42"));
  g_assert_null (leap_keys_order_channel_order_id (NULL));
  g_assert_cmpstr (leap_keys_invalidate_channel (), ==, "leap:invalidate");
  g_assert_cmpstr (leap_keys_session_revoked_channel (), ==, "leap:session-revoked");
}

/* Replies as hiredis builds them. */

static redisReply *
string_reply (const char *text)
{
  redisReply *r = g_new0 (redisReply, 1);

  r->type = REDIS_REPLY_STRING;
  r->str = g_strdup (text);
  r->len = strlen (text);
  return r;
}

static redisReply *
int_reply (long long value)
{
  redisReply *r = g_new0 (redisReply, 1);

  r->type = REDIS_REPLY_INTEGER;
  r->integer = value;
  return r;
}

static redisReply *
array_reply (guint n,
             ...)
{
  redisReply *r = g_new0 (redisReply, 1);
  va_list ap;

  r->type = REDIS_REPLY_ARRAY;
  r->elements = n;
  r->element = g_new0 (redisReply *, MAX (n, 1));
  va_start (ap, n);
  for (guint i = 0; i < n; i++)
    r->element[i] = va_arg (ap, redisReply *);
  va_end (ap);
  return r;
}

static void
reply_free (redisReply *r)
{
  for (size_t i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++)
    reply_free (r->element[i]);
  g_free (r->element);
  g_free (r->str);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (redisReply, reply_free)

static void
test_reply_scalars (void)
{
  g_autoptr(redisReply) s = string_reply ("-12");
  g_autoptr(redisReply) junk = string_reply ("12x");
  g_autoptr(redisReply) i = int_reply (7);
  g_autoptr(redisReply) status = g_new0 (redisReply, 1);
  gint64 value = 0;
  gsize length = 0;

  status->type = REDIS_REPLY_STATUS;
  g_assert_cmpstr (leap_reply_string (s, &length), ==, "-12");
  g_assert_cmpuint (length, ==, 3);
  g_assert_null (leap_reply_string (i, NULL));
  g_assert_null (leap_reply_string (NULL, NULL));
  g_assert_true (leap_reply_is_status (status));
  g_assert_false (leap_reply_is_status (s));
  g_assert_false (leap_reply_is_status (NULL));

  g_assert_true (leap_reply_get_int (s, &value));
  g_assert_cmpint (value, ==, -12);
  g_assert_true (leap_reply_get_int (i, &value));
  g_assert_cmpint (value, ==, 7);
  g_assert_false (leap_reply_get_int (junk, &value));
  g_assert_false (leap_reply_get_int (status, &value));
  g_assert_false (leap_reply_get_int (NULL, &value));
}

static void
test_reply_arrays (void)
{
  g_autoptr(redisReply) ok = array_reply (2, string_reply ("ok"),
                                          string_reply ("1700000000000x"));
  g_autoptr(redisReply) limit = array_reply (3, string_reply ("limit"), string_reply ("9"),
                                             int_reply (4));
  g_autoptr(redisReply) odd = array_reply (1, int_reply (1));
  g_autoptr(redisReply) text = string_reply ("ok");
  g_auto(GStrv) strv = NULL;

  g_assert_cmpstr (leap_reply_status (ok), ==, "ok");
  g_assert_cmpstr (leap_reply_status (odd), ==, "");
  g_assert_cmpstr (leap_reply_status (text), ==, "");
  g_assert_cmpstr (leap_reply_status (NULL), ==, "");
  g_assert_cmpint (leap_reply_element_int (ok, 1), ==, G_GINT64_CONSTANT (1700000000000));
  g_assert_cmpint (leap_reply_element_int (limit, 2), ==, 4);
  g_assert_cmpint (leap_reply_element_int (limit, 3), ==, 0);
  g_assert_cmpstr (leap_reply_element_string (limit, 1), ==, "9");
  g_assert_null (leap_reply_element_string (limit, 2));
  g_assert_null (leap_reply_element_string (limit, 3));
  g_assert_true (leap_reply_is_array (limit, 3));
  g_assert_false (leap_reply_is_array (limit, 4));
  g_assert_false (leap_reply_is_array (text, 0));
  g_assert_cmpuint (leap_reply_n_elements (limit), ==, 3);
  g_assert_cmpuint (leap_reply_n_elements (text), ==, 0);
  g_assert_cmpuint (leap_reply_n_elements (NULL), ==, 0);
  g_assert_true (leap_reply_element (limit, 0) == limit->element[0]);
  g_assert_null (leap_reply_element (text, 0));

  strv = leap_reply_dup_strv (limit);
  g_assert_cmpuint (g_strv_length (strv), ==, 2);
  g_assert_cmpstr (strv[0], ==, "limit");
  g_assert_cmpstr (strv[1], ==, "9");
  g_assert_null (leap_reply_dup_strv (text));
}

static void
test_reply_fields (void)
{
  g_autoptr(redisReply) entry = array_reply (2, string_reply ("1-0"),
                                             array_reply (5, string_reply ("stream"),
                                                          string_reply ("s"),
                                                          string_reply ("count"), int_reply (3),
                                                          string_reply ("dangling")));
  g_autoptr(redisReply) bad = array_reply (2, int_reply (1), array_reply (0));
  const redisReply *fields = NULL;
  const char *id = NULL;

  g_assert_true (leap_reply_stream_entry (entry, &id, &fields));
  g_assert_cmpstr (id, ==, "1-0");
  g_assert_cmpstr (leap_reply_field (fields, "stream"), ==, "s");
  g_assert_null (leap_reply_field (fields, "count"));
  g_assert_null (leap_reply_field (fields, "dangling"));
  g_assert_null (leap_reply_field (fields, "missing"));
  g_assert_null (leap_reply_field (NULL, "stream"));
  g_assert_false (leap_reply_stream_entry (bad, &id, &fields));
  g_assert_false (leap_reply_stream_entry (NULL, NULL, NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/leap/keys/event", test_event);
  g_test_add_func ("/leap/keys/hold-from-holds", test_hold_from_holds);
  g_test_add_func ("/leap/keys/version-from-holds", test_version_from_holds);
  g_test_add_func ("/leap/keys/checkout-stream", test_checkout_stream);
  g_test_add_func ("/leap/keys/scripts", test_scripts);
  g_test_add_func ("/leap/keys/global", test_global);
  g_test_add_func ("/leap/keys/catalogue", test_catalogue);
  g_test_add_func ("/leap/keys/channels", test_channels);
  g_test_add_func ("/leap/keys/reply/scalars", test_reply_scalars);
  g_test_add_func ("/leap/keys/reply/arrays", test_reply_arrays);
  g_test_add_func ("/leap/keys/reply/fields", test_reply_fields);
  return g_test_run ();
}
