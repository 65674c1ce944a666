/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * debug_session.h - what the debugging commands (inspect, explain, sql,
 * repair checks) open for one call: a PostgreSQL session with the
 * document statements prepared and the tracked tables loaded, and a
 * reading client per OpenSearch sink.
 *
 * Owns: opening and closing those, finding an index's sinks and its
 * hash alias, one JSON request to a sink. Does not own: what the
 * commands do with them (inspect.c, explain.c).
 *
 * A session belongs to the thread that opened it (a surface's thread:
 * the CLI, the TUI feed, an HTTP worker); it never touches the engine.
 */
#ifndef FL_DEBUG_SESSION_H
#define FL_DEBUG_SESSION_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>

#include "config/config.h"
#include "docs/doc_build.h"
#include "source/tracked_tables.h"
#include "util/err.h"

struct fl_dbg {
	const struct fl_config *cfg;
	PGconn *pg;
	struct fl_track track; /* catalog keys loaded */
	struct fl_docbuild *db;
};

/* Connect, load the tracked tables' keys and prepare the document
 * statements. -1 with err (then fl_dbg_close is still safe). */
int fl_dbg_open(struct fl_dbg *d, const struct fl_config *cfg, const char *app,
                struct fl_err *err);
void fl_dbg_close(struct fl_dbg *d);

/* The enabled index `name`; NULL with err (FL_ERR_NOTFOUND) otherwise. */
const struct fl_index_cfg *fl_dbg_index(const struct fl_config *cfg,
                                        const char *name, struct fl_err *err);

/* One OpenSearch sink, ready for requests. */
struct fl_dbg_os {
	const struct fl_sink_cfg *cfg;
	struct fl_http *h;
};

/* The OpenSearch sinks of the configuration (only `only` when not
 * NULL) into *out (caller frees with fl_dbg_os_close_all). -1 with err
 * when there is none, `only` names none, or a client cannot be made. */
int fl_dbg_os_open_all(const struct fl_config *cfg, const char *only,
                       struct fl_dbg_os **out, size_t *n, struct fl_err *err);
void fl_dbg_os_close_all(struct fl_dbg_os *v, size_t n);

/* One request; the parsed answer (NULL when the body is not JSON) and
 * its status. -1 with err only when no answer arrived. */
int fl_dbg_os_request(struct fl_dbg_os *o, const char *method, const char *path,
                      const char *body, long *status, cJSON **answer,
                      struct fl_err *err);

/* The hash alias of an index ("<prefix><name>_<hash>"); caller frees. */
char *fl_dbg_alias(const struct fl_config *cfg, const struct fl_index_cfg *ix);

#endif
