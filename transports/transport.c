/*
 * transport.c: picks the driver for a URL's scheme and checks object names
 * before any driver sees them, so no driver can be asked to write outside
 * its target.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/xmalloc.h"
#include "transport.intern.h"

static const struct transport_ops *transport_drivers[] = {
	&transport_file_ops,
	&transport_sftp_ops,
	&transport_ftp_ops,
	&transport_webdav_ops,
	&transport_smb_ops,
};

int
transport_name_valid(const char *name)
{
	const char	*p;

	if (*name == '\0' || *name == '.' || strlen(name) > 200)
		return 0;
	for (p = name; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' ||
		    *p == '-'))
			return 0;
	}
	return 1;
}

/* The options with their defaults; the password the driver is to use. */
static void
transport_set_options(struct transport *t, const struct transport_options *o)
{
	const char	*password;

	if (o != NULL)
		t->opts = *o;
	if (t->opts.connect_timeout <= 0)
		t->opts.connect_timeout = TRANSPORT_DEFAULT_CONNECT_TIMEOUT;
	if (t->opts.idle_timeout <= 0)
		t->opts.idle_timeout = TRANSPORT_DEFAULT_IDLE_TIMEOUT;
	if (t->opts.retries <= 0)
		t->opts.retries = TRANSPORT_DEFAULT_RETRIES;
	t->opts.password = NULL;	/* kept once, in t->url */
	if (t->url.password != NULL || t->url.host == NULL)
		return;
	password = o != NULL ? o->password : NULL;
	if (password == NULL)
		password = getenv("FTP_PASSWORD");
	if (password != NULL)
		t->url.password = xstrdup(password);
}

/* The driver for a (lowercase) scheme, or NULL. */
static const struct transport_ops *
transport_driver(const char *scheme)
{
	const struct transport_ops	*ops;
	size_t				 i;

	for (i = 0; i < sizeof transport_drivers / sizeof *transport_drivers;
	    i++) {
		ops = transport_drivers[i];
		if (strcmp(ops->scheme, scheme) == 0 || (ops->alias != NULL &&
		    strcmp(ops->alias, scheme) == 0))
			return ops;
	}
	return NULL;
}

int
transport_scheme_served(const char *scheme)
{
	return transport_driver(scheme) != NULL;
}

char *
transport_schemes(void)
{
	const struct transport_ops	*ops;
	char				*list = NULL, *next;
	size_t				 i;

	for (i = 0; i < sizeof transport_drivers / sizeof *transport_drivers;
	    i++) {
		ops = transport_drivers[i];
		next = xasprintf("%s%s%s%s%s", list != NULL ? list : "",
		    list != NULL ? ", " : "", ops->scheme, ops->alias != NULL ?
		    ", " : "", ops->alias != NULL ? ops->alias : "");
		free(list);
		list = next;
	}
	return list;
}

struct transport *
transport_open(const char *text, const struct transport_options *o,
    char **cause)
{
	struct transport	*t = xcalloc(1, sizeof *t);
	char			*scheme, *display, *list;

	/* An unknown scheme first: its URL need not parse as any other. */
	if ((scheme = url_scheme(text)) != NULL &&
	    transport_driver(scheme) == NULL) {
		display = url_display(text);
		list = transport_schemes();
		error_set(cause, "unknown scheme '%s' in URL '%s' (supported: "
		    "%s)", scheme, display, list);
		free(list);
		free(display);
		free(scheme);
		goto fail;
	}
	free(scheme);
	if (url_parse(text, &t->url, cause) != 0)
		goto fail;
	transport_set_options(t, o);
	t->ops = transport_driver(t->url.scheme);
	if (t->ops->open(t, cause) != 0)
		goto fail;
	return t;
fail:
	url_clear(&t->url);
	free(t);
	return NULL;
}

void
transport_close(struct transport *t)
{
	if (t == NULL)
		return;
	if (t->ops != NULL && t->driver != NULL)
		t->ops->close(t);
	url_clear(&t->url);
	free(t);
}

int
transport_concurrent(const struct transport *t)
{
	return (t->ops->features & TRANSPORT_CONCURRENT) != 0;
}

int
transport_readback_proves(const struct transport *t)
{
	return (t->ops->features & TRANSPORT_LOCAL_SYNCED) == 0;
}

const char *
transport_display(const struct transport *t)
{
	return t->url.display;
}

static int
transport_check_name(struct transport *t, const char *name, char **cause)
{
	if (transport_name_valid(name))
		return 0;
	return error_set(cause, "invalid object name '%s' for %s", name,
	    t->url.display);
}

int
transport_open_list(struct transport *t, char **cause)
{
	struct name_list	l = { NULL, 0 };

	if (t->ops->list(t, &l, cause) != 0) {
		t->ops->close(t);
		return -1;
	}
	name_list_clear(&l);
	return 0;
}

int
transport_publish_check(struct transport *t, const char *name,
    uint64_t total, int tmp_found, uint64_t tmp_size, int dst_found,
    uint64_t dst_size, char **cause)
{
	if (!tmp_found && dst_found && dst_size == total)
		return 1;
	if (!tmp_found || tmp_size != total)
		return error_set(cause, "unable to publish '%s' in %s: %llu "
		    "bytes written, %llu stored", name, t->url.display,
		    (unsigned long long)total, tmp_found ?
		    (unsigned long long)tmp_size : 0ULL);
	if (dst_found)
		return error_set(cause, "unable to publish '%s' in %s: an "
		    "object of that name exists", name, t->url.display);
	return 0;
}

char *
transport_tmpname(const char *name)
{
	static unsigned	counter;

	return xasprintf(TRANSPORT_TMP_PREFIX "%s.%ld.%u", name, (long)getpid(),
	    __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED));
}

int
transport_name_temporary(const char *name)
{
	return strncmp(name, TRANSPORT_TMP_PREFIX,
	    strlen(TRANSPORT_TMP_PREFIX)) == 0;
}

int
transport_stat_retry(struct transport *t,
    int (*step)(struct transport *, void *, char **), const char *name,
    uint64_t *size, char **cause)
{
	struct transport_stat_arg	sa = { .name = name };

	if (transport_retry(t, step, &sa, cause) != 0)
		return -1;
	if (!sa.found)
		return 1;
	*size = sa.size;
	return 0;
}

int
transport_buffer_write(struct transport *t, uint8_t *buf, size_t size,
    size_t *len, const void *data, size_t n,
    int (*flush_step)(struct transport *, void *, char **), void *arg,
    char **cause)
{
	const uint8_t	*p = data;
	size_t		 take;

	while (n > 0) {
		take = size - *len < n ? size - *len : n;
		memcpy(buf + *len, p, take);
		*len += take;
		p += take;
		n -= take;
		if (*len == size &&
		    transport_retry(t, flush_step, arg, cause) != 0)
			return -1;
	}
	return 0;
}

void
name_list_add(struct name_list *l, const char *name, uint64_t size)
{
	l->entries = xrealloc(l->entries, (l->count + 1) * sizeof *l->entries);
	l->entries[l->count].name = xstrdup(name);
	l->entries[l->count++].size = size;
}

void
name_list_clear(struct name_list *l)
{
	size_t	i;

	for (i = 0; i < l->count; i++)
		free(l->entries[i].name);
	free(l->entries);
	l->entries = NULL;
	l->count = 0;
}

static int
name_compare(const void *a, const void *b)
{
	return strcmp(((const struct name_entry *)a)->name,
	    ((const struct name_entry *)b)->name);
}

int
transport_list(struct transport *t, struct name_list *l, char **cause)
{
	memset(l, 0, sizeof *l);
	if (t->ops->list(t, l, cause) != 0) {
		name_list_clear(l);
		return -1;
	}
	if (l->count > 0)
		qsort(l->entries, l->count, sizeof *l->entries, name_compare);
	return 0;
}

int
transport_stat(struct transport *t, const char *name, uint64_t *size,
    char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return -1;
	return t->ops->stat(t, name, size, cause);
}

struct sink *
transport_put(struct transport *t, const char *name, char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return NULL;
	return t->ops->put(t, name, cause);
}

struct transport_reader *
transport_get(struct transport *t, const char *name, char **cause)
{
	return transport_get_from(t, name, 0, cause);
}

struct transport_reader *
transport_get_from(struct transport *t, const char *name, uint64_t offset,
    char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return NULL;
	return t->ops->get(t, name, offset, cause);
}

int
transport_retry(struct transport *t,
    int (*step)(struct transport *, void *, char **), void *arg, char **cause)
{
	struct timespec	 delay = { 0, 250 * 1000 * 1000 };
	char		*last = NULL;
	int		 try, rc = -1;

	for (try = 1; try <= t->opts.retries; try++) {
		free(last);
		last = NULL;
		rc = step(t, arg, &last);
		if (rc != TRANSPORT_TRANSIENT)
			break;
		if (try == t->opts.retries || interrupt_received())
			break;
		nanosleep(&delay, NULL);
		/* Double the pause, up to 8 s. */
		delay.tv_sec *= 2;
		delay.tv_nsec *= 2;
		if (delay.tv_nsec >= 1000 * 1000 * 1000) {
			delay.tv_sec++;
			delay.tv_nsec -= 1000 * 1000 * 1000;
		}
		if (delay.tv_sec >= 8) {
			delay.tv_sec = 8;
			delay.tv_nsec = 0;
		}
	}
	if (rc == 0) {
		free(last);
		return 0;
	}
	if (rc == TRANSPORT_TRANSIENT && t->opts.retries > 1)
		error_set(cause, "%s (gave up after %d tries)",
		    last != NULL ? last : "failed", t->opts.retries);
	else
		error_set(cause, "%s", last != NULL ? last : "failed");
	free(last);
	return -1;
}

ssize_t
transport_reader_read(struct transport_reader *r, void *buf, size_t len,
    char **cause)
{
	return r->ops->read(r, buf, len, cause);
}

void
transport_reader_close(struct transport_reader *r)
{
	if (r != NULL)
		r->ops->close(r);
}

int
transport_remove(struct transport *t, const char *name, char **cause)
{
	if (transport_check_name(t, name, cause) != 0)
		return -1;
	return t->ops->remove(t, name, cause);
}

int
transport_list_temporary(struct transport *t, struct name_list *l,
    char **cause)
{
	memset(l, 0, sizeof *l);
	if (t->ops->list_temporary == NULL)
		return 0;
	return t->ops->list_temporary(t, l, cause);
}

int
transport_remove_temporary(struct transport *t, const char *name,
    char **cause)
{
	if (!transport_name_temporary(name) || strchr(name, '/') != NULL ||
	    !transport_name_valid(name + strlen(TRANSPORT_TMP_PREFIX)))
		return error_set(cause, "'%s' is not a temporary object name",
		    name);
	if (t->ops->remove_temporary == NULL)
		return 0;
	return t->ops->remove_temporary(t, name, cause);
}
