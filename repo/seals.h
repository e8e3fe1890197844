/*
 * seals.h: the seals of a target (docs/FORMAT.md, "Seals"): one signed
 * object per set, tresor.<SETID>.seal.asc, published after its manifest,
 * and one per purge that removed sealed sets, tresor.<TIME>.purge.seal.asc.
 * Each names the SHA-256 of the previous seal, so a target has one hash
 * chain; the local cache keeps its newest head (cache dir, file "head")
 * and the public signing keys it trusts ("signkeys.asc").
 *
 * Writers (backup, purge) check the target's newest seal against the cache
 * head and publish the next seal. Readers (verify, restore, fetch,
 * restore-db, recover) load every seal, check signatures and the chain
 * against the head, then read a manifest only if its object matches its
 * seal. Every failure is one line saying which attack it looks like.
 */
#ifndef TRESOR_SEALS_H
#define TRESOR_SEALS_H

#include <stdint.h>

#include "common/hash.h"
#include "format/filter/crypto.h"
#include "format/manifest.h"
#include "format/seal.h"

struct transport;
struct catalog;
struct cache;
struct signer;
struct name_list;

/* What the verbs' options say about authentication (all may be NULL). */
struct seals_options {
	const char	*sign_key;		/* key pair: signs (writers) */
	const char	*sign_pubkey;		/* trusted public key(s) */
	const char	*previous_sign_key;	/* trusted too: rotation */
	const char	*head;			/* --head FILE|STRING */
	int		 allow_unsigned;	/* read sets without a seal */
	const char	*cache_dir;		/* readers: the cache's root */
	/* backupd's configured key, in memory, instead of sign_key. */
	const char	*sign_key_data;
	size_t		 sign_key_len;
};

struct seals;

/*
 * Readers: load and check every seal of the target whose objects are
 * `names` (a listing) and whose catalog is `cat`; the cache (may be NULL)
 * gives the head and trusted keys, and learns the newer head. `verb` words
 * the messages. NULL with *cause on any attack or failure.
 */
struct seals	*seals_open(struct transport *, const struct catalog *,
		     const struct seals_options *, const char *cache_dir,
		     char **cause);
void		 seals_free(struct seals *);
/*
 * The cache had no head and learnt the target's: say so (a warning), once
 * the run succeeded, so that a failure stays one line.
 */
void		 seals_say_learned(struct seals *);
/* How many seals were checked. */
size_t		 seals_count(const struct seals *);

/*
 * Is set_id's manifest object on the target the one its seal names? 0 if
 * so (or if the set has no seal and unsigned sets are allowed: then with a
 * warning, once per set); -1 with *cause otherwise.
 */
int		 seals_check_manifest(struct seals *, struct transport *,
		     const char *set_id, char **cause);
/*
 * Read a manifest as manifest_read does, after seals_check_manifest, with
 * the stored bytes held to the seal's size and SHA-256 while they are read.
 */
int		 seals_read_manifest(struct seals *, struct transport *,
		     struct crypto *, const char *set_id,
		     const struct manifest_visitor *, void *,
		     struct manifest_summary *, char **cause);

/*
 * Writers. seals_writer_new reads the signing key and imports it in a
 * thread of its own (its gpg-agent starts meanwhile); seals_writer_check,
 * before any work that would be published, waits for it and checks the
 * target's newest seal (its signature, and against the cache's head).
 * Then seals_publish_set (after a manifest) or seals_publish_purge
 * (before removing sets) appends the next seal and moves the cache head.
 * The options must outlive the writer.
 */
struct seals_writer;
struct seals_writer *seals_writer_new(const struct seals_options *,
		     char **cause);
int		 seals_writer_check(struct seals_writer *, struct transport *,
		     struct cache *, char **cause);
void		 seals_writer_free(struct seals_writer *);
/*
 * After seals_writer_check, once nothing before the set's seal would
 * publish one: what the cache will keep of the trusted keys, when it
 * changes, is read from gpg in a thread while the backup stores its data
 * (the seal itself then waits for it), so that only the signature is left
 * after the manifest. Optional: without it the seal reads them itself.
 */
void		 seals_writer_prepare(struct seals_writer *);
/*
 * After seals_writer_check: what the newest seal is of ("<SET>", or
 * "<TIME>.purge" for a purge record), or NULL if the target has none.
 */
const char	*seals_writer_newest(const struct seals_writer *);
int		 seals_publish_set(struct seals_writer *, const char *set_id,
		     uint64_t manifest_size, const uint8_t manifest[HASH_LEN],
		     const char *encrypt_keys, char **cause);
/*
 * A purge record for the sets about to be removed (those with seals are
 * listed; `names` is the target's listing). Nothing is published if none
 * of them has a seal. `now` names the record.
 */
int		 seals_publish_purge(struct seals_writer *,
		     const struct name_list *, char *const *set_ids, size_t n,
		     time_t now, const char *encrypt_keys, char **cause);

/* `tresor status --head`: the cache's head line, or NULL with *cause. */
char		*seals_cache_head(const char *cache_dir, const char *url,
		     char **cause);

#endif
