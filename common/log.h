/* log.h: messages for the operator on stderr, one line each. */
#ifndef TRESOR_LOG_H
#define TRESOR_LOG_H

#include <stdio.h>

extern int log_verbose;

/* Messages name this program ("tresor", "backupd"). */
void	log_set_program(const char *);
/* One JSON object per line instead of text (backupd --log-json). */
void	log_set_json(int);
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
/*
 * A line the operator always sees: the daemon's job events, progress in
 * log mode.
 */
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * A function run around every line written: with 1 just before, with 0
 * just after, in the writing thread. progress.c uses it to take its live
 * terminal line away first and hold it off until the message is out.
 */
void	log_set_hook(void (*)(int));

/*
 * Write a message as one line: a control byte that reached it unquoted (a
 * newline in a URL or a time spec typed by the operator) becomes \xNN, so
 * that every message stays one line whatever its parts held.
 */
void	log_put_one_line(FILE *, const char *);

/* Quote a path for a message: non-printable bytes become \xNN. */
char	*log_quote(const char *);

#endif
