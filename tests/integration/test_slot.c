/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_slot.c - the slot peek (source/slot_peek.c, `flusso slot`) against
 * the real PostgreSQL:
 *   1. known inserts, updates, deletes and a truncate on two tables in
 *      five transactions (one large): per-table counts, per-transaction
 *      counts, the largest transaction, the oldest commit time, bytes;
 *   2. the slot does not move (confirmed_flush_lsn, restart_lsn) and a
 *      second peek gives the same counts;
 *   3. a bound smaller than the backlog sets truncated;
 *   4. the text and JSON reports;
 *   5. refusals: a missing slot, a physical slot, a test_decoding slot,
 *      a slot held by pg_recvlogical (active);
 *   6. `flusso slot --json` through the command table against a
 *      deployment file;
 *   7. seventy tables and transactions on a second slot: names, counts,
 *      order, the largest three.
 *
 * Needs FLUSSO_TEST_PG_URL and FLUSSO_TEST_PG_BIN (tests/services.sh
 * env). Creates its own database, publication and slots, all named
 * flusso_it_slot_<pid>..., and drops them at the end.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "cmd.h"
#include "source/pg_conn.h"
#include "source/pgoutput.h"
#include "source/slot_peek.h"
#include "tap.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/xmem.h"

#define T_BIG_B 500 /* rows the large transaction inserts into b */
#define T_BIG_A 100 /* ... and into a */
#define T_MANY  70  /* tables of test_many */

static char t_prefix[64];   /* flusso_it_slot_<pid> */
static char t_slot[96];     /* the pgoutput slot under test */
static char t_pub[96];      /* its publication */
static const char *t_admin; /* FLUSSO_TEST_PG_URL */
static char *t_dburl;       /* the test database */
static PGconn *t_db;        /* on the test database */
static uint32_t t_xids[5];  /* of the five transactions, in order */
static int64_t t_before_us; /* wall clock before the first commit */
static int64_t t_after_us;  /* ... after the last */

/* ---- helpers ----------------------------------------------------------- */

static void
t_nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* The admin URL with its database replaced by `db` (caller frees). */
static char *
t_url(const char *db)
{
	const char *slash = strrchr(t_admin, '/');
	const char *q = strchr(slash, '?');

	return fl_xasprintf("%.*s/%s%s", (int)(slash - t_admin), t_admin, db,
	                    q ? q : "");
}

static PGconn *
t_connect(const char *url)
{
	struct fl_err err;
	PGconn *c = fl_pgconn_open(url, "flusso-test", 0, &err);

	if (!c)
		printf("# %s\n", err.msg);
	return c;
}

static int t_execf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

/* Run SQL; 0 or -1 (the error printed as a TAP comment). */
static int
t_execf(PGconn *c, const char *fmt, ...)
{
	char sql[4096];
	PGresult *r;
	ExecStatusType st;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	st = PQresultStatus(r);
	rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
	if (rc < 0)
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	PQclear(r);
	return rc;
}

static char *t_strf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

/* The single value of a query (caller frees); NULL on error/no row. */
static char *
t_strf(PGconn *c, const char *fmt, ...)
{
	char sql[4096];
	PGresult *r;
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		s = fl_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return s;
}

/* Commit one transaction of `sql` statements; its xid into *xid. */
static int
t_txn(const char *sql, uint32_t *xid)
{
	char *x;

	if (t_execf(t_db, "BEGIN") < 0)
		return -1;
	x = t_strf(t_db, "SELECT txid_current() %% 4294967296");
	*xid = x ? (uint32_t)strtoul(x, NULL, 10) : 0;
	free(x);
	if (t_execf(t_db, "%s", sql) < 0) {
		t_execf(t_db, "ROLLBACK");
		return -1;
	}
	return t_execf(t_db, "COMMIT");
}

/* confirmed_flush_lsn and restart_lsn of the slot, "A/B A/B". */
static char *
t_slot_lsns(const char *slot)
{
	return t_strf(t_db,
	              "SELECT confirmed_flush_lsn || ' ' || restart_lsn "
	              "FROM pg_replication_slots WHERE slot_name = '%s'",
	              slot);
}

static int
t_peek_pub(const char *slot, const char *pub, long max_changes, size_t top,
           struct fl_slot_backlog *r, struct fl_err *err)
{
	struct fl_slot_opts o = { .slot = slot,
		                  .publication = pub,
		                  .max_changes = max_changes,
		                  .top = top };

	fl_err_clear(err);
	return fl_slot_peek(t_db, &o, r, err);
}

static int
t_peek(const char *slot, long max_changes, size_t top,
       struct fl_slot_backlog *r, struct fl_err *err)
{
	return t_peek_pub(slot, t_pub, max_changes, top, r, err);
}

static const struct fl_slot_table *
t_table(const struct fl_slot_backlog *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->ntables; i++)
		if (r->tables[i].table && !strcmp(r->tables[i].table, name) &&
		    !strcmp(r->tables[i].schema, "public"))
			return &r->tables[i];
	return NULL;
}

/* ---- cases ------------------------------------------------------------- */

/* The known backlog: what each table and transaction must show. */
static void
t_check_counts(const struct fl_slot_backlog *r, const char *what)
{
	const struct fl_slot_table *a = t_table(r, "a"), *b = t_table(r, "b");
	char msg[128];

	snprintf(msg, sizeof(msg), "%s: two tables, named", what);
	if (!ok(r->ntables == 2 && a && b, msg))
		return;
	ok(a->inserts == 3 + T_BIG_A && a->updates == 2 && a->deletes == 2 &&
	       a->truncates == 0,
	   "  a: 103 inserts, 2 updates, 2 deletes");
	ok(b->inserts == 2 + T_BIG_B && b->updates == 1 && b->deletes == 1 &&
	       b->truncates == 1,
	   "  b: 502 inserts, 1 update, 1 delete, 1 truncate");
	ok(a->bytes > 0 && b->bytes > a->bytes, "  bytes per table");
	is_long((long)r->changes, 3 + T_BIG_A + 2 + 2 + 2 + T_BIG_B + 1 + 1 + 1,
	        "  total changes");
	is_long((long)r->transactions, 5, "  five transactions");
	ok(r->bytes > a->bytes + b->bytes, "  total bytes above the tables'");
	ok(r->tables[0].bytes >= r->tables[1].bytes, "  tables by bytes");
	ok(!r->truncated, "  not truncated");
}

TAP_TEST(test_counts)
{
	struct fl_slot_backlog r, again;
	struct fl_err err;
	char *before, *after;
	/* changes per transaction, largest first */
	static const uint64_t want[] = { T_BIG_A + T_BIG_B, 5, 3, 3, 1 };
	static const size_t order[] = { 2, 0, 1, 3, 4 };
	uint64_t sum = 0;
	size_t i;

	before = t_slot_lsns(t_slot);
	if (!ok(t_peek(t_slot, 0, 0, &r, &err) == 0, "peek")) {
		diag("%s", err.msg);
		fl_slot_backlog_done(&r);
		free(before);
		return;
	}
	t_check_counts(&r, "first peek");
	is_long((long)r.max_changes, FL_SLOT_MAX_CHANGES_DEFAULT,
	        "default bound");
	is_long((long)r.ntop, 5, "all five transactions listed (top 10)");
	for (i = 0; i < r.ntop && i < 5; i++) {
		char msg[96];

		snprintf(msg, sizeof(msg),
		         "  transaction %zu: %llu changes, its xid", i + 1,
		         (unsigned long long)want[i]);
		ok(r.top[i].changes == want[i] &&
		       r.top[i].xid == t_xids[order[i]] && r.top[i].bytes > 0 &&
		       r.top[i].commit_lsn &&
		       r.top[i].end_lsn > r.top[i].commit_lsn,
		   msg);
		sum += r.top[i].changes;
	}
	is_long((long)sum, (long)r.changes, "  transactions sum to the total");
	ok(r.top[0].xid == t_xids[2], "largest is the large transaction");
	ok(r.oldest.xid == t_xids[0] && r.newest.xid == t_xids[4],
	   "oldest and newest transactions");
	ok(r.oldest.commit_time + INT64_C(946684800000000) >=
	           t_before_us - 2000000 &&
	       r.oldest.commit_time + INT64_C(946684800000000) <=
	           t_after_us + 2000000,
	   "oldest commit time within the writes");
	ok(r.oldest.commit_time <= r.newest.commit_time, "oldest <= newest");
	after = t_slot_lsns(t_slot);
	ok(before && after, "slot LSNs read");
	is_str(after, before, "the slot did not move");
	free(after);
	if (t_peek(t_slot, 0, 0, &again, &err) == 0) {
		t_check_counts(&again, "second peek");
		is_long((long)again.bytes, (long)r.bytes, "  same bytes");
		is_long((long)again.messages, (long)r.messages,
		        "  same messages");
	} else {
		ok(0, "second peek");
		diag("%s", err.msg);
	}
	after = t_slot_lsns(t_slot);
	is_str(after, before, "the slot did not move after two peeks");
	free(after);
	free(before);
	fl_slot_backlog_done(&again);
	fl_slot_backlog_done(&r);
}

TAP_TEST(test_bound_and_top)
{
	struct fl_slot_backlog r, all;
	struct fl_err err;

	if (t_peek(t_slot, 0, 0, &all, &err) < 0) {
		ok(0, "full peek");
		diag("%s", err.msg);
		fl_slot_backlog_done(&all);
		return;
	}
	if (ok(t_peek(t_slot, 10, 2, &r, &err) == 0, "peek bounded to 10")) {
		ok(r.truncated, "  truncated");
		ok(r.messages >= 10 && r.messages < all.messages,
		   "  stopped near the bound");
		ok(r.transactions >= 1 && r.transactions < 5,
		   "  whole transactions only");
		is_long((long)r.ntop, (long)(r.transactions < 2 ? 1 : 2),
		        "  top 2 at most");
	} else {
		diag("%s", err.msg);
	}
	fl_slot_backlog_done(&r);
	if (ok(t_peek(t_slot, (long)all.messages, 1, &r, &err) == 0,
	       "peek bounded to exactly the backlog")) {
		ok(r.truncated, "  a bound reached counts as truncated");
		is_long((long)r.ntop, 1, "  top 1");
		ok(r.ntop && r.top[0].xid == t_xids[2],
		   "  which is the large transaction");
	}
	fl_slot_backlog_done(&r);
	fl_slot_backlog_done(&all);
}

TAP_TEST(test_reports)
{
	struct fl_slot_backlog r;
	struct fl_err err;
	struct fl_buf b;
	char want[160];

	if (t_peek(t_slot, 0, 3, &r, &err) < 0) {
		ok(0, "peek");
		diag("%s", err.msg);
		fl_slot_backlog_done(&r);
		return;
	}
	fl_buf_init(&b, 1 << 20);
	fl_slot_backlog_text(&r, &b);
	has_str(fl_buf_str(&b), "pending: 612 changes in 5 transactions",
	        "text: the totals");
	has_str(fl_buf_str(&b), "public.b", "text: table b");
	ok(strstr(fl_buf_str(&b), "public.b") <
	       strstr(fl_buf_str(&b), "public.a"),
	   "text: tables by bytes, b first");
	has_str(fl_buf_str(&b), "LARGEST TRANSACTIONS (3 of 5)",
	        "text: the largest transactions");
	has_str(fl_buf_str(&b), "oldest pending commit:", "text: oldest");
	fl_buf_reset(&b);
	fl_slot_backlog_json(&r, &b);
	snprintf(want, sizeof(want), "{\"slot\":\"%s\",", t_slot);
	ok(strncmp(fl_buf_str(&b), want, strlen(want)) == 0,
	   "json: one object, slot first");
	has_str(fl_buf_str(&b), "\"changes\":612,", "json: total changes");
	has_str(fl_buf_str(&b), "\"schema\":\"public\",\"table\":\"b\"",
	        "json: table b");
	has_str(fl_buf_str(&b),
	        "\"inserts\":502,\"updates\":1,\"deletes\":1,"
	        "\"truncates\":1,",
	        "json: b's counts");
	has_str(fl_buf_str(&b), "\"truncated\":false", "json: not truncated");
	snprintf(want, sizeof(want), "\"largest_transactions\":[{\"xid\":%u,",
	         (unsigned)t_xids[2]);
	has_str(fl_buf_str(&b), want, "json: the large transaction first");
	fl_buf_done(&b);
	fl_slot_backlog_done(&r);
}

/* Many tables and transactions (the OID table grows, the top list
 * keeps the largest): table m<i> gets i inserts in one transaction, on
 * a second slot and publication the first never sees. */
TAP_TEST(test_many)
{
	struct fl_slot_backlog r;
	struct fl_err err;
	char slot[128], pub[128];
	int i, good = 1;

	snprintf(slot, sizeof(slot), "%s_many", t_prefix);
	snprintf(pub, sizeof(pub), "%s_many_pub", t_prefix);
	for (i = 1; i <= T_MANY; i++)
		if (t_execf(t_db, "CREATE TABLE m%d (id int PRIMARY KEY)", i) <
		    0)
			return;
	if (t_execf(t_db,
	            "DO $$ BEGIN EXECUTE 'CREATE PUBLICATION %s FOR TABLE ' "
	            "|| (SELECT string_agg('m' || g, ',') FROM "
	            "generate_series(1, %d) g); END $$",
	            pub, T_MANY) < 0 ||
	    t_execf(t_db,
	            "SELECT 1 FROM pg_create_logical_replication_slot('%s', "
	            "'pgoutput')",
	            slot) < 0)
		return;
	for (i = T_MANY; i >= 1; i--)
		if (t_execf(t_db,
		            "INSERT INTO m%d SELECT generate_series(1, %d)", i,
		            i) < 0)
			return;
	if (!ok(t_peek_pub(slot, pub, 0, 3, &r, &err) == 0, "peek")) {
		diag("%s", err.msg);
		fl_slot_backlog_done(&r);
		return;
	}
	is_long((long)r.ntables, T_MANY, "every table");
	is_long((long)r.transactions, T_MANY, "every transaction");
	is_long((long)r.changes, T_MANY * (T_MANY + 1) / 2, "every change");
	for (i = 0; i < (int)r.ntables; i++) {
		char want[16];

		snprintf(want, sizeof(want), "m%d", T_MANY - i);
		if (!r.tables[i].table || strcmp(r.tables[i].table, want) ||
		    r.tables[i].inserts != (uint64_t)(T_MANY - i))
			good = 0;
	}
	ok(good, "each table named and counted, largest first");
	ok(r.ntop == 3 && r.top[0].changes == T_MANY &&
	       r.top[1].changes == T_MANY - 1 && r.top[2].changes == T_MANY - 2,
	   "the three largest transactions");
	ok(r.oldest.changes == T_MANY && r.newest.changes == 1,
	   "the oldest is the first committed");
	fl_slot_backlog_done(&r);
}

/* Start pg_recvlogical on the slot; its pid, or -1. */
static pid_t
t_recvlogical(void)
{
	const char *bin = getenv("FLUSSO_TEST_PG_BIN");
	char *prog, *popt;
	pid_t pid;

	if (!bin || !*bin)
		return -1;
	prog = fl_xasprintf("%s/pg_recvlogical", bin);
	popt = fl_xasprintf("publication_names=%s", t_pub);
	pid = fork();
	if (pid == 0) {
		execl(prog, prog, "-d", t_dburl, "--slot", t_slot, "--start",
		      "-o", "proto_version=1", "-o", popt, "-f", "/dev/null",
		      "--no-loop", (char *)NULL);
		_exit(127);
	}
	free(prog);
	free(popt);
	return pid;
}

TAP_TEST(test_refusals)
{
	struct fl_slot_backlog r;
	struct fl_err err;
	char name[128], want[512];
	char *active = NULL;
	pid_t pid;
	int i, status;

	snprintf(name, sizeof(name), "%s_nosuch", t_prefix);
	ok(t_peek(name, 0, 0, &r, &err) < 0 && err.code == FL_ERR_NOTFOUND,
	   "a missing slot is refused");
	has_str(err.msg, "does not exist", "  and said so");
	fl_slot_backlog_done(&r);

	snprintf(name, sizeof(name), "%s_phys", t_prefix);
	if (t_execf(t_db, "SELECT pg_create_physical_replication_slot('%s')",
	            name) == 0) {
		ok(t_peek(name, 0, 0, &r, &err) < 0 &&
		       err.code == FL_ERR_INVALID,
		   "a physical slot is refused");
		has_str(err.msg, "physical", "  and said so");
		fl_slot_backlog_done(&r);
	}
	snprintf(name, sizeof(name), "%s_td", t_prefix);
	if (t_execf(t_db,
	            "SELECT 1 FROM pg_create_logical_replication_slot('%s', "
	            "'test_decoding')",
	            name) == 0) {
		ok(t_peek(name, 0, 0, &r, &err) < 0 &&
		       err.code == FL_ERR_INVALID,
		   "a test_decoding slot is refused");
		has_str(err.msg, "not pgoutput", "  and said so");
		fl_slot_backlog_done(&r);
	}

	/* held by a walsender: pg_recvlogical streaming from it */
	if (!ok((pid = t_recvlogical()) > 0, "pg_recvlogical started"))
		return;
	for (i = 0; i < 100; i++) {
		free(active);
		active = t_strf(t_db,
		                "SELECT active_pid FROM pg_replication_slots "
		                "WHERE slot_name = '%s' AND active",
		                t_slot);
		if (active)
			break;
		t_nap(100);
	}
	if (ok(active != NULL, "the slot is active")) {
		char *left;

		int prc = t_peek(t_slot, 0, 0, &r, &err);

		if (prc < 0)
			diag("%s", err.msg);
		ok(prc == 0 && r.holder_pid == strtol(active, NULL, 10) &&
		       r.copy != NULL,
		   "an active slot is read through a temporary copy");
		has_str(r.copy ? r.copy : "", "_peek_", "  named _peek_");
		left = t_strf(t_db, "SELECT count(*) FROM pg_replication_slots "
		                    "WHERE slot_name LIKE '%%_peek_%%'");
		is_str(left, "0", "  and dropped afterwards");
		free(left);
		fl_slot_backlog_done(&r);
	}
	(void)want;
	free(active);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/* `flusso slot ARGS...` in a child with stdout into `out`; exit code. */
static int
t_cli(const char *cfg, const char *out, const char *const *args, int n)
{
	char *argv[16] = { NULL };
	int i, status;
	pid_t pid;

	argv[0] = fl_xstrdup("flusso");
	argv[1] = fl_xstrdup("slot");
	argv[2] = fl_xstrdup("-c");
	argv[3] = fl_xstrdup(cfg);
	for (i = 0; i < n && i < 10; i++)
		argv[4 + i] = fl_xstrdup(args[i]);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (!freopen(out, "w", stdout))
			_exit(99);
		setenv("FLUSSO_IT_SLOT_URL", t_dburl, 1);
		_exit(fl_cmd_main(4 + n, argv));
	}
	for (i = 0; i < 4 + n && i < 14; i++)
		free(argv[i]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static char *
t_slurp(const char *path)
{
	struct fl_buf b;
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	fl_buf_init(&b, 1 << 24);
	while (f && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	if (f)
		fclose(f);
	return fl_buf_steal(&b);
}

TAP_TEST(test_cli)
{
	char dir[] = "/tmp/flusso_it_slot_XXXXXX";
	char *cfg, *out, *text;
	const char *args[6];
	FILE *f;

	if (!ok(mkdtemp(dir) != NULL, "scratch directory"))
		return;
	cfg = fl_xasprintf("%s/flusso.yml", dir);
	out = fl_xasprintf("%s/out", dir);
	f = fopen(cfg, "w");
	if (f) {
		fputs("source:\n  type: postgres\n  connection_url: "
		      "{env: FLUSSO_IT_SLOT_URL}\n",
		      f);
		fclose(f);
	}
	args[0] = "--slot";
	args[1] = t_slot;
	args[2] = "--publication";
	args[3] = t_pub;
	args[4] = "--json";
	is_long(t_cli(cfg, out, args, 5), 0, "flusso slot --json: exit 0");
	text = t_slurp(out);
	has_str(text, "\"changes\":612,", "  the JSON object");
	ok(text && text[0] == '{' && text[strlen(text) - 1] == '\n',
	   "  one line");
	free(text);
	is_long(t_cli(cfg, out, args, 4), 0, "flusso slot: exit 0");
	text = t_slurp(out);
	has_str(text, "pending: 612 changes in 5 transactions", "  the table");
	free(text);
	args[1] = "flusso_it_slot_nosuch";
	is_long(t_cli(cfg, out, args, 4), 1, "a missing slot: exit 1");
	unlink(out);
	unlink(cfg);
	rmdir(dir);
	free(cfg);
	free(out);
}

/* ---- setup ------------------------------------------------------------- */

static int
t_setup(PGconn *admin)
{
	static const char *const txns[5] = {
		"INSERT INTO a VALUES (1, 'one'), (2, 'two'), (3, 'three');"
		"INSERT INTO b VALUES (1, 'one'), (2, 'two')",
		"UPDATE a SET v = 'uno' WHERE id IN (1, 2);"
		"DELETE FROM b WHERE id = 2",
		"INSERT INTO b SELECT g, repeat('b', 20) FROM "
		"generate_series(100, 599) g;"
		"INSERT INTO a SELECT g, repeat('a', 20) FROM "
		"generate_series(100, 199) g",
		"DELETE FROM a WHERE id IN (3, 100);"
		"UPDATE b SET v = 'eins' WHERE id = 1",
		"TRUNCATE b",
	};
	size_t i;

	snprintf(t_slot, sizeof(t_slot), "%s_s", t_prefix);
	snprintf(t_pub, sizeof(t_pub), "%s_pub", t_prefix);
	if (t_execf(admin, "CREATE DATABASE %s", t_prefix) < 0)
		return -1;
	t_dburl = t_url(t_prefix);
	/* the peek reads flushed WAL only: commits flush before returning
	 * (the test server runs with synchronous_commit off) */
	if (!(t_db = t_connect(t_dburl)) ||
	    t_execf(t_db, "SET synchronous_commit = on") < 0 ||
	    t_execf(t_db,
	            "CREATE TABLE a (id int PRIMARY KEY, v text);"
	            "CREATE TABLE b (id int PRIMARY KEY, v text);"
	            "CREATE TABLE c (id int PRIMARY KEY);"
	            "CREATE PUBLICATION %s FOR TABLE a, b",
	            t_pub) < 0 ||
	    t_execf(t_db,
	            "SELECT 1 FROM pg_create_logical_replication_slot('%s', "
	            "'pgoutput')",
	            t_slot) < 0)
		return -1;
	t_before_us = fl_wall_us();
	for (i = 0; i < FL_ARRAY_LEN(txns); i++)
		if (t_txn(txns[i], &t_xids[i]) < 0)
			return -1;
	/* outside the publication: never counted */
	if (t_execf(t_db, "INSERT INTO c SELECT generate_series(1, 50)") < 0)
		return -1;
	t_after_us = fl_wall_us();
	return 0;
}

static void
t_teardown(PGconn *admin)
{
	int i;

	PQfinish(t_db);
	for (i = 0; i < 50; i++) {
		char *n;
		int done;

		free(t_strf(admin,
		            "SELECT count(pg_drop_replication_slot(slot_name)) "
		            "FROM pg_replication_slots WHERE slot_name LIKE "
		            "'%s%%' AND NOT active",
		            t_prefix));
		n = t_strf(admin,
		           "SELECT count(*) FROM pg_replication_slots WHERE "
		           "slot_name LIKE '%s%%'",
		           t_prefix);
		done = n && strcmp(n, "0") == 0;
		free(n);
		if (done)
			break;
		t_nap(100);
	}
	t_execf(admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t_prefix);
	free(t_dburl);
}

int
main(void)
{
	PGconn *admin;

	t_admin = getenv("FLUSSO_TEST_PG_URL");
	if (!ok(t_admin && *t_admin, "FLUSSO_TEST_PG_URL is set")) {
		printf("# start the services with tests/services.sh start pg "
		       "and eval \"$(tests/services.sh env)\"\n");
		return tap_done();
	}
	snprintf(t_prefix, sizeof(t_prefix), "flusso_it_slot_%ld",
	         (long)getpid());
	admin = t_connect(t_admin);
	if (!ok(admin != NULL, "admin connection") ||
	    !ok(t_setup(admin) == 0, "test database, slot and changes")) {
		if (admin)
			t_teardown(admin);
		PQfinish(admin);
		return tap_done();
	}
	tap_run(test_counts);
	tap_run(test_bound_and_top);
	tap_run(test_reports);
	tap_run(test_cli);
	tap_run(test_many);
	tap_run(test_refusals); /* last: pg_recvlogical consumes the slot */
	t_teardown(admin);
	PQfinish(admin);
	return tap_done();
}
