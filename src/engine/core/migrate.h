/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * migrate.h - `flusso migrate`: take over what the reference implementation
 * (flusso 0.15, Rust) left in OpenSearch.
 *
 * Owns: reading the reference's meta index (<prefix>flusso_meta, doc id =
 * its hash alias <prefix><index>_<8 hex>, source {active_generation,
 * seeded}), deciding per enabled index whether its serving generation can
 * be adopted (its mapping equals the one flusso creates; only possible
 * under --index-naming reference, where the names are the same) or must be
 * rebuilt alongside (a new generation with our body, filled with
 * scroll + _bulk from the old one, then one atomic _aliases swap, so readers of
 * the aliases never see an error or an empty index), and doing it
 * (--apply). Does not own: names (opensearch_names.c), hashes, the body
 * (mapping.c), the engine's lifecycle afterwards.
 */
#ifndef FL_MIGRATE_H
#define FL_MIGRATE_H

#include "config/config.h"
#include "util/buf.h"
#include "util/err.h"

/*
 * Report (and with apply, do) the migration of every enabled index on
 * every OpenSearch sink (only: that one). One line per index and sink to
 * out. *work = 1 when something is (or, applied, was) left to do: with
 * apply it is 0 unless a step failed. -1 with err on an error.
 */
int fl_migrate_run(const struct fl_config *cfg, const char *only, int apply,
                   struct fl_buf *out, int *work, struct fl_err *err);

#endif
