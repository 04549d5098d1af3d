/* SPDX-License-Identifier: GPL-3.0-or-later */
/* leap_store_copy (): a venue's database moved into another store (for
 * leap-backend --copy-to), every row and sequence, or nothing. */
#define G_LOG_DOMAIN "leap-store"

#include "leap-store.h"
#include "leap-error.h"

typedef struct
{
  LeapStore  *to;
  JsonObject *counts; /* table → rows copied */
} Copy;

static gboolean
sink (const char *table,
      JsonArray  *rows,
      gpointer    data,
      GError    **error)
{
  Copy *copy = data;
  gint64 count = json_object_has_member (copy->counts, table)
                     ? json_object_get_int_member (copy->counts, table)
                     : 0;

  if (!LEAP_STORE_GET_CLASS (copy->to)->copy_in (copy->to, table, rows, error))
    return FALSE;
  json_object_set_int_member (copy->counts, table, count + json_array_get_length (rows));
  return TRUE;
}

/* Copies every row of @from into @to, which must be empty (its schema
 * made by its migrations, the same versions as @from's); returns the rows
 * copied per table. On an error @to is left as it was. */
JsonObject *
leap_store_copy (LeapStore *from,
                 LeapStore *to,
                 GError   **error)
{
  LeapStoreClass *from_class = LEAP_STORE_GET_CLASS (from);
  LeapStoreClass *to_class = LEAP_STORE_GET_CLASS (to);
  g_autoptr(JsonObject) counts = json_object_new ();
  Copy copy = { to, counts };

  if (from_class->copy_out == NULL || to_class->copy_in == NULL)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_INVALID,
                           "A copy goes from a SQLite database into a PostgreSQL one");
      return NULL;
    }
  if (!to_class->copy_in_begin (to, error))
    return NULL;
  if (!from_class->copy_out (from, sink, &copy, error))
    {
      g_autoptr(GError) end_error = NULL;

      if (!to_class->copy_in_end (to, FALSE, &end_error))
        g_warning ("Cannot undo the copy: %s", end_error->message);
      return NULL;
    }
  if (!to_class->copy_in_end (to, TRUE, error))
    return NULL;
  return g_steal_pointer (&counts);
}
