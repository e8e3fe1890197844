/*
 * error.h: error causes, tmux style. A fallible function returns -1 (or NULL)
 * and fills a "char **cause" with an allocated one-line message. Each caller
 * that adds context prefixes it ("unable to write volume 'x': <cause>"); no
 * layer replaces a message, and strerror() is appended once, where the
 * failing system call is made. Messages are lowercase with no final period.
 */
#ifndef TRESOR_ERROR_H
#define TRESOR_ERROR_H

/* Set *cause (if cause is not NULL and *cause is still NULL). Returns -1. */
int	error_set(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Like error_set, appending ": strerror(errno)". Returns -1. */
int	error_sys(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Prefix an existing cause with context: "<context>: <cause>". Returns -1. */
int	error_prefix(char **cause, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Exit codes of the tresor command, one table for every verb. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,	/* the operation failed; nothing was published */
	EXIT_USAGE = 2,		/* bad command line or configuration */
	EXIT_WARNINGS = 3,	/* completed, but some entries were skipped */
	/* 128 + N: stopped by signal N (130 SIGINT, 143 SIGTERM, 129 SIGHUP) */
};

#endif
