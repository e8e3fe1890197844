/*
 * cli.h: the tresor command. One file per verb (cmd-<verb>.c), each
 * exporting one struct cmd with a table of its options (options.h);
 * tresor.c dispatches.
 */
#ifndef TRESOR_CLI_H
#define TRESOR_CLI_H

#include <stdint.h>

#include "backup/backup.h"
#include "transports/transport.h"
#include "format/filter/crypto.h"
#include "restore/restore.h"

#include "cli/options.h"

/*
 * A verb: its help, its options (a table into a struct of `size` bytes,
 * zeroed, then given its defaults), how many operands it takes, and what
 * it runs. cli_exec does the rest, the same way for every verb.
 */
struct cmd {
	const char		*name;
	const char		*summary;
	const char		*usage;		/* full --help text */
	const struct cli_opt	*opts;
	size_t			 size;
	int			 min_operands;
	int			 max_operands;	/* -1: any number */
	const char		*operands;	/* for a wrong count: "one PATH
						   and one DEST"; NULL: none */
	/* Where the operands go: a char ** and a size_t in the struct. */
	size_t			 operands_at;
	size_t			 noperands_at;
	void			 (*defaults)(void *);		/* may be NULL */
	/* Run; an exit code, *cause set on failure. */
	int			 (*run)(void *, char **cause);
};

/* Parse argv for cmd, run it, report: the exit code. */
int	cli_exec(const struct cmd *, int argc, char **argv);

extern const struct cmd cmd_backup;
extern const struct cmd cmd_restore;
extern const struct cmd cmd_status;
extern const struct cmd cmd_verify;
extern const struct cmd cmd_purge;
extern const struct cmd cmd_cleanup;
extern const struct cmd cmd_fetch;
extern const struct cmd cmd_restore_db;
extern const struct cmd cmd_ls;
extern const struct cmd cmd_recover;

#define CLI_KEY_HELP \
	"  --encrypt-key FPR       OpenPGP key (fingerprint or ID) in the keyring\n" \
	"  --key-file KEY.asc      armored key file (public to back up, secret to\n" \
	"                          restore); imported into a private GnuPG home\n" \
	"  --passphrase-file FILE  symmetric passphrase, or the secret key's\n" \
	"                          passphrase (first line of FILE)\n" \
	"  --verbose, --quiet      more or less output\n" \
	"  --help                  this text\n"

/* Print "tresor: <cause>" and the usage hint; returns EXIT_USAGE. */
int	cli_usage_error(const struct cmd *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print a failure (one line) and return its exit code. */
int	cli_finish(int rc, char *cause);
/* An interval option ("2M"); prints the usage error itself. */
int	cli_interval(const struct cmd *, const char *option, const char *,
	    int64_t *);
/* The cache directory: TRESOR_CACHE_DIR, else /var/cache/tresor. */
const char *cli_default_cache_dir(void);

#define CLI_PG_HELP \
	"  --pg-host HOST          server host or socket directory (PGHOST)\n" \
	"  --pg-port PORT          server port (PGPORT, default 5432)\n" \
	"  --pg-user USER          user name (PGUSER); the password only from\n" \
	"                          PGPASSWORD or ~/.pgpass, never an option\n" \
	"  --pg-bindir DIR         where pg_dump and pg_restore are (default: PATH)\n"
#define CLI_POINT_HELP \
	"  --from URL              the target the backup was written to\n" \
	"  --time T                the newest set at or before T (2M, 2026-11-01,\n" \
	"                          2026-11-01T00:30:00Z, ...; default: newest)\n" \
	"  --set ID                a set id instead (see tresor status)\n"
#define CLI_TRANSPORT_HELP \
	"Network targets (sftp://, scp://, ftp[s]://, webdav[s]://, smb://, s3://):\n" \
	"  --ssh-key FILE          private key for sftp/scp (default\n" \
	"                          ~/.ssh/id_ed25519, then ~/.ssh/id_rsa)\n" \
	"  --ssh-known-hosts FILE  host keys to trust (default ~/.ssh/known_hosts);\n" \
	"                          an unknown host key is refused\n" \
	"  --ca-file FILE          CA certificate(s) for ftps, webdavs and s3\n" \
	"                          (default: the system's)\n" \
	"  --insecure-tls          ftps/webdavs without certificate verification\n" \
	"  --connect-timeout SEC   give up connecting after SEC (default 30)\n" \
	"  --timeout SEC           give up after SEC without progress (default 120)\n" \
	"  --retries N             tries of a transient failure, with growing\n" \
	"                          pauses (default 5); password from the URL or\n" \
	"                          $FTP_PASSWORD, never an option\n" \
	"S3 (s3://bucket/prefix; keys from AWS_ACCESS_KEY_ID and\n" \
	"AWS_SECRET_ACCESS_KEY, else ~/.aws/credentials [$AWS_PROFILE]):\n" \
	"  --s3-endpoint URL       http[s]://host[:port] (default AWS's)\n" \
	"  --s3-region NAME        signing region (default us-east-1)\n" \
	"  --s3-virtual-hosted     bucket.host/key instead of host/bucket/key\n" \
	"  --s3-credentials FILE   a credentials file (mode 600) instead\n" \
	"  --s3-part-size MIB      multipart part size, 5 to 5120 (default 8)\n" \
	"  --s3-parallel N         parts uploaded at once (default 4)\n" \
	"  --s3-object-lock-days N retention of each object written (object\n" \
	"                          lock); --s3-object-lock-mode COMPLIANCE\n" \
	"                          (default) or GOVERNANCE\n"
/* Every URL form (transports/url.h has the parsing rule). */
#define CLI_URL_HELP \
	"Target URLs:\n" \
	"  file:///srv/backup      a local directory, which must exist\n" \
	"                          (file://dir is relative to the current one)\n" \
	"  sftp://user[:password]@host[:port]/path\n" \
	"                          SSH (SFTP); /path is relative to the login\n" \
	"                          directory, //path absolute: sftp://u@h//srv/b\n" \
	"  scp://user[:password]@host[:port]/path\n" \
	"                          the same server and login as sftp://\n" \
	"  ftp://user[:password]@host[:port]/path\n" \
	"                          FTP, passive; /path and //path as for sftp\n" \
	"  ftps://user[:password]@host[:port]/path\n" \
	"                          FTP with explicit TLS, certificate verified\n" \
	"  webdav://user[:password]@host[:port]/path\n" \
	"                          WebDAV over http, basic or digest login;\n" \
	"                          /path is the server's path\n" \
	"  webdavs://user[:password]@host[:port]/path\n" \
	"                          the same over https, certificate verified\n" \
	"  smb://[domain;]user[:password]@host[:port]/share/path\n" \
	"                          a Windows or Samba share (SMB2/3), no mount\n" \
	"  s3://bucket/prefix      S3 (Ceph RGW, AWS, ...): see --s3-endpoint\n" \
	"  The password comes from the URL, else from $FTP_PASSWORD (for sftp,\n" \
	"  scp, webdav and smb too); it is never an option, and never printed\n" \
	"  or stored.\n" \
	"  Prefer $FTP_PASSWORD: a URL on the command line is visible to other\n" \
	"  users until tresor starts and masks it. User, password and path may\n" \
	"  be %-escaped (%40 for @, %3A for :, %2F for /); the user and\n" \
	"  password end at the last '@', so an '@' in the path must be %40.\n"
/*
 * A target URL argument: an allocated copy to use, which the verb frees,
 * while the password it may hold is overwritten in argv, so ps and /proc
 * show no password once tresor runs.
 */
char	*cli_target_url(char *);

/* The target lock (backup, purge, cleanup); see repo/lock.h. */
#define CLI_LOCK_HELP \
	"  --cache-dir DIR         local cache (default $TRESOR_CACHE_DIR or\n" \
	"                          /var/cache/tresor)\n" \
	"A run that died leaves its lock on the target. This host's lock whose\n" \
	"process is gone is taken over with a warning; so is another host's\n" \
	"lock once older than --lock-stale-after.\n" \
	"  --lock-stale-after T    another host's lock is stale after T\n" \
	"                          (default 1D)\n" \
	"  --no-lock-takeover      report another host's stale lock, do not\n" \
	"                          take it over\n" \
	"  --break-lock            remove any lock on the target first (only\n" \
	"                          when you know its holder is gone)\n"
/* Signing (backup, purge) and checking (verify, restore, fetch, ...). */
#define CLI_SIGN_HELP \
	"Authenticity (docs/SECURITY.md):\n" \
	"  --sign-key FILE         the signing key pair (no passphrase), kept on\n" \
	"                          the backup host for this alone: every set gets\n" \
	"                          a seal, tresor.<SET>.seal.asc, signed with it\n" \
	"  --previous-sign-key FILE  the old signing key's public part, once,\n" \
	"                          when the signing key was changed\n" \
	"  --sign-pubkey FILE      more trusted signing keys (public)\n"
#define CLI_CHECK_HELP \
	"Authenticity (docs/SECURITY.md): every set's seal is checked against\n" \
	"the trusted signing keys and the chain against the newest head seen.\n" \
	"  --sign-pubkey FILE      the signing key's public part (also learnt by\n" \
	"                          the cache of the host that made the backups)\n" \
	"  --sign-key FILE         the signing key pair, trusted as well\n" \
	"  --previous-sign-key FILE  an older signing key (before a rotation)\n" \
	"  --head FILE|LINE        a head kept elsewhere (tresor status --head)\n" \
	"  --allow-unsigned        read sets without a seal (format 1), warning\n" \
	"  --cache-dir DIR         where the head is kept (default\n" \
	"                          $TRESOR_CACHE_DIR or /var/cache/tresor)\n"

#endif
