/*
 * config.c: backupd's configuration, read from the appliance's env.yml (see
 * config.h) with libyaml's document API.
 *
 * Only `appliance: backup:` is ours: the rest of env.yml (ssl, ecs
 * settings, vault keys) belongs to the appliance and is not looked at, so
 * an appliance with more keys than we know still starts. Under `backup:`
 * an unknown key is an error, as a misspelt key silently meaning its
 * default is worse. A missing section, and a key whose value is null (the
 * appliance's env.yml leaves many that way), means the default.
 *
 * Errors are one line naming the file and the key path; a wrong type
 * names the line as well, and bad YAML gives libyaml's problem with its
 * line and column. No message ever holds a value that may be secret: the
 * URL's password is masked, mount options and the key are never shown.
 *
 * The key (`encrypt`) is judged by gpg (crypto_inspect_key), after
 * everything else is checked, so a typo elsewhere costs no gpg run.
 * `schedule` is only kept: the daemon parses it (calendar.h). The URL's
 * scheme is checked against the schemes tresor's transports serve, and
 * it is masked by the transports' own rule (through repo/target.h); the
 * rest of it is the transport's business.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "backupd/config.h"
#include "common/error.h"
#include "common/timespec.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "repo/target.h"

/* env.yml is a few KiB; anything this big is not one. */
#define CONFIG_MAX_SIZE		(16 * 1024 * 1024)

/* The keys of `appliance: backup:`, in config.h's order. */
enum config_key {
	KEY_URL,
	KEY_OPTIONS,
	KEY_MOUNT,
	KEY_ENCRYPT,
	KEY_SCHEDULE,
	KEY_FULL_EVERY,
	KEY_KEEP,
	KEY_SOURCES,
	KEY_DATABASE,
	KEY_METRICS,
	KEY_ON_FAILURE,
	KEY_SIGN,
	KEY_CACHE_DIR,
	KEY_STATE_DIR,
	KEY_DEADLINE,
	KEY_READ_DATA_EVERY,
	KEY_CACHE_MIN_FREE,
	KEY_CA_FILE,
	KEY_S3,
	KEY_COUNT
};
static const char *const config_backup_keys[KEY_COUNT] = {
	"url", "options", "mount", "encrypt", "schedule", "full_every", "keep",
	"sources", "database", "metrics", "on_failure", "sign", "cache_dir",
	"state_dir", "deadline", "read_data_every", "cache_min_free",
	"ca_file", "s3"
};
static const char *const config_s3_keys[] = {
	"endpoint", "region", "virtual_hosted", "credentials", "part_size",
	"parallel", "object_lock_days", "object_lock_mode"
};
static const char *const config_mount_keys[] = {
	"type", "source", "target", "options"
};
static const char *const config_database_keys[] = {
	"name", "host", "port", "user"
};

/* One parse: the document, the result, and what is checked at the end. */
struct config_state {
	const char	 *name;		/* the file, for messages */
	yaml_document_t	 *doc;
	struct config	 *c;
	char		**cause;
	char		 *full_every_text;	/* as given */
	char		 *options_full_text;	/* from options */
	int64_t		  options_full;
};

typedef int (*config_walk_fn)(struct config_state *, const char *, size_t,
    yaml_node_t *, void *);

/* A message: one line, whatever the file's text in it holds. */
static char *
config_show(const char *s)
{
	char	*out = xstrdup(s), *p;

	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return out;
}

/* Text built piece by piece (the description, masked options). */
struct config_buf {
	char	*data;
	size_t	 len;
	size_t	 size;
};

static void
config_add(struct config_buf *b, const char *s, size_t len)
{
	if (b->len + len + 1 > b->size) {
		b->size = (b->len + len + 1) * 2;
		b->data = xrealloc(b->data, b->size);
	}
	memcpy(b->data + b->len, s, len);
	b->len += len;
	b->data[b->len] = '\0';
}

static void
config_puts(struct config_buf *b, const char *s)
{
	config_add(b, s, strlen(s));
}

static void
config_printf(struct config_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void
config_printf(struct config_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1)
		s = xstrdup(fmt);
	va_end(ap);
	config_add(b, s, strlen(s));
	free(s);
}

static size_t
config_line(const yaml_node_t *node)
{
	return node->start_mark.line + 1;
}

/*
 * "FILE: PATH: [line N: ]MESSAGE". The line is given (node not NULL) where
 * the key path alone does not say what is wrong with the text: a type.
 */
static int
config_error(struct config_state *st, const char *path,
    const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int
config_error(struct config_state *st, const char *path,
    const yaml_node_t *node, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg, *full, *show, line[32] = "";

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = xstrdup(fmt);
	va_end(ap);
	if (node != NULL)
		snprintf(line, sizeof line, "line %zu: ", config_line(node));
	/* One line, whatever the file's text (in a cause too) holds. */
	full = xasprintf("%s: %s: %s%s", st->name, path, line, msg);
	show = config_show(full);
	error_set(st->cause, "%s", show);
	free(show);
	free(full);
	free(msg);
	return -1;
}

static const char *
config_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "a string";
	}
}

/* A plain empty, "~" or "null" scalar: the key as good as absent. */
static int
config_is_null(const yaml_node_t *node)
{
	const char	*v;

	if (node == NULL)
		return 1;
	if (node->type != YAML_SCALAR_NODE ||
	    node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = (const char *)node->data.scalar.value;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* A scalar's text; NULL (and 0) for null. */
static int
config_scalar(struct config_state *st, const char *path, yaml_node_t *node,
    const char **text)
{
	*text = NULL;
	if (config_is_null(node))
		return 0;
	if (node->type != YAML_SCALAR_NODE)
		return config_error(st, path, node, "expected a string, not %s",
		    config_kind(node));
	if (strlen((const char *)node->data.scalar.value) !=
	    node->data.scalar.length)
		return config_error(st, path, node, "holds a NUL character");
	*text = (const char *)node->data.scalar.value;
	return 0;
}

static void
config_set(char **field, const char *value)
{
	free(*field);
	*field = value != NULL ? xstrdup(value) : NULL;
}

/* A string into *field; null or empty leaves it unset (NULL). */
static int
config_string(struct config_state *st, const char *path, yaml_node_t *node,
    char **field)
{
	const char	*text;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	config_set(field, text != NULL && *text != '\0' ? text : NULL);
	return 0;
}

/* An absolute path into *field; null keeps the default. */
static int
config_path(struct config_state *st, const char *path, yaml_node_t *node,
    char **field)
{
	const char	*text;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL)
		return 0;
	if (*text != '/')
		return config_error(st, path, NULL, "'%s' is not an absolute "
		    "path", text);
	config_set(field, text);
	return 0;
}

/*
 * Walk a mapping: every key a string, one of names[], given once; fn gets
 * "PATH.KEY", the key's index and its value.
 */
static int
config_walk(struct config_state *st, const char *path, yaml_node_t *map,
    const char *const *names, size_t nnames, config_walk_fn fn, void *arg)
{
	yaml_node_pair_t	*pair, *other;
	yaml_node_t		*k, *v, *ok;
	const char		*key;
	char			*child = NULL, *known = NULL, *p;
	size_t			 i, len;
	int			 rc = -1;

	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(st->doc, pair->key);
		v = yaml_document_get_node(st->doc, pair->value);
		if (k->type != YAML_SCALAR_NODE) {
			config_error(st, path, k, "a key must be a string, not "
			    "%s", config_kind(k));
			goto out;
		}
		key = (const char *)k->data.scalar.value;
		len = k->data.scalar.length;
		free(child);
		child = xasprintf("%s.%s", path, key);
		for (i = 0; i < nnames; i++) {
			if (strlen(names[i]) == len &&
			    strcmp(names[i], key) == 0)
				break;
		}
		if (i == nnames) {
			len = 0;
			for (i = 0; i < nnames; i++)
				len += strlen(names[i]) + 2;
			known = p = xmalloc(len + 1);
			for (i = 0; i < nnames; i++)
				p += sprintf(p, "%s%s", i > 0 ? ", " : "",
				    names[i]);
			config_error(st, child, NULL, "unknown key (known: %s)",
			    known);
			goto out;
		}
		for (other = map->data.mapping.pairs.start; other < pair;
		    other++) {
			ok = yaml_document_get_node(st->doc, other->key);
			if (ok->type == YAML_SCALAR_NODE &&
			    ok->data.scalar.length == len &&
			    memcmp(ok->data.scalar.value, key, len) == 0) {
				config_error(st, child, k, "given twice (first "
				    "at line %zu)", config_line(ok));
				goto out;
			}
		}
		if (fn(st, child, i, v, arg) != 0)
			goto out;
	}
	rc = 0;
out:
	free(known);
	free(child);
	return rc;
}

/* A key of a mapping we only look into (appliance, backup); NULL: none. */
static int
config_lookup(struct config_state *st, const char *path, yaml_node_t *map,
    const char *name, yaml_node_t **out)
{
	yaml_node_pair_t	*pair;
	yaml_node_t		*k, *found = NULL;

	*out = NULL;
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(st->doc, pair->key);
		if (k->type != YAML_SCALAR_NODE ||
		    strcmp((const char *)k->data.scalar.value, name) != 0 ||
		    k->data.scalar.length != strlen(name))
			continue;
		if (found != NULL)
			return config_error(st, path, k, "given twice (first "
			    "at line %zu)", config_line(found));
		found = k;
		*out = yaml_document_get_node(st->doc, pair->value);
	}
	return 0;
}

/* "2M" and the like, or "never"/"0" (allow_never) for 0. */
static int
config_interval(struct config_state *st, const char *path, yaml_node_t *node,
    int allow_never, int64_t *out, char **text_out)
{
	const char	*text;
	char		*cause = NULL;
	int64_t		 seconds;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL)
		return 0;
	if (allow_never && (strcmp(text, "never") == 0 ||
	    strcmp(text, "0") == 0)) {
		*out = 0;
		return 0;
	}
	if (timespec_interval(text, &seconds, &cause) != 0) {
		config_error(st, path, NULL, "%s%s", cause, allow_never ?
		    " (or never)" : "");
		free(cause);
		return -1;
	}
	if (seconds == 0 && !allow_never)
		return config_error(st, path, NULL, "'%s' is no interval: it "
		    "must be longer than 0", text);
	*out = seconds;
	if (text_out != NULL)
		config_set(text_out, text);
	return 0;
}

/* "HH:MM" (or "H:MM") to minutes after midnight; -1 if it is not one. */
static int
config_hhmm(const char *text)
{
	size_t	len = strlen(text), colon;
	int	h, m;

	if (len != 4 && len != 5)
		return -1;
	colon = len - 3;
	if (text[colon] != ':' || strspn(text, "0123456789") != colon ||
	    strspn(text + colon + 1, "0123456789") != 2)
		return -1;
	h = atoi(text);
	m = atoi(text + colon + 1);
	if (h > 23 || m > 59)
		return -1;
	return h * 60 + m;
}

/*
 * Mount options with every password masked, as mount.cifs reads them:
 * options are separated by ',', a ",," is a comma inside a value; pass=,
 * password= (any option starting with "pass") are masked, and so is what
 * follows the '%' of user=name%password.
 */
static char *
config_mask_mount_options(const char *opts)
{
	struct config_buf	 b = { NULL, 0, 0 };
	const char		*p = opts, *start, *eq, *pct;
	size_t			 klen;

	config_puts(&b, "");
	while (*p != '\0') {
		start = p;
		while (*p != '\0' && (*p != ',' || p[1] == ','))
			p += *p == ',' ? 2 : 1;
		eq = memchr(start, '=', (size_t)(p - start));
		klen = eq != NULL ? (size_t)(eq - start) : 0;
		pct = eq != NULL ? memchr(eq, '%', (size_t)(p - eq)) : NULL;
		if (eq != NULL && klen >= 4 &&
		    strncasecmp(start, "pass", 4) == 0) {
			config_add(&b, start, klen + 1);
			config_puts(&b, "***");
		} else if (pct != NULL && ((klen == 4 &&
		    strncasecmp(start, "user", 4) == 0) || (klen == 8 &&
		    strncasecmp(start, "username", 8) == 0))) {
			config_add(&b, start, (size_t)(pct - start) + 1);
			config_puts(&b, "***");
		} else
			config_add(&b, start, (size_t)(p - start));
		if (*p == ',')
			config_add(&b, p++, 1);
	}
	return b.data;
}

static int
config_url(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config	*c = st->c;
	const char	*text;
	char		*why = NULL;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL)
		return 0;
	if (target_url_check(text, &why) != 0) {
		config_error(st, path, NULL, "%s", why);
		free(why);
		return -1;
	}
	if (c->url != NULL)
		explicit_bzero(c->url, strlen(c->url));
	config_set(&c->url, text);
	c->url_is_default = 0;
	return 0;
}

/*
 * duplicity's options, as the appliance passed them: those tresor has an
 * equivalent for, "--opt value" or "--opt=value". Any other is an error,
 * not ignored: it changed what duplicity did, and tresor would not.
 */
static int
config_options(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config	*c = st->c;
	const char	*text;
	char		*copy, *save = NULL, *tok, *value, *eq, *end;
	char		*cause = NULL;
	unsigned long	 mib;
	int64_t		 seconds;
	int		 rc = -1;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL)
		return 0;
	copy = xstrdup(text);
	for (tok = strtok_r(copy, " \t\r\n", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t\r\n", &save)) {
		value = NULL;
		if (strncmp(tok, "--", 2) == 0 &&
		    (eq = strchr(tok, '=')) != NULL) {
			*eq = '\0';
			value = eq + 1;
		}
		if (strcmp(tok, "--exclude-other-filesystems") == 0) {
			if (value != NULL) {
				config_error(st, path, NULL, "%s takes no "
				    "value", tok);
				goto out;
			}
			c->one_file_system = 1;
			continue;
		}
		if (strcmp(tok, "--volsize") != 0 &&
		    strcmp(tok, "--full-if-older-than") != 0) {
			config_error(st, path, NULL, "unsupported duplicity "
			    "option '%s' (supported: --volsize, "
			    "--full-if-older-than, "
			    "--exclude-other-filesystems)", tok);
			goto out;
		}
		if (value == NULL)
			value = strtok_r(NULL, " \t\r\n", &save);
		if (value == NULL || *value == '\0') {
			config_error(st, path, NULL, "%s needs a value", tok);
			goto out;
		}
		if (strcmp(tok, "--volsize") == 0) {
			errno = 0;
			mib = strtoul(value, &end, 10);
			if (errno != 0 || *end != '\0' || *value < '0' ||
			    *value > '9' || mib < 1 || mib > 4096) {
				config_error(st, path, NULL, "--volsize '%s': "
				    "expected MiB from 1 to 4096", value);
				goto out;
			}
			c->volsize = (uint64_t)mib * 1024 * 1024;
			continue;
		}
		if (timespec_interval(value, &seconds, &cause) != 0) {
			config_error(st, path, NULL, "--full-if-older-than: %s",
			    cause);
			goto out;
		}
		if (seconds == 0) {
			config_error(st, path, NULL, "--full-if-older-than "
			    "must be longer than 0");
			goto out;
		}
		st->options_full = seconds;
		config_set(&st->options_full_text, value);
	}
	rc = 0;
out:
	free(cause);
	free(copy);
	return rc;
}

/* A mapping's string values into fields[key] (mount, database). */
static int
config_field(struct config_state *st, const char *path, size_t key,
    yaml_node_t *node, void *arg)
{
	char	***fields = arg;

	return config_string(st, path, node, fields[key]);
}

static int
config_mount(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config_mount	*m = &st->c->mount;
	char			**fields[] = { &m->type, &m->source,
				    &m->target, &m->options };
	char			 *sub = NULL;
	int			  rc = -1;

	if (config_is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return config_error(st, path, node, "expected a mapping "
		    "{type, source, target, options}, not %s",
		    config_kind(node));
	if (config_walk(st, path, node, config_mount_keys, 4, config_field,
	    fields) != 0)
		return -1;
	if (m->type == NULL && m->source == NULL && m->target == NULL &&
	    m->options == NULL)
		return 0;
	if (m->type == NULL) {
		sub = xasprintf("%s.type", path);
		config_error(st, sub, NULL, "missing (a mount needs type: "
		    "cifs, source and target)");
		goto out;
	}
	if (strcmp(m->type, "cifs") != 0) {
		sub = xasprintf("%s.type", path);
		config_error(st, sub, NULL, "unsupported mount type '%s' "
		    "(only cifs)", m->type);
		goto out;
	}
	if (m->source == NULL || m->target == NULL) {
		sub = xasprintf("%s.%s", path, m->source == NULL ? "source" :
		    "target");
		config_error(st, sub, NULL, "missing (a cifs mount needs "
		    "source and target)");
		goto out;
	}
	if (*m->target != '/') {
		sub = xasprintf("%s.target", path);
		config_error(st, sub, NULL, "'%s' is not an absolute path",
		    m->target);
		goto out;
	}
	rc = 0;
out:
	free(sub);
	return rc;
}

/* An integer from lo to hi of the s3 mapping (text NULL: keep 0). */
static int
config_s3_int(struct config_state *st, const char *path, const char *key,
    const char *text, long lo, long hi, int *out)
{
	char	*end, *sub;
	long	 n;

	if (text == NULL)
		return 0;
	errno = 0;
	n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || errno != 0 || n < lo || n > hi) {
		sub = xasprintf("%s.%s", path, key);
		config_error(st, sub, NULL, "takes %ld to %ld, not '%s'", lo,
		    hi, text);
		free(sub);
		return -1;
	}
	*out = (int)n;
	return 0;
}

/*
 * s3: {endpoint, region, virtual_hosted, credentials, part_size, parallel,
 * object_lock_days, object_lock_mode}. The credentials file holds a
 * secret: it must be a regular file only its owner may read (mode 600).
 */
static int
config_s3(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config_s3	*s3 = &st->c->s3;
	char			*vhost = NULL, *part = NULL, *par = NULL;
	char			*days = NULL, *sub = NULL;
	char			**fields[] = { &s3->endpoint, &s3->region, &vhost,
				    &s3->credentials, &part, &par, &days,
				    &s3->lock_mode };
	struct stat		 sb;
	int			 rc = -1;

	if (config_is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return config_error(st, path, node, "expected a mapping "
		    "{endpoint, region, credentials, ...}, not %s",
		    config_kind(node));
	if (config_walk(st, path, node, config_s3_keys, 8, config_field,
	    fields) != 0)
		goto out;
	if (s3->endpoint != NULL && strncmp(s3->endpoint, "http://", 7) != 0 &&
	    strncmp(s3->endpoint, "https://", 8) != 0) {
		sub = xasprintf("%s.endpoint", path);
		config_error(st, sub, NULL, "'%s' is not an http:// or https:// "
		    "URL", s3->endpoint);
		goto out;
	}
	if (vhost != NULL) {
		if (strcmp(vhost, "true") == 0 || strcmp(vhost, "yes") == 0)
			s3->virtual_hosted = 1;
		else if (strcmp(vhost, "false") != 0 && strcmp(vhost, "no") !=
		    0) {
			sub = xasprintf("%s.virtual_hosted", path);
			config_error(st, sub, NULL, "expected true or false, "
			    "not '%s'", vhost);
			goto out;
		}
	}
	if (config_s3_int(st, path, "part_size", part, 5, 5120,
	    &s3->part_mib) != 0 || config_s3_int(st, path, "parallel", par, 1,
	    64, &s3->parallel) != 0 || config_s3_int(st, path,
	    "object_lock_days", days, 1, 36500, &s3->lock_days) != 0)
		goto out;
	if (s3->lock_mode != NULL && strcmp(s3->lock_mode, "COMPLIANCE") !=
	    0 && strcmp(s3->lock_mode, "GOVERNANCE") != 0) {
		sub = xasprintf("%s.object_lock_mode", path);
		config_error(st, sub, NULL, "expected COMPLIANCE or GOVERNANCE, "
		    "not '%s'", s3->lock_mode);
		goto out;
	}
	if (s3->credentials != NULL) {
		sub = xasprintf("%s.credentials", path);
		if (*s3->credentials != '/') {
			config_error(st, sub, NULL, "'%s' is not an absolute "
			    "path", s3->credentials);
			goto out;
		}
		if (stat(s3->credentials, &sb) != 0) {
			config_error(st, sub, NULL, "'%s': %s",
			    s3->credentials, strerror(errno));
			goto out;
		}
		if (!S_ISREG(sb.st_mode) || (sb.st_mode & 077) != 0) {
			config_error(st, sub, NULL, "'%s' must be a file of "
			    "mode 600 (it holds the secret key), not %03o",
			    s3->credentials, (unsigned)(sb.st_mode & 0777));
			goto out;
		}
	}
	rc = 0;
out:
	free(sub);
	free(vhost);
	free(part);
	free(par);
	free(days);
	return rc;
}

void
config_transport(const struct config *c, struct transport_options *o)
{
	memset(o, 0, sizeof *o);
	o->ca_file = c->ca_file;
	o->s3_endpoint = c->s3.endpoint;
	o->s3_region = c->s3.region;
	o->s3_virtual_hosted = c->s3.virtual_hosted;
	o->s3_credentials = c->s3.credentials;
	o->s3_part_mib = c->s3.part_mib;
	o->s3_parallel = c->s3.parallel;
	o->s3_lock_days = c->s3.lock_days;
	o->s3_lock_mode = c->s3.lock_mode;
}

static int
config_database(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config_database	*d = &st->c->database;
	char			**fields[] = { &d->name, &d->host, &d->port,
				    &d->user };
	char			 *end, *sub;
	long			  port;

	if (config_is_null(node))
		return 0;
	if (node->type == YAML_SCALAR_NODE &&
	    strcmp((const char *)node->data.scalar.value, "none") == 0) {
		config_set(&d->name, NULL);
		config_set(&d->host, NULL);
		config_set(&d->port, NULL);
		config_set(&d->user, NULL);
		return 0;
	}
	if (node->type != YAML_MAPPING_NODE)
		return config_error(st, path, node, "expected a mapping "
		    "{name, host, port, user} or none, not %s",
		    config_kind(node));
	config_set(&d->name, NULL);
	if (config_walk(st, path, node, config_database_keys, 4, config_field,
	    fields) != 0)
		return -1;
	if (d->name == NULL)
		d->name = xstrdup(CONFIG_DEFAULT_DATABASE);
	if (d->port != NULL) {
		errno = 0;
		port = strtol(d->port, &end, 10);
		if (errno != 0 || *end != '\0' || *d->port < '0' ||
		    *d->port > '9' || port < 1 || port > 65535) {
			sub = xasprintf("%s.port", path);
			config_error(st, sub, NULL, "'%s' is not a port "
			    "number", d->port);
			free(sub);
			return -1;
		}
	}
	return 0;
}

static int
config_sources(struct config_state *st, const char *path, yaml_node_t *node)
{
	struct config	 *c = st->c;
	yaml_node_item_t *item;
	yaml_node_t	 *v;
	const char	 *text;
	char		**sources = NULL, *sub = NULL;
	size_t		  n = 0, i;
	int		  rc = -1;

	if (config_is_null(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return config_error(st, path, node, "expected a list of "
		    "directories, not %s", config_kind(node));
	for (item = node->data.sequence.items.start;
	    item < node->data.sequence.items.top; item++) {
		v = yaml_document_get_node(st->doc, *item);
		free(sub);
		sub = xasprintf("%s[%zu]", path, n);
		if (config_scalar(st, sub, v, &text) != 0)
			goto out;
		if (text == NULL || *text != '/') {
			config_error(st, sub, NULL, "'%s' is not an absolute "
			    "path", text != NULL ? text : "");
			goto out;
		}
		sources = xrealloc(sources, (n + 1) * sizeof *sources);
		sources[n++] = xstrdup(text);
	}
	for (i = 0; i < c->nsources; i++)
		free(c->sources[i]);
	free(c->sources);
	c->sources = sources;
	c->nsources = n;
	sources = NULL;
	n = 0;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(sources[i]);
	free(sources);
	free(sub);
	return rc;
}

static int
config_deadline(struct config_state *st, const char *path, yaml_node_t *node)
{
	const char	*text;
	int		 minutes;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL || *text == '\0' || strcmp(text, "none") == 0) {
		st->c->deadline_minutes = -1;
		return 0;
	}
	if ((minutes = config_hhmm(text)) == -1)
		return config_error(st, path, NULL, "'%s' is not a time of "
		    "day (HH:MM, or none)", text);
	st->c->deadline_minutes = minutes;
	return 0;
}

/* cache_min_free: MiB the cache directory must have free (at least 1). */
static int
config_min_free(struct config_state *st, const char *path, yaml_node_t *node)
{
	const char		*text;
	char			*end;
	unsigned long long	 mib;

	if (config_scalar(st, path, node, &text) != 0)
		return -1;
	if (text == NULL)
		return 0;
	errno = 0;
	mib = strtoull(text, &end, 10);
	if (*text < '0' || *text > '9' || *end != '\0' || errno != 0 ||
	    mib == 0 || mib > 1024ULL * 1024 * 1024)
		return config_error(st, path, NULL, "'%s' is not a number of "
		    "MiB", text);
	st->c->cache_min_free = (uint64_t)mib * 1024 * 1024;
	return 0;
}

/* One key of `appliance: backup:`. */
static int
config_backup_key(struct config_state *st, const char *path, size_t key,
    yaml_node_t *node, void *arg)
{
	struct config	*c = st->c;
	const char	*text;

	(void)arg;
	switch ((enum config_key)key) {
	case KEY_URL:
		return config_url(st, path, node);
	case KEY_OPTIONS:
		return config_options(st, path, node);
	case KEY_MOUNT:
		return config_mount(st, path, node);
	case KEY_ENCRYPT:
		if (config_scalar(st, path, node, &text) != 0)
			return -1;
		if (c->encrypt != NULL)
			explicit_bzero(c->encrypt, strlen(c->encrypt));
		/* "" is a key, a bad one: only null means none given. */
		config_set(&c->encrypt, text);
		return 0;
	case KEY_SCHEDULE:
		if (config_scalar(st, path, node, &text) != 0)
			return -1;
		if (text != NULL && *text == '\0')
			return config_error(st, path, NULL, "empty (give a "
			    "calendar expression; the default is \"%s\")",
			    CONFIG_DEFAULT_SCHEDULE);
		if (text != NULL)
			config_set(&c->schedule, text);
		return 0;
	case KEY_FULL_EVERY:
		return config_interval(st, path, node, 0, &c->full_every,
		    &st->full_every_text);
	case KEY_KEEP:
		return config_interval(st, path, node, 0, &c->keep, NULL);
	case KEY_READ_DATA_EVERY:
		return config_interval(st, path, node, 1, &c->read_data_every,
		    NULL);
	case KEY_SOURCES:
		return config_sources(st, path, node);
	case KEY_DATABASE:
		return config_database(st, path, node);
	case KEY_METRICS:
		return config_path(st, path, node, &c->metrics);
	case KEY_CACHE_DIR:
		return config_path(st, path, node, &c->cache_dir);
	case KEY_STATE_DIR:
		return config_path(st, path, node, &c->state_dir);
	case KEY_ON_FAILURE:
		return config_string(st, path, node, &c->on_failure);
	case KEY_SIGN:
		return config_string(st, path, node, &c->sign);
	case KEY_DEADLINE:
		return config_deadline(st, path, node);
	case KEY_CACHE_MIN_FREE:
		return config_min_free(st, path, node);
	case KEY_CA_FILE:
		return config_path(st, path, node, &c->ca_file);
	case KEY_S3:
		return config_s3(st, path, node);
	case KEY_COUNT:
		break;
	}
	return -1;
}

/* What only the whole section can tell; the key (a gpg run) last. */
/* `sign`: the key pair that signs the seals (repo/seals.h). */
static int
config_check_sign(struct config_state *st, struct config *c)
{
	char	*cause = NULL;
	int	 secret, rc;

	rc = crypto_inspect_key(c->sign, strlen(c->sign), &secret,
	    &c->sign_fpr, &cause);
	if (rc != 0)
		config_error(st, "appliance.backup.sign", NULL, "%s", cause);
	else if (!secret)
		rc = config_error(st, "appliance.backup.sign", NULL, "a public "
		    "key: the seals need the signing key pair (or leave sign "
		    "out: backupd then makes one in its keyring)");
	free(cause);
	return rc;
}

static int
config_check(struct config_state *st)
{
	struct config	*c = st->c;
	char		*cause = NULL;
	int		 rc;

	if (st->options_full_text != NULL) {
		if (st->full_every_text != NULL &&
		    st->options_full != c->full_every)
			return config_error(st, "appliance.backup.options",
			    NULL, "--full-if-older-than %s differs from "
			    "appliance.backup.full_every: %s (give one)",
			    st->options_full_text, st->full_every_text);
		c->full_every = st->options_full;
	}
	if (c->nsources == 0 && c->database.name == NULL)
		return config_error(st, "appliance.backup.sources", NULL,
		    "empty, and database is none: nothing to back up");
	if (c->encrypt == NULL)
		return config_error(st, "appliance.backup.encrypt", NULL,
		    "missing: the nightly job cannot encrypt without a key "
		    "(the ASCII-armoured public key, or the key pair)");
	rc = crypto_inspect_key(c->encrypt, strlen(c->encrypt),
	    &c->encrypt_secret, &c->encrypt_fpr, &cause);
	if (rc != 0)
		config_error(st, "appliance.backup.encrypt", NULL, "%s", cause);
	free(cause);
	if (rc == 0 && c->sign != NULL)
		rc = config_check_sign(st, c);
	return rc;
}

static struct config *
config_defaults(const char *name)
{
	struct config	*c = xcalloc(1, sizeof *c);

	c->path = xstrdup(name);
	c->url = xstrdup(CONFIG_DEFAULT_URL);
	c->url_is_default = 1;
	c->schedule = xstrdup(CONFIG_DEFAULT_SCHEDULE);
	c->full_every = CONFIG_DEFAULT_FULL;
	c->keep = CONFIG_DEFAULT_KEEP;
	c->read_data_every = CONFIG_DEFAULT_READ_DATA;
	c->cache_min_free = CONFIG_DEFAULT_CACHE_MIN_FREE;
	c->sources = xcalloc(1, sizeof *c->sources);
	c->sources[0] = xstrdup(CONFIG_DEFAULT_SOURCE);
	c->nsources = 1;
	c->database.name = xstrdup(CONFIG_DEFAULT_DATABASE);
	c->metrics = xstrdup(CONFIG_DEFAULT_METRICS);
	c->cache_dir = xstrdup(CONFIG_DEFAULT_CACHE);
	c->state_dir = xstrdup(CONFIG_DEFAULT_STATE);
	c->deadline_minutes = config_hhmm(CONFIG_DEFAULT_DEADLINE);
	return c;
}

/* libyaml's complaint, one line: "FILE: line L, column C: problem". */
static void
config_yaml_error(const char *name, const char *text, size_t len,
    const yaml_parser_t *p, char **cause)
{
	size_t	line = 1, column = 1, i;
	char	ctx[160] = "";

	if (p->error == YAML_MEMORY_ERROR) {
		error_set(cause, "%s: out of memory reading YAML", name);
		return;
	}
	if (p->error == YAML_READER_ERROR) {
		/* Only a byte offset: count the lines up to it. */
		for (i = 0; i < p->problem_offset && i < len; i++) {
			if (text[i] == '\n') {
				line++;
				column = 1;
			} else
				column++;
		}
		error_set(cause, "%s: line %zu, column %zu: %s", name, line,
		    column, p->problem != NULL ? p->problem : "bad YAML");
		return;
	}
	if (p->context != NULL)
		snprintf(ctx, sizeof ctx, " (%s at line %zu, column %zu)",
		    p->context, p->context_mark.line + 1,
		    p->context_mark.column + 1);
	error_set(cause, "%s: line %zu, column %zu: %s%s", name,
	    p->problem_mark.line + 1, p->problem_mark.column + 1,
	    p->problem != NULL ? p->problem : "bad YAML", ctx);
}

/* Wipe the document's text (the key, passwords) before libyaml frees it. */
static void
config_wipe(yaml_document_t *doc)
{
	yaml_node_t	*node;

	for (node = doc->nodes.start; node < doc->nodes.top; node++) {
		if (node->type == YAML_SCALAR_NODE)
			explicit_bzero(node->data.scalar.value,
			    node->data.scalar.length);
	}
}

struct config *
config_parse(const char *name, const char *text, size_t len, char **cause)
{
	struct config_state	 st;
	yaml_parser_t		 parser;
	yaml_document_t		 doc;
	yaml_node_t		*root, *appliance = NULL, *backup = NULL;
	int			 have_parser = 0, have_doc = 0, rc = -1;

	memset(&st, 0, sizeof st);
	st.name = name;
	st.doc = &doc;
	st.cause = cause;
	st.c = config_defaults(name);
	if (!yaml_parser_initialize(&parser)) {
		error_set(cause, "%s: unable to start libyaml", name);
		goto out;
	}
	have_parser = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		config_yaml_error(name, text, len, &parser, cause);
		goto out;
	}
	have_doc = 1;
	root = yaml_document_get_root_node(&doc);
	if (root != NULL && !config_is_null(root)) {
		if (root->type != YAML_MAPPING_NODE) {
			error_set(cause, "%s: line %zu: expected a mapping at "
			    "the top, not %s", name, config_line(root),
			    config_kind(root));
			goto out;
		}
		if (config_lookup(&st, "appliance", root, "appliance",
		    &appliance) != 0)
			goto out;
	}
	if (appliance != NULL && !config_is_null(appliance)) {
		if (appliance->type != YAML_MAPPING_NODE) {
			config_error(&st, "appliance", appliance, "expected a "
			    "mapping, not %s", config_kind(appliance));
			goto out;
		}
		if (config_lookup(&st, "appliance.backup", appliance, "backup",
		    &backup) != 0)
			goto out;
	}
	if (backup != NULL && !config_is_null(backup)) {
		if (backup->type != YAML_MAPPING_NODE) {
			config_error(&st, "appliance.backup", backup,
			    "expected a mapping, not %s", config_kind(backup));
			goto out;
		}
		if (config_walk(&st, "appliance.backup", backup,
		    config_backup_keys, KEY_COUNT, config_backup_key,
		    NULL) != 0)
			goto out;
	}
	if (config_check(&st) != 0)
		goto out;
	rc = 0;
out:
	if (have_doc) {
		config_wipe(&doc);
		yaml_document_delete(&doc);
	}
	if (have_parser)
		yaml_parser_delete(&parser);
	free(st.full_every_text);
	free(st.options_full_text);
	if (rc != 0) {
		config_free(st.c);
		return NULL;
	}
	return st.c;
}

struct config *
config_load(const char *path, char **cause)
{
	struct config	*c = NULL;
	struct stat	 sb;
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		error_sys(cause, "unable to read configuration '%s'", path);
		goto out;
	}
	if (fstat(fd, &sb) != 0) {
		error_sys(cause, "unable to read configuration '%s'", path);
		goto out;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > CONFIG_MAX_SIZE) {
		error_set(cause, "%s: not a configuration file (%s)", path,
		    S_ISREG(sb.st_mode) ? "too large" : "not a regular file");
		goto out;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		n = read(fd, text + len, (size_t)sb.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			error_sys(cause, "unable to read configuration '%s'",
			    path);
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	text[len] = '\0';
	c = config_parse(path, text, len, cause);
out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	if (fd != -1)
		close(fd);
	return c;
}

char *
config_find(const char *explicit_path, char **cause)
{
	static const char *const defaults[] = {
		"/app/env.yml", "/run/active-env.yml"
	};
	const char	*env;
	struct stat	 sb;
	size_t		 i;

	if (explicit_path != NULL && *explicit_path != '\0')
		return xstrdup(explicit_path);
	if ((env = getenv("ENV_YML")) != NULL && *env != '\0')
		return xstrdup(env);
	for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++) {
		if (stat(defaults[i], &sb) == 0)
			return xstrdup(defaults[i]);
	}
	error_set(cause, "no configuration found: tried --config (not given), "
	    "$ENV_YML (not set), %s, %s", defaults[0], defaults[1]);
	return NULL;
}

static void
config_free_secret(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void
config_free(struct config *c)
{
	size_t	i;

	if (c == NULL)
		return;
	free(c->path);
	config_free_secret(c->url);
	config_free_secret(c->encrypt);
	free(c->encrypt_fpr);
	free(c->schedule);
	for (i = 0; i < c->nsources; i++)
		free(c->sources[i]);
	free(c->sources);
	free(c->database.name);
	free(c->database.host);
	free(c->database.port);
	free(c->database.user);
	free(c->mount.type);
	free(c->mount.source);
	free(c->mount.target);
	config_free_secret(c->mount.options);
	free(c->metrics);
	free(c->on_failure);
	config_free_secret(c->sign);
	free(c->sign_fpr);
	free(c->cache_dir);
	free(c->state_dir);
	free(c->ca_file);
	free(c->s3.endpoint);
	free(c->s3.region);
	free(c->s3.credentials);
	free(c->s3.lock_mode);
	free(c);
}

/* A value for the description: plain if that reads back the same. */
static void
config_add_value(struct config_buf *b, const char *s)
{
	const char	*p;
	int		 plain;

	plain = *s != '\0' && strchr("!&*-?{}[],#|>@`\"'%: ", *s) == NULL;
	for (p = s; plain && *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\\' || *p == ':' || *p == '#')
			plain = 0;
	}
	if (plain && s[strlen(s) - 1] != ' ') {
		config_add(b, s, strlen(s));
		return;
	}
	config_add(b, "\"", 1);
	for (p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			config_printf(b, "\\%c", *p);
		else if ((unsigned char)*p < 0x20 || *p == 0x7f)
			config_printf(b, "\\x%02x", (unsigned char)*p);
		else
			config_add(b, p, 1);
	}
	config_add(b, "\"", 1);
}

static void
config_add_key(struct config_buf *b, const char *indent, const char *key,
    const char *value)
{
	config_printf(b, "%s%s: ", indent, key);
	config_add_value(b, value);
	config_add(b, "\n", 1);
}

/* Seconds as the largest unit that divides them ("2M", "1W"). */
static void
config_add_interval(struct config_buf *b, const char *key, int64_t s)
{
	static const struct {
		char	unit;
		int64_t	seconds;
	} units[] = {
		{ 'Y', 365 * 86400 }, { 'M', 30 * 86400 }, { 'W', 7 * 86400 },
		{ 'D', 86400 }, { 'h', 3600 }, { 'm', 60 }, { 's', 1 }
	};
	size_t	i;

	if (s == 0) {
		config_printf(b, "    %s: never\n", key);
		return;
	}
	for (i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (s % units[i].seconds == 0)
			break;
	}
	config_printf(b, "    %s: %lld%c\n", key,
	    (long long)(s / units[i].seconds), units[i].unit);
}

char *
config_describe(const struct config *c)
{
	struct config_buf	 b = { NULL, 0, 0 };
	char			*masked;
	size_t			 i;

	config_puts(&b, "# ");
	config_add_value(&b, c->path);
	config_puts(&b, " (effective values; secrets masked)\nappliance:\n"
	    "  backup:\n");
	masked = target_url_masked(c->url);
	config_add_key(&b, "    ", "url", masked);
	free(masked);
	if (c->url_is_default)
		config_puts(&b, "    # url: not given; the default is the "
		    "appliance's local test target\n");
	if (c->encrypt_fpr == NULL)
		config_puts(&b, "    encrypt: none\n");
	else if (c->encrypt_secret)
		config_printf(&b, "    encrypt: secret key pair %s (only its "
		    "public part is used to back up)\n", c->encrypt_fpr);
	else
		config_printf(&b, "    encrypt: public key %s\n",
		    c->encrypt_fpr);
	config_add_key(&b, "    ", "schedule", c->schedule);
	config_add_interval(&b, "full_every", c->full_every);
	config_add_interval(&b, "keep", c->keep);
	config_add_interval(&b, "read_data_every", c->read_data_every);
	config_printf(&b, "    cache_min_free: %llu  # MiB\n",
	    (unsigned long long)(c->cache_min_free >> 20));
	if (c->nsources == 0)
		config_puts(&b, "    sources: []\n");
	else
		config_puts(&b, "    sources:\n");
	for (i = 0; i < c->nsources; i++) {
		config_puts(&b, "      - ");
		config_add_value(&b, c->sources[i]);
		config_puts(&b, "\n");
	}
	if (c->database.name == NULL)
		config_puts(&b, "    database: none\n");
	else {
		config_puts(&b, "    database:\n");
		config_add_key(&b, "      ", "name", c->database.name);
		if (c->database.host != NULL)
			config_add_key(&b, "      ", "host", c->database.host);
		if (c->database.port != NULL)
			config_add_key(&b, "      ", "port", c->database.port);
		if (c->database.user != NULL)
			config_add_key(&b, "      ", "user", c->database.user);
	}
	if (c->mount.type == NULL)
		config_puts(&b, "    mount: none\n");
	else {
		config_puts(&b, "    mount:\n");
		config_add_key(&b, "      ", "type", c->mount.type);
		config_add_key(&b, "      ", "source", c->mount.source);
		config_add_key(&b, "      ", "target", c->mount.target);
		if (c->mount.options != NULL) {
			masked = config_mask_mount_options(c->mount.options);
			config_add_key(&b, "      ", "options", masked);
			free(masked);
		}
	}
	config_add_key(&b, "    ", "metrics", c->metrics);
	config_add_key(&b, "    ", "on_failure", c->on_failure != NULL ?
	    c->on_failure : "none");
	/* A key pair: only its fingerprint. */
	if (c->sign != NULL)
		config_printf(&b, "    sign: key pair %s\n", c->sign_fpr);
	else
		config_printf(&b, "    sign: none (backupd's own, "
		    "%s/keyring/sign.asc)\n", c->state_dir);
	config_add_key(&b, "    ", "cache_dir", c->cache_dir);
	config_add_key(&b, "    ", "state_dir", c->state_dir);
	if (c->ca_file != NULL)
		config_add_key(&b, "    ", "ca_file", c->ca_file);
	if (c->s3.endpoint != NULL || c->s3.credentials != NULL) {
		config_puts(&b, "    s3:\n");
		if (c->s3.endpoint != NULL)
			config_add_key(&b, "      ", "endpoint", c->s3.endpoint);
		if (c->s3.region != NULL)
			config_add_key(&b, "      ", "region", c->s3.region);
		if (c->s3.credentials != NULL)
			config_add_key(&b, "      ", "credentials",
			    c->s3.credentials);
		if (c->s3.lock_days > 0)
			config_printf(&b, "      object_lock_days: %d\n",
			    c->s3.lock_days);
	}
	if (c->deadline_minutes < 0)
		config_puts(&b, "    deadline: none\n");
	else
		config_printf(&b, "    deadline: \"%02d:%02d\"\n",
		    c->deadline_minutes / 60, c->deadline_minutes % 60);
	if (c->volsize == 0)
		config_puts(&b, "    volsize: default\n");
	else
		config_printf(&b, "    volsize: %llu  # bytes (--volsize "
		    "%llu)\n", (unsigned long long)c->volsize,
		    (unsigned long long)(c->volsize / (1024 * 1024)));
	config_printf(&b, "    one_file_system: %s\n", c->one_file_system ?
	    "true  # --exclude-other-filesystems" : "false");
	return b.data;
}
