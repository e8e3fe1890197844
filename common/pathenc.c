/* pathenc.c: percent-encoding of raw byte paths (see pathenc.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hex.h"
#include "pathenc.h"
#include "xmalloc.h"

static int
pathenc_plain(unsigned char c)
{
	return c > 0x20 && c < 0x7f && c != '%' && c != '=';
}

char *
pathenc_encode(const char *in)
{
	char		*out = xmalloc(strlen(in) * 3 + 1), *o = out;
	unsigned char	 c;

	for (; *in != '\0'; in++) {
		c = (unsigned char)*in;
		if (pathenc_plain(c))
			*o++ = (char)c;
		else
			o += sprintf(o, "%%%02X", c);
	}
	*o = '\0';
	return out;
}


char *
pathenc_decode(const char *in)
{
	char	*out = xmalloc(strlen(in) + 1), *o = out;
	int	 hi, lo;

	for (; *in != '\0'; in++) {
		if (*in != '%') {
			*o++ = *in;
			continue;
		}
		hi = hex_digit(in[1]);
		lo = (hi < 0) ? -1 : hex_digit(in[2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
			free(out);
			return NULL;
		}
		*o++ = (char)(hi << 4 | lo);
		in += 2;
	}
	*o = '\0';
	return out;
}
