/* io.h: small system-call helpers. */
#ifndef TRESOR_IO_H
#define TRESOR_IO_H

#include <stddef.h>
#include <stdio.h>

/* Write all of buf to fd, retrying on EINTR and short writes; 0 or -1
   with errno set by the failing write. */
int	io_write_all(int fd, const void *buf, size_t len);

/*
 * An anonymous spool file in $TMPDIR (else /tmp): 0600, never linked
 * (O_TMPFILE) or unlinked at once, and close-on-exec so that no child
 * (gpg, pg_dump) inherits it: it may hold plaintext. `what` names it in
 * *cause. Unlike tmpfile(3), which ignores TMPDIR and leaks into children.
 */
int	io_spool_open(const char *what, char **cause);
/* The same as a stdio stream, opened "w+". */
FILE	*io_spool_fopen(const char *what, char **cause);

/*
 * Mark every socket of this process close-on-exec. For libraries that
 * make sockets without SOCK_CLOEXEC where no callback reaches them
 * (libcurl 7.88's multi handle wakeup pair): no child (gpg, pg_dump) may
 * inherit a connection. Threads that exec at the same moment are not
 * covered, so call it right after the library made them.
 */
void	io_sockets_cloexec(void);

#endif
