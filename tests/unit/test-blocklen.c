/*
 * test-blocklen.c: the block length of a database dump's signature
 * (backup/stream.c, docs/FORMAT.md "Streamed entries"): 512 bytes up to
 * 2^20 blocks, then the estimate over 2^20 rounded up to a multiple of
 * 512, at most 1 MiB; TRESOR_DUMP_BLOCK_LEN sets another floor, 256 to
 * 1 MiB, and anything else is refused naming it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backup/engine.h"
#include "tests/tap.h"

#define MiB	(1024ULL * 1024)
#define GiB	(1024 * MiB)

static size_t
len_for(uint64_t estimate)
{
	size_t	len = 0;
	char	*cause = NULL;

	if (backup_dump_block_len(estimate, &len, &cause) != 0) {
		tap_diag("unexpected failure: %s", cause);
		free(cause);
		return 0;
	}
	return len;
}

int
main(void)
{
	static const struct {
		uint64_t	estimate;
		size_t		len;
	} cases[] = {
		{ 0, 512 },
		{ 8 * MiB, 512 },
		{ 110 * 1000 * 1000, 512 },
		{ 512 * MiB, 512 },		/* exactly 2^20 blocks */
		{ 512 * MiB + 1, 1024 },	/* 513, rounded up */
		{ GiB, 1024 },
		{ 2 * GiB, 2048 },
		{ 3 * GiB + 1, 3584 },
		{ 1024 * GiB, 1024 * 1024 },	/* the largest block */
		{ UINT64_MAX / 2, 1024 * 1024 },
		{ UINT64_MAX, 1024 * 1024 },
	};
	static const char *bad[] = { "255", "abc", "512x", "-512", " 512",
	    "1048577", "99999999999999999999999" };
	char	*cause = NULL;
	size_t	 i, len;
	int	 rc;

	unsetenv("TRESOR_DUMP_BLOCK_LEN");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		tap_ok(len_for(cases[i].estimate) == cases[i].len,
		    "estimate %llu: %zu-byte blocks (got %zu)",
		    (unsigned long long)cases[i].estimate, cases[i].len,
		    len_for(cases[i].estimate));
	setenv("TRESOR_DUMP_BLOCK_LEN", "", 1);
	tap_ok(len_for(8 * MiB) == 512,
	    "an empty TRESOR_DUMP_BLOCK_LEN is unset");
	setenv("TRESOR_DUMP_BLOCK_LEN", "256", 1);
	tap_ok(len_for(8 * MiB) == 256,
	    "TRESOR_DUMP_BLOCK_LEN=256 lowers the floor");
	tap_ok(len_for(GiB) == 1024, "... and the cap on blocks still applies");
	setenv("TRESOR_DUMP_BLOCK_LEN", "2048", 1);
	tap_ok(len_for(8 * MiB) == 2048 && len_for(GiB) == 2048,
	    "TRESOR_DUMP_BLOCK_LEN=2048 raises it");
	setenv("TRESOR_DUMP_BLOCK_LEN", "1048576", 1);
	tap_ok(len_for(0) == 1024 * 1024, "... up to 1 MiB");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		setenv("TRESOR_DUMP_BLOCK_LEN", bad[i], 1);
		len = 7;
		rc = backup_dump_block_len(8 * MiB, &len, &cause);
		tap_ok(rc == -1 && cause != NULL && strcmp(cause,
		    "TRESOR_DUMP_BLOCK_LEN must be a number of bytes from 256 "
		    "to 1048576") == 0, "TRESOR_DUMP_BLOCK_LEN='%s' is refused "
		    "(%s)", bad[i], cause != NULL ? cause : "no cause");
		free(cause);
		cause = NULL;
	}
	unsetenv("TRESOR_DUMP_BLOCK_LEN");
	return tap_done();
}
