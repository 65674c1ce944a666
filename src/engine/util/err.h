/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * err.h - the caller-owned error struct every fallible function fills.
 *
 * Fallible functions return 0 / -1 (or a pointer / NULL) and take
 * `struct fl_err *err` as their last argument. fl_err_set() returns -1 so an
 * error return fits on one line. The innermost cause is kept; callers add
 * context on the way up with fl_err_prefix().
 */
#ifndef FL_ERR_H
#define FL_ERR_H

#include "util/fl.h"

enum fl_err_code {
	FL_ERR_NONE = 0,
	FL_ERR_CONFIG,    /* bad configuration or schema */
	FL_ERR_PG,        /* PostgreSQL said no, or is unreachable */
	FL_ERR_SINK,      /* a sink (OpenSearch, stdout) failed */
	FL_ERR_IO,        /* local I/O: files, sockets, pipes */
	FL_ERR_NOTFOUND,  /* a named thing does not exist */
	FL_ERR_BUSY,      /* try again later */
	FL_ERR_INVALID,   /* bad argument or usage */
	FL_ERR_CANCELLED, /* stopped on request */
};

#define FL_ERR_MSG_MAX 512

struct fl_err {
	enum fl_err_code code;
	int sys_errno;    /* errno at the failure, 0 if not a system error */
	char sqlstate[6]; /* a PostgreSQL statement's SQLSTATE, else "" */
	char msg[FL_ERR_MSG_MAX];
};

/* Reset to "no error". */
void fl_err_clear(struct fl_err *err);

/* Record an error; returns -1. `err` may be NULL (the error is dropped). */
int fl_err_set(struct fl_err *err, enum fl_err_code code, const char *fmt, ...)
    FL_PRINTF(3, 4);

/* Like fl_err_set, appending ": strerror(errno)" and recording errno. */
int fl_err_sys(struct fl_err *err, enum fl_err_code code, const char *fmt, ...)
    FL_PRINTF(3, 4);

/* Record the SQLSTATE of the failure just set (NULL: none). */
void fl_err_sqlstate(struct fl_err *err, const char *code);

/* Prepend "<context>: " to the message; returns -1. */
int fl_err_prefix(struct fl_err *err, const char *fmt, ...) FL_PRINTF(2, 3);

/* Short lowercase name of a code ("config", "pg", ...). */
const char *fl_err_code_name(enum fl_err_code code);

#endif
