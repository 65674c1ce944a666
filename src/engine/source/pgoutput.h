/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pgoutput.h - decoding one logical replication message of the pgoutput
 * plugin, protocol version 1 (source.md §7), and the CopyBoth frames
 * around it (XLogData 'w', primary keepalive 'k'; source.md §6).
 *
 * Owns: bounds-checked, pure decoding of a byte buffer into a struct that
 * points into that buffer. Malformed input returns -1 with a message;
 * the decoder never reads outside [buf, buf + len) and never crashes
 * (it is fuzzed). Does not own: the relation cache, transactions, what a
 * change means (capture.c).
 *
 * Strings in the result point into the buffer (pgoutput strings are
 * NUL-terminated; the decoder checks the NUL lies inside the message).
 * Variable-length arrays (columns, tuple cells, truncated OIDs) live in a
 * caller-owned scratch area that is reused from call to call; results are
 * valid until the next decode with the same scratch or until the buffer
 * is freed. All integers on the wire are big-endian.
 */
#ifndef FL_PGOUTPUT_H
#define FL_PGOUTPUT_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "util/fl.h"

enum fl_pgo_kind {
	FL_PGO_BEGIN,    /* 'B' */
	FL_PGO_COMMIT,   /* 'C' */
	FL_PGO_ORIGIN,   /* 'O' */
	FL_PGO_RELATION, /* 'R' */
	FL_PGO_TYPE,     /* 'Y' */
	FL_PGO_INSERT,   /* 'I' */
	FL_PGO_UPDATE,   /* 'U' */
	FL_PGO_DELETE,   /* 'D' */
	FL_PGO_TRUNCATE, /* 'T' */
	FL_PGO_MESSAGE,  /* 'M' */
	FL_PGO_IGNORED,  /* stream / two-phase tags we never request */
};

/* One column of a Relation message. */
struct fl_pgo_column {
	uint8_t flags; /* bit 1: part of the replica identity key */
	const char *name;
	uint32_t type_oid;
	int32_t typmod;
};

/* One cell of a TupleData. */
struct fl_pgo_cell {
	char kind; /* 'n' null, 'u' unchanged TOAST, 't' text, 'b' binary */
	const char *data; /* 't'/'b': the bytes (NOT NUL-terminated) */
	uint32_t len;
};

struct fl_pgo_tuple {
	uint16_t ncols;
	const struct fl_pgo_cell *cells;
};

struct fl_pgo_msg {
	enum fl_pgo_kind kind;
	/* BEGIN */
	fl_lsn final_lsn;
	int64_t commit_time; /* BEGIN, COMMIT: µs since 2000-01-01 UTC */
	uint32_t xid;
	/* COMMIT */
	uint8_t flags;
	fl_lsn commit_lsn;
	fl_lsn end_lsn;
	/* RELATION, INSERT, UPDATE, DELETE */
	uint32_t rel_oid;
	/* RELATION */
	const char *nspname; /* "" means pg_catalog */
	const char *relname;
	char replident; /* 'd', 'n', 'f', 'i' */
	uint16_t ncols;
	const struct fl_pgo_column *cols;
	/* INSERT, UPDATE, DELETE */
	char old_kind; /* 'K' (key), 'O' (old row) or 0 (none) */
	struct fl_pgo_tuple old_tuple;
	struct fl_pgo_tuple new_tuple; /* INSERT, UPDATE */
	/* TRUNCATE */
	uint32_t nrels;
	uint8_t truncate_options; /* 1 CASCADE, 2 RESTART IDENTITY */
	const uint32_t *rel_oids;
	/* ORIGIN, MESSAGE, TYPE: nothing the caller needs */
};

/* Reusable storage for the arrays a decoded message points to. */
struct fl_pgo_scratch {
	struct fl_pgo_column *cols;
	size_t ncols_cap;
	struct fl_pgo_cell *cells;
	size_t ncells_cap;
	uint32_t *oids;
	size_t noids_cap;
};

void fl_pgo_scratch_init(struct fl_pgo_scratch *s);
void fl_pgo_scratch_done(struct fl_pgo_scratch *s);

/*
 * Decode one pgoutput message (the bytes after the XLogData header).
 * Returns 0 and fills *out, or -1 with err (code FL_ERR_INVALID) naming
 * what was wrong and at which byte offset.
 */
int fl_pgo_decode(const uint8_t *buf, size_t len, struct fl_pgo_scratch *s,
                  struct fl_pgo_msg *out, struct fl_err *err);

/* A CopyBoth frame from the server. */
enum fl_pgo_frame_kind {
	FL_PGO_FRAME_XLOGDATA,  /* 'w' */
	FL_PGO_FRAME_KEEPALIVE, /* 'k' */
};

struct fl_pgo_frame {
	enum fl_pgo_frame_kind kind;
	fl_lsn wal_start;     /* 'w' */
	fl_lsn wal_end;       /* 'w' and 'k' */
	int64_t server_clock; /* 'w' and 'k' */
	int reply_requested;  /* 'k' */
	const uint8_t *data;  /* 'w': the pgoutput message */
	size_t len;
};

/* Parse a CopyData payload; -1 on a short frame or an unknown kind. */
int fl_pgo_frame(const uint8_t *buf, size_t len, struct fl_pgo_frame *out,
                 struct fl_err *err);

/* Write a 34-byte standby status update ('r') into out. */
void fl_pgo_status_update(uint8_t out[34], fl_lsn write, fl_lsn flush,
                          fl_lsn apply, int64_t client_clock,
                          int reply_requested);

/* Microseconds since 2000-01-01 00:00 UTC for a Unix time in µs. */
int64_t fl_pgo_pg_time(int64_t unix_us);

/* "16/B374D848" into out (at least 24 bytes). */
void fl_lsn_format(fl_lsn lsn, char *out, size_t n);
/* Parse "X/X"; -1 if malformed. */
int fl_lsn_parse(const char *s, fl_lsn *out);

#endif
