/*
 * test-transport-file.c: the file:// driver (transports/file.c) passes the
 * shared transport suite, and its own failure cases are worded clearly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xmalloc.h"
#include "tests/tap.h"
#include "tests/transport/suite.h"
#include "transports/transport.h"

int
main(void)
{
	char			 dir[] = "/tmp/tresor-test-file.XXXXXX";
	char			*url, *cause = NULL, *path;
	struct transport	*t;
	FILE			*f;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	url = xasprintf("file://%s", dir);
	transport_suite_run(url, NULL);

	/* Debris of a crashed writer (a hidden temporary) is not listed. */
	path = xasprintf("%s/.tmp.tresor.x.vol000001.gpg.123.0", dir);
	f = fopen(path, "w");
	fclose(f);
	t = transport_open(url, NULL, &cause);
	{
		struct name_list l;

		tap_ok(t != NULL && transport_list(t, &l, &cause) == 0 &&
		    l.count == 0, "temporary names are not listed");
		name_list_clear(&l);
	}
	transport_close(t);
	unlink(path);
	free(path);
	free(url);

	url = xasprintf("file://%s/not-there", dir);
	t = transport_open(url, NULL, &cause);
	tap_ok(t == NULL && cause != NULL && strstr(cause, "does not exist") &&
	    strstr(cause, "not-there"), "a missing directory is named, not "
	    "created: %s", cause ? cause : "");
	free(cause);
	cause = NULL;
	path = xasprintf("%s/not-there", dir);
	tap_ok(access(path, F_OK) != 0, "... and it was not created");
	free(path);
	free(url);

	path = xasprintf("%s/a-file", dir);
	f = fopen(path, "w");
	fclose(f);
	url = xasprintf("file://%s", path);
	t = transport_open(url, NULL, &cause);
	tap_ok(t == NULL && cause != NULL && strstr(cause, "a-file"),
	    "a target that is a file is refused: %s", cause ? cause : "");
	free(cause);
	unlink(path);
	free(path);
	free(url);
	rmdir(dir);
	return tap_done();
}
