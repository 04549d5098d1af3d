/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* A real PostgreSQL 15 server (Debian's postgresql-15) on a free loopback
 * port, its data and its Unix socket in a temporary folder. PostgreSQL
 * refuses to run as root: run by root (as CI does), the server runs as the
 * "postgres" account the package creates. Trust authentication on
 * loopback, for the role "leap" (a superuser). */
typedef struct
{
  GSubprocess *process; /* the postmaster */
  char        *dir;     /* data/ and the socket */
  guint16      port;
} LeapTestPg;

void     leap_test_pg_start     (LeapTestPg *pg);
void     leap_test_pg_start_copy (LeapTestPg *pg,
                                  LeapTestPg *copy,
                                  gboolean    standby);
void     leap_test_pg_stop      (LeapTestPg *pg);
void     leap_test_pg_kill      (LeapTestPg *pg);
void     leap_test_pg_restart   (LeapTestPg *pg);
void     leap_test_pg_clear     (LeapTestPg *pg);
char    *leap_test_pg_url       (LeapTestPg *pg,
                                 const char *database);
char    *leap_test_pg_create_db (LeapTestPg *pg);
char    *leap_test_pg_copy_db   (LeapTestPg *pg,
                                 const char *template_url);
char    *leap_test_pg_query     (const char *url,
                                 const char *sql);
void     leap_test_pg_exec      (const char *url,
                                 const char *sql);

G_END_DECLS
