/*
 * recover.c: recover-from-backup (see recover.h).
 *
 * What the set holds is read from its manifest before anything is
 * written. The database dump is the set's one streamed file: a regular
 * file with ino=0 and ctime=0 (docs/FORMAT.md, "Streamed entries"), alone
 * in its source (ecs-pgdump/NAME.pgdump by default, or whatever
 * --pg-dump-path said at backup time); so its name is never guessed. The
 * vault is the one other source, whatever its stored name.
 *
 * The vault is restored by the restore engine into a staging directory
 * inside the vault directory (same filesystem), as stored:
 * VAULT/.tresor-recover.XXXXXX/<stored name>/...; then every entry of
 * <stored name> is renamed up into VAULT and the staging directory goes.
 * So the stored top-level name does not matter, the engine needs no way
 * to strip a component, and VAULT itself (made by the appliance's
 * installation) keeps its owner and mode. The dump goes through fetch
 * (a nameless file, named only once its SHA-256 matched), the database
 * through restoredb_run, which drops it again if anything fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "fetch.h"
#include "format/filter/crypto.h"
#include "format/manifest.h"
#include "recover.h"
#include "repo/catalog.h"
#include "repo/manifests.h"
#include "repo/target.h"

#define RECOVER_STAGE_PREFIX	".tresor-recover."

/* One source of the set, as its manifest lists it. */
struct recover_source {
	char		*name;		/* stored name */
	char		 root;		/* the kind of the entry `name`, or 0 */
	uint64_t	 entries;
	uint64_t	 files;		/* regular files */
	uint64_t	 bytes;		/* their size */
	uint64_t	 streamed;	/* regular files with ino 0, ctime 0 */
	uint64_t	 others;	/* neither a directory nor a file */
	char		*dump;		/* its streamed file's path */
	uint64_t	 dump_size;
};

struct recover {
	const struct recover_options	*o;
	const char			*vault_dir;
	const char			*dump_dir;
	struct restoredb_options	 db;
	struct transport		*t;
	struct crypto			*c;
	struct catalog			 cat;
	struct seals			*seals;		/* checked first */
	struct recover_set		*sets;		/* newest first */
	size_t				 nsets;
	/* The chosen set's manifest. */
	const char			*scanned;	/* its id */
	struct recover_source		*src;
	size_t				 nsrc;
	struct recover_source		*vault;
	struct recover_source		*db_src;
	/* What was done, for the message if a later step fails. */
	char				*stage;		/* staging directory */
	char				*dump_file;	/* DUMP/<its name> */
	int				 vault_started;
	int				 vault_done;
	int				 dump_done;
};

void
recover_format_bytes(uint64_t n, char out[16])
{
	static const char	*units[] = {
		"KiB", "MiB", "GiB", "TiB", "PiB"
	};
	double			 v = (double)n;
	int			 i = -1;

	if (n < 1024) {
		snprintf(out, 16, "%" PRIu64 " B", n);
		return;
	}
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(out, 16, "%.1f %s", v, units[i]);
}

static void
recover_say(const struct recover *rv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A progress line on stdout (not with --quiet). */
static void
recover_say(const struct recover *rv, const char *fmt, ...)
{
	va_list	ap;

	if (rv->o->r.quiet)
		return;
	fputs("recover-from-backup: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

static double
recover_since(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* DIR exists, is a directory we may write, and is empty. */
static int
recover_check_dir(const char *dir, const char *what, const char *option,
    char **cause)
{
	struct dirent	*de;
	DIR		*d;
	int		 empty = 1;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return error_set(cause, "the %s directory '%s' does not "
			    "exist: create it (empty), or give %s", what, dir,
			    option);
		return error_sys(cause, "unable to read the %s directory '%s'",
		    what, dir);
	}
	while (empty && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			empty = 0;
	}
	closedir(d);
	if (!empty)
		return error_set(cause, "the %s directory '%s' is not empty: "
		    "recover-from-backup fills only an empty one", what, dir);
	if (access(dir, W_OK | X_OK) != 0)
		return error_sys(cause, "unable to write into the %s directory "
		    "'%s'", what, dir);
	return 0;
}

static int
recover_check_dirs(struct recover *rv, char **cause)
{
	struct stat	a, b;

	if (recover_check_dir(rv->vault_dir, "vault", "--vault", cause) != 0 ||
	    recover_check_dir(rv->dump_dir, "dump", "--dump-dir", cause) != 0)
		return -1;
	if (stat(rv->vault_dir, &a) == 0 && stat(rv->dump_dir, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		return error_set(cause, "the vault directory '%s' and the dump "
		    "directory '%s' are the same: give two", rv->vault_dir,
		    rv->dump_dir);
	return 0;
}

static struct recover_source *
recover_source(struct recover *rv, const char *name, size_t len)
{
	struct recover_source	*s;
	size_t			 i;

	for (i = 0; i < rv->nsrc; i++) {
		if (strlen(rv->src[i].name) == len &&
		    strncmp(rv->src[i].name, name, len) == 0)
			return &rv->src[i];
	}
	rv->src = xrealloc(rv->src, (rv->nsrc + 1) * sizeof *rv->src);
	s = &rv->src[rv->nsrc++];
	memset(s, 0, sizeof *s);
	s->name = xasprintf("%.*s", (int)len, name);
	return s;
}

static void
recover_clear_sources(struct recover *rv)
{
	size_t	i;

	for (i = 0; i < rv->nsrc; i++) {
		free(rv->src[i].name);
		free(rv->src[i].dump);
	}
	free(rv->src);
	rv->src = NULL;
	rv->nsrc = 0;
	rv->vault = rv->db_src = NULL;
	rv->scanned = NULL;
}

static int
recover_scan_header(void *arg, const struct manifest_header *h, char **cause)
{
	struct recover	*rv = arg;
	size_t		 i;

	(void)cause;
	for (i = 0; i < h->nsources; i++)
		recover_source(rv, h->sources[i], strlen(h->sources[i]));
	return 0;
}

static int
recover_scan_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct recover		*rv = arg;
	struct recover_source	*s;
	const char		*path = me->e.path;

	(void)cause;
	s = recover_source(rv, path, strcspn(path, "/"));
	s->entries++;
	if (strchr(path, '/') == NULL)
		s->root = me->e.kind;
	if (me->e.kind == 'f') {
		s->files++;
		s->bytes += me->e.size;
		if (me->ino == 0 && me->ctime_sec == 0 && me->ctime_nsec == 0) {
			s->streamed++;
			free(s->dump);
			s->dump = xstrdup(path);
			s->dump_size = me->e.size;
		}
	} else if (me->e.kind != 'd')
		s->others++;
	entry_clear(&me->e);
	return 0;
}

/* "'a', 'b'" for a message: the dump sources (db), or the others. */
static char *
recover_names(struct recover *rv, int db)
{
	char	*out = xstrdup(""), *q, *next;
	size_t	 i;

	for (i = 0; i < rv->nsrc; i++) {
		if ((rv->src[i].streamed == 1 && rv->src[i].files == 1 &&
		    rv->src[i].others == 0) != db)
			continue;
		q = log_quote(rv->src[i].name);
		next = xasprintf("%s%s'%s'", out, *out != '\0' ? ", " : "", q);
		free(q);
		free(out);
		out = next;
	}
	return out;
}

/*
 * Read the set's manifest (which also proves the key) and find its dump
 * and its vault.
 */
static int
recover_scan(struct recover *rv, const char *id, char **cause)
{
	static const struct manifest_visitor visitor = {
		recover_scan_header, recover_scan_entry, NULL, NULL
	};
	struct recover_source	*s;
	size_t			 i, ndb = 0, nvault = 0;
	char			*names, *q;

	recover_clear_sources(rv);
	if (seals_read_manifest(rv->seals, rv->t, rv->c, id, &visitor, rv,
	    NULL, cause) != 0)
		return -1;
	rv->scanned = id;
	for (i = 0; i < rv->nsrc; i++) {
		s = &rv->src[i];
		/* A dump's source holds its directories and the dump alone. */
		if (s->streamed == 1 && s->files == 1 && s->others == 0) {
			rv->db_src = s;
			ndb++;
		} else if (s->entries > 0) {
			rv->vault = s;
			nvault++;
		}
	}
	if (ndb != 1) {
		names = recover_names(rv, 1);
		if (ndb == 0)
			error_set(cause, "set %s holds no database dump (sets "
			    "made with backup --pg-database have one)", id);
		else
			error_set(cause, "set %s holds %zu database dumps (in "
			    "%s): recover-from-backup restores one", id, ndb,
			    names);
		free(names);
		return -1;
	}
	if (nvault != 1) {
		names = recover_names(rv, 0);
		if (nvault == 0)
			error_set(cause, "set %s holds no vault, only the "
			    "database dump", id);
		else
			error_set(cause, "set %s holds %zu directories besides "
			    "the database dump (%s): recover-from-backup "
			    "restores one vault", id, nvault, names);
		free(names);
		return -1;
	}
	if (rv->vault->root != 'd') {
		q = log_quote(rv->vault->name);
		error_set(cause, "'%s' in set %s is not a directory: "
		    "recover-from-backup restores a vault directory", q, id);
		free(q);
		return -1;
	}
	return 0;
}

/* The sets a recovery can start from, newest first. */
static void
recover_list_sets(struct recover *rv)
{
	const struct catalog_set	*cs;
	size_t				 i;

	for (i = rv->cat.nsets; i > 0; i--) {
		cs = &rv->cat.sets[i - 1];
		if (!cs->has_manifest || catalog_chain_start(&rv->cat,
		    i - 1) < 0)
			continue;
		rv->sets = xrealloc(rv->sets, (rv->nsets + 1) *
		    sizeof *rv->sets);
		rv->sets[rv->nsets].id = cs->id;
		rv->sets[rv->nsets].time = cs->time;
		rv->sets[rv->nsets].full = cs->full;
		rv->sets[rv->nsets].bytes = cs->bytes;
		rv->nsets++;
	}
}

/* Which set: asked for, chosen at the prompt, or the newest. */
static int
recover_choose(struct recover *rv, const struct recover_set **chosen,
    char **cause)
{
	const struct recover_options	*o = rv->o;
	const struct catalog_set	*cs;
	const char			*where = target_display(rv->t);
	size_t				 i, pick = 0;

	recover_list_sets(rv);
	if (rv->nsets == 0)
		return error_set(cause, "no complete backup set in %s to "
		    "recover from", where);
	if (o->r.set != NULL || o->r.has_time) {
		if ((cs = restore_pick_set(&rv->cat, &o->r, where,
		    cause)) == NULL)
			return -1;
		for (i = 0; i < rv->nsets; i++) {
			if (strcmp(rv->sets[i].id, cs->id) == 0)
				pick = i + 1;
		}
		if (pick == 0)
			return error_set(cause, "set %s in %s cannot be "
			    "restored: its chain has no complete full set",
			    cs->id, where);
		*chosen = &rv->sets[pick - 1];
		return recover_scan(rv, (*chosen)->id, cause);
	}
	/* The key is proved on the newest set before anyone is asked. */
	if (recover_scan(rv, rv->sets[0].id, cause) != 0)
		return -1;
	if (o->choose != NULL && o->choose(o->choose_arg, where, rv->sets,
	    rv->nsets, &pick, cause) != 0)
		return -1;
	if (pick >= rv->nsets)
		return error_set(cause, "no set number %zu", pick + 1);
	*chosen = &rv->sets[pick];
	if (pick != 0)
		return recover_scan(rv, (*chosen)->id, cause);
	return 0;
}

/* Options for one step's restore engine run: the set, borrowed handles. */
static void
recover_restore_options(struct recover *rv, const char *id,
    struct restore_options *ro)
{
	*ro = rv->o->r;
	ro->set = id;
	ro->has_time = 0;
	ro->quiet = 1;
	ro->force = 0;
	ro->dest = NULL;
	ro->paths = NULL;
	ro->npaths = 0;
	ro->open_transport = rv->t;
	ro->open_crypto = rv->c;
	ro->open_catalog = &rv->cat;
	ro->open_seals = rv->seals;
}

/* Rename every entry of stage/name up into the vault directory. */
static int
recover_move_up(struct recover *rv, char **cause)
{
	DIR		*d = NULL;
	struct dirent	*de;
	struct stat	 sb;
	char		*from = xasprintf("%s/%s", rv->stage, rv->vault->name);
	char		**names = NULL;
	size_t		 n = 0, i;
	int		 fromfd = -1, tofd = -1, rc = -1;

	tofd = open(rv->vault_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tofd == -1) {
		error_sys(cause, "unable to open '%s'", rv->vault_dir);
		goto out;
	}
	fromfd = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fromfd == -1 || (d = fdopendir(fromfd)) == NULL) {
		error_sys(cause, "unable to open '%s'", from);
		goto out;
	}
	fromfd = -1;		/* d's now */
	/* Names first: a directory is not read while it changes. */
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(de->d_name);
	}
	for (i = 0; i < n; i++) {
		if (interrupt_check(cause) != 0)
			goto out;
		if (renameat2(dirfd(d), names[i], tofd, names[i],
		    RENAME_NOREPLACE) == 0)
			continue;
		/*
		 * A filesystem without RENAME_NOREPLACE: the vault was empty
		 * but for the staging directory, whose name is random.
		 */
		if (errno == EINVAL && fstatat(tofd, names[i], &sb,
		    AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT &&
		    renameat(dirfd(d), names[i], tofd, names[i]) == 0)
			continue;
		error_sys(cause, "unable to move '%s/%s' into '%s'", from,
		    names[i], rv->vault_dir);
		goto out;
	}
	if (rmdir(from) != 0 || rmdir(rv->stage) != 0) {
		error_sys(cause, "unable to remove '%s'", rv->stage);
		goto out;
	}
	free(rv->stage);
	rv->stage = NULL;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (d != NULL)
		closedir(d);
	if (fromfd != -1)
		close(fromfd);
	if (tofd != -1)
		close(tofd);
	free(from);
	return rc;
}

static int
recover_vault(struct recover *rv, const char *id, char **cause)
{
	struct restore_options	 ro;
	struct timespec		 t0;
	char			*paths[1] = { rv->vault->name };
	char			 size[16];
	int			 rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	recover_format_bytes(rv->vault->bytes, size);
	recover_say(rv, "restoring the vault (%" PRIu64 " entries, %" PRIu64
	    " files, %s) into %s", rv->vault->entries - 1, rv->vault->files,
	    size, rv->vault_dir);
	rv->stage = xasprintf("%s/" RECOVER_STAGE_PREFIX "XXXXXX",
	    rv->vault_dir);
	if (mkdtemp(rv->stage) == NULL) {
		error_sys(cause, "unable to create '%s'", rv->stage);
		free(rv->stage);
		rv->stage = NULL;
		return EXIT_FAILURE_;
	}
	rv->vault_started = 1;
	recover_restore_options(rv, id, &ro);
	ro.dest = rv->stage;
	ro.paths = paths;
	ro.npaths = 1;
	if ((rc = restore_run(&ro, cause)) != EXIT_OK)
		return rc;
	if (recover_move_up(rv, cause) != 0)
		return EXIT_FAILURE_;
	rv->vault_done = 1;
	recover_say(rv, "vault restored (%.1f s)", recover_since(&t0));
	return EXIT_OK;
}

static int
recover_dump(struct recover *rv, const char *id, char **cause)
{
	struct restore_options	 ro;
	struct timespec		 t0;
	const char		*leaf = strrchr(rv->db_src->dump, '/');
	char			*paths[2] = { rv->db_src->dump, NULL };
	char			*q, size[16];
	int			 rc, gone;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	leaf = leaf != NULL ? leaf + 1 : rv->db_src->dump;
	rv->dump_file = xasprintf("%s/%s", rv->dump_dir, leaf);
	recover_format_bytes(rv->db_src->dump_size, size);
	q = log_quote(rv->db_src->dump);
	recover_say(rv, "writing the dump %s (%s) to %s", q, size,
	    rv->dump_file);
	free(q);
	recover_restore_options(rv, id, &ro);
	ro.paths = paths;
	ro.npaths = 1;
	if ((rc = fetch_run(&ro, rv->dump_file, &gone, cause)) != EXIT_OK)
		return rc;
	rv->dump_done = 1;
	recover_say(rv, "dump written (%.1f s)", recover_since(&t0));
	return EXIT_OK;
}

static int
recover_database(struct recover *rv, const char *id, char **cause)
{
	struct restore_options	 ro;
	struct timespec		 t0;
	char			*server = pg_server_name(&rv->db.pg);
	int			 rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	recover_say(rv, "restoring database '%s' on %s (locale %s, owner %s)",
	    rv->db.dbname, server, rv->db.locale, rv->db.owner);
	free(server);
	recover_restore_options(rv, id, &ro);
	rv->db.dump_path = rv->db_src->dump;
	if ((rc = restoredb_run(&ro, &rv->db, cause)) != EXIT_OK)
		return rc;
	recover_say(rv, "database restored (%.1f s)", recover_since(&t0));
	return EXIT_OK;
}

/* Add what a failure after the start left behind to its cause. */
static void
recover_left(struct recover *rv, char **cause)
{
	char	*left, *old;

	if (!rv->vault_started)
		left = xstrdup("nothing was changed");
	else if (!rv->vault_done)
		left = xasprintf("the vault directory '%s' was left partly "
		    "filled: empty it before trying again; the dump "
		    "directory and the database were not touched",
		    rv->vault_dir);
	else if (!rv->dump_done)
		left = xasprintf("the vault was restored into '%s'; the dump "
		    "directory '%s' is still empty and no database was "
		    "created", rv->vault_dir, rv->dump_dir);
	else
		left = xasprintf("the vault was restored into '%s' and the "
		    "dump into '%s'", rv->vault_dir, rv->dump_file);
	old = *cause;
	*cause = NULL;
	error_set(cause, "%s; %s", old != NULL ? old : "failed", left);
	free(old);
	free(left);
}

int
recover_run(const struct recover_options *o, char **cause)
{
	struct recover			 rv;
	const struct recover_set	*set = NULL;
	struct timespec			 t0;
	char				 when[21], size[16], *server = NULL;
	int				 rc = EXIT_FAILURE_, started = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&rv, 0, sizeof rv);
	rv.o = o;
	rv.vault_dir = o->vault_dir != NULL ? o->vault_dir : RECOVER_VAULT_DIR;
	rv.dump_dir = o->dump_dir != NULL ? o->dump_dir : RECOVER_DUMP_DIR;
	rv.db = o->db;
	if (rv.db.dbname == NULL)
		rv.db.dbname = RECOVER_DATABASE;
	if (rv.db.locale == NULL)
		rv.db.locale = RECOVER_LOCALE;
	if (rv.db.owner == NULL)
		rv.db.owner = RECOVER_OWNER;
	rv.db.dump_dbname = NULL;
	rv.db.dump_path = NULL;

	/* 1. Everything that can be checked, before anything is touched. */
	if (!o->yes) {
		if (o->only_restore)
			error_set(cause, "recover-from-backup fills '%s' and "
			    "'%s': give --yes-i-am-sure to go ahead",
			    rv.vault_dir, rv.dump_dir);
		else
			error_set(cause, "recover-from-backup fills '%s' and "
			    "'%s' and creates database '%s': give "
			    "--yes-i-am-sure to go ahead", rv.vault_dir,
			    rv.dump_dir, rv.db.dbname);
		rc = EXIT_USAGE;
		goto out;
	}
	if (recover_check_dirs(&rv, cause) != 0)
		goto out;
	if (!o->only_restore && (rc = restoredb_check(&rv.db,
	    cause)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	if ((rv.c = crypto_new(&o->r.crypto, 1, cause)) == NULL ||
	    (rv.t = target_open(o->r.url, &o->r.transport, cause)) == NULL ||
	    catalog_load(rv.t, &rv.cat, cause) != 0 ||
	    (rv.seals = seals_open(rv.t, &rv.cat, &o->r.seals,
	    o->r.seals.cache_dir, cause)) == NULL)
		goto out;
	if (recover_choose(&rv, &set, cause) != 0 ||
	    interrupt_check(cause) != 0)
		goto out;
	clock_format_iso(set->time, when);
	recover_format_bytes(set->bytes, size);
	recover_say(&rv, "set %s (%s, %s, %s stored) from %s", set->id,
	    set->full ? "full" : "incremental", when, size,
	    target_display(rv.t));

	/* 2. The vault, the dump, the database. */
	started = 1;
	if ((rc = recover_vault(&rv, set->id, cause)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	if (interrupt_check(cause) != 0)
		goto out;
	if ((rc = recover_dump(&rv, set->id, cause)) != EXIT_OK)
		goto out;
	rc = EXIT_FAILURE_;
	if (interrupt_check(cause) != 0)
		goto out;
	if (!o->only_restore &&
	    (rc = recover_database(&rv, set->id, cause)) != EXIT_OK)
		goto out;

	if (!o->r.quiet) {
		printf("recover-from-backup: done in %.1f s, from set %s\n",
		    recover_since(&t0), set->id);
		recover_format_bytes(rv.vault->bytes, size);
		printf("  vault:    %s: %" PRIu64 " entries, %" PRIu64
		    " files, %s\n", rv.vault_dir, rv.vault->entries - 1,
		    rv.vault->files, size);
		recover_format_bytes(rv.db_src->dump_size, size);
		printf("  dump:     %s: %s\n", rv.dump_file, size);
		if (o->only_restore)
			printf("  database: not created (--only-restore)\n");
		else {
			server = pg_server_name(&rv.db.pg);
			printf("  database: '%s' on %s, locale %s, owner %s\n",
			    rv.db.dbname, server, rv.db.locale, rv.db.owner);
		}
		fflush(stdout);
	}
	seals_say_learned(rv.seals);
	rc = EXIT_OK;
out:
	if (rc != EXIT_OK && started)
		recover_left(&rv, cause);
	recover_clear_sources(&rv);
	free(rv.sets);
	free(rv.stage);
	free(rv.dump_file);
	free(server);
	catalog_clear(&rv.cat);
	seals_free(rv.seals);
	target_close(rv.t);
	crypto_free(rv.c);
	return rc;
}
