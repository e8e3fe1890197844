/*
 * state.c: the daemon's state file (see state.h). Two "name seconds"
 * lines; written like the metrics file, so a crash leaves the old file or
 * the new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/storageop.h"
#include "common/xmalloc.h"
#include "state.h"

#define STATE_FILE	"backupd.state"

int
state_make_dir(const char *dir, char **cause)
{
	char	*copy = xstrdup(dir), *p;
	int	 rc = -1;

	for (p = copy + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST) {
			error_sys(cause, "unable to create directory '%s'", copy);
			goto out;
		}
		*p = '/';
	}
	/* The last one holds the daemon's own files: for its user only. */
	if (mkdir(copy, 0700) != 0 && errno != EEXIST) {
		error_sys(cause, "unable to create directory '%s'", copy);
		goto out;
	}
	rc = 0;
out:
	free(copy);
	return rc;
}

int
state_load(const char *dir, struct state *st, char **cause)
{
	char		*path = xasprintf("%s/%s", dir, STATE_FILE);
	char		 line[256], name[64];
	long long	 value;
	FILE		*f;
	int		 rc = -1, n = 0;

	memset(st, 0, sizeof *st);
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			rc = 0;
		else
			error_sys(cause, "unable to read '%s'", path);
		goto out;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		n++;
		if (sscanf(line, "%63s %lld", name, &value) != 2 || value < 0) {
			error_set(cause, "%s:%d: not \"name seconds\"", path, n);
			goto out;
		}
		if (strcmp(name, "last_slot") == 0)
			st->last_slot = (time_t)value;
		else if (strcmp(name, "last_read_data") == 0)
			st->last_read_data = (time_t)value;
		/* Unknown names are a newer daemon's: ignored. */
	}
	rc = 0;
out:
	if (f != NULL)
		fclose(f);
	free(path);
	return rc;
}

int
state_save(const char *dir, const struct state *st, char **cause)
{
	char	*path = xasprintf("%s/%s", dir, STATE_FILE);
	char	*tmp = xasprintf("%s/.%s.XXXXXX", dir, STATE_FILE);
	FILE		*f = NULL;
	unsigned long	 seq;
	int		 fd, rc = -1;

	if ((fd = mkstemp(tmp)) == -1) {
		error_sys(cause, "unable to write '%s'", path);
		goto out;
	}
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		error_sys(cause, "unable to write '%s'", path);
		goto fail;
	}
	fprintf(f, "last_slot %lld\nlast_read_data %lld\n",
	    (long long)st->last_slot, (long long)st->last_read_data);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto fail;
	}
	if (fclose(f) != 0) {
		f = NULL;
		error_sys(cause, "unable to write '%s'", path);
		goto fail;
	}
	f = NULL;
	if (storageop_local("state-write", STATE_FILE, &seq) != 0 ||
	    rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto fail;
	}
	storageop_local_done(seq);
	rc = 0;
	goto out;
fail:
	if (f != NULL)
		fclose(f);
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return rc;
}
