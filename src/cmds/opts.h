/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opts.h - the option table: one declaration per flag drives argv parsing,
 * the FLUSSO_* environment twin, validation and the --help text.
 *
 * Owns: parsing and validating option values. Does not own what an option
 * means; commands read parsed values with fl_args_*().
 *
 * Precedence: a flag on the command line beats its environment twin, which
 * beats the default. The twin of --log-level is FLUSSO_LOG_LEVEL (upper
 * case, '-' becomes '_').
 */
#ifndef FL_OPTS_H
#define FL_OPTS_H

#include <stddef.h>

#include "util/err.h"

enum fl_opt_kind {
	FL_OPT_FLAG,   /* --no-color; env twin takes true/false/1/0 */
	FL_OPT_STR,    /* --config PATH */
	FL_OPT_INT,    /* --queue-capacity N, range-checked */
	FL_OPT_BOOL,   /* --manage-publication true|false|1|0 */
	FL_OPT_DOUBLE, /* --refresh SECS, range-checked */
};

/*
 * The default is a real value: the getters return it when neither the
 * flag nor its twin is set, and --help prints it. A number default of 0
 * is "none" (not printed). def_help replaces the printed default when
 * it is not a value ("number of cores"); the command then decides with
 * fl_args_is_set().
 */
struct fl_opt {
	const char *name; /* long name, without "--" */
	char letter;      /* short name, 0 for none */
	enum fl_opt_kind kind;
	const char *metavar;        /* value placeholder in help ("PATH") */
	const char *help;           /* one line */
	const char *def;            /* FL_OPT_STR value when unset; NULL none */
	long def_num;               /* FL_OPT_INT value when unset */
	double def_dnum;            /* FL_OPT_DOUBLE value when unset */
	const char *def_help;       /* default in words, shown instead */
	long min, max;              /* FL_OPT_INT range */
	double dmin, dmax;          /* FL_OPT_DOUBLE range */
	const char *const *choices; /* FL_OPT_STR closed set (NULL-ended) */
	int repeat; /* FL_OPT_STR given more than once: every value is kept
	             * (fl_args_strs); the env twin is one value */
};

enum fl_opt_src {
	FL_OPT_UNSET = 0,
	FL_OPT_FROM_ENV,
	FL_OPT_FROM_ARGV,
};

struct fl_optval {
	enum fl_opt_src src;
	const char *str; /* borrowed from argv or the environment */
	long num;        /* FL_OPT_INT */
	double dnum;     /* FL_OPT_DOUBLE */
	int on;          /* FL_OPT_FLAG, FL_OPT_BOOL */
};

#define FL_MAX_OPTS   48
#define FL_MAX_POS    64
#define FL_MAX_REPEAT 16

/* One value of a repeatable option, in the order given. */
struct fl_optrep {
	size_t opt; /* index in the table */
	enum fl_opt_src src;
	const char *str; /* borrowed */
};

struct fl_args {
	const struct fl_opt *opts;
	size_t nopts;
	struct fl_optval vals[FL_MAX_OPTS];
	const char *pos[FL_MAX_POS]; /* positional arguments, borrowed */
	size_t npos;
	struct fl_optrep rep[FL_MAX_REPEAT]; /* values of repeat options */
	size_t nrep;
	int help; /* -h / --help was given */
};

/* The environment variable twin of an option ("FLUSSO_LOG_LEVEL"). */
void fl_opt_env_name(const struct fl_opt *opt, char *out, size_t n);

/*
 * Parse argv (argv[0] is the first argument after the command name) and the
 * environment against `opts`. Returns -1 with a usage message in `err`
 * (code FL_ERR_INVALID) on an unknown option, a missing or invalid value,
 * or too many positional arguments.
 */
int fl_opts_parse(const struct fl_opt *opts, size_t nopts, int argc,
                  const char *const *argv, struct fl_args *out,
                  struct fl_err *err);

/* The same, but options end at the first positional word: the words
 * from there on are all positional (`flusso ctl COMMAND [its options]`). */
int fl_opts_parse_head(const struct fl_opt *opts, size_t nopts, int argc,
                       const char *const *argv, struct fl_args *out,
                       struct fl_err *err);

/* Print the "Options:" block for --help. */
void fl_opts_print_help(const struct fl_opt *opts, size_t nopts, void *file);

/* Look up a parsed value by long name; NULL if the command has no such
 * option (a programming error, asserted). */
const struct fl_optval *fl_args_get(const struct fl_args *a, const char *name);
/* The value from argv or the environment, else the table's default
 * (def, def_num, def_dnum). */
const char *fl_args_str(const struct fl_args *a, const char *name);
long fl_args_long(const struct fl_args *a, const char *name);
double fl_args_double(const struct fl_args *a, const char *name);
/* Every value of a repeatable option (from argv, else its env twin,
 * else the default when there is one), at most max into out; returns how
 * many. */
size_t fl_args_strs(const struct fl_args *a, const char *name, const char **out,
                    size_t max);
/* FL_OPT_FLAG and FL_OPT_BOOL: 0 when unset. */
int fl_args_flag(const struct fl_args *a, const char *name);
/* Given on the command line or in the environment? */
int fl_args_is_set(const struct fl_args *a, const char *name);

/* Choice lists shared by several commands. */
extern const char *const fl_opt_log_levels[];
extern const char *const fl_opt_log_formats[];
extern const char *const fl_opt_index_namings[];

/* Options every command except help/version accepts. */
#define FL_OPTS_LOG                                                     \
	{ .name = "log-level",                                          \
	  .kind = FL_OPT_STR,                                           \
	  .metavar = "LEVEL",                                           \
	  .help = "error, warn, info, debug or trace",                  \
	  .def = "info",                                                \
	  .choices = fl_opt_log_levels },                               \
	    { .name = "log-format",                                     \
	      .kind = FL_OPT_STR,                                       \
	      .metavar = "FORMAT",                                      \
	      .help = "log record format on stderr: text or json",      \
	      .def = "text",                                            \
	      .choices = fl_opt_log_formats },                          \
	    { .name = "log-filter",                                     \
	      .kind = FL_OPT_STR,                                       \
	      .metavar = "FILTER",                                      \
	      .help = "narrow debug and trace records: index=NAME, "    \
		      "table=NAME (repeatable)",                        \
	      .repeat = 1 },                                            \
	{                                                               \
		.name = "no-color", .letter = 'C', .kind = FL_OPT_FLAG, \
		.help = "no colour in output (also: NO_COLOR=1)"        \
	}

/* Options of commands that load flusso.yml. */
#define FL_OPTS_CONFIG                                                       \
	{ .name = "config",                                                  \
	  .letter = 'c',                                                     \
	  .kind = FL_OPT_STR,                                                \
	  .metavar = "PATH",                                                 \
	  .help = "deployment file",                                         \
	  .def = "flusso.yml" },                                             \
	    { .name = "index-prefix",                                        \
	      .kind = FL_OPT_STR,                                            \
	      .metavar = "PREFIX",                                           \
	      .help =                                                        \
		  "prefix for every OpenSearch name (overrides `prefix`)" }, \
	    { .name = "index-naming",                                        \
	      .kind = FL_OPT_STR,                                            \
	      .metavar = "NAMING",                                           \
	      .help = "hash in OpenSearch names: ours, or reference "        \
		      "(the Rust flusso's; overrides `index_naming`)",       \
	      .choices = fl_opt_index_namings },                             \
	    { .name = "group",                                               \
	      .kind = FL_OPT_STR,                                            \
	      .metavar = "NAME",                                             \
	      .help = "only the indexes of this entry of `groups:`, with "   \
		      "its slot and publication" },                          \
	{                                                                    \
		.name = "indexes", .kind = FL_OPT_STR, .metavar = "A,B",     \
		.help = "only these indexes; slot and publication "          \
		        "<base>_<names sorted, joined by _>"                 \
	}

/* Options of the commands that talk to a daemon's admin API. */
#define FL_OPTS_ADMIN                                                         \
	{ .name = "server",                                                   \
	  .kind = FL_OPT_STR,                                                 \
	  .metavar = "ADDR",                                                  \
	  .help = "the daemon's admin address",                               \
	  .def = "127.0.0.1:9465" },                                          \
	    { .name = "admin-user",                                           \
	      .kind = FL_OPT_STR,                                             \
	      .metavar = "USER",                                              \
	      .help = "admin API user",                                       \
	      .def = "admin" },                                               \
	    { .name = "admin-password",                                       \
	      .kind = FL_OPT_STR,                                             \
	      .metavar = "PASSWORD",                                          \
	      .help = "admin API password" },                                 \
	{                                                                     \
		.name = "admin-password-file", .kind = FL_OPT_STR,            \
		.metavar = "PATH",                                            \
		.help = "read the admin password from the first line of PATH" \
	}

/* Options of the commands that run the engine (`run`, in-process `tui`). */
#define FL_OPTS_ENGINE                                                         \
	{ .name = "slot",                                                      \
	  .kind = FL_OPT_STR,                                                  \
	  .metavar = "NAME",                                                   \
	  .help = "logical replication slot",                                  \
	  .def = "flusso" },                                                   \
	    { .name = "publication",                                           \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "NAME",                                               \
	      .help = "publication the slot reads",                            \
	      .def = "flusso" },                                               \
	    { .name = "manage-publication",                                    \
	      .kind = FL_OPT_BOOL,                                             \
	      .metavar = "BOOL",                                               \
	      .help = "create/extend the publication as needed",               \
	      .def_help = "file, then true" },                                 \
	    { .name = "skip-backfill",                                         \
	      .kind = FL_OPT_FLAG,                                             \
	      .help = "follow the WAL only; never seed indexes" },             \
	    { .name = "pretty",                                                \
	      .kind = FL_OPT_FLAG,                                             \
	      .help = "pretty JSON for the fallback stdout sink" },            \
	    { .name = "workers",                                               \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "N",                                                  \
	      .help = "worker threads",                                        \
	      .def_help = "number of cores",                                   \
	      .min = 1,                                                        \
	      .max = 256 },                                                    \
	    { .name = "queue-capacity",                                        \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "N",                                                  \
	      .help = "changes buffered between capture and workers",          \
	      .def_num = 1024,                                                 \
	      .min = 1,                                                        \
	      .max = 1048576 },                                                \
	    { .name = "batch-max-changes",                                     \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "N",                                                  \
	      .help = "changes per batch",                                     \
	      .def_num = 256,                                                  \
	      .min = 1,                                                        \
	      .max = 65536 },                                                  \
	    { .name = "batch-max-delay-ms",                                    \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "MS",                                                 \
	      .help = "longest wait to fill a batch",                          \
	      .def_num = 50,                                                   \
	      .min = 1,                                                        \
	      .max = 60000 },                                                  \
	    { .name = "public-address",                                        \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "IP:PORT",                                            \
	      .help = "bind /healthz, /readyz, /status, /metrics",             \
	      .def = "127.0.0.1:9464" },                                       \
	    { .name = "private-address",                                       \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "IP:PORT",                                            \
	      .help = "bind the admin API",                                    \
	      .def = "127.0.0.1:9465" },                                       \
	    { .name = "admin-user",                                            \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "USER",                                               \
	      .help = "admin API user",                                        \
	      .def = "admin" },                                                \
	    { .name = "admin-password",                                        \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "PASSWORD",                                           \
	      .help =                                                          \
		  "admin API password; without one the admin API is off" },    \
	    { .name = "admin-password-file",                                   \
	      .kind = FL_OPT_STR,                                              \
	      .metavar = "PATH",                                               \
	      .help = "read the admin password from the first line of PATH" }, \
	    { .name = "lag-poll-secs",                                         \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "SECS",                                               \
	      .help = "slot lag sampling interval",                            \
	      .def_num = 15,                                                   \
	      .min = 1,                                                        \
	      .max = 3600 },                                                   \
	    { .name = "shutdown-grace-secs",                                   \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "SECS",                                               \
	      .help = "time to finish the current flush on SIGINT/SIGTERM",    \
	      .def_num = 10,                                                   \
	      .min = 0,                                                        \
	      .max = 600 },                                                    \
	    { .name = "failover-after-secs",                                   \
	      .kind = FL_OPT_INT,                                              \
	      .metavar = "SECS",                                               \
	      .help = "a standby deposes an active instance silent this "      \
		      "long (0: never)",                                       \
	      .def_num = 15,                                                   \
	      .min = 0,                                                        \
	      .max = 3600 },                                                   \
	    { .name = "allow-untracked-deletes",                               \
	      .kind = FL_OPT_FLAG,                                             \
	      .help = "start even if some child deletes cannot be tracked" },  \
	{                                                                      \
		.name = "rebuild-on-source-change", .kind = FL_OPT_FLAG,       \
		.help = "rebuild indexes seeded from another database or slot" \
	}

#endif
