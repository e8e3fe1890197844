/*
 * seal.c: a seal's text printed and parsed (see seal.h). The parser is
 * strict: every line known, each once and in order, so two readers can
 * never disagree about what a signed seal says.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/seal.h"

/* A growing string. */
struct seal_buf {
	char	*p;
	size_t	 len;
};

static void
seal_add(struct seal_buf *b, const char *s)
{
	size_t	n = strlen(s);

	b->p = xrealloc(b->p, b->len + n + 1);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void
seal_addf(struct seal_buf *b, const char *key, const char *value)
{
	seal_add(b, key);
	seal_add(b, " ");
	seal_add(b, value);
	seal_add(b, "\n");
}

char *
seal_format(const struct seal *s)
{
	struct seal_buf	 b = { NULL, 0 };
	char		 hex[HASH_HEX_LEN + 1], line[256];
	size_t		 i;

	seal_add(&b, "tresor-seal 1\n");
	seal_addf(&b, "target", s->target);
	snprintf(line, sizeof line, "%" PRIu64, s->sequence);
	seal_addf(&b, "sequence", line);
	seal_addf(&b, "set", s->set);
	if (!s->purge) {
		hash_to_hex(s->manifest, hex);
		snprintf(line, sizeof line, "%" PRIu64 " %s", s->manifest_size,
		    hex);
		seal_addf(&b, "manifest", line);
	}
	if (s->has_previous)
		hash_to_hex(s->previous, hex);
	seal_addf(&b, "previous", s->has_previous ? hex : "none");
	seal_addf(&b, "encrypt-keys", s->encrypt_keys);
	seal_addf(&b, "sign-key", s->sign_key);
	if (s->previous_sign_key != NULL)
		seal_addf(&b, "previous-sign-key", s->previous_sign_key);
	for (i = 0; i < s->nremoved; i++) {
		hash_to_hex(s->removed[i].seal, hex);
		snprintf(line, sizeof line, "%s %" PRIu64 " %s",
		    s->removed[i].set, s->removed[i].sequence, hex);
		seal_addf(&b, "removed", line);
	}
	seal_add(&b, "end\n");
	return b.p;
}

int
seal_target_valid(const char *s)
{
	return strlen(s) == SEAL_TARGET_LEN &&
	    strspn(s, "0123456789abcdef") == SEAL_TARGET_LEN;
}

/* A decimal u64 with no sign, no leading zero (but "0"), nothing after. */
static int
seal_u64(const char *s, uint64_t *out)
{
	uint64_t	v = 0;
	const char	*p;

	if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*out = v;
	return 0;
}

/* A set id or purge id: "<16 chars>.<full|inc|purge>", no blanks. */
static int
seal_id_valid(const char *s, int *purge)
{
	size_t	n = strlen(s);

	if (n < 18 || n > 40 || s[16] != '.' || strpbrk(s, " \t/") != NULL)
		return 0;
	*purge = strcmp(s + 17, "purge") == 0;
	return *purge || strcmp(s + 17, "full") == 0 ||
	    strcmp(s + 17, "inc") == 0;
}

/* A fingerprint list: hex and commas, or "symmetric". */
static int
seal_fprs_valid(const char *s, int allow_symmetric)
{
	if (allow_symmetric && strcmp(s, "symmetric") == 0)
		return 1;
	return *s != '\0' && strspn(s, "0123456789ABCDEF,") == strlen(s) &&
	    s[0] != ',' && s[strlen(s) - 1] != ',';
}

void
seal_add_removed(struct seal *s, const char *set, uint64_t sequence,
    const uint8_t seal[HASH_LEN])
{
	s->removed = xrealloc(s->removed, (s->nremoved + 1) *
	    sizeof *s->removed);
	s->removed[s->nremoved].set = xstrdup(set);
	s->removed[s->nremoved].sequence = sequence;
	memcpy(s->removed[s->nremoved].seal, seal, HASH_LEN);
	s->nremoved++;
}

/* The lines in their one order; removed may repeat. */
static const char *seal_keys[] = {
	"target", "sequence", "set", "manifest", "previous", "encrypt-keys",
	"sign-key", "previous-sign-key", "removed", "end"
};
#define SEAL_NKEYS	(sizeof seal_keys / sizeof seal_keys[0])

static int
seal_line(struct seal *s, size_t k, char *v, size_t lineno, char **cause)
{
	char		*a, *b, *save = NULL;
	uint64_t	 n;
	int		 purge;

	switch (k) {
	case 0:
		if (!seal_target_valid(v))
			goto bad;
		memcpy(s->target, v, SEAL_TARGET_LEN + 1);
		return 0;
	case 1:
		if (seal_u64(v, &s->sequence) != 0 || s->sequence == 0)
			goto bad;
		return 0;
	case 2:
		if (!seal_id_valid(v, &s->purge))
			goto bad;
		s->set = xstrdup(v);
		return 0;
	case 3:
		a = strtok_r(v, " ", &save);
		b = strtok_r(NULL, " ", &save);
		if (a == NULL || b == NULL || strtok_r(NULL, " ", &save) !=
		    NULL || seal_u64(a, &s->manifest_size) != 0 ||
		    strlen(b) != HASH_HEX_LEN ||
		    hash_from_hex(b, s->manifest) != 0)
			goto bad;
		return 0;
	case 4:
		if (strcmp(v, "none") == 0)
			return 0;
		if (strlen(v) != HASH_HEX_LEN ||
		    hash_from_hex(v, s->previous) != 0)
			goto bad;
		s->has_previous = 1;
		return 0;
	case 5:
		if (!seal_fprs_valid(v, 1))
			goto bad;
		s->encrypt_keys = xstrdup(v);
		return 0;
	case 6:
	case 7:
		if (!seal_fprs_valid(v, 0) || strchr(v, ',') != NULL)
			goto bad;
		if (k == 6)
			s->sign_key = xstrdup(v);
		else
			s->previous_sign_key = xstrdup(v);
		return 0;
	case 8:
		a = strtok_r(v, " ", &save);
		b = strtok_r(NULL, " ", &save);
		v = strtok_r(NULL, " ", &save);
		if (a == NULL || b == NULL || v == NULL ||
		    strtok_r(NULL, " ", &save) != NULL ||
		    !seal_id_valid(a, &purge) || purge ||
		    seal_u64(b, &n) != 0 || n == 0 ||
		    strlen(v) != HASH_HEX_LEN)
			goto bad;
		s->removed = xrealloc(s->removed, (s->nremoved + 1) *
		    sizeof *s->removed);
		if (hash_from_hex(v, s->removed[s->nremoved].seal) != 0)
			goto bad;
		s->removed[s->nremoved].set = xstrdup(a);
		s->removed[s->nremoved].sequence = n;
		s->nremoved++;
		return 0;
	}
bad:
	return error_set(cause, "seal line %zu: bad %s value", lineno,
	    seal_keys[k]);
}

int
seal_parse(const char *text, size_t len, struct seal *s, char **cause)
{
	char	*copy, *line, *next, *sp;
	size_t	 lineno = 1, k, at = 0;
	int	 rc = -1, ended = 0, seen[SEAL_NKEYS];

	memset(s, 0, sizeof *s);
	memset(seen, 0, sizeof seen);
	if (len > SEAL_MAX_TEXT || memchr(text, '\0', len) != NULL)
		return error_set(cause, "seal is not text");
	copy = xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	if (strncmp(copy, "tresor-seal ", 12) != 0) {
		error_set(cause, "not a tresor seal (no 'tresor-seal' line)");
		goto out;
	}
	if (strncmp(copy, "tresor-seal 1\n", 14) != 0) {
		error_set(cause, "seal version '%.*s' is not supported (this "
		    "tresor reads version %d)", (int)strcspn(copy + 12, "\n"),
		    copy + 12, SEAL_VERSION);
		goto out;
	}
	for (line = copy + 14; *line != '\0' && !ended; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) == NULL) {
			error_set(cause, "seal line %zu: no newline", lineno);
			goto out;
		}
		*next++ = '\0';
		sp = strchr(line, ' ');
		if (sp != NULL)
			*sp = '\0';
		for (k = 0; k < SEAL_NKEYS; k++) {
			if (strcmp(line, seal_keys[k]) == 0)
				break;
		}
		if (k == SEAL_NKEYS) {
			error_set(cause, "seal line %zu: unknown line '%.40s'",
			    lineno, line);
			goto out;
		}
		if (k < at || (seen[k] && k != 8)) {
			error_set(cause, "seal line %zu: '%s' out of order or "
			    "repeated", lineno, line);
			goto out;
		}
		at = k;
		seen[k] = 1;
		if (k == SEAL_NKEYS - 1) {
			if (sp != NULL) {
				error_set(cause, "seal line %zu: bad end line",
				    lineno);
				goto out;
			}
			ended = 1;
			break;
		}
		if (sp == NULL) {
			error_set(cause, "seal line %zu: '%s' has no value",
			    lineno, line);
			goto out;
		}
		if (seal_line(s, k, sp + 1, lineno, cause) != 0)
			goto out;
	}
	if (!ended || *next != '\0') {
		error_set(cause, ended ? "seal: text after the end line" :
		    "seal: no end line (cut off)");
		goto out;
	}
	for (k = 0; k < SEAL_NKEYS - 1; k++) {
		if (k == 3 || k == 4 || k == 7 || k == 8)
			continue;
		if (!seen[k]) {
			error_set(cause, "seal: no %s line", seal_keys[k]);
			goto out;
		}
	}
	if (!seen[4]) {
		error_set(cause, "seal: no previous line");
		goto out;
	}
	if (s->purge != !seen[3] || (!s->purge && s->nremoved > 0)) {
		error_set(cause, "seal: %s", s->purge ? "a purge record has no "
		    "manifest line" : "only a purge record has removed lines "
		    "and every set's seal a manifest line");
		goto out;
	}
	if (s->has_previous != (s->sequence > 1)) {
		error_set(cause, "seal: sequence %" PRIu64 " %s a previous "
		    "seal", s->sequence, s->has_previous ? "cannot have" :
		    "must name");
		goto out;
	}
	rc = 0;
out:
	free(copy);
	if (rc != 0)
		seal_clear(s);
	return rc;
}

void
seal_clear(struct seal *s)
{
	size_t	i;

	free(s->set);
	free(s->encrypt_keys);
	free(s->sign_key);
	free(s->previous_sign_key);
	for (i = 0; i < s->nremoved; i++)
		free(s->removed[i].set);
	free(s->removed);
	memset(s, 0, sizeof *s);
}

char *
seal_head_format(const struct seal_head *h)
{
	char	hex[HASH_HEX_LEN + 1];

	hash_to_hex(h->seal, hex);
	return xasprintf("tresor-head 1 %s %" PRIu64 " %s %s", h->target,
	    h->sequence, hex, h->set);
}

int
seal_head_parse(const char *text, struct seal_head *h, char **cause)
{
	char	*copy = xstrdup(text), *f[7], *save = NULL, *p;
	size_t	 n = 0;
	int	 purge, rc = -1;

	memset(h, 0, sizeof *h);
	for (p = strtok_r(copy, " \t\r\n", &save); p != NULL && n < 7;
	    p = strtok_r(NULL, " \t\r\n", &save))
		f[n++] = p;
	if (n != 6 || strcmp(f[0], "tresor-head") != 0 ||
	    strcmp(f[1], "1") != 0 || !seal_target_valid(f[2]) ||
	    seal_u64(f[3], &h->sequence) != 0 || h->sequence == 0 ||
	    strlen(f[4]) != HASH_HEX_LEN || hash_from_hex(f[4], h->seal) != 0 ||
	    !seal_id_valid(f[5], &purge) || strlen(f[5]) >= sizeof h->set) {
		error_set(cause, "not a tresor head (want 'tresor-head 1 "
		    "TARGET SEQUENCE SHA256 SET', as tresor status --head "
		    "prints it)");
		goto out;
	}
	memcpy(h->target, f[2], SEAL_TARGET_LEN + 1);
	snprintf(h->set, sizeof h->set, "%s", f[5]);
	rc = 0;
out:
	free(copy);
	return rc;
}
