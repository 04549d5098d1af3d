/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "leap-tickets"

#include "leap-ticket-pdf.h"
#include "leap-error.h"
#include "leap-json.h"

#include <cairo.h>
#include <cairo-pdf.h>
#include <qrencode.h>
#include <string.h>

/* A6 portrait, in points. */
#define PAGE_W  297.64
#define PAGE_H  419.53
#define MARGIN  20.0
#define QR_SIZE 170.0
#define SANS    "DejaVu Sans"
#define MONO    "DejaVu Sans Mono"

static cairo_status_t
write_cb (void                *closure,
          const unsigned char *data,
          unsigned int         length)
{
  g_byte_array_append (closure, data, length);
  return CAIRO_STATUS_SUCCESS;
}

/* One line of text at (x, y), made smaller down to min_size and then cut
 * with an ellipsis until it fits max_width. */
static void
show_fitted (cairo_t    *cr,
             const char *text,
             double      x,
             double      y,
             double      max_width,
             double      size,
             double      min_size)
{
  g_autofree char *shown = g_strdup (text ? text : "");
  cairo_text_extents_t extents;

  for (;;)
    {
      cairo_set_font_size (cr, size);
      cairo_text_extents (cr, shown, &extents);
      if (extents.x_advance <= max_width || size <= min_size)
        break;
      size -= 0.5;
    }
  while (extents.x_advance > max_width && g_utf8_strlen (shown, -1) > 1)
    {
      glong chars = g_utf8_strlen (shown, -1);
      g_autofree char *cut = NULL;

      /* Drop the ellipsis added last time and one more character. */
      if (g_str_has_suffix (shown, "…"))
        chars -= 1;
      cut = g_utf8_substring (shown, 0, MAX (chars - 1, 1));
      g_free (shown);
      shown = g_strconcat (cut, "…", NULL);
      cairo_text_extents (cr, shown, &extents);
      if (chars <= 1)
        break;
    }
  cairo_move_to (cr, x, y);
  cairo_show_text (cr, shown);
}

/* The code as text, in monospace, broken into lines that fit. */
static void
show_code (cairo_t    *cr,
           const char *code,
           double      x,
           double      y,
           double      max_width)
{
  cairo_text_extents_t extents;
  gsize len = strlen (code), per_line;

  cairo_select_font_face (cr, MONO, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 6.5);
  cairo_text_extents (cr, "M", &extents);
  per_line = MAX ((gsize) (max_width / MAX (extents.x_advance, 1.0)), 8);
  for (gsize at = 0; at < len; at += per_line)
    {
      g_autofree char *line = g_strndup (code + at, MIN (per_line, len - at));

      cairo_move_to (cr, x, y);
      cairo_show_text (cr, line);
      y += 8.5;
    }
}

static gboolean
draw_qr (cairo_t    *cr,
         const char *code,
         double      x,
         double      y,
         double      size,
         GError    **error)
{
  QRcode *qr = QRcode_encodeString (code, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  double module;
  int quiet = 4;

  if (qr == NULL)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Cannot make a QR code of “%s”", code);
      return FALSE;
    }
  module = size / (qr->width + 2 * quiet);
  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  /* In module units, one rectangle per run of dark modules in a row: a
   * fraction of the path that one per module would make. */
  cairo_translate (cr, x + quiet * module, y + quiet * module);
  cairo_scale (cr, module, module);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int row = 0; row < qr->width; row++)
    for (int col = 0; col < qr->width;)
      {
        int end = col;

        while (end < qr->width && (qr->data[row * qr->width + end] & 1))
          end++;
        if (end > col)
          cairo_rectangle (cr, col, row, end - col, 1);
        col = end + 1;
      }
  cairo_fill (cr);
  cairo_restore (cr);
  QRcode_free (qr);
  return TRUE;
}

static gboolean
draw_ticket (cairo_t    *cr,
             JsonObject *document,
             JsonObject *ticket,
             guint       number,
             guint       count,
             GError    **error)
{
  const double width = PAGE_W - 2 * MARGIN;
  const char *customer = leap_json_get_string (document, "customer", NULL);
  g_autofree char *numbering = g_strdup_printf ("Ticket %u of %u", number, count);
  g_autofree char *order = g_strconcat ("Order ", leap_json_get_string (document, "order_id", ""),
                                        NULL);
  double y = MARGIN;

  /* A dark band with the event's name. */
  cairo_set_source_rgb (cr, 0.12, 0.16, 0.22);
  cairo_rectangle (cr, 0, 0, PAGE_W, 58);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_select_font_face (cr, SANS, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  show_fitted (cr, leap_json_get_string (document, "event", ""), MARGIN, y + 18, width, 17, 9);
  cairo_select_font_face (cr, SANS, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  show_fitted (cr, leap_json_get_string (document, "when", ""), MARGIN, y + 32, width, 9.5, 7);

  cairo_set_source_rgb (cr, 0, 0, 0);
  y = 76;
  show_fitted (cr, leap_json_get_string (document, "venue", ""), MARGIN, y, width, 10, 7);
  y += 20;
  cairo_select_font_face (cr, SANS, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  show_fitted (cr, leap_json_get_string (ticket, "tier", ""), MARGIN, y, width * 0.65, 13, 8);
  {
    const char *price = leap_json_get_string (ticket, "price", "");
    cairo_text_extents_t extents;

    cairo_set_font_size (cr, 13);
    cairo_text_extents (cr, price, &extents);
    cairo_move_to (cr, PAGE_W - MARGIN - extents.x_advance, y);
    cairo_show_text (cr, price);
  }

  y += 10;
  if (!draw_qr (cr, leap_json_get_string (ticket, "code", ""), (PAGE_W - QR_SIZE) / 2, y, QR_SIZE,
                error))
    return FALSE;
  y += QR_SIZE + 14;

  cairo_select_font_face (cr, SANS, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  show_fitted (cr, numbering, MARGIN, y, width, 9, 7);
  y += 12;
  if (customer != NULL)
    {
      show_fitted (cr, customer, MARGIN, y, width, 9, 7);
      y += 12;
    }
  show_fitted (cr, order, MARGIN, y, width, 7.5, 5);
  y += 14;
  show_code (cr, leap_json_get_string (ticket, "code", ""), MARGIN, y, width);

  cairo_set_source_rgb (cr, 0.4, 0.4, 0.4);
  cairo_select_font_face (cr, SANS, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  show_fitted (cr, "Admits one. Scanned once at the door.", MARGIN, PAGE_H - MARGIN, width, 7, 5);
  return TRUE;
}

GBytes *
leap_ticket_pdf_render (JsonObject *document,
                        GError    **error)
{
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  JsonArray *tickets;
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;
  guint count;

  g_return_val_if_fail (document != NULL, NULL);

  tickets = json_object_get_array_member (document, "tickets");
  count = tickets ? json_array_get_length (tickets) : 0;
  if (count == 0)
    {
      g_set_error_literal (error, LEAP_ERROR, LEAP_ERROR_CONFLICT, "There are no tickets to print");
      return NULL;
    }

  surface = cairo_pdf_surface_create_for_stream (write_cb, bytes, PAGE_W, PAGE_H);
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_TITLE,
                                  leap_json_get_string (document, "event", ""));
  cairo_pdf_surface_set_metadata (surface, CAIRO_PDF_METADATA_CREATOR, "Leap Box Office");
  cr = cairo_create (surface);
  for (guint i = 0; i < count; i++)
    {
      if (!draw_ticket (cr, document, json_array_get_object_element (tickets, i), i + 1, count,
                        error))
        {
          cairo_destroy (cr);
          cairo_surface_destroy (surface);
          return NULL;
        }
      cairo_show_page (cr);
    }
  status = cairo_status (cr);
  cairo_destroy (cr);
  cairo_surface_finish (surface);
  if (status == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_status (surface);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, LEAP_ERROR, LEAP_ERROR_INTERNAL, "Cannot render tickets: %s",
                   cairo_status_to_string (status));
      return NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&bytes));
}

static void
render_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  const char *text = task_data;
  g_autoptr(JsonObject) document = NULL;
  GError *error = NULL;
  GBytes *pdf = NULL;

  document = leap_json_parse_object (text, strlen (text), &error);
  if (document != NULL)
    pdf = leap_ticket_pdf_render (document, &error);
  if (pdf == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, pdf, (GDestroyNotify) g_bytes_unref);
}

void
leap_ticket_pdf_render_async (JsonObject          *document,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, leap_ticket_pdf_render_async);
  /* The thread gets its own copy: JSON objects are not thread-safe. */
  g_task_set_task_data (task, leap_json_object_to_string (document), g_free);
  g_task_set_return_on_cancel (task, TRUE);
  g_task_run_in_thread (task, render_thread);
}

GBytes *
leap_ticket_pdf_render_finish (GAsyncResult *result,
                               GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
