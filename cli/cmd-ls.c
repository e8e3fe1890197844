/* cmd-ls.c: tresor ls. */
#include <stdlib.h>

#include "cli/cli.h"
#include "common/error.h"
#include "restore/list.h"

#define L struct list_options
static const struct cli_opt cmd_ls_opts[] = {
	CLI_KEYED_OPTS(L, r.),
	CLI_CHECK_OPTS(L, r.seals),
	CLI_POINT_OPTS(L, r.),
	CLI_OPT("json", CLI_FLAG, CLI_AT(L, json)),
	CLI_OPTS_END
};
#undef L

static int
cmd_ls_run(void *o, char **cause)
{
	return list_run(o, cause);
}

static void
cmd_ls_seal_defaults(void *arg)
{
	struct list_options	*o = arg;

	o->r.seals.cache_dir = cli_default_cache_dir();
}

const struct cmd cmd_ls = {
	.name = "ls",
	.summary = "list what a set holds: path, type, size, mtime",
	.usage =
	"usage: tresor ls --from URL [KEY OPTIONS] [--time T | --set ID] [--json]\n"
	"                 [PATH...]\n"
	"\n"
	"List the entries of the newest complete set, or of the one --time or\n"
	"--set chooses (as for restore): type, size (regular files), mtime\n"
	"(UTC) and stored path, one per line, after a line naming the set and\n"
	"before a total (--quiet: the entries alone). PATHs are stored paths\n"
	"such as ecs-storage-vault/ab: only they and what they contain are\n"
	"listed; a PATH that is not in the set is an error. Only the set's\n"
	"manifest is read (it needs the secret key), no volume, and nothing is\n"
	"printed unless all of it was read and checked. Bytes of a path that\n"
	"are not printable UTF-8 are shown as \\xNN.\n"
	"\n"
	CLI_POINT_HELP
	"  --json                  a JSON array instead, one object per entry:\n"
	"                          path, type (file, dir, symlink, hardlink,\n"
	"                          fifo, char, block), size (0 unless a file),\n"
	"                          mode (octal string), uid, gid, mtime (UTC),\n"
	"                          and target for links. A byte of a path that\n"
	"                          is not UTF-8 is \\udcNN (Python's\n"
	"                          surrogateescape: os.fsencode gives the stored\n"
	"                          bytes back)\n"
	CLI_TRANSPORT_HELP
	CLI_CHECK_HELP
	CLI_KEY_HELP,
	.opts = cmd_ls_opts,
	.size = sizeof (struct list_options),
	.max_operands = -1,
	.operands_at = CLI_AT(struct list_options, r.paths),
	.noperands_at = CLI_AT(struct list_options, r.npaths),
	.run = cmd_ls_run,
	.defaults = cmd_ls_seal_defaults,
};
