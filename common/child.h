/*
 * child.h: running a helper program (pg_dump, pg_restore) as a stage of a
 * stream. Its stdin or stdout is one end of a pipe the caller holds; its
 * stderr goes to an unlinked temporary file, so a chatty child can never
 * block on a full pipe, and its first line is there to explain a failure.
 * Nothing is run through a shell: arguments are passed as they are, and
 * secrets are never among them (they travel in the environment the child
 * inherits, PGPASSWORD for instance, or in files).
 */
#ifndef TRESOR_CHILD_H
#define TRESOR_CHILD_H

#include <sys/types.h>

struct child;

enum child_pipe {
	CHILD_READ_STDOUT,	/* the caller reads what the child writes */
	CHILD_WRITE_STDIN,	/* the caller writes what the child reads */
	CHILD_NO_PIPE,		/* stdin /dev/null, stdout to the stderr file */
};

/*
 * Start argv[0] (a path, or a name looked up in PATH) with argv. *fd gets
 * the caller's end of the pipe (close-on-exec), or -1 for CHILD_NO_PIPE.
 */
struct child	*child_start(char *const argv[], enum child_pipe, int *fd,
		     char **cause);
/*
 * Start argv[0] with in_fd as its stdin and out_fd as its stdout (-1:
 * /dev/null in, the stderr file out), and keep_fd (-1: none) open under
 * its own number, for options such as gpg's --passphrase-fd. The caller
 * keeps its copies of the fds.
 */
struct child	*child_spawn(char *const argv[], int in_fd, int out_fd,
		     int keep_fd, char **cause);
/* The same, keeping nkeep fds (gpg's --passphrase-fd and --status-fd). */
struct child	*child_spawn_keep(char *const argv[], int in_fd, int out_fd,
		     const int *keep, size_t nkeep, char **cause);
/*
 * The same with stderr (and stdout when out_fd is -1) on /dev/null and no
 * file at all: for a child whose messages may hold a secret (gpg's
 * --show-session-key). child_finish's output is then empty.
 */
struct child	*child_spawn_quiet(char *const argv[], int in_fd, int out_fd,
		     const int *keep, size_t nkeep, char **cause);
/*
 * Wait for the child. Returns 0 if it exited with status 0; otherwise -1
 * with *cause "NAME exited with status N: <first line it printed>" or
 * "NAME was killed by signal N". If output is not NULL it gets what the
 * child printed (at most 4 KiB) either way. Frees the child.
 */
int		 child_finish(struct child *, char **output, char **cause);
/* Kill (SIGTERM) and reap a child that is no longer wanted; NULL is fine. */
void		 child_abort(struct child *);

#endif
