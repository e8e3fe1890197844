/*
 * transport.h: the storage a backup is written to, for callers.
 *
 * A target is a flat namespace of write-once objects. Names are
 * [A-Za-z0-9._-] only and never start with '.', which is reserved for the
 * temporary names drivers publish from. Every driver behaves the same way:
 * an object written with transport_put appears under its name only when the
 * writer sink is finished, complete, or not at all.
 */
#ifndef TRESOR_TRANSPORT_H
#define TRESOR_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct sink;
struct transport;
struct transport_reader;

struct name_entry {
	char		*name;
	uint64_t	 size;
};

struct name_list {
	struct name_entry	*entries;
	size_t			 count;
};

/*
 * How to reach a network target. Zero means the default everywhere, so
 * "struct transport_options o = { 0 }" (or NULL) is a valid choice. Strings
 * are borrowed: they must outlive the transport.
 */
struct transport_options {
	const char	*ssh_key;	/* NULL: ~/.ssh/id_ed25519, id_rsa */
	const char	*ssh_known_hosts; /* NULL: ~/.ssh/known_hosts */
	const char	*ca_file;	/* NULL: the system's CA store */
	int		 insecure_tls;	/* accept any TLS certificate */
	int		 connect_timeout; /* seconds (30) */
	int		 idle_timeout;	/* seconds without progress (120) */
	int		 retries;	/* tries of a transient failure (5) */
	/*
	 * The password when the URL has none (from the configuration); else
	 * $FTP_PASSWORD, as duplicity read it. Never printed.
	 */
	const char	*password;
};

#define TRANSPORT_DEFAULT_CONNECT_TIMEOUT	30
#define TRANSPORT_DEFAULT_IDLE_TIMEOUT		120
#define TRANSPORT_DEFAULT_RETRIES		5

/* Connect to (or open) the target named by a URL; options may be NULL. */
struct transport	*transport_open(const char *url,
			     const struct transport_options *, char **cause);
void			 transport_close(struct transport *);
/* The URL without any password, for messages. */
const char		*transport_display(const struct transport *);
/* The schemes there are drivers for, "file, sftp, scp, ..." (allocated). */
char			*transport_schemes(void);
/* 1 if a driver serves this (lowercase) scheme. */
int			 transport_scheme_served(const char *scheme);

/* List objects with their sizes, sorted by name (temporary names are not
   listed). */
int	transport_list(struct transport *, struct name_list *, char **cause);
void	name_list_clear(struct name_list *);
/* Size of an object: 0 found, 1 no such object, -1 error. */
int	transport_stat(struct transport *, const char *, uint64_t *, char **);
/* A sink writing the object; sink_finish publishes it atomically. */
struct sink	*transport_put(struct transport *, const char *, char **cause);
/* Open an object for reading. */
struct transport_reader	*transport_get(struct transport *, const char *,
			     char **cause);
/* The same from a byte offset on (a ranged read where the protocol has one). */
struct transport_reader	*transport_get_from(struct transport *, const char *,
			     uint64_t offset, char **cause);
/* Read up to len bytes; 0 at the end of the object, -1 on error. */
ssize_t	transport_reader_read(struct transport_reader *, void *, size_t,
	    char **cause);
void	transport_reader_close(struct transport_reader *);
/* Remove an object; removing one that does not exist is not an error. */
int	transport_remove(struct transport *, const char *, char **cause);

/*
 * Temporary objects (left by interrupted writes); only cleanup, holding
 * the target's lock, may remove them. Drivers without them list none.
 */
int	transport_list_temporary(struct transport *, struct name_list *,
	    char **cause);
int	transport_remove_temporary(struct transport *, const char *,
	    char **cause);

/* May one object be finished while another is written (see .intern.h)? */
int	transport_concurrent(const struct transport *);
/* Would reading a just-written object back prove it was stored? */
int	transport_readback_proves(const struct transport *);

/* Is this a valid object name? */
int	transport_name_valid(const char *);

#endif
