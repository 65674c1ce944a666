/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * daemon.c - options to a running engine with its HTTP surfaces, and
 * warnings and errors of the log on its status board (fl_log_set_tap),
 * so /status and the dashboard's events pane show every one.
 */
#include "daemon.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_report.h"
#include "config/config_group.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

static int
daemon_admin(struct fl_cmd_ctx *ctx, struct fl_daemon *d)
{
	d->admin_user = fl_args_str(&ctx->args, "admin-user");
	if (strchr(d->admin_user, ':')) {
		fprintf(stderr, "flusso: --admin-user must not contain ':'\n");
		return FL_EXIT_USAGE;
	}
	return fl_cmd_admin_password(ctx, &d->admin_password);
}

static int
daemon_names(struct fl_cmd_ctx *ctx)
{
	const char *slot = fl_args_str(&ctx->args, "slot");
	const char *pub = fl_args_str(&ctx->args, "publication");
	const char *bad = fl_config_check_slot_name(slot) < 0  ? slot
	                  : fl_config_check_slot_name(pub) < 0 ? pub
	                                                       : NULL;

	if (!bad)
		return FL_EXIT_OK;
	fprintf(stderr,
	        "flusso: invalid %s name `%s` (lowercase letters, digits and "
	        "`_`, starting with a letter or `_`, at most 63)\n",
	        bad == slot ? "slot" : "publication", bad);
	return FL_EXIT_USAGE;
}

/* A listener address: the flag or its twin, else the file's, else the
 * option's default. */
static const char *
daemon_address(const struct fl_cmd_ctx *ctx, const char *opt,
               const char *from_file)
{
	if (fl_args_is_set(&ctx->args, opt) || !from_file)
		return fl_args_str(&ctx->args, opt);
	return from_file;
}

/* The log tap: a warning or an error as an event on the board. */
static void
daemon_log_tap(void *arg, enum fl_log_level level, const char *component,
               const char *msg)
{
	fl_board_log(arg, (int)level, component, msg);
}

/* The selection of this instance (the same on every reload). */
static int
daemon_select(struct fl_daemon *d, struct fl_config *cfg,
              struct fl_diags *diags)
{
	struct fl_config_sel sel;

	sel.group = d->sel_group;
	sel.indexes = d->sel_indexes;
	sel.slot = d->base_slot;
	sel.publication = d->base_publication;
	return fl_config_select(cfg, &sel, diags);
}

/* A copy of an optional string. */
static char *
daemon_dup(const char *s)
{
	return s ? fl_xstrdup(s) : NULL;
}

/* `reload`: the same file and overrides, loaded again; every problem
 * is logged, the first named in why. */
static struct fl_config *
daemon_reload(void *arg, char *why, size_t n)
{
	struct fl_daemon *d = arg;
	struct fl_config *cfg;
	struct fl_diags diags;
	size_t i;

	fl_diags_init(&diags);
	cfg = fl_config_load(d->config_path, d->prefix_override, &diags);
	if (cfg &&
	    (fl_config_override_naming(cfg, d->naming_override, &diags) ||
	     daemon_select(d, cfg, &diags))) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	for (i = 0; i < diags.n; i++) {
		char *line = fl_diag_format(&diags.v[i]);

		if (diags.v[i].sev == FL_DIAG_ERROR)
			fl_log_error("reload", "%s", line);
		else
			fl_log_warn("reload", "%s", line);
		if (!cfg && diags.v[i].sev == FL_DIAG_ERROR && !why[0])
			snprintf(why, n,
			         "%zu error%s in the configuration, "
			         "first: %s",
			         diags.nerrors, diags.nerrors == 1 ? "" : "s",
			         line);
		free(line);
	}
	if (!cfg && !why[0])
		snprintf(why, n, "the configuration could not be loaded");
	fl_diags_done(&diags);
	return cfg;
}

static void
daemon_engine_opts(struct fl_cmd_ctx *ctx, struct fl_daemon *d,
                   struct fl_engine_opts *o)
{
	const struct fl_args *a = &ctx->args;

	fl_engine_opts_default(o);
	o->cfg = d->cfg;
	o->board = d->board;
	o->slot = d->slot;
	o->publication = d->publication;
	o->manage_publication = fl_args_is_set(a, "manage-publication")
	                            ? fl_args_flag(a, "manage-publication")
	                            : d->cfg->source.manage_publication;
	o->skip_backfill = fl_args_flag(a, "skip-backfill");
	o->pretty = fl_args_flag(a, "pretty");
	if (fl_args_is_set(a, "workers")) /* else the engine's: the cores */
		o->workers = fl_args_long(a, "workers");
	o->queue_capacity = fl_args_long(a, "queue-capacity");
	o->batch_max_changes = fl_args_long(a, "batch-max-changes");
	o->batch_max_delay_ms = fl_args_long(a, "batch-max-delay-ms");
	o->lag_poll_secs = fl_args_long(a, "lag-poll-secs");
	o->shutdown_grace_secs = fl_args_long(a, "shutdown-grace-secs");
	o->failover_after_secs = fl_args_long(a, "failover-after-secs");
	o->allow_untracked = fl_args_flag(a, "allow-untracked-deletes");
	o->rebuild_on_source_change =
	    fl_args_flag(a, "rebuild-on-source-change");
	/* the dashboard stays after a pipeline failure and offers `retry`;
	 * `flusso run` ends so its supervisor sees the failure */
	o->stay_on_failure = strcmp(ctx->entry->name, "tui") == 0;
	o->reload = daemon_reload;
	o->reload_arg = d;
}

static int
daemon_http(struct fl_daemon *d)
{
	struct fl_httpd_opts ho = { 0 };
	struct fl_err err;

	ho.address = d->public_address;
	ho.local = &d->local;
	if (!(d->pub = fl_httpd_start(&ho, &err))) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		return FL_EXIT_FAIL;
	}
	if (strncmp(d->public_address, "127.", 4) &&
	    strncmp(d->public_address, "[::1]", 5))
		fl_log_warn("http", "public surface bound to %s (not loopback)",
		            d->public_address);
	if (!d->admin_password) {
		fl_log_warn("http",
		            "admin API disabled: set FLUSSO_ADMIN_PASSWORD or "
		            "--admin-password-file to enable it");
		return FL_EXIT_OK;
	}
	ho.address = d->private_address;
	ho.admin = 1;
	ho.user = d->admin_user;
	ho.password = d->admin_password;
	if (!(d->priv = fl_httpd_start(&ho, &err))) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		return FL_EXIT_FAIL;
	}
	if (strncmp(d->private_address, "127.", 4) &&
	    strncmp(d->private_address, "[::1]", 5))
		fl_log_warn("http", "admin API bound to %s (not loopback)",
		            d->private_address);
	return FL_EXIT_OK;
}

int
fl_daemon_open(struct fl_cmd_ctx *ctx, struct fl_daemon *d, int with_http)
{
	struct fl_engine_opts o;
	struct fl_config_sel sel;
	struct fl_diags diags;
	int rc;

	memset(d, 0, sizeof(*d));
	if ((rc = daemon_names(ctx)) || (rc = daemon_admin(ctx, d)))
		return rc;
	fl_diags_init(&diags);
	d->config_path = fl_xstrdup(fl_args_str(&ctx->args, "config"));
	if (fl_args_str(&ctx->args, "index-prefix"))
		d->prefix_override =
		    fl_xstrdup(fl_args_str(&ctx->args, "index-prefix"));
	if (fl_args_str(&ctx->args, "index-naming"))
		d->naming_override =
		    fl_xstrdup(fl_args_str(&ctx->args, "index-naming"));
	fl_cmd_selection(ctx, &sel);
	d->sel_group = daemon_dup(sel.group);
	d->sel_indexes = daemon_dup(sel.indexes);
	d->base_slot = daemon_dup(sel.slot);
	d->base_publication = daemon_dup(sel.publication);
	d->cfg = fl_config_load(d->config_path, d->prefix_override, &diags);
	if (d->cfg &&
	    (fl_config_override_naming(d->cfg, d->naming_override, &diags) ||
	     daemon_select(d, d->cfg, &diags))) {
		fl_config_free(d->cfg);
		d->cfg = NULL;
	}
	fl_check_print_diags(&diags, stderr, ctx->color);
	fl_diags_done(&diags);
	if (!d->cfg)
		return FL_EXIT_FAIL;
	d->slot = fl_xstrdup(d->cfg->slot);
	d->publication = fl_xstrdup(d->cfg->publication);
	if (d->cfg->group || d->sel_indexes)
		fl_log_info("config",
		            "running %zu index%s of %s%s with slot %s and "
		            "publication %s",
		            d->cfg->nindexes, d->cfg->nindexes == 1 ? "" : "es",
		            d->cfg->group ? "group " : "--indexes ",
		            d->cfg->group ? d->cfg->group : d->sel_indexes,
		            d->slot, d->publication);
	d->public_address = fl_xstrdup(
	    daemon_address(ctx, "public-address", d->cfg->public_address));
	d->private_address = fl_xstrdup(
	    daemon_address(ctx, "private-address", d->cfg->private_address));
	d->board = fl_board_new();
	fl_log_set_tap(daemon_log_tap, d->board);
	daemon_engine_opts(ctx, d, &o);
	d->engine = fl_engine_new(&o);
	d->local.engine = d->engine;
	d->local.board = d->board;
	if (with_http && (rc = daemon_http(d)) != FL_EXIT_OK)
		return rc;
	return FL_EXIT_OK;
}

int
fl_daemon_start(struct fl_daemon *d)
{
	struct fl_err err;

	if (fl_engine_start(d->engine, &err) < 0) {
		fprintf(stderr, "flusso: %s\n", err.msg);
		return FL_EXIT_FAIL;
	}
	d->started = 1;
	return FL_EXIT_OK;
}

int
fl_daemon_close(struct fl_daemon *d)
{
	int code = FL_EXIT_OK;

	fl_httpd_stop(d->priv);
	fl_httpd_stop(d->pub);
	if (d->engine && d->started)
		code = fl_engine_wait(d->engine) ? FL_EXIT_FAIL : FL_EXIT_OK;
	fl_engine_free(d->engine);
	if (d->board)
		fl_log_set_tap(NULL, NULL);
	fl_board_free(d->board);
	fl_config_free(d->cfg);
	free(d->admin_password);
	free(d->public_address);
	free(d->private_address);
	free(d->config_path);
	free(d->prefix_override);
	free(d->naming_override);
	free(d->sel_group);
	free(d->sel_indexes);
	free(d->base_slot);
	free(d->base_publication);
	free(d->slot);
	free(d->publication);
	memset(d, 0, sizeof(*d));
	return code;
}
