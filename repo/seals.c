/*
 * seals.c: the seals of a target, checked and appended (see seals.h and
 * docs/FORMAT.md, "Seals"; docs/SECURITY.md says which attack each check
 * answers).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/xmalloc.h"
#include "format/filter/sign.h"
#include "format/names.h"
#include "repo/cache.h"
#include "repo/catalog.h"
#include "repo/manifests.h"
#include "repo/seals.h"
#include "transports/transport.h"

#define SEALS_HEAD_FILE		"head"
#define SEALS_KEYS_FILE		"signkeys.asc"
#define SEALS_FPRS_FILE		"signkeys.fpr"	/* their fingerprints */
/* A seal object, signature and armour included, is far below this. */
#define SEALS_OBJECT_MAX	(SEAL_MAX_TEXT + 64 * 1024)

struct seal_entry {
	char		*id;		/* from the object's name */
	struct seal	 s;
	uint8_t		 hash[HASH_LEN];	/* of the whole object */
	/* While a reader loads them: the object, and its name. */
	char		*raw;
	size_t		 rawlen;
	char		*name;
	int		 parsed;	/* s read from raw, not yet trusted */
};

struct seals {
	struct seal_entry *e;		/* by sequence */
	size_t		 n;
	int		 unchecked;	/* no key, --allow-unsigned: none read */
	int		 allow_unsigned;
	int		 warned;
	char		*learned;	/* said once the run succeeded */
};

struct seals_writer {
	struct transport *t;
	struct cache	*cache;
	const struct seals_options *o;
	struct signer	*signer;
	/* signer_load in a thread of its own, while the backup gets going. */
	pthread_t	 thread;
	int		 running;
	int		 load_rc;
	char		*load_cause;
	struct sigcheck	*trust;
	int		 have_newest;
	int		 cache_keys;	/* the cache's keys are imported */
	int		 keys_changed;	/* the cache's list needs writing */
	/*
	 * seals_writer_prepare's thread: the trusted keys' export and list
	 * for the cache, read while the data phase runs. It alone uses the
	 * signer's gpgme context until joined (seals_writer_settle).
	 */
	pthread_t	 prep_thread;
	int		 prep_running;
	int		 prep_rc;
	char		*prep_keys;
	size_t		 prep_keyslen;
	char		*prep_list;
	char		*learned;	/* said once a seal is published */
	struct seal	 newest;
	uint8_t		 newest_hash[HASH_LEN];
	char		 target[SEAL_TARGET_LEN + 1];
};

/* A small local file, whole (NUL-terminated). 1 if it does not exist. */
static int
seals_read_file(const char *path, char **out, size_t *len, char **cause)
{
	FILE	*f;
	char	*buf = NULL;
	size_t	 size = 0, n;

	*out = NULL;
	if ((f = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 1;
		return error_sys(cause, "unable to read '%s'", path);
	}
	buf = xmalloc(SEALS_OBJECT_MAX + 1);
	n = fread(buf, 1, SEALS_OBJECT_MAX, f);
	if (ferror(f)) {
		fclose(f);
		free(buf);
		return error_sys(cause, "unable to read '%s'", path);
	}
	fclose(f);
	size = n;
	buf[size] = '\0';
	*out = buf;
	if (len != NULL)
		*len = size;
	return 0;
}

/* Replace a cache file atomically (temporary name, fsync, rename). */
static int
seals_write_file(const char *path, const char *data, size_t len,
    char **cause)
{
	char	*tmp = xasprintf("%s.tmp", path);
	int	 fd, rc = -1;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len ||
	    fsync(fd) != 0) {
		error_sys(cause, "unable to write '%s'", tmp);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		error_sys(cause, "unable to write '%s'", tmp);
		goto out;
	}
	fd = -1;
	if (rename(tmp, path) != 0) {
		error_sys(cause, "unable to write '%s'", path);
		goto out;
	}
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* The cache's head: 0 read, 1 none, -1 unreadable. */
static int
seals_head_load(const char *dir, struct seal_head *h, char **cause)
{
	char	*path = xasprintf("%s/" SEALS_HEAD_FILE, dir), *text = NULL;
	int	 rc;

	rc = seals_read_file(path, &text, NULL, cause);
	if (rc == 0 && seal_head_parse(text, h, cause) != 0) {
		error_prefix(cause, "cache head '%s'", path);
		rc = -1;
	}
	free(text);
	free(path);
	return rc;
}

static int
seals_head_store(const char *dir, const struct seal_head *h, char **cause)
{
	char	*path = xasprintf("%s/" SEALS_HEAD_FILE, dir);
	char	*line = seal_head_format(h), *text;
	int	 rc;

	text = xasprintf("%s\n", line);
	rc = seals_write_file(path, text, strlen(text), cause);
	free(text);
	free(line);
	free(path);
	return rc;
}

static void
seals_head_from(struct seal_head *h, const struct seal *s,
    const uint8_t hash[HASH_LEN])
{
	memset(h, 0, sizeof *h);
	memcpy(h->target, s->target, sizeof h->target);
	h->sequence = s->sequence;
	memcpy(h->seal, hash, HASH_LEN);
	snprintf(h->set, sizeof h->set, "%s", s->set);
}

/* --head: a file holding the line, or the line itself. */
static int
seals_head_option(const char *arg, struct seal_head *h, char **cause)
{
	char	*text = NULL;
	int	 rc;

	if (strncmp(arg, "tresor-head ", 12) == 0)
		return seal_head_parse(arg, h, cause);
	if ((rc = seals_read_file(arg, &text, NULL, cause)) != 0) {
		if (rc == 1)
			error_set(cause, "--head '%s': neither a head line nor "
			    "a file", arg);
		return -1;
	}
	rc = seal_head_parse(text, h, cause);
	if (rc != 0)
		error_prefix(cause, "--head '%s'", arg);
	free(text);
	return rc;
}

/* Trust the keys in a file. */
static int
seals_trust_file(struct sigcheck *k, const char *path, const char *what,
    char **cause)
{
	char	*text = NULL, *label;
	size_t	 len;
	int	 rc;

	if ((rc = seals_read_file(path, &text, &len, cause)) != 0) {
		if (rc == 1)
			error_set(cause, "%s '%s' does not exist", what, path);
		return -1;
	}
	label = xasprintf("%s '%s'", what, path);
	rc = sigcheck_add(k, text, len, label, cause);
	free(label);
	free(text);
	return rc;
}

/* Trust the keys the cache kept (none yet is no error). */
static int
seals_trust_cache(struct sigcheck *k, const char *cache_dir, char **cause)
{
	char	*path = xasprintf("%s/" SEALS_KEYS_FILE, cache_dir);
	char	*text = NULL;
	size_t	 len;
	int	 rc;

	rc = seals_read_file(path, &text, &len, cause);
	if (rc == 0 && sigcheck_add(k, text, len, path, cause) != 0)
		rc = -1;
	free(text);
	free(path);
	return rc == -1 ? -1 : 0;
}

/*
 * Is fpr among the keys the cache keeps (its list, SEALS_FPRS_FILE, read
 * without gpg)?
 */
static int
seals_cache_knows(const char *cache_dir, const char *fpr)
{
	char	*path = xasprintf("%s/" SEALS_FPRS_FILE, cache_dir);
	char	*text = NULL, *why = NULL, *line, *save = NULL;
	int	 found = 0;

	if (seals_read_file(path, &text, NULL, &why) == 0) {
		for (line = strtok_r(text, "\n", &save); line != NULL &&
		    !found; line = strtok_r(NULL, "\n", &save))
			found = strcmp(line, fpr) == 0;
	}
	free(why);
	free(text);
	free(path);
	return found;
}

/* Append a key file's text to a growing buffer; 1 if it does not exist. */
static int
seals_append_file(char **buf, size_t *len, const char *path,
    const char *what, int must_exist, char **cause)
{
	char	*text = NULL;
	size_t	 n;
	int	 rc;

	if ((rc = seals_read_file(path, &text, &n, cause)) != 0) {
		if (rc == 1 && must_exist)
			return error_set(cause, "%s '%s' does not exist", what,
			    path);
		return rc == 1 ? 0 : -1;
	}
	*buf = xrealloc(*buf, *len + n + 2);
	memcpy(*buf + *len, text, n);
	*len += n;
	(*buf)[(*len)++] = '\n';
	(*buf)[*len] = '\0';
	free(text);
	return 0;
}

/*
 * A reader's trusted keys, from every source at once (one gpg run: an
 * armoured stream may hold several blocks). Should the import fail, each
 * source alone, so that the message names the one at fault.
 */
static int
seals_trust_all(struct sigcheck *k, const struct seals_options *o,
    const char *cache_dir, char **cause)
{
	char	*buf = NULL, *path = NULL, *why = NULL;
	size_t	 len = 0;
	int	 rc = -1;

	if ((o->sign_key != NULL && seals_append_file(&buf, &len, o->sign_key,
	    "--sign-key", 1, cause) != 0) ||
	    (o->sign_pubkey != NULL && seals_append_file(&buf, &len,
	    o->sign_pubkey, "--sign-pubkey", 1, cause) != 0) ||
	    (o->previous_sign_key != NULL && seals_append_file(&buf, &len,
	    o->previous_sign_key, "--previous-sign-key", 1, cause) != 0))
		goto out;
	if (o->sign_key == NULL && o->sign_key_data != NULL) {
		buf = xrealloc(buf, len + o->sign_key_len + 2);
		memcpy(buf + len, o->sign_key_data, o->sign_key_len);
		len += o->sign_key_len;
		buf[len++] = '\n';
		buf[len] = '\0';
	}
	if (cache_dir != NULL) {
		path = xasprintf("%s/" SEALS_KEYS_FILE, cache_dir);
		if (seals_append_file(&buf, &len, path, path, 0, cause) != 0)
			goto out;
	}
	if (len == 0 || sigcheck_add(k, buf, len, "the signing keys",
	    &why) == 0) {
		rc = 0;
		goto out;
	}
	free(why);
	/* Which one: each on its own (the first that fails says so). */
	if ((o->sign_key != NULL && seals_trust_file(k, o->sign_key,
	    "--sign-key", cause) != 0) ||
	    (o->sign_key == NULL && o->sign_key_data != NULL &&
	    sigcheck_add(k, o->sign_key_data, o->sign_key_len,
	    "the configured signing key", cause) != 0) ||
	    (o->sign_pubkey != NULL && seals_trust_file(k, o->sign_pubkey,
	    "--sign-pubkey", cause) != 0) ||
	    (o->previous_sign_key != NULL && seals_trust_file(k,
	    o->previous_sign_key, "--previous-sign-key", cause) != 0) ||
	    (cache_dir != NULL && seals_trust_cache(k, cache_dir, cause) != 0))
		goto out;
	rc = 0;
out:
	free(buf);
	free(path);
	return rc;
}

/*
 * The trusted signing keys: the options' and those the cache kept
 * (cache_dir may be NULL).
 */
static struct sigcheck *
seals_trust(const struct seals_options *o, struct signer *signer,
    const char *cache_dir, char **cause)
{
	struct sigcheck	*k;

	if (signer != NULL)
		k = signer_sigcheck(signer);	/* its own key is in it */
	else if ((k = sigcheck_new(cause)) == NULL)
		return NULL;
	/* A reader: every source read, then imported in one gpg run. */
	if (signer == NULL) {
		if (seals_trust_all(k, o, cache_dir, cause) != 0)
			goto fail;
		return k;
	}
	/* A writer: its own key is in its home; the others one by one. */
	if (o->sign_pubkey != NULL && seals_trust_file(k, o->sign_pubkey,
	    "--sign-pubkey", cause) != 0)
		goto fail;
	if (o->previous_sign_key != NULL && seals_trust_file(k,
	    o->previous_sign_key, "--previous-sign-key", cause) != 0)
		goto fail;
	if (cache_dir != NULL && seals_trust_cache(k, cache_dir, cause) != 0)
		goto fail;
	return k;
fail:
	sigcheck_free(k);
	return NULL;
}

/* A whole object, up to max bytes; *hash gets its SHA-256. */
static int
seals_get(struct transport *t, const char *name, size_t max, char **out,
    size_t *len, uint8_t hash[HASH_LEN], char **cause)
{
	struct transport_reader	*r;
	struct hash		*h = hash_new();
	char			*buf = NULL;
	size_t			 got = 0, size = 0;
	ssize_t			 n;
	int			 rc = -1;

	if ((r = transport_get(t, name, cause)) == NULL)
		goto out;
	for (;;) {
		if (got == size) {
			if (size >= max) {
				error_set(cause, "%s in %s is too large",
				    name, transport_display(t));
				goto out;
			}
			size = size == 0 ? 4096 : size * 2;
			if (size > max)
				size = max;
			buf = xrealloc(buf, size + 1);
		}
		n = transport_reader_read(r, buf + got, size - got, cause);
		if (n < 0)
			goto out;
		if (n == 0)
			break;
		hash_update(h, buf + got, (size_t)n);
		got += (size_t)n;
	}
	if (buf == NULL)
		buf = xmalloc(1);
	buf[got] = '\0';
	hash_final(h, hash);
	*out = buf;
	*len = got;
	buf = NULL;
	rc = 0;
out:
	if (r != NULL)
		transport_reader_close(r);
	hash_free(h);
	free(buf);
	return rc;
}

/*
 * Fetch, check and parse the seal object `name` (of `id`): a good signature
 * by a trusted key that is the key the seal names, and the id it names.
 */
/* The set a seal names is the one its object's name says. */
static int
seals_check_name(struct transport *t, const char *name, const char *id,
    const struct seal_entry *e, char **cause)
{
	if (strcmp(e->s.set, id) != 0)
		return error_set(cause, "%s in %s holds the seal of %s: an old "
		    "set replayed under a new name", name,
		    transport_display(t), e->s.set);
	return 0;
}

static const char *seals_framing(const char *, size_t, const char *,
		    size_t);

static int
seals_check_one(struct transport *t, struct sigcheck *trust,
    const char *name, const char *id, const char *text, size_t len,
    struct seal_entry *e, char **cause)
{
	char		*plain = NULL, *fpr = NULL, *why = NULL;
	const char	*bad;
	size_t		 plainlen;
	int		 rc = -1;

	if (sigcheck_verify(trust, text, len, &plain, &plainlen, &fpr,
	    &why) != 0) {
		/* An untrusted signer may be a forger, or the reader was
		   given the wrong public key: both are said. */
		error_set(cause, "seal of %s (%s in %s): %s: a forged or "
		    "altered seal%s", id, name, transport_display(t), why,
		    strstr(why, "not trusted") != NULL ? ", or not the "
		    "signing key's public part (--sign-pubkey; if the "
		    "signing key was changed, give the old one with "
		    "--previous-sign-key FILE)" : "");
		goto out;
	}
	if ((bad = seals_framing(text, len, plain, plainlen)) != NULL) {
		error_set(cause, "seal of %s (%s in %s): %s: an altered seal",
		    id, name, transport_display(t), bad);
		goto out;
	}
	if (seal_parse(plain, plainlen, &e->s, &why) != 0) {
		error_set(cause, "seal of %s (%s in %s): %s", id, name,
		    transport_display(t), why);
		goto out;
	}
	if (strcmp(e->s.sign_key, fpr) != 0) {
		error_set(cause, "seal of %s in %s names signing key %s but "
		    "was signed by %s: a forged seal", id, transport_display(t),
		    e->s.sign_key, fpr);
		goto out;
	}
	if (seals_check_name(t, name, id, e, cause) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		seal_clear(&e->s);
	free(plain);
	free(fpr);
	free(why);
	return rc;
}

/* Fetch and check one seal object (see seals_check_one). */
static int
seals_load_one(struct transport *t, struct sigcheck *trust, const char *name,
    const char *id, struct seal_entry *e, char **cause)
{
	char	*text = NULL;
	size_t	 len;
	int	 rc = -1;

	memset(e, 0, sizeof *e);
	if (seals_get(t, name, SEALS_OBJECT_MAX, &text, &len, e->hash,
	    cause) == 0 && seals_check_one(t, trust, name, id, text, len, e,
	    cause) == 0) {
		e->id = xstrdup(id);
		rc = 0;
	}
	free(text);
	return rc;
}

/*
 * The signed text of a cleartext signed message, read without checking
 * the signature (RFC 4880, 7.1: after the armour headers and an empty
 * line, dash-escaped, up to the signature). Only for an object whose
 * bytes another, checked seal vouches for by their hash. -1 if it is not
 * framed so.
 */
static int
seals_signed_text(const char *raw, size_t len, char **out, size_t *outlen)
{
	static const char begin[] = "-----BEGIN PGP SIGNED MESSAGE-----\n";
	static const char sig[] = "\n-----BEGIN PGP SIGNATURE-----\n";
	const char	*p, *end, *line, *nl;
	char		*text, *q;

	if (len < sizeof begin || memcmp(raw, begin, sizeof begin - 1) != 0 ||
	    memchr(raw, '\0', len) != NULL)
		return -1;
	/* Armour headers ("Hash: ..."), then an empty line. */
	if ((p = strstr(raw + sizeof begin - 1 - 1, "\n\n")) == NULL)
		return -1;
	p += 2;
	if ((end = strstr(p, sig)) == NULL)
		return -1;
	text = q = xmalloc((size_t)(end - p) + 2);
	for (line = p; line <= end; line = nl + 1) {
		if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
			nl = end;
		if (line[0] == '-' && line[1] == ' ')
			line += 2;	/* dash-escaped */
		memcpy(q, line, (size_t)(nl - line));
		q += nl - line;
		*q++ = '\n';
		if (nl == end)
			break;
	}
	*q = '\0';
	*out = text;
	*outlen = (size_t)(q - text);
	return 0;
}

/*
 * A seal verified by gpg is also held to the form tresor writes it in
 * (gpgme's clear-signed armour): "Hash: ALG" alone above the text, the text
 * as signed, then the signature's base64 lines, the object ending right
 * after its END line. gpg ignores some bytes of the armour (text after the
 * END line, the END line's letters): the newest seal's stored bytes are
 * hashed by no later seal, so such a change would go unnoticed, though
 * every other damaged byte of a seal is refused. NULL if it fits.
 */
static const char *
seals_framing(const char *raw, size_t len, const char *plain, size_t plainlen)
{
	static const char head[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: ";
	static const char sig[] = "-----BEGIN PGP SIGNATURE-----\n\n";
	static const char tail[] = "-----END PGP SIGNATURE-----\n";
	const char	*p = raw, *end = raw + len, *why = NULL;
	char		*text = NULL;
	size_t		 textlen, n;

	if (len < sizeof head - 1 || memcmp(p, head, sizeof head - 1) != 0)
		return "its first lines are not a clear-signed message's";
	for (p += sizeof head - 1; p < end && isalnum((unsigned char)*p); p++)
		;
	if (end - p < 2 || p[0] != '\n' || p[1] != '\n')
		return "its armour header is not one \"Hash:\" line";
	p += 2;
	if (seals_signed_text(raw, len, &text, &textlen) != 0 ||
	    textlen != plainlen || memcmp(text, plain, plainlen) != 0) {
		why = "its text is not the text signed";
		goto out;
	}
	p += plainlen;
	if ((size_t)(end - p) < sizeof sig - 1 ||
	    memcmp(p, sig, sizeof sig - 1) != 0) {
		why = "the signature does not follow the text";
		goto out;
	}
	for (p += sizeof sig - 1; p < end && *p != '-'; p += n + 1) {
		n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/=");
		if (n == 0 || p + n >= end || p[n] != '\n') {
			why = "its signature's armour has a stray byte";
			goto out;
		}
	}
	if ((size_t)(end - p) != sizeof tail - 1 ||
	    memcmp(p, tail, sizeof tail - 1) != 0)
		why = "it does not end with the signature's END line";
out:
	free(text);
	return why;
}

static int
seals_compare(const void *a, const void *b)
{
	const struct seal_entry	*x = a, *y = b;

	return x->s.sequence < y->s.sequence ? -1 :
	    x->s.sequence > y->s.sequence;
}

static void
seals_hex(const uint8_t hash[HASH_LEN], char out[HASH_HEX_LEN + 1])
{
	hash_to_hex(hash, out);
}

/* Is (sequence, hash) a seal some purge record says it removed? */
static const struct seal_removed *
seals_removed(const struct seals *ss, uint64_t sequence,
    const uint8_t hash[HASH_LEN], const char *set)
{
	size_t	i, j;

	for (i = 0; i < ss->n; i++) {
		for (j = 0; j < ss->e[i].s.nremoved; j++) {
			const struct seal_removed *r = &ss->e[i].s.removed[j];

			if (ss->e[i].s.sequence <= r->sequence)
				continue;	/* a record removes the past */
			if (set != NULL && strcmp(r->set, set) == 0)
				return r;
			if (set == NULL && r->sequence == sequence &&
			    memcmp(r->seal, hash, HASH_LEN) == 0)
				return r;
		}
	}
	return NULL;
}

/* The target id most seals carry (a spliced seal is the odd one out). */
static const char *
seals_majority(const struct seals *ss)
{
	size_t	i, j, count, best = 0;
	const char *id = NULL;

	for (i = 0; i < ss->n; i++) {
		for (count = 0, j = 0; j < ss->n; j++)
			count += strcmp(ss->e[i].s.target,
			    ss->e[j].s.target) == 0;
		if (count > best) {
			best = count;
			id = ss->e[i].s.target;
		}
	}
	return id;
}

/*
 * The newest set before `id` whose manifest is on the target but that has
 * no seal: the likely owner of a seal missing from the chain (a deleted
 * seal must be named by its set, not only by a sequence and a hash).
 */
static const char *
seals_unsealed_before(const struct seals *ss, const struct catalog *cat,
    const char *id)
{
	const char	*best = NULL;
	size_t		 i, j;
	int		 sealed;

	for (i = 0; i < cat->nsets; i++) {
		if (!cat->sets[i].has_manifest ||
		    strcmp(cat->sets[i].id, id) >= 0)
			continue;
		for (sealed = 0, j = 0; j < ss->n && !sealed; j++)
			sealed = strcmp(ss->e[j].id, cat->sets[i].id) == 0;
		if (!sealed)
			best = cat->sets[i].id;
	}
	return best;
}

static int
seals_check_chain(struct seals *ss, const struct catalog *cat,
    const char *target, const char *where, char **cause)
{
	const char		*owner;
	const struct seal_entry	*e, *p;
	char			 hex[HASH_HEX_LEN + 1];
	size_t			 i, j;

	for (i = 0; i < ss->n; i++) {
		e = &ss->e[i];
		if (strcmp(e->s.target, target) != 0) {
			/*
			 * Which seal carries this target's id: with no
			 * majority (two seals, one replaced) either may be
			 * the spliced one, so both are named.
			 */
			for (j = 0; j < ss->n && strcmp(ss->e[j].s.target,
			    target) != 0; j++)
				;
			return error_set(cause, "%s in %s is sealed for another "
			    "target (id %s; this target's is %s%s%s%s): a set "
			    "spliced in from another target", e->id, where,
			    e->s.target, target, j < ss->n ? ", as sealed in " :
			    "", j < ss->n ? ss->e[j].id : "", j < ss->n ?
			    "'s seal" : "");
		}
		p = i > 0 ? &ss->e[i - 1] : NULL;
		if (p != NULL && p->s.sequence == e->s.sequence)
			return error_set(cause, "%s and %s in %s have the same "
			    "seal sequence %" PRIu64 ": a set replayed or the "
			    "chain forked", p->id, e->id, where, e->s.sequence);
		if (!e->s.has_previous)
			continue;
		if (p != NULL && p->s.sequence == e->s.sequence - 1) {
			if (memcmp(p->hash, e->s.previous, HASH_LEN) != 0)
				return error_set(cause, "the seal of %s in %s "
				    "does not follow %s's (sequence %" PRIu64
				    "): the chain was rewritten", e->id, where,
				    p->id, p->s.sequence);
			if (strcmp(p->s.sign_key, e->s.sign_key) != 0 &&
			    (e->s.previous_sign_key == NULL ||
			    strcmp(e->s.previous_sign_key,
			    p->s.sign_key) != 0))
				return error_set(cause, "%s in %s is signed by "
				    "key %s and %s before it by %s, with no "
				    "rotation recorded: a seal slipped in",
				    e->id, where, e->s.sign_key, p->id,
				    p->s.sign_key);
			continue;
		}
		if (seals_removed(ss, e->s.sequence - 1, e->s.previous,
		    NULL) != NULL)
			continue;
		seals_hex(e->s.previous, hex);
		owner = seals_unsealed_before(ss, cat, e->id);
		return error_set(cause, "seal sequence %" PRIu64 " (%.16s...), "
		    "before %s's, is missing from %s and no purge removed it: "
		    "a set was deleted%s%s%s", e->s.sequence - 1, hex, e->id,
		    where, owner != NULL ? ", or the seal of " : "",
		    owner != NULL ? owner : "", owner != NULL ?
		    " (its manifest is there, unsealed)" : "");
	}
	return 0;
}

/* Every sealed set has its manifest, unless a purge removed it. */
static int
seals_check_sets(struct seals *ss, const struct catalog *cat,
    const char *where, char **cause)
{
	const struct seal_entry	*e;
	size_t			 i, j;
	int			 found;

	for (i = 0; i < ss->n; i++) {
		e = &ss->e[i];
		if (e->s.purge)
			continue;
		for (found = 0, j = 0; j < cat->nsets && !found; j++)
			found = cat->sets[j].has_manifest &&
			    strcmp(cat->sets[j].id, e->id) == 0;
		if (!found && seals_removed(ss, 0, NULL, e->id) == NULL)
			return error_set(cause, "%s is sealed (sequence %"
			    PRIu64 ") but its manifest is gone from %s and no "
			    "purge removed it: a set was deleted", e->id,
			    e->s.sequence, where);
	}
	return 0;
}

/* A head seen before (cache or --head) against the target's seals. */
static int
seals_check_head(struct seals *ss, const struct seal_head *k,
    const char *whose, const char *target, const char *where, char **cause)
{
	const struct seal_entry	*top;
	size_t			 i;

	if (ss->n == 0)
		return error_set(cause, "%s has no seals, but %s saw sequence %"
		    PRIu64 " (%s): its sets were deleted or replaced with "
		    "unsigned ones", where, whose, k->sequence, k->set);
	if (strcmp(k->target, target) != 0)
		return error_set(cause, "the seals in %s are of target %s, but "
		    "%s knows target %s: the target was replaced, or its sets "
		    "come from another target", where, target, whose,
		    k->target);
	top = &ss->e[ss->n - 1];
	if (k->sequence > top->s.sequence)
		return error_set(cause, "rollback: the newest seal in %s is "
		    "sequence %" PRIu64 " (%s), but %s saw sequence %" PRIu64
		    " (%s): the target was rolled back or its newest sets "
		    "deleted", where, top->s.sequence, top->id, whose,
		    k->sequence, k->set);
	for (i = 0; i < ss->n; i++) {
		if (ss->e[i].s.sequence != k->sequence)
			continue;
		if (memcmp(ss->e[i].hash, k->seal, HASH_LEN) != 0)
			return error_set(cause, "seal sequence %" PRIu64 " in "
			    "%s is %s, but %s saw %s there: the chain was "
			    "rewritten", k->sequence, where, ss->e[i].id, whose,
			    k->set);
		return 0;
	}
	if (seals_removed(ss, k->sequence, k->seal, NULL) != NULL)
		return 0;
	return error_set(cause, "seal sequence %" PRIu64 " (%s), which %s saw, "
	    "is gone from %s and no purge removed it: a set was deleted",
	    k->sequence, k->set, whose, where);
}

/*
 * Every seal authenticated, with one signature check for a chain: the
 * newest seal's signature is checked; a seal whose object's hash is the
 * `previous` of a seal already authenticated (and has the sequence
 * before it) is vouched for by that hash; any other seal (the first
 * after a purge's gap, one that is not in the chain) has its signature
 * checked. Sorted by sequence afterwards.
 */
static int
seals_authenticate(struct seals *ss, struct transport *t,
    struct sigcheck *trust, char **cause)
{
	struct seal_entry	*e;
	uint8_t			 expect[HASH_LEN];
	uint64_t		 expect_seq = 0;
	char			*text, *why = NULL;
	size_t			 i, len;
	int			 have_expect = 0;

	for (i = 0; i < ss->n; i++) {
		e = &ss->e[i];
		if (seals_signed_text(e->raw, e->rawlen, &text, &len) == 0) {
			e->parsed = seal_parse(text, len, &e->s, &why) == 0;
			free(text);
			free(why);
			why = NULL;
		}
	}
	qsort(ss->e, ss->n, sizeof *ss->e, seals_compare);
	for (i = ss->n; i > 0; i--) {
		e = &ss->e[i - 1];
		if (e->parsed && have_expect && e->s.sequence == expect_seq &&
		    memcmp(e->hash, expect, HASH_LEN) == 0) {
			if (seals_check_name(t, e->name, e->id, e, cause) != 0)
				return -1;
		} else {
			seal_clear(&e->s);
			if (seals_check_one(t, trust, e->name, e->id, e->raw,
			    e->rawlen, e, cause) != 0)
				return -1;
		}
		e->parsed = 1;
		have_expect = e->s.has_previous;
		expect_seq = e->s.sequence - 1;
		memcpy(expect, e->s.previous, HASH_LEN);
	}
	qsort(ss->e, ss->n, sizeof *ss->e, seals_compare);
	return 0;
}

/* The cache directory, if there is one to use (readers do without). */
static struct cache *
seals_cache(const char *cache_root, struct transport *t)
{
	struct cache	*c;
	char		*why = NULL;

	if (cache_root == NULL)
		return NULL;
	if ((c = cache_open(cache_root, transport_display(t), &why)) == NULL) {
		log_warn("no local cache (%s): the rollback check has only "
		    "--head", why);
		free(why);
	}
	return c;
}

/* Learn the target's head into the cache when it is newer. */
static void
seals_learn(struct seals *ss, struct cache *c, int known,
    const struct seal_head *k, const char *where)
{
	const struct seal_entry	*top;
	struct seal_head	 h;
	char			*why = NULL;

	if (c == NULL || ss->n == 0)
		return;
	top = &ss->e[ss->n - 1];
	if (known && k->sequence >= top->s.sequence)
		return;
	if (!known)
		ss->learned = xasprintf("no head in the cache for %s: learned "
		    "sequence %" PRIu64 " (%s) from the target; the rollback "
		    "check restarts there", where, top->s.sequence, top->id);
	seals_head_from(&h, &top->s, top->hash);
	if (seals_head_store(cache_dir(c), &h, &why) != 0) {
		log_warn("%s", why);
		free(why);
	}
}

struct seals *
seals_open(struct transport *t, const struct catalog *cat,
    const struct seals_options *o, const char *cache_root, char **cause)
{
	struct seals		*ss = xcalloc(1, sizeof *ss);
	struct cache		*c = NULL;
	struct sigcheck		*trust = NULL;
	struct name_list	 names = { NULL, 0 };
	struct seal_head	 cached, given;
	const char		*where = transport_display(t), *target;
	char			*id;
	size_t			 i, nseals = 0;
	int			 has_cached = 0, rc;

	ss->allow_unsigned = o->allow_unsigned;
	if (o->head != NULL && seals_head_option(o->head, &given, cause) != 0)
		goto fail;
	c = seals_cache(cache_root, t);
	if (c != NULL) {
		if ((rc = seals_head_load(cache_dir(c), &cached, cause)) == -1)
			goto fail;
		has_cached = rc == 0;
	}
	if (transport_list(t, &names, cause) != 0)
		goto fail;
	for (i = 0; i < names.count; i++) {
		if (names_parse_seal(names.entries[i].name, &id) == 0) {
			nseals++;
			free(id);
		}
	}
	if ((trust = seals_trust(o, NULL, c != NULL ? cache_dir(c) : NULL,
	    cause)) == NULL)
		goto fail;
	if (sigcheck_count(trust) == 0) {
		if (!o->allow_unsigned) {
			error_set(cause, nseals > 0 ? "no signing key to check "
			    "the seals of %s against: give --sign-pubkey FILE "
			    "(the signing key's public part)" : "%s holds no "
			    "seals (unsigned sets) and no signing key was "
			    "given: --allow-unsigned reads unsigned sets",
			    where);
			goto fail;
		}
		log_warn("no signing key: nothing read from %s is "
		    "authenticated (--allow-unsigned)", where);
		ss->unchecked = 1;
		ss->warned = 1;
		goto done;
	}
	ss->e = xcalloc(nseals + 1, sizeof *ss->e);
	for (i = 0; i < names.count; i++) {
		if (names_parse_seal(names.entries[i].name, &id) != 0)
			continue;
		ss->e[ss->n].id = id;
		ss->e[ss->n].name = xstrdup(names.entries[i].name);
		if (seals_get(t, names.entries[i].name, SEALS_OBJECT_MAX,
		    &ss->e[ss->n].raw, &ss->e[ss->n].rawlen, ss->e[ss->n].hash,
		    cause) != 0) {
			ss->n++;
			goto fail;
		}
		ss->n++;
	}
	if (seals_authenticate(ss, t, trust, cause) != 0)
		goto fail;
	target = o->head != NULL ? given.target : has_cached ? cached.target :
	    seals_majority(ss);
	if (ss->n > 0 && (seals_check_chain(ss, cat, target, where, cause) != 0 ||
	    seals_check_sets(ss, cat, where, cause) != 0))
		goto fail;
	if (ss->n > 0)
		target = ss->e[0].s.target;
	if (has_cached && seals_check_head(ss, &cached, "this host's cache",
	    target, where, cause) != 0)
		goto fail;
	if (o->head != NULL && seals_check_head(ss, &given, "--head", target,
	    where, cause) != 0)
		goto fail;
	seals_learn(ss, c, has_cached, &cached, where);
done:
	name_list_clear(&names);
	sigcheck_free(trust);
	cache_close(c);
	return ss;
fail:
	name_list_clear(&names);
	sigcheck_free(trust);
	cache_close(c);
	seals_free(ss);
	return NULL;
}

void
seals_free(struct seals *ss)
{
	size_t	i;

	if (ss == NULL)
		return;
	for (i = 0; i < ss->n; i++) {
		free(ss->e[i].id);
		free(ss->e[i].raw);
		free(ss->e[i].name);
		seal_clear(&ss->e[i].s);
	}
	free(ss->e);
	free(ss->learned);
	free(ss);
}

void
seals_say_learned(struct seals *ss)
{
	if (ss != NULL && ss->learned != NULL) {
		log_warn("%s", ss->learned);
		free(ss->learned);
		ss->learned = NULL;
	}
}

size_t
seals_count(const struct seals *ss)
{
	return ss->n;
}

static const struct seal_entry *
seals_find(const struct seals *ss, const char *set_id)
{
	size_t	i;

	for (i = 0; i < ss->n; i++) {
		if (!ss->e[i].s.purge && strcmp(ss->e[i].id, set_id) == 0)
			return &ss->e[i];
	}
	return NULL;
}

/* The stored manifest's size and SHA-256, read through once. */
static int
seals_hash_object(struct transport *t, const char *name, uint64_t *size,
    uint8_t hash[HASH_LEN], char **cause)
{
	struct transport_reader	*r;
	struct hash		*h = hash_new();
	char			*buf = xmalloc(65536);
	ssize_t			 n;
	int			 rc = -1;

	*size = 0;
	if ((r = transport_get(t, name, cause)) == NULL)
		goto out;
	while ((n = transport_reader_read(r, buf, 65536, cause)) > 0) {
		hash_update(h, buf, (size_t)n);
		*size += (uint64_t)n;
	}
	transport_reader_close(r);
	if (n < 0)
		goto out;
	hash_final(h, hash);
	rc = 0;
out:
	hash_free(h);
	free(buf);
	return rc;
}

/* 0: checked; 1: unsigned and allowed; -1: refused. */
static int
seals_check(struct seals *ss, struct transport *t, const char *set_id,
    int hash_it, const struct seal_entry **found, char **cause)
{
	const struct seal_entry	*e;
	const char		*where = transport_display(t);
	char			*name;
	uint64_t		 size;
	uint8_t			 hash[HASH_LEN];
	size_t			 i;
	int			 rc = -1;

	*found = NULL;
	if (ss->unchecked)
		return 1;
	if ((e = seals_find(ss, set_id)) == NULL) {
		if (!ss->allow_unsigned)
			return error_set(cause, "set %s in %s has no seal: it "
			    "is unsigned (made by format 1 or without "
			    "--sign-key) or forged; --allow-unsigned reads it "
			    "anyway", set_id, where);
		if (!ss->warned)
			log_warn("set %s in %s has no seal: read without "
			    "authentication (--allow-unsigned)", set_id, where);
		ss->warned = 1;
		return 1;
	}
	if (!hash_it) {
		*found = e;
		return 0;
	}
	name = names_manifest(set_id);
	if (seals_hash_object(t, name, &size, hash, cause) != 0)
		goto out;
	if (size != e->s.manifest_size ||
	    memcmp(hash, e->s.manifest, HASH_LEN) != 0) {
		for (i = 0; i < ss->n; i++) {
			if (!ss->e[i].s.purge && &ss->e[i] != e &&
			    memcmp(hash, ss->e[i].s.manifest, HASH_LEN) == 0) {
				error_set(cause, "the manifest of %s in %s is "
				    "%s's: an old set replayed under a new name",
				    set_id, where, ss->e[i].id);
				goto out;
			}
		}
		error_set(cause, "the manifest of %s in %s does not match its "
		    "seal (%" PRIu64 " bytes stored, %" PRIu64 " sealed): a "
		    "forged or altered manifest", set_id, where, size,
		    e->s.manifest_size);
		goto out;
	}
	*found = e;
	rc = 0;
out:
	free(name);
	return rc;
}

int
seals_check_manifest(struct seals *ss, struct transport *t,
    const char *set_id, char **cause)
{
	const struct seal_entry	*e;

	return seals_check(ss, t, set_id, 1, &e, cause) < 0 ? -1 : 0;
}

int
seals_read_manifest(struct seals *ss, struct transport *t, struct crypto *c,
    const char *set_id, const struct manifest_visitor *v, void *arg,
    struct manifest_summary *summary, char **cause)
{
	const struct seal_entry	*e;
	char			*why = NULL;
	int			 rc;

	/*
	 * One read: the stored bytes are held to the seal's size and hash as
	 * they are decrypted. Only if that fails is the object hashed on its
	 * own, to tell a forged or replayed manifest (said so) from a key or
	 * a target that failed (whose cause stands).
	 */
	if ((rc = seals_check(ss, t, set_id, 0, &e, cause)) < 0)
		return -1;
	if (rc == 1)
		return manifest_read(t, c, set_id, v, arg, summary, cause);
	if (manifest_read_expect(t, c, set_id, &e->s.manifest_size,
	    e->s.manifest, v, arg, summary, cause) == 0)
		return 0;
	if (cause != NULL && seals_check(ss, t, set_id, 1, &e, &why) < 0) {
		free(*cause);
		*cause = why;
	} else
		free(why);
	return -1;
}

static int
seals_listed(const struct name_list *names, const char *name)
{
	size_t	i;

	for (i = 0; i < names->count; i++) {
		if (strcmp(names->entries[i].name, name) == 0)
			return 1;
	}
	return 0;
}

/*
 * The newest seal: of those whose name has the latest time (a writer
 * checks only these), the highest sequence (a backup and a purge may share
 * a second). 1 if found, 0 if there are no seals, -1 on failure.
 */
static int
seals_newest(struct transport *t, struct sigcheck *trust,
    const struct name_list *names, struct seal_entry *out, char **cause)
{
	struct seal_entry	 e;
	char			*x, *latest = NULL;
	size_t			 i;
	int			 found = 0;

	for (i = 0; i < names->count; i++) {
		if (names_parse_seal(names->entries[i].name, &x) != 0)
			continue;
		if (latest == NULL || strncmp(x, latest, 16) > 0) {
			free(latest);
			latest = x;
		} else
			free(x);
	}
	for (i = 0; latest != NULL && i < names->count; i++) {
		if (names_parse_seal(names->entries[i].name, &x) != 0)
			continue;
		if (strncmp(x, latest, 16) != 0) {
			free(x);
			continue;
		}
		if (seals_load_one(t, trust, names->entries[i].name, x, &e,
		    cause) != 0) {
			free(x);
			found = -1;
			break;
		}
		free(x);
		if (found && e.s.sequence <= out->s.sequence) {
			free(e.id);
			seal_clear(&e.s);
			continue;
		}
		if (found) {
			free(out->id);
			seal_clear(&out->s);
		}
		*out = e;
		found = 1;
	}
	free(latest);
	return found;
}

const char *
seals_writer_newest(const struct seals_writer *w)
{
	return w != NULL && w->have_newest ? w->newest.set : NULL;
}

static void
seals_new_target(char out[SEAL_TARGET_LEN + 1])
{
	uint8_t	r[SEAL_TARGET_LEN / 2];
	size_t	i, got = 0;
	ssize_t	n;

	while (got < sizeof r) {
		n = getrandom(r + got, sizeof r - got, 0);
		if (n > 0)
			got += (size_t)n;
	}
	for (i = 0; i < sizeof r; i++)
		snprintf(out + i * 2, 3, "%02x", r[i]);
}

static void *
seals_writer_load(void *arg)
{
	struct seals_writer	*w = arg;

	w->load_rc = signer_load(w->signer, &w->load_cause);
	return NULL;
}

struct seals_writer *
seals_writer_new(const struct seals_options *o, char **cause)
{
	struct seals_writer	*w = xcalloc(1, sizeof *w);

	w->o = o;
	if (o->sign_key == NULL && o->sign_key_data == NULL) {
		error_set(cause, "no signing key: give --sign-key FILE (a key "
		    "pair kept on this host for signing only; see "
		    "docs/SECURITY.md)");
		goto fail;
	}
	if ((w->signer = signer_prepare(o->sign_key, o->sign_key_data,
	    o->sign_key_len, cause)) == NULL)
		goto fail;
	/*
	 * Starting the signing key's gpg-agent is the dearest part of a
	 * seal: it overlaps the backup's own start. Without a thread, now.
	 */
	if (pthread_create(&w->thread, NULL, seals_writer_load, w) == 0)
		w->running = 1;
	else
		seals_writer_load(w);
	return w;
fail:
	seals_writer_free(w);
	return NULL;
}

static int
seals_writer_join(struct seals_writer *w, char **cause)
{
	if (w->running) {
		pthread_join(w->thread, NULL);
		w->running = 0;
	}
	if (w->load_rc != 0) {
		if (cause != NULL && w->load_cause != NULL) {
			*cause = w->load_cause;
			w->load_cause = NULL;
		}
		return -1;
	}
	return 0;
}

int
seals_writer_check(struct seals_writer *w, struct transport *t,
    struct cache *cache, char **cause)
{
	const struct seals_options *o = w->o;
	struct name_list	 names = { NULL, 0 };
	struct seal_head	 cached;
	struct seal_entry	 e;
	const char		*where = transport_display(t);
	int			 has_cached, found, rc = -1;

	memset(&e, 0, sizeof e);
	w->t = t;
	w->cache = cache;
	/*
	 * The cache's keys only when needed (a gpg run each time otherwise):
	 * when keys are given (they join the cache's), when this signing
	 * key is new to the cache, or when the newest seal is by another key.
	 */
	if (seals_writer_join(w, cause) != 0 ||
	    (w->trust = seals_trust(o, w->signer, NULL, cause)) == NULL)
		goto fail;
	if (o->sign_pubkey != NULL || o->previous_sign_key != NULL ||
	    !seals_cache_knows(cache_dir(cache), signer_fpr(w->signer))) {
		if (seals_trust_cache(w->trust, cache_dir(cache), cause) != 0)
			goto fail;
		w->cache_keys = 1;
		w->keys_changed = 1;
	}
	if ((has_cached = seals_head_load(cache_dir(cache), &cached,
	    cause)) == -1)
		goto fail;
	has_cached = has_cached == 0;
	if (transport_list(t, &names, cause) != 0)
		goto fail;
	found = seals_newest(t, w->trust, &names, &e, cause);
	if (found == -1 && !w->cache_keys) {
		/* Perhaps by a key the cache trusts (a rotation): again. */
		free(*cause);
		*cause = NULL;
		if (seals_trust_cache(w->trust, cache_dir(cache), cause) != 0)
			goto fail;
		w->cache_keys = 1;
		w->keys_changed = 1;
		free(e.id);
		seal_clear(&e.s);
		memset(&e, 0, sizeof e);
		found = seals_newest(t, w->trust, &names, &e, cause);
	}
	if (found == -1)
		goto fail;
	if (found == 0) {
		if (has_cached) {
			error_set(cause, "%s has no seals, but this host's "
			    "cache saw sequence %" PRIu64 " (%s): its sets were "
			    "deleted or replaced (if the target was emptied on "
			    "purpose, remove %s/" SEALS_HEAD_FILE ")", where,
			    cached.sequence, cached.set, cache_dir(cache));
			goto fail;
		}
		seals_new_target(w->target);
		goto done;
	}
	if (has_cached) {
		if (strcmp(cached.target, e.s.target) != 0) {
			error_set(cause, "the newest seal in %s is of target "
			    "%s, but this host's cache knows target %s: the "
			    "target was replaced or its sets come from another "
			    "target", where, e.s.target, cached.target);
			goto fail;
		}
		if (cached.sequence > e.s.sequence) {
			error_set(cause, "rollback: the newest seal in %s is "
			    "sequence %" PRIu64 " (%s), but this host's cache "
			    "saw sequence %" PRIu64 " (%s): the target was "
			    "rolled back or its newest sets deleted", where,
			    e.s.sequence, e.id, cached.sequence, cached.set);
			goto fail;
		}
		if (cached.sequence == e.s.sequence &&
		    memcmp(cached.seal, e.hash, HASH_LEN) != 0) {
			error_set(cause, "seal sequence %" PRIu64 " in %s is "
			    "%s, but this host's cache saw %s there: the chain "
			    "was rewritten", e.s.sequence, where, e.id,
			    cached.set);
			goto fail;
		}
	} else
		w->learned = xasprintf("no head in the cache for %s: learned "
		    "sequence %" PRIu64 " (%s) from the target; the rollback "
		    "check restarts there", where, e.s.sequence, e.id);
	memcpy(w->target, e.s.target, sizeof w->target);
	w->newest = e.s;
	memset(&e.s, 0, sizeof e.s);
	memcpy(w->newest_hash, e.hash, HASH_LEN);
	w->have_newest = 1;
done:
	rc = 0;
fail:
	free(e.id);
	seal_clear(&e.s);
	name_list_clear(&names);
	return rc;
}

static void *
seals_writer_prep(void *arg)
{
	struct seals_writer	*w = arg;
	char			*why = NULL;

	if (sigcheck_export(w->trust, &w->prep_keys, &w->prep_keyslen,
	    &why) != 0 || sigcheck_fingerprints(w->trust, &w->prep_list,
	    &why) != 0)
		w->prep_rc = -1;
	free(why);	/* seals_store_keys asks again, and says why */
	return NULL;
}

void
seals_writer_prepare(struct seals_writer *w)
{
	if (w == NULL || w->trust == NULL || !w->keys_changed ||
	    w->prep_running || w->prep_keys != NULL)
		return;
	w->prep_rc = 0;
	if (pthread_create(&w->prep_thread, NULL, seals_writer_prep, w) == 0)
		w->prep_running = 1;
}

/* seals_writer_prepare's thread joined: the signer's context is ours. */
static void
seals_writer_settle(struct seals_writer *w)
{
	if (w->prep_running) {
		pthread_join(w->prep_thread, NULL);
		w->prep_running = 0;
		if (w->prep_rc != 0) {
			free(w->prep_keys);
			free(w->prep_list);
			w->prep_keys = w->prep_list = NULL;
		}
	}
}

static void
seals_writer_prep_clear(struct seals_writer *w)
{
	free(w->prep_keys);
	free(w->prep_list);
	w->prep_keys = w->prep_list = NULL;
	w->prep_keyslen = 0;
}

void
seals_writer_free(struct seals_writer *w)
{
	if (w == NULL)
		return;
	if (w->running)
		pthread_join(w->thread, NULL);
	seals_writer_settle(w);
	seals_writer_prep_clear(w);
	free(w->load_cause);
	sigcheck_free(w->trust);	/* the signer's: before it */
	signer_free(w->signer);
	seal_clear(&w->newest);
	free(w->learned);
	free(w);
}

/* The trusted keys into the cache, with their list, when they changed. */
static int
seals_store_keys(struct seals_writer *w, char **cause)
{
	char	*keys = NULL, *path = NULL, *list = NULL;
	size_t	 keyslen;
	int	 rc = -1;

	if (!w->keys_changed)
		return 0;
	/* Read by seals_writer_prepare's thread, else now. */
	if (w->prep_keys != NULL && w->prep_list != NULL) {
		keys = w->prep_keys;
		keyslen = w->prep_keyslen;
		list = w->prep_list;
		w->prep_keys = w->prep_list = NULL;
	}
	path = xasprintf("%s/" SEALS_KEYS_FILE, cache_dir(w->cache));
	if ((keys == NULL && sigcheck_export(w->trust, &keys, &keyslen,
	    cause) != 0) || seals_write_file(path, keys, keyslen, cause) != 0)
		goto out;
	free(path);
	path = xasprintf("%s/" SEALS_FPRS_FILE, cache_dir(w->cache));
	if ((list == NULL && sigcheck_fingerprints(w->trust, &list,
	    cause) != 0) || seals_write_file(path, list, strlen(list),
	    cause) != 0)
		goto out;
	w->keys_changed = 0;
	rc = 0;
out:
	free(keys);
	free(list);
	free(path);
	return rc;
}

/* Sign s (sequence and chain filled in here), publish, move the head. */
static int
seals_publish(struct seals_writer *w, struct seal *s, char **cause)
{
	struct sink		*sink = NULL;
	struct seal_head	 h;
	struct hash		*hh;
	char			*text = NULL, *signed_text = NULL, *name = NULL;
	uint8_t			 hash[HASH_LEN];
	size_t			 len;
	int			 rc = -1;

	seals_writer_settle(w);
	memcpy(s->target, w->target, sizeof s->target);
	s->sequence = w->have_newest ? w->newest.sequence + 1 : 1;
	s->has_previous = w->have_newest;
	if (w->have_newest)
		memcpy(s->previous, w->newest_hash, HASH_LEN);
	s->sign_key = xstrdup(signer_fpr(w->signer));
	if (w->have_newest && strcmp(w->newest.sign_key, s->sign_key) != 0)
		s->previous_sign_key = xstrdup(w->newest.sign_key);
	text = seal_format(s);
	if (signer_sign(w->signer, text, &signed_text, &len, cause) != 0)
		goto out;
	hh = hash_new();
	hash_update(hh, signed_text, len);
	hash_final(hh, hash);
	hash_free(hh);
	name = names_seal(s->set);
	if ((sink = transport_put(w->t, name, cause)) == NULL ||
	    sink_write(sink, signed_text, len, cause) != 0 ||
	    sink_finish(sink, cause) != 0) {
		error_prefix(cause, "unable to publish the seal %s", name);
		goto out;
	}
	/* The cache learns the head and keeps the keys it trusts. */
	seals_head_from(&h, s, hash);
	if (seals_head_store(cache_dir(w->cache), &h, cause) != 0 ||
	    seals_store_keys(w, cause) != 0)
		goto out;
	/* The next seal of this run (none yet) would follow this one. */
	seal_clear(&w->newest);
	w->newest.sequence = s->sequence;
	w->newest.sign_key = xstrdup(s->sign_key);
	w->newest.encrypt_keys = xstrdup(s->encrypt_keys);
	w->newest.set = s->set != NULL ? xstrdup(s->set) : NULL;
	memcpy(w->newest_hash, hash, HASH_LEN);
	w->have_newest = 1;
	if (w->learned != NULL) {
		log_warn("%s", w->learned);
		free(w->learned);
		w->learned = NULL;
	}
	rc = 0;
out:
	sink_free(sink);
	free(text);
	free(signed_text);
	free(name);
	return rc;
}

int
seals_publish_set(struct seals_writer *w, const char *set_id,
    uint64_t manifest_size, const uint8_t manifest[HASH_LEN],
    const char *encrypt_keys, char **cause)
{
	struct seal	s;
	int		rc;

	memset(&s, 0, sizeof s);
	s.set = xstrdup(set_id);
	s.manifest_size = manifest_size;
	memcpy(s.manifest, manifest, HASH_LEN);
	s.encrypt_keys = xstrdup(encrypt_keys);
	rc = seals_publish(w, &s, cause);
	seal_clear(&s);
	return rc;
}

int
seals_publish_purge(struct seals_writer *w, const struct name_list *names,
    char *const *set_ids, size_t n, time_t now, const char *encrypt_keys,
    char **cause)
{
	struct seal		 s;
	struct seal_entry	 e;
	char			*name;
	size_t			 i;
	int			 rc = -1;

	memset(&s, 0, sizeof s);
	s.purge = 1;
	seals_writer_settle(w);
	for (i = 0; i < n; i++) {
		name = names_seal(set_ids[i]);
		if (!seals_listed(names, name)) {
			free(name);
			continue;
		}
		rc = seals_load_one(w->t, w->trust, name, set_ids[i], &e,
		    cause);
		free(name);
		if (rc != 0)
			goto out;
		seal_add_removed(&s, set_ids[i], e.s.sequence, e.hash);
		free(e.id);
		seal_clear(&e.s);
		rc = -1;
	}
	if (s.nremoved == 0) {
		rc = 0;
		goto out;
	}
	s.set = names_purge_id(now);
	/* Purge has no key of its own: the chain's, as its newest seal says. */
	s.encrypt_keys = xstrdup(encrypt_keys != NULL ? encrypt_keys :
	    w->newest.encrypt_keys != NULL ? w->newest.encrypt_keys :
	    "symmetric");
	rc = seals_publish(w, &s, cause);
out:
	seal_clear(&s);
	return rc;
}

char *
seals_cache_head(const char *cache_dir_, const char *url, char **cause)
{
	struct cache		*c;
	struct seal_head	 h;
	char			*line = NULL;
	int			 rc;

	if ((c = cache_open(cache_dir_, url, cause)) == NULL)
		return NULL;
	rc = seals_head_load(cache_dir(c), &h, cause);
	if (rc == 1)
		error_set(cause, "no head in the cache %s for %s (no sealed "
		    "set was made or read from this host)", cache_dir(c), url);
	else if (rc == 0)
		line = seal_head_format(&h);
	cache_close(c);
	return line;
}
