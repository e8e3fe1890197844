/*
 * test-transport-s3.c: the s3 driver against a real Ceph RADOS Gateway
 * (started by s3.sh, see ceph.sh): the shared suite path-style,
 * virtual-hosted and over https; multipart uploads (parts in parallel,
 * read back identical, from an offset too); a listing of more than one
 * page; an interrupted multipart upload listed as a temporary and
 * aborted; object lock (retention set, remove refused); then failures:
 * a wrong secret, an unknown key, a missing bucket failing at once in one
 * line naming endpoint and bucket, an unverified certificate refused, and
 * through a fault-injecting proxy (s3proxy.py) 503, SlowDown and a stalled
 * answer retried to success, or given up on after the tries allowed.
 * Parts above 64 MiB are spooled to a file in $TMPDIR: a single PUT and a
 * multipart upload of such parts read back identical, the process's peak
 * memory does not grow by a part, a part resent after a 503 is read from
 * the file again, and an unusable $TMPDIR fails the put naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/sink.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/netcheck.h"
#include "tests/transport/suite.h"
#include "transports/transport.h"

static const char	*endpoint, *run;

static int
put_bytes(struct transport *t, const char *name, const uint8_t *p,
    size_t len, size_t step, char **cause)
{
	struct sink	*s;
	size_t		 off, n;
	int		 rc = -1;

	if ((s = transport_put(t, name, cause)) == NULL)
		return -1;
	for (off = 0; off < len; off += n) {
		n = len - off < step ? len - off : step;
		if (sink_write(s, p + off, n, cause) != 0)
			goto out;
	}
	rc = sink_finish(s, cause);
out:
	sink_free(s);
	return rc;
}

/* All of an object from offset on, compared with want: 1 if the same. */
static int
same_bytes(struct transport *t, const char *name, uint64_t offset,
    const uint8_t *want, size_t len, char **cause)
{
	struct transport_reader	*r;
	uint8_t			*buf = xmalloc(1 << 20);
	size_t			 got = 0;
	ssize_t			 n;
	int			 same = 1;

	if ((r = transport_get_from(t, name, offset, cause)) == NULL) {
		free(buf);
		return 0;
	}
	while ((n = transport_reader_read(r, buf, 1 << 20, cause)) > 0) {
		if (got + (size_t)n > len || memcmp(buf, want + got,
		    (size_t)n) != 0)
			same = 0;
		got += (size_t)n;
	}
	transport_reader_close(r);
	free(buf);
	return n == 0 && same && got == len;
}

/* The bytes of the spool checks, a function of the offset only. */
static void
pattern(uint8_t *p, size_t off, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(((off + i) * 2654435761u) >> 13);
}

/* Put len pattern bytes in 1 MiB writes: the test holds 1 MiB only. */
static int
put_pattern(struct transport *t, const char *name, size_t len, char **cause)
{
	struct sink	*s;
	uint8_t		*buf = xmalloc(1 << 20);
	size_t		 off, n;
	int		 rc = -1;

	if ((s = transport_put(t, name, cause)) == NULL)
		goto out;
	for (off = 0; off < len; off += n) {
		n = len - off < (1 << 20) ? len - off : (1 << 20);
		pattern(buf, off, n);
		if (sink_write(s, buf, n, cause) != 0)
			goto out;
	}
	rc = sink_finish(s, cause);
out:
	sink_free(s);
	free(buf);
	return rc;
}

/* 1 if the object holds exactly len pattern bytes. */
static int
same_pattern(struct transport *t, const char *name, size_t len, char **cause)
{
	struct transport_reader	*r;
	uint8_t			*buf = xmalloc(1 << 20), *want = xmalloc(1 << 20);
	size_t			 got = 0;
	ssize_t			 n;
	int			 same = 1;

	if ((r = transport_get(t, name, cause)) == NULL) {
		free(buf);
		free(want);
		return 0;
	}
	while ((n = transport_reader_read(r, buf, 1 << 20, cause)) > 0) {
		pattern(want, got, (size_t)n);
		if (got + (size_t)n > len || memcmp(buf, want, (size_t)n) != 0)
			same = 0;
		got += (size_t)n;
	}
	transport_reader_close(r);
	free(buf);
	free(want);
	return n == 0 && same && got == len;
}

/* The process's peak resident memory so far, KiB. */
static long
peak_kib(void)
{
	struct rusage	ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static struct transport *
open_ok(const char *url, const struct transport_options *o, const char *what)
{
	struct transport	*t;
	char			*cause = NULL;

	t = transport_open(url, o, &cause);
	tap_ok(t != NULL, "%s: opens: %s", what, cause ? cause : "ok");
	free(cause);
	return t;
}

static size_t
count_temporaries(struct transport *t)
{
	struct name_list	l;
	char			*cause = NULL;
	size_t			 n;

	if (transport_list_temporary(t, &l, &cause) != 0) {
		free(cause);
		return (size_t)-1;
	}
	n = l.count;
	name_list_clear(&l);
	return n;
}

/* Parts in parallel: 23 MiB + 5 bytes in 5 MiB parts, 3 at once. */
static void
check_multipart(const char *url, const struct transport_options *base)
{
	struct transport_options o = *base;
	struct transport	*t;
	struct sink		*s;
	char			*cause = NULL;
	size_t			 len = 23 * 1024 * 1024 + 5, i;
	uint8_t			*big = xmalloc(len);
	uint64_t		 size = 0;

	o.s3_part_mib = 5;
	o.s3_parallel = 3;
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)(i * 2654435761u >> 11);
	if ((t = open_ok(url, &o, "[multipart]")) == NULL)
		goto out;
	tap_ok(put_bytes(t, "multi.obj", big, len, 65537, &cause) == 0,
	    "[multipart] puts 23 MiB in 5 MiB parts, 3 at once: %s",
	    cause ? cause : "ok");
	tap_ok(transport_stat(t, "multi.obj", &size, &cause) == 0 &&
	    size == len, "[multipart] stat gives its size (%llu)",
	    (unsigned long long)size);
	tap_ok(same_bytes(t, "multi.obj", 0, big, len, &cause),
	    "[multipart] reads back identical");
	tap_ok(same_bytes(t, "multi.obj", 12345678, big + 12345678,
	    len - 12345678, &cause), "[multipart] reads from an offset on");
	tap_ok(count_temporaries(t) == 0,
	    "[multipart] no upload is left behind");
	free(cause);
	cause = NULL;
	tap_ok(put_bytes(t, "multi.obj", big, len, 1 << 20, &cause) != 0 &&
	    cause != NULL && strstr(cause, "exists") != NULL,
	    "[multipart] an existing name is not replaced (checked HEAD): %s",
	    cause ? cause : "replaced");
	free(cause);
	cause = NULL;
	tap_ok(count_temporaries(t) == 0,
	    "[multipart] ... and its upload is aborted");

	/* Interrupted: two parts sent, then the writer is dropped. */
	s = transport_put(t, "cut.obj", &cause);
	tap_ok(s != NULL && sink_write(s, big, 11 * 1024 * 1024, &cause) == 0,
	    "[multipart] starts an upload of parts");
	tap_ok(count_temporaries(t) == 1 &&
	    transport_stat(t, "cut.obj", &size, &cause) == 1,
	    "[multipart] an unfinished upload is a temporary, not an object");
	sink_free(s);
	tap_ok(count_temporaries(t) == 0,
	    "[multipart] an abandoned upload is aborted");
	transport_remove(t, "multi.obj", &cause);
	transport_close(t);
out:
	free(cause);
	free(big);
}

/* More objects than one ListObjectsV2 page (1000) holds. */
static void
check_many(const char *url, const struct transport_options *o)
{
	struct transport	*t;
	struct name_list	 l = { NULL, 0 };
	char			*cause = NULL, name[32];
	int			 i, ok = 1, sorted = 1;
	size_t			 j;

	if ((t = open_ok(url, o, "[many]")) == NULL)
		return;
	for (i = 0; i < 1234 && ok; i++) {
		snprintf(name, sizeof name, "obj-%05d", i);
		ok = put_bytes(t, name, (const uint8_t *)name, strlen(name), 64,
		    &cause) == 0;
	}
	tap_ok(ok, "[many] puts 1234 objects: %s", cause ? cause : "ok");
	ok = transport_list(t, &l, &cause) == 0 && l.count == 1234;
	tap_ok(ok, "[many] lists all 1234 (continuation tokens): %zu",
	    l.count);
	for (j = 1; j < l.count; j++)
		if (strcmp(l.entries[j - 1].name, l.entries[j].name) >= 0)
			sorted = 0;
	tap_ok(sorted && l.count > 0 && l.entries[0].size == 9,
	    "[many] sorted, with sizes");
	for (j = 0; j < l.count; j++)
		transport_remove(t, l.entries[j].name, &cause);
	name_list_clear(&l);
	tap_ok(transport_list(t, &l, &cause) == 0 && l.count == 0,
	    "[many] all removed");
	name_list_clear(&l);
	transport_close(t);
	free(cause);
}

/* Object lock: retention set on publishing, removal refused. */
static void
check_lock(const char *bucket, const struct transport_options *base)
{
	struct transport_options o = *base;
	struct transport	*t;
	char			*cause = NULL, *url;
	uint8_t			*big;
	size_t			 len = 6 * 1024 * 1024, i;
	uint64_t		 size;
	int			 rc;

	url = xasprintf("s3://%s/%s/lock", bucket, run);
	o.s3_lock_days = 1;
	o.s3_lock_mode = "GOVERNANCE";
	o.s3_part_mib = 5;
	big = xmalloc(len);
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)i;
	if ((t = open_ok(url, &o, "[lock]")) == NULL)
		goto out;
	tap_ok(put_bytes(t, "small.obj", (const uint8_t *)"locked", 6, 6,
	    &cause) == 0, "[lock] a single PUT with a retention: %s",
	    cause ? cause : "ok");
	tap_ok(put_bytes(t, "big.obj", big, len, 1 << 20, &cause) == 0,
	    "[lock] a multipart upload with a retention: %s",
	    cause ? cause : "ok");
	rc = transport_remove(t, "small.obj", &cause);
	tap_ok(rc == 1 && cause != NULL && strstr(cause, "object lock") !=
	    NULL, "[lock] removing a locked object is refused, kept: %s",
	    cause ? cause : "removed");
	free(cause);
	cause = NULL;
	rc = transport_remove(t, "big.obj", &cause);
	tap_ok(rc == 1 && transport_stat(t, "big.obj", &size, &cause) == 0 &&
	    size == len, "[lock] the multipart one too (RGW dropped no "
	    "retention): %s", cause ? cause : "removed");
	transport_close(t);
out:
	free(cause);
	free(big);
	free(url);
}

/* Through the fault proxy: its next answers are set by a control file. */
static void
check_faults(const char *bucket, const struct transport_options *base)
{
	struct transport_options o = *base;
	struct transport	*t;
	const char		*proxy = env("PROXY_ENDPOINT");
	const char		*control = env("PROXY_CONTROL");
	char			*cause = NULL, *url;
	double			 start, took;
	uint64_t		 size;
	FILE			*f;
	int			 ok;
	uint8_t			*big;
	size_t			 len = 11 * 1024 * 1024, i;

	o.s3_endpoint = proxy;
	o.idle_timeout = 2;
	o.retries = 4;
	o.s3_part_mib = 5;
	url = xasprintf("s3://%s/%s/faults", bucket, run);
	big = xmalloc(len);
	for (i = 0; i < len; i++)
		big[i] = (uint8_t)(i >> 3);
	if ((t = open_ok(url, &o, "[faults]")) == NULL)
		goto out;
#define FAULTS(s) do {						\
	if ((f = fopen(control, "w")) != NULL) {		\
		fputs(s, f);					\
		fclose(f);					\
	}							\
} while (0)
	FAULTS("503 slowdown 500\n");
	tap_ok(put_bytes(t, "retried.obj", (const uint8_t *)"x", 1, 1,
	    &cause) == 0, "[faults] 503, SlowDown and 500 are retried: %s",
	    cause ? cause : "ok");
	FAULTS("stall\n");
	start = now();
	ok = transport_stat(t, "retried.obj", &size, &cause) == 0 && size == 1;
	took = now() - start;
	tap_ok(ok && took >= 2, "[faults] a stalled answer times out (2 s) "
	    "and is retried (%.1f s): %s", took, cause ? cause : "ok");
	FAULTS("none none 503 none 503\n");
	tap_ok(put_bytes(t, "parts.obj", big, len, 1 << 20, &cause) == 0 &&
	    same_bytes(t, "parts.obj", 0, big, len, &cause),
	    "[faults] failed parts are sent again, the object is whole: %s",
	    cause ? cause : "ok");
	FAULTS("503 503 503 503 503 503\n");
	start = now();
	ok = transport_stat(t, "retried.obj", &size, &cause) == -1 &&
	    cause != NULL && strstr(cause, "503") != NULL &&
	    strstr(cause, "4 tries") != NULL;
	took = now() - start;
	tap_ok(ok && took >= 1.5, "[faults] a server that keeps failing is "
	    "given up on after 4 tries, with pauses (%.1f s): %s", took,
	    cause ? cause : "ok");
	free(cause);
	cause = NULL;
	FAULTS("\n");
	transport_remove(t, "retried.obj", &cause);
	transport_remove(t, "parts.obj", &cause);
	transport_close(t);
out:
	free(cause);
	free(big);
	free(url);
}

/*
 * Parts of 65 MiB, above S3_SPOOL_ABOVE (64 MiB): gathered in a spool
 * file. Run first, while the process's peak memory is small: a part held
 * in memory would raise it by 64 MiB or more.
 */
static void
check_spool(const char *url, const struct transport_options *base)
{
	struct transport_options o = *base;
	struct transport	*t;
	const char		*control = env("PROXY_CONTROL");
	char			*cause = NULL, *tmpdir, *old;
	size_t			 single = (64u << 20) + 3;
	size_t			 multi = (65u << 20) + (4u << 20) + 7;
	long			 before, grew;
	FILE			*f;
	char			 word[16];
	int			 ok;

	o.s3_part_mib = 65;
	o.s3_parallel = 2;
	if ((t = open_ok(url, &o, "[spool]")) == NULL)
		return;
	before = peak_kib();
	/* (Each result is had before tap_ok words the cause.) */
	ok = put_pattern(t, "single.obj", single, &cause) == 0 &&
	    same_pattern(t, "single.obj", single, &cause);
	tap_ok(ok, "[spool] a 64 MiB single PUT (65 MiB parts) reads back "
	    "identical: %s", cause ? cause : "ok");
	ok = put_pattern(t, "multi.obj", multi, &cause) == 0 &&
	    same_pattern(t, "multi.obj", multi, &cause);
	tap_ok(ok, "[spool] a multipart upload of 65 MiB parts, 2 at once, "
	    "reads back identical: %s", cause ? cause : "ok");
	grew = peak_kib() - before;
	/* (Sanitizers keep freed memory in quarantine: RSS says nothing.) */
	if (getenv("SANITIZED") != NULL && *getenv("SANITIZED") != '\0')
		tap_skip("[spool] peak memory", "peak RSS is not meaningful "
		    "under sanitizers");
	else
		tap_ok(grew < 32 * 1024, "[spool] peak memory grew by %ld KiB "
		    "(one part in memory: 65 MiB)", grew);
	transport_remove(t, "single.obj", &cause);
	transport_remove(t, "multi.obj", &cause);
	free(cause);
	cause = NULL;

	/* An unusable $TMPDIR: the put fails at once, naming it. */
	old = getenv("TMPDIR") != NULL ? xstrdup(getenv("TMPDIR")) : NULL;
	tmpdir = xasprintf("/nonexistent-%s", run);
	setenv("TMPDIR", tmpdir, 1);
	ok = put_pattern(t, "notmp.obj", 10, &cause) == -1;
	tap_ok(ok && cause != NULL && strstr(cause, tmpdir) != NULL &&
	    strstr(cause, "spool") != NULL, "[spool] a $TMPDIR that cannot hold the spool file "
	    "fails the put: %s", cause ? cause : "put");
	if (old != NULL)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");
	free(old);
	free(tmpdir);
	free(cause);
	cause = NULL;
	transport_close(t);

	/* Through the fault proxy: the PUT fails once, is sent again from
	   the spool file (CreateMultipartUpload, PUT 503, PUT). */
	o.s3_endpoint = env("PROXY_ENDPOINT");
	o.retries = 3;
	if ((t = open_ok(url, &o, "[spool faults]")) == NULL)
		return;
	if ((f = fopen(control, "w")) != NULL) {
		fputs("none 503\n", f);
		fclose(f);
	}
	ok = put_pattern(t, "again.obj", 3u << 20, &cause) == 0;
	/* Both faults were taken: the 503 was met. */
	if ((f = fopen(control, "r")) != NULL) {
		ok = ok && fscanf(f, "%15s", word) != 1;
		fclose(f);
	}
	ok = ok && same_pattern(t, "again.obj", 3u << 20, &cause);
	tap_ok(ok, "[spool faults] a spooled PUT answered 503 is sent again from its "
	    "file, whole: %s", cause ? cause : "ok");
	if ((f = fopen(control, "w")) != NULL)
		fclose(f);
	transport_remove(t, "again.obj", &cause);
	free(cause);
	transport_close(t);
}

int
main(void)
{
	struct transport_options o = { 0 }, bad;
	const char		*bucket, *lock_bucket;
	char			*url, *cause = NULL;

	endpoint = env("S3_ENDPOINT");
	bucket = env("S3_BUCKET");
	lock_bucket = env("S3_LOCK_BUCKET");
	run = env("RUN_ID");
	password = env("AWS_SECRET_ACCESS_KEY");
	o.connect_timeout = 5;
	o.idle_timeout = 20;
	o.s3_endpoint = endpoint;

	url = xasprintf("s3://%s/%s/spool", bucket, run);
	check_spool(url, &o);
	free(url);

	/* Path-style, a nested prefix. */
	url = xasprintf("s3://%s/%s/path/a", bucket, run);
	transport_suite_run(url, &o);
	check_multipart(url, &o);
	free(url);

	/* Virtual-hosted (bucket.localhost, rgw's dns name); a password for
	   the other drivers in the environment changes nothing. */
	setenv("FTP_PASSWORD", "not-for-s3", 1);
	bad = o;
	bad.s3_endpoint = env("S3_VHOST_ENDPOINT");
	bad.s3_virtual_hosted = 1;
	url = xasprintf("s3://%s/%s/vhost", bucket, run);
	transport_suite_run(url, &bad);
	free(url);
	unsetenv("FTP_PASSWORD");
	url = xasprintf("s3://user@%s/x", bucket);
	{
		struct transport *t = transport_open(url, &o, &cause);

		tap_ok(t == NULL && cause != NULL && strstr(cause, "takes no "
		    "user") != NULL, "[s3] a user in the URL is refused (keys "
		    "never in a URL): %s", cause ? cause : "opened");
		transport_close(t);
		free(cause);
		cause = NULL;
	}
	free(url);

	/* https, the certificate verified against the CA file. */
	bad = o;
	bad.s3_endpoint = env("S3_TLS_ENDPOINT");
	bad.ca_file = env("S3_CA_FILE");
	url = xasprintf("s3://%s/%s/tls", bucket, run);
	transport_suite_run(url, &bad);
	bad.ca_file = NULL;
	bad.retries = 1;
	{
		struct transport *t = transport_open(url, &bad, &cause);

		tap_ok(t == NULL && cause != NULL && strstr(cause,
		    "certificate") != NULL, "[s3 https] an unverified "
		    "certificate is refused: %s", cause ? cause : "opened");
		transport_close(t);
		free(cause);
		cause = NULL;
	}
	free(url);

	/* No prefix at all: the bucket's top. */
	url = xasprintf("s3://%s", env("S3_EMPTY_BUCKET"));
	transport_suite_run(url, &o);
	free(url);

	url = xasprintf("s3://%s/%s/many", bucket, run);
	check_many(url, &o);
	free(url);
	check_lock(lock_bucket, &o);
	check_faults(bucket, &o);

	/* Permanent failures: at once, one line with endpoint and bucket. */
	bad = o;
	bad.retries = 5;
	url = xasprintf("s3://no-such-bucket-%s/x", run);
	expect_open_failure("[s3] a missing bucket", url, &bad,
	    "no such bucket", 3);
	expect_no_retry("[s3] a missing bucket", url, &bad);
	free(url);
	url = xasprintf("s3://%s/%s", bucket, run);
	setenv("AWS_SECRET_ACCESS_KEY", "wrong-secret-wrong-secret", 1);
	expect_open_failure("[s3] a wrong secret key", url, &bad,
	    "SignatureDoesNotMatch", 3);
	expect_no_retry("[s3] a wrong secret key", url, &bad);
	setenv("AWS_SECRET_ACCESS_KEY", password, 1);
	setenv("AWS_ACCESS_KEY_ID", "NOSUCHKEY0123456789", 1);
	expect_open_failure("[s3] an unknown access key", url, &bad,
	    "InvalidAccessKeyId", 3);
	free(url);
	return tap_done();
}
