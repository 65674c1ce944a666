/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pgoutput.c - decoding pgoutput protocol 1 messages and the CopyBoth
 * frames around them (source.md §6, §7); LSN text form.
 *
 * Owns: turning bytes into struct fl_pgo_msg / struct fl_pgo_frame and
 * back (status update). Pure: no I/O, no globals, no logging. Does not
 * own: the relation cache, transaction state, or what a change means
 * (capture.c); it does not check a tuple against its Relation.
 *
 * DESIGN
 * Every read goes through a cursor (struct pgo_rd) over [buf, buf + len)
 * and is preceded by a check of the bytes left; integers are assembled
 * byte by byte (big-endian, no alignment assumed). Errors name the
 * message, the field and the byte offset, e.g. "truncated Insert: new
 * tuple column 2 needs 40 bytes at offset 17, 3 left".
 *
 * Allocation is bounded by the message length: a count is checked
 * against the bytes that remain before scratch grows (a column of a
 * Relation takes at least 10 bytes, a tuple cell 1, a truncated OID 4),
 * so a forged count cannot ask for more than about 2.5 times len bytes.
 *
 * Decisions:
 *   - A complete message followed by more bytes is an error.
 *   - Commit flags must be 0 (PostgreSQL's own decoder says the same).
 *   - The replica identity byte must be d, n, f or i, and relation and
 *     column names must not be empty.
 *   - Int32 lengths and counts (cell length, Truncate count, Message
 *     length) that are negative are errors.
 *   - Origin, Type and Message are decoded in full (so "Y\0\0" is a
 *     truncated Type, an error) and return their kind with no payload:
 *     a well-formed one is for the caller to ignore.
 *   - Cells of kind 'b' are accepted and read like 't' (we never ask
 *     for binary, but the layout is the same).
 *   - Tags we never request (protocol 1, no streaming, no two-phase)
 *     return FL_PGO_IGNORED without looking at the rest, since their
 *     layouts vary between protocol versions: 'b' Begin Prepare,
 *     'P' Prepare, 'K' Commit Prepared, 'r' Rollback Prepared,
 *     'S' Stream Start, 'E' Stream Stop, 'c' Stream Commit,
 *     'A' Stream Abort, 'p' Stream Prepare. Every other tag is an error.
 *   - A 'k' keepalive longer than 18 bytes is accepted (PostgreSQL's
 *     own clients only check the minimum); the extra bytes are ignored.
 */
#include "source/pgoutput.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/strutil.h"
#include "util/xmem.h"

/* 2000-01-01 00:00 UTC as Unix microseconds. */
#define PGO_EPOCH_US INT64_C(946684800000000)

/* Smallest wire size of one Relation column: flags, "" name, two Int32. */
#define PGO_COLUMN_MIN 10

/* A read cursor over one message. */
struct pgo_rd {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	const char *msg; /* message name for errors: "Insert", ... */
	struct fl_err *err;
};

/* One message tag: its name, result kind and body decoder. */
struct pgo_tag {
	char tag;
	const char *name;
	enum fl_pgo_kind kind;
	/* NULL: a tag we never request, returned as FL_PGO_IGNORED */
	int (*decode)(struct pgo_rd *r, struct fl_pgo_scratch *s,
	              struct fl_pgo_msg *out);
};

static int pgo_trunc(struct pgo_rd *r, size_t n, const char *fmt, ...)
    FL_PRINTF(3, 4);
static int pgo_bad(struct pgo_rd *r, const char *fmt, ...) FL_PRINTF(2, 3);

/* Bytes left after the cursor. */
static size_t
pgo_left(const struct pgo_rd *r)
{
	return r->len - r->pos;
}

/* "'X' (0x58)" for a printable byte, "0x01" otherwise, into out. */
static const char *
pgo_byte_desc(uint8_t b, char *out, size_t n)
{
	if (b >= 0x20 && b < 0x7f)
		snprintf(out, n, "'%c' (0x%02X)", (char)b, (unsigned)b);
	else
		snprintf(out, n, "0x%02X", (unsigned)b);
	return out;
}

/* Fail with "truncated <msg>: <what> needs n bytes at offset ..."; -1. */
static int
pgo_trunc(struct pgo_rd *r, size_t n, const char *fmt, ...)
{
	char what[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fl_err_set(r->err, FL_ERR_INVALID,
	                  "truncated %s: %s needs %zu bytes at offset %zu, "
	                  "%zu left",
	                  r->msg, what, n, r->pos, pgo_left(r));
}

/* Fail with "invalid <msg>: <formatted text>"; returns -1. */
static int
pgo_bad(struct pgo_rd *r, const char *fmt, ...)
{
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return fl_err_set(r->err, FL_ERR_INVALID, "invalid %s: %s", r->msg,
	                  what);
}

/* An Int32 read as unsigned, back to its signed value (no UB). */
static int32_t
pgo_int32(uint32_t v)
{
	return v > INT32_MAX ? -(int32_t)(UINT32_MAX - v) - 1 : (int32_t)v;
}

/* Big-endian unsigned integer of n (<= 8) bytes at p. */
static uint64_t
pgo_get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Store v big-endian in 8 bytes at p. */
static void
pgo_put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

/* Read an n-byte big-endian integer named what; -1 if truncated. */
static int
pgo_be(struct pgo_rd *r, size_t n, const char *what, uint64_t *out)
{
	*out = 0;
	if (pgo_left(r) < n)
		return pgo_trunc(r, n, "%s", what);
	*out = pgo_get_be(r->buf + r->pos, n);
	r->pos += n;
	return 0;
}

/* Read a Byte1/Int8. */
static int
pgo_u8(struct pgo_rd *r, const char *what, uint8_t *out)
{
	uint64_t v;

	if (pgo_be(r, 1, what, &v))
		return -1;
	*out = (uint8_t)v;
	return 0;
}

/* Read an Int16 (unsigned on the wire for pgoutput counts). */
static int
pgo_u16(struct pgo_rd *r, const char *what, uint16_t *out)
{
	uint64_t v;

	if (pgo_be(r, 2, what, &v))
		return -1;
	*out = (uint16_t)v;
	return 0;
}

/* Read an Int32 as unsigned (OIDs, xids). */
static int
pgo_u32(struct pgo_rd *r, const char *what, uint32_t *out)
{
	uint64_t v;

	if (pgo_be(r, 4, what, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* Read an Int32 count or length; -1 if truncated or negative. */
static int
pgo_len32(struct pgo_rd *r, const char *what, uint32_t *out)
{
	size_t at = r->pos;
	uint32_t v;

	*out = 0;
	if (pgo_u32(r, what, &v))
		return -1;
	if (v > INT32_MAX)
		return pgo_bad(r, "%s is negative (%ld) at offset %zu", what,
		               (long)pgo_int32(v), at);
	*out = v;
	return 0;
}

/* Read an Int64 (LSNs, times). */
static int
pgo_u64(struct pgo_rd *r, const char *what, uint64_t *out)
{
	return pgo_be(r, 8, what, out);
}

/* Read an Int64 timestamp (two's complement on the wire). */
static int
pgo_i64(struct pgo_rd *r, const char *what, int64_t *out)
{
	uint64_t v;

	if (pgo_u64(r, what, &v))
		return -1;
	*out = v > INT64_MAX ? -(int64_t)(UINT64_MAX - v) - 1 : (int64_t)v;
	return 0;
}

/* Read a NUL-terminated String; *out points into the buffer. */
static int
pgo_str(struct pgo_rd *r, const char *what, const char **out)
{
	const uint8_t *p, *nul;

	if (pgo_left(r) == 0)
		return pgo_trunc(r, 1, "%s", what);
	p = r->buf + r->pos;
	nul = memchr(p, '\0', pgo_left(r));
	if (!nul)
		return fl_err_set(r->err, FL_ERR_INVALID,
		                  "truncated %s: %s at offset %zu has no NUL "
		                  "terminator in the %zu bytes left",
		                  r->msg, what, r->pos, pgo_left(r));
	*out = (const char *)p;
	r->pos += (size_t)(nul - p) + 1;
	return 0;
}

/* Read a String that must not be empty. */
static int
pgo_name(struct pgo_rd *r, const char *what, const char **out)
{
	size_t at = r->pos;

	if (pgo_str(r, what, out))
		return -1;
	if ((*out)[0] == '\0')
		return pgo_bad(r, "empty %s at offset %zu", what, at);
	return 0;
}

/* Skip n bytes of payload named what; -1 if fewer remain. */
static int
pgo_skip(struct pgo_rd *r, size_t n, const char *what)
{
	if (pgo_left(r) < n)
		return pgo_trunc(r, n, "%s", what);
	r->pos += n;
	return 0;
}

/* Read one tuple cell (column number col, 1-based) into c. */
static int
pgo_cell(struct pgo_rd *r, const char *which, size_t col, struct fl_pgo_cell *c)
{
	char desc[24];
	size_t at = r->pos;
	uint32_t n;

	if (pgo_left(r) < 1)
		return pgo_trunc(r, 1, "%s column %zu kind", which, col);
	c->kind = (char)r->buf[r->pos++];
	c->data = NULL;
	c->len = 0;
	switch (c->kind) {
	case 'n':
	case 'u':
		return 0;
	case 't':
	case 'b':
		break;
	default:
		return pgo_bad(
		    r,
		    "%s column %zu has unknown kind %s at offset "
		    "%zu (expected 'n', 'u', 't' or 'b')",
		    which, col,
		    pgo_byte_desc((uint8_t)c->kind, desc, sizeof(desc)), at);
	}
	at = r->pos;
	if (pgo_left(r) < 4)
		return pgo_trunc(r, 4, "%s column %zu length", which, col);
	n = (uint32_t)pgo_get_be(r->buf + r->pos, 4);
	if (n > INT32_MAX)
		return pgo_bad(r,
		               "%s column %zu has negative length %ld at "
		               "offset %zu",
		               which, col, (long)pgo_int32(n), at);
	r->pos += 4;
	if (pgo_left(r) < n)
		return pgo_trunc(r, n, "%s column %zu", which, col);
	c->data = (const char *)(r->buf + r->pos);
	c->len = n;
	r->pos += n;
	return 0;
}

/*
 * Read a TupleData into s->cells[base ...]; *ncols gets its column count.
 * The caller turns the index into a pointer once scratch stops growing.
 */
static int
pgo_tuple(struct pgo_rd *r, struct fl_pgo_scratch *s, size_t base,
          const char *which, uint16_t *ncols)
{
	size_t at = r->pos, i;
	uint16_t n;

	if (pgo_left(r) < 2)
		return pgo_trunc(r, 2, "%s column count", which);
	n = (uint16_t)pgo_get_be(r->buf + r->pos, 2);
	r->pos += 2;
	if (n > pgo_left(r))
		return pgo_bad(r,
		               "%s has %u columns at offset %zu but only %zu "
		               "bytes follow",
		               which, (unsigned)n, at, pgo_left(r));
	s->cells =
	    fl_xgrow(s->cells, &s->ncells_cap, base + n, sizeof(*s->cells));
	for (i = 0; i < n; i++)
		if (pgo_cell(r, which, i + 1, &s->cells[base + i]))
			return -1;
	*ncols = n;
	return 0;
}

/* Point a tuple at its n cells starting at scratch index base. */
static void
pgo_tuple_set(struct fl_pgo_tuple *t, struct fl_pgo_scratch *s, size_t base,
              uint16_t n)
{
	t->ncols = n;
	t->cells = n ? s->cells + base : NULL;
}

/*
 * Read the marker byte named what; -1 unless it is one of the characters
 * of allowed (spelled out for the message in expect).
 */
static int
pgo_marker(struct pgo_rd *r, const char *allowed, const char *expect,
           const char *what, uint8_t *out)
{
	char desc[24];
	size_t at = r->pos;

	if (pgo_u8(r, what, out))
		return -1;
	if (*out == 0 || !strchr(allowed, *out))
		return pgo_bad(r, "%s %s at offset %zu (expected %s)", what,
		               pgo_byte_desc(*out, desc, sizeof(desc)), at,
		               expect);
	return 0;
}

/* 'B': Int64 final LSN, Int64 commit time, Int32 xid. */
static int
pgo_begin(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	(void)s;
	if (pgo_u64(r, "final LSN", &out->final_lsn) ||
	    pgo_i64(r, "commit time", &out->commit_time) ||
	    pgo_u32(r, "xid", &out->xid))
		return -1;
	return 0;
}

/* 'C': Int8 flags (0), Int64 commit LSN, Int64 end LSN, Int64 time. */
static int
pgo_commit(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	size_t at = r->pos;

	(void)s;
	if (pgo_u8(r, "flags", &out->flags))
		return -1;
	if (out->flags != 0)
		return pgo_bad(r, "flags 0x%02X at offset %zu (expected 0)",
		               (unsigned)out->flags, at);
	if (pgo_u64(r, "commit LSN", &out->commit_lsn) ||
	    pgo_u64(r, "end LSN", &out->end_lsn) ||
	    pgo_i64(r, "commit time", &out->commit_time))
		return -1;
	return 0;
}

/* 'O': Int64 origin LSN, String name; nothing is returned. */
static int
pgo_origin(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint64_t lsn;
	const char *name;

	(void)s;
	(void)out;
	if (pgo_u64(r, "origin LSN", &lsn) || pgo_str(r, "origin name", &name))
		return -1;
	return 0;
}

/* 'Y': Int32 OID, String namespace, String name; nothing is returned. */
static int
pgo_type(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint32_t oid;
	const char *nsp, *name;

	(void)s;
	(void)out;
	if (pgo_u32(r, "type OID", &oid) ||
	    pgo_str(r, "type namespace", &nsp) ||
	    pgo_str(r, "type name", &name))
		return -1;
	return 0;
}

/* 'M': Int8 flags, Int64 LSN, String prefix, Int32 length, bytes. */
static int
pgo_message(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint8_t flags;
	uint64_t lsn;
	const char *prefix;
	uint32_t n;

	(void)s;
	(void)out;
	if (pgo_u8(r, "flags", &flags) || pgo_u64(r, "LSN", &lsn) ||
	    pgo_str(r, "prefix", &prefix) ||
	    pgo_len32(r, "content length", &n) || pgo_skip(r, n, "content"))
		return -1;
	return 0;
}

/* One column of a Relation: Int8 flags, String, Int32 type, Int32 mod. */
static int
pgo_column(struct pgo_rd *r, size_t col, struct fl_pgo_column *c)
{
	char what[48];
	uint32_t typmod;

	snprintf(what, sizeof(what), "column %zu flags", col);
	if (pgo_u8(r, what, &c->flags))
		return -1;
	snprintf(what, sizeof(what), "column %zu name", col);
	if (pgo_name(r, what, &c->name))
		return -1;
	snprintf(what, sizeof(what), "column %zu type OID", col);
	if (pgo_u32(r, what, &c->type_oid))
		return -1;
	snprintf(what, sizeof(what), "column %zu typmod", col);
	if (pgo_u32(r, what, &typmod))
		return -1;
	c->typmod = pgo_int32(typmod);
	return 0;
}

/* 'R': OID, namespace, name, identity, Int16 ncols, then the columns. */
static int
pgo_relation(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	char desc[24];
	size_t at, i;
	uint8_t ident;

	if (pgo_u32(r, "relation OID", &out->rel_oid) ||
	    pgo_str(r, "namespace", &out->nspname) ||
	    pgo_name(r, "relation name", &out->relname))
		return -1;
	at = r->pos;
	if (pgo_u8(r, "replica identity", &ident))
		return -1;
	if (ident == 0 || !strchr("dnfi", ident))
		return pgo_bad(r,
		               "replica identity %s at offset %zu "
		               "(expected 'd', 'n', 'f' or 'i')",
		               pgo_byte_desc(ident, desc, sizeof(desc)), at);
	out->replident = (char)ident;
	at = r->pos;
	if (pgo_u16(r, "column count", &out->ncols))
		return -1;
	if (out->ncols > pgo_left(r) / PGO_COLUMN_MIN)
		return pgo_bad(r,
		               "%u columns at offset %zu but only %zu bytes "
		               "follow",
		               (unsigned)out->ncols, at, pgo_left(r));
	s->cols =
	    fl_xgrow(s->cols, &s->ncols_cap, out->ncols, sizeof(*s->cols));
	for (i = 0; i < out->ncols; i++)
		if (pgo_column(r, i + 1, &s->cols[i]))
			return -1;
	out->cols = out->ncols ? s->cols : NULL;
	return 0;
}

/* 'I': Int32 OID, 'N', TupleData. */
static int
pgo_insert(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint8_t marker;
	uint16_t n;

	if (pgo_u32(r, "relation OID", &out->rel_oid) ||
	    pgo_marker(r, "N", "'N'", "tuple marker", &marker) ||
	    pgo_tuple(r, s, 0, "new tuple", &n))
		return -1;
	pgo_tuple_set(&out->new_tuple, s, 0, n);
	return 0;
}

/* 'U': Int32 OID, optional 'K'/'O' + TupleData, 'N' + TupleData. */
static int
pgo_update(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint8_t marker;
	uint16_t nold = 0, nnew;

	if (pgo_u32(r, "relation OID", &out->rel_oid) ||
	    pgo_marker(r, "KON", "'K', 'O' or 'N'", "tuple marker", &marker))
		return -1;
	if (marker != 'N') {
		out->old_kind = (char)marker;
		if (pgo_tuple(r, s, 0,
		              marker == 'K' ? "old key tuple" : "old row tuple",
		              &nold) ||
		    pgo_marker(r, "N", "'N'", "new tuple marker", &marker))
			return -1;
	}
	if (pgo_tuple(r, s, nold, "new tuple", &nnew))
		return -1;
	if (out->old_kind)
		pgo_tuple_set(&out->old_tuple, s, 0, nold);
	pgo_tuple_set(&out->new_tuple, s, nold, nnew);
	return 0;
}

/* 'D': Int32 OID, 'K' or 'O', TupleData. */
static int
pgo_delete(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	uint8_t marker;
	uint16_t n;

	if (pgo_u32(r, "relation OID", &out->rel_oid) ||
	    pgo_marker(r, "KO", "'K' or 'O'", "tuple marker", &marker) ||
	    pgo_tuple(r, s, 0,
	              marker == 'K' ? "old key tuple" : "old row tuple", &n))
		return -1;
	out->old_kind = (char)marker;
	pgo_tuple_set(&out->old_tuple, s, 0, n);
	return 0;
}

/* 'T': Int32 nrels, Int8 options, Int32 OID x nrels. */
static int
pgo_truncate(struct pgo_rd *r, struct fl_pgo_scratch *s, struct fl_pgo_msg *out)
{
	char what[40];
	size_t at = r->pos, i;

	if (pgo_len32(r, "relation count", &out->nrels) ||
	    pgo_u8(r, "options", &out->truncate_options))
		return -1;
	if (out->nrels > pgo_left(r) / 4)
		return pgo_bad(r,
		               "%lu relations at offset %zu but only %zu "
		               "bytes follow",
		               (unsigned long)out->nrels, at, pgo_left(r));
	s->oids =
	    fl_xgrow(s->oids, &s->noids_cap, out->nrels, sizeof(*s->oids));
	for (i = 0; i < out->nrels; i++) {
		snprintf(what, sizeof(what), "relation OID %zu", i + 1);
		if (pgo_u32(r, what, &s->oids[i]))
			return -1;
	}
	out->rel_oids = out->nrels ? s->oids : NULL;
	return 0;
}

static const struct pgo_tag pgo_tags[] = {
	{ 'B', "Begin", FL_PGO_BEGIN, pgo_begin },
	{ 'C', "Commit", FL_PGO_COMMIT, pgo_commit },
	{ 'O', "Origin", FL_PGO_ORIGIN, pgo_origin },
	{ 'R', "Relation", FL_PGO_RELATION, pgo_relation },
	{ 'Y', "Type", FL_PGO_TYPE, pgo_type },
	{ 'I', "Insert", FL_PGO_INSERT, pgo_insert },
	{ 'U', "Update", FL_PGO_UPDATE, pgo_update },
	{ 'D', "Delete", FL_PGO_DELETE, pgo_delete },
	{ 'T', "Truncate", FL_PGO_TRUNCATE, pgo_truncate },
	{ 'M', "Message", FL_PGO_MESSAGE, pgo_message },
	/* protocol 3 (two-phase) */
	{ 'b', "Begin Prepare", FL_PGO_IGNORED, NULL },
	{ 'P', "Prepare", FL_PGO_IGNORED, NULL },
	{ 'K', "Commit Prepared", FL_PGO_IGNORED, NULL },
	{ 'r', "Rollback Prepared", FL_PGO_IGNORED, NULL },
	/* protocol 2 (streaming) and 3 (streamed prepare) */
	{ 'S', "Stream Start", FL_PGO_IGNORED, NULL },
	{ 'E', "Stream Stop", FL_PGO_IGNORED, NULL },
	{ 'c', "Stream Commit", FL_PGO_IGNORED, NULL },
	{ 'A', "Stream Abort", FL_PGO_IGNORED, NULL },
	{ 'p', "Stream Prepare", FL_PGO_IGNORED, NULL },
};

/* Set *s to empty. */
void
fl_pgo_scratch_init(struct fl_pgo_scratch *s)
{
	memset(s, 0, sizeof(*s));
}

/* Free the arrays; results decoded with s become invalid. */
void
fl_pgo_scratch_done(struct fl_pgo_scratch *s)
{
	free(s->cols);
	free(s->cells);
	free(s->oids);
	memset(s, 0, sizeof(*s));
}

/* Decode one message; see pgoutput.h. */
int
fl_pgo_decode(const uint8_t *buf, size_t len, struct fl_pgo_scratch *s,
              struct fl_pgo_msg *out, struct fl_err *err)
{
	struct pgo_rd r = { buf, len, 1, NULL, err };
	const struct pgo_tag *t = NULL;
	char desc[24];
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!buf || len == 0)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "empty pgoutput message");
	for (i = 0; i < FL_ARRAY_LEN(pgo_tags) && !t; i++)
		if ((uint8_t)pgo_tags[i].tag == buf[0])
			t = &pgo_tags[i];
	if (!t)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "unknown pgoutput message tag %s at offset 0",
		                  pgo_byte_desc(buf[0], desc, sizeof(desc)));
	out->kind = t->kind;
	if (!t->decode)
		return 0;
	r.msg = t->name;
	if (t->decode(&r, s, out))
		return -1;
	if (r.pos != len)
		return fl_err_set(
		    err, FL_ERR_INVALID,
		    "invalid %s: %zu trailing byte(s) at offset %zu", t->name,
		    len - r.pos, r.pos);
	return 0;
}

/* Parse a CopyData payload ('w' or 'k'); see pgoutput.h. */
int
fl_pgo_frame(const uint8_t *buf, size_t len, struct fl_pgo_frame *out,
             struct fl_err *err)
{
	char desc[24];

	memset(out, 0, sizeof(*out));
	if (!buf || len == 0)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "empty CopyData message");
	switch (buf[0]) {
	case 'w':
		if (len < 25)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "truncated XLogData: header needs "
			                  "24 bytes at offset 1, %zu left",
			                  len - 1);
		out->kind = FL_PGO_FRAME_XLOGDATA;
		out->wal_start = pgo_get_be(buf + 1, 8);
		out->wal_end = pgo_get_be(buf + 9, 8);
		out->server_clock = (int64_t)pgo_get_be(buf + 17, 8);
		out->data = buf + 25;
		out->len = len - 25;
		return 0;
	case 'k':
		if (len < 18)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "truncated keepalive: body needs 17 "
			                  "bytes at offset 1, %zu left",
			                  len - 1);
		out->kind = FL_PGO_FRAME_KEEPALIVE;
		out->wal_end = pgo_get_be(buf + 1, 8);
		out->server_clock = (int64_t)pgo_get_be(buf + 9, 8);
		out->reply_requested = buf[17] != 0;
		return 0;
	default:
		return fl_err_set(
		    err, FL_ERR_INVALID,
		    "unknown CopyData message kind %s at offset 0 "
		    "(expected 'w' or 'k')",
		    pgo_byte_desc(buf[0], desc, sizeof(desc)));
	}
}

/* Write the 34-byte 'r' standby status update. */
void
fl_pgo_status_update(uint8_t out[34], fl_lsn write, fl_lsn flush, fl_lsn apply,
                     int64_t client_clock, int reply_requested)
{
	out[0] = 'r';
	pgo_put64(out + 1, write);
	pgo_put64(out + 9, flush);
	pgo_put64(out + 17, apply);
	pgo_put64(out + 25, (uint64_t)client_clock);
	out[33] = reply_requested ? 1 : 0;
}

/* Unix µs to PostgreSQL µs (since 2000-01-01); saturates at INT64_MIN. */
int64_t
fl_pgo_pg_time(int64_t unix_us)
{
	if (unix_us < INT64_MIN + PGO_EPOCH_US)
		return INT64_MIN;
	return unix_us - PGO_EPOCH_US;
}

/* "%X/%X" into out (cut to n - 1 characters). */
void
fl_lsn_format(fl_lsn lsn, char *out, size_t n)
{
	snprintf(out, n, "%X/%X", FL_LSN_HI(lsn), FL_LSN_LO(lsn));
}

/* Read 1 to 8 hex digits at *pp into *out; -1 on none or more than 8. */
static int
pgo_hex32(const char **pp, uint32_t *out)
{
	const char *p = *pp;
	uint32_t v = 0;
	int n, d;

	for (n = 0; (d = fl_hex_digit(p[n])) >= 0; n++) {
		if (n == 8)
			return -1;
		v = (v << 4) | (uint32_t)d;
	}
	if (n == 0)
		return -1;
	*pp = p + n;
	*out = v;
	return 0;
}

/* Parse "X/X" (1-8 hex digits each, nothing else); -1 if malformed. */
int
fl_lsn_parse(const char *s, fl_lsn *out)
{
	uint32_t hi, lo;

	if (!s || pgo_hex32(&s, &hi) || *s != '/')
		return -1;
	s++;
	if (pgo_hex32(&s, &lo) || *s != '\0')
		return -1;
	*out = ((fl_lsn)hi << 32) | lo;
	return 0;
}
