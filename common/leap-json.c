/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-json.h"
#include "leap-json-strict.h"
#include "leap-error.h"
#include "leap-money.h"

#include <string.h>

JsonNode *
leap_json_parse (const char *data,
                 gssize      length,
                 guint       max_depth,
                 GError    **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize len = length < 0 ? strlen (data) : (gsize) length;

  /* json-glib 1.6 takes more than JSON: see leap-json-strict.c. */
  if (!leap_json_strict_check (data, len, max_depth, error))
    return NULL;

  parser = json_parser_new_immutable ();
  if (!json_parser_load_from_data (parser, data, len, &local_error))
    {
      /* Its message quotes the body, and may cut a character in half. */
      g_autofree char *message = g_utf8_make_valid (local_error->message, -1);

      g_set_error (error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Malformed JSON: %s", message);
      return NULL;
    }
  if (json_parser_get_root (parser) == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Empty JSON body");
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

JsonObject *
leap_json_parse_object (const char *data,
                        gssize      length,
                        GError    **error)
{
  g_autoptr(JsonNode) node = leap_json_parse (data, length, 32, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

static gboolean
check_integer (JsonNode *node,
               gint64   *value)
{
  GType type;

  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  type = json_node_get_value_type (node);
  if (type != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return TRUE;
}

static gboolean
check_field (const LeapSchema    *schema,
             const LeapFieldSpec *spec,
             JsonNode            *node,
             GError             **error)
{
  const char *s;
  gint64 v;
  glong len;

  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (spec->nullable && !spec->required)
        return TRUE;
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "%s.%s must not be null",
                   schema->name, spec->name);
      return FALSE;
    }

  switch (spec->type)
    {
    case LEAP_FIELD_STRING:
    case LEAP_FIELD_ENUM:
    case LEAP_FIELD_TIME:
    case LEAP_FIELD_CURRENCY:
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        goto wrong_type;
      s = json_node_get_string (node);
      if (spec->type == LEAP_FIELD_STRING)
        {
          len = g_utf8_strlen (s, -1);
          if (len < spec->min || len > spec->max)
            {
              g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "%s.%s must be %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT
                           " characters long",
                           schema->name, spec->name, spec->min, spec->max);
              return FALSE;
            }
          for (const char *p = s; *p; p = g_utf8_next_char (p))
            if (g_unichar_iscntrl (g_utf8_get_char (p)) && *p != '\n')
              {
                g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                             "%s.%s must not contain control characters", schema->name, spec->name);
                return FALSE;
              }
        }
      else if (spec->type == LEAP_FIELD_ENUM)
        {
          if (!g_strv_contains (spec->choices, s))
            {
              g_autofree char *list = g_strjoinv (", ", (char **) spec->choices);
              g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "%s.%s must be one of: %s",
                           schema->name, spec->name, list);
              return FALSE;
            }
        }
      else if (spec->type == LEAP_FIELD_TIME)
        {
          if (!leap_time_parse (s, &v))
            {
              g_set_error (
                  error, LEAP_ERROR, LEAP_ERROR_INVALID,
                  "%s.%s must be an ISO 8601 date-time with a time zone, e.g. 2026-12-01T19:30:00Z",
                  schema->name, spec->name);
              return FALSE;
            }
        }
      else if (!leap_currency_is_valid (s))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                       "%s.%s must be an ISO 4217 currency code such as EUR", schema->name,
                       spec->name);
          return FALSE;
        }
      return TRUE;

    case LEAP_FIELD_INT:
    case LEAP_FIELD_ID:
      if (!check_integer (node, &v))
        goto wrong_type;
      if (spec->type == LEAP_FIELD_ID ? v < 1 : (v < spec->min || v > spec->max))
        {
          if (spec->type == LEAP_FIELD_ID)
            g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "%s.%s must be a positive id",
                         schema->name, spec->name);
          else
            g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                         "%s.%s must be between %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT,
                         schema->name, spec->name, spec->min, spec->max);
          return FALSE;
        }
      return TRUE;

    case LEAP_FIELD_BOOL:
      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
        goto wrong_type;
      return TRUE;
    }

wrong_type:
  {
    static const char *type_names[] = { "a string", "an integer", "an integer id",
                                        "a date-time string", "a currency code",
                                        "true or false", "a string" };
    g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "%s.%s must be %s",
                 schema->name, spec->name, type_names[spec->type]);
    return FALSE;
  }
}

/* Checks a client's object against a schema: unknown members are refused,
 * and with partial (PATCH) required members may be missing. */
gboolean
leap_json_check (JsonObject       *object,
                 const LeapSchema *schema,
                 gboolean          partial,
                 GError          **error)
{
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    {
      const LeapFieldSpec *spec = NULL;

      for (guint i = 0; i < schema->n_fields; i++)
        if (g_str_equal (schema->fields[i].name, member))
          spec = &schema->fields[i];
      if (spec == NULL)
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Unknown field “%s” in %s",
                       member, schema->name);
          return FALSE;
        }
      if (!check_field (schema, spec, node, error))
        return FALSE;
    }

  if (!partial)
    for (guint i = 0; i < schema->n_fields; i++)
      if (schema->fields[i].required && !json_object_has_member (object, schema->fields[i].name))
        {
          g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "%s.%s is required",
                       schema->name, schema->fields[i].name);
          return FALSE;
        }

  if (partial && json_object_get_size (object) == 0)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INVALID, "Nothing to change in %s", schema->name);
      return FALSE;
    }
  return TRUE;
}

char *
leap_json_to_string (JsonNode *node)
{
  return json_to_string (node, FALSE);
}

char *
leap_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);
  return json_to_string (node, FALSE);
}

/* A copy that shares nothing with the original: json-glib counts the
 * references of objects and arrays without atomics, so what another
 * thread works on must be its own. */
static JsonNode *
node_copy (JsonNode *node)
{
  JsonNode *copy;

  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        g_autoptr(JsonObject) object = leap_json_object_copy (json_node_get_object (node));
        copy = json_node_init_object (json_node_alloc (), object);
      }
      break;
    case JSON_NODE_ARRAY:
      {
        g_autoptr(JsonArray) array = leap_json_array_copy (json_node_get_array (node));
        copy = json_node_init_array (json_node_alloc (), array);
      }
      break;
    case JSON_NODE_VALUE:
    case JSON_NODE_NULL:
    default:
      copy = json_node_copy (node);
      break;
    }
  return copy;
}

JsonObject *
leap_json_object_copy (JsonObject *object)
{
  JsonObject *copy = json_object_new ();
  JsonObjectIter iter;
  const char *member;
  JsonNode *node;

  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &member, &node))
    json_object_set_member (copy, member, node_copy (node));
  return copy;
}

JsonArray *
leap_json_array_copy (JsonArray *array)
{
  guint n = json_array_get_length (array);
  JsonArray *copy = json_array_sized_new (n);

  for (guint i = 0; i < n; i++)
    json_array_add_element (copy, node_copy (json_array_get_element (array, i)));
  return copy;
}

gint64
leap_json_get_int (JsonObject *object,
                   const char *member,
                   gint64      fallback)
{
  JsonNode *node = json_object_get_member (object, member);
  gint64 v;

  if (node == NULL || !check_integer (node, &v))
    return fallback;
  return v;
}

const char *
leap_json_get_string (JsonObject *object,
                      const char *member,
                      const char *fallback)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return fallback;
  return json_node_get_string (node);
}

char *
leap_time_format (gint64 unix_utc)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_utc);

  if (dt == NULL)
    return g_strdup ("1970-01-01T00:00:00Z");
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
leap_time_parse (const char *text,
                 gint64     *unix_utc)
{
  g_autoptr(GDateTime) dt = NULL;

  /* A time without an offset is ambiguous: refuse it rather than guess. */
  if (text == NULL || strlen (text) < 20 || strlen (text) > 40)
    return FALSE;
  dt = g_date_time_new_from_iso8601 (text, NULL);
  if (dt == NULL)
    return FALSE;
  *unix_utc = g_date_time_to_unix (dt);
  return TRUE;
}
