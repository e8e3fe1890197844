/*
 * recover.h: the appliance's disaster recovery (recover-from-backup): a
 * new, empty machine gets its document vault, its database dump file and
 * its database back from one set, in one run.
 *
 * Everything that can be checked is checked before anything is touched:
 * the confirmation, that the vault and dump directories exist and are
 * empty, that the database does not exist and could be created (server,
 * pg_restore, privileges, owner, locale), that the target has a set to
 * recover from and the key decrypts it, and that the set holds one
 * database dump and one vault. Then, from the chosen set: the vault (the
 * set's one directory source besides the dump, whatever its stored name)
 * into the vault directory, the dump (its stored path from the manifest)
 * into the dump directory, and the database through restoredb_run. The
 * steps share one connection to the target and one key import.
 */
#ifndef TRESOR_RECOVER_H
#define TRESOR_RECOVER_H

#include <stdint.h>
#include <time.h>

#include "restore.h"
#include "restoredb.h"

/* The appliance's layout (its manual, "Desaster Recovery from backup"). */
#define RECOVER_VAULT_DIR	"/data/ecs-storage-vault"
#define RECOVER_DUMP_DIR	"/data/ecs-pgdump"
#define RECOVER_DATABASE	"ecs"
#define RECOVER_LOCALE		"de_DE.utf8"
#define RECOVER_OWNER		"app"

/* A set recover can restore from (complete, and its chain has a full). */
struct recover_set {
	const char	*id;
	time_t		 time;
	int		 full;
	uint64_t	 bytes;		/* stored bytes of the set's objects */
};

/*
 * Ask which set: sets[0] is the newest (the default), n >= 1. 0 with *pick
 * set to an index, or -1 with *cause set (no answer: nothing is touched).
 */
typedef int (*recover_choose_fn)(void *arg, const char *where,
    const struct recover_set *sets, size_t n, size_t *pick, char **cause);

struct recover_options {
	/* url, transport, crypto, set or time, quiet; the rest is ours. */
	struct restore_options	 r;
	/* pg, dbname, locale, owner; NULL names get the defaults above. */
	struct restoredb_options db;
	const char		*vault_dir;	/* NULL: RECOVER_VAULT_DIR */
	const char		*dump_dir;	/* NULL: RECOVER_DUMP_DIR */
	int			 yes;		/* --yes-i-am-sure */
	int			 only_restore;	/* vault and dump, no database */
	/*
	 * Without r.set or r.has_time: called to choose a set, if not NULL
	 * (the CLI asks on a terminal); NULL takes the newest.
	 */
	recover_choose_fn	 choose;
	void			*choose_arg;
};

/* An exit code; one line in *cause saying what failed and what was left. */
int	recover_run(const struct recover_options *, char **cause);

/* Bytes for people: "812 B", "3.4 KiB", "1.2 GiB" (out: 16 bytes). */
void	recover_format_bytes(uint64_t, char out[16]);

#endif
