/*
 * restore.h: bringing a set back, whole or selected paths, and checking a
 * set's data without writing anything (verify --read-data uses the same
 * path, so what verify checks is exactly what restore would do).
 */
#ifndef TRESOR_RESTORE_H
#define TRESOR_RESTORE_H

#include <stddef.h>
#include <time.h>

#include "format/filter/crypto.h"
#include "format/record.h"
#include "repo/seals.h"
#include "repo/target.h"

struct catalog;
struct catalog_set;

/*
 * Instead of a directory tree, one regular file into an output the caller
 * provides (fetch writes a file or stdout, restore-db feeds pg_restore).
 */
struct restore_output {
	/*
	 * Called once the file is found and its volumes are known, before
	 * any is read: returns the fd to write its content to, or -1.
	 */
	int	 (*open)(void *arg, const struct entry *, char **cause);
	/*
	 * Called at the end, also after a failure: ok is 1 only if the whole
	 * content was written and matched its hashes. Nonzero on failure.
	 */
	int	 (*close)(void *arg, int ok, char **cause);
	void	  *arg;
	const char *verb;	/* for messages: "fetch" */
	/* A directory path selects the one regular file under it. */
	int	   pick_single;
	/*
	 * Set to 1 when a write failed with EPIPE: the reader closed the
	 * output (a pipe into head), which is the reader's choice, not a
	 * failure of the restore. NULL: EPIPE is an error like any other.
	 */
	int	  *reader_gone;
	/* For messages: where the content goes ("'/srv/x'", "stdout"). */
	const char *where;
};

struct restore_options {
	const char		*url;
	struct transport_options transport;	/* how to reach url */
	struct crypto_options	 crypto;
	struct seals_options	 seals;		/* how sets are authenticated */
	const char		*dest;		/* NULL: check only, write nothing */
	const char		*set;		/* set id; NULL: the newest */
	int			 has_time;	/* else: the newest set at or */
	time_t			 time;		/* before this time */
	char * const		*paths;		/* stored paths; none: everything */
	size_t			 npaths;
	int			 force;		/* overwrite existing files */
	int			 quiet;
	const struct restore_output *output;	/* paths[0] to it; else NULL */
	/*
	 * Where a delta's base and the delta wait to be patched (as large as
	 * the file): under dest, else here, else $TMPDIR or /tmp.
	 */
	const char		*scratch_dir;
	/*
	 * verify --read-data checks every set through one connection and one
	 * key import: a target, its catalog and keys the caller opened, to
	 * borrow (not closed here). NULL: restore_run opens its own.
	 */
	struct transport	*open_transport;
	struct crypto		*open_crypto;
	const struct catalog	*open_catalog;
	struct seals		*open_seals;	/* checked by the caller */
};

/* Returns an exit code (common/error.h); *cause is set on failure. */
int	restore_run(const struct restore_options *, char **cause);

/*
 * The set o asks for: o->set, else the newest complete set at or before
 * o->time if has_time, else the newest complete set. NULL with *cause set
 * (naming `where`, the target) if there is none.
 */
const struct catalog_set *restore_pick_set(const struct catalog *,
	    const struct restore_options *o, const char *where, char **cause);
/*
 * Does a PATH operand (a stored path; trailing slashes ignored) select the
 * stored path `path`: the same path, or one under it?
 */
int	restore_path_selected(const char *sel, const char *path);

#endif
