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

G_END_DECLS
