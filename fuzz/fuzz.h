/*
 * fuzz.h: what the libFuzzer targets in fuzz/ share. Each target is one
 * fuzz-<name>.c with LLVMFuzzerTestOneInput; fuzz.mk builds it with clang
 * (-fsanitize=fuzzer,address,undefined) against the library's sources
 * compiled the same way, and run.sh runs it (see docs/TESTING.md,
 * "Fuzzing"). Test code: nothing here ships.
 */
#ifndef TRESOR_FUZZ_H
#define TRESOR_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * The input cut into pieces, their sizes drawn from a seed the target
 * takes from the input's own first byte (0: one piece), so that push
 * parsers see their input split at boundaries the fuzzer chooses.
 */
struct fuzz_chunks {
	const uint8_t	*p;
	size_t		 len;
	uint32_t	 state;
};

void	fuzz_chunks_init(struct fuzz_chunks *, const uint8_t *, size_t,
	    uint8_t seed);
/* The next piece, or 0 at the end. */
size_t	fuzz_chunks_next(struct fuzz_chunks *, const uint8_t **);

/* A NUL-terminated copy of the input (malloc'd). */
char	*fuzz_string(const uint8_t *, size_t);

/*
 * An anonymous in-memory file holding the bytes, positioned at 0 (memfd):
 * for code that reads a file descriptor or a path (/proc/self/fd/N).
 */
int	fuzz_memfd(const char *name, const uint8_t *, size_t);

#endif
