/*
 * manifest.c: the manifest's text, written and parsed (see manifest.h);
 * repo/manifests.c stores and fetches it.
 *
 * Entries are spooled to an unlinked temporary file while the volumes are
 * written, then streamed into the manifest object at the end, so memory
 * does not grow with the number of files.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/io.h"
#include "common/pathenc.h"
#include "common/xmalloc.h"
#include "format/filter/filter.h"
#include "manifest.h"
#include "format/names.h"

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

	/* Plaintext: close-on-exec, or every gpg would inherit it. */
	mw->spool = io_spool_fopen("the manifest spool file", cause);
	if (mw->spool == NULL) {
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
		fprintf(f, " size=%" PRIu64 " sha256=%s ino=%" PRIu64 " ctime=%"
		    PRId64 ".%09u", e->size, hex, me->ino, me->ctime_sec,
		    me->ctime_nsec);
	}
	if (e->target != NULL) {
		target = pathenc_encode(e->target);
		fprintf(f, " target=%s", target);
	}
	if (e->kind == 'c' || e->kind == 'b')
		fprintf(f, " rdev=%" PRIu64, e->rdev);
	if (me->loc.set[0] != '\0')
		fprintf(f, " set=%s", me->loc.set);
	if (me->loc.vol != 0)
		fprintf(f, " vol=%u off=%" PRIu64 " last=%u", me->loc.vol,
		    me->loc.off, me->loc.last);
	if (me->is_delta) {
		hash_to_hex(me->delta_sha256, hex);
		fprintf(f, " dsize=%" PRIu64 " dsha256=%s", me->delta_size, hex);
		hash_to_hex(me->base_sha256, hex);
		fprintf(f, " base=%s bvol=%u boff=%" PRIu64 " blast=%u bsize=%"
		    PRIu64 " bsha256=%s", me->base.set, me->base.vol,
		    me->base.off, me->base.last, me->base_size, hex);
	}
	if (me->has_sig)
		fprintf(f, " sigoff=%" PRIu64, me->sig_off);
	fputc('\n', f);
	free(path);
	free(target);
	mw->entries++;
	if (ferror(f))
		return error_sys(cause, "unable to write the manifest spool "
		    "file");
	return 0;
}

/* Write manifest text to the object and, if asked, the plaintext copy. */
static int
manifest_emit(struct sink *s, FILE *copy, const char *text, size_t len,
    char **cause)
{
	if (copy != NULL && fwrite(text, 1, len, copy) != len)
		return error_sys(cause, "unable to write the manifest's local "
		    "copy");
	return sink_write(s, text, len, cause);
}

int
manifest_writer_write(struct manifest_writer *mw, struct sink *s, FILE *copy,
    const struct manifest_header *h, const struct volume_info *vols,
    size_t nvols, const struct volume_info *sigs, char **cause)
{
	char			*text = NULL, *enc, hex[HASH_HEX_LEN + 1];
	char			 when[21], buf[65536];
	size_t			 i, n;
	int			 rc = -1;

	if (fflush(mw->spool) != 0 || ferror(mw->spool)) {
		error_sys(cause, "unable to write the manifest spool file");
		goto out;
	}
	clock_format_iso(h->time, when);
	text = xasprintf("tresor-manifest %d\nset %s\ntype %s\ntime %s\n",
	    MANIFEST_VERSION, h->set_id, h->full ? "full" : "inc", when);
	if (manifest_emit(s, copy, text, strlen(text), cause) != 0)
		goto out;
	for (i = 0; i < h->nsources; i++) {
		free(text);
		enc = pathenc_encode(h->sources[i]);
		text = xasprintf("source %s\n", enc);
		free(enc);
		if (manifest_emit(s, copy, text, strlen(text), cause) != 0)
			goto out;
	}
	rewind(mw->spool);
	while ((n = fread(buf, 1, sizeof buf, mw->spool)) > 0) {
		if (manifest_emit(s, copy, buf, n, cause) != 0)
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
		if (manifest_emit(s, copy, text, strlen(text), cause) != 0)
			goto out;
	}
	if (sigs != NULL) {
		free(text);
		hash_to_hex(sigs->sha256, hex);
		text = xasprintf("signatures name=%s size=%" PRIu64
		    " sha256=%s\n", sigs->name, sigs->size, hex);
		if (manifest_emit(s, copy, text, strlen(text), cause) != 0)
			goto out;
	}
	free(text);
	/*
	 * keys= is on the end line, not in the header: readers of format 1
	 * before document 1.3 take an unknown header line for a malformed
	 * entry, but ignore an end-line field they do not know.
	 */
	text = xasprintf("end entries=%" PRIu64 " volumes=%zu warnings=%"
	    PRIu64 "%s%s\n", mw->entries, nvols, mw->warnings,
	    h->keys != NULL ? " keys=" : "", h->keys != NULL ? h->keys : "");
	if (manifest_emit(s, copy, text, strlen(text), cause) != 0)
		goto out;
	rc = 0;
out:
	free(text);
	return rc;
}

void
volume_info_clear(struct volume_info *vi)
{
	free(vi->name);
	memset(vi, 0, sizeof *vi);
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

/* "<sec>.<nsec>" with signed seconds. */
static int
manifest_time(const char *v, int64_t *sec_out, uint32_t *nsec_out)
{
	const char	*dot = strchr(v, '.');
	char		 sec[32];
	uint64_t	 num;
	int		 neg;

	if (dot == NULL || (size_t)(dot - v) >= sizeof sec)
		return -1;
	memcpy(sec, v, (size_t)(dot - v));
	sec[dot - v] = '\0';
	neg = sec[0] == '-';
	if (manifest_number(neg ? sec + 1 : sec, INT64_MAX, &num) != 0)
		return -1;
	*sec_out = neg ? -(int64_t)num : (int64_t)num;
	if (manifest_number(dot + 1, 999999999, &num) != 0)
		return -1;
	*nsec_out = (uint32_t)num;
	return 0;
}

/* A location: optional set, then vol/off/last all present or all absent. */
static int
manifest_loc(char **f, size_t n, const char *kset, const char *kvol,
    const char *koff, const char *klast, struct content_loc *loc)
{
	const char	*v;
	uint64_t	 num;

	memset(loc, 0, sizeof *loc);
	if ((v = manifest_field(f, n, kset)) != NULL) {
		if (strlen(v) >= SET_ID_MAX || strchr(v, '/') != NULL)
			return -1;
		strcpy(loc->set, v);
	}
	if (manifest_field(f, n, kvol) == NULL)
		return manifest_field(f, n, koff) == NULL &&
		    manifest_field(f, n, klast) == NULL ? 0 : -1;
	if (manifest_number(manifest_field(f, n, kvol), UINT32_MAX, &num))
		return -1;
	loc->vol = (uint32_t)num;
	if (manifest_number(manifest_field(f, n, koff), UINT64_MAX, &loc->off))
		return -1;
	if (manifest_number(manifest_field(f, n, klast), UINT32_MAX, &num))
		return -1;
	loc->last = (uint32_t)num;
	return loc->vol == 0 || loc->last < loc->vol ? -1 : 0;
}

static int
manifest_parse_entry(char **f, size_t n, struct manifest_entry *me)
{
	struct entry	*e = &me->e;
	const char	*v;
	uint64_t	 num;

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
	/* Seconds are signed: files can predate 1970. */
	v = manifest_field(f, n, "mtime");
	if (v == NULL || manifest_time(v, &e->mtime_sec, &e->mtime_nsec) != 0)
		return -1;
	if (e->kind == 'f') {
		if (manifest_number(manifest_field(f, n, "size"), UINT64_MAX,
		    &e->size) != 0 || (v = manifest_field(f, n, "sha256")) ==
		    NULL || hash_from_hex(v, me->sha256) != 0)
			return -1;
		me->has_sha256 = 1;
		if ((v = manifest_field(f, n, "ino")) != NULL &&
		    manifest_number(v, UINT64_MAX, &me->ino) != 0)
			return -1;
		if ((v = manifest_field(f, n, "ctime")) != NULL &&
		    manifest_time(v, &me->ctime_sec, &me->ctime_nsec) != 0)
			return -1;
	}
	if ((e->kind == 'c' || e->kind == 'b') && manifest_number(
	    manifest_field(f, n, "rdev"), UINT64_MAX, &e->rdev) != 0)
		return -1;
	if (manifest_loc(f, n, "set", "vol", "off", "last", &me->loc) != 0)
		return -1;
	/* Files always have records somewhere; other kinds may not. */
	if (e->kind == 'f' && me->loc.vol == 0)
		return -1;
	if (manifest_field(f, n, "dsize") != NULL) {
		me->is_delta = 1;
		if (e->kind != 'f' || manifest_number(manifest_field(f, n,
		    "dsize"), UINT64_MAX, &me->delta_size) != 0 ||
		    (v = manifest_field(f, n, "dsha256")) == NULL ||
		    hash_from_hex(v, me->delta_sha256) != 0 ||
		    manifest_loc(f, n, "base", "bvol", "boff", "blast",
		    &me->base) != 0 || me->base.set[0] == '\0' ||
		    me->base.vol == 0 || manifest_number(manifest_field(f, n,
		    "bsize"), UINT64_MAX, &me->base_size) != 0 ||
		    (v = manifest_field(f, n, "bsha256")) == NULL ||
		    hash_from_hex(v, me->base_sha256) != 0)
			return -1;
	}
	if ((v = manifest_field(f, n, "sigoff")) != NULL) {
		if (manifest_number(v, UINT64_MAX, &me->sig_off) != 0)
			return -1;
		me->has_sig = 1;
	}
	return 0;
}

const char *
manifest_entry_whole_set(const struct manifest_entry *me, const char *this_set)
{
	const char	*s = me->is_delta ? me->base.set : me->loc.set;

	return *s != '\0' ? s : this_set;
}

/* The name=, size= and sha256= of a volume or signatures line. */
static int
manifest_object(char **fields, size_t n, struct volume_info *vi)
{
	const char	*sha = manifest_field(fields, n, "sha256");

	memset(vi, 0, sizeof *vi);
	if ((vi->name = (char *)manifest_field(fields, n, "name")) == NULL ||
	    manifest_number(manifest_field(fields, n, "size"), UINT64_MAX,
	    &vi->size) != 0 || sha == NULL || hash_from_hex(sha,
	    vi->sha256) != 0)
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
	const char		*keys;
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
		if (mr->header.set_id == NULL || mr->header.full < 0)
			return error_set(cause, "line %" PRIu64 ": no set or "
			    "type line", lineno);
		mr->state = 2;
		if (mr->visitor->header != NULL &&
		    mr->visitor->header(mr->arg, &mr->header, cause) != 0)
			return -1;
	}
	if (strcmp(fields[0], "volume") == 0) {
		if (n < 2 || manifest_number(fields[1], UINT32_MAX, &num) != 0 ||
		    manifest_object(fields, n, &vi) != 0)
			return error_set(cause, "line %" PRIu64 ": malformed "
			    "volume line", lineno);
		vi.number = (uint32_t)num;
		if (vi.number != mr->seen.volumes + 1)
			return error_set(cause, "line %" PRIu64 ": volume %u "
			    "out of order", lineno, vi.number);
		mr->seen.volumes++;
		if (mr->visitor->volume != NULL)
			return mr->visitor->volume(mr->arg, &vi, cause);
		return 0;
	}
	if (strcmp(fields[0], "signatures") == 0) {
		if (manifest_object(fields, n, &vi) != 0)
			return error_set(cause, "line %" PRIu64 ": malformed "
			    "signatures line", lineno);
		if (mr->visitor->signatures != NULL)
			return mr->visitor->signatures(mr->arg, &vi, cause);
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
		if ((keys = manifest_field(fields, n, "keys")) != NULL) {
			if (strlen(keys) >= sizeof mr->end.keys ||
			    (strspn(keys, "0123456789ABCDEFabcdef,") !=
			    strlen(keys) && strcmp(keys, "symmetric") != 0))
				return error_set(cause, "line %" PRIu64 ": "
				    "malformed keys field", lineno);
			strcpy(mr->end.keys, keys);
		}
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

struct manifest_reader *
manifest_reader_new(const struct manifest_visitor *v, void *arg)
{
	struct manifest_reader	*mr = xcalloc(1, sizeof *mr);

	mr->visitor = v;
	mr->arg = arg;
	mr->header.full = -1;	/* until the type line says */
	return mr;
}

struct sink *
manifest_reader_sink(struct manifest_reader *mr)
{
	struct line_sink	*ls = xcalloc(1, sizeof *ls);

	ls->sink.ops = &line_sink_ops;
	ls->buf = xmalloc(MANIFEST_LINE_MAX);
	ls->fn = manifest_line;
	ls->arg = mr;
	return &ls->sink;
}

int
manifest_reader_check(struct manifest_reader *mr, const char *what,
    const char *where, const char *set_id, struct manifest_summary *summary,
    char **cause)
{
	if (mr->header.set_id == NULL || strcmp(mr->header.set_id, set_id) != 0)
		return error_set(cause, "%s in %s names set '%s', not '%s'",
		    what, where, mr->header.set_id ? mr->header.set_id :
		    "(none)", set_id);
	if (summary != NULL)
		*summary = mr->end;
	return 0;
}

void
manifest_reader_free(struct manifest_reader *mr)
{
	if (mr == NULL)
		return;
	manifest_header_clear(&mr->header);
	free(mr);
}

int
manifest_read_plain(const char *path, const char *set_id,
    const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	struct manifest_reader	*mr = manifest_reader_new(v, arg);
	struct sink		*ls = manifest_reader_sink(mr);
	char			*what = xasprintf("cached manifest '%s'", path);
	char			 buf[65536];
	FILE			*f;
	size_t			 n;
	int			 rc = -1;

	if ((f = fopen(path, "re")) == NULL) {
		error_sys(cause, "unable to read %s", what);
		goto out;
	}
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		if (sink_write(ls, buf, n, cause) != 0)
			goto out;
	}
	if (ferror(f)) {
		error_sys(cause, "unable to read %s", what);
		goto out;
	}
	if (sink_finish(ls, cause) != 0)
		goto out;
	rc = manifest_reader_check(mr, what, "the cache", set_id, summary,
	    cause);
out:
	if (rc != 0 && cause != NULL && *cause != NULL &&
	    strstr(*cause, path) == NULL)
		error_prefix(cause, "%s", what);
	if (f != NULL)
		fclose(f);
	sink_free(ls);
	manifest_reader_free(mr);
	free(what);
	return rc;
}
