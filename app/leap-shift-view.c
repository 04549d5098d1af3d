/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <adwaita.h>

#include "leap-a11y.h"
#include "leap-client.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-money.h"
#include "leap-offline-cache.h"
#include "leap-shift-view.h"

/* The end of a shift: what this device sold since the shift began, by
 * payment method, the refunds, and the cash drawer: the float plus cash
 * sales minus cash refunds is what should be there; the cashier types what
 * is, and sees the difference. Printable as a report (print-report). The
 * figures come from the device's own orders in the offline cache. */
struct _LeapShiftView
{
  GtkWidget         parent_instance;

  /* Template widgets */
  GtkLabel         *since_label;
  GtkWidget        *new_shift_button;
  GtkWidget        *print_button;
  AdwActionRow     *cash_row;
  AdwActionRow     *card_row;
  AdwActionRow     *refund_row;
  AdwActionRow     *total_row;
  GtkLabel         *cash_label;
  GtkLabel         *card_label;
  GtkLabel         *refund_label;
  GtkLabel         *total_label;
  AdwEntryRow      *float_row;
  GtkLabel         *float_money_label;
  GtkLabel         *expected_label;
  AdwEntryRow      *counted_row;
  GtkLabel         *counted_money_label;
  GtkLabel         *difference_label;
  GtkLabel         *attention_label;

  /* Owned */
  LeapClient       *client;
  LeapOfflineCache *cache;
  GSettings        *settings;
  GCancellable     *cancellable;
  char             *currency;
  gint64            since;
  gint64            cash, card, cash_refunds, card_refunds;
  guint             n_cash, n_card, n_refunds, n_open;
  guint             serial;
  gboolean          loaded;
};

G_DEFINE_FINAL_TYPE (LeapShiftView, leap_shift_view, GTK_TYPE_WIDGET)

enum {
  PRINT_REPORT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static char *
money (LeapShiftView *self,
       gint64         amount)
{
  LeapMoney m = leap_money_init (amount, self->currency);

  return leap_format_money (&m);
}

/* What the entry says in minor units; FALSE when it is not an amount. */
static gboolean
parse_amount (LeapShiftView *self,
              AdwEntryRow   *row,
              gint64        *amount)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (row));
  LeapMoney m;

  if (text[0] == '\0' || !leap_money_parse (text, self->currency, &m, NULL))
    return FALSE;
  *amount = m.amount;
  return TRUE;
}

gint64
leap_shift_view_get_expected_cash (LeapShiftView *self)
{
  gint64 cash_float = 0;

  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), 0);

  parse_amount (self, self->float_row, &cash_float);
  return cash_float + self->cash - self->cash_refunds;
}

/* What @row says, as money beside it: "100" reads €100.00. */
static void
show_typed (LeapShiftView *self,
            AdwEntryRow   *row,
            GtkLabel      *label)
{
  g_autofree char *text = NULL;
  gint64 amount;

  if (parse_amount (self, row, &amount))
    text = money (self, amount);
  else if (gtk_editable_get_text (GTK_EDITABLE (row))[0] != '\0')
    text = g_strdup (_("not an amount"));
  gtk_label_set_label (label, text ? text : "");
}

static void
update_drawer (LeapShiftView *self)
{
  g_autofree char *expected = money (self, leap_shift_view_get_expected_cash (self));
  gint64 counted;

  show_typed (self, self->float_row, self->float_money_label);
  show_typed (self, self->counted_row, self->counted_money_label);
  gtk_label_set_label (self->expected_label, expected);
  gtk_widget_remove_css_class (GTK_WIDGET (self->difference_label), "shift-difference-ok");
  gtk_widget_remove_css_class (GTK_WIDGET (self->difference_label), "shift-difference-off");
  if (parse_amount (self, self->counted_row, &counted))
    {
      gint64 difference = counted - leap_shift_view_get_expected_cash (self);
      g_autofree char *amount = money (self, difference < 0 ? -difference : difference);
      g_autofree char *text = NULL;

      if (difference == 0)
        text = g_strdup (_("None: the drawer is right"));
      else if (difference < 0)
        text = g_strdup_printf (_("%s short"), amount);
      else
        text = g_strdup_printf (_("%s over"), amount);
      gtk_label_set_label (self->difference_label, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->difference_label),
                                difference == 0 ? "shift-difference-ok" : "shift-difference-off");
    }
  else
    gtk_label_set_label (self->difference_label, "—");
}

static void
float_changed_cb (LeapShiftView *self)
{
  gint64 cash_float;

  if (parse_amount (self, self->float_row, &cash_float) ||
      gtk_editable_get_text (GTK_EDITABLE (self->float_row))[0] == '\0')
    {
      if (gtk_editable_get_text (GTK_EDITABLE (self->float_row))[0] == '\0')
        cash_float = 0;
      g_settings_set_int64 (self->settings, "shift-float", cash_float);
    }
  update_drawer (self);
}

static void
update (LeapShiftView *self)
{
  g_autoptr(GDateTime) since = g_date_time_new_from_unix_local (self->since);
  /* Translators: strftime() codes. xgettext:no-c-format */
  g_autofree char *since_text = leap_format_date_time (since, C_("shift start", "%a %e %b, %H:%M"));
  g_autofree char *since_line = g_strdup_printf (_("Sales of this device since %s"), since_text);
  g_autofree char *cash = money (self, self->cash);
  g_autofree char *card = money (self, self->card);
  g_autofree char *refunds = money (self, self->cash_refunds + self->card_refunds);
  g_autofree char *total = money (self, self->cash + self->card - self->cash_refunds -
                                            self->card_refunds);
  g_autofree char *cash_sub = g_strdup_printf (ngettext ("%u order", "%u orders", self->n_cash),
                                               self->n_cash);
  g_autofree char *card_sub = g_strdup_printf (ngettext ("%u order", "%u orders", self->n_card),
                                               self->n_card);
  g_autofree char *refund_sub = NULL;
  g_autofree char *cash_refunds = money (self, self->cash_refunds);

  refund_sub = g_strdup_printf (ngettext ("%u order, %s of it in cash",
                                          "%u orders, %s of it in cash", self->n_refunds),
                                self->n_refunds, cash_refunds);
  gtk_label_set_label (self->since_label, since_line);
  gtk_label_set_label (self->cash_label, cash);
  gtk_label_set_label (self->card_label, card);
  gtk_label_set_label (self->refund_label, refunds);
  gtk_label_set_label (self->total_label, total);
  adw_action_row_set_subtitle (self->cash_row, cash_sub);
  adw_action_row_set_subtitle (self->card_row, card_sub);
  adw_action_row_set_subtitle (self->refund_row, refund_sub);
  if (self->n_open > 0)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u order is not settled (not confirmed "
                                                         "yet, or waiting for a manager): look at "
                                                         "it in Orders before closing.",
                                                         "%u orders are not settled (not confirmed "
                                                         "yet, or waiting for a manager): look at "
                                                         "them in Orders before closing.",
                                                         self->n_open), self->n_open);
      gtk_label_set_label (self->attention_label, text);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->attention_label), self->n_open > 0);
  update_drawer (self);
}

typedef struct
{
  LeapShiftView *view;
  guint          serial;
} Count;

static void
count_free (Count *count)
{
  g_object_unref (count->view);
  g_free (count);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Count, count_free)

static void
find_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(Count) count = user_data;
  LeapShiftView *self = count->view;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) error = NULL;

  orders = leap_offline_cache_find_orders_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || count->serial != self->serial)
    return;
  if (orders == NULL)
    {
      g_warning ("The shift's orders cannot be read: %s", error->message);
      return;
    }

  self->cash = self->card = self->cash_refunds = self->card_refunds = 0;
  self->n_cash = self->n_card = self->n_refunds = self->n_open = 0;
  for (guint i = 0; i < orders->len; i++)
    {
      JsonObject *order = orders->pdata[i];
      const char *status = leap_json_get_string (order, "status", "");
      JsonNode *node = json_object_get_member (order, "payment");
      JsonObject *payment = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node)
                                                                  : NULL;
      gboolean    cash = payment &&
                      g_strcmp0 (leap_json_get_string (payment, "method", NULL), "cash") == 0;
      gint64 total = leap_json_get_int (order, "total", 0);

      if (leap_json_get_string (order, "currency", NULL) != NULL && i == 0)
        {
          g_free (self->currency);
          self->currency = g_strdup (leap_json_get_string (order, "currency", NULL));
        }
      if (g_str_equal (status, "pending") || g_str_equal (status, "needs_review"))
        {
          self->n_open++;
          continue;
        }
      if (!g_str_equal (status, "paid") && !g_str_equal (status, "refunded"))
        continue;
      /* A refunded order was sold, then (partly) given back. */
      if (cash)
        self->cash += total, self->n_cash++;
      else
        self->card += total, self->n_card++;
      node = json_object_get_member (order, "refunds");
      if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *refunds = json_node_get_array (node);

          for (guint j = 0; j < json_array_get_length (refunds); j++)
            {
              JsonObject *refund = json_array_get_object_element (refunds, j);
              gint64 amount = refund ? ABS (leap_json_get_int (refund, "amount", 0)) : 0;

              self->n_refunds++;
              if (g_strcmp0 (leap_json_get_string (refund, "method", NULL), "cash") == 0)
                self->cash_refunds += amount;
              else
                self->card_refunds += amount;
            }
        }
      else if (g_str_equal (status, "refunded"))
        {
          self->n_refunds++;
          if (cash)
            self->cash_refunds += total;
          else
            self->card_refunds += total;
        }
    }
  self->loaded = TRUE;
  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

/* Counts the shift's orders again from the cache. */
void
leap_shift_view_reload (LeapShiftView *self)
{
  Count *count;
  gint64 started;

  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));

  if (self->cache == NULL)
    return;
  started = g_settings_get_int64 (self->settings, "shift-started-at");
  if (started <= 0)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_local ();
      g_autoptr(GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (now),
                                                             g_date_time_get_month (now),
                                                             g_date_time_get_day_of_month (now),
                                                             0, 0, 0);
      started = g_date_time_to_unix (midnight);
    }
  self->since = started;
  self->serial++;
  self->loaded = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
  count = g_new0 (Count, 1);
  count->view = g_object_ref (self);
  count->serial = self->serial;
  leap_offline_cache_find_orders_async (self->cache, NULL, started, self->cancellable,
                                        find_cb, count);
}

static void
new_shift_response_cb (AdwMessageDialog *dialog,
                       const char       *response,
                       LeapShiftView    *self)
{
  if (!g_str_equal (response, "start"))
    return;
  g_settings_set_int64 (self->settings, "shift-started-at", g_get_real_time () / G_USEC_PER_SEC);
  gtk_editable_set_text (GTK_EDITABLE (self->counted_row), "");
  leap_shift_view_reload (self);
}

static void
new_shift_clicked_cb (LeapShiftView *self)
{
  GtkWidget *dialog;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))),
                                   _("Start a New Shift?"),
                                   _("Print the report of this shift first. The counts start "
                                     "again from now; the orders stay on this device."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "start", _("_Start New Shift"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "start",
                                              ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (new_shift_response_cb), self, 0);
  leap_a11y_name_mnemonic_buttons (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* GLib 2.74 has no g_strv_builder_take (). */
static void
take_line (GStrvBuilder *lines,
           char         *line)
{
  g_strv_builder_add (lines, line);
  g_free (line);
}

/* @amount as money, right-aligned in 12 characters (not bytes: € is
 * three), so that the report's amounts line up on paper. */
static char *
column (LeapShiftView *self,
        gint64         amount)
{
  g_autofree char *text = money (self, amount);
  glong width = g_utf8_strlen (text, -1);

  return g_strdup_printf ("%*s%s", (int) MAX (0, 12 - width), "", text);
}

/* The report as lines of text, for the printer. */
GStrv
leap_shift_view_dup_report (LeapShiftView *self)
{
  g_autoptr(GStrvBuilder) lines = g_strv_builder_new ();
  g_autoptr(GDateTime) since = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *since_text = NULL;
  g_autofree char *now_text = g_date_time_format (now, "%Y-%m-%d %H:%M");
  g_autofree char *cash = NULL, *card = NULL, *refunds = NULL, *cash_refunds = NULL;
  g_autofree char *net = NULL, *expected = NULL, *cash_float = NULL;
  gint64 float_amount = 0, counted;

  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), NULL);

  since = g_date_time_new_from_unix_local (self->since);
  since_text = g_date_time_format (since, "%Y-%m-%d %H:%M");
  parse_amount (self, self->float_row, &float_amount);
  cash = column (self, self->cash);
  card = column (self, self->card);
  refunds = column (self, self->cash_refunds + self->card_refunds);
  cash_refunds = column (self, self->cash_refunds);
  net = column (self, self->cash + self->card - self->cash_refunds - self->card_refunds);
  expected = column (self, leap_shift_view_get_expected_cash (self));
  cash_float = column (self, float_amount);

  take_line (lines, g_strdup_printf (_("Cashier       %s"),
                                     self->client && leap_client_get_username (self->client)
                                         ? leap_client_get_username (self->client)
                                         : _("(nobody signed in)")));
  take_line (lines, g_strdup_printf (_("Device        %s"), g_get_host_name ()));
  take_line (lines, g_strdup_printf (_("From    %s"), since_text));
  take_line (lines, g_strdup_printf (_("To      %s"), now_text));
  g_strv_builder_add (lines, "");
  take_line (lines, g_strdup_printf (_("Cash    %4u  %12s"), self->n_cash, cash));
  take_line (lines, g_strdup_printf (_("Card    %4u  %12s"), self->n_card, card));
  take_line (lines, g_strdup_printf (_("Refunds %4u  %12s"), self->n_refunds, refunds));
  take_line (lines, g_strdup_printf (_("Net           %12s"), net));
  g_strv_builder_add (lines, "");
  take_line (lines, g_strdup_printf (_("Float         %12s"), cash_float));
  take_line (lines, g_strdup_printf (_("Cash refunds  %12s"), cash_refunds));
  take_line (lines, g_strdup_printf (_("Expected      %12s"), expected));
  if (parse_amount (self, self->counted_row, &counted))
    {
      g_autofree char *counted_text = column (self, counted);

      take_line (lines, g_strdup_printf (_("Counted       %12s"), counted_text));
      take_line (lines, g_strdup_printf (_("Difference    %s"),
                                                   gtk_label_get_label (self->difference_label)));
    }
  if (self->n_open > 0)
    {
      g_strv_builder_add (lines, "");
      take_line (lines, g_strdup_printf (_("Not settled: %u"), self->n_open));
    }
  g_strv_builder_add (lines, "");
  g_strv_builder_add (lines, _("Signature: ____________________"));
  return g_strv_builder_end (lines);
}

void
leap_shift_view_print (LeapShiftView *self)
{
  g_auto(GStrv) lines = NULL;

  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));

  lines = leap_shift_view_dup_report (self);
  g_signal_emit (self, signals[PRINT_REPORT], 0, lines);
}

static void
leap_shift_view_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (leap_shift_view_parent_class)->map (widget);
  /* Shown again: the sales since may have changed. */
  leap_shift_view_reload (LEAP_SHIFT_VIEW (widget));
}

static void
leap_shift_view_dispose (GObject *object)
{
  GtkWidget *child;
  LeapShiftView *self = (LeapShiftView *) object;

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_SHIFT_VIEW);
  /* The template's unnamed top box is not cleared by the call above. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (leap_shift_view_parent_class)->dispose (object);
}

static void
leap_shift_view_finalize (GObject *object)
{
  LeapShiftView *self = (LeapShiftView *) object;

  g_clear_pointer (&self->currency, g_free);

  G_OBJECT_CLASS (leap_shift_view_parent_class)->finalize (object);
}

static void
leap_shift_view_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  LeapShiftView *self = LEAP_SHIFT_VIEW (object);

  switch (prop_id)
    {
    case PROP_LOADED: g_value_set_boolean (value, self->loaded); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_shift_view_class_init (LeapShiftViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = leap_shift_view_dispose;
  object_class->finalize = leap_shift_view_finalize;
  object_class->get_property = leap_shift_view_get_property;
  widget_class->map = leap_shift_view_map;

  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PRINT_REPORT] =
    g_signal_new ("print-report", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRV);

  gtk_widget_class_set_template_from_resource (
      widget_class, "/io/github/leapboxoffice/BoxOffice/ui/leap-shift-view.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, since_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, new_shift_button);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, print_button);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, cash_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, card_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, refund_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, total_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, cash_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, card_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, refund_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, total_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, float_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, expected_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, float_money_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, counted_money_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, counted_row);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, difference_label);
  gtk_widget_class_bind_template_child (widget_class, LeapShiftView, attention_label);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
leap_shift_view_init (LeapShiftView *self)
{
  gint64 cash_float;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  self->currency = g_strdup ("EUR");
  cash_float = g_settings_get_int64 (self->settings, "shift-float");
  if (cash_float > 0)
    {
      LeapMoney m = leap_money_init (cash_float, self->currency);
      g_autofree char *text = leap_format_money (&m);
      /* Only the digits: the entry takes what a cashier types. */
      const char *digits = text;

      while (*digits != '\0' && !g_ascii_isdigit (*digits))
        digits++;
      gtk_editable_set_text (GTK_EDITABLE (self->float_row), digits);
    }

  g_signal_connect_object (self->float_row, "changed", G_CALLBACK (float_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->counted_row, "changed", G_CALLBACK (update_drawer), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->new_shift_button, "clicked", G_CALLBACK (new_shift_clicked_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->print_button, "clicked", G_CALLBACK (leap_shift_view_print), self,
                           G_CONNECT_SWAPPED);
  self->since = g_get_real_time () / G_USEC_PER_SEC;
  update (self);
}

/* Who is signed in: the report names them. */
void
leap_shift_view_set_client (LeapShiftView *self,
                            LeapClient    *client)
{
  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));

  g_set_object (&self->client, client);
}

void
leap_shift_view_set_cache (LeapShiftView    *self,
                           LeapOfflineCache *cache)
{
  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));

  g_set_object (&self->cache, cache);
  leap_shift_view_reload (self);
}

gboolean
leap_shift_view_get_loaded (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), FALSE);
  return self->loaded;
}

/* Orders not settled yet (pending, or waiting for a manager). */
guint
leap_shift_view_get_open_orders (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), 0);
  return self->n_open;
}

gint64
leap_shift_view_get_cash_sales (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), 0);
  return self->cash;
}

gint64
leap_shift_view_get_card_sales (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), 0);
  return self->card;
}

void
leap_shift_view_set_counted_text (LeapShiftView *self,
                                  const char    *text)
{
  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));
  gtk_editable_set_text (GTK_EDITABLE (self->counted_row), text);
}

void
leap_shift_view_set_float_text (LeapShiftView *self,
                                const char    *text)
{
  g_return_if_fail (LEAP_IS_SHIFT_VIEW (self));
  gtk_editable_set_text (GTK_EDITABLE (self->float_row), text);
}

/* The float as the view shows it beside what was typed. */
const char *
leap_shift_view_get_float_money (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), NULL);
  return gtk_label_get_label (self->float_money_label);
}

const char *
leap_shift_view_get_difference_text (LeapShiftView *self)
{
  g_return_val_if_fail (LEAP_IS_SHIFT_VIEW (self), NULL);
  return gtk_label_get_label (self->difference_label);
}
