/*
 * target.h: a target as the repository layer offers it to backup/,
 * restore/ and backupd/: opened from a URL and the transport options,
 * named for messages, and its objects listed, checked and removed.
 * transports/ (drivers, connections, retries) is reached only through
 * repo/; its header comes along for struct transport_options and struct
 * name_list, which callers fill and read.
 */
#ifndef TRESOR_TARGET_H
#define TRESOR_TARGET_H

#include "transports/transport.h"

struct transport	*target_open(const char *url,
			     const struct transport_options *, char **cause);
void			 target_close(struct transport *);
/* The URL for messages: never a password. */
const char		*target_display(struct transport *);
/* 1 if the object is there; 0 if not, or if that cannot be told. */
int			 target_has(struct transport *, const char *name);
/*
 * A URL checked before any target is opened (a config file): 0 if it is
 * "scheme://..." with a scheme a driver serves and something after the
 * "://"; -1 otherwise, with a cause that shows the URL with its password
 * masked. target_url_masked is that form of any text: "***" for the
 * password, by the transports' own rule of where it is.
 */
int			 target_url_check(const char *url, char **cause);
char			*target_url_masked(const char *text);
/* Every object's name and size. */
int			 target_list(struct transport *, struct name_list *,
			     char **cause);
/*
 * Remove a set's objects, among `names` (a listing): the manifest first,
 * then the rest, so an interrupted removal leaves debris for cleanup,
 * never a manifest naming missing volumes. Stops at a signal.
 */
int			 target_remove_set(struct transport *,
			     const struct name_list *, const char *set_id,
			     char **cause);
/* Temporaries of interrupted uploads: listed, and removed one by one. */
int			 target_list_temporary(struct transport *,
			     struct name_list *, char **cause);
int			 target_remove_temporary(struct transport *,
			     const char *name, char **cause);

#endif
