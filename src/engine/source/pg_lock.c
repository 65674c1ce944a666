/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_lock.c - the active/standby lock of one slot (pg_lock.h): key,
 * tag, SQL and the lease rule. Stateless: the caller owns the session.
 */
#include "source/pg_lock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "source/pg_conn.h"
#include "util/strutil.h"

int64_t
fl_pglock_key(const char *slot)
{
	static const char ns[] = "flusso:";
	uint64_t h = 14695981039346656037ULL;
	const char *p;

	for (p = ns; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = slot; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (int64_t)h;
}

/* The key's halves as pg_locks shows them (text, for parameters). */
static void
pglock_halves(const char *slot, char key[24], char hi[12], char lo[12])
{
	int64_t k = fl_pglock_key(slot);
	uint64_t u = (uint64_t)k;

	snprintf(key, 24, "%lld", (long long)k);
	snprintf(hi, 12, "%lu", (unsigned long)(u >> 32));
	snprintf(lo, 12, "%lu", (unsigned long)(u & 0xffffffffu));
}

void
fl_pglock_tag(char *out, size_t n, long pid, long long since, const char *host)
{
	snprintf(out, n, "flusso active %ld %lld %s", pid, since,
	         host && host[0] ? host : "?");
}

int
fl_pglock_tag_parse(const char *app, long *pid, long long *since, char *host,
                    size_t n)
{
	char h[64];

	if (!app ||
	    sscanf(app, "flusso active %ld %lld %63s", pid, since, h) != 3)
		return -1;
	fl_str_copy(host, n, h);
	return 0;
}

int
fl_pglock_try(PGconn *conn, const char *slot, const char *tag, int *got,
              struct fl_err *err)
{
	char key[24], hi[12], lo[12];
	const char *p[1];
	PGresult *r;

	*got = 0;
	pglock_halves(slot, key, hi, lo);
	p[0] = key;
	r = fl_pgconn_query(conn, "SELECT pg_try_advisory_lock($1::bigint)", 1,
	                    p, NULL, err);
	if (!r)
		return fl_err_prefix(err, "taking the lock of slot \"%s\"",
		                     slot);
	*got = fl_pgconn_get_bool(r, 0, 0);
	PQclear(r);
	if (!*got)
		return 0;
	p[0] = tag;
	r = fl_pgconn_query(conn,
	                    "SELECT set_config('application_name', $1, false)",
	                    1, p, NULL, err);
	if (!r)
		return fl_err_prefix(err, "tagging the lock session");
	PQclear(r);
	/* a commit record: WAL positions read from now on are above those
	 * a deposed holder read before (external versions, STANDBY.md) */
	p[0] = slot;
	r = fl_pgconn_query(conn,
	                    "SELECT pg_logical_emit_message(true, "
	                    "'flusso.takeover', $1)",
	                    1, p, NULL, err);
	if (!r)
		return fl_err_prefix(err, "marking the takeover in the WAL");
	PQclear(r);
	return 0;
}

int
fl_pglock_ping(PGconn *conn, struct fl_err *err)
{
	PGresult *r = fl_pgconn_query(conn, "SELECT 1", 0, NULL, NULL, err);

	if (!r)
		return fl_err_prefix(err, "the lock session");
	PQclear(r);
	return 0;
}

static double
pglock_get_secs(const PGresult *r, int col)
{
	const char *v = fl_pgconn_get(r, 0, col);

	return v ? strtod(v, NULL) : -1;
}

int
fl_pglock_holder(PGconn *conn, const char *slot, struct fl_pglock_holder *h,
                 struct fl_err *err)
{
	char key[24], hi[12], lo[12];
	const char *p[3];
	const char *v;
	PGresult *r;

	memset(h, 0, sizeof(*h));
	h->idle_secs = h->reply_age_secs = -1;
	pglock_halves(slot, key, hi, lo);
	p[0] = slot;
	p[1] = hi;
	p[2] = lo;
	r = fl_pgconn_query(
	    conn,
	    "SELECT l.pid, coalesce(host(a.client_addr), 'local'), "
	    "a.application_name, "
	    "extract(epoch FROM clock_timestamp() - a.state_change), "
	    "s.active_pid, "
	    "extract(epoch FROM clock_timestamp() - w.reply_time) "
	    "FROM pg_locks l "
	    "LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
	    "LEFT JOIN pg_replication_slots s ON s.slot_name = $1 "
	    "LEFT JOIN pg_stat_replication w ON w.pid = s.active_pid "
	    "WHERE l.locktype = 'advisory' AND l.granted "
	    "AND l.database = (SELECT oid FROM pg_database "
	    "WHERE datname = current_database()) "
	    "AND l.classid = $2::oid AND l.objid = $3::oid "
	    "AND l.objsubid = 1 AND l.pid <> pg_backend_pid()",
	    3, p, NULL, err);
	if (!r)
		return fl_err_prefix(err, "reading the holder of slot \"%s\"",
		                     slot);
	if (PQntuples(r) > 0) {
		h->found = 1;
		h->backend_pid = (int)fl_pgconn_get_ll(r, 0, 0, 0);
		fl_str_copy(h->client, sizeof(h->client),
		            (v = fl_pgconn_get(r, 0, 1)) ? v : "?");
		if (fl_pglock_tag_parse(fl_pgconn_get(r, 0, 2), &h->pid,
		                        &h->since, h->host,
		                        sizeof(h->host)) < 0)
			h->pid = 0, h->since = 0, h->host[0] = '\0';
		h->idle_secs = pglock_get_secs(r, 3);
		h->wal_pid = (int)fl_pgconn_get_ll(r, 0, 4, 0);
		h->reply_age_secs = pglock_get_secs(r, 5);
	}
	PQclear(r);
	return 0;
}

int
fl_pglock_lease_expired(const struct fl_pglock_holder *h, long lease_secs)
{
	if (lease_secs <= 0 || !h->found)
		return 0;
	if (h->idle_secs < 0 || h->idle_secs < (double)lease_secs)
		return 0; /* its lock session answered recently (or unknown) */
	if (h->wal_pid && h->reply_age_secs >= 0 &&
	    h->reply_age_secs < (double)lease_secs)
		return 0; /* its stream still answers */
	return 1;
}

int
fl_pglock_depose(PGconn *conn, const struct fl_pglock_holder *h,
                 struct fl_err *err)
{
	char a[16], b[16];
	const char *p[2];
	PGresult *r;

	snprintf(a, sizeof(a), "%d", h->backend_pid);
	snprintf(b, sizeof(b), "%d", h->wal_pid);
	p[0] = a;
	p[1] = b;
	r = fl_pgconn_query(conn,
	                    "SELECT pg_terminate_backend(pid) FROM "
	                    "unnest(ARRAY[$1::int, $2::int]) AS t(pid) "
	                    "WHERE pid <> 0",
	                    2, p, NULL, err);
	if (!r)
		return fl_err_prefix(err, "terminating the sessions of pid %d",
		                     h->backend_pid);
	PQclear(r);
	return 0;
}
