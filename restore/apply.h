/*
 * apply.h: creating restored entries under a destination directory.
 *
 * Every path is resolved one component at a time with O_NOFOLLOW relative
 * to the destination, so a restored (or pre-existing) symlink can never
 * redirect a later entry outside it. Regular files are written to a
 * temporary name and renamed into place only after the caller has checked
 * their hash: a file under its real name is always complete. Directory
 * modes and times are applied last, deepest first.
 */
#ifndef TRESOR_APPLY_H
#define TRESOR_APPLY_H

#include <stddef.h>
#include <stdint.h>

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
/* Drop the open regular file's temporary. */
void		 apply_abort(struct apply *);
/* Apply directory metadata. */
int		 apply_finish(struct apply *, char **);
void		 apply_free(struct apply *);

#endif
