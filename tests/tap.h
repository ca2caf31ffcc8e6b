/* SPDX-License-Identifier: MIT */
/*
 * tap.h - a minimal TAP producer for the test programs.
 *
 * Every test program prints a plan ("1..N"), then one "ok"/"not ok" line
 * per check, and exits non-zero if any check failed, so automake's TAP
 * driver (and a person) can read it.  tap_ok() returns its condition so a
 * test can stop a scenario whose later steps depend on a failed one.
 * Exit 77 (tap_skip_all) marks a whole program as skipped.
 */
#ifndef VMC_TAP_H
#define VMC_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int tap_n, tap_failed, tap_planned;

static inline void tap_plan(int n)
{
	tap_planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

__attribute__((format(printf, 2, 3)))
static inline int tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

__attribute__((format(printf, 1, 2)))
static inline void tap_skip(const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	printf("ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

/* Skip the whole program (automake counts exit 77 as SKIP). */
__attribute__((noreturn, format(printf, 1, 2)))
static inline void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	exit(77);
}

/* Finish: a plan of 0 means "no plan given up front": print it now. */
static inline int tap_done(void)
{
	if (!tap_planned)
		printf("1..%d\n", tap_n);
	else if (tap_n != tap_planned) {
		printf("# planned %d checks, ran %d\n", tap_planned, tap_n);
		tap_failed++;
	}
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

#endif /* VMC_TAP_H */
