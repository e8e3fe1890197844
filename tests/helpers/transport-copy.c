/*
 * transport-copy.c: move one object through a transport driver, for the
 * benchmarks (benchmarks/transports.sh) and by hand:
 *
 *	transport-copy put URL NAME <file	(stdin to a new object)
 *	transport-copy get URL NAME >file	(an object to stdout)
 *	transport-copy rm URL NAME
 *
 * Transport options from the environment: SSH_KEY, KNOWN_HOSTS, CA_FILE,
 * S3_ENDPOINT, S3_PART_MIB, S3_PARALLEL; the password from the URL or
 * FTP_PASSWORD, the S3 keys from AWS_*, as for tresor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/io.h"
#include "common/sink.h"
#include "transports/transport.h"

#define COPY_BUFFER	(256 * 1024)

static int
copy_put(struct transport *t, const char *name, char *buf, char **cause)
{
	struct sink	*s;
	ssize_t		 n;
	int		 rc = -1;

	if ((s = transport_put(t, name, cause)) == NULL)
		return -1;
	while ((n = read(STDIN_FILENO, buf, COPY_BUFFER)) > 0) {
		if (sink_write(s, buf, (size_t)n, cause) != 0)
			goto out;
	}
	if (n == 0)
		rc = sink_finish(s, cause);
	else
		*cause = strdup("unable to read stdin");
out:
	sink_free(s);
	return rc;
}

static int
copy_get(struct transport *t, const char *name, char *buf, char **cause)
{
	struct transport_reader	*r;
	ssize_t			 n;

	if ((r = transport_get(t, name, cause)) == NULL)
		return -1;
	while ((n = transport_reader_read(r, buf, COPY_BUFFER, cause)) > 0) {
		if (io_write_all(STDOUT_FILENO, buf, (size_t)n) != 0) {
			*cause = strdup("unable to write stdout");
			n = -1;
			break;
		}
	}
	transport_reader_close(r);
	return n == 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct transport_options o = { 0 };
	struct transport	*t;
	char			*cause = NULL, *buf;
	int			 rc = -1;

	if (argc != 4) {
		fprintf(stderr, "usage: transport-copy put|get|rm URL NAME\n");
		return 2;
	}
	o.ssh_key = getenv("SSH_KEY");
	o.ssh_known_hosts = getenv("KNOWN_HOSTS");
	o.ca_file = getenv("CA_FILE");
	o.s3_endpoint = getenv("S3_ENDPOINT");
	if (getenv("S3_PART_MIB") != NULL)
		o.s3_part_mib = atoi(getenv("S3_PART_MIB"));
	if (getenv("S3_PARALLEL") != NULL)
		o.s3_parallel = atoi(getenv("S3_PARALLEL"));
	if ((t = transport_open(argv[2], &o, &cause)) == NULL) {
		fprintf(stderr, "transport-copy: %s\n", cause);
		return 1;
	}
	buf = malloc(COPY_BUFFER);
	if (strcmp(argv[1], "put") == 0)
		rc = copy_put(t, argv[3], buf, &cause);
	else if (strcmp(argv[1], "get") == 0)
		rc = copy_get(t, argv[3], buf, &cause);
	else if (strcmp(argv[1], "rm") == 0)
		rc = transport_remove(t, argv[3], &cause);
	else
		cause = strdup("unknown command");
	if (rc != 0)
		fprintf(stderr, "transport-copy: %s\n", cause);
	free(buf);
	free(cause);
	transport_close(t);
	return rc == 0 ? 0 : 1;
}
