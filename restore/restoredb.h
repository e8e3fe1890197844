/*
 * restoredb.h: a database dump from a backup into a new database. The
 * dump streams from the volumes into pg_restore with no file on disk
 * (a delta-stored dump needs its base as a scratch file, see restore.h).
 *
 * The database must not exist: it is created from template0 (with the
 * locale and owner asked for), and dropped again if anything fails (a
 * signal included), so a database under that name is a complete restore.
 * Only a killed run (SIGKILL) cannot drop it: the database carries a
 * comment naming the run until it is complete, and the next restore-db
 * of that name drops it if that run was on this host and is gone, or
 * refuses with a line saying to drop it (see restoredb.c).
 */
#ifndef TRESOR_RESTOREDB_H
#define TRESOR_RESTOREDB_H

#include "db/pg.h"
#include "restore.h"

/* The maintenance database restore-db connects to for CREATE DATABASE. */
#define RESTOREDB_MAINTENANCE_DB	"postgres"

struct restoredb_options {
	struct pg_options	 pg;
	const char		*dbname;	/* the new database */
	const char		*locale;	/* NULL: the cluster's default */
	const char		*owner;		/* NULL: the connecting user */
	/*
	 * Which dump: its stored path, else the backed-up database's
	 * name (its default path), else the only dump in the set.
	 */
	const char		*dump_path;
	const char		*dump_dbname;
};

/*
 * Everything restoredb_run would find wrong before it creates anything,
 * checked without creating anything, for a caller that has other work to
 * do first (recover-from-backup): the name, pg_restore, the server, that
 * the database does not exist (one left by a killed run included), that
 * the user may create databases, that the owner exists and the server's
 * host has the locale. An exit code; one line in *cause.
 */
int	restoredb_check(const struct restoredb_options *, char **cause);

/* o->paths is set from the options (the caller leaves it empty). */
int	restoredb_run(struct restore_options *o,
	    const struct restoredb_options *, char **cause);

#endif
