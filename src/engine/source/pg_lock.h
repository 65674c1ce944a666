/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pg_lock.h - the active/standby lock of one slot: a session-level
 * PostgreSQL advisory lock whose key is derived from the slot name, who
 * holds it (pg_locks, pg_stat_activity, the slot's walsender in
 * pg_stat_replication), the lease decision, and deposing a holder that
 * stopped answering (pg_terminate_backend).
 *
 * Owns: the key derivation, the SQL, the holder's tag (its
 * application_name) and the lease rule. Does not own: when to poll, what
 * being active or standby means (engine_standby.c).
 *
 * The key is FNV-1a 64 of "flusso:" followed by the slot name, taken as
 * a signed bigint, so every build and every host derives the same key.
 * pg_locks shows a bigint key as classid = its high 32 bits, objid = its
 * low 32 bits, objsubid = 1.
 */
#ifndef FL_PG_LOCK_H
#define FL_PG_LOCK_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "util/err.h"

/* The holder of a slot's lock, as PostgreSQL sees it. */
struct fl_pglock_holder {
	int found;             /* someone holds the lock */
	int backend_pid;       /* its lock session's backend */
	char client[64];       /* its client address, "local" */
	long pid;              /* the flusso process (from its tag), 0 */
	long long since;       /* Unix seconds it became active, 0 */
	char host[64];         /* its host name (from its tag) */
	double idle_secs;      /* since its session's last statement; -1 */
	int wal_pid;           /* the slot's walsender, 0 none */
	double reply_age_secs; /* since the walsender's reply_time; -1 */
};

/* The advisory lock key of a slot (stable, documented above). */
int64_t fl_pglock_key(const char *slot);

/* The application_name an active instance sets on its lock session:
 * "flusso active PID SINCE HOST" (PostgreSQL keeps 63 bytes). */
void fl_pglock_tag(char *out, size_t n, long pid, long long since,
                   const char *host);
/* Parse a tag back: 0, or -1 when app is not one. */
int fl_pglock_tag_parse(const char *app, long *pid, long long *since,
                        char *host, size_t n);

/* pg_try_advisory_lock on conn; *got 1 when taken. When taken, the
 * session is tagged (fl_pglock_tag) and a transactional logical message
 * is committed so that every WAL position read from now on is above
 * every one read before (see share/STANDBY.md). 0, or -1 with err. */
int fl_pglock_try(PGconn *conn, const char *slot, const char *tag, int *got,
                  struct fl_err *err);
/* The lock session still answers: 0, or -1 with err. */
int fl_pglock_ping(PGconn *conn, struct fl_err *err);
/* Who holds the slot's lock (h->found 0: nobody). 0, or -1 with err. */
int fl_pglock_holder(PGconn *conn, const char *slot, struct fl_pglock_holder *h,
                     struct fl_err *err);
/*
 * The lease rule: 1 when the holder stopped answering for lease_secs
 * (0: never): its lock session ran nothing for that long, and its
 * walsender (if it has one with a known reply_time) sent no reply for
 * that long either.
 */
int fl_pglock_lease_expired(const struct fl_pglock_holder *h, long lease_secs);
/* Terminate the holder's walsender and lock session. 0, or -1. */
int fl_pglock_depose(PGconn *conn, const struct fl_pglock_holder *h,
                     struct fl_err *err);

#endif
