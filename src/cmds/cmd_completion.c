/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_completion.c - `flusso completion bash|zsh`: a shell completion
 * script generated from the tables when it runs, never listed by hand:
 * the commands and shortcuts (fl_cmd_at), each one's options (struct
 * fl_opt: values from `choices`, files for PATH), its arguments (a
 * shortcut's from the control table, the others' from their usage),
 * and `flusso ctl`'s commands with their own options and arguments.
 *
 * Index names are not in the script: it asks `flusso completion
 * --indexes [-c CONFIG]`, which prints the enabled indexes of the
 * configuration, one a line, and nothing at all (no message, exit 0)
 * when it cannot be loaded.
 *
 * The script is self-contained (no bash-completion or build tree
 * needed). Both shells share one description of the commands
 * (_flusso_spec); only the small engine reading it differs.
 *
 * Owns: generating the scripts and the --indexes helper. Does not own
 * the tables it reads (cmd.c, opts.h, core/commands.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "config/config.h"
#include "core/commands.h"
#include "util/strutil.h"

static const struct fl_opt completion_opts[] = {
	{ .name = "indexes",
	  .kind = FL_OPT_FLAG,
	  .help = "print the enabled index names of the configuration "
	          "instead (used by the scripts)" },
	{ .name = "config",
	  .letter = 'c',
	  .kind = FL_OPT_STR,
	  .metavar = "PATH",
	  .help = "deployment file read by --indexes",
	  .def = "flusso.yml" },
};

/* An option's value: nothing for a switch, else "=a|b", "=@file",
 * "=@any" (free text). */
static void
comp_opt_value(const struct fl_opt *o, FILE *f)
{
	size_t i;

	if (o->kind == FL_OPT_FLAG)
		return;
	fputc('=', f);
	if (o->choices) {
		for (i = 0; o->choices[i]; i++)
			fprintf(f, "%s%s", i ? "|" : "", o->choices[i]);
	} else if (o->kind == FL_OPT_BOOL) {
		fputs("true|false", f);
	} else if (o->metavar && strcmp(o->metavar, "PATH") == 0) {
		fputs("@file", f);
	} else {
		fputs("@any", f);
	}
}

/* Lower-case words are literal choices ("stop|skip", "bash|zsh"). */
static int
comp_is_literal(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (islower((unsigned char)name[i]))
			return 1;
	return 0;
}

/* One argument of a usage ("[INDEX...]", "[COMMAND]", "bash|zsh"). */
static void
comp_usage_arg(const char *w, size_t n, FILE *f)
{
	int rest = 0;

	if (n && w[0] == '[') {
		w++;
		n--;
	}
	if (n && w[n - 1] == ']')
		n--;
	if (n >= 3 && strncmp(w + n - 3, "...", 3) == 0) {
		n -= 3;
		rest = 1;
	}
	if (n == 5 && strncmp(w, "INDEX", 5) == 0)
		fputs("@index", f);
	else if (n == 7 && strncmp(w, "COMMAND", 7) == 0)
		fputs("@cmd", f);
	else if (n == 4 && strncmp(w, "PATH", 4) == 0)
		fputs("@file", f);
	else if (comp_is_literal(w, n))
		fprintf(f, "%.*s", (int)n, w);
	else
		fputs("@any", f);
	if (rest)
		fputs("...", f);
}

/* The arguments of a command: a shortcut's from the control table,
 * ctl's the control commands, the others' from their usage. */
static void
comp_args(const struct fl_cmd_entry *e, FILE *f)
{
	const char *p, *end;

	if (e->opts_head) {
		fputs("@ctl", f);
		return;
	}
	if (e->ctl) {
		int i;

		for (i = 0; i < fl_ctl_max_args(e->ctl); i++) {
			const struct fl_ctl_arg *a = &e->ctl->args[i];

			fputs(i ? " " : "", f);
			if (a->flags & FL_CTL_ARG_INDEX)
				fprintf(f, "@index%s",
				        a->flags & FL_CTL_ARG_ALL ? "|all"
				                                  : "");
			else if (strcmp(a->name, "COMMAND") == 0)
				fputs("@ctl", f);
			else if (comp_is_literal(a->name, strlen(a->name)))
				fputs(a->name, f);
			else
				fputs("@any", f);
			if (a->flags & FL_CTL_ARG_REST)
				fputs("...", f);
		}
		return;
	}
	for (p = e->usage; p && *p; p = end) {
		while (*p == ' ')
			p++;
		end = p + strcspn(p, " ");
		if (end == p || strncmp(p, "[options]", (size_t)(end - p)) == 0)
			continue;
		comp_usage_arg(p, (size_t)(end - p), f);
		if (*end)
			fputc(' ', f);
	}
}

/* One case of _flusso_spec: the options and the arguments. */
static void
comp_spec_case(const char *key, const struct fl_opt *opts, size_t nopts,
               const struct fl_cmd_entry *e, FILE *f)
{
	size_t i;

	fprintf(f, "\t%s)\n\t\t_flusso_o+='", key);
	for (i = 0; i < nopts; i++) {
		fprintf(f, " --%s", opts[i].name);
		comp_opt_value(&opts[i], f);
		if (opts[i].letter) {
			fprintf(f, " -%c", opts[i].letter);
			comp_opt_value(&opts[i], f);
		}
	}
	fputs("'\n\t\t_flusso_a='", f);
	if (e)
		comp_args(e, f);
	fputs("' ;;\n", f);
}

/* A control command's case (`flusso ctl NAME`): options and arguments
 * as its shortcut would have them, without the shortcut's base ones. */
static void
comp_ctl_case(const struct fl_ctl_cmd *c, FILE *f)
{
	struct fl_cmd_entry e;
	int i;

	memset(&e, 0, sizeof(e));
	e.ctl = c;
	fprintf(f, "\tctl:%s)\n\t\t_flusso_o+='", c->name);
	for (i = 0; i < fl_ctl_nopts(c); i++)
		fprintf(f, " --%s%s", c->opts[i].name,
		        c->opts[i].metavar ? "=@any" : "");
	fputs("'\n\t\t_flusso_a='", f);
	comp_args(&e, f);
	fputs("' ;;\n", f);
}

/* _flusso_spec CONTEXT, shared by both shells. */
static void
comp_print_spec(FILE *f)
{
	struct fl_cmd_entry tmp;
	const struct fl_cmd_entry *e;
	size_t i;

	fputs("# _flusso_spec CONTEXT: the options (_flusso_o: NAME for a "
	      "switch, NAME=VALUES\n"
	      "# for one taking a value) and the arguments (_flusso_a, in "
	      "order) of a command,\n"
	      "# or of `flusso ctl NAME` (context ctl:NAME). VALUES and "
	      "arguments: words a|b,\n"
	      "# @index (the configuration's), @file, @cmd, @ctl (command "
	      "names), @any;\n"
	      "# a trailing ... repeats the last argument.\n"
	      "_flusso_spec() {\n"
	      "\t_flusso_o='--help -h'\n"
	      "\t_flusso_a=\n"
	      "\tcase $1 in\n",
	      f);
	for (i = 0; (e = fl_cmd_at(i, &tmp)) != NULL; i++)
		comp_spec_case(e->name, e->opts, e->nopts, e, f);
	for (i = 0; fl_ctl_table[i].name; i++)
		if (fl_ctl_table[i].flags & FL_CTL_CLI)
			comp_ctl_case(&fl_ctl_table[i], f);
	fputs("\tesac\n}\n\n", f);
}

/* A word for a single-quoted shell string: ' becomes '\''. */
static void
comp_quoted(const char *s, FILE *f)
{
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
}

/* The command names (bash) or name:summary pairs (zsh). */
static void
comp_print_names(FILE *f, int zsh)
{
	struct fl_cmd_entry tmp;
	const struct fl_cmd_entry *e;
	size_t i;

	fputs(zsh ? "_flusso_cmds=(" : "_flusso_cmds='", f);
	for (i = 0; (e = fl_cmd_at(i, &tmp)) != NULL; i++) {
		if (!zsh) {
			fprintf(f, "%s%s", i ? " " : "", e->name);
			continue;
		}
		fprintf(f, "\n\t'%s:", e->name);
		comp_quoted(e->summary, f);
		fputc('\'', f);
	}
	fputs(zsh ? "\n)\n" : "'\n", f);
	fputs(zsh ? "_flusso_ctls=(" : "_flusso_ctls='", f);
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];

		if (!(c->flags & FL_CTL_CLI))
			continue;
		if (!zsh) {
			fprintf(f, "%s%s", i ? " " : "", c->name);
			continue;
		}
		fprintf(f, "\n\t'%s:", c->name);
		comp_quoted(c->summary, f);
		fputc('\'', f);
	}
	fputs(zsh ? "\n)\n\n" : "'\n\n", f);
}

/* Reading the words before the cursor, the same in both shells:
 * sets ctx (the command, ctl:NAME), n (arguments so far), val (an
 * option waiting for its value), cfg (the -c/--config given), dash
 * (after --). Expects words[first..last-1]. */
static const char comp_walk[] =
    "\t\tw=${words[i]}\n"
    "\t\tif [[ -n $val ]]; then\n"
    "\t\t\t[[ $val == --config || $val == -c ]] && cfg=$w\n"
    "\t\t\tval=\n"
    "\t\telif ((!dash)) && [[ $w == -* ]]; then\n"
    "\t\t\tif [[ $w == -- ]]; then\n"
    "\t\t\t\tdash=1\n"
    "\t\t\telif [[ $w == --config=* ]]; then\n"
    "\t\t\t\tcfg=${w#*=}\n"
    "\t\t\telif [[ $w != *=* ]]; then\n"
    "\t\t\t\tfor o in ${=_flusso_o}; do\n"
    "\t\t\t\t\t[[ $o == \"$w\"=* ]] && val=$w\n"
    "\t\t\t\tdone\n"
    "\t\t\tfi\n"
    "\t\telif [[ -z $ctx || $ctx == ctl ]]; then\n"
    "\t\t\tctx=${ctx:+$ctx:}$w\n"
    "\t\t\t_flusso_spec \"$ctx\"\n"
    "\t\telse\n"
    "\t\t\tn=$((n + 1))\n"
    "\t\tfi\n";

/* The walk for one shell: bash has no ${=var} (its words split). */
static void
comp_print_walk(FILE *f, int zsh)
{
	const char *p = comp_walk, *q;

	if (zsh) {
		fputs(comp_walk, f);
		return;
	}
	while ((q = strstr(p, "${=")) != NULL) {
		fwrite(p, 1, (size_t)(q - p), f);
		fputs("${", f);
		p = q + 3;
	}
	fputs(p, f);
}

/* The same shell text in both scripts (bash and zsh read it alike). */
static const char comp_indexes_fn[] =
    "# The enabled indexes of the configuration on the line (-c), else\n"
    "# of FLUSSO_CONFIG or ./flusso.yml; nothing when it cannot be read.\n"
    "_flusso_indexes() {\n"
    "\tlocal c=${cfg/#\\~/$HOME}\n"
    "\tif [[ -n $c ]]; then\n"
    "\t\tflusso completion --indexes --config \"$c\" 2>/dev/null\n"
    "\telse\n"
    "\t\tflusso completion --indexes 2>/dev/null\n"
    "\tfi\n"
    "}\n\n";

static const char comp_bash_engine[] =
    "# _flusso_values SPEC CUR: the candidates for SPEC into COMPREPLY.\n"
    "_flusso_values() {\n"
    "\tlocal alt cands=() alts\n"
    "\tIFS='|' read -ra alts <<<\"$1\"\n"
    "\tfor alt in \"${alts[@]}\"; do\n"
    "\t\tcase $alt in\n"
    "\t\t@file)\n"
    "\t\t\tcompopt -o filenames 2>/dev/null\n"
    "\t\t\tlocal IFS=$'\\n'\n"
    "\t\t\tCOMPREPLY+=($(compgen -f -- \"$2\"))\n"
    "\t\t\tIFS=$' \\t\\n' ;;\n"
    "\t\t@index) cands+=($(_flusso_indexes)) ;;\n"
    "\t\t@cmd) cands+=($_flusso_cmds) ;;\n"
    "\t\t@ctl) cands+=($_flusso_ctls) ;;\n"
    "\t\t@any) ;;\n"
    "\t\t*) cands+=(\"$alt\") ;;\n"
    "\t\tesac\n"
    "\tdone\n"
    "\tCOMPREPLY+=($(compgen -W \"${cands[*]}\" -- \"$2\"))\n"
    "}\n\n"
    "# _flusso_optvalues OPTION CUR: the values of an option.\n"
    "_flusso_optvalues() {\n"
    "\tlocal o\n"
    "\tfor o in $_flusso_o; do\n"
    "\t\t[[ $o == \"$1\"=* ]] && _flusso_values \"${o#*=}\" \"$2\"\n"
    "\tdone\n"
    "}\n\n"
    "_flusso() {\n"
    "\tlocal IFS=$' \\t\\n' i w o cword=-1 join=0 words=()\n"
    "\tlocal ctx= n=0 val= cfg= dash=0 cur args spec\n"
    "\tlocal _flusso_o='--help -h --version -V' _flusso_a=@cmd\n"
    "\t# --opt=value and ADDR:PORT are one word again (bash splits them\n"
    "\t# at the COMP_WORDBREAKS '=' and ':')\n"
    "\tfor ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do\n"
    "\t\tw=${COMP_WORDS[i]}\n"
    "\t\tif ((join)); then\n"
    "\t\t\twords[${#words[@]} - 1]+=$w\n"
    "\t\t\tjoin=0\n"
    "\t\telif [[ ${#words[@]} -gt 1 && ( -n $w && -z ${w//:/} ||\n"
    "\t\t\t$w == = && ${words[${#words[@]} - 1]} == -?* &&\n"
    "\t\t\t${words[${#words[@]} - 1]} != *=* ) ]]; then\n"
    "\t\t\twords[${#words[@]} - 1]+=$w\n"
    "\t\t\tjoin=1\n"
    "\t\telse\n"
    "\t\t\twords+=(\"$w\")\n"
    "\t\tfi\n"
    "\t\t((i == COMP_CWORD)) && cword=$((${#words[@]} - 1))\n"
    "\tdone\n"
    "\t((cword < 0)) && cword=${#words[@]} && words+=('')\n"
    "\tcur=${words[cword]}\n"
    "\tfor ((i = 1; i < cword; i++)); do\n";

static const char comp_bash_tail[] =
    "\tdone\n"
    "\tCOMPREPLY=()\n"
    "\tif [[ -n $val ]]; then\n"
    "\t\t_flusso_optvalues \"$val\" \"$cur\"\n"
    "\telif ((!dash)) && [[ $cur == -?*=* ]]; then\n"
    "\t\t_flusso_optvalues \"${cur%%=*}\" \"${cur#*=}\"\n"
    "\t\t((${#COMPREPLY[@]})) &&\n"
    "\t\t\tCOMPREPLY=(\"${COMPREPLY[@]/#/${cur%%=*}=}\")\n"
    "\telif ((!dash)) && [[ $cur == -* ]]; then\n"
    "\t\targs=()\n"
    "\t\tfor o in $_flusso_o; do args+=(\"${o%%=*}\"); done\n"
    "\t\tCOMPREPLY=($(compgen -W \"${args[*]}\" -- \"$cur\"))\n"
    "\telse\n"
    "\t\targs=($_flusso_a)\n"
    "\t\tspec=\n"
    "\t\tif ((n < ${#args[@]})); then\n"
    "\t\t\tspec=${args[n]}\n"
    "\t\telif ((${#args[@]})); then\n"
    "\t\t\tspec=${args[${#args[@]} - 1]}\n"
    "\t\t\t[[ $spec == *... ]] || spec=\n"
    "\t\tfi\n"
    "\t\t[[ -n $spec ]] && _flusso_values \"${spec%...}\" \"$cur\"\n"
    "\tfi\n"
    "\t# readline replaces only what follows the last '=' or ':' that\n"
    "\t# COMP_WORDBREAKS holds: the candidates lose what precedes it\n"
    "\tw=${COMP_WORDBREAKS//[^=:]/}\n"
    "\tif [[ -n $w && -n $cur && $cur == *[$w]* ]]; then\n"
    "\t\tw=${cur%\"${cur##*[$w]}\"}\n"
    "\t\tCOMPREPLY=(\"${COMPREPLY[@]#\"$w\"}\")\n"
    "\tfi\n"
    "\treturn 0\n"
    "}\n\n"
    "complete -F _flusso flusso\n";

static const char comp_zsh_engine[] =
    "# _flusso_values SPEC: the candidates for SPEC.\n"
    "_flusso_values() {\n"
    "\tlocal alt\n"
    "\tlocal -a cands\n"
    "\tfor alt in ${(s:|:)1}; do\n"
    "\t\tcase $alt in\n"
    "\t\t@file) _files ;;\n"
    "\t\t@index) cands+=(${(f)\"$(_flusso_indexes)\"}) ;;\n"
    "\t\t@cmd) _describe -t commands 'flusso command' _flusso_cmds ;;\n"
    "\t\t@ctl) _describe -t commands 'control command' _flusso_ctls ;;\n"
    "\t\t@any) _message -e values 'value' ;;\n"
    "\t\t*) cands+=($alt) ;;\n"
    "\t\tesac\n"
    "\tdone\n"
    "\t(($#cands)) && compadd -a cands\n"
    "\treturn 0\n"
    "}\n\n"
    "# _flusso_optvalues OPTION: the values of an option.\n"
    "_flusso_optvalues() {\n"
    "\tlocal o\n"
    "\tfor o in ${=_flusso_o}; do\n"
    "\t\t[[ $o == \"$1\"=* ]] && _flusso_values \"${o#*=}\"\n"
    "\tdone\n"
    "}\n\n"
    "_flusso() {\n"
    "\tlocal i w o ctx= n=0 val= cfg= dash=0 spec\n"
    "\tlocal -a args\n"
    "\tlocal _flusso_o='--help -h --version -V' _flusso_a=@cmd\n"
    "\tfor ((i = 2; i < CURRENT; i++)); do\n";

static const char comp_zsh_tail[] =
    "\tdone\n"
    "\tif [[ -n $val ]]; then\n"
    "\t\t_flusso_optvalues $val\n"
    "\telif ((!dash)) && [[ $PREFIX == -?*=* ]]; then\n"
    "\t\to=${PREFIX%%=*}\n"
    "\t\tcompset -P '*='\n"
    "\t\t_flusso_optvalues $o\n"
    "\telif ((!dash)) && [[ $PREFIX == -* ]]; then\n"
    "\t\tfor o in ${=_flusso_o}; do args+=(${o%%=*}); done\n"
    "\t\tcompadd -a args\n"
    "\telse\n"
    "\t\targs=(${=_flusso_a})\n"
    "\t\tspec=\n"
    "\t\tif ((n < $#args)); then\n"
    "\t\t\tspec=${args[n + 1]}\n"
    "\t\telif (($#args)); then\n"
    "\t\t\tspec=${args[-1]}\n"
    "\t\t\t[[ $spec == *... ]] || spec=\n"
    "\t\tfi\n"
    "\t\t[[ -n $spec ]] && _flusso_values ${spec%...}\n"
    "\tfi\n"
    "\treturn 0\n"
    "}\n\n"
    "if [[ $funcstack[1] == _flusso ]]; then\n"
    "\t_flusso \"$@\"\n"
    "else\n"
    "\tcompdef _flusso flusso\n"
    "fi\n";

static void
comp_print(FILE *f, int zsh)
{
	if (zsh)
		fputs("#compdef flusso\n", f);
	fprintf(f,
	        "# %s completion for flusso %s, generated by `flusso "
	        "completion %s`\n"
	        "# from its command table. Install: %s\n\n",
	        zsh ? "zsh" : "bash", FLUSSO_VERSION, zsh ? "zsh" : "bash",
	        zsh ? "as _flusso in a directory of $fpath."
	            : "source <(flusso completion bash), or save it as\n"
	              "# /usr/share/bash-completion/completions/flusso.");
	comp_print_names(f, zsh);
	comp_print_spec(f);
	fputs(comp_indexes_fn, f);
	fputs(zsh ? comp_zsh_engine : comp_bash_engine, f);
	comp_print_walk(f, zsh);
	fputs(zsh ? comp_zsh_tail : comp_bash_tail, f);
}

/* The enabled index names; silent on any error (the script asked). */
static int
comp_indexes(struct fl_cmd_ctx *ctx)
{
	struct fl_diags diags;
	struct fl_config *cfg;
	size_t i;

	fl_diags_init(&diags);
	cfg = fl_config_load(fl_args_str(&ctx->args, "config"), NULL, &diags);
	fl_diags_done(&diags);
	if (!cfg)
		return FL_EXIT_OK;
	for (i = 0; i < cfg->nindexes; i++)
		if (cfg->indexes[i].enabled)
			printf("%s\n", cfg->indexes[i].name);
	fl_config_free(cfg);
	return FL_EXIT_OK;
}

static int
completion_exec(struct fl_cmd_ctx *ctx)
{
	const char *shell = ctx->args.npos ? ctx->args.pos[0] : NULL;

	if (fl_args_flag(&ctx->args, "indexes"))
		return comp_indexes(ctx);
	if (shell && (!strcmp(shell, "bash") || !strcmp(shell, "zsh"))) {
		comp_print(stdout, !strcmp(shell, "zsh"));
		return FL_EXIT_OK;
	}
	fprintf(stderr, "flusso: %s\nusage: flusso completion bash|zsh\n",
	        shell ? "unknown shell (bash or zsh)" : "which shell?");
	return FL_EXIT_USAGE;
}

const struct fl_cmd_entry fl_cmd_completion_entry = {
	.name = "completion",
	.usage = "[options] bash|zsh",
	.summary = "Print a shell completion script (bash or zsh)",
	.help = "Load it with `source <(flusso completion bash)`; the Debian "
	        "package installs\nboth. Index names are read from the "
	        "configuration given with -c when\ncompleting, else "
	        "FLUSSO_CONFIG or ./flusso.yml.",
	.opts = completion_opts,
	.nopts = FL_ARRAY_LEN(completion_opts),
	.max_pos = 1,
	.exec = completion_exec,
};
