/* lock.c: the lock object on a target (see lock.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sink.h"
#include "common/xmalloc.h"
#include "lock.h"
#include "transports/transport.h"

struct lock {
	struct transport	*transport;
	int			 held;
};

/* Read the holder's description: "host H pid P time T op O". */
static char *
lock_read(struct transport *t, time_t *when)
{
	struct transport_reader	*r;
	char			 buf[1024], *p, *line, *save = NULL;
	char			*host = NULL, *pid = NULL, *op = NULL, *out;
	char			*cause = NULL;
	ssize_t			 n;
	size_t			 len = 0;

	*when = 0;
	if ((r = transport_get(t, LOCK_OBJECT, &cause)) == NULL) {
		free(cause);
		return xstrdup("unknown holder");
	}
	while (len < sizeof buf - 1 &&
	    (n = transport_reader_read(r, buf + len, sizeof buf - 1 - len,
	    &cause)) > 0)
		len += (size_t)n;
	transport_reader_close(r);
	free(cause);
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		p = strchr(line, ' ');
		if (p == NULL)
			continue;
		*p++ = '\0';
		if (strcmp(line, "host") == 0)
			host = p;
		else if (strcmp(line, "pid") == 0)
			pid = p;
		else if (strcmp(line, "op") == 0)
			op = p;
		else if (strcmp(line, "time") == 0)
			clock_parse(p, when);
	}
	out = xasprintf("%s by host %s pid %s", op != NULL ? op : "a run",
	    host != NULL ? host : "?", pid != NULL ? pid : "?");
	return out;
}

static int
lock_write(struct transport *t, const char *operation, time_t now,
    char **cause)
{
	struct sink	*s;
	char		 host[256], when[21], *text;
	int		 rc = -1;

	if (gethostname(host, sizeof host) != 0)
		strcpy(host, "unknown");
	host[sizeof host - 1] = '\0';
	clock_format_iso(now, when);
	text = xasprintf("tresor-lock 1\nhost %s\npid %ld\ntime %s\nop %s\n",
	    host, (long)getpid(), when, operation);
	if ((s = transport_put(t, LOCK_OBJECT, cause)) != NULL &&
	    sink_write(s, text, strlen(text), cause) == 0 &&
	    sink_finish(s, cause) == 0)
		rc = 0;
	sink_free(s);
	free(text);
	return rc;
}

struct lock *
lock_acquire(struct transport *t, const char *operation, time_t now,
    int64_t stale_after, int break_lock, char **cause)
{
	struct lock	*l = xcalloc(1, sizeof *l);
	uint64_t	 size;
	time_t		 when;
	char		*holder, since[21];
	int		 tries;

	l->transport = t;
	for (tries = 0; tries < 2; tries++) {
		switch (transport_stat(t, LOCK_OBJECT, &size, cause)) {
		case -1:
			goto fail;
		case 1:
			/* Publication never replaces: a racing run loses. */
			if (lock_write(t, operation, now, cause) == 0) {
				l->held = 1;
				return l;
			}
			if (transport_stat(t, LOCK_OBJECT, &size, NULL) != 0)
				goto fail;
			free(*cause);
			*cause = NULL;
			break;
		}
		holder = lock_read(t, &when);
		clock_format_iso(when, since);
		if (break_lock && tries == 0) {
			log_warn("breaking the lock held by %s since %s in %s",
			    holder, since, transport_display(t));
			free(holder);
			if (transport_remove(t, LOCK_OBJECT, cause) != 0)
				goto fail;
			continue;
		}
		if (now - when >= stale_after)
			error_set(cause, "%s is locked by %s since %s; the lock "
			    "is stale (older than %" PRId64 " s): if that run "
			    "is gone, use --break-lock", transport_display(t),
			    holder, since, stale_after);
		else
			error_set(cause, "%s is locked by %s since %s; another "
			    "run is using it", transport_display(t), holder,
			    since);
		free(holder);
		goto fail;
	}
	error_set(cause, "%s: could not take the lock", transport_display(t));
fail:
	free(l);
	return NULL;
}

int
lock_release(struct lock *l, char **cause)
{
	if (l == NULL || !l->held)
		return 0;
	l->held = 0;
	return transport_remove(l->transport, LOCK_OBJECT, cause);
}

void
lock_free(struct lock *l)
{
	char	*cause = NULL;

	if (l == NULL)
		return;
	/* An error path: try to release, but keep the first error. */
	lock_release(l, &cause);
	free(cause);
	free(l);
}
