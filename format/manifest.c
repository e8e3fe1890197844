/*
 * manifest.c: writing and reading manifests (see manifest.h).
 *
 * Entries are spooled to an unlinked temporary file while the volumes are
 * written, then streamed into the manifest object at the end, so memory
 * does not grow with the number of files.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/pathenc.h"
#include "common/xmalloc.h"
#include "catalog.h"
#include "filter/filter.h"
#include "manifest.h"
#include "object.h"
#include "transports/transport.h"

#define MANIFEST_LINE_MAX	(512 * 1024)	/* two 64 KiB paths, encoded */
#define MANIFEST_FIELDS_MAX	64

struct manifest_writer {
	FILE		*spool;
	uint64_t	 entries;
	uint64_t	 warnings;
};

struct line_sink {
	struct sink	 sink;
	char		*buf;
	size_t		 len;
	uint64_t	 lineno;
	int		 (*fn)(void *, char *, uint64_t, char **);
	void		*arg;
};

struct manifest_reader {
	const struct manifest_visitor	*visitor;
	void				*arg;
	struct manifest_header		 header;
	struct manifest_summary		 seen;
	struct manifest_summary		 end;
	int				 state;	/* 0 start, 1 header, 2 body, 3 end */
};

struct manifest_writer *
manifest_writer_new(char **cause)
{
	struct manifest_writer	*mw = xcalloc(1, sizeof *mw);

	mw->spool = tmpfile();
	if (mw->spool == NULL) {
		error_sys(cause, "unable to create the manifest spool file");
		free(mw);
		return NULL;
	}
	return mw;
}

void
manifest_writer_set_warnings(struct manifest_writer *mw, uint64_t n)
{
	mw->warnings = n;
}

int
manifest_writer_add(struct manifest_writer *mw,
    const struct manifest_entry *me, char **cause)
{
	const struct entry	*e = &me->e;
	char			*path = pathenc_encode(e->path), *target = NULL;
	char			 hex[HASH_HEX_LEN + 1];
	FILE			*f = mw->spool;

	fprintf(f, "%c path=%s mode=%04o uid=%u gid=%u mtime=%" PRId64
	    ".%09u", e->kind, path, e->mode, e->uid, e->gid, e->mtime_sec,
	    e->mtime_nsec);
	if (e->kind == 'f') {
		hash_to_hex(me->sha256, hex);
		fprintf(f, " size=%" PRIu64 " sha256=%s", e->size, hex);
	}
	if (e->target != NULL) {
		target = pathenc_encode(e->target);
		fprintf(f, " target=%s", target);
	}
	if (e->kind == 'c' || e->kind == 'b')
		fprintf(f, " rdev=%" PRIu64, e->rdev);
	fprintf(f, " vol=%u off=%" PRIu64 " last=%u\n", me->vol, me->off,
	    me->last);
	free(path);
	free(target);
	mw->entries++;
	if (ferror(f))
		return error_sys(cause, "unable to write the manifest spool "
		    "file");
	return 0;
}

int
manifest_writer_publish(struct manifest_writer *mw, struct transport *t,
    struct crypto *c, int level, const struct manifest_header *h,
    const struct volume_info *vols, size_t nvols, char **cause)
{
	struct object_writer	*ow = NULL;
	struct sink		*s;
	char			*name = catalog_manifest_name(h->set_id);
	char			*text = NULL, *enc, hex[HASH_HEX_LEN + 1];
	char			 when[21], buf[65536];
	uint8_t			 digest[HASH_LEN];
	uint64_t		 size;
	size_t			 i, n;
	int			 rc = -1;

	if (fflush(mw->spool) != 0 || ferror(mw->spool)) {
		error_sys(cause, "unable to write the manifest spool file");
		goto out;
	}
	if ((ow = object_writer_new(t, c, name, level, cause)) == NULL)
		goto out;
	s = object_writer_sink(ow);
	clock_format_iso(h->time, when);
	text = xasprintf("tresor-manifest %d\nset %s\ntype %s\ntime %s\n",
	    MANIFEST_VERSION, h->set_id, h->full ? "full" : "inc", when);
	if (sink_write(s, text, strlen(text), cause) != 0)
		goto out;
	for (i = 0; i < h->nsources; i++) {
		free(text);
		enc = pathenc_encode(h->sources[i]);
		text = xasprintf("source %s\n", enc);
		free(enc);
		if (sink_write(s, text, strlen(text), cause) != 0)
			goto out;
	}
	rewind(mw->spool);
	while ((n = fread(buf, 1, sizeof buf, mw->spool)) > 0) {
		if (sink_write(s, buf, n, cause) != 0)
			goto out;
	}
	if (ferror(mw->spool)) {
		error_sys(cause, "unable to read the manifest spool file");
		goto out;
	}
	for (i = 0; i < nvols; i++) {
		free(text);
		hash_to_hex(vols[i].sha256, hex);
		text = xasprintf("volume %u name=%s size=%" PRIu64
		    " sha256=%s\n", vols[i].number, vols[i].name, vols[i].size,
		    hex);
		if (sink_write(s, text, strlen(text), cause) != 0)
			goto out;
	}
	free(text);
	text = xasprintf("end entries=%" PRIu64 " volumes=%zu warnings=%"
	    PRIu64 "\n", mw->entries, nvols, mw->warnings);
	if (sink_write(s, text, strlen(text), cause) != 0)
		goto out;
	rc = object_writer_finish(ow, &size, digest, cause);
out:
	object_writer_free(ow);
	free(text);
	free(name);
	return rc;
}

void
manifest_writer_free(struct manifest_writer *mw)
{
	if (mw == NULL)
		return;
	fclose(mw->spool);
	free(mw);
}

void
manifest_header_clear(struct manifest_header *h)
{
	size_t	i;

	free(h->set_id);
	for (i = 0; i < h->nsources; i++)
		free(h->sources[i]);
	free(h->sources);
	memset(h, 0, sizeof *h);
}

/* The line splitter. */
static int
line_sink_write(struct sink *s, const void *buf, size_t len, char **cause)
{
	struct line_sink	*ls = (struct line_sink *)s;
	const char		*p = buf, *nl;
	size_t			 n;

	while (len > 0) {
		nl = memchr(p, '\n', len);
		n = nl != NULL ? (size_t)(nl - p) : len;
		if (ls->len + n >= MANIFEST_LINE_MAX)
			return error_set(cause, "line %" PRIu64 " is too long",
			    ls->lineno + 1);
		memcpy(ls->buf + ls->len, p, n);
		ls->len += n;
		p += n;
		len -= n;
		if (nl == NULL)
			break;
		p++;
		len--;
		ls->buf[ls->len] = '\0';
		ls->lineno++;
		if (memchr(ls->buf, '\0', ls->len) != NULL)
			return error_set(cause, "line %" PRIu64 " holds a NUL "
			    "byte", ls->lineno);
		if (ls->fn(ls->arg, ls->buf, ls->lineno, cause) != 0)
			return -1;
		ls->len = 0;
	}
	return 0;
}

static int
line_sink_finish(struct sink *s, char **cause)
{
	struct line_sink	*ls = (struct line_sink *)s;

	if (ls->len != 0)
		return error_set(cause, "the last line is not terminated");
	return ls->fn(ls->arg, NULL, ls->lineno, cause);
}

static void
line_sink_free(struct sink *s)
{
	struct line_sink	*ls = (struct line_sink *)s;

	free(ls->buf);
	free(ls);
}

static const struct sink_ops line_sink_ops = {
	.name = "lines",
	.write = line_sink_write,
	.finish = line_sink_finish,
	.free = line_sink_free,
};

/* Find "key=" among space-separated fields; returns the value or NULL. */
static const char *
manifest_field(char **fields, size_t n, const char *key)
{
	size_t	i, klen = strlen(key);

	for (i = 1; i < n; i++) {
		if (strncmp(fields[i], key, klen) == 0 && fields[i][klen] == '=')
			return fields[i] + klen + 1;
	}
	return NULL;
}

static int
manifest_number(const char *s, uint64_t max, uint64_t *out)
{
	char			*end;
	unsigned long long	 v;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
manifest_octal(const char *s, uint32_t *out)
{
	char		*end;
	unsigned long	 v;

	if (s == NULL || *s < '0' || *s > '7')
		return -1;
	v = strtoul(s, &end, 8);
	if (*end != '\0' || v > 07777)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
manifest_parse_entry(char **f, size_t n, struct manifest_entry *me)
{
	struct entry	*e = &me->e;
	const char	*v, *dot;
	uint64_t	 num;
	char		 sec[32];

	memset(me, 0, sizeof *me);
	if (strlen(f[0]) != 1 || !entry_kind_valid(f[0][0]))
		return -1;
	e->kind = f[0][0];
	if ((v = manifest_field(f, n, "path")) == NULL ||
	    (e->path = pathenc_decode(v)) == NULL || *e->path == '\0')
		return -1;
	if ((v = manifest_field(f, n, "target")) != NULL &&
	    (e->target = pathenc_decode(v)) == NULL)
		return -1;
	if ((e->kind == 'l' || e->kind == 'h') && e->target == NULL)
		return -1;
	if (manifest_octal(manifest_field(f, n, "mode"), &e->mode) != 0)
		return -1;
	if (manifest_number(manifest_field(f, n, "uid"), UINT32_MAX, &num))
		return -1;
	e->uid = (uint32_t)num;
	if (manifest_number(manifest_field(f, n, "gid"), UINT32_MAX, &num))
		return -1;
	e->gid = (uint32_t)num;
	v = manifest_field(f, n, "mtime");
	if (v == NULL || (dot = strchr(v, '.')) == NULL ||
	    (size_t)(dot - v) >= sizeof sec)
		return -1;
	memcpy(sec, v, (size_t)(dot - v));
	sec[dot - v] = '\0';
	/* Seconds are signed: files can predate 1970. */
	if (manifest_number(sec[0] == '-' ? sec + 1 : sec, INT64_MAX, &num))
		return -1;
	e->mtime_sec = sec[0] == '-' ? -(int64_t)num : (int64_t)num;
	if (manifest_number(dot + 1, 999999999, &num) != 0)
		return -1;
	e->mtime_nsec = (uint32_t)num;
	if (e->kind == 'f') {
		if (manifest_number(manifest_field(f, n, "size"), UINT64_MAX,
		    &e->size) != 0 || (v = manifest_field(f, n, "sha256")) ==
		    NULL || hash_from_hex(v, me->sha256) != 0)
			return -1;
		me->has_sha256 = 1;
	}
	if ((e->kind == 'c' || e->kind == 'b') && manifest_number(
	    manifest_field(f, n, "rdev"), UINT64_MAX, &e->rdev) != 0)
		return -1;
	if (manifest_number(manifest_field(f, n, "vol"), UINT32_MAX, &num))
		return -1;
	me->vol = (uint32_t)num;
	if (manifest_number(manifest_field(f, n, "off"), UINT64_MAX, &me->off))
		return -1;
	if (manifest_number(manifest_field(f, n, "last"), UINT32_MAX, &num))
		return -1;
	me->last = (uint32_t)num;
	if (me->vol == 0 || me->last < me->vol)
		return -1;
	return 0;
}

static int
manifest_line(void *arg, char *line, uint64_t lineno, char **cause)
{
	struct manifest_reader	*mr = arg;
	struct manifest_entry	 me;
	struct volume_info	 vi;
	char			*fields[MANIFEST_FIELDS_MAX], *save = NULL;
	char			*tok, *dec;
	const char		*v;
	uint64_t		 num;
	size_t			 n = 0;
	int			 rc;

	if (line == NULL) {
		if (mr->state != 3)
			return error_set(cause, "truncated: it ends without "
			    "its end line");
		return 0;
	}
	if (mr->state == 3)
		return error_set(cause, "line %" PRIu64 ": text after the end "
		    "line", lineno);
	if (mr->state == 0) {
		if (strncmp(line, "tresor-manifest ", 16) != 0)
			return error_set(cause, "not a tresor manifest");
		if (manifest_number(line + 16, 65535, &num) != 0 ||
		    num != MANIFEST_VERSION)
			return error_set(cause, "manifest version %s is not "
			    "supported; this tresor reads version %d",
			    line + 16, MANIFEST_VERSION);
		mr->state = 1;
		return 0;
	}
	for (tok = strtok_r(line, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		if (n == MANIFEST_FIELDS_MAX)
			return error_set(cause, "line %" PRIu64 ": more than %d "
			    "fields", lineno, MANIFEST_FIELDS_MAX);
		fields[n++] = tok;
	}
	if (n == 0)
		return error_set(cause, "line %" PRIu64 ": empty", lineno);
	if (mr->state == 1) {
		if (strcmp(fields[0], "set") == 0 && n == 2) {
			free(mr->header.set_id);
			mr->header.set_id = xstrdup(fields[1]);
			return 0;
		}
		if (strcmp(fields[0], "type") == 0 && n == 2) {
			if (strcmp(fields[1], "full") != 0 &&
			    strcmp(fields[1], "inc") != 0)
				return error_set(cause, "line %" PRIu64 ": set "
				    "type '%s' is not supported", lineno,
				    fields[1]);
			mr->header.full = strcmp(fields[1], "full") == 0;
			return 0;
		}
		if (strcmp(fields[0], "time") == 0 && n == 2) {
			if (clock_parse(fields[1], &mr->header.time) != 0)
				return error_set(cause, "line %" PRIu64 ": bad "
				    "time", lineno);
			return 0;
		}
		if (strcmp(fields[0], "source") == 0 && n == 2) {
			if ((dec = pathenc_decode(fields[1])) == NULL)
				return error_set(cause, "line %" PRIu64 ": bad "
				    "source", lineno);
			mr->header.sources = xrealloc(mr->header.sources,
			    (mr->header.nsources + 1) * sizeof (char *));
			mr->header.sources[mr->header.nsources++] = dec;
			return 0;
		}
		if (mr->header.set_id == NULL)
			return error_set(cause, "line %" PRIu64 ": no set line",
			    lineno);
		mr->state = 2;
		if (mr->visitor->header != NULL &&
		    mr->visitor->header(mr->arg, &mr->header, cause) != 0)
			return -1;
	}
	if (strcmp(fields[0], "volume") == 0) {
		memset(&vi, 0, sizeof vi);
		if (n < 2 || manifest_number(fields[1], UINT32_MAX, &num) != 0 ||
		    (v = manifest_field(fields, n, "name")) == NULL ||
		    manifest_number(manifest_field(fields, n, "size"),
		    UINT64_MAX, &vi.size) != 0 ||
		    manifest_field(fields, n, "sha256") == NULL ||
		    hash_from_hex(manifest_field(fields, n, "sha256"),
		    vi.sha256) != 0)
			return error_set(cause, "line %" PRIu64 ": malformed "
			    "volume line", lineno);
		vi.number = (uint32_t)num;
		if (vi.number != mr->seen.volumes + 1)
			return error_set(cause, "line %" PRIu64 ": volume %u "
			    "out of order", lineno, vi.number);
		vi.name = (char *)v;
		mr->seen.volumes++;
		if (mr->visitor->volume != NULL)
			return mr->visitor->volume(mr->arg, &vi, cause);
		return 0;
	}
	if (strcmp(fields[0], "end") == 0) {
		if (manifest_number(manifest_field(fields, n, "entries"),
		    UINT64_MAX, &mr->end.entries) != 0 ||
		    manifest_number(manifest_field(fields, n, "volumes"),
		    UINT64_MAX, &mr->end.volumes) != 0 ||
		    manifest_number(manifest_field(fields, n, "warnings"),
		    UINT64_MAX, &mr->end.warnings) != 0)
			return error_set(cause, "line %" PRIu64 ": malformed "
			    "end line", lineno);
		if (mr->end.entries != mr->seen.entries ||
		    mr->end.volumes != mr->seen.volumes)
			return error_set(cause, "truncated: %" PRIu64 " entries "
			    "and %" PRIu64 " volumes listed, the end line says "
			    "%" PRIu64 " and %" PRIu64, mr->seen.entries,
			    mr->seen.volumes, mr->end.entries,
			    mr->end.volumes);
		mr->state = 3;
		return 0;
	}
	if (manifest_parse_entry(fields, n, &me) != 0) {
		entry_clear(&me.e);
		return error_set(cause, "line %" PRIu64 ": malformed entry",
		    lineno);
	}
	mr->seen.entries++;
	rc = 0;
	if (mr->visitor->entry != NULL)
		rc = mr->visitor->entry(mr->arg, &me, cause);
	else
		entry_clear(&me.e);
	return rc;
}

int
manifest_read(struct transport *t, struct crypto *c, const char *set_id,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	struct manifest_reader	 mr;
	struct line_sink	*ls;
	struct sink		*chain;
	char			*name = catalog_manifest_name(set_id);
	char			*what = xasprintf("manifest '%s'", name);
	int			 rc = -1;

	memset(&mr, 0, sizeof mr);
	mr.visitor = v;
	mr.arg = arg;
	ls = xcalloc(1, sizeof *ls);
	ls->sink.ops = &line_sink_ops;
	ls->buf = xmalloc(MANIFEST_LINE_MAX);
	ls->fn = manifest_line;
	ls->arg = &mr;
	chain = zstd_decompress_sink_new(what, &ls->sink);
	if (object_read(t, c, name, NULL, NULL, chain, cause) != 0) {
		if (cause != NULL && *cause != NULL &&
		    strstr(*cause, name) == NULL)
			error_prefix(cause, "%s in %s", what,
			    transport_display(t));
		goto out;
	}
	if (mr.header.set_id == NULL || strcmp(mr.header.set_id, set_id) != 0) {
		error_set(cause, "%s in %s names set '%s', not '%s'", what,
		    transport_display(t), mr.header.set_id ?
		    mr.header.set_id : "(none)", set_id);
		goto out;
	}
	if (summary != NULL)
		*summary = mr.end;
	rc = 0;
out:
	sink_free(chain);
	manifest_header_clear(&mr.header);
	free(name);
	free(what);
	return rc;
}
