/*
 * pathenc.h: percent-encoding for paths in the text manifest. Paths are raw
 * bytes (newlines, non-UTF-8 allowed); the manifest is line-based text, so
 * every byte outside printable ASCII, plus '%', ' ' and '=', is written %XX.
 */
#ifndef TRESOR_PATHENC_H
#define TRESOR_PATHENC_H

char	*pathenc_encode(const char *);
/* Returns NULL if the text is not valid encoding or decodes to a NUL byte. */
char	*pathenc_decode(const char *);

#endif
