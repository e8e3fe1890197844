/* verify.c: the verify and status verbs (see verify.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "repo/cache.h"
#include "repo/catalog.h"
#include "format/manifest.h"
#include "repo/manifests.h"
#include "repo/object.h"
#include "repo/retention.h"
#include "restore.h"
#include "repo/target.h"
#include "verify.h"

struct verify_set {
	struct transport	*transport;
	const struct catalog	*cat;
	const char		*set_id;
	uint64_t		 volumes;
	uint64_t		 bytes;
	uint64_t		 listed;	/* volume and signatures lines */
	uint64_t		 ok;		/* those that match */
	char			*failure;	/* first bad volume */
	char			*missing;	/* first set needed, not there */
};

/*
 * Every set the entries point into (set=, base=) must be a complete set
 * of the target: a lost earlier manifest loses files of this set too.
 */
static int
verify_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct verify_set	*vs = arg;
	const char		*ids[2];
	size_t			 i, j;
	int			 found;

	(void)cause;
	ids[0] = me->loc.set;
	ids[1] = me->is_delta ? me->base.set : "";
	for (j = 0; j < 2 && vs->missing == NULL; j++) {
		if (ids[j][0] == '\0' || strcmp(ids[j], vs->set_id) == 0)
			continue;
		for (found = 0, i = 0; i < vs->cat->nsets; i++) {
			if (vs->cat->sets[i].has_manifest &&
			    strcmp(vs->cat->sets[i].id, ids[j]) == 0)
				found = 1;
		}
		if (!found)
			vs->missing = xasprintf("it needs set %s, whose "
			    "manifest 'tresor.%s.manifest.gpg' is missing from "
			    "%s", ids[j], ids[j], transport_display(
			    vs->transport));
	}
	entry_clear(&me->e);
	return 0;
}

static int
verify_volume(void *arg, const struct volume_info *vi, char **cause)
{
	struct verify_set	*vs = arg;

	(void)cause;
	vs->listed++;
	/* Keep going: report the first bad volume, count them all. */
	if (object_verify(vs->transport, vi->name, vi->size, vi->sha256,
	    vs->failure == NULL ? &vs->failure : NULL) == 0) {
		vs->ok++;
		vs->volumes++;
		vs->bytes += vi->size;
	}
	return 0;
}

static int
verify_signatures(void *arg, const struct volume_info *vi, char **cause)
{
	struct verify_set	*vs = arg;
	uint64_t		 volumes = vs->volumes;

	verify_volume(arg, vi, cause);
	vs->volumes = volumes;	/* checked the same way, but not a volume */
	return 0;
}

/* The key, imported the first time a set needs it. */
static struct crypto *
verify_crypto(const struct verify_options *o, struct crypto **c, char **cause)
{
	if (*c == NULL)
		*c = crypto_new(&o->crypto, 1, cause);
	return *c;
}

/*
 * The set's manifest: the local cache's plaintext copy when asked for
 * and present (the backup host holds only the public key, and the copy
 * was checked against the published object when it was written), else
 * the object on the target, decrypted.
 */
static int
verify_read_manifest(const struct verify_options *o, struct transport *t,
    struct crypto **c, const char *set_id, void *vs,
    struct manifest_summary *summary, char **cause)
{
	static const struct manifest_visitor visitor = { NULL, verify_entry,
	    verify_volume, verify_signatures };
	struct cache	*cache = NULL;
	char		*path = NULL;
	int		 rc = -1;

	if (o->cache_dir != NULL) {
		if ((cache = cache_open(o->cache_dir, target_display(t),
		    cause)) == NULL)
			goto out;
		path = cache_manifest_path(cache, set_id);
		if (cache_has(cache, path)) {
			rc = manifest_read_cached(path, set_id, &visitor, vs,
			    summary, cause);
			goto out;
		}
	}
	if (verify_crypto(o, c, cause) == NULL)
		goto out;
	rc = manifest_read(t, *c, set_id, &visitor, vs, summary, cause);
out:
	free(path);
	cache_close(cache);
	return rc;
}

static int
verify_one(const struct verify_options *o, struct transport *t,
    struct crypto **c, const struct catalog *cat, struct seals *seals,
    const char *set_id, char **cause)
{
	struct manifest_summary	 summary;
	struct restore_options	 ro;
	struct verify_set	 vs;

	memset(&vs, 0, sizeof vs);
	vs.transport = t;
	vs.cat = cat;
	vs.set_id = set_id;
	/* The stored manifest is the one its seal vouches for. */
	if (seals_check_manifest(seals, t, set_id, cause) != 0)
		return -1;
	if (o->seals_only) {
		if (!o->quiet)
			printf("verify: set %s: seal ok\n", set_id);
		return 0;
	}
	if (verify_read_manifest(o, t, c, set_id, &vs, &summary, cause) != 0) {
		free(vs.failure);
		free(vs.missing);
		return -1;
	}
	if (vs.failure != NULL && vs.ok == 0) {
		/*
		 * Not one volume is what the manifest says: the manifest
		 * may be the one that is wrong (another target's, say).
		 */
		error_set(cause, "set %s: no volume matches its manifest "
		    "'tresor.%s.manifest.gpg' (the manifest or the volumes are "
		    "not the ones written together): %s", set_id, set_id,
		    vs.failure);
	} else if (vs.failure != NULL)
		error_set(cause, "set %s: %s", set_id, vs.failure);
	else if (vs.missing != NULL)
		error_set(cause, "set %s: %s", set_id, vs.missing);
	if (vs.failure != NULL || vs.missing != NULL) {
		free(vs.failure);
		free(vs.missing);
		return -1;
	}
	if (!o->quiet)
		printf("verify: set %s: manifest ok, %" PRIu64 " volumes ok "
		    "(%" PRIu64 " bytes)\n", set_id, vs.volumes, vs.bytes);
	if (!o->read_data)
		return 0;
	if (verify_crypto(o, c, cause) == NULL)
		return -1;
	memset(&ro, 0, sizeof ro);
	ro.url = o->url;
	ro.transport = o->transport;
	ro.crypto = o->crypto;
	ro.set = set_id;
	ro.quiet = o->quiet;
	/* One connection and one key import for the whole run. */
	ro.open_transport = t;
	ro.open_crypto = *c;
	ro.open_catalog = cat;
	ro.open_seals = seals;
	return restore_run(&ro, cause) == EXIT_OK ? 0 : -1;
}

int
verify_run(const struct verify_options *o, char **cause)
{
	struct transport	*t = NULL;
	struct crypto		*c = NULL;
	struct seals		*seals = NULL;
	struct catalog		 cat;
	struct timespec		 s0, s1;
	double			 seal_seconds;
	size_t			 i, checked = 0, failed = 0;
	char			*one = NULL, *pending = NULL;
	int			 rc = EXIT_FAILURE_;

	memset(&cat, 0, sizeof cat);
	/* Without a cache to read manifests from, the key comes first. */
	if ((o->cache_dir == NULL && !o->seals_only &&
	    verify_crypto(o, &c, cause) == NULL) ||
	    (t = target_open(o->url, &o->transport, cause)) == NULL ||
	    catalog_load(t, &cat, cause) != 0)
		goto out;
	/* Signatures and the chain, against the head seen before. */
	clock_gettime(CLOCK_MONOTONIC, &s0);
	if ((seals = seals_open(t, &cat, &o->seals, o->seals.cache_dir,
	    cause)) == NULL)
		goto out;
	for (i = 0; i < cat.nsets; i++) {
		if (!cat.sets[i].has_manifest || (o->set != NULL &&
		    strcmp(o->set, cat.sets[i].id) != 0))
			continue;
		checked++;
		if (verify_one(o, t, &c, &cat, seals, cat.sets[i].id,
		    &one) != 0) {
			/* One line per bad set; the summary is the cause.
			 * Each line waits for the next failure, so that when
			 * only one set was checked its line is the cause
			 * itself, and the run says it once. */
			if (pending != NULL)
				log_error("%s", pending);
			free(pending);
			pending = one;
			one = NULL;
			failed++;
		}
	}
	/*
	 * A set with volumes but no manifest: debris of an interrupted run,
	 * or a set whose manifest was lost. Only the name tells, so it is
	 * said (not failed: an interrupted run is not damage).
	 */
	for (i = 0; i < cat.nsets && o->set == NULL; i++) {
		if (!cat.sets[i].has_manifest)
			log_warn("set %s in %s has %u volumes but no manifest "
			    "'tresor.%s.manifest.gpg': left by an interrupted "
			    "run (tresor cleanup removes it), or its manifest "
			    "was lost", cat.sets[i].id, target_display(t),
			    cat.sets[i].volumes, cat.sets[i].id);
	}
	if (failed == 1 && checked == 1) {
		*cause = pending;
		pending = NULL;
		goto out;
	}
	if (pending != NULL)
		log_error("%s", pending);
	if (checked == 0) {
		if (o->set != NULL)
			error_set(cause, "no complete set %s in %s", o->set,
			    target_display(t));
		else
			error_set(cause, "no complete backup set in %s",
			    target_display(t));
		goto out;
	}
	if (failed > 0) {
		/* Each set's line says why (damage, a key, the target). */
		error_set(cause, "verify failed for %zu of %zu sets in %s",
		    failed, checked, target_display(t));
		goto out;
	}
	if (!o->quiet)
		printf("verify: %zu sets in %s: %zu seals, chain ok\n", checked,
		    target_display(t), seals_count(seals));
	if (o->seals_only) {
		/* benchmarks/run reads this line: what checking costs. */
		clock_gettime(CLOCK_MONOTONIC, &s1);
		seal_seconds = (double)(s1.tv_sec - s0.tv_sec) +
		    (double)(s1.tv_nsec - s0.tv_nsec) / 1e9;
		log_info("seals: %zu seals, the chain and %zu manifests "
		    "checked in %.3f s", seals_count(seals), checked,
		    seal_seconds);
	}
	seals_say_learned(seals);
	rc = EXIT_OK;
out:
	free(pending);
	catalog_clear(&cat);
	seals_free(seals);
	target_close(t);
	crypto_free(c);
	return rc;
}

static void
status_set_json(const struct catalog_set *s, int purge, int first)
{
	char	when[21];

	clock_format_iso(s->time, when);
	printf("%s{\"id\":\"%s\",\"time\":\"%s\",\"type\":\"%s\",\"complete\":%s,"
	    "\"volumes\":%u,\"bytes\":%" PRIu64 ",\"purge\":%s}", first ? "" :
	    ",", s->id, when, s->full ? "full" : "inc", s->has_manifest ?
	    "true" : "false", s->volumes, s->bytes, purge ? "true" : "false");
}

int
status_run(const struct status_options *o, char **cause)
{
	const char		*url = o->url;
	const struct transport_options *to = &o->transport;
	int			 json = o->json;
	int64_t			 older_than = o->older_than;
	struct transport	*t;
	struct catalog		 cat;
	const struct catalog_set *s;
	uint8_t			*purge = NULL;
	char			 when[21];
	time_t			 now;
	ssize_t			 start, chain = -2;
	size_t			 i, debris = 0, chains = 0, npurge = 0, first;
	uint64_t		 purge_bytes = 0;
	char			*line;

	if (o->head) {
		if ((line = seals_cache_head(o->cache_dir, url, cause)) == NULL)
			return EXIT_FAILURE_;
		printf("%s\n", line);
		free(line);
		return EXIT_OK;
	}
	if (clock_now(&now, cause) != 0 ||
	    (t = target_open(url, to, cause)) == NULL)
		return EXIT_FAILURE_;
	if (catalog_load(t, &cat, cause) != 0) {
		target_close(t);
		return EXIT_FAILURE_;
	}
	purge = retention_plan(&cat, now, older_than);
	if (json)
		printf("{\"target\":\"%s\",\"purge_older_than\":%" PRId64
		    ",\"chains\":[", target_display(t), older_than);
	else
		printf("target: %s\n", target_display(t));
	for (i = 0, first = 1; i < cat.nsets; i++) {
		s = &cat.sets[i];
		if (!s->has_manifest)
			continue;
		start = catalog_chain_start(&cat, i);
		if (start != chain) {
			chain = start;
			chains++;
			if (json)
				printf("%s{\"full\":%s%s%s,\"sets\":[",
				    first ? "" : "]},", start < 0 ? "" : "\"",
				    start < 0 ? "null" : cat.sets[start].id,
				    start < 0 ? "" : "\"");
			else
				printf("chain %zu%s:\n", chains, start < 0 ?
				    " (no full set: cannot be restored)" : "");
			first = 1;
		}
		if (purge[i]) {
			npurge++;
			purge_bytes += s->bytes;
		}
		clock_format_iso(s->time, when);
		if (json)
			status_set_json(s, purge[i], first);
		else
			printf("  %-4s %s  %s  %6u volumes  %14" PRIu64
			    " bytes%s\n", s->full ? "full" : "inc", when, s->id,
			    s->volumes, s->bytes, purge[i] ? "  (purge would "
			    "remove)" : "");
		first = 0;
	}
	if (json)
		printf("%s],\"incomplete\":[", chains > 0 ? "]}" : "");
	for (i = 0, first = 1; i < cat.nsets; i++) {
		s = &cat.sets[i];
		if (s->has_manifest)
			continue;
		debris++;
		clock_format_iso(s->time, when);
		if (json)
			status_set_json(s, 0, first);
		else
			printf("  INCOMPLETE %s  %s  %u volumes  %" PRIu64 " bytes"
			    " (no manifest: debris of an interrupted run; "
			    "tresor cleanup removes it)\n", when, s->id,
			    s->volumes, s->bytes);
		first = 0;
	}
	if (json)
		printf("],\"purge_would_remove\":%zu,\"purge_would_free\":%"
		    PRIu64 "}\n", npurge, purge_bytes);
	else
		printf("%zu complete sets, %zu incomplete, in %zu chains; purge "
		    "--older-than %" PRId64 "D would remove %zu sets (%" PRIu64
		    " bytes)\n", cat.nsets - debris, debris, chains,
		    older_than / 86400, npurge, purge_bytes);
	free(purge);
	catalog_clear(&cat);
	target_close(t);
	return EXIT_OK;
}
