/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * err.c - filling struct fl_err, and the assertion failure path.
 *
 * Owns message formatting and truncation (messages are cut at
 * FL_ERR_MSG_MAX - 1 bytes, never overflow). Does not log anything: callers
 * decide where an error goes.
 */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
fl_err_clear(struct fl_err *err)
{
	if (!err)
		return;
	err->code = FL_ERR_NONE;
	err->sys_errno = 0;
	err->sqlstate[0] = '\0';
	err->msg[0] = '\0';
}

void
fl_err_sqlstate(struct fl_err *err, const char *code)
{
	if (err)
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s",
		         code ? code : "");
}

static void err_vformat(struct fl_err *err, const char *fmt, va_list ap)
    FL_VPRINTF(2);

static void
err_vformat(struct fl_err *err, const char *fmt, va_list ap)
{
	int n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);

	if (n < 0)
		snprintf(err->msg, sizeof(err->msg), "(unformattable error)");
}

int
fl_err_set(struct fl_err *err, enum fl_err_code code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return -1;
	err->code = code;
	err->sys_errno = 0;
	err->sqlstate[0] = '\0';
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	return -1;
}

int
fl_err_sys(struct fl_err *err, enum fl_err_code code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;
	size_t len;

	if (!err)
		return -1;
	err->code = code;
	err->sys_errno = saved;
	err->sqlstate[0] = '\0';
	va_start(ap, fmt);
	err_vformat(err, fmt, ap);
	va_end(ap);
	len = strlen(err->msg);
	if (len < sizeof(err->msg))
		snprintf(err->msg + len, sizeof(err->msg) - len, ": %s",
		         strerror(saved));
	return -1;
}

int
fl_err_prefix(struct fl_err *err, const char *fmt, ...)
{
	char out[FL_ERR_MSG_MAX];
	size_t len, rest;
	va_list ap;
	int n;

	if (!err)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	/* out = prefix ": " old, cut at the cap. */
	len = strlen(out);
	if (len + 2 < sizeof(out)) {
		memcpy(out + len, ": ", 2);
		len += 2;
		rest = strlen(err->msg);
		if (rest > sizeof(out) - 1 - len)
			rest = sizeof(out) - 1 - len;
		memcpy(out + len, err->msg, rest);
		len += rest;
	}
	out[len] = '\0';
	memcpy(err->msg, out, len + 1);
	return -1;
}

const char *
fl_err_code_name(enum fl_err_code code)
{
	switch (code) {
	case FL_ERR_NONE:
		return "none";
	case FL_ERR_CONFIG:
		return "config";
	case FL_ERR_PG:
		return "pg";
	case FL_ERR_SINK:
		return "sink";
	case FL_ERR_IO:
		return "io";
	case FL_ERR_NOTFOUND:
		return "notfound";
	case FL_ERR_BUSY:
		return "busy";
	case FL_ERR_INVALID:
		return "invalid";
	case FL_ERR_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}

void
fl_assert_fail(const char *what, const char *file, int line, const char *func)
{
	fprintf(stderr, "flusso: assertion failed: %s (%s:%d, %s)\n", what,
	        file, line, func);
	abort();
}
