/*
 * list.c: the ls verb (see list.h).
 *
 * The manifest is streamed through a visitor and each selected entry is
 * formatted into a spool file (io_spool_fopen: nameless, private), which
 * goes to stdout only once the manifest was read and checked to its end
 * and every PATH matched. A damaged manifest, a wrong key or a PATH that
 * is not in the set thus prints one line on stderr and nothing on stdout,
 * never half a listing or half a JSON array. Memory stays small however
 * many entries the set has.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/error.h"
#include "common/io.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "format/manifest.h"
#include "list.h"
#include "repo/catalog.h"
#include "repo/manifests.h"
#include "repo/target.h"

struct list {
	const struct list_options	*o;
	FILE				*spool;
	uint8_t				*matched;	/* per PATH */
	uint64_t			 entries;
	uint64_t			 files;
	uint64_t			 bytes;
};

/*
 * The length of the valid UTF-8 sequence at s (1 to 4), with its code
 * point in *cp; 0 if s does not start one (overlong forms, surrogates and
 * code points past U+10FFFF are not valid).
 */
static size_t
list_utf8(const unsigned char *s, uint32_t *cp)
{
	uint32_t	c = s[0], min;
	size_t		n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		c &= 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		c &= 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		c &= 0x07;
		min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

char *
list_quote(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			*out = xmalloc(strlen(s) * 4 + 1), *o = out;
	uint32_t		 cp;
	size_t			 n;

	while (*p != '\0') {
		n = list_utf8(p, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f || cp == '\\' ||
		    (cp >= 0x80 && cp < 0xa0)) {
			o += sprintf(o, "\\x%02x", *p++);
			continue;
		}
		memcpy(o, p, n);
		o += n;
		p += n;
	}
	*o = '\0';
	return out;
}

void
list_json_string(FILE *f, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	uint32_t		 cp;
	size_t			 n;

	fputc('"', f);
	while (*p != '\0') {
		n = list_utf8(p, &cp);
		if (n == 0) {
			fprintf(f, "\\udc%02x", *p++);
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(f, "\\u%04x", (unsigned)cp);
		else
			fwrite(p, 1, n, f);
		p += n;
	}
	fputc('"', f);
}

static const char *
list_type(char kind)
{
	switch (kind) {
	case 'f':
		return "file";
	case 'd':
		return "dir";
	case 'l':
		return "symlink";
	case 'h':
		return "hardlink";
	case 'p':
		return "fifo";
	case 'c':
		return "char";
	case 'b':
		return "block";
	}
	return "unknown";
}

static void
list_json(struct list *l, const struct entry *e)
{
	FILE	*f = l->spool;
	char	 when[21];

	clock_format_iso(e->mtime_sec, when);
	fputs(l->entries == 0 ? "[\n" : ",\n", f);
	fputs("{\"path\":", f);
	list_json_string(f, e->path);
	fprintf(f, ",\"type\":\"%s\",\"size\":%" PRIu64 ",\"mode\":\"%04o\","
	    "\"uid\":%" PRIu32 ",\"gid\":%" PRIu32 ",\"mtime\":\"%s\"",
	    list_type(e->kind), e->kind == 'f' ? e->size : 0,
	    (unsigned)e->mode, e->uid, e->gid, when);
	if (e->target != NULL) {
		fputs(",\"target\":", f);
		list_json_string(f, e->target);
	}
	fputc('}', f);
}

static void
list_text(struct list *l, const struct entry *e)
{
	char	when[21], size[24], *path, *target;

	clock_format_iso(e->mtime_sec, when);
	if (e->kind == 'f')
		snprintf(size, sizeof size, "%" PRIu64, e->size);
	else
		snprintf(size, sizeof size, "-");
	path = list_quote(e->path);
	target = list_quote(e->target != NULL ? e->target : "");
	if (e->kind == 'l')
		fprintf(l->spool, "%-8s %14s  %s  %s -> %s\n",
		    list_type(e->kind), size, when, path, target);
	else if (e->kind == 'h')
		fprintf(l->spool, "%-8s %14s  %s  %s (link to %s)\n",
		    list_type(e->kind), size, when, path, target);
	else
		fprintf(l->spool, "%-8s %14s  %s  %s\n", list_type(e->kind),
		    size, when, path);
	free(path);
	free(target);
}

static int
list_entry(void *arg, struct manifest_entry *me, char **cause)
{
	struct list			*l = arg;
	const struct restore_options	*r = &l->o->r;
	size_t				 i;
	int				 selected = r->npaths == 0;

	(void)cause;
	for (i = 0; i < r->npaths; i++) {
		if (restore_path_selected(r->paths[i], me->e.path)) {
			l->matched[i] = 1;
			selected = 1;
		}
	}
	if (selected) {
		if (l->o->json)
			list_json(l, &me->e);
		else
			list_text(l, &me->e);
		l->entries++;
		if (me->e.kind == 'f') {
			l->files++;
			l->bytes += me->e.size;
		}
	}
	entry_clear(&me->e);
	return 0;
}

/* The spool to stdout. */
static int
list_copy(FILE *spool, char **cause)
{
	char	buf[65536];
	size_t	n;

	if (fflush(spool) != 0 || fseek(spool, 0, SEEK_SET) != 0)
		return error_sys(cause, "unable to read the listing's spool");
	while ((n = fread(buf, 1, sizeof buf, spool)) > 0) {
		if (fwrite(buf, 1, n, stdout) != n)
			return error_sys(cause, "unable to write the listing");
	}
	if (ferror(spool))
		return error_sys(cause, "unable to read the listing's spool");
	if (fflush(stdout) != 0)
		return error_sys(cause, "unable to write the listing");
	return 0;
}

int
list_run(const struct list_options *o, char **cause)
{
	static const struct manifest_visitor visitor = {
		NULL, list_entry, NULL, NULL
	};
	const struct restore_options	*r = &o->r;
	const struct catalog_set	*set;
	struct transport		*t = NULL;
	struct crypto			*c = NULL;
	struct seals			*seals = NULL;
	struct catalog			 cat;
	struct list			 l;
	char				 when[21], *q;
	size_t				 i;
	int				 rc = EXIT_FAILURE_;

	memset(&cat, 0, sizeof cat);
	memset(&l, 0, sizeof l);
	l.o = o;
	l.matched = xcalloc(r->npaths + 1, 1);
	if ((c = crypto_new(&r->crypto, 1, cause)) == NULL ||
	    (t = target_open(r->url, &r->transport, cause)) == NULL ||
	    catalog_load(t, &cat, cause) != 0 ||
	    (seals = seals_open(t, &cat, &r->seals, r->seals.cache_dir,
	    cause)) == NULL)
		goto out;
	if ((set = restore_pick_set(&cat, r, target_display(t), cause)) == NULL)
		goto out;
	if ((l.spool = io_spool_fopen("the listing", cause)) == NULL)
		goto out;
	if (!o->json && !r->quiet) {
		clock_format_iso(set->time, when);
		fprintf(l.spool, "set %s (%s, %s) in %s\n", set->id, set->full ?
		    "full" : "incremental", when, target_display(t));
	}
	if (seals_read_manifest(seals, t, c, set->id, &visitor, &l, NULL,
	    cause) != 0)
		goto out;
	for (i = 0; i < r->npaths; i++) {
		if (!l.matched[i]) {
			q = list_quote(r->paths[i]);
			error_set(cause, "path '%s' is not in set %s", q,
			    set->id);
			free(q);
			goto out;
		}
	}
	if (o->json)
		fputs(l.entries == 0 ? "[]\n" : "\n]\n", l.spool);
	else if (!r->quiet)
		fprintf(l.spool, "%" PRIu64 " entries: %" PRIu64 " files, %"
		    PRIu64 " bytes\n", l.entries, l.files, l.bytes);
	if (ferror(l.spool)) {
		error_sys(cause, "unable to write the listing's spool");
		goto out;
	}
	if (list_copy(l.spool, cause) != 0)
		goto out;
	seals_say_learned(seals);
	rc = EXIT_OK;
out:
	if (l.spool != NULL)
		fclose(l.spool);
	free(l.matched);
	catalog_clear(&cat);
	seals_free(seals);
	target_close(t);
	crypto_free(c);
	return rc;
}
