/*
 * verify.h: checking a target. Without --read-data every complete set's
 * manifest is decrypted and every volume it lists is read back and its
 * stored size and SHA-256 compared (no volume is decrypted). With
 * --read-data every volume is also decrypted and every file's hash checked,
 * exactly as a restore would, without writing anything.
 */
#ifndef TRESOR_VERIFY_H
#define TRESOR_VERIFY_H

#include <stdint.h>

#include "format/filter/crypto.h"
#include "repo/seals.h"
#include "repo/target.h"

struct verify_options {
	const char		*url;
	struct transport_options transport;	/* how to reach url */
	struct crypto_options	 crypto;
	struct seals_options	 seals;		/* how sets are authenticated */
	const char		*set;		/* NULL: every complete set */
	int			 read_data;
	/* Signatures, the chain and each manifest's hash only: no key. */
	int			 seals_only;
	int			 quiet;
	/*
	 * Not NULL: a set whose manifest this cache holds (the plaintext
	 * copy the backup wrote) is checked against that copy, so the
	 * volumes' sizes and hashes are checked without the secret key.
	 */
	const char		*cache_dir;
};

int	verify_run(const struct verify_options *, char **cause);

/* status: what is on the target, from names alone (no key needed). */
struct status_options {
	const char		*url;
	struct transport_options transport;	/* how to reach url */
	/* --head: print the cache's head line and nothing else. */
	int			 head;
	const char		*cache_dir;
	int			 json;
	int64_t			 older_than;	/* the purge preview's cutoff */
	int			 quiet;		/* accepted; status is output */
};

int	status_run(const struct status_options *, char **cause);

#endif
