/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fl.h - project-wide basics: version, LSN type, small macros.
 *
 * Owns: the few definitions every module needs. Does not own any state.
 *
 * Global mutable state is allowed only in the places listed here:
 *   - log.c: the log level, format and sink (set once at start, level
 *     adjustable at runtime through fl_log_set_level());
 *   - signal flags (sig_atomic_t) in the module that installs handlers.
 * Everything else hangs off an owning struct.
 */
#ifndef FL_FL_H
#define FL_FL_H

#include <stddef.h>
#include <stdint.h>

#ifndef FLUSSO_VERSION
#define FLUSSO_VERSION "0.0.0-dev"
#endif

/* A WAL position, printed as %X/%X. */
typedef uint64_t fl_lsn;

#define FL_LSN_HI(l) ((unsigned)((l) >> 32))
#define FL_LSN_LO(l) ((unsigned)((l)&0xffffffffu))

#define FL_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__) || defined(__clang__)
#define FL_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define FL_VPRINTF(f)   __attribute__((format(printf, f, 0)))
#define FL_NORETURN     __attribute__((noreturn))
#define FL_UNUSED       __attribute__((unused))
#else
#define FL_PRINTF(f, a)
#define FL_VPRINTF(f)
#define FL_NORETURN
#define FL_UNUSED
#endif

/* Abort with a message naming the failed condition (programming errors only). */
#define FL_ASSERT(cond)                                                      \
	do {                                                                 \
		if (!(cond))                                                 \
			fl_assert_fail(#cond, __FILE__, __LINE__, __func__); \
	} while (0)

FL_NORETURN void fl_assert_fail(const char *what, const char *file, int line,
                                const char *func);

#endif
