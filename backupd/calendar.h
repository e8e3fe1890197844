/*
 * calendar.h: systemd-style calendar expressions ("*-*-* 00:30:00",
 * "Sun *-*-* 06:30:00", "Mon..Fri *-*-* 01:00", "daily"), evaluated in
 * local time (TZ).
 *
 * Daylight saving time: a local time that does not exist on a
 * spring-forward night (02:30 in Europe/Vienna on the last Sunday of
 * March) fires once, at the first instant after the gap; a local time that
 * occurs twice on a fall-back night fires once, at its first occurrence.
 */
#ifndef TRESOR_BACKUPD_CALENDAR_H
#define TRESOR_BACKUPD_CALENDAR_H

#include <time.h>

struct calendar;

/* NULL with *cause set ("bad calendar expression ...: why"). */
struct calendar	*calendar_parse(const char *text, char **cause);
void		 calendar_free(struct calendar *);
/* The first matching time strictly after `after`; -1 if none (in 10 y). */
time_t		 calendar_next(const struct calendar *, time_t after);
/* The normalised expression ("*-*-* 00:30:00"). */
const char	*calendar_text(const struct calendar *);

#endif
