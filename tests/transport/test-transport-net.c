/*
 * test-transport-net.c: the network drivers against real servers (started
 * by net.sh, see servers.sh): the shared suite over sftp (key and password
 * logins), scp, ftp and ftps, then their failures: unknown and changed
 * host keys, wrong passwords and permission denied failing at once (no
 * retries), a refused port and a silent server (idle timeout) failing
 * after a bounded number of tries, an
 * unverified certificate refused, an sftp upload whose connection is cut
 * midway resumed into an identical object, and an ftp one failing cleanly.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sink.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/netcheck.h"
#include "tests/transport/suite.h"
#include "transports/transport.h"

static const char	*user, *home, *run;
static int		 ssh_port, ftp_port;



int
main(void)
{
	struct transport_options o = { 0 }, bad;
	char			*url, *dir, empty_home[] = "/tmp/tresor-home.XXXXXX";
	char			*file;
	FILE			*f;

	user = env("TEST_USER");
	home = env("TEST_HOME");
	run = env("RUN_ID");
	ssh_port = atoi(env("SSH_PORT"));
	ftp_port = atoi(env("FTP_PORT"));
	password = read_line(env("TEST_PASSWORD_FILE"));
	o.ssh_key = env("SSH_KEY");
	o.ssh_known_hosts = env("KNOWN_HOSTS");
	o.ca_file = env("CA_FILE");
	o.connect_timeout = 5;
	o.idle_timeout = 10;
	unsetenv("FTP_PASSWORD");

	/* sftp with a key; the nested directory does not exist yet. */
	url = xasprintf("sftp://%s@127.0.0.1:%d/%s/sftp/a/b", user, ssh_port,
	    run);
	transport_suite_run(url, &o);
	dir = xasprintf("%s/%s/sftp/a/b", home, run);
	check_dir_made(dir, "[sftp] the nested directory was made (relative "
	    "to the login directory)");
	check_resume(url, &o, "SSHD_PID");
	check_long_names("sftp", url, &o, dir);
	free(dir);
	free(url);

	/* scp://, an absolute //path. */
	url = xasprintf("scp://%s@127.0.0.1:%d/%s/%s/scp", user, ssh_port, home,
	    run);
	transport_suite_run(url, &o);
	free(url);
	dir = xasprintf("%s/%s/scp", home, run);
	check_dir_made(dir, "[scp] //path is absolute");
	free(dir);

	/* sftp with the password from $FTP_PASSWORD (no key in ~/.ssh). */
	if (mkdtemp(empty_home) == NULL)
		return 1;
	setenv("HOME", empty_home, 1);
	setenv("FTP_PASSWORD", password, 1);
	bad = o;
	bad.ssh_key = NULL;
	url = xasprintf("sftp://%s@127.0.0.1:%d/%s/sftp-password", user,
	    ssh_port, run);
	transport_suite_run(url, &bad);
	free(url);

	/* ftp, password from $FTP_PASSWORD; ftps with it in the URL. */
	url = xasprintf("ftp://%s@127.0.0.1:%d/%s/ftp/a/b", user, ftp_port,
	    run);
	transport_suite_run(url, &o);
	dir = xasprintf("%s/%s/ftp/a/b", home, run);
	check_dir_made(dir, "[ftp] the nested directory was made");
	check_long_names("ftp", url, &o, dir);
	free(dir);
	check_cut(url, &o, "VSFTPD_PID");
	free(url);
	unsetenv("FTP_PASSWORD");
	url = xasprintf("ftps://%s:%s@127.0.0.1:%d/%s/%s/ftps", user, password,
	    ftp_port, home, run);
	transport_suite_run(url, &o);

	/* TLS: the private CA is needed, or verification off on request. */
	bad = o;
	bad.ca_file = NULL;
	bad.retries = 1;
	expect_open_failure("[ftps] an unverified certificate is refused", url,
	    &bad, "certificate", 10);
	bad.insecure_tls = 1;
	check_connects("[ftps] --insecure-tls connects", url, &bad);
	free(url);

	/* Host keys. */
	file = xasprintf("%s/empty_known_hosts", empty_home);
	f = fopen(file, "w");
	fclose(f);
	bad = o;
	bad.ssh_known_hosts = file;
	url = xasprintf("sftp://%s@127.0.0.1:%d/%s", user, ssh_port, run);
	expect_open_failure("[sftp] an unknown host key is refused", url, &bad,
	    env("HOST_FINGERPRINT"), 10);
	free(file);
	bad.ssh_known_hosts = env("OTHER_KNOWN_HOSTS");
	expect_open_failure("[sftp] a changed host key is refused", url, &bad,
	    "CHANGED", 10);
	free(url);

	/* Passwords and permissions: permanent, so no retries. */
	bad = o;
	bad.ssh_key = NULL;
	bad.password = "not-the-password";
	url = xasprintf("sftp://%s@127.0.0.1:%d/%s", user, ssh_port, run);
	/*
	 * "At once" is one try, whatever the retries allowed: a retried
	 * login would say "gave up after 5 tries". The time bound is only
	 * against a hang (a server's failed-login delay is 1 s or so).
	 */
	bad.retries = 5;
	check_wrong_password("[sftp]", url, &bad);
	free(url);
	url = xasprintf("ftp://%s@127.0.0.1:%d/%s", user, ftp_port, run);
	check_wrong_password("[ftp]", url, &bad);
	free(url);
	bad = o;
	bad.password = password;
	url = xasprintf("sftp://%s@127.0.0.1:%d//etc/tresor-denied", user,
	    ssh_port);
	expect_put_failure("[sftp] permission denied", url, &bad,
	    "permission denied");
	free(url);
	url = xasprintf("ftp://%s@127.0.0.1:%d//etc/tresor-denied", user,
	    ftp_port);
	expect_put_failure("[ftp] permission denied", url, &bad, "x.obj");
	free(url);

	/* Nothing listening: transient, tried 3 times with pauses. */
	check_refused("sftp", user, "x", &o);
	check_refused("ftp", user, "x", &o);

	/* A server that never answers: the idle timeout, 2 tries of 1 s. */
	check_silent("sftp", user, "x", &o);
	check_silent("ftp", user, "x", &o);
	rmdir(empty_home);
	return tap_done();
}
