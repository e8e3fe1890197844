/*
 * netcheck.c: checks the network drivers' tests share (netcheck.h).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sink.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/netcheck.h"
#include "transports/transport.h"

const char	*password;
const char *
env(const char *name)
{
	const char	*v = getenv(name);

	if (v == NULL || *v == '\0') {
		printf("Bail out! %s is not set (run through net.sh)\n", name);
		exit(1);
	}
	return v;
}

char *
read_line(const char *path)
{
	char	 buf[256];
	FILE	*f = fopen(path, "r");

	if (f == NULL || fgets(buf, sizeof buf, f) == NULL) {
		printf("Bail out! cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return xstrdup(buf);
}

double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Open url and expect a failure: its message contains want (and never the
 * password), within max_seconds. Returns the elapsed time.
 */
double
expect_open_failure(const char *what, const char *url,
    const struct transport_options *o, const char *want, double max_seconds)
{
	struct transport	*t;
	char			*cause = NULL;
	double			 start = now(), elapsed;

	t = transport_open(url, o, &cause);
	elapsed = now() - start;
	tap_ok(t == NULL && cause != NULL && strstr(cause, want) != NULL &&
	    strstr(cause, "127.0.0.1") != NULL, "%s: %s", what,
	    cause ? cause : "(opened)");
	tap_ok(cause == NULL || strstr(cause, password) == NULL,
	    "%s: the password is not in the message", what);
	tap_ok(elapsed <= max_seconds, "%s: fails within %.0f s (%.2f s)",
	    what, max_seconds, elapsed);
	transport_close(t);
	free(cause);
	return elapsed;
}

/* A permanent failure is not retried: its message counts no tries. */
void
expect_no_retry(const char *what, const char *url,
    const struct transport_options *o)
{
	struct transport	*t;
	char			*cause = NULL;

	t = transport_open(url, o, &cause);
	tap_ok(t == NULL && cause != NULL && strstr(cause, "gave up") == NULL &&
	    strstr(cause, "tries") == NULL, "%s is not retried: %s", what,
	    cause != NULL ? cause : "(opened)");
	transport_close(t);
	free(cause);
}

/* Put must fail at once with want in the message (permission, etc.). */
void
expect_put_failure(const char *what, const char *url,
    const struct transport_options *o, const char *want)
{
	struct transport	*t;
	struct sink		*s = NULL;
	char			*cause = NULL;
	double			 start = now();

	t = transport_open(url, o, &cause);
	if (t != NULL)
		s = transport_put(t, "x.obj", &cause);
	if (s != NULL && sink_finish(s, &cause) == 0) {
		sink_free(s);
		s = NULL;
	}
	tap_ok(t != NULL && cause != NULL && strstr(cause, want) != NULL &&
	    strstr(cause, "tresor-denied") != NULL, "%s: %s", what,
	    cause ? cause :
	    "(written)");
	tap_ok(now() - start < 3, "%s: not retried (%.2f s)", what,
	    now() - start);
	sink_free(s);
	transport_close(t);
	free(cause);
}

void
check_connects(const char *what, const char *url,
    const struct transport_options *o)
{
	struct transport	*t;
	char			*cause = NULL;

	t = transport_open(url, o, &cause);
	tap_ok(t != NULL, "%s: %s", what, cause != NULL ? cause : "ok");
	transport_close(t);
	free(cause);
}

void
check_dir_made(const char *path, const char *what)
{
	struct stat	sb;

	tap_ok(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode), "%s", what);
}

/*
 * expect_open_failure for scheme://user@127.0.0.1:<$port_var>/path, what
 * being "[scheme] " and the check: the elapsed time.
 */
static double
expect_unreachable(const char *scheme, const char *user, const char *path,
    const char *port_var, const struct transport_options *o,
    const char *check, const char *want, double max_seconds)
{
	char	*url, *what;
	double	 elapsed;

	url = xasprintf("%s://%s@127.0.0.1:%s/%s", scheme, user,
	    env(port_var), path);
	what = xasprintf("[%s] %s", scheme, check);
	elapsed = expect_open_failure(what, url, o, want, max_seconds);
	free(what);
	free(url);
	return elapsed;
}

void
check_refused(const char *scheme, const char *user, const char *path,
    const struct transport_options *o)
{
	struct transport_options bad = *o;
	double			 elapsed;

	bad.retries = 3;
	elapsed = expect_unreachable(scheme, user, path, "DEAD_PORT", &bad,
	    "a refused connection is retried, then fails",
	    "gave up after 3 tries", 10);
	tap_ok(elapsed >= 0.7, "[%s] ... after backing off (%.2f s)", scheme,
	    elapsed);
}

void
check_silent(const char *scheme, const char *user, const char *path,
    const struct transport_options *o)
{
	struct transport_options bad = *o;
	double			 elapsed;

	bad.retries = 2;
	bad.idle_timeout = 1;
	elapsed = expect_unreachable(scheme, user, path, "SILENT_PORT", &bad,
	    "a silent server times out", "gave up after 2 tries", 20);
	tap_ok(elapsed >= 2, "[%s] ... after the idle timeout, twice "
	    "(%.2f s)", scheme, elapsed);
}

void
check_wrong_password(const char *tag, const char *url,
    const struct transport_options *o)
{
	char	*what;

	what = xasprintf("%s a wrong password fails at once", tag);
	expect_open_failure(what, url, o, "authentication failed", 20);
	free(what);
	what = xasprintf("%s a wrong password", tag);
	expect_no_retry(what, url, o);
	free(what);
}

/*
 * Kill a server's descendants (each connection has its own processes; the
 * listener survives): the links drop.
 */
int
cut_connections(long server)
{
	DIR		*d;
	struct dirent	*de;
	char		 path[300], buf[512], *p;
	FILE		*f;
	long		 pid[4096], ppid[4096], mark[4096];
	size_t		 n = 0, i, j, nmark = 1;
	int		 killed = 0;

	/* Every process and its parent. */
	if ((d = opendir("/proc")) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL && n < 4096) {
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof buf, f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %ld", &ppid[n]) == 1)
			pid[n++] = atol(de->d_name);
		fclose(f);
	}
	closedir(d);
	/* The server's descendants, parents before children. */
	mark[0] = server;
	for (i = 0; i < nmark; i++) {
		for (j = 0; j < n && nmark < 4096; j++)
			if (ppid[j] == mark[i])
				mark[nmark++] = pid[j];
	}
	for (i = 1; i < nmark; i++)
		if (kill((pid_t)mark[i], SIGKILL) == 0)
			killed++;
	return killed;
}

/* An upload whose connection is cut midway resumes, byte for byte. */
static void
touch_file(const char *dir, const char *name)
{
	char	*path = xasprintf("%s/%s", dir, name);
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs("x\n", f) == EOF || fclose(f) != 0)
		printf("# cannot create %s: %s\n", path, strerror(errno));
	free(path);
}

static void
remove_file(const char *dir, const char *name)
{
	char	*path = xasprintf("%s/%s", dir, name);

	unlink(path);
	free(path);
}

/*
 * Names as long as the server's file system allows (255 bytes on Linux,
 * ASCII and 3-byte UTF-8) beside a tresor object: a listing (made of
 * names only, no ls -l long entries) must still work and find the object.
 * Longer names (up to 765 bytes from NTFS or a Windows server) cannot be
 * made here; the driver's buffer holds any name libssh2 accepts.
 */
void
check_long_names(const char *tag, const char *url,
    const struct transport_options *o, const char *dir)
{
	struct transport	*t;
	struct name_list	 l = { NULL, 0 };
	char			 ascii[256], utf8[256], *cause = NULL;
	size_t			 i;
	int			 found = 0, rc = -1;

	memset(ascii, 'n', 255);
	ascii[255] = '\0';
	for (i = 0; i + 3 <= 255; i += 3)
		memcpy(utf8 + i, "\xe2\x82\xac", 3);	/* the euro sign */
	utf8[i] = '\0';
	touch_file(dir, ascii);
	touch_file(dir, utf8);
	touch_file(dir, "tresor.long-names.vol000001.gpg");
	if ((t = transport_open(url, o, &cause)) != NULL)
		rc = transport_list(t, &l, &cause);
	for (i = 0; rc == 0 && i < l.count; i++)
		if (strcmp(l.entries[i].name,
		    "tresor.long-names.vol000001.gpg") == 0)
			found = 1;
	tap_ok(rc == 0 && found, "[%s] a listing beside 255-byte names works: "
	    "%s", tag, cause != NULL ? cause : "ok");
	name_list_clear(&l);
	transport_close(t);
	free(cause);
	remove_file(dir, ascii);
	remove_file(dir, utf8);
	remove_file(dir, "tresor.long-names.vol000001.gpg");
}

void
check_resume(const char *url, const struct transport_options *o,
    const char *server)
{
	struct transport	*t;
	struct sink		*s = NULL;
	struct transport_reader	*r = NULL;
	char			*cause = NULL;
	uint8_t			*buf = xmalloc(1 << 20), *back = xmalloc(1 << 20);
	size_t			 i, part, got = 0;
	ssize_t			 n;
	int			 ok = 1, cut = 0;

	for (i = 0; i < (1 << 20); i++)
		buf[i] = (uint8_t)(i * 7 + i / 1000);
	t = transport_open(url, o, &cause);
	if (t != NULL)
		s = transport_put(t, "resumed.obj", &cause);
	for (part = 0; s != NULL && ok && part < 8; part++) {
		if (part == 4)
			cut = cut_connections(atol(env(server)));
		ok = sink_write(s, buf, 1 << 20, &cause) == 0;
	}
	ok = ok && s != NULL && sink_finish(s, &cause) == 0;
	tap_ok(ok && cut > 0, "[%s] an upload cut midway (%d server process(es) "
	    "killed) resumes and publishes: %s", url, cut, cause ? cause : "");
	sink_free(s);
	if (ok)
		r = transport_get(t, "resumed.obj", &cause);
	for (part = 0; r != NULL && ok; ) {
		n = transport_reader_read(r, back + got, (1 << 20) - got,
		    &cause);
		if (n <= 0) {
			ok = n == 0 && part == 8 && got == 0;
			break;
		}
		got += (size_t)n;
		if (got == 1 << 20) {
			ok = memcmp(back, buf, 1 << 20) == 0;
			part++;
			got = 0;
		}
	}
	tap_ok(ok && r != NULL, "[%s] the resumed object is identical (8 MiB)",
	    url);
	transport_reader_close(r);
	if (t != NULL)
		transport_remove(t, "resumed.obj", &cause);
	transport_close(t);
	free(cause);
	free(buf);
	free(back);
}

/*
 * An upload whose connection is cut midway fails with a message (no hang:
 * the idle timeout bounds it), and leaves neither an object nor a
 * temporary.
 */
void
check_cut(const char *url, const struct transport_options *o,
    const char *server)
{
	struct transport	*t;
	struct sink		*s = NULL;
	struct name_list	 l = { NULL, 0 }, tmp = { NULL, 0 };
	char			*cause = NULL;
	uint8_t			*buf = xcalloc(1, 1 << 20);
	int			 part, ok = 1, cut = 0;
	double			 start = now();

	t = transport_open(url, o, &cause);
	if (t != NULL)
		s = transport_put(t, "cut.obj", &cause);
	for (part = 0; s != NULL && ok && part < 8; part++) {
		if (part == 4)
			cut = cut_connections(atol(env(server)));
		ok = sink_write(s, buf, 1 << 20, &cause) == 0;
	}
	if (s != NULL && ok)
		ok = sink_finish(s, &cause) == 0;
	tap_ok(s != NULL && !ok && cut > 0 && cause != NULL &&
	    strstr(cause, "cut.obj") != NULL, "[%s] an upload cut midway "
	    "fails: %s", url, cause ? cause : "(it did not)");
	tap_ok(now() - start < 20, "[%s] ... within the idle timeout (%.1f s)",
	    url, now() - start);
	sink_free(s);
	free(cause);
	cause = NULL;
	tap_ok(t != NULL && transport_list(t, &l, &cause) == 0 &&
	    l.count == 0 && transport_list_temporary(t, &tmp, &cause) == 0 &&
	    tmp.count == 0, "[%s] ... and leaves no object and no temporary",
	    url);
	name_list_clear(&l);
	name_list_clear(&tmp);
	transport_close(t);
	free(cause);
	free(buf);
}
