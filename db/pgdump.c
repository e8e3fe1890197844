/*
 * pgdump.c: a PostgreSQL database as a backup source (see pgdump.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/argv.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "pgdump.h"

char *
pgdump_stored_path(const struct pgdump_options *o)
{
	if (o->path != NULL)
		return xstrdup(o->path);
	return xasprintf("%s/%s.pgdump", PGDUMP_DEFAULT_DIR, o->dbname);
}

int
pgdump_check_path(const char *path, char **cause)
{
	const char	*p = path, *end;
	size_t		 len;

	for (;;) {
		end = strchr(p, '/');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if (len == 0 || (len == 1 && p[0] == '.') || (len == 2 &&
		    p[0] == '.' && p[1] == '.'))
			return error_set(cause, "--pg-dump-path '%s' must be a "
			    "relative path without empty, '.' or '..' parts",
			    path);
		if (end == NULL)
			return 0;
		p = end + 1;
	}
}

int
pgdump_check(const struct pgdump_options *o, uint64_t *estimate,
    char **cause)
{
	PGconn		*conn = NULL;
	PGresult	*res = NULL;
	char		*tool = pg_tool(&o->pg, "pg_dump"), *server = NULL;
	char		 sv[16], cv[16];
	int		 client, rc = -1;

	if (pg_check_dbname(o->dbname, cause) != 0)
		goto out;
	if ((conn = pg_connect(&o->pg, o->dbname, cause)) == NULL)
		goto out;
	server = pg_server_name(&o->pg);
	if (pg_tool_major(tool, &client, cause) != 0)
		goto out;
	if (client < pg_server_major(conn)) {
		pg_format_major(client, cv);
		pg_format_major(pg_server_major(conn), sv);
		error_set(cause, "%s is version %s, older than %s (version %s): "
		    "pg_dump must be at least the server's major version (see "
		    "--pg-bindir)", tool, cv, server, sv);
		goto out;
	}
	res = pg_query(conn, "read the size of the database",
	    "SELECT pg_database_size(current_database())", 0, NULL, cause);
	if (res == NULL) {
		error_prefix(cause, "%s", server);
		goto out;
	}
	*estimate = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	rc = 0;
out:
	PQclear(res);
	PQfinish(conn);
	free(server);
	free(tool);
	return rc;
}

struct child *
pgdump_start(const struct pgdump_options *o, int *fd, char **cause)
{
	struct argv	 a = { NULL, 0 };
	struct child	*c;
	char		*tool = pg_tool(&o->pg, "pg_dump");

	argv_add(&a, "%s", tool);
	free(tool);
	argv_add(&a, "--format=custom");
	argv_add(&a, "--compress=0");
	pg_tool_connection_args(&a, &o->pg);
	argv_add(&a, "--");
	argv_add(&a, "%s", o->dbname);
	c = child_start(a.v, CHILD_READ_STDOUT, fd, cause);
	argv_free(&a);
	return c;
}
