/*
 * mount.h: the appliance's cifs mount around a job (env.yml
 * appliance.backup.mount): mounted before, unmounted after, as its
 * backup script did. The password in the options (pass= or password=)
 * never reaches an argv: mount.cifs reads it from $PASSWD.
 */
#ifndef TRESOR_BACKUPD_MOUNT_H
#define TRESOR_BACKUPD_MOUNT_H

#include "common/argv.h"

struct config_mount;

struct mount_plan {
	struct argv	 mount;		/* mount -t cifs [-o OPTS] SRC DIR */
	struct argv	 umount;	/* umount DIR */
	char		*password;	/* for $PASSWD; NULL: none */
};

/* The command lines for m (type cifs). 0, or -1 with *cause set. */
int	mount_plan(const struct config_mount *m, struct mount_plan *,
	    char **cause);
void	mount_plan_clear(struct mount_plan *);
/* Run the mount or the umount command; one line naming it on failure. */
int	mount_run(const struct mount_plan *, int mount, char **cause);

#endif
