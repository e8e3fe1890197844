/*
 * test-repo-errors.c: repo/ under failure. A file:// target whose driver
 * table is replaced, operation by operation, by one that fails (a fake
 * transport: the failure a network or a full disk would give), and objects
 * altered on the target: every failure is one line naming the object and
 * the target; a missing object is called missing, a short or altered one
 * corrupt; the lock is refused, reported or taken over as its holder
 * deserves; nothing is left behind that looks complete. The local cache
 * refuses a second run on its target and a directory recorded for another
 * URL, and names a url or lock file it cannot write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/manifest.h"
#include "format/record.h"
#include "repo/cache.h"
#include "repo/catalog.h"
#include "repo/lock.h"
#include "repo/manifests.h"
#include "repo/target.h"
#include "repo/volume.h"
#include "repo/object.h"
#include "repo/retention.h"
#include "repo/signatures.h"
#include "transports/transport.h"
#include "transports/transport.intern.h"
#include "tests/tap.h"

#define HEX0 "0000000000000000000000000000000000000000000000000000000000000000"
static char			 dir[] = "/tmp/tresor-test-repo.XXXXXX";
static struct transport_ops	 fake;
static const struct transport_ops *real;

/* The fake driver: each operation fails while its switch is on. */
static int	fail_put, fail_get, fail_stat, fail_remove, race_put, fail_list;

static void	write_object(const char *, const void *, size_t);

static struct sink *
fake_put(struct transport *t, const char *name, char **cause)
{
	if (race_put) {
		/* Another run publishes its lock first: ours is refused. */
		static const char other[] = "tresor-lock 1\nhost racer.invalid"
		    "\npid 7\ntime 2027-01-15T08:00:00Z\nop backup\n";

		write_object(name, other, sizeof other - 1);
		race_put = 0;
		error_set(cause, "'%s' exists in %s", name,
		    transport_display(t));
		return NULL;
	}
	if (fail_put) {
		errno = ENOSPC;
		error_sys(cause, "unable to write '%s' to %s", name,
		    transport_display(t));
		return NULL;
	}
	return real->put(t, name, cause);
}

static struct transport_reader *
fake_get(struct transport *t, const char *name, uint64_t off, char **cause)
{
	if (fail_get) {
		error_set(cause, "unable to read '%s' from %s: connection "
		    "reset", name, transport_display(t));
		return NULL;
	}
	return real->get(t, name, off, cause);
}

static int
fake_stat(struct transport *t, const char *name, uint64_t *size, char **cause)
{
	if (fail_stat)
		return error_set(cause, "unable to stat '%s' in %s: timeout",
		    name, transport_display(t));
	return real->stat(t, name, size, cause);
}

static int
fake_list(struct transport *t, struct name_list *names, char **cause)
{
	if (fail_list)
		return error_set(cause, "unable to list %s: connection "
		    "refused", transport_display(t));
	return real->list(t, names, cause);
}

static int
fake_remove(struct transport *t, const char *name, char **cause)
{
	if (fail_remove)
		return error_set(cause, "unable to remove '%s' from %s: "
		    "permission denied", name, transport_display(t));
	return real->remove(t, name, cause);
}

/* Where object_read's plaintext goes: counted, dropped. */
struct count_sink {
	struct sink	sink;
	uint64_t	bytes;
};

static int
count_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	(void)buf;
	(void)cause;
	((struct count_sink *)s)->bytes += len;
	return 0;
}

static int
count_finish(struct sink *s, char **cause)
{
	(void)s;
	(void)cause;
	return 0;
}

static void
count_free(struct sink *s)
{
	(void)s;	/* on the test's stack */
}

static const struct sink_ops count_ops = { "count", count_write,
	count_finish, count_free };

static void
write_object(const char *name, const void *data, size_t len)
{
	char	*p = xasprintf("%s/%s", dir, name);
	int	 fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd != -1) {
		if (write(fd, data, len) != (ssize_t)len)
			tap_diag("short write to %s", p);
		close(fd);
	}
	free(p);
}

/* rc is nonzero and *cause one line holding `what` (then freed). */
static int
says(int rc, char **cause, const char *what, const char *desc)
{
	int	ok = rc != 0 && *cause != NULL && strstr(*cause, what) !=
		    NULL && strchr(*cause, '\n') == NULL;

	tap_ok(ok, "%s: %s", desc, *cause != NULL ? *cause : "(no error)");
	free(*cause);
	*cause = NULL;
	return ok;
}

static void
test_objects(struct transport *t, struct crypto *c)
{
	struct object_writer	*w;
	struct count_sink	 ms = { { &count_ops }, 0 };
	uint8_t			 digest[HASH_LEN], other[HASH_LEN];
	uint64_t		 size = 0, sz;
	char			*cause = NULL, data[100000];
	struct stat		 st;
	char			*path;
	int			 rc;

	memset(data, 'd', sizeof data);
	/* A put the target refuses: named, and no writer. */
	fail_put = 1;
	w = object_writer_new(t, c, "tresor.obj1", 1, &cause);
	says(w == NULL, &cause, "No space left on device",
	    "a put the target refuses is named");
	fail_put = 0;

	/* A good object, then read back through each failure. */
	cause = NULL;
	w = object_writer_new(t, c, "tresor.obj1", 1, &cause);
	rc = w == NULL || sink_write(object_writer_sink(w), data, sizeof data,
	    &cause) != 0 || object_writer_finish(w, &size, digest, &cause) != 0;
	object_writer_free(w);
	tap_ok(rc == 0 && size > 0, "an object is stored (%llu bytes)",
	    (unsigned long long)size);
	free(cause);
	cause = NULL;
	tap_ok(object_verify(t, "tresor.obj1", size, digest, &cause) == 0,
	    "it verifies");
	free(cause);
	cause = NULL;

	says(object_verify(t, "tresor.none", size, digest, &cause), &cause,
	    "object 'tresor.none' is missing from file://", "a missing object "
	    "is called missing");
	cause = NULL;
	says(object_verify(t, "tresor.obj1", size + 1, digest, &cause), &cause,
	    "is corrupt", "a size that differs is corruption");
	cause = NULL;
	memcpy(other, digest, HASH_LEN);
	other[0] ^= 1;
	says(object_verify(t, "tresor.obj1", size, other, &cause), &cause,
	    "is corrupt: sha256", "a hash that differs is corruption");
	cause = NULL;
	fail_stat = 1;
	says(object_verify(t, "tresor.obj1", size, digest, &cause), &cause,
	    "timeout", "a failing stat is the target's failure, not damage");
	fail_stat = 0;
	cause = NULL;
	fail_get = 1;
	says(object_verify(t, "tresor.obj1", size, digest, &cause), &cause,
	    "connection reset", "a failing read is the target's failure");
	cause = NULL;
	says(object_read(t, c, "tresor.obj1", &size, digest, &ms.sink, &cause),
	    &cause, "connection reset", "... also when reading the content");
	fail_get = 0;

	/* Read with the wrong expected size: says so, before anything. */
	cause = NULL;
	sz = size + 10;
	says(object_read(t, c, "tresor.obj1", &sz, digest, &ms.sink, &cause),
	    &cause, "bytes stored", "reading an object of another size says so");

	/* object_fetch into a directory that is not there: named, no temp. */
	cause = NULL;
	says(object_fetch(t, c, "tresor.obj1", &size, digest,
	    "/nonexistent/dir/copy", &cause), &cause,
	    "unable to write '/nonexistent/dir/copy.tmp'",
	    "a fetch whose copy cannot be written names it");
	/* A fetch into a path that is a directory: rename fails, no temp. */
	cause = NULL;
	path = xasprintf("%s-copy", dir);
	mkdir(path, 0700);
	says(object_fetch(t, c, "tresor.obj1", &size, digest, path, &cause),
	    &cause, "unable to write", "a fetch onto a directory is refused, "
	    "naming it");
	{
		char	*tmp = xasprintf("%s.tmp", path);

		tap_ok(stat(tmp, &st) != 0, "... and leaves no temporary");
		free(tmp);
	}
	rmdir(path);
	free(path);
	/* A fetch of an object that is damaged: the copy is not kept. */
	cause = NULL;
	path = xasprintf("%s-copy2", dir);
	says(object_fetch(t, c, "tresor.obj1", &size, other, path, &cause),
	    &cause, "is corrupt", "a damaged object is not fetched");
	tap_ok(stat(path, &st) != 0, "... and no copy of it exists");
	free(path);
}

static void
test_lock(struct transport *t)
{
	struct lock_options	 o = { 0, 0, 0 };
	struct lock		*l;
	char			*cause = NULL, text[512], host[256];
	time_t			 now = 1800000000;

	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "unknown");
	host[sizeof host - 1] = '\0';

	/* A lock object that is not one (no time: as old as can be):
	 * reported with --no-lock-takeover. */
	write_object(LOCK_OBJECT, "garbage\n", 8);
	o.no_takeover = 1;
	l = lock_acquire(t, "backup", now, &o, &cause);
	o.no_takeover = 0;
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "a run (unreadable "
	    "lock object)", "an unreadable lock object is refused, saying so");

	/* Another host's lock, fresh: refused; stale: refused with
	 * --no-lock-takeover, taken over without it. */
	snprintf(text, sizeof text, "tresor-lock 1\nhost elsewhere.invalid\n"
	    "boot x\npid 12345\nprog tresor\ntime 2027-01-15T08:00:00Z\n"
	    "op backup\nnoise\n");
	write_object(LOCK_OBJECT, text, strlen(text));
	cause = NULL;
	l = lock_acquire(t, "backup", 1800000000, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "another run is using "
	    "it", "another host's fresh lock is refused");
	o.no_takeover = 1;
	cause = NULL;
	l = lock_acquire(t, "backup", 1900000000, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "use --break-lock",
	    "a stale lock with --no-lock-takeover is reported");
	o.no_takeover = 0;

	/* The stale lock's removal fails: the target's message. */
	fail_remove = 1;
	cause = NULL;
	l = lock_acquire(t, "backup", 1900000000, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "permission denied",
	    "a lock that cannot be removed is named");
	fail_remove = 0;

	/* Its stat failing is the target's failure. */
	fail_stat = 1;
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "timeout",
	    "a target that cannot be asked for its lock is named");
	fail_stat = 0;

	/* A lock that cannot be read is one of "a run". */
	fail_get = 1;
	o.no_takeover = 1;
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	o.no_takeover = 0;
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "unreadable lock",
	    "a lock that cannot be read is refused");
	fail_get = 0;

	/* This host's lock, from a boot since gone: taken over. */
	snprintf(text, sizeof text, "tresor-lock 1\nhost %s\nboot "
	    "not-this-boot\npid 1\nprog init\ntime 2027-01-15T08:00:00Z\n"
	    "op purge\n", host);
	write_object(LOCK_OBJECT, text, strlen(text));
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	tap_ok(l != NULL, "this host's lock from before a restart is taken "
	    "over (%s)", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (l != NULL) {
		tap_ok(lock_release(l, &cause) == 0, "and released");
		lock_free(l);
	}
	free(cause);

	/* This host's lock whose pid is alive (ours is not judged: pid 1,
	 * with a bad pid field it is "a run" still going). */
	snprintf(text, sizeof text, "tresor-lock 1\nhost %s\npid x\n"
	    "time 2027-01-15T08:00:00Z\n", host);
	write_object(LOCK_OBJECT, text, strlen(text));
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "still going on this "
	    "host", "this host's lock without a usable pid is refused");

	/* pid 1 runs another program than the lock says: gone. */
	snprintf(text, sizeof text, "tresor-lock 1\nhost %s\npid 1\n"
	    "prog no-such-prog\ntime 2027-01-15T08:00:00Z\n", host);
	write_object(LOCK_OBJECT, text, strlen(text));
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	tap_ok(l != NULL, "a lock whose pid runs another program is taken "
	    "over (%s)", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (l != NULL) {
		/* Releasing fails when the target does: said. */
		fail_remove = 1;
		says(lock_release(l, &cause), &cause, "permission denied",
		    "a lock that cannot be released is named");
		fail_remove = 0;
		lock_free(l);
	}
	/* A lock that cannot be written: named. */
	unlink(LOCK_OBJECT);
	{
		char	*p = xasprintf("%s/%s", dir, LOCK_OBJECT);

		unlink(p);
		free(p);
	}
	fail_put = 1;
	cause = NULL;
	l = lock_acquire(t, "backup", now, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "No space left",
	    "a lock that cannot be written is named");
	fail_put = 0;
	/* A run that takes the lock between our look and our write wins. */
	race_put = 1;
	l = lock_acquire(t, "backup", now, &o, &cause);
	says(l != NULL ? (lock_free(l), 0) : -1, &cause, "locked by backup by "
	    "host racer.invalid", "a lock taken by a racing run is not ours");
}

static void
test_signatures(struct transport *t, struct crypto *c)
{
	struct volume_info	 vi;
	char			*cause = NULL, *path, *copy;
	FILE			*f;

	path = xasprintf("%s-sigs", dir);
	copy = xasprintf("%s-manifest", dir);
	/* A signatures plaintext that does not exist cannot be published. */
	says(sigs_publish(t, c, "20260101T000000Z.full", "/nonexistent/sigs",
	    1, &vi, &cause), &cause, "unable to read '/nonexistent/sigs'",
	    "a missing signatures plaintext is named");
	volume_info_clear(&vi);
	if ((f = fopen(path, "we")) != NULL) {
		fputs("plaintext", f);
		fclose(f);
	}
	fail_put = 1;
	says(sigs_publish(t, c, "20260101T000000Z.full", path, 1, &vi,
	    &cause), &cause, "No space left", "a signatures object the "
	    "target refuses is named");
	fail_put = 0;
	volume_info_clear(&vi);
	unlink(path);
	/* A set whose manifest lists none. */
	if ((f = fopen(copy, "we")) != NULL) {
		fputs("tresor-manifest 1\nset 20260101T000000Z.full\ntype full\n"
		    "time 2026-01-01T00:00:00Z\nend entries=0 volumes=0 "
		    "warnings=0\n", f);
		fclose(f);
	}
	cause = NULL;
	says(sigs_fetch(t, c, "20260101T000000Z.full", copy, path, &cause),
	    &cause, "lists no signatures object", "a set without signatures "
	    "says so");
	unlink(copy);
	cause = NULL;
	says(sigs_fetch(t, c, "20260101T000000Z.full", copy, path, &cause),
	    &cause, copy, "a manifest copy that is gone is named");
	free(copy);
	free(path);
}

/* Volumes: a put that fails opens no volume; a volume closed on a target
 * that takes one object at a time (no finisher thread) is published and
 * verified before close returns; sets removed through a failing remove. */
static void
test_volumes(struct transport *t, struct crypto *c)
{
	struct volume_writer		*vw;
	const struct volume_info	*vi;
	struct name_list		 names;
	uint32_t			 number;
	uint64_t			 offset;
	size_t				 n = 0;
	char				*cause = NULL;
	unsigned			 features = fake.features;

	vw = volume_writer_new(t, c, "20260102T000000Z.full", 1 << 20, 1);
	fail_put = 1;
	says(volume_writer_record(vw, RECORD_DATA, "x", 1, &cause), &cause,
	    "No space left", "a volume the target refuses: the record fails");
	says(volume_writer_position(vw, &number, &offset, &cause), &cause,
	    "No space left", "... and so does asking where it would go");
	fail_put = 0;
	volume_writer_free(vw);

	fake.features = 0;	/* one object at a time: no finisher thread */
	vw = volume_writer_new(t, c, "20260102T000000Z.full", 1 << 20, 1);
	tap_ok(volume_writer_position(vw, &number, &offset, &cause) == 0 &&
	    number == 1 && offset > 0 && volume_writer_close(vw, &cause) == 0 &&
	    (vi = volume_writer_volumes(vw, &n)) != NULL && n == 1 &&
	    object_verify(t, vi[0].name, vi[0].size, vi[0].sha256, &cause) ==
	    0, "without a finisher thread a closed volume is stored and "
	    "verified (%s)", cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	volume_writer_free(vw);
	fake.features = features;

	memset(&names, 0, sizeof names);
	if (transport_list(t, &names, &cause) == 0) {
		fail_remove = 1;
		says(target_remove_set(t, &names, "20260102T000000Z.full",
		    &cause), &cause, "permission denied", "a set that cannot "
		    "be removed is named");
		fail_remove = 0;
		tap_ok(target_remove_set(t, &names, "20260102T000000Z.full",
		    &cause) == 0, "... and is removed once the target lets it");
		name_list_clear(&names);
	}
	free(cause);
}

/* The manifest: its local copy or its object failing stops the publish. */
static void
test_manifest(struct transport *t, struct crypto *c)
{
	struct manifest_header	 h;
	struct manifest_writer	*mw;
	char			*cause = NULL, *copy;

	memset(&h, 0, sizeof h);
	h.set_id = "20260103T000000Z.full";
	h.full = 1;
	h.time = 1767398400;
	h.keys = "symmetric";
	mw = manifest_writer_new(&cause);
	says(manifest_publish(mw, t, c, 1, &h, NULL, 0, NULL,
	    "/nonexistent/dir/manifest", NULL, NULL, &cause), &cause,
	    "unable to write '/nonexistent/dir/manifest.tmp'",
	    "a manifest copy that cannot be written is named");
	manifest_writer_free(mw);
	copy = xasprintf("%s-mcopy", dir);
	mw = manifest_writer_new(&cause);
	fail_put = 1;
	says(manifest_publish(mw, t, c, 1, &h, NULL, 0, NULL, copy, NULL,
	    NULL, &cause),
	    &cause, "No space left", "a manifest the target refuses is named");
	fail_put = 0;
	manifest_writer_free(mw);
	{
		struct stat	 st;
		char		*tmp = xasprintf("%s.tmp", copy);

		tap_ok(stat(copy, &st) != 0 && stat(tmp, &st) != 0,
		    "... and no local copy is left, whole or partial");
		unlink(tmp);
		free(tmp);
	}

	/*
	 * The record of a pending manifest's stored size and SHA-256
	 * ("<copy>.stored"): none is 1; one that is not "SIZE HEX" is
	 * corrupt, named; one for an object the target does not hold fails.
	 */
	{
		char		*rec = xasprintf("%s.stored", copy), *want;
		uint8_t		 digest[HASH_LEN];
		uint64_t	 size = 0;
		int		 fd, rc;

		unlink(rec);
		rc = manifest_check_stored(t, h.set_id, copy, &size, digest,
		    &cause);
		tap_ok(rc == 1 && cause == NULL, "no stored record: 1, no "
		    "error (%s)", cause != NULL ? cause : "ok");
		free(cause);
		cause = NULL;
		if ((fd = open(rec, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			if (write(fd, "12 not-hex\n", 11) != 11)
				tap_diag("write failed");
			close(fd);
		}
		want = xasprintf("the cache's record '%s' is corrupt", rec);
		says(manifest_check_stored(t, h.set_id, copy, &size, digest,
		    &cause), &cause, want, "a stored record that is not SIZE "
		    "HEX is corrupt, named");
		free(want);
		if ((fd = open(rec, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
			if (write(fd, "12 " HEX0 "\n", 68) != 68)
				tap_diag("write failed");
			close(fd);
		}
		rc = manifest_check_stored(t, h.set_id, copy, &size, digest,
		    &cause);
		tap_ok(rc == -1 && cause != NULL && strstr(cause, h.set_id) !=
		    NULL && strstr(cause, ".manifest.gpg' is missing from") !=
		    NULL, "a stored record of a manifest the target does not "
		    "hold fails, naming it: %s", cause != NULL ? cause :
		    "(passed)");
		free(cause);
		cause = NULL;
		unlink(rec);
		free(rec);
	}
	free(copy);
}

/* The catalog: a target that cannot be listed is named; a chain without
 * a complete full, and debris before it, are left to cleanup by purge. */
static void
test_catalog(struct transport *t)
{
	struct catalog_set	 sets[4] = {
		{ "20260101T000000Z.full", 1767225600, 1, 0, 1, 10 },
		{ "20260102T000000Z.inc", 1767312000, 0, 1, 1, 10 },
		{ "20260103T000000Z.full", 1767398400, 1, 1, 1, 10 },
		{ "20260104T000000Z.inc", 1767484800, 0, 1, 1, 10 },
	};
	struct catalog		 c = { sets, 4 }, loaded;
	uint8_t			*plan;
	char			*cause = NULL;

	fail_list = 1;
	says(catalog_load(t, &loaded, &cause), &cause, "connection refused",
	    "a target that cannot be listed is named");
	fail_list = 0;
	tap_ok(catalog_chain_start(&c, 4) == -1 &&
	    catalog_chain_start(&c, 0) == -1 &&
	    catalog_chain_start(&c, 1) == -1 &&
	    catalog_chain_start(&c, 3) == 2, "a chain starts at its complete "
	    "full; an incomplete full starts none");
	plan = retention_plan(&c, 1767484800 + 400 * 86400, 120LL * 86400);
	tap_ok(plan != NULL && !plan[0] && !plan[2] && !plan[3],
	    "purge keeps the newest chain and leaves debris to cleanup");
	free(plan);
}

/*
 * The local cache (repo/cache.c): a second run on the same target is
 * refused by the cache's lock; a cache directory recorded for another
 * URL is refused; a url file or lock file that cannot be written (a
 * directory in the way) is named.
 */
static void
test_cache(void)
{
	char		*top = xasprintf("%s-cache", dir), *cause = NULL;
	char		*p = NULL, *q = NULL;
	struct cache	*a, *b;
	FILE		*f;

	a = cache_open(top, "file:///srv/one", &cause);
	b = cache_open(top, "file:///srv/one", &cause);
	tap_ok(a != NULL && b != NULL && strcmp(cache_dir(a), cache_dir(b)) ==
	    0 && cache_lock(a, &cause) == 0, "cache: one target, one "
	    "directory, locked by the first run (%s)",
	    cause != NULL ? cause : "ok");
	free(cause);
	cause = NULL;
	if (b != NULL) {
		p = xasprintf("%s/lock", cache_dir(b));
		says(cache_lock(b, &cause), &cause, "another tresor run is "
		    "using this target on this machine (lock '", "cache: a "
		    "second run on the same target is refused");
		free(p);
	}
	cache_close(b);
	b = NULL;

	/* The url file says another target. */
	if (a != NULL) {
		p = xasprintf("%s/url", cache_dir(a));
		if ((f = fopen(p, "we")) != NULL) {
			fprintf(f, "file:///srv/other\n");
			fclose(f);
		}
		b = cache_open(top, "file:///srv/one", &cause);
		says(b != NULL ? 0 : -1, &cause, "belongs to file:///srv/other, "
		    "not file:///srv/one; refusing to use it", "cache: a "
		    "directory recorded for another URL is refused");
		cache_close(b);

		/* No url file, and a directory where its temporary goes. */
		q = xasprintf("%s/url.tmp", cache_dir(a));
		unlink(p);
		if (mkdir(q, 0700) == 0) {
			b = cache_open(top, "file:///srv/one", &cause);
			says(b != NULL ? 0 : -1, &cause, "unable to write '",
			    "cache: a url file that cannot be written is "
			    "named");
			cache_close(b);
			rmdir(q);
		}
		free(p);
		free(q);

		/* A directory where the lock file goes. */
		b = cache_open(top, "file:///srv/one", &cause);
		cache_close(a);
		a = NULL;
		p = b != NULL ? xasprintf("%s/lock", cache_dir(b)) : NULL;
		if (p != NULL && unlink(p) == 0 && mkdir(p, 0700) == 0)
			says(cache_lock(b, &cause), &cause, "unable to open lock "
			    "file '", "cache: a lock file that cannot be opened "
			    "is named");
		if (p != NULL)
			rmdir(p);
		free(p);
		cache_close(b);
	}
	cache_close(a);
	free(top);
}

int
main(void)
{
	struct crypto_options	 co;
	struct crypto		*c;
	struct transport	*t;
	char			*cause = NULL, *url, pass[] =
				    "/tmp/tresor-test-pass.XXXXXX";
	int			 fd;

	if (mkdtemp(dir) == NULL || (fd = mkstemp(pass)) == -1) {
		perror("mkdtemp");
		return 1;
	}
	if (write(fd, "pass phrase\n", 12) != 12)
		return 1;
	close(fd);
	memset(&co, 0, sizeof co);
	co.passphrase_file = pass;
	if ((c = crypto_new(&co, 0, &cause)) == NULL) {
		printf("Bail out! crypto: %s\n", cause);
		return 1;
	}
	url = xasprintf("file://%s", dir);
	if ((t = transport_open(url, NULL, &cause)) == NULL) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	real = t->ops;
	fake = *real;
	fake.put = fake_put;
	fake.get = fake_get;
	fake.stat = fake_stat;
	fake.remove = fake_remove;
	fake.list = fake_list;
	t->ops = &fake;

	test_objects(t, c);
	test_lock(t);
	test_signatures(t, c);
	test_volumes(t, c);
	test_manifest(t, c);
	test_catalog(t);
	test_cache();

	transport_close(t);
	crypto_free(c);
	free(url);
	unlink(pass);
	{
		char	*cmd = xasprintf("rm -rf '%s' '%s'-copy* '%s'-cache", dir,
		    dir, dir);

		if (system(cmd) != 0)
			tap_diag("cleanup failed");
		free(cmd);
	}
	return tap_done();
}
