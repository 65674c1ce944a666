/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_opts.c - the option table parser (flags, env twins, precedence,
 * typed defaults, validation, hints) and the command table, shortcuts
 * included (every entry documented in the README and the man page).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "opts.h"
#include "tap.h"
#include "util/buf.h"

static const char *const t_formats[] = { "human", "json", NULL };

static const struct fl_opt t_opts[] = {
	FL_OPTS_CONFIG,
	{ .name = "offline", .kind = FL_OPT_FLAG, .help = "x" },
	{ .name = "queue-capacity",
	  .kind = FL_OPT_INT,
	  .metavar = "N",
	  .help = "x",
	  .def_num = 1024,
	  .min = 1,
	  .max = 1048576 },
	{ .name = "manage-publication",
	  .kind = FL_OPT_BOOL,
	  .metavar = "B",
	  .help = "x" },
	{ .name = "refresh",
	  .kind = FL_OPT_DOUBLE,
	  .metavar = "S",
	  .help = "x",
	  .def_dnum = 1.5,
	  .dmin = 0.5,
	  .dmax = 10 },
	{ .name = "format",
	  .kind = FL_OPT_STR,
	  .metavar = "F",
	  .help = "x",
	  .choices = t_formats },
	FL_OPTS_LOG,
};

static int
t_parse(int argc, const char *const *argv, struct fl_args *a,
        struct fl_err *err)
{
	fl_err_clear(err);
	return fl_opts_parse(t_opts, FL_ARRAY_LEN(t_opts), argc, argv, a, err);
}

TAP_TEST(test_forms)
{
	const char *argv[] = {
		"--config=a.yml", "--queue-capacity", "8",  "-C",
		"pos1",           "--offline",        "--", "--not-an-option"
	};
	struct fl_args a;
	struct fl_err err;

	unsetenv("FLUSSO_CONFIG");
	is_long(t_parse(8, argv, &a, &err), 0, "parses");
	is_str(fl_args_str(&a, "config"), "a.yml", "--x=v form");
	is_long(fl_args_long(&a, "queue-capacity"), 8, "--x v form");
	ok(fl_args_flag(&a, "no-color"), "short flag");
	ok(fl_args_flag(&a, "offline"), "long flag");
	is_long((long)a.npos, 2, "two positionals");
	is_str(a.pos[1], "--not-an-option", "-- ends options");
	ok(fl_args_str(&a, "index-prefix") == NULL, "no default: NULL");
}

TAP_TEST(test_short_value)
{
	const char *argv1[] = { "-cfile.yml" };
	const char *argv2[] = { "-c", "other.yml" };
	struct fl_args a;
	struct fl_err err;

	is_long(t_parse(1, argv1, &a, &err), 0, "-cVALUE");
	is_str(fl_args_str(&a, "config"), "file.yml", "attached value");
	is_long(t_parse(2, argv2, &a, &err), 0, "-c VALUE");
	is_str(fl_args_str(&a, "config"), "other.yml", "next value");
}

TAP_TEST(test_env_twins)
{
	const char *argv[] = { "--log-level", "debug" };
	struct fl_args a;
	struct fl_err err;

	setenv("FLUSSO_CONFIG", "env.yml", 1);
	setenv("FLUSSO_LOG_LEVEL", "warn", 1);
	setenv("FLUSSO_OFFLINE", "TRUE", 1);
	setenv("FLUSSO_MANAGE_PUBLICATION", "0", 1);
	is_long(t_parse(2, argv, &a, &err), 0, "parses with env");
	is_str(fl_args_str(&a, "config"), "env.yml", "env used");
	is_str(fl_args_str(&a, "log-level"), "debug", "flag beats env");
	ok(fl_args_flag(&a, "offline"), "boolean env twin TRUE");
	ok(fl_args_is_set(&a, "manage-publication") &&
	       !fl_args_flag(&a, "manage-publication"),
	   "boolean env twin 0");
	setenv("FLUSSO_OFFLINE", "yes", 1);
	is_long(t_parse(0, NULL, &a, &err), -1, "env yes refused");
	has_str(err.msg, "FLUSSO_OFFLINE", "error names the variable");
	unsetenv("FLUSSO_OFFLINE");
	unsetenv("FLUSSO_CONFIG");
	unsetenv("FLUSSO_LOG_LEVEL");
	unsetenv("FLUSSO_MANAGE_PUBLICATION");
}

/* A repeatable option keeps every value; argv replaces the env twin. */
TAP_TEST(test_repeat)
{
	const char *argv[] = { "--log-filter", "index=a", "--log-level",
		               "debug", "--log-filter=table=b" };
	const char *many[2 * FL_MAX_REPEAT + 2];
	const char *v[FL_MAX_REPEAT];
	struct fl_args a;
	struct fl_err err;
	size_t i;

	unsetenv("FLUSSO_LOG_FILTER");
	is_long(t_parse(0, NULL, &a, &err), 0, "parses nothing");
	is_long((long)fl_args_strs(&a, "log-filter", v, 4), 0, "no value");
	setenv("FLUSSO_LOG_FILTER", "index=env", 1);
	is_long(t_parse(0, NULL, &a, &err), 0, "parses with env");
	is_long((long)fl_args_strs(&a, "log-filter", v, 4), 1, "env: one");
	is_str(v[0], "index=env", "the env value");
	is_long(t_parse(5, argv, &a, &err), 0, "parses two flags");
	is_long((long)fl_args_strs(&a, "log-filter", v, 4), 2, "two values");
	is_str(v[0], "index=a", "first, in order");
	is_str(v[1], "table=b", "second (--x=v form)");
	is_str(fl_args_str(&a, "log-filter"), "table=b", "the last one");
	is_long((long)fl_args_strs(&a, "log-filter", v, 1), 1, "at most max");
	unsetenv("FLUSSO_LOG_FILTER");
	for (i = 0; i < FL_MAX_REPEAT + 1; i++) {
		many[2 * i] = "--log-filter";
		many[2 * i + 1] = "index=x";
	}
	is_long(t_parse((int)(2 * FL_MAX_REPEAT + 2), many, &a, &err), -1,
	        "too many values refused");
	has_str(err.msg, "--log-filter given more than", "says so");
}

/* Unset options read as the table's defaults, typed; --help shows them. */
TAP_TEST(test_defaults)
{
	const char *argv[] = { "--refresh", "2" };
	struct fl_args a;
	struct fl_err err;
	char *help = NULL;
	size_t helplen = 0;
	FILE *f;

	unsetenv("FLUSSO_CONFIG");
	unsetenv("FLUSSO_QUEUE_CAPACITY");
	is_long(t_parse(0, NULL, &a, &err), 0, "parses nothing");
	is_str(fl_args_str(&a, "config"), "flusso.yml", "string default");
	is_str(fl_args_str(&a, "log-level"), "info", "shared default");
	is_long(fl_args_long(&a, "queue-capacity"), 1024, "number default");
	ok(fl_args_double(&a, "refresh") == 1.5, "double default");
	ok(!fl_args_is_set(&a, "queue-capacity"), "a default is not set");
	setenv("FLUSSO_QUEUE_CAPACITY", "7", 1);
	is_long(t_parse(2, argv, &a, &err), 0, "parses with env");
	is_long(fl_args_long(&a, "queue-capacity"), 7,
	        "env twin beats default");
	ok(fl_args_double(&a, "refresh") == 2, "flag beats default");
	unsetenv("FLUSSO_QUEUE_CAPACITY");
	f = open_memstream(&help, &helplen);
	fl_opts_print_help(t_opts, FL_ARRAY_LEN(t_opts), f);
	fclose(f);
	has_str(help, "(default: flusso.yml)", "help shows a string default");
	has_str(help, "(default: 1024)", "help shows a number default");
	has_str(help, "(default: 1.5)", "help shows a double default");
	free(help);
}

TAP_TEST(test_errors)
{
	const char *unknown[] = { "--confg", "x" };
	const char *far[] = { "--zzzzzzzz" };
	const char *missing[] = { "--config" };
	const char *range[] = { "--queue-capacity", "0" };
	const char *nan[] = { "--queue-capacity", "ten" };
	const char *choice[] = { "--format", "yaml" };
	const char *dbl[] = { "--refresh", "20" };
	const char *bad_short[] = { "-Z" };
	const char *boolv[] = { "--manage-publication", "maybe" };
	struct fl_args a;
	struct fl_err err;

	is_long(t_parse(2, unknown, &a, &err), -1, "unknown option");
	has_str(err.msg, "did you mean '--config'", "with a hint");
	is_long(t_parse(1, far, &a, &err), -1, "far unknown option");
	ok(strstr(err.msg, "did you mean") == NULL, "no silly hint");
	is_long(t_parse(1, missing, &a, &err), -1, "missing value");
	has_str(err.msg, "needs a value", "says so");
	is_long(t_parse(2, range, &a, &err), -1, "zero refused");
	has_str(err.msg, "between 1 and 1048576", "range in the message");
	is_long(t_parse(2, nan, &a, &err), -1, "not a number");
	is_long(t_parse(2, choice, &a, &err), -1, "not a choice");
	has_str(err.msg, "human, json", "choices listed");
	is_long(t_parse(2, dbl, &a, &err), -1, "double out of range");
	is_long(t_parse(1, bad_short, &a, &err), -1, "unknown short");
	is_long(t_parse(2, boolv, &a, &err), -1, "bad bool value");
}

TAP_TEST(test_help_flag)
{
	const char *argv[] = { "--bogus", "--help" };
	struct fl_args a;
	struct fl_err err;

	is_long(t_parse(2, argv, &a, &err), 0, "--help wins over errors");
	ok(a.help, "help requested");
}

static char *
t_slurp(const char *rel)
{
	const char *dir = getenv("FLUSSO_SOURCE_DIR");
	char path[4096];
	struct fl_buf b;
	char chunk[4096];
	size_t n;
	FILE *f;

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fl_buf_init(&b, 1 << 22);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	fclose(f);
	return fl_buf_steal(&b);
}

/* "--log-level" as roff writes it: "\\-\\-log\\-level". */
static void
t_man_escape(const char *name, char *out, size_t n)
{
	size_t i = 0;

	out[i++] = '\\';
	out[i++] = '-';
	out[i++] = '\\';
	out[i++] = '-';
	for (; *name && i + 3 < n; name++) {
		if (*name == '-')
			out[i++] = '\\';
		out[i++] = *name;
	}
	out[i] = '\0';
}

/* A default the option itself would accept (0 is "none" for numbers). */
static int
t_default_valid(const struct fl_opt *o)
{
	size_t i;

	switch (o->kind) {
	case FL_OPT_INT:
		return !o->def_num ||
		       (o->def_num >= o->min && o->def_num <= o->max);
	case FL_OPT_DOUBLE:
		return o->def_dnum == 0 ||
		       (o->def_dnum >= o->dmin && o->def_dnum <= o->dmax);
	case FL_OPT_STR:
		if (!o->def || !o->choices)
			return 1;
		for (i = 0; o->choices[i]; i++)
			if (strcmp(o->choices[i], o->def) == 0)
				return 1;
		return 0;
	default:
		return 1;
	}
}

/* Every command is complete and documented (curl test1139, git t0450). */
TAP_TEST(test_table_documented)
{
	char *readme = t_slurp("README.md");
	char *man = t_slurp("share/flusso.1");
	struct fl_cmd_entry tmp, tmp2;
	const struct fl_cmd_entry *e, *found;
	char want[128];
	size_t i, j;

	ok(readme != NULL, "README.md readable");
	ok(man != NULL, "share/flusso.1 readable");
	for (i = 0; (e = fl_cmd_at(i, &tmp)) != NULL; i++) {
		ok(e->name && e->summary && (e->usage || e->ctl) && e->exec,
		   "entry is complete");
		found = fl_cmd_find(e->name, &tmp2);
		ok(found &&
		       (found == e || (found->ctl && found->ctl == e->ctl)),
		   "found by name");
		snprintf(want, sizeof(want), "flusso %s", e->name);
		has_str(readme, want, "README mentions the command");
		snprintf(want, sizeof(want), ".B %s", e->name);
		has_str(man, want, "man page documents the command");
		for (j = 0; j < e->nopts; j++) {
			ok(e->opts[j].help && *e->opts[j].help,
			   "option has help");
			if (!ok(t_default_valid(&e->opts[j]),
			        "the default is a valid value"))
				printf("#   command %s option %s\n", e->name,
				       e->opts[j].name);
			t_man_escape(e->opts[j].name, want, sizeof(want));
			if (!has_str(man, want,
			             "man page documents the option"))
				printf("#   command %s option %s\n", e->name,
				       e->opts[j].name);
		}
	}
	free(readme);
	free(man);
}

int
main(void)
{
	tap_run(test_forms);
	tap_run(test_short_value);
	tap_run(test_env_twins);
	tap_run(test_repeat);
	tap_run(test_defaults);
	tap_run(test_errors);
	tap_run(test_help_flag);
	tap_run(test_table_documented);
	return tap_done();
}
