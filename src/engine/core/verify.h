/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify.h - the consistency checker behind `flusso verify`: the
 * documents stored in every OpenSearch sink of an index against the
 * documents PostgreSQL builds now.
 *
 * Owns: walking the root keys in pages (or the ids asked for, or a random
 * sample), building the expected documents with docbuild, reading the
 * stored ones with _mget from each sink's hash alias, looking for extra
 * documents (stored, but no root row produces them), re-checking
 * differences so changes still in flight do not count, and the report
 * (counts, the list of differing ids with the first differing path, its
 * JSON and text forms). Memory is bounded by the page size, the recheck
 * batch and --limit, not by the size of the index.
 * Does not own: argv, the progress bar, exit codes (cmd_verify.c),
 * repairing anything.
 */
#ifndef FL_VERIFY_H
#define FL_VERIFY_H

#include <stddef.h>
#include <stdio.h>

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

/* The default of fl_verify_opts.limit (items listed per index). */
#define FL_VERIFY_LIMIT 1000

enum fl_verify_kind {
	FL_VERIFY_MISSING,   /* should exist, absent */
	FL_VERIFY_EXTRA,     /* present, should not exist */
	FL_VERIFY_DIFFERENT, /* present, content differs */
};

enum fl_verify_mode {
	FL_VERIFY_FULL,   /* every root row, then extras if the count says so */
	FL_VERIFY_IDS,    /* only the ids asked for (both ways) */
	FL_VERIFY_SAMPLE, /* random root rows; extras are not looked for */
};

/* Where a run is, for a progress display. */
struct fl_verify_progress {
	const char *index;
	const char *stage; /* "rows", "extra" (one sink), "recheck" */
	const char *sink;  /* the sink of "extra" and "recheck", else NULL */
	size_t done;       /* rows (ids) handled in this stage */
	long long total;   /* estimate; -1 unknown */
};

struct fl_verify_opts {
	const char *sink; /* only this sink (NULL: every OpenSearch sink) */
	const char *const *ids; /* FL_VERIFY_IDS: these ids only */
	size_t nids;            /* 0: not in ids mode */
	long sample;            /* > 0: FL_VERIFY_SAMPLE of that many rows */
	long limit;             /* items listed at most (counts stay exact);
	                            0 = FL_VERIFY_LIMIT, < 0 = none */
	int recheck;            /* re-reads of a difference, 1 s apart */
	void (*progress)(void *arg, const struct fl_verify_progress *p);
	void *progress_arg;
};

/* One differing document. */
struct fl_verify_item {
	const char *sink; /* borrowed from the report's sinks[].name */
	char *id;
	enum fl_verify_kind kind;
	char *path; /* FL_VERIFY_DIFFERENT: first differing path ("" for the
	               root), else NULL */
};

/* Per sink counts. */
struct fl_verify_sink {
	char *name;    /* the sink's name in flusso.yml */
	char *alias;   /* the hash alias read */
	size_t stored; /* documents in the alias (FULL), or found among the
	                  ids checked (IDS, SAMPLE) */
	size_t missing, extra, different;
	int extra_scan; /* FULL: 1 when stored ids were scanned for extras
	                   (the count said some document is unaccounted for) */
};

struct fl_verify_report {
	char *index;
	enum fl_verify_mode mode;
	size_t checked; /* root rows (or ids) compared */
	struct fl_verify_sink *sinks;
	size_t nsinks;
	/* Every difference in finding order, up to the limit: the list a
	 * repair walks (sink, id, kind). */
	struct fl_verify_item *items;
	size_t nitems;
	int truncated; /* more differences than items */
	double secs;
};

/*
 * Verify index `index` of `cfg` against every OpenSearch sink (or o->sink).
 * Secrets are resolved from the environment. Returns 0 with the report
 * filled (differences are results, not errors), or -1 with err (the
 * report is then partial; release it all the same).
 */
int fl_verify_run(const struct fl_config *cfg, const char *index,
                  const struct fl_verify_opts *o, struct fl_verify_report *r,
                  struct fl_err *err);

/* Missing + extra + different over every sink. */
size_t fl_verify_report_differences(const struct fl_verify_report *r);

/* Name of a kind: "missing", "extra", "different". */
const char *fl_verify_kind_name(enum fl_verify_kind k);

/*
 * One JSON object for the report: {"index", "mode", "checked",
 * "seconds", "differences" (the total), "sinks": [{"sink", "alias",
 * "stored", "missing", "extra", "different", "extra_scan"}], "items":
 * [{"sink", "id", "kind", "path" (different only)}], "truncated"}.
 * Appended to out.
 */
void fl_verify_report_json(const struct fl_verify_report *r,
                           struct fl_buf *out);

/*
 * Human text: per sink one summary line "INDEX: R rows, S documents
 * stored: M missing, E extra, D different" (with several sinks the
 * index is followed by " (SINK)"), then one line per item.
 */
void fl_verify_report_text(const struct fl_verify_report *r, FILE *f);

void fl_verify_report_done(struct fl_verify_report *r);

#endif
