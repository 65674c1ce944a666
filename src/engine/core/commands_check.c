/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * commands_check.c - finding a control command and checking a call of it:
 * the one validation path of the CLI (`flusso ctl`, the shortcuts), the
 * TUI prompt and the HTTP admin API. Usage lines and help text come
 * from the table entry, so every surface says the same thing.
 *
 * Pure functions over fl_ctl_table[]; any thread.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/yaml_read.h"
#include "core/commands.h"
#include "util/strutil.h"

/* Is the command offered on the surface (0: any)? */
static int
check_offered(const struct fl_ctl_cmd *c, unsigned surface)
{
	return !surface || (c->flags & surface);
}

const struct fl_ctl_cmd *
fl_ctl_find(unsigned surface, const char *name, int *ambiguous)
{
	const struct fl_ctl_cmd *hit = NULL;
	size_t i, len = strlen(name);
	int n = 0;

	if (ambiguous)
		*ambiguous = 0;
	for (i = 0; fl_ctl_table[i].name; i++)
		if (check_offered(&fl_ctl_table[i], surface) &&
		    strcmp(fl_ctl_table[i].name, name) == 0)
			return &fl_ctl_table[i];
	for (i = 0; len && fl_ctl_table[i].name; i++)
		if (check_offered(&fl_ctl_table[i], surface) &&
		    strncmp(fl_ctl_table[i].name, name, len) == 0) {
			hit = &fl_ctl_table[i];
			n++;
		}
	if (n > 1) {
		if (ambiguous)
			*ambiguous = 1;
		return NULL;
	}
	return hit;
}

const struct fl_ctl_cmd *
fl_ctl_route(const char *method, const char *path, int *wrong_method)
{
	size_t i;

	*wrong_method = 0;
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];

		if (!(c->flags & FL_CTL_HTTP) || strcmp(c->path, path) != 0)
			continue;
		if (strcmp(c->method, method) == 0)
			return c;
		*wrong_method = 1;
	}
	return NULL;
}

int
fl_ctl_min_args(const struct fl_ctl_cmd *c)
{
	int n = 0;

	while (n < FL_CTL_MAX_ARGS && c->args[n].name &&
	       !(c->args[n].flags & FL_CTL_ARG_OPTIONAL))
		n++;
	return n;
}

int
fl_ctl_max_args(const struct fl_ctl_cmd *c)
{
	int n = 0;

	while (n < FL_CTL_MAX_ARGS && c->args[n].name)
		n++;
	return n;
}

int
fl_ctl_nopts(const struct fl_ctl_cmd *c)
{
	int n = 0;

	while (c->opts && n < FL_CTL_MAX_OPTS && c->opts[n].name)
		n++;
	return n;
}

const char *
fl_ctl_opt(const struct fl_ctl_call *call, const char *name)
{
	int i;

	for (i = 0; i < fl_ctl_nopts(call->cmd); i++)
		if (strcmp(call->cmd->opts[i].name, name) == 0)
			return call->optv[i];
	return NULL;
}

/* Is the last argument a REST one (one or more words)? */
static int
check_rest(const struct fl_ctl_cmd *c)
{
	int n = fl_ctl_max_args(c);

	return n > 0 && (c->args[n - 1].flags & FL_CTL_ARG_REST);
}

/* Append to a fixed buffer, truncating. */
static void
check_cat(char *out, size_t n, const char *s)
{
	size_t len = strlen(out);

	if (len < n)
		fl_str_copy(out + len, n - len, s);
}

/* One argument as usage shows it: "INDEX", "INDEX|all", "[INDEX|all]";
 * with a query parameter (HTTP), "?index=INDEX" and its brackets. */
static void
check_arg_usage(const struct fl_ctl_arg *a, const char *http_sep, char *out,
                size_t n)
{
	int opt = (a->flags & FL_CTL_ARG_OPTIONAL) != 0;

	snprintf(out, n, "%s%s%s%s%s%s%s%s", opt ? "[" : "",
	         http_sep ? http_sep : "", http_sep ? a->param : "",
	         http_sep ? "=" : "", a->name,
	         a->flags & FL_CTL_ARG_ALL ? "|all" : "",
	         a->flags & FL_CTL_ARG_REST ? "..." : "", opt ? "]" : "");
}

void
fl_ctl_args_usage(const struct fl_ctl_cmd *c, char *out, size_t n)
{
	char one[64];
	int i;

	out[0] = '\0';
	for (i = 0; i < fl_ctl_max_args(c); i++) {
		check_arg_usage(&c->args[i], NULL, one, sizeof(one));
		if (i)
			check_cat(out, n, " ");
		check_cat(out, n, one);
	}
}

void
fl_ctl_usage(const struct fl_ctl_cmd *c, unsigned surface, char *out, size_t n)
{
	char args[128], one[64];
	int i;

	if (surface == FL_CTL_HTTP && c->path) {
		snprintf(out, n, "%s %s", c->method, c->path);
		for (i = 0; i < fl_ctl_max_args(c); i++) {
			check_arg_usage(&c->args[i], i ? "&" : "?", one,
			                sizeof(one));
			check_cat(out, n, one);
		}
		return;
	}
	fl_ctl_args_usage(c, args, sizeof(args));
	snprintf(out, n, "%s%s%s%s%s",
	         surface != FL_CTL_CLI       ? ""
	         : c->flags & FL_CTL_OFFLINE ? "flusso "
	                                     : "flusso ctl ",
	         c->name, fl_ctl_nopts(c) ? " [options]" : "",
	         args[0] ? " " : "", args);
}

/* "unknown command `x`" with the surface's hint. */
static int
check_unknown(unsigned surface, const char *name, char *msg, size_t msglen)
{
	snprintf(msg, msglen, "unknown command `%s`%s", name,
	         surface == FL_CTL_PROMPT ? " (try `help`)"
	         : surface == FL_CTL_CLI  ? " (see `flusso ctl --help`)"
	                                  : "");
	return 404;
}

/* "ambiguous command `re`, could be: reindex, resume, retry" */
static int
check_ambiguous(unsigned surface, const char *name, char *msg, size_t msglen)
{
	size_t i, len = strlen(name);
	int n = 0;

	snprintf(msg, msglen, "ambiguous command `%s`, could be: ", name);
	for (i = 0; fl_ctl_table[i].name; i++)
		if (check_offered(&fl_ctl_table[i], surface) &&
		    strncmp(fl_ctl_table[i].name, name, len) == 0) {
			if (n++)
				check_cat(msg, msglen, ", ");
			check_cat(msg, msglen, fl_ctl_table[i].name);
		}
	return 404;
}

/* --help or -h among the words (not HTTP: query values are data). */
static int
check_wants_help(unsigned surface, int argc, const char *const *argv)
{
	int i;

	for (i = 0; surface != FL_CTL_HTTP && i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0)
			return 1;
	return 0;
}

/* Normalise the INDEX argument into call->index; 400 when invalid. */
static int
check_index(const struct fl_ctl_arg *a, const char *v, struct fl_ctl_call *call,
            char *msg, size_t msglen)
{
	char *norm;

	if ((a->flags & FL_CTL_ARG_ALL) && strcmp(v, "all") == 0) {
		fl_str_copy(call->index, sizeof(call->index), "all");
		return 200;
	}
	norm = fl_ident_normalize(v, strlen(v));
	if (!norm) {
		snprintf(msg, msglen, "invalid index name \"%s\"", v);
		return 400;
	}
	fl_str_copy(call->index, sizeof(call->index), norm);
	free(norm);
	return 200;
}

/* Split the words into options (--name, --name=V, --name V) and
 * positional words (call->argv); `--` ends the options. */
static int
check_words(const struct fl_ctl_cmd *c, int argc, const char *const *argv,
            struct fl_ctl_call *call, char *msg, size_t msglen)
{
	int i, j, nopts = fl_ctl_nopts(c), only_pos = 0;

	for (i = 0; i < argc; i++) {
		const char *w = argv[i], *eq;
		size_t len;

		if (only_pos || strncmp(w, "--", 2) != 0 || !w[2]) {
			if (!only_pos && strcmp(w, "--") == 0) {
				only_pos = 1;
				continue;
			}
			if (call->argc >= FL_CTL_MAX_WORDS) {
				snprintf(msg, msglen,
				         "too many arguments (at most %d)",
				         FL_CTL_MAX_WORDS);
				return 400;
			}
			call->argv[call->argc++] = w;
			continue;
		}
		w += 2;
		eq = strchr(w, '=');
		len = eq ? (size_t)(eq - w) : strlen(w);
		for (j = 0; j < nopts; j++)
			if (strlen(c->opts[j].name) == len &&
			    strncmp(c->opts[j].name, w, len) == 0)
				break;
		if (j == nopts) {
			snprintf(msg, msglen, "unknown option --%.*s for `%s`",
			         (int)len, w, c->name);
			return 400;
		}
		if (!c->opts[j].metavar) {
			if (eq) {
				snprintf(msg, msglen,
				         "option --%s takes no value",
				         c->opts[j].name);
				return 400;
			}
			call->optv[j] = "";
		} else if (eq) {
			call->optv[j] = eq + 1;
		} else if (i + 1 < argc) {
			call->optv[j] = argv[++i];
		} else {
			snprintf(msg, msglen, "option --%s needs a value (%s)",
			         c->opts[j].name, c->opts[j].metavar);
			return 400;
		}
	}
	return 200;
}

/* `help [COMMAND]`: the topic must be offered here too. */
static int
check_help(unsigned surface, int argc, const char *const *argv,
           struct fl_ctl_call *call, char *msg, size_t msglen)
{
	int amb;

	call->help = 1;
	if (argc == 0)
		return 200;
	call->topic = fl_ctl_find(surface, argv[0], &amb);
	if (call->topic)
		return 200;
	return amb ? check_ambiguous(surface, argv[0], msg, msglen)
	           : check_unknown(surface, argv[0], msg, msglen);
}

int
fl_ctl_check(unsigned surface, const struct fl_ctl_cmd *c, int argc,
             const char *const *argv, int readonly, struct fl_ctl_call *call,
             char *msg, size_t msglen)
{
	char usage[160];
	int i, code;

	memset(call, 0, sizeof(*call));
	msg[0] = '\0';
	call->cmd = c;
	if (!check_offered(c, surface))
		return check_unknown(surface, c->name, msg, msglen);
	if (check_wants_help(surface, argc, argv)) {
		call->help = 1;
		call->topic = c;
		return 200;
	}
	if ((code = check_words(c, argc, argv, call, msg, msglen)) != 200)
		return code;
	argc = call->argc;
	if (argc < fl_ctl_min_args(c) ||
	    (argc > fl_ctl_max_args(c) && !check_rest(c))) {
		fl_ctl_usage(c, surface, usage, sizeof(usage));
		snprintf(msg, msglen, "usage: %s", usage);
		return 400;
	}
	if (strcmp(c->name, "help") == 0)
		return check_help(surface, argc, call->argv, call, msg, msglen);
	for (i = 0; i < argc && i < fl_ctl_max_args(c); i++)
		if ((c->args[i].flags & FL_CTL_ARG_INDEX) &&
		    (code = check_index(&c->args[i], call->argv[i], call, msg,
		                        msglen)) != 200)
			return code;
	if ((c->flags & FL_CTL_MUTATING) && readonly) {
		snprintf(msg, msglen, "read-only mode: `%s` is disabled",
		         c->name);
		return 403;
	}
	return 200;
}

int
fl_ctl_parse(unsigned surface, int nwords, const char *const *words,
             int readonly, struct fl_ctl_call *call, char *msg, size_t msglen)
{
	const struct fl_ctl_cmd *c;
	int amb;

	memset(call, 0, sizeof(*call));
	if (nwords < 1) {
		snprintf(msg, msglen, "no command given%s",
		         surface == FL_CTL_PROMPT ? " (try `help`)" : "");
		return 400;
	}
	c = fl_ctl_find(surface, words[0], &amb);
	if (!c)
		return amb ? check_ambiguous(surface, words[0], msg, msglen)
		           : check_unknown(surface, words[0], msg, msglen);
	return fl_ctl_check(surface, c, nwords - 1, words + 1, readonly, call,
	                    msg, msglen);
}

void
fl_ctl_help(unsigned surface, const struct fl_ctl_cmd *topic,
            struct fl_buf *out)
{
	char usage[160];
	size_t i;

	if (topic) {
		int j;

		fl_ctl_usage(topic, surface, usage, sizeof(usage));
		fl_buf_printf(out, "usage: %s\n%s\n", usage, topic->summary);
		if (topic->help)
			fl_buf_printf(out, "%s\n", topic->help);
		for (j = 0; j < fl_ctl_nopts(topic); j++) {
			char opt[64];

			snprintf(opt, sizeof(opt), "--%s%s%s",
			         topic->opts[j].name,
			         topic->opts[j].metavar ? " " : "",
			         topic->opts[j].metavar ? topic->opts[j].metavar
			                                : "");
			fl_buf_printf(out, "  %-22s %s\n", opt,
			              topic->opts[j].help);
		}
		return;
	}
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];

		if (!check_offered(c, surface))
			continue;
		fl_ctl_usage(c, FL_CTL_PROMPT, usage, sizeof(usage));
		fl_buf_printf(out, "  %-24s %s\n", usage, c->summary);
	}
}

int
fl_ctl_split(char *line, char **words, int max)
{
	int n = 0;
	char *p = line;

	while (*p && n < max) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		words[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p)
			*p++ = '\0';
	}
	while (*p && isspace((unsigned char)*p))
		p++;
	return *p ? -1 : n; /* words left over: too many */
}
