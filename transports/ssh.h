/*
 * ssh.h: one SSH connection with SFTP on it (ssh.c), for the sftp:// and
 * scp:// drivers (sftp.c). Functions that can fail return 0, -1 for a
 * permanent failure or TRANSPORT_TRANSIENT, having dropped the connection,
 * for one another try may pass (see transport_retry).
 */
#ifndef TRESOR_SSH_H
#define TRESOR_SSH_H

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "transport.intern.h"

struct ssh_conn {
	struct transport	*t;
	char			*user;
	int			 port;
	int			 sock;
	LIBSSH2_SESSION		*session;
	LIBSSH2_SFTP		*sftp;		/* NULL: not connected */
	unsigned		 generation;	/* connections made so far */
	/*
	 * The open upload's handle, if any: closed (and so freed, even on a
	 * dead link) before the SFTP session is shut down, which would
	 * otherwise leave it and its queued writes allocated.
	 */
	LIBSSH2_SFTP_HANDLE	*upload;
};

int	ssh_init(struct ssh_conn *, struct transport *, char **cause);
void	ssh_free(struct ssh_conn *);
/* Connect, check the host key, log in and start SFTP, unless connected. */
int	ssh_connect(struct ssh_conn *, char **cause);
void	ssh_disconnect(struct ssh_conn *);
/*
 * A failed libssh2 call: "<fmt>: <reason>". The server's SFTP status is
 * permanent (no such file, permission denied): -1; anything else (a
 * dropped connection, a timeout) is transient and drops the connection.
 */
int	ssh_error(struct ssh_conn *, char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The SFTP status of the last failure, 0 if it was no SFTP status. */
unsigned long ssh_status(struct ssh_conn *);

#endif
