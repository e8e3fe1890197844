/*
 * rsync.h: librsync stages for incremental backups. A signature sink turns
 * a file's content into its librsync signature; a loaded signature lets a
 * delta sink turn the new content into a delta against the old; and
 * rsync_patch applies such a delta to the old file to rebuild the new one.
 *
 * Signatures are always BLAKE2 (RS_BLAKE2_SIG_MAGIC, "rs\x01" "7"): MD4 ones
 * allow crafted collisions (CVE-2014-8242) and are refused when loaded.
 * Deltas and signatures are librsync's own formats, so rdiff(1) reads what
 * these write and the other way round (rdiff wants "-H blake2 -R rollsum"
 * to write this signature format; its default is the rabinkarp one).
 *
 * Memory stays bounded as on every stage: fixed output buffers, plus what
 * librsync holds itself (about one block, and for a loaded signature the
 * signature itself).
 */
#ifndef TRESOR_RSYNC_H
#define TRESOR_RSYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/sink.h"

struct rsync_signature;

/*
 * Consumes a file's content and writes its signature into `next` (owned,
 * also on failure; finishing this stage finishes it). `file_size` is the
 * expected size of the content: it picks the block and hash lengths the way
 * rs_sig_args does, the content may still differ in size.
 */
struct sink	*rsync_signature_sink_new(uint64_t file_size,
		     struct sink *next);

/*
 * The same with a given block length, for a stream whose size is not known
 * when it starts (a database dump). The strong sum is the whole BLAKE2 sum.
 */
struct sink	*rsync_signature_sink_new_block(size_t block_len,
		     struct sink *next);

/*
 * The block and strong-hash lengths rsync_signature_sink_new uses for a
 * file of `file_size` bytes (what "rdiff signature -b -S" must be given to
 * write the same bytes).
 */
void		 rsync_signature_params(uint64_t file_size, size_t *block_len,
		     size_t *strong_len);

/*
 * Load a signature held in memory or read from fd (exactly `len` bytes
 * from its current position, in chunks; fd is borrowed, not closed), and
 * index it for deltas. Anything but a BLAKE2 signature is refused, and so
 * are strong sums under 16 bytes and blocks over 64 MiB.
 */
struct rsync_signature *rsync_signature_load(const void *sig, size_t len,
		     char **cause);
struct rsync_signature *rsync_signature_load_fd(int fd, uint64_t len,
		     char **cause);
void		 rsync_signature_free(struct rsync_signature *);

/*
 * Consumes the new content and writes its delta against `sig` into `next`
 * (owned, also on failure). `sig` is borrowed: it must outlive the sink, and
 * serve one delta at a time (librsync counts its lookups in it).
 */
struct sink	*rsync_delta_sink_new(const struct rsync_signature *sig,
		     struct sink *next);

/*
 * Apply the delta read from delta_fd (from its current position to end of
 * file) to the basis in basis_fd (read with pread at the offsets the delta
 * names; -1 for an empty basis), writing the result into `out`. Both fds
 * are borrowed; `out` is neither owned nor finished. Fails, without
 * writing more than max_output bytes, if the result would be longer; also
 * on a malformed delta, which can never loop or grow without end.
 */
int		 rsync_patch(int basis_fd, int delta_fd, uint64_t max_output,
		     struct sink *out, char **cause);

/*
 * Where rsync_patch_from reads the basis: up to *len bytes at pos, either
 * read into *buf or pointed at by setting *buf (librsync's rs_copy_cb
 * contract; the bytes must stay put until the next call). Sets *len to
 * what it gave, at least 1; 0, or -1 with cause set.
 */
typedef int	 rsync_basis_fn(void *arg, uint64_t pos, size_t *len,
		     void **buf, char **cause);

/* rsync_patch with a basis of basis_size bytes served by read_basis. */
int		 rsync_patch_from(rsync_basis_fn *read_basis, void *arg,
		     int64_t basis_size, int delta_fd, uint64_t max_output,
		     struct sink *out, char **cause);

/*
 * Does the delta read from delta_fd (from its current position) copy from
 * its basis only forward: each copy starting at or after the end of the
 * one before? Then it can be applied while the basis streams in, with
 * rsync_patch_stream_new. A dry run of the patch over zeros: 1 yes, 0 no,
 * -1 (cause set) if the delta is malformed for a basis of that size.
 */
int		 rsync_delta_runs_forward(int delta_fd, uint64_t basis_size,
		     uint64_t max_output, char **cause);

/*
 * A sink that takes the basis as a stream and applies the delta read from
 * delta_fd (from its current position; borrowed) as it arrives, writing
 * the result into `out` (borrowed, not finished). For a delta that
 * rsync_delta_runs_forward accepted; one that copies backward fails.
 * librsync runs in a thread of its own, which calls `out`: until
 * sink_finish returns, nothing else may use `out`. The basis waits in a
 * ring of fixed size, so memory stays bounded; basis bytes the delta does
 * not copy are dropped. Finishing checks the patch completed (output
 * bounded by max_output, as rsync_patch); freeing an unfinished one stops
 * it. NULL with cause set if no thread can be started.
 */
struct sink	*rsync_patch_stream_new(int delta_fd, uint64_t basis_size,
		     uint64_t max_output, struct sink *out, char **cause);

#endif
