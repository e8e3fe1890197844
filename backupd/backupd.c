/*
 * backupd.c: the backupd command (see daemon.h, and backupd(8)).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "format/filter/crypto.h"
#include "daemon.h"

static const char backupd_usage[] =
"usage: backupd [--config FILE] [--foreground] [--once] [--check-config]\n"
"               [--log-json] [--verbose]\n"
"\n"
"The nightly backup of the appliance: its PostgreSQL database and its\n"
"document vault, encrypted, to the target in env.yml, on a schedule\n"
"(default daily at 00:30 local time); cleanup, backup, purge by the\n"
"retention rule, and a verify of the new set, then a Prometheus\n"
"textfile with the results.\n"
"\n"
"  --config FILE     the env.yml to read (default: $ENV_YML, else\n"
"                    /app/env.yml, else /run/active-env.yml)\n"
"  --foreground      stay in the foreground (for systemd)\n"
"  --once            run one job now and exit with its status (for a\n"
"                    systemd timer)\n"
"  --check-config    check the configuration, print it with secrets\n"
"                    masked, and exit\n"
"  --log-json        log one JSON object per line\n"
"  --verbose         more detail in the log\n"
"  --help            this text\n"
"\n"
"Signals: SIGTERM or SIGINT stop the daemon (a running job stops at its\n"
"next safe point, leaving nothing that looks complete); SIGHUP reads the\n"
"configuration again (a bad one is logged and the old one kept).\n"
"\n"
"exit: 0 done, 1 the job failed, 2 bad configuration or usage, 3 the set\n"
"is complete but some entries could not be read, 128+N stopped by signal N\n";

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "once", no_argument, NULL, 'o' },
		{ "check-config", no_argument, NULL, 'k' },
		{ "log-json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct daemon_options	 o;
	char			*cause = NULL;
	int			 ch;

	memset(&o, 0, sizeof o);
	log_set_program("backupd");
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'f':
			o.foreground = 1;
			break;
		case 'o':
			o.once = 1;
			break;
		case 'k':
			o.check_config = 1;
			break;
		case 'j':
			log_set_json(1);
			break;
		case 'v':
			log_verbose = 1;
			break;
		case 'h':
			fputs(backupd_usage, stdout);
			return EXIT_OK;
		default:
			fputs("backupd: try backupd --help\n", stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		log_error("unexpected argument '%s' (try backupd --help)",
		    argv[optind]);
		return EXIT_USAGE;
	}
	if (o.once + o.check_config > 1) {
		log_error("--once and --check-config exclude each other");
		return EXIT_USAGE;
	}
	/* Before any thread: signals, then gpgme. */
	interrupt_install();
	if (!o.once)
		interrupt_hup_reloads();
	if (crypto_library_init(&cause) != 0) {
		log_error("%s", cause);
		free(cause);
		return EXIT_FAILURE_;
	}
	return daemon_main(&o);
}
