/* purge.c: purge and cleanup (see purge.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/cache.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/testpoint.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "repo/catalog.h"
#include "repo/lock.h"
#include "repo/retention.h"
#include "repo/seals.h"
#include "format/names.h"
#include "purge.h"
#include "repo/target.h"

struct purge_session {
	struct transport	*transport;
	struct cache		*cache;
	struct lock		*lock;
	struct catalog		 cat;
	struct name_list	 names;
	time_t			 now;
};

static int
purge_begin(const struct purge_options *o, const char *what,
    struct purge_session *ps, char **cause)
{
	memset(ps, 0, sizeof *ps);
	if (clock_now(&ps->now, cause) != 0 ||
	    (ps->transport = target_open(o->url, &o->transport, cause)) == NULL)
		return -1;
	if ((ps->cache = cache_open(o->cache_dir,
	    target_display(ps->transport), cause)) == NULL ||
	    cache_lock(ps->cache, cause) != 0)
		return -1;
	if ((ps->lock = lock_acquire(ps->transport, what, ps->now, &o->lock,
	    cause)) == NULL)
		return -1;
	testpoint("purge-locked");
	if (catalog_load(ps->transport, &ps->cat, cause) != 0 ||
	    target_list(ps->transport, &ps->names, cause) != 0)
		return -1;
	return 0;
}

static int
purge_end(struct purge_session *ps, int rc, char **cause)
{
	if (rc == 0 && lock_release(ps->lock, cause) != 0)
		rc = -1;
	lock_free(ps->lock);
	name_list_clear(&ps->names);
	catalog_clear(&ps->cat);
	cache_close(ps->cache);
	target_close(ps->transport);
	return rc;
}

/*
 * Before sealed sets go, a signed purge record listing them joins the
 * chain (repo/seals.h), so that verify tells their absence from a
 * deletion. Published first: a purge cut off halfway leaves sets the
 * record names, which is harmless, never removed sets it does not.
 */
static int
purge_seal(const struct purge_options *o, struct purge_session *ps,
    const uint8_t *remove, char **cause)
{
	struct seals_writer	*sw = NULL;
	char			**ids, *name;
	size_t			 i, n = 0, sealed = 0;
	int			 rc = -1;

	ids = xcalloc(ps->cat.nsets + 1, sizeof *ids);
	for (i = 0; i < ps->cat.nsets; i++) {
		if (!remove[i])
			continue;
		ids[n++] = ps->cat.sets[i].id;
		name = names_seal(ps->cat.sets[i].id);
		sealed += target_has(ps->transport, name);
		free(name);
	}
	if (sealed == 0) {
		rc = 0;
		goto out;
	}
	if ((sw = seals_writer_new(&o->seals, cause)) == NULL ||
	    seals_writer_check(sw, ps->transport, ps->cache, cause) != 0 ||
	    seals_publish_purge(sw, &ps->names, ids, n,
	    ps->now, NULL, cause) != 0) {
		error_prefix(cause, "purge: nothing removed");
		goto out;
	}
	rc = 0;
out:
	seals_writer_free(sw);
	free(ids);
	return rc;
}

int
purge_run(const struct purge_options *o, char **cause)
{
	struct purge_session	 ps;
	uint8_t			*remove = NULL;
	uint64_t		 bytes = 0;
	size_t			 i, j, n = 0;
	char			 when[21];
	int			 rc = -1, kept = 0, locked = 0;

	if (purge_begin(o, "purge", &ps, cause) != 0)
		goto out;
	remove = retention_plan(&ps.cat, ps.now, o->older_than);
	if (o->force && purge_seal(o, &ps, remove, cause) != 0)
		goto out;
	/*
	 * Newest first: a purge cut off halfway leaves a chain's older sets,
	 * which need nothing newer, never incrementals without their full.
	 */
	for (j = ps.cat.nsets; j > 0; j--) {
		i = j - 1;
		if (!remove[i])
			continue;
		/*
		 * Object lock: a set kept until its retention ends keeps
		 * the older ones too, so no chain loses its full.
		 */
		if (o->force && locked) {
			log_warn("purge: keeping %s: a newer set is under "
			    "object lock", ps.cat.sets[i].id);
			continue;
		}
		clock_format_iso(ps.cat.sets[i].time, when);
		if (!o->quiet)
			printf("purge: %s %s %s (%u volumes, %" PRIu64
			    " bytes)\n", o->force ? "removing" : "would remove",
			    ps.cat.sets[i].full ? "full" : "inc ", ps.cat.sets[i].id,
			    ps.cat.sets[i].volumes, ps.cat.sets[i].bytes);
		if (o->force && (kept = target_remove_set(ps.transport,
		    &ps.names, ps.cat.sets[i].id, cause)) == 1) {
			log_warn("purge: keeping %s: %s", ps.cat.sets[i].id,
			    *cause);
			free(*cause);
			*cause = NULL;
			locked = 1;
			continue;
		}
		if (o->force && kept != 0)
			goto out;
		n++;
		bytes += ps.cat.sets[i].bytes;
	}
	if (!o->quiet)
		printf("purge: %s %zu sets, %" PRIu64 " bytes%s\n", o->force ?
		    "removed" : "would remove", n, bytes, o->force || n == 0 ?
		    "" : " (dry run: add --force to remove them)");
	rc = 0;
out:
	if (rc != 0 && interrupt_received())
		error_prefix(cause, "purge of %s stopped after removing %zu "
		    "sets", ps.transport != NULL ?
		    target_display(ps.transport) : "the target",
		    o->force ? n : 0);
	free(remove);
	return purge_end(&ps, rc, cause) == 0 ? EXIT_OK : EXIT_FAILURE_;
}

int
cleanup_run(const struct purge_options *o, char **cause)
{
	struct purge_session	 ps;
	struct name_list	 tmps = { NULL, 0 };
	size_t			 i, n = 0;
	int			 rc = -1, kept = 0;

	if (purge_begin(o, "cleanup", &ps, cause) != 0)
		goto out;
	for (i = 0; i < ps.cat.nsets; i++) {
		if (ps.cat.sets[i].has_manifest)
			continue;
		if (!o->quiet)
			printf("cleanup: %s incomplete set %s (%u volumes)\n",
			    o->force ? "removing" : "would remove",
			    ps.cat.sets[i].id, ps.cat.sets[i].volumes);
		if (o->force && (kept = target_remove_set(ps.transport,
		    &ps.names, ps.cat.sets[i].id, cause)) == 1) {
			log_warn("cleanup: keeping %s: %s", ps.cat.sets[i].id,
			    *cause);
			free(*cause);
			*cause = NULL;
			continue;
		}
		if (o->force && kept != 0)
			goto out;
		n++;
	}
	if (target_list_temporary(ps.transport, &tmps, cause) != 0)
		goto out;
	for (i = 0; i < tmps.count; i++) {
		if (!o->quiet)
			printf("cleanup: %s temporary object %s\n", o->force ?
			    "removing" : "would remove", tmps.entries[i].name);
		if (o->force && (interrupt_check(cause) != 0 ||
		    target_remove_temporary(ps.transport,
		    tmps.entries[i].name, cause) != 0))
			goto out;
		n++;
	}
	if (!o->quiet)
		printf("cleanup: %s %zu objects or sets%s\n", o->force ?
		    "removed" : "would remove", n, o->force || n == 0 ? "" :
		    " (dry run: add --force to remove them)");
	rc = 0;
out:
	name_list_clear(&tmps);
	return purge_end(&ps, rc, cause) == 0 ? EXIT_OK : EXIT_FAILURE_;
}
