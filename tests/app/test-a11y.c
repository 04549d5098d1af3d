/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Every control of the box office has an accessible name and the right
 * role.
 *
 * The names are read from GTK's accessibility tree, not from the
 * widgets: each widget's GtkATContext holds the role, the properties and
 * the relations that the AT-SPI backend exports, and GTK 4.8 computes
 * the AT-SPI "Name" from exactly two of them (gtk_at_context_get_name):
 * the `label` property, else the `label` properties of the widgets of the
 * `labelled-by` relation. GTK 4.8 has no public getter for them, so the
 * test reads them through the public testing API of that same context
 * (gtk_test_accessible_has_property/check_property/check_relation) under
 * GTK_A11Y=test, which reaches the dialogs and every view in one process.
 * test-a11y-atspi.py reads the main window and the kiosk over AT-SPI, as a
 * screen reader does; see docs/accessibility.md.
 *
 * The kiosk is walked page by page through a real sale (redis-server,
 * leap-backend and leap-worker from leap-test-utils), with its dialogs:
 * its pages and rows are built as the customer goes. */
#include "leap-config.h"

#include <adwaita.h>

#include "leap-cart-view.h"
#include "leap-check-in-view.h"
#include "leap-client.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-event-row.h"
#include "leap-format.h"
#include "leap-json.h"
#include "leap-kiosk-window.h"
#include "leap-offline-cache.h"
#include "leap-orders-view.h"
#include "leap-payment-dialog.h"
#include "leap-refund-dialog.h"
#include "leap-shift-view.h"
#include "leap-sign-in-dialog.h"
#include "leap-test-utils.h"
#include "leap-tier-tile.h"
#include "leap-window.h"

#define TIMEOUT_MS 10000

/* The roles of controls: what a user operates. */
static gboolean
is_control_role (GtkAccessibleRole role)
{
  switch ((int) role)
    {
    case GTK_ACCESSIBLE_ROLE_BUTTON:
    case GTK_ACCESSIBLE_ROLE_CHECKBOX:
    case GTK_ACCESSIBLE_ROLE_RADIO:
    case GTK_ACCESSIBLE_ROLE_SWITCH:
    case GTK_ACCESSIBLE_ROLE_TEXT_BOX:
    case GTK_ACCESSIBLE_ROLE_SEARCH_BOX:
    case GTK_ACCESSIBLE_ROLE_SPIN_BUTTON:
    case GTK_ACCESSIBLE_ROLE_COMBO_BOX:
    case GTK_ACCESSIBLE_ROLE_LINK:
    case GTK_ACCESSIBLE_ROLE_SLIDER:
    case GTK_ACCESSIBLE_ROLE_MENU_ITEM:
    case GTK_ACCESSIBLE_ROLE_TAB:
      return TRUE;
    default:
      return FALSE;
    }
}

/* The `label` property is there and not empty. */
static gboolean
has_label_property (GtkAccessible *accessible)
{
  g_autofree char *differs = NULL;

  if (!gtk_test_accessible_has_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL))
    return FALSE;
  differs = gtk_test_accessible_check_property (accessible, GTK_ACCESSIBLE_PROPERTY_LABEL, "");
  return differs != NULL;
}

static void
collect_labels (GtkWidget *widget,
                GPtrArray *out)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child))
        g_ptr_array_add (out, child);
      collect_labels (child, out);
    }
}

/* The name an AT reads, as GTK 4.8 makes it: the label property, else a
 * labelled-by widget with a label property. The widgets that can be in
 * labelled-by are the control's own labels and its mnemonic labels; each
 * is tried as the whole relation. */
static gboolean
has_name (GtkWidget *widget)
{
  g_autoptr(GPtrArray) labels = g_ptr_array_new ();
  GList *mnemonic = gtk_widget_list_mnemonic_labels (widget);

  if (has_label_property (GTK_ACCESSIBLE (widget)))
    {
      g_list_free (mnemonic);
      return TRUE;
    }
  if (!gtk_test_accessible_has_relation (GTK_ACCESSIBLE (widget),
                                         GTK_ACCESSIBLE_RELATION_LABELLED_BY))
    {
      g_list_free (mnemonic);
      return FALSE;
    }
  collect_labels (widget, labels);
  for (GList *l = mnemonic; l != NULL; l = l->next)
    g_ptr_array_add (labels, l->data);
  g_list_free (mnemonic);
  if (gtk_widget_get_parent (widget) != NULL)
    collect_labels (gtk_widget_get_parent (widget), labels);
  /* A part named after the control it is part of (the toggle button of a
   * GtkMenuButton is labelled by the menu button). */
  for (GtkWidget *up = gtk_widget_get_parent (widget); up != NULL; up = gtk_widget_get_parent (up))
    g_ptr_array_add (labels, up);

  for (guint i = 0; i < labels->len; i++)
    {
      GtkWidget *label = g_ptr_array_index (labels, i);
      g_autofree char *differs =
        gtk_test_accessible_check_relation (GTK_ACCESSIBLE (widget),
                                            GTK_ACCESSIBLE_RELATION_LABELLED_BY, label, NULL);

      if (differs == NULL && has_label_property (GTK_ACCESSIBLE (label)))
        return TRUE;
    }
  return FALSE;
}

/* The control or a widget inside it takes the keyboard focus. */
static gboolean
reachable_by_keyboard (GtkWidget *widget)
{
  if (gtk_widget_get_focusable (widget))
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (reachable_by_keyboard (child))
      return TRUE;
  return FALSE;
}

typedef struct
{
  guint      controls;
  GPtrArray *nameless;
  GHashTable *roles; /* type name → role seen */
} Walk;

static void
walk (GtkWidget *widget,
      Walk      *w)
{
  GtkAccessibleRole role = gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget));

  if (!gtk_widget_get_visible (widget))
    return;
  if (is_control_role (role))
    {
      w->controls++;
      g_hash_table_insert (w->roles, (gpointer) G_OBJECT_TYPE_NAME (widget),
                           GINT_TO_POINTER (role));
      if (!has_name (widget))
        g_ptr_array_add (w->nameless, widget);
      else if (!reachable_by_keyboard (widget))
        {
          g_test_message ("%s takes no keyboard focus", G_OBJECT_TYPE_NAME (widget));
          g_ptr_array_add (w->nameless, widget);
        }
      if (g_getenv ("LEAP_A11Y_DUMP") != NULL)
        g_printerr ("%-28s role %2d name %d\n", G_OBJECT_TYPE_NAME (widget), role,
                    has_name (widget));
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    walk (child, w);
}

/* Walks @root; fails naming every control without a name (or that the
 * keyboard cannot reach). Returns the number of controls seen. */
static guint
assert_all_named (GtkWidget  *root,
                  const char *where,
                  GHashTable *roles)
{
  g_autoptr(GPtrArray) nameless = g_ptr_array_new ();
  Walk w = { 0, nameless, roles };

  walk (root, &w);
  for (guint i = 0; i < nameless->len; i++)
    {
      GtkWidget *widget = g_ptr_array_index (nameless, i);
      const char *tooltip = gtk_widget_get_tooltip_text (widget);

      g_autoptr(GString) path = g_string_new (NULL);

      for (GtkWidget *up = widget; up != NULL; up = gtk_widget_get_parent (up))
        g_string_prepend (path, G_OBJECT_TYPE_NAME (up)), g_string_prepend (path, "/");
      g_test_message ("%s: %s (role %d, tooltip %s, %s) has no accessible name", where,
                      G_OBJECT_TYPE_NAME (widget),
                      gtk_accessible_get_accessible_role (GTK_ACCESSIBLE (widget)),
                      tooltip ? tooltip : "none", path->str);
    }
  g_assert_cmpuint (nameless->len, ==, 0);
  g_test_message ("%s: %u controls, all named and reachable by keyboard", where, w.controls);
  return w.controls;
}

static void
assert_role (GHashTable        *roles,
             const char        *type_name,
             GtkAccessibleRole  expected)
{
  gpointer role;

  g_test_message ("role of %s", type_name);
  g_assert_true (g_hash_table_lookup_extended (roles, type_name, NULL, &role));
  g_assert_cmpint (GPOINTER_TO_INT (role), ==, expected);
}

typedef struct
{
  char             *dir;
  LeapOfflineCache *cache;
  LeapClient       *client;
  LeapWindow       *window;
} Fixture;

static guint
count_tiles (GtkWidget *widget)
{
  guint n = LEAP_IS_TIER_TILE (widget) && gtk_widget_get_mapped (widget) ? 1 : 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n += count_tiles (child);
  return n;
}

/* Hamlet opens by itself, with its three tiers. */
static gboolean
tiers_shown (gpointer user_data)
{
  Fixture *f = user_data;

  return count_tiles (GTK_WIDGET (leap_window_get_event_page (f->window))) == 3;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u", leap_test_free_port ());
  g_autoptr(JsonObject) page = leap_test_demo_page ();
  g_autoptr(GError) error = NULL;

  f->dir = leap_test_make_tmpdir ();
  path = g_build_filename (f->dir, "cache.db", NULL);
  f->cache = leap_offline_cache_new (path, &error);
  g_assert_no_error (error);
  g_assert_true (leap_offline_cache_apply_sync (f->cache, url, page, &error));
  g_assert_no_error (error);
  leap_test_reload_cache (f->cache, TIMEOUT_MS);

  f->client = leap_client_new (url);
  f->window = g_object_ref_sink (g_object_new (LEAP_TYPE_WINDOW, "client", f->client,
                                               "cache", f->cache, NULL));
  gtk_window_present (GTK_WINDOW (f->window));
  g_assert_true (leap_test_wait_for (tiers_shown, f, TIMEOUT_MS));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  g_clear_object (&f->window);
  g_clear_object (&f->client);
  g_clear_object (&f->cache);
  leap_test_rm_rf (f->dir);
  g_free (f->dir);
}

/* A button under @root whose accessible label reads @name. */
static gboolean
has_button_named (GtkWidget  *root,
                  const char *name)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) &&
          gtk_test_accessible_has_property (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_PROPERTY_LABEL))
        {
          g_autofree char *differs =
            gtk_test_accessible_check_property (GTK_ACCESSIBLE (child),
                                                GTK_ACCESSIBLE_PROPERTY_LABEL, name);

          if (differs == NULL)
            return TRUE;
        }
      if (has_button_named (child, name))
        return TRUE;
    }
  return FALSE;
}

/* The main window with all its views: Sell (event list, event page with
 * its tier tiles, cart), Orders, Check-in and Shift. */
static void
test_main_window (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GHashTable) roles = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = assert_all_named (GTK_WIDGET (f->window), "main window", roles);

  g_assert_cmpuint (n, >=, 20);
  /* Each view on its own: the pages not shown are walked as well. */
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_event_list (f->window)),
                                      "event list", roles), >=, 2);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_event_page (f->window)),
                                      "event page", roles), >=, 6);
  g_assert_true (has_button_named (GTK_WIDGET (leap_window_get_event_page (f->window)),
                                   "One Stalls ticket more"));
  g_assert_true (has_button_named (GTK_WIDGET (leap_window_get_event_page (f->window)),
                                   "One Balcony ticket less"));
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_cart_view (f->window)),
                                      "cart", roles), >=, 3);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_orders_view (f->window)),
                                      "orders", roles), >=, 1);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_check_in_view (f->window)),
                                      "check-in", roles), >=, 1);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (leap_window_get_shift_view (f->window)),
                                      "shift", roles), >=, 2);
  assert_role (roles, "GtkSearchEntry", GTK_ACCESSIBLE_ROLE_SEARCH_BOX);
  assert_role (roles, "GtkMenuButton", GTK_ACCESSIBLE_ROLE_BUTTON);
  assert_role (roles, "GtkButton", GTK_ACCESSIBLE_ROLE_BUTTON);
}

/* What a row of @event should say: name, the whole date with the venue,
 * and what is left. */
static char *
event_row_label (LeapEvent *event)
{
  g_autofree char *when = leap_format_event_when (event);
  gint64 capacity = leap_event_get_capacity (event);
  gint64 available = leap_event_get_available (event);
  g_autofree char *left = NULL;
  const char *status = leap_event_get_status (event);
  g_autoptr(GString) label = g_string_new (leap_event_get_name (event));

  if (available >= 0 && capacity > 0)
    left = available == 0 ? g_strdup ("Sold out")
                          : g_strdup_printf ("%d left", (int) available);
  else if (capacity > 0)
    left = g_strdup_printf ("%d seats", (int) capacity);
  if (g_str_equal (status, "cancelled"))
    g_string_append (label, ", Cancelled");
  else if (g_str_equal (status, "off_sale"))
    g_string_append (label, ", Not on sale");
  g_string_append_printf (label, ", %s", when);
  if (left != NULL)
    g_string_append_printf (label, ", %s", left);
  return g_string_free (g_steal_pointer (&label), FALSE);
}

/* Each event row, and the list item that takes the focus for it, is
 * named with the event's name, date and availability. */
static void
test_event_rows (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) rows =
    leap_test_find_widgets (leap_window_get_event_list (f->window), LEAP_TYPE_EVENT_ROW, TRUE);

  g_assert_cmpuint (rows->len, >=, 2);
  for (guint i = 0; i < rows->len; i++)
    {
      GtkWidget *row = g_ptr_array_index (rows, i);
      g_autofree char *expected = event_row_label (leap_event_row_get_event (LEAP_EVENT_ROW (row)));
      g_autofree char *differs = NULL;
      g_autofree char *item_differs = NULL;

      g_test_message ("row %u: %s", i, expected);
      differs = gtk_test_accessible_check_property (GTK_ACCESSIBLE (row),
                                                    GTK_ACCESSIBLE_PROPERTY_LABEL, expected);
      g_assert_null (differs);
      item_differs = gtk_test_accessible_check_property (
          GTK_ACCESSIBLE (gtk_widget_get_parent (row)), GTK_ACCESSIBLE_PROPERTY_LABEL, expected);
      g_assert_null (item_differs);
    }
}

static void
test_sign_in_dialog (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GHashTable) roles = g_hash_table_new (g_str_hash, g_str_equal);
  LeapSignInDialog *dialog = leap_sign_in_dialog_new (GTK_WINDOW (f->window), f->client, NULL);

  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (dialog), "sign-in dialog", roles), >=, 4);
  assert_role (roles, "AdwEntryRow", GTK_ACCESSIBLE_ROLE_TEXT_BOX);
  assert_role (roles, "AdwPasswordEntryRow", GTK_ACCESSIBLE_ROLE_TEXT_BOX);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

static void
test_payment_dialog (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GHashTable) roles = g_hash_table_new (g_str_hash, g_str_equal);
  LeapPaymentDialog *dialog =
    leap_payment_dialog_new (GTK_WINDOW (f->window), "cash", leap_money_init (9000, "EUR"));

  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (dialog), "payment dialog", roles), >=, 6);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* Signed out (no role): the dialog asks for a manager's approval, so
 * every control it can show is there: a spin button per tier, the
 * manager's name and password, the responses. */
static void
test_refund_dialog (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GHashTable) roles = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) order = leap_json_parse_object (
    "{\"order_id\": \"o-1-AAAAAAAAAAAAAAAAAAAAAA\", \"status\": \"paid\", \"currency\": \"EUR\", "
    "\"lines\": [{\"tier_id\": 1, \"quantity\": 1, \"unit_price\": 4500}, "
    "{\"tier_id\": 2, \"quantity\": 1, \"unit_price\": 2900}], "
    "\"tier_names\": {\"1\": \"Stalls\", \"2\": \"Balcony\"}, "
    "\"tickets\": [{\"code\": \"A\", \"tier_id\": 1, \"status\": \"valid\"}, "
    "{\"code\": \"B\", \"tier_id\": 2, \"status\": \"valid\"}]}", -1, NULL);
  LeapRefundDialog *dialog = leap_refund_dialog_new (GTK_WINDOW (f->window), f->client, order);

  gtk_window_present (GTK_WINDOW (dialog));
  g_assert_cmpuint (leap_refund_dialog_get_n_offered (dialog), ==, 2);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (dialog), "refund dialog", roles), >=, 6);
  assert_role (roles, "GtkSpinButton", GTK_ACCESSIBLE_ROLE_SPIN_BUTTON);
  assert_role (roles, "AdwPasswordEntryRow", GTK_ACCESSIBLE_ROLE_TEXT_BOX);
  gtk_window_destroy (GTK_WINDOW (dialog));
}

/* The kiosk */

#define KIOSK_PASSWORD "kiosk-42"

typedef struct
{
  LeapTestStack     stack;
  gint64            event_id;
  LeapClient       *client;
  LeapOfflineCache *cache;
  LeapKioskWindow  *window;
  GHashTable       *roles;
} Kiosk;

typedef struct
{
  LeapKioskWindow *window;
  const char      *page;
} PageWait;

static GtkWidget *
find_stack (GtkWidget *root)
{
  if (GTK_IS_STACK (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_stack (child);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
on_page (gpointer user_data)
{
  PageWait *wait = user_data;

  return g_strcmp0 (leap_kiosk_window_get_page_name (wait->window), wait->page) == 0;
}

static void
wait_page (Kiosk      *k,
           const char *page)
{
  PageWait wait = { k->window, page };

  if (!leap_test_wait_for (on_page, &wait, 20000))
    g_error ("The kiosk shows %s, not %s", leap_kiosk_window_get_page_name (k->window), page);
}

/* The whole window (every page is in it, the one shown and the others)
 * and what is on the page @page in particular. */
static void
walk_kiosk_page (Kiosk      *k,
                 const char *page)
{
  GtkWidget *stack;
  GtkWidget *shown;

  wait_page (k, page);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (k->window), page, k->roles), >=, 4);

  /* The pages not shown are hidden from the accessibility tree (GTK 4.8
   * would export their controls too): only this page's are offered. */
  stack = find_stack (GTK_WIDGET (k->window));
  g_assert_nonnull (stack);
  shown = gtk_stack_get_visible_child (GTK_STACK (stack));
  for (GtkWidget *child = gtk_widget_get_first_child (stack); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      g_autofree char *differs = NULL;

      if (!gtk_test_accessible_has_state (GTK_ACCESSIBLE (child), GTK_ACCESSIBLE_STATE_HIDDEN))
        {
          g_assert_true (child == shown);
          continue;
        }
      differs = gtk_test_accessible_check_state (GTK_ACCESSIBLE (child),
                                                 GTK_ACCESSIBLE_STATE_HIDDEN, child != shown);
      if (differs != NULL)
        g_error ("%s: a page's hidden state is wrong: %s", page, differs);
    }
}

static gboolean
kiosk_ready_to_pay (gpointer user_data)
{
  LeapKioskWindow *window = user_data;

  return leap_kiosk_window_get_hold_id (window) != NULL && !leap_kiosk_window_get_busy (window) &&
         leap_kiosk_window_get_n_tiers (window) > 0;
}

static gboolean
kiosk_has_tiers (gpointer user_data)
{
  return leap_kiosk_window_get_n_tiers (user_data) > 0;
}

static gboolean
kiosk_asks_still_there (gpointer user_data)
{
  return leap_kiosk_window_get_still_there (user_data) != NULL;
}

/* A button under @root that shows @text and has a name (a response
 * button of a message dialog is named by its mnemonic label). */
static gboolean
has_named_button_labelled (GtkWidget  *root,
                           const char *text)
{
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_BUTTON (child) &&
          g_strcmp0 (gtk_button_get_label (GTK_BUTTON (child)), text) == 0 && has_name (child))
        return TRUE;
      if (has_named_button_labelled (child, text))
        return TRUE;
    }
  return FALSE;
}

/* A dialog of the kiosk: named controls, and at least @min of them. */
static void
walk_kiosk_dialog (Kiosk            *k,
                   AdwMessageDialog *dialog,
                   const char       *where,
                   guint             min)
{
  g_assert_nonnull (dialog);
  g_assert_cmpuint (assert_all_named (GTK_WIDGET (dialog), where, k->roles), >=, min);
}

/* Every page of the kiosk's flow, as a customer meets them: start,
 * events, tickets, paying, thank you; the still-there question; the
 * staff PIN dialog; and the page shown while the server is away. */
static void
test_kiosk (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *pdf = NULL;
  Kiosk k = { 0 };

  if (!leap_test_stack_start (&k.stack, LEAP_TEST_STACK_WORKER, KIOSK_PASSWORD,
                              "kiosk-1", "kiosk", "boss", "admin", NULL))
    {
      g_test_skip (k.stack.skip);
      return;
    }
  leap_test_stack_start_worker (&k.stack, "test-a11y", "--card-decline-rate", "0",
                                "--card-latency-ms", "500", NULL);
  k.event_id = leap_test_stack_make_event (&k.stack, "boss", "The Magic Flute",
                                           "{\"name\": \"Stalls\", \"price\": 4500, "
                                           "\"currency\": \"EUR\", \"capacity\": 100, "
                                           "\"max_per_order\": 10}", NULL);
  pdf = g_build_filename (k.stack.dir, "tickets.pdf", NULL);
  g_setenv ("LEAP_PRINT_TO_PDF", pdf, TRUE);
  g_settings_set_uint (settings, "kiosk-thank-you-seconds", 60);
  k.roles = g_hash_table_new (g_str_hash, g_str_equal);

  k.client = leap_test_stack_sign_in (&k.stack, "kiosk-1");
  k.cache = leap_offline_cache_new (":memory:", &error);
  g_assert_no_error (error);
  leap_test_sync_cache (k.cache, k.client, 20000);
  k.window = g_object_ref_sink (leap_kiosk_window_new (NULL, k.client, k.cache));
  gtk_window_present (GTK_WINDOW (k.window));

  walk_kiosk_page (&k, "start");
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "Tickets. Touch to start"));
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "Deutsch"));

  gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.start", NULL);
  walk_kiosk_page (&k, "events");
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "Back"));

  gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.choose-event", "x", k.event_id);
  g_assert_true (leap_test_wait_for (kiosk_has_tiers, k.window, 20000));
  walk_kiosk_page (&k, "tickets");
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "One Stalls ticket more"));
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "One Stalls ticket less"));
  gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.add-ticket", "u", 0);
  g_assert_true (leap_test_wait_for (kiosk_ready_to_pay, k.window, 20000));
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "Pay by card"));

  /* The customer hesitates: the question is a dialog of its own. */
  g_settings_set_uint (settings, "kiosk-idle-timeout", 2);
  g_assert_true (leap_test_wait_for (kiosk_asks_still_there, k.window, 20000));
  walk_kiosk_dialog (&k, leap_kiosk_window_get_still_there (k.window), "still there", 2);
  g_assert_true (
      has_named_button_labelled (GTK_WIDGET (leap_kiosk_window_get_still_there (k.window)),
                                 "Start Over"));
  adw_message_dialog_response (leap_kiosk_window_get_still_there (k.window), "continue");
  g_settings_reset (settings, "kiosk-idle-timeout");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.pay", NULL));
  walk_kiosk_page (&k, "paying");
  walk_kiosk_page (&k, "thanks");
  g_assert_nonnull (leap_kiosk_window_get_last_order (k.window));
  g_assert_true (has_button_named (GTK_WIDGET (k.window), "Done"));
  gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.done", NULL);
  wait_page (&k, "start");

  /* Staff leave with the PIN: its field has a name too. */
  hash = leap_kiosk_hash_pin ("2468");
  g_settings_set_string (settings, "kiosk-pin-hash", hash);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (k.window), "kiosk.exit", NULL));
  walk_kiosk_dialog (&k, leap_kiosk_window_get_exit_dialog (k.window), "staff PIN", 3);
  adw_message_dialog_response (leap_kiosk_window_get_exit_dialog (k.window), "cancel");
  g_settings_reset (settings, "kiosk-pin-hash");

  /* The server goes away. */
  leap_test_stack_stop_backend (&k.stack);
  walk_kiosk_page (&k, "unavailable");

  assert_role (k.roles, "GtkButton", GTK_ACCESSIBLE_ROLE_BUTTON);
  assert_role (k.roles, "GtkToggleButton", GTK_ACCESSIBLE_ROLE_BUTTON);
  assert_role (k.roles, "GtkEntry", GTK_ACCESSIBLE_ROLE_TEXT_BOX);

  g_settings_reset (settings, "kiosk-thank-you-seconds");
  g_unsetenv ("LEAP_PRINT_TO_PDF");
  /* Only the PIN closes a kiosk window; the test takes it down. */
  gtk_window_destroy (GTK_WINDOW (k.window));
  g_clear_object (&k.window);
  g_clear_object (&k.cache);
  g_clear_object (&k.client);
  g_hash_table_unref (k.roles);
  leap_test_stack_stop (&k.stack);
}

int
main (int   argc,
      char *argv[])
{
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add ("/leap/a11y/main-window", Fixture, NULL, fixture_set_up, test_main_window,
              fixture_tear_down);
  g_test_add ("/leap/a11y/event-rows", Fixture, NULL, fixture_set_up, test_event_rows,
              fixture_tear_down);
  g_test_add ("/leap/a11y/refund-dialog", Fixture, NULL, fixture_set_up, test_refund_dialog,
              fixture_tear_down);
  g_test_add ("/leap/a11y/sign-in-dialog", Fixture, NULL, fixture_set_up, test_sign_in_dialog,
              fixture_tear_down);
  g_test_add ("/leap/a11y/payment-dialog", Fixture, NULL, fixture_set_up, test_payment_dialog,
              fixture_tear_down);

  g_test_add_func ("/leap/a11y/kiosk", test_kiosk);

  return g_test_run ();
}
