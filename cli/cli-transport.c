/* cli-transport.c: the options saying how to reach a target (cli.h). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/error.h"
#include "common/xmalloc.h"
#include "transports/url.h"

/* A positive count or number of seconds. */
static int
cli_positive(const struct cmd *cmd, const char *option, const char *text,
    int *value)
{
	char	*end;
	long	 n;

	n = strtol(text, &end, 10);
	if (*text == '\0' || *end != '\0' || n <= 0 || n > INT_MAX / 1000) {
		cli_usage_error(cmd, "%s: '%s' is not a positive number", option,
		    text);
		return -1;
	}
	*value = (int)n;
	return 0;
}

int
cli_transport_option(const struct cmd *cmd, int opt, const char *arg,
    struct transport_options *o, int *rc)
{
	*rc = 0;
	switch (opt) {
	case OPT_SSH_KEY:
		o->ssh_key = arg;
		return 1;
	case OPT_SSH_KNOWN_HOSTS:
		o->ssh_known_hosts = arg;
		return 1;
	case OPT_CA_FILE:
		o->ca_file = arg;
		return 1;
	case OPT_INSECURE_TLS:
		o->insecure_tls = 1;
		return 1;
	case OPT_CONNECT_TIMEOUT:
		if (cli_positive(cmd, "--connect-timeout", arg,
		    &o->connect_timeout) != 0)
			*rc = EXIT_USAGE;
		return 1;
	case OPT_TIMEOUT:
		if (cli_positive(cmd, "--timeout", arg, &o->idle_timeout) != 0)
			*rc = EXIT_USAGE;
		return 1;
	case OPT_RETRIES:
		if (cli_positive(cmd, "--retries", arg, &o->retries) != 0)
			*rc = EXIT_USAGE;
		return 1;
	}
	return 0;
}

char *
cli_target_url(char *arg)
{
	char	*copy = xstrdup(arg);

	/* The same split url_parse makes: no spelling leaves a password. */
	url_hide_password(arg);
	return copy;
}
