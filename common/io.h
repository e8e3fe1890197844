/* io.h: small system-call helpers. */
#ifndef TRESOR_IO_H
#define TRESOR_IO_H

#include <stddef.h>

/* Write all of buf to fd, retrying on EINTR and short writes; 0 or -1
   with errno set by the failing write. */
int	io_write_all(int fd, const void *buf, size_t len);

#endif
