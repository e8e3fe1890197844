/*
 * fetch.h: one file out of a backup (the database dump, typically) into a
 * file or onto stdout, reading only the volumes that hold it.
 */
#ifndef TRESOR_FETCH_H
#define TRESOR_FETCH_H

#include "restore.h"

/*
 * o->paths[0] is the stored path. dest "-" is stdout (which must not be a
 * terminal); otherwise the file appears under dest only once it is complete
 * and checked, and an existing dest is replaced only with force. On a
 * failure, *reader_gone is 1 if it was only that stdout's reader closed it.
 */
int	fetch_run(struct restore_options *o, const char *dest,
	    int *reader_gone, char **cause);

#endif
