/* log.h: messages for the operator on stderr, one line each. */
#ifndef TRESOR_LOG_H
#define TRESOR_LOG_H

extern int log_verbose;

/* Messages name this program ("tresor", "backupd"). */
void	log_set_program(const char *);
/* One JSON object per line instead of text (backupd --log-json). */
void	log_set_json(int);
/* An event the operator always sees (the daemon's job lines). */
void	log_notice(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Quote a path for a message: non-printable bytes become \xNN. */
char	*log_quote(const char *);

#endif
