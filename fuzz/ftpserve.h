/*
 * ftpserve.h: a minimal FTP server on loopback, in a thread of the fuzz
 * target, whose LIST answer is the fuzzer's input. Test code for
 * fuzz-ftplist.c only.
 */
#ifndef TRESOR_FTPSERVE_H
#define TRESOR_FTPSERVE_H

#include <stddef.h>
#include <stdint.h>

/* Start serving (once); the port on 127.0.0.1. Aborts on failure. */
int	ftpserve_start(void);
/* What LIST sends from now on (borrowed until the next call). */
void	ftpserve_listing(const uint8_t *, size_t);

#endif
