/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * leap-json-strict.c: RFC 8259 JSON and nothing else, checked before
 * json-glib parses a text.
 *
 * json-glib 1.6 reads through GScanner, which takes more than JSON: 010 as
 * 8 (octal) and 0x3 as 3, single quotes, comments, raw control characters
 * in strings, GScanner escapes such as \202, a second value after the
 * first, and the last of two members with the same name. For money and
 * tickets, a text that one reader takes one way and another reader another
 * way is a bug waiting: so a text must pass this grammar whole, or it is
 * malformed. It also refuses what JSON allows but json-glib mangles (\u0000
 * cuts a string, a lone surrogate becomes bytes that are not UTF-8,
 * integers past 64 bits wrap, 1e999 becomes infinity), and bounds the
 * nesting, which json-glib 1.6 does not.
 */

#include "leap-json-strict.h"
#include "leap-error.h"

#include <errno.h>
#include <math.h>
#include <string.h>

typedef struct
{
  const char *data;
  gsize       length;
  gsize       pos;
  guint       max_depth;
  GError    **error;
} Scanner;

static gboolean scan_value (Scanner *s,
                            guint    depth);

static gboolean
fail (Scanner    *s,
      const char *what)
{
  g_set_error (s->error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Malformed JSON at byte %zu: %s",
               s->pos, what);
  return FALSE;
}

static gboolean
fail_literal (Scanner    *s,
              const char *message)
{
  g_set_error_literal (s->error, LEAP_ERROR, LEAP_ERROR_MALFORMED, message);
  return FALSE;
}

static int
peek (Scanner *s)
{
  return s->pos < s->length ? (guchar) s->data[s->pos] : -1;
}

static gboolean
peek_digit (Scanner *s)
{
  return s->pos < s->length && g_ascii_isdigit (s->data[s->pos]);
}

static void
skip_space (Scanner *s)
{
  while (s->pos < s->length && (s->data[s->pos] == ' ' || s->data[s->pos] == '\t' ||
                                s->data[s->pos] == '\n' || s->data[s->pos] == '\r'))
    s->pos++;
}

static gboolean
scan_word (Scanner    *s,
           const char *word)
{
  gsize n = strlen (word);

  if (s->length - s->pos < n || memcmp (s->data + s->pos, word, n) != 0)
    return fail (s, "expected a value");
  s->pos += n;
  return TRUE;
}

/* An integer that does not fit 64 bits (json-glib wraps it) or a number
 * that is infinite as a double is a value out of range (422), like 1.5
 * where an integer belongs. */
static gboolean
check_range (Scanner  *s,
             gsize     start,
             gboolean  integer)
{
  gsize n = s->pos - start;
  g_autofree char *text = g_strndup (s->data + start, n);
  gboolean out_of_range;

  errno = 0;
  if (integer)
    out_of_range = (g_ascii_strtoll (text, NULL, 10), errno == ERANGE);
  else
    out_of_range = !isfinite (g_ascii_strtod (text, NULL));
  if (out_of_range)
    g_set_error (s->error, LEAP_ERROR, LEAP_ERROR_INVALID, "The number %.*s%s is out of range",
                 (int) MIN (n, 24), text, n > 24 ? "…" : "");
  return !out_of_range;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static gboolean
scan_number (Scanner *s)
{
  gsize start = s->pos;
  gboolean integer = TRUE;

  if (peek (s) == '-')
    s->pos++;
  if (peek (s) == '0')
    {
      s->pos++;
      if (peek_digit (s))
        return fail (s, "a number must not start with 0");
    }
  else if (peek_digit (s))
    while (peek_digit (s))
      s->pos++;
  else
    return fail (s, "expected a digit");

  if (peek (s) == '.')
    {
      integer = FALSE;
      s->pos++;
      if (!peek_digit (s))
        return fail (s, "expected a digit after the decimal point");
      while (peek_digit (s))
        s->pos++;
    }
  if (peek (s) == 'e' || peek (s) == 'E')
    {
      integer = FALSE;
      s->pos++;
      if (peek (s) == '+' || peek (s) == '-')
        s->pos++;
      if (!peek_digit (s))
        return fail (s, "expected a digit in the exponent");
      while (peek_digit (s))
        s->pos++;
    }
  return check_range (s, start, integer);
}

/* The value of four hex digits at @at, or -1. */
static int
hex4 (Scanner *s,
      gsize    at)
{
  int value = 0;

  if (s->length < 4 || at > s->length - 4)
    return -1;
  for (int k = 0; k < 4; k++)
    {
      if (!g_ascii_isxdigit (s->data[at + k]))
        return -1;
      value = value * 16 + g_ascii_xdigit_value (s->data[at + k]);
    }
  return value;
}

/* The text is valid UTF-8 already; @decoded (may be NULL) gets the
 * string's value, to compare member names. */
static gboolean
scan_string (Scanner *s,
             GString *decoded)
{
  s->pos++;
  for (;;)
    {
      int c = peek (s);
      gunichar ch;
      int unit;

      if (c < 0)
        return fail (s, "a string is not closed");
      if (c == '"')
        {
          s->pos++;
          return TRUE;
        }
      if (c < 0x20)
        return fail (s, "a control character in a string must be escaped");
      if (c != '\\')
        {
          if (decoded != NULL)
            g_string_append_c (decoded, c);
          s->pos++;
          continue;
        }

      c = s->pos + 1 < s->length ? s->data[s->pos + 1] : -1;
      switch (c)
        {
        case '"': case '\\': case '/': ch = c; break;
        case 'b': ch = '\b'; break;
        case 'f': ch = '\f'; break;
        case 'n': ch = '\n'; break;
        case 'r': ch = '\r'; break;
        case 't': ch = '\t'; break;
        case 'u':
          unit = hex4 (s, s->pos + 2);
          if (unit < 0)
            return fail_literal (s, "A \\u escape in a JSON string needs four hex digits");
          if (unit == 0)
            return fail_literal (s, "JSON strings must not contain NUL characters");
          ch = unit;
          if (unit >= 0xD800 && unit <= 0xDFFF)
            {
              int low = unit <= 0xDBFF && s->pos + 7 < s->length &&
                                s->data[s->pos + 6] == '\\' && s->data[s->pos + 7] == 'u'
                            ? hex4 (s, s->pos + 8)
                            : -1;

              if (low < 0xDC00 || low > 0xDFFF)
                return fail_literal (s, "JSON strings must not contain unpaired surrogates");
              ch = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
              s->pos += 6;
            }
          s->pos += 4;
          break;
        default:
          return fail_literal (s, "Invalid escape in a JSON string");
        }
      if (decoded != NULL)
        g_string_append_unichar (decoded, ch);
      s->pos += 2;
    }
}

static gboolean
enter (Scanner *s,
       guint    depth)
{
  if (depth + 1 > s->max_depth)
    {
      g_set_error (s->error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                   "JSON is nested deeper than %u levels", s->max_depth);
      return FALSE;
    }
  s->pos++;
  skip_space (s);
  return TRUE;
}

static gboolean
scan_object (Scanner *s,
             guint    depth)
{
  g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!enter (s, depth))
    return FALSE;
  if (peek (s) == '}')
    {
      s->pos++;
      return TRUE;
    }
  for (;;)
    {
      g_autoptr(GString) name = g_string_new (NULL);

      skip_space (s);
      if (peek (s) != '"')
        return fail (s, "expected a member name in double quotes");
      if (!scan_string (s, name))
        return FALSE;
      /* RFC 8259 leaves duplicates to the reader; readers differ. */
      if (g_hash_table_contains (names, name->str))
        {
          g_set_error (s->error, LEAP_ERROR, LEAP_ERROR_MALFORMED,
                       "Malformed JSON: the member “%s” appears twice",
                       name->len <= 64 ? name->str : "…");
          return FALSE;
        }
      g_hash_table_add (names, g_string_free (g_steal_pointer (&name), FALSE));
      skip_space (s);
      if (peek (s) != ':')
        return fail (s, "expected : after a member name");
      s->pos++;
      skip_space (s);
      if (!scan_value (s, depth + 1))
        return FALSE;
      skip_space (s);
      if (peek (s) == '}')
        {
          s->pos++;
          return TRUE;
        }
      if (peek (s) != ',')
        return fail (s, "expected , or } after a member");
      s->pos++;
    }
}

static gboolean
scan_array (Scanner *s,
            guint    depth)
{
  if (!enter (s, depth))
    return FALSE;
  if (peek (s) == ']')
    {
      s->pos++;
      return TRUE;
    }
  for (;;)
    {
      skip_space (s);
      if (!scan_value (s, depth + 1))
        return FALSE;
      skip_space (s);
      if (peek (s) == ']')
        {
          s->pos++;
          return TRUE;
        }
      if (peek (s) != ',')
        return fail (s, "expected , or ] after an element");
      s->pos++;
    }
}

static gboolean
scan_value (Scanner *s,
            guint    depth)
{
  switch (peek (s))
    {
    case '{': return scan_object (s, depth);
    case '[': return scan_array (s, depth);
    case '"': return scan_string (s, NULL);
    case 't': return scan_word (s, "true");
    case 'f': return scan_word (s, "false");
    case 'n': return scan_word (s, "null");
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
      return scan_number (s);
    case -1: return fail (s, "the text ends where a value belongs");
    default: return fail (s, "expected a value");
    }
}

/**
 * leap_json_strict_check:
 * @data: the text
 * @length: its length in bytes
 * @max_depth: how many objects and arrays may nest
 * @error: %LEAP_ERROR_MALFORMED for anything but one JSON value (RFC 8259)
 *   with unique member names, or nested deeper than @max_depth;
 *   %LEAP_ERROR_INVALID for a number json-glib cannot hold
 *
 * Returns: whether @data may be given to json-glib
 */
gboolean
leap_json_strict_check (const char  *data,
                        gsize        length,
                        guint        max_depth,
                        GError     **error)
{
  Scanner s = { data, length, 0, max_depth, error };

  if (!g_utf8_validate (data, length, NULL))
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Body is not valid UTF-8");
      return FALSE;
    }
  skip_space (&s);
  if (s.pos == length)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_MALFORMED, "Empty JSON body");
      return FALSE;
    }
  if (!scan_value (&s, 0))
    return FALSE;
  skip_space (&s);
  if (s.pos != length)
    return fail (&s, "more text after the value");
  return TRUE;
}
