/*
 * gpgrun.c: one run of gpg or gpgv on a few kilobytes in memory (see
 * gpgrun.h). Three pipes at once (stdin, stdout, status), pumped with
 * poll: gpg may write before it has read all its input, and a full pipe
 * either way would otherwise stop both sides.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/argv.h"
#include "common/child.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "gpgrun.h"

/* What one descriptor collects. */
struct gpgrun_buf {
	char	*data;
	size_t	 len;
	size_t	 max;
	int	 over;	/* more than max came: the run is refused */
};

static void
gpgrun_take(struct gpgrun_buf *b, const char *data, size_t len)
{
	if (b->over || b->len + len > b->max) {
		b->over = 1;
		return;
	}
	b->data = xrealloc(b->data, b->len + len + 1);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

/* Read what is there; 1 at EOF (or an error: the same to us). */
static int
gpgrun_drain(int fd, struct gpgrun_buf *b)
{
	char	buf[4096];
	ssize_t	n;

	n = read(fd, buf, sizeof buf);
	if (n > 0) {
		gpgrun_take(b, buf, (size_t)n);
		return 0;
	}
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	return 1;
}

static int
gpgrun_pipe(int p[2], char **cause)
{
	if (pipe2(p, O_CLOEXEC) != 0)
		return error_sys(cause, "unable to create a pipe for gpg");
	return 0;
}

/* Feed stdin and collect stdout and status until both are at EOF. */
static void
gpgrun_pump(int in_fd, const char *in, size_t inlen, int out_fd,
    struct gpgrun_buf *out, int st_fd, struct gpgrun_buf *st)
{
	struct pollfd	pfd[3];
	size_t		sent = 0;
	ssize_t		n;

	if (in_fd != -1)
		(void)fcntl(in_fd, F_SETFL, O_NONBLOCK);
	while (in_fd != -1 || out_fd != -1 || st_fd != -1) {
		pfd[0].fd = in_fd;
		pfd[0].events = POLLOUT;
		pfd[1].fd = out_fd;
		pfd[1].events = POLLIN;
		pfd[2].fd = st_fd;
		pfd[2].events = POLLIN;
		if (poll(pfd, 3, -1) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (in_fd != -1 && pfd[0].revents != 0) {
			n = write(in_fd, in + sent, inlen - sent);
			if (n > 0)
				sent += (size_t)n;
			/* Done, or gpg stopped reading (EPIPE): no more. */
			if (sent == inlen || (n == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (out_fd != -1 && pfd[1].revents != 0 &&
		    gpgrun_drain(out_fd, out)) {
			close(out_fd);
			out_fd = -1;
		}
		if (st_fd != -1 && pfd[2].revents != 0 &&
		    gpgrun_drain(st_fd, st)) {
			close(st_fd);
			st_fd = -1;
		}
	}
	if (in_fd != -1)
		close(in_fd);
	if (out_fd != -1)
		close(out_fd);
	if (st_fd != -1)
		close(st_fd);
}

int
gpgrun_run(const char *program, char *const args[], const char *in,
    size_t inlen, size_t max, struct gpgrun_result *r, char **cause)
{
	struct argv		 a = { NULL, 0 };
	struct child		*child = NULL;
	struct gpgrun_buf	 out = { NULL, 0, max, 0 };
	struct gpgrun_buf	 st = { NULL, 0, max, 0 };
	int			 ip[2] = { -1, -1 }, op[2] = { -1, -1 };
	int			 sp[2] = { -1, -1 }, rc = -1;
	size_t			 i;
	char			*why = NULL;

	memset(r, 0, sizeof *r);
	if (gpgrun_pipe(ip, cause) != 0 || gpgrun_pipe(op, cause) != 0 ||
	    gpgrun_pipe(sp, cause) != 0)
		goto out;
	argv_add(&a, "%s", program);
	argv_add(&a, "--status-fd=%d", sp[1]);
	for (i = 0; args[i] != NULL; i++)
		argv_add(&a, "%s", args[i]);
	if ((child = child_spawn_quiet(a.v, ip[0], op[1], &sp[1], 1,
	    cause)) == NULL)
		goto out;
	/* Only gpg holds the other ends now: EOF when it exits. */
	close(ip[0]);
	close(op[1]);
	close(sp[1]);
	ip[0] = op[1] = sp[1] = -1;
	gpgrun_pump(ip[1], in, inlen, op[0], &out, sp[0], &st);
	ip[1] = op[0] = sp[0] = -1;	/* closed by the pump */
	/* Its exit status only backs up what its status lines say. */
	r->exited_ok = child_finish(child, NULL, &why) == 0;
	child = NULL;
	free(why);
	if (out.over || st.over) {
		error_set(cause, "%s wrote more than %zu octets", program, max);
		goto out;
	}
	r->out = out.data != NULL ? out.data : xstrdup("");
	r->outlen = out.len;
	r->status = st.data != NULL ? st.data : xstrdup("");
	out.data = st.data = NULL;
	rc = 0;
out:
	for (i = 0; i < 2; i++) {
		if (ip[i] != -1)
			close(ip[i]);
		if (op[i] != -1)
			close(op[i]);
		if (sp[i] != -1)
			close(sp[i]);
	}
	if (child != NULL)
		child_abort(child);
	free(out.data);
	free(st.data);
	argv_free(&a);
	return rc;
}

void
gpgrun_clear(struct gpgrun_result *r)
{
	free(r->out);
	free(r->status);
	memset(r, 0, sizeof *r);
}

const char *
gpgrun_status(const char **from, const char *keyword, size_t *len)
{
	static const char	 prefix[] = "[GNUPG:] ";
	const char		*p = *from, *nl, *args;
	size_t			 klen = strlen(keyword);

	while (*p != '\0') {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (strncmp(p, prefix, sizeof prefix - 1) == 0 &&
		    strncmp(p + sizeof prefix - 1, keyword, klen) == 0) {
			args = p + sizeof prefix - 1 + klen;
			if (args == nl || *args == ' ') {
				if (*args == ' ')
					args++;
				*len = (size_t)(nl - args);
				*from = *nl == '\n' ? nl + 1 : nl;
				return args;
			}
		}
		p = *nl == '\n' ? nl + 1 : nl;
	}
	*from = p;
	return NULL;
}
