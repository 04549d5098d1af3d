/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <sodium.h>
#include <string.h>

#include "leap-a11y.h"
#include "leap-checkout.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-kiosk-window.h"
#include "leap-money.h"
#include "leap-offline-cache.h"
#include "leap-ticket-printer.h"
#include "leap-tier.h"

/* The self-service kiosk: a full-screen window for customers, with no
 * staff functions. Start → events → tickets → card payment → printed
 * tickets → thank you → start. The tickets are held as soon as they are
 * picked; a customer who walks away is asked whether they are still
 * there, and then the kiosk starts over and gives the tickets back. When
 * the server does not answer, a calm page says so and the kiosk comes
 * back by itself. Leaving needs a staff PIN (Ctrl+Alt+Q, or a long press
 * on the top right corner). */
struct _LeapKioskWindow
{
  AdwApplicationWindow parent_instance;

  /* Template widgets */
  GtkStack            *stack;
  GtkButton           *start_button;
  GtkLabel            *start_title;
  GtkLabel            *start_hint;
  GtkButton           *events_back;
  GtkLabel            *events_title;
  GtkListBox          *events_box;
  GtkLabel            *events_empty;
  GtkButton           *tickets_back;
  GtkLabel            *tickets_title;
  GtkLabel            *tickets_when;
  GtkBox              *tiers_box;
  GtkLabel            *tickets_message;
  GtkLabel            *total_label;
  GtkButton           *pay_button;
  GtkSpinner          *paying_spinner;
  GtkLabel            *paying_title;
  GtkLabel            *paying_hint;
  GtkImage            *thanks_icon;
  GtkLabel            *thanks_title;
  GtkLabel            *thanks_hint;
  GtkButton           *thanks_done;
  GtkLabel            *unavailable_title;
  GtkLabel            *unavailable_hint;
  GtkWidget           *exit_corner;

  /* Owned */
  LeapClient          *client;
  LeapOfflineCache    *cache;
  GSettings           *settings;
  LeapCheckout        *checkout;
  GCancellable        *cancellable;
  GtkFilterListModel  *events;
  LeapEvent           *event;
  GPtrArray           *tiers;        /* LeapTier */
  GArray              *quantities;   /* guint, one per tier */
  GPtrArray           *count_labels; /* GtkLabel (borrowed from tiers_box) */
  GPtrArray           *minus_buttons;
  GPtrArray           *plus_buttons;
  GPtrArray           *to_release;   /* hold ids given back while the server was away */
  char                *hold_id;
  char                *message;
  char                *language;
  char                *first_language;
  char                *first_language_env;
  JsonObject          *last_order;
  LeapTicketPrinter   *last_printer;
  guint                hold_generation;
  guint                hold_delay_id;
  guint                idle_tick_id;
  guint                countdown_id;
  guint                countdown_left;
  guint                thanks_id;
  guint                check_id;
  guint                retry_delay_s;
  guint                n_rebuilds;
  guint                exit_failures;
  gint64               exit_locked_until;
  gint64               last_input;
  gboolean             holding;
  gboolean             paying;
  gboolean             checking;
  gboolean             available;
  gboolean             left;

  /* Borrowed (weak pointers) */
  AdwMessageDialog    *still_there;
  AdwMessageDialog    *exit_dialog;
  GtkEditable         *exit_entry;
};

G_DEFINE_FINAL_TYPE (LeapKioskWindow, leap_kiosk_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_CACHE,
  PROP_LANGUAGE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* The server is asked whether it is there every HEARTBEAT_S seconds;
 * while it is away, from 1 s doubling to RETRY_MAX_S. The tickets are
 * held HOLD_DELAY_MS after the customer stops tapping. */
#define HEARTBEAT_S      5
#define RETRY_MAX_S      8
#define HOLD_DELAY_MS    300
#define MAX_TICKETS      10
#define EXIT_ATTEMPTS    5
#define EXIT_LOCK_S      60
#define PRINT_TIMEOUT_S  60

static void reset (LeapKioskWindow *self);
static void check_server (LeapKioskWindow *self);
static gboolean check_server_cb (gpointer user_data);
static void apply_texts (LeapKioskWindow *self);

/* Pages */

static gboolean
on_page (LeapKioskWindow *self,
         const char      *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), name) == 0;
}

static void
show_page (LeapKioskWindow *self,
           const char      *name)
{
  leap_a11y_show_stack_page (self->stack, name);
  gtk_spinner_set_spinning (self->paying_spinner, g_str_equal (name, "paying"));
  self->last_input = g_get_monotonic_time ();
}

static void
set_message (LeapKioskWindow *self,
             const char      *message)
{
  g_free (self->message);
  self->message = g_strdup (message);
  gtk_label_set_text (self->tickets_message, message ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->tickets_message), message != NULL);
}

/* Events */

static gboolean
event_on_sale (gpointer item,
               gpointer user_data)
{
  LeapEvent *event = item;

  return g_strcmp0 (leap_event_get_status (event), "on_sale") == 0 &&
         leap_event_get_starts_at (event) > g_get_real_time () / G_USEC_PER_SEC;
}

static GtkWidget *
create_event_row (gpointer item,
                  gpointer user_data)
{
  LeapEvent *event = item;
  g_autofree char *when = leap_format_event_when (event);
  g_autofree char *label = g_strdup_printf ("%s, %s", leap_event_get_name (event), when);
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *button = gtk_button_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *name = gtk_label_new (leap_event_get_name (event));
  GtkWidget *sub;

  /* The day, the time and the venue. */
  sub = gtk_label_new (when);
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_wrap (GTK_LABEL (name), TRUE);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
  gtk_widget_add_css_class (name, "kiosk-title");
  gtk_widget_add_css_class (sub, "kiosk-text");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_widget_set_valign (box, GTK_ALIGN_CENTER);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), sub);
  gtk_button_set_child (GTK_BUTTON (button), box);
  gtk_widget_add_css_class (button, "kiosk-event");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), "kiosk.choose-event");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "x", leap_event_get_id (event));
  /* Named by its labels, for a screen reader. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  /* The button is the control: Tab goes straight from one to the next,
   * not through a row that does nothing. */
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_widget_set_focusable (row, FALSE);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), button);
  return row;
}

static void
events_changed_cb (LeapKioskWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->events_empty),
                          g_list_model_get_n_items (G_LIST_MODEL (self->events)) == 0);
}

static void
rebuild_events (LeapKioskWindow *self)
{
  /* The filter looks at the clock: shows that began since go. */
  gtk_filter_changed (gtk_filter_list_model_get_filter (self->events), GTK_FILTER_CHANGE_DIFFERENT);
  gtk_list_box_bind_model (self->events_box, G_LIST_MODEL (self->events), create_event_row, self,
                           NULL);
  events_changed_cb (self);
}

static void
sync_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!leap_offline_cache_sync_finish (LEAP_OFFLINE_CACHE (source), result, &error))
    g_debug ("Kiosk sync: %s", error->message);
}

static void
sync_events (LeapKioskWindow *self)
{
  if (!leap_offline_cache_get_syncing (self->cache))
    leap_offline_cache_sync_async (self->cache, self->client, self->cancellable, sync_cb, NULL);
}

/* Holds */

static void
release_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autofree char *hold_id = user_data;
  g_autoptr(GError) error = NULL;

  if (leap_client_release_hold_finish (LEAP_CLIENT (source), result, &error))
    return;
  g_debug ("Kiosk: hold %s not released: %s", hold_id, error->message);
}

static void
release_hold (LeapKioskWindow *self)
{
  self->hold_generation++;
  self->holding = FALSE;
  g_clear_handle_id (&self->hold_delay_id, g_source_remove);
  if (self->hold_id == NULL)
    return;
  if (self->available)
    leap_client_release_hold_async (self->client, self->hold_id, NULL, release_cb,
                                    g_strdup (self->hold_id));
  else
    g_ptr_array_add (self->to_release, g_strdup (self->hold_id));
  g_clear_pointer (&self->hold_id, g_free);
}

static guint
n_tickets (LeapKioskWindow *self)
{
  guint n = 0;

  for (guint i = 0; self->quantities != NULL && i < self->quantities->len; i++)
    n += g_array_index (self->quantities, guint, i);
  return n;
}

static guint
max_quantity (LeapTier *tier)
{
  gint64 max = MAX_TICKETS;

  if (leap_tier_get_max_per_order (tier) > 0)
    max = MIN (max, leap_tier_get_max_per_order (tier));
  if (leap_tier_get_available (tier) >= 0)
    max = MIN (max, leap_tier_get_available (tier));
  return (guint) MAX (max, 0);
}

static void
update_tickets (LeapKioskWindow *self)
{
  gint64 total = 0;
  const char *currency = "EUR";
  g_autofree char *total_text = NULL;
  g_autofree char *label = NULL;
  LeapMoney money;
  guint n = n_tickets (self);

  for (guint i = 0; self->tiers != NULL && i < self->tiers->len; i++)
    {
      LeapTier *tier = g_ptr_array_index (self->tiers, i);
      guint q = g_array_index (self->quantities, guint, i);
      g_autofree char *count = g_strdup_printf ("%u", q);

      total += leap_tier_get_price (tier).amount * q;
      currency = leap_tier_get_currency (tier);
      gtk_label_set_text (g_ptr_array_index (self->count_labels, i), count);
      gtk_widget_set_sensitive (g_ptr_array_index (self->minus_buttons, i), q > 0 && !self->paying);
      gtk_widget_set_sensitive (g_ptr_array_index (self->plus_buttons, i),
                                q < max_quantity (tier) && n < MAX_TICKETS && !self->paying);
    }
  money = leap_money_init (total, currency);
  total_text = leap_format_money (&money);
  /* Translators: the total on the kiosk's ticket page */
  label = g_strdup_printf (ngettext ("%u ticket · %s", "%u tickets · %s", n), n, total_text);
  gtk_label_set_text (self->total_label, label);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.pay",
                                 self->hold_id != NULL && !self->holding &&
                                 self->hold_delay_id == 0 && !self->paying && n > 0);
  if (self->holding || self->hold_delay_id != 0)
    gtk_button_set_label (self->pay_button, _("Reserving your tickets…"));
  else
    gtk_button_set_label (self->pay_button, _("Pay by card"));
}

typedef struct
{
  LeapKioskWindow *window;
  guint            generation;
} HoldRequest;

static void
hold_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  HoldRequest *request = user_data;
  g_autoptr(LeapKioskWindow) self = request->window;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) hold = NULL;
  guint generation = request->generation;

  g_free (request);
  hold = leap_client_create_hold_finish (LEAP_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (generation != self->hold_generation)
    {
      /* The customer changed their mind meanwhile: give it back. */
      if (hold != NULL)
        leap_client_release_hold_async (LEAP_CLIENT (source),
                                        leap_json_get_string (hold, "hold_id", NULL), NULL,
                                        release_cb, g_strdup (leap_json_get_string (hold, "hold_id", "")));
      return;
    }
  self->holding = FALSE;
  if (hold == NULL)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        check_server (self);
      else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT))
        set_message (self, _("Not enough tickets are left. Please choose fewer."));
      else
        set_message (self, _("These tickets cannot be sold here just now. Please ask at the box "
                             "office."));
      g_debug ("Kiosk hold: %s", error->message);
      update_tickets (self);
      return;
    }
  self->hold_id = g_strdup (leap_json_get_string (hold, "hold_id", NULL));
  update_tickets (self);
}

static gboolean
hold_now_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;
  g_autoptr(JsonArray) items = json_array_new ();
  g_autofree char *key = g_uuid_string_random ();
  HoldRequest *request;

  self->hold_delay_id = 0;
  for (guint i = 0; i < self->tiers->len; i++)
    {
      guint q = g_array_index (self->quantities, guint, i);
      JsonObject *item;

      if (q == 0)
        continue;
      item = json_object_new ();
      json_object_set_int_member (item, "tier_id", leap_tier_get_id (g_ptr_array_index (self->tiers, i)));
      json_object_set_int_member (item, "quantity", q);
      json_array_add_object_element (items, item);
    }
  if (json_array_get_length (items) == 0 || self->event == NULL)
    {
      update_tickets (self);
      return G_SOURCE_REMOVE;
    }
  self->hold_generation++;
  self->holding = TRUE;
  request = g_new0 (HoldRequest, 1);
  request->window = g_object_ref (self);
  request->generation = self->hold_generation;
  leap_client_create_hold_async (self->client, leap_event_get_id (self->event), items, key,
                                 self->cancellable, hold_cb, request);
  update_tickets (self);
  return G_SOURCE_REMOVE;
}

/* The cart changed: the old hold goes, the new one follows once the
 * customer pauses. */
static void
cart_changed (LeapKioskWindow *self)
{
  release_hold (self);
  set_message (self, NULL);
  if (n_tickets (self) > 0)
    self->hold_delay_id = g_timeout_add (HOLD_DELAY_MS, hold_now_cb, self);
  update_tickets (self);
}

/* Tickets */

static void
availability_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(JsonObject) root = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tiers;

  root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &error);
  if (root == NULL || self->tiers == NULL)
    return;
  if (!json_object_has_member (root, "tiers") ||
      !JSON_NODE_HOLDS_ARRAY (json_object_get_member (root, "tiers")))
    return;
  tiers = json_object_get_array_member (root, "tiers");
  for (guint i = 0; i < json_array_get_length (tiers); i++)
    {
      JsonObject *o = json_array_get_object_element (tiers, i);

      for (guint t = 0; t < self->tiers->len; t++)
        {
          LeapTier *tier = g_ptr_array_index (self->tiers, t);

          if (o != NULL && leap_tier_get_id (tier) == leap_json_get_int (o, "tier_id", -1))
            leap_tier_set_available (tier, MAX (leap_json_get_int (o, "available", 0), 0));
        }
    }
  update_tickets (self);
}

static void
build_tiers (LeapKioskWindow *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->tiers_box))) != NULL)
    gtk_box_remove (self->tiers_box, child);
  g_ptr_array_set_size (self->count_labels, 0);
  g_ptr_array_set_size (self->minus_buttons, 0);
  g_ptr_array_set_size (self->plus_buttons, 0);

  for (guint i = 0; self->tiers != NULL && i < self->tiers->len; i++)
    {
      LeapTier *tier = g_ptr_array_index (self->tiers, i);
      LeapMoney price = leap_tier_get_price (tier);
      g_autofree char *price_text = leap_format_money (&price);
      GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 24);
      GtkWidget *labels = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
      GtkWidget *name = gtk_label_new (leap_tier_get_name (tier));
      GtkWidget *sub = gtk_label_new (price_text);
      GtkWidget *minus = gtk_button_new_from_icon_name ("list-remove-symbolic");
      GtkWidget *count = gtk_label_new ("0");
      GtkWidget *plus = gtk_button_new_from_icon_name ("list-add-symbolic");
      g_autofree char *less = g_strdup_printf (_("One %s ticket less"), leap_tier_get_name (tier));
      g_autofree char *more = g_strdup_printf (_("One %s ticket more"), leap_tier_get_name (tier));

      gtk_widget_add_css_class (row, "kiosk-tier");
      gtk_widget_add_css_class (row, "card");
      gtk_widget_set_hexpand (labels, TRUE);
      gtk_widget_set_valign (labels, GTK_ALIGN_CENTER);
      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_xalign (GTK_LABEL (sub), 0);
      gtk_widget_add_css_class (name, "kiosk-title");
      gtk_widget_add_css_class (sub, "kiosk-text");
      gtk_box_append (GTK_BOX (labels), name);
      gtk_box_append (GTK_BOX (labels), sub);
      gtk_box_append (GTK_BOX (row), labels);

      for (guint b = 0; b < 2; b++)
        {
          GtkWidget *button = b == 0 ? minus : plus;

          gtk_widget_add_css_class (button, "kiosk-round");
          gtk_widget_add_css_class (button, "circular");
          gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (button),
                                          b == 0 ? "kiosk.remove-ticket" : "kiosk.add-ticket");
          gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "u", i);
          gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                          b == 0 ? less : more, -1);
        }
      gtk_widget_add_css_class (plus, "suggested-action");
      gtk_widget_add_css_class (count, "kiosk-count");
      gtk_widget_set_size_request (count, 72, -1);
      gtk_box_append (GTK_BOX (row), minus);
      gtk_box_append (GTK_BOX (row), count);
      gtk_box_append (GTK_BOX (row), plus);
      gtk_box_append (self->tiers_box, row);
      g_ptr_array_add (self->count_labels, count);
      g_ptr_array_add (self->minus_buttons, minus);
      g_ptr_array_add (self->plus_buttons, plus);
    }
  update_tickets (self);
}

static void
tiers_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GPtrArray) tiers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;

  tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  /* Another event was chosen meanwhile. */
  if (tiers != NULL && self->event != NULL && tiers->len > 0 &&
      leap_tier_get_event_id (g_ptr_array_index (tiers, 0)) != leap_event_get_id (self->event))
    return;
  if (tiers == NULL || self->event == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_message (self, _("The tickets cannot be shown just now."));
      return;
    }
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  self->tiers = g_steal_pointer (&tiers);
  g_array_set_size (self->quantities, self->tiers->len);
  for (guint i = 0; i < self->quantities->len; i++)
    g_array_index (self->quantities, guint, i) = 0;
  build_tiers (self);

  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                          leap_event_get_id (self->event));
  leap_client_send_async (self->client, "GET", path, NULL, self->cancellable, availability_cb,
                          g_object_ref (self));
}

static void
set_event_texts (LeapKioskWindow *self)
{
  g_autofree char *when = NULL;

  if (self->event == NULL)
    return;
  when = leap_format_event_when (self->event);
  gtk_label_set_text (self->tickets_title, leap_event_get_name (self->event));
  gtk_label_set_text (self->tickets_when, when);
}

static void
clear_cart (LeapKioskWindow *self)
{
  release_hold (self);
  g_clear_object (&self->event);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  g_array_set_size (self->quantities, 0);
  build_tiers (self);
  set_message (self, NULL);
}

/* Payment */

static gboolean
thanks_timeout_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  self->thanks_id = 0;
  reset (self);
  return G_SOURCE_REMOVE;
}

static void
start_thanks_timer (LeapKioskWindow *self)
{
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  self->thanks_id = g_timeout_add_seconds (g_settings_get_uint (self->settings,
                                                                "kiosk-thank-you-seconds"),
                                           thanks_timeout_cb, self);
}

static void
print_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!leap_ticket_printer_print_finish (LEAP_TICKET_PRINTER (source), result, &error))
    {
      g_autofree char *hint = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Kiosk: the tickets of %s were not printed: %s",
                 leap_json_get_string (self->last_order, "order_id", ""), error->message);
      hint = g_strdup_printf (_("Your tickets could not be printed. Please show order number %s "
                                "at the box office."),
                              leap_json_get_string (self->last_order, "order_id", ""));
      gtk_label_set_text (self->thanks_title, _("Thank you!"));
      gtk_label_set_text (self->thanks_hint, hint);
    }
  else
    {
      gtk_label_set_text (self->thanks_title, _("Thank you!"));
      gtk_label_set_text (self->thanks_hint, _("Please take your tickets from the printer. Enjoy the show!"));
    }
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), TRUE);
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), TRUE);
  start_thanks_timer (self);
}

static void
paid (LeapKioskWindow *self,
      JsonObject      *order)
{
  g_autoptr(LeapTicketPrinter) printer = leap_ticket_printer_new (order);

  /* The hold became the order: nothing to give back. */
  g_clear_pointer (&self->hold_id, g_free);
  clear_cart (self);
  g_clear_pointer (&self->last_order, json_object_unref);
  self->last_order = json_object_ref (order);
  g_set_object (&self->last_printer, printer);

  gtk_label_set_text (self->thanks_title, _("Payment accepted"));
  gtk_label_set_text (self->thanks_hint, _("Your tickets are being printed…"));
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), FALSE);
  show_page (self, "thanks");
  /* A printer that never answers does not keep the kiosk from the next
   * customer. */
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  self->thanks_id = g_timeout_add_seconds (PRINT_TIMEOUT_S, thanks_timeout_cb, self);
  leap_ticket_printer_print_async (printer, GTK_WINDOW (self), FALSE, self->cancellable, print_cb,
                                   g_object_ref (self));
}

static void
pay_cb (GObject      *source,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) order = NULL;
  gboolean placed = FALSE;
  const char *status;

  order = leap_checkout_pay_finish (LEAP_CHECKOUT (source), result, &placed, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->paying = FALSE;
  status = order ? leap_json_get_string (order, "status", "") : "";

  if (order != NULL && g_str_equal (status, "paid"))
    {
      paid (self, order);
      return;
    }

  if (order != NULL && g_str_equal (status, "failed"))
    {
      /* Declined: the tickets went back; hold them again for another try. */
      g_clear_pointer (&self->hold_id, g_free);
      show_page (self, "tickets");
      cart_changed (self);
      set_message (self, _("The payment did not go through and nothing was charged. "
                           "Please try again, or use another card."));
      return;
    }

  if (order == NULL && !placed)
    {
      if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
        {
          show_page (self, "tickets");
          set_message (self, _("Nothing was charged."));
          update_tickets (self);
          check_server (self);
          return;
        }
      /* The hold ran out or was no longer valid: hold again. */
      g_clear_pointer (&self->hold_id, g_free);
      show_page (self, "tickets");
      cart_changed (self);
      set_message (self, _("Nothing was charged. Please try again."));
      return;
    }

  /* Taken, but not settled (or for a person to look at): never charge
   * twice; the customer is sent to the box office with the number. */
  {
    g_autofree char *hint = g_strdup_printf (_("Your payment is being checked. Please show order "
                                               "number %s at the box office."),
                                             order ? leap_json_get_string (order, "order_id", "")
                                                   : "");

    g_warning ("Kiosk: an order is not settled: %s", error ? error->message : status);
    g_clear_pointer (&self->hold_id, g_free);
    clear_cart (self);
    gtk_label_set_text (self->thanks_title, _("Almost done"));
    gtk_label_set_text (self->thanks_hint, hint);
    gtk_widget_set_visible (GTK_WIDGET (self->thanks_icon), FALSE);
    gtk_widget_set_visible (GTK_WIDGET (self->thanks_done), TRUE);
    show_page (self, "thanks");
    start_thanks_timer (self);
  }
}

static JsonObject *
describe_sale (LeapKioskWindow *self)
{
  JsonObject *sale = json_object_new ();
  JsonObject *about = json_object_new ();
  JsonObject *names = json_object_new ();
  JsonObject *payment = json_object_new ();
  JsonArray *items = json_array_new ();
  gint64 total = 0;
  const char *currency = "EUR";

  json_object_set_int_member (about, "id", leap_event_get_id (self->event));
  json_object_set_string_member (about, "name", leap_event_get_name (self->event));
  json_object_set_int_member (about, "starts_at", leap_event_get_starts_at (self->event));
  if (leap_event_get_venue_name (self->event) != NULL)
    json_object_set_string_member (about, "venue", leap_event_get_venue_name (self->event));
  if (leap_event_get_venue_timezone (self->event) != NULL)
    json_object_set_string_member (about, "timezone", leap_event_get_venue_timezone (self->event));
  for (guint i = 0; i < self->tiers->len; i++)
    {
      LeapTier *tier = g_ptr_array_index (self->tiers, i);
      guint q = g_array_index (self->quantities, guint, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT, leap_tier_get_id (tier));
      LeapMoney price = leap_tier_get_price (tier);
      JsonObject *item;

      if (q == 0)
        continue;
      item = json_object_new ();
      json_object_set_string_member (names, key, leap_tier_get_name (tier));
      json_object_set_int_member (item, "tier_id", leap_tier_get_id (tier));
      json_object_set_int_member (item, "quantity", q);
      json_object_set_int_member (item, "unit_price", price.amount);
      json_object_set_string_member (item, "currency", price.currency);
      json_array_add_object_element (items, item);
      total += price.amount * q;
      currency = leap_tier_get_currency (tier);
    }
  json_object_set_string_member (payment, "method", "card");
  json_object_set_string_member (sale, "hold_id", self->hold_id);
  json_object_set_object_member (sale, "payment", payment);
  json_object_set_object_member (sale, "event", about);
  json_object_set_object_member (sale, "tier_names", names);
  json_object_set_array_member (sale, "lines", items);
  json_object_set_int_member (sale, "total", total);
  json_object_set_string_member (sale, "currency", currency);
  return sale;
}

/* Actions */

static void
start_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);

  if (!self->available)
    {
      check_server (self);
      return;
    }
  rebuild_events (self);
  show_page (self, "events");
  sync_events (self);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);

  if (on_page (self, "tickets"))
    {
      clear_cart (self);
      show_page (self, "events");
    }
  else
    reset (self);
}

static void
choose_event_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);
  gint64 id = g_variant_get_int64 (parameter);
  GListModel *model = G_LIST_MODEL (self->events);

  clear_cart (self);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (model, i);

      if (leap_event_get_id (event) == id)
        {
          self->event = g_steal_pointer (&event);
          break;
        }
    }
  if (self->event == NULL)
    return;
  set_event_texts (self);
  show_page (self, "tickets");
  leap_offline_cache_list_tiers_async (self->cache, id, self->cancellable, tiers_cb,
                                       g_object_ref (self));
}

static void
change_ticket (LeapKioskWindow *self,
               guint            index,
               int              delta)
{
  guint *q;

  if (self->tiers == NULL || index >= self->tiers->len || self->paying)
    return;
  q = &g_array_index (self->quantities, guint, index);
  if (delta < 0 && *q == 0)
    return;
  if (delta > 0 && (*q >= max_quantity (g_ptr_array_index (self->tiers, index)) ||
                    n_tickets (self) >= MAX_TICKETS))
    return;
  *q += delta;
  cart_changed (self);
}

static void
add_ticket_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  change_ticket (LEAP_KIOSK_WINDOW (widget), g_variant_get_uint32 (parameter), 1);
}

static void
remove_ticket_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  change_ticket (LEAP_KIOSK_WINDOW (widget), g_variant_get_uint32 (parameter), -1);
}

static void
pay_action (GtkWidget  *widget,
            const char *action_name,
            GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);
  g_autoptr(JsonObject) sale = NULL;
  g_autofree char *total = NULL;

  if (self->hold_id == NULL || self->paying || self->event == NULL)
    return;
  sale = describe_sale (self);
  {
    LeapMoney money = leap_money_init (leap_json_get_int (sale, "total", 0),
                                       leap_json_get_string (sale, "currency", "EUR"));
    g_autofree char *amount = leap_format_money (&money);

    /* Translators: under "Follow the instructions on the card terminal" */
    total = g_strdup_printf (_("Amount: %s"), amount);
  }
  gtk_label_set_text (self->paying_hint, total);
  self->paying = TRUE;
  set_message (self, NULL);
  update_tickets (self);
  show_page (self, "paying");
  leap_checkout_pay_async (self->checkout, sale, self->cancellable, pay_cb, g_object_ref (self));
}

static void
done_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  reset (LEAP_KIOSK_WINDOW (widget));
}

/* Language */

static void
set_language (LeapKioskWindow *self,
              const char      *language)
{
  if (g_strcmp0 (self->language, language) == 0)
    return;
  g_free (self->language);
  self->language = g_strdup (language);
  if (g_strcmp0 (language, self->first_language) == 0 && self->first_language_env == NULL)
    g_unsetenv ("LANGUAGE");
  else if (g_strcmp0 (language, self->first_language) == 0)
    g_setenv ("LANGUAGE", self->first_language_env, TRUE);
  else
    g_setenv ("LANGUAGE", language, TRUE);
  /* Makes gettext look again. */
  setlocale (LC_MESSAGES, "");
  apply_texts (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LANGUAGE]);
}

/* Still there? */

static void
close_still_there (LeapKioskWindow *self)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->still_there != NULL)
    gtk_window_destroy (GTK_WINDOW (self->still_there));
}

static void
update_countdown (LeapKioskWindow *self)
{
  g_autofree char *body = NULL;

  if (self->still_there == NULL)
    return;
  body = g_strdup_printf (ngettext ("Starting over in %u second.",
                                    "Starting over in %u seconds.", self->countdown_left),
                          self->countdown_left);
  adw_message_dialog_set_body (self->still_there, body);
}

static gboolean
countdown_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  if (self->countdown_left > 1)
    {
      self->countdown_left--;
      update_countdown (self);
      return G_SOURCE_CONTINUE;
    }
  self->countdown_id = 0;
  reset (self);
  return G_SOURCE_REMOVE;
}

static void
still_there_response_cb (LeapKioskWindow *self,
                         const char      *response)
{
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  if (self->still_there != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->still_there), (gpointer *) &self->still_there);
      self->still_there = NULL;
    }
  self->last_input = g_get_monotonic_time ();
  if (g_strcmp0 (response, "restart") == 0)
    reset (self);
}

static void
ask_still_there (LeapKioskWindow *self)
{
  guint idle = g_settings_get_uint (self->settings, "kiosk-idle-timeout");
  AdwMessageDialog *dialog;

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self),
                                                        _("Are you still there?"), NULL));
  adw_message_dialog_add_responses (dialog,
                                    "restart", _("Start Over"),
                                    "continue", _("I’m Still Here"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "continue", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "continue");
  adw_message_dialog_set_close_response (dialog, "continue");
  gtk_widget_add_css_class (GTK_WIDGET (dialog), "kiosk-dialog");
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (dialog));
  self->still_there = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->still_there);
  g_signal_connect_object (dialog, "response", G_CALLBACK (still_there_response_cb), self,
                           G_CONNECT_SWAPPED);
  /* A quarter of the idle time, between 1 and 15 seconds. */
  self->countdown_left = CLAMP (idle / 4, 1, 15);
  update_countdown (self);
  self->countdown_id = g_timeout_add_seconds (1, countdown_cb, self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static gboolean
idle_tick_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;
  gint64 idle_us = (gint64) g_settings_get_uint (self->settings, "kiosk-idle-timeout") * G_USEC_PER_SEC;

  /* Staff who opened the PIN dialog and walked away. */
  if (self->exit_dialog != NULL)
    {
      if (g_get_monotonic_time () - self->last_input >= idle_us)
        {
          AdwMessageDialog *dialog = self->exit_dialog;

          g_object_remove_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->exit_dialog);
          self->exit_dialog = NULL;
          gtk_window_destroy (GTK_WINDOW (dialog));
          reset (self);
        }
      return G_SOURCE_CONTINUE;
    }
  if (self->still_there != NULL || self->paying ||
      !(on_page (self, "events") || on_page (self, "tickets")))
    return G_SOURCE_CONTINUE;
  if (g_get_monotonic_time () - self->last_input >= idle_us)
    ask_still_there (self);
  return G_SOURCE_CONTINUE;
}

static void
input_cb (LeapKioskWindow *self)
{
  self->last_input = g_get_monotonic_time ();
}

static gboolean
key_pressed_cb (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                LeapKioskWindow       *self)
{
  input_cb (self);
  return GDK_EVENT_PROPAGATE;
}

/* Leaving */

/* A PIN is kept as an Argon2id hash (libsodium's crypto_pwhash_str, with
 * its salt and costs), never the PIN itself; NULL if it cannot be made. */
char *
leap_kiosk_hash_pin (const char *pin)
{
  char hash[crypto_pwhash_STRBYTES];

  g_return_val_if_fail (pin != NULL, NULL);

  if (sodium_init () < 0 ||
      crypto_pwhash_str (hash, pin, strlen (pin), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                         crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return NULL;
  return g_strdup (hash);
}

/* Slow on purpose (tens of milliseconds), against guessing. */
gboolean
leap_kiosk_pin_matches (const char *hash,
                        const char *pin)
{
  if (hash == NULL || pin == NULL || *pin == '\0' || sodium_init () < 0 ||
      !g_str_has_prefix (hash, "$argon2id$"))
    return FALSE;
  return crypto_pwhash_str_verify (hash, pin, strlen (pin)) == 0;
}

/* Checks the PIN against the setting; says why not when it does not
 * match. Argon2id at its interactive cost takes some tens of
 * milliseconds: once, when staff leave the kiosk. */
gboolean
leap_kiosk_window_check_pin (LeapKioskWindow *self,
                             const char      *pin)
{
  g_autofree char *hash = NULL;

  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), FALSE);

  if (g_get_monotonic_time () < self->exit_locked_until)
    {
      set_message (self, _("Too many wrong PINs: try again in a minute."));
      return FALSE;
    }
  hash = g_settings_get_string (self->settings, "kiosk-pin-hash");
  if (*hash == '\0')
    {
      set_message (self, _("Leaving the kiosk needs a staff PIN, and none is set."));
      return FALSE;
    }
  if (!leap_kiosk_pin_matches (hash, pin))
    {
      if (++self->exit_failures >= EXIT_ATTEMPTS)
        {
          self->exit_failures = 0;
          self->exit_locked_until = g_get_monotonic_time () + EXIT_LOCK_S * G_USEC_PER_SEC;
        }
      set_message (self, _("Wrong PIN."));
      return FALSE;
    }
  self->exit_failures = 0;
  return TRUE;
}

static void
exit_response_cb (LeapKioskWindow *self,
                  const char      *response)
{
  g_autofree char *pin = NULL;

  /* Answered: the dialog is on its way out. */
  if (self->exit_dialog != NULL)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->exit_dialog), (gpointer *) &self->exit_dialog);
      self->exit_dialog = NULL;
    }
  self->last_input = g_get_monotonic_time ();
  if (self->exit_entry != NULL)
    {
      pin = g_strdup (gtk_editable_get_text (self->exit_entry));
      g_object_remove_weak_pointer (G_OBJECT (self->exit_entry), (gpointer *) &self->exit_entry);
      self->exit_entry = NULL;
    }
  if (g_strcmp0 (response, "leave") != 0 || pin == NULL)
    return;
  if (!leap_kiosk_window_check_pin (self, pin))
    {
      g_message ("Kiosk: leaving refused: %s", self->message);
      return;
    }
  g_message ("Kiosk: left with the staff PIN");
  self->left = TRUE;
  release_hold (self);
  gtk_window_close (GTK_WINDOW (self));
}

static void
exit_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (widget);
  g_autofree char *hash = g_settings_get_string (self->settings, "kiosk-pin-hash");
  AdwMessageDialog *dialog;

  if (self->exit_dialog != NULL || self->paying)
    return;
  close_still_there (self);
  if (*hash == '\0')
    {
      set_message (self, _("Leaving the kiosk needs a staff PIN, and none is set."));
      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Staff Only"),
                                                            _("Leaving the kiosk needs a staff "
                                                              "PIN, and none is set. An "
                                                              "administrator sets one in the "
                                                              "kiosk-pin-hash setting.")));
      adw_message_dialog_add_response (dialog, "close", _("Close"));
    }
  else
    {
      GtkWidget *entry = gtk_entry_new ();

      dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Staff Only"),
                                                            _("Enter the staff PIN to leave the "
                                                              "kiosk.")));
      gtk_entry_set_visibility (GTK_ENTRY (entry), FALSE);
      gtk_entry_set_input_purpose (GTK_ENTRY (entry), GTK_INPUT_PURPOSE_PIN);
      gtk_widget_add_css_class (entry, "kiosk-pin");
      /* A field with no label of its own: named for a screen reader. */
      gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Kiosk staff PIN"), -1);
      adw_message_dialog_set_extra_child (dialog, entry);
      adw_message_dialog_add_responses (dialog, "cancel", _("Cancel"), "leave", _("Leave"), NULL);
      adw_message_dialog_set_response_appearance (dialog, "leave", ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_default_response (dialog, "leave");
      adw_message_dialog_set_close_response (dialog, "cancel");
      g_object_set (entry, "activates-default", TRUE, NULL);
      self->exit_entry = GTK_EDITABLE (entry);
      g_object_add_weak_pointer (G_OBJECT (entry), (gpointer *) &self->exit_entry);
    }
  g_signal_connect_object (dialog, "response", G_CALLBACK (exit_response_cb), self,
                           G_CONNECT_SWAPPED);
  leap_a11y_name_mnemonic_buttons (GTK_WIDGET (dialog));
  self->exit_dialog = dialog;
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->exit_dialog);
  self->last_input = g_get_monotonic_time ();
  gtk_window_present (GTK_WINDOW (dialog));
  if (self->exit_entry != NULL)
    gtk_widget_grab_focus (GTK_WIDGET (self->exit_entry));
}

static void
corner_pressed_cb (GtkGestureLongPress *gesture,
                   double               x,
                   double               y,
                   LeapKioskWindow     *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "kiosk.exit", NULL);
}

static gboolean
close_request_cb (LeapKioskWindow *self)
{
  /* Only the staff PIN closes the kiosk. */
  return !self->left;
}

/* The server */

static void
set_available (LeapKioskWindow *self,
               gboolean         available)
{
  g_clear_handle_id (&self->check_id, g_source_remove);
  if (available)
    {
      gboolean was = self->available;

      self->available = TRUE;
      self->retry_delay_s = 1;
      self->check_id = g_timeout_add_seconds (HEARTBEAT_S, check_server_cb, self);
      if (!was)
        {
          g_message ("Kiosk: the server answers again");
          for (guint i = 0; i < self->to_release->len; i++)
            leap_client_release_hold_async (self->client, g_ptr_array_index (self->to_release, i),
                                            NULL, release_cb,
                                            g_strdup (g_ptr_array_index (self->to_release, i)));
          g_ptr_array_set_size (self->to_release, 0);
          sync_events (self);
          if (on_page (self, "unavailable"))
            reset (self);
        }
      return;
    }

  if (self->available)
    g_message ("Kiosk: the server does not answer; showing the unavailable page");
  self->available = FALSE;
  self->check_id = g_timeout_add_seconds (self->retry_delay_s, check_server_cb, self);
  self->retry_delay_s = MIN (self->retry_delay_s * 2, RETRY_MAX_S);
  /* A payment under way is followed to its end by the checkout. */
  if (!self->paying && !on_page (self, "thanks") && !on_page (self, "unavailable"))
    {
      close_still_there (self);
      clear_cart (self);
      show_page (self, "unavailable");
    }
}

static void
check_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr(LeapKioskWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) root = NULL;

  root = leap_client_send_json_finish (LEAP_CLIENT (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->checking = FALSE;
  if (root == NULL)
    g_debug ("Kiosk check: %s", error->message);
  /* Signed out counts as away: the application signs in again. */
  set_available (self, root != NULL);
}

static void
check_server (LeapKioskWindow *self)
{
  if (self->checking)
    return;
  self->checking = TRUE;
  g_clear_handle_id (&self->check_id, g_source_remove);
  leap_client_send_async (self->client, "GET", "/api/v1/sessions/current", NULL,
                          self->cancellable, check_cb, g_object_ref (self));
}

static gboolean
check_server_cb (gpointer user_data)
{
  LeapKioskWindow *self = user_data;

  self->check_id = 0;
  check_server (self);
  return G_SOURCE_REMOVE;
}

static void
connection_changed_cb (LeapKioskWindow *self)
{
  if (leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE && self->available)
    check_server (self);
}

/* Texts */

static void
apply_texts (LeapKioskWindow *self)
{
  g_autofree char *start = g_strdup_printf ("%s. %s", _("Tickets"), _("Touch to start"));

  gtk_window_set_title (GTK_WINDOW (self), _("Tickets"));
  gtk_label_set_text (self->start_title, _("Tickets"));
  gtk_label_set_text (self->start_hint, _("Touch to start"));
  /* The whole screen is one button; it says what its labels say. */
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->start_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, start, -1);
  gtk_button_set_label (self->events_back, _("Back"));
  gtk_label_set_text (self->events_title, _("Choose an event"));
  gtk_label_set_text (self->events_empty, _("There is nothing on sale here just now."));
  gtk_button_set_label (self->tickets_back, _("Back"));
  gtk_label_set_text (self->paying_title, _("Follow the instructions on the card terminal"));
  gtk_button_set_label (self->thanks_done, _("Done"));
  gtk_label_set_text (self->unavailable_title, _("Temporarily unavailable"));
  gtk_label_set_text (self->unavailable_hint, _("Ticket sales at this kiosk are paused for a moment "
                                                "and will resume by themselves. Please wait, or buy "
                                                "your tickets at the box office."));
  rebuild_events (self);
  build_tiers (self);
  set_event_texts (self);
  self->n_rebuilds++;
}

static void
reset (LeapKioskWindow *self)
{
  close_still_there (self);
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  if (self->paying)
    return;
  clear_cart (self);
  set_language (self, self->first_language);
  show_page (self, self->available ? "start" : "unavailable");
  if (!self->available)
    check_server (self);
}

/* GObject */

static void
leap_kiosk_window_constructed (GObject *object)
{
  LeapKioskWindow *self = (LeapKioskWindow *) object;
  GtkCustomFilter *filter;

  G_OBJECT_CLASS (leap_kiosk_window_parent_class)->constructed (object);

  g_assert (self->client != NULL && self->cache != NULL);
  self->checkout = leap_checkout_new (self->client, self->cache);
  filter = gtk_custom_filter_new (event_on_sale, NULL, NULL);
  self->events = gtk_filter_list_model_new (g_object_ref (leap_offline_cache_get_events (self->cache)),
                                            GTK_FILTER (filter));
  g_signal_connect_object (self->events, "items-changed", G_CALLBACK (events_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::signed-in", G_CALLBACK (check_server), self,
                           G_CONNECT_SWAPPED);
  apply_texts (self);
  show_page (self, "start");
  /* Optimistic until the first answer: no flash of "unavailable". */
  self->available = TRUE;
  check_server (self);
  self->idle_tick_id = g_timeout_add (250, idle_tick_cb, self);
  gtk_window_fullscreen (GTK_WINDOW (self));
}

static void
leap_kiosk_window_dispose (GObject *object)
{
  LeapKioskWindow *self = (LeapKioskWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->hold_delay_id, g_source_remove);
  g_clear_handle_id (&self->idle_tick_id, g_source_remove);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  g_clear_handle_id (&self->check_id, g_source_remove);
  if (self->hold_id != NULL && self->client != NULL && !self->paying)
    leap_client_release_hold_async (self->client, self->hold_id, NULL, release_cb,
                                    g_strdup (self->hold_id));
  g_clear_pointer (&self->hold_id, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_KIOSK_WINDOW);
  g_clear_object (&self->checkout);
  g_clear_object (&self->events);
  g_clear_object (&self->event);
  g_clear_object (&self->client);
  g_clear_object (&self->cache);
  g_clear_object (&self->settings);
  g_clear_object (&self->last_printer);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);

  G_OBJECT_CLASS (leap_kiosk_window_parent_class)->dispose (object);
}

static void
leap_kiosk_window_finalize (GObject *object)
{
  LeapKioskWindow *self = (LeapKioskWindow *) object;

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->quantities, g_array_unref);
  g_clear_pointer (&self->count_labels, g_ptr_array_unref);
  g_clear_pointer (&self->minus_buttons, g_ptr_array_unref);
  g_clear_pointer (&self->plus_buttons, g_ptr_array_unref);
  g_clear_pointer (&self->to_release, g_ptr_array_unref);
  g_clear_pointer (&self->message, g_free);
  g_clear_pointer (&self->language, g_free);
  g_clear_pointer (&self->first_language, g_free);
  g_clear_pointer (&self->first_language_env, g_free);
  g_clear_pointer (&self->last_order, json_object_unref);

  G_OBJECT_CLASS (leap_kiosk_window_parent_class)->finalize (object);
}

static void
leap_kiosk_window_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: g_value_set_object (value, self->client); break;
    case PROP_CACHE: g_value_set_object (value, self->cache); break;
    case PROP_LANGUAGE: g_value_set_string (value, self->language); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_kiosk_window_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  LeapKioskWindow *self = LEAP_KIOSK_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT: self->client = g_value_dup_object (value); break;
    case PROP_CACHE: self->cache = g_value_dup_object (value); break;
    case PROP_LANGUAGE: set_language (self, g_value_get_string (value)); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
leap_kiosk_window_class_init (LeapKioskWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = leap_kiosk_window_constructed;
  object_class->dispose = leap_kiosk_window_dispose;
  object_class->finalize = leap_kiosk_window_finalize;
  object_class->get_property = leap_kiosk_window_get_property;
  object_class->set_property = leap_kiosk_window_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, LEAP_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CACHE] =
    g_param_spec_object ("cache", NULL, NULL, LEAP_TYPE_OFFLINE_CACHE,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LANGUAGE] =
    g_param_spec_string ("language", NULL, NULL, "en",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/leapboxoffice/BoxOffice/ui/leap-kiosk-window.ui");
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, start_button);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, start_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, start_hint);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, events_back);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, events_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, events_box);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, events_empty);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, tickets_back);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, tickets_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, tickets_when);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, tiers_box);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, tickets_message);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, total_label);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, pay_button);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, paying_spinner);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, paying_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, paying_hint);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, thanks_icon);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, thanks_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, thanks_hint);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, thanks_done);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, unavailable_title);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, unavailable_hint);
  gtk_widget_class_bind_template_child (widget_class, LeapKioskWindow, exit_corner);

  gtk_widget_class_install_action (widget_class, "kiosk.start", NULL, start_action);
  gtk_widget_class_install_action (widget_class, "kiosk.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "kiosk.choose-event", "x", choose_event_action);
  gtk_widget_class_install_action (widget_class, "kiosk.add-ticket", "u", add_ticket_action);
  gtk_widget_class_install_action (widget_class, "kiosk.remove-ticket", "u", remove_ticket_action);
  gtk_widget_class_install_action (widget_class, "kiosk.pay", NULL, pay_action);
  gtk_widget_class_install_action (widget_class, "kiosk.done", NULL, done_action);
  gtk_widget_class_install_action (widget_class, "kiosk.exit", NULL, exit_action);
  gtk_widget_class_install_property_action (widget_class, "kiosk.language", "language");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_q, GDK_CONTROL_MASK | GDK_ALT_MASK,
                                       "kiosk.exit", NULL);
}

static void
leap_kiosk_window_init (LeapKioskWindow *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;
  const char *env = g_getenv ("LANGUAGE");
  const char *locale = setlocale (LC_MESSAGES, NULL);

  /* The language the kiosk returns to after each customer; known before
   * the template is built, as its buttons show the "language" state. */
  self->first_language_env = g_strdup (env);
  if (env != NULL && *env != '\0')
    self->first_language = g_strndup (env, strcspn (env, "_:.@"));
  else if (locale != NULL && g_ascii_isalpha (locale[0]) && g_ascii_isalpha (locale[1]) &&
           (locale[2] == '\0' || locale[2] == '_' || locale[2] == '.'))
    self->first_language = g_strndup (locale, 2);
  else
    self->first_language = g_strdup ("en");
  self->language = g_strdup (self->first_language);

  gtk_widget_init_template (GTK_WIDGET (self));
  leap_a11y_follow_high_contrast (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->settings = g_settings_new (APP_ID);
  self->quantities = g_array_new (FALSE, TRUE, sizeof (guint));
  self->count_labels = g_ptr_array_new ();
  self->minus_buttons = g_ptr_array_new ();
  self->plus_buttons = g_ptr_array_new ();
  self->to_release = g_ptr_array_new_with_free_func (g_free);
  self->retry_delay_s = 1;

  /* Any input restarts the idle time, before the widgets see it. */
  controller = gtk_event_controller_key_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "key-pressed", G_CALLBACK (key_pressed_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  controller = gtk_event_controller_motion_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "motion", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);
  gesture = gtk_gesture_click_new ();
  gtk_event_controller_set_propagation_phase (GTK_EVENT_CONTROLLER (gesture), GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (gesture, "pressed", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect_swapped (controller, "scroll-begin", G_CALLBACK (input_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_long_press_set_delay_factor (GTK_GESTURE_LONG_PRESS (gesture), 2.0);
  g_signal_connect (gesture, "pressed", G_CALLBACK (corner_pressed_cb), self);
  gtk_widget_add_controller (self->exit_corner, GTK_EVENT_CONTROLLER (gesture));

  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  set_message (self, NULL);
}

LeapKioskWindow *
leap_kiosk_window_new (GtkApplication   *application,
                       LeapClient       *client,
                       LeapOfflineCache *cache)
{
  g_return_val_if_fail (LEAP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (LEAP_IS_OFFLINE_CACHE (cache), NULL);

  return g_object_new (LEAP_TYPE_KIOSK_WINDOW,
                       "application", application,
                       "client", client,
                       "cache", cache,
                       NULL);
}

const char *
leap_kiosk_window_get_page_name (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return gtk_stack_get_visible_child_name (self->stack);
}

const char *
leap_kiosk_window_get_hold_id (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->hold_id;
}

/* Whether a hold or a payment is under way. */
gboolean
leap_kiosk_window_get_busy (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), FALSE);
  return self->holding || self->hold_delay_id != 0 || self->paying;
}

guint
leap_kiosk_window_get_n_tiers (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), 0);
  return self->tiers ? self->tiers->len : 0;
}

guint
leap_kiosk_window_get_n_tickets (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), 0);
  return n_tickets (self);
}

const char *
leap_kiosk_window_get_message (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->message;
}

JsonObject *
leap_kiosk_window_get_last_order (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->last_order;
}

LeapTicketPrinter *
leap_kiosk_window_get_last_printer (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->last_printer;
}

AdwMessageDialog *
leap_kiosk_window_get_still_there (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->still_there;
}

AdwMessageDialog *
leap_kiosk_window_get_exit_dialog (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->exit_dialog;
}

/* Types @pin into the open exit dialog, as staff would. */
void
leap_kiosk_window_set_exit_pin_text (LeapKioskWindow *self,
                                     const char      *pin)
{
  g_return_if_fail (LEAP_IS_KIOSK_WINDOW (self));
  if (self->exit_entry != NULL)
    gtk_editable_set_text (self->exit_entry, pin);
}

gboolean
leap_kiosk_window_get_left (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), FALSE);
  return self->left;
}

const char *
leap_kiosk_window_get_language (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->language;
}

/* How many times the pages were built (once, and once per language). */
guint
leap_kiosk_window_get_n_rebuilds (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), 0);
  return self->n_rebuilds;
}
