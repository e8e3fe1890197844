/* cmd-fetch.c: tresor fetch. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "common/error.h"
#include "common/interrupt.h"
#include "restore/fetch.h"

enum { OPT_FORCE = OPT_FIRST_VERB_OPTION };

static int
cmd_fetch_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_COMMON_OPTIONS,
		CLI_TRANSPORT_OPTIONS,
		CLI_POINT_OPTIONS,
		{ "force", no_argument, NULL, OPT_FORCE },
		{ NULL, 0, NULL, 0 }
	};
	struct restore_options	 o = { 0 };
	char			*url = NULL, *cause = NULL;
	int			 opt, rc, reader_gone;

	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		if (cli_common_option(&cmd_fetch, opt, optarg, &o.crypto,
		    &o.quiet))
			continue;
		if (cli_transport_option(&cmd_fetch, opt, optarg, &o.transport,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		if (cli_point_option(&cmd_fetch, opt, optarg, &o, &url,
		    &rc)) {
			if (rc != 0)
				goto out;
			continue;
		}
		switch (opt) {
		case OPT_FORCE:
			o.force = 1;
			break;
		default:
			rc = cli_usage_error(&cmd_fetch, "unknown option '%s'",
			    argv[optind - 1]);
			goto out;
		}
	}
	if (o.url == NULL) {
		rc = cli_usage_error(&cmd_fetch, "--from URL is required");
		goto out;
	}
	if (argc - optind != 2) {
		rc = cli_usage_error(&cmd_fetch, "give one PATH and one DEST");
		goto out;
	}
	o.paths = argv + optind;
	o.npaths = 1;
	rc = fetch_run(&o, argv[optind + 1], &reader_gone, &cause);
	if (rc != EXIT_OK && reader_gone && !interrupt_received()) {
		/*
		 * The reader stopped early (head, pg_restore --list): its
		 * choice, not our error. Die of SIGPIPE as cat does, with no
		 * message; the shell reports 141. Everything is cleaned up.
		 */
		free(cause);
		free(url);
		fflush(stderr);
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
		return 128 + SIGPIPE;
	}
	rc = cli_finish(rc, cause);
out:
	free(url);
	return rc;
}

const struct cmd cmd_fetch = {
	.name = "fetch",
	.summary = "one file (such as the database dump) to a file or stdout",
	.usage =
	"usage: tresor fetch --from URL [KEY OPTIONS] [--time T | --set ID]\n"
	"                    [--force] PATH DEST\n"
	"\n"
	"Write the stored file PATH (for example ecs-pgdump/app.pgdump) as of\n"
	"the newest set, or the newest at or before T, to DEST; DEST - is\n"
	"stdout. Only the volumes that hold it are read. A file DEST appears\n"
	"only once its content matched its SHA-256; on stdout a mismatch can\n"
	"only be reported by the exit status. A summary goes to stderr.\n"
	"\n"
	"If the reader of stdout stops early (fetch ... - | head), fetch\n"
	"stops quietly the way cat does: it is killed by SIGPIPE (the shell\n"
	"shows status 141), with no message. Under set -o pipefail that status\n"
	"marks the pipeline as failed, since not all of PATH was delivered and\n"
	"checked; the reader's own status says whether it got what it wanted.\n"
	"\n"
	CLI_POINT_HELP
	"  --force                 replace an existing DEST\n"
	CLI_TRANSPORT_HELP
	CLI_KEY_HELP,
	.exec = cmd_fetch_exec,
};
