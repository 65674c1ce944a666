/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_status.c - `flusso status`: one-shot (or --watch) view of a running
 * daemon's /status: a compact table, or the document verbatim (--json).
 * Exit 0 when the daemon answered, 1 when it could not be reached or
 * answered non-2xx.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "core/commands.h"
#include "util/xmem.h"

static const struct fl_opt status_opts[] = {
	{ .name = "public-address",
	  .kind = FL_OPT_STR,
	  .metavar = "IP:PORT",
	  .help = "the daemon's public address",
	  .def = "127.0.0.1:9464" },
	{ .name = "json",
	  .kind = FL_OPT_FLAG,
	  .help = "print the /status document verbatim" },
	{ .name = "watch",
	  .kind = FL_OPT_DOUBLE,
	  .metavar = "SECS",
	  .help = "repeat every SECS seconds",
	  .dmin = 0.5,
	  .dmax = 3600 },
	FL_OPTS_LOG,
};

static double
status_num(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static const char *
status_str(const cJSON *o, const char *k, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static void
status_bytes(double b, char *out, size_t n)
{
	if (b >= 1e9)
		snprintf(out, n, "%.1f GB", b / 1e9);
	else if (b >= 1e6)
		snprintf(out, n, "%.1f MB", b / 1e6);
	else if (b >= 1e3)
		snprintf(out, n, "%.1f kB", b / 1e3);
	else
		snprintf(out, n, "%.0f B", b);
}

static void
status_uptime(double s, char *out, size_t n)
{
	long t = (long)s;

	if (t >= 86400)
		snprintf(out, n, "%ldd%ldh", t / 86400, t % 86400 / 3600);
	else if (t >= 3600)
		snprintf(out, n, "%ldh%ldm", t / 3600, t % 3600 / 60);
	else
		snprintf(out, n, "%ldm%lds", t / 60, t % 60);
}

/* The OpenSearch nodes of each sink, when a sink lists several or one
 * is down (a single node that is up says nothing new). */
static void
status_nodes(const cJSON *doc)
{
	const cJSON *sinks = cJSON_GetObjectItemCaseSensitive(doc, "sinks");
	const cJSON *s, *nd;
	int head = 0;

	cJSON_ArrayForEach(s, sinks)
	{
		const cJSON *nodes =
		    cJSON_GetObjectItemCaseSensitive(s, "nodes");
		int show = cJSON_GetArraySize(nodes) > 1;

		cJSON_ArrayForEach(nd, nodes) show |=
		    strcmp(status_str(nd, "state", "?"), "up") != 0;
		if (!show)
			continue;
		if (!head++)
			printf("%-20s %-40s %-5s %-24s %8s %s\n", "SINK",
			       "NODE", "STATE", "SINCE", "FAILURES",
			       "LAST ERROR");
		cJSON_ArrayForEach(nd, nodes) printf(
		    "%-20s %-40s %-5s %-24s %8.0f %s\n", s->string,
		    status_str(nd, "url", "?"), status_str(nd, "state", "?"),
		    status_str(nd, "since", "-"), status_num(nd, "failures"),
		    status_str(nd, "last_error", ""));
	}
}

/* Hot standby: this instance's role and the active one. */
static void
status_role(const cJSON *doc)
{
	const cJSON *act = cJSON_GetObjectItemCaseSensitive(doc, "active");
	const char *role = status_str(doc, "role", "");

	if (!role[0])
		return;
	printf("role %s", role);
	if (cJSON_IsObject(act))
		printf("  active: pid %.0f on %s (%s), for %.0f s",
		       status_num(act, "pid"), status_str(act, "host", "?"),
		       status_str(act, "client", "local"),
		       status_num(act, "since_seconds"));
	putchar('\n');
}

/* One screenful of status; prev (may be NULL) gives the rates. */
static void
status_print(const cJSON *doc, const cJSON *prev, double dt)
{
	const cJSON *repl =
	    cJSON_GetObjectItemCaseSensitive(doc, "replication");
	const cJSON *det =
	    cJSON_GetObjectItemCaseSensitive(doc, "index_details");
	const cJSON *lag =
	    cJSON_GetObjectItemCaseSensitive(doc, "slot_lag_bytes");
	const cJSON *x;
	char up[32], lb[32];

	status_uptime(status_num(doc, "uptime_seconds"), up, sizeof(up));
	if (cJSON_IsNumber(lag))
		status_bytes(lag->valuedouble, lb, sizeof(lb));
	else
		snprintf(lb, sizeof(lb), "unknown");
	printf(
	    "phase %s%s%s%s  up %s  lag %s (%.1f s)  in-flight %.0f  "
	    "errors %.0f\n",
	    status_str(doc, "phase", "?"),
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "waiting_for"))
	        ? " (waiting for "
	        : "",
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "waiting_for"))
	        ? status_str(doc, "waiting_for", "")
	        : "",
	    cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "waiting_for"))
	        ? ")"
	        : "",
	    up, lb, status_num(repl, "lag_seconds"),
	    status_num(doc, "changes_in_flight"), status_num(doc, "errors"));
	status_role(doc);
	printf("captured %.0f  committed %.0f",
	       status_num(doc, "changes_captured"),
	       status_num(doc, "changes_committed"));
	if (prev && dt > 0)
		printf("  (%.0f/s captured, %.0f/s committed)",
		       (status_num(doc, "changes_captured") -
		        status_num(prev, "changes_captured")) /
		           dt,
		       (status_num(doc, "changes_committed") -
		        status_num(prev, "changes_committed")) /
		           dt);
	printf("\nslot %s (%s)  confirmed %s", status_str(repl, "slot", "?"),
	       status_str(repl, "state", "?"),
	       status_str(repl, "confirmed_lsn", "?"));
	if (*status_str(repl, "group", ""))
		printf("  group %s  publication %s",
		       status_str(repl, "group", ""),
		       status_str(repl, "publication", "?"));
	putchar('\n');
	printf("%-20s %-12s %5s %5s %12s %6s %-6s %s\n", "INDEX", "STATE",
	       "GEN", "NEXT", "DOCS", "QUAR", "POLICY", "NOTES");
	cJSON_ArrayForEach(x, det)
	{
		const cJSON *bf =
		    cJSON_GetObjectItemCaseSensitive(x, "backfill");
		char state[32], notes[64] = "";

		snprintf(state, sizeof(state), "%s",
		         status_str(x, "state", "?"));
		if (cJSON_IsObject(bf) && status_num(bf, "rows_estimate") > 0)
			snprintf(state, sizeof(state), "%s %.0f%%",
			         status_str(x, "state", "?"),
			         100.0 * status_num(bf, "rows_done") /
			             status_num(bf, "rows_estimate"));
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		        x, "untracked_tables")))
			snprintf(notes, sizeof(notes), "untracked ");
		if (status_num(x, "pending") > 0) {
			size_t l = strlen(notes);

			snprintf(notes + l, sizeof(notes) - l, "%s %.0f ",
			         cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
			             x, "draining"))
			             ? "draining"
			             : "pending",
			         status_num(x, "pending"));
		}
		printf("%-20s %-12s %5.0f %5.0f %12.0f %6.0f %-6s %s%s\n",
		       x->string, state, status_num(x, "serving_generation"),
		       status_num(x, "building_generation"),
		       status_num(x, "documents_built"),
		       status_num(x, "quarantined"),
		       status_str(x, "policy", "?"), notes,
		       status_str(x, "last_error", ""));
	}
	status_nodes(doc);
	if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc, "last_error")))
		printf("last error: %s\n", status_str(doc, "last_error", ""));
}

static double
status_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
status_exec(struct fl_cmd_ctx *ctx)
{
	char *base = fl_ctl_base_url(fl_args_str(&ctx->args, "public-address"));
	double watch = fl_args_double(&ctx->args, "watch"), t_prev = 0;
	int json = fl_args_flag(&ctx->args, "json");
	struct fl_ctl_remote r = { base, NULL, NULL, 10, NULL };
	cJSON *prev = NULL;
	int code = FL_EXIT_OK;

	for (;;) {
		struct fl_buf out;
		struct fl_err err;
		int http;
		cJSON *doc;
		double now = status_clock();

		fl_buf_init(&out, (size_t)1 << 26);
		http = fl_ctl_remote_get(&r, "/status", &out, &err);
		if (http < 0 || http / 100 != 2) {
			if (http < 0)
				fprintf(stderr, "flusso: %s\n", err.msg);
			else
				fprintf(stderr,
				        "flusso: server returned %d: %s\n",
				        http, fl_buf_str(&out));
			fl_buf_done(&out);
			code = FL_EXIT_FAIL;
			if (!watch)
				break;
		} else if (json) {
			printf("%s\n", fl_buf_str(&out));
			fl_buf_done(&out);
		} else {
			doc = cJSON_Parse(fl_buf_str(&out));
			fl_buf_done(&out);
			if (!doc) {
				fprintf(stderr, "flusso: unreadable /status\n");
				code = FL_EXIT_FAIL;
				break;
			}
			if (watch)
				printf("\n");
			status_print(doc, prev, now - t_prev);
			cJSON_Delete(prev);
			prev = doc;
			t_prev = now;
		}
		fflush(stdout);
		if (!watch)
			break;
		poll(NULL, 0, (int)(watch * 1000));
	}
	cJSON_Delete(prev);
	free(base);
	return code;
}

const struct fl_cmd_entry fl_cmd_status_entry = {
	.name = "status",
	.usage = "[options]",
	.summary = "Print a running daemon's status (table or --json)",
	.help = "Asks the daemon's public address for /status and prints a "
	        "compact table:\nphase, lag, in-flight changes, rates, one row "
	        "per index. Exit 1 when the\ndaemon cannot be reached.",
	.opts = status_opts,
	.nopts = FL_ARRAY_LEN(status_opts),
	.exec = status_exec,
};
