/*
 * fd.c: the end of a chain that writes into a local file descriptor (the
 * local cache's copies of manifests and signatures). Finishing fsyncs.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/error.h"
#include "common/io.h"
#include "common/xmalloc.h"
#include "filter.h"

struct fd_sink {
	struct sink	 sink;
	int		 fd;		/* borrowed */
	char		*what;
};

static int
fd_sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct fd_sink	*f = (struct fd_sink *)s;

	if (io_write_all(f->fd, buf, len) != 0)
		return error_sys(cause, "unable to write %s", f->what);
	return 0;
}

static int
fd_sink_finish(struct sink *s, char **cause)
{
	struct fd_sink	*f = (struct fd_sink *)s;

	if (fsync(f->fd) != 0)
		return error_sys(cause, "unable to write %s", f->what);
	return 0;
}

static void
fd_sink_free(struct sink *s)
{
	struct fd_sink	*f = (struct fd_sink *)s;

	free(f->what);
	free(f);
}

static const struct sink_ops fd_sink_ops = {
	.name = "fd",
	.write = fd_sink_write,
	.finish = fd_sink_finish,
	.free = fd_sink_free,
};

struct sink *
fd_sink_new(int fd, const char *what)
{
	struct fd_sink	*f = xcalloc(1, sizeof *f);

	f->sink.ops = &fd_sink_ops;
	f->fd = fd;
	f->what = xstrdup(what);
	return &f->sink;
}
