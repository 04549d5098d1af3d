/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A whole sale at the box office with the keyboard only (issue 6).
 *
 * The real program (LeapApplication, with its shortcuts) runs against
 * redis-server, leap-backend and leap-worker (leap-test-utils), and the
 * test presses keys as a cashier would: real key events made by the X
 * server's XTEST extension, so they go the whole way a key goes (the X
 * server, GDK, the window's and the application's shortcuts, the
 * focused widget). No widget is set from the test: Tab and Enter reach
 * Sign In, the name and password are typed, Ctrl+F and the event's name
 * find the show, Down goes to it and Enter opens it, each tier is one Tab
 * stop where +, − and a number set the quantity, F9 takes cash (typed, two
 * Tabs at most to the customer's name, Enter), Ctrl+N starts the next
 * sale, a click on + and Enter hold one ticket, and F10 takes a card. Both
 * orders must then be paid in the backend's database. Ctrl+Q with tickets
 * held asks before the program ends (issue 15, 3 and 8). The kiosk is
 * then used the same way by a customer (Tab, Enter, Space) and left by
 * staff (Ctrl+Alt+Q and the PIN).
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
typedef Bool (*FakeButtonEvent) (Display      *display,
                                 unsigned int  button,
                                 Bool          is_press,
                                 unsigned long delay);
typedef Bool (*FakeMotionEvent) (Display      *display,
                                 int           screen,
                                 int           x,
                                 int           y,
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
  FakeButtonEvent  fake_button;
  FakeMotionEvent  fake_motion;
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
  world.fake_button = (FakeButtonEvent) dlsym (library, "XTestFakeButtonEvent");
  world.fake_motion = (FakeMotionEvent) dlsym (library, "XTestFakeMotionEvent");
  query = (QueryExtension) dlsym (library, "XTestQueryExtension");
  g_assert_nonnull (world.fake_key);
  g_assert_nonnull (world.fake_button);
  g_assert_nonnull (world.fake_motion);
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

/* Clicks the middle of @widget with the first mouse button, as a hand on
 * the mouse does: the pointer moves there through the X server. */
static void
click (GtkWidget *widget)
{
  GtkNative *native = gtk_widget_get_native (widget);
  graphene_point_t middle = GRAPHENE_POINT_INIT (gtk_widget_get_width (widget) / 2.f,
                                                 gtk_widget_get_height (widget) / 2.f);
  graphene_point_t point;
  double dx, dy;
  int x, y;
  Window child;

  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &middle, &point));
  gtk_native_get_surface_transform (native, &dx, &dy);
  XTranslateCoordinates (world.display,
                         gdk_x11_surface_get_xid (gtk_native_get_surface (native)),
                         DefaultRootWindow (world.display), (int) (point.x + dx),
                         (int) (point.y + dy), &x, &y, &child);
  g_assert_true (world.fake_motion (world.display, -1, x, y, CurrentTime));
  settle ();
  g_assert_true (world.fake_button (world.display, 1, True, CurrentTime));
  g_assert_true (world.fake_button (world.display, 1, False, CurrentTime));
  settle ();
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
  /* The show made for this test is the first of the filtered list. */
  GListModel *shown = leap_event_list_get_shown (leap_window_get_event_list (user_data));
  g_autoptr(LeapEvent) first = g_list_model_get_item (shown, 0);

  return first != NULL && leap_event_get_id (first) == world.event_id;
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

/* The + of a tier tile. */
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

static gboolean
is_tier_tile (GtkWidget *widget)
{
  return widget != NULL && LEAP_IS_TIER_TILE (widget);
}

static LeapTierTile *
tile_at (LeapWindow *window,
         guint       position)
{
  return leap_event_page_get_tile (leap_window_get_event_page (window), position);
}

/* The show has the Stalls and the Upper Circle, in the page's order. */
static LeapTierTile *
stalls_tile (LeapWindow *window)
{
  LeapEventPage *page = leap_window_get_event_page (window);

  for (guint i = 0; i < leap_event_page_get_n_tiles (page); i++)
    if (g_str_equal (leap_tier_get_name (leap_tier_tile_get_tier (tile_at (window, i))),
                     "Stalls"))
      return tile_at (window, i);
  g_error ("The show has no Stalls");
}

static gboolean
is_stalls_tile (GtkWidget *widget)
{
  return is_tier_tile (widget) &&
         LEAP_TIER_TILE (widget) == stalls_tile (LEAP_WINDOW (gtk_widget_get_root (widget)));
}

/* Ctrl+F, the name, Down (the first match, the list focused), Enter (the
 * show opens, the focus on its first tier), and the number @n typed on
 * the Stalls. On the way: each tier is one Tab stop, and + and − on it
 * change the quantity (issue 15, 3 and 8). */
static void
pick_tickets (LeapWindow *window,
              guint       n)
{
  LeapCartView *cart = leap_window_get_cart_view (window);
  LeapEventList *list = leap_window_get_event_list (window);
  g_autofree char *digits = g_strdup_printf ("%u", n);
  GtkWidget *focus;

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
             g_list_model_get_n_items (leap_event_list_get_shown (list)),
             g_list_model_get_n_items (leap_event_list_get_model (list)));
  /* Down goes from the search to the first event, not the date filter. */
  press (XK_Down, (KeySym) 0);
  focus = focused (GTK_WINDOW (window));
  if (focus == NULL || gtk_widget_get_ancestor (focus, GTK_TYPE_LIST_VIEW) == NULL)
    g_error ("Down from the search went to a %s, not to the events",
             focus ? G_OBJECT_TYPE_NAME (focus) : "nothing");
  g_assert_cmpint (leap_event_get_id (leap_event_list_get_selected_event (list)), ==,
                   world.event_id);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (has_tiles, window, TIMEOUT_MS));
  tab_to (GTK_WINDOW (window), is_tier_tile);
  g_assert_true (focused (GTK_WINDOW (window)) == GTK_WIDGET (tile_at (window, 0)));

  /* One Tab from tier to tier, and back. */
  press (XK_Tab, (KeySym) 0);
  g_assert_true (focused (GTK_WINDOW (window)) == GTK_WIDGET (tile_at (window, 1)));
  press (XK_Tab, (KeySym) XK_Shift_L, (KeySym) 0);
  g_assert_true (focused (GTK_WINDOW (window)) == GTK_WIDGET (tile_at (window, 0)));
  tab_to (GTK_WINDOW (window), is_stalls_tile);

  type ("+");
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  type ("-");
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 0);
  if (n > 0)
    type (digits);
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, n);
  g_assert_cmpuint (leap_tier_tile_get_quantity (stalls_tile (window)), ==, n);
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

static gboolean
is_customer_name (GtkWidget *widget)
{
  GtkWidget *row = widget ? gtk_widget_get_ancestor (widget, ADW_TYPE_ENTRY_ROW) : NULL;

  return row != NULL && g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)),
                                   "Customer name (optional)") == 0;
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
    {
      guint tabs = 0;

      type (cash);
      /* From the amount to the customer's name in one or two Tabs. */
      while (tabs < 2 && !is_customer_name (focused (dialog)))
        {
          press (XK_Tab, (KeySym) 0);
          tabs++;
        }
      if (!is_customer_name (focused (dialog)))
        g_error ("Two Tabs from the amount get to a %s, not to the customer's name",
                 focused (dialog) ? G_OBJECT_TYPE_NAME (focused (dialog)) : "nothing");
      type ("Ada");
    }
  /* Enter takes the payment (the dialog's default response). */
  press (XK_Return, (KeySym) 0);
  if (!leap_test_wait_for (window_gone, GSIZE_TO_POINTER (LEAP_TYPE_PAYMENT_DIALOG), TIMEOUT_MS))
    g_error ("Enter did not take the payment: the focus is on a %s; the name reads “%s”",
             focused (dialog) ? G_OBJECT_TYPE_NAME (focused (dialog)) : "nothing",
             leap_payment_dialog_get_customer_name (LEAP_PAYMENT_DIALOG (dialog)));
  focus_window (GTK_WINDOW (window));
  if (!leap_test_wait_for (sold, window, TIMEOUT_MS))
    g_error ("The sale failed: %s",
             leap_cart_view_get_hold_text (leap_window_get_cart_view (window)));
  g_ptr_array_add (world.orders,
                   g_strdup (leap_json_get_string (leap_window_get_last_order (window),
                                                   "order_id", NULL)));
}

static void
sign_in_by_keyboard (LeapWindow *window)
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
}

static gboolean
is_plus_of_stalls (GtkWidget *widget)
{
  return is_more_button (widget) &&
         is_stalls_tile (gtk_widget_get_ancestor (widget, LEAP_TYPE_TIER_TILE));
}

static GtkWidget *find_widget (GtkWidget *root, gboolean (*is) (GtkWidget *widget));

static void
sell_by_keyboard (LeapWindow *window)
{
  LeapCartView *cart = leap_window_get_cart_view (window);

  sign_in_by_keyboard (window);

  /* Two Stalls for cash: €100 for €90, held first with the button's
   * mnemonic (Alt+H). */
  pick_tickets (window, 2);
  assert_mnemonics_distinct (GTK_WIDGET (window));
  press (XK_h, (KeySym) XK_Alt_L, (KeySym) 0);
  g_assert_true (leap_test_wait_for (held, window, TIMEOUT_MS));
  pay (window, XK_F9, "100");
  g_assert_nonnull (strstr (leap_cart_view_get_hold_text (leap_window_get_cart_view (window)),
                            "Give €10.00 change."));

  /* The next sale: Ctrl+N, one Stalls with a click on its +, and Enter
   * holds it rather than pressing + again (issue 15, 3); then by card. */
  press (XK_n, (KeySym) XK_Control_L, (KeySym) 0);
  pick_tickets (window, 0);
  click (find_widget (GTK_WIDGET (window), is_plus_of_stalls));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (held, window, TIMEOUT_MS));
  g_assert_cmpuint (leap_cart_view_get_n_tickets (cart), ==, 1);
  pay (window, XK_F10, NULL);
}

/* Tickets of the keyboard show left, all tiers together, by the server. */
static gint64
available_now (void)
{
  g_autoptr(LeapClient) boss = leap_test_stack_sign_in (&world.stack, "boss");
  g_autofree char *path = g_strdup_printf ("/api/v1/events/%" G_GINT64_FORMAT "/availability",
                                           world.event_id);
  g_autoptr(JsonObject) root = leap_test_send_now (boss, "GET", path, NULL);
  JsonArray *tiers = json_object_get_array_member (root, "tiers");
  gint64 n = 0;

  for (guint i = 0; i < json_array_get_length (tiers); i++)
    n += json_object_get_int_member (json_array_get_object_element (tiers, i), "available");
  return n;
}

static gint64 available_while_held;
static KeySym quit_answer;       /* the key that answers the question */
static KeySym quit_answer_mod;

/* One Stalls held with Enter on its tier, then Ctrl+Q: the window asks
 * before it goes, and quit_answer answers. */
static void
quit_with_held_cart (LeapWindow *window)
{
  GtkWindow *dialog;
  g_autofree char *hold_id = NULL;

  sign_in_by_keyboard (window);
  pick_tickets (window, 1);
  press (XK_Return, (KeySym) 0);
  g_assert_true (leap_test_wait_for (held, window, TIMEOUT_MS));
  hold_id = g_strdup (leap_window_get_hold_id (window));
  available_while_held = available_now ();

  press (XK_q, (KeySym) XK_Control_L, (KeySym) 0);
  dialog = wait_window (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "keep"));
  g_assert_true (adw_message_dialog_has_response (ADW_MESSAGE_DIALOG (dialog), "release"));
  /* Nothing happened yet: the window and the hold are there. */
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_cmpstr (leap_window_get_hold_id (window), ==, hold_id);
  g_assert_cmpint (available_now (), ==, available_while_held);
  focus_when_shown (dialog);
  press (quit_answer, quit_answer_mod, (KeySym) 0);
}

typedef struct
{
  gboolean ran;
  void   (*run) (LeapWindow *window);
  gboolean quit;  /* whether the script ends the program itself */
} Script;

static gboolean
script_cb (gpointer user_data)
{
  Script *script = user_data;
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (world.app));

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  script->ran = TRUE;
  script->run (LEAP_WINDOW (window));
  if (script->quit)
    g_application_quit (G_APPLICATION (world.app));
  return G_SOURCE_REMOVE;
}

static gboolean
hung_cb (gpointer user_data)
{
  g_error ("The program did not end");
  return G_SOURCE_REMOVE;
}

/* Runs the box office as a program on the stack with @script. */
static void
run_program (Script     *script,
             const char *cache_name)
{
  g_autofree char *cache_path = g_build_filename (world.stack.dir, cache_name, NULL);
  char *argv[] = { "leap-boxoffice", "--server", world.stack.url, NULL };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  guint hung_id;

  /* Each run signs in afresh, its name not filled in from the last. */
  g_settings_reset (settings, "last-username");
  g_setenv ("LEAP_CACHE_DB", cache_path, TRUE);
  world.app = leap_application_new ();
  g_application_set_flags (G_APPLICATION (world.app), G_APPLICATION_NON_UNIQUE);
  g_timeout_add (50, script_cb, script);
  hung_id = g_timeout_add (4 * TIMEOUT_MS, hung_cb, NULL);
  g_assert_cmpint (g_application_run (G_APPLICATION (world.app), G_N_ELEMENTS (argv) - 1, argv), ==,
                   0);
  g_source_remove (hung_id);
  g_assert_true (script->ran);
  g_clear_object (&world.app);
}

static void
test_keyboard_sale (void)
{
  Script script = { FALSE, sell_by_keyboard, TRUE };

  if (world.skip != NULL || world.stack.skip != NULL)
    {
      g_test_skip (world.skip ? world.skip : world.stack.skip);
      return;
    }
  world.orders = g_ptr_array_new_with_free_func (g_free);
  run_program (&script, "cache-keyboard.db");

  g_assert_cmpuint (world.orders->len, ==, 2);
  leap_test_stack_assert_paid (&world.stack, g_ptr_array_index (world.orders, 0), 9000, "cash");
  leap_test_stack_assert_paid (&world.stack, g_ptr_array_index (world.orders, 1), 4500, "card");
  g_clear_pointer (&world.orders, g_ptr_array_unref);
}

/* Ctrl+Q with a held cart (issue 15, 8): the program ends only once the
 * cashier said what becomes of the tickets. Enter releases them: they are
 * back on sale. */
static void
test_keyboard_quit_release (void)
{
  Script script = { FALSE, quit_with_held_cart, FALSE };

  if (world.skip != NULL || world.stack.skip != NULL)
    {
      g_test_skip (world.skip ? world.skip : world.stack.skip);
      return;
    }
  quit_answer = XK_Return;
  quit_answer_mod = 0;
  run_program (&script, "cache-quit.db");
  g_assert_cmpint (available_now (), ==, available_while_held + 1);
}

/* Alt+K (Keep Held and Quit) keeps them held after the program ended. */
static void
test_keyboard_quit_keep (void)
{
  Script script = { FALSE, quit_with_held_cart, FALSE };

  if (world.skip != NULL || world.stack.skip != NULL)
    {
      g_test_skip (world.skip ? world.skip : world.stack.skip);
      return;
    }
  quit_answer = XK_k;
  quit_answer_mod = XK_Alt_L;
  run_program (&script, "cache-quit-keep.db");
  g_assert_cmpint (available_now (), ==, available_while_held);
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
  g_test_add_func ("/leap/keyboard/quit-release", test_keyboard_quit_release);
  g_test_add_func ("/leap/keyboard/quit-keep", test_keyboard_quit_keep);

  if (open_xtest () &&
      leap_test_stack_start (&world.stack, LEAP_TEST_STACK_WORKER, PASSWORD,
                             "cashier", "cashier", "kiosk-1", "kiosk", "boss", "admin", NULL))
    {
      leap_test_stack_start_worker (&world.stack, "test-keyboard", "--card-decline-rate", "0",
                                    NULL);
      world.event_id = leap_test_stack_make_event (&world.stack, "boss", EVENT_NAME,
                                                   "{\"name\": \"Stalls\", \"price\": 4500, "
                                                   "\"currency\": \"EUR\", \"capacity\": 200, "
                                                   "\"max_per_order\": 10}",
                                                   "{\"name\": \"Upper Circle\", \"price\": 3000, "
                                                   "\"currency\": \"EUR\", \"capacity\": 50, "
                                                   "\"max_per_order\": 10}", NULL);
      world.pdf = g_build_filename (world.stack.dir, "printed", "tickets.pdf", NULL);
      g_setenv ("LEAP_PRINT_TO_PDF", world.pdf, TRUE);
    }
  status = g_test_run ();
  leap_test_stack_stop (&world.stack);
  g_free (world.pdf);
  return status;
}
