/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tap.h - a tiny TAP test harness (header only).
 *
 * Why not cmocka/Check/Criterion: our unit tests need nothing beyond
 * "assert and report with file:line", must run unchanged under ASan/UBSan
 * and TSan (Check forks by default, which hides leaks from LeakSanitizer),
 * and should not add a build dependency. TAP output is readable by humans
 * and by ctest (exit status), and by prove(1) if anyone wants it.
 *
 *   TAP_TEST(name) { ok(1 == 1, "one is one"); is_str(a, b, "..."); }
 *   int main(void) { tap_run(name); ...; return tap_done(); }
 */
#ifndef FL_TAP_H
#define FL_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int tap_n;
static int tap_failed;

#define TAP_TEST(name) static void name(void)

#define tap_run(fn)                    \
	do {                           \
		printf("# %s\n", #fn); \
		fn();                  \
	} while (0)

static inline int
tap_ok(int cond, const char *file, int line, const char *what)
{
	tap_n++;
	if (cond) {
		printf("ok %d - %s\n", tap_n, what);
		return 1;
	}
	tap_failed++;
	printf("not ok %d - %s\n#   at %s:%d\n", tap_n, what, file, line);
	return 0;
}

static inline int
tap_is_str(const char *got, const char *want, const char *file, int line,
           const char *what)
{
	int same = (got == NULL && want == NULL) ||
	           (got && want && strcmp(got, want) == 0);

	if (!tap_ok(same, file, line, what)) {
		printf("#   got:  %s%s%s\n", got ? "\"" : "",
		       got ? got : "NULL", got ? "\"" : "");
		printf("#   want: %s%s%s\n", want ? "\"" : "",
		       want ? want : "NULL", want ? "\"" : "");
	}
	return same;
}

static inline int
tap_is_long(long got, long want, const char *file, int line, const char *what)
{
	if (!tap_ok(got == want, file, line, what)) {
		printf("#   got:  %ld\n#   want: %ld\n", got, want);
		return 0;
	}
	return 1;
}

/* Substring check: does `hay` contain `needle`? */
static inline int
tap_has_str(const char *hay, const char *needle, const char *file, int line,
            const char *what)
{
	int has = hay && needle && strstr(hay, needle) != NULL;

	if (!tap_ok(has, file, line, what)) {
		printf("#   in:      \"%s\"\n", hay ? hay : "NULL");
		printf("#   missing: \"%s\"\n", needle ? needle : "NULL");
	}
	return has;
}

#define ok(c, what)         tap_ok(!!(c), __FILE__, __LINE__, what)
#define is_str(g, w, what)  tap_is_str(g, w, __FILE__, __LINE__, what)
#define is_long(g, w, what) tap_is_long(g, w, __FILE__, __LINE__, what)
#define has_str(h, n, what) tap_has_str(h, n, __FILE__, __LINE__, what)

/* A comment line in the TAP output. */
#define diag(...)                    \
	do {                         \
		printf("#   ");      \
		printf(__VA_ARGS__); \
		printf("\n");        \
	} while (0)

/* Give up the whole test program (a setup failure). */
#define BAIL_OUT(why)                            \
	do {                                     \
		printf("Bail out! %s\n", (why)); \
		exit(2);                         \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %d of %d failed\n", tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

#endif
