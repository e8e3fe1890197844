/*
 * walker.h: walking a source tree in a fixed order (depth first, names
 * sorted bytewise), so two runs over the same tree see the same sequence.
 * Directories are reported before their contents. The walker stays on the
 * paths it is given: symlinks are recorded, never followed. Depth costs
 * heap, not stack, and at most 64 directory fds (see walker.c).
 */
#ifndef TRESOR_WALKER_H
#define TRESOR_WALKER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "format/record.h"

struct walk_item {
	struct entry	 e;		/* path is the stored path */
	int		 dirfd;		/* parent directory, to open the file */
	const char	*name;		/* name within dirfd */
	dev_t		 dev;
	ino_t		 ino;
	struct timespec	 ctime;
	blkcnt_t	 blocks;	/* 512-byte blocks: fewer than size: holes */
};

/*
 * Called for each entry: returns 0 if it was stored, 1 if it was skipped
 * (a later hard link to it then stores the data itself), -1 to stop the
 * walk with *cause.
 */
typedef int (*walk_fn)(void *, struct walk_item *, char **);

struct walker_stats {
	uint64_t	entries;	/* stored */
	uint64_t	warnings;	/* entries that could not be read */
};

/*
 * Walk `path`, storing it as `stored_name`. Entries that vanish during the
 * walk are skipped silently; unreadable ones are skipped with a warning.
 * With one_fs, a directory on another device than `path` (a mount point)
 * is stored but not entered. Fails only if `path` itself cannot be read or
 * fn fails.
 */
int	walker_run(const char *path, const char *stored_name, int one_fs,
	    walk_fn, void *, struct walker_stats *, char **cause);

#endif
