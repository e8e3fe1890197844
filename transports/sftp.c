/*
 * sftp.c: the sftp:// and scp:// drivers, over one SSH connection (libssh2).
 *
 * URLs are duplicity's: sftp://user[:password]@host[:port]/path, the path
 * relative to the login directory, //path absolute. scp:// is the same
 * server reached the same way: libssh2's scp channel can only copy whole
 * files (no listing, renaming or removal without a remote shell), so scp://
 * runs the SFTP subsystem underneath, as OpenSSH's own scp does since 9.0.
 *
 * The server is trusted only if its host key is in the known_hosts file; an
 * unknown or changed key is refused with its fingerprint, never accepted.
 * Authentication tries the private key (--ssh-key, else ~/.ssh/id_ed25519
 * and id_rsa), then the password if there is one.
 *
 * Objects are written to a temporary name, checked for their size and
 * renamed (OpenSSH's rename never replaces: objects are write-once). A
 * dropped connection is reopened with backoff (transport_retry); an upload
 * resumes at the last offset the server acknowledged, from the bytes still
 * buffered here, so memory stays bounded and nothing is published unless
 * the temporary object has exactly the bytes written.
 *
 * One connection, used by one thread at a time: no TRANSPORT_CONCURRENT.
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

#include <libssh2.h>
#include <libssh2_sftp.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "transport.intern.h"

/* Upload and download buffers: large requests let libssh2 pipeline. */
#define SFTP_BUFFER	(1024 * 1024)

struct sftp_target {
	struct transport	*t;
	char			*dir;		/* remote directory */
	char			*user;
	int			 port;
	int			 sock;
	LIBSSH2_SESSION		*session;
	LIBSSH2_SFTP		*sftp;
	unsigned		 generation;	/* connections made so far */
	unsigned		 dir_made;	/* generation that made dir */
};

struct sftp_writer {
	struct sink		 sink;
	struct sftp_target	*st;
	char			*name;
	char			*tmppath;
	char			*path;
	LIBSSH2_SFTP_HANDLE	*h;
	unsigned		 generation;	/* of h */
	uint8_t			*buf;
	size_t			 len;		/* bytes in buf */
	size_t			 off;		/* of those, acknowledged */
	uint64_t		 done;		/* acknowledged by the server */
	int			 published;
};

struct sftp_reader {
	struct transport_reader	 reader;
	struct sftp_target	*st;
	char			*name;
	char			*path;
	LIBSSH2_SFTP_HANDLE	*h;
	unsigned		 generation;	/* of h */
	uint64_t		 pos;		/* offset of the next fetch */
	uint8_t			*buf;
	size_t			 len, off;
};

static pthread_once_t	 sftp_once = PTHREAD_ONCE_INIT;
static int		 sftp_init_rc;

static void
sftp_global_init(void)
{
	sftp_init_rc = libssh2_init(0);
	/* A peer closing the socket must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
}

static void
sftp_disconnect(struct sftp_target *st)
{
	if (st->sftp != NULL)
		libssh2_sftp_shutdown(st->sftp);
	if (st->session != NULL) {
		libssh2_session_disconnect(st->session, "done");
		libssh2_session_free(st->session);
	}
	if (st->sock != -1)
		close(st->sock);
	st->sftp = NULL;
	st->session = NULL;
	st->sock = -1;
}

/*
 * A failed libssh2 call: the server's SFTP status is permanent (no such
 * file, permission denied), anything else (a dropped connection, a
 * timeout) is transient and drops the connection.
 */
static int
sftp_error(struct sftp_target *st, char **cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
sftp_error(struct sftp_target *st, char **cause, const char *fmt, ...)
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
	if (st->session != NULL)
		err = libssh2_session_last_error(st->session, &msg, NULL, 0);
	if (err == LIBSSH2_ERROR_SFTP_PROTOCOL && st->sftp != NULL) {
		code = libssh2_sftp_last_error(st->sftp);
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
	sftp_disconnect(st);
	return TRANSPORT_TRANSIENT;
}

/* The SFTP status of the last failure, 0 if it was no SFTP status. */
static unsigned long
sftp_status(struct sftp_target *st)
{
	if (st->session == NULL || st->sftp == NULL ||
	    libssh2_session_last_errno(st->session) !=
	    LIBSSH2_ERROR_SFTP_PROTOCOL)
		return 0;
	return libssh2_sftp_last_error(st->sftp);
}

/* TCP connection with a time limit (libssh2 takes a connected socket). */
static int
sftp_tcp_connect(struct sftp_target *st, char **cause)
{
	struct transport	*t = st->t;
	struct addrinfo		 hints, *res = NULL, *ai;
	struct pollfd		 pfd;
	char			 port[16];
	socklen_t		 sl;
	int			 fd = -1, rc, err = ETIMEDOUT;

	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	snprintf(port, sizeof port, "%d", st->port);
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
	st->sock = fd;
	return 0;
}

/* A host key fingerprint as OpenSSH prints it: SHA256:<base64>. */
static char *
sftp_fingerprint(LIBSSH2_SESSION *session)
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
sftp_home_file(const char *name)
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
sftp_check_host_key(struct sftp_target *st, char **cause)
{
	static const int	 types[] = {
		[LIBSSH2_HOSTKEY_TYPE_RSA] = LIBSSH2_KNOWNHOST_KEY_SSHRSA,
		[LIBSSH2_HOSTKEY_TYPE_DSS] = LIBSSH2_KNOWNHOST_KEY_SSHDSS,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_256] = LIBSSH2_KNOWNHOST_KEY_ECDSA_256,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_384] = LIBSSH2_KNOWNHOST_KEY_ECDSA_384,
		[LIBSSH2_HOSTKEY_TYPE_ECDSA_521] = LIBSSH2_KNOWNHOST_KEY_ECDSA_521,
		[LIBSSH2_HOSTKEY_TYPE_ED25519] = LIBSSH2_KNOWNHOST_KEY_ED25519,
	};
	struct transport	*t = st->t;
	LIBSSH2_KNOWNHOSTS	*kh = NULL;
	struct libssh2_knownhost *found;
	const char		*key;
	char			*file, *fp = NULL;
	size_t			 len;
	int			 type, rc = -1, check;

	file = t->opts.ssh_known_hosts != NULL ?
	    xstrdup(t->opts.ssh_known_hosts) : sftp_home_file("known_hosts");
	key = libssh2_session_hostkey(st->session, &len, &type);
	if (key == NULL || type <= 0 ||
	    (size_t)type >= sizeof types / sizeof *types) {
		error_set(cause, "unable to check the host key of %s: "
		    "unsupported key type", t->url.display);
		goto out;
	}
	kh = libssh2_knownhost_init(st->session);
	if (kh == NULL || (libssh2_knownhost_readfile(kh, file,
	    LIBSSH2_KNOWNHOST_FILE_OPENSSH) < 0 && access(file, F_OK) == 0)) {
		error_set(cause, "unable to read known hosts file %s", file);
		goto out;
	}
	check = libssh2_knownhost_checkp(kh, t->url.host, st->port, key, len,
	    LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW |
	    types[type], &found);
	fp = sftp_fingerprint(st->session);
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
		    st->port, t->url.host, file);
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
sftp_try_key(struct sftp_target *st, const char *file)
{
	return libssh2_userauth_publickey_fromfile_ex(st->session, st->user,
	    (unsigned)strlen(st->user), NULL, file, NULL);
}

/* Key, then password: the first the server takes. */
static int
sftp_authenticate(struct sftp_target *st, char **cause)
{
	struct transport	*t = st->t;
	char			*keys[2] = { NULL, NULL }, *msg;
	size_t			 i;
	int			 rc = -1, err = 0, tried = 0;

	if (t->opts.ssh_key != NULL) {
		if (access(t->opts.ssh_key, R_OK) != 0)
			return error_sys(cause, "unable to read ssh key %s",
			    t->opts.ssh_key);
		keys[0] = xstrdup(t->opts.ssh_key);
	} else {
		keys[0] = sftp_home_file("id_ed25519");
		keys[1] = sftp_home_file("id_rsa");
	}
	for (i = 0; i < 2 && rc != 0; i++) {
		if (keys[i] == NULL || access(keys[i], R_OK) != 0)
			continue;
		tried = 1;
		rc = err = sftp_try_key(st, keys[i]);
	}
	if (rc != 0 && t->url.password != NULL) {
		tried = 1;
		rc = err = libssh2_userauth_password_ex(st->session, st->user,
		    (unsigned)strlen(st->user), t->url.password,
		    (unsigned)strlen(t->url.password), NULL);
	}
	if (rc != 0) {
		libssh2_session_last_error(st->session, &msg, NULL, 0);
		if (err == LIBSSH2_ERROR_TIMEOUT || err ==
		    LIBSSH2_ERROR_SOCKET_RECV || err ==
		    LIBSSH2_ERROR_SOCKET_SEND || err ==
		    LIBSSH2_ERROR_SOCKET_DISCONNECT) {
			rc = sftp_error(st, cause, "unable to log in to %s",
			    t->url.display);
			goto out;
		}
		error_set(cause, "authentication failed for user '%s' on %s "
		    "(%s)", st->user, t->url.display, !tried ? "no key found "
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
static int
sftp_connect(struct sftp_target *st, char **cause)
{
	struct transport	*t = st->t;
	int			 rc;

	if (st->sftp != NULL)
		return 0;
	sftp_disconnect(st);
	if ((rc = sftp_tcp_connect(st, cause)) != 0)
		return rc;
	st->session = libssh2_session_init();
	if (st->session == NULL) {
		sftp_disconnect(st);
		return error_set(cause, "unable to start SSH for %s",
		    t->url.display);
	}
	libssh2_session_set_blocking(st->session, 1);
	libssh2_session_set_timeout(st->session,
	    (long)t->opts.idle_timeout * 1000);
	if (libssh2_session_handshake(st->session, st->sock) != 0)
		return sftp_error(st, cause, "unable to start SSH with %s",
		    t->url.display);
	if (sftp_check_host_key(st, cause) != 0 ||
	    (rc = sftp_authenticate(st, cause)) != 0) {
		sftp_disconnect(st);
		return rc == TRANSPORT_TRANSIENT ? rc : -1;
	}
	st->sftp = libssh2_sftp_init(st->session);
	if (st->sftp == NULL)
		return sftp_error(st, cause, "unable to start SFTP on %s",
		    t->url.display);
	st->generation++;
	return 0;
}

/* mkdir -p of the target directory, once a connection. */
static int
sftp_make_dir(struct sftp_target *st, char **cause)
{
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			*p;
	int			 rc = 0;

	if (st->dir_made == st->generation)
		return 0;
	p = st->dir;
	while (rc == 0 && p != NULL) {
		p = strchr(p + 1, '/');
		if (p != NULL)
			*p = '\0';
		if (libssh2_sftp_stat(st->sftp, st->dir, &a) != 0) {
			if (sftp_status(st) != LIBSSH2_FX_NO_SUCH_FILE)
				rc = sftp_error(st, cause, "unable to create "
				    "directory %s", st->t->url.display);
			else if (libssh2_sftp_mkdir(st->sftp, st->dir,
			    0700) != 0)
				rc = sftp_error(st, cause, "unable to create "
				    "directory '%s' for %s", st->dir,
				    st->t->url.display);
		} else if (!LIBSSH2_SFTP_S_ISDIR(a.permissions))
			rc = error_set(cause, "unable to create directory "
			    "'%s' for %s: a file is in the way", st->dir,
			    st->t->url.display);
		if (p != NULL)
			*p = '/';
	}
	if (rc == 0)
		st->dir_made = st->generation;
	return rc;
}

static int
sftp_connect_step(struct transport *t, void *arg, char **cause)
{
	(void)arg;
	return sftp_connect(t->driver, cause);
}

static void
sftp_close(struct transport *t)
{
	struct sftp_target	*st = t->driver;

	sftp_disconnect(st);
	free(st->dir);
	free(st->user);
	free(st);
	t->driver = NULL;
}

static int
sftp_open(struct transport *t, char **cause)
{
	struct sftp_target	*st;
	struct passwd		*pw;
	const char		*path = t->url.path;
	size_t			 len;

	pthread_once(&sftp_once, sftp_global_init);
	if (sftp_init_rc != 0)
		return error_set(cause, "unable to initialise libssh2");
	st = xcalloc(1, sizeof *st);
	st->t = t;
	st->sock = -1;
	st->port = t->url.port != 0 ? t->url.port : 22;
	if (t->url.user != NULL)
		st->user = xstrdup(t->url.user);
	else {
		pw = getpwuid(getuid());
		st->user = xstrdup(pw != NULL ? pw->pw_name : "root");
	}
	/* duplicity: /path is relative to the login directory, //path not. */
	if (path[0] == '/' && path[1] == '/')
		st->dir = xstrdup(path + 1);
	else
		st->dir = xstrdup(path[1] == '\0' ? "." : path + 1);
	len = strlen(st->dir);
	while (len > 1 && st->dir[len - 1] == '/')
		st->dir[--len] = '\0';
	t->driver = st;
	/* Connect now, so a bad host, host key or password shows at once. */
	if (transport_retry(t, sftp_connect_step, NULL, cause) != 0) {
		sftp_close(t);
		return -1;
	}
	return 0;
}

static char *
sftp_path(struct sftp_target *st, const char *name)
{
	return xasprintf("%s/%s", st->dir, name);
}

struct sftp_list_arg {
	struct name_list	*l;
	int			 temporaries;
};

static int
sftp_list_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_list_arg	*la = arg;
	LIBSSH2_SFTP_HANDLE	*d;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			 name[512];
	int			 rc, n;

	name_list_clear(la->l);		/* from a try that failed */
	if ((rc = sftp_connect(st, cause)) != 0)
		return rc;
	d = libssh2_sftp_opendir(st->sftp, st->dir);
	if (d == NULL) {
		/* No directory yet: an empty target (put creates it). */
		if (sftp_status(st) == LIBSSH2_FX_NO_SUCH_FILE)
			return 0;
		return sftp_error(st, cause, "unable to list %s",
		    t->url.display);
	}
	while ((n = libssh2_sftp_readdir(d, name, sizeof name, &a)) > 0) {
		if (la->temporaries) {
			if (strncmp(name, TRANSPORT_TMP_PREFIX,
			    strlen(TRANSPORT_TMP_PREFIX)) == 0)
				name_list_add(la->l, name, 0);
		} else if (transport_name_valid(name) &&
		    (a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) &&
		    LIBSSH2_SFTP_S_ISREG(a.permissions))
			name_list_add(la->l, name, a.filesize);
	}
	if (n < 0) {
		rc = sftp_error(st, cause, "unable to list %s", t->url.display);
		if (rc != TRANSPORT_TRANSIENT)
			libssh2_sftp_closedir(d);
		return rc;
	}
	libssh2_sftp_closedir(d);
	return 0;
}

static int
sftp_list(struct transport *t, struct name_list *l, char **cause)
{
	struct sftp_list_arg	la = { l, 0 };

	return transport_retry(t, sftp_list_step, &la, cause);
}

static int
sftp_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct sftp_list_arg	la = { l, 1 };

	return transport_retry(t, sftp_list_step, &la, cause);
}

struct sftp_name_arg {
	const char	*name;
	uint64_t	 size;
	int		 found;
};

static int
sftp_stat_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_name_arg	*na = arg;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	char			*path;
	int			 rc;

	if ((rc = sftp_connect(st, cause)) != 0)
		return rc;
	path = sftp_path(st, na->name);
	na->found = 0;
	if (libssh2_sftp_lstat(st->sftp, path, &a) != 0) {
		if (sftp_status(st) != LIBSSH2_FX_NO_SUCH_FILE)
			rc = sftp_error(st, cause, "unable to stat '%s' in %s",
			    na->name, t->url.display);
	} else if (!LIBSSH2_SFTP_S_ISREG(a.permissions))
		rc = error_set(cause, "'%s' in %s is not a regular file",
		    na->name, t->url.display);
	else {
		na->found = 1;
		na->size = a.filesize;
	}
	free(path);
	return rc;
}

static int
sftp_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	struct sftp_name_arg	na = { name, 0, 0 };

	if (transport_retry(t, sftp_stat_step, &na, cause) != 0)
		return -1;
	if (!na.found)
		return 1;
	*size = na.size;
	return 0;
}

static int
sftp_remove_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_name_arg	*na = arg;
	char			*path;
	int			 rc;

	if ((rc = sftp_connect(st, cause)) != 0)
		return rc;
	path = sftp_path(st, na->name);
	if (libssh2_sftp_unlink(st->sftp, path) != 0 &&
	    sftp_status(st) != LIBSSH2_FX_NO_SUCH_FILE)
		rc = sftp_error(st, cause, "unable to remove '%s' from %s",
		    na->name, t->url.display);
	free(path);
	return rc;
}

static int
sftp_remove(struct transport *t, const char *name, char **cause)
{
	struct sftp_name_arg	na = { name, 0, 0 };

	return transport_retry(t, sftp_remove_step, &na, cause);
}

/*
 * (Re)open the temporary object: created empty the first time, reopened
 * at the acknowledged offset after a reconnection. The server may hold
 * more than that (written, reply lost): those bytes are written again,
 * identical; less would mean it lost data it acknowledged.
 */
static int
sftp_writer_open(struct sftp_writer *w, char **cause)
{
	struct sftp_target	*st = w->st;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	int			 rc;

	if (w->h != NULL && w->generation == st->generation &&
	    st->sftp != NULL)
		return 0;
	w->h = NULL;	/* its connection is gone */
	if ((rc = sftp_connect(st, cause)) != 0 ||
	    (rc = sftp_make_dir(st, cause)) != 0)
		return rc;
	w->h = libssh2_sftp_open(st->sftp, w->tmppath, LIBSSH2_FXF_WRITE |
	    LIBSSH2_FXF_CREAT | (w->done == 0 ? LIBSSH2_FXF_TRUNC : 0), 0600);
	if (w->h == NULL)
		return sftp_error(st, cause, "unable to create '%s' in %s",
		    w->name, st->t->url.display);
	w->generation = st->generation;
	if (w->done == 0)
		return 0;
	if (libssh2_sftp_fstat(w->h, &a) != 0)
		return sftp_error(st, cause, "unable to resume '%s' in %s",
		    w->name, st->t->url.display);
	if (a.filesize < w->done)
		return error_set(cause, "unable to resume '%s' in %s: the "
		    "server lost data it had acknowledged", w->name,
		    st->t->url.display);
	libssh2_sftp_seek64(w->h, w->done);
	return 0;
}

static int
sftp_flush_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_writer	*w = arg;
	ssize_t			 n;
	int			 rc;

	(void)t;
	if ((rc = sftp_writer_open(w, cause)) != 0)
		return rc;
	while (w->off < w->len) {
		n = libssh2_sftp_write(w->h, (const char *)w->buf + w->off,
		    w->len - w->off);
		if (n < 0)
			return sftp_error(w->st, cause, "unable to write '%s' "
			    "to %s", w->name, t->url.display);
		w->off += (size_t)n;
		w->done += (uint64_t)n;
	}
	w->off = w->len = 0;
	return 0;
}

static int
sftp_writer_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;
	const uint8_t		*p = buf;
	size_t			 n;

	while (len > 0) {
		n = SFTP_BUFFER - w->len < len ? SFTP_BUFFER - w->len : len;
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		p += n;
		len -= n;
		if (w->len == SFTP_BUFFER && transport_retry(w->st->t,
		    sftp_flush_step, w, cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Close the temporary object once it has every byte, then rename it. A
 * rename whose reply was lost is retried: then the temporary is gone and
 * the object is there with our size.
 */
static int
sftp_publish_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_writer	*w = arg;
	struct sftp_target	*st = w->st;
	LIBSSH2_SFTP_ATTRIBUTES	 a;
	int			 rc;

	if ((rc = sftp_flush_step(t, w, cause)) != 0)
		return rc;
	if (w->h != NULL) {
		/* fsync@openssh.com; servers without it just say so. */
		libssh2_sftp_fsync(w->h);
		rc = libssh2_sftp_close(w->h);
		w->h = NULL;
		if (rc != 0)
			return sftp_error(st, cause, "unable to write '%s' to %s",
			    w->name, t->url.display);
	}
	if (libssh2_sftp_stat(st->sftp, w->tmppath, &a) != 0) {
		if (sftp_status(st) == LIBSSH2_FX_NO_SUCH_FILE &&
		    libssh2_sftp_stat(st->sftp, w->path, &a) == 0 &&
		    a.filesize == w->done)
			return 0;
		return sftp_error(st, cause, "unable to publish '%s' in %s",
		    w->name, t->url.display);
	}
	if (a.filesize != w->done)
		return error_set(cause, "unable to publish '%s' in %s: %llu "
		    "bytes written, %llu stored", w->name, t->url.display,
		    (unsigned long long)w->done,
		    (unsigned long long)a.filesize);
	/* OpenSSH renames by link(2): an existing object is never replaced. */
	if (libssh2_sftp_rename_ex(st->sftp, w->tmppath,
	    (unsigned)strlen(w->tmppath), w->path, (unsigned)strlen(w->path),
	    LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE) != 0) {
		if (sftp_status(st) == LIBSSH2_FX_FAILURE ||
		    sftp_status(st) == LIBSSH2_FX_FILE_ALREADY_EXISTS)
			return error_set(cause, "unable to publish '%s' in %s: "
			    "an object of that name exists", w->name,
			    t->url.display);
		return sftp_error(st, cause, "unable to publish '%s' in %s",
		    w->name, t->url.display);
	}
	return 0;
}

static int
sftp_writer_finish(struct sink *s, char **cause)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;

	if (transport_retry(w->st->t, sftp_publish_step, w, cause) != 0)
		return -1;
	w->published = 1;
	return 0;
}

static void
sftp_writer_free(struct sink *s)
{
	struct sftp_writer	*w = (struct sftp_writer *)s;
	struct sftp_target	*st = w->st;

	if (w->h != NULL && w->generation == st->generation &&
	    st->sftp != NULL)
		libssh2_sftp_close(w->h);
	/* Best effort: cleanup removes what a lost connection leaves. */
	if (!w->published && st->sftp != NULL)
		libssh2_sftp_unlink(st->sftp, w->tmppath);
	free(w->name);
	free(w->tmppath);
	free(w->path);
	free(w->buf);
	free(w);
}

static const struct sink_ops sftp_writer_ops = {
	.name = "sftp-writer",
	.write = sftp_writer_write,
	.finish = sftp_writer_finish,
	.free = sftp_writer_free,
};

static int
sftp_create_step(struct transport *t, void *arg, char **cause)
{
	(void)t;
	return sftp_writer_open(arg, cause);
}

static struct sink *
sftp_put(struct transport *t, const char *name, char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_writer	*w;
	static unsigned		 counter;
	char			*tmpname;

	w = xcalloc(1, sizeof *w);
	w->sink.ops = &sftp_writer_ops;
	w->st = st;
	w->name = xstrdup(name);
	tmpname = xasprintf(TRANSPORT_TMP_PREFIX "%s.%ld.%u", name,
	    (long)getpid(),
	    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
	w->tmppath = sftp_path(st, tmpname);
	free(tmpname);
	w->path = sftp_path(st, name);
	w->buf = xmalloc(SFTP_BUFFER);
	if (transport_retry(t, sftp_create_step, w, cause) != 0) {
		w->published = 1;	/* nothing to remove */
		sftp_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

/* (Re)open the object at the next offset to fetch. */
static int
sftp_fetch_step(struct transport *t, void *arg, char **cause)
{
	struct sftp_reader	*r = arg;
	struct sftp_target	*st = r->st;
	ssize_t			 n;
	int			 rc;

	if (r->h == NULL || r->generation != st->generation ||
	    st->sftp == NULL) {
		r->h = NULL;
		if ((rc = sftp_connect(st, cause)) != 0)
			return rc;
		r->h = libssh2_sftp_open(st->sftp, r->path, LIBSSH2_FXF_READ,
		    0);
		if (r->h == NULL) {
			if (sftp_status(st) == LIBSSH2_FX_NO_SUCH_FILE)
				return error_set(cause, "object '%s' is missing "
				    "from %s", r->name, t->url.display);
			return sftp_error(st, cause, "unable to open '%s' in %s",
			    r->name, t->url.display);
		}
		r->generation = st->generation;
		libssh2_sftp_seek64(r->h, r->pos);
	}
	if (r->buf == NULL)
		return 0;	/* only opening */
	n = libssh2_sftp_read(r->h, (char *)r->buf, SFTP_BUFFER);
	if (n < 0)
		return sftp_error(st, cause, "unable to read '%s' from %s",
		    r->name, t->url.display);
	r->len = (size_t)n;
	r->off = 0;
	r->pos += (uint64_t)n;
	return 0;
}

static ssize_t
sftp_reader_read(struct transport_reader *tr, void *buf, size_t len,
    char **cause)
{
	struct sftp_reader	*r = (struct sftp_reader *)tr;

	if (r->buf == NULL)
		r->buf = xmalloc(SFTP_BUFFER);
	if (r->off == r->len && transport_retry(r->st->t, sftp_fetch_step, r,
	    cause) != 0)
		return -1;
	if (len > r->len - r->off)
		len = r->len - r->off;
	memcpy(buf, r->buf + r->off, len);
	r->off += len;
	return (ssize_t)len;
}

static void
sftp_reader_close(struct transport_reader *tr)
{
	struct sftp_reader	*r = (struct sftp_reader *)tr;

	if (r->h != NULL && r->generation == r->st->generation &&
	    r->st->sftp != NULL)
		libssh2_sftp_close(r->h);
	free(r->name);
	free(r->path);
	free(r->buf);
	free(r);
}

static const struct transport_reader_ops sftp_reader_ops = {
	.read = sftp_reader_read,
	.close = sftp_reader_close,
};

static struct transport_reader *
sftp_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	struct sftp_target	*st = t->driver;
	struct sftp_reader	*r;

	r = xcalloc(1, sizeof *r);
	r->reader.ops = &sftp_reader_ops;
	r->st = st;
	r->name = xstrdup(name);
	r->path = sftp_path(st, name);
	r->pos = offset;
	/* Open now (no buffer yet: nothing is read), so errors show here. */
	if (transport_retry(t, sftp_fetch_step, r, cause) != 0) {
		sftp_reader_close(&r->reader);
		return NULL;
	}
	return &r->reader;
}

const struct transport_ops transport_sftp_ops = {
	.scheme = "sftp",
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = sftp_open,
	.close = sftp_close,
	.list = sftp_list,
	.stat = sftp_stat,
	.put = sftp_put,
	.get = sftp_get,
	.remove = sftp_remove,
	.list_temporary = sftp_list_temporary,
	.remove_temporary = sftp_remove,
};

/* scp://: the same server and login, SFTP underneath (see the top). */
const struct transport_ops transport_scp_ops = {
	.scheme = "scp",
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = sftp_open,
	.close = sftp_close,
	.list = sftp_list,
	.stat = sftp_stat,
	.put = sftp_put,
	.get = sftp_get,
	.remove = sftp_remove,
	.list_temporary = sftp_list_temporary,
	.remove_temporary = sftp_remove,
};
