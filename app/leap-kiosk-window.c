/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "leap-a11y.h"
#include "leap-client.h"
#include "leap-error.h"
#include "leap-event.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-kiosk-window-private.h"
#include "leap-money.h"
#include "leap-tier.h"

/* The struct and the flow are described in leap-kiosk-window-private.h.
 * Here: the pages, the events and the tickets on them, the customer who
 * walks away, the server that does not answer, and the window itself. */

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

static gboolean check_server_cb (gpointer user_data);
static void apply_texts (LeapKioskWindow *self);

/* Pages */

gboolean
_leap_kiosk_window_on_page (LeapKioskWindow *self,
                            const char      *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (self->stack), name) == 0;
}

void
_leap_kiosk_window_show_page (LeapKioskWindow *self,
                              const char      *name)
{
  leap_a11y_show_stack_page (self->stack, name);
  gtk_spinner_set_spinning (self->paying_spinner, g_str_equal (name, "paying"));
  self->last_input = g_get_monotonic_time ();
}

void
_leap_kiosk_window_set_message (LeapKioskWindow *self,
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

static void
events_changed_cb (LeapKioskWindow *self)
{
  gtk_widget_set_visible (GTK_WIDGET (self->events_empty),
                          g_list_model_get_n_items (G_LIST_MODEL (self->events)) == 0);
}

void
_leap_kiosk_window_rebuild_events (LeapKioskWindow *self)
{
  /* The filter looks at the clock: shows that began since go. */
  gtk_filter_changed (gtk_filter_list_model_get_filter (self->events),
                      GTK_FILTER_CHANGE_DIFFERENT);
  gtk_list_box_bind_model (self->events_box, G_LIST_MODEL (self->events),
                           _leap_kiosk_window_create_event_row, self, NULL);
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

void
_leap_kiosk_window_sync_events (LeapKioskWindow *self)
{
  if (!leap_offline_cache_get_syncing (self->cache))
    leap_offline_cache_sync_async (self->cache, self->client, self->cancellable, sync_cb, NULL);
}

/* Tickets */

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
void
_leap_kiosk_window_update_tickets (LeapKioskWindow *self)
{
  gint64 total = 0;
  const char *currency = "EUR";
  g_autofree char *total_text = NULL;
  g_autofree char *label = NULL;
  LeapMoney money;
  guint n = leap_sale_get_n_tickets (self->sale);
  gboolean paying = leap_sale_get_paying (self->sale);
  gboolean holding = leap_sale_get_holding (self->sale) ||
                     leap_sale_get_hold_pending (self->sale);

  for (guint i = 0; self->tiers != NULL && i < self->tiers->len; i++)
    {
      LeapTier *tier = g_ptr_array_index (self->tiers, i);
      guint q = leap_sale_get_quantity (self->sale, tier);
      g_autofree char *count = g_strdup_printf ("%u", q);

      total += leap_tier_get_price (tier).amount * q;
      currency = leap_tier_get_currency (tier);
      gtk_label_set_text (g_ptr_array_index (self->count_labels, i), count);
      gtk_widget_set_sensitive (g_ptr_array_index (self->minus_buttons, i), q > 0 && !paying);
      gtk_widget_set_sensitive (g_ptr_array_index (self->plus_buttons, i),
                                q < max_quantity (tier) && n < MAX_TICKETS && !paying);
    }
  money = leap_money_init (total, currency);
  total_text = leap_format_money (&money);
  /* Translators: the total on the kiosk's ticket page */
  label = g_strdup_printf (ngettext ("%u ticket · %s", "%u tickets · %s", n), n, total_text);
  gtk_label_set_text (self->total_label, label);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "kiosk.pay",
                                 leap_sale_get_hold_id (self->sale) != NULL && !holding &&
                                 !paying && n > 0);
  if (holding)
    gtk_button_set_label (self->pay_button, _("Reserving your tickets…"));
  else
    gtk_button_set_label (self->pay_button, _("Pay by card"));
}

static void
hold_failed_cb (LeapKioskWindow *self,
                GError          *error)
{
  if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_UNAVAILABLE))
    _leap_kiosk_window_check_server (self);
  else if (g_error_matches (error, LEAP_ERROR, LEAP_ERROR_SOLD_OUT))
    _leap_kiosk_window_set_message (self, _("Not enough tickets are left. Please choose fewer."));
  else
    _leap_kiosk_window_set_message (self, _("These tickets cannot be sold here just now. Please "
                                            "ask at the box office."));
  g_debug ("Kiosk hold: %s", error->message);
  _leap_kiosk_window_update_tickets (self);
}

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
  _leap_kiosk_window_update_tickets (self);
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
  _leap_kiosk_window_update_tickets (self);
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
  LeapEvent *event = leap_sale_get_event (self->sale);

  tiers = leap_offline_cache_list_tiers_finish (LEAP_OFFLINE_CACHE (source), result, &error);
  /* Another event was chosen meanwhile. */
  if (tiers != NULL && event != NULL && tiers->len > 0 &&
      leap_tier_get_event_id (g_ptr_array_index (tiers, 0)) != leap_event_get_id (event))
    return;
  if (tiers == NULL || event == NULL)
    {
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        _leap_kiosk_window_set_message (self, _("The tickets cannot be shown just now."));
      return;
    }
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  self->tiers = g_steal_pointer (&tiers);
  /* The cart keeps its lines in the order of the tiers on the page. */
  leap_sale_set_tiers (self->sale, self->tiers);
  build_tiers (self);

  path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                          leap_event_get_id (event));
  leap_client_send_async (self->client, "GET", path, NULL, self->cancellable, availability_cb,
                          g_object_ref (self));
}

static void
set_event_texts (LeapKioskWindow *self)
{
  LeapEvent *event = leap_sale_get_event (self->sale);
  g_autofree char *when = NULL;

  if (event == NULL)
    return;
  when = leap_format_event_when (event);
  gtk_label_set_text (self->tickets_title, leap_event_get_name (event));
  gtk_label_set_text (self->tickets_when, when);
}

void
_leap_kiosk_window_clear_cart (LeapKioskWindow *self)
{
  leap_sale_set_event (self->sale, NULL);
  g_clear_pointer (&self->tiers, g_ptr_array_unref);
  build_tiers (self);
  _leap_kiosk_window_set_message (self, NULL);
}

void
_leap_kiosk_window_choose_event (LeapKioskWindow *self,
                                 gint64           id)
{
  GListModel *model = G_LIST_MODEL (self->events);

  _leap_kiosk_window_clear_cart (self);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (model, i);

      if (leap_event_get_id (event) == id)
        {
          leap_sale_set_event (self->sale, event);
          break;
        }
    }
  if (leap_sale_get_event (self->sale) == NULL)
    return;
  set_event_texts (self);
  _leap_kiosk_window_show_page (self, "tickets");
  leap_offline_cache_list_tiers_async (self->cache, id, self->cancellable, tiers_cb,
                                       g_object_ref (self));
}

/* The cart changed: the sale gives the old hold back and holds the new
 * cart once the customer pauses. */
void
_leap_kiosk_window_change_ticket (LeapKioskWindow *self,
                                  guint            index,
                                  int              delta)
{
  LeapTier *tier;
  guint q;

  if (self->tiers == NULL || index >= self->tiers->len || leap_sale_get_paying (self->sale))
    return;
  tier = g_ptr_array_index (self->tiers, index);
  q = leap_sale_get_quantity (self->sale, tier);
  if (delta < 0 && q == 0)
    return;
  if (delta > 0 && (q >= max_quantity (tier) ||
                    leap_sale_get_n_tickets (self->sale) >= MAX_TICKETS))
    return;
  leap_sale_set_quantity (self->sale, tier, q + delta);
  _leap_kiosk_window_set_message (self, NULL);
  _leap_kiosk_window_update_tickets (self);
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
          /* Tickets given back while it was away go back now. */
          leap_sale_set_reachable (self->sale, TRUE);
          _leap_kiosk_window_sync_events (self);
          if (_leap_kiosk_window_on_page (self, "unavailable"))
            _leap_kiosk_window_reset (self);
        }
      return;
    }

  if (self->available)
    g_message ("Kiosk: the server does not answer; showing the unavailable page");
  self->available = FALSE;
  leap_sale_set_reachable (self->sale, FALSE);
  self->check_id = g_timeout_add_seconds (self->retry_delay_s, check_server_cb, self);
  self->retry_delay_s = MIN (self->retry_delay_s * 2, RETRY_MAX_S);
  /* A payment under way is followed to its end by the checkout. */
  if (!leap_sale_get_paying (self->sale) && !_leap_kiosk_window_on_page (self, "thanks") &&
      !_leap_kiosk_window_on_page (self, "unavailable"))
    {
      _leap_kiosk_window_close_still_there (self);
      _leap_kiosk_window_clear_cart (self);
      _leap_kiosk_window_show_page (self, "unavailable");
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

void
_leap_kiosk_window_check_server (LeapKioskWindow *self)
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
  _leap_kiosk_window_check_server (self);
  return G_SOURCE_REMOVE;
}

static void
connection_changed_cb (LeapKioskWindow *self)
{
  if (leap_client_get_connection (self->client) == LEAP_CONNECTION_OFFLINE && self->available)
    _leap_kiosk_window_check_server (self);
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
  gtk_label_set_text (self->unavailable_hint,
                      _("Ticket sales at this kiosk are paused for a moment "
                        "and will resume by themselves. Please wait, or buy "
                        "your tickets at the box office."));
  _leap_kiosk_window_rebuild_events (self);
  build_tiers (self);
  set_event_texts (self);
  self->n_rebuilds++;
}

void
_leap_kiosk_window_reset (LeapKioskWindow *self)
{
  _leap_kiosk_window_close_still_there (self);
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  if (leap_sale_get_paying (self->sale))
    return;
  _leap_kiosk_window_clear_cart (self);
  set_language (self, self->first_language);
  _leap_kiosk_window_show_page (self, self->available ? "start" : "unavailable");
  if (!self->available)
    _leap_kiosk_window_check_server (self);
}
/* GObject */

static void
leap_kiosk_window_constructed (GObject *object)
{
  LeapKioskWindow *self = (LeapKioskWindow *) object;
  GtkCustomFilter *filter;
  GListModel *events;

  G_OBJECT_CLASS (leap_kiosk_window_parent_class)->constructed (object);

  g_assert (self->client != NULL && self->cache != NULL);
  /* Held as soon as the customer stops tapping, and not counted down: the
   * customer who walks away is asked about first. */
  self->sale = g_object_new (LEAP_TYPE_SALE,
                             "client", self->client,
                             "cache", self->cache,
                             "hold-delay", HOLD_DELAY_MS,
                             "hold-on-change", TRUE,
                             "count-down", FALSE,
                             NULL);
  g_signal_connect_object (self->sale, "notify::hold-id",
                           G_CALLBACK (_leap_kiosk_window_update_tickets), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::holding",
                           G_CALLBACK (_leap_kiosk_window_update_tickets), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::hold-pending",
                           G_CALLBACK (_leap_kiosk_window_update_tickets), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "notify::paying",
                           G_CALLBACK (_leap_kiosk_window_update_tickets), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sale, "hold-failed", G_CALLBACK (hold_failed_cb), self,
                           G_CONNECT_SWAPPED);
  filter = gtk_custom_filter_new (event_on_sale, NULL, NULL);
  events = leap_offline_cache_get_events (self->cache);
  self->events = gtk_filter_list_model_new (g_object_ref (events), GTK_FILTER (filter));
  g_signal_connect_object (self->events, "items-changed", G_CALLBACK (events_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::connection", G_CALLBACK (connection_changed_cb),
                           self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::signed-in",
                           G_CALLBACK (_leap_kiosk_window_check_server), self, G_CONNECT_SWAPPED);
  apply_texts (self);
  _leap_kiosk_window_show_page (self, "start");
  /* Optimistic until the first answer: no flash of "unavailable". */
  self->available = TRUE;
  _leap_kiosk_window_check_server (self);
  gtk_window_fullscreen (GTK_WINDOW (self));
}

static void
leap_kiosk_window_dispose (GObject *object)
{
  LeapKioskWindow *self = (LeapKioskWindow *) object;

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->idle_tick_id, g_source_remove);
  g_clear_handle_id (&self->countdown_id, g_source_remove);
  g_clear_handle_id (&self->thanks_id, g_source_remove);
  g_clear_handle_id (&self->check_id, g_source_remove);
  g_clear_handle_id (&self->shake_id, g_source_remove);
  /* Tickets held for a sale that will not happen go back; a hold under
   * payment becomes the order. */
  if (self->sale != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sale, self);
      if (leap_sale_get_paying (self->sale))
        leap_sale_forget_hold (self->sale);
      else
        leap_sale_release_hold (self->sale);
      g_clear_object (&self->sale);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), LEAP_TYPE_KIOSK_WINDOW);
  g_clear_object (&self->events);
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
  g_clear_pointer (&self->count_labels, g_ptr_array_unref);
  g_clear_pointer (&self->minus_buttons, g_ptr_array_unref);
  g_clear_pointer (&self->plus_buttons, g_ptr_array_unref);
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

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/leapboxoffice/BoxOffice/"
                                                             "ui/leap-kiosk-window.ui");
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

  _leap_kiosk_window_class_actions_init (klass);
}

static void
leap_kiosk_window_init (LeapKioskWindow *self)
{
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
  self->count_labels = g_ptr_array_new ();
  self->minus_buttons = g_ptr_array_new ();
  self->plus_buttons = g_ptr_array_new ();
  self->retry_delay_s = 1;

  _leap_kiosk_window_watch_idle (self);

  gesture = gtk_gesture_long_press_new ();
  gtk_gesture_long_press_set_delay_factor (GTK_GESTURE_LONG_PRESS (gesture), 2.0);
  g_signal_connect (gesture, "pressed", G_CALLBACK (corner_pressed_cb), self);
  gtk_widget_add_controller (self->exit_corner, GTK_EVENT_CONTROLLER (gesture));

  g_signal_connect (self, "close-request", G_CALLBACK (close_request_cb), NULL);
  _leap_kiosk_window_set_message (self, NULL);
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
  return leap_sale_get_hold_id (self->sale);
}

/* Whether a hold or a payment is under way. */
gboolean
leap_kiosk_window_get_busy (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), FALSE);
  return leap_sale_get_holding (self->sale) || leap_sale_get_hold_pending (self->sale) ||
         leap_sale_get_paying (self->sale);
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
  return leap_sale_get_n_tickets (self->sale);
}

const char *
leap_kiosk_window_get_message (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return self->message;
}

/* What the thank-you page says under its title. */
const char *
leap_kiosk_window_get_thanks_hint (LeapKioskWindow *self)
{
  g_return_val_if_fail (LEAP_IS_KIOSK_WINDOW (self), NULL);
  return gtk_label_get_text (self->thanks_hint);
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
