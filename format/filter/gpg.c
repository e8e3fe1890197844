/*
 * gpg.c: keys for the OpenPGP stage (see crypto.h): gpgme finds the gpg
 * engine, imports key files into a private home, and resolves recipients
 * to fingerprints once per run. The bytes themselves go through gpg
 * directly (gpgproc.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <gpgme.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/xmalloc.h"
#include "crypto.h"
#include "crypto.intern.h"

extern char **environ;

/*
 * Private GnuPG homes may hold a copy of a secret key: they must not
 * outlive an interrupted run. An interrupted run removes them on its way
 * out (crypto_free); a hard stop (interrupt.h) runs crypto_hard_stop,
 * which removes them with only async-signal-safe calls (fork, execve,
 * waitpid).
 */
#define CRYPTO_HOMES_MAX	4
static char *volatile crypto_homes[CRYPTO_HOMES_MAX];

static void	crypto_hard_stop(void);

int
crypto_library_init(char **cause)
{
	gpgme_error_t		err;

	signal(SIGPIPE, SIG_IGN);
	interrupt_on_hard_stop(crypto_hard_stop);
	/*
	 * gpgme asks gpgconf where every GnuPG program is and runs each one
	 * (gpgsm too) for its version: 150 ms a run, for one program we
	 * then run by name. gpg is found on PATH instead.
	 */
	gpgme_set_global_flag("disable-gpgconf", "1");
	if (gpgme_check_version("1.18.0") == NULL)
		return error_set(cause, "gpgme 1.18 or later is required");
	err = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP);
	if (err != 0)
		return error_set(cause, "gpg is not usable: %s (install the "
		    "Debian package gnupg)", gpgme_strerror(err));
	return 0;
}

static gpgme_error_t
crypto_passphrase_cb(void *arg, const char *uid_hint,
    const char *passphrase_info, int prev_was_bad, int fd)
{
	struct crypto	*c = arg;

	(void)uid_hint;
	(void)passphrase_info;
	if (c->passphrase == NULL || prev_was_bad)
		return gpg_error(GPG_ERR_BAD_PASSPHRASE);
	if (gpgme_io_writen(fd, c->passphrase, strlen(c->passphrase)) != 0 ||
	    gpgme_io_writen(fd, "\n", 1) != 0)
		return gpg_error_from_syserror();
	return 0;
}

int
crypto_context(struct crypto *c, gpgme_ctx_t *ctx, char **cause)
{
	gpgme_error_t	err;

	err = gpgme_new(ctx);
	if (err != 0)
		return error_set(cause, "unable to start gpgme: %s",
		    gpgme_strerror(err));
	if (c->home != NULL)
		gpgme_ctx_set_engine_info(*ctx, GPGME_PROTOCOL_OpenPGP, NULL,
		    c->home);
	gpgme_set_armor(*ctx, 0);
	gpgme_set_pinentry_mode(*ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	gpgme_set_passphrase_cb(*ctx, crypto_passphrase_cb, c);
	return 0;
}

static int
crypto_read_passphrase(const char *path, char **out, char **cause)
{
	FILE	*f;
	char	*line = NULL;
	size_t	 size = 0;
	ssize_t	 n;

	f = fopen(path, "re");
	if (f == NULL)
		return error_sys(cause, "unable to read passphrase file '%s'",
		    path);
	n = getline(&line, &size, f);
	/* A read error (a directory: EISDIR) is not an empty file. */
	if (n == -1 && ferror(f)) {
		error_sys(cause, "unable to read passphrase file '%s'", path);
		fclose(f);
		free(line);
		return -1;
	}
	fclose(f);
	if (n <= 0) {
		free(line);
		return error_set(cause, "passphrase file '%s' is empty", path);
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n == 0) {
		free(line);
		return error_set(cause, "passphrase file '%s' is empty", path);
	}
	*out = line;
	return 0;
}

static void
crypto_run_quietly(char *const argv[])
{
	pid_t	pid = fork();
	int	status, fd;

	if (pid == 0) {
		/* Its complaints are not the run's one line. */
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
}

static void
crypto_hard_stop(void)
{
	char	*kill_argv[] = { "/usr/bin/gpgconf", "--homedir", NULL,
		    "--kill", "all", NULL };
	char	*rm_argv[] = { "/bin/rm", "-rf", NULL, NULL };
	int	 i;

	for (i = 0; i < CRYPTO_HOMES_MAX; i++) {
		if (crypto_homes[i] == NULL)
			continue;
		kill_argv[2] = rm_argv[2] = crypto_homes[i];
		crypto_run_quietly(kill_argv);
		crypto_run_quietly(rm_argv);
	}
}

/*
 * Homes are made and removed by several threads at once (a key imported
 * while the signing key is checked): the lock keeps two from taking one
 * slot. The hard stop reads the slots without it, as it must in a signal
 * handler; it only runs when the process dies.
 */
static void
crypto_track_home(char *home, int add)
{
	static pthread_mutex_t	lock = PTHREAD_MUTEX_INITIALIZER;
	int			i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CRYPTO_HOMES_MAX; i++) {
		if (add && crypto_homes[i] == NULL) {
			crypto_homes[i] = home;
			break;
		}
		if (!add && crypto_homes[i] == home)
			crypto_homes[i] = NULL;
	}
	pthread_mutex_unlock(&lock);
}

/*
 * Say no-autostart in the home's gpg.conf (on) or not (off): public keys
 * need no gpg-agent, and not starting one saves 60 ms a run.
 */
int
crypto_set_no_agent(struct crypto *c, int on, char **cause)
{
	char	*conf = xasprintf("%s/gpg.conf", c->home);
	int	 fd, rc = -1;

	if (!on) {
		if (unlink(conf) != 0 && errno != ENOENT) {
			error_sys(cause, "unable to remove '%s'", conf);
			goto out;
		}
		c->no_agent = 0;
		rc = 0;
		goto out;
	}
	fd = open(conf, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, "no-autostart\n", 13) != 13) {
		error_sys(cause, "unable to write '%s'", conf);
		if (fd != -1)
			close(fd);
		goto out;
	}
	if (close(fd) != 0) {
		error_sys(cause, "unable to write '%s'", conf);
		goto out;
	}
	c->no_agent = 1;
	rc = 0;
out:
	free(conf);
	return rc;
}

static void	crypto_remove_home(const char *, int);

/*
 * A run killed outright (SIGKILL, the OOM killer) cannot remove its home,
 * which may hold a copy of the secret key: remove the homes in dir whose
 * run is gone (ours, named tresor-gpg.PID.XXXXXX, no process PID).
 */
static void
crypto_sweep_homes(const char *dir)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 sb;
	char		*end, *path;
	long		 pid;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strncmp(de->d_name, "tresor-gpg.", 11) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + 11, &end, 10);
		if (errno != 0 || end == de->d_name + 11 || *end != '.' ||
		    pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode) &&
		    sb.st_uid == geteuid())
			crypto_remove_home(path, 0);
		free(path);
	}
	closedir(d);
}

int
crypto_make_home(struct crypto *c, char **cause)
{
	const char	*tmp = getenv("TMPDIR");
	char		*path;

	/* Short base path: gpg-agent's socket path must fit sun_path. */
	if (tmp == NULL || strlen(tmp) > 40)
		tmp = "/tmp";
	crypto_sweep_homes(tmp);
	/* The pid in the name lets a later run remove it if we are killed. */
	path = xasprintf("%s/tresor-gpg.%ld.XXXXXX", tmp, (long)getpid());
	if (mkdtemp(path) == NULL) {
		error_sys(cause, "unable to create a temporary GnuPG home in "
		    "%s", tmp);
		free(path);
		return -1;
	}
	c->home = path;
	crypto_track_home(path, 1);
	return 0;
}

/*
 * The key as gpgme data: from the key file, or from memory (the daemon's
 * configured key, which is never written to a file of ours).
 */
static gpgme_error_t
crypto_key_data(const struct crypto_options *o, int fd, gpgme_data_t *data)
{
	if (o->key_data != NULL)
		return gpgme_data_new_from_mem(data, o->key_data,
		    o->key_data_len, 0);
	return gpgme_data_new_from_fd(data, fd);
}

/*
 * A home's gpg-agent, started by us while gpgme runs its `gpg --version`
 * for the home: gpg would start it only once an import of a secret key
 * needs it, and then poll its socket at growing intervals. `gpg-agent
 * --daemon` returns once its socket is listening. It keeps no descriptor
 * but /dev/null: a pipe of a gpg run that another thread started
 * meanwhile would otherwise stay open in the daemon. -1 if it could not
 * be started (then gpg starts it as usual). gpg-agent is run from gpg's
 * own directory (the gpg gpgme runs), never looked up in PATH: the agent
 * holds the secret key, and a PATH search would also try every directory
 * before it.
 */
pid_t
crypto_spawn_agent(struct crypto *c)
{
	char				*argv[] = { "gpg-agent", "--homedir",
					    c->home, "--daemon", NULL };
	char				*program = NULL;
	const char			*slash;
	posix_spawn_file_actions_t	 fa;
	pid_t				 pid = -1;

	if (c->home == NULL || c->engine == NULL ||
	    (slash = strrchr(c->engine, '/')) == NULL)
		return -1;
	program = xasprintf("%.*s/gpg-agent", (int)(slash - c->engine),
	    c->engine);
	if (access(program, X_OK) != 0 ||
	    posix_spawn_file_actions_init(&fa) != 0)
		goto out;
	if (posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY,
	    0) != 0 || posix_spawn_file_actions_addopen(&fa, 1, "/dev/null",
	    O_WRONLY, 0) != 0 || posix_spawn_file_actions_addopen(&fa, 2,
	    "/dev/null", O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addclosefrom_np(&fa, 3) != 0 ||
	    posix_spawn(&pid, program, &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
out:
	free(program);
	return pid;
}

/* Its socket is up once it returned (a failure: gpg starts one). */
void
crypto_wait_agent(pid_t agent)
{
	int	status;

	if (agent != -1)
		while (waitpid(agent, &status, 0) == -1 && errno == EINTR)
			continue;
}

/* Import a key file into the private home; collect encryption keys. */
static int
crypto_import(struct crypto *c, const struct crypto_options *o,
    int for_decrypt, char **cause)
{
	const char		*key_file = o->key_data != NULL ?
				     "(configured key)" : o->key_file;
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 data = NULL;
	gpgme_import_result_t	 res;
	gpgme_key_t		 key;
	gpgme_error_t		 err;
	pid_t			 agent;
	int			 rc = -1, fd = -1, ctx_rc;

	if (o->key_data == NULL &&
	    (fd = open(key_file, O_RDONLY | O_CLOEXEC)) == -1) {
		error_sys(cause, "unable to read key file '%s'", key_file);
		goto out;
	}
	/*
	 * A backup normally gets a public key: import it with no agent. A
	 * secret key (to rebuild a lost cache, or to restore) needs one to
	 * keep it: import again with the agent allowed.
	 */
	if (!for_decrypt && crypto_set_no_agent(c, 1, cause) != 0)
		goto out;
	/* A secret key to decrypt with: its agent, beside `gpg --version`. */
	agent = for_decrypt ? crypto_spawn_agent(c) : -1;
	ctx_rc = crypto_context(c, &ctx, cause);
	crypto_wait_agent(agent);
	if (ctx_rc != 0)
		goto out;
	if ((err = crypto_key_data(o, fd, &data)) != 0 ||
	    (err = gpgme_op_import(ctx, data)) != 0) {
		error_set(cause, "unable to import key file '%s': %s",
		    key_file, gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_import_result(ctx);
	if (res != NULL && res->secret_read > 0 && c->no_agent) {
		if (crypto_set_no_agent(c, 0, cause) != 0)
			goto out;
		gpgme_data_release(data);
		data = NULL;
		if ((fd != -1 && lseek(fd, 0, SEEK_SET) == -1) ||
		    (err = crypto_key_data(o, fd, &data)) != 0 ||
		    (err = gpgme_op_import(ctx, data)) != 0) {
			error_set(cause, "unable to import key file '%s': %s",
			    key_file, err != 0 ? gpgme_strerror(err) :
			    strerror(errno));
			goto out;
		}
		res = gpgme_op_import_result(ctx);
	}
	if (res == NULL || res->considered == 0 ||
	    res->imported + res->unchanged == 0) {
		error_set(cause, "key file '%s' holds no OpenPGP key",
		    key_file);
		goto out;
	}
	if (for_decrypt) {
		rc = 0;
		goto out;
	}
	if ((err = gpgme_op_keylist_start(ctx, NULL, 0)) != 0) {
		error_set(cause, "unable to list keys from '%s': %s", key_file,
		    gpgme_strerror(err));
		goto out;
	}
	while (gpgme_op_keylist_next(ctx, &key) == 0) {
		if (key->can_encrypt && !key->revoked && !key->expired &&
		    !key->disabled && key->fpr != NULL) {
			c->recipients = xrealloc(c->recipients,
			    (c->nrecipients + 2) * sizeof *c->recipients);
			c->recipients[c->nrecipients++] = key;
			c->recipients[c->nrecipients] = NULL;
		} else
			gpgme_key_unref(key);
	}
	if (c->nrecipients == 0) {
		error_set(cause, "key file '%s' holds no usable encryption "
		    "key (revoked, expired or sign-only)", key_file);
		goto out;
	}
	rc = 0;
out:
	gpgme_data_release(data);
	if (ctx != NULL)
		gpgme_release(ctx);
	if (fd != -1)
		close(fd);
	return rc;
}

/* Resolve --encrypt-key in the user's keyring to a full fingerprint. */
static int
crypto_lookup_key(struct crypto *c, const char *name, char **cause)
{
	gpgme_ctx_t	ctx = NULL;
	gpgme_key_t	key = NULL;
	gpgme_error_t	err;
	int		rc = -1;

	if (crypto_context(c, &ctx, cause) != 0)
		return -1;
	err = gpgme_get_key(ctx, name, &key, 0);
	/* gpgme says "End of file" for a key it did not find. */
	if (err != 0 && gpgme_err_code(err) != GPG_ERR_EOF) {
		error_set(cause, "unable to look up encryption key '%s' in "
		    "the keyring: %s", name, gpgme_strerror(err));
		goto out;
	}
	if (key == NULL) {
		error_set(cause, "encryption key '%s' is not in the keyring "
		    "(import it, or give --key-file KEY.asc)", name);
		goto out;
	}
	if (!key->can_encrypt || key->revoked || key->expired) {
		error_set(cause, "key '%s' cannot encrypt (revoked, expired "
		    "or sign-only)", name);
		goto out;
	}
	c->recipients = xcalloc(2, sizeof *c->recipients);
	c->recipients[0] = key;
	c->nrecipients = 1;
	key = NULL;
	rc = 0;
out:
	if (key != NULL)
		gpgme_key_unref(key);
	gpgme_release(ctx);
	return rc;
}

/* The gpg program gpgme would run: data goes through it directly. */
int
crypto_find_engine(struct crypto *c, char **cause)
{
	gpgme_engine_info_t	info;

	if (gpgme_get_engine_info(&info) != 0)
		info = NULL;
	for (; info != NULL; info = info->next) {
		if (info->protocol == GPGME_PROTOCOL_OpenPGP &&
		    info->file_name != NULL) {
			c->engine = xstrdup(info->file_name);
			return 0;
		}
	}
	return error_set(cause, "gpg is not usable (install the Debian "
	    "package gnupg)");
}

int
crypto_export_public(const char *armor, size_t len, char **out,
    size_t *outlen, int *secret, char **cause)
{
	struct crypto_options	 o;
	struct crypto		*c = NULL;
	gpgme_ctx_t		 ctx = NULL;
	gpgme_data_t		 data = NULL, pub = NULL;
	gpgme_import_result_t	 res;
	gpgme_error_t		 err;
	char			*buf;
	size_t			 n;
	int			 rc = -1;

	*out = NULL;
	*outlen = 0;
	*secret = 0;
	c = xcalloc(1, sizeof *c);
	/*
	 * A home without an agent: a key pair's public part is imported,
	 * its secret part is not (nothing could keep it), which is all the
	 * export needs.
	 */
	if (crypto_find_engine(c, cause) != 0 ||
	    crypto_make_home(c, cause) != 0 ||
	    crypto_set_no_agent(c, 1, cause) != 0 ||
	    crypto_context(c, &ctx, cause) != 0)
		goto out;
	memset(&o, 0, sizeof o);
	o.key_data = armor;
	o.key_data_len = len;
	if ((err = crypto_key_data(&o, -1, &data)) != 0 ||
	    (err = gpgme_op_import(ctx, data)) != 0) {
		error_set(cause, "not an OpenPGP key: %s", gpgme_strerror(err));
		goto out;
	}
	res = gpgme_op_import_result(ctx);
	if (res != NULL && res->secret_read > 0) {
		/*
		 * gpg takes a key pair's public part only along with its
		 * secret part, which needs an agent: allow one in this
		 * throwaway home (stopped and removed with it below).
		 */
		if (crypto_set_no_agent(c, 0, cause) != 0)
			goto out;
		gpgme_release(ctx);
		ctx = NULL;
		gpgme_data_release(data);
		data = NULL;
		if (crypto_context(c, &ctx, cause) != 0)
			goto out;
		if ((err = crypto_key_data(&o, -1, &data)) != 0 ||
		    (err = gpgme_op_import(ctx, data)) != 0) {
			error_set(cause, "not an OpenPGP key: %s",
			    gpgme_strerror(err));
			goto out;
		}
		res = gpgme_op_import_result(ctx);
	}
	if (res == NULL || res->considered == 0 ||
	    res->imported + res->unchanged == 0) {
		error_set(cause, "not an OpenPGP key: no key found in it");
		goto out;
	}
	*secret = res->secret_read > 0;
	gpgme_set_armor(ctx, 1);
	if ((err = gpgme_data_new(&pub)) != 0 ||
	    (err = gpgme_op_export(ctx, NULL, 0, pub)) != 0) {
		error_set(cause, "unable to export the public key: %s",
		    gpgme_strerror(err));
		goto out;
	}
	buf = gpgme_data_release_and_get_mem(pub, &n);
	pub = NULL;
	if (buf == NULL || n == 0) {
		gpgme_free(buf);
		error_set(cause, "unable to export the public key: it is "
		    "empty");
		goto out;
	}
	*out = xmalloc(n + 1);
	memcpy(*out, buf, n);
	(*out)[n] = '\0';
	*outlen = n;
	gpgme_free(buf);
	rc = 0;
out:
	gpgme_data_release(data);
	gpgme_data_release(pub);
	if (ctx != NULL)
		gpgme_release(ctx);
	crypto_free(c);
	return rc;
}

struct crypto *
crypto_new(const struct crypto_options *o, int for_decrypt, char **cause)
{
	struct crypto	*c = xcalloc(1, sizeof *c);

	if (crypto_find_engine(c, cause) != 0)
		goto fail;

	if (o->encrypt_key != NULL && (o->key_file != NULL ||
	    o->key_data != NULL)) {
		error_set(cause, "give --encrypt-key or --key-file, not both");
		goto fail;
	}
	if (!for_decrypt && o->encrypt_key == NULL && o->key_file == NULL &&
	    o->key_data == NULL && o->passphrase_file == NULL) {
		error_set(cause, "no encryption key: give --encrypt-key FPR, "
		    "--key-file KEY.asc or --passphrase-file FILE");
		goto fail;
	}
	if (o->passphrase_file != NULL &&
	    crypto_read_passphrase(o->passphrase_file, &c->passphrase,
	    cause) != 0)
		goto fail;
	if (o->key_file != NULL || o->key_data != NULL) {
		if (crypto_make_home(c, cause) != 0 ||
		    crypto_import(c, o, for_decrypt, cause) != 0)
			goto fail;
	} else if (o->encrypt_key != NULL && !for_decrypt) {
		if (crypto_lookup_key(c, o->encrypt_key, cause) != 0)
			goto fail;
	} else if (o->passphrase_file != NULL && o->encrypt_key == NULL) {
		/*
		 * Symmetric only: a private home keeps gpg-agent from caching
		 * the passphrase in the user's session.
		 */
		if (crypto_make_home(c, cause) != 0)
			goto fail;
	}
	return c;
fail:
	crypto_free(c);
	return NULL;
}

struct crypto_pending {
	const struct crypto_options	*o;
	int				 for_decrypt;
	struct crypto			*c;
	char				*cause;
	pthread_t			 thread;
	int				 threaded;
};

static void *
crypto_new_main(void *arg)
{
	struct crypto_pending	*p = arg;

	(void)pthread_setname_np(pthread_self(), "crypto-new");
	p->c = crypto_new(p->o, p->for_decrypt, &p->cause);
	return NULL;
}

struct crypto_pending *
crypto_new_begin(const struct crypto_options *o, int for_decrypt)
{
	struct crypto_pending	*p = xcalloc(1, sizeof *p);

	p->o = o;
	p->for_decrypt = for_decrypt;
	if (pthread_create(&p->thread, NULL, crypto_new_main, p) == 0)
		p->threaded = 1;
	else
		crypto_new_main(p);
	return p;
}

struct crypto *
crypto_new_end(struct crypto_pending *p, char **cause)
{
	struct crypto	*c;

	if (p->threaded)
		pthread_join(p->thread, NULL);
	c = p->c;
	if (c == NULL) {
		if (cause != NULL) {
			free(*cause);
			*cause = p->cause;
			p->cause = NULL;
		}
	}
	free(p->cause);
	free(p);
	return c;
}

static int
crypto_remove_entry(const char *path, const struct stat *st, int type,
    struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;	/* remove what can be removed */
}

/*
 * One Assuan line to a gpg-agent on its socket, and its answer: 0 once the
 * agent said OK to it. Only for KILLAGENT, which is all gpg-connect-agent
 * would send: gpgme's assuan engine is not there once gpgconf is disabled
 * (crypto_library_init).
 */
static int
crypto_agent_say(const char *sock, const char *line)
{
	struct sockaddr_un	 sa;
	char			 buf[1024];
	size_t			 got = 0, len = strlen(line);
	ssize_t			 n;
	int			 fd, answers = 0, rc = -1;
	char			*nl;

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(sock) >= sizeof sa.sun_path)
		return -1;
	memcpy(sa.sun_path, sock, strlen(sock));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0)
		goto out;
	/* Its greeting ("OK Pleased to meet you"), then our line's answer. */
	while (answers < 2) {
		if ((nl = memchr(buf, '\n', got)) == NULL) {
			if (got == sizeof buf || (n = read(fd, buf + got,
			    sizeof buf - got)) <= 0)
				goto out;
			got += (size_t)n;
			continue;
		}
		if (strncmp(buf, "OK", 2) != 0 || (nl - buf > 2 &&
		    buf[2] != ' '))
			goto out;
		answers++;
		got -= (size_t)(nl + 1 - buf);
		memmove(buf, nl + 1, got);
		if (answers == 1 && (send(fd, line, len, MSG_NOSIGNAL) !=
		    (ssize_t)len || send(fd, "\n", 1, MSG_NOSIGNAL) != 1))
			goto out;
	}
	rc = 0;
out:
	close(fd);
	return rc;
}

/*
 * Stop the agent of a private home and remove the home. The agent's
 * socket is in the home unless /run/user/UID exists (GnuPG then puts it
 * there, under a name derived from the home): KILLAGENT on it directly,
 * else through gpg-connect-agent, which knows where it is. Not gpgconf
 * --kill: it sends the same KILLAGENT but starts four programs for it
 * (asking for a dirmngr and an scdaemon too, which a private home never
 * has), 30-90 ms of every decrypting run. Best effort: the complaints of
 * gpg-connect-agent (an agent already gone) go to /dev/null, not under
 * the run's one line.
 */
static void
crypto_remove_home(const char *home, int no_agent)
{
	char			*argv[] = { "gpg-connect-agent", "--homedir",
				    (char *)home, "--no-autostart", "KILLAGENT",
				    "/bye", NULL };
	char			*sock = NULL;
	struct stat		 sb;
	posix_spawn_file_actions_t fa;
	pid_t			 pid;
	int			 status;

	if (no_agent)
		goto remove;
	sock = xasprintf("%s/S.gpg-agent", home);
	if (lstat(sock, &sb) == 0 && S_ISSOCK(sb.st_mode) &&
	    crypto_agent_say(sock, "KILLAGENT") == 0)
		goto remove;
	if (posix_spawn_file_actions_init(&fa) != 0)
		goto remove;
	if (posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
	    O_WRONLY, 0) == 0 && posix_spawn_file_actions_adddup2(&fa,
	    STDOUT_FILENO, STDERR_FILENO) == 0 &&
	    posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0)
		waitpid(pid, &status, 0);
	posix_spawn_file_actions_destroy(&fa);
remove:
	free(sock);
	/* Depth first, never following a link out of the home. */
	nftw(home, crypto_remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void
crypto_free(struct crypto *c)
{
	size_t	i;

	if (c == NULL)
		return;
	if (c->home != NULL) {
		crypto_track_home(c->home, 0);
		crypto_remove_home(c->home, c->no_agent);
	}
	free(c->home);
	for (i = 0; i < c->nrecipients; i++)
		gpgme_key_unref(c->recipients[i]);
	free(c->recipients);
	if (c->passphrase != NULL) {
		explicit_bzero(c->passphrase, strlen(c->passphrase));
		free(c->passphrase);
	}
	free(c->engine);
	free(c);
}


static int
crypto_compare_fpr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
crypto_key_list(const struct crypto *c)
{
	char	**fprs, *out, *p;
	size_t	  i, len = 0;

	if (c->nrecipients == 0)
		return xstrdup("symmetric");
	fprs = xcalloc(c->nrecipients, sizeof *fprs);
	for (i = 0; i < c->nrecipients; i++) {
		fprs[i] = c->recipients[i]->fpr;
		len += strlen(fprs[i]) + 1;
	}
	qsort(fprs, c->nrecipients, sizeof *fprs, crypto_compare_fpr);
	out = p = xmalloc(len);
	for (i = 0; i < c->nrecipients; i++)
		p += sprintf(p, "%s%s", i > 0 ? "," : "", fprs[i]);
	free(fprs);
	return out;
}


/*
 * gpg lists the keys of the block itself (--import-options import-show
 * --dry-run, through gpgme_op_keylist_from_data_start), so a secret key is
 * told by its packets whatever its armour header says. The private home is
 * there only because gpg wants one; its gpg.conf says no-autostart, and
 * nothing is imported into it.
 */
int
crypto_inspect_key(const char *armor, size_t len, int *secret, char **fpr,
    char **cause)
{
	struct crypto	 *c = xcalloc(1, sizeof *c);
	gpgme_ctx_t	  ctx = NULL;
	gpgme_data_t	  data = NULL;
	gpgme_key_t	  key;
	gpgme_error_t	  err;
	char		**fprs = NULL, *out = NULL, *p;
	size_t		  nfprs = 0, i, size = 0;
	int		  any_secret = 0, rc = -1, listing = 0;

	for (i = 0; i < len; i++) {
		if (strchr(" \t\r\n", armor[i]) == NULL)
			break;
	}
	if (i == len) {
		error_set(cause, "not an OpenPGP key: empty");
		goto out;
	}
	if (crypto_make_home(c, cause) != 0 ||
	    crypto_set_no_agent(c, 1, cause) != 0 ||
	    crypto_context(c, &ctx, cause) != 0)
		goto out;
	if ((err = gpgme_data_new_from_mem(&data, armor, len, 0)) != 0 ||
	    (err = gpgme_op_keylist_from_data_start(ctx, data, 0)) != 0) {
		error_set(cause, "unable to read the key with gpg: %s",
		    gpgme_strerror(err));
		goto out;
	}
	listing = 1;
	while ((err = gpgme_op_keylist_next(ctx, &key)) == 0) {
		if (key->secret)
			any_secret = 1;
		if (key->fpr != NULL) {
			for (i = 0; i < nfprs; i++) {
				if (strcmp(fprs[i], key->fpr) == 0)
					break;
			}
			if (i == nfprs) {
				fprs = xrealloc(fprs, (nfprs + 1) *
				    sizeof *fprs);
				fprs[nfprs++] = xstrdup(key->fpr);
				size += strlen(key->fpr) + 1;
			}
		}
		gpgme_key_unref(key);
	}
	if (gpg_err_code(err) != GPG_ERR_EOF) {
		error_set(cause, "not an OpenPGP key: %s", gpgme_strerror(err));
		goto out;
	}
	if (nfprs == 0) {
		error_set(cause, "not an OpenPGP key: gpg found no key in it");
		goto out;
	}
	qsort(fprs, nfprs, sizeof *fprs, crypto_compare_fpr);
	out = p = xmalloc(size);
	for (i = 0; i < nfprs; i++)
		p += sprintf(p, "%s%s", i > 0 ? "," : "", fprs[i]);
	*secret = any_secret;
	*fpr = out;
	rc = 0;
out:
	if (listing)
		gpgme_op_keylist_end(ctx);
	for (i = 0; i < nfprs; i++)
		free(fprs[i]);
	free(fprs);
	gpgme_data_release(data);
	if (ctx != NULL)
		gpgme_release(ctx);
	crypto_free(c);
	return rc;
}
