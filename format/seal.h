/*
 * seal.h: a seal's text (docs/FORMAT.md, "Seals") and the head line, printed
 * and parsed; no I/O and no cryptography. The text is what the signing key
 * signs (an OpenPGP cleartext signature, format/filter/sign.c); repo/seals.c
 * stores, fetches and chains the signed objects.
 *
 *	tresor-seal 1
 *	target <32 hex digits>		the target's random id
 *	sequence <n>			1, 2, ... per target
 *	set <SETID>			a set's id, or <TIME>.purge
 *	manifest <size> <sha256>	the set's manifest object (not purge)
 *	previous <sha256>|none		the previous seal object
 *	encrypt-keys <fprs>|symmetric	as the manifest's keys=
 *	sign-key <fpr>			the key that signs this seal
 *	previous-sign-key <fpr>		only when that key changed (rotation)
 *	removed <SETID> <n> <sha256>	purge only: a removed set, its seal
 *	end
 */
#ifndef TRESOR_SEAL_H
#define TRESOR_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

#define SEAL_VERSION		1
#define SEAL_TARGET_LEN		32	/* hex digits of the target id */
#define SEAL_MAX_TEXT		(1024 * 1024)

struct seal_removed {
	char		*set;
	uint64_t	 sequence;
	uint8_t		 seal[HASH_LEN];	/* the removed set's seal */
};

struct seal {
	char		 target[SEAL_TARGET_LEN + 1];
	uint64_t	 sequence;
	char		*set;
	int		 purge;		/* a purge record: no manifest */
	uint64_t	 manifest_size;
	uint8_t		 manifest[HASH_LEN];
	int		 has_previous;	/* 0 only for sequence 1 */
	uint8_t		 previous[HASH_LEN];
	char		*encrypt_keys;
	char		*sign_key;
	char		*previous_sign_key;	/* NULL: none */
	struct seal_removed *removed;
	size_t		 nremoved;
};

/* The text to sign (allocated, NUL-terminated). */
char	*seal_format(const struct seal *);
/*
 * Parse a seal's text (the signed part only). -1 with *cause naming the
 * line for anything this version does not know: a later version's seal
 * is refused, never half read.
 */
int	 seal_parse(const char *text, size_t len, struct seal *,
	     char **cause);
void	 seal_clear(struct seal *);
/* Add a removed set to a purge seal (copies set). */
void	 seal_add_removed(struct seal *, const char *set, uint64_t sequence,
	     const uint8_t seal[HASH_LEN]);
/* Is this a target id: 32 lowercase hex digits? */
int	 seal_target_valid(const char *);

/*
 * The head: the newest seal seen, as the cache keeps it and `tresor status
 * --head` prints it, one line:
 *
 *	tresor-head 1 <target> <sequence> <seal sha256> <set>
 */
struct seal_head {
	char		 target[SEAL_TARGET_LEN + 1];
	uint64_t	 sequence;
	uint8_t		 seal[HASH_LEN];
	char		 set[64];
};

char	*seal_head_format(const struct seal_head *);
/* Parse a head line (trailing newline and blanks allowed). */
int	 seal_head_parse(const char *text, struct seal_head *, char **cause);

#endif
