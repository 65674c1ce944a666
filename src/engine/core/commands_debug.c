/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands_debug.c - the handlers of the debugging commands of the
 * control table (issue 17): inspect, explain, sql (offline: they read
 * the database and OpenSearch with the configuration of the process
 * they run in) and repair (the running engine). The table entries are
 * in commands.c; the work in inspect.c, explain.c and engine_repair.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/commands.h"
#include "core/explain.h"
#include "core/inspect.h"
#include "source/pg_conn.h"
#include "source/slot_peek.h"
#include "util/json_write.h"
#include "util/strutil.h"
#include "util/xmem.h"

/* A failure as the answer: 404 for an unknown name, 400 for a bad
 * argument, 500 otherwise. */
static int dbg_fail(struct fl_buf *out, const struct fl_err *err);

/* The configuration to read with; NULL (and a 503 answer) without. */
static const struct fl_config *
dbg_cfg(const struct fl_ctl_local *l, struct fl_buf *out)
{
	if (l->cfg)
		return l->cfg;
	if (l->engine)
		return fl_engine_config(l->engine);
	fl_buf_puts(out, "no configuration: the pipeline is not running\n");
	return NULL;
}

static void
dbg_differs(const struct fl_ctl_local *l, int differs)
{
	if (differs && l->differs)
		*l->differs = 1;
}

/* A failure as the answer: 404 for an unknown name, 400 for a bad
 * argument, 500 otherwise. */
static int
dbg_fail(struct fl_buf *out, const struct fl_err *err)
{
	fl_buf_printf(out, "%s\n", err->msg);
	return err->code == FL_ERR_NOTFOUND  ? 404
	       : err->code == FL_ERR_INVALID ? 400
	       : err->code == FL_ERR_BUSY    ? 409
	                                     : 500;
}

int
fl_ctl_inspect(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
               struct fl_buf *out)
{
	const struct fl_config *cfg = dbg_cfg(l, out);
	struct fl_inspect r;
	struct fl_err err;
	int code;

	if (!cfg)
		return 503;
	if (fl_inspect_run(cfg, k->index, k->argv[1], fl_ctl_opt(k, "sink"), &r,
	                   &err) < 0) {
		fl_inspect_done(&r);
		return dbg_fail(out, &err);
	}
	if (fl_ctl_opt(k, "json"))
		fl_inspect_json(&r, out);
	else
		fl_inspect_text(&r, l->color, out);
	dbg_differs(l, r.differs);
	code = r.errors ? 502 : 200; /* an error beats a difference */
	fl_inspect_done(&r);
	return code;
}

int
fl_ctl_explain(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
               struct fl_buf *out)
{
	const struct fl_config *cfg = dbg_cfg(l, out);
	struct fl_explain r;
	struct fl_err err;

	if (!cfg)
		return 503;
	if (fl_explain_run(cfg, k->argv[0], k->argv[1], fl_ctl_opt(k, "old"),
	                   &r, &err) < 0) {
		fl_explain_done(&r);
		return dbg_fail(out, &err);
	}
	if (fl_ctl_opt(k, "json"))
		fl_explain_json(&r, out);
	else
		fl_explain_text(&r, out);
	fl_explain_done(&r);
	return 200;
}

int
fl_ctl_sql(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
           struct fl_buf *out)
{
	const struct fl_config *cfg = dbg_cfg(l, out);
	struct fl_err err;

	if (!cfg)
		return 503;
	if (fl_explain_sql(cfg, k->index, fl_ctl_opt(k, "json") != NULL, out,
	                   &err) < 0) {
		fl_buf_reset(out);
		return dbg_fail(out, &err);
	}
	return 200;
}

int
fl_ctl_repair(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
              struct fl_buf *out)
{
	char msg[512];
	int code;

	if (k->argc - 1 > FL_CTL_MAX_IDS) {
		fl_buf_printf(out,
		              "at most %d ids per repair (`flusso verify "
		              "--repair --ids ...` takes any number)\n",
		              FL_CTL_MAX_IDS);
		return 400;
	}
	if (!l->engine) {
		fl_buf_puts(out, "pipeline is not running\n");
		return 503;
	}
	code = fl_engine_repair(l->engine, k->index, k->argv + 1,
	                        (size_t)(k->argc - 1), msg, sizeof(msg), 60000);
	if (!fl_ctl_opt(k, "json")) {
		fl_buf_printf(out, "%s\n", msg);
		return code;
	}
	fl_buf_puts(out, "{\"index\":");
	fl_json_put_string(out, k->index);
	fl_buf_printf(
	    out, ",\"ids\":%d,\"status\":%d,\"message\":", k->argc - 1, code);
	fl_json_put_string(out, msg);
	fl_buf_puts(out, "}\n");
	return code;
}

int
fl_ctl_slot(const struct fl_ctl_local *l, const struct fl_ctl_call *k,
            struct fl_buf *out)
{
	const struct fl_config *cfg = dbg_cfg(l, out);
	struct fl_slot_backlog r;
	struct fl_slot_opts o;
	const char *top = fl_ctl_opt(k, "top");
	struct fl_err err;
	char *conninfo;
	PGconn *conn;
	long n = 0;
	int rc;

	if (!cfg)
		return 503;
	if (!l->engine) {
		fl_buf_puts(out,
		            "pipeline is not running (use `flusso slot`)\n");
		return 503;
	}
	memset(&o, 0, sizeof(o));
	fl_engine_source_names(l->engine, &o.slot, &o.publication);
	if (top && fl_str_parse_long(top, 1, 1000, &n) < 0) {
		fl_buf_printf(out, "--top must be 1..1000, not %s\n", top);
		return 400;
	}
	o.top = (size_t)n;
	if (!(conninfo = fl_config_source_conninfo(cfg, &err)))
		return dbg_fail(out, &err);
	conn = fl_pgconn_open(conninfo, "flusso-slot", 0, &err);
	free(conninfo);
	if (!conn)
		return dbg_fail(out, &err);
	memset(&r, 0, sizeof(r));
	rc = fl_slot_peek(conn, &o, &r, &err);
	PQfinish(conn);
	if (rc < 0) {
		fl_slot_backlog_done(&r);
		return dbg_fail(out, &err);
	}
	if (fl_ctl_opt(k, "json")) {
		fl_slot_backlog_json(&r, out);
		fl_buf_putc(out, '\n');
	} else {
		fl_slot_backlog_text(&r, out);
	}
	fl_slot_backlog_done(&r);
	return 200;
}
