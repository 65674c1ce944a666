/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_status.c - `flusso status`: one-shot (or --watch) view of a running
 * daemon's /status: a compact table, or the document verbatim (--json).
 * Exit 0 when the daemon answered, 1 when it could not be reached or
 * answered non-2xx.
 *
 * Fleet view: with several addresses (--public-address or --server
 * A,B,...) each /status is fetched on its own thread (a slow or dead
 * instance costs its timeout once, not once per instance) and printed
 * as an instances table and one index table with an INSTANCE column;
 * --json wraps them as {"instances":[{address, reachable, error,
 * status}]}. Exit 1 when any instance is unreachable.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "core/commands.h"
#include "tui_fleet.h"
#include "util/xmem.h"

static const struct fl_opt status_opts[] = {
	{ .name = "public-address",
	  .kind = FL_OPT_STR,
	  .metavar = "IP:PORT",
	  .help = "the daemon's public address",
	  .def = "127.0.0.1:9464" },
	{ .name = "server",
	  .kind = FL_OPT_STR,
	  .metavar = "ADDR",
	  .help = "admin addresses instead (A,B,...: the fleet view; "
	          "--public-address takes a list too)" },
	{ .name = "admin-user",
	  .kind = FL_OPT_STR,
	  .metavar = "USER",
	  .help = "admin API user (with --server)",
	  .def = "admin" },
	{ .name = "admin-password",
	  .kind = FL_OPT_STR,
	  .metavar = "PASSWORD",
	  .help = "admin API password (with --server)" },
	{ .name = "admin-password-file",
	  .kind = FL_OPT_STR,
	  .metavar = "PATH",
	  .help = "read the admin password from the first line of PATH" },
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

/* An index row's STATE (with backfill %) and NOTES. */
static void
status_ix_state(const cJSON *x, char *state, size_t sn, char *notes, size_t nn)
{
	const cJSON *bf = cJSON_GetObjectItemCaseSensitive(x, "backfill");

	notes[0] = '\0';
	snprintf(state, sn, "%s", status_str(x, "state", "?"));
	if (cJSON_IsObject(bf) && status_num(bf, "rows_estimate") > 0)
		snprintf(state, sn, "%s %.0f%%", status_str(x, "state", "?"),
		         100.0 * status_num(bf, "rows_done") /
		             status_num(bf, "rows_estimate"));
	if (cJSON_GetArraySize(
	        cJSON_GetObjectItemCaseSensitive(x, "untracked_tables")))
		snprintf(notes, nn, "untracked ");
	if (status_num(x, "pending") > 0) {
		size_t l = strlen(notes);

		snprintf(notes + l, nn - l, "%s %.0f ",
		         cJSON_IsTrue(
		             cJSON_GetObjectItemCaseSensitive(x, "draining"))
		             ? "draining"
		             : "pending",
		         status_num(x, "pending"));
	}
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
		char state[32], notes[64];

		status_ix_state(x, state, sizeof(state), notes, sizeof(notes));
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

/* ---- the fleet view ----------------------------------------------------- */

struct status_inst {
	const char *addr; /* as given */
	struct fl_ctl_remote r;
	int http; /* the last answer; -1 unreachable */
	struct fl_buf out;
	struct fl_err err;
	char why[600];        /* when unreachable */
	cJSON *doc, *prev;    /* this and the previous good /status */
	double t_doc, t_prev; /* when they came (monotonic s) */
	time_t down_since;    /* first failure in a row; 0 while up */
};

static void *
status_fetch_main(void *arg)
{
	struct status_inst *in = arg;

	fl_err_clear(&in->err);
	in->http = fl_ctl_remote_get(&in->r, "/status", &in->out, &in->err);
	return NULL;
}

static double status_clock(void);

/* Fetch every /status at once; then parse each answer. */
static void
status_fetch_all(struct status_inst *v, int n)
{
	pthread_t th[FL_TUI_FLEET_MAX];
	int started[FL_TUI_FLEET_MAX], k;

	for (k = 0; k < n; k++) {
		fl_buf_init(&v[k].out, (size_t)1 << 26);
		started[k] =
		    pthread_create(&th[k], NULL, status_fetch_main, &v[k]) == 0;
		if (!started[k])
			status_fetch_main(&v[k]);
	}
	for (k = 0; k < n; k++) {
		struct status_inst *in = &v[k];
		cJSON *doc = NULL;

		if (started[k])
			pthread_join(th[k], NULL);
		if (in->http < 0)
			snprintf(in->why, sizeof(in->why), "%s", in->err.msg);
		else if (in->http / 100 != 2)
			snprintf(in->why, sizeof(in->why), "answered %d",
			         in->http);
		else if (!(doc = cJSON_Parse(fl_buf_str(&in->out))) ||
		         !cJSON_IsObject(doc))
			snprintf(in->why, sizeof(in->why),
			         "unreadable /status");
		fl_buf_done(&in->out);
		if (doc && cJSON_IsObject(doc)) {
			cJSON_Delete(in->prev);
			in->prev = in->doc;
			in->t_prev = in->t_doc;
			in->doc = doc;
			in->t_doc = status_clock();
			in->why[0] = '\0';
			in->down_since = 0;
		} else {
			cJSON_Delete(doc);
			cJSON_Delete(in->doc);
			cJSON_Delete(in->prev);
			in->doc = in->prev = NULL;
			if (!in->down_since)
				in->down_since = time(NULL);
		}
	}
}

static void
status_fleet_print(const struct status_inst *v, int n)
{
	int k;

	printf("%-21s %-8s %-10s %-11s %9s %7s %6s\n", "INSTANCE", "ROLE",
	       "GROUP", "PHASE", "LAG", "CHG/S", "ERRORS");
	for (k = 0; k < n; k++) {
		const struct status_inst *in = &v[k];
		const cJSON *lag;
		char lb[32], rate[32] = "-", since[32];

		if (!in->doc) {
			strftime(since, sizeof(since), "%H:%M:%S",
			         localtime(&in->down_since));
			printf("%-21s %-8s %-10s %-11s since %s: %s\n",
			       in->addr, "-", "-", "unreachable", since,
			       in->why);
			continue;
		}
		lag =
		    cJSON_GetObjectItemCaseSensitive(in->doc, "slot_lag_bytes");
		if (cJSON_IsNumber(lag))
			status_bytes(lag->valuedouble, lb, sizeof(lb));
		else
			snprintf(lb, sizeof(lb), "unknown");
		if (in->prev && in->t_doc > in->t_prev)
			snprintf(rate, sizeof(rate), "%.0f",
			         (status_num(in->doc, "changes_committed") -
			          status_num(in->prev, "changes_committed")) /
			             (in->t_doc - in->t_prev));
		printf("%-21s %-8s %-10s %-11s %9s %7s %6.0f\n", in->addr,
		       status_str(in->doc, "role", "active"),
		       *status_str(in->doc, "group", "")
		           ? status_str(in->doc, "group", "")
		           : "-",
		       status_str(in->doc, "phase", "?"), lb, rate,
		       status_num(in->doc, "errors"));
	}
	printf("\n%-14s %-21s %-12s %5s %5s %12s %6s %-6s %s\n", "INDEX",
	       "INSTANCE", "STATE", "GEN", "NEXT", "DOCS", "QUAR", "POLICY",
	       "NOTES");
	for (k = 0; k < n; k++) {
		const cJSON *x;

		if (!v[k].doc)
			continue;
		cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(
		                          v[k].doc, "index_details"))
		{
			char state[32], notes[64];

			status_ix_state(x, state, sizeof(state), notes,
			                sizeof(notes));
			printf("%-14s %-21s %-12s %5.0f %5.0f %12.0f %6.0f "
			       "%-6s %s%s\n",
			       x->string, v[k].addr, state,
			       status_num(x, "serving_generation"),
			       status_num(x, "building_generation"),
			       status_num(x, "documents_built"),
			       status_num(x, "quarantined"),
			       status_str(x, "policy", "?"), notes,
			       status_str(x, "last_error", ""));
		}
	}
}

/* {"instances":[{address, reachable, error, status}]} on one line. */
static void
status_fleet_json(const struct status_inst *v, int n)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *arr = cJSON_AddArrayToObject(root, "instances");
	char *text;
	int k;

	for (k = 0; k < n; k++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", v[k].addr);
		cJSON_AddBoolToObject(o, "reachable", v[k].doc != NULL);
		if (v[k].doc) {
			cJSON_AddNullToObject(o, "error");
			cJSON_AddItemToObject(o, "status",
			                      cJSON_Duplicate(v[k].doc, 1));
		} else {
			cJSON_AddStringToObject(o, "error", v[k].why);
			cJSON_AddNullToObject(o, "status");
		}
		cJSON_AddItemToArray(arr, o);
	}
	text = cJSON_PrintUnformatted(root);
	printf("%s\n", text ? text : "{}");
	free(text);
	cJSON_Delete(root);
}

/* Several instances: fetch, print, repeat with --watch. */
static int
status_fleet(char **addrs, int n, const struct fl_ctl_remote *proto,
             double watch, int json)
{
	struct status_inst *v = fl_xcalloc((size_t)n, sizeof(*v));
	char *bases[FL_TUI_FLEET_MAX];
	int code = FL_EXIT_OK, k;

	for (k = 0; k < n; k++) {
		bases[k] = fl_ctl_base_url(addrs[k]);
		v[k].addr = addrs[k];
		v[k].r = *proto;
		v[k].r.base = bases[k];
	}
	for (;;) {
		int down = 0;

		status_fetch_all(v, n);
		for (k = 0; k < n; k++)
			down += v[k].doc == NULL;
		if (down)
			code = FL_EXIT_FAIL;
		if (watch && !json)
			printf("\n");
		if (json)
			status_fleet_json(v, n);
		else
			status_fleet_print(v, n);
		fflush(stdout);
		if (!watch)
			break;
		poll(NULL, 0, (int)(watch * 1000));
	}
	for (k = 0; k < n; k++) {
		cJSON_Delete(v[k].doc);
		cJSON_Delete(v[k].prev);
		free(bases[k]);
	}
	free(v);
	return code;
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
	/* --public-address when given, else --server (admin, with its
	 * credentials), else the default public address */
	int admin = !fl_args_is_set(&ctx->args, "public-address") &&
	            fl_args_is_set(&ctx->args, "server");
	const char *list =
	    fl_args_str(&ctx->args, admin ? "server" : "public-address");
	double watch = fl_args_double(&ctx->args, "watch"), t_prev = 0;
	int json = fl_args_flag(&ctx->args, "json");
	struct fl_ctl_remote r = { NULL, NULL, NULL, 10, NULL };
	char lbuf[2048], *addrs[FL_TUI_FLEET_MAX], *pw = NULL, *base;
	cJSON *prev = NULL;
	int code = FL_EXIT_OK, n;

	snprintf(lbuf, sizeof(lbuf), "%s", list);
	n = fl_tui_fleet_split(lbuf, addrs, FL_TUI_FLEET_MAX);
	if (n <= 0) {
		fprintf(stderr, "flusso status: %s\n",
		        n < 0 ? "at most 16 addresses" : "no address");
		return FL_EXIT_USAGE;
	}
	if (admin) {
		if (fl_cmd_admin_password(ctx, &pw) != FL_EXIT_OK)
			return FL_EXIT_FAIL;
		r.user = fl_args_str(&ctx->args, "admin-user");
		r.password = pw;
	}
	if (n > 1) {
		r.timeout_secs = 5;
		code = status_fleet(addrs, n, &r, watch, json);
		fl_wipe_free(pw);
		return code;
	}
	base = fl_ctl_base_url(addrs[0]);
	r.base = base;

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
	fl_wipe_free(pw);
	return code;
}

const struct fl_cmd_entry fl_cmd_status_entry = {
	.name = "status",
	.usage = "[options]",
	.summary = "Print a running daemon's status (table or --json)",
	.help = "Asks the daemon's public address for /status and prints a "
	        "compact table:\nphase, lag, in-flight changes, rates, one row "
	        "per index. Exit 1 when the\ndaemon cannot be reached.\n"
	        "Several addresses (--public-address A,B or --server A,B, "
	        "admin addresses with\nthe admin credentials) print the "
	        "fleet view: one row per instance (role,\ngroup, phase, lag, "
	        "committed/s with --watch, errors; unreachable ones with "
	        "since\nwhen and why), then every index with its INSTANCE; "
	        "--json prints\n{\"instances\":[{address, reachable, error, "
	        "status}]}. Exit 1 when any instance is\nunreachable.",
	.opts = status_opts,
	.nopts = FL_ARRAY_LEN(status_opts),
	.exec = status_exec,
};
