/*
 * tap.h: a minimal TAP producer for the C unit tests (automake's
 * tap-driver.sh reads it). Every check prints "ok N - ..." or
 * "not ok N - ..."; tap_done prints the plan and returns the exit code.
 */
#ifndef TRESOR_TAP_H
#define TRESOR_TAP_H

#include <stdarg.h>
#include <stdio.h>

/*
 * Weak definitions: every test file of one program shares one counter, so
 * a shared suite (tests/transport/suite.c) numbers its checks in sequence.
 */
int	tap_ok(int, const char *, ...) __attribute__((format(printf, 2, 3)));
int	tap_done(void);
void	tap_skip(const char *, const char *);

__attribute__((weak)) int tap_count;
__attribute__((weak)) int tap_failed;

__attribute__((weak)) int
tap_ok(int cond, const char *fmt, ...)
{
	va_list	ap;

	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/*
 * A check that cannot be made in this build, with the reason (automake
 * counts it as SKIP, and the CI summary lists every skip).
 */
__attribute__((weak)) void
tap_skip(const char *what, const char *why)
{
	tap_count++;
	printf("ok %d - %s # SKIP %s\n", tap_count, what, why);
	fflush(stdout);
}

__attribute__((weak)) int
tap_done(void)
{
	printf("1..%d\n", tap_count);
	/* Now: a sanitizer's exit-time report must not lose the plan. */
	fflush(stdout);
	return tap_failed == 0 && tap_count > 0 ? 0 : 1;
}

/* Print a diagnostic line (shown in the test log). */
#define tap_diag(...) do { printf("# "); printf(__VA_ARGS__); \
	printf("\n"); } while (0)

#endif
