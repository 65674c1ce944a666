/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_report.h - rendering of `flusso check` output: diagnostics (to
 * stderr), the configuration summary with secrets redacted, each index's
 * typed field list, hash alias and creation body, human or JSON.
 */
#ifndef FL_CHECK_REPORT_H
#define FL_CHECK_REPORT_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "config/mapping.h"
#include "source/pg_check.h"
#include "util/diagnostics.h"

/* Diagnostics, one per line: "error: file:line:col: path: msg". */
void fl_check_print_diags(const struct fl_diags *d, FILE *f, int color);

/* A copy of url with its password replaced by *** (caller frees). */
char *fl_check_redact_url(const char *url);
/* o.groups: each group of c with its indexes, slot and publication
 * (check --json and config show). */
void fl_check_json_groups(const struct fl_config *c, cJSON *o);

/* Human report of a loaded configuration. */
void fl_check_print_human(const struct fl_config *c, FILE *f);

/* JSON report skeleton {config, indexes, diagnostics}; caller adds
 * coverage/slot and frees. */
cJSON *fl_check_json(const struct fl_config *c, const struct fl_diags *d);

/*
 * Human report of the database part: the server, publication coverage
 * (what DDL `run` would run; the wording follows `will_manage` and
 * `manage_from`, where that setting came from) and the slot's state.
 * `target` names the database without its password.
 */
void fl_check_print_online(const struct fl_check_db *db, const char *target,
                           int will_manage, const char *manage_from, FILE *f);
/* {publication, exists, satisfied, will_manage, manageable, required,
 * present, missing, blockers, remediation, problems, publish}. */
cJSON *fl_check_json_coverage(const struct fl_coverage *c, int will_manage);
/* The fix plan: "fixes (`flusso check --fix` applies them):" and each
 * finding with its statements; nothing when the plan is empty. */
void fl_check_print_fixes(const struct fl_check_fixes *p, FILE *f);
/* [{kind, table, finding, statements}] */
cJSON *fl_check_json_fixes(const struct fl_check_fixes *p);
/* {name, exists, state, slot_type, plugin, database, active, ...}. */
cJSON *fl_check_json_slot(const struct fl_slot_report *s);

#endif
