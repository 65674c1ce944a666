/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify.h - the consistency checker behind `flusso verify`: every
 * document stored in OpenSearch for an index against the document
 * PostgreSQL builds now, and every root row against OpenSearch.
 *
 * Owns: reading all documents of the index's hash alias (scroll),
 * building the expected documents with docbuild, comparing parsed JSON,
 * and re-checking differences a few times so changes still in flight do
 * not count. Does not own: printing.
 */
#ifndef FL_VERIFY_H
#define FL_VERIFY_H

#include <stddef.h>

#include "config/config.h"
#include "util/err.h"

#define FL_VERIFY_EXAMPLES 10

struct fl_verify_report {
	size_t checked;   /* root rows looked at */
	size_t stored;    /* documents in OpenSearch */
	size_t missing;   /* should exist, absent */
	size_t extra;     /* present, should not exist */
	size_t different; /* present, content differs */
	char examples[FL_VERIFY_EXAMPLES][160];
	size_t nexamples;
};

/*
 * Verify index `name` of `cfg` (its first OpenSearch sink). Secrets are
 * resolved from the environment. `recheck` = how many times a difference
 * is re-read before it counts (1 s apart).
 */
int fl_verify_index(const struct fl_config *cfg, const char *name, int recheck,
                    struct fl_verify_report *out, struct fl_err *err);

#endif
