/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _LeapApplication   LeapApplication;
typedef struct _LeapOfflineCache  LeapOfflineCache;
typedef struct _LeapCartView      LeapCartView;
typedef struct _LeapCheckout      LeapCheckout;
typedef struct _LeapCheckInView   LeapCheckInView;
typedef struct _LeapClient        LeapClient;
typedef struct _LeapEventList     LeapEventList;
typedef struct _LeapEventPage     LeapEventPage;
typedef struct _LeapEventRow      LeapEventRow;
typedef struct _LeapOrder         LeapOrder;
typedef struct _LeapOrdersView    LeapOrdersView;
typedef struct _LeapPaymentDialog LeapPaymentDialog;
typedef struct _LeapSale          LeapSale;
typedef struct _LeapShiftView     LeapShiftView;
typedef struct _LeapSignInDialog  LeapSignInDialog;
typedef struct _LeapTicketPrinter LeapTicketPrinter;
typedef struct _LeapTierTile      LeapTierTile;
typedef struct _LeapWindow        LeapWindow;

/* What the client last learnt about the server. */
typedef enum
{
  LEAP_CONNECTION_UNKNOWN,
  LEAP_CONNECTION_ONLINE,
  LEAP_CONNECTION_OFFLINE,
} LeapConnection;

/* Whether the server took an order whose payment is not settled. */
typedef enum
{
  LEAP_PLACED_NO,     /* it did not: nothing was charged */
  LEAP_PLACED_MAYBE,  /* a request left and no answer came back: it may have */
  LEAP_PLACED_YES,    /* it said so: the order must never be charged again */
} LeapPlaced;

G_END_DECLS
