/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * inspect.h - `flusso inspect INDEX ID`: one document as PostgreSQL
 * builds it now next to what each OpenSearch sink stores (with its
 * _seq_no, version, generation and alias), and a field-level diff.
 *
 * Owns: looking the document up on both sides, saying why a root row
 * yields no document (missing, soft-deleted, filtered) and whether a
 * delete is due, rendering the result as text or JSON. Does not own:
 * building documents (doc_build.c), naming differences (json_diff.c).
 */
#ifndef FL_INSPECT_H
#define FL_INSPECT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

enum fl_inspect_row {
	FL_ROW_PRESENT,      /* the row builds a document */
	FL_ROW_MISSING,      /* no root row with that key */
	FL_ROW_SOFT_DELETED, /* the row is there, soft-deleted */
	FL_ROW_FILTERED,     /* the row is there, the filters leave it out */
};

struct fl_inspect_sink {
	char *sink;       /* sink name */
	char *alias;      /* the hash alias read */
	char *error;      /* reading it failed (NULL: it answered) */
	int stored;       /* a document with this id is stored */
	char *generation; /* the concrete index holding it */
	long long seq_no, primary_term, version;
	cJSON *doc;    /* its _source */
	size_t ndiffs; /* differences from the built document */
	int differs;   /* ndiffs, a delete due, or a missing document */
};

struct fl_inspect {
	char *index, *id;
	char *table; /* "public.users" */
	char *key;   /* the root key column */
	enum fl_inspect_row row;
	char *soft_value; /* FL_ROW_SOFT_DELETED: the column's value */
	cJSON *built;     /* NULL when no document is due */
	struct fl_inspect_sink *sinks;
	size_t nsinks;
	int differs; /* some sink differs */
	int errors;  /* some sink could not be read (beats differs) */
};

/* Inspect id `id` of index `index` on every OpenSearch sink of cfg (or
 * only `sink`). -1 with err when the lookup itself failed. */
int fl_inspect_run(const struct fl_config *cfg, const char *index,
                   const char *id, const char *sink, struct fl_inspect *out,
                   struct fl_err *err);
void fl_inspect_done(struct fl_inspect *r);

/*
 * Without a daemon: rebuild ids of an index now and write them to every
 * OpenSearch sink (or `sink`) through its hash alias, deleting those
 * whose row yields no document; versioned like the engine's writes (the
 * WAL position read before building), so a newer write always wins.
 * *written counts the documents written or deleted. -1 with err.
 */
int fl_inspect_repair(const struct fl_config *cfg, const char *index,
                      const char *const *ids, size_t n, const char *sink,
                      size_t *written, struct fl_err *err);

/* Rendering; color: ANSI colours on the diff lines. */
void fl_inspect_text(const struct fl_inspect *r, int color, struct fl_buf *out);
void fl_inspect_json(const struct fl_inspect *r, struct fl_buf *out);

#endif
