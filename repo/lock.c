/* lock.c: the lock object on a target (see lock.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
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

/* What a lock object says about its holder; empty strings when absent. */
struct lock_holder {
	char	host[256];
	char	boot[64];
	char	prog[64];
	char	op[32];
	long	pid;
	time_t	when;
	int	readable;
};

/* A field's value, cut to fit and stripped of control characters. */
static void
lock_field(char *dst, size_t size, const char *value)
{
	size_t	i;

	for (i = 0; i < size - 1 && value[i] != '\0'; i++)
		dst[i] = (unsigned char)value[i] < 0x20 ? '?' : value[i];
	dst[i] = '\0';
}

/* Read the holder's description: "host H\nboot B\npid P\n...". */
static void
lock_read(struct transport *t, struct lock_holder *h)
{
	struct transport_reader	*r;
	char			 buf[2048], *p, *line, *save = NULL, *end;
	char			*cause = NULL;
	ssize_t			 n;
	size_t			 len = 0;

	memset(h, 0, sizeof *h);
	h->pid = -1;
	if ((r = transport_get(t, LOCK_OBJECT, &cause)) == NULL) {
		free(cause);
		return;
	}
	while (len < sizeof buf - 1 &&
	    (n = transport_reader_read(r, buf + len, sizeof buf - 1 - len,
	    &cause)) > 0)
		len += (size_t)n;
	transport_reader_close(r);
	free(cause);
	buf[len] = '\0';
	if (strncmp(buf, "tresor-lock 1\n", 14) == 0)
		h->readable = 1;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		p = strchr(line, ' ');
		if (p == NULL)
			continue;
		*p++ = '\0';
		if (strcmp(line, "host") == 0)
			lock_field(h->host, sizeof h->host, p);
		else if (strcmp(line, "boot") == 0)
			lock_field(h->boot, sizeof h->boot, p);
		else if (strcmp(line, "prog") == 0)
			lock_field(h->prog, sizeof h->prog, p);
		else if (strcmp(line, "op") == 0)
			lock_field(h->op, sizeof h->op, p);
		else if (strcmp(line, "pid") == 0) {
			errno = 0;
			h->pid = strtol(p, &end, 10);
			if (errno != 0 || *end != '\0' || h->pid <= 0)
				h->pid = -1;
		} else if (strcmp(line, "time") == 0)
			clock_parse(p, &h->when);
	}
}

/* This host's name, boot id and program name. */
static void
lock_self(char *host, size_t hsize, char *boot, size_t bsize, char *prog,
    size_t psize)
{
	FILE	*f;

	if (gethostname(host, hsize) != 0)
		snprintf(host, hsize, "unknown");
	host[hsize - 1] = '\0';
	boot[0] = prog[0] = '\0';
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re")) != NULL) {
		if (fgets(boot, (int)bsize, f) == NULL)
			boot[0] = '\0';
		fclose(f);
	}
	boot[strcspn(boot, "\n")] = '\0';
	if ((f = fopen("/proc/self/comm", "re")) != NULL) {
		if (fgets(prog, (int)psize, f) == NULL)
			prog[0] = '\0';
		fclose(f);
	}
	prog[strcspn(prog, "\n")] = '\0';
}

/*
 * Is the holder, which ran on this host, gone? Returns a reason (static
 * text) if it is, NULL if it may still be running.
 */
static const char *
lock_holder_gone(const struct lock_holder *h, const char *boot)
{
	char	 path[64], comm[64];
	FILE	*f;
	int	 same;

	if (h->boot[0] != '\0' && boot[0] != '\0' && strcmp(h->boot, boot) != 0)
		return "this host has restarted since";
	if (h->pid <= 0)
		return NULL;
	if (h->pid == (long)getpid())
		return NULL;
	if (kill((pid_t)h->pid, 0) == -1 && errno == ESRCH)
		return "that process is not running";
	if (h->prog[0] == '\0')
		return NULL;
	snprintf(path, sizeof path, "/proc/%ld/comm", h->pid);
	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	same = fgets(comm, sizeof comm, f) != NULL &&
	    (comm[strcspn(comm, "\n")] = '\0', strcmp(comm, h->prog) == 0);
	fclose(f);
	return same ? NULL : "that pid now runs another program";
}

static int
lock_write(struct transport *t, const char *operation, time_t now,
    char **cause)
{
	struct sink	*s;
	char		 host[256], boot[64], prog[64], when[21], *text;
	int		 rc = -1;

	lock_self(host, sizeof host, boot, sizeof boot, prog, sizeof prog);
	clock_format_iso(now, when);
	text = xasprintf("tresor-lock 1\nhost %s\nboot %s\npid %ld\n"
	    "prog %s\ntime %s\nop %s\n", host, boot, (long)getpid(), prog,
	    when, operation);
	if ((s = transport_put(t, LOCK_OBJECT, cause)) != NULL &&
	    sink_write(s, text, strlen(text), cause) == 0 &&
	    sink_finish(s, cause) == 0)
		rc = 0;
	sink_free(s);
	free(text);
	return rc;
}

/* "backup by host H pid P since T" */
static char *
lock_describe(const struct lock_holder *h)
{
	char	since[21];

	if (!h->readable)
		return xstrdup("a run (unreadable lock object)");
	clock_format_iso(h->when, since);
	return xasprintf("%s by host %s pid %ld since %s", h->op[0] != '\0' ?
	    h->op : "a run", h->host[0] != '\0' ? h->host : "?", h->pid, since);
}

/*
 * Decide about a lock held by someone else: 1 to take it over (after a
 * warning), 0 to refuse (with cause).
 */
static int
lock_judge(struct transport *t, const struct lock_holder *h, time_t now,
    const struct lock_options *o, char **cause)
{
	char		 host[256], boot[64], prog[64], *who;
	const char	*gone;
	int64_t		 stale = o->stale_after > 0 ? o->stale_after :
			    LOCK_DEFAULT_STALE;
	int64_t		 age = now - h->when;
	int		 rc = 0;

	lock_self(host, sizeof host, boot, sizeof boot, prog, sizeof prog);
	who = lock_describe(h);
	if (o->break_lock) {
		log_warn("breaking the lock held by %s in %s", who,
		    transport_display(t));
		rc = 1;
	} else if (h->readable && strcmp(h->host, host) == 0 &&
	    (gone = lock_holder_gone(h, boot)) != NULL) {
		log_warn("taking over the lock of %s in %s: %s", who,
		    transport_display(t), gone);
		rc = 1;
	} else if (h->readable && strcmp(h->host, host) == 0) {
		error_set(cause, "%s is locked by %s; that run is still "
		    "going on this host", transport_display(t), who);
	} else if (!h->readable || h->when == 0) {
		/* A damaged lock tells no age: never stale by itself. */
		error_set(cause, "%s is locked by a run (unreadable lock "
		    "object): '%s' tells no age, so it is never taken over "
		    "as stale; if no run is using the target, use "
		    "--break-lock", transport_display(t), LOCK_OBJECT);
	} else if (age >= stale && !o->no_takeover) {
		log_warn("taking over the stale lock of %s in %s: it is %"
		    PRId64 " s old (--lock-stale-after %" PRId64 " s)", who,
		    transport_display(t), age, stale);
		rc = 1;
	} else if (age >= stale) {
		error_set(cause, "%s is locked by %s; the lock is stale "
		    "(older than %" PRId64 " s): if that run is gone, use "
		    "--break-lock", transport_display(t), who, stale);
	} else {
		error_set(cause, "%s is locked by %s; another run is using it "
		    "(a lock from another host is taken over once older than "
		    "%" PRId64 " s)", transport_display(t), who, stale);
	}
	free(who);
	return rc;
}

struct lock *
lock_acquire(struct transport *t, const char *operation, time_t now,
    const struct lock_options *o, char **cause)
{
	struct lock		*l = xcalloc(1, sizeof *l);
	struct lock_holder	 h;
	uint64_t		 size;
	int			 tries;

	l->transport = t;
	for (tries = 0; tries < 3; tries++) {
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
		if (tries == 2)
			break;
		lock_read(t, &h);
		if (lock_judge(t, &h, now, o, cause) == 0)
			goto fail;
		if (transport_remove(t, LOCK_OBJECT, cause) != 0)
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
