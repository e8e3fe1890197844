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
	/* Not NULL: the option must be given; the usage error's text. */
	const char	*required;
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

/* Table entries: plain, with a range, with a second place, required. */
#define CLI_OPT(n, ty, off) \
	{ .name = (n), .type = (ty), .offset = (off) }
#define CLI_OPT_RANGE(n, ty, off, lo, hi) \
	{ .name = (n), .type = (ty), .offset = (off), .min = (lo), .max = (hi) }
#define CLI_OPT_PAIR(n, ty, off, second) \
	{ .name = (n), .type = (ty), .offset = (off), .flag = (second) }
#define CLI_OPT_REQUIRED(n, ty, off, message) \
	{ .name = (n), .type = (ty), .offset = (off), .required = (message) }
#define CLI_OPTS_END	{ .name = NULL, .type = CLI_END }

/* --verbose, --quiet, --help; every verb takes them. */
#define CLI_OUTPUT_OPTS(t, quiet) \
	CLI_OPT("verbose", CLI_VERBOSE, 0), \
	CLI_OPT("quiet", CLI_FLAG, CLI_AT(t, quiet)), \
	CLI_OPT("help", CLI_HELP, 0)
/* The keys (struct crypto_options m). */
#define CLI_KEY_OPTS(t, m) \
	CLI_OPT("encrypt-key", CLI_STRING, CLI_AT(t, m.encrypt_key)), \
	CLI_OPT("key-file", CLI_STRING, CLI_AT(t, m.key_file)), \
	CLI_OPT("passphrase-file", CLI_STRING, CLI_AT(t, m.passphrase_file))
/* How to reach a network target (struct transport_options m). */
#define CLI_POSITIVE_MAX	(2147483647 / 1000)
#define CLI_TRANSPORT_OPTS(t, m) \
	CLI_OPT("ssh-key", CLI_STRING, CLI_AT(t, m.ssh_key)), \
	CLI_OPT("ssh-known-hosts", CLI_STRING, CLI_AT(t, m.ssh_known_hosts)), \
	CLI_OPT("ca-file", CLI_STRING, CLI_AT(t, m.ca_file)), \
	CLI_OPT("insecure-tls", CLI_FLAG, CLI_AT(t, m.insecure_tls)), \
	CLI_OPT_RANGE("connect-timeout", CLI_INT, CLI_AT(t, m.connect_timeout), \
	    1, CLI_POSITIVE_MAX), \
	CLI_OPT_RANGE("timeout", CLI_INT, CLI_AT(t, m.idle_timeout), 1, \
	    CLI_POSITIVE_MAX), \
	CLI_OPT_RANGE("retries", CLI_INT, CLI_AT(t, m.retries), 1, \
	    CLI_POSITIVE_MAX), \
	CLI_S3_OPTS(t, m)
/* s3:// (transports/s3.c): part sizes S3 allows (5 MiB to 5 GiB). */
#define CLI_S3_OPTS(t, m) \
	CLI_OPT("s3-endpoint", CLI_STRING, CLI_AT(t, m.s3_endpoint)), \
	CLI_OPT("s3-region", CLI_STRING, CLI_AT(t, m.s3_region)), \
	CLI_OPT("s3-virtual-hosted", CLI_FLAG, CLI_AT(t, m.s3_virtual_hosted)), \
	CLI_OPT("s3-credentials", CLI_STRING, CLI_AT(t, m.s3_credentials)), \
	CLI_OPT_RANGE("s3-part-size", CLI_INT, CLI_AT(t, m.s3_part_mib), 5, \
	    5120), \
	CLI_OPT_RANGE("s3-parallel", CLI_INT, CLI_AT(t, m.s3_parallel), 1, 64), \
	CLI_OPT_RANGE("s3-object-lock-days", CLI_INT, \
	    CLI_AT(t, m.s3_lock_days), 1, 36500), \
	CLI_OPT("s3-object-lock-mode", CLI_STRING, CLI_AT(t, m.s3_lock_mode))
/*
 * What every verb that needs the keys takes first: output, keys, network;
 * the members quiet, crypto and transport reached through prefix m (empty,
 * or "member." for ones inside another).
 */
#define CLI_KEYED_OPTS(t, m) \
	CLI_OUTPUT_OPTS(t, m quiet), \
	CLI_KEY_OPTS(t, m crypto), \
	CLI_TRANSPORT_OPTS(t, m transport)
/* The target a verb reads (required). */
#define CLI_FROM_OPT(t, url) \
	CLI_OPT_REQUIRED("from", CLI_URL, CLI_AT(t, url), \
	    "--from URL is required")
/* The target lock (struct lock_options m) and the local cache. */
#define CLI_LOCK_OPTS(t, m, cache_dir) \
	CLI_OPT("cache-dir", CLI_STRING, CLI_AT(t, cache_dir)), \
	CLI_OPT("break-lock", CLI_FLAG, CLI_AT(t, m.break_lock)), \
	CLI_OPT("no-lock-takeover", CLI_FLAG, CLI_AT(t, m.no_takeover)), \
	CLI_OPT_RANGE("lock-stale-after", CLI_INTERVAL, CLI_AT(t, m.stale_after), \
	    1, 0)
/* Signing (struct seals_options m): backup and purge. */
#define CLI_SIGN_OPTS(t, m) \
	CLI_OPT("sign-key", CLI_STRING, CLI_AT(t, m.sign_key)), \
	CLI_OPT("sign-pubkey", CLI_STRING, CLI_AT(t, m.sign_pubkey)), \
	CLI_OPT("previous-sign-key", CLI_STRING, CLI_AT(t, m.previous_sign_key))
/* Checking seals (struct seals_options m): the verbs that read sets. */
#define CLI_CHECK_OPTS(t, m) \
	CLI_SIGN_OPTS(t, m), \
	CLI_OPT("head", CLI_STRING, CLI_AT(t, m.head)), \
	CLI_OPT("allow-unsigned", CLI_FLAG, CLI_AT(t, m.allow_unsigned)), \
	CLI_OPT("cache-dir", CLI_STRING, CLI_AT(t, m.cache_dir))
/* A PostgreSQL connection (struct pg_options m). */
#define CLI_PG_OPTS(t, m) \
	CLI_OPT("pg-host", CLI_STRING, CLI_AT(t, m.host)), \
	CLI_OPT("pg-port", CLI_STRING, CLI_AT(t, m.port)), \
	CLI_OPT("pg-user", CLI_STRING, CLI_AT(t, m.user)), \
	CLI_OPT("pg-bindir", CLI_STRING, CLI_AT(t, m.bindir))
/*
 * Which target (required) and set to read: the members of a struct
 * restore_options, reached through prefix m (empty, or "member." for one
 * inside another).
 */
#define CLI_POINT_OPTS(t, m) \
	CLI_FROM_OPT(t, m url), \
	CLI_OPT_PAIR("time", CLI_TIME, CLI_AT(t, m time), CLI_AT(t, m has_time)), \
	CLI_OPT("set", CLI_STRING, CLI_AT(t, m set))

#endif
