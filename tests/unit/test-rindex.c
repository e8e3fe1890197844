/*
 * test-rindex.c: the compact entry index restore keeps (restore/rindex.c):
 * every field restore uses survives the trip from a manifest entry, paths
 * are found across chunk and table growth, a path listed twice is refused,
 * set IDs are interned ("" is the manifest's own set), long strings live
 * beside the arena's blocks, and a delta's fields hang off the entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xmalloc.h"
#include "restore/rindex.h"
#include "tests/tap.h"

#define THIS_SET	"20260101T010000Z.full"
#define OLD_SET		"20251201T010000Z.full"
#define MANY		20000	/* past several chunks and table growths */

static void
make(struct manifest_entry *me, const char *path, char kind, const char *set)
{
	memset(me, 0, sizeof *me);
	me->e.kind = kind;
	me->e.path = xstrdup(path);
	me->e.mode = 0640;
	me->e.uid = 1001;
	me->e.gid = 1002;
	me->e.mtime_sec = 1767225600;
	me->e.mtime_nsec = 123456789;
	me->e.size = strlen(path) * 1000;
	me->has_sha256 = kind == 'f';
	memset(me->sha256, path[strlen(path) - 1], HASH_LEN);
	snprintf(me->loc.set, SET_ID_MAX, "%s", set);
	me->loc.vol = 3;
	me->loc.off = 4096;
	me->loc.last = 4;
}

int
main(void)
{
	struct rindex		*ix = rindex_new(THIS_SET);
	struct manifest_entry	 me;
	struct rentry		*re;
	struct entry		 e;
	char			 path[64], *cause = NULL, *big;
	size_t			 i, bad = 0;
	int			 rc;

	make(&me, "vault/a/doc.pdf", 'f', "");
	tap_ok(rindex_add(ix, &me, &cause) == 0, "an entry is added");
	re = rindex_get(ix, "vault/a/doc.pdf");
	tap_ok(re != NULL && strcmp(re->path, "vault/a/doc.pdf") == 0,
	    "... and found by its path");
	tap_ok(re != NULL && re->kind == 'f' && re->mode == 0640 &&
	    re->uid == 1001 && re->gid == 1002 && re->mtime_sec == 1767225600 &&
	    re->mtime_nsec == 123456789 && re->size == 15000 &&
	    re->sha256[0] == 'f' && re->sha256[HASH_LEN - 1] == 'f' &&
	    re->loc.vol == 3 && re->loc.off == 4096 && re->loc.last == 4 &&
	    re->delta == NULL && !re->wanted && !re->done,
	    "... with every field restore uses");
	tap_ok(re != NULL && strcmp(rindex_set_id(ix, re->loc.set), THIS_SET) ==
	    0, "an empty set in the manifest is the manifest's own set");
	rentry_entry(re, &e);
	tap_ok(e.kind == 'f' && e.path == re->path && e.target == NULL &&
	    e.mode == 0640 && e.size == 15000 && e.mtime_nsec == 123456789,
	    "rentry_entry gives the same metadata as a struct entry");

	make(&me, "vault/a/doc.pdf", 'f', "");
	rc = rindex_add(ix, &me, &cause);
	tap_ok(rc == -1 && cause != NULL &&
	    strstr(cause, "'vault/a/doc.pdf' is listed twice") != NULL,
	    "a path listed twice is refused, naming it (%s)",
	    cause != NULL ? cause : "no cause");
	free(cause);
	cause = NULL;
	tap_ok(rindex_count(ix) == 1, "... and not counted");

	make(&me, "vault/link", 'l', OLD_SET);
	me.e.target = xstrdup("a/doc.pdf");
	rindex_add(ix, &me, &cause);
	re = rindex_get(ix, "vault/link");
	tap_ok(re != NULL && re->target != NULL &&
	    strcmp(re->target, "a/doc.pdf") == 0 &&
	    strcmp(rindex_set_id(ix, re->loc.set), OLD_SET) == 0,
	    "a link keeps its target and an older set's ID");

	make(&me, "vault/db.dump", 'f', OLD_SET);
	me.is_delta = 1;
	me.delta_size = 777;
	memset(me.delta_sha256, 0xd1, HASH_LEN);
	snprintf(me.base.set, SET_ID_MAX, "%s", "20251101T010000Z.full");
	me.base.vol = 9;
	me.base.off = 65536;
	me.base.last = 12;
	me.base_size = 999;
	memset(me.base_sha256, 0xb5, HASH_LEN);
	rindex_add(ix, &me, &cause);
	re = rindex_get(ix, "vault/db.dump");
	tap_ok(re != NULL && re->delta != NULL && re->delta->size == 777 &&
	    re->delta->sha256[5] == 0xd1 && re->delta->base_size == 999 &&
	    re->delta->base_sha256[31] == 0xb5 && re->delta->base.vol == 9 &&
	    re->delta->base.off == 65536 && re->delta->base.last == 12 &&
	    re->delta->spool_fd == -1 && re->delta->spool_tmp == NULL &&
	    strcmp(rindex_set_id(ix, re->delta->base.set),
	    "20251101T010000Z.full") == 0 &&
	    strcmp(rindex_set_id(ix, re->loc.set), OLD_SET) == 0,
	    "a delta keeps its own and its base's location, size and hash");
	tap_ok(re != NULL &&
	    re->loc.set == rindex_get(ix, "vault/link")->loc.set,
	    "one set ID is interned once");

	big = xmalloc(70000);
	memset(big, 'p', 69999);
	big[69999] = '\0';
	make(&me, big, 'f', "");
	rindex_add(ix, &me, &cause);
	for (i = 0; i < MANY; i++) {
		snprintf(path, sizeof path, "vault/%02zx/%06zu/doc-%zu.pdf",
		    i % 256, i / 5, i);
		make(&me, path, 'f', "");
		if (rindex_add(ix, &me, &cause) != 0)
			bad++;
	}
	tap_ok(bad == 0 && rindex_count(ix) == MANY + 4,
	    "%d more entries are added", MANY);
	for (i = 0; i < MANY; i++) {
		snprintf(path, sizeof path, "vault/%02zx/%06zu/doc-%zu.pdf",
		    i % 256, i / 5, i);
		re = rindex_get(ix, path);
		if (re == NULL || strcmp(re->path, path) != 0 ||
		    re != rindex_at(ix, i + 4))
			bad++;
	}
	tap_ok(bad == 0, "... each found by its path, in manifest order");
	re = rindex_get(ix, big);
	tap_ok(re != NULL && strcmp(re->path, big) == 0 &&
	    rindex_get(ix, "vault/a/doc.pdf") == rindex_at(ix, 0),
	    "a 70,000-byte path and the first entry survive all that");
	tap_ok(rindex_get(ix, "vault/a") == NULL &&
	    rindex_get(ix, "vault/a/doc.pd") == NULL,
	    "a path not in the manifest is not found");
	free(big);
	rindex_free(ix);
	return tap_done();
}
