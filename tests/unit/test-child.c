/*
 * test-child.c: helper programs as stream stages (common/child.c) and the
 * pieces of db/pg.c that need no server: exit statuses and signals
 * become one-line causes quoting the child's error line, both pipe
 * directions carry data, a pg tool's version is read from what it prints,
 * and connection strings are refused as database names without echoing
 * them. (tests/integration/postgres.sh covers a real server.)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/child.h"
#include "common/io.h"
#include "db/pg.h"
#include "tests/tap.h"

static char	tmpdir[] = "/tmp/tresor-test-child.XXXXXX";

static void
finish_says(const char *script, const char *want)
{
	char		*argv[] = { (char *)"sh", (char *)"-c", (char *)script,
			    NULL };
	struct child	*c;
	char		*cause = NULL;
	int		 fd, rc = 0;

	c = child_start(argv, CHILD_NO_PIPE, &fd, &cause);
	if (c != NULL)
		rc = child_finish(c, NULL, &cause);
	tap_ok(c != NULL && rc == -1 && cause != NULL && strstr(cause, want) !=
	    NULL && strchr(cause, '\n') == NULL, "'%s' fails with '%s' (%s)",
	    script, want, cause != NULL ? cause : "no cause");
	free(cause);
}

static void
test_statuses(void)
{
	char		*argv[] = { (char *)"sh", (char *)"-c",
			    (char *)"echo hello; echo warning >&2", NULL };
	struct child	*c;
	char		*cause = NULL, *out = NULL;
	int		 fd;

	c = child_start(argv, CHILD_NO_PIPE, &fd, &cause);
	tap_ok(c != NULL && fd == -1 && child_finish(c, &out, &cause) == 0 &&
	    out != NULL && strcmp(out, "hello\nwarning\n") == 0,
	    "exit 0 is success, and its output is kept");
	free(out);
	finish_says("echo 'pg_dump: warning: x' >&2; echo 'pg_dump: error: "
	    "query failed' >&2; exit 1",
	    "sh exited with status 1: pg_dump: error: query failed");
	finish_says("echo 'just this' >&2; exit 3",
	    "sh exited with status 3: just this");
	finish_says("kill -KILL $$", "sh was killed by signal 9");
	finish_says("printf 'bad \\001 byte\\n' >&2; exit 2",
	    "bad \\x01 byte");
	argv[0] = (char *)"/nonexistent/pg_dump";
	c = child_start(argv, CHILD_NO_PIPE, &fd, &cause);
	if (c == NULL)
		tap_ok(cause != NULL && strstr(cause, "/nonexistent/pg_dump") !=
		    NULL, "a missing program is named: %s",
		    cause != NULL ? cause : "(no cause)");
	else {
		/*
		 * POSIX lets posix_spawn report a failed exec only as the
		 * child's exit status 127; glibc reports it at once, but not
		 * under valgrind (make check-valgrind), whose fork stands in
		 * for glibc's vfork. Then the program is named when it ends.
		 */
		int	rc = child_finish(c, NULL, &cause);

		tap_ok(rc != 0 && cause != NULL && strstr(cause, "pg_dump "
		    "exited with status 127") != NULL, "a missing program is "
		    "named: %s", cause != NULL ? cause : "(no cause)");
	}
	free(cause);
}

static void
test_pipes(void)
{
	char		*reader[] = { (char *)"sh", (char *)"-c",
			    (char *)"head -c 3000000 /dev/zero", NULL };
	char		 path[128], buf[65536];
	char		*writer[] = { (char *)"sh", (char *)"-c", NULL, NULL };
	char		*script, *cause = NULL;
	struct child	*c;
	ssize_t		 n;
	size_t		 total = 0;
	int		 fd, ok = 1;

	c = child_start(reader, CHILD_READ_STDOUT, &fd, &cause);
	while (c != NULL && (n = read(fd, buf, sizeof buf)) > 0) {
		total += (size_t)n;
		ok &= memchr(buf, 1, (size_t)n) == NULL;
	}
	if (c != NULL)
		close(fd);
	tap_ok(c != NULL && ok && total == 3000000 && child_finish(c, NULL,
	    &cause) == 0, "reading a child's stdout: %zu bytes", total);
	snprintf(path, sizeof path, "%s/written", tmpdir);
	if (asprintf(&script, "cat > '%s'", path) == -1)
		abort();
	writer[2] = script;
	c = child_start(writer, CHILD_WRITE_STDIN, &fd, &cause);
	memset(buf, 'x', sizeof buf);
	ok = c != NULL && io_write_all(fd, buf, sizeof buf) == 0;
	if (c != NULL)
		close(fd);
	tap_ok(ok && child_finish(c, NULL, &cause) == 0 && access(path, F_OK)
	    == 0, "writing a child's stdin");
	free(script);
	unlink(path);
}

static void
tool_version(const char *printed, int want)
{
	char	path[128], *cause = NULL;
	FILE	*f;
	int	major = -1, rc;

	snprintf(path, sizeof path, "%s/pg_dump", tmpdir);
	f = fopen(path, "w");
	fprintf(f, "#!/bin/sh\necho '%s'\n", printed);
	fclose(f);
	chmod(path, 0755);
	rc = pg_tool_major(path, &major, &cause);
	if (want >= 0)
		tap_ok(rc == 0 && major == want, "'%s' is major %d (got %d)",
		    printed, want, major);
	else
		tap_ok(rc == -1 && cause != NULL && strstr(cause, "version") !=
		    NULL, "'%s' is refused: %s", printed, cause ? cause : "");
	free(cause);
	unlink(path);
}

static void
test_pg(void)
{
	static const char *const bad[] = { "host=db password=S3cret",
	    "postgresql://u:S3cret@db/app", "postgres://u:S3cret@db/app" };
	char		 buf[16];
	char		*cause = NULL;
	struct pg_options o = { NULL, NULL, NULL, "/opt/pg/bin" };
	size_t		 i;
	int		 rc;

	tool_version("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)",
	    1500);
	tool_version("pg_dump (PostgreSQL) 9.6.24", 906);
	tool_version("pg_dump (PostgreSQL) 17devel", 1700);
	tool_version("something else", -1);
	pg_format_major(1500, buf);
	tap_ok(strcmp(buf, "15") == 0, "1500 prints as 15");
	pg_format_major(906, buf);
	tap_ok(strcmp(buf, "9.6") == 0, "906 prints as 9.6");
	tap_ok(pg_check_dbname("ecs", &cause) == 0, "a plain name is fine");
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		rc = pg_check_dbname(bad[i], &cause);
		tap_ok(rc == -1 && cause != NULL &&
		    strstr(cause, "S3cret") == NULL, "a connection string is "
		    "refused without echoing it: %s", cause ? cause : "");
		free(cause);
		cause = NULL;
	}
	cause = pg_tool(&o, "pg_restore");
	tap_ok(strcmp(cause, "/opt/pg/bin/pg_restore") == 0, "--pg-bindir");
	free(cause);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_statuses();
	test_pipes();
	test_pg();
	rmdir(tmpdir);
	return tap_done();
}
