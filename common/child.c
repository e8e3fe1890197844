/*
 * child.c: helper programs as stream stages (see child.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "error.h"
#include "log.h"
#include "xmalloc.h"

/* What we ask the kernel to buffer between us and the child. */
#define CHILD_PIPE_SIZE	(1024 * 1024)

extern char **environ;

struct child {
	pid_t	 pid;
	int	 err_fd;	/* unlinked temporary file: its stderr; -1: quiet */
	char	*name;		/* basename of argv[0], for messages */
};

static char *
child_basename(const char *path)
{
	const char	*slash = strrchr(path, '/');

	return xstrdup(slash != NULL ? slash + 1 : path);
}

static int
child_error_file(char **cause)
{
	const char	*dir = getenv("TMPDIR");
	char		*path;
	int		 fd;

	path = xasprintf("%s/tresor-child.XXXXXX", dir != NULL && *dir != '\0' ?
	    dir : "/tmp");
	fd = mkostemp(path, O_CLOEXEC);
	if (fd == -1)
		error_sys(cause, "unable to create a temporary file in '%s'",
		    dir != NULL && *dir != '\0' ? dir : "/tmp");
	else
		unlink(path);
	free(path);
	return fd;
}

struct child *
child_spawn(char *const argv[], int in_fd, int out_fd, int keep_fd,
    char **cause)
{
	return child_spawn_keep(argv, in_fd, out_fd, &keep_fd,
	    keep_fd != -1 ? 1 : 0, cause);
}

/*
 * quiet: stderr (and stdout if out_fd is -1) to /dev/null, no file: for a
 * child whose messages may hold a secret.
 */
static struct child *
child_spawn_fds(char *const argv[], int in_fd, int out_fd, const int *keep,
    size_t nkeep, int quiet, char **cause)
{
	posix_spawn_file_actions_t	 fa;
	struct child			*c;
	size_t				 i;
	int				 err_fd = -1, rc, fd, maxkeep;
	pid_t				 pid;

	if (!quiet && (err_fd = child_error_file(cause)) == -1)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	if (in_fd == -1)
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
		    0);
	else
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	if (out_fd != -1)
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	else if (quiet)
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY,
		    0);
	else
		posix_spawn_file_actions_adddup2(&fa, err_fd, 1);
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY,
		    0);
	else
		posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	/* dup2 onto itself clears close-on-exec (POSIX 2017, glibc 2.29). */
	maxkeep = 2;
	for (i = 0; i < nkeep; i++) {
		posix_spawn_file_actions_adddup2(&fa, keep[i], keep[i]);
		if (keep[i] > maxkeep)
			maxkeep = keep[i];
	}
	/*
	 * Nothing else reaches the child, close-on-exec or not: another
	 * thread's library (gpgme, while the seals' keys are read during
	 * the data phase) may hold pipes made without it at this moment.
	 * An fd that is not open is no error for a close action (glibc).
	 */
	for (fd = 3; fd < maxkeep; fd++) {
		for (i = 0; i < nkeep && keep[i] != fd; i++)
			;
		if (i == nkeep)
			posix_spawn_file_actions_addclose(&fa, fd);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, maxkeep + 1);
	rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		error_sys(cause, "unable to run %s", argv[0]);
		if (err_fd != -1)
			close(err_fd);
		return NULL;
	}
	c = xcalloc(1, sizeof *c);
	c->pid = pid;
	c->err_fd = err_fd;
	c->name = child_basename(argv[0]);
	return c;
}

struct child *
child_spawn_keep(char *const argv[], int in_fd, int out_fd, const int *keep,
    size_t nkeep, char **cause)
{
	return child_spawn_fds(argv, in_fd, out_fd, keep, nkeep, 0, cause);
}

struct child *
child_spawn_quiet(char *const argv[], int in_fd, int out_fd, const int *keep,
    size_t nkeep, char **cause)
{
	return child_spawn_fds(argv, in_fd, out_fd, keep, nkeep, 1, cause);
}

struct child *
child_start(char *const argv[], enum child_pipe mode, int *fd, char **cause)
{
	struct child	*c;
	int		 p[2] = { -1, -1 };

	*fd = -1;
	if (mode != CHILD_NO_PIPE && pipe2(p, O_CLOEXEC) != 0) {
		error_sys(cause, "unable to create a pipe for %s", argv[0]);
		return NULL;
	}
	switch (mode) {
	case CHILD_READ_STDOUT:
		c = child_spawn(argv, -1, p[1], -1, cause);
		break;
	case CHILD_WRITE_STDIN:
		c = child_spawn(argv, p[0], -1, -1, cause);
		break;
	default:
		c = child_spawn(argv, -1, -1, -1, cause);
		break;
	}
	if (mode == CHILD_READ_STDOUT) {
		close(p[1]);
		*fd = p[0];
	} else if (mode == CHILD_WRITE_STDIN) {
		close(p[0]);
		*fd = p[1];
	}
	if (c == NULL && *fd != -1) {
		close(*fd);
		*fd = -1;
	}
	/* Fewer wake-ups with a larger pipe; the default 64 KiB still works. */
	if (*fd != -1)
		(void)fcntl(*fd, F_SETPIPE_SZ, CHILD_PIPE_SIZE);
	return c;
}

/* What the child printed: at most max bytes, NUL-terminated. */
static char *
child_output(struct child *c, size_t max)
{
	char	*buf = xmalloc(max + 1);
	ssize_t	 n = 0;

	if (c->err_fd != -1)
		n = pread(c->err_fd, buf, max, 0);
	buf[n > 0 ? (size_t)n : 0] = '\0';
	return buf;
}

/*
 * The line that says what went wrong: the first one naming an error (pg
 * tools print "pg_dump: error: ..." after any warnings), else the first.
 */
static char *
child_first_line(struct child *c)
{
	char	*text = child_output(c, 4096), *line, *next, *first = NULL;
	char	*pick = NULL, *q = NULL;

	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0')
			continue;
		if (first == NULL)
			first = line;
		if (strstr(line, "error") != NULL) {
			pick = line;
			break;
		}
	}
	if (pick == NULL)
		pick = first;
	if (pick != NULL)
		q = log_quote(pick);
	free(text);
	return q;
}

int
child_finish(struct child *c, char **output, char **cause)
{
	char	*line;
	int	 status, rc = -1;

	while (waitpid(c->pid, &status, 0) == -1) {
		if (errno != EINTR) {
			error_sys(cause, "unable to wait for %s", c->name);
			goto out;
		}
	}
	if (output != NULL)
		*output = child_output(c, 4096);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = 0;
		goto out;
	}
	line = child_first_line(c);
	if (WIFSIGNALED(status))
		error_set(cause, "%s was killed by signal %d%s%s", c->name,
		    WTERMSIG(status), line != NULL ? ": " : "",
		    line != NULL ? line : "");
	else
		error_set(cause, "%s exited with status %d%s%s", c->name,
		    WEXITSTATUS(status), line != NULL ? ": " : "",
		    line != NULL ? line : "");
	free(line);
out:
	if (c->err_fd != -1)
		close(c->err_fd);
	free(c->name);
	free(c);
	return rc;
}

void
child_abort(struct child *c)
{
	if (c == NULL)
		return;
	kill(c->pid, SIGTERM);
	while (waitpid(c->pid, NULL, 0) == -1 && errno == EINTR)
		;
	if (c->err_fd != -1)
		close(c->err_fd);
	free(c->name);
	free(c);
}
