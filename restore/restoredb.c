/*
 * restoredb.c: a dump from a backup into a new database (see restoredb.h).
 *
 * While the restore runs, the new database carries the comment
 * RESTOREDB_MARK "host H pid N", removed when it is complete. A run that
 * is stopped by a signal drops the database itself; one that is killed
 * (SIGKILL, power loss) cannot, and the next restore-db of that name
 * recognises the mark: if H is this host and N no longer runs, it drops
 * the half-made database with a warning and goes on; otherwise it refuses,
 * naming the run and telling the operator to drop it.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/argv.h"
#include "common/child.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "common/testpoint.h"
#include "common/xmalloc.h"
#include "db/pgdump.h"
#include "restoredb.h"

struct restoredb {
	const struct restoredb_options	*o;
	PGconn				*conn;	/* maintenance database */
	char				*server;
	struct child			*child;	/* pg_restore */
	int				 fd;	/* its stdin */
	int				 created;	/* and not complete */
	int				 dropped;
	char				*restore_cause;	/* pg_restore's */
};

#define RESTOREDB_MARK	"tresor restore-db in progress: "

/* Does the database exist? *mark: its restore-db mark, if it has one. */
static int
restoredb_exists(struct restoredb *d, int *exists, char **mark, char **cause)
{
	const char	*params[1] = { d->o->dbname };
	PGresult	*res;

	*mark = NULL;
	res = pg_query(d->conn, "look up the database",
	    "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
	    "WHERE datname = $1", 1, params, cause);
	if (res == NULL)
		return error_prefix(cause, "%s", d->server);
	*exists = PQntuples(res) > 0;
	if (*exists && !PQgetisnull(res, 0, 0) && strncmp(PQgetvalue(res, 0, 0),
	    RESTOREDB_MARK, strlen(RESTOREDB_MARK)) == 0)
		*mark = xstrdup(PQgetvalue(res, 0, 0) + strlen(RESTOREDB_MARK));
	PQclear(res);
	return 0;
}

static int
restoredb_exec(struct restoredb *d, const char *what, const char *sql,
    char **cause)
{
	PGresult	*res;

	if ((res = pg_query(d->conn, what, sql, 0, NULL, cause)) == NULL)
		return -1;
	PQclear(res);
	return 0;
}

/* Set (host and pid of this run) or clear the mark. */
static int
restoredb_mark(struct restoredb *d, int set, char **cause)
{
	char	 host[HOST_NAME_MAX + 1], *name, *text = NULL, *lit = NULL;
	char	*sql = NULL;
	int	 rc = -1;

	name = PQescapeIdentifier(d->conn, d->o->dbname, strlen(d->o->dbname));
	if (set) {
		if (gethostname(host, sizeof host) != 0)
			snprintf(host, sizeof host, "?");
		host[sizeof host - 1] = '\0';
		text = xasprintf(RESTOREDB_MARK "host %s pid %ld", host,
		    (long)getpid());
		lit = PQescapeLiteral(d->conn, text, strlen(text));
	}
	if (name == NULL || (set && lit == NULL)) {
		error_set(cause, "unable to quote a name for %s", d->server);
		goto out;
	}
	sql = xasprintf("COMMENT ON DATABASE %s IS %s", name, set ? lit :
	    "NULL");
	rc = restoredb_exec(d, set ? "mark the database as being restored" :
	    "clear the database's restore mark", sql, cause);
out:
	PQfreemem(name);
	PQfreemem(lit);
	free(text);
	free(sql);
	return rc;
}

/*
 * A database marked by an earlier restore-db: drop it if that run was on
 * this host and is gone, else refuse.
 */
static int
restoredb_leftover(struct restoredb *d, const char *mark, char **cause)
{
	char	 host[HOST_NAME_MAX + 1], other[HOST_NAME_MAX + 1];
	char	*name, *sql;
	long	 pid;
	int	 rc;

	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	if (sscanf(mark, "host %64s pid %ld", other, &pid) != 2 ||
	    strcmp(other, host) != 0 || pid <= 0 || kill((pid_t)pid, 0) == 0 ||
	    errno != ESRCH)
		return error_set(cause, "database '%s' on %s is being restored "
		    "by another restore-db (%s), or was left half-made by it: "
		    "if that run is gone, drop the database and try again",
		    d->o->dbname, d->server, mark);
	log_warn("dropping database '%s' on %s, left half-restored by a "
	    "restore-db that was killed (pid %ld)", d->o->dbname, d->server,
	    pid);
	if ((name = PQescapeIdentifier(d->conn, d->o->dbname,
	    strlen(d->o->dbname))) == NULL)
		return error_set(cause, "unable to quote a name for %s",
		    d->server);
	/* Its pg_restore may not have noticed yet: FORCE (13 and later). */
	sql = xasprintf("DROP DATABASE %s%s", name,
	    PQserverVersion(d->conn) >= 130000 ? " WITH (FORCE)" : "");
	rc = restoredb_exec(d, "drop the half-restored database", sql, cause);
	PQfreemem(name);
	free(sql);
	return rc;
}

/* CREATE DATABASE, names and the locale quoted by libpq. */
static int
restoredb_create(struct restoredb *d, char **cause)
{
	const struct restoredb_options	*o = d->o;
	char				*name, *owner = NULL, *locale = NULL;
	char				*sql = NULL, *what;
	int				 rc = -1;

	name = PQescapeIdentifier(d->conn, o->dbname, strlen(o->dbname));
	if (o->owner != NULL)
		owner = PQescapeIdentifier(d->conn, o->owner,
		    strlen(o->owner));
	if (o->locale != NULL)
		locale = PQescapeLiteral(d->conn, o->locale,
		    strlen(o->locale));
	if (name == NULL || (o->owner != NULL && owner == NULL) ||
	    (o->locale != NULL && locale == NULL)) {
		error_set(cause, "unable to quote a name for %s", d->server);
		goto out;
	}
	sql = xasprintf("CREATE DATABASE %s TEMPLATE template0 ENCODING "
	    "'UTF8'%s%s%s%s", name, locale != NULL ? " LOCALE " : "",
	    locale != NULL ? locale : "", owner != NULL ? " OWNER " : "",
	    owner != NULL ? owner : "");
	what = xasprintf("create database '%s' on %s", o->dbname, d->server);
	rc = restoredb_exec(d, what, sql, cause);
	free(what);
	if (rc != 0 && o->locale != NULL && *cause != NULL &&
	    strstr(*cause, "locale") != NULL) {
		what = *cause;
		*cause = NULL;
		error_set(cause, "%s (is locale '%s' installed on the server's "
		    "host? see locale -a)", what, o->locale);
		free(what);
	}
	if (rc == 0) {
		d->created = 1;
		rc = restoredb_mark(d, 1, cause);
	}
out:
	PQfreemem(name);
	PQfreemem(owner);
	PQfreemem(locale);
	free(sql);
	return rc;
}

static void
restoredb_drop(struct restoredb *d)
{
	char	*name, *sql, *cause = NULL;

	name = PQescapeIdentifier(d->conn, d->o->dbname, strlen(d->o->dbname));
	if (name == NULL)
		return;
	sql = xasprintf("DROP DATABASE IF EXISTS %s", name);
	if (restoredb_exec(d, "drop the half-restored database", sql,
	    &cause) != 0) {
		log_warn("%s", cause);
		free(cause);
	} else {
		d->created = 0;
		d->dropped = 1;
	}
	PQfreemem(name);
	free(sql);
}

static int
restoredb_open(void *arg, const struct entry *e, char **cause)
{
	struct restoredb		*d = arg;
	const struct restoredb_options	*o = d->o;
	struct argv			 a = { NULL, 0 };
	char				*tool = pg_tool(&o->pg, "pg_restore");

	(void)e;
	if (interrupt_check(cause) != 0 || restoredb_create(d, cause) != 0)
		goto out;
	testpoint("restoredb-created");
	if (interrupt_check(cause) != 0)
		goto out;
	argv_add(&a, "%s", tool);
	argv_add(&a, "--exit-on-error");
	pg_tool_connection_args(&a, &o->pg);
	argv_add(&a, "--dbname=%s", o->dbname);
	d->child = child_start(a.v, CHILD_WRITE_STDIN, &d->fd, cause);
out:
	argv_free(&a);
	free(tool);
	return d->child != NULL ? d->fd : -1;
}

static int
restoredb_close(void *arg, int ok, char **cause)
{
	struct restoredb	*d = arg;
	int			 rc = ok ? 0 : -1;

	if (d->fd != -1)
		close(d->fd);	/* pg_restore sees the end of the dump */
	d->fd = -1;
	/*
	 * Wait for pg_restore even after a failure: if it died first, its
	 * message says why our writes failed.
	 */
	if (d->child != NULL && child_finish(d->child, NULL,
	    &d->restore_cause) != 0) {
		rc = -1;
		if (ok)
			error_set(cause, "%s", d->restore_cause);
	}
	d->child = NULL;
	/* Complete: the mark goes (or the database, if it cannot). */
	if (rc == 0 && d->created && restoredb_mark(d, 0, cause) != 0)
		rc = -1;
	if (rc != 0 && d->created)
		restoredb_drop(d);
	else if (rc == 0)
		d->created = 0;		/* complete: it stays */
	return rc;
}

/* A query with one parameter whose answer is one boolean: 1, 0 or -1. */
static int
restoredb_ask(struct restoredb *d, const char *what, const char *sql,
    const char *param, char **cause)
{
	const char	*params[1] = { param };
	PGresult	*res;
	int		 yes;

	if ((res = pg_query(d->conn, what, sql, param != NULL, params,
	    cause)) == NULL)
		return error_prefix(cause, "%s", d->server);
	yes = PQntuples(res) > 0 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return yes;
}

/*
 * Can the server make a database with this locale? CREATE DATABASE would
 * say so only once it runs; a collation in a transaction that is rolled
 * back asks the same of the server's host (its C library) and leaves
 * nothing behind.
 */
static int
restoredb_check_locale(struct restoredb *d, char **cause)
{
	const char	*locale = d->o->locale;
	char		*lit, *sql, *error = NULL;
	int		 rc;

	if ((lit = PQescapeLiteral(d->conn, locale, strlen(locale))) == NULL)
		return error_set(cause, "unable to quote a name for %s",
		    d->server);
	sql = xasprintf("CREATE COLLATION pg_temp.tresor_locale_check "
	    "(locale = %s)", lit);
	rc = restoredb_exec(d, "begin a transaction", "BEGIN", cause);
	if (rc == 0) {
		rc = restoredb_exec(d, "create a collation with it", sql,
		    &error);
		if (restoredb_exec(d, "roll back", "ROLLBACK", cause) != 0)
			rc = -1;
	}
	if (error != NULL) {
		error_set(cause, "locale '%s' is not available on %s: %s "
		    "(install it on the server's host, see locale -a, or give "
		    "--locale)", locale, d->server, error);
		free(error);
	}
	PQfreemem(lit);
	free(sql);
	return rc;
}

/*
 * What check and run both do first, before anything is created: start d
 * for dbo, check the name and pg_restore's version, connect to the
 * maintenance database and see whether the target database exists (and
 * whether an earlier run of ours left it, *mark). Returns EXIT_OK, or the
 * exit code with *cause set; the caller releases d.
 */
static int
restoredb_open_checks(struct restoredb *d, const struct restoredb_options *dbo,
    const char *tool, int *exists, char **mark, char **cause)
{
	int	major;

	memset(d, 0, sizeof *d);
	d->o = dbo;
	d->fd = -1;
	d->server = pg_server_name(&dbo->pg);
	*exists = 0;
	*mark = NULL;
	if (pg_check_dbname(dbo->dbname, cause) != 0)
		return EXIT_USAGE;
	if (pg_tool_major(tool, &major, cause) != 0)
		return EXIT_FAILURE_;
	if ((d->conn = pg_connect(&dbo->pg, RESTOREDB_MAINTENANCE_DB,
	    cause)) == NULL)
		return EXIT_FAILURE_;
	if (restoredb_exists(d, exists, mark, cause) != 0)
		return EXIT_FAILURE_;
	return EXIT_OK;
}

int
restoredb_check(const struct restoredb_options *dbo, char **cause)
{
	struct restoredb	 d;
	char			*tool = pg_tool(&dbo->pg, "pg_restore");
	char			*mark = NULL;
	int			 exists, yes, rc;

	if ((rc = restoredb_open_checks(&d, dbo, tool, &exists, &mark,
	    cause)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	if (exists) {
		error_set(cause, "database '%s' already exists on %s%s: drop it "
		    "first, or choose another name", dbo->dbname, d.server,
		    mark != NULL ? " (left half-restored by an earlier run)" :
		    "");
		goto out;
	}
	yes = restoredb_ask(&d, "look up the user's privileges",
	    "SELECT rolsuper OR rolcreatedb FROM pg_roles "
	    "WHERE rolname = current_user", NULL, cause);
	if (yes == -1)
		goto out;
	if (!yes) {
		error_set(cause, "the user connecting to %s may not create "
		    "databases (it needs CREATEDB): see --pg-user", d.server);
		goto out;
	}
	if (dbo->owner != NULL) {
		yes = restoredb_ask(&d, "look up the owner",
		    "SELECT true FROM pg_roles WHERE rolname = $1",
		    dbo->owner, cause);
		if (yes == -1)
			goto out;
		if (!yes) {
			error_set(cause, "role '%s', the owner asked for, does "
			    "not exist on %s", dbo->owner, d.server);
			goto out;
		}
	}
	if (dbo->locale != NULL && restoredb_check_locale(&d, cause) != 0)
		goto out;
	rc = EXIT_OK;
out:
	PQfinish(d.conn);
	free(mark);
	free(d.server);
	free(tool);
	return rc;
}

int
restoredb_run(struct restore_options *o, const struct restoredb_options *dbo,
    char **cause)
{
	struct restoredb	 d;
	struct restore_output	 out = { restoredb_open, restoredb_close, &d,
				     "restore-db", 1, NULL };
	char			*tool = pg_tool(&dbo->pg, "pg_restore");
	char			*mark = NULL;
	int			 exists, rc;

	struct pgdump_options	 which = { .dbname = dbo->dump_dbname,
				     .path = dbo->dump_path };
	char			*path;

	/* Which dump: named, the original database's, or the only one. */
	if (which.path != NULL || which.dbname != NULL)
		path = pgdump_stored_path(&which);
	else
		path = xstrdup(PGDUMP_DEFAULT_DIR);
	o->paths = &path;
	o->npaths = 1;
	/* pg_restore gone: the write fails with EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	/* Everything that can fail early fails before anything is created. */
	if ((rc = restoredb_open_checks(&d, dbo, tool, &exists, &mark,
	    cause)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	if (exists && mark != NULL) {
		if (restoredb_leftover(&d, mark, cause) != 0)
			goto out;
		exists = 0;
	}
	if (exists) {
		error_set(cause, "database '%s' already exists on %s: "
		    "restore-db only creates new databases (drop it, or choose "
		    "another --dbname)", dbo->dbname, d.server);
		goto out;
	}
	o->output = &out;
	rc = restore_run(o, cause);
	o->output = NULL;
	if (rc == EXIT_OK && !o->quiet)
		printf("restore-db: database '%s' on %s restored\n",
		    dbo->dbname, d.server);
out:
	if (d.child != NULL || d.created)
		restoredb_close(&d, 0, NULL);
	/* Our write failed because pg_restore had stopped: say why. */
	if (rc != EXIT_OK && d.restore_cause != NULL && *cause != NULL &&
	    strstr(*cause, strerror(EPIPE)) != NULL) {
		free(*cause);
		*cause = NULL;
		error_set(cause, "%s", d.restore_cause);
	}
	if (rc != EXIT_OK && d.dropped)
		error_prefix(cause, "database '%s' was dropped again",
		    dbo->dbname);
	else if (rc != EXIT_OK && d.created)
		error_prefix(cause, "database '%s' was left half-restored",
		    dbo->dbname);
	PQfinish(d.conn);
	free(mark);
	free(d.restore_cause);
	free(d.server);
	free(tool);
	free(path);
	o->paths = NULL;
	o->npaths = 0;
	return rc;
}
