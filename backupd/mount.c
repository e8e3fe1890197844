/*
 * mount.c: the cifs mount around a job (see mount.h). The options string
 * is the appliance's ("user=u,pass=p,vers=3.0"): split at commas, the
 * password taken out, the rest passed with -o.
 */
#include <stdlib.h>
#include <string.h>

#include "common/child.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "config.h"
#include "mount.h"

/* A password option's value, or NULL: "pass=x", "password=x". */
static const char *
mount_password_value(const char *option)
{
	if (strncmp(option, "pass=", 5) == 0)
		return option + 5;
	if (strncmp(option, "password=", 9) == 0)
		return option + 9;
	return NULL;
}

int
mount_plan(const struct config_mount *m, struct mount_plan *p, char **cause)
{
	char		*copy = NULL, *option, *next, *kept = NULL, *tmp;
	const char	*value;
	int		 rc = -1;

	memset(p, 0, sizeof *p);
	if (m->type == NULL || strcmp(m->type, "cifs") != 0 ||
	    m->source == NULL || m->target == NULL) {
		error_set(cause, "mount: type cifs with a source and a target "
		    "is required");
		goto out;
	}
	if (m->options != NULL) {
		copy = xstrdup(m->options);
		for (option = copy; option != NULL; option = next) {
			if ((next = strchr(option, ',')) != NULL)
				*next++ = '\0';
			if (*option == '\0')
				continue;
			if ((value = mount_password_value(option)) != NULL) {
				free(p->password);
				p->password = xstrdup(value);
				continue;
			}
			if (kept == NULL)
				kept = xstrdup(option);
			else {
				tmp = xasprintf("%s,%s", kept, option);
				free(kept);
				kept = tmp;
			}
		}
	}
	argv_add(&p->mount, "mount");
	argv_add(&p->mount, "-t");
	argv_add(&p->mount, "%s", m->type);
	if (kept != NULL) {
		argv_add(&p->mount, "-o");
		argv_add(&p->mount, "%s", kept);
	}
	argv_add(&p->mount, "%s", m->source);
	argv_add(&p->mount, "%s", m->target);
	argv_add(&p->umount, "umount");
	argv_add(&p->umount, "%s", m->target);
	rc = 0;
out:
	if (copy != NULL) {
		explicit_bzero(copy, strlen(copy));
		free(copy);
	}
	free(kept);
	return rc;
}

void
mount_plan_clear(struct mount_plan *p)
{
	argv_free(&p->mount);
	argv_free(&p->umount);
	if (p->password != NULL) {
		explicit_bzero(p->password, strlen(p->password));
		free(p->password);
	}
	memset(p, 0, sizeof *p);
}

int
mount_run(const struct mount_plan *p, int mount, char **cause)
{
	const struct argv	*a = mount ? &p->mount : &p->umount;
	struct child		*child;
	int			 rc;

	/* Only mount.cifs, run by mount, sees the password. */
	if (mount && p->password != NULL)
		setenv("PASSWD", p->password, 1);
	child = child_spawn(a->v, -1, -1, -1, cause);
	unsetenv("PASSWD");
	if (child == NULL)
		return -1;
	rc = child_finish(child, NULL, cause);
	if (rc != 0)
		error_prefix(cause, "%s %s failed", mount ? "mount of" :
		    "umount of", a->v[a->n - 1]);
	return rc;
}
