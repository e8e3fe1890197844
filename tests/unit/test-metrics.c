/*
 * test-metrics.c: the Prometheus textfile (backupd/metrics.c): its exact
 * contents line by line, mode 0644 whatever the umask, a round trip (with
 * NaN and infinities), reading a missing file (zeroes) and malformed ones
 * (a cause naming the file), failures (a read-only directory, a missing
 * one, a directory where the file should be) each giving one line naming
 * the path and the errno text and leaving no temporary, and atomicity: a
 * reader polling while another process rewrites the file 2000 times
 * parses every version completely.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backupd/metrics.h"
#include "common/xmalloc.h"
#include "tests/tap.h"

#define WRITES	2000

static char	tmpdir[] = "/tmp/tresor-test-metrics.XXXXXX";

/* Version i of the metrics: every field derived from i. */
static struct metrics
sample(unsigned i)
{
	struct metrics	m;

	memset(&m, 0, sizeof m);
	m.last_start_time = 1795569825 + (time_t)i;
	m.last_end_time = m.last_start_time + 100 + (time_t)i;
	m.last_duration = 100.25 + i;
	m.last_success = (int)(i % 2);
	m.last_size = (uint64_t)i * 1000003;
	m.last_volumes = i;
	m.last_data_size = (uint64_t)i * 7 + 1;
	m.bytes_uploaded = (uint64_t)i << 33;
	m.sets = (uint64_t)i + 1;
	m.chain_age_seconds = i * 0.5;
	m.deadline_exceeded = i % 3 == 0;
	return m;
}

static int
same(const struct metrics *a, const struct metrics *b)
{
	return a->last_start_time == b->last_start_time &&
	    a->last_end_time == b->last_end_time &&
	    a->last_duration == b->last_duration &&
	    a->last_success == b->last_success &&
	    a->last_size == b->last_size &&
	    a->last_volumes == b->last_volumes &&
	    a->last_data_size == b->last_data_size &&
	    a->bytes_uploaded == b->bytes_uploaded && a->sets == b->sets &&
	    a->chain_age_seconds == b->chain_age_seconds &&
	    a->deadline_exceeded == b->deadline_exceeded;
}

/* Entries in dir (but . and ..), names joined into names. */
static int
entries(const char *dir, char *names, size_t size)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	names[0] = '\0';
	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strlen(names) + strlen(de->d_name) + 2 < size) {
			strcat(names, " ");
			strcat(names, de->d_name);
		}
	}
	closedir(d);
	return n;
}

static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf = xmalloc(65536);
	size_t	 n = 0;

	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, 65535, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
put(const char *path, const char *text)
{
	FILE	*f = fopen(path, "w");

	if (f != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
remove_entry(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	chmod(path, 0700);
	return remove(path);
}

/* The exact text, three lines a metric, each line on its own. */
static void
test_contents(void)
{
	static const struct {
		const char	*name;
		const char	*type;
		const char	*value;
	} want[] = {
		{ "backup_last_start_time", "gauge", "1795569825" },
		{ "backup_last_end_time", "gauge", "1795573425" },
		{ "backup_last_duration", "gauge", "3600.25" },
		{ "backup_last_success", "gauge", "1" },
		{ "backup_last_size", "gauge", "123456789" },
		{ "backup_last_volumes", "gauge", "3" },
		{ "backup_last_data_size", "gauge", "987654321" },
		{ "backup_bytes_uploaded", "counter", "18446744073709551615" },
		{ "backup_sets", "gauge", "7" },
		{ "backup_chain_age_seconds", "gauge", "5184000" },
		{ "backup_deadline_exceeded", "gauge", "0" },
	};
	struct metrics	 m;
	struct stat	 sb;
	char		*path, *text, *line, *save = NULL, *lines[64];
	char		*cause = NULL, expect[256], names[256];
	size_t		 i, n = 0;
	int		 rc, ok;

	memset(&m, 0, sizeof m);
	m.last_start_time = 1795569825;
	m.last_end_time = 1795573425;
	m.last_duration = 3600.25;
	m.last_success = 1;
	m.last_size = 123456789;
	m.last_volumes = 3;
	m.last_data_size = 987654321;
	m.bytes_uploaded = UINT64_MAX;
	m.sets = 7;
	m.chain_age_seconds = 5184000;
	m.deadline_exceeded = 0;

	path = xasprintf("%s/backup.prom", tmpdir);
	umask(077);
	rc = metrics_write(path, &m, &cause);
	umask(022);
	tap_ok(rc == 0, "metrics_write: %s", cause ? cause : "ok");
	memset(&sb, 0, sizeof sb);
	rc = stat(path, &sb);
	tap_ok(rc == 0 && (sb.st_mode & 0777) == 0644,
	    "the file is 0644 under umask 077 (%o)",
	    (unsigned)sb.st_mode & 0777);
	tap_ok(entries(tmpdir, names, sizeof names) == 1,
	    "no temporary is left beside it:%s", names);
	text = slurp(path);
	tap_ok(strlen(text) > 0 && text[strlen(text) - 1] == '\n' &&
	    strstr(text, "\n\n") == NULL, "it ends with a newline and has no "
	    "blank lines");
	for (line = strtok_r(text, "\n", &save); line != NULL && n < 64;
	    line = strtok_r(NULL, "\n", &save))
		lines[n++] = line;
	tap_ok(n == 3 * (sizeof want / sizeof want[0]), "%zu lines: HELP, "
	    "TYPE and a sample for each of the 11 metrics", n);
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		ok = 3 * i + 2 < n;
		snprintf(expect, sizeof expect, "# HELP %s ", want[i].name);
		ok = ok && strncmp(lines[3 * i], expect, strlen(expect)) == 0 &&
		    strlen(lines[3 * i]) > strlen(expect) + 10;
		snprintf(expect, sizeof expect, "# TYPE %s %s", want[i].name,
		    want[i].type);
		ok = ok && strcmp(lines[3 * i + 1], expect) == 0;
		snprintf(expect, sizeof expect, "%s %s", want[i].name,
		    want[i].value);
		ok = ok && strcmp(lines[3 * i + 2], expect) == 0;
		tap_ok(ok, "%s: '# HELP %s ...', '# TYPE %s %s', '%s'",
		    want[i].name, want[i].name, want[i].name, want[i].type,
		    expect);
	}
	free(text);
	free(cause);
	free(path);
}

static void
test_round_trip(void)
{
	struct metrics	 m, got;
	char		*path, *cause = NULL;
	int		 rc;

	path = xasprintf("%s/backup.prom", tmpdir);
	m = sample(1234);
	m.last_duration = 0.1;
	m.chain_age_seconds = 1.0 / 3;
	rc = metrics_write(path, &m, &cause) == 0 &&
	    metrics_read(path, &got, &cause) == 0;
	tap_ok(rc && same(&m, &got), "a round trip gives the same values "
	    "(0.1 and 1/3 exactly) %s", cause ? cause : "");

	m = sample(7);
	m.last_start_time = -5;
	m.last_duration = NAN;
	m.chain_age_seconds = -INFINITY;
	rc = metrics_write(path, &m, &cause) == 0 &&
	    metrics_read(path, &got, &cause) == 0;
	tap_ok(rc && isnan(got.last_duration) && isinf(got.chain_age_seconds) &&
	    got.chain_age_seconds < 0 && got.last_start_time == -5 &&
	    got.sets == 8, "NaN, -Inf and a negative time survive a round "
	    "trip, replacing the old file %s", cause ? cause : "");
	m.chain_age_seconds = INFINITY;
	rc = metrics_write(path, &m, &cause) == 0 &&
	    metrics_read(path, &got, &cause) == 0;
	tap_ok(rc && isinf(got.chain_age_seconds) && got.chain_age_seconds > 0,
	    "+Inf too");
	free(cause);
	free(path);
}

static void
bad_file(const char *text, const char *why)
{
	struct metrics	 m;
	char		*path, *cause = NULL;
	int		 rc;

	path = xasprintf("%s/bad.prom", tmpdir);
	put(path, text);
	m.sets = 99;
	rc = metrics_read(path, &m, &cause);
	tap_ok(rc == -1 && cause != NULL && strstr(cause, path) != NULL &&
	    strstr(cause, why) != NULL && strchr(cause, '\n') == NULL &&
	    m.sets == 0, "malformed (%s): %s", why, cause ? cause : "accepted");
	unlink(path);
	free(cause);
	free(path);
}

static void
test_read(void)
{
	struct metrics	 m, good = sample(5);
	char		*path, *cause = NULL, *orig, *text, *p;

	path = xasprintf("%s/none.prom", tmpdir);
	memset(&m, 0xff, sizeof m);
	tap_ok(metrics_read(path, &m, &cause) == 0 && m.sets == 0 &&
	    m.last_start_time == 0 && m.bytes_uploaded == 0 &&
	    m.last_duration == 0, "a missing file reads as zeroes");
	free(path);

	path = xasprintf("%s/good.prom", tmpdir);
	metrics_write(path, &good, NULL);
	orig = slurp(path);
	unlink(path);

	bad_file("garbage\n", "line 1: no value");
	bad_file("", "backup_last_start_time is missing");
	text = xstrdup(orig);
	text[strlen(text) - 1] = '\0';
	bad_file(text, "cut short");
	/* Cut right after a sample's newline: a metric is missing. */
	*strstr(text, "# HELP backup_deadline_exceeded") = '\0';
	bad_file(text, "backup_deadline_exceeded is missing");
	free(text);

	p = xasprintf("%sbackup_sets 1\n", orig);
	bad_file(p, "line 34: backup_sets appears twice");
	free(p);
	p = xasprintf("%.*sbackup_sets -1\n%s", (int)(strstr(orig,
	    "\nbackup_sets ") + 1 - orig), orig, strstr(orig, "# HELP "
	    "backup_chain_age_seconds"));
	bad_file(p, "bad value for backup_sets");
	free(p);
	p = xasprintf("%.*sbackup_last_success 1x\n%s", (int)(strstr(orig,
	    "\nbackup_last_success ") + 1 - orig), orig, strstr(orig,
	    "# HELP backup_last_size"));
	bad_file(p, "bad value for backup_last_success");
	free(p);

	p = xasprintf("# a comment\n\nnode_other{a=\"b\"} 3\n%s", orig);
	put(path, p);
	tap_ok(metrics_read(path, &m, &cause) == 0 && same(&m, &good),
	    "comments, blank lines and other metrics are skipped %s",
	    cause ? cause : "");
	free(p);
	free(orig);
	unlink(path);
	free(path);
	free(cause);
}

/*
 * A failing write in dir (a child, unprivileged if we are root): -1, one
 * line naming path and the errno text, and dir as it was.
 */
static void
fail_in(const char *what, const char *dir, const char *path, int error,
    int drop)
{
	char	 buf[1024], before[256], after[256];
	int	 fd[2], status, nbefore, nafter;
	ssize_t	 n, len = 0;
	pid_t	 pid;

	nbefore = entries(dir, before, sizeof before);
	if (pipe(fd) == -1 || (pid = fork()) == -1) {
		tap_ok(0, "%s: pipe or fork failed", what);
		return;
	}
	if (pid == 0) {
		struct metrics	 m = sample(1);
		char		*cause = NULL;
		int		 rc;

		close(fd[0]);
		if (drop && geteuid() == 0 && (setgroups(0, NULL) != 0 ||
		    setgid(65534) != 0 || setuid(65534) != 0))
			_exit(2);
		rc = metrics_write(path, &m, &cause);
		if (cause != NULL &&
		    write(fd[1], cause, strlen(cause)) == -1)
			_exit(3);
		_exit(rc == -1 ? 0 : 1);
	}
	close(fd[1]);
	while (len < (ssize_t)sizeof buf - 1 &&
	    (n = read(fd[0], buf + len, sizeof buf - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	nafter = entries(dir, after, sizeof after);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    strchr(buf, '\n') == NULL && strstr(buf, path) != NULL &&
	    strstr(buf, strerror(error)) != NULL, "%s: one line naming the "
	    "path and '%s': %s", what, strerror(error), buf);
	tap_ok(nafter == nbefore && strcmp(before, after) == 0,
	    "%s: no temporary is left (%d entries:%s)", what, nafter, after);
}

static void
test_failures(void)
{
	char	*ro, *path, *missing, *isdir;

	/* The test directory must be reachable for nobody. */
	chmod(tmpdir, 0755);
	ro = xasprintf("%s/ro", tmpdir);
	mkdir(ro, 0555);
	chmod(ro, 0555);
	path = xasprintf("%s/backup.prom", ro);
	fail_in("a read-only directory", ro, path, EACCES, 1);
	free(path);

	missing = xasprintf("%s/missing/backup.prom", tmpdir);
	fail_in("a missing directory", tmpdir, missing, ENOENT, 0);
	free(missing);

	isdir = xasprintf("%s/adir", tmpdir);
	mkdir(isdir, 0755);
	fail_in("a directory in the file's place", tmpdir, isdir, EISDIR, 0);
	free(isdir);
	free(ro);
}

/* A reader polls while a child rewrites the file WRITES times. */
static void
test_atomic(void)
{
	struct metrics	 m, want = sample(0);
	char		*path, *cause = NULL, *failure = NULL, names[256];
	unsigned	 last = 0, versions = 0, i;
	long		 reads = 0, bad = 0;
	int		 status, done = 0;
	pid_t		 pid;

	path = xasprintf("%s/atomic.prom", tmpdir);
	if (metrics_write(path, &want, &cause) != 0) {
		tap_ok(0, "atomicity: first write: %s", cause);
		free(cause);
		free(path);
		return;
	}
	if ((pid = fork()) == -1) {
		tap_ok(0, "atomicity: fork failed");
		free(path);
		return;
	}
	if (pid == 0) {
		for (i = 1; i <= WRITES; i++) {
			m = sample(i);
			if (metrics_write(path, &m, &cause) != 0) {
				fprintf(stderr, "%s\n", cause);
				_exit(1);
			}
		}
		_exit(0);
	}
	while (!done) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		reads++;
		if (metrics_read(path, &m, &cause) != 0) {
			if (bad++ == 0)
				failure = cause;
			else
				free(cause);
			cause = NULL;
			continue;
		}
		i = (unsigned)m.last_volumes;
		want = sample(i);
		if (!same(&m, &want) || i < last) {
			if (bad++ == 0)
				failure = xasprintf("read %ld: an inconsistent "
				    "or older version %u after %u", reads, i,
				    last);
			continue;
		}
		if (i != last || versions == 0)
			versions++;
		last = i;
	}
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "atomicity: the writer wrote %d versions", WRITES);
	tap_ok(bad == 0 && last == WRITES, "atomicity: %ld reads during the "
	    "writes all parsed completely and consistently (%u versions seen, "
	    "the last %u) %s", reads, versions, last, failure ? failure : "");
	tap_ok(entries(tmpdir, names, sizeof names) >= 0 &&
	    strstr(names, ".atomic.prom.") == NULL,
	    "atomicity: no temporary is left:%s", names);
	free(failure);
	free(path);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	test_contents();
	test_round_trip();
	test_read();
	test_failures();
	test_atomic();
	nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
