/*
 * pg.c: reaching PostgreSQL (see pg.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/argv.h"
#include "common/child.h"
#include "common/error.h"
#include "common/log.h"
#include "pg.h"
#include "common/xmalloc.h"

/* Seconds libpq waits for a server before giving up. */
#define PG_CONNECT_TIMEOUT	"10"

int
pg_check_dbname(const char *name, char **cause)
{
	if (name == NULL || *name == '\0')
		return error_set(cause, "no database name given");
	if (strchr(name, '=') != NULL || strncmp(name, "postgres://", 11) == 0 ||
	    strncmp(name, "postgresql://", 13) == 0)
		return error_set(cause, "the database name is a connection "
		    "string (not shown, it may hold a password): give a plain "
		    "name, --pg-host, --pg-port and --pg-user, and the password "
		    "in PGPASSWORD or ~/.pgpass");
	return 0;
}

static const char *
pg_setting(const char *value, const char *env)
{
	const char	*v = value;

	if (v == NULL || *v == '\0')
		v = getenv(env);
	return v != NULL && *v != '\0' ? v : NULL;
}

char *
pg_server_name(const struct pg_options *o)
{
	const char	*host = pg_setting(o->host, "PGHOST");
	const char	*port = pg_setting(o->port, "PGPORT");

	return xasprintf("PostgreSQL at %s:%s", host != NULL ? host :
	    "the local socket", port != NULL ? port : "5432");
}

/* libpq's message, first line, whitespace squeezed. */
static char *
pg_message(const char *msg)
{
	char	*out = xmalloc(strlen(msg) + 1), *q;
	size_t	 n = 0;
	int	 space = 0;

	for (; *msg != '\0' && *msg != '\n'; msg++) {
		if (isspace((unsigned char)*msg)) {
			space = 1;
			continue;
		}
		if (space && n > 0)
			out[n++] = ' ';
		space = 0;
		out[n++] = *msg;
	}
	out[n] = '\0';
	q = log_quote(out);
	free(out);
	return q;
}

PGconn *
pg_connect(const struct pg_options *o, const char *dbname, char **cause)
{
	const char	*keys[8], *values[8];
	char		*server, *msg;
	PGconn		*conn;
	int		 n = 0;

	if (o->host != NULL) {
		keys[n] = "host";
		values[n++] = o->host;
	}
	if (o->port != NULL) {
		keys[n] = "port";
		values[n++] = o->port;
	}
	if (o->user != NULL) {
		keys[n] = "user";
		values[n++] = o->user;
	}
	keys[n] = "dbname";
	values[n++] = dbname;
	keys[n] = "connect_timeout";
	values[n++] = PG_CONNECT_TIMEOUT;
	keys[n] = "application_name";
	values[n++] = "tresor";
	keys[n] = NULL;
	values[n] = NULL;
	/* expand_dbname 0: the name is a name, never a connection string. */
	conn = PQconnectdbParams(keys, values, 0);
	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return conn;
	server = pg_server_name(o);
	if (conn == NULL) {
		error_set(cause, "unable to connect to %s: out of memory",
		    server);
	} else if (PQconnectionNeedsPassword(conn)) {
		error_set(cause, "%s wants a password for database '%s': put it "
		    "in PGPASSWORD or ~/.pgpass", server, dbname);
	} else {
		msg = pg_message(PQerrorMessage(conn));
		error_set(cause, "unable to connect to database '%s' on %s: %s",
		    dbname, server, msg);
		free(msg);
	}
	free(server);
	PQfinish(conn);
	return NULL;
}

PGresult *
pg_query(PGconn *conn, const char *what, const char *sql, int nparams,
    const char *const *params, char **cause)
{
	PGresult	*res;
	char		*msg;

	res = PQexecParams(conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (res != NULL && (PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK))
		return res;
	msg = pg_message(res != NULL ? PQresultErrorMessage(res) :
	    PQerrorMessage(conn));
	error_set(cause, "unable to %s: %s", what, msg);
	free(msg);
	PQclear(res);
	return NULL;
}

/* 150018 -> 1500, 90624 -> 906. */
static int
pg_major_of(int version_num)
{
	return version_num >= 100000 ? version_num / 10000 * 100 :
	    version_num / 100;
}

int
pg_server_major(PGconn *conn)
{
	return pg_major_of(PQserverVersion(conn));
}

void
pg_format_major(int major, char buf[16])
{
	if (major >= 1000)
		snprintf(buf, 16, "%d", major / 100);
	else
		snprintf(buf, 16, "%d.%d", major / 100, major % 100);
}

char *
pg_tool(const struct pg_options *o, const char *name)
{
	if (o->bindir != NULL && *o->bindir != '\0')
		return xasprintf("%s/%s", o->bindir, name);
	return xstrdup(name);
}

void
pg_tool_connection_args(struct argv *a, const struct pg_options *o)
{
	/* Never prompt: the password comes from PGPASSWORD or ~/.pgpass. */
	argv_add(a, "--no-password");
	if (o->host != NULL)
		argv_add(a, "--host=%s", o->host);
	if (o->port != NULL)
		argv_add(a, "--port=%s", o->port);
	if (o->user != NULL)
		argv_add(a, "--username=%s", o->user);
}

int
pg_tool_major(const char *tool, int *major, char **cause)
{
	char		*argv[] = { (char *)tool, (char *)"--version", NULL };
	struct child	*c;
	char		*out = NULL, *p, *q;
	long		 a, b = 0;
	int		 fd, rc = -1;

	if ((c = child_start(argv, CHILD_NO_PIPE, &fd, cause)) == NULL)
		return -1;
	if (child_finish(c, &out, cause) != 0)
		goto out;
	/* "pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)" */
	p = strstr(out, ") ");
	if (p == NULL || !isdigit((unsigned char)p[2]))
		goto bad;
	a = strtol(p + 2, &q, 10);
	if (*q == '.' && a < 10)
		b = strtol(q + 1, NULL, 10);
	if (a < 7 || a > 1000 || b < 0 || b > 99)
		goto bad;
	*major = (int)(a * 100 + (a < 10 ? b : 0));
	rc = 0;
	goto out;
bad:
	p = log_quote(strtok(out, "\n") != NULL ? out : "");
	error_set(cause, "unable to read the version of %s from '%s'", tool, p);
	free(p);
out:
	free(out);
	return rc;
}
