/* log.h: messages for the operator on stderr, one line each. */
#ifndef TRESOR_LOG_H
#define TRESOR_LOG_H

extern int log_verbose;

void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Quote a path for a message: non-printable bytes become \xNN. */
char	*log_quote(const char *);

#endif
