/*
 * rindex.h: the entries of the set being restored, held compactly.
 *
 * A restore keeps every manifest entry until the end (to select, to find a
 * record's file, to check that nothing is missing), so a million files are
 * a million of these. Each keeps only what restore uses (not the fields a
 * backup uses to tell an unchanged file), its strings live in an arena
 * shared by all, set IDs are interned (a chain has few sets), what only a
 * delta needs hangs off a separate allocation, and the index by path is a
 * table of 32-bit entry numbers, not a second copy of every path.
 */
#ifndef TRESOR_RINDEX_H
#define TRESOR_RINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "format/manifest.h"
#include "format/record.h"

/* Where records are: set number (rindex_set_id), volumes vol..last. */
struct rloc {
	uint64_t	 off;		/* of the ENTRY record in volume vol */
	uint32_t	 vol;		/* 0: none */
	uint32_t	 last;
	uint16_t	 set;
};

/* Only for a file stored as a delta. */
struct rdelta {
	uint64_t	 size;			/* of the delta */
	uint8_t		 sha256[HASH_LEN];	/* of the delta */
	struct rloc	 base;			/* the whole version it needs */
	uint64_t	 base_size;
	uint8_t		 base_sha256[HASH_LEN];
	/* The checked delta, read first, waiting for its base: */
	int		 spool_fd;	/* nameless; or -1 */
	char		*spool_tmp;	/* or named, in a scratch directory */
	uint8_t		 forward;	/* its copies run forward */
};

struct rentry {
	const char	*path;		/* in the arena */
	const char	*target;	/* l, h; or NULL */
	struct rdelta	*delta;		/* NULL unless stored as a delta */
	uint64_t	 size;
	int64_t		 mtime_sec;
	uint64_t	 rdev;
	struct rloc	 loc;		/* its records (f: whole or delta) */
	uint32_t	 mtime_nsec;
	uint32_t	 mode;
	uint32_t	 uid;
	uint32_t	 gid;
	uint32_t	 lost;		/* r->damaged[lost - 1] holds it: skipped */
	char		 kind;
	uint8_t		 wanted;
	uint8_t		 done;
	uint8_t		 sha256[HASH_LEN];	/* f: of the content */
};

struct rindex;

/* this_set: the set whose manifest is read ("" in a loc means it). */
struct rindex	*rindex_new(const char *this_set);
/*
 * Add a manifest entry; always takes its strings (freed here). Fails on a
 * path listed twice, or past 2^32 - 1 entries or 65,535 sets.
 */
int		 rindex_add(struct rindex *, struct manifest_entry *,
		     char **cause);
size_t		 rindex_count(const struct rindex *);
/* Entry i, in manifest order; the pointer stays valid until the free. */
struct rentry	*rindex_at(const struct rindex *, size_t);
struct rentry	*rindex_get(const struct rindex *, const char *path);
const char	*rindex_set_id(const struct rindex *, uint16_t);
/* An entry's metadata as struct entry; strings borrowed from the index. */
void		 rentry_entry(const struct rentry *, struct entry *);
/* Close and remove the bases still waiting, free everything. */
void		 rindex_free(struct rindex *);

#endif
