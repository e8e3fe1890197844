/*
 * test-transport-net2.c: the webdav, webdavs and smb drivers against real
 * servers (started by net2.sh, see servers.sh: apache2 with mod_dav_fs,
 * smbd): the shared suite over webdav (basic and digest authentication),
 * webdavs and smb (with a domain), then their failures: wrong passwords,
 * a missing share and permission denied failing at once (no retries), a
 * refused port and a silent server (idle timeout) failing after a bounded
 * number of tries, an unverified certificate refused, an upload whose
 * connections are cut midway failing cleanly (webdav) or resumed (smb),
 * and a server whose connections all drop between two objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sink.h"
#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/netcheck.h"
#include "tests/transport/suite.h"
#include "transports/transport.h"

static const char	*user, *home, *run;
static int		 dav_port, davs_port, smb_port;

/* Put one small object: 0 or -1. */
static int
put_one(struct transport *t, const char *name, char **cause)
{
	struct sink	*s;
	int		 rc;

	if ((s = transport_put(t, name, cause)) == NULL)
		return -1;
	rc = sink_write(s, "between", 7, cause) == 0 ? sink_finish(s, cause) :
	    -1;
	sink_free(s);
	return rc;
}

/*
 * The server drops every connection between two objects (a restart, for
 * the client): the next object is written on a new one.
 */
static void
check_between(const char *tag, const char *url,
    const struct transport_options *o, const char *server)
{
	struct transport	*t;
	struct name_list	 l = { NULL, 0 };
	char			*cause = NULL;
	int			 cut = 0, ok = 0;

	if ((t = transport_open(url, o, &cause)) != NULL &&
	    put_one(t, "before.obj", &cause) == 0) {
		cut = cut_connections(atol(env(server)));
		/* The server's listener takes a moment to serve again. */
		usleep(200 * 1000);
		ok = put_one(t, "after.obj", &cause) == 0 &&
		    transport_list(t, &l, &cause) == 0 && l.count == 2;
	}
	tap_ok(ok && cut > 0, "[%s] connections dropped between two objects "
	    "(%d killed): the next is written on a new one: %s", tag, cut,
	    cause != NULL ? cause : "ok");
	name_list_clear(&l);
	if (t != NULL) {
		transport_remove(t, "before.obj", &cause);
		transport_remove(t, "after.obj", &cause);
	}
	transport_close(t);
	free(cause);
}

int
main(void)
{
	struct transport_options o = { 0 }, bad;
	char			*url, *dir;

	user = env("TEST_USER");
	home = env("TEST_HOME");
	run = env("RUN_ID");
	dav_port = atoi(env("DAV_PORT"));
	davs_port = atoi(env("DAVS_PORT"));
	smb_port = atoi(env("SMB_PORT"));
	password = read_line(env("TEST_PASSWORD_FILE"));
	o.ca_file = env("CA_FILE");
	o.connect_timeout = 5;
	o.idle_timeout = 10;

	/* webdav, basic auth, the password from $FTP_PASSWORD; a nested
	   directory that does not exist yet. */
	setenv("FTP_PASSWORD", password, 1);
	url = xasprintf("webdav://%s@127.0.0.1:%d/%s/dav/a/b", user, dav_port,
	    run);
	transport_suite_run(url, &o);
	dir = xasprintf("%s/%s/dav/a/b", home, run);
	check_dir_made(dir, "[webdav] the nested directory was made (MKCOL)");
	check_long_names("webdav", url, &o, dir);
	free(dir);
	check_cut(url, &o, "APACHE_PID");
	check_between("webdav", url, &o, "APACHE_PID");
	free(url);
	unsetenv("FTP_PASSWORD");

	/* Digest authentication, the password in the URL. */
	url = xasprintf("webdav://%s:%s@127.0.0.1:%d/digest/%s/digest", user,
	    password, dav_port, run);
	transport_suite_run(url, &o);
	free(url);

	/* webdavs, the password from the options (the configuration). */
	bad = o;
	bad.password = password;
	url = xasprintf("webdavs://%s@127.0.0.1:%d/%s/davs", user, davs_port,
	    run);
	transport_suite_run(url, &bad);
	bad.ca_file = NULL;
	bad.retries = 1;
	expect_open_failure("[webdavs] an unverified certificate is refused",
	    url, &bad, "certificate", 10);
	bad.insecure_tls = 1;
	check_connects("[webdavs] --insecure-tls connects", url, &bad);
	free(url);

	/* smb, a domain, the password in the URL; a nested directory. */
	url = xasprintf("smb://TRESORTEST;%s:%s@127.0.0.1:%d/tresor/%s/smb/a/b",
	    user, password, smb_port, run);
	transport_suite_run(url, &o);
	dir = xasprintf("%s/%s/smb/a/b", home, run);
	check_dir_made(dir, "[smb] the nested directory was made");
	check_long_names("smb", url, &o, dir);
	free(dir);
	free(url);
	/* The same without the password (for the labels), from the options. */
	bad = o;
	bad.password = password;
	url = xasprintf("smb://TRESORTEST;%s@127.0.0.1:%d/tresor/%s/smb/a/b",
	    user, smb_port, run);
	check_resume(url, &bad, "SMBD_PID");
	check_between("smb", url, &bad, "SMBD_PID");
	free(url);

	/* Passwords, shares and permissions: permanent, so no retries. */
	bad = o;
	bad.password = "not-the-password";
	bad.retries = 5;
	url = xasprintf("webdav://%s@127.0.0.1:%d/%s", user, dav_port, run);
	check_wrong_password("[webdav]", url, &bad);
	free(url);
	url = xasprintf("webdav://%s@127.0.0.1:%d/digest/%s", user, dav_port,
	    run);
	expect_open_failure("[webdav] a wrong password fails at once (digest)",
	    url, &bad, "authentication failed", 20);
	free(url);
	url = xasprintf("smb://%s@127.0.0.1:%d/tresor/%s", user, smb_port, run);
	check_wrong_password("[smb]", url, &bad);
	free(url);
	bad = o;
	bad.password = password;
	url = xasprintf("smb://%s@127.0.0.1:%d/no-such-share/x", user,
	    smb_port);
	expect_open_failure("[smb] a wrong share is named", url, &bad,
	    "no such share", 20);
	free(url);
	url = xasprintf("smb://%s@127.0.0.1:%d/readonly/tresor-denied", user,
	    smb_port);
	expect_put_failure("[smb] access denied", url, &bad, "access denied");
	free(url);
	url = xasprintf("webdav://%s@127.0.0.1:%d/%s/ro/tresor-denied", user,
	    dav_port, run);
	expect_put_failure("[webdav] permission denied", url, &bad,
	    "permission denied");
	free(url);

	/* Nothing listening: transient, tried 3 times with pauses. */
	check_refused("webdav", user, "x", &bad);
	check_refused("smb", user, "tresor/x", &bad);

	/* A server that never answers: the idle timeout, 2 tries of 1 s. */
	check_silent("webdav", user, "x", &bad);
	check_silent("smb", user, "tresor/x", &bad);
	return tap_done();
}
