/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Request bodies as the HTTP handlers read them: leap_json_parse_object ()
 * (what leap_request_body_or_reply () calls: UTF-8, depth, NUL and number
 * checks, then json-glib), then every schema a body is checked against
 * (venue, event, tier, offer, sign-in; whole for POST, partial for PATCH),
 * and the hold and order checks once they are public.
 *
 * Beyond "does not crash", it checks what the server relies on: a refused
 * body is refused with the right error; an accepted one serialises back to
 * JSON that parses again; an integer field that passed its schema really
 * lies within its bounds (json-glib 1.6 wraps integers that overflow). */
#include <stdint.h>

#include "leap-error.h"
#include "leap-json.h"
#include "leap-schema.h"
#ifdef HAVE_LEAP_HOLD_REQUEST_CHECK
#include "leap-holds.h"
#endif
#ifdef HAVE_LEAP_ORDER_REQUEST_CHECK
#include "leap-orders.h"
#endif

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const LeapSchema *schemas[] = {
  &leap_schema_venue, &leap_schema_event, &leap_schema_tier, &leap_schema_offer, &leap_schema_login,
};

static void
assert_leap_error (const GError *error,
                   int           code)
{
  g_assert_nonnull (error);
  g_assert_true (error->domain == LEAP_ERROR);
  g_assert_cmpint (error->code, ==, code);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
}

/* A body that does not parse: malformed (400), or a number out of range
 * (422, as the schemas answer). */
static void
assert_parse_error (const GError *error)
{
  g_assert_nonnull (error);
  assert_leap_error (error,
                     error->code == LEAP_ERROR_INVALID ? LEAP_ERROR_INVALID : LEAP_ERROR_MALFORMED);
}

/* What passed a schema is what the store and the domain will read. */
static void
assert_within_schema (JsonObject       *object,
                      const LeapSchema *schema)
{
  for (guint i = 0; i < schema->n_fields; i++)
    {
      const LeapFieldSpec *spec = &schema->fields[i];
      JsonNode *node = json_object_get_member (object, spec->name);
      gint64 v;

      if (node == NULL || JSON_NODE_HOLDS_NULL (node))
        continue;
      switch (spec->type)
        {
        case LEAP_FIELD_INT:
          v = json_node_get_int (node);
          g_assert_cmpint (v, >=, spec->min);
          g_assert_cmpint (v, <=, spec->max);
          break;
        case LEAP_FIELD_ID:
          g_assert_cmpint (json_node_get_int (node), >, 0);
          break;
        case LEAP_FIELD_TIME:
          g_assert_true (leap_time_parse (json_node_get_string (node), &v));
          break;
        case LEAP_FIELD_STRING:
          g_assert_cmpint (g_utf8_strlen (json_node_get_string (node), -1), <=, spec->max);
          break;
        default:
          break;
        }
    }
}

/* Every name and string in the tree is UTF-8: what is stored and sent on. */
static void
assert_utf8 (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *member;
      JsonNode *child;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &member, &child))
        {
          g_assert_true (g_utf8_validate (member, -1, NULL));
          assert_utf8 (child);
        }
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        assert_utf8 (json_array_get_element (array, i));
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    g_assert_true (g_utf8_validate (json_node_get_string (node), -1, NULL));
}

static void
check_body (JsonObject *object)
{
  g_autoptr(JsonNode) root = json_node_init_object (json_node_alloc (), object);
  gboolean accepted = FALSE;

  assert_utf8 (root);

  for (guint i = 0; i < G_N_ELEMENTS (schemas); i++)
    for (int partial = 0; partial <= 1; partial++)
      {
        g_autoptr(GError) check_error = NULL;

        if (leap_json_check (object, schemas[i], partial, &check_error))
          {
            g_assert_no_error (check_error);
            assert_within_schema (object, schemas[i]);
            accepted = TRUE;
          }
        else
          assert_leap_error (check_error, LEAP_ERROR_INVALID);
      }

  /* Whatever a schema accepted, the server can write back and read again.
   * (Not any JSON: json-glib 1.6 writes 1e308 as "1e+308.0", but no schema
   * takes a fraction.) */
  if (accepted)
    {
      g_autofree char *text = leap_json_object_to_string (object);
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) again = leap_json_parse_object (text, -1, &error);

      g_assert_no_error (error);
      g_assert_nonnull (again);
    }

  /* The accessors the domain layer uses on any member. */
  {
    JsonObjectIter iter;
    const char *member;
    JsonNode *node;

    json_object_iter_init (&iter, object);
    while (json_object_iter_next (&iter, &member, &node))
      {
        (void) leap_json_get_int (object, member, 0);
        (void) leap_json_get_string (object, member, NULL);
      }
  }

#ifdef HAVE_LEAP_HOLD_REQUEST_CHECK
  {
    g_autoptr(GError) check_error = NULL;
    if (!leap_hold_request_check (object, 10, &check_error))
      assert_leap_error (check_error, LEAP_ERROR_INVALID);
  }
#endif
#ifdef HAVE_LEAP_ORDER_REQUEST_CHECK
  for (guint i = 0; leap_roles[i] != NULL; i++)
    {
      g_autoptr(GError) check_error = NULL;
      if (!leap_order_request_check (object, leap_roles[i], &check_error))
        assert_leap_error (check_error, LEAP_ERROR_INVALID);
    }
#endif
}

/* What the fuzzer found in json-glib 1.6, checked once per run: bodies that
 * it would misread are refused before it sees them, and their neighbours
 * that it reads right still pass. */
int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  static const char * const refused[] = {
    "{\"a\": 99999999999999999999}",     /* json-glib: -1 */
    "{\"a\": 18446744073709551617}",     /* json-glib: 1 */
    "{\"a\": -99999999999999999999}",    /* json-glib: 1 */
    "{\"a\": 9223372036854775808}",      /* json-glib: G_MININT64 */
    "{\"a\": 1e999}",                    /* json-glib: inf, written back as inf.0 */
    "{\"a\": -1e999}",
    "{\"a\": \"\\ud800\"}",               /* a lone surrogate: bytes that are not UTF-8 */
    "{\"a\": \"\\udc00x\"}",
    "{\"a\": \"\\ud83d\\u0041\"}",
    "{\"a\": \"\\ud83u00e9\"}",            /* json-glib takes 'u' for a hex digit */
    "{\"a\": \"\\202\"}",                 /* a GScanner octal escape: byte 0x82 */
    "{\"a\": \"\\x41\"}",
    "{\"a\": \"\\u0000\"}",
  };
  static const char * const accepted[] = {
    "{\"a\": 9223372036854775807}",
    "{\"a\": -9223372036854775808}",
    "{\"a\": 1e308, \"b\": 1e-999, \"c\": -0}",
    "{\"name\": \"\\ud83d\\ude00 \\u00e9 \\n\\t\\\"\\\\\\/\", \"timezone\": \"UTC\"}",
    "{\"a\": \"\\ud83d\\ude00 \\u00e9 \\n\\t\\\"\\\\\\/\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = leap_json_parse_object (refused[i], -1, &error);

      if (object != NULL)
        g_error ("Accepted %s", refused[i]);
      assert_parse_error (error);
    }
  for (guint i = 0; i < G_N_ELEMENTS (accepted); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) object = leap_json_parse_object (accepted[i], -1, &error);

      if (object == NULL)
        g_error ("Refused %s: %s", accepted[i], error->message);
      check_body (object);
    }
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) object = NULL;
  g_autoptr(JsonNode) shallow = NULL;

  /* The body as it arrives: not NUL-terminated, any bytes. */
  object = leap_json_parse_object ((const char *) data, size, &error);
  if (object == NULL)
    assert_parse_error (error);
  else
    check_body (object);

  /* The depth limit itself: anything nested deeper than 2 is refused before
   * json-glib sees it. */
  g_clear_error (&error);
  shallow = leap_json_parse ((const char *) data, size, 2, &error);
  if (shallow == NULL)
    assert_parse_error (error);
  return 0;
}
