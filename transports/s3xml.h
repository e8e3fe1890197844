/*
 * s3xml.h: the XML bodies of S3 answers (ListObjectsV2,
 * ListMultipartUploads, InitiateMultipartUpload, CompleteMultipartUpload,
 * Error) read with expat, for s3.c. Answers are flat enough that each
 * element of interest is told apart by its name and its parent's: the
 * parser hands every leaf element's text to a callback, namespaces
 * dropped. Expat resolves no external entity and bounds entity expansion.
 */
#ifndef TRESOR_S3XML_H
#define TRESOR_S3XML_H

#include <stddef.h>

/* A leaf element: its parent's name ("" at the root), its name, its text. */
typedef void (*s3xml_leaf_fn)(void *arg, const char *parent,
    const char *name, const char *text);

/*
 * Parse a whole body, calling leaf for each element without children
 * (text up to 4 KiB; longer text is cut). The root element's name is
 * copied into root (size rootlen). 0, or -1 if it is not XML.
 */
int	s3xml_parse(const char *body, size_t len, s3xml_leaf_fn, void *arg,
	    char *root, size_t rootlen);

/*
 * The <Code> of an <Error> answer, allocated, or NULL if the body is not
 * one.
 */
char	*s3xml_error_code(const char *body, size_t len);

#endif
