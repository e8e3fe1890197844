/* storageop.c: see storageop.h. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "storageop.h"

static pthread_once_t	 storageop_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t	 storageop_lock = PTHREAD_MUTEX_INITIALIZER;
static int		 storageop_on;
static int		 storageop_fd = -1;
static unsigned long	 storageop_seq;
static unsigned long	 storageop_crash_after;
static unsigned long	 storageop_fault_at;
static int		 storageop_fault;
/*
 * When this process started recording (microseconds): with the pid it
 * names the process in the log, as a pid alone would not in a long log
 * where pids wrap around.
 */
static unsigned long long storageop_start;

static const struct {
	const char	*name;
	int		 fault;
} storageop_faults[] = {
	{ "enospc", ENOSPC },
	{ "eio", EIO },
	{ "short", STORAGEOP_SHORT },
	{ "drop", ECONNRESET },
	{ "timeout", ETIMEDOUT },
	{ "eacces", EACCES },
};

/* A malformed variable is a broken test: say so and stop at once. */
static void
storageop_bad(const char *var, const char *value)
{
	fprintf(stderr, "tresor: invalid %s '%s'\n", var, value);
	_exit(2);
}

static unsigned long
storageop_number(const char *var, const char *text)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || n == 0)
		storageop_bad(var, text);
	return n;
}

static void
storageop_read(void)
{
	const char	*record = getenv("TRESOR_TEST_RECORD");
	const char	*crash = getenv("TRESOR_TEST_CRASH_AFTER");
	const char	*fault = getenv("TRESOR_TEST_FAULT");
	const char	*colon;
	struct timespec	 ts;
	size_t		 i, len;

	clock_gettime(CLOCK_REALTIME, &ts);
	storageop_start = (unsigned long long)ts.tv_sec * 1000000 +
	    (unsigned long long)ts.tv_nsec / 1000;
	if (record != NULL && *record != '\0') {
		storageop_fd = open(record, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600);
		if (storageop_fd == -1)
			storageop_bad("TRESOR_TEST_RECORD", record);
		storageop_on = 1;
	}
	if (crash != NULL && *crash != '\0') {
		storageop_crash_after = storageop_number(
		    "TRESOR_TEST_CRASH_AFTER", crash);
		storageop_on = 1;
	}
	if (fault != NULL && *fault != '\0') {
		if ((colon = strchr(fault, ':')) == NULL)
			storageop_bad("TRESOR_TEST_FAULT", fault);
		len = (size_t)(colon - fault);
		for (i = 0; i < sizeof storageop_faults /
		    sizeof *storageop_faults; i++) {
			if (strlen(storageop_faults[i].name) == len &&
			    strncmp(storageop_faults[i].name, fault, len) == 0)
				storageop_fault = storageop_faults[i].fault;
		}
		if (storageop_fault == 0)
			storageop_bad("TRESOR_TEST_FAULT", fault);
		storageop_fault_at = storageop_number("TRESOR_TEST_FAULT",
		    colon + 1);
		storageop_on = 1;
	}
}

int
storageop_enabled(void)
{
	pthread_once(&storageop_once, storageop_read);
	return storageop_on;
}

/* One line in one write(2): lines of concurrent writers never mix. */
static void
storageop_log(const char *seq, const char *kind, const char *name)
{
	char	line[512];
	int	n;

	if (storageop_fd == -1)
		return;
	n = snprintf(line, sizeof line, "%s %ld.%llu %s %s\n", seq,
	    (long)getpid(), storageop_start, kind, name);
	if (n > 0 && (size_t)n < sizeof line &&
	    write(storageop_fd, line, (size_t)n) != n)
		storageop_bad("TRESOR_TEST_RECORD", "(write failed)");
}

int
storageop_begin(const char *kind, const char *name, unsigned long *seq)
{
	char	num[32];
	int	fault = 0;

	*seq = 0;
	if (!storageop_enabled())
		return 0;
	pthread_mutex_lock(&storageop_lock);
	*seq = ++storageop_seq;
	snprintf(num, sizeof num, "%lu", *seq);
	storageop_log(num, kind, name);
	pthread_mutex_unlock(&storageop_lock);
	if (*seq == storageop_fault_at)
		fault = storageop_fault;
	return fault;
}

void
storageop_done(unsigned long seq)
{
	if (seq != 0 && seq == storageop_crash_after)
		raise(SIGKILL);
}

int
storageop_local(const char *kind, const char *name, unsigned long *seq)
{
	int	fault = storageop_begin(kind, name, seq);

	if (fault == 0)
		return 0;
	/* A local file has no connection: a drop or timeout is an EIO. */
	if (fault == STORAGEOP_SHORT)
		errno = ENOSPC;
	else if (fault == ECONNRESET || fault == ETIMEDOUT)
		errno = EIO;
	else
		errno = fault;
	return -1;
}

void
storageop_note(const char *kind, const char *name)
{
	if (!storageop_enabled())
		return;
	pthread_mutex_lock(&storageop_lock);
	storageop_log("-", kind, name);
	pthread_mutex_unlock(&storageop_lock);
}
