/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * doc_build.h - building whole documents in PostgreSQL (source.md §13,
 * §14): one generated statement per index that turns many root keys into
 * their JSON documents server-side (json_build_object / json_agg), and
 * the keyset scan of root keys used for seeding (§16.3).
 *
 * Owns: SQL generation from the normalised schema plus catalog types,
 * preparing the statements on a connection, running them for a set of
 * keys, and the value conversions of §14.2 (ISO timestamps, exact
 * numerics, base64 bytea, typed constants, infinities to null).
 * Does not own: which ids to build (resolve.c), writing (sinks).
 *
 * One struct fl_docbuild per worker thread, used with that worker's own
 * connection (a PGconn belongs to one thread).
 */
#ifndef FL_DOC_BUILD_H
#define FL_DOC_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "util/err.h"

/* The outcome for one requested id. */
struct fl_doc {
	char *id;      /* the root key text (= OpenSearch _id) */
	int tombstone; /* row gone, soft-deleted or filtered out */
	char *json;    /* the document (NULL for a tombstone) */
	size_t len;
};

struct fl_docs {
	struct fl_doc *v;
	size_t n, cap;
};

void fl_docs_init(struct fl_docs *d);
void fl_docs_reset(struct fl_docs *d); /* free contents, keep the array */
void fl_docs_done(struct fl_docs *d);

struct fl_docbuild;

struct fl_docbuild *fl_docbuild_new(const struct fl_config *cfg);
void fl_docbuild_free(struct fl_docbuild *b);

/*
 * Read the catalog types the SQL needs and prepare one statement per
 * enabled index on `conn` (call again after reconnecting, and after a
 * table's definition changed). Fails only when the catalog cannot be
 * read or a failure is transient: an index whose table or column is
 * missing stays unprepared, and building it tries again and fails with
 * the reason (FL_ERR_CONFIG, or the statement's SQLSTATE).
 */
int fl_docbuild_prepare(struct fl_docbuild *b, PGconn *conn,
                        struct fl_err *err);

/*
 * Build the documents of `n` root keys of index `index` (chunks of up to
 * 512 keys per statement). Appends exactly one outcome per distinct
 * requested key to `out`, in any order. Errors carry the SQLSTATE; the
 * code is FL_ERR_PG for transient ones (connection, shutdown,
 * serialization, too many connections) and FL_ERR_CONFIG otherwise.
 */
int fl_docbuild_build(struct fl_docbuild *b, PGconn *conn, const char *index,
                      const char *const *keys, size_t n, struct fl_docs *out,
                      struct fl_err *err);

/* The generated SQL of an index (for tests and `check`); borrowed. */
const char *fl_docbuild_sql(const struct fl_docbuild *b, const char *index);
/* All statements of an index (`flusso sql`): the documents statement,
 * its constant parameters and the key scan; NULL before prepare or when
 * the index could not be prepared. Borrowed. */
struct fl_docsql;
const struct fl_docsql *fl_docbuild_query(const struct fl_docbuild *b,
                                          const char *index);

/*
 * One page of the seeding key scan: up to `limit` root keys of `index`
 * greater than `after` (NULL: from the start) in key order, as text.
 * Keys go to *keys (caller frees each and the array); *n = count; a page
 * shorter than `limit` is the last.
 */
int fl_docbuild_key_page(struct fl_docbuild *b, PGconn *conn, const char *index,
                         const char *after, long limit, char ***keys, size_t *n,
                         struct fl_err *err);

/*
 * Up to `limit` root keys of `index` picked at random (ORDER BY random():
 * one scan of the root table), for `flusso verify --sample`. Same
 * ownership as fl_docbuild_key_page.
 */
int fl_docbuild_key_sample(struct fl_docbuild *b, PGconn *conn,
                           const char *index, long limit, char ***keys,
                           size_t *n, struct fl_err *err);

/* The WAL position now (on a standby: the replayed one), read before
 * documents are built: the version they are written with (a document
 * built later never gets a lower one). 0, or -1 with err. */
int fl_docbuild_wal_position(PGconn *conn, uint64_t *out, struct fl_err *err);

/* pg_class.reltuples of the index's root table (-1 = unknown). */
long long fl_docbuild_estimate(struct fl_docbuild *b, PGconn *conn,
                               const char *index, struct fl_err *err);

#endif
