/*
 * options.h: one table-driven option parser for every verb.
 *
 * A verb describes its options as a table of struct cli_opt: a long name,
 * a type saying how the argument is checked and converted, and where the
 * value goes in the verb's options struct (an offsetof). The groups every
 * verb of a kind shares (keys, transport, lock, PostgreSQL, which set) are
 * macros over the same struct members, so an option is spelt, checked and
 * worded once, whichever verb takes it.
 */
#ifndef TRESOR_CLI_OPTIONS_H
#define TRESOR_CLI_OPTIONS_H

#include <stddef.h>

struct cmd;

enum cli_type {
	CLI_END,	/* ends a table */
	CLI_FLAG,	/* no argument: int set to 1 */
	CLI_STRING,	/* const char *: the argument */
	CLI_URL,	/* const char *: a copy; the password masked in argv */
	CLI_INTERVAL,	/* int64_t seconds ("2M", "1D"), at least min */
	CLI_TIME,	/* time_t (an interval ago, a date or a time), and
			   int at `flag` set to 1 */
	CLI_INT,	/* int from min to max */
	CLI_MIB,	/* uint64_t bytes, given in MiB from min to max */
	CLI_BYTES,	/* uint64_t bytes, with K, M or G */
	CLI_LIST,	/* char *[]: appended (repeatable); size_t at `flag`
			   counts them */
	CLI_VERBOSE,	/* no argument: more log output */
	CLI_HELP,	/* no argument: print the verb's usage, exit 0 */
};

struct cli_opt {
	const char	*name;
	enum cli_type	 type;
	size_t		 offset;	/* where the value goes */
	size_t		 flag;		/* CLI_TIME, CLI_LIST: see above */
	long		 min;
	long		 max;
};

#define CLI_AT(type, member)	offsetof(type, member)

/* What a parse leaves: operands and the copies it made. */
struct cli_parsed {
	char	**operands;	/* argv's, after the options */
	int	  noperands;
	char	**owned;	/* URL copies and lists, freed together */
	size_t	  nowned;
};

/*
 * Parse argv (argv[0] is the verb) into the struct at out, per the table.
 * 0, or the exit code of a usage error (already printed). Always free
 * `parsed` afterwards.
 */
int	cli_parse(const struct cmd *, const struct cli_opt *, int argc,
	    char **argv, void *out, struct cli_parsed *parsed);
void	cli_parsed_free(struct cli_parsed *);

/* --verbose, --quiet, --help; every verb takes them. */
#define CLI_OUTPUT_OPTS(t, quiet) \
	{ "verbose", CLI_VERBOSE, 0, 0, 0, 0 }, \
	{ "quiet", CLI_FLAG, CLI_AT(t, quiet), 0, 0, 0 }, \
	{ "help", CLI_HELP, 0, 0, 0, 0 }
/* The keys (struct crypto_options m). */
#define CLI_KEY_OPTS(t, m) \
	{ "encrypt-key", CLI_STRING, CLI_AT(t, m.encrypt_key), 0, 0, 0 }, \
	{ "key-file", CLI_STRING, CLI_AT(t, m.key_file), 0, 0, 0 }, \
	{ "passphrase-file", CLI_STRING, CLI_AT(t, m.passphrase_file), 0, 0, 0 }
/* How to reach a network target (struct transport_options m). */
#define CLI_TRANSPORT_OPTS(t, m) \
	{ "ssh-key", CLI_STRING, CLI_AT(t, m.ssh_key), 0, 0, 0 }, \
	{ "ssh-known-hosts", CLI_STRING, CLI_AT(t, m.ssh_known_hosts), 0, 0, 0 }, \
	{ "ca-file", CLI_STRING, CLI_AT(t, m.ca_file), 0, 0, 0 }, \
	{ "insecure-tls", CLI_FLAG, CLI_AT(t, m.insecure_tls), 0, 0, 0 }, \
	{ "connect-timeout", CLI_INT, CLI_AT(t, m.connect_timeout), 0, 1, \
	    CLI_POSITIVE_MAX }, \
	{ "timeout", CLI_INT, CLI_AT(t, m.idle_timeout), 0, 1, \
	    CLI_POSITIVE_MAX }, \
	{ "retries", CLI_INT, CLI_AT(t, m.retries), 0, 1, CLI_POSITIVE_MAX }
#define CLI_POSITIVE_MAX	(2147483647 / 1000)
/* The target lock (struct lock_options m) and the local cache. */
#define CLI_LOCK_OPTS(t, m, cache_dir) \
	{ "cache-dir", CLI_STRING, CLI_AT(t, cache_dir), 0, 0, 0 }, \
	{ "break-lock", CLI_FLAG, CLI_AT(t, m.break_lock), 0, 0, 0 }, \
	{ "no-lock-takeover", CLI_FLAG, CLI_AT(t, m.no_takeover), 0, 0, 0 }, \
	{ "lock-stale-after", CLI_INTERVAL, CLI_AT(t, m.stale_after), 0, 1, 0 }
/* A PostgreSQL connection (struct pg_options m). */
#define CLI_PG_OPTS(t, m) \
	{ "pg-host", CLI_STRING, CLI_AT(t, m.host), 0, 0, 0 }, \
	{ "pg-port", CLI_STRING, CLI_AT(t, m.port), 0, 0, 0 }, \
	{ "pg-user", CLI_STRING, CLI_AT(t, m.user), 0, 0, 0 }, \
	{ "pg-bindir", CLI_STRING, CLI_AT(t, m.bindir), 0, 0, 0 }
/*
 * Which target and set to read: the members of a struct restore_options,
 * reached through prefix m (empty, or "member." for one inside another).
 */
#define CLI_POINT_OPTS(t, m) \
	{ "from", CLI_URL, CLI_AT(t, m url), 0, 0, 0 }, \
	{ "time", CLI_TIME, CLI_AT(t, m time), CLI_AT(t, m has_time), 0, 0 }, \
	{ "set", CLI_STRING, CLI_AT(t, m set), 0, 0, 0 }
#define CLI_OPTS_END	{ NULL, CLI_END, 0, 0, 0, 0 }

#endif
