/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench_capture.c - decoded changes per second: flusso's capture against
 * pg_recvlogical reading the same stream (a second slot created at the
 * same point), for one N-row UPDATE (default 1,000,000).
 *
 *   bench_capture [ROWS]      (needs FLUSSO_TEST_PG_URL and the
 *                              PostgreSQL binaries in FLUSSO_TEST_PG_BIN)
 *
 * Not a test: it prints numbers. Both readers start from the slot's
 * position before the UPDATE and stop after its commit; ours hands every
 * change to a consumer thread through the bounded queue and confirms it,
 * as the engine does. Reported as changes/s and as a ratio against
 * pg_recvlogical measured in the same run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "source/capture.h"
#include "source/change_event.h"
#include "source/pg_conn.h"
#include "source/pg_setup.h"
#include "source/tracked_tables.h"
#include "util/queue.h"

static double
bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
bench_exec(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_COMMAND_OK &&
	    PQresultStatus(r) != PGRES_TUPLES_OK) {
		fprintf(stderr, "bench: %s: %s", sql, PQresultErrorMessage(r));
		exit(1);
	}
	PQclear(r);
}

static char *
bench_value(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	char *v;

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) < 1) {
		fprintf(stderr, "bench: %s: %s", sql, PQresultErrorMessage(r));
		exit(1);
	}
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* Write a one-index config reading bench_rows into dir/flusso.yml. */
static void
bench_config(const char *dir)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/flusso.yml", dir);
	f = fopen(path, "w");
	fputs("source: {type: postgres}\nindex:\n  - {name: rows, schema: "
	      "rows.schema.yml, enabled: true}\n",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/rows.schema.yml", dir);
	f = fopen(path, "w");
	fputs("version: 1\ntable: bench_rows\nprimary_key: id\nfields:\n"
	      "  - long: id\n    required: true\n  - text: payload\n"
	      "    required: false\n",
	      f);
	fclose(f);
}

static double
bench_recvlogical(const char *bin, const char *url, const char *endpos)
{
	char cmd[2048];
	double t0 = bench_now();

	snprintf(cmd, sizeof(cmd),
	         "%s/pg_recvlogical -d '%s' --slot bench_theirs --start "
	         "--endpos=%s -o proto_version=1 -o publication_names=flusso "
	         "-f /dev/null --no-loop",
	         bin, url, endpos);
	if (system(cmd) != 0) {
		fprintf(stderr, "bench: pg_recvlogical failed\n");
		exit(1);
	}
	return bench_now() - t0;
}

static double
bench_ours(const char *url, const struct fl_track *track, long rows)
{
	struct fl_capture_opts o = { 0 };
	struct fl_queue *q = fl_queue_new(1024);
	struct fl_capture *cap;
	struct fl_err err;
	long got = 0;
	double t0;

	o.conninfo = url;
	o.slot = "flusso";
	o.publication = "flusso";
	o.track = track;
	o.queue = q;
	o.status_interval_ms = 1000;
	cap = fl_capture_new(&o);
	t0 = bench_now();
	if (fl_capture_start(cap, &err) < 0) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(1);
	}
	while (got < rows) {
		void *items[256];
		int n = fl_queue_pop_many(q, items, 256, 1000), i;

		for (i = 0; i < n; i++) {
			struct fl_change *ch = items[i];

			if (ch->op == FL_CHANGE_UPDATE)
				got++;
			fl_capture_confirm(cap, ch->ack);
			fl_change_free(ch);
		}
	}
	t0 = bench_now() - t0;
	fl_capture_free(cap);
	fl_queue_free(q, (void (*)(void *))fl_change_free);
	return t0;
}

int
main(int argc, char **argv)
{
	const char *base = getenv("FLUSSO_TEST_PG_URL");
	const char *bin = getenv("FLUSSO_TEST_PG_BIN");
	long rows = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
	struct fl_source_opts so = { 0 };
	struct fl_source_prep prep;
	char dir[] = "/tmp/flusso-bench.XXXXXX", path[600], sql[256];
	struct fl_config *cfg;
	struct fl_track track;
	struct fl_diags d;
	struct fl_err err;
	double ours, theirs, t0;
	PGconn *c;
	char *end;

	if (!base || !bin || !mkdtemp(dir)) {
		fprintf(stderr, "bench: set FLUSSO_TEST_PG_URL and "
		                "FLUSSO_TEST_PG_BIN (tests/services.sh env)\n");
		return 1;
	}
	c = PQconnectdb(base);
	bench_exec(c, "DROP TABLE IF EXISTS bench_rows");
	bench_exec(c, "CREATE TABLE bench_rows (id bigint PRIMARY KEY, "
	              "payload text)");
	snprintf(sql, sizeof(sql),
	         "INSERT INTO bench_rows SELECT i, 'row ' || i FROM "
	         "generate_series(1, %ld) i",
	         rows);
	bench_exec(c, sql);
	bench_config(dir);
	snprintf(path, sizeof(path), "%s/flusso.yml", dir);
	fl_diags_init(&d);
	cfg = fl_config_load(path, NULL, &d);
	so.slot = "flusso";
	so.publication = "flusso";
	so.manage_publication = 1;
	bench_exec(c, "SELECT pg_drop_replication_slot(slot_name) FROM "
	              "pg_replication_slots WHERE slot_name IN ('flusso', "
	              "'bench_theirs')");
	bench_exec(c, "DROP PUBLICATION IF EXISTS flusso");
	if (!cfg || fl_source_prepare(base, cfg, &so, &prep, &d, &err) < 0) {
		fprintf(stderr, "bench: prepare: %s\n", err.msg);
		return 1;
	}
	bench_exec(c, "SELECT pg_create_logical_replication_slot("
	              "'bench_theirs', 'pgoutput')");
	fl_track_build(cfg, &track);
	if (fl_track_load_catalog(c, &track, &err) < 0)
		return 1;
	t0 = bench_now();
	bench_exec(c, "UPDATE bench_rows SET payload = payload || '!'");
	printf("update of %ld rows committed in %.2f s\n", rows,
	       bench_now() - t0);
	end = bench_value(c, "SELECT pg_current_wal_lsn()::text");
	theirs = bench_recvlogical(bin, base, end);
	ours = bench_ours(base, &track, rows);
	printf("pg_recvlogical: %ld changes in %.2f s = %.0f changes/s\n", rows,
	       theirs, (double)rows / theirs);
	printf("flusso capture: %ld changes in %.2f s = %.0f changes/s\n", rows,
	       ours, (double)rows / ours);
	printf("ratio flusso / pg_recvlogical: %.2f\n", theirs / ours);
	bench_exec(c, "SELECT pg_drop_replication_slot('bench_theirs')");
	bench_exec(c, "SELECT pg_drop_replication_slot('flusso')");
	bench_exec(c, "DROP TABLE bench_rows");
	PQfinish(c);
	free(end);
	fl_track_done(&track);
	fl_config_free(cfg);
	fl_diags_done(&d);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	return system(path) == 0 ? 0 : 1;
}
