/*
 * smb.c: the smb:// driver (libsmbclient): a Windows or Samba share with
 * no mount, no root and no cifs-utils.
 *
 * URL: smb://[domain;]user[:password]@host[:port]/share/path, the path
 * inside the share; directories are made as needed. The password reaches
 * libsmbclient through its authentication callback, never in a URL it is
 * given (those hold no user at all).
 *
 * libsmbclient keeps its configuration in process-wide globals and reads
 * ~/.smb/smb.conf when its first context is made: every context here then
 * loads a private smb.conf, written into a temporary directory of its own
 * that also holds libsmbclient's cache, lock and state files and is
 * removed on close. It says: SMB2_02 to SMB3 only (no SMB1), no Kerberos
 * and no credential cache, no anonymous fallback; signing and encryption
 * as the server requires (the client defaults). Its log goes to a callback,
 * which keeps the last NT status named, so a failed login is told apart
 * from a denied access (both are EACCES).
 *
 * Objects are written to a temporary name, created exclusively, 4 MiB a
 * write: each smbc_write is one synchronous round trip, where smbclient
 * keeps several writes in flight; 1 MiB writes reached 76-92% of
 * smbclient's upload rate on loopback, 4 MiB 101-103%
 * (benchmarks/transports.sh). Publishing checks the temporary's size and that the name is free,
 * then renames. libsmbclient's rename replaces an existing target (on
 * EEXIST it deletes it and renames again), so "not replacing" rests on the
 * stat just before, under the target's lock: two writers of one name at
 * once are excluded by the lock, not by SMB. Reads go through the same
 * 4 MiB buffer (libsmbclient pipelines a large read), from any offset
 * (lseek).
 *
 * A connection refused, reset or timed out is retried with backoff on a
 * new context; a write cut off midway resumes at the last acknowledged
 * byte (the temporary is truncated there), a read at its offset. A context
 * is not thread-safe: no TRANSPORT_CONCURRENT.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "smblib.h"
#include "transport.intern.h"

#define SMB_BUFFER		(4 * 1024 * 1024)
#define SMB_ATTR_DIRECTORY	0x10

struct smb_target {
	struct transport	*t;
	SMBCCTX			*ctx;
	unsigned		 generation;	/* of ctx: files of an older
						   one are gone */
	char			*tmpdir;	/* libsmbclient's private dir */
	char			*conf;
	char			*share;		/* smb://host/share */
	char			*base;		/* smb://host/share/dir */
	char			*dir;		/* escaped, "" for the root */
	char			*domain;
	char			*user;
	char			 status[64];	/* last NT_STATUS_ logged */
	int			 login_failed;	/* logged since connecting */
};

struct smb_writer {
	struct sink		 sink;
	struct smb_target	*st;
	SMBCFILE		*file;
	unsigned		 generation;
	char			*name;
	char			*tmpname;
	char			*what;		/* "unable to write 'name' to URL" */
	uint8_t			*buf;
	size_t			 len;
	uint64_t		 stored;	/* acknowledged by the server */
	int			 published;
};

struct smb_reader {
	struct transport_reader	 reader;
	struct smb_target	*st;
	SMBCFILE		*file;
	unsigned		 generation;
	char			*name;
	char			*what;		/* "unable to read 'name' from URL" */
	uint64_t		 offset;	/* of buf[0] in the object */
	uint8_t			*buf;
	size_t			 len, off;
	int			 eof;
};

/* The URL of name in the target's directory (NULL: the directory). */
static char *
smb_url(struct smb_target *st, const char *name)
{
	if (name == NULL)
		return xstrdup(st->base);
	return xasprintf("%s/%s", st->base, name);
}

/* A path segment as libsmbclient decodes it: %XX for all but [A-Za-z0-9._-]. */
static void
smb_escape(char **out, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789ABCDEF";
	size_t			 n = strlen(*out), i;
	unsigned char		 c;

	*out = xrealloc(*out, n + 3 * len + 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
			(*out)[n++] = (char)c;
		else {
			(*out)[n++] = '%';
			(*out)[n++] = hex[c >> 4];
			(*out)[n++] = hex[c & 0xf];
		}
	}
	(*out)[n] = '\0';
}

static void
smb_log_cb(void *arg, int level, const char *msg)
{
	struct smb_target	*st = arg;
	const char		*p;
	size_t			 n;

	(void)level;
	/* At level 3: "SPNEGO login failed: The attempted logon is ..." */
	if (strstr(msg, "login failed") != NULL)
		st->login_failed = 1;
	if ((p = strstr(msg, "NT_STATUS_")) == NULL)
		return;
	n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
	if (n >= sizeof st->status)
		n = sizeof st->status - 1;
	memcpy(st->status, p, n);
	st->status[n] = '\0';
}

static void
smb_auth_cb(SMBCCTX *ctx, const char *server, const char *share, char *wg,
    int wglen, char *un, int unlen, char *pw, int pwlen)
{
	struct smb_target	*st = smblib()->getOptionUserData(ctx);
	const char		*password = st->t->url.password;

	(void)server;
	(void)share;
	if (st->domain != NULL)
		snprintf(wg, (size_t)wglen, "%s", st->domain);
	snprintf(un, (size_t)unlen, "%s", st->user != NULL ? st->user : "");
	snprintf(pw, (size_t)pwlen, "%s", password != NULL ? password : "");
}

static int
smb_transient(int err)
{
	switch (err) {
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT:
	case EPIPE:
	case ENOTCONN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case EAGAIN:
	case ENETRESET:
	case ENETDOWN:
		return 1;
	default:
		return 0;
	}
}

static void	smb_disconnect(struct smb_target *);

/*
 * "<what>: why" for errno err: TRANSPORT_TRANSIENT (the context dropped,
 * the next try connects anew) for the network's failures, else -1.
 */
static int
smb_error(struct smb_target *st, int err, char **cause, const char *what)
{
	const char	*s = st->status;

	if ((err == EACCES || err == EPERM) && st->login_failed)
		error_set(cause, "%s: authentication failed for user '%s'",
		    what, st->user != NULL ? st->user : "");
	else if ((err == EACCES || err == EPERM) &&
	    (strcmp(s, "NT_STATUS_LOGON_FAILURE") == 0 ||
	    strcmp(s, "NT_STATUS_WRONG_PASSWORD") == 0 ||
	    strncmp(s, "NT_STATUS_ACCOUNT_", 18) == 0 ||
	    strncmp(s, "NT_STATUS_PASSWORD_", 19) == 0))
		error_set(cause, "%s: authentication failed for user '%s' (%s)",
		    what, st->user != NULL ? st->user : "", s);
	else if (err == EACCES || err == EPERM)
		error_set(cause, "%s: access denied", what);
	else if (err == ENOSPC || err == EDQUOT)
		error_set(cause, "%s: the share is full", what);
	else if (*s != '\0')
		error_set(cause, "%s: %s (%s)", what, strerror(err), s);
	else
		error_set(cause, "%s: %s", what, strerror(err));
	if (!smb_transient(err))
		return -1;
	smb_disconnect(st);
	return TRANSPORT_TRANSIENT;
}

static void
smb_disconnect(struct smb_target *st)
{
	if (st->ctx == NULL)
		return;
	smblib()->free_context(st->ctx, 1);
	st->ctx = NULL;
}

/* A context with the private configuration (see the top). */
static int
smb_connect(struct smb_target *st, char **cause)
{
	struct transport	*t = st->t;
	SMBCCTX			*ctx;

	if (st->ctx != NULL)
		return 0;
	st->status[0] = '\0';
	st->login_failed = 0;
	if ((ctx = smblib()->new_context()) == NULL)
		return error_sys(cause, "unable to start libsmbclient for %s",
		    t->url.display);
	smblib()->setOptionUserData(ctx, st);
	smblib()->setLogCallback(ctx, st, smb_log_cb);
	smblib()->setDebug(ctx, 3);
	smblib()->setFunctionAuthDataWithContext(ctx, smb_auth_cb);
	smblib()->setOptionUseKerberos(ctx, 0);
	smblib()->setOptionFallbackAfterKerberos(ctx, 1);
	smblib()->setOptionUseCCache(ctx, 0);
	smblib()->setOptionNoAutoAnonymousLogin(ctx, 1);
	smblib()->setTimeout(ctx, t->opts.idle_timeout * 1000);
	smblib()->setPort(ctx, (uint16_t)(t->url.port != 0 ? t->url.port : 445));
	if (st->user != NULL)
		smblib()->setUser(ctx, st->user);
	if (st->domain != NULL)
		smblib()->setWorkgroup(ctx, st->domain);
	if (smblib()->setConfiguration(ctx, st->conf) != 0) {
		smblib()->free_context(ctx, 1);
		return error_set(cause, "unable to load libsmbclient's "
		    "configuration %s for %s", st->conf, t->url.display);
	}
	smblib()->setOptionProtocols(ctx, "SMB2_02", "SMB3");
	if (smblib()->init_context(ctx) == NULL) {
		smblib()->free_context(ctx, 1);
		return error_sys(cause, "unable to start libsmbclient for %s",
		    t->url.display);
	}
	st->ctx = ctx;
	st->generation++;
	return 0;
}

/* Stat a URL: 0 found (a file: its size), 1 not there, else an error. */
static int
smb_stat_url(struct smb_target *st, const char *url, uint64_t *size,
    char **cause, const char *what)
{
	struct stat	sb;
	int		rc;

	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	if (smblib()->getFunctionStat(st->ctx)(st->ctx, url, &sb) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		return smb_error(st, errno, cause, what);
	}
	if (!S_ISREG(sb.st_mode))
		return 1;
	*size = (uint64_t)sb.st_size;
	return 0;
}

struct smb_list_arg {
	struct name_list	*list;
	int			 temporaries;
};

static int
smb_list_step(struct transport *t, void *arg, char **cause)
{
	struct smb_target		*st = t->driver;
	struct smb_list_arg		*la = arg;
	const struct libsmb_file_info	*fi;
	SMBCFILE			*dir;
	char				*what;
	int				 rc;

	name_list_clear(la->list);
	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	what = xasprintf("unable to list %s", t->url.display);
	if ((dir = smblib()->getFunctionOpendir(st->ctx)(st->ctx, st->base)) ==
	    NULL) {
		/* No directory yet: put makes it. */
		rc = errno == ENOENT ? 0 : smb_error(st, errno, cause, what);
		goto out;
	}
	errno = 0;
	while ((fi = smblib()->getFunctionReaddirPlus(st->ctx)(st->ctx, dir)) !=
	    NULL) {
		if (fi->attrs & SMB_ATTR_DIRECTORY)
			continue;
		if (la->temporaries ? transport_name_temporary(fi->name) :
		    transport_name_valid(fi->name))
			name_list_add(la->list, fi->name, fi->size);
	}
	if (errno != 0 && errno != ENOENT)
		rc = smb_error(st, errno, cause, what);
	if (st->ctx != NULL)
		smblib()->getFunctionClosedir(st->ctx)(st->ctx, dir);
out:
	free(what);
	return rc;
}

static int
smb_list(struct transport *t, struct name_list *l, char **cause)
{
	struct smb_list_arg	la = { .list = l };

	return transport_retry(t, smb_list_step, &la, cause);
}

static int
smb_list_temporary(struct transport *t, struct name_list *l, char **cause)
{
	struct smb_list_arg	la = { .list = l, .temporaries = 1 };

	return transport_retry(t, smb_list_step, &la, cause);
}

static int
smb_stat_step(struct transport *t, void *arg, char **cause)
{
	struct transport_stat_arg *na = arg;
	char			*url, *what;
	int			 rc;

	url = smb_url(t->driver, na->name);
	what = xasprintf("unable to stat '%s' in %s", na->name,
	    t->url.display);
	rc = smb_stat_url(t->driver, url, &na->size, cause, what);
	na->found = rc == 0;
	free(what);
	free(url);
	return rc == 1 ? 0 : rc;
}

static int
smb_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	return transport_stat_retry(t, smb_stat_step, name, size, cause);
}

static int
smb_remove_step(struct transport *t, void *arg, char **cause)
{
	struct smb_target	*st = t->driver;
	const char		*name = arg;
	char			*url, *what;
	int			 rc;

	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	url = smb_url(st, name);
	what = xasprintf("unable to remove '%s' from %s", name,
	    t->url.display);
	if (smblib()->getFunctionUnlink(st->ctx)(st->ctx, url) != 0 &&
	    errno != ENOENT)
		rc = smb_error(st, errno, cause, what);
	free(what);
	free(url);
	return rc;
}

static int
smb_remove(struct transport *t, const char *name, char **cause)
{
	return transport_retry(t, smb_remove_step, (void *)name, cause);
}

/* mkdir -p of the target's directory inside the share. */
static int
smb_mkdirs(struct smb_target *st, char **cause, const char *what)
{
	char	*url, *end;
	int	 rc = 0;

	for (end = st->dir; rc == 0 && *end != '\0'; ) {
		end = strchr(end + 1, '/');
		if (end == NULL)
			end = st->dir + strlen(st->dir);
		url = xasprintf("%s/%.*s", st->share, (int)(end - st->dir),
		    st->dir);
		if (smblib()->getFunctionMkdir(st->ctx)(st->ctx, url, 0700) != 0 &&
		    errno != EEXIST)
			rc = smb_error(st, errno, cause, what);
		free(url);
	}
	return rc;
}

/* (Re)open the temporary: made afresh, or truncated to what was stored. */
static int
smb_writer_open(struct smb_writer *w, char **cause, const char *what)
{
	struct smb_target	*st = w->st;
	char			*url;
	int			 rc, flags = O_WRONLY;

	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	if (w->file != NULL && w->generation == st->generation)
		return 0;
	if (w->generation == 0) {
		if ((rc = smb_mkdirs(st, cause, what)) != 0)
			return rc;
		flags |= O_CREAT | O_EXCL;
	}
	url = smb_url(st, w->tmpname);
	w->file = smblib()->getFunctionOpen(st->ctx)(st->ctx, url, flags, 0600);
	free(url);
	if (w->file == NULL)
		return smb_error(st, errno, cause, what);
	w->generation = st->generation;
	if (w->stored > 0 && (smblib()->getFunctionFtruncate(st->ctx)(st->ctx,
	    w->file, (off_t)w->stored) != 0 ||
	    smblib()->getFunctionLseek(st->ctx)(st->ctx, w->file,
	    (off_t)w->stored, SEEK_SET) < 0))
		return smb_error(st, errno, cause, what);
	return 0;
}

static int
smb_create_step(struct transport *t, void *arg, char **cause)
{
	struct smb_writer	*w = arg;
	char			*what;
	int			 rc;

	what = xasprintf("unable to create '%s' in %s", w->name,
	    t->url.display);
	rc = smb_writer_open(w, cause, what);
	free(what);
	return rc;
}

/* Write the buffer from what is stored on (reopening after a cut). */
static int
smb_flush_step(struct transport *t, void *arg, char **cause)
{
	struct smb_writer	*w = arg;
	struct smb_target	*st = w->st;
	ssize_t			 n;
	int			 rc;

	(void)t;
	if ((rc = smb_writer_open(w, cause, w->what)) != 0)
		return rc;
	while (w->len > 0) {
		n = smblib()->getFunctionWrite(st->ctx)(st->ctx, w->file, w->buf,
		    w->len);
		if (n <= 0)
			return smb_error(st, n < 0 ? errno : EIO, cause, w->what);
		memmove(w->buf, w->buf + n, w->len - (size_t)n);
		w->len -= (size_t)n;
		w->stored += (uint64_t)n;
	}
	return 0;
}

static int
smb_writer_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct smb_writer	*w = (struct smb_writer *)s;

	return transport_buffer_write(w->st->t, w->buf, SMB_BUFFER, &w->len,
	    buf, len, smb_flush_step, w, cause);
}

static int
smb_publish_step(struct transport *t, void *arg, char **cause)
{
	struct smb_writer	*w = arg;
	struct smb_target	*st = w->st;
	struct transport_stat_arg tmp = { .name = w->tmpname };
	struct transport_stat_arg dst = { .name = w->name };
	char			*from, *to, *what;
	int			 rc;

	if ((rc = smb_stat_step(t, &tmp, cause)) != 0 ||
	    (rc = smb_stat_step(t, &dst, cause)) != 0)
		return rc;
	/* Done already (a reply lost), or a short upload, or taken. */
	if ((rc = transport_publish_check(t, w->name, w->stored, tmp.found,
	    tmp.size, dst.found, dst.size, cause)) != 0)
		return rc == 1 ? 0 : -1;
	from = smb_url(st, w->tmpname);
	to = smb_url(st, w->name);
	what = xasprintf("unable to publish '%s' in %s", w->name,
	    t->url.display);
	if (smblib()->getFunctionRename(st->ctx)(st->ctx, from, st->ctx, to) != 0)
		rc = smb_error(st, errno, cause, what);
	free(what);
	free(to);
	free(from);
	return rc;
}

static int
smb_writer_finish(struct sink *s, char **cause)
{
	struct smb_writer	*w = (struct smb_writer *)s;
	struct smb_target	*st = w->st;
	int			 rc = 0;

	if ((w->len > 0 || w->file == NULL) &&
	    transport_retry(st->t, smb_flush_step, w, cause) != 0)
		return -1;
	if (w->generation == st->generation && st->ctx != NULL &&
	    smblib()->getFunctionClose(st->ctx)(st->ctx, w->file) != 0)
		rc = smb_error(st, errno, cause, w->what);
	w->file = NULL;
	if (rc != 0 && rc != TRANSPORT_TRANSIENT)
		return -1;
	/* A lost close: the size check below tells whether all is there. */
	free(*cause);
	*cause = NULL;
	if (transport_retry(st->t, smb_publish_step, w, cause) != 0)
		return -1;
	w->published = 1;
	return 0;
}

static void
smb_writer_free(struct sink *s)
{
	struct smb_writer	*w = (struct smb_writer *)s;
	struct smb_target	*st = w->st;
	char			*cause = NULL;

	if (w->file != NULL && w->generation == st->generation &&
	    st->ctx != NULL)
		smblib()->getFunctionClose(st->ctx)(st->ctx, w->file);
	/* Best effort: cleanup removes what a lost connection leaves. */
	if (!w->published) {
		smb_remove_step(st->t, w->tmpname, &cause);
		free(cause);
	}
	free(w->name);
	free(w->tmpname);
	free(w->what);
	free(w->buf);
	free(w);
}

static const struct sink_ops smb_writer_ops = {
	.name = "smb-writer",
	.write = smb_writer_write,
	.finish = smb_writer_finish,
	.free = smb_writer_free,
};

static struct sink *
smb_put(struct transport *t, const char *name, char **cause)
{
	struct smb_writer	*w;

	w = xcalloc(1, sizeof *w);
	w->sink.ops = &smb_writer_ops;
	w->st = t->driver;
	w->name = xstrdup(name);
	w->tmpname = transport_tmpname(name);
	w->what = xasprintf("unable to write '%s' to %s", name,
	    t->url.display);
	w->buf = xmalloc(SMB_BUFFER);
	if (transport_retry(t, smb_create_step, w, cause) != 0) {
		w->published = w->generation == 0;	/* none made */
		smb_writer_free(&w->sink);
		return NULL;
	}
	return &w->sink;
}

/* (Re)open the object at the reader's offset. */
static int
smb_reader_open(struct smb_reader *r, char **cause, const char *what)
{
	struct smb_target	*st = r->st;
	char			*url;
	int			 rc;

	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	if (r->file != NULL && r->generation == st->generation)
		return 0;
	url = smb_url(st, r->name);
	r->file = smblib()->getFunctionOpen(st->ctx)(st->ctx, url, O_RDONLY, 0);
	free(url);
	if (r->file == NULL) {
		if (errno == ENOENT)
			return error_set(cause, "object '%s' is missing from "
			    "%s", r->name, st->t->url.display);
		return smb_error(st, errno, cause, what);
	}
	r->generation = st->generation;
	if (r->offset > 0 && smblib()->getFunctionLseek(st->ctx)(st->ctx, r->file,
	    (off_t)r->offset, SEEK_SET) < 0)
		return smb_error(st, errno, cause, what);
	return 0;
}

static int
smb_open_step(struct transport *t, void *arg, char **cause)
{
	struct smb_reader	*r = arg;
	char			*what;
	int			 rc;

	what = xasprintf("unable to open '%s' in %s", r->name,
	    t->url.display);
	rc = smb_reader_open(r, cause, what);
	free(what);
	return rc;
}

/* Refill the buffer from the reader's offset. */
static int
smb_fill_step(struct transport *t, void *arg, char **cause)
{
	struct smb_reader	*r = arg;
	struct smb_target	*st = r->st;
	ssize_t			 n;
	int			 rc;

	(void)t;
	if ((rc = smb_reader_open(r, cause, r->what)) != 0)
		return rc;
	n = smblib()->getFunctionRead(st->ctx)(st->ctx, r->file, r->buf,
	    SMB_BUFFER);
	if (n < 0)
		return smb_error(st, errno, cause, r->what);
	r->len = (size_t)n;
	r->off = 0;
	r->eof = n == 0;
	return 0;
}

static ssize_t
smb_reader_read(struct transport_reader *tr, void *buf, size_t len,
    char **cause)
{
	struct smb_reader	*r = (struct smb_reader *)tr;

	if (r->off == r->len && !r->eof) {
		r->offset += r->len;
		r->len = r->off = 0;
		if (transport_retry(r->st->t, smb_fill_step, r, cause) != 0)
			return -1;
	}
	if (r->off == r->len)
		return 0;
	if (len > r->len - r->off)
		len = r->len - r->off;
	memcpy(buf, r->buf + r->off, len);
	r->off += len;
	return (ssize_t)len;
}

static void
smb_reader_close(struct transport_reader *tr)
{
	struct smb_reader	*r = (struct smb_reader *)tr;
	struct smb_target	*st = r->st;

	if (r->file != NULL && r->generation == st->generation &&
	    st->ctx != NULL)
		smblib()->getFunctionClose(st->ctx)(st->ctx, r->file);
	free(r->name);
	free(r->what);
	free(r->buf);
	free(r);
}

static const struct transport_reader_ops smb_reader_ops = {
	.read = smb_reader_read,
	.close = smb_reader_close,
};

static struct transport_reader *
smb_get(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	struct smb_reader	*r;

	r = xcalloc(1, sizeof *r);
	r->reader.ops = &smb_reader_ops;
	r->st = t->driver;
	r->name = xstrdup(name);
	r->what = xasprintf("unable to read '%s' from %s", name,
	    t->url.display);
	r->offset = offset;
	r->buf = xmalloc(SMB_BUFFER);
	if (transport_retry(t, smb_open_step, r, cause) != 0) {
		smb_reader_close(&r->reader);
		return NULL;
	}
	return &r->reader;
}

/* The share must exist and let the user in: its own error, not "empty". */
static int
smb_share_step(struct transport *t, void *arg, char **cause)
{
	struct smb_target	*st = t->driver;
	struct stat		 sb;
	char			*what;
	int			 rc;

	(void)arg;
	if ((rc = smb_connect(st, cause)) != 0)
		return rc;
	what = xasprintf("unable to open %s", t->url.display);
	if (smblib()->getFunctionStat(st->ctx)(st->ctx, st->share, &sb) != 0) {
		if (errno == ENOENT || errno == ENODEV)
			rc = error_set(cause, "%s: no such share on the server",
			    what);
		else
			rc = smb_error(st, errno, cause, what);
	}
	free(what);
	return rc;
}

static int
smb_remove_private(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void
smb_close(struct transport *t)
{
	struct smb_target	*st = t->driver;

	smb_disconnect(st);
	if (st->tmpdir != NULL)
		nftw(st->tmpdir, smb_remove_private, 8, FTW_DEPTH | FTW_PHYS);
	free(st->tmpdir);
	free(st->conf);
	free(st->share);
	free(st->base);
	free(st->dir);
	free(st->domain);
	free(st->user);
	free(st);
	t->driver = NULL;
}

/* libsmbclient's private directory and configuration (see the top). */
static int
smb_private_config(struct smb_target *st, char **cause)
{
	const char	*tmp = getenv("TMPDIR");
	FILE		*f;

	st->tmpdir = xasprintf("%s/tresor-smb.XXXXXX", tmp != NULL &&
	    *tmp == '/' ? tmp : "/tmp");
	if (mkdtemp(st->tmpdir) == NULL) {
		error_sys(cause, "unable to make a directory for libsmbclient "
		    "(%s)", st->tmpdir);
		free(st->tmpdir);
		st->tmpdir = NULL;
		return -1;
	}
	st->conf = xasprintf("%s/smb.conf", st->tmpdir);
	if ((f = fopen(st->conf, "w")) == NULL)
		return error_sys(cause, "unable to write %s", st->conf);
	fprintf(f, "[global]\n"
	    "\tclient min protocol = SMB2_02\n"
	    "\tclient max protocol = SMB3\n"
	    "\tclient use kerberos = disabled\n"
	    "\tdisable netbios = yes\n"
	    "\tname resolve order = host\n"
	    "\tlog level = 3\n"
	    "\tprivate dir = %1$s\n"
	    "\tlock directory = %1$s\n"
	    "\tstate directory = %1$s\n"
	    "\tcache directory = %1$s\n"
	    "\tncalrpc dir = %1$s\n", st->tmpdir);
	if (fclose(f) != 0)
		return error_sys(cause, "unable to write %s", st->conf);
	return 0;
}

static int
smb_open(struct transport *t, char **cause)
{
	struct smb_target	*st;
	const char		*p = t->url.path, *end;
	char			*host, *semi;

	while (*p == '/')
		p++;
	if (*p == '\0')
		return error_set(cause, "invalid URL '%s': no share "
		    "(smb://host/share/path)", t->url.display);
	if (smblib_load(cause) == NULL)
		return -1;
	st = xcalloc(1, sizeof *st);
	st->t = t;
	t->driver = st;
	if (t->url.user != NULL) {
		if ((semi = strchr(t->url.user, ';')) != NULL) {
			st->domain = xasprintf("%.*s",
			    (int)(semi - t->url.user), t->url.user);
			st->user = xstrdup(semi + 1);
		} else
			st->user = xstrdup(t->url.user);
	}
	host = url_host_literal(&t->url);
	st->share = xasprintf("smb://%s/", host);
	free(host);
	end = strchr(p, '/');
	smb_escape(&st->share, p, end != NULL ? (size_t)(end - p) :
	    strlen(p));
	st->dir = xstrdup("");
	while (end != NULL) {
		p = end + strspn(end, "/");
		if (*p == '\0')
			break;
		end = strchr(p, '/');
		if (*st->dir != '\0') {
			semi = xasprintf("%s/", st->dir);
			free(st->dir);
			st->dir = semi;
		}
		smb_escape(&st->dir, p, end != NULL ? (size_t)(end - p) :
		    strlen(p));
	}
	st->base = *st->dir != '\0' ? xasprintf("%s/%s", st->share, st->dir) :
	    xstrdup(st->share);
	/* Log in, check the share and list now, so errors show at once. */
	if (smb_private_config(st, cause) != 0 ||
	    transport_retry(t, smb_share_step, NULL, cause) != 0) {
		smb_close(t);
		return -1;
	}
	return transport_open_list(t, cause);
}

const struct transport_ops transport_smb_ops = {
	.scheme = "smb",
	.alias = NULL,
	.features = TRANSPORT_ATOMIC_RENAME,
	.open = smb_open,
	.close = smb_close,
	.list = smb_list,
	.stat = smb_stat,
	.put = smb_put,
	.get = smb_get,
	.remove = smb_remove,
	.list_temporary = smb_list_temporary,
	.remove_temporary = smb_remove,
};
