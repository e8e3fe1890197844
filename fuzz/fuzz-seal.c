/*
 * fuzz-seal.c: a seal's signed text and the head line (format/seal.c), the
 * text an attacker with write access to the target or the cache controls
 * until its signature has been checked (and the head line always: the
 * cache and `--head` are not signed). Input: the first byte picks the
 * reader (even: seal_parse, odd: seal_head_parse), the rest is the text.
 *
 * Properties: a refusal always has a cause; a parsed seal prints as a text
 * that parses back to the same fields and prints the same again; a parsed
 * head does the same.
 */
#include <stdlib.h>
#include <string.h>

#include "format/seal.h"
#include "fuzz.h"

static int
same_seal(const struct seal *a, const struct seal *b)
{
	size_t	i;

	if (strcmp(a->target, b->target) != 0 || a->sequence != b->sequence ||
	    strcmp(a->set, b->set) != 0 || a->purge != b->purge ||
	    a->has_previous != b->has_previous ||
	    (a->has_previous && memcmp(a->previous, b->previous,
	    HASH_LEN) != 0) ||
	    strcmp(a->encrypt_keys, b->encrypt_keys) != 0 ||
	    strcmp(a->sign_key, b->sign_key) != 0 ||
	    (a->previous_sign_key == NULL) != (b->previous_sign_key == NULL) ||
	    (a->previous_sign_key != NULL && strcmp(a->previous_sign_key,
	    b->previous_sign_key) != 0) || a->nremoved != b->nremoved)
		return 0;
	if (!a->purge && (a->manifest_size != b->manifest_size ||
	    memcmp(a->manifest, b->manifest, HASH_LEN) != 0))
		return 0;
	for (i = 0; i < a->nremoved; i++) {
		if (strcmp(a->removed[i].set, b->removed[i].set) != 0 ||
		    a->removed[i].sequence != b->removed[i].sequence ||
		    memcmp(a->removed[i].seal, b->removed[i].seal,
		    HASH_LEN) != 0)
			return 0;
	}
	return 1;
}

static void
check_seal(const uint8_t *data, size_t size)
{
	struct seal	 s, back;
	char		*cause = NULL, *text = NULL, *again = NULL;

	memset(&s, 0, sizeof s);
	memset(&back, 0, sizeof back);
	if (seal_parse((const char *)data, size, &s, &cause) != 0) {
		if (cause == NULL)
			abort();
		goto out;
	}
	text = seal_format(&s);
	if (seal_parse(text, strlen(text), &back, &cause) != 0 ||
	    !same_seal(&s, &back))
		abort();
	again = seal_format(&back);
	if (strcmp(text, again) != 0)
		abort();
	seal_clear(&back);
out:
	seal_clear(&s);
	free(cause);
	free(text);
	free(again);
}

static void
check_head(const uint8_t *data, size_t size)
{
	struct seal_head	 h, back;
	char			*in = fuzz_string(data, size), *cause = NULL;
	char			*text = NULL, *again = NULL;

	if (seal_head_parse(in, &h, &cause) != 0) {
		if (cause == NULL)
			abort();
		goto out;
	}
	text = seal_head_format(&h);
	if (seal_head_parse(text, &back, &cause) != 0 ||
	    strcmp(h.target, back.target) != 0 ||
	    h.sequence != back.sequence ||
	    memcmp(h.seal, back.seal, HASH_LEN) != 0 ||
	    strcmp(h.set, back.set) != 0)
		abort();
	again = seal_head_format(&back);
	if (strcmp(text, again) != 0)
		abort();
out:
	free(in);
	free(cause);
	free(text);
	free(again);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2 == 0)
		check_seal(data + 1, size - 1);
	else
		check_head(data + 1, size - 1);
	return 0;
}
