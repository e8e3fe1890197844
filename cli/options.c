/* options.c: the table-driven option parser (see options.h). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/options.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/log.h"
#include "common/timespec.h"
#include "common/xmalloc.h"
#include "format/filter/crypto.h"
#include "transports/transport.h"
#include "transports/url.h"

static void
cli_own(struct cli_parsed *p, void *ptr)
{
	p->owned = xrealloc(p->owned, (p->nowned + 1) * sizeof *p->owned);
	p->owned[p->nowned++] = ptr;
}

/* "--name" for messages. */
static const char *
cli_dashed(const struct cli_opt *o)
{
	static char	buf[64];

	snprintf(buf, sizeof buf, "--%s", o->name);
	return buf;
}

static int
cli_set_int(const struct cmd *cmd, const struct cli_opt *o, const char *arg,
    int *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || n < o->min ||
	    n > o->max) {
		if (o->min == 1 && o->max == CLI_POSITIVE_MAX)
			return cli_usage_error(cmd, "%s: '%s' is not a positive "
			    "number", cli_dashed(o), arg);
		return cli_usage_error(cmd, "%s takes %ld to %ld, not '%s'",
		    cli_dashed(o), o->min, o->max, arg);
	}
	*out = (int)n;
	return 0;
}

static int
cli_set_mib(const struct cmd *cmd, const struct cli_opt *o, const char *arg,
    uint64_t *out)
{
	unsigned long long	 v;
	char			*end;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*arg == '\0' || errno != 0 || *end != '\0' ||
	    v < (unsigned long long)o->min || v > (unsigned long long)o->max)
		return cli_usage_error(cmd, "%s takes MiB from %ld to %ld, not "
		    "'%s'", cli_dashed(o), o->min, o->max, arg);
	*out = (uint64_t)v * 1024 * 1024;
	return 0;
}

static int
cli_set_bytes(const struct cmd *cmd, const struct cli_opt *o,
    const char *arg, uint64_t *out)
{
	unsigned long long	 v;
	char			*end;
	int			 shift;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (*end == 'K' || *end == 'M' || *end == 'G') {
		shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;
		if (v > (ULLONG_MAX >> shift))
			errno = ERANGE;
		v <<= shift;
		end++;
	}
	if (errno != 0 || *end != '\0' || end == arg)
		return cli_usage_error(cmd, "%s takes bytes, K, M or G, not "
		    "'%s'", cli_dashed(o), arg);
	*out = (uint64_t)v;
	return 0;
}

static int
cli_set_time(const struct cmd *cmd, const struct cli_opt *o,
    const char *arg, time_t *out)
{
	char	*cause = NULL;
	time_t	 now;
	int	 rc = 0;

	char	 when[21], nowiso[21];

	if (clock_now(&now, &cause) != 0 ||
	    timespec_parse(arg, now, out, &cause) != 0) {
		rc = cli_usage_error(cmd, "%s: %s", cli_dashed(o), cause);
		free(cause);
		return rc;
	}
	/* No set is newer than now (backup refuses a clock that went
	 * backwards), so a later time is a typo, not "the newest set". */
	if (*out > now) {
		clock_format_iso(*out, when);
		clock_format_iso(now, nowiso);
		rc = cli_usage_error(cmd, "%s '%s': %s is in the future (now "
		    "%s)", cli_dashed(o), arg, when, nowiso);
	}
	return rc;
}

/*
 * A scheme no driver has, in transport_open's words: checked here too, so
 * that it is a usage error (exit 2) like any URL that does not parse.
 */
static int
cli_check_scheme(const char *url, char **cause)
{
	char	*scheme = url_scheme(url), *list = NULL, *display = NULL;
	char	*tok, *save = NULL, *copy = NULL;
	int	 known = 0;

	if (scheme == NULL)
		return 0;	/* url_parse names what is wrong */
	list = transport_schemes();
	copy = xstrdup(list);
	for (tok = strtok_r(copy, ", ", &save); tok != NULL && !known;
	    tok = strtok_r(NULL, ", ", &save))
		known = strcasecmp(tok, scheme) == 0;
	if (!known) {
		display = url_display(url);
		error_set(cause, "unknown scheme '%s' in URL '%s' (supported: "
		    "%s)", scheme, display, list);
	}
	free(display);
	free(copy);
	free(list);
	free(scheme);
	return known ? 0 : -1;
}

/* Convert one option's argument into its place in out; 0 or an exit code. */
static int
cli_apply(const struct cmd *cmd, const struct cli_opt *o, char *arg,
    char *out, int argc, struct cli_parsed *p)
{
	void		*at = out + o->offset;
	char		**list;
	size_t		*count;
	int64_t		 seconds;
	struct url	 url;
	char		*cause = NULL;
	int		 rc;

	switch (o->type) {
	case CLI_FLAG:
		*(int *)at = 1;
		return 0;
	case CLI_STRING:
		*(const char **)at = arg;
		return 0;
	case CLI_URL:
		*(const char **)at = cli_target_url(arg);
		cli_own(p, *(char **)at);
		/* A URL that cannot be parsed is a bad command line (exit 2),
		 * named before anything connects. The cause never holds the
		 * password (url_parse's contract). */
		if (cli_check_scheme(*(const char **)at, &cause) != 0 ||
		    url_parse(*(const char **)at, &url, &cause) != 0) {
			rc = cli_usage_error(cmd, "%s: %s", cli_dashed(o),
			    cause);
			free(cause);
			return rc;
		}
		url_clear(&url);
		return 0;
	case CLI_INTERVAL:
		if (cli_interval(cmd, cli_dashed(o), arg, &seconds) != 0)
			return EXIT_USAGE;
		if (o->min > 0 && seconds < o->min)
			return cli_usage_error(cmd, "%s must be more than 0",
			    cli_dashed(o));
		*(int64_t *)at = seconds;
		return 0;
	case CLI_TIME:
		if (cli_set_time(cmd, o, arg, (time_t *)at) != 0)
			return EXIT_USAGE;
		*(int *)(out + o->flag) = 1;
		return 0;
	case CLI_INT:
		return cli_set_int(cmd, o, arg, (int *)at);
	case CLI_MIB:
		return cli_set_mib(cmd, o, arg, (uint64_t *)at);
	case CLI_BYTES:
		return cli_set_bytes(cmd, o, arg, (uint64_t *)at);
	case CLI_LIST:
		list = *(char ***)at;
		count = (size_t *)(out + o->flag);
		if (list == NULL) {
			/* No more entries than argv has words. */
			list = xcalloc((size_t)argc + 1, sizeof *list);
			*(char ***)at = list;
			cli_own(p, list);
		}
		list[(*count)++] = arg;
		return 0;
	case CLI_VERBOSE:
		log_verbose = 1;
		return 0;
	case CLI_HELP:
		fputs(cmd->usage, stdout);
		exit(EXIT_OK);
	case CLI_END:
		break;
	}
	return cli_usage_error(cmd, "option %s is not handled", cli_dashed(o));
}

int
cli_parse(const struct cmd *cmd, const struct cli_opt *table, int argc,
    char **argv, void *out, struct cli_parsed *p)
{
	struct option	*longopts;
	uint8_t		*seen = NULL;
	size_t		 n, i;
	int		 opt, rc = 0, set_seen = 0, time_seen = 0;

	memset(p, 0, sizeof *p);
	for (n = 0; table[n].type != CLI_END; n++)
		;
	longopts = xcalloc(n + 1, sizeof *longopts);
	for (i = 0; i < n; i++) {
		longopts[i].name = table[i].name;
		longopts[i].has_arg = table[i].type == CLI_FLAG ||
		    table[i].type == CLI_VERBOSE || table[i].type == CLI_HELP ?
		    no_argument : required_argument;
		longopts[i].val = (int)(256 + i);
	}
	seen = xcalloc(n + 1, 1);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (opt < 256 || opt >= (int)(256 + n)) {
			rc = cli_usage_error(cmd, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
		seen[opt - 256] = 1;
		if ((rc = cli_apply(cmd, &table[opt - 256], optarg, out, argc,
		    p)) != 0)
			goto out;
	}
	for (i = 0; i < n; i++) {
		if (table[i].required != NULL && !seen[i]) {
			rc = cli_usage_error(cmd, "%s", table[i].required);
			goto out;
		}
		/* --time and --set each choose the set: one or the other. */
		if (seen[i] && strcmp(table[i].name, "set") == 0)
			set_seen = 1;
		if (seen[i] && strcmp(table[i].name, "time") == 0)
			time_seen = 1;
	}
	if (set_seen && time_seen) {
		rc = cli_usage_error(cmd, "give --time or --set, not both");
		goto out;
	}
	p->operands = argv + optind;
	p->noperands = argc - optind;
	if (p->noperands < cmd->min_operands || (cmd->max_operands >= 0 &&
	    p->noperands > cmd->max_operands)) {
		if (cmd->operands != NULL)
			rc = cli_usage_error(cmd, "give %s", cmd->operands);
		else
			rc = cli_usage_error(cmd, "unexpected '%s'",
			    p->operands[0]);
	}
out:
	free(seen);
	free(longopts);
	return rc;
}

int
cli_exec(const struct cmd *cmd, int argc, char **argv)
{
	struct cli_parsed	 p;
	void			*o = xcalloc(1, cmd->size);
	char			*cause = NULL;
	int			 rc;

	if (cmd->defaults != NULL)
		cmd->defaults(o);
	if ((rc = cli_parse(cmd, cmd->opts, argc, argv, o, &p)) == 0) {
		if (cmd->max_operands != 0) {
			*(char ***)((char *)o + cmd->operands_at) = p.operands;
			*(size_t *)((char *)o + cmd->noperands_at) =
			    (size_t)p.noperands;
		}
		/*
		 * Only now, once the options are parsed: a password in a URL
		 * stays in argv (visible in ps) until cli_target_url masks it,
		 * so nothing slow, such as gpgme starting gpg, comes first.
		 */
		if ((rc = crypto_library_init(&cause)) == 0)
			rc = cmd->run(o, &cause);
		else
			rc = EXIT_FAILURE_;
		rc = cli_finish(rc, cause);
	}
	cli_parsed_free(&p);
	free(o);
	return rc;
}

void
cli_parsed_free(struct cli_parsed *p)
{
	size_t	i;

	for (i = 0; i < p->nowned; i++)
		free(p->owned[i]);
	free(p->owned);
	memset(p, 0, sizeof *p);
}

char *
cli_target_url(char *arg)
{
	char	*copy = xstrdup(arg);

	/* The same split url_parse makes: no spelling leaves a password. */
	url_hide_password(arg);
	return copy;
}
