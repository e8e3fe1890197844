/*
 * state.h: what the daemon remembers between runs, in STATE_DIR/backupd.state:
 * the last scheduled time it has dealt with (so a machine that was off at
 * 00:30 runs the missed job once at start, not once per missed day) and
 * when the data was last read back (verify --read-data, weekly).
 */
#ifndef TRESOR_BACKUPD_STATE_H
#define TRESOR_BACKUPD_STATE_H

#include <time.h>

struct state {
	time_t	last_slot;	/* 0: never armed */
	time_t	last_read_data;	/* 0: never */
};

/* A missing file is a fresh state (zeroes); a damaged one an error. */
int	state_load(const char *dir, struct state *, char **cause);
/* Written to a temporary, synced and renamed. */
int	state_save(const char *dir, const struct state *, char **cause);
/* Create dir (and its parents) with mode 0700 if missing. */
int	state_make_dir(const char *dir, char **cause);

#endif
