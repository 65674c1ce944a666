/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_capture.c - the capture layer (capture.c, pg_setup.c, tracked_tables.c,
 * change_event.c) against the real PostgreSQL (source.md §5-§11, §18.3, §19):
 *   1. insert/update/delete/truncate over root keys int4, int8, uuid,
 *      text, date, timestamptz, numeric and a composite-key junction:
 *      key text as `key::text` gives it, op, commit LSN, xid, pos;
 *   2. a primary-key update carries the old key ('K') and the new one;
 *   3. a REPLICA IDENTITY FULL child moved and deleted: old FK ('O');
 *   4. a partitioned root streams under the root's name (the managed
 *      publication has publish_via_partition_root);
 *   5. the same table name in two schemas does not cross-talk, also
 *      through a FOR ALL TABLES publication;
 *   6. a 50,000-row transaction partly confirmed, then the capturing
 *      process killed: the slot does not pass the commit, and the next
 *      capture redelivers every change;
 *   7. the walsender terminated while writes go on: reconnect, nothing
 *      missing;
 *   8. the slot dropped under the capture: recreated, reported;
 *   9. an idle slot under unrelated traffic keeps confirmed_flush_lsn
 *      moving (keepalive wal_end);
 *  10. back-pressure: a full queue for longer than wal_sender_timeout
 *      keeps the connection (status updates go on), nothing lost.
 *
 * Needs FLUSSO_TEST_PG_URL (tests/services.sh env). Creates its own
 * database, publications and slots, all named flusso_it_cap_<pid>...,
 * and drops them at the end. Publications and slots are created by the
 * code under test (fl_source_prepare), never by the test, except the
 * FOR ALL TABLES publication of case 5.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "source/capture.h"
#include "source/change_event.h"
#include "source/pg_conn.h"
#include "source/pg_setup.h"
#include "source/pgoutput.h"
#include "source/tracked_tables.h"
#include "tap.h"
#include "util/diagnostics.h"
#include "util/queue.h"
#include "util/xmem.h"

#define T_STATUS_MS 500   /* standby status interval of every capture */
#define T_BIG_ROWS  50000 /* case 6 */
#define T_LOOP_ROWS 2000  /* case 7 */

static char t_prefix[64];   /* flusso_it_cap_<pid> */
static const char *t_admin; /* FLUSSO_TEST_PG_URL */
static char t_dir[256];     /* scratch directory for config files */
static char *t_dburl;       /* the test database */
static char t_pub[96];      /* the managed publication */
static PGconn *t_db;        /* writer connection on the test database */
static struct fl_config *t_cfg, *t_cfg_users;
static struct fl_track t_track, t_track_users;

/* ---- helpers ----------------------------------------------------------- */

static int64_t
t_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t
t_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A short pause between two polls of a condition. */
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

/* Run SQL; 0 or -1 (the error printed as a TAP comment). */
static int
t_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;

	if (rc < 0)
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	PQclear(r);
	return rc;
}

static int t_execf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

static int
t_execf(PGconn *c, const char *fmt, ...)
{
	char sql[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return t_exec(c, sql);
}

/* The single value of a query as a string (caller frees); NULL on an
 * error, no row or SQL NULL. */
static char *t_strf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

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

/* The single LSN value of a query; 0 when there is none. */
static fl_lsn t_lsnf(PGconn *c, const char *fmt, ...) FL_PRINTF(2, 3);

static fl_lsn
t_lsnf(PGconn *c, const char *fmt, ...)
{
	char sql[4096];
	PGresult *r;
	fl_lsn l = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		printf("# SQL failed: %s# in: %.200s\n", PQerrorMessage(c),
		       sql);
	else if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) &&
	         fl_lsn_parse(PQgetvalue(r, 0, 0), &l) < 0)
		l = 0;
	PQclear(r);
	return l;
}

static fl_lsn
t_slot_flush(PGconn *c, const char *slot)
{
	return t_lsnf(c,
	              "SELECT confirmed_flush_lsn FROM pg_replication_slots "
	              "WHERE slot_name = '%s'",
	              slot);
}

static void
t_write(const char *name, const char *text)
{
	char *path = fl_xasprintf("%s/%s", t_dir, name);
	FILE *f = fopen(path, "wb");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(path);
}

static void
t_dump(const struct fl_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		char *m = fl_diag_format(&d->v[i]);

		printf("#   %s %s\n",
		       d->v[i].sev == FL_DIAG_ERROR ? "error:" : "warning:", m);
		free(m);
	}
}

/* Load a configuration and its tracked tables. */
static int
t_load(const char *name, struct fl_config **cfg, struct fl_track *track)
{
	char *path = fl_xasprintf("%s/%s", t_dir, name);
	struct fl_diags d;
	struct fl_err err;
	int rc = -1;

	fl_diags_init(&d);
	*cfg = fl_config_load(path, NULL, &d);
	if (!*cfg || d.nerrors) {
		t_dump(&d);
		goto out;
	}
	fl_track_build(*cfg, track);
	if (fl_track_load_catalog(t_db, track, &err) < 0) {
		printf("# track: %s\n", err.msg);
		goto out;
	}
	rc = 0;
out:
	fl_diags_done(&d);
	free(path);
	return rc;
}

/* Start-up steps 1-4 (publication, then the slot) as `run` does them. */
static int
t_prepare(const char *slot, const char *pub, const struct fl_config *cfg,
          int manage, struct fl_source_prep *prep)
{
	struct fl_source_opts so = { 0 };
	struct fl_source_prep local;
	struct fl_diags d;
	struct fl_err err;
	int rc;

	so.slot = slot;
	so.publication = pub;
	so.manage_publication = manage;
	so.slot_wait_secs = 20;
	fl_diags_init(&d);
	rc = fl_source_prepare(t_dburl, cfg, &so, prep ? prep : &local, &d,
	                       &err);
	if (rc < 0) {
		printf("# prepare %s: %s\n", slot, err.msg);
		t_dump(&d);
	}
	fl_diags_done(&d);
	return rc;
}

/* ---- a capture and its consumer ---------------------------------------- */

struct t_cap {
	struct fl_capture *c;
	struct fl_queue *q;
	pthread_mutex_t mu; /* guards ev, nev */
	enum fl_capture_event ev[64];
	size_t nev;
	int drop_stale; /* drop changes of older epochs, as the engine does */
	/* definitions changed (RELATION events, first sightings left out),
	 * taken off the queue by t_pop and confirmed */
	int nrel;
	char rel_what[512];
};

static const char *const t_ev_names[] = { "connected", "disconnected",
	                                  "slot_created", "failed" };

static void
t_on_event(void *arg, enum fl_capture_event ev, const char *detail)
{
	struct t_cap *tc = arg;

	pthread_mutex_lock(&tc->mu);
	if (tc->nev < FL_ARRAY_LEN(tc->ev))
		tc->ev[tc->nev++] = ev;
	pthread_mutex_unlock(&tc->mu);
	printf("# event %s: %s\n", t_ev_names[ev], detail ? detail : "");
}

/* Does the event log hold `want` in this order (not necessarily
 * adjacent)? */
static int
t_events_seq(struct t_cap *tc, const enum fl_capture_event *want, size_t n)
{
	size_t i, j = 0;

	pthread_mutex_lock(&tc->mu);
	for (i = 0; i < tc->nev && j < n; i++)
		if (tc->ev[i] == want[j])
			j++;
	pthread_mutex_unlock(&tc->mu);
	return j == n;
}

static size_t
t_events_count(struct t_cap *tc, enum fl_capture_event ev)
{
	size_t i, n = 0;

	pthread_mutex_lock(&tc->mu);
	for (i = 0; i < tc->nev; i++)
		n += tc->ev[i] == ev;
	pthread_mutex_unlock(&tc->mu);
	return n;
}

static void
t_drop(void *item)
{
	fl_change_free(item);
}

static struct fl_capture_status
t_status(struct t_cap *tc)
{
	struct fl_capture_status st;

	fl_capture_status(tc->c, &st);
	return st;
}

/* Wait until the capture streams; 0 or -1 at the deadline. */
static int
t_wait_streaming(struct t_cap *tc, int timeout_ms)
{
	int64_t end = t_ms() + timeout_ms;

	while (t_ms() < end) {
		struct fl_capture_status st = t_status(tc);

		if (st.state == FL_CAPTURE_STREAMING)
			return 0;
		if (st.state == FL_CAPTURE_ERROR) {
			printf("# capture failed: %s\n", st.last_error);
			return -1;
		}
		t_nap(10);
	}
	return -1;
}

/* A capture of `slot` over `pub` into a new queue of `qcap` changes. */
static int
t_cap_start(struct t_cap *tc, const char *conninfo, const char *slot,
            const char *pub, const struct fl_track *track, size_t qcap)
{
	struct fl_capture_opts o = { 0 };
	struct fl_err err;

	memset(tc, 0, sizeof(*tc));
	pthread_mutex_init(&tc->mu, NULL);
	tc->q = fl_queue_new(qcap);
	o.conninfo = conninfo;
	o.slot = slot;
	o.publication = pub;
	o.track = track;
	o.queue = tc->q;
	o.status_interval_ms = T_STATUS_MS;
	o.lag_poll_secs = 1;
	o.backoff_max_ms = 2000;
	o.on_event = t_on_event;
	o.arg = tc;
	tc->c = fl_capture_new(&o);
	if (fl_capture_start(tc->c, &err) < 0) {
		printf("# capture start: %s\n", err.msg);
		return -1;
	}
	return t_wait_streaming(tc, 20000);
}

/* Stop and free everything, leftovers included. */
static void
t_cap_done(struct t_cap *tc)
{
	fl_capture_free(tc->c);
	fl_queue_free(tc->q, t_drop);
	pthread_mutex_destroy(&tc->mu);
	memset(tc, 0, sizeof(*tc));
}

/* The next change (the caller owns it), NULL at the deadline. */
static struct fl_change *
t_pop(struct t_cap *tc, int timeout_ms)
{
	int64_t end = t_ms() + timeout_ms;

	do {
		void *item;

		if (fl_queue_pop(tc->q, &item, 50) != 0)
			continue;
		if (tc->drop_stale && ((struct fl_change *)item)->ack.epoch !=
		                          fl_capture_epoch(tc->c)) {
			fl_change_free(item);
			continue;
		}
		if (((struct fl_change *)item)->op == FL_CHANGE_RELATION) {
			struct fl_change *ch = item;

			if (!ch->rel_first) {
				tc->nrel++;
				snprintf(tc->rel_what, sizeof(tc->rel_what),
				         "%s", ch->what);
			}
			fl_capture_confirm(tc->c, ch->ack);
			fl_change_free(ch);
			continue;
		}
		return item;
	} while (t_ms() < end);
	return NULL;
}

/* Pop n changes into v, confirming each; returns how many arrived. */
static size_t
t_take(struct t_cap *tc, struct fl_change **v, size_t n, int timeout_ms)
{
	int64_t end = t_ms() + timeout_ms;
	size_t got = 0;

	while (got < n) {
		int64_t left = end - t_ms();

		if (left <= 0 || !(v[got] = t_pop(tc, (int)left)))
			break;
		fl_capture_confirm(tc->c, v[got]->ack);
		got++;
	}
	return got;
}

static void
t_free_all(struct fl_change **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		fl_change_free(v[i]);
}

/* ---- transactions with known xid and commit LSN bounds ---------------- */

struct t_tx {
	uint32_t xid;
	fl_lsn lo, hi; /* lo <= commit LSN < hi */
};

/* Run `body` (several statements) as one transaction on t_db. */
static int
t_tx_run(const char *body, struct t_tx *tx)
{
	char *xid;

	memset(tx, 0, sizeof(*tx));
	if (t_exec(t_db, "BEGIN") < 0)
		return -1;
	xid = t_strf(t_db, "SELECT txid_current()");
	if (!xid || t_exec(t_db, body) < 0) {
		free(xid);
		t_exec(t_db, "ROLLBACK");
		return -1;
	}
	tx->xid = (uint32_t)strtoull(xid, NULL, 10);
	free(xid);
	tx->lo = t_lsnf(t_db, "SELECT pg_current_wal_insert_lsn()");
	if (t_exec(t_db, "COMMIT") < 0)
		return -1;
	tx->hi = t_lsnf(t_db, "SELECT pg_current_wal_insert_lsn()");
	return 0;
}

/* What one change must look like. */
struct t_want {
	enum fl_change_op op;
	const char *table;
	const char *col, *newv, *oldv;
	const char *col2, *new2, *old2; /* optional second column */
	char old_kind;
};

static const char *const t_op_names[] = { "INSERT", "UPDATE", "DELETE",
	                                  "TRUNCATE" };

static void
t_check_one(const struct fl_change *ch, const struct t_want *w, size_t pos,
            const struct t_tx *tx, fl_lsn first_lsn, const char *what)
{
	char m[256];

	snprintf(m, sizeof(m), "%s #%zu: %s public.%s", what, pos,
	         t_op_names[w->op], w->table);
	ok(ch->op == w->op && ch->table &&
	       strcmp(ch->table->schema, "public") == 0 &&
	       strcmp(ch->table->table, w->table) == 0,
	   m);
	if (ch->op != w->op || !ch->table)
		printf("#   got %s %s.%s\n", t_op_names[ch->op],
		       ch->table ? ch->table->schema : "-",
		       ch->table ? ch->table->table : "-");
	snprintf(m, sizeof(m), "  ... new %s", w->col);
	is_str(fl_change_new(ch, w->col), w->newv, m);
	snprintf(m, sizeof(m), "  ... old %s", w->col);
	is_str(fl_change_old(ch, w->col), w->oldv, m);
	if (w->col2) {
		snprintf(m, sizeof(m), "  ... new %s", w->col2);
		is_str(fl_change_new(ch, w->col2), w->new2, m);
		snprintf(m, sizeof(m), "  ... old %s", w->col2);
		is_str(fl_change_old(ch, w->col2), w->old2, m);
	}
	is_long(ch->old_kind, w->old_kind, "  ... old image kind");
	is_long((long)ch->pos, (long)pos, "  ... pos in its transaction");
	is_long((long)ch->xid, (long)tx->xid, "  ... xid");
	ok(ch->commit_lsn >= tx->lo && ch->commit_lsn < tx->hi &&
	       ch->commit_lsn == first_lsn,
	   "  ... the transaction's commit LSN");
	ok(ch->commit_time > 0, "  ... a commit time");
}

/* Take nw changes and check them against w, all of transaction tx. */
static void
t_expect_tx(struct t_cap *tc, const struct t_want *w, size_t nw,
            const struct t_tx *tx, const char *what)
{
	struct fl_change **v = fl_xcalloc(nw + 1, sizeof(*v));
	size_t n = t_take(tc, v, nw, 15000), i;
	char m[160];

	snprintf(m, sizeof(m), "%s: %zu changes", what, nw);
	if (is_long((long)n, (long)nw, m))
		for (i = 0; i < n; i++)
			t_check_one(v[i], &w[i], i, tx, v[0]->commit_lsn, what);
	t_free_all(v, n);
	free(v);
}

/* ---- fixtures ---------------------------------------------------------- */

static const char t_schema_sql[] =
    "CREATE SCHEMA audit;"
    "CREATE TABLE users (id int4 PRIMARY KEY, name text);"
    "CREATE TABLE orders (id int8 PRIMARY KEY, user_id int4 NOT NULL, "
    "total numeric(10,2));"
    "ALTER TABLE orders REPLICA IDENTITY FULL;"
    "CREATE TABLE big (id int8 PRIMARY KEY, v text);"
    "CREATE TABLE devices (id uuid PRIMARY KEY, label text);"
    "CREATE TABLE notes (id text PRIMARY KEY, body text);"
    "CREATE TABLE days (d date PRIMARY KEY, note text);"
    "CREATE TABLE ticks (ts timestamptz PRIMARY KEY, v int4);"
    "CREATE TABLE prices (amount numeric PRIMARY KEY, label text);"
    "CREATE TABLE products (id int8 PRIMARY KEY, name text);"
    "CREATE TABLE tags (id int4 PRIMARY KEY, name text);"
    "CREATE TABLE product_tags (product_id int8, tag_id int4, "
    "PRIMARY KEY (product_id, tag_id));"
    "CREATE TABLE events (id int8 PRIMARY KEY, kind text) "
    "PARTITION BY RANGE (id);"
    "CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO "
    "(1000);"
    "CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (1000) TO "
    "(2000);"
    "CREATE TABLE audit.users (id int4 PRIMARY KEY, name text);"
    "CREATE TABLE noise (id bigserial PRIMARY KEY, v text);";

static const char t_config_yml[] = "source:\n"
                                   "  type: postgres\n"
                                   "index:\n"
                                   "  - name: users\n"
                                   "    schema: users.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: big\n"
                                   "    schema: big.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: devices\n"
                                   "    schema: devices.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: notes\n"
                                   "    schema: notes.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: days\n"
                                   "    schema: days.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: ticks\n"
                                   "    schema: ticks.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: prices\n"
                                   "    schema: prices.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: products\n"
                                   "    schema: products.schema.yml\n"
                                   "    enabled: true\n"
                                   "  - name: events\n"
                                   "    schema: events.schema.yml\n"
                                   "    enabled: true\n";

static const char t_users_cfg_yml[] = "source:\n"
                                      "  type: postgres\n"
                                      "index:\n"
                                      "  - name: users\n"
                                      "    schema: users_only.schema.yml\n"
                                      "    enabled: true\n";

static const char t_users_yml[] = "version: 1\n"
                                  "table: users\n"
                                  "primary_key: id\n"
                                  "fields:\n"
                                  "  - integer: id\n"
                                  "    required: true\n"
                                  "  - text: name\n"
                                  "    required: false\n"
                                  "  - has_many: orders\n"
                                  "    table: orders\n"
                                  "    foreign_key: user_id\n"
                                  "    primary_key: id\n"
                                  "    fields:\n"
                                  "      - decimal: total\n"
                                  "        required: false\n";

static const char t_users_only_yml[] = "version: 1\n"
                                       "table: users\n"
                                       "primary_key: id\n"
                                       "fields:\n"
                                       "  - integer: id\n"
                                       "    required: true\n"
                                       "  - text: name\n"
                                       "    required: false\n";

static const char t_products_yml[] =
    "version: 1\n"
    "table: products\n"
    "primary_key: id\n"
    "fields:\n"
    "  - long: id\n"
    "    required: true\n"
    "  - many_to_many: tags\n"
    "    table: tags\n"
    "    through: { table: product_tags, left_key: product_id, "
    "right_key: tag_id }\n"
    "    primary_key: id\n"
    "    fields:\n"
    "      - keyword: name\n"
    "        required: false\n";

/* A root table `table` keyed by `key` of declared type `type`, with one
 * other text column `other`. */
static void
t_write_root(const char *table, const char *type, const char *key,
             const char *other)
{
	char name[64];
	char *yml = fl_xasprintf("version: 1\n"
	                         "table: %s\n"
	                         "primary_key: %s\n"
	                         "fields:\n"
	                         "  - %s: %s\n"
	                         "    required: true\n"
	                         "  - keyword: %s\n"
	                         "    required: false\n",
	                         table, key, type, key, other);

	snprintf(name, sizeof(name), "%s.schema.yml", table);
	t_write(name, yml);
	free(yml);
}

static const char *const t_files[] = {
	"flusso.yml",          "users_cfg.yml",
	"users.schema.yml",    "users_only.schema.yml",
	"products.schema.yml", "big.schema.yml",
	"devices.schema.yml",  "notes.schema.yml",
	"days.schema.yml",     "prices.schema.yml",
	"events.schema.yml",   "ticks.schema.yml",
};

static void
t_write_files(void)
{
	t_write("flusso.yml", t_config_yml);
	t_write("users_cfg.yml", t_users_cfg_yml);
	t_write("users.schema.yml", t_users_yml);
	t_write("users_only.schema.yml", t_users_only_yml);
	t_write("products.schema.yml", t_products_yml);
	t_write_root("big", "long", "id", "v");
	t_write_root("devices", "uuid", "id", "label");
	t_write_root("notes", "keyword", "id", "body");
	t_write_root("days", "date", "d", "note");
	t_write_root("prices", "decimal", "amount", "label");
	t_write_root("events", "long", "id", "kind");
	t_write("ticks.schema.yml", "version: 1\n"
	                            "table: ticks\n"
	                            "primary_key: ts\n"
	                            "fields:\n"
	                            "  - timestamp: ts\n"
	                            "    required: true\n"
	                            "  - integer: v\n"
	                            "    required: false\n");
}

static char *
t_slot(const char *tag)
{
	return fl_xasprintf("%s_%s", t_prefix, tag);
}

/* ---- 1. every key type, every operation -------------------------------- */

#define T_UUID "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"
#define T_TEXT "h\xc3\xa9llo w\xc3\xb6rld"
#define T_TS   "2024-01-02 03:04:05+00"

static const struct t_want t_w_insert[] = {
	{ FL_CHANGE_INSERT, "users", "id", "1", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "users", "id", "2", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "big", "id", "9007199254740993", NULL, NULL, NULL,
	  NULL, 0 },
	{ FL_CHANGE_INSERT, "devices", "id", T_UUID, NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_INSERT, "notes", "id", T_TEXT, NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "days", "d", "2024-01-02", NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_INSERT, "ticks", "ts", T_TS, NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "prices", "amount", "12.50", NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_INSERT, "products", "id", "7", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "tags", "id", "3", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "product_tags", "product_id", "7", NULL, "tag_id",
	  "3", NULL, 0 },
};

static const struct t_want t_w_update[] = {
	{ FL_CHANGE_UPDATE, "users", "id", "1", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_UPDATE, "big", "id", "9007199254740993", NULL, NULL, NULL,
	  NULL, 0 },
	{ FL_CHANGE_UPDATE, "devices", "id", T_UUID, NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_UPDATE, "notes", "id", T_TEXT, NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_UPDATE, "days", "d", "2024-01-02", NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_UPDATE, "ticks", "ts", T_TS, NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_UPDATE, "prices", "amount", "12.50", NULL, NULL, NULL, NULL,
	  0 },
	{ FL_CHANGE_UPDATE, "products", "id", "7", NULL, NULL, NULL, NULL, 0 },
};

static const struct t_want t_w_delete[] = {
	{ FL_CHANGE_DELETE, "product_tags", "product_id", NULL, "7", "tag_id",
	  NULL, "3", 'K' },
	{ FL_CHANGE_DELETE, "tags", "id", NULL, "3", NULL, NULL, NULL, 'K' },
	{ FL_CHANGE_DELETE, "notes", "id", NULL, T_TEXT, NULL, NULL, NULL,
	  'K' },
	{ FL_CHANGE_DELETE, "days", "d", NULL, "2024-01-02", NULL, NULL, NULL,
	  'K' },
	{ FL_CHANGE_DELETE, "prices", "amount", NULL, "12.50", NULL, NULL, NULL,
	  'K' },
	{ FL_CHANGE_DELETE, "devices", "id", NULL, T_UUID, NULL, NULL, NULL,
	  'K' },
};

/* The key texts SQL gives under the pinned settings equal the WAL's. */
static void
t_sql_keys(void)
{
	static const char *const q[][2] = {
		{ "SELECT id::text FROM big", "9007199254740993" },
		{ "SELECT id::text FROM devices", T_UUID },
		{ "SELECT id::text FROM notes", T_TEXT },
		{ "SELECT d::text FROM days", "2024-01-02" },
		{ "SELECT ts::text FROM ticks", T_TS },
		{ "SELECT amount::text FROM prices", "12.50" },
	};
	size_t i;

	for (i = 0; i < FL_ARRAY_LEN(q); i++) {
		char *s = t_strf(t_db, "%s", q[i][0]);
		char m[128];

		snprintf(m, sizeof(m), "`%s` gives the WAL's text", q[i][0]);
		is_str(s, q[i][1], m);
		free(s);
	}
}

/* Is `t` (public.<name>) among the truncated tables of ch? */
static int
t_truncated(const struct fl_change *ch, const char *name)
{
	size_t i;

	for (i = 0; i < ch->ntrunc; i++)
		if (strcmp(ch->trunc[i]->schema, "public") == 0 &&
		    strcmp(ch->trunc[i]->table, name) == 0)
			return 1;
	return 0;
}

static void
t_case_truncate(struct t_cap *tc)
{
	struct fl_change *v[2] = { NULL, NULL };
	struct t_tx tx;
	size_t n;

	ok(t_tx_run("TRUNCATE big, devices, noise; TRUNCATE ticks", &tx) == 0,
	   "tx: two TRUNCATE statements");
	n = t_take(tc, v, 2, 15000);
	if (!is_long((long)n, 2, "TRUNCATE: one change per statement"))
		goto out;
	is_long(v[0]->op, FL_CHANGE_TRUNCATE, "first is a TRUNCATE");
	ok(v[0]->table == NULL, "  ... without a table");
	is_long((long)v[0]->ntrunc, 2, "  ... listing the two tracked tables");
	ok(t_truncated(v[0], "big") && t_truncated(v[0], "devices"),
	   "  ... big and devices (not the untracked noise)");
	is_long((long)v[0]->pos, 0, "  ... pos 0");
	is_long(v[1]->op, FL_CHANGE_TRUNCATE, "second is a TRUNCATE");
	ok(v[1]->ntrunc == 1 && t_truncated(v[1], "ticks"), "  ... of ticks");
	is_long((long)v[1]->pos, 1, "  ... pos 1");
	ok(v[0]->xid == tx.xid && v[1]->xid == tx.xid,
	   "  ... both of the transaction");
	ok(v[0]->commit_lsn >= tx.lo && v[0]->commit_lsn < tx.hi &&
	       v[1]->commit_lsn == v[0]->commit_lsn,
	   "  ... with its commit LSN");
out:
	t_free_all(v, n);
}

TAP_TEST(test_keys_and_ops)
{
	char *slot = t_slot("keys");
	struct t_cap tc;
	struct t_tx tx;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0,
	        "prepare creates the publication and the slot") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	ok(t_tx_run("INSERT INTO users VALUES (1, 'ada'), (2, 'bob');"
	            "INSERT INTO big VALUES (9007199254740993, 'x');"
	            "INSERT INTO devices VALUES "
	            "('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', 'd');"
	            "INSERT INTO notes VALUES ('" T_TEXT "', 'n');"
	            "INSERT INTO days VALUES ('2024-01-02', 'n');"
	            "INSERT INTO ticks VALUES ('2024-01-02 05:04:05+02', 1);"
	            "INSERT INTO prices VALUES (12.50, 'p');"
	            "INSERT INTO products VALUES (7, 'kettle');"
	            "INSERT INTO tags VALUES (3, 'eco');"
	            "INSERT INTO product_tags VALUES (7, 3);"
	            "INSERT INTO noise (v) VALUES ('untracked');",
	            &tx) == 0,
	   "tx: inserts");
	t_expect_tx(&tc, t_w_insert, FL_ARRAY_LEN(t_w_insert), &tx, "insert");
	t_sql_keys();
	ok(t_tx_run("UPDATE users SET name = 'ada2' WHERE id = 1;"
	            "UPDATE big SET v = 'y';"
	            "UPDATE devices SET label = 'e';"
	            "UPDATE notes SET body = 'm';"
	            "UPDATE days SET note = 'm';"
	            "UPDATE ticks SET v = 2;"
	            "UPDATE prices SET label = 'q';"
	            "UPDATE products SET name = 'pot';"
	            "UPDATE noise SET v = 'still untracked';",
	            &tx) == 0,
	   "tx: updates");
	t_expect_tx(&tc, t_w_update, FL_ARRAY_LEN(t_w_update), &tx, "update");
	ok(t_tx_run("DELETE FROM product_tags; DELETE FROM tags;"
	            "DELETE FROM notes; DELETE FROM days; DELETE FROM prices;"
	            "DELETE FROM devices",
	            &tx) == 0,
	   "tx: deletes");
	t_expect_tx(&tc, t_w_delete, FL_ARRAY_LEN(t_w_delete), &tx, "delete");
	t_case_truncate(&tc);
	t_cap_done(&tc);
	free(slot);
}

/* ---- 2-4. key update, FULL identity child, partitioned root ----------- */

static const struct t_want t_w_pkupd[] = {
	{ FL_CHANGE_UPDATE, "users", "id", "3", "2", "name", NULL, NULL, 'K' },
};

static const struct t_want t_w_full[] = {
	{ FL_CHANGE_INSERT, "orders", "user_id", "1", NULL, "id", "10", NULL,
	  0 },
	{ FL_CHANGE_UPDATE, "orders", "user_id", "2", "1", "id", "10", "10",
	  'O' },
	{ FL_CHANGE_UPDATE, "orders", "user_id", "2", "2", "id", "10", "10",
	  'O' },
	{ FL_CHANGE_DELETE, "orders", "user_id", NULL, "2", "id", NULL, "10",
	  'O' },
};

static const struct t_want t_w_parts[] = {
	{ FL_CHANGE_INSERT, "events", "id", "5", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_INSERT, "events", "id", "1500", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_UPDATE, "events", "id", "1500", NULL, NULL, NULL, NULL, 0 },
	{ FL_CHANGE_DELETE, "events", "id", NULL, "5", NULL, NULL, NULL, 'K' },
	{ FL_CHANGE_UPDATE, "events", "id", "1600", "1500", NULL, NULL, NULL,
	  'K' },
	/* moved to the other partition: a delete and an insert */
	{ FL_CHANGE_DELETE, "events", "id", NULL, "1600", NULL, NULL, NULL,
	  'K' },
	{ FL_CHANGE_INSERT, "events", "id", "7", NULL, NULL, NULL, NULL, 0 },
};

/* TRUNCATE of the partitioned root arrives under the root's name. (A
 * TRUNCATE of one partition is not published at all under
 * publish_via_partition_root: a PostgreSQL limitation.) */
static void
t_parts_truncate(struct t_cap *tc)
{
	struct fl_change *ch;
	struct t_tx tx;

	ok(t_tx_run("TRUNCATE events", &tx) == 0, "tx: TRUNCATE events");
	ch = t_pop(tc, 15000);
	if (!ok(ch != NULL, "  ... arrives"))
		return;
	ok(ch->op == FL_CHANGE_TRUNCATE && ch->ntrunc == 1 &&
	       t_truncated(ch, "events"),
	   "  ... as a TRUNCATE of public.events");
	ok(ch->xid == tx.xid && ch->pos == 0, "  ... pos 0 of its transaction");
	fl_capture_confirm(tc->c, ch->ack);
	fl_change_free(ch);
}

TAP_TEST(test_identities_and_partitions)
{
	char *slot = t_slot("ident"), *via;
	struct t_cap tc;
	struct t_tx tx;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	ok(t_tx_run("UPDATE users SET id = 3 WHERE id = 2", &tx) == 0,
	   "tx: primary-key update");
	t_expect_tx(&tc, t_w_pkupd, 1, &tx, "key update");
	ok(fl_track_col(fl_track_find(&t_track, "public", "users"), "name") < 0,
	   "  ... other columns are not kept");
	ok(t_tx_run("INSERT INTO orders VALUES (10, 1, 5.00);"
	            "UPDATE orders SET user_id = 2 WHERE id = 10;"
	            "UPDATE orders SET total = 6.00 WHERE id = 10;"
	            "DELETE FROM orders WHERE id = 10",
	            &tx) == 0,
	   "tx: FULL identity child moved and deleted");
	t_expect_tx(&tc, t_w_full, FL_ARRAY_LEN(t_w_full), &tx, "full");
	via = t_strf(t_db,
	             "SELECT pubviaroot::text FROM pg_publication WHERE "
	             "pubname = '%s'",
	             t_pub);
	is_str(via, "true", "the publication publishes via the root");
	free(via);
	ok(t_tx_run("INSERT INTO events VALUES (5, 'a'), (1500, 'b');"
	            "UPDATE events SET kind = 'c' WHERE id = 1500;"
	            "DELETE FROM events WHERE id = 5;"
	            "UPDATE events SET id = 1600 WHERE id = 1500;"
	            "UPDATE events SET id = 7 WHERE id = 1600",
	            &tx) == 0,
	   "tx: partitioned root");
	t_expect_tx(&tc, t_w_parts, FL_ARRAY_LEN(t_w_parts), &tx, "parts");
	t_parts_truncate(&tc);
	t_cap_done(&tc);
	free(slot);
}

/* ---- 5. same name in two schemas, FOR ALL TABLES ----------------------- */

static const struct t_want t_w_u50[] = {
	{ FL_CHANGE_INSERT, "users", "id", "50", NULL, NULL, NULL, NULL, 0 },
};
static const struct t_want t_w_u51[] = {
	{ FL_CHANGE_INSERT, "users", "id", "51", NULL, NULL, NULL, NULL, 0 },
};
static const struct t_want t_w_u60[] = {
	{ FL_CHANGE_INSERT, "users", "id", "60", NULL, NULL, NULL, NULL, 0 },
};
static const struct t_want t_w_u61[] = {
	{ FL_CHANGE_INSERT, "users", "id", "61", NULL, NULL, NULL, NULL, 0 },
};

static void
t_case_all_tables(void)
{
	char *slot = t_slot("all"), *pub = t_slot("allpub");
	struct t_cap tc;
	struct t_tx tx;

	if (!ok(t_execf(t_db, "CREATE PUBLICATION %s FOR ALL TABLES", pub) == 0,
	        "a FOR ALL TABLES publication (made by the test)") ||
	    !ok(t_prepare(slot, pub, t_cfg_users, 0, NULL) == 0,
	        "prepare with it") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, pub, &t_track_users, 1024) == 0,
	        "capture streams")) {
		free(slot);
		free(pub);
		return;
	}
	ok(t_tx_run("INSERT INTO audit.users VALUES (2, 'x');"
	            "INSERT INTO big VALUES (1, 'b');"
	            "INSERT INTO users VALUES (60, 'y');"
	            "INSERT INTO orders VALUES (11, 60, 1);"
	            "UPDATE audit.users SET name = 'w';"
	            "INSERT INTO noise (v) VALUES ('n');"
	            "DELETE FROM big",
	            &tx) == 0,
	   "tx: writes to every kind of table");
	t_expect_tx(&tc, t_w_u60, 1, &tx, "all tables: only public.users");
	ok(t_tx_run("INSERT INTO audit.users VALUES (3, 'q');"
	            "INSERT INTO users VALUES (61, 's')",
	            &tx) == 0,
	   "tx: sentinel");
	t_expect_tx(&tc, t_w_u61, 1, &tx, "  ... and nothing in between");
	t_cap_done(&tc);
	t_execf(t_db, "DROP PUBLICATION %s", pub);
	free(slot);
	free(pub);
}

TAP_TEST(test_two_schemas)
{
	char *slot = t_slot("schemas"), *n;
	struct t_cap tc;
	struct t_tx tx;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	n = t_strf(t_db,
	           "SELECT count(*) FROM pg_publication_tables WHERE "
	           "pubname = '%s' AND schemaname = 'audit'",
	           t_pub);
	is_str(n, "0", "audit.users is not in the publication");
	free(n);
	ok(t_tx_run("INSERT INTO audit.users VALUES (1, 'x');"
	            "INSERT INTO users VALUES (50, 'y');"
	            "UPDATE audit.users SET name = 'z';"
	            "DELETE FROM audit.users",
	            &tx) == 0,
	   "tx: audit.users and public.users");
	t_expect_tx(&tc, t_w_u50, 1, &tx, "only public.users");
	ok(t_tx_run("INSERT INTO users VALUES (51, 's')", &tx) == 0,
	   "tx: sentinel");
	t_expect_tx(&tc, t_w_u51, 1, &tx, "  ... and nothing in between");
	t_cap_done(&tc);
	free(slot);
	t_case_all_tables();
}

/* ---- 5b. DDL inside a transaction ---------------------------------------- */

static const struct t_want t_w_ddl[] = {
	{ FL_CHANGE_INSERT, "orders", "id", "70", NULL, "user_id", "7", NULL,
	  0 },
	{ FL_CHANGE_INSERT, "orders", "id", "71", NULL, "user_id", "8", NULL,
	  0 },
	{ FL_CHANGE_INSERT, "orders", "id", "72", NULL, "user_id", "9", NULL,
	  0 },
};
static const struct t_want t_w_gone[] = {
	{ FL_CHANGE_INSERT, "orders", "id", "73", NULL, "user_id", NULL, NULL,
	  0 },
};
static const struct t_want t_w_back[] = {
	{ FL_CHANGE_INSERT, "orders", "id", "74", NULL, "user_id", "5", NULL,
	  0 },
};

/* Each change is decoded against the columns in force at its position
 * (a Relation message mid-transaction), and a changed definition of a
 * tracked table is reported with what changed in the columns capture
 * reads (keys and foreign keys). */
TAP_TEST(test_ddl_mid_transaction)
{
	char *slot = t_slot("ddl");
	struct t_cap tc;
	struct t_tx tx;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	ok(t_tx_run("INSERT INTO orders VALUES (70, 7, 1);"
	            "ALTER TABLE orders ADD COLUMN extra text;"
	            "INSERT INTO orders (extra, id, user_id, total) "
	            "VALUES ('x', 71, 8, 2);"
	            "ALTER TABLE orders DROP COLUMN total;"
	            "INSERT INTO orders (id, user_id) VALUES (72, 9)",
	            &tx) == 0,
	   "tx: inserts around ADD and DROP COLUMN");
	t_expect_tx(&tc, t_w_ddl, FL_ARRAY_LEN(t_w_ddl), &tx, "ddl");
	ok(tc.nrel >= 1, "a changed definition is reported");
	has_str(tc.rel_what, "its definition changed", "  ... as such");
	ok(t_tx_run("ALTER TABLE orders RENAME COLUMN user_id TO uid;"
	            "INSERT INTO orders VALUES (73, 4)",
	            &tx) == 0,
	   "tx: a foreign key renamed");
	t_expect_tx(&tc, t_w_gone, 1, &tx, "renamed");
	has_str(tc.rel_what, "column user_id is gone", "  ... reported gone");
	ok(t_tx_run("ALTER TABLE orders RENAME COLUMN uid TO user_id;"
	            "ALTER TABLE orders DROP COLUMN extra;"
	            "ALTER TABLE orders ADD COLUMN total numeric(10,2);"
	            "INSERT INTO orders VALUES (74, 5)",
	            &tx) == 0,
	   "tx: renamed back");
	t_expect_tx(&tc, t_w_back, 1, &tx, "back");
	has_str(tc.rel_what, "column user_id is back", "  ... reported back");
	t_cap_done(&tc);
	free(slot);
}

/* ---- 6. a big transaction, half confirmed, then kill -9 ----------------- */

/* What the child reports before it is killed. */
struct t_child_msg {
	int ok;
	long got, confirmed_n;
	fl_lsn commit_lsn;
	fl_lsn sent; /* the position in the status update it waited for */
};

/* The child: capture, confirm the first 20,000 changes only, wait for a
 * status update after that, report, and wait to be killed. */
static void
t_child(int wfd, const char *slot)
{
	struct t_child_msg msg = { 0 };
	struct t_cap tc;
	int64_t t_conf, end;
	long i;

	if (t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) < 0)
		goto report;
	for (i = 0; i < 25000; i++) {
		struct fl_change *ch = t_pop(&tc, 20000);

		if (!ch)
			goto report;
		msg.commit_lsn = ch->commit_lsn;
		if (i < 20000) {
			fl_capture_confirm(tc.c, ch->ack);
			msg.confirmed_n++;
		}
		fl_change_free(ch);
		msg.got++;
	}
	t_conf = t_wall_us();
	end = t_ms() + 10000;
	while (t_ms() < end) {
		struct fl_capture_status st = t_status(&tc);

		if (st.last_status_us > t_conf &&
		    st.state == FL_CAPTURE_STREAMING) {
			msg.sent = st.confirmed;
			msg.ok = 1;
			break;
		}
		t_nap(10);
	}
report:
	if (write(wfd, &msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		_exit(3);
	for (;;)
		pause();
}

/* Run the child and kill it once it reported; its report in *msg. */
static int
t_run_child(const char *slot, struct t_child_msg *msg)
{
	struct pollfd p;
	int fds[2], status;
	pid_t pid;
	ssize_t n = -1;

	if (pipe(fds) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(fds[0]);
		t_child(fds[1], slot);
		_exit(2);
	}
	close(fds[1]);
	p.fd = fds[0];
	p.events = POLLIN;
	if (poll(&p, 1, 60000) == 1)
		n = read(fds[0], msg, sizeof(*msg));
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	close(fds[0]);
	return n == (ssize_t)sizeof(*msg) && WIFSIGNALED(status) &&
	               WTERMSIG(status) == SIGKILL
	           ? 0
	           : -1;
}

TAP_TEST(test_kill_mid_transaction)
{
	char *slot = t_slot("kill");
	unsigned char *seen = fl_xcalloc(T_BIG_ROWS + 1, 1);
	struct t_child_msg msg;
	struct t_cap tc;
	struct t_tx tx;
	fl_lsn after_kill, commit = 0, flushed = 0;
	long got = 0, dups = 0, bad = 0, i, missing = 0;
	int64_t end;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare"))
		goto out;
	ok(t_tx_run("INSERT INTO big SELECT g, 'v' FROM "
	            "generate_series(1, 50000) g",
	            &tx) == 0,
	   "tx: 50,000 rows in one transaction");
	if (!ok(t_run_child(slot, &msg) == 0,
	        "the child reported and was killed with SIGKILL"))
		goto out;
	ok(msg.ok, "  ... after a status update following its confirms");
	is_long(msg.confirmed_n, 20000, "  ... it confirmed 20,000 changes");
	ok(msg.commit_lsn >= tx.lo && msg.commit_lsn < tx.hi,
	   "  ... of the transaction");
	ok(msg.sent < msg.commit_lsn,
	   "  ... and the position it sent is before the commit");
	after_kill = t_slot_flush(t_db, slot);
	ok(after_kill > 0 && after_kill < msg.commit_lsn,
	   "confirmed_flush_lsn is still below the commit");
	if (!ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "a new capture streams"))
		goto out;
	end = t_ms() + 30000;
	while (got < T_BIG_ROWS && t_ms() < end) {
		struct fl_change *ch = t_pop(&tc, 1000);
		const char *k;
		long id;

		if (!ch)
			continue;
		k = fl_change_new(ch, "id");
		id = k ? strtol(k, NULL, 10) : 0;
		if (ch->op != FL_CHANGE_INSERT || id < 1 || id > T_BIG_ROWS)
			bad++;
		else if (seen[id]++)
			dups++;
		commit = ch->commit_lsn;
		fl_capture_confirm(tc.c, ch->ack);
		fl_change_free(ch);
		got++;
	}
	for (i = 1; i <= T_BIG_ROWS; i++)
		missing += seen[i] == 0;
	is_long(got, T_BIG_ROWS, "all 50,000 changes delivered again");
	is_long(missing, 0, "  ... every key present");
	is_long(dups + bad, 0, "  ... exactly once, all inserts of big");
	is_long((long)(commit == msg.commit_lsn), 1, "  ... same commit LSN");
	end = t_ms() + 5000;
	while (t_ms() < end &&
	       (flushed = t_slot_flush(t_db, slot)) <= msg.commit_lsn)
		t_nap(50);
	ok(flushed > msg.commit_lsn,
	   "confirmed_flush_lsn passes the commit once all are confirmed");
	t_cap_done(&tc);
out:
	free(seen);
	free(slot);
}

/* ---- 7. walsender terminated while writes go on ------------------------- */

struct t_writer {
	atomic_int done; /* rows committed */
	int failed;
	long first;
	int rows;
};

static void *
t_writer_main(void *arg)
{
	struct t_writer *w = arg;
	PGconn *c = t_connect(t_dburl);
	int i;

	for (i = 0; c && i < w->rows; i++) {
		if (t_execf(c, "INSERT INTO big VALUES (%ld, 'w')",
		            w->first + i) < 0) {
			w->failed = 1;
			break;
		}
		atomic_store(&w->done, i + 1);
	}
	if (!c)
		w->failed = 1;
	PQfinish(c);
	return NULL;
}

/* Terminate the walsender of `slot`; 1 when one was signalled. */
static int
t_terminate(PGconn *c, const char *slot)
{
	char *r = t_strf(c,
	                 "SELECT count(pg_terminate_backend(active_pid)) FROM "
	                 "pg_replication_slots WHERE slot_name = '%s' AND "
	                 "active_pid IS NOT NULL",
	                 slot);
	int n = r ? (int)strtol(r, NULL, 10) : 0;

	free(r);
	return n;
}

TAP_TEST(test_walsender_killed)
{
	static const enum fl_capture_event seq[] = { FL_CAPTURE_EV_CONNECTED,
		                                     FL_CAPTURE_EV_DISCONNECTED,
		                                     FL_CAPTURE_EV_CONNECTED };
	char *slot = t_slot("term");
	unsigned char *seen = fl_xcalloc(T_LOOP_ROWS, 1);
	struct t_writer w = { 0 };
	struct fl_capture_status st;
	struct t_cap tc;
	pthread_t th;
	long distinct = 0;
	int killed = 0, started = 0;
	int64_t end;

	w.first = 100001;
	w.rows = T_LOOP_ROWS;
	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 256) == 0,
	        "capture streams"))
		goto out;
	tc.drop_stale = 1;
	started = pthread_create(&th, NULL, t_writer_main, &w) == 0;
	ok(started, "a writer commits 2,000 single-row inserts");
	end = t_ms() + 40000;
	while (started && distinct < T_LOOP_ROWS && t_ms() < end) {
		struct fl_change *ch;
		const char *k;
		long id;

		if (!killed && atomic_load(&w.done) >= T_LOOP_ROWS / 4) {
			killed = t_terminate(t_db, slot);
			ok(killed, "the walsender is terminated mid-stream");
		}
		if (!(ch = t_pop(&tc, 200)))
			continue;
		k = fl_change_new(ch, "id");
		id = k ? strtol(k, NULL, 10) - w.first : -1;
		if (ch->op == FL_CHANGE_INSERT && id >= 0 && id < T_LOOP_ROWS &&
		    !seen[id]++)
			distinct++;
		fl_capture_confirm(tc.c, ch->ack);
		fl_change_free(ch);
	}
	if (started)
		pthread_join(th, NULL);
	ok(!w.failed && atomic_load(&w.done) == T_LOOP_ROWS,
	   "the writer committed every row");
	is_long(distinct, T_LOOP_ROWS, "every inserted key was received");
	st = t_status(&tc);
	ok(st.reconnects >= 1, "status counts the reconnect");
	ok(t_events_seq(&tc, seq, FL_ARRAY_LEN(seq)),
	   "events: connected, disconnected, connected");
	is_long(st.state, FL_CAPTURE_STREAMING, "streaming again");
	t_cap_done(&tc);
out:
	free(seen);
	free(slot);
}

/* ---- 8. the slot dropped under the capture ------------------------------ */

/* Terminate the walsender and drop the slot, retrying while it is
 * active; 0 once dropped. */
static int
t_drop_slot(PGconn *c, const char *slot)
{
	const char *p[1] = { slot };
	int64_t end = t_ms() + 15000, last_kill = 0;

	while (t_ms() < end) {
		PGresult *r;
		int dropped;

		if (t_ms() - last_kill > 300) {
			t_terminate(c, slot);
			last_kill = t_ms();
		}
		r = PQexecParams(c, "SELECT pg_drop_replication_slot($1)", 1,
		                 NULL, p, NULL, NULL, 0);
		dropped = PQresultStatus(r) == PGRES_TUPLES_OK;
		PQclear(r);
		if (dropped)
			return 0;
		t_nap(5);
	}
	return -1;
}

TAP_TEST(test_slot_dropped)
{
	static const enum fl_capture_event seq[] = { FL_CAPTURE_EV_CONNECTED,
		                                     FL_CAPTURE_EV_DISCONNECTED,
		                                     FL_CAPTURE_EV_SLOT_CREATED,
		                                     FL_CAPTURE_EV_CONNECTED };
	static const struct t_want w70[] = {
		{ FL_CHANGE_INSERT, "users", "id", "70", NULL, NULL, NULL, NULL,
		  0 },
	};
	static const struct t_want w71[] = {
		{ FL_CHANGE_INSERT, "users", "id", "71", NULL, NULL, NULL, NULL,
		  0 },
	};
	char *slot = t_slot("drop");
	struct fl_capture_status st;
	struct t_cap tc;
	struct t_tx tx;
	uint64_t epoch;
	int64_t end;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	tc.drop_stale = 1;
	ok(t_tx_run("INSERT INTO users VALUES (70, 'a')", &tx) == 0, "tx");
	t_expect_tx(&tc, w70, 1, &tx, "before the drop");
	epoch = fl_capture_epoch(tc.c);
	ok(t_drop_slot(t_db, slot) == 0, "slot dropped under the capture");
	end = t_ms() + 20000;
	do {
		st = t_status(&tc);
		if (st.slot_recreations >= 1 &&
		    st.state == FL_CAPTURE_STREAMING)
			break;
		t_nap(20);
	} while (t_ms() < end);
	is_long((long)st.slot_recreations, 1, "the slot was recreated once");
	is_long((long)t_events_count(&tc, FL_CAPTURE_EV_SLOT_CREATED), 1,
	        "  ... reported as FL_CAPTURE_EV_SLOT_CREATED");
	ok(t_events_seq(&tc, seq, FL_ARRAY_LEN(seq)),
	   "events: connected, disconnected, slot_created, connected");
	ok(fl_capture_epoch(tc.c) > epoch, "  ... in a new epoch");
	ok(t_slot_flush(t_db, slot) > 0, "the slot exists again");
	ok(t_tx_run("INSERT INTO users VALUES (71, 'b')", &tx) == 0, "tx");
	t_expect_tx(&tc, w71, 1, &tx, "after the recreation");
	t_cap_done(&tc);
	free(slot);
}

/* The slot vanished between fl_source_prepare() and the first stream:
 * continuity is lost just the same. */
TAP_TEST(test_slot_gone_before_start)
{
	char *slot = t_slot("gone");
	struct fl_capture_status st;
	struct t_cap tc;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_drop_slot(t_db, slot) == 0, "slot dropped before start") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	st = t_status(&tc);
	is_long((long)st.slot_recreations, 1,
	        "the first stream reports the recreation");
	is_long((long)t_events_count(&tc, FL_CAPTURE_EV_SLOT_CREATED), 1,
	        "  ... as FL_CAPTURE_EV_SLOT_CREATED");
	is_long((long)st.reconnects, 0, "  ... without a reconnect");
	t_cap_done(&tc);
	free(slot);
}

/* ---- 9. idle slot under unrelated traffic ------------------------------- */

/* Commit `n` single-row writes to the unpublished table; returns the
 * WAL position after them. The last commit is synchronous (the test
 * cluster runs with synchronous_commit = off), so everything up to that
 * position is flushed and the walsender can read it. */
static fl_lsn
t_noise(int n)
{
	int i;

	for (i = 0; i < n - 1; i++)
		if (t_exec(t_db, "INSERT INTO noise (v) VALUES ('x')") < 0)
			return 0;
	if (t_exec(t_db, "BEGIN; SET LOCAL synchronous_commit = on;"
	                 "INSERT INTO noise (v) VALUES ('x'); COMMIT") < 0)
		return 0;
	return t_lsnf(t_db, "SELECT pg_current_wal_lsn()");
}

/* Wait until the slot's confirmed_flush_lsn reaches `lsn`. */
static fl_lsn
t_wait_flush(const char *slot, fl_lsn lsn, int timeout_ms)
{
	int64_t end = t_ms() + timeout_ms;
	fl_lsn f;

	while ((f = t_slot_flush(t_db, slot)) < lsn && t_ms() < end)
		t_nap(50);
	return f;
}

TAP_TEST(test_idle_slot)
{
	char *slot = t_slot("idle");
	struct fl_capture_status st;
	fl_lsn start, x1, x2, f1, f2;
	struct t_cap tc;

	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, t_dburl, slot, t_pub, &t_track, 1024) == 0,
	        "capture streams")) {
		free(slot);
		return;
	}
	start = t_slot_flush(t_db, slot);
	x1 = t_noise(100);
	ok(x1 > start, "100 commits to an unpublished table");
	f1 = t_wait_flush(slot, x1, 15000);
	ok(f1 >= x1, "confirmed_flush_lsn follows the server's WAL end");
	x2 = t_noise(100);
	f2 = t_wait_flush(slot, x2, 15000);
	ok(f2 >= x2 && f2 > f1, "  ... and keeps moving forward");
	st = t_status(&tc);
	ok(st.server_wal_end >= x2 && st.confirmed >= x2,
	   "status: keepalive wal_end and the position sent");
	is_long((long)st.captured, 0, "  ... nothing was captured");
	is_long((long)st.reconnects, 0, "  ... on one connection");
	t_cap_done(&tc);
	free(slot);
}

/* ---- 10. back-pressure ---------------------------------------------------- */

#define T_BP_ROWS 200

/* The engine closes the queue at shutdown before it stops the capture:
 * a capture blocked on the full queue stops quietly, not as a failure,
 * and still sends its last status update. */
static void
t_close_queue(struct t_cap *tc)
{
	struct fl_capture_status st;
	struct t_tx tx;
	int64_t end, before;

	ok(t_tx_run("INSERT INTO big SELECT g, 'c' FROM "
	            "generate_series(300001, 300020) g",
	            &tx) == 0,
	   "tx: 20 more rows");
	end = t_ms() + 15000;
	while (fl_queue_len(tc->q) < 8 && t_ms() < end)
		t_nap(10);
	is_long((long)fl_queue_len(tc->q), 8, "the queue is full again");
	before = t_status(tc).last_status_us;
	fl_queue_close(tc->q);
	end = t_ms() + 5000;
	while ((st = t_status(tc)).state != FL_CAPTURE_STOPPED &&
	       st.state != FL_CAPTURE_ERROR && t_ms() < end)
		t_nap(10);
	is_long(st.state, FL_CAPTURE_STOPPED,
	        "closing the queue stops the capture");
	is_long((long)t_events_count(tc, FL_CAPTURE_EV_FAILED), 0,
	        "  ... not as a failure");
	ok(st.last_status_us > before, "  ... after a last status update");
}

TAP_TEST(test_back_pressure)
{
	char *slot = t_slot("bp"), *url, *fresh;
	unsigned char seen[T_BP_ROWS] = { 0 };
	struct fl_capture_status st, st0;
	struct t_cap tc;
	struct t_tx tx;
	int64_t end, stall, last_us;
	long distinct = 0, updates = 0;

	/* the walsender drops a client silent for 2 s */
	url = fl_xasprintf("%s%coptions=-c%%20wal_sender_timeout%%3D2s",
	                   t_dburl, strchr(t_dburl, '?') ? '&' : '?');
	if (!ok(t_prepare(slot, t_pub, t_cfg, 1, NULL) == 0, "prepare") ||
	    !ok(t_cap_start(&tc, url, slot, t_pub, &t_track, 8) == 0,
	        "capture streams with a queue of 8")) {
		free(url);
		free(slot);
		return;
	}
	ok(t_tx_run("INSERT INTO big SELECT g, 'bp' FROM "
	            "generate_series(200001, 200200) g",
	            &tx) == 0,
	   "tx: 200 rows");
	end = t_ms() + 15000;
	while (fl_queue_len(tc.q) < 8 && t_ms() < end)
		t_nap(10);
	is_long((long)fl_queue_len(tc.q), 8, "the queue fills up");
	st0 = t_status(&tc);
	last_us = st0.last_status_us;
	/* the consumer stalls for twice wal_sender_timeout */
	stall = t_ms() + 4500;
	while (t_ms() < stall) {
		st = t_status(&tc);
		if (st.last_status_us != last_us) {
			updates++;
			last_us = st.last_status_us;
		}
		t_nap(20);
	}
	st = t_status(&tc);
	fresh =
	    t_strf(t_db,
	           "SELECT (now() - r.reply_time < interval '1500 ms')::text "
	           "FROM pg_stat_replication r JOIN pg_replication_slots s "
	           "ON s.active_pid = r.pid WHERE s.slot_name = '%s'",
	           slot);
	is_str(fresh, "true", "the walsender got a reply in the last 1.5 s");
	free(fresh);
	printf("# %ld status updates while stalled\n", updates);
	ok(updates >= 5, "status updates go on while the queue is full");
	is_long((long)fl_queue_len(tc.q), 8, "  ... nothing was consumed");
	is_long((long)st.reconnects, 0, "  ... the connection stays up");
	is_long(st.state, FL_CAPTURE_STREAMING, "  ... still streaming");
	is_long((long)t_events_count(&tc, FL_CAPTURE_EV_DISCONNECTED), 0,
	        "  ... no disconnect event");
	end = t_ms() + 15000;
	while (distinct < T_BP_ROWS && t_ms() < end) {
		struct fl_change *ch = t_pop(&tc, 200);
		const char *k;
		long id;

		if (!ch)
			continue;
		k = fl_change_new(ch, "id");
		id = k ? strtol(k, NULL, 10) - 200001 : -1;
		if (id >= 0 && id < T_BP_ROWS && !seen[id]++)
			distinct++;
		fl_capture_confirm(tc.c, ch->ack);
		fl_change_free(ch);
	}
	is_long(distinct, T_BP_ROWS, "after resuming every change arrives");
	is_long((long)t_status(&tc).reconnects, 0, "  ... without reconnect");
	t_close_queue(&tc);
	t_cap_done(&tc);
	free(url);
	free(slot);
}

/* ---- setup ------------------------------------------------------------- */

static int
t_setup(PGconn *admin)
{
	char tmpl[] = "/tmp/flusso_it_cap_XXXXXX";
	char db[96];

	if (!mkdtemp(tmpl))
		return -1;
	snprintf(t_dir, sizeof(t_dir), "%s", tmpl);
	t_write_files();
	snprintf(db, sizeof(db), "%s", t_prefix);
	snprintf(t_pub, sizeof(t_pub), "%s_pub", t_prefix);
	if (t_execf(admin, "CREATE DATABASE %s", db) < 0)
		return -1;
	t_dburl = t_url(db);
	if (!(t_db = t_connect(t_dburl)) || t_exec(t_db, t_schema_sql) < 0)
		return -1;
	if (t_load("flusso.yml", &t_cfg, &t_track) < 0 ||
	    t_load("users_cfg.yml", &t_cfg_users, &t_track_users) < 0)
		return -1;
	return 0;
}

static void
t_teardown(PGconn *admin)
{
	size_t i;

	PQfinish(t_db);
	t_execf(admin,
	        "SELECT pg_terminate_backend(active_pid) FROM "
	        "pg_replication_slots WHERE slot_name LIKE '%s%%' AND "
	        "active_pid IS NOT NULL",
	        t_prefix);
	for (i = 0; i < 50; i++) {
		char *left =
		    t_strf(admin,
		           "SELECT count(pg_drop_replication_slot("
		           "slot_name)) FROM pg_replication_slots "
		           "WHERE slot_name LIKE '%s%%' AND NOT active",
		           t_prefix);
		char *n = t_strf(admin,
		                 "SELECT count(*) FROM pg_replication_slots "
		                 "WHERE slot_name LIKE '%s%%'",
		                 t_prefix);
		int done = n && strcmp(n, "0") == 0;

		free(left);
		free(n);
		if (done)
			break;
		t_nap(100);
	}
	t_execf(admin, "DROP DATABASE IF EXISTS %s WITH (FORCE)", t_prefix);
	for (i = 0; t_dir[0] && i < FL_ARRAY_LEN(t_files); i++) {
		char *p = fl_xasprintf("%s/%s", t_dir, t_files[i]);

		unlink(p);
		free(p);
	}
	if (t_dir[0])
		rmdir(t_dir);
	fl_track_done(&t_track);
	fl_track_done(&t_track_users);
	fl_config_free(t_cfg);
	fl_config_free(t_cfg_users);
	free(t_dburl);
}

int
main(void)
{
	PGconn *admin;
	int64_t t0 = t_ms();

	t_admin = getenv("FLUSSO_TEST_PG_URL");
	if (!ok(t_admin && *t_admin, "FLUSSO_TEST_PG_URL is set")) {
		printf("# start the services with tests/services.sh start pg "
		       "and eval \"$(tests/services.sh env)\"\n");
		return tap_done();
	}
	snprintf(t_prefix, sizeof(t_prefix), "flusso_it_cap_%ld",
	         (long)getpid());
	admin = t_connect(t_admin);
	if (!ok(admin != NULL, "admin connection") ||
	    !ok(t_setup(admin) == 0, "test database and configuration")) {
		if (admin)
			t_teardown(admin);
		PQfinish(admin);
		return tap_done();
	}
	tap_run(test_keys_and_ops);
	tap_run(test_identities_and_partitions);
	tap_run(test_two_schemas);
	tap_run(test_ddl_mid_transaction);
	tap_run(test_kill_mid_transaction);
	tap_run(test_walsender_killed);
	tap_run(test_slot_dropped);
	tap_run(test_slot_gone_before_start);
	tap_run(test_idle_slot);
	tap_run(test_back_pressure);
	t_teardown(admin);
	PQfinish(admin);
	printf("# %.1f s\n", (double)(t_ms() - t0) / 1000);
	return tap_done();
}
