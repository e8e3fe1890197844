/*
 * scratch.h: files that hold plaintext only while a run needs them.
 *
 * A scratch file has no name: it is made with O_TMPFILE in its directory
 * (where the filesystem lacks that, it is created 0600 under a random name
 * and unlinked at once), so nothing of it is left behind however the
 * process ends, SIGKILL included. A file that must appear under a name in
 * the end (a restored file, fetch's DEST) gets one with scratch_link only
 * once it is complete.
 */
#ifndef TRESOR_SCRATCH_H
#define TRESOR_SCRATCH_H

/* Names of restore's scratch entries (dest/.tresor-scratch.PID.XXXXXX). */
#define SCRATCH_PREFIX	".tresor-scratch."

/*
 * A nameless file open for reading and writing in directory dirfd (or dir
 * if dirfd is -1), 0600, close-on-exec; -1 with errno set when O_TMPFILE
 * is not supported there or the file cannot be made.
 */
int	scratch_unnamed(int dirfd, const char *dir);
/* Like scratch_unnamed, falling back to create-and-unlink; cause on -1. */
int	scratch_open(const char *dir, char **cause);
/* Give an unnamed fd the name dirfd/name (which must not exist). */
int	scratch_link(int fd, int dirfd, const char *name);

#endif
