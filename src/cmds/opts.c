/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.c - parse argv and FLUSSO_* environment twins against an option
 * table, and print the table as help.
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, grouped
 * short flags (-CU), and "--" to end options. -h/--help is implicit in
 * every table. Values are borrowed from argv / environ (never copied).
 */
#include "opts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/strutil.h"

const char *const fl_opt_log_levels[] = { "error", "warn",  "info",
	                                  "debug", "trace", NULL };
const char *const fl_opt_log_formats[] = { "text", "json", NULL };
const char *const fl_opt_index_namings[] = { "ours", "reference", NULL };

void
fl_opt_env_name(const struct fl_opt *opt, char *out, size_t n)
{
	size_t i = 0, j;
	const char *pre = "FLUSSO_";

	for (j = 0; pre[j] && i + 1 < n; j++)
		out[i++] = pre[j];
	for (j = 0; opt->name[j] && i + 1 < n; j++) {
		char c = opt->name[j];

		out[i++] = c == '-' ? '_' : (char)toupper((unsigned char)c);
	}
	out[i] = '\0';
}

static int
opts_choice_ok(const struct fl_opt *o, const char *v)
{
	size_t i;

	if (!o->choices)
		return 1;
	for (i = 0; o->choices[i]; i++)
		if (strcasecmp(o->choices[i], v) == 0)
			return 1;
	return 0;
}

static void
opts_choice_list(const struct fl_opt *o, char *out, size_t n)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; o->choices[i] && len < n; i++) {
		int w = snprintf(out + len, n - len, "%s%s", i ? ", " : "",
		                 o->choices[i]);

		if (w < 0)
			break;
		len += (size_t)w;
	}
}

/*
 * Validate and store one value. `where` names its origin for messages
 * ("--log-level" or "FLUSSO_LOG_LEVEL").
 */
static int
opts_store(const struct fl_opt *o, struct fl_optval *v, const char *val,
           enum fl_opt_src src, const char *where, struct fl_err *err)
{
	char list[256];
	char *end;
	long num;
	int r;

	switch (o->kind) {
	case FL_OPT_FLAG:
	case FL_OPT_BOOL:
		if (fl_str_parse_bool(val, &v->on) < 0)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: expected "
			                  "true, false, 1 or 0",
			                  val, where);
		break;
	case FL_OPT_INT:
		r = fl_str_parse_long(val, o->min, o->max, &num);
		if (r == -1)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: expected "
			                  "an integer",
			                  val, where);
		if (r == -2)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: must be "
			                  "between %ld and %ld",
			                  val, where, o->min, o->max);
		v->num = num;
		break;
	case FL_OPT_DOUBLE:
		v->dnum = strtod(val, &end);
		if (!*val || *end || v->dnum != v->dnum)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: expected "
			                  "a number",
			                  val, where);
		if (v->dnum < o->dmin || v->dnum > o->dmax)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: must be "
			                  "between %g and %g",
			                  val, where, o->dmin, o->dmax);
		break;
	case FL_OPT_STR:
		if (!opts_choice_ok(o, val)) {
			opts_choice_list(o, list, sizeof(list));
			return fl_err_set(err, FL_ERR_INVALID,
			                  "invalid value '%s' for %s: expected "
			                  "one of %s",
			                  val, where, list);
		}
		break;
	}
	v->str = val;
	v->src = src;
	return 0;
}

/* Store a value (opts_store) and keep it in the list of a repeatable
 * option: the first value from argv replaces those of the env twin. */
static int
opts_put(const struct fl_opt *opts, struct fl_args *out, size_t k,
         const char *val, enum fl_opt_src src, const char *where,
         struct fl_err *err)
{
	size_t i, j;

	if (opts_store(&opts[k], &out->vals[k], val, src, where, err) < 0)
		return -1;
	if (!opts[k].repeat)
		return 0;
	for (i = j = 0; i < out->nrep; i++)
		if (out->rep[i].opt != k || out->rep[i].src == src)
			out->rep[j++] = out->rep[i];
	out->nrep = j;
	if (out->nrep == FL_MAX_REPEAT)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "%s given more than %d times", where,
		                  FL_MAX_REPEAT);
	out->rep[out->nrep].opt = k;
	out->rep[out->nrep].src = src;
	out->rep[out->nrep].str = val;
	out->nrep++;
	return 0;
}

static int
opts_from_env(const struct fl_opt *opts, size_t nopts, struct fl_args *out,
              struct fl_err *err)
{
	char name[96];
	size_t i;

	for (i = 0; i < nopts; i++) {
		const char *val;

		fl_opt_env_name(&opts[i], name, sizeof(name));
		val = getenv(name);
		if (!val)
			continue;
		if (opts_put(opts, out, i, val, FL_OPT_FROM_ENV, name, err) < 0)
			return fl_err_prefix(err, "environment");
	}
	return 0;
}

static int
opts_unknown(const struct fl_opt *opts, size_t nopts, const char *arg,
             struct fl_err *err)
{
	const char *cands[FL_MAX_OPTS + 1];
	const char *hint;
	char word[64];
	size_t i, n;

	for (i = 0; i < nopts; i++)
		cands[i] = opts[i].name;
	cands[nopts] = "help";
	n = strcspn(arg + 2, "=");
	if (n >= sizeof(word))
		n = sizeof(word) - 1;
	memcpy(word, arg + 2, n);
	word[n] = '\0';
	hint = arg[1] == '-' ? fl_str_suggest(word, cands, nopts + 1, 2) : NULL;
	if (hint)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "unknown option '%s'; did you mean '--%s'?",
		                  arg, hint);
	return fl_err_set(err, FL_ERR_INVALID, "unknown option '%s'", arg);
}

static int
opts_find_long(const struct fl_opt *opts, size_t nopts, const char *name,
               size_t len)
{
	size_t i;

	for (i = 0; i < nopts; i++)
		if (strlen(opts[i].name) == len &&
		    strncmp(opts[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

static int
opts_find_short(const struct fl_opt *opts, size_t nopts, char c)
{
	size_t i;

	for (i = 0; i < nopts; i++)
		if (opts[i].letter == c)
			return (int)i;
	return -1;
}

/* Handle argv[*i], a "--name[=value]" argument. */
static int
opts_long(const struct fl_opt *opts, size_t nopts, int argc,
          const char *const *argv, int *i, struct fl_args *out,
          struct fl_err *err)
{
	const char *arg = argv[*i];
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	int k = opts_find_long(opts, nopts, arg + 2, len);
	const char *val;
	char where[80];

	if (k < 0)
		return opts_unknown(opts, nopts, arg, err);
	snprintf(where, sizeof(where), "--%s", opts[k].name);
	if (opts[k].kind == FL_OPT_FLAG) {
		if (eq)
			return opts_store(&opts[k], &out->vals[k], eq + 1,
			                  FL_OPT_FROM_ARGV, where, err);
		out->vals[k].on = 1;
		out->vals[k].str = "true";
		out->vals[k].src = FL_OPT_FROM_ARGV;
		return 0;
	}
	if (eq) {
		val = eq + 1;
	} else {
		if (*i + 1 >= argc)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "option '%s' needs a value (%s)",
			                  where, opts[k].metavar);
		val = argv[++*i];
	}
	return opts_put(opts, out, (size_t)k, val, FL_OPT_FROM_ARGV, where,
	                err);
}

/* Handle argv[*i], a "-x", "-xVALUE" or grouped "-xyz" argument. */
static int
opts_short(const struct fl_opt *opts, size_t nopts, int argc,
           const char *const *argv, int *i, struct fl_args *out,
           struct fl_err *err)
{
	const char *arg = argv[*i];
	size_t j;

	for (j = 1; arg[j]; j++) {
		int k = opts_find_short(opts, nopts, arg[j]);
		char where[8];
		const char *val;

		snprintf(where, sizeof(where), "-%c", arg[j]);
		if (k < 0)
			return fl_err_set(err, FL_ERR_INVALID,
			                  "unknown option '%s'", where);
		if (opts[k].kind == FL_OPT_FLAG) {
			out->vals[k].on = 1;
			out->vals[k].str = "true";
			out->vals[k].src = FL_OPT_FROM_ARGV;
			continue;
		}
		if (arg[j + 1]) {
			val = arg + j + 1;
		} else {
			if (*i + 1 >= argc)
				return fl_err_set(err, FL_ERR_INVALID,
				                  "option '%s' needs a value "
				                  "(%s)",
				                  where, opts[k].metavar);
			val = argv[++*i];
		}
		return opts_put(opts, out, (size_t)k, val, FL_OPT_FROM_ARGV,
		                where, err);
	}
	return 0;
}

static int
opts_positional(struct fl_args *out, const char *arg, struct fl_err *err)
{
	if (out->npos >= FL_MAX_POS)
		return fl_err_set(err, FL_ERR_INVALID,
		                  "too many arguments (at '%s')", arg);
	out->pos[out->npos++] = arg;
	return 0;
}

/* until_pos: every word from the first positional one on is positional
 * (`flusso ctl inspect --json ...`: the options after the command word
 * are the command's). */
static int
opts_parse(const struct fl_opt *opts, size_t nopts, int argc,
           const char *const *argv, int until_pos, struct fl_args *out,
           struct fl_err *err)
{
	int i, dashdash = 0;

	FL_ASSERT(nopts <= FL_MAX_OPTS);
	memset(out, 0, sizeof(*out));
	out->opts = opts;
	out->nopts = nopts;
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0 ||
		    (until_pos && (argv[i][0] != '-' || !argv[i][1])))
			break;
		if (strcmp(argv[i], "-h") == 0 ||
		    strcmp(argv[i], "--help") == 0)
			out->help = 1;
	}
	if (out->help)
		return 0;
	if (opts_from_env(opts, nopts, out, err) < 0)
		return -1;
	for (i = 0; i < argc; i++) {
		const char *arg = argv[i];
		int r;

		if (dashdash || arg[0] != '-' || arg[1] == '\0') {
			r = opts_positional(out, arg, err);
			dashdash |= until_pos;
		} else if (strcmp(arg, "--") == 0) {
			r = 0, dashdash = 1;
		} else if (arg[1] == '-') {
			r = opts_long(opts, nopts, argc, argv, &i, out, err);
		} else {
			r = opts_short(opts, nopts, argc, argv, &i, out, err);
		}
		if (r < 0)
			return -1;
	}
	return 0;
}

int
fl_opts_parse(const struct fl_opt *opts, size_t nopts, int argc,
              const char *const *argv, struct fl_args *out, struct fl_err *err)
{
	return opts_parse(opts, nopts, argc, argv, 0, out, err);
}

int
fl_opts_parse_head(const struct fl_opt *opts, size_t nopts, int argc,
                   const char *const *argv, struct fl_args *out,
                   struct fl_err *err)
{
	return opts_parse(opts, nopts, argc, argv, 1, out, err);
}

/* The default as --help prints it; "" when there is none to show. */
static void
opts_default_text(const struct fl_opt *o, char *out, size_t n)
{
	out[0] = '\0';
	if (o->def_help)
		snprintf(out, n, "%s", o->def_help);
	else if (o->kind == FL_OPT_STR && o->def)
		snprintf(out, n, "%s", o->def);
	else if (o->kind == FL_OPT_INT && o->def_num)
		snprintf(out, n, "%ld", o->def_num);
	else if (o->kind == FL_OPT_DOUBLE && o->def_dnum != 0)
		snprintf(out, n, "%g", o->def_dnum);
}

void
fl_opts_print_help(const struct fl_opt *opts, size_t nopts, void *file)
{
	FILE *f = file;
	char env[96], left[64], def[64];
	size_t i;

	fprintf(f, "Options:\n");
	for (i = 0; i < nopts; i++) {
		const struct fl_opt *o = &opts[i];

		if (o->letter)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", o->letter,
			         o->name, o->kind == FL_OPT_FLAG ? "" : " ",
			         o->kind == FL_OPT_FLAG ? "" : o->metavar);
		else
			snprintf(left, sizeof(left), "    --%s%s%s", o->name,
			         o->kind == FL_OPT_FLAG ? "" : " ",
			         o->kind == FL_OPT_FLAG ? "" : o->metavar);
		fl_opt_env_name(o, env, sizeof(env));
		opts_default_text(o, def, sizeof(def));
		fprintf(f, "  %-30s %s", left, o->help);
		if (def[0])
			fprintf(f, " (default: %s)", def);
		fprintf(f, "\n  %-30s [env: %s]\n", "", env);
	}
	fprintf(f, "  %-30s %s\n", "-h, --help", "show this help and exit");
}

/* The index of option `name` in the command's table (asserted). */
static size_t
args_index(const struct fl_args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nopts; i++)
		if (strcmp(a->opts[i].name, name) == 0)
			return i;
	FL_ASSERT(!"option not declared by this command");
	return 0;
}

const struct fl_optval *
fl_args_get(const struct fl_args *a, const char *name)
{
	return &a->vals[args_index(a, name)];
}

const char *
fl_args_str(const struct fl_args *a, const char *name)
{
	size_t i = args_index(a, name);

	return a->vals[i].src ? a->vals[i].str : a->opts[i].def;
}

long
fl_args_long(const struct fl_args *a, const char *name)
{
	size_t i = args_index(a, name);

	return a->vals[i].src ? a->vals[i].num : a->opts[i].def_num;
}

double
fl_args_double(const struct fl_args *a, const char *name)
{
	size_t i = args_index(a, name);

	return a->vals[i].src ? a->vals[i].dnum : a->opts[i].def_dnum;
}

size_t
fl_args_strs(const struct fl_args *a, const char *name, const char **out,
             size_t max)
{
	size_t k = args_index(a, name), i, n = 0;

	for (i = 0; i < a->nrep && n < max; i++)
		if (a->rep[i].opt == k)
			out[n++] = a->rep[i].str;
	if (n == 0 && !a->vals[k].src && a->opts[k].def && max)
		out[n++] = a->opts[k].def;
	return n;
}

int
fl_args_flag(const struct fl_args *a, const char *name)
{
	const struct fl_optval *v = fl_args_get(a, name);

	return v->src ? v->on : 0;
}

int
fl_args_is_set(const struct fl_args *a, const char *name)
{
	return fl_args_get(a, name)->src != FL_OPT_UNSET;
}
