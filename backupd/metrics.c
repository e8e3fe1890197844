/*
 * metrics.c: the Prometheus textfile (see metrics.h), in the text
 * exposition format: for each metric a "# HELP" and a "# TYPE" line, then
 * "name value". The names are the appliance's, so its dashboards and
 * alerts keep working; that is also why the counter is not called
 * backup_bytes_uploaded_total.
 *
 * Writing: the text goes to a temporary ".NAME.XXXXXX" in the same
 * directory (node_exporter's textfile collector reads only *.prom files,
 * so it never reads the temporary), made 0644 whatever the umask, since
 * the exporter may run as another user; then fsync, rename over the old
 * file and fsync of the directory. A scraper sees the old file or the new
 * one; after a crash the directory holds one of the two. On any failure
 * the temporary is removed and the cause names the file and the errno.
 *
 * Reading is for the daemon itself (the counter carries on across runs):
 * every metric must be there exactly once with a value of its type, and
 * the file must end with a newline, so a file cut short is malformed
 * instead of silently resetting the counter. Comments, blank lines and
 * other metrics are skipped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/io.h"
#include "common/xmalloc.h"
#include "metrics.h"

/* No metrics file we write comes near this. */
#define METRICS_MAX_SIZE	(64 * 1024)

enum metrics_kind {
	METRICS_TIME,
	METRICS_DOUBLE,
	METRICS_INT,
	METRICS_U64
};

static const struct metrics_def {
	const char		*name;
	const char		*type;
	const char		*help;
	enum metrics_kind	 kind;
	size_t			 offset;
} metrics_defs[] = {
	{ "backup_last_start_time", "gauge",
	  "Start of the last backup run, in seconds since the epoch.",
	  METRICS_TIME, offsetof(struct metrics, last_start_time) },
	{ "backup_last_end_time", "gauge",
	  "End of the last backup run, in seconds since the epoch.",
	  METRICS_TIME, offsetof(struct metrics, last_end_time) },
	{ "backup_last_duration", "gauge",
	  "Duration of the last backup run, in seconds.",
	  METRICS_DOUBLE, offsetof(struct metrics, last_duration) },
	{ "backup_last_success", "gauge",
	  "1 if the last backup run succeeded, else 0.",
	  METRICS_INT, offsetof(struct metrics, last_success) },
	{ "backup_last_size", "gauge",
	  "Bytes stored on the target by the last backup set.",
	  METRICS_U64, offsetof(struct metrics, last_size) },
	{ "backup_last_volumes", "gauge",
	  "Volumes written by the last backup set.",
	  METRICS_U64, offsetof(struct metrics, last_volumes) },
	{ "backup_last_data_size", "gauge",
	  "Bytes read from the sources by the last backup run.",
	  METRICS_U64, offsetof(struct metrics, last_data_size) },
	{ "backup_bytes_uploaded", "counter",
	  "Bytes uploaded to the target by all backup runs.",
	  METRICS_U64, offsetof(struct metrics, bytes_uploaded) },
	{ "backup_sets", "gauge",
	  "Complete backup sets on the target.",
	  METRICS_U64, offsetof(struct metrics, sets) },
	{ "backup_chain_age_seconds", "gauge",
	  "Age of the current full backup, in seconds.",
	  METRICS_DOUBLE, offsetof(struct metrics, chain_age_seconds) },
	{ "backup_deadline_exceeded", "gauge",
	  "1 if a backup job ran past its deadline, else 0.",
	  METRICS_INT, offsetof(struct metrics, deadline_exceeded) },
};
#define METRICS_COUNT (sizeof metrics_defs / sizeof metrics_defs[0])

/*
 * A double as Prometheus reads it: integers plainly, else the shortest
 * text that reads back as the same value; NaN, +Inf and -Inf.
 */
static void
metrics_format_double(double v, char *buf, size_t size)
{
	int	prec;

	if (isnan(v)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, size, "%sInf", v > 0 ? "+" : "-");
		return;
	}
	if (v > -9007199254740992.0 && v < 9007199254740992.0 &&
	    v == (double)(long long)v) {
		snprintf(buf, size, "%.0f", v);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(buf, size, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
	snprintf(buf, size, "%.17g", v);
}

static void
metrics_format_value(const struct metrics *m, const struct metrics_def *d,
    char *buf, size_t size)
{
	const char	*p = (const char *)m + d->offset;

	switch (d->kind) {
	case METRICS_TIME:
		snprintf(buf, size, "%lld", (long long)*(const time_t *)p);
		break;
	case METRICS_DOUBLE:
		metrics_format_double(*(const double *)p, buf, size);
		break;
	case METRICS_INT:
		snprintf(buf, size, "%d", *(const int *)p);
		break;
	case METRICS_U64:
		snprintf(buf, size, "%" PRIu64, *(const uint64_t *)p);
		break;
	}
}

static char *
metrics_format(const struct metrics *m)
{
	char	 value[64], *text = NULL, *old;
	size_t	 i;

	for (i = 0; i < METRICS_COUNT; i++) {
		metrics_format_value(m, &metrics_defs[i], value, sizeof value);
		old = text;
		text = xasprintf("%s# HELP %s %s\n# TYPE %s %s\n%s %s\n",
		    old != NULL ? old : "", metrics_defs[i].name,
		    metrics_defs[i].help, metrics_defs[i].name,
		    metrics_defs[i].type, metrics_defs[i].name, value);
		free(old);
	}
	return text;
}

/* Parse value as d's type into m; 0, or -1 if it is not one. */
static int
metrics_parse_value(struct metrics *m, const struct metrics_def *d,
    const char *value)
{
	char			*p = (char *)m + d->offset, *end;
	long long		 ll;
	unsigned long long	 ull;
	double			 dv;

	if (*value == '\0' || *value == ' ' || *value == '\t')
		return -1;
	errno = 0;
	switch (d->kind) {
	case METRICS_TIME:
		ll = strtoll(value, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		*(time_t *)p = (time_t)ll;
		break;
	case METRICS_DOUBLE:
		dv = strtod(value, &end);
		if (errno != 0 || *end != '\0')
			return -1;
		*(double *)p = dv;
		break;
	case METRICS_INT:
		ll = strtoll(value, &end, 10);
		if (errno != 0 || *end != '\0' || ll < -2147483647LL - 1 ||
		    ll > 2147483647LL)
			return -1;
		*(int *)p = (int)ll;
		break;
	case METRICS_U64:
		if (*value == '-')
			return -1;
		ull = strtoull(value, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		*(uint64_t *)p = (uint64_t)ull;
		break;
	}
	return 0;
}

/* Parse text (NUL-terminated, modified) into m. */
static int
metrics_parse(const char *path, char *text, size_t len, struct metrics *m,
    char **cause)
{
	char	*line, *next, *value;
	int	 seen[METRICS_COUNT], lineno = 0;
	size_t	 i;

	memset(seen, 0, sizeof seen);
	if (len > 0 && text[len - 1] != '\n')
		return error_set(cause, "malformed metrics file '%s': no "
		    "newline at the end (cut short?)", path);
	for (line = text; *line != '\0'; line = next) {
		lineno++;
		next = strchr(line, '\n');
		*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if ((value = strchr(line, ' ')) == NULL)
			return error_set(cause, "malformed metrics file '%s': "
			    "line %d: no value", path, lineno);
		*value++ = '\0';
		for (i = 0; i < METRICS_COUNT; i++) {
			if (strcmp(line, metrics_defs[i].name) == 0)
				break;
		}
		if (i == METRICS_COUNT)
			continue;
		if (seen[i]++)
			return error_set(cause, "malformed metrics file '%s': "
			    "line %d: %s appears twice", path, lineno, line);
		if (metrics_parse_value(m, &metrics_defs[i], value) != 0)
			return error_set(cause, "malformed metrics file '%s': "
			    "line %d: bad value for %s", path, lineno, line);
	}
	for (i = 0; i < METRICS_COUNT; i++) {
		if (!seen[i])
			return error_set(cause, "malformed metrics file '%s': "
			    "%s is missing", path, metrics_defs[i].name);
	}
	return 0;
}

int
metrics_read(const char *path, struct metrics *m, char **cause)
{
	struct metrics	 got;
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	memset(m, 0, sizeof *m);
	memset(&got, 0, sizeof got);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			return 0;
		return error_sys(cause, "unable to read metrics file '%s'",
		    path);
	}
	text = xmalloc(METRICS_MAX_SIZE + 1);
	for (;;) {
		n = read(fd, text + len, METRICS_MAX_SIZE + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(cause, "unable to read metrics file '%s'",
			    path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > METRICS_MAX_SIZE) {
			error_set(cause, "malformed metrics file '%s': larger "
			    "than %d bytes", path, METRICS_MAX_SIZE);
			goto out;
		}
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		error_set(cause, "malformed metrics file '%s': a NUL byte",
		    path);
		goto out;
	}
	if (metrics_parse(path, text, len, &got, cause) != 0)
		goto out;
	*m = got;
	rc = 0;
out:
	close(fd);
	free(text);
	return rc;
}

int
metrics_write(const char *path, const struct metrics *m, char **cause)
{
	const char	*slash = strrchr(path, '/');
	const char	*base = slash != NULL ? slash + 1 : path;
	char		*text, *dir, *tmp = NULL;
	int		 fd = -1, dirfd = -1, rc = -1;

	text = metrics_format(m);
	if (slash == NULL)
		dir = xstrdup(".");
	else if (slash == path)
		dir = xstrdup("/");
	else {
		dir = xmemdup(path, (size_t)(slash - path) + 1);
		dir[slash - path] = '\0';
	}
	if (*base == '\0') {
		error_set(cause, "unable to write metrics file '%s': not a "
		    "file name", path);
		goto out;
	}
	tmp = xasprintf("%.*s.%s.XXXXXX", (int)(base - path), path, base);

	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		error_sys(cause, "unable to write metrics file '%s': creating "
		    "a temporary", path);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) == -1) {
		error_sys(cause, "unable to write metrics file '%s': chmod %s",
		    path, tmp);
		goto out;
	}
	if (io_write_all(fd, text, strlen(text)) == -1) {
		error_sys(cause, "unable to write metrics file '%s': writing "
		    "%s", path, tmp);
		goto out;
	}
	if (fsync(fd) == -1) {
		error_sys(cause, "unable to write metrics file '%s': fsync %s",
		    path, tmp);
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		error_sys(cause, "unable to write metrics file '%s': closing "
		    "%s", path, tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) == -1) {
		error_sys(cause, "unable to write metrics file '%s': renaming "
		    "%s", path, tmp);
		goto out;
	}
	free(tmp);
	tmp = NULL;

	/* The rename itself is only durable once the directory is synced. */
	if ((dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dirfd) == -1) {
		error_sys(cause, "unable to write metrics file '%s': fsync of "
		    "the directory", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (dirfd != -1)
		close(dirfd);
	if (tmp != NULL)
		unlink(tmp);
	free(tmp);
	free(dir);
	free(text);
	return rc;
}
