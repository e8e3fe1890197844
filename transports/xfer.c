/*
 * xfer.c: libcurl transfers on a shared multi handle (see xfer.h).
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/io.h"
#include "common/xmalloc.h"
#include "xfer.h"

static pthread_once_t	 xfer_once = PTHREAD_ONCE_INIT;
static CURLcode		 xfer_init_rc;

static void
xfer_global_init(void)
{
	xfer_init_rc = curl_global_init(CURL_GLOBAL_ALL);
	/* A peer closing the socket must be an error, not a signal. */
	signal(SIGPIPE, SIG_IGN);
}

/* Failures that may pass with another try: the network, not the server. */
static int
xfer_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_FTP_ACCEPT_FAILED:
	case CURLE_FTP_ACCEPT_TIMEOUT:
	case CURLE_FTP_CANT_GET_HOST:
	case CURLE_FTP_WEIRD_PASV_REPLY:
	case CURLE_FTP_WEIRD_227_FORMAT:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

int
xfer_error(struct xfer *x, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*what;

	va_start(ap, fmt);
	if (vasprintf(&what, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (x->result == CURLE_LOGIN_DENIED)
		error_set(cause, "%s: authentication failed for user '%s' (%s)",
		    what, x->t->url.user != NULL ? x->t->url.user :
		    "anonymous", x->errbuf);
	else
		error_set(cause, "%s: %s", what, x->errbuf[0] != '\0' ?
		    x->errbuf : curl_easy_strerror(x->result));
	free(what);
	return xfer_transient(x->result) ? TRANSPORT_TRANSIENT : -1;
}

static size_t
xfer_read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	if (x->inlen == 0) {
		if (x->eof)
			return 0;
		x->paused = 1;
		return CURL_READFUNC_PAUSE;
	}
	if (len > x->inlen)
		len = x->inlen;
	memcpy(buf, x->in, len);
	x->in += len;
	x->inlen -= len;
	return len;
}

static size_t
xfer_write_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	/*
	 * curl hands over 16 KiB pieces: take them until the buffer is
	 * full, then pause (curl keeps the rest) until the reader catches up.
	 */
	if (x->out == NULL)
		x->out = xmalloc(XFER_BUFFER);
	if (x->outoff > 0 && x->outlen + len > XFER_BUFFER) {
		memmove(x->out, x->out + x->outoff, x->outlen - x->outoff);
		x->outlen -= x->outoff;
		x->outoff = 0;
	}
	if (x->outlen + len > XFER_BUFFER) {
		x->paused = 1;
		return CURL_WRITEFUNC_PAUSE;
	}
	memcpy(x->out + x->outlen, buf, len);
	x->outlen += len;
	return len;
}

/*
 * libcurl 7.88 makes its sockets without SOCK_CLOEXEC: gpg and pg_dump,
 * started while a transfer is open, would inherit the connection.
 */
static int
xfer_sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	int	flags;

	(void)arg;
	(void)purpose;
	if ((flags = fcntl(fd, F_GETFD)) == -1 ||
	    fcntl(fd, F_SETFD, flags | FD_CLOEXEC) == -1)
		return CURL_SOCKOPT_ERROR;
	return CURL_SOCKOPT_OK;
}

struct xfer *
xfer_new(CURLM *multi, struct transport *t, const char *url, int flags)
{
	const char	*protocol = "ftp";

	struct xfer	*x = xcalloc(1, sizeof *x);

	x->multi = multi;
	x->t = t;
	x->easy = curl_easy_init();
	if (x->easy == NULL)
		abort();
	curl_easy_setopt(x->easy, CURLOPT_URL, url);
	curl_easy_setopt(x->easy, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->easy, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->easy, CURLOPT_NOSIGNAL, 1L);
	if (flags & XFER_HTTP)
		protocol = (flags & XFER_TLS) ? "https" : "http";
	curl_easy_setopt(x->easy, CURLOPT_PROTOCOLS_STR, protocol);
	if (t->url.user != NULL || !(flags & XFER_HTTP))
		curl_easy_setopt(x->easy, CURLOPT_USERNAME,
		    t->url.user != NULL ? t->url.user : "anonymous");
	if (t->url.password != NULL)
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD, t->url.password);
	curl_easy_setopt(x->easy, CURLOPT_CONNECTTIMEOUT,
	    (long)t->opts.connect_timeout);
	curl_easy_setopt(x->easy, CURLOPT_SERVER_RESPONSE_TIMEOUT,
	    (long)t->opts.idle_timeout);
	/* Idle: less than a byte a second for the whole idle timeout. */
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(x->easy, CURLOPT_LOW_SPEED_TIME,
	    (long)t->opts.idle_timeout);
	curl_easy_setopt(x->easy, CURLOPT_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(x->easy, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	curl_easy_setopt(x->easy, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(x->easy, CURLOPT_SOCKOPTFUNCTION, xfer_sockopt_cb);
	if (flags & XFER_TLS) {
		if (!(flags & XFER_HTTP))
			curl_easy_setopt(x->easy, CURLOPT_USE_SSL,
			    (long)CURLUSESSL_ALL);
		if (t->opts.ca_file != NULL)
			curl_easy_setopt(x->easy, CURLOPT_CAINFO,
			    t->opts.ca_file);
		if (t->opts.insecure_tls) {
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYPEER, 0L);
			curl_easy_setopt(x->easy, CURLOPT_SSL_VERIFYHOST, 0L);
		}
	}
	curl_easy_setopt(x->easy, CURLOPT_READFUNCTION, xfer_read_cb);
	curl_easy_setopt(x->easy, CURLOPT_READDATA, x);
	curl_easy_setopt(x->easy, CURLOPT_WRITEFUNCTION, xfer_write_cb);
	curl_easy_setopt(x->easy, CURLOPT_WRITEDATA, x);
	return x;
}

void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->running)
		curl_multi_remove_handle(x->multi, x->easy);
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->quote);
	curl_slist_free_all(x->headers);
	free(x->out);
	free(x);
}

void
xfer_pump(CURLM *multi)
{
	struct xfer		*owner;
	CURLMsg			*msg;
	int			 still, left;

	if (curl_multi_perform(multi, &still) != CURLM_OK)
		abort();
	while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&owner);
		owner->done = 1;
		owner->result = msg->data.result;
		owner->running = 0;
		curl_multi_remove_handle(multi, msg->easy_handle);
	}
}

void
xfer_start(struct xfer *x)
{
	if (!x->running && !x->done) {
		curl_multi_add_handle(x->multi, x->easy);
		x->running = 1;
	}
}

int
xfer_run(struct xfer *x, int (*until)(struct xfer *), char **cause,
    const char *what)
{
	xfer_start(x);
	if (x->paused) {
		x->paused = 0;
		curl_easy_pause(x->easy, CURLPAUSE_CONT);
	}
	while (!x->done && (until == NULL || !until(x))) {
		xfer_pump(x->multi);
		if (x->done || (until != NULL && until(x)) || x->paused)
			break;
		curl_multi_poll(x->multi, NULL, 0, 1000, NULL);
	}
	if (x->done && x->result != CURLE_OK)
		return xfer_error(x, cause, "%s", what);
	return 0;
}

int
xfer_taken(struct xfer *x)
{
	return x->inlen == 0 && x->paused;
}

int
xfer_ready(struct xfer *x)
{
	return x->outlen - x->outoff >= XFER_BUFFER / 2 || x->paused;
}

int
xfer_push(struct xfer *x, const uint8_t *buf, size_t len, char **cause,
    const char *what)
{
	x->in = buf;
	x->inlen = len;
	if (xfer_run(x, xfer_taken, cause, what) != 0)
		return -1;
	if (x->done && !x->eof)
		return error_set(cause, "%s: the server ended the upload", what);
	return 0;
}

/*
 * Push the buffer. A step for transport_buffer_write, tried once: a push
 * fails with -1, never TRANSPORT_TRANSIENT (an upload cut midway cannot
 * resume).
 */
static int
xfer_upload_flush(struct transport *t, void *arg, char **cause)
{
	struct xfer_upload	*u = arg;
	int			 rc;

	(void)t;
	rc = xfer_push(u->x, u->buf, u->len, cause, u->what);
	u->len = 0;
	return rc;
}

int
xfer_upload_write(struct xfer_upload *u, const void *buf, size_t len,
    char **cause)
{
	if (u->buf == NULL)
		u->buf = xmalloc(XFER_BUFFER);
	u->total += len;
	return transport_buffer_write(u->x->t, u->buf, XFER_BUFFER, &u->len,
	    buf, len, xfer_upload_flush, u, cause);
}

int
xfer_upload_finish(struct xfer_upload *u, char **cause)
{
	if (u->len > 0 && xfer_upload_flush(u->x->t, u, cause) != 0)
		return -1;
	u->x->eof = 1;
	return xfer_upload_flush(u->x->t, u, cause);
}

void
xfer_upload_clear(struct xfer_upload *u)
{
	xfer_free(u->x);
	free(u->buf);
	free(u->what);
	memset(u, 0, sizeof *u);
}

ssize_t
xfer_pull(struct xfer *x, void *buf, size_t len, char **cause,
    const char *what)
{
	if (x->outoff == x->outlen && !x->done &&
	    xfer_run(x, xfer_ready, cause, what) != 0)
		return -1;
	if (x->outoff == x->outlen) {
		if (x->result != CURLE_OK) {
			xfer_error(x, cause, "%s", what);
			return -1;
		}
		return 0;
	}
	if (len > x->outlen - x->outoff)
		len = x->outlen - x->outoff;
	memcpy(buf, x->out + x->outoff, len);
	x->outoff += len;
	return (ssize_t)len;
}

char *
xfer_escape_path(const char *dir)
{
	char	*out = xstrdup(""), *part, *esc, *copy, *next;
	char	*p;

	copy = xstrdup(dir);
	for (part = copy; part != NULL; part = next) {
		next = strchr(part, '/');
		if (next != NULL)
			*next++ = '\0';
		if (*part == '\0')
			continue;
		esc = curl_easy_escape(NULL, part, 0);
		p = xasprintf("%s%s/", out, esc);
		curl_free(esc);
		free(out);
		out = p;
	}
	free(copy);
	return out;
}

int
xfer_global_init_once(char **cause)
{
	pthread_once(&xfer_once, xfer_global_init);
	if (xfer_init_rc != CURLE_OK)
		return error_set(cause, "unable to initialise libcurl");
	return 0;
}

int
xfer_target_init(struct xfer_target *xt, struct transport *t,
    const char *scheme, int default_port, int flags, char **cause)
{
	char	*host;

	if (xfer_global_init_once(cause) != 0)
		return -1;
	xt->t = t;
	xt->flags = flags;
	xt->multi = curl_multi_init();
	/* Its wakeup socket pair is made without close-on-exec. */
	io_sockets_cloexec();
	host = url_host_literal(&t->url);
	xt->origin = xasprintf("%s://%s:%d", scheme, host,
	    t->url.port != 0 ? t->url.port : default_port);
	free(host);
	return 0;
}

void
xfer_target_clear(struct xfer_target *xt)
{
	curl_multi_cleanup(xt->multi);
	free(xt->origin);
	free(xt->base);
}

struct xfer *
xfer_target_xfer(struct xfer_target *xt, const char *name)
{
	struct xfer	*x;
	char		*url;

	url = xasprintf("%s%s", xt->base, name != NULL ? name : "");
	x = xfer_new(xt->multi, xt->t, url, xt->flags);
	free(url);
	return x;
}

struct xfer_writer *
xfer_writer_new(struct transport *t, const struct sink_ops *ops,
    const char *name,
    int (*remove_step)(struct transport *, void *, char **))
{
	struct xfer_writer	*w;

	w = xcalloc(1, sizeof *w);
	w->sink.ops = ops;
	w->t = t;
	w->remove_step = remove_step;
	w->name = xstrdup(name);
	w->tmpname = transport_tmpname(name);
	w->up.what = xasprintf("unable to write '%s' to %s", name,
	    t->url.display);
	return w;
}

int
xfer_writer_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct xfer_writer	*w = (struct xfer_writer *)s;

	return xfer_upload_write(&w->up, buf, len, cause);
}

int
xfer_writer_publish(struct xfer_writer *w,
    int (*publish_step)(struct transport *, void *, char **), char **cause)
{
	if (transport_retry(w->t, publish_step, w, cause) != 0)
		return -1;
	w->published = 1;
	return 0;
}

void
xfer_writer_free(struct sink *s)
{
	struct xfer_writer	*w = (struct xfer_writer *)s;
	char			*cause = NULL;

	xfer_upload_clear(&w->up);
	if (!w->published) {
		w->remove_step(w->t, w->tmpname, &cause);
		free(cause);
	}
	free(w->name);
	free(w->tmpname);
	free(w);
}

static ssize_t
xfer_reader_read(struct transport_reader *tr, void *buf, size_t len,
    char **cause)
{
	struct xfer_reader	*r = (struct xfer_reader *)tr;

	if (r->at_end)
		return 0;
	return xfer_pull(r->x, buf, len, cause, r->what);
}

static void
xfer_reader_close(struct transport_reader *tr)
{
	struct xfer_reader	*r = (struct xfer_reader *)tr;

	xfer_free(r->x);
	free(r->name);
	free(r->what);
	free(r);
}

static const struct transport_reader_ops xfer_reader_ops = {
	.read = xfer_reader_read,
	.close = xfer_reader_close,
};

struct transport_reader *
xfer_get(struct transport *t, const char *name, uint64_t offset,
    int (*open_step)(struct transport *, void *, char **), char **cause)
{
	struct xfer_reader	*r;

	r = xcalloc(1, sizeof *r);
	r->reader.ops = &xfer_reader_ops;
	r->name = xstrdup(name);
	r->what = xasprintf("unable to read '%s' from %s", name,
	    t->url.display);
	r->offset = offset;
	if (transport_retry(t, open_step, r, cause) != 0) {
		xfer_reader_close(&r->reader);
		return NULL;
	}
	return &r->reader;
}
