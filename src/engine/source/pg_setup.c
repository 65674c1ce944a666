/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_setup.c - start-up ordering against PostgreSQL (source.md §3.1):
 *   1-2. prerequisites and the schemas against the catalog (check_db);
 *   3.   the publication: created or extended when managed, else the
 *        exact SQL in the error (§4.3, §4.4);
 *   4.   the slot: verified, created, or (lost) dropped and recreated;
 *        an active slot is waited for (a previous instance may still be
 *        stopping), then refused (§3.2);
 * and the source identity (system identifier, database, slot) recorded
 * with every seeded index for continuity checks (§11.3).
 *
 * The publication comes before the slot: a slot whose consistent point
 * precedes the publication fails decoding forever on PG <= 17.
 */
#include "source/pg_setup.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "source/pg_check.h"
#include "source/pg_conn.h"
#include "source/publication.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

static void
source_copy(char *dst, size_t n, const char *src)
{
	fl_str_copy(dst, n, src ? src : "");
}

/* The enabled index whose schema file is `file`, or NULL. */
static const struct fl_index_cfg *
source_index_of(const struct fl_config *cfg, const char *file)
{
	size_t i;

	for (i = 0; file && i < cfg->nindexes; i++)
		if (cfg->indexes[i].enabled && cfg->indexes[i].schema_file &&
		    !strcmp(cfg->indexes[i].schema_file, file))
			return &cfg->indexes[i];
	return NULL;
}

/* List an index in drift once, with its first Error. */
static void
source_drift_add(struct fl_source_prep *out, const char *index,
                 const struct fl_diag *g)
{
	char *line;
	size_t i;

	for (i = 0; i < out->ndrift; i++)
		if (!strcmp(out->drift[i].index, index))
			return;
	if (out->ndrift == FL_SOURCE_MAX_DRIFT)
		return;
	line = fl_diag_format(g);
	source_copy(out->drift[out->ndrift].index, sizeof(out->drift[0].index),
	            index);
	source_copy(out->drift[out->ndrift].why, sizeof(out->drift[0].why),
	            line);
	out->ndrift++;
	free(line);
}

/* Steps 1-2: check_db without the publication part. */
static int
source_check(PGconn *conn, const struct fl_config *cfg,
             const struct fl_source_opts *o, struct fl_source_prep *out,
             struct fl_diags *diags, struct fl_err *err)
{
	struct fl_check_db_opts co = { 0 };
	struct fl_check_db r;
	size_t before = diags->n, i, nerr = 0;
	int rc;

	co.slot = o->slot;
	co.publication = o->publication;
	co.untracked_warning = o->allow_untracked;
	co.skip_publication = 1;
	rc = fl_check_db_run(conn, cfg, &co, &r, diags, err);
	fl_check_db_done(&r);
	if (rc < 0)
		return -1;
	for (i = before; i < diags->n; i++) {
		const struct fl_diag *g = &diags->v[i];
		const struct fl_index_cfg *ix;

		if (g->sev != FL_DIAG_ERROR)
			continue;
		ix = o->tolerate_drift ? source_index_of(cfg, g->file) : NULL;
		if (ix)
			source_drift_add(out, ix->name, g);
		else
			nerr++;
	}
	if (nerr)
		return fl_err_set(err, FL_ERR_CONFIG,
		                  "the database does not match the "
		                  "configuration: %zu error%s (listed above; "
		                  "`flusso check` shows them too)",
		                  nerr, nerr == 1 ? "" : "s");
	return 0;
}

/* The configuration without the indexes in drift (for the publication:
 * a dropped table cannot be published); free view->indexes. */
static void
source_without_drift(const struct fl_config *cfg,
                     const struct fl_source_prep *out, struct fl_config *view)
{
	size_t i, j;

	*view = *cfg;
	view->indexes = fl_xcalloc(cfg->nindexes ? cfg->nindexes : 1,
	                           sizeof(*view->indexes));
	for (i = 0; i < cfg->nindexes; i++) {
		view->indexes[i] = cfg->indexes[i];
		for (j = 0; j < out->ndrift; j++)
			if (!strcmp(out->drift[j].index, cfg->indexes[i].name))
				view->indexes[i].enabled = 0;
	}
}

/* Run one DDL statement; -1 with the statement in the message. */
static int
source_ddl(PGconn *conn, const char *sql, struct fl_err *err)
{
	PGresult *r = fl_pgconn_query(conn, sql, 0, NULL, NULL, err);

	if (!r)
		return fl_err_prefix(err, "running `%s`", sql);
	PQclear(r);
	fl_log_info("source", "ran: %s", sql);
	return 0;
}

/* Fix §4.4 problems we can fix (publish flags, via root). */
static int
source_fix_problems(PGconn *conn, const struct fl_coverage *c, int manage,
                    struct fl_err *err)
{
	size_t i;

	for (i = 0; i < c->nproblems; i++) {
		const struct fl_pubprob *p = &c->problems[i];
		int fixable = p->fix && manage && (c->owns || c->superuser) &&
		              (p->kind == FL_PUBPROB_PUBLISH ||
		               p->kind == FL_PUBPROB_VIA_ROOT);

		if (!fixable)
			return fl_err_set(err, FL_ERR_CONFIG, "%s%s%s", p->msg,
			                  p->fix ? "; run: " : "",
			                  p->fix ? p->fix : "");
		if (source_ddl(conn, p->fix, err) < 0)
			return -1;
	}
	return 0;
}

/* Step 3: the publication covers every table any enabled index reads. */
static int
source_publication(PGconn *conn, const struct fl_config *cfg,
                   const struct fl_source_opts *o, struct fl_err *err)
{
	struct fl_qtables req;
	struct fl_coverage c;
	int rc = -1, pass;

	fl_publication_tables_init(&req);
	fl_publication_required(cfg, &req);
	for (pass = 0; pass < 2; pass++) {
		memset(&c, 0, sizeof(c));
		if (fl_publication_inspect(conn, o->publication, &req, &c,
		                           err) < 0)
			goto out;
		if (c.satisfied && c.nproblems == 0) {
			rc = 0;
			goto out;
		}
		if (pass == 1 || !o->manage_publication || !c.manageable) {
			const char *why = !o->manage_publication
			                      ? "automatic publication "
			                        "management is disabled"
			                  : c.nblockers ? c.blockers[0]
			                                : "it still does not";
			if (!c.satisfied)
				fl_err_set(err, FL_ERR_CONFIG,
				           "publication \"%s\" does not cover "
				           "every table the indexes read (%s); "
				           "run: %s",
				           o->publication, why,
				           c.remediation ? c.remediation : "?");
			else
				source_fix_problems(conn, &c, 0, err);
			goto out;
		}
		if (!c.satisfied && c.remediation &&
		    source_ddl(conn, c.remediation, err) < 0)
			goto out;
		if (source_fix_problems(conn, &c, 1, err) < 0)
			goto out;
		fl_publication_coverage_done(&c);
	}
out:
	fl_publication_coverage_done(&c);
	fl_publication_tables_done(&req);
	return rc;
}

/* The slot row; 0 = none. Columns: type, plugin, database, active,
 * active_pid, wal_status, confirmed_flush_lsn, lost. */
static PGresult *
source_slot_row(PGconn *conn, const char *slot, struct fl_err *err)
{
	const char *p[1] = { slot };

	return fl_pgconn_query(
	    conn,
	    "SELECT slot_type, plugin, database, active, active_pid, "
	    "wal_status, confirmed_flush_lsn, "
	    "coalesce(wal_status = 'lost', false), current_database() "
	    "FROM pg_replication_slots WHERE slot_name = $1",
	    1, p, NULL, err);
}

/* Create the slot; logs while PostgreSQL waits for in-flight
 * transactions (the consistent point). */
static int
source_create_slot(PGconn *conn, const char *slot, struct fl_source_prep *out,
                   struct fl_err *err)
{
	const char *p[1] = { slot };
	time_t t0 = time(NULL);
	PGresult *r, *last = NULL;
	int warned = 0;

	if (!PQsendQueryParams(conn,
	                       "SELECT lsn::text FROM "
	                       "pg_create_logical_replication_slot($1, "
	                       "'pgoutput')",
	                       1, NULL, p, NULL, NULL, 0))
		return fl_err_set(err, FL_ERR_PG, "creating slot %s: %s", slot,
		                  PQerrorMessage(conn));
	while (PQisBusy(conn)) {
		struct pollfd pfd = { PQsocket(conn), POLLIN, 0 };

		if (poll(&pfd, 1, 1000) < 0)
			break;
		if (!PQconsumeInput(conn))
			break;
		if (!warned && time(NULL) - t0 >= 5) {
			fl_log_warn("source",
			            "creating slot %s: waiting for in-flight "
			            "transactions to finish before the slot is "
			            "usable",
			            slot);
			warned = 1;
		}
	}
	while ((r = PQgetResult(conn))) {
		PQclear(last);
		last = r;
	}
	if (!last || PQresultStatus(last) != PGRES_TUPLES_OK) {
		const char *st =
		    last ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : NULL;
		/* a lost connection or a shutdown is worth retrying */
		int transient =
		    PQstatus(conn) != CONNECTION_OK ||
		    (st && (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3)));

		fl_err_set(err, transient ? FL_ERR_PG : FL_ERR_CONFIG,
		           "failed to create replication slot '%s': %s", slot,
		           last ? PQresultErrorMessage(last)
		                : PQerrorMessage(conn));
		PQclear(last);
		return -1;
	}
	source_copy(out->id.slot_created_lsn, sizeof(out->id.slot_created_lsn),
	            PQgetvalue(last, 0, 0));
	source_copy(out->confirmed_flush_lsn, sizeof(out->confirmed_flush_lsn),
	            PQgetvalue(last, 0, 0));
	PQclear(last);
	out->slot_created = 1;
	fl_log_info("source", "created replication slot %s at %s", slot,
	            out->id.slot_created_lsn);
	return 0;
}

/* Examine an existing slot row; 1 = must wait (active), 2 = lost. */
static int
source_slot_verdict(PGresult *r, const char *slot, struct fl_source_prep *out,
                    struct fl_err *err)
{
	const char *type = PQgetvalue(r, 0, 0);
	const char *plugin = PQgetvalue(r, 0, 1);

	if (strcmp(type, "physical") == 0)
		return fl_err_set(err, FL_ERR_CONFIG,
		                  "slot %s is a physical slot; choose another "
		                  "--slot",
		                  slot);
	if (strcmp(plugin, "pgoutput") != 0)
		return fl_err_set(
		    err, FL_ERR_CONFIG,
		    "replication slot '%s' exists but uses plugin "
		    "'%s', expected 'pgoutput'",
		    slot, plugin);
	if (strcmp(PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 8)) != 0)
		return fl_err_set(err, FL_ERR_CONFIG,
		                  "slot %s belongs to database %s; choose "
		                  "another --slot",
		                  slot, PQgetvalue(r, 0, 2));
	if (strcmp(PQgetvalue(r, 0, 7), "t") == 0)
		return 2;
	if (strcmp(PQgetvalue(r, 0, 3), "t") == 0)
		return 1;
	if (strcmp(PQgetvalue(r, 0, 5), "unreserved") == 0)
		fl_log_warn("source",
		            "slot %s is about to be invalidated "
		            "(max_slot_wal_keep_size): it holds more WAL than "
		            "allowed",
		            slot);
	source_copy(out->confirmed_flush_lsn, sizeof(out->confirmed_flush_lsn),
	            PQgetvalue(r, 0, 6));
	return 0;
}

int
fl_source_ensure_slot(PGconn *conn, const struct fl_source_opts *o,
                      struct fl_source_prep *out, struct fl_err *err)
{
	int waited = 0, limit = o->slot_wait_secs > 0 ? o->slot_wait_secs : 60;
	char pid[32];

	source_copy(out->id.slot, sizeof(out->id.slot), o->slot);
	for (;;) {
		PGresult *r = source_slot_row(conn, o->slot, err);
		int v;

		if (!r)
			return fl_err_prefix(err, "reading slot %s", o->slot);
		if (PQntuples(r) == 0) {
			PQclear(r);
			return source_create_slot(conn, o->slot, out, err);
		}
		v = source_slot_verdict(r, o->slot, out, err);
		source_copy(pid, sizeof(pid), PQgetvalue(r, 0, 4));
		PQclear(r);
		if (v <= 0)
			return v;
		if (v == 2) {
			const char *p[1] = { o->slot };

			fl_log_error("source",
			             "slot %s was invalidated (wal_status "
			             "lost): dropping and recreating it; the "
			             "indexes will be rebuilt",
			             o->slot);
			r = fl_pgconn_query(
			    conn, "SELECT pg_drop_replication_slot($1)", 1, p,
			    NULL, err);
			if (!r)
				return fl_err_prefix(err, "dropping lost slot");
			PQclear(r);
			out->slot_was_lost = 1;
			continue;
		}
		if (waited >= limit)
			return fl_err_set(err, FL_ERR_BUSY,
			                  "slot %s is in use by pid %s; is "
			                  "another flusso running on it?",
			                  o->slot, pid);
		if (waited == 0)
			fl_log_warn("source",
			            "slot %s is in use by pid %s; waiting up "
			            "to %d s for it to be released",
			            o->slot, pid, limit);
		sleep(1);
		waited++;
	}
}

int
fl_source_identify(PGconn *repl, char sysid[32], char xlogpos[32],
                   struct fl_err *err)
{
	PGresult *r = PQexec(repl, "IDENTIFY_SYSTEM");

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 ||
	    PQnfields(r) < 3) {
		fl_err_set(err, FL_ERR_PG, "IDENTIFY_SYSTEM failed: %s",
		           PQresultErrorMessage(r));
		PQclear(r);
		return -1;
	}
	source_copy(sysid, 32, PQgetvalue(r, 0, 0));
	source_copy(xlogpos, 32, PQgetvalue(r, 0, 2));
	PQclear(r);
	return 0;
}

/* System identifier and database name through a short replication
 * connection (works for any role with REPLICATION). */
static int
source_identity(const char *conninfo, PGconn *admin,
                struct fl_source_identity *id, struct fl_err *err)
{
	PGconn *repl = fl_pgconn_open(conninfo, "flusso-identify", 1, err);
	char pos[32];
	PGresult *r;
	int rc;

	if (!repl)
		return -1;
	rc = fl_source_identify(repl, id->sysid, pos, err);
	PQfinish(repl);
	if (rc < 0)
		return -1;
	r = fl_pgconn_query(admin, "SELECT current_database()", 0, NULL, NULL,
	                    err);
	if (!r)
		return -1;
	source_copy(id->database, sizeof(id->database), PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

int
fl_source_prepare(const char *conninfo, const struct fl_config *cfg,
                  const struct fl_source_opts *o, struct fl_source_prep *out,
                  struct fl_diags *diags, struct fl_err *err)
{
	PGconn *conn;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if (!(conn = fl_pgconn_open(conninfo, "flusso", 0, err)))
		return -1;
	if (source_check(conn, cfg, o, out, diags, err) < 0)
		goto done;
	if (out->ndrift) {
		struct fl_config view;

		source_without_drift(cfg, out, &view);
		rc = source_publication(conn, &view, o, err);
		free(view.indexes);
		if (rc < 0)
			goto done;
		rc = -1;
	} else if (source_publication(conn, cfg, o, err) < 0) {
		goto done;
	}
	if (fl_source_ensure_slot(conn, o, out, err) < 0)
		goto done;
	if (source_identity(conninfo, conn, &out->id, err) < 0)
		goto done;
	rc = 0;
done:
	PQfinish(conn);
	return rc;
}

enum fl_continuity
fl_source_continuity(const struct fl_source_identity *rec,
                     const struct fl_source_prep *now)
{
	if (!rec->sysid[0])
		return FL_CONTINUITY_ADOPT;
	if (strcmp(rec->sysid, now->id.sysid) != 0 ||
	    strcmp(rec->database, now->id.database) != 0 ||
	    strcmp(rec->slot, now->id.slot) != 0)
		return FL_CONTINUITY_CHANGED;
	if (now->slot_created)
		return FL_CONTINUITY_LOST;
	return FL_CONTINUITY_OK;
}
