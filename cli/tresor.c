/*
 * tresor.c: entry point of the tresor command; dispatches to the verbs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <getopt.h>

#include "cli.h"
#include "repo/cache.h"
#include "repo/lock.h"
#include "common/clock.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "common/timespec.h"
#include "common/hash.h"
#include "common/log.h"
#include "config.h"

static const struct cmd *cmds[] = {
	&cmd_backup,
	&cmd_restore,
	&cmd_ls,
	&cmd_fetch,
	&cmd_restore_db,
	&cmd_recover,
	&cmd_status,
	&cmd_verify,
	&cmd_purge,
	&cmd_cleanup,
};

static void
usage(FILE *f)
{
	size_t	i;

	fprintf(f, "usage: tresor VERB [OPTIONS]   (tresor VERB --help for "
	    "details)\n\nverbs:\n");
	for (i = 0; i < sizeof cmds / sizeof *cmds; i++)
		fprintf(f, "  %-19s %s\n", cmds[i]->name, cmds[i]->summary);
}

int
cli_interval(const struct cmd *cmd, const char *option, const char *text,
    int64_t *seconds)
{
	char	*cause = NULL;

	if (timespec_interval(text, seconds, &cause) == 0)
		return 0;
	cli_usage_error(cmd, "%s: %s", option, cause);
	free(cause);
	return -1;
}

const char *
cli_default_cache_dir(void)
{
	const char	*env = getenv("TRESOR_CACHE_DIR");

	return env != NULL && *env != '\0' ? env : CACHE_DEFAULT_DIR;
}

int
cli_usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list	 ap;
	char	*msg;

	fprintf(stderr, "tresor: %s: ", cmd->name);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		msg = NULL;
	va_end(ap);
	log_put_one_line(stderr, msg != NULL ? msg : fmt);
	free(msg);
	fprintf(stderr, " (see tresor %s --help)\n", cmd->name);
	return EXIT_USAGE;
}

int
cli_finish(int rc, char *cause)
{
	/* Stopped by a signal: the shell's convention, 128 + the signal. */
	if (rc != EXIT_OK && interrupt_received())
		rc = interrupt_exit_code();
	if (cause != NULL) {
		if (rc == EXIT_WARNINGS)
			log_warn("%s", cause);
		else
			log_error("%s", cause);
		free(cause);
	}
	fflush(stdout);
	return rc;
}

/* Run as recover-from-backup (a symlink to tresor): that verb alone. */
static const struct cmd *
called_as(const char *argv0)
{
	const char	*base = strrchr(argv0, '/');

	base = base != NULL ? base + 1 : argv0;
	/* Also under the name of the appliance's old script. */
	if (strcmp(base, cmd_recover.name) == 0 ||
	    strcmp(base, "recover-from-backup.sh") == 0)
		return &cmd_recover;
	return NULL;
}

/* What every verb needs before it runs. */
static void
setup(void)
{
	opterr = 0;	/* the verbs word their own usage errors */
	/* Cache copies and temporaries hold plaintext metadata: keep them
	 * private. Restored files get their recorded modes explicitly. */
	umask(077);
	interrupt_install();
	hash_library_init();
}

int
main(int argc, char **argv)
{
	const struct cmd	*cmd;
	size_t			 i;

	if (argc > 0 && (cmd = called_as(argv[0])) != NULL) {
		setup();
		return cli_exec(cmd, argc, argv);
	}
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("tresor %s (format %d)\n", PACKAGE_VERSION, 1);
		return EXIT_OK;
	}
	setup();
	for (i = 0; i < sizeof cmds / sizeof *cmds; i++) {
		if (strcmp(argv[1], cmds[i]->name) == 0)
			return cli_exec(cmds[i], argc - 1, argv + 1);
	}
	fprintf(stderr, "tresor: unknown verb '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
