/*
 * apply.h: creating restored entries under a destination directory.
 *
 * Every path is resolved one component at a time with O_NOFOLLOW relative
 * to the destination, so a restored (or pre-existing) symlink can never
 * redirect a later entry outside it. Regular files are written nameless
 * (O_TMPFILE, else a temporary name) and named only after the caller has
 * checked them: a file under its real name is always complete. The check
 * is the file's own hash (apply_commit), or its volume's digest when the
 * volume ends: apply_hold keeps complete files open and nameless until
 * apply_publish names them. Directory modes and times are applied last,
 * deepest first.
 */
#ifndef TRESOR_APPLY_H
#define TRESOR_APPLY_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"
#include "format/record.h"

struct apply;

struct apply	*apply_new(const char *dest, int force, char **cause);
/* Is a path safe to restore (relative, no "", "." or ".." component)? */
int		 apply_path_safe(const char *);
/* Does something already exist at path? (1 yes, 0 no) */
int		 apply_exists(struct apply *, const char *path);
/* Create a non-regular entry, or open a regular file's temporary. */
int		 apply_begin(struct apply *, const struct entry *, char **);
int		 apply_data(struct apply *, const void *, size_t, char **);
int		 apply_hole(struct apply *, uint64_t, char **);
/* Complete the open regular file: size, metadata, rename into place. */
int		 apply_commit(struct apply *, uint64_t size, char **);
/*
 * Complete the open regular file (size, nothing else yet) and hold it, open
 * and nameless, until apply_publish. sha256 is what its bytes must hash to
 * if apply_publish is asked to check them.
 */
int		 apply_hold(struct apply *, uint64_t size,
		     const uint8_t sha256[HASH_LEN], char **);
/*
 * Name every held file (metadata, rename into place), in the order held.
 * With lost, each one's bytes are hashed first: one that does not match
 * its sha256 is dropped and lost(arg, path) called. After a failure the
 * rest are dropped. Nothing is held afterwards.
 */
int		 apply_publish(struct apply *, void (*lost)(void *,
		     const char *), void *arg, char **);
/* Drop every held file: none gets a name. */
void		 apply_discard(struct apply *);
/* Drop the open regular file's temporary. */
void		 apply_abort(struct apply *);
/* Apply directory metadata. */
int		 apply_finish(struct apply *, char **);
void		 apply_free(struct apply *);

#endif
