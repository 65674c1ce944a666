/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_setup.h - getting PostgreSQL ready before any key scan or stream
 * (source.md §3.1): prerequisites and the schemas against the catalog,
 * then the publication (created or extended first), then the slot
 * (verified or created), and the source identity used for continuity.
 *
 * Owns: the start-up DDL flusso is allowed to run (CREATE/ALTER
 * PUBLICATION when managed; creating, and for a lost slot dropping and
 * recreating, its own slot) and the decisions of §3.2 and §4.3.
 * Does not own: streaming (capture.c), printing.
 *
 * Error codes: FL_ERR_PG for transient failures (cannot connect: retry
 * with backoff), FL_ERR_BUSY for a slot held by another process after
 * the wait, FL_ERR_CONFIG for anything an operator must fix (the message
 * names the fix, with the SQL to run).
 */
#ifndef FL_PG_SETUP_H
#define FL_PG_SETUP_H

#include <libpq-fe.h>

#include "config/config.h"
#include "util/diagnostics.h"
#include "util/err.h"

/* Which database, server and slot the indexes are seeded from. */
struct fl_source_identity {
	char sysid[32];    /* system identifier (decimal) */
	char database[64]; /* current_database() */
	char slot[64];
	char slot_created_lsn[32]; /* when flusso created it now, else "" */
};

struct fl_source_opts {
	const char *slot;
	const char *publication;
	int manage_publication;
	int allow_untracked; /* untracked child tables only warn */
	int slot_wait_secs;  /* wait for an active slot (default 60) */
	/* an index whose schema no longer matches the database does not
	 * stop the start: it is listed in prep->drift (the engine holds
	 * it), and its tables are left out of the publication step */
	int tolerate_drift;
};

#define FL_SOURCE_MAX_DRIFT 32

/* An index whose schema the database no longer matches. */
struct fl_source_drift {
	char index[64];
	char why[256]; /* the first Error: "file:line:col: key: message" */
};

struct fl_source_prep {
	struct fl_source_identity id;
	int slot_created;  /* the slot did not exist (or was lost) */
	int slot_was_lost; /* it existed but was invalidated: recreated */
	char confirmed_flush_lsn[32];
	struct fl_source_drift drift[FL_SOURCE_MAX_DRIFT];
	size_t ndrift;
};

/*
 * Run start-up steps 1-4 of source.md §3.1 on an admin connection made
 * from `conninfo`. Diagnostics from the schema checks go to `diags`; any
 * Error stops the start, except (tolerate_drift) those of an index's
 * schema file, which list that index in out->drift.
 */
int fl_source_prepare(const char *conninfo, const struct fl_config *cfg,
                      const struct fl_source_opts *o,
                      struct fl_source_prep *out, struct fl_diags *diags,
                      struct fl_err *err);

/*
 * Make sure the slot exists and is usable, creating it if missing (a
 * lost slot is dropped and recreated). Also used by capture on
 * reconnect when the slot disappeared. Fills created/was_lost and the
 * creation LSN.
 */
int fl_source_ensure_slot(PGconn *conn, const struct fl_source_opts *o,
                          struct fl_source_prep *out, struct fl_err *err);

/* IDENTIFY_SYSTEM on a replication connection: system id, WAL position. */
int fl_source_identify(PGconn *repl, char sysid[32], char xlogpos[32],
                       struct fl_err *err);

/* How a seeded index's recorded identity compares with the current one
 * (source.md §11.3). */
enum fl_continuity {
	FL_CONTINUITY_OK,
	FL_CONTINUITY_ADOPT,   /* nothing recorded: record the current */
	FL_CONTINUITY_LOST,    /* same source, but the slot was (re)created */
	FL_CONTINUITY_CHANGED, /* another database, server or slot name */
};

enum fl_continuity fl_source_continuity(const struct fl_source_identity *rec,
                                        const struct fl_source_prep *now);

#endif
