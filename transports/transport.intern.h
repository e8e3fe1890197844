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
	const char	*alias;		/* a second scheme it serves, or NULL */
	unsigned	 features;
	/* Set t->driver; may connect. The URL is in t->url. */
	int		 (*open)(struct transport *, char **);
	void		 (*close)(struct transport *);
	int		 (*list)(struct transport *, struct name_list *, char **);
	int		 (*stat)(struct transport *, const char *, uint64_t *,
			     char **);
	struct sink	*(*put)(struct transport *, const char *, char **);
	/* Read from a byte offset on. */
	struct transport_reader *(*get)(struct transport *, const char *,
			     uint64_t, char **);
	int		 (*remove)(struct transport *, const char *, char **);
	/* Optional: temporary objects, for cleanup. */
	int		 (*list_temporary)(struct transport *,
			     struct name_list *, char **);
	int		 (*remove_temporary)(struct transport *, const char *,
			     char **);
};

/*
 * The end of a driver's open (t->driver set): list the target once, so a
 * bad host, certificate or password shows at once. 0, or -1 (cause set)
 * with the driver closed.
 */
int	transport_open_list(struct transport *, char **);

/* Temporary names all drivers use: ".tmp." then the object name. */
#define TRANSPORT_TMP_PREFIX	".tmp."


struct transport {
	const struct transport_ops	*ops;
	struct url			 url;	/* password: the URL's, else
						   the options', else
						   $FTP_PASSWORD */
	struct transport_options	 opts;	/* defaults filled in */
	void				*driver;
};

extern const struct transport_ops transport_file_ops;
extern const struct transport_ops transport_sftp_ops;	/* and scp:// */
extern const struct transport_ops transport_ftp_ops;	/* and ftps:// */
extern const struct transport_ops transport_webdav_ops;	/* and webdavs:// */
extern const struct transport_ops transport_smb_ops;
extern const struct transport_ops transport_s3_ops;

/*
 * Retries. A network driver's step returns 0 on success, -1 for a
 * permanent failure (authentication, permission, no such directory: trying
 * again cannot help) and TRANSPORT_TRANSIENT for one that may pass (refused
 * or reset connection, timeout); it drops its broken connection before
 * returning that, so the next try reconnects. transport_retry runs a step
 * up to t->opts.retries times, sleeping 0.25 s, 0.5 s, 1 s, ... (at most
 * 8 s) in between, and leaves the last try's cause, noting the tries.
 */
#define TRANSPORT_TRANSIENT	(-2)

int	transport_retry(struct transport *,
	    int (*)(struct transport *, void *, char **), void *, char **);

/*
 * Before renaming a finished temporary onto `name` (drivers without an
 * atomic no-replace publish check first): given whether each exists and
 * its size, and the `total` bytes written, 1 if the rename is done already
 * (its reply was lost), 0 to rename, -1 (cause set) if the temporary is
 * missing or short or the name is taken.
 */
int	transport_publish_check(struct transport *, const char *name,
	    uint64_t total, int tmp_found, uint64_t tmp_size, int dst_found,
	    uint64_t dst_size, char **);

/*
 * The temporary name an object is written under before it is published:
 * TRANSPORT_TMP_PREFIX, the name, the process ID and a counter (unique
 * within the process), allocated.
 */
char	*transport_tmpname(const char *name);
/* Whether a listed name is a temporary's (starts with the prefix). */
int	transport_name_temporary(const char *name);

/*
 * A driver's stat step: given name, it sets found and (if found) size; 0,
 * -1 or TRANSPORT_TRANSIENT as for any step. transport_stat_retry runs one
 * through transport_retry and answers as the stat operation does: 0 and
 * *size, 1 if there is no such object, -1 (cause set).
 */
struct transport_stat_arg {
	const char	*name;
	int		 found;
	uint64_t	 size;
};
int	transport_stat_retry(struct transport *,
	    int (*)(struct transport *, void *, char **), const char *name,
	    uint64_t *, char **);

/*
 * A writer's buffer of `size` bytes, *len of them used: append n bytes of
 * data; each time the buffer is full, run the flush step (given arg: it
 * writes the buffer out and sets *len to 0) through transport_retry. 0, or
 * -1 (cause set).
 */
int	transport_buffer_write(struct transport *, uint8_t *buf, size_t size,
	    size_t *len, const void *data, size_t n,
	    int (*)(struct transport *, void *, char **), void *arg,
	    char **cause);

/*
 * The recording driver (record.c, tests only): open t's driver (t->ops set)
 * inside it and make t use it. transport_open calls it instead of the
 * driver's open when storageop_enabled(). 0, or -1 (cause set).
 */
int	transport_record_open(struct transport *, char **cause);

/* Append a name to a list (drivers' list helper). */
void	name_list_add(struct name_list *, const char *, uint64_t);

#endif
