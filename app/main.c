/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "leap-config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "leap-application.h"
#include "leap-timings.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(LeapApplication) app = NULL;

  leap_timings_mark ("main", "%s", "");
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = leap_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
