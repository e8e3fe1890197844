/*
 * pg.h: what the PostgreSQL source (pg_dump) and restore-db share: how to
 * reach the server, with libpq for checks and with pg_dump/pg_restore for
 * data.
 *
 * Passwords are never taken as an option: libpq and the pg tools read
 * PGPASSWORD or ~/.pgpass (PGPASSFILE) themselves, so a password is in no
 * argv, no log line and no message. Database names that libpq would expand
 * as connection strings ("x=y", "postgresql://...") are refused for the
 * same reason.
 */
#ifndef TRESOR_PG_H
#define TRESOR_PG_H

#include <libpq-fe.h>

struct argv;

struct pg_options {
	const char	*host;		/* NULL: PGHOST or the default socket */
	const char	*port;		/* NULL: PGPORT or 5432 */
	const char	*user;		/* NULL: PGUSER or the login name */
	const char	*bindir;	/* pg_dump, pg_restore; NULL: PATH */
};

/* A plain database name (not a connection string). */
int	 pg_check_dbname(const char *, char **cause);
/* "PostgreSQL at HOST:PORT" (from the options or libpq's environment). */
char	*pg_server_name(const struct pg_options *);
/* Connect to dbname; on failure one line naming the server and why. */
PGconn	*pg_connect(const struct pg_options *, const char *dbname,
	    char **cause);
/* Run a query expecting tuples or a command result; one line on error. */
PGresult *pg_query(PGconn *, const char *what, const char *sql,
	    int nparams, const char *const *params, char **cause);
/* The major version as PostgreSQL numbers it: 1500 for 15, 906 for 9.6. */
int	 pg_server_major(PGconn *);
/* Run TOOL --version and read its major version; fails if it cannot run. */
int	 pg_tool_major(const char *tool, int *major, char **cause);
/* Print a major version ("15", "9.6") into buf[16]. */
void	 pg_format_major(int major, char buf[16]);
/* The path of a pg tool: BINDIR/NAME, or NAME to look up in PATH. */
char	*pg_tool(const struct pg_options *, const char *name);
/* A pg tool's connection arguments: never prompt; host, port, user if set. */
void	 pg_tool_connection_args(struct argv *, const struct pg_options *);

#endif
