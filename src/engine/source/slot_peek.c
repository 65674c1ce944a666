/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * slot_peek.c - what is waiting in a logical replication slot, read
 * without consuming it (slot_peek.h).
 *
 * DESIGN
 *   1. The slot row (pg_replication_slots) decides first: missing,
 *      physical, another plugin or another database are refused before
 *      anything is decoded. A slot in use (a daemon streams from it) is
 *      copied into a temporary slot, which is peeked and dropped: the
 *      copy starts at the original's position, so it holds exactly what
 *      the original has not confirmed. The server's SQLSTATE 55006
 *      (object_in_use) on the peek itself (a daemon starting meanwhile)
 *      falls back to the copy too.
 *   2. pg_logical_slot_peek_binary_changes() in single-row mode, binary
 *      results (lsn, data): one PGresult per message, so client memory
 *      does not grow with the backlog.
 *   3. Each message is decoded by the fuzzed pgoutput decoder; Relation
 *      messages name the tables (kept by OID in a small open-addressing
 *      table), BEGIN..COMMIT delimit the transactions, each finished one
 *      goes to the totals, the oldest/newest and the bounded top-N list
 *      (sorted array, binary-search insert).
 *   4. A decoding error cancels the query and drains it, so the
 *      connection stays usable.
 *
 * Does not own: the connection, the decoder, argv, what a change means.
 * Single-threaded; uses only the caller's connection.
 */
#include "source/slot_peek.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "source/pg_conn.h"
#include "source/pgoutput.h"
#include "util/clock.h"
#include "util/json_write.h"
#include "util/xmem.h"

#define SLOT_PG_EPOCH_US INT64_C(946684800000000) /* 2000-01-01 UTC */

/* The running sums of one peek. */
struct slot_acc {
	struct fl_slot_backlog *r;
	struct fl_pgo_scratch scratch;
	size_t tcap;   /* r->tables capacity */
	size_t *slots; /* hash of OIDs: index into r->tables + 1, 0 empty */
	size_t nslots; /* power of two, > 2 * ntables */
	int in_txn;    /* between BEGIN and COMMIT */
	struct fl_slot_txn cur;
};

/* ---- slot row ------------------------------------------------------- */

static int
slot_busy(struct fl_err *err, const char *slot, long pid, const char *why)
{
	char who[48];

	if (pid > 0)
		snprintf(who, sizeof(who), "PID %ld", pid);
	else
		snprintf(who, sizeof(who), "another process");
	return fl_err_set(err, FL_ERR_BUSY,
	                  "replication slot %s is in use by %s (a running "
	                  "flusso?) and could not be copied to peek at it "
	                  "(%s): free a replication slot (max_replication_"
	                  "slots) or stop the daemon, then run this again",
	                  slot, who, why);
}

/* Read the slot row and refuse what cannot be peeked. */
static int
slot_check(PGconn *conn, const struct fl_slot_opts *o,
           struct fl_slot_backlog *r, struct fl_err *err)
{
	static const char sql[] =
	    "SELECT current_database(), s.slot_name IS NOT NULL, "
	    "s.slot_type, s.plugin, s.database, s.active, s.active_pid, "
	    "s.confirmed_flush_lsn::text, s.restart_lsn::text "
	    "FROM (SELECT 1) AS one LEFT JOIN pg_replication_slots s "
	    "ON s.slot_name = $1";
	const char *params[1] = { o->slot };
	const char *type, *plugin, *db, *lsn;
	PGresult *res;
	int rc = 0;

	if (!(res = fl_pgconn_query(conn, sql, 1, params, NULL, err)))
		return fl_err_prefix(err, "reading replication slot %s",
		                     o->slot);
	r->database = fl_xstrdup(fl_pgconn_get(res, 0, 0));
	type = fl_pgconn_get(res, 0, 2);
	plugin = fl_pgconn_get(res, 0, 3);
	db = fl_pgconn_get(res, 0, 4);
	if (!fl_pgconn_get_bool(res, 0, 1))
		rc = fl_err_set(err, FL_ERR_NOTFOUND,
		                "replication slot %s does not exist in this "
		                "server",
		                o->slot);
	else if (!type || strcmp(type, "logical") != 0)
		rc = fl_err_set(err, FL_ERR_INVALID,
		                "replication slot %s is a %s slot; only a "
		                "logical (pgoutput) slot can be peeked",
		                o->slot, type ? type : "physical");
	else if (!plugin || strcmp(plugin, "pgoutput") != 0)
		rc = fl_err_set(err, FL_ERR_INVALID,
		                "replication slot %s uses plugin %s, not "
		                "pgoutput",
		                o->slot, plugin ? plugin : "(none)");
	else if (!db || strcmp(db, r->database) != 0)
		rc = fl_err_set(err, FL_ERR_INVALID,
		                "replication slot %s belongs to database %s; "
		                "connect to it to peek",
		                o->slot, db ? db : "(none)");
	else if (fl_pgconn_get_bool(res, 0, 5))
		r->holder_pid = (long)fl_pgconn_get_ll(res, 0, 6, 1);
	if (rc == 0) {
		if ((lsn = fl_pgconn_get(res, 0, 7)) != NULL)
			fl_lsn_parse(lsn, &r->confirmed_flush_lsn);
		if ((lsn = fl_pgconn_get(res, 0, 8)) != NULL)
			fl_lsn_parse(lsn, &r->restart_lsn);
	}
	PQclear(res);
	return rc;
}

/* The PID holding the slot now; 0 if none or unknown. */
static long
slot_holder(PGconn *conn, const char *slot)
{
	const char *params[1] = { slot };
	PGresult *res;
	struct fl_err ignored;
	long pid = 0;

	res = fl_pgconn_query(conn,
	                      "SELECT active_pid FROM pg_replication_slots "
	                      "WHERE slot_name = $1",
	                      1, params, NULL, &ignored);
	if (res && PQntuples(res) == 1)
		pid = (long)fl_pgconn_get_ll(res, 0, 0, 0);
	PQclear(res);
	return pid;
}

/* ---- tables --------------------------------------------------------- */

static size_t
slot_hash(uint32_t oid, size_t nslots)
{
	return (size_t)((oid * UINT32_C(2654435761)) & (nslots - 1));
}

static void
slot_rehash(struct slot_acc *a)
{
	size_t i, h;

	free(a->slots);
	a->nslots = a->nslots ? a->nslots * 2 : 64;
	a->slots = fl_xcalloc(a->nslots, sizeof(*a->slots));
	for (i = 0; i < a->r->ntables; i++) {
		h = slot_hash(a->r->tables[i].oid, a->nslots);
		while (a->slots[h])
			h = (h + 1) & (a->nslots - 1);
		a->slots[h] = i + 1;
	}
}

/* The table of `oid`, added (unnamed) when first seen. */
static struct fl_slot_table *
slot_table(struct slot_acc *a, uint32_t oid)
{
	struct fl_slot_backlog *r = a->r;
	struct fl_slot_table *t;
	size_t h;

	if (2 * (r->ntables + 1) > a->nslots)
		slot_rehash(a);
	h = slot_hash(oid, a->nslots);
	while (a->slots[h]) {
		if (r->tables[a->slots[h] - 1].oid == oid)
			return &r->tables[a->slots[h] - 1];
		h = (h + 1) & (a->nslots - 1);
	}
	r->tables =
	    fl_xgrow(r->tables, &a->tcap, r->ntables + 1, sizeof(*r->tables));
	t = &r->tables[r->ntables];
	memset(t, 0, sizeof(*t));
	t->oid = oid;
	a->slots[h] = ++r->ntables;
	return t;
}

/* A Relation message: (re)name the table. */
static void
slot_relation(struct slot_acc *a, const struct fl_pgo_msg *m)
{
	struct fl_slot_table *t = slot_table(a, m->rel_oid);

	free(t->schema);
	free(t->table);
	t->schema = fl_xstrdup(m->nspname[0] ? m->nspname : "pg_catalog");
	t->table = fl_xstrdup(m->relname);
}

/* ---- transactions --------------------------------------------------- */

/* <0 when a ranks before b: more changes, then more bytes, then the
 * earlier commit. */
static int
slot_txn_rank(const struct fl_slot_txn *a, const struct fl_slot_txn *b)
{
	if (a->changes != b->changes)
		return a->changes > b->changes ? -1 : 1;
	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->commit_lsn != b->commit_lsn)
		return a->commit_lsn < b->commit_lsn ? -1 : 1;
	return 0;
}

/* Keep t if it is among the top_max largest. */
static void
slot_top_add(struct fl_slot_backlog *r, const struct fl_slot_txn *t)
{
	size_t lo = 0, hi = r->ntop, mid;

	if (r->ntop == r->top_max &&
	    (r->ntop == 0 || slot_txn_rank(t, &r->top[r->ntop - 1]) >= 0))
		return;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (slot_txn_rank(&r->top[mid], t) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (r->ntop < r->top_max)
		r->ntop++;
	memmove(&r->top[lo + 1], &r->top[lo],
	        (r->ntop - 1 - lo) * sizeof(*r->top));
	r->top[lo] = *t;
}

static void
slot_commit(struct slot_acc *a, const struct fl_pgo_msg *m)
{
	struct fl_slot_backlog *r = a->r;
	struct fl_slot_txn *t = &a->cur;

	t->commit_lsn = m->commit_lsn;
	t->end_lsn = m->end_lsn;
	t->commit_time = m->commit_time;
	if (r->transactions == 0 || t->commit_time < r->oldest.commit_time)
		r->oldest = *t;
	if (r->transactions == 0 || t->commit_time >= r->newest.commit_time)
		r->newest = *t;
	r->transactions++;
	slot_top_add(r, t);
	a->in_txn = 0;
}

/* ---- one message ---------------------------------------------------- */

/* A row change or truncate of `t` carried by `len` bytes. */
static void
slot_change(struct slot_acc *a, struct fl_slot_table *t, uint64_t *counter,
            uint64_t len)
{
	(*counter)++;
	t->bytes += len;
	a->r->changes++;
	if (a->in_txn)
		a->cur.changes++;
}

static void
slot_truncate(struct slot_acc *a, const struct fl_pgo_msg *m, uint64_t len)
{
	uint64_t share = m->nrels ? len / m->nrels : 0;
	uint32_t i;

	for (i = 0; i < m->nrels; i++) {
		struct fl_slot_table *t = slot_table(a, m->rel_oids[i]);

		slot_change(a, t, &t->truncates,
		            share + (i == 0 ? len - share * m->nrels : 0));
	}
}

static int
slot_message(struct slot_acc *a, const uint8_t *data, size_t len,
             struct fl_err *err)
{
	struct fl_pgo_msg m;
	struct fl_slot_table *t;

	if (fl_pgo_decode(data, len, &a->scratch, &m, err) < 0)
		return -1;
	a->r->messages++;
	a->r->bytes += len;
	if (m.kind == FL_PGO_BEGIN) {
		memset(&a->cur, 0, sizeof(a->cur));
		a->cur.xid = m.xid;
		a->cur.commit_lsn = m.final_lsn;
		a->cur.commit_time = m.commit_time;
		a->in_txn = 1;
	}
	if (a->in_txn)
		a->cur.bytes += len;
	switch (m.kind) {
	case FL_PGO_COMMIT:
		if (a->in_txn)
			slot_commit(a, &m);
		break;
	case FL_PGO_RELATION:
		slot_relation(a, &m);
		break;
	case FL_PGO_INSERT:
		t = slot_table(a, m.rel_oid);
		slot_change(a, t, &t->inserts, len);
		break;
	case FL_PGO_UPDATE:
		t = slot_table(a, m.rel_oid);
		slot_change(a, t, &t->updates, len);
		break;
	case FL_PGO_DELETE:
		t = slot_table(a, m.rel_oid);
		slot_change(a, t, &t->deletes, len);
		break;
	case FL_PGO_TRUNCATE:
		slot_truncate(a, &m, len);
		break;
	default:
		break;
	}
	return 0;
}

/* ---- the peek ------------------------------------------------------- */

static uint64_t
slot_be64(const char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | (unsigned char)p[i];
	return v;
}

/* One row of the peek (binary: lsn, data). */
static int
slot_row(struct slot_acc *a, const PGresult *res, struct fl_err *err)
{
	char at[32];

	if (PQnfields(res) != 2 || PQgetlength(res, 0, 0) != 8 ||
	    PQgetisnull(res, 0, 1))
		return fl_err_set(err, FL_ERR_PG,
		                  "unexpected row shape from "
		                  "pg_logical_slot_peek_binary_changes");
	if (slot_message(a, (const uint8_t *)PQgetvalue(res, 0, 1),
	                 (size_t)PQgetlength(res, 0, 1), err) < 0) {
		fl_lsn_format(slot_be64(PQgetvalue(res, 0, 0)), at, sizeof(at));
		return fl_err_prefix(err, "message %" PRIu64 " at %s",
		                     a->r->messages + 1, at);
	}
	return 0;
}

/* A failed statement; 1 when the slot was in use (SQLSTATE 55006: the
 * caller words it once the statement is drained), else -1 with err. */
static int
slot_query_error(PGconn *conn, const PGresult *res, const char *slot,
                 struct fl_err *err)
{
	const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	if (code && strcmp(code, "55006") == 0)
		return 1;
	fl_err_set(err, FL_ERR_PG, "peeking at replication slot %s: %s%s%s%s",
	           slot, msg ? msg : PQerrorMessage(conn),
	           code ? " (SQLSTATE " : "", code ? code : "",
	           code ? ")" : "");
	fl_err_sqlstate(err, code);
	return -1;
}

/* Stop the running statement (after our own failure) and drain it. */
static void
slot_abandon(PGconn *conn)
{
	PGcancel *c = PQgetCancel(conn);
	PGresult *res;
	char buf[256];

	if (c) {
		PQcancel(c, buf, sizeof(buf));
		PQfreeCancel(c);
	}
	while ((res = PQgetResult(conn)) != NULL)
		PQclear(res);
}

static int
slot_read(PGconn *conn, const struct fl_slot_opts *o, const char *slot,
          struct slot_acc *a, struct fl_err *err)
{
	static const char sql[] =
	    "SELECT lsn, data FROM pg_logical_slot_peek_binary_changes("
	    "$1, NULL, $2::int, 'proto_version', '1', "
	    "'publication_names', $3)";
	const char *params[3];
	struct fl_buf pub;
	char bound[24];
	PGresult *res;
	int rc = 0, sent;

	fl_buf_init(&pub, 1024);
	fl_pgconn_put_ident(&pub, o->publication);
	snprintf(bound, sizeof(bound), "%ld", a->r->max_changes);
	params[0] = slot;
	params[1] = bound;
	params[2] = fl_buf_str(&pub);
	sent = PQsendQueryParams(conn, sql, 3, NULL, params, NULL, NULL, 1);
	fl_buf_done(&pub);
	if (!sent)
		return fl_err_set(err, FL_ERR_PG,
		                  "peeking at replication slot %s: %s", o->slot,
		                  PQerrorMessage(conn));
	if (!PQsetSingleRowMode(conn)) {
		slot_abandon(conn);
		return fl_err_set(err, FL_ERR_PG,
		                  "peeking at replication slot %s: cannot "
		                  "read row by row",
		                  o->slot);
	}
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (rc == 0 && st == PGRES_SINGLE_TUPLE)
			rc = slot_row(a, res, err);
		else if (rc == 0 && st != PGRES_TUPLES_OK)
			rc = slot_query_error(conn, res, slot, err);
		PQclear(res);
		if (rc < 0 && st == PGRES_SINGLE_TUPLE) {
			slot_abandon(conn);
			break;
		}
	}
	return rc; /* 1: in use (55006) */
}

/* Copy the slot into a temporary one named after it and this session;
 * the copy's name, or NULL with err. */
static char *
slot_copy(PGconn *conn, const char *slot, struct fl_err *err)
{
	static const char sql[] =
	    "SELECT slot_name::text FROM pg_copy_logical_replication_slot("
	    "$1::name, left($1::text, 40) || '_peek_' || pg_backend_pid(), "
	    "true)";
	const char *params[1] = { slot };
	PGresult *res = fl_pgconn_query(conn, sql, 1, params, NULL, err);
	char *name = NULL;

	if (res && PQntuples(res) == 1)
		name = fl_xstrdup(fl_pgconn_get(res, 0, 0));
	PQclear(res);
	return name;
}

static void
slot_drop_copy(PGconn *conn, const char *copy)
{
	const char *params[1] = { copy };
	struct fl_err ignored;

	PQclear(fl_pgconn_query(conn, "SELECT pg_drop_replication_slot($1)", 1,
	                        params, NULL, &ignored));
}

/* Peek the slot itself, or (in use) a temporary copy of it. */
static int
slot_read_any(PGconn *conn, const struct fl_slot_opts *o, struct slot_acc *a,
              struct fl_err *err)
{
	struct fl_slot_backlog *r = a->r;
	struct fl_err cerr;
	int rc = 1;

	if (!r->holder_pid && (rc = slot_read(conn, o, o->slot, a, err)) <= 0)
		return rc;
	if (!r->holder_pid) /* became busy meanwhile (55006) */
		r->holder_pid = slot_holder(conn, o->slot);
	if (!(r->copy = slot_copy(conn, o->slot, &cerr)))
		return slot_busy(err, o->slot, r->holder_pid, cerr.msg);
	rc = slot_read(conn, o, r->copy, a, err);
	slot_drop_copy(conn, r->copy);
	return rc > 0 ? slot_busy(err, o->slot, r->holder_pid,
	                          "the copy was in use")
	              : rc;
}

/* Tables by bytes descending, then by name, then OID. */
static int
slot_table_cmp(const void *pa, const void *pb)
{
	const struct fl_slot_table *a = pa, *b = pb;
	int c;

	if (a->bytes != b->bytes)
		return a->bytes > b->bytes ? -1 : 1;
	if (a->schema && b->schema) {
		if ((c = strcmp(a->schema, b->schema)) != 0)
			return c;
		if ((c = strcmp(a->table, b->table)) != 0)
			return c;
	} else if (a->schema || b->schema) {
		return a->schema ? -1 : 1;
	}
	return a->oid < b->oid ? -1 : a->oid > b->oid;
}

int
fl_slot_peek(PGconn *conn, const struct fl_slot_opts *o,
             struct fl_slot_backlog *out, struct fl_err *err)
{
	struct slot_acc a;
	int64_t t0 = fl_mono_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!o || !o->slot || !*o->slot || !o->publication || !*o->publication)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "a slot and a publication are needed");
	out->slot = fl_xstrdup(o->slot);
	out->publication = fl_xstrdup(o->publication);
	out->max_changes =
	    o->max_changes > 0 ? o->max_changes : FL_SLOT_MAX_CHANGES_DEFAULT;
	if (out->max_changes > INT_MAX)
		out->max_changes = INT_MAX;
	out->top_max = o->top ? o->top : FL_SLOT_TOP_DEFAULT;
	out->top = fl_xcalloc(out->top_max, sizeof(*out->top));
	if (slot_check(conn, o, out, err) < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.r = out;
	fl_pgo_scratch_init(&a.scratch);
	rc = slot_read_any(conn, o, &a, err);
	fl_pgo_scratch_done(&a.scratch);
	free(a.slots);
	if (rc < 0)
		return -1;
	if (out->ntables > 1)
		qsort(out->tables, out->ntables, sizeof(*out->tables),
		      slot_table_cmp);
	out->truncated = out->messages >= (uint64_t)out->max_changes;
	out->peeked_at = fl_wall_us();
	out->elapsed_ms = fl_mono_ms() - t0;
	return 0;
}

void
fl_slot_backlog_done(struct fl_slot_backlog *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->ntables; i++) {
		free(r->tables[i].schema);
		free(r->tables[i].table);
	}
	free(r->tables);
	free(r->top);
	free(r->slot);
	free(r->publication);
	free(r->database);
	free(r->copy);
	memset(r, 0, sizeof(*r));
}

/* ---- output --------------------------------------------------------- */

/* A pgoutput time as "2026-01-02T03:04:05.123456Z" (json) or
 * "2026-01-02 03:04:05" (text). */
static void
slot_time(int64_t pg_us, int json, char *out, size_t n)
{
	int64_t unix_us = pg_us + SLOT_PG_EPOCH_US;
	time_t secs = (time_t)(unix_us / 1000000);
	long frac = (long)(unix_us % 1000000);
	struct tm tm;
	char base[32];

	if (frac < 0) {
		frac += 1000000;
		secs--;
	}
	if (!gmtime_r(&secs, &tm)) {
		snprintf(out, n, "?");
		return;
	}
	strftime(base, sizeof(base),
	         json ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
	if (json)
		snprintf(out, n, "%s.%06ldZ", base, frac);
	else
		snprintf(out, n, "%s", base);
}

/* Seconds from a pgoutput commit time to the peek. */
static double
slot_age(const struct fl_slot_backlog *r, int64_t pg_us)
{
	return (double)(r->peeked_at - (pg_us + SLOT_PG_EPOCH_US)) / 1e6;
}

static void
slot_json_lsn(struct fl_buf *b, const char *key, fl_lsn lsn)
{
	char s[32];

	fl_lsn_format(lsn, s, sizeof(s));
	fl_buf_printf(b, "\"%s\":\"%s\"", key, s);
}

static void
slot_json_txn(struct fl_buf *b, const struct fl_slot_txn *t)
{
	char when[48];

	slot_time(t->commit_time, 1, when, sizeof(when));
	fl_buf_printf(b, "{\"xid\":%" PRIu32 ",", t->xid);
	slot_json_lsn(b, "commit_lsn", t->commit_lsn);
	fl_buf_putc(b, ',');
	slot_json_lsn(b, "end_lsn", t->end_lsn);
	fl_buf_printf(b,
	              ",\"commit_time\":\"%s\",\"changes\":%" PRIu64
	              ",\"bytes\":%" PRIu64 "}",
	              when, t->changes, t->bytes);
}

static void
slot_json_table(struct fl_buf *b, const struct fl_slot_table *t)
{
	fl_buf_puts(b, "{\"schema\":");
	if (t->schema)
		fl_json_put_string(b, t->schema);
	else
		fl_buf_puts(b, "null");
	fl_buf_puts(b, ",\"table\":");
	if (t->table)
		fl_json_put_string(b, t->table);
	else
		fl_buf_puts(b, "null");
	fl_buf_printf(b,
	              ",\"oid\":%" PRIu32 ",\"inserts\":%" PRIu64
	              ",\"updates\":%" PRIu64 ",\"deletes\":%" PRIu64
	              ",\"truncates\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
	              t->oid, t->inserts, t->updates, t->deletes, t->truncates,
	              t->bytes);
}

void
fl_slot_backlog_json(const struct fl_slot_backlog *r, struct fl_buf *b)
{
	char when[48];
	size_t i;

	fl_buf_puts(b, "{\"slot\":");
	fl_json_put_string(b, r->slot ? r->slot : "");
	fl_buf_puts(b, ",\"publication\":");
	fl_json_put_string(b, r->publication ? r->publication : "");
	fl_buf_puts(b, ",\"database\":");
	fl_json_put_string(b, r->database ? r->database : "");
	fl_buf_putc(b, ',');
	slot_json_lsn(b, "confirmed_flush_lsn", r->confirmed_flush_lsn);
	fl_buf_putc(b, ',');
	slot_json_lsn(b, "restart_lsn", r->restart_lsn);
	fl_buf_printf(
	    b, ",\"in_use_by\":%ld,\"read_through_copy\":", r->holder_pid);
	if (r->copy)
		fl_json_put_string(b, r->copy);
	else
		fl_buf_puts(b, "null");
	slot_time(r->peeked_at - SLOT_PG_EPOCH_US, 1, when, sizeof(when));
	fl_buf_printf(
	    b,
	    ",\"peeked_at\":\"%s\",\"elapsed_ms\":%" PRId64
	    ",\"max_changes\":%ld,\"truncated\":%s,\"messages\":%" PRIu64
	    ",\"changes\":%" PRIu64 ",\"bytes\":%" PRIu64
	    ",\"transactions\":%" PRIu64,
	    when, r->elapsed_ms, r->max_changes,
	    r->truncated ? "true" : "false", r->messages, r->changes, r->bytes,
	    r->transactions);
	if (r->transactions) {
		slot_time(r->oldest.commit_time, 1, when, sizeof(when));
		fl_buf_printf(b,
		              ",\"oldest_commit_time\":\"%s\","
		              "\"oldest_commit_age_secs\":%.3f,\"oldest\":",
		              when, slot_age(r, r->oldest.commit_time));
		slot_json_txn(b, &r->oldest);
		fl_buf_puts(b, ",\"newest\":");
		slot_json_txn(b, &r->newest);
	} else {
		fl_buf_puts(b, ",\"oldest_commit_time\":null,"
		               "\"oldest_commit_age_secs\":null,"
		               "\"oldest\":null,\"newest\":null");
	}
	fl_buf_puts(b, ",\"tables\":[");
	for (i = 0; i < r->ntables; i++) {
		if (i)
			fl_buf_putc(b, ',');
		slot_json_table(b, &r->tables[i]);
	}
	fl_buf_puts(b, "],\"largest_transactions\":[");
	for (i = 0; i < r->ntop; i++) {
		if (i)
			fl_buf_putc(b, ',');
		slot_json_txn(b, &r->top[i]);
	}
	fl_buf_puts(b, "]}");
}

/* "512 B", "1.2 kB", "3.4 MB", "5.6 GB". */
static void
slot_bytes(uint64_t n, char *out, size_t len)
{
	double b = (double)n;

	if (n < 1000)
		snprintf(out, len, "%" PRIu64 " B", n);
	else if (b < 1e6)
		snprintf(out, len, "%.1f kB", b / 1e3);
	else if (b < 1e9)
		snprintf(out, len, "%.1f MB", b / 1e6);
	else
		snprintf(out, len, "%.1f GB", b / 1e9);
}

/* "45s", "12m 3s", "3h 2m", "2d 3h". */
static void
slot_duration(double secs, char *out, size_t len)
{
	long s = secs < 0 ? 0 : (long)secs;

	if (s < 60)
		snprintf(out, len, "%lds", s);
	else if (s < 3600)
		snprintf(out, len, "%ldm %lds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(out, len, "%ldh %ldm", s / 3600, s % 3600 / 60);
	else
		snprintf(out, len, "%ldd %ldh", s / 86400, s % 86400 / 3600);
}

static void
slot_table_name(const struct fl_slot_table *t, char *out, size_t n)
{
	if (t->schema)
		snprintf(out, n, "%s.%s", t->schema, t->table);
	else
		snprintf(out, n, "(relation %" PRIu32 ")", t->oid);
}

static void
slot_text_tables(const struct fl_slot_backlog *r, struct fl_buf *b)
{
	char name[160], bytes[32];
	int w = 5;
	size_t i;

	for (i = 0; i < r->ntables; i++) {
		slot_table_name(&r->tables[i], name, sizeof(name));
		if ((int)strlen(name) > w)
			w = (int)strlen(name) > 60 ? 60 : (int)strlen(name);
	}
	fl_buf_printf(b, "\n%-*s %10s %10s %10s %10s %10s\n", w, "TABLE",
	              "INSERTS", "UPDATES", "DELETES", "TRUNCATES", "BYTES");
	for (i = 0; i < r->ntables; i++) {
		const struct fl_slot_table *t = &r->tables[i];

		slot_table_name(t, name, sizeof(name));
		slot_bytes(t->bytes, bytes, sizeof(bytes));
		fl_buf_printf(b,
		              "%-*s %10" PRIu64 " %10" PRIu64 " %10" PRIu64
		              " %10" PRIu64 " %10s\n",
		              w, name, t->inserts, t->updates, t->deletes,
		              t->truncates, bytes);
	}
}

static void
slot_text_top(const struct fl_slot_backlog *r, struct fl_buf *b)
{
	char lsn[32], when[48], bytes[32];
	size_t i;

	fl_buf_printf(b, "\nLARGEST TRANSACTIONS (%zu of %" PRIu64 ")\n",
	              r->ntop, r->transactions);
	fl_buf_printf(b, "%10s %-18s %-19s %10s %10s\n", "XID", "COMMIT LSN",
	              "COMMIT TIME (UTC)", "CHANGES", "BYTES");
	for (i = 0; i < r->ntop; i++) {
		const struct fl_slot_txn *t = &r->top[i];

		fl_lsn_format(t->commit_lsn, lsn, sizeof(lsn));
		slot_time(t->commit_time, 0, when, sizeof(when));
		slot_bytes(t->bytes, bytes, sizeof(bytes));
		fl_buf_printf(b,
		              "%10" PRIu32 " %-18s %-19s %10" PRIu64 " %10s\n",
		              t->xid, lsn, when, t->changes, bytes);
	}
}

void
fl_slot_backlog_text(const struct fl_slot_backlog *r, struct fl_buf *b)
{
	char cf[32], rs[32], bytes[32], when[48], age[32];

	fl_lsn_format(r->confirmed_flush_lsn, cf, sizeof(cf));
	fl_lsn_format(r->restart_lsn, rs, sizeof(rs));
	slot_bytes(r->bytes, bytes, sizeof(bytes));
	fl_buf_printf(b,
	              "slot %s (database %s, publication %s): confirmed "
	              "up to %s, restart at %s\n",
	              r->slot, r->database, r->publication, cf, rs);
	if (r->copy)
		fl_buf_printf(b,
		              "in use by PID %ld: read through a temporary "
		              "copy (%s, dropped)\n",
		              r->holder_pid, r->copy);
	fl_buf_printf(b,
	              "pending: %" PRIu64 " changes in %" PRIu64
	              " transactions, %s (%" PRIu64
	              " messages read in %.1f s)\n",
	              r->changes, r->transactions, bytes, r->messages,
	              (double)r->elapsed_ms / 1000);
	if (r->transactions) {
		slot_time(r->oldest.commit_time, 0, when, sizeof(when));
		slot_duration(slot_age(r, r->oldest.commit_time), age,
		              sizeof(age));
		fl_lsn_format(r->oldest.commit_lsn, cf, sizeof(cf));
		fl_buf_printf(b,
		              "oldest pending commit: %s UTC (%s ago), xid "
		              "%" PRIu32 " at %s\n",
		              when, age, r->oldest.xid, cf);
	}
	if (r->truncated)
		fl_buf_printf(b,
		              "stopped at the bound of %ld messages: more may "
		              "be pending (raise --max-changes)\n",
		              r->max_changes);
	if (r->messages == 0) {
		fl_buf_puts(b, "nothing pending\n");
		return;
	}
	if (r->ntables)
		slot_text_tables(r, b);
	if (r->ntop)
		slot_text_top(r, b);
}
