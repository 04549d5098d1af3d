/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <cairo-pdf.h>
#include <qrencode.h>

#include "leap-error.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-order-code.h"
#include "leap-ticket-printer.h"

/* Prints an order's tickets (one page each: the event, its date, the tier
 * and price, the order's short code, the ticket's long signed code as a QR
 * code and, for people, a short form: the order's code and the ticket's
 * number, "K7M-4QXZ-2") and its receipt, or a report of text lines, with
 * GtkPrintOperation on A6 pages, drawn here with cairo and Pango.
 *
 * With $LEAP_PRINT_TO_PDF (a file) or the setting ticket-pdf-folder the
 * pages are saved as a PDF instead, without a dialog. A PDF made so names
 * each page in its outline by what it holds for machines ("Ticket CODE",
 * the code in its QR code, "Receipt ORDER-ID"), so what was printed can be
 * checked without reading the compressed page streams. */
struct _LeapTicketPrinter
{
  GObject parent_instance;

  /* Owned */
  JsonObject *order;      /* NULL for a report */
  char       *title;
  GStrv       lines;      /* a report's lines */
  GStrv       codes;      /* the tickets, in page order */
  GStrv       labels;     /* the same, for people */
  char       *number;     /* the order's, for people */
  gint64     *tier_ids;
  char       *pdf_path;
};

G_DEFINE_FINAL_TYPE (LeapTicketPrinter, leap_ticket_printer, G_TYPE_OBJECT)

#define REPORT_LINES_PER_PAGE 34

static void
leap_ticket_printer_finalize (GObject *object)
{
  LeapTicketPrinter *self = (LeapTicketPrinter *) object;

  g_clear_pointer (&self->order, json_object_unref);
  g_clear_pointer (&self->title, g_free);
  g_clear_pointer (&self->lines, g_strfreev);
  g_clear_pointer (&self->codes, g_strfreev);
  g_clear_pointer (&self->labels, g_strfreev);
  g_clear_pointer (&self->number, g_free);
  g_clear_pointer (&self->tier_ids, g_free);
  g_clear_pointer (&self->pdf_path, g_free);

  G_OBJECT_CLASS (leap_ticket_printer_parent_class)->finalize (object);
}

static void
leap_ticket_printer_class_init (LeapTicketPrinterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = leap_ticket_printer_finalize;
}

static void
leap_ticket_printer_init (LeapTicketPrinter *self)
{
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

/* @order is an order as the device keeps it (see LeapCheckout): the
 * server's order with "event" and "tier_names". Refunded or voided
 * tickets are left out. */
LeapTicketPrinter *
leap_ticket_printer_new (JsonObject *order)
{
  LeapTicketPrinter *self;
  g_autofree char *text = NULL;
  g_autoptr(GStrvBuilder) codes = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) labels = g_strv_builder_new ();
  g_autoptr(GArray) tier_ids = g_array_new (FALSE, TRUE, sizeof (gint64));
  JsonArray *tickets;

  g_return_val_if_fail (order != NULL, NULL);

  self = g_object_new (LEAP_TYPE_TICKET_PRINTER, NULL);
  text = leap_json_object_to_string (order);
  self->order = leap_json_parse_object (text, -1, NULL);
  self->number = leap_order_code_for_people (order);
  self->title = g_strdup_printf (_("Order %s"), self->number);

  tickets = get_array (self->order, "tickets");
  for (guint i = 0; tickets != NULL && i < json_array_get_length (tickets); i++)
    {
      JsonObject *ticket = json_array_get_object_element (tickets, i);
      const char *code = ticket ? leap_json_get_string (ticket, "code", NULL) : NULL;
      gint64 tier_id;

      if (code == NULL ||
          g_strcmp0 (leap_json_get_string (ticket, "status", "valid"), "voided") == 0)
        continue;
      tier_id = leap_json_get_int (ticket, "tier_id", 0);
      g_strv_builder_add (codes, code);
      /* Its number in the order stays when others are refunded. */
      if (leap_json_get_string (order, "code", NULL) != NULL)
        {
          g_autofree char *label = g_strdup_printf ("%s-%u", self->number, i + 1);

          g_strv_builder_add (labels, label);
        }
      else
        g_strv_builder_add (labels, code);
      g_array_append_val (tier_ids, tier_id);
    }
  self->codes = g_strv_builder_end (codes);
  self->labels = g_strv_builder_end (labels);
  self->tier_ids = (gint64 *) g_array_free (g_steal_pointer (&tier_ids), FALSE);
  return self;
}

/* A report (the end-of-shift count): @title and lines of text. */
LeapTicketPrinter *
leap_ticket_printer_new_report (const char         *title,
                                const char * const *lines)
{
  LeapTicketPrinter *self;

  g_return_val_if_fail (title != NULL, NULL);

  self = g_object_new (LEAP_TYPE_TICKET_PRINTER, NULL);
  self->title = g_strdup (title);
  self->lines = g_strdupv ((char **) lines);
  self->codes = g_new0 (char *, 1);
  return self;
}

/* The ticket codes this printer prints, one page each. */
const char * const *
leap_ticket_printer_get_codes (LeapTicketPrinter *self)
{
  g_return_val_if_fail (LEAP_IS_TICKET_PRINTER (self), NULL);
  return (const char * const *) self->codes;
}

/* What each ticket shows people under its QR code, in page order. */
const char * const *
leap_ticket_printer_get_labels (LeapTicketPrinter *self)
{
  g_return_val_if_fail (LEAP_IS_TICKET_PRINTER (self), NULL);
  return (const char * const *) self->labels;
}

guint
leap_ticket_printer_get_n_pages (LeapTicketPrinter *self)
{
  guint n;

  g_return_val_if_fail (LEAP_IS_TICKET_PRINTER (self), 0);

  if (self->order == NULL)
    {
      n = self->lines ? g_strv_length (self->lines) : 0;
      return MAX (1, (n + REPORT_LINES_PER_PAGE - 1) / REPORT_LINES_PER_PAGE);
    }
  return g_strv_length (self->codes) + 1;
}

/* Where the PDF goes when pages are saved rather than printed: the file
 * in $LEAP_PRINT_TO_PDF, else ORDER.pdf in the setting ticket-pdf-folder;
 * NULL to print. */
char *
leap_ticket_printer_dup_pdf_path (LeapTicketPrinter *self)
{
  const char *env = g_getenv ("LEAP_PRINT_TO_PDF");
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (LEAP_IS_TICKET_PRINTER (self), NULL);

  if (env != NULL && env[0] != '\0')
    return g_strdup (env);
  settings = g_settings_new (APP_ID);
  folder = g_settings_get_string (settings, "ticket-pdf-folder");
  if (folder[0] == '\0')
    return NULL;
  name = g_strdup_printf ("%s.pdf", self->order
                                        ? leap_json_get_string (self->order, "order_id", "report")
                                        : "shift-report");
  g_strdelimit (name, "/\\", '_');
  return g_build_filename (folder, name, NULL);
}

static char *
format_money (gint64      amount,
              const char *currency)
{
  LeapMoney money = leap_money_init (amount, currency ? currency : "EUR");

  return leap_format_money (&money);
}

static const char *
tier_name (LeapTicketPrinter *self,
           gint64             tier_id)
{
  JsonObject *names = get_object (self->order, "tier_names");
  g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, tier_id);

  return names ? leap_json_get_string (names, key, NULL) : NULL;
}

static gint64
unit_price (LeapTicketPrinter *self,
            gint64             tier_id)
{
  JsonArray *lines = get_array (self->order, "lines");

  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);

      if (line != NULL && leap_json_get_int (line, "tier_id", 0) == tier_id)
        return leap_json_get_int (line, "unit_price", 0);
    }
  return -1;
}

static char *
event_when (JsonObject *event)
{
  gint64 starts_at = event ? leap_json_get_int (event, "starts_at", 0) : 0;
  const char *tz_name = event ? leap_json_get_string (event, "timezone", NULL) : NULL;
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (starts_at <= 0)
    return g_strdup ("");
  /* The time at the venue, which is what the customer needs. */
  tz = tz_name ? g_time_zone_new_identifier (tz_name) : NULL;
  if (tz == NULL)
    tz = g_time_zone_new_local ();
  utc = g_date_time_new_from_unix_utc (starts_at);
  local = g_date_time_to_timezone (utc, tz);
  /* Translators: strftime() codes. xgettext:no-c-format */
  return leap_format_date_time (local, C_("ticket date", "%a %e %b %Y · %H:%M"));
}

static void
show_text (cairo_t         *cr,
           double           x,
           double          *y,
           double           width,
           const char      *font,
           const char      *text,
           PangoAlignment   align)
{
  g_autoptr(PangoLayout) layout = pango_cairo_create_layout (cr);
  PangoFontDescription *desc = pango_font_description_from_string (font);
  int w, h;

  pango_layout_set_font_description (layout, desc);
  pango_font_description_free (desc);
  pango_layout_set_width (layout, (int) (width * PANGO_SCALE));
  pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
  pango_layout_set_alignment (layout, align);
  pango_layout_set_text (layout, text, -1);
  cairo_move_to (cr, x, *y);
  pango_cairo_show_layout (cr, layout);
  pango_layout_get_size (layout, &w, &h);
  *y += (double) h / PANGO_SCALE;
}

static void
draw_qr (cairo_t    *cr,
         const char *text,
         double      x,
         double      y,
         double      size)
{
  QRcode *qr = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  double module;

  if (qr == NULL)
    return;
  /* A quiet zone of four modules around the code, as scanners expect. */
  module = size / (qr->width + 8);
  cairo_save (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_rectangle (cr, x, y, size, size);
  cairo_fill (cr);
  cairo_set_source_rgb (cr, 0, 0, 0);
  for (int row = 0; row < qr->width; row++)
    for (int col = 0; col < qr->width; col++)
      if (qr->data[row * qr->width + col] & 1)
        cairo_rectangle (cr, x + (col + 4) * module, y + (row + 4) * module, module, module);
  cairo_fill (cr);
  cairo_restore (cr);
  QRcode_free (qr);
}

static void
name_page (cairo_t    *cr,
           int         page_nr,
           const char *name)
{
  cairo_surface_t *surface = cairo_get_target (cr);
  g_autofree char *link = g_strdup_printf ("page=%d", page_nr + 1);

  if (cairo_surface_get_type (surface) == CAIRO_SURFACE_TYPE_PDF)
    cairo_pdf_surface_add_outline (surface, CAIRO_PDF_OUTLINE_ROOT, name, link, 0);
}

static void
draw_ticket (LeapTicketPrinter *self,
             cairo_t           *cr,
             double             width,
             double             height,
             int                page_nr)
{
  JsonObject *event = get_object (self->order, "event");
  const char *code = self->codes[page_nr];
  gint64 tier_id = self->tier_ids[page_nr];
  const char *tier = tier_name (self, tier_id);
  gint64 price = unit_price (self, tier_id);
  double y = 0, qr_size;
  g_autofree char *when = event_when (event);
  g_autofree char *price_text = NULL;
  g_autofree char *tier_line = NULL;
  g_autofree char *order_line = NULL;
  const char *label = self->labels[page_nr];
  g_autofree char *outline = g_strdup_printf (_("Ticket %s"), code);
  guint n = g_strv_length (self->codes);

  name_page (cr, page_nr, outline);
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, 0, &y, width, "Sans Bold 15",
             event ? leap_json_get_string (event, "name", "") : "", PANGO_ALIGN_LEFT);
  show_text (cr, 0, &y, width, "Sans 10", when, PANGO_ALIGN_LEFT);
  if (event != NULL && leap_json_get_string (event, "venue", NULL) != NULL)
    show_text (cr, 0, &y, width, "Sans 10", leap_json_get_string (event, "venue", NULL),
               PANGO_ALIGN_LEFT);
  y += 8;
  price_text = price >= 0
                   ? format_money (price, leap_json_get_string (self->order, "currency", NULL))
                   : g_strdup ("");
  tier_line = g_strdup_printf ("%s   %s", tier ? tier : _("Admission"), price_text);
  show_text (cr, 0, &y, width, "Sans Bold 12", tier_line, PANGO_ALIGN_LEFT);
  y += 8;

  qr_size = MIN (width * 0.8, height - y - 70);
  draw_qr (cr, code, (width - qr_size) / 2, y, qr_size);
  y += qr_size + 4;
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, 0, &y, width, "Monospace Bold 12", label, PANGO_ALIGN_CENTER);
  y += 6;
  /* Translators: "Order K7M-4QXZ · ticket 1 of 2" */
  order_line = g_strdup_printf (_("Order %s · ticket %u of %u"), self->number,
                                (guint) page_nr + 1, n);
  show_text (cr, 0, &y, width, "Sans 7", order_line, PANGO_ALIGN_CENTER);
}

static void
draw_receipt (LeapTicketPrinter *self,
              cairo_t           *cr,
              double             width,
              double             height,
              int                page_nr)
{
  JsonObject *event = get_object (self->order, "event");
  JsonObject *payment = get_object (self->order, "payment");
  JsonObject *customer = get_object (self->order, "customer");
  JsonArray *lines = get_array (self->order, "lines");
  const char *currency = leap_json_get_string (self->order, "currency", NULL);
  double y = 0;
  g_autoptr(GString) body = g_string_new (NULL);
  g_autofree char *outline = g_strdup_printf (_("Receipt %s"),
                                              leap_json_get_string (self->order, "order_id", ""));
  g_autofree char *when = event_when (event);
  g_autofree char *total = format_money (leap_json_get_int (self->order, "total", 0), currency);
  gint64 sold_at = leap_json_get_int (self->order, "sold_at", 0);

  name_page (cr, page_nr, outline);
  cairo_set_source_rgb (cr, 0, 0, 0);
  show_text (cr, 0, &y, width, "Sans Bold 14", _("Receipt"), PANGO_ALIGN_LEFT);
  show_text (cr, 0, &y, width, "Sans 9", _("Leap Box Office"), PANGO_ALIGN_LEFT);
  y += 6;

  g_string_append_printf (body, _("Order %s"), self->number);
  g_string_append_c (body, '\n');
  if (sold_at > 0)
    {
      g_autoptr(GDateTime) at = g_date_time_new_from_unix_local (sold_at);
      g_autofree char *text = g_date_time_format (at, "%Y-%m-%d %H:%M");

      g_string_append_printf (body, _("Sold %s"), text);
      if (leap_json_get_string (self->order, "cashier", NULL) != NULL)
        g_string_append_printf (body, _(" by %s"),
                                leap_json_get_string (self->order, "cashier", NULL));
      g_string_append_c (body, '\n');
    }
  if (customer != NULL && leap_json_get_string (customer, "name", NULL) != NULL)
    g_string_append_printf (body, _("Customer: %s\n"),
                            leap_json_get_string (customer, "name", NULL));
  g_string_append_c (body, '\n');
  if (event != NULL)
    g_string_append_printf (body, "%s\n%s\n\n", leap_json_get_string (event, "name", ""), when);
  for (guint i = 0; lines != NULL && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 quantity = leap_json_get_int (line, "quantity", 0);
      gint64 unit = leap_json_get_int (line, "unit_price", 0);
      const char *tier = tier_name (self, leap_json_get_int (line, "tier_id", 0));
      g_autofree char *unit_text = format_money (unit, currency);
      g_autofree char *sum_text = format_money (unit * quantity, currency);

      g_string_append_printf (body, "%" G_GINT64_FORMAT " × %s @ %s   %s\n", quantity,
                              tier ? tier : _("Admission"), unit_text, sum_text);
    }
  show_text (cr, 0, &y, width, "Sans 9", body->str, PANGO_ALIGN_LEFT);
  g_string_truncate (body, 0);

  {
    g_autofree char *line = g_strdup_printf (_("Total %s"), total);

    y += 4;
    show_text (cr, 0, &y, width, "Sans Bold 12", line, PANGO_ALIGN_LEFT);
  }
  if (payment != NULL)
    {
      const char *method = leap_json_get_string (payment, "method", "");

      if (g_str_equal (method, "cash"))
        {
          g_autofree char *tendered = format_money (leap_json_get_int (payment, "tendered", 0),
                                                    currency);
          g_autofree char *change = format_money (leap_json_get_int (payment, "change", 0),
                                                  currency);

          g_string_append_printf (body, _("Paid in cash: %s\nChange: %s\n"), tendered, change);
        }
      else
        g_string_append_printf (body, _("Paid by card (%s)\n"),
                                leap_json_get_string (payment, "provider_ref", NULL)
                                ? leap_json_get_string (payment, "provider_ref", NULL)
                                : leap_json_get_string (payment, "status", ""));
    }
  if (g_strcmp0 (leap_json_get_string (self->order, "status", NULL), "refunded") == 0)
    g_string_append (body, _("REFUNDED\n"));
  g_string_append_c (body, '\n');
  /* The codes are long (signed); their ends tell the tickets apart. */
  for (guint i = 0; self->codes[i] != NULL; i++)
    {
      gsize length = strlen (self->codes[i]);

      /* Translators: "Ticket 1  …tj9rBQ" on the receipt */
      g_string_append_printf (body, _("Ticket %u  …%s\n"), i + 1,
                              self->codes[i] + (length > 10 ? length - 10 : 0));
    }
  show_text (cr, 0, &y, width, "Sans 9", body->str, PANGO_ALIGN_LEFT);
}

static void
draw_report (LeapTicketPrinter *self,
             cairo_t           *cr,
             double             width,
             double             height,
             int                page_nr)
{
  double y = 0;
  g_autoptr(GString) body = g_string_new (NULL);
  guint n = self->lines ? g_strv_length (self->lines) : 0;

  name_page (cr, page_nr, self->title);
  cairo_set_source_rgb (cr, 0, 0, 0);
  if (page_nr == 0)
    {
      show_text (cr, 0, &y, width, "Sans Bold 13", self->title, PANGO_ALIGN_LEFT);
      y += 6;
    }
  for (guint i = page_nr * REPORT_LINES_PER_PAGE;
       i < n && i < (guint)(page_nr + 1) * REPORT_LINES_PER_PAGE; i++)
    g_string_append_printf (body, "%s\n", self->lines[i]);
  show_text (cr, 0, &y, width, "Monospace 8", body->str, PANGO_ALIGN_LEFT);
}

/* Draws page @page_nr (from 0) on @cr, @width × @height points: the
 * tickets, then the receipt; or the report. */
void
leap_ticket_printer_render_page (LeapTicketPrinter *self,
                                 cairo_t           *cr,
                                 double             width,
                                 double             height,
                                 int                page_nr)
{
  g_return_if_fail (LEAP_IS_TICKET_PRINTER (self));

  if (self->order == NULL)
    draw_report (self, cr, width, height, page_nr);
  else if ((guint) page_nr < g_strv_length (self->codes))
    draw_ticket (self, cr, width, height, page_nr);
  else
    draw_receipt (self, cr, width, height, page_nr);
}

static void
draw_page_cb (GtkPrintOperation *operation,
              GtkPrintContext   *context,
              int                page_nr,
              LeapTicketPrinter *self)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);

  leap_ticket_printer_render_page (self, cr, gtk_print_context_get_width (context),
                                   gtk_print_context_get_height (context), page_nr);

  /* The document says what it holds, for whoever opens the file. */
  if (page_nr == 0 && cairo_surface_get_type (cairo_get_target (cr)) == CAIRO_SURFACE_TYPE_PDF)
    {
      g_autofree char *keywords = g_strjoinv (" ", self->codes);

      cairo_pdf_surface_set_metadata (cairo_get_target (cr), CAIRO_PDF_METADATA_TITLE, self->title);
      cairo_pdf_surface_set_metadata (cairo_get_target (cr), CAIRO_PDF_METADATA_CREATOR,
                                      "Leap Box Office");
      if (keywords[0] != '\0')
        cairo_pdf_surface_set_metadata (cairo_get_target (cr), CAIRO_PDF_METADATA_KEYWORDS,
                                        keywords);
    }
}

static GtkPrintOperation *
make_operation (LeapTicketPrinter *self)
{
  GtkPrintOperation *operation = gtk_print_operation_new ();
  g_autoptr(GtkPageSetup) setup = gtk_page_setup_new ();
  g_autoptr(GtkPaperSize) paper = gtk_paper_size_new ("iso_a6");

  gtk_page_setup_set_paper_size_and_default_margins (setup, paper);
  gtk_print_operation_set_default_page_setup (operation, setup);
  gtk_print_operation_set_n_pages (operation, (int) leap_ticket_printer_get_n_pages (self));
  gtk_print_operation_set_job_name (operation, self->title);
  gtk_print_operation_set_unit (operation, GTK_UNIT_POINTS);
  g_signal_connect_object (operation, "draw-page", G_CALLBACK (draw_page_cb), self, 0);
  return operation;
}

typedef struct
{
  GTask *task;
} PrintJob;

static void
print_job_free (gpointer data,
                GClosure *closure)
{
  PrintJob *job = data;

  g_clear_object (&job->task);
  g_free (job);
}

static void
print_job_return (PrintJob                *job,
                  GtkPrintOperationResult  result,
                  GError                  *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&job->task);

  if (task == NULL)
    {
      g_clear_error (&error);
      return;
    }
  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    g_task_return_error (task, error ? error : g_error_new_literal (LEAP_ERROR, LEAP_ERROR_INTERNAL,
                                                                    _("Printing failed")));
  else if (result == GTK_PRINT_OPERATION_RESULT_CANCEL)
    {
      g_clear_error (&error);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Printing was cancelled"));
    }
  else
    {
      g_clear_error (&error);
      g_task_return_boolean (task, TRUE);
    }
}

static void
done_cb (GtkPrintOperation       *operation,
         GtkPrintOperationResult  result,
         PrintJob                *job)
{
  GError *error = NULL;

  if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
    gtk_print_operation_get_error (operation, &error);
  print_job_return (job, result, error);
}

/* Prints (or saves, see leap_ticket_printer_dup_pdf_path()) the pages.
 * With @with_dialog the print dialog lets the cashier choose a printer or
 * a file; without, they go to the default printer. */
void
leap_ticket_printer_print_async (LeapTicketPrinter   *self,
                                 GtkWindow           *parent,
                                 gboolean             with_dialog,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GtkPrintOperation) operation = NULL;
  g_autofree char *pdf = NULL;
  g_autoptr(GError) error = NULL;
  GtkPrintOperationResult result;
  PrintJob *job;

  g_return_if_fail (LEAP_IS_TICKET_PRINTER (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, leap_ticket_printer_print_async);

  operation = make_operation (self);
  pdf = leap_ticket_printer_dup_pdf_path (self);
  if (pdf != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (pdf);

      g_clear_pointer (&self->pdf_path, g_free);
      self->pdf_path = g_strdup (pdf);
      g_mkdir_with_parents (dir, 0700);
      /* A few pages drawn into a file: quick, and no dialog. */
      gtk_print_operation_set_export_filename (operation, pdf);
      result = gtk_print_operation_run (operation, GTK_PRINT_OPERATION_ACTION_EXPORT, parent,
                                        &error);
      if (result == GTK_PRINT_OPERATION_RESULT_ERROR)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  /* The operation lives until the task is done. */
  g_task_set_task_data (task, g_object_ref (operation), g_object_unref);
  job = g_new0 (PrintJob, 1);
  job->task = g_object_ref (task);
  gtk_print_operation_set_allow_async (operation, TRUE);
  g_signal_connect_data (operation, "done", G_CALLBACK (done_cb), job, print_job_free, 0);
  result = gtk_print_operation_run (operation,
                                    with_dialog ? GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG
                                                : GTK_PRINT_OPERATION_ACTION_PRINT,
                                    parent, &error);
  /* Finished at once (no printer, say): "done" may not come. */
  if (result != GTK_PRINT_OPERATION_RESULT_IN_PROGRESS)
    print_job_return (job, result, g_steal_pointer (&error));
}

gboolean
leap_ticket_printer_print_finish (LeapTicketPrinter  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (LEAP_IS_TICKET_PRINTER (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
