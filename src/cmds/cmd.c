/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd.c - the subcommand table and dispatch: find the command, parse its
 * options (flags, then FLUSSO_* twins), set up logging, run the handler,
 * check that stdout was written successfully.
 *
 * Usage errors (unknown command or option, bad value) print a short
 * message and a usage line to stderr and exit 2.
 */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_report.h"
#include "config/config.h"
#include "config/config_group.h"
#include "core/commands.h"
#include "util/log.h"
#include "util/strutil.h"
#include "util/xmem.h"

const struct fl_cmd_entry *const fl_cmd_table[] = {
	&fl_cmd_run_entry,     &fl_cmd_tui_entry,    &fl_cmd_status_entry,
	&fl_cmd_check_entry,   &fl_cmd_config_entry, &fl_cmd_verify_entry,
	&fl_cmd_slot_entry,    &fl_cmd_ctl_entry,    &fl_cmd_completion_entry,
	&fl_cmd_version_entry, &fl_cmd_help_entry,   NULL,
};

const struct fl_cmd_entry *
fl_cmd_at(size_t i, struct fl_cmd_entry *tmp)
{
	size_t k, j;

	for (k = 0; fl_cmd_table[k]; k++) {
		if (i-- == 0)
			return fl_cmd_table[k];
		if (fl_cmd_table[k] != &fl_cmd_ctl_entry)
			continue;
		for (j = 0; fl_ctl_table[j].name; j++) {
			if (!(fl_ctl_table[j].flags &
			      (FL_CTL_SHORTCUT | FL_CTL_OFFLINE)))
				continue;
			if (i-- == 0) {
				fl_cmd_ctl_shortcut(&fl_ctl_table[j], tmp);
				return tmp;
			}
		}
	}
	return NULL;
}

const struct fl_cmd_entry *
fl_cmd_find(const char *name, struct fl_cmd_entry *tmp)
{
	const struct fl_cmd_entry *e;
	size_t i;

	for (i = 0; (e = fl_cmd_at(i, tmp)) != NULL; i++)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

size_t
fl_cmd_names(const char **names, size_t max)
{
	struct fl_cmd_entry tmp;
	const struct fl_cmd_entry *e;
	size_t i;

	for (i = 0; i < max && (e = fl_cmd_at(i, &tmp)) != NULL; i++)
		names[i] = e->name; /* a shortcut's name is the table's */
	return i;
}

/* The usage after "flusso <name> "; a shortcut's from its arguments. */
static void
cmd_usage(const struct fl_cmd_entry *e, char *out, size_t n)
{
	char args[128];

	if (!e->ctl) {
		snprintf(out, n, "%s", e->usage);
		return;
	}
	fl_ctl_args_usage(e->ctl, args, sizeof(args));
	snprintf(out, n, "[options]%s%s", args[0] ? " " : "", args);
}

/* The summary with a capital (the control table's are lower case). */
static void
cmd_summary(const struct fl_cmd_entry *e, char *out, size_t n)
{
	snprintf(out, n, "%s", e->summary);
	out[0] = (char)toupper((unsigned char)out[0]);
}

void
fl_cmd_print_overview(FILE *f)
{
	struct fl_cmd_entry tmp;
	const struct fl_cmd_entry *e;
	char summary[256];
	size_t i;

	fprintf(f, "flusso %s - keep OpenSearch in sync with PostgreSQL\n\n",
	        FLUSSO_VERSION);
	fprintf(f, "usage: flusso <command> [options]\n"
	           "       flusso help <command>\n"
	           "       flusso --version\n\n"
	           "Commands:\n");
	for (i = 0; (e = fl_cmd_at(i, &tmp)) != NULL; i++) {
		cmd_summary(e, summary, sizeof(summary));
		fprintf(f, "  %-10s %s%s\n", e->name, summary,
		        e->ctl && !(e->ctl->flags & FL_CTL_OFFLINE)
		            ? " (daemon)"
		            : "");
	}
	fprintf(f, "\nEvery option can also be set with a FLUSSO_* environment "
	           "variable\n(--log-level is FLUSSO_LOG_LEVEL); the flag "
	           "wins.\n"
	           "Exit codes: 0 success, 1 error, 2 usage error, 3 a "
	           "difference found\n(inspect, verify).\n"
	           "See 'flusso <command> --help' and flusso(1).\n");
}

void
fl_cmd_print_help(const struct fl_cmd_entry *e, FILE *f)
{
	char usage[160], summary[256];

	cmd_usage(e, usage, sizeof(usage));
	cmd_summary(e, summary, sizeof(summary));
	fprintf(f, "usage: flusso %s %s\n\n%s\n", e->name, usage, summary);
	if (e->help)
		fprintf(f, "\n%s\n", e->help);
	if (e->print_help) {
		fprintf(f, "\n");
		e->print_help(f);
	}
	fprintf(f, "\n");
	fl_opts_print_help(e->opts, e->nopts, f);
}

int
fl_cmd_not_built(const struct fl_cmd_ctx *ctx)
{
	fprintf(stderr, "flusso %s: not built yet\n", ctx->entry->name);
	return FL_EXIT_FAIL;
}

/* The first line of a password file (*out NULL when it is empty). */
static int
cmd_password_file(const char *file, char **out)
{
	char line[1024];
	FILE *f;
	size_t n;

	if (!(f = fopen(file, "r"))) {
		fprintf(stderr,
		        "flusso: cannot read the admin password file %s: %s\n",
		        file, strerror(errno));
		return FL_EXIT_FAIL;
	}
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (line[0])
		*out = fl_xstrdup(line);
	return FL_EXIT_OK;
}

/* The value of option `name` when the command has it, else NULL. */
static const char *
cmd_opt_str(const struct fl_cmd_ctx *ctx, const char *name)
{
	size_t i;

	for (i = 0; i < ctx->args.nopts; i++)
		if (strcmp(ctx->args.opts[i].name, name) == 0)
			return fl_args_str(&ctx->args, name);
	return NULL;
}

void
fl_cmd_selection(const struct fl_cmd_ctx *ctx, struct fl_config_sel *out)
{
	memset(out, 0, sizeof(*out));
	out->group = cmd_opt_str(ctx, "group");
	out->indexes = cmd_opt_str(ctx, "indexes");
	out->slot = cmd_opt_str(ctx, "slot");
	out->publication = cmd_opt_str(ctx, "publication");
}

int
fl_cmd_select(const struct fl_cmd_ctx *ctx, struct fl_config *cfg,
              struct fl_diags *diags)
{
	struct fl_config_sel sel;

	fl_cmd_selection(ctx, &sel);
	return fl_config_select(cfg, &sel, diags);
}

struct fl_config *
fl_cmd_load_config(const struct fl_cmd_ctx *ctx)
{
	struct fl_diags diags;
	struct fl_config *cfg;

	fl_diags_init(&diags);
	cfg = fl_config_load(fl_args_str(&ctx->args, "config"),
	                     fl_args_str(&ctx->args, "index-prefix"), &diags);
	if (cfg && (fl_config_override_naming(
	                cfg, fl_args_str(&ctx->args, "index-naming"), &diags) ||
	            fl_cmd_select(ctx, cfg, &diags))) {
		fl_config_free(cfg);
		cfg = NULL;
	}
	fl_check_print_diags(&diags, stderr, ctx->color);
	fl_diags_done(&diags);
	return cfg;
}

int
fl_cmd_admin_password(const struct fl_cmd_ctx *ctx, char **out)
{
	const char *file = fl_args_str(&ctx->args, "admin-password-file");
	const char *pw = fl_args_str(&ctx->args, "admin-password");
	const char *creds = getenv("CREDENTIALS_DIRECTORY");
	char path[4096];

	*out = NULL;
	if (file)
		return cmd_password_file(file, out);
	if (fl_args_is_set(&ctx->args, "admin-password")) {
		if (pw && *pw)
			*out = fl_xstrdup(pw);
		return FL_EXIT_OK;
	}
	/* systemd's LoadCredential=admin-password:... */
	if (!creds || !*creds ||
	    (size_t)snprintf(path, sizeof(path), "%s/admin-password", creds) >=
	        sizeof(path) ||
	    access(path, F_OK) != 0)
		return FL_EXIT_OK;
	return cmd_password_file(path, out);
}

static int
cmd_usage_error(const struct fl_cmd_entry *e, const char *msg)
{
	char usage[160];

	fprintf(stderr, "flusso: %s\n", msg);
	if (e) {
		cmd_usage(e, usage, sizeof(usage));
		fprintf(stderr,
		        "usage: flusso %s %s\n"
		        "Try 'flusso %s --help' for more information.\n",
		        e->name, usage, e->name);
	} else {
		fprintf(stderr, "usage: flusso <command> [options]\n"
		                "Try 'flusso --help' for the list of "
		                "commands.\n");
	}
	return FL_EXIT_USAGE;
}

static int
cmd_unknown(const char *name)
{
	const char *names[32];
	const char *hint;
	char msg[256];
	size_t n = fl_cmd_names(names, FL_ARRAY_LEN(names));

	hint = fl_str_suggest(name, names, n, 2);
	if (hint)
		snprintf(msg, sizeof(msg),
		         "unknown command '%s'; did you mean '%s'?", name,
		         hint);
	else
		snprintf(msg, sizeof(msg), "unknown command '%s'", name);
	return cmd_usage_error(NULL, msg);
}

static int
cmd_has_opt(const struct fl_cmd_entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->nopts; i++)
		if (strcmp(e->opts[i].name, name) == 0)
			return 1;
	return 0;
}

/* Apply --log-filter (every value, joined): FL_EXIT_USAGE when bad. */
static int
cmd_setup_filter(struct fl_cmd_ctx *ctx)
{
	const char *v[FL_MAX_REPEAT];
	size_t n = fl_args_strs(&ctx->args, "log-filter", v, FL_MAX_REPEAT);
	char spec[2048], msg[FL_ERR_MSG_MAX + 32];
	struct fl_err err;
	size_t i, len = 0;

	spec[0] = '\0';
	for (i = 0; i < n && len < sizeof(spec); i++) {
		int w = snprintf(spec + len, sizeof(spec) - len, "%s%s",
		                 i ? "," : "", v[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (len >= sizeof(spec))
		return cmd_usage_error(ctx->entry, "--log-filter is too long");
	if (fl_log_set_filter(spec, &err) < 0) {
		snprintf(msg, sizeof(msg), "invalid value for %s: %.400s",
		         fl_args_get(&ctx->args, "log-filter")->src ==
		                 FL_OPT_FROM_ENV
		             ? "FLUSSO_LOG_FILTER"
		             : "--log-filter",
		         err.msg);
		return cmd_usage_error(ctx->entry, msg);
	}
	return FL_EXIT_OK;
}

/* Apply --log-level, --log-format, --log-filter and colour settings,
 * where declared: FL_EXIT_USAGE when the filter is bad. */
static int
cmd_setup_logging(struct fl_cmd_ctx *ctx)
{
	const char *no_color = getenv("NO_COLOR");
	const char *term = getenv("TERM");
	int color =
	    !(no_color && *no_color) && !(term && !strcmp(term, "dumb"));
	enum fl_log_level level;
	enum fl_log_format format;

	if (cmd_has_opt(ctx->entry, "no-color") &&
	    fl_args_flag(&ctx->args, "no-color"))
		color = 0;
	if (cmd_has_opt(ctx->entry, "log-level") &&
	    fl_log_level_parse(fl_args_str(&ctx->args, "log-level"), &level) ==
	        0)
		fl_log_set_level(level);
	if (cmd_has_opt(ctx->entry, "log-format") &&
	    fl_log_format_parse(fl_args_str(&ctx->args, "log-format"),
	                        &format) == 0)
		fl_log_set_format(format);
	fl_log_set_color(color);
	ctx->color = color && isatty(STDOUT_FILENO);
	if (cmd_has_opt(ctx->entry, "log-filter"))
		return cmd_setup_filter(ctx);
	return FL_EXIT_OK;
}

/* Report a failed write to stdout (full disk, closed pipe) as an error. */
static int
cmd_finish_stdout(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "flusso: error writing output: %s\n",
			        strerror(errno));
		return code ? code : FL_EXIT_FAIL;
	}
	return code;
}

int
fl_cmd_main(int argc, char **argv)
{
	struct fl_cmd_ctx ctx;
	struct fl_err err;
	const char *name;

	if (argc < 2) {
		fl_cmd_print_overview(stderr);
		return FL_EXIT_USAGE;
	}
	name = argv[1];
	if (!strcmp(name, "-h") || !strcmp(name, "--help")) {
		fl_cmd_print_overview(stdout);
		return cmd_finish_stdout(FL_EXIT_OK);
	}
	if (!strcmp(name, "-V") || !strcmp(name, "--version")) {
		printf("flusso %s\n", FLUSSO_VERSION);
		return cmd_finish_stdout(FL_EXIT_OK);
	}
	if (name[0] == '-') {
		char msg[128];

		snprintf(msg, sizeof(msg), "option '%s' must follow a command",
		         name);
		return cmd_usage_error(NULL, msg);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.entry = fl_cmd_find(name, &ctx.shortcut);
	if (!ctx.entry)
		return cmd_unknown(name);
	fl_err_clear(&err);
	if ((ctx.entry->opts_head ? fl_opts_parse_head : fl_opts_parse)(
	        ctx.entry->opts, ctx.entry->nopts, argc - 2,
	        (const char *const *)(argv + 2), &ctx.args, &err) < 0)
		return cmd_usage_error(ctx.entry, err.msg);
	if (ctx.args.help) {
		fl_cmd_print_help(ctx.entry, stdout);
		return cmd_finish_stdout(FL_EXIT_OK);
	}
	if (ctx.args.npos > ctx.entry->max_pos) {
		char msg[256];

		snprintf(msg, sizeof(msg), "unexpected argument '%s'",
		         ctx.args.pos[ctx.entry->max_pos]);
		return cmd_usage_error(ctx.entry, msg);
	}
	if (cmd_setup_logging(&ctx) != FL_EXIT_OK)
		return FL_EXIT_USAGE;
	return cmd_finish_stdout(ctx.entry->exec(&ctx));
}
