/* interrupt.c: stopping at a safe point on SIGINT, SIGTERM, SIGHUP. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "interrupt.h"

#define INTERRUPT_HOOKS_MAX	4

static volatile sig_atomic_t	interrupt_signal;
static volatile sig_atomic_t	interrupt_hup_reload;	/* the daemon's */
static volatile sig_atomic_t	interrupt_reload;
static void			(*interrupt_hooks[INTERRUPT_HOOKS_MAX])(void);
static int			interrupt_nhooks;

static void
interrupt_hard_stop(int sig)
{
	int	i;

	for (i = 0; i < interrupt_nhooks; i++)
		interrupt_hooks[i]();
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);
}

static void
interrupt_handler(int sig)
{
	if (sig == SIGALRM) {
		/* The grace period is over: die of the first signal. */
		interrupt_hard_stop(interrupt_signal != 0 ?
		    interrupt_signal : SIGTERM);
	}
	if (sig == SIGHUP && interrupt_hup_reload) {
		interrupt_reload = 1;
		return;
	}
	if (interrupt_signal != 0)
		interrupt_hard_stop(sig);
	interrupt_signal = sig;
	alarm(INTERRUPT_GRACE);
}

void
interrupt_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = interrupt_handler;
	sigemptyset(&sa.sa_mask);
	/*
	 * SA_RESTART: a system call the signal lands in is resumed, not
	 * failed with EINTR inside a library that would misreport it; the
	 * loops around them notice the flag at their next step.
	 */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
}

void
interrupt_hup_reloads(void)
{
	interrupt_hup_reload = 1;
}

int
interrupt_reload_pending(void)
{
	return interrupt_reload;
}

int
interrupt_reload_requested(void)
{
	int	requested = interrupt_reload;

	interrupt_reload = 0;
	return requested;
}

void
interrupt_on_hard_stop(void (*fn)(void))
{
	if (interrupt_nhooks < INTERRUPT_HOOKS_MAX)
		interrupt_hooks[interrupt_nhooks++] = fn;
}

int
interrupt_received(void)
{
	return interrupt_signal;
}

const char *
interrupt_name(void)
{
	static char	buf[32];

	switch (interrupt_signal) {
	case SIGINT:
		return "SIGINT";
	case SIGTERM:
		return "SIGTERM";
	case SIGHUP:
		return "SIGHUP";
	}
	snprintf(buf, sizeof buf, "signal %d", (int)interrupt_signal);
	return buf;
}

int
interrupt_check(char **cause)
{
	if (interrupt_signal == 0)
		return 0;
	return error_set(cause, "interrupted by %s", interrupt_name());
}

int
interrupt_exit_code(void)
{
	return interrupt_signal != 0 ? 128 + interrupt_signal : 0;
}
