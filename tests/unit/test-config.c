/*
 * test-config.c: backupd's env.yml (backupd/config.c) and the key check it
 * relies on (crypto_inspect_key, format/filter/gpg.c). An appliance-like
 * env.yml, with sections that are not ours, loads with the values it says;
 * a bare one gives the defaults; every kind of mistake is one line naming
 * the file and the key; a secret key is told from a public one by gpg; the
 * description never shows a password or the key, whatever characters they
 * hold; config_find looks where the appliance looked. The keys are made
 * here, in a temporary GnuPG home, and no private home may be left behind.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backupd/config.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "tests/tap.h"
#include "transports/transport.h"

static char	 tmpdir[] = "/tmp/tresor-test-config.XXXXXX";
static char	*pub_key;	/* armoured public key */
static char	*sec_key;	/* armoured key pair */
static char	*key_fpr;

/* A URL password and a mount password with every awkward character. */
#define URL_PASSWORD	"p@ss:w/rd%41;x,y=z q"
#define URL_USER	"DOM;backup"
#define URL_HOST	"host.example.org:2222//srv/backup"
/* ",," is a ',' in a mount option (mount.cifs). */
#define MOUNT_PASSWORD	"m@s:k/%;,,=x y"

static int
run(const char *cmd)
{
	return system(cmd) == 0;
}

static char *
read_text(const char *path)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 len;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = xmalloc((size_t)len + 1);
	if (fread(buf, 1, (size_t)len, f) != (size_t)len)
		len = 0;
	buf[len] = '\0';
	fclose(f);
	return buf;
}

/* text with every line indented by n spaces (a block scalar's body). */
static char *
indent(const char *text, int n)
{
	char		*out, *o;
	const char	*p;
	int		 bol = 1, i;

	out = o = xmalloc(strlen(text) * (size_t)(n + 1) + 1);
	for (p = text; *p != '\0'; p++) {
		if (bol && *p != '\n')
			for (i = 0; i < n; i++)
				*o++ = ' ';
		*o++ = *p;
		bol = *p == '\n';
	}
	*o = '\0';
	return out;
}

/*
 * An env.yml whose `appliance: backup:` holds body (lines indented by four
 * spaces) and, unless body has its own, `encrypt:` with key.
 */
static char *
backup_yml(const char *key, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static char *
backup_yml(const char *key, const char *fmt, ...)
{
	va_list	 ap;
	char	*body, *k = NULL, *out;

	va_start(ap, fmt);
	if (vasprintf(&body, fmt, ap) == -1)
		abort();
	va_end(ap);
	if (key != NULL)
		k = indent(key, 6);
	out = xasprintf("appliance:\n  domain: ecs.example.org\n  backup:\n"
	    "%s%s%s", body, k != NULL ? "    encrypt: |\n" : "",
	    k != NULL ? k : "");
	free(k);
	free(body);
	return out;
}

static struct config *
parse(const char *name, const char *text, char **cause)
{
	return config_parse(name, text, strlen(text), cause);
}

/* The text is refused with one line naming the file, key and why. */
static void
bad(const char *what, const char *text, const char *key, const char *why)
{
	struct config	*c;
	char		*cause = NULL;

	c = parse("bad-env.yml", text, &cause);
	tap_ok(c == NULL && cause != NULL && strchr(cause, '\n') == NULL &&
	    strncmp(cause, "bad-env.yml: ", 13) == 0 &&
	    strstr(cause, key) != NULL && strstr(cause, why) != NULL,
	    "%s: one line naming the file, %s and '%s': %s", what, key, why,
	    cause != NULL ? cause : "(accepted)");
	config_free(c);
	free(cause);
}

/* Private GnuPG homes (tresor-gpg.*) left in dir. */
static int
homes_left(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	char		 prefix[64];
	int		 n = 0;

	snprintf(prefix, sizeof prefix, "tresor-gpg.%ld.", (long)getpid());
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static int
make_keys(void)
{
	char	*home = xasprintf("%s/gnupg", tmpdir), *cmd, *path;
	int	 ok;

	cmd = xasprintf("set -e; exec 2>/dev/null; mkdir -m 700 '%s'; "
	    "export GNUPGHOME='%s'; gpg --batch --quiet --passphrase '' "
	    "--quick-gen-key 'tresor config test <config@tresor.invalid>' "
	    "future-default default never; gpg --batch --armor --export "
	    ">'%s/pub.asc'; gpg --batch --armor --export-secret-keys "
	    ">'%s/sec.asc'; gpg --with-colons --list-keys | awk -F: "
	    "'/^fpr/ { print $10; exit }' >'%s/fpr'; gpgconf --kill all",
	    home, home, tmpdir, tmpdir, tmpdir);
	ok = run(cmd);
	free(cmd);
	path = xasprintf("%s/pub.asc", tmpdir);
	pub_key = read_text(path);
	free(path);
	path = xasprintf("%s/sec.asc", tmpdir);
	sec_key = read_text(path);
	free(path);
	path = xasprintf("%s/fpr", tmpdir);
	key_fpr = read_text(path);
	free(path);
	free(home);
	if (key_fpr != NULL)
		key_fpr[strcspn(key_fpr, "\n")] = '\0';
	return ok && pub_key != NULL && sec_key != NULL && key_fpr != NULL &&
	    strlen(key_fpr) == 40 && strstr(sec_key, "PRIVATE KEY") != NULL;
}

/* An appliance's env.yml: much that is not ours, and every backup key. */
static void
test_appliance(void)
{
	struct config	*c;
	char		*key = indent(sec_key, 6), *text, *cause = NULL, *d;

	text = xasprintf(
	    "#cloud-config\n"
	    "# XXX keep the \"#cloud-config\" line first and unchanged\n"
	    "\n"
	    "ssh_authorized_keys:\n"
	    "  - \"ssh-rsa AAAAB3Nza somebody@somewhere\"\n"
	    "disable_root: false\n"
	    "\n"
	    "appliance:\n"
	    "  # standby: true\n"
	    "  domain: ecs.example.org\n"
	    "  allowed_hosts: ecs.example.org\n"
	    "  ssl:\n"
	    "    letsencrypt:\n"
	    "      enabled: true\n"
	    "      client_certs_mandatory: false\n"
	    "  update:\n"
	    "    automatic: true\n"
	    "    oncalendar: Sun *-*-* 06:30:00\n"
	    "  storage:\n"
	    "    ignore:\n"
	    "      volatile: true\n"
	    "      data: true\n"
	    "  backup:\n"
	    "    url: \"%s\"\n"
	    "    options: \"--volsize 100 --full-if-older-than 2M "
	    "--exclude-other-filesystems\"\n"
	    "    mount:\n"
	    "      type: \"cifs\"\n"
	    "      source: \"//1.2.3.4/datavolume\"\n"
	    "      target: \"/mnt/appliance-backup-mount\"\n"
	    "      options: \"%s\"\n"
	    "    encrypt: |\n"
	    "%s"
	    "    schedule: \"*-*-* 01:15:00\"\n"
	    "    full_every: 2M\n"
	    "    keep: 6M\n"
	    "    sources: [/data/ecs-storage-vault, /data/ecs-files]\n"
	    "    database: {name: ecs, host: /var/run/postgresql, port: 5432,"
	    " user: app}\n"
	    "    metrics: /app/etc/metric_import/backup.prom\n"
	    "    on_failure: \"/usr/local/bin/report-failure\"\n"
	    "    sign:\n"
	    "    cache_dir: /var/cache/tresor-x\n"
	    "    state_dir: /var/lib/tresor-x\n"
	    "    deadline: 06:00\n"
	    "    read_data_every: 2W\n"
	    "ecs:\n"
	    "  userswitcher:\n"
	    "    enabled: false\n"
	    "  settings: |\n"
	    "    DOMAIN = 'ecs.example.org'\n"
	    "    SECRET_KEY = 'not ours'\n"
	    "vault_encrypt: |\n"
	    "    a ascii armored GPG Key\n"
	    "vault_sign: |\n"
	    "    a ascii armored GPG Key\n",
	    "sftp://" URL_USER ":" URL_PASSWORD "@" URL_HOST,
	    "user=username,pass=" MOUNT_PASSWORD ",domain=W", key);
	c = parse("env.yml", text, &cause);
	tap_ok(c != NULL, "an appliance's env.yml loads: %s", cause != NULL ?
	    cause : "ok");
	free(cause);
	if (c == NULL) {
		free(text);
		free(key);
		return;
	}
	tap_ok(strcmp(c->path, "env.yml") == 0, "path");
	tap_ok(strcmp(c->url, "sftp://" URL_USER ":" URL_PASSWORD "@"
	    URL_HOST) == 0 && !c->url_is_default, "url, as written");
	tap_ok(c->volsize == 100 * 1024 * 1024 && c->one_file_system == 1,
	    "options: --volsize 100 is 100 MiB, --exclude-other-filesystems");
	tap_ok(c->full_every == 60 * 86400, "full_every 2M (the same in "
	    "options)");
	tap_ok(c->keep == 180 * 86400 && c->read_data_every == 14 * 86400,
	    "keep 6M, read_data_every 2W");
	tap_ok(c->mount.type != NULL && strcmp(c->mount.type, "cifs") == 0 &&
	    strcmp(c->mount.source, "//1.2.3.4/datavolume") == 0 &&
	    strcmp(c->mount.target, "/mnt/appliance-backup-mount") == 0 &&
	    strstr(c->mount.options, MOUNT_PASSWORD) != NULL, "mount");
	tap_ok(c->encrypt != NULL && strcmp(c->encrypt, sec_key) == 0 &&
	    c->encrypt_secret == 1 && c->encrypt_fpr != NULL &&
	    strcmp(c->encrypt_fpr, key_fpr) == 0,
	    "encrypt: the key pair, told secret, fingerprint %s", key_fpr);
	tap_ok(strcmp(c->schedule, "*-*-* 01:15:00") == 0, "schedule");
	tap_ok(c->nsources == 2 && strcmp(c->sources[0],
	    "/data/ecs-storage-vault") == 0 && strcmp(c->sources[1],
	    "/data/ecs-files") == 0, "sources");
	tap_ok(c->database.name != NULL && strcmp(c->database.name, "ecs") ==
	    0 && strcmp(c->database.host, "/var/run/postgresql") == 0 &&
	    strcmp(c->database.port, "5432") == 0 &&
	    strcmp(c->database.user, "app") == 0, "database");
	tap_ok(strcmp(c->metrics, "/app/etc/metric_import/backup.prom") == 0 &&
	    strcmp(c->on_failure, "/usr/local/bin/report-failure") == 0 &&
	    c->sign == NULL && strcmp(c->cache_dir, "/var/cache/tresor-x") ==
	    0 && strcmp(c->state_dir, "/var/lib/tresor-x") == 0,
	    "metrics, on_failure, sign (null: none), cache_dir, state_dir");
	tap_ok(c->deadline_minutes == 6 * 60, "deadline 06:00 (unquoted, "
	    "not YAML 1.1's sexagesimal 360)");

	d = config_describe(c);
	tap_ok(d != NULL && strstr(d, "sftp://" URL_USER ":***@" URL_HOST) !=
	    NULL, "the description masks the URL's password");
	tap_ok(d != NULL && strstr(d, "pass=***,domain=W") != NULL &&
	    strstr(d, "user=username") != NULL, "... and the mount password");
	tap_ok(d != NULL && strstr(d, "secret key pair ") != NULL &&
	    strstr(d, key_fpr) != NULL && strstr(d, "(only its public part is "
	    "used to back up)") != NULL, "... and shows the key pair as its "
	    "fingerprint");
	tap_ok(d != NULL && strstr(d, URL_PASSWORD) == NULL &&
	    strstr(d, "w/rd%41") == NULL && strstr(d, "p@ss") == NULL &&
	    strstr(d, "p@ss:w/rdA") == NULL && strstr(d, "y=z q") == NULL,
	    "no part of the URL's password is shown");
	tap_ok(d != NULL && strstr(d, "m@s") == NULL && strstr(d, "=x y") ==
	    NULL && strstr(d, MOUNT_PASSWORD) == NULL, "no part of the mount "
	    "password is shown");
	tap_ok(d != NULL && strstr(d, "PGP") == NULL && strstr(d, "BEGIN") ==
	    NULL, "nor the key");
	tap_ok(d != NULL && strstr(d, "schedule: \"*-*-* 01:15:00\"") !=
	    NULL && strstr(d, "full_every: 2M") != NULL && strstr(d,
	    "keep: 6M") != NULL && strstr(d, "deadline: \"06:00\"") != NULL &&
	    strstr(d, "- /data/ecs-files") != NULL, "the description gives "
	    "the values");
	tap_diag("%s", d != NULL ? "description:" : "");
	if (d != NULL) {
		char	*line, *save = NULL, *copy = xstrdup(d);

		for (line = strtok_r(copy, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			tap_diag("  %s", line);
		free(copy);
	}
	free(d);
	config_free(c);
	free(text);
	free(key);
}

static void
test_defaults(void)
{
	struct config	*c;
	char		*text, *cause = NULL, *d;

	text = backup_yml(pub_key, "%s", "");
	c = parse("env.yml", text, &cause);
	tap_ok(c != NULL, "only a key: loads (%s)", cause ? cause : "ok");
	free(cause);
	cause = NULL;
	free(text);
	if (c != NULL) {
		tap_ok(strcmp(c->url, CONFIG_DEFAULT_URL) == 0 &&
		    c->url_is_default == 1, "url: the default, and said so");
		tap_ok(strcmp(c->schedule, CONFIG_DEFAULT_SCHEDULE) == 0 &&
		    c->full_every == CONFIG_DEFAULT_FULL && c->keep ==
		    CONFIG_DEFAULT_KEEP && c->read_data_every ==
		    CONFIG_DEFAULT_READ_DATA, "schedule and intervals");
		tap_ok(c->nsources == 1 && strcmp(c->sources[0],
		    CONFIG_DEFAULT_SOURCE) == 0 && c->database.name != NULL &&
		    strcmp(c->database.name, CONFIG_DEFAULT_DATABASE) == 0 &&
		    c->database.host == NULL && c->mount.type == NULL,
		    "sources, database, no mount");
		tap_ok(strcmp(c->metrics, CONFIG_DEFAULT_METRICS) == 0 &&
		    strcmp(c->cache_dir, CONFIG_DEFAULT_CACHE) == 0 &&
		    strcmp(c->state_dir, CONFIG_DEFAULT_STATE) == 0 &&
		    c->on_failure == NULL && c->sign == NULL &&
		    c->deadline_minutes == 6 * 60 + 30 && c->volsize == 0 &&
		    c->one_file_system == 0, "paths, deadline 06:30, options");
		tap_ok(c->encrypt_secret == 0 && c->encrypt_fpr != NULL &&
		    strcmp(c->encrypt_fpr, key_fpr) == 0,
		    "a public key is told public");
		d = config_describe(c);
		tap_ok(d != NULL && strstr(d, "public key ") != NULL &&
		    strstr(d, key_fpr) != NULL &&
		    strstr(d, "secret key") == NULL &&
		    strstr(d, "not given") != NULL, "described as a public "
		    "key; the default URL is pointed out");
		free(d);
	}
	config_free(c);

	/* Null values are defaults; deadline none; database none. */
	text = backup_yml(pub_key, "    url:\n    keep: ~\n    sources:\n"
	    "    deadline: none\n    database: none\n"
	    "    read_data_every: never\n    mount: {}\n");
	c = parse("env.yml", text, &cause);
	tap_ok(c != NULL && c->url_is_default && c->keep ==
	    CONFIG_DEFAULT_KEEP && c->nsources == 1 && c->deadline_minutes ==
	    -1 && c->database.name == NULL && c->read_data_every == 0 &&
	    c->mount.type == NULL, "null keys are defaults; deadline none, "
	    "database none, read_data_every never, an empty mount: %s",
	    cause ? cause : "ok");
	config_free(c);
	free(cause);
	cause = NULL;
	free(text);
	text = backup_yml(pub_key, "    deadline: \"\"\n    read_data_every: "
	    "0\n    database: {host: db.local}\n    sources: []\n");
	c = parse("env.yml", text, &cause);
	tap_ok(c != NULL && c->deadline_minutes == -1 && c->read_data_every ==
	    0 && c->nsources == 0 && strcmp(c->database.name, "ecs") == 0 &&
	    strcmp(c->database.host, "db.local") == 0, "deadline \"\" is "
	    "none; read_data_every 0; the database's name defaults to ecs; "
	    "no sources but the database: %s", cause ? cause : "ok");
	config_free(c);
	free(cause);
	cause = NULL;
	free(text);

	text = backup_yml(pub_key, "    deadline: 7:05\n");
	c = parse("env.yml", text, &cause);
	tap_ok(c != NULL && c->deadline_minutes == 7 * 60 + 5,
	    "deadline H:MM: %s", cause ? cause : "ok");
	config_free(c);
	free(cause);
	cause = NULL;
	free(text);

	/* A missing section means the defaults, and then there is no key. */
	bad("no appliance: section", "#cloud-config\necs:\n  settings: x\n",
	    "appliance.backup.encrypt", "missing");
	bad("no backup: section", "appliance:\n  domain: x\n  backup:\n",
	    "appliance.backup.encrypt", "missing");
	bad("an empty file", "", "appliance.backup.encrypt", "missing");
}

static void
test_errors(void)
{
	char	*t;

	t = backup_yml(pub_key, "    url: file:///x/\n    colour: blue\n");
	bad("an unknown key", t, "appliance.backup.colour",
	    "unknown key (known: url, options, mount, encrypt, schedule");
	free(t);
	t = backup_yml(pub_key, "    mount: {type: cifs, source: //h/s, "
	    "target: /mnt, opts: x}\n");
	bad("an unknown mount key", t, "appliance.backup.mount.opts",
	    "unknown key (known: type, source, target, options)");
	free(t);
	bad("bad YAML", "appliance:\n  backup:\n    url: x\n   keep: 2M\n",
	    "line 4, column", "did not find expected key");
	bad("bad YAML (a tab)", "appliance:\n\tbackup: x\n", "line 2, column 1",
	    "found character that cannot start any token");
	bad("bad YAML (not UTF-8)",
	    "appliance:\n  backup:\n    url: \"\xff\"\n",
	    "line 3, column 11", "invalid leading UTF-8 octet");
	t = backup_yml(pub_key, "    url: [a, b]\n");
	bad("a list for a string", t, "appliance.backup.url: line 4:",
	    "expected a string, not a list");
	free(t);
	t = backup_yml(pub_key, "    sources: /data\n");
	bad("a string for a list", t, "appliance.backup.sources: line 4:",
	    "expected a list of directories, not a string");
	free(t);
	t = backup_yml(pub_key, "    database: ecs\n");
	bad("a string for the database", t, "appliance.backup.database: "
	    "line 4:", "expected a mapping {name, host, port, user} or none");
	free(t);
	t = backup_yml(pub_key, "    mount:\n      type: [cifs]\n");
	bad("a list in the mount", t, "appliance.backup.mount.type: line 5:",
	    "expected a string, not a list");
	free(t);
	t = backup_yml(pub_key, "    sources: [/a, {b: c}]\n");
	bad("a mapping in the sources", t, "appliance.backup.sources[1]: line "
	    "4:", "expected a string, not a mapping");
	free(t);
	bad("a list at the top", "- appliance\n", "line 1",
	    "expected a mapping at the top");
	bad("appliance: a string", "appliance: yes\n", "appliance: line 1",
	    "expected a mapping, not a string");
	bad("backup: a list", "appliance:\n  backup: [1]\n",
	    "appliance.backup: line 2", "expected a mapping, not a list");
	t = backup_yml(pub_key, "    keep: 2M\n    keep: 3M\n");
	bad("a key given twice", t, "appliance.backup.keep: line 5:",
	    "given twice (first at line 4)");
	free(t);
	t = backup_yml(pub_key, "    keep: \"4\\nX\"\n");
	bad("an interval with a newline", t, "appliance.backup.keep",
	    "invalid interval '4?X'");
	free(t);
	t = backup_yml(pub_key, "    keep: 4X\n");
	bad("a bad interval", t, "appliance.backup.keep",
	    "invalid interval '4X'");
	free(t);
	t = backup_yml(pub_key, "    full_every: 0s\n");
	bad("a zero interval", t, "appliance.backup.full_every",
	    "longer than 0");
	free(t);
	t = backup_yml(pub_key, "    read_data_every: sometimes\n");
	bad("a bad read_data_every", t, "appliance.backup.read_data_every",
	    "invalid interval 'sometimes'");
	free(t);
	t = backup_yml(pub_key, "    options: \"--volsize 100 --no-encryption "
	    "--asynchronous-upload\"\n");
	bad("an unknown duplicity option", t, "appliance.backup.options",
	    "unsupported duplicity option '--no-encryption'");
	free(t);
	t = backup_yml(pub_key, "    options: --volsize=5000\n");
	bad("a volume too large", t, "appliance.backup.options",
	    "--volsize '5000': expected MiB from 1 to 4096");
	free(t);
	t = backup_yml(pub_key, "    options: --volsize\n");
	bad("an option without its value", t, "appliance.backup.options",
	    "--volsize needs a value");
	free(t);
	t = backup_yml(pub_key, "    options: --full-if-older-than 3M\n"
	    "    full_every: 2M\n");
	bad("two different full intervals", t, "appliance.backup.options",
	    "--full-if-older-than 3M differs from appliance.backup.full_every: "
	    "2M");
	free(t);
	t = backup_yml(pub_key, "    url: \"%s\"\n",
	    "http://user:" URL_PASSWORD "@host/x");
	bad("an unknown URL scheme", t, "appliance.backup.url",
	    "unknown scheme 'http' in 'http://user:***@host/x' (supported: "
	    "file, sftp, scp, ftp, ftps, webdav, webdavs, smb, s3)");
	free(t);
	t = backup_yml(pub_key, "    url: \"/srv/backup\"\n");
	bad("a path for a URL", t, "appliance.backup.url",
	    "'/srv/backup' is not a URL");
	free(t);
	t = backup_yml("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5"
	    "\n=abcd\n-----END PGP PUBLIC KEY BLOCK-----\n", "%s", "");
	bad("garbage in an armour", t, "appliance.backup.encrypt",
	    "not an OpenPGP key: ");
	free(t);
	t = backup_yml("just some text\n", "%s", "");
	bad("text for a key", t, "appliance.backup.encrypt",
	    "not an OpenPGP key: ");
	free(t);
	t = backup_yml(NULL, "    encrypt: \"\"\n");
	bad("an empty key", t, "appliance.backup.encrypt",
	    "not an OpenPGP key: empty");
	free(t);
	t = backup_yml(NULL, "    url: file:///srv/x/\n");
	bad("no key at all", t, "appliance.backup.encrypt",
	    "missing: the nightly job cannot encrypt");
	free(t);
	t = backup_yml(NULL, "    encrypt: [a]\n");
	bad("a list for the key", t, "appliance.backup.encrypt: line 4:",
	    "expected a string, not a list");
	free(t);
	t = backup_yml(pub_key, "    sources: [/data/a, data/b]\n");
	bad("a relative source", t, "appliance.backup.sources[1]",
	    "'data/b' is not an absolute path");
	free(t);
	t = backup_yml(pub_key, "    mount:\n      type: cifs\n      source: "
	    "//h/s\n      options: pass=x\n");
	bad("a mount without target", t, "appliance.backup.mount.target",
	    "missing (a cifs mount needs source and target)");
	free(t);
	t = backup_yml(pub_key, "    mount: {type: nfs, source: h:/x, target: "
	    "/mnt}\n");
	bad("an nfs mount", t, "appliance.backup.mount.type",
	    "unsupported mount type 'nfs' (only cifs)");
	free(t);
	t = backup_yml(pub_key, "    mount: {source: //h/s, target: /mnt}\n");
	bad("a mount without type", t, "appliance.backup.mount.type",
	    "missing");
	free(t);
	t = backup_yml(pub_key, "    deadline: \"25:00\"\n");
	bad("a bad deadline", t, "appliance.backup.deadline",
	    "'25:00' is not a time of day");
	free(t);
	t = backup_yml(pub_key, "    deadline: \"06:+5\"\n");
	bad("a signed minute", t, "appliance.backup.deadline",
	    "'06:+5' is not a time of day");
	free(t);
	t = backup_yml(pub_key, "    schedule: \"\"\n");
	bad("an empty schedule", t, "appliance.backup.schedule", "empty");
	free(t);
	t = backup_yml(pub_key, "    database: {port: \"54x\"}\n");
	bad("a bad port", t, "appliance.backup.database.port",
	    "'54x' is not a port number");
	free(t);
	t = backup_yml(pub_key, "    cache_dir: cache\n");
	bad("a relative cache_dir", t, "appliance.backup.cache_dir",
	    "'cache' is not an absolute path");
	free(t);
	t = backup_yml(pub_key, "    database: none\n    sources: []\n");
	bad("nothing to back up", t, "appliance.backup.sources",
	    "nothing to back up");
	free(t);
	t = backup_yml(pub_key, "    \"col\\nour\": x\n");
	bad("a key with a newline", t, "appliance.backup.col?our",
	    "unknown key");
	free(t);
}

/* gpg judges the packets, not the armour's header. */
static void
test_keys(void)
{
	char	*fpr = NULL, *cause = NULL, *relabelled, *p;
	int	 secret = -1, rc;

	rc = crypto_inspect_key(pub_key, strlen(pub_key), &secret, &fpr,
	    &cause);
	tap_ok(rc == 0 && secret == 0 && fpr != NULL && strcmp(fpr, key_fpr) ==
	    0, "a public key: public, %s", fpr ? fpr : cause ? cause : "");
	free(fpr);
	fpr = NULL;
	rc = crypto_inspect_key(sec_key, strlen(sec_key), &secret, &fpr,
	    &cause);
	tap_ok(rc == 0 && secret == 1 && fpr != NULL && strcmp(fpr, key_fpr) ==
	    0, "a key pair: secret, %s", fpr ? fpr : cause ? cause : "");
	free(fpr);
	fpr = NULL;
	/* A key pair under a public key's armour header is still secret. */
	relabelled = xstrdup(sec_key);
	while ((p = strstr(relabelled, "PRIVATE")) != NULL) {
		memcpy(p, "PUBLIC", 6);
		memmove(p + 6, p + 7, strlen(p + 7) + 1);
	}
	secret = -1;
	rc = crypto_inspect_key(relabelled, strlen(relabelled), &secret, &fpr,
	    &cause);
	tap_ok(rc == 0 && secret == 1, "a key pair labelled public is told "
	    "secret: %s", cause ? cause : "ok");
	free(fpr);
	fpr = NULL;
	free(relabelled);
	/* Both blocks, one after the other: one key, a pair. */
	p = xasprintf("%s%s", pub_key, sec_key);
	rc = crypto_inspect_key(p, strlen(p), &secret, &fpr, &cause);
	tap_ok(rc == 0 && secret == 1 && fpr != NULL && strcmp(fpr, key_fpr) ==
	    0, "public block and key pair together: one key, secret: %s",
	    cause ? cause : "ok");
	free(p);
	free(fpr);
	fpr = NULL;
	rc = crypto_inspect_key("  \n", 3, &secret, &fpr, &cause);
	tap_ok(rc != 0 && cause != NULL && strcmp(cause,
	    "not an OpenPGP key: empty") == 0, "white space is no key: %s",
	    cause ? cause : "(accepted)");
	free(cause);
	cause = NULL;
	rc = crypto_inspect_key("\x99\x01\x02garbage", 10, &secret, &fpr,
	    &cause);
	tap_ok(rc != 0 && cause != NULL && strncmp(cause,
	    "not an OpenPGP key: ", 20) == 0 && fpr == NULL,
	    "binary garbage is no key: %s", cause ? cause : "(accepted)");
	free(cause);
}

/* The description with awkward passwords: only "***" in their place. */
static void
test_masking(void)
{
	static const struct {
		const char	*url;
		const char	*shown;
		const char	*secret;
	} urls[] = {
		{ "sftp://u:" URL_PASSWORD "@h/x", "sftp://u:***@h/x",
		    URL_PASSWORD },
		{ "smb://WORKGROUP;admin:a@b@c@fs.local/share",
		    "smb://WORKGROUP;admin:***@fs.local/share", "a@b@c" },
		{ "ftps://u:%40%3A%2F@h:21/x", "ftps://u:***@h:21/x",
		    "%40%3A%2F" },
		{ "webdavs://u:::@h/x", "webdavs://u:***@h/x", "::" },
		{ "WebDAV://u: sp ace @h/", "WebDAV://u:***@h/", " sp ace " },
		{ "scp://u:/p/@h//srv", "scp://u:***@h//srv", "/p/" },
		{ "sftp://h.local/x", "sftp://h.local/x", NULL },
		{ "sftp://u@h.local:22/x", "sftp://u@h.local:22/x", NULL },
		{ "file:///srv/a:b@c/", "file:///srv/a:b@c/", NULL },
	};
	static const struct {
		const char	*options;
		const char	*shown;
		const char	*secret;
	} mounts[] = {
		{ "user=u,pass=" MOUNT_PASSWORD ",vers=3.0",
		    "user=u,pass=***,vers=3.0", "m@s:k" },
		{ "password=a=b c,,d", "password=***", "a=b c" },
		{ "PASS=x@y,uid=0", "PASS=***,uid=0", "x@y" },
		{ "username=bob%s3:cr=t,domain=D", "username=bob%***,domain=D",
		    "s3:cr=t" },
		{ "user=u,pass=", "user=u,pass=***", NULL },
		{ "guest,ro", "guest,ro", NULL },
	};
	struct config	*c;
	char		*t, *d, *cause = NULL, *want;
	size_t		 i;

	for (i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		t = backup_yml(pub_key, "    url: '%s'\n", urls[i].url);
		c = parse("mask.yml", t, &cause);
		d = c != NULL ? config_describe(c) : NULL;
		want = xasprintf("url: \"%s\"\n", urls[i].shown);
		tap_ok(d != NULL && strstr(d, want) != NULL &&
		    (urls[i].secret == NULL || strstr(d, urls[i].secret) ==
		    NULL), "url %s is described as %s%s", urls[i].shown,
		    urls[i].shown, cause ? cause : "");
		free(want);
		free(d);
		config_free(c);
		free(cause);
		cause = NULL;
		free(t);
	}
	for (i = 0; i < sizeof mounts / sizeof mounts[0]; i++) {
		t = backup_yml(pub_key, "    mount:\n      type: cifs\n      "
		    "source: //h/s\n      target: /mnt/b\n      options: "
		    "'%s'\n", mounts[i].options);
		c = parse("mask.yml", t, &cause);
		d = c != NULL ? config_describe(c) : NULL;
		tap_ok(d != NULL && strstr(d, mounts[i].shown) != NULL &&
		    (mounts[i].secret == NULL || strstr(d, mounts[i].secret) ==
		    NULL), "mount options %s are described as %s%s",
		    mounts[i].shown, mounts[i].shown, cause ? cause : "");
		free(d);
		config_free(c);
		free(cause);
		cause = NULL;
		free(t);
	}
	/* sign is the seals' key pair: only its fingerprint is shown. */
	{
		char	*k = indent(sec_key, 6);

		t = backup_yml(pub_key, "    sign: |\n%s", k);
		free(k);
	}
	c = parse("mask.yml", t, &cause);
	d = c != NULL ? config_describe(c) : NULL;
	tap_ok(d != NULL && strstr(d, "PRIVATE") == NULL &&
	    strstr(d, "sign: key pair ") != NULL && strstr(d, key_fpr) != NULL,
	    "sign is shown by its fingerprint, not its value%s",
	    cause != NULL ? cause : "");
	free(d);
	config_free(c);
	free(cause);
	cause = NULL;
	free(t);
	t = backup_yml(pub_key, "    sign: 'secret signing key'\n");
	bad("a sign that is no key", t, "appliance.backup.sign",
	    "not an OpenPGP key");
	free(t);
	{
		char	*k = indent(pub_key, 6);

		t = backup_yml(pub_key, "    sign: |\n%s", k);
		free(k);
	}
	bad("a public key as sign", t, "appliance.backup.sign",
	    "a public key: the seals need the signing key pair");
	free(t);
}

static void
test_load_and_find(void)
{
	struct config	*c;
	char		*path = xasprintf("%s/env.yml", tmpdir);
	char		*missing = xasprintf("%s/none.yml", tmpdir);
	char		*t, *cause = NULL, *found;
	FILE		*f;
	struct stat	 sb;

	t = backup_yml(pub_key, "    keep: 5M\n");
	f = fopen(path, "w");
	fputs(t, f);
	fclose(f);
	free(t);
	c = config_load(path, &cause);
	tap_ok(c != NULL && c->keep == 150 * 86400 &&
	    strcmp(c->path, path) == 0, "config_load reads a file: %s",
	    cause ? cause : "ok");
	config_free(c);
	free(cause);
	cause = NULL;
	c = config_load(missing, &cause);
	tap_ok(c == NULL && cause != NULL && strstr(cause, missing) != NULL &&
	    strchr(cause, '\n') == NULL, "a missing file is named: %s",
	    cause ? cause : "(loaded)");
	free(cause);
	cause = NULL;
	c = config_load(tmpdir, &cause);
	tap_ok(c == NULL && cause != NULL && strstr(cause, tmpdir) != NULL,
	    "a directory is not a configuration: %s", cause ? cause : "");
	free(cause);
	cause = NULL;

	setenv("ENV_YML", path, 1);
	found = config_find("/explicit/env.yml", &cause);
	tap_ok(found != NULL && strcmp(found, "/explicit/env.yml") == 0,
	    "--config comes first");
	free(found);
	found = config_find(NULL, &cause);
	tap_ok(found != NULL && strcmp(found, path) == 0,
	    "then $ENV_YML");
	free(found);
	setenv("ENV_YML", "", 1);
	found = config_find(NULL, &cause);
	if (stat("/app/env.yml", &sb) == 0)
		tap_ok(found != NULL && strcmp(found, "/app/env.yml") == 0,
		    "an empty $ENV_YML is none: /app/env.yml");
	else if (stat("/run/active-env.yml", &sb) == 0)
		tap_ok(found != NULL && strcmp(found, "/run/active-env.yml") ==
		    0, "an empty $ENV_YML is none: /run/active-env.yml");
	else
		tap_ok(found == NULL && cause != NULL && strchr(cause, '\n') ==
		    NULL && strstr(cause, "--config") != NULL &&
		    strstr(cause, "ENV_YML") != NULL && strstr(cause,
		    "/app/env.yml, /run/active-env.yml") != NULL,
		    "none found: one line of what was tried: %s", cause ?
		    cause : found);
	free(found);
	free(cause);
	unsetenv("ENV_YML");
	free(path);
	free(missing);
}

/*
 * An s3 url with its endpoint, region, CA file and a credentials file of
 * mode 600: read into the transport options; a credentials file others
 * may read, a bad endpoint, mode or number refused in one line.
 */
static void
test_s3(void)
{
	struct transport_options o;
	struct config		*c;
	char			*cred, *yml, *cause = NULL, *desc;
	FILE			*f;

	cred = xasprintf("%s/s3.credentials", tmpdir);
	if ((f = fopen(cred, "w")) != NULL) {
		fputs("[default]\naws_access_key_id = AK\n"
		    "aws_secret_access_key = SECRETKEY\n", f);
		fclose(f);
	}
	chmod(cred, 0600);
	yml = backup_yml(pub_key, "    url: s3://vault/host-a\n"
	    "    ca_file: /etc/tresor/ca.pem\n"
	    "    s3:\n      endpoint: https://rgw.example:7480\n"
	    "      region: eu-1\n      virtual_hosted: true\n"
	    "      credentials: %s\n      part_size: 16\n      parallel: 8\n"
	    "      object_lock_days: 30\n      object_lock_mode: GOVERNANCE\n",
	    cred);
	c = parse("env.yml", yml, &cause);
	tap_ok(c != NULL, "[s3] an s3 url and its settings load: %s",
	    cause != NULL ? cause : "ok");
	if (c != NULL) {
		config_transport(c, &o);
		tap_ok(strcmp(c->url, "s3://vault/host-a") == 0 &&
		    strcmp(o.s3_endpoint, "https://rgw.example:7480") == 0 &&
		    strcmp(o.s3_region, "eu-1") == 0 && o.s3_virtual_hosted &&
		    strcmp(o.s3_credentials, cred) == 0 &&
		    strcmp(o.ca_file, "/etc/tresor/ca.pem") == 0 &&
		    o.s3_part_mib == 16 && o.s3_parallel == 8 &&
		    o.s3_lock_days == 30 &&
		    strcmp(o.s3_lock_mode, "GOVERNANCE") == 0,
		    "[s3] they reach the transport options");
		desc = config_describe(c);
		tap_ok(strstr(desc, "rgw.example") != NULL &&
		    strstr(desc, "SECRETKEY") == NULL,
		    "[s3] described, without the secret");
		free(desc);
	}
	config_free(c);
	free(yml);
	free(cause);
	cause = NULL;

	chmod(cred, 0644);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      credentials: %s\n", cred);
	bad("[s3] a credentials file others may read", yml,
	    "appliance.backup.s3.credentials", "mode 600");
	free(yml);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      credentials: %s/missing\n", tmpdir);
	bad("[s3] a missing credentials file", yml,
	    "appliance.backup.s3.credentials", "No such file");
	free(yml);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      endpoint: rgw.example:7480\n");
	bad("[s3] an endpoint without a scheme", yml,
	    "appliance.backup.s3.endpoint", "not an http");
	free(yml);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      part_size: 2\n");
	bad("[s3] a part size S3 refuses", yml, "appliance.backup.s3.part_size",
	    "5 to 5120");
	free(yml);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      object_lock_mode: FOREVER\n");
	bad("[s3] an unknown lock mode", yml,
	    "appliance.backup.s3.object_lock_mode", "COMPLIANCE or GOVERNANCE");
	free(yml);
	yml = backup_yml(pub_key, "    url: s3://vault/x\n    s3:\n"
	    "      key_id: AK\n");
	bad("[s3] no keys inside env.yml itself", yml, "appliance.backup.s3",
	    "key_id");
	free(yml);
	unlink(cred);
	free(cred);
}

int
main(void)
{
	char	*cmd;
	int	 rc;

	if (mkdtemp(tmpdir) == NULL || crypto_library_init(NULL) != 0) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	/* Private GnuPG homes go here, where they are counted. */
	setenv("TMPDIR", tmpdir, 1);
	if (!make_keys()) {
		printf("Bail out! cannot make test keys with gpg\n");
		return 1;
	}
	test_appliance();
	test_defaults();
	test_errors();
	test_keys();
	test_masking();
	test_load_and_find();
	test_s3();
	tap_ok(homes_left(tmpdir) == 0 && homes_left("/tmp") == 0,
	    "no private GnuPG home is left behind");
	rc = tap_done();
	free(pub_key);
	free(sec_key);
	free(key_fpr);
	cmd = xasprintf("rm -rf '%s'", tmpdir);
	run(cmd);
	free(cmd);
	return rc;
}
