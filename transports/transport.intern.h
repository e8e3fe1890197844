/*
 * transport.intern.h: what a transport driver implements. One static const
 * table per driver, one file per driver (transports/<scheme>.c). Drivers
 * word their failures as "unable to <verb> '<name>' in <display URL>: cause",
 * appending the library's or the system's reason once.
 */
#ifndef TRESOR_TRANSPORT_INTERN_H
#define TRESOR_TRANSPORT_INTERN_H

#include "common/sink.h"
#include "transport.h"
#include "url.h"

/* Feature bits: what callers may rely on beyond the required operations. */
#define TRANSPORT_ATOMIC_RENAME	0x1	/* publish by rename of a temp object */
/*
 * Calls from two threads at once are safe: one object may be finished and
 * read back while the next is written (volume.c does, when set).
 */
#define TRANSPORT_CONCURRENT	0x2
/*
 * A finished object was written and fsync'd by this host's own kernel:
 * reading it back would return our page cache, not the disk, so it proves
 * nothing beyond its size. Only the size is checked after publishing.
 */
#define TRANSPORT_LOCAL_SYNCED	0x4

struct transport_reader_ops {
	ssize_t	(*read)(struct transport_reader *, void *, size_t, char **);
	void	(*close)(struct transport_reader *);
};

struct transport_reader {
	const struct transport_reader_ops	*ops;
};

struct transport_ops {
	const char	*scheme;
	unsigned	 features;
	/* Set t->driver; may connect. The URL is in t->url. */
	int		 (*open)(struct transport *, char **);
	void		 (*close)(struct transport *);
	int		 (*list)(struct transport *, struct name_list *, char **);
	int		 (*stat)(struct transport *, const char *, uint64_t *,
			     char **);
	struct sink	*(*put)(struct transport *, const char *, char **);
	struct transport_reader *(*get)(struct transport *, const char *,
			     char **);
	int		 (*remove)(struct transport *, const char *, char **);
	/* Optional: temporary objects, for cleanup. */
	int		 (*list_temporary)(struct transport *,
			     struct name_list *, char **);
	int		 (*remove_temporary)(struct transport *, const char *,
			     char **);
};

/* Temporary names all drivers use: ".tmp." then the object name. */
#define TRANSPORT_TMP_PREFIX	".tmp."


struct transport {
	const struct transport_ops	*ops;
	struct url			 url;
	void				*driver;
};

extern const struct transport_ops transport_file_ops;

/* Append a name to a list (drivers' list helper). */
void	name_list_add(struct name_list *, const char *, uint64_t);

#endif
