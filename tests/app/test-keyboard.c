/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A whole sale at the box office with the keyboard only (issue 6).
 *
 * The real program (LeapApplication, with its shortcuts) runs against
 * redis-server, leap-backend and leap-worker (leap-test-utils), and the
 * test presses keys as a cashier would: real key events made by the X
 * server's XTEST extension, so they go the whole way a key goes (the X
 * server, GDK, the window's and the application's shortcuts, the
 * focused widget). Nothing is clicked and no widget is set from the
 * test: Tab and Enter reach Sign In, the name and password are typed,
 * Ctrl+F and the event's name find the show, Enter opens it, Tab and Space add tickets, F9 takes
 * cash (typed, Enter), Ctrl+N starts the next sale, and F10 takes a card. Both orders must then be
 * paid in the backend's database. The kiosk is then used the same way by a customer (Tab, Enter,
 * Space) and left by staff (Ctrl+Alt+Q and the PIN).
 *
 * There is no window manager under Xvfb: the test gives the X input
 * focus to the newest window itself, as a window manager would.
 *
 * XTEST is reached through libXtst.so.6 at run time (installed with
 * x11-utils and at-spi2-core); its two functions are declared here, as
 * libxtst-dev (the header) is not among the build's packages. */
#include "leap-config.h"

#include <dlfcn.h>
#include <string.h>

#include <X11/XKBlib.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
#include <adwaita.h>
#include <gdk/x11/gdkx.h>

#include "leap-application.h"
#include "leap-cart-view.h"
#include "leap-client.h"
#include "leap-event.h"
#include "leap-event-list.h"
#include "leap-event-page.h"
#include "leap-json.h"
#include "leap-kiosk-window.h"
#include "leap-offline-cache.h"
#include "leap-payment-dialog.h"
#include "leap-sign-in-dialog.h"
#include "leap-test-utils.h"
#include "leap-tier-tile.h"
#include "leap-window.h"

#define TIMEOUT_MS 20000
#define PASSWORD "counter-42"
#define EVENT_NAME "Keyboard Gala"

typedef Bool (*FakeKeyEvent) (Display      *display,
                              unsigned int  keycode,
                              Bool          is_press,
                              unsigned long delay);
typedef Bool (*QueryExtension) (Display *display,
                                int     *event_base,
                                int     *error_base,
                                int     *major,
                                int     *minor);

static struct
{
  LeapTestStack    stack;
  gint64           event_id;
  char            *pdf;
  const char      *skip;
  FakeKeyEvent     fake_key;
  Display         *display;
  LeapApplication *app;
  GPtrArray       *orders;   /* the order ids sold, in order */
} world;

/* XTEST, or why not. */
static gboolean
open_xtest (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  QueryExtension query;
  void *library;
  int event_base, error_base, major, minor;

  if (!GDK_IS_X11_DISPLAY (display))
    {
      world.skip = "not on X11";
      return FALSE;
    }
  library = dlopen ("libXtst.so.6", RTLD_NOW | RTLD_LOCAL);
  if (library == NULL)
    {
      world.skip = "libXtst.so.6 is not installed";
      return FALSE;
    }
  world.display = gdk_x11_display_get_xdisplay (GDK_X11_DISPLAY (display));
  world.fake_key = (FakeKeyEvent) dlsym (library, "XTestFakeKeyEvent");
  query = (QueryExtension) dlsym (library, "XTestQueryExtension");
  g_assert_nonnull (world.fake_key);
  g_assert_nonnull (query);
  /* Xvfb has XTEST unless it was started without it: a test that cannot
   * press keys fails rather than passes quietly. */
  g_assert_true (query (world.display, &event_base, &error_base, &major, &minor));
  return TRUE;
}

/* Lets GDK read and handle what the X server has sent back. */
static void
settle (void)
{
  XSync (world.display, False);
  for (guint i = 0; i < 3; i++)
    while (g_main_context_iteration (NULL, FALSE))
      ;
}

static void
key_event (KeySym   keysym,
           gboolean press)
{
  KeyCode code = XKeysymToKeycode (world.display, keysym);

  g_assert_cmpuint (code, !=, 0);
  g_assert_true (world.fake_key (world.display, code, press, CurrentTime));
}

/* Presses and releases @keysym with the modifiers (keysyms, 0-ended). */
static void
press (KeySym keysym,
       ...)
{
  KeySym modifiers[4];
  guint n = 0;
  KeySym m;
  va_list ap;

  va_start (ap, keysym);
  while ((m = va_arg (ap, KeySym)) != 0 && n < G_N_ELEMENTS (modifiers))
    modifiers[n++] = m;
  va_end (ap);

  for (guint i = 0; i < n; i++)
    key_event (modifiers[i], TRUE);
  key_event (keysym, TRUE);
  key_event (keysym, FALSE);
  for (guint i = n; i > 0; i--)
    key_event (modifiers[i - 1], FALSE);
  settle ();
}

/* Types @text (ASCII), with Shift where the key's first level is not the
 * character. */
static void
type (const char *text)
{
  for (const char *p = text; *p != '\0'; p++)
    {
      KeySym keysym = (KeySym) (guchar) *p;
      KeyCode code = XKeysymToKeycode (world.display, keysym);

      g_assert_cmpuint (code, !=, 0);
      if (XkbKeycodeToKeysym (world.display, code, 0, 0) != keysym)
        press (keysym, (KeySym) XK_Shift_L, (KeySym) 0);
      else
        press (keysym, (KeySym) 0);
    }
}

static gboolean
is_active (gpointer user_data)
{
  return gtk_window_is_active (user_data);
}

/* As a window manager does for a new window: the X input focus, and GTK
 * has seen it (keys typed before may go to the window that had it). */
static void
focus_window (GtkWindow *window)
{
  GdkSurface *surface;

  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (window)));
  surface = gtk_native_get_surface (GTK_NATIVE (window));
  XRaiseWindow (world.display, gdk_x11_surface_get_xid (surface));
  XSetInputFocus (world.display, gdk_x11_surface_get_xid (surface), RevertToParent, CurrentTime);
  settle ();
  g_assert_true (leap_test_wait_for (is_active, window, TIMEOUT_MS));
}

static gboolean
is_mapped (gpointer user_data)
{
  return gtk_widget_get_mapped (user_data);
}

/* Waits for @window to show and gives it the keyboard. */
static void
focus_when_shown (GtkWindow *window)
{
  g_assert_true (leap_test_wait_for (is_mapped, window, TIMEOUT_MS));
  focus_window (window);
}

/* The visible toplevel of @type, if any. */
static GtkWindow *
find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return GTK_WINDOW (window);
    }
  return NULL;
}

typedef struct
{
  GType      type;
  GtkWindow *found;
} WindowWait;

static gboolean
window_shown (gpointer user_data)
{
  WindowWait *wait = user_data;

  wait->found = find_window (wait->type);
  return wait->found != NULL && gtk_widget_get_mapped (GTK_WIDGET (wait->found));
}

static GtkWindow *
wait_window (GType type)
{
  WindowWait wait = { type, NULL };

  if (!leap_test_wait_for (window_shown, &wait, TIMEOUT_MS))
    g_error ("No %s showed", g_type_name (type));
  return wait.found;
}

static gboolean
window_gone (gpointer user_data)
{
  return find_window (GPOINTER_TO_SIZE (user_data)) == NULL;
}

/* The widget with the keyboard focus in @window. */
static GtkWidget *
focused (GtkWindow *window)
{
  return gtk_window_get_focus (window);
}

static gboolean
signed_in (gpointer user_data)
{
  return leap_client_get_signed_in (user_data);
}

static gboolean
event_listed (gpointer user_data)
{
  /* The show made for this test is in the synced list. */
  GListModel *shown = leap_event_list_get_shown (leap_window_get_event_list (user_data));

  for (guint i = 0; i < g_list_model_get_n_items (shown); i++)
    {
      g_autoptr(LeapEvent) event = g_list_model_get_item (shown, i);

      if (leap_event_get_id (event) == world.event_id)
        return TRUE;
    }
  return FALSE;
}

static gboolean
has_tiles (gpointer user_data)
{
  return leap_event_page_get_n_tiles (leap_window_get_event_page (user_data)) > 0;
}

static gboolean
sold (gpointer user_data)
{
  LeapWindow *window = user_data;
  JsonObject *order = leap_window_get_last_order (window);

  return !leap_window_get_paying (window) && order != NULL &&
         (world.orders->len == 0 ||
          g_strcmp0 (leap_json_get_string (order, "order_id", NULL),
                     g_ptr_array_index (world.orders, world.orders->len - 1)) != 0);
}

/* The + of a tier tile (the show has one tier, the Stalls). */
static gboolean
is_more_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_button_get_icon_name (GTK_BUTTON (widget)), "list-add-symbolic") == 0 &&
         gtk_widget_get_ancestor (widget, LEAP_TYPE_TIER_TILE) != NULL;
}

static gboolean
is_sign_in_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "win.sign-in") == 0;
}

/* Presses Tab until the focus is on a widget that @is (at most a few
 * dozen times: a control the keyboard cannot reach fails the test). */
static void
tab_to (GtkWindow *window,
        gboolean (*is) (GtkWidget *widget))
{
  for (guint i = 0; i < 40 && !is (focused (window)); i++)
    press (XK_Tab, (KeySym) 0);
  if (!is (focused (window)))
    {
      GtkWidget *focus = focused (window);

      g_error ("Tab does not get there (the focus is on a %s, action %s)",
               focus ? G_OBJECT_TYPE_NAME (focus) : "nothing",
               focus && GTK_IS_ACTIONABLE (focus)
                   ? gtk_actionable_get_action_name (GTK_ACTIONABLE (focus))
                   : "none");
    }
}

/* Ctrl+F, the name, Enter (the first match, the list focused), Enter
 * (the show opens, the focus on its tiers), Tab to the Stalls' +, and
 * Space @n times. */
static void
pick_tickets (LeapWindow *window,
              guint       n)
{
  LeapCartView *cart = leap_window_get_cart_view (window);

  press (XK_f, (KeySym) XK_Control_L, (KeySym) 0);
  g_assert_true (GTK_IS_TEXT (focused (GTK_WINDOW (window))));
  type (EVENT_NAME);
  /* The search waits a moment after the last key before it filters. */
  if (!leap_test_wait_for (event_listed, window, TIMEOUT_MS))
    g_error ("The search for “%s” does not list the event: the search reads “%s”, %u of %u "
             "events shown",
             EVENT_NAME,
             GTK_IS_EDITABLE (focused (GTK_WINDOW (window)))
                 ? gtk_editable_get_text (GTK_EDITABLE (focused (GTK_WINDOW (window))))
                 : "(the focus left the search)",
             g_list_model_get_n_items (
                 leap_event_list_get_shown (leap_window_get_event_list (window))),
             g_list_model_get_n_items (
                 leap_event_list_get_model (leap_window_get_event_list (window))));
  press (XK_Return, (KeySym) 0);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (has_tiles, window, TIMEOUT_MS));
  tab_to (GTK_WINDOW (window), is_more_button);
  for (guint i = 0; i < n; i++)
    press (XK_space, (KeySym) 0);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, n);
}

/* Each mnemonic of what is on screen is on a key of its own: two labels on
 * one key take turns at the focus and neither is activated. */
static void
collect_mnemonics (GtkWidget  *widget,
                   GHashTable *seen)
{
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      if (GTK_IS_LABEL (child) && gtk_label_get_use_underline (GTK_LABEL (child)) &&
          gtk_widget_is_drawable (child))
        {
          guint key = gdk_keyval_to_lower (gtk_label_get_mnemonic_keyval (GTK_LABEL (child)));
          const char *other = g_hash_table_lookup (seen, GUINT_TO_POINTER (key));

          if (other != NULL)
            g_error ("“%s” and “%s” share the mnemonic %s", other,
                     gtk_label_get_label (GTK_LABEL (child)), gdk_keyval_name (key));
          g_hash_table_insert (seen, GUINT_TO_POINTER (key),
                               (gpointer)gtk_label_get_label (GTK_LABEL (child)));
        }
      collect_mnemonics (child, seen);
    }
}

static void
assert_mnemonics_distinct (GtkWidget *window)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  collect_mnemonics (window, seen);
  g_assert_cmpuint (g_hash_table_size (seen), >, 0);
}

static gboolean
held (gpointer user_data)
{
  return leap_window_get_hold_id (user_data) != NULL;
}

static void
pay (LeapWindow *window,
     KeySym      key,
     const char *cash)
{
  GtkWindow *dialog;

  press (key, (KeySym) 0);
  /* The tickets are held first, then the dialog opens. */
  dialog = wait_window (LEAP_TYPE_PAYMENT_DIALOG);
  focus_when_shown (dialog);
  if (cash != NULL)
    type (cash);
  /* Enter takes the payment (the dialog's default response). */
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (window_gone, GSIZE_TO_POINTER (LEAP_TYPE_PAYMENT_DIALOG),
                                     TIMEOUT_MS));
  focus_window (GTK_WINDOW (window));
  if (!leap_test_wait_for (sold, window, TIMEOUT_MS))
    g_error ("The sale failed: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (window)));
  g_ptr_array_add (world.orders,
                   g_strdup (leap_json_get_string (leap_window_get_last_order (window),
                                                   "order_id", NULL)));
}

static void
sell_by_keyboard (LeapWindow *window)
{
  LeapClient *client = leap_application_get_client (world.app);
  GtkWindow *dialog;

  focus_when_shown (GTK_WINDOW (window));

  /* Sign in: Tab to the header's Sign In, Enter, the name, Enter, the
   * password, Enter. */
  tab_to (GTK_WINDOW (window), is_sign_in_button);
  press (XK_Return, (KeySym) 0);
  dialog = wait_window (LEAP_TYPE_SIGN_IN_DIALOG);
  focus_when_shown (dialog);
  type ("cashier");
  press (XK_Return, (KeySym) 0);
  type (PASSWORD);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (signed_in, client, TIMEOUT_MS));
  g_assert_cmpstr (leap_client_get_role (client), ==, "cashier");
  g_assert_true (leap_test_wait_for (window_gone, GSIZE_TO_POINTER (LEAP_TYPE_SIGN_IN_DIALOG),
                                     TIMEOUT_MS));
  focus_window (GTK_WINDOW (window));

  /* Two Stalls for cash: €100 for €90, held first with the button's
   * mnemonic (Alt+H). */
  pick_tickets (window, 2);
  assert_mnemonics_distinct (GTK_WIDGET (window));
  press (XK_h, (KeySym) XK_Alt_L, (KeySym) 0);
  g_assert_true (leap_test_wait_for (held, window, TIMEOUT_MS));
  pay (window, XK_F9, "100");
  g_assert_nonnull (strstr (leap_cart_view_get_hold_text (leap_window_get_cart_view (window)),
                            "Give €10.00 change."));

  /* The next sale: Ctrl+N, one Stalls by card. */
  press (XK_n, (KeySym) XK_Control_L, (KeySym) 0);
  pick_tickets (window, 1);
  pay (window, XK_F10, NULL);
}

typedef struct
{
  gboolean ran;
} Script;

static gboolean
script_cb (gpointer user_data)
{
  Script *script = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (world.app));

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  script->ran = TRUE;
  sell_by_keyboard (LEAP_WINDOW (window));
  g_application_quit (G_APPLICATION (world.app));
  return G_SOURCE_REMOVE;
}

static void
test_keyboard_sale (void)
{
  g_autofree char *cache_path = NULL;
  char *argv[] = { "leap-boxoffice", "--server", NULL, NULL };
  Script script = { FALSE };

  if (world.skip != NULL || world.stack.skip != NULL)
    {
      g_test_skip (world.skip ? world.skip : world.stack.skip);
      return;
    }
  argv[2] = world.stack.url;
  cache_path = g_build_filename (world.stack.dir, "cache-keyboard.db", NULL);
  g_setenv ("LEAP_CACHE_DB", cache_path, TRUE);
  world.orders = g_ptr_array_new_with_free_func (g_free);

  world.app = leap_application_new ();
  g_application_set_flags (G_APPLICATION (world.app), G_APPLICATION_NON_UNIQUE);
  g_timeout_add (50, script_cb, &script);
  g_assert_cmpint (g_application_run (G_APPLICATION (world.app), G_N_ELEMENTS (argv) - 1, argv), ==,
                   0);
  g_assert_true (script.ran);

  g_assert_cmpuint (world.orders->len, ==, 2);
  leap_test_stack_assert_paid (&world.stack, g_ptr_array_index (world.orders, 0), 9000, "cash");
  leap_test_stack_assert_paid (&world.stack, g_ptr_array_index (world.orders, 1), 4500, "card");
  g_clear_object (&world.app);
  g_clear_pointer (&world.orders, g_ptr_array_unref);
}

/* The kiosk */

static gboolean
is_start_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "kiosk.start") == 0;
}

static gboolean
is_show_button (GtkWidget *widget)
{
  GVariant *target;

  if (widget == NULL || !GTK_IS_BUTTON (widget) ||
      g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "kiosk.choose-event") !=
          0)
    return FALSE;
  target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));
  return target != NULL && g_variant_get_int64 (target) == world.event_id;
}

static gboolean
is_kiosk_more_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "kiosk.add-ticket") ==
             0;
}

static gboolean
is_pay_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "kiosk.pay") == 0;
}

static gboolean
is_done_button (GtkWidget *widget)
{
  return widget != NULL && GTK_IS_BUTTON (widget) &&
         g_strcmp0 (gtk_actionable_get_action_name (GTK_ACTIONABLE (widget)), "kiosk.done") == 0;
}

static GtkWidget *
find_widget (GtkWidget *root,
             gboolean (*is) (GtkWidget *widget))
{
  if (is (root))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, is);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct
{
  LeapKioskWindow *window;
  const char      *page;
} PageWait;

static gboolean
kiosk_on_page (gpointer user_data)
{
  PageWait *wait = user_data;

  return g_strcmp0 (leap_kiosk_window_get_page_name (wait->window), wait->page) == 0;
}

static void
wait_kiosk_page (LeapKioskWindow *window,
                 const char      *page)
{
  PageWait wait = { window, page };

  if (!leap_test_wait_for (kiosk_on_page, &wait, TIMEOUT_MS))
    g_error ("The kiosk shows %s, not %s", leap_kiosk_window_get_page_name (window), page);
}

static gboolean
kiosk_ready_to_pay (gpointer user_data)
{
  LeapKioskWindow *window = user_data;

  GtkWidget *pay = find_widget (GTK_WIDGET (window), is_pay_button);

  return leap_kiosk_window_get_hold_id (window) != NULL && !leap_kiosk_window_get_busy (window) &&
         pay != NULL && gtk_widget_is_sensitive (pay);
}

static gboolean
kiosk_has_tiers (gpointer user_data)
{
  return leap_kiosk_window_get_n_tiers (user_data) > 0;
}

static gboolean
kiosk_sold (gpointer user_data)
{
  return leap_kiosk_window_get_last_order (user_data) != NULL;
}

static gboolean
window_left (gpointer user_data)
{
  return leap_kiosk_window_get_left (user_data);
}

/* A customer with the keyboard only (a kiosk with a keyboard, or a
 * switch device that sends Tab and Enter): Tab to the start button,
 * Enter, Tab to the show, Enter, Tab to +, Space twice, Tab to Pay by
 * card, Enter; the thank-you page's Done; then staff leave with
 * Ctrl+Alt+Q and the PIN. */
static void
test_keyboard_kiosk (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autoptr(LeapClient) client = NULL;
  g_autoptr(LeapOfflineCache) cache = NULL;
  g_autoptr(LeapKioskWindow) window = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;
  JsonObject *order;

  if (world.skip != NULL || world.stack.skip != NULL)
    {
      g_test_skip (world.skip ? world.skip : world.stack.skip);
      return;
    }
  g_settings_set_uint (settings, "kiosk-thank-you-seconds", 60);
  hash = leap_kiosk_hash_pin ("2468");
  g_settings_set_string (settings, "kiosk-pin-hash", hash);
  client = leap_test_stack_sign_in (&world.stack, "kiosk-1");
  cache = leap_offline_cache_new (":memory:", &error);
  g_assert_no_error (error);
  leap_test_sync_cache (cache, client, TIMEOUT_MS);
  window = g_object_ref_sink (leap_kiosk_window_new (NULL, client, cache));
  gtk_window_present (GTK_WINDOW (window));
  focus_when_shown (GTK_WINDOW (window));
  wait_kiosk_page (window, "start");

  tab_to (GTK_WINDOW (window), is_start_button);
  press (XK_Return, (KeySym) 0);
  wait_kiosk_page (window, "events");
  tab_to (GTK_WINDOW (window), is_show_button);
  press (XK_Return, (KeySym) 0);
  wait_kiosk_page (window, "tickets");
  g_assert_true (leap_test_wait_for (kiosk_has_tiers, window, TIMEOUT_MS));
  tab_to (GTK_WINDOW (window), is_kiosk_more_button);
  press (XK_space, (KeySym) 0);
  press (XK_space, (KeySym) 0);
  g_assert_cmpuint (leap_kiosk_window_get_n_tickets (window), ==, 2);
  /* Pay by card takes no focus until the tickets are held. */
  g_assert_true (leap_test_wait_for (kiosk_ready_to_pay, window, TIMEOUT_MS));
  tab_to (GTK_WINDOW (window), is_pay_button);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (kiosk_sold, window, TIMEOUT_MS));
  wait_kiosk_page (window, "thanks");
  order = leap_kiosk_window_get_last_order (window);
  leap_test_stack_assert_paid (&world.stack, leap_json_get_string (order, "order_id", NULL), 9000,
                               "card");

  tab_to (GTK_WINDOW (window), is_done_button);
  press (XK_Return, (KeySym) 0);
  wait_kiosk_page (window, "start");

  /* Staff: Ctrl+Alt+Q, the PIN, Enter. */
  press (XK_q, (KeySym) XK_Control_L, (KeySym) XK_Alt_L, (KeySym) 0);
  g_assert_nonnull (leap_kiosk_window_get_exit_dialog (window));
  focus_when_shown (GTK_WINDOW (leap_kiosk_window_get_exit_dialog (window)));
  type ("2468");
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (window_left, window, TIMEOUT_MS));

  g_settings_reset (settings, "kiosk-thank-you-seconds");
  g_settings_reset (settings, "kiosk-pin-hash");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  g_log_set_writer_func (leap_test_log_writer, NULL, NULL);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/leap/keyboard/sale", test_keyboard_sale);
  g_test_add_func ("/leap/keyboard/kiosk", test_keyboard_kiosk);

  if (open_xtest () &&
      leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD,
                             "cashier", "cashier", "kiosk-1", "kiosk", "boss", "admin", NULL))
    {
      leap_test_stack_start_worker (&world.stack, "test-keyboard", "--card-decline-rate", "0",
                                    NULL);
      world.event_id = leap_test_stack_make_event (&world.stack, "boss", EVENT_NAME,
                                                   "{\"name\": \"Stalls\", \"price\": 4500, "
                                                   "\"currency\": \"EUR\", \"capacity\": 200, "
                                                   "\"max_per_order\": 10}", NULL);
      world.pdf = g_build_filename (world.stack.dir, "printed", "tickets.pdf", NULL);
      g_setenv ("LEAP_PRINT_TO_PDF", world.pdf, TRUE);
    }
  status = g_test_run ();
  leap_test_stack_stop (&world.stack);
  g_free (world.pdf);
  return status;
}
