/*
 * mount.c: the cifs mount around a job (see mount.h). The options string
 * is the appliance's ("user=u,pass=p,vers=3.0"): split at commas (",,"
 * is a comma inside a value, as for mount.cifs), the password taken out,
 * the rest passed with -o (its ",," kept as the user wrote them).
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

/*
 * End the option at `option` and return the next one (NULL: none). As
 * mount.cifs reads them, ",," is a comma inside an option (a password may
 * hold one), kept as one comma.
 */
static char *
mount_next_option(char *option)
{
	char	*in = option, *out = option;

	for (;;) {
		if (*in == '\0') {
			*out = '\0';
			return NULL;
		}
		if (*in == ',' && in[1] == ',') {
			*out++ = ',';
			in += 2;
			continue;
		}
		if (*in == ',') {
			*out = '\0';
			return in + 1;
		}
		*out++ = *in++;
	}
}

/* kept (NULL: none) and option joined by a comma, its commas doubled. */
static char *
mount_append_option(const char *kept, const char *option)
{
	size_t	 len = kept != NULL ? strlen(kept) : 0;
	char	*out = xmalloc(len + 2 * strlen(option) + 2), *o = out;

	if (kept != NULL) {
		memcpy(o, kept, len);
		o += len;
		*o++ = ',';
	}
	for (; *option != '\0'; option++) {
		if (*option == ',')
			*o++ = ',';
		*o++ = *option;
	}
	*o = '\0';
	return out;
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
			next = mount_next_option(option);
			if (*option == '\0')
				continue;
			if ((value = mount_password_value(option)) != NULL) {
				free(p->password);
				p->password = xstrdup(value);
				continue;
			}
			tmp = mount_append_option(kept, option);
			free(kept);
			kept = tmp;
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
