/*
 * ssh.c: one SSH connection for the sftp:// and scp:// drivers (libssh2):
 * a TCP connection bounded by the connect timeout, the handshake, the
 * host key checked against known_hosts (an unknown or changed key is
 * refused with its fingerprint, never accepted), the login (the private
 * key: --ssh-key, else ~/.ssh/id_ed25519 and id_rsa; then the password if
 * there is one) and the SFTP subsystem. Blocking calls are bounded by the
 * idle timeout (libssh2_session_set_timeout).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "ssh.h"

static pthread_once_t	 ssh_once = PTHREAD_ONCE_INIT;
static int		 ssh_init_rc;

static void
ssh_global_init(void)
{
	ssh_init_rc = libssh2_init(0);
	/* A peer closing the socket must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
}

void
ssh_disconnect(struct ssh_conn *sc)
{
	if (sc->upload != NULL && sc->sftp != NULL)
		libssh2_sftp_close(sc->upload);
	sc->upload = NULL;
	if (sc->sftp != NULL)
		libssh2_sftp_shutdown(sc->sftp);
	if (sc->session != NULL) {
		libssh2_session_disconnect(sc->session, "done");
		libssh2_session_free(sc->session);
	}
	if (sc->sock != -1)
		close(sc->sock);
	sc->sftp = NULL;
	sc->session = NULL;
	sc->sock = -1;
}

int
ssh_error(struct ssh_conn *sc, char **cause, const char *fmt, ...)
{
	static const char *const status[] = {
		"ok", "end of file", "no such file or directory",
		"permission denied", "failure", "bad message",
		"no connection", "connection lost", "operation unsupported",
		"invalid handle", "no such path", "file already exists",
		"write protected", "no media", "no space left on device",
		"quota exceeded", "unknown principal", "lock conflict",
		"directory not empty", "not a directory", "invalid file name",
		"too many symbolic links",
	};
	va_list		 ap;
	char		*what, *msg = NULL;
	unsigned long	 code;
	int		 err = LIBSSH2_ERROR_SOCKET_DISCONNECT;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (sc->session != NULL)
		err = libssh2_session_last_error(sc->session, &msg, NULL, 0);
	if (err == LIBSSH2_ERROR_SFTP_PROTOCOL && sc->sftp != NULL) {
		code = libssh2_sftp_last_error(sc->sftp);
		if (code < sizeof status / sizeof *status)
			error_set(cause, "%s: %s", what, status[code]);
		else
			error_set(cause, "%s: SFTP status %lu", what, code);
		free(what);
		return -1;
	}
	error_set(cause, "%s: %s", what, msg != NULL && *msg != '\0' ? msg :
	    "connection lost");
	free(what);
	ssh_disconnect(sc);
	return TRANSPORT_TRANSIENT;
}

/* The SFTP status of the last failure, 0 if it was no SFTP status. */
unsigned long
ssh_status(struct ssh_conn *sc)
{
	if (sc->session == NULL || sc->sftp == NULL ||
	    libssh2_session_last_errno(sc->session) !=
	    LIBSSH2_ERROR_SFTP_PROTOCOL)
		return 0;
	return libssh2_sftp_last_error(sc->sftp);
}

/* TCP connection with a time limit (libssh2 takes a connected socket). */
static int
ssh_tcp_connect(struct ssh_conn *sc, char **cause)
{
	struct transport	*t = sc->t;
	struct addrinfo		 hints, *res = NULL, *ai;
	struct pollfd		 pfd;
	char			 port[16];
	socklen_t		 sl;
	int			 fd = -1, rc, err = ETIMEDOUT;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", sc->port);
	rc = getaddrinfo(t->url.host, port, &hints, &res);
	if (rc != 0) {
		error_set(cause, "unable to connect to %s: %s", t->url.display,
		    gai_strerror(rc));
		/* A name that does not resolve now may later (DNS). */
		return rc == EAI_AGAIN ? TRANSPORT_TRANSIENT : -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, ai->ai_protocol);
		if (fd == -1) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		err = errno;
		if (err == EINPROGRESS) {
			pfd.fd = fd;
			pfd.events = POLLOUT;
			err = ETIMEDOUT;
			sl = sizeof err;
			if (poll(&pfd, 1, t->opts.connect_timeout * 1000) == 1 &&
			    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) ==
			    0 && err == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd == -1) {
		errno = err;
		error_sys(cause, "unable to connect to %s", t->url.display);
		return TRANSPORT_TRANSIENT;
	}
	/* libssh2 runs blocking, bounded by libssh2_session_set_timeout. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	sc->sock = fd;
	return 0;
}

/* A host key fingerprint as OpenSSH prints it: SHA256:<base64>. */
static char *
ssh_fingerprint(LIBSSH2_SESSION *session)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t	*h;
	char		 out[64], *p = out;
	int		 i, v;

	h = (const uint8_t *)libssh2_hostkey_hash(session,
	    LIBSSH2_HOSTKEY_HASH_SHA256);
	if (h == NULL)
		return xstrdup("(unknown fingerprint)");
	for (i = 0; i < 32; i += 3) {
		v = h[i] << 16 | (i + 1 < 32 ? h[i + 1] << 8 : 0) |
		    (i + 2 < 32 ? h[i + 2] : 0);
		*p++ = b64[v >> 18 & 63];
		*p++ = b64[v >> 12 & 63];
		if (i + 1 < 32)
			*p++ = b64[v >> 6 & 63];
		if (i + 2 < 32)
			*p++ = b64[v & 63];
	}
	*p = '\0';
	return xasprintf("SHA256:%s", out);
}

static char *
ssh_home_file(const char *name)
{
	const char	*home = getenv("HOME");
	struct passwd	*pw;

	if (home == NULL || *home == '\0') {
		pw = getpwuid(getuid());
		home = pw != NULL ? pw->pw_dir : "/";
	}
	return xasprintf("%s/.ssh/%s", home, name);
}

/* Is the server's host key the one known_hosts has for it? */
static int
ssh_check_host_key(struct ssh_conn *sc, char **cause)
{
	static const int	 types[] = {
		[LIBSSH2_HOSTKEY_TYPE_RSA] = LIBSSH2_KNOWNHOST_KEY_SSHRSA,
		[LIBSSH2_HOSTKEY_TYPE_DSS] = LIBSSH2_KNOWNHOST_KEY_SSHDSS,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_256] = LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_384] = LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_521] = LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
		[LIBSSH2_HOSTKEY_TYPE_ED25519] = LIBSSH2_KNOWNHOST_KEY_ED25519,
	};
	struct transport	*t = sc->t;
	LIBSSH2_KNOWNHOSTS	*kh = NULL;
	struct libssh2_knownhost *found;
	const char		*key;
	char			*file, *fp = NULL;
	size_t			 len;
	int			 type, rc = -1, check;

	file = t->opts.ssh_known_hosts != NULL ?
	    xstrdup(t->opts.ssh_known_hosts) : ssh_home_file("known_hosts");
	key = libssh2_session_hostkey(sc->session, &len, &type);
	if (key == NULL || type <= 0 ||
	    (size_t)type >= sizeof types / sizeof *types) {
		error_set(cause, "unable to check the host key of %s: "
		    "unsupported key type", t->url.display);
		goto out;
	}
	kh = libssh2_knownhost_init(sc->session);
	if (kh == NULL || (libssh2_knownhost_readfile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 && access(file, F_OK) == 0)) {
		error_set(cause, "unable to read known hosts file %s", file);
		goto out;
	}
	check = libssh2_knownhost_checkp(kh, t->url.host, sc->port, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    types[type], &found);
	fp = ssh_fingerprint(sc->session);
	switch (check) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		rc = 0;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		error_set(cause, "host key of %s has CHANGED (now %s): not the "
		    "key in %s; refusing to connect", t->url.display, fp, file);
		break;
	default:
		error_set(cause, "unknown host key %s for %s: not in %s; "
		    "refusing to connect (check the fingerprint, then add it, "
		    "e.g. ssh-keyscan -p %d %s >> %s)", fp, t->url.display, file,
		    sc->port, t->url.host, file);
		break;
	}
out:
	if (kh != NULL)
		libssh2_knownhost_free(kh);
	free(fp);
	free(file);
	return rc;
}

static int
ssh_try_key(struct ssh_conn *sc, const char *file)
{
	return libssh2_userauth_publickey_fromfile_ex(sc->session, sc->user,
	    (unsigned)strlen(sc->user), NULL, file, NULL);
}

/* Key, then password: the first the server takes. */
static int
ssh_authenticate(struct ssh_conn *sc, char **cause)
{
	struct transport	*t = sc->t;
	char			*keys[2] = { NULL, NULL }, *msg;
	size_t			 i;
	int			 rc = -1, err = 0, tried = 0;

	if (t->opts.ssh_key != NULL) {
		if (access(t->opts.ssh_key, R_OK) != 0)
			return error_sys(cause, "unable to read ssh key %s",
			    t->opts.ssh_key);
		keys[0] = xstrdup(t->opts.ssh_key);
	} else {
		keys[0] = ssh_home_file("id_ed25519");
		keys[1] = ssh_home_file("id_rsa");
	}
	for (i = 0; i < 2 && rc != 0; i++) {
		if (keys[i] == NULL || access(keys[i], R_OK) != 0)
			continue;
		tried = 1;
		rc = err = ssh_try_key(sc, keys[i]);
	}
	if (rc != 0 && t->url.password != NULL) {
		tried = 1;
		rc = err = libssh2_userauth_password_ex(sc->session, sc->user,
		    (unsigned)strlen(sc->user), t->url.password,
		    (unsigned)strlen(t->url.password), NULL);
	}
	if (rc != 0) {
		libssh2_session_last_error(sc->session, &msg, NULL, 0);
		if (err == LIBSSH2_ERROR_TIMEOUT || err ==
		    LIBSSH2_ERROR_SOCKET_RECV || err ==
		    LIBSSH2_ERROR_SOCKET_SEND || err ==
		    LIBSSH2_ERROR_SOCKET_DISCONNECT) {
			rc = ssh_error(sc, cause, "unable to log in to %s",
			    t->url.display);
			goto out;
		}
		error_set(cause, "authentication failed for user '%s' on %s "
		    "(%s)", sc->user, t->url.display, !tried ? "no key found "
		    "and no password given" : t->url.password != NULL ?
		    "key and password refused" : "key refused, no password "
		    "given");
		rc = -1;
	}
out:
	free(keys[0]);
	free(keys[1]);
	return rc;
}

/* Connect, check the host, log in and start SFTP, unless connected. */
int
ssh_connect(struct ssh_conn *sc, char **cause)
{
	struct transport	*t = sc->t;
	int			 rc;

	if (sc->sftp != NULL)
		return 0;
	ssh_disconnect(sc);
	if ((rc = ssh_tcp_connect(sc, cause)) != 0)
		return rc;
	sc->session = libssh2_session_init();
	if (sc->session == NULL) {
		ssh_disconnect(sc);
		return error_set(cause, "unable to start SSH for %s",
		    t->url.display);
	}
	libssh2_session_set_blocking(sc->session, 1);
	libssh2_session_set_timeout(sc->session,
	    (long)t->opts.idle_timeout * 1000);
	if (libssh2_session_handshake(sc->session, sc->sock) != 0)
		return ssh_error(sc, cause, "unable to start SSH with %s",
		    t->url.display);
	if (ssh_check_host_key(sc, cause) != 0 ||
	    (rc = ssh_authenticate(sc, cause)) != 0) {
		ssh_disconnect(sc);
		return rc == TRANSPORT_TRANSIENT ? rc : -1;
	}
	sc->sftp = libssh2_sftp_init(sc->session);
	if (sc->sftp == NULL)
		return ssh_error(sc, cause, "unable to start SFTP on %s",
		    t->url.display);
	sc->generation++;
	return 0;
}

int
ssh_init(struct ssh_conn *sc, struct transport *t, char **cause)
{
	struct passwd	*pw;

	pthread_once(&ssh_once, ssh_global_init);
	if (ssh_init_rc != 0)
		return error_set(cause, "unable to initialise libssh2");
	memset(sc, 0, sizeof *sc);
	sc->t = t;
	sc->sock = -1;
	sc->port = t->url.port != 0 ? t->url.port : 22;
	if (t->url.user != NULL)
		sc->user = xstrdup(t->url.user);
	else {
		pw = getpwuid(getuid());
		sc->user = xstrdup(pw != NULL ? pw->pw_name : "root");
	}
	return 0;
}

void
ssh_free(struct ssh_conn *sc)
{
	ssh_disconnect(sc);
	free(sc->user);
	sc->user = NULL;
}
