/*
 * list.h: what a set holds, from its manifest alone (no volume is read):
 * every entry's path, type, size and mtime, as a table or as JSON. The
 * set is chosen as restore chooses it (restore_pick_set), and PATHs
 * select stored paths as restore's do (restore_path_selected).
 */
#ifndef TRESOR_LIST_H
#define TRESOR_LIST_H

#include "restore.h"

struct list_options {
	/* url, transport, crypto, set, has_time, time, paths, npaths, quiet */
	struct restore_options	 r;
	int			 json;	/* a JSON array instead of the table */
};

/*
 * Write the listing to stdout, all of it or nothing: it is spooled until
 * the manifest was read to its end and every PATH matched.
 */
int	list_run(const struct list_options *, char **cause);

/*
 * Text for a terminal: bytes that are valid UTF-8 and printable stay, every
 * other byte (controls, newlines, invalid UTF-8) and the backslash become
 * \xNN. Allocated.
 */
char	*list_quote(const char *);
/*
 * Write s as a JSON string (quotes included). Valid UTF-8 is kept, with
 * '"', '\' and control characters escaped; a byte that is not valid UTF-8
 * is written \udcNN (NN = 80 to ff, Python's "surrogateescape"), so
 * Python's os.fsencode() gives the stored bytes back exactly.
 */
void	list_json_string(FILE *, const char *s);

#endif
