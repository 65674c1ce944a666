/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz_pgoutput.c - libFuzzer entry point for the pgoutput decoder: parse
 * the input as a CopyData frame and decode the payload of an XLogData,
 * then decode the raw input as a pgoutput message too. One scratch is
 * reused across runs (as capture does), so stale pointers into an array
 * that grew would show up. Every returned pointer and length is read
 * byte by byte so ASan sees any result outside the input, and the
 * invariants of pgoutput.h are asserted. Built only with clang
 * -fsanitize=fuzzer.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "source/pgoutput.h"
#include "util/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Reused across runs; its arrays stay reachable, so no leak report. */
static struct fl_pgo_scratch fuzz_pgo_scratch;

/* Check p[0..n) lies inside [buf, buf + len) and read it all. */
static unsigned
fuzz_pgo_touch(const void *p, size_t n, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;
	unsigned sum = 0;
	size_t i;

	if (n == 0)
		return 0;
	FL_ASSERT(q >= buf && n <= len && (size_t)(q - buf) <= len - n);
	for (i = 0; i < n; i++)
		sum += q[i];
	return sum;
}

/* Check s is a NUL-terminated string inside the buffer; read it. */
static unsigned
fuzz_pgo_str(const char *s, const uint8_t *buf, size_t len)
{
	FL_ASSERT(s != NULL);
	return fuzz_pgo_touch(s, strlen(s) + 1, buf, len);
}

/* Read every cell of a tuple; cells must be well-formed. */
static unsigned
fuzz_pgo_tuple(const struct fl_pgo_tuple *t, const uint8_t *buf, size_t len)
{
	unsigned sum = 0;
	size_t i;

	FL_ASSERT(t->ncols == 0 || t->cells != NULL);
	FL_ASSERT(t->ncols <= len);
	for (i = 0; i < t->ncols; i++) {
		const struct fl_pgo_cell *c = &t->cells[i];

		FL_ASSERT(strchr("nutb", c->kind) != NULL && c->kind != 0);
		if (c->kind == 'n' || c->kind == 'u')
			FL_ASSERT(c->data == NULL && c->len == 0);
		else
			sum += fuzz_pgo_touch(c->data, c->len, buf, len);
	}
	return sum;
}

/* Read a Relation's strings and columns. */
static unsigned
fuzz_pgo_relation(const struct fl_pgo_msg *m, const uint8_t *buf, size_t len)
{
	unsigned sum = 0;
	size_t i;

	sum += fuzz_pgo_str(m->nspname, buf, len);
	sum += fuzz_pgo_str(m->relname, buf, len);
	FL_ASSERT(m->relname[0] != '\0');
	FL_ASSERT(strchr("dnfi", m->replident) != NULL && m->replident != 0);
	FL_ASSERT(m->ncols == 0 || m->cols != NULL);
	FL_ASSERT((size_t)m->ncols * 10 <= len);
	for (i = 0; i < m->ncols; i++) {
		sum += fuzz_pgo_str(m->cols[i].name, buf, len);
		sum += m->cols[i].flags + m->cols[i].type_oid;
		sum += (unsigned)m->cols[i].typmod;
	}
	return sum;
}

/* Decode buf as one pgoutput message and read everything it returns. */
static unsigned
fuzz_pgo_decode(const uint8_t *buf, size_t len)
{
	struct fl_pgo_msg m;
	struct fl_err err;
	unsigned sum = 0;
	size_t i;

	fl_err_clear(&err);
	if (fl_pgo_decode(buf, len, &fuzz_pgo_scratch, &m, &err) != 0) {
		FL_ASSERT(err.code == FL_ERR_INVALID && err.msg[0] != '\0');
		return 0;
	}
	FL_ASSERT(len > 0);
	switch (m.kind) {
	case FL_PGO_RELATION:
		sum += fuzz_pgo_relation(&m, buf, len);
		break;
	case FL_PGO_INSERT:
	case FL_PGO_UPDATE:
	case FL_PGO_DELETE:
		FL_ASSERT(m.old_kind == 0 || m.old_kind == 'K' ||
		          m.old_kind == 'O');
		FL_ASSERT(m.kind != FL_PGO_DELETE || m.old_kind != 0);
		FL_ASSERT(m.kind != FL_PGO_INSERT || m.old_kind == 0);
		sum += fuzz_pgo_tuple(&m.old_tuple, buf, len);
		sum += fuzz_pgo_tuple(&m.new_tuple, buf, len);
		break;
	case FL_PGO_TRUNCATE:
		FL_ASSERT(m.nrels == 0 || m.rel_oids != NULL);
		FL_ASSERT((size_t)m.nrels * 4 <= len);
		for (i = 0; i < m.nrels; i++)
			sum += m.rel_oids[i];
		break;
	case FL_PGO_IGNORED:
		FL_ASSERT(strchr("bPKrSEcAp", buf[0]) != NULL && buf[0] != 0);
		break;
	default:
		break;
	}
	return sum;
}

/* libFuzzer entry: frame, then the payload; then the raw input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_pgo_frame f;
	struct fl_err err;
	volatile unsigned sink = 0;

	fl_err_clear(&err);
	if (fl_pgo_frame(data, size, &f, &err) == 0) {
		FL_ASSERT(size >= 18);
		if (f.kind == FL_PGO_FRAME_XLOGDATA) {
			FL_ASSERT(f.data == data + 25 && f.len == size - 25);
			sink += fuzz_pgo_touch(f.data, f.len, data, size);
			sink += fuzz_pgo_decode(f.data, f.len);
		} else {
			FL_ASSERT(f.kind == FL_PGO_FRAME_KEEPALIVE);
			FL_ASSERT(f.data == NULL && f.len == 0);
		}
	} else {
		FL_ASSERT(err.code == FL_ERR_INVALID && err.msg[0] != '\0');
	}
	sink += fuzz_pgo_decode(data, size);
	(void)sink;
	return 0;
}
