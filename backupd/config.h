/*
 * config.h: backupd's configuration, the appliance's env.yml read with
 * libyaml. Everything tresor uses lives under `appliance: backup:`:
 *
 *   appliance:
 *     backup:
 *       url: sftp://backup@host//srv/backup   # default: the appliance's
 *                                  # test target file:///volatile/ecs-backup-test/
 *       options: "--volsize 100 --full-if-older-than 2M"   # duplicity's
 *       mount: {type: cifs, source: //h/share, target: /mnt/x, options: ...}
 *       encrypt: |                 # ASCII-armoured key: public, or the
 *         -----BEGIN PGP ...       # appliance's pair (only the public
 *                                  # part is used to back up)
 *       schedule: "*-*-* 00:30:00" # calendar expression (calendar.h)
 *       full_every: 2M             # time specs (common/timespec.h)
 *       keep: 4M
 *       sources: [/data/ecs-storage-vault]
 *       database: {name: ecs, host: ..., port: ..., user: ...}  # or: none
 *       metrics: /app/etc/metric_import/backup.prom
 *       on_failure: "command"      # run with the failure line in
 *                                  # $TRESOR_FAILURE
 *       sign: |                    # the key pair that signs the seals
 *         -----BEGIN PGP ...       # (default: one backupd makes in
 *                                  # state_dir/keyring/sign.asc)
 *       cache_dir: /var/cache/tresor
 *       state_dir: /var/lib/tresor # the daemon's state and keyring
 *       deadline: "06:30"          # warn if a job still runs then
 *       read_data_every: 7D        # verify --read-data this often
 *       cache_min_free: 64         # MiB free for the cache beyond its size
 *       ca_file: /etc/tresor/ca.pem   # CA for https targets (ftps, webdavs, s3)
 *       s3:                        # for an s3://bucket/prefix url
 *         endpoint: https://rgw.example:7480
 *         region: us-east-1
 *         virtual_hosted: false
 *         credentials: /etc/tresor/s3.credentials  # AWS format, mode 600
 *         part_size: 8             # MiB
 *         parallel: 4
 *         object_lock_days: 30     # and object_lock_mode: COMPLIANCE
 *
 * The file is found as the appliance found it: --config, else $ENV_YML,
 * else /app/env.yml, else /run/active-env.yml. Every error is one line
 * naming the file and the key ("env.yml: appliance.backup.keep: ...").
 */
#ifndef TRESOR_BACKUPD_CONFIG_H
#define TRESOR_BACKUPD_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_DEFAULT_URL	"file:///volatile/ecs-backup-test/"
#define CONFIG_DEFAULT_SCHEDULE	"*-*-* 00:30:00"
#define CONFIG_DEFAULT_SOURCE	"/data/ecs-storage-vault"
#define CONFIG_DEFAULT_DATABASE	"ecs"
#define CONFIG_DEFAULT_METRICS	"/app/etc/metric_import/backup.prom"
#define CONFIG_DEFAULT_CACHE	"/var/cache/tresor"
#define CONFIG_DEFAULT_STATE	"/var/lib/tresor"
#define CONFIG_DEFAULT_DEADLINE	"06:30"
#define CONFIG_DEFAULT_FULL	(60LL * 86400)	/* 2M */
#define CONFIG_DEFAULT_KEEP	(120LL * 86400)	/* 4M */
#define CONFIG_DEFAULT_READ_DATA (7LL * 86400)	/* 1W */
#define CONFIG_DEFAULT_CACHE_MIN_FREE (64ULL * 1024 * 1024)

/* The cifs mount the appliance made around a run (type NULL: none). */
struct config_mount {
	char	*type;
	char	*source;
	char	*target;
	char	*options;	/* may hold a password: never printed */
};

struct config_database {
	char	*name;		/* NULL: no database ("database: none") */
	char	*host;		/* NULL: libpq's default (PGHOST) */
	char	*port;
	char	*user;
};

/* An s3:// target's settings (strings as given; NULL: the default). */
struct config_s3 {
	char	*endpoint;
	char	*region;
	char	*credentials;	/* a file, mode 600 (checked) */
	char	*lock_mode;
	int	 virtual_hosted;
	int	 part_mib;
	int	 parallel;
	int	 lock_days;
};

struct config {
	char			*path;		/* the file read */
	char			*url;		/* may hold a password */
	int			 url_is_default;	/* no url: the local test
						   target, warn */
	char			*encrypt;	/* the armoured key text */
	int			 encrypt_secret; /* 1: a secret key (pair) */
	char			*encrypt_fpr;	/* primary key's fingerprint */
	char			*schedule;
	int64_t			 full_every;	/* seconds */
	int64_t			 keep;		/* seconds */
	int64_t			 read_data_every; /* seconds; 0: never */
	char			**sources;
	size_t			 nsources;
	struct config_database	 database;
	struct config_mount	 mount;
	char			*metrics;	/* textfile path */
	char			*on_failure;	/* NULL: none */
	char			*sign;		/* the seals' signing key pair;
						   NULL: backupd makes one */
	char			*sign_fpr;
	char			*cache_dir;
	char			*state_dir;
	uint64_t		 cache_min_free;	/* bytes free beyond the
						   cache's own size */
	int			 deadline_minutes;	/* minutes after local
						   midnight; -1: none */
	char			*ca_file;	/* NULL: the system's CAs */
	struct config_s3	 s3;
	/* From `options` (duplicity's): */
	uint64_t		 volsize;	/* bytes; 0: tresor's default */
	int			 one_file_system; /* --exclude-other-filesystems */
};

/*
 * The file to read: explicit (--config), else $ENV_YML, else the first of
 * /app/env.yml and /run/active-env.yml that exists. NULL with *cause set
 * if none is found. Allocated.
 */
char	*config_find(const char *explicit_path, char **cause);
/* Read and check path; NULL with *cause set (one line: file and key). */
struct config *config_load(const char *path, char **cause);
/* The same from a buffer (name is used in messages); for tests/fuzzing. */
struct config *config_parse(const char *name, const char *text, size_t len,
	    char **cause);
void	config_free(struct config *);
/* The transport options the configuration gives (borrowing its strings). */
struct transport_options;
void	config_transport(const struct config *, struct transport_options *);
/*
 * The effective configuration as YAML-like text, every secret masked
 * (the URL's password, mount options' pass=, the key itself: only its
 * kind and fingerprint). Allocated.
 */
char	*config_describe(const struct config *);

#endif
