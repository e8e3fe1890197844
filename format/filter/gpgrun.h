/*
 * gpgrun.h: one run of a GnuPG program (gpg, gpgv) on a few kilobytes
 * held in memory, for sign.c: its input from memory, its output and its
 * status lines back in memory. Seals and keys are small; volumes go
 * through gpgproc.c instead. Internal to format/filter/.
 *
 * Why not gpgme here: every gpgme context for a private home runs
 * `gpg --version` first (gpgme checks the engine whenever a home is set),
 * which costs as much as the operation itself. Checking a seal is on the
 * path of every backup, verify and restore.
 */
#ifndef TRESOR_GPGRUN_H
#define TRESOR_GPGRUN_H

#include <stddef.h>

struct gpgrun_result {
	char	*out;		/* its stdout, NUL-terminated */
	size_t	 outlen;
	char	*status;	/* its status lines, NUL-terminated */
	int	 exited_ok;	/* it exited with status 0 */
};

/*
 * Run program (a path) as `program --status-fd=N args...`, with
 * in[0..inlen) on its stdin. stderr goes to /dev/null: the status lines
 * say what happened. More than max octets of output is an error. 0 if it
 * ran (whatever its exit status), -1 with *cause if it could not be run.
 */
int	gpgrun_run(const char *program, char *const args[], const char *in,
	    size_t inlen, size_t max, struct gpgrun_result *, char **cause);
void	gpgrun_clear(struct gpgrun_result *);

/*
 * The next status line of `keyword` after *from ("[GNUPG:] KEYWORD args"):
 * its arguments (a pointer into the text, up to the newline, which is
 * not included: *len), or NULL. *from moves past it.
 */
const char *gpgrun_status(const char **from, const char *keyword,
	    size_t *len);

#endif
