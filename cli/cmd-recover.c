/*
 * cmd-recover.c: tresor recover-from-backup, also run as
 * recover-from-backup (a symlink to tresor, see tresor.c).
 *
 * The logic is restore/recover.c's; this file adds the question which set
 * to recover from, asked on the terminal: the sets are listed newest
 * first, Enter takes the newest, a number picks one, anything else asks
 * again, and end of input (Ctrl-D) or a signal stops with nothing touched.
 * Stdin is polled, so a Ctrl-C at the prompt stops at once rather than
 * when a line comes (the signal handlers restart reads).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/xmalloc.h"
#include "backupd/config.h"
#include "restore/recover.h"

/*
 * The verb's options: recover-from-backup's, and the env.yml that names
 * the target, the key and the database when the command line does not
 * (the appliance's way: copy the saved env.yml to /app/env.yml, run
 * recover-from-backup --yes-i-am-sure).
 */
struct cmd_recover_args {
	struct recover_options	 o;
	const char		*config;
	char			*sign_pub;	/* backupd's, from env.yml */
};

#define A struct cmd_recover_args
static const struct cli_opt cmd_recover_opts[] = {
	CLI_KEYED_OPTS(A, o.r.),
	CLI_CHECK_OPTS(A, o.r.seals),
	CLI_OPT("from", CLI_URL, CLI_AT(A, o.r.url)),
	CLI_OPT_PAIR("time", CLI_TIME, CLI_AT(A, o.r.time),
	    CLI_AT(A, o.r.has_time)),
	CLI_OPT("set", CLI_STRING, CLI_AT(A, o.r.set)),
	CLI_PG_OPTS(A, o.db.pg),
	CLI_OPT("config", CLI_STRING, CLI_AT(A, config)),
	CLI_OPT("yes-i-am-sure", CLI_FLAG, CLI_AT(A, o.yes)),
	CLI_OPT("only-restore", CLI_FLAG, CLI_AT(A, o.only_restore)),
	CLI_OPT("vault", CLI_STRING, CLI_AT(A, o.vault_dir)),
	CLI_OPT("dump-dir", CLI_STRING, CLI_AT(A, o.dump_dir)),
	CLI_OPT("database", CLI_STRING, CLI_AT(A, o.db.dbname)),
	CLI_OPT("locale", CLI_STRING, CLI_AT(A, o.db.locale)),
	CLI_OPT("owner", CLI_STRING, CLI_AT(A, o.db.owner)),
	CLI_OPTS_END
};
#undef A

/*
 * One line from the terminal into buf (cut at size - 1 bytes): 1, 0 at
 * the end of input, -1 with *cause set on a signal or an error.
 */
static int
cmd_recover_read_line(char *buf, size_t size, char **cause)
{
	struct pollfd	pfd;
	size_t		n = 0;
	ssize_t		r;
	char		c;

	for (;;) {
		pfd.fd = STDIN_FILENO;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, 250);
		if (interrupt_check(cause) != 0)
			return -1;
		if (r == -1 && errno != EINTR)
			return error_sys(cause, "unable to read the answer");
		if (r <= 0)
			continue;
		if ((r = read(STDIN_FILENO, &c, 1)) == -1) {
			if (errno == EINTR)
				continue;
			return error_sys(cause, "unable to read the answer");
		}
		if (r == 0 && n == 0)
			return 0;
		if (r == 0 || c == '\n')
			break;
		if (n < size - 1)
			buf[n++] = c;
	}
	buf[n] = '\0';
	return 1;
}

static int
cmd_recover_choose(void *arg, const char *where, const struct recover_set *sets,
    size_t n, size_t *pick, char **cause)
{
	char		 when[21], size[16], line[64], *end;
	unsigned long	 k;
	size_t		 i;
	int		 r;

	(void)arg;
	printf("Sets in %s to recover from (newest first):\n", where);
	for (i = 0; i < n; i++) {
		clock_format_iso(sets[i].time, when);
		recover_format_bytes(sets[i].bytes, size);
		printf("  %3zu  %s  %-11s  %10s  %s\n", i + 1, when,
		    sets[i].full ? "full" : "incremental", size, sets[i].id);
	}
	for (;;) {
		printf("Recover from which set? [1-%zu, Enter: 1, the newest] ",
		    n);
		fflush(stdout);
		if ((r = cmd_recover_read_line(line, sizeof line, cause)) == -1)
			return -1;
		if (r == 0) {
			printf("\n");
			return error_set(cause, "no set chosen (end of input): "
			    "nothing was changed");
		}
		line[strcspn(line, " \t\r")] = '\0';
		if (line[0] == '\0') {
			*pick = 0;
			return 0;
		}
		errno = 0;
		k = strtoul(line, &end, 10);
		if (line[0] != '-' && *end == '\0' && errno == 0 && k >= 1 &&
		    k <= n) {
			*pick = k - 1;
			return 0;
		}
		printf("'%s' is not a number from 1 to %zu.\n", line, n);
	}
}

/*
 * What the command line leaves open, from env.yml: the target, the key
 * (the appliance keeps its key pair there), the database and the vault.
 */
static int
cmd_recover_from_config(struct cmd_recover_args *a, struct config **cfgp,
    char **cause)
{
	struct recover_options	*o = &a->o;
	struct config		*cfg;
	char			*path;
	int			 keyed;

	keyed = o->r.crypto.encrypt_key != NULL ||
	    o->r.crypto.key_file != NULL || o->r.crypto.passphrase_file != NULL;
	if (a->config == NULL && o->r.url != NULL && keyed)
		return 0;
	if ((path = config_find(a->config, cause)) == NULL) {
		error_prefix(cause, "no --from URL and key given, and no "
		    "env.yml");
		return -1;
	}
	cfg = config_load(path, cause);
	free(path);
	if (cfg == NULL)
		return -1;
	*cfgp = cfg;
	if (o->r.url == NULL)
		o->r.url = cfg->url;
	if (!keyed) {
		if (!cfg->encrypt_secret)
			return error_set(cause, "%s holds only the public key "
			    "(appliance.backup.encrypt): give the secret key "
			    "with --key-file", cfg->path);
		o->r.crypto.key_data = cfg->encrypt;
		o->r.crypto.key_data_len = strlen(cfg->encrypt);
	}
	/*
	 * The seals' key: env.yml's sign, else the public part backupd left
	 * in its keyring (on the appliance it made the backups on); else
	 * --sign-pubkey, or this host's cache.
	 */
	if (o->r.seals.sign_pubkey == NULL && o->r.seals.sign_key == NULL) {
		if (cfg->sign != NULL) {
			o->r.seals.sign_key_data = cfg->sign;
			o->r.seals.sign_key_len = strlen(cfg->sign);
		} else {
			a->sign_pub = xasprintf("%s/keyring/sign.pub.asc",
			    cfg->state_dir);
			if (access(a->sign_pub, R_OK) == 0)
				o->r.seals.sign_pubkey = a->sign_pub;
		}
	}
	if (o->db.dbname == NULL && cfg->database.name != NULL)
		o->db.dbname = cfg->database.name;
	if (cfg->database.name == NULL && o->db.dbname == NULL)
		o->only_restore = 1;	/* the config backs up no database */
	if (o->db.pg.host == NULL)
		o->db.pg.host = cfg->database.host;
	if (o->db.pg.port == NULL)
		o->db.pg.port = cfg->database.port;
	if (o->db.pg.user == NULL)
		o->db.pg.user = cfg->database.user;
	if (o->vault_dir == NULL && cfg->nsources == 1)
		o->vault_dir = cfg->sources[0];
	return 0;
}

static int
cmd_recover_run(void *arg, char **cause)
{
	struct cmd_recover_args	*a = arg;
	struct recover_options	*o = &a->o;
	struct config		*cfg = NULL;
	int			 rc;

	if (!o->yes)
		return recover_run(o, cause);	/* its refusal comes first */
	if (cmd_recover_from_config(a, &cfg, cause) != 0) {
		config_free(cfg);
		free(a->sign_pub);
		a->sign_pub = NULL;
		return EXIT_USAGE;
	}
	/* Ask only on a terminal, and only when the set is not given. */
	if (o->r.set == NULL && !o->r.has_time && isatty(STDIN_FILENO))
		o->choose = cmd_recover_choose;
	rc = recover_run(o, cause);
	config_free(cfg);
	free(a->sign_pub);
	a->sign_pub = NULL;
	return rc;
}

static void
cmd_recover_seal_defaults(void *arg)
{
	struct cmd_recover_args	*o = arg;

	o->o.r.seals.cache_dir = cli_default_cache_dir();
}

const struct cmd cmd_recover = {
	.name = "recover-from-backup",
	.summary = "disaster recovery: vault, dump file and database",
	.usage =
	"usage: tresor recover-from-backup --yes-i-am-sure [--only-restore]\n"
	"           [--config FILE | --from URL [KEY OPTIONS]] [--time T | --set ID]\n"
	"           [--vault DIR]\n"
	"           [--dump-dir DIR] [--database NAME] [--locale L] [--owner O]\n"
	"           [PG OPTIONS]\n"
	"   or: recover-from-backup ... (tresor run under that name)\n"
	"\n"
	"The appliance's disaster recovery: on a new machine whose vault and\n"
	"dump directories are empty and whose database does not exist, bring\n"
	"all three back from one set. First everything is checked, and any\n"
	"problem stops it with one line before anything is touched: the\n"
	"confirmation, both directories (they must exist and be empty), the\n"
	"database (must not exist; server, pg_restore, CREATEDB, the owner and\n"
	"the locale are checked), the target (at least one complete set) and\n"
	"the key (it must decrypt the set).\n"
	"\n"
	"On a terminal, without --set or --time, the sets are listed (time,\n"
	"full or incremental, stored size) and you choose one (Enter: the\n"
	"newest); otherwise the newest, or the one --set or --time names. Then:\n"
	"the set's vault (its directory source besides the dump, whatever its\n"
	"stored name) into the vault directory, the database dump (its stored\n"
	"path from the set, e.g. ecs-pgdump/ecs.pgdump) into the dump\n"
	"directory, and the database, created from template0 (UTF8, the\n"
	"locale, the owner) and filled by pg_restore as restore-db does. Each\n"
	"step says when it starts and ends, the last line what was done. A\n"
	"failure says what was left (such as a partly filled vault directory).\n"
	"\n"
	"The target, the key, the database and the vault come from the\n"
	"appliance's env.yml (appliance.backup: url, encrypt, database,\n"
	"sources), found as backupd finds it (--config FILE, $ENV_YML,\n"
	"/app/env.yml, /run/active-env.yml), unless --from and a key option\n"
	"are given; an option always wins over the file. The key in env.yml\n"
	"must be the appliance's key pair; a public key alone cannot decrypt,\n"
	"so then give the secret key with --key-file.\n"
	"\n"
	"  --yes-i-am-sure         required: go ahead\n"
	"  --config FILE           the saved env.yml\n"
	"  --from URL              the target (default: env.yml's url)\n"
	"  --only-restore          the vault and the dump file only; no database\n"
	"                          is created (nor checked)\n"
	"  --vault DIR             the vault directory (default\n"
	"                          " RECOVER_VAULT_DIR ")\n"
	"  --dump-dir DIR          where the dump file goes (default\n"
	"                          " RECOVER_DUMP_DIR ")\n"
	"  --database NAME         the database to create (default "
	RECOVER_DATABASE ")\n"
	"  --locale L              its locale (default " RECOVER_LOCALE "; must\n"
	"                          exist on the server's host)\n"
	"  --owner O               its owner, a role that exists (default "
	RECOVER_OWNER ")\n"
	"  --time T                the newest set at or before T (2M, 2026-11-01,\n"
	"                          2026-11-01T00:30:00Z, ...; default: newest)\n"
	"  --set ID                a set id instead (see tresor status)\n"
	CLI_PG_HELP
	CLI_TRANSPORT_HELP
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_recover_opts,
	.size = sizeof (struct cmd_recover_args),
	.run = cmd_recover_run,
	.defaults = cmd_recover_seal_defaults,
};
