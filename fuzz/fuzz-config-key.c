/*
 * fuzz-config-key.c: crypto_inspect_key for fuzz-config, without gpg (see
 * fuzz-config.c for why). The real one lists the key block with gpg and
 * answers whether it is secret and its fingerprints; this one answers from
 * the armour header line alone, so that the parser's paths after the key
 * check (the description of a configuration with a key) are reached.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"

int
crypto_inspect_key(const char *armor, size_t len, int *secret, char **fpr,
    char **cause)
{
	static const char	pub[] = "-----BEGIN PGP PUBLIC KEY BLOCK-----";
	static const char	sec[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----";

	if (len >= sizeof pub - 1 && memcmp(armor, pub, sizeof pub - 1) == 0)
		*secret = 0;
	else if (len >= sizeof sec - 1 &&
	    memcmp(armor, sec, sizeof sec - 1) == 0)
		*secret = 1;
	else
		return error_set(cause, "not an OpenPGP key: gpg found no key "
		    "in it");
	*fpr = xstrdup("0123456789ABCDEF0123456789ABCDEF01234567");
	return 0;
}
