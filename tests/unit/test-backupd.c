/*
 * test-backupd.c: the daemon's pieces that need no server: the cifs mount
 * command lines (the password never in an argv) and the state file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backupd/config.h"
#include "backupd/mount.h"
#include "backupd/state.h"
#include "tests/tap.h"

/* argv joined with spaces, for comparing a whole command line. */
static char *
joined(const struct argv *a)
{
	static char	buf[1024];
	size_t		i;

	buf[0] = '\0';
	for (i = 0; i < a->n; i++) {
		if (i > 0)
			strcat(buf, " ");
		strcat(buf, a->v[i]);
	}
	return buf;
}

static int
argv_contains(const struct argv *a, const char *s)
{
	size_t	i;

	for (i = 0; i < a->n; i++)
		if (strstr(a->v[i], s) != NULL)
			return 1;
	return 0;
}

static void
test_mount(void)
{
	struct config_mount	m = { "cifs", "//10.0.0.5/backup",
				    "/mnt/appliance-backup-mount",
				    "user=ecs,pass=p@ss,,w:rd/%;x,vers=3.0,,x" };
	struct mount_plan	p;
	char			*cause = NULL;

	tap_ok(mount_plan(&m, &p, &cause) == 0, "a cifs mount is planned");
	tap_ok(strcmp(joined(&p.mount), "mount -t cifs -o user=ecs,vers=3.0,,x "
	    "//10.0.0.5/backup /mnt/appliance-backup-mount") == 0,
	    "mount command line: %s", joined(&p.mount));
	tap_ok(strcmp(joined(&p.umount),
	    "umount /mnt/appliance-backup-mount") == 0,
	    "umount command line: %s", joined(&p.umount));
	/* ",," is a comma inside a value, as mount.cifs reads it. */
	tap_ok(p.password != NULL && strcmp(p.password, "p@ss,w:rd/%;x") == 0,
	    "the password (with a comma) is taken out for $PASSWD");
	tap_ok(!argv_contains(&p.mount, "p@ss") &&
	    !argv_contains(&p.mount, "w:rd") &&
	    !argv_contains(&p.umount, "p@ss"), "the password is in no argv");
	mount_plan_clear(&p);

	m.options = "password=only";
	tap_ok(mount_plan(&m, &p, &cause) == 0 &&
	    strcmp(joined(&p.mount), "mount -t cifs //10.0.0.5/backup "
	    "/mnt/appliance-backup-mount") == 0 &&
	    strcmp(p.password, "only") == 0,
	    "password= alone: no -o at all: %s", joined(&p.mount));
	mount_plan_clear(&p);

	m.options = NULL;
	tap_ok(mount_plan(&m, &p, &cause) == 0 && p.password == NULL &&
	    strcmp(joined(&p.mount), "mount -t cifs //10.0.0.5/backup "
	    "/mnt/appliance-backup-mount") == 0, "no options");
	mount_plan_clear(&p);

	m.target = NULL;
	tap_ok(mount_plan(&m, &p, &cause) == -1 && cause != NULL &&
	    strstr(cause, "target") != NULL, "no target: %s", cause);
	free(cause);
	cause = NULL;
	mount_plan_clear(&p);
	m.target = "/mnt/x";
	m.type = "nfs";
	tap_ok(mount_plan(&m, &p, &cause) == -1, "only cifs: %s", cause);
	free(cause);
	mount_plan_clear(&p);
}

static void
test_state(void)
{
	char		 dir[] = "/tmp/tresor-test-state.XXXXXX", *cause = NULL;
	char		*sub, *path;
	struct state	 st, back;
	struct stat	 sb;
	FILE		*f;

	if (mkdtemp(dir) == NULL) {
		tap_ok(0, "mkdtemp");
		return;
	}
	sub = NULL;
	if (asprintf(&sub, "%s/a/b/state", dir) == -1)
		return;
	tap_ok(state_make_dir(sub, &cause) == 0 && stat(sub, &sb) == 0 &&
	    (sb.st_mode & 0777) == 0700, "the state directory is made 0700");
	tap_ok(state_load(sub, &st, &cause) == 0 && st.last_slot == 0 &&
	    st.last_read_data == 0, "no state file: a fresh state");
	st.last_slot = 1764635400;
	st.last_read_data = 1764030600;
	tap_ok(state_save(sub, &st, &cause) == 0 &&
	    state_load(sub, &back, &cause) == 0 &&
	    back.last_slot == st.last_slot &&
	    back.last_read_data == st.last_read_data, "state round trip");
	if (asprintf(&path, "%s/backupd.state", sub) == -1)
		return;
	f = fopen(path, "w");
	fputs("last_slot yesterday\n", f);
	fclose(f);
	tap_ok(state_load(sub, &back, &cause) == -1 && cause != NULL &&
	    strstr(cause, path) != NULL, "a damaged state file is named: %s",
	    cause);
	free(cause);
	unlink(path);
	free(path);
	rmdir(sub);
	free(sub);
	if (asprintf(&sub, "%s/a/b", dir) != -1) {
		rmdir(sub);
		free(sub);
	}
	if (asprintf(&sub, "%s/a", dir) != -1) {
		rmdir(sub);
		free(sub);
	}
	rmdir(dir);
}

int
main(void)
{
	test_mount();
	test_state();
	return tap_done();
}
