/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>

#include "leap-json.h"
#include "leap-order-code.h"

/* The code of @order_id at its @attempt-th try: the same for the same
 * pair, so that every writer of an order proposes the same code first, and
 * the next attempt after a collision (the database keeps codes unique). */
char *
leap_order_code_candidate (const char *order_id,
                           guint       attempt)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *input = g_strdup_printf ("%s/%u", order_id, attempt);
  guint8 digest[32];
  gsize length = sizeof digest;
  guint64 value = 0;
  char *code = g_new0 (char, LEAP_ORDER_CODE_LENGTH + 1);

  g_return_val_if_fail (order_id != NULL, NULL);

  g_checksum_update (sum, (const guchar *) input, -1);
  g_checksum_get_digest (sum, digest, &length);
  for (guint i = 0; i < 8; i++)
    value = value << 8 | digest[i];
  for (guint i = 0; i < LEAP_ORDER_CODE_LENGTH; i++)
    {
      code[i] = LEAP_ORDER_CODE_ALPHABET[value % (sizeof LEAP_ORDER_CODE_ALPHABET - 1)];
      value /= sizeof LEAP_ORDER_CODE_ALPHABET - 1;
    }
  return code;
}

/* @text as a code ("k7m-4qxz" → "K7M4QXZ"): any case, with hyphens or
 * spaces between groups; NULL if it is not one. */
char *
leap_order_code_normalize (const char *text)
{
  g_autoptr(GString) code = g_string_new (NULL);

  if (text == NULL)
    return NULL;
  for (const char *p = text; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == '-' || c == ' ')
        continue;
      if (strchr (LEAP_ORDER_CODE_ALPHABET, c) == NULL)
        return NULL;
      g_string_append_c (code, c);
    }
  if (code->len < 6 || code->len > 8)
    return NULL;
  return g_string_free (g_steal_pointer (&code), FALSE);
}

/* "K7M-4QXZ": two groups, the second the longer, for people. */
char *
leap_order_code_group (const char *code)
{
  gsize half;

  g_return_val_if_fail (code != NULL, NULL);

  half = strlen (code) / 2;
  return g_strdup_printf ("%.*s-%s", (int) half, code, code + half);
}

/* What people are shown of @order: its code, grouped, or its id while it
 * has none (an order the server never had). */
char *
leap_order_code_for_people (JsonObject *order)
{
  const char *code = leap_json_get_string (order, "code", NULL);

  if (code != NULL && code[0] != '\0')
    return leap_order_code_group (code);
  return g_strdup (leap_json_get_string (order, "order_id", ""));
}
