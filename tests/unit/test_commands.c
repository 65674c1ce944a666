/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_commands.c FLUSSO - the control command table (core/commands.h) and
 * its one validation path.
 *
 * Walks the table (curl test1139, git t0450): every entry is complete and
 * consistent; every CLI or HTTP entry is listed by `flusso ctl --help`, in
 * share/flusso.1 and in README.md's control commands with its usage (and
 * its admin API route); every HTTP route resolves back to its entry;
 * every SHORTCUT entry is a working `flusso <name>` whose --help exits 0.
 * Then fl_ctl_parse/fl_ctl_check/fl_ctl_exec on each surface: lookup,
 * help, argument counts, index names, `all`, read-only mode, no engine.
 *
 * FLUSSO is the flusso binary; FLUSSO_SOURCE_DIR the source tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/commands.h"
#include "tap.h"
#include "util/buf.h"

static char t_msg[512];
#define okf(c, ...) (snprintf(t_msg, sizeof(t_msg), __VA_ARGS__), ok(c, t_msg))

static const char *t_bin;

/* Run `FLUSSO ARGS` (a shell word list) with stderr joined to stdout;
 * the output (caller frees) and the exit status in *rc. */
static char *
t_run(const char *args, int *rc)
{
	char cmd[1024], chunk[4096];
	struct fl_buf b;
	FILE *p;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd),
	         "env -u FLUSSO_SERVER -u FLUSSO_ADMIN_PASSWORD "
	         "-u FLUSSO_ADMIN_PASSWORD_FILE '%s' %s 2>&1",
	         t_bin, args);
	fl_buf_init(&b, 1 << 22);
	p = popen(cmd, "r");
	if (!p) {
		*rc = -1;
		return fl_buf_steal(&b);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		fl_buf_append(&b, chunk, n);
	st = pclose(p);
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return fl_buf_steal(&b);
}

static char *
t_slurp(const char *rel)
{
	const char *dir = getenv("FLUSSO_SOURCE_DIR");
	char path[4096], chunk[4096];
	struct fl_buf b;
	size_t n;
	FILE *f;

	if (!dir)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if (!(f = fopen(path, "r")))
		return NULL;
	fl_buf_init(&b, 1 << 22);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fl_buf_append(&b, chunk, n);
	fclose(f);
	return fl_buf_steal(&b);
}

/* The part of `text` from the line `start` to the next line beginning
 * with `next` (a copy; NULL when `start` is missing). */
static char *
t_section(const char *text, const char *start, const char *next)
{
	const char *a = text ? strstr(text, start) : NULL;
	const char *z;
	char *s;

	if (!a)
		return NULL;
	z = strstr(a + strlen(start), next);
	if (!z)
		z = a + strlen(a);
	s = malloc((size_t)(z - a) + 1);
	memcpy(s, a, (size_t)(z - a));
	s[z - a] = '\0';
	return s;
}

/* `s` with '|' written "\|", as a Markdown table cell needs it. */
static void
t_md_escape(const char *s, char *out, size_t n)
{
	size_t i = 0;

	for (; *s && i + 3 < n; s++) {
		if (*s == '|')
			out[i++] = '\\';
		out[i++] = *s;
	}
	out[i] = '\0';
}

/* The entry is complete and consistent with itself. */
static void
t_entry_shape(const struct fl_ctl_cmd *c)
{
	char usage[160];
	int i, wrong;
	size_t len;

	okf(c->summary && c->summary[0] && c->summary[0] >= 'a' &&
	        c->summary[0] <= 'z',
	    "%s: a summary, lower case", c->name);
	len = c->summary ? strlen(c->summary) : 0;
	okf(len && c->summary[len - 1] != '.', "%s: no trailing period",
	    c->name);
	fl_ctl_usage(c, FL_CTL_PROMPT, usage, sizeof(usage));
	okf(strncmp(usage, c->name, strlen(c->name)) == 0,
	    "%s: usage \"%s\" starts with the name", c->name, usage);
	okf(c->flags & FL_CTL_SURFACES, "%s: offered somewhere", c->name);
	okf(c->exec || (c->flags & FL_CTL_LOCAL),
	    "%s: a handler, or answered by the surface", c->name);
	okf(!(c->flags & FL_CTL_LOCAL) || !(c->flags & FL_CTL_HTTP),
	    "%s: a local command is not served over HTTP", c->name);
	okf(!(c->flags & FL_CTL_SHORTCUT) || (c->flags & FL_CTL_CLI),
	    "%s: a shortcut is a ctl command", c->name);
	okf(fl_ctl_find(0, c->name, NULL) == c, "%s: found by name", c->name);
	for (i = 0; i < fl_ctl_max_args(c); i++)
		okf(i < fl_ctl_min_args(c) ||
		        (c->args[i].flags & FL_CTL_ARG_OPTIONAL),
		    "%s: optional arguments come last", c->name);
	if (!(c->flags & FL_CTL_HTTP))
		return;
	okf(c->path && c->path[0] == '/', "%s: an HTTP path", c->name);
	okf(c->method &&
	        strcmp(c->method,
	               (c->flags & FL_CTL_MUTATING) ? "POST" : "GET") == 0,
	    "%s: POST when it changes something, else GET", c->name);
	okf(fl_ctl_route(c->method, c->path, &wrong) == c && !wrong,
	    "%s: %s %s routes back to it", c->name, c->method, c->path);
	okf(!fl_ctl_route(strcmp(c->method, "GET") ? "GET" : "POST", c->path,
	                  &wrong) &&
	        wrong,
	    "%s: the other method is 405", c->name);
	for (i = 0; i < fl_ctl_max_args(c); i++)
		okf(c->args[i].param != NULL, "%s: argument %s has a parameter",
		    c->name, c->args[i].name);
}

/* The entry is in the help, the man page and the README. */
static void
t_entry_documented(const struct fl_ctl_cmd *c, const char *help,
                   const char *man, const char *readme)
{
	char usage[160], want[256], md[200];

	fl_ctl_usage(c, FL_CTL_PROMPT, usage, sizeof(usage));
	snprintf(want, sizeof(want), "  %s ", usage);
	okf(help && strstr(help, want), "%s: in `flusso ctl --help`", c->name);
	snprintf(want, sizeof(want),
	         strchr(usage, ' ') ? ".B \"%s\"\n" : ".B %s\n", usage);
	okf(man && strstr(man, want), "%s: share/flusso.1 has %.*s", c->name,
	    (int)strlen(want) - 1, want);
	t_md_escape(usage, md, sizeof(md));
	snprintf(want, sizeof(want), "| `%s` |", md);
	okf(readme && strstr(readme, want), "%s: README.md has %s", c->name,
	    want);
	if (!(c->flags & FL_CTL_HTTP))
		return;
	fl_ctl_usage(c, FL_CTL_HTTP, usage, sizeof(usage));
	t_md_escape(usage, md, sizeof(md));
	snprintf(want, sizeof(want), "| `%s` |", md);
	okf(readme && strstr(readme, want), "%s: README.md has the route %s",
	    c->name, want);
}

/* `flusso <name>` exists, --help works, and it goes to the daemon. */
static void
t_shortcut(const struct fl_ctl_cmd *c, const char *overview)
{
	char args[256], want[300], *out;
	int rc, i;

	snprintf(want, sizeof(want), "\n  %s ", c->name);
	okf(overview && strstr(overview, want), "%s: in `flusso help`",
	    c->name);
	snprintf(args, sizeof(args), "%s --help", c->name);
	out = t_run(args, &rc);
	snprintf(want, sizeof(want), "usage: flusso %s [options]", c->name);
	okf(rc == 0 && strstr(out, want) && strstr(out, c->summary + 1) &&
	        strstr(out, "--server"),
	    "%s: `flusso %s --help` exits 0 with usage, summary, ctl options",
	    c->name, c->name);
	free(out);
	snprintf(args, sizeof(args),
	         "%s --server 127.0.0.1:1 --admin-password x", c->name);
	for (i = 0; i < fl_ctl_min_args(c); i++)
		strncat(args, " x", sizeof(args) - strlen(args) - 1);
	out = t_run(args, &rc);
	okf(rc == 1 && strstr(out, "cannot reach"),
	    "%s: `flusso %s` goes to the daemon (exit %d)", c->name, args, rc);
	free(out);
	if (fl_ctl_min_args(c) == 0)
		return;
	out = t_run(c->name, &rc);
	okf(rc == 2 && strstr(out, "usage:"),
	    "%s: without its arguments, a usage error (exit %d)", c->name, rc);
	free(out);
}

TAP_TEST(test_table)
{
	char *readme_all = t_slurp("README.md");
	char *man_all = t_slurp("share/flusso.1");
	char *readme = t_section(readme_all, "### Control commands", "\n#");
	char *man = t_section(man_all, ".SS Control commands", "\n.S");
	char *help, *overview;
	size_t i;
	int rc;

	ok(readme != NULL, "README.md has a control commands section");
	ok(man != NULL, "share/flusso.1 has a control commands section");
	help = t_run("ctl --help", &rc);
	ok(rc == 0, "flusso ctl --help exits 0");
	overview = t_run("help", &rc);
	ok(rc == 0, "flusso help exits 0");
	for (i = 0; fl_ctl_table[i].name; i++) {
		const struct fl_ctl_cmd *c = &fl_ctl_table[i];

		t_entry_shape(c);
		if (c->flags & (FL_CTL_CLI | FL_CTL_HTTP))
			t_entry_documented(c, help, man, readme);
		if (c->flags & FL_CTL_SHORTCUT)
			t_shortcut(c, overview);
	}
	free(help);
	free(overview);
	free(readme);
	free(man);
	free(readme_all);
	free(man_all);
}

/* fl_ctl_parse of a space-separated line (call->argv points into a
 * buffer kept until the next call). */
static int
t_parse(unsigned surface, const char *line, int readonly,
        struct fl_ctl_call *call, char *msg, size_t n)
{
	static char buf[512];
	char *w[16];
	int nw;

	snprintf(buf, sizeof(buf), "%s", line);
	nw = fl_ctl_split(buf, w, 16);
	return fl_ctl_parse(surface, nw, (const char *const *)w, readonly, call,
	                    msg, n);
}

TAP_TEST(test_validation)
{
	struct fl_ctl_call k;
	char msg[256];

	is_long(t_parse(FL_CTL_PROMPT, "nosuch", 0, &k, msg, sizeof(msg)), 404,
	        "unknown: 404");
	is_str(msg, "unknown command `nosuch` (try `help`)", "prompt hint");
	is_long(t_parse(FL_CTL_PROMPT, "re", 0, &k, msg, sizeof(msg)), 404,
	        "ambiguous: 404");
	is_str(
	    msg,
	    "ambiguous command `re`, could be: reindex, resume, retry, reload, "
	    "repair",
	    "ambiguous names the candidates");
	is_long(t_parse(FL_CTL_PROMPT, "st", 0, &k, msg, sizeof(msg)), 200,
	        "prefix unique among prompt commands");
	is_str(k.cmd->name, "status", "st is status at the prompt");
	is_long(t_parse(FL_CTL_PROMPT, "stop", 0, &k, msg, sizeof(msg)), 404,
	        "stop is not a prompt command");
	is_long(t_parse(FL_CTL_CLI, "quit", 0, &k, msg, sizeof(msg)), 404,
	        "quit is not a ctl command");
	is_long(t_parse(FL_CTL_PROMPT, "reindex", 0, &k, msg, sizeof(msg)), 400,
	        "missing argument: 400");
	is_str(msg, "usage: reindex INDEX", "prompt usage");
	is_long(t_parse(FL_CTL_CLI, "pause a b", 0, &k, msg, sizeof(msg)), 400,
	        "extra argument: 400");
	is_str(msg, "usage: flusso ctl pause [INDEX|all]", "CLI usage");
	is_long(t_parse(FL_CTL_PROMPT, "pause Users", 0, &k, msg, sizeof(msg)),
	        200, "pause INDEX");
	is_str(k.index, "users", "the index is normalised");
	is_str(k.argv[0], "Users", "argv keeps what was typed");
	is_long(t_parse(FL_CTL_PROMPT, "retry all", 0, &k, msg, sizeof(msg)),
	        200, "retry all");
	is_str(k.index, "all", "all where the argument allows it");
	is_long(t_parse(FL_CTL_PROMPT, "retry", 0, &k, msg, sizeof(msg)), 200,
	        "retry without an index");
	is_str(k.index, "", "no index");
	is_long(t_parse(FL_CTL_PROMPT, "gc bad-name!", 0, &k, msg, sizeof(msg)),
	        400, "an invalid index name: 400");
	is_str(msg, "invalid index name \"bad-name!\"", "named");
	is_long(
	    t_parse(FL_CTL_PROMPT, "reindex users", 1, &k, msg, sizeof(msg)),
	    403, "read-only: 403");
	is_str(msg, "read-only mode: `reindex` is disabled",
	       "read-only says so");
	is_long(t_parse(FL_CTL_PROMPT, "indexes", 1, &k, msg, sizeof(msg)), 200,
	        "read-only still reads");
	is_long(t_parse(FL_CTL_PROMPT, "pause --help", 1, &k, msg, sizeof(msg)),
	        200, "NAME --help");
	ok(k.help && k.topic && !strcmp(k.topic->name, "pause"),
	   "--help asks for the command's help");
	is_long(t_parse(FL_CTL_CLI, "help retry", 0, &k, msg, sizeof(msg)), 200,
	        "help NAME");
	ok(k.help && k.topic && !strcmp(k.topic->name, "retry"), "its topic");
	is_long(t_parse(FL_CTL_PROMPT, "help", 0, &k, msg, sizeof(msg)), 200,
	        "help");
	ok(k.help && !k.topic, "the list");
	is_long(t_parse(FL_CTL_PROMPT, "help nosuch", 0, &k, msg, sizeof(msg)),
	        404, "help of an unknown command");
}

/* Options, REST arguments and the word limit of the debugging commands. */
TAP_TEST(test_options)
{
	struct fl_ctl_call k;
	char msg[256], line[64], *w[4];
	char usage[160];

	is_long(t_parse(FL_CTL_PROMPT, "inspect --json users 7", 0, &k, msg,
	                sizeof(msg)),
	        200, "inspect --json users 7");
	is_str(fl_ctl_opt(&k, "json"), "", "  --json is a switch given");
	ok(fl_ctl_opt(&k, "sink") == NULL, "  --sink not given");
	is_str(k.index, "users", "  INDEX");
	is_str(k.argv[1], "7", "  ID");
	is_long(t_parse(FL_CTL_PROMPT, "inspect users --sink=b 7", 0, &k, msg,
	                sizeof(msg)),
	        200, "--sink=b between the arguments");
	is_str(fl_ctl_opt(&k, "sink"), "b", "  its value");
	is_long(t_parse(FL_CTL_PROMPT, "inspect --sink b users 7", 0, &k, msg,
	                sizeof(msg)),
	        200, "--sink b (value as the next word)");
	is_str(fl_ctl_opt(&k, "sink"), "b", "  its value");
	is_long(t_parse(FL_CTL_PROMPT, "inspect users 7 --sink", 0, &k, msg,
	                sizeof(msg)),
	        400, "--sink without a value: 400");
	has_str(msg, "needs a value", "  says so");
	is_long(t_parse(FL_CTL_PROMPT, "inspect --nope users 7", 0, &k, msg,
	                sizeof(msg)),
	        400, "an unknown option: 400");
	has_str(msg, "unknown option --nope for `inspect`", "  names it");
	is_long(t_parse(FL_CTL_PROMPT, "inspect --json=1 users 7", 0, &k, msg,
	                sizeof(msg)),
	        400, "a switch with a value: 400");
	is_long(t_parse(FL_CTL_PROMPT, "inspect users -- --7", 0, &k, msg,
	                sizeof(msg)),
	        200, "after --, words are arguments");
	is_str(k.argv[1], "--7", "  --7 is the ID");
	is_long(t_parse(FL_CTL_PROMPT, "repair users 1 2 3 4", 0, &k, msg,
	                sizeof(msg)),
	        200, "repair takes several ids");
	is_long(k.argc, 5, "  INDEX and four ids");
	is_long(t_parse(FL_CTL_PROMPT, "repair users", 0, &k, msg, sizeof(msg)),
	        400, "repair without an id: usage");
	has_str(msg, "INDEX ID...", "  usage shows ID...");
	is_long(t_parse(FL_CTL_PROMPT, "explain --old user_id=3 orders 9", 0,
	                &k, msg, sizeof(msg)),
	        200, "explain --old");
	is_str(fl_ctl_opt(&k, "old"), "user_id=3", "  its value");
	is_long(
	    t_parse(FL_CTL_PROMPT, "repair users 1", 1, &k, msg, sizeof(msg)),
	    403, "repair is refused read-only");
	fl_ctl_usage(fl_ctl_find(0, "repair", NULL), FL_CTL_HTTP, usage,
	             sizeof(usage));
	is_str(usage, "POST /repair?index=INDEX&id=ID...", "repair's route");
	fl_ctl_usage(fl_ctl_find(0, "inspect", NULL), FL_CTL_CLI, usage,
	             sizeof(usage));
	is_str(usage, "flusso inspect [options] INDEX ID",
	       "an offline command's CLI usage");
	snprintf(line, sizeof(line), "a b c d e");
	is_long(fl_ctl_split(line, w, 4), -1, "split: too many words is -1");
	snprintf(line, sizeof(line), "a b c d  ");
	is_long(fl_ctl_split(line, w, 4), 4, "split: exactly max words");
}

TAP_TEST(test_http_and_exec)
{
	const struct fl_ctl_cmd *pause = fl_ctl_find(0, "pause", NULL);
	const struct fl_ctl_cmd *policy = fl_ctl_find(0, "policy", NULL);
	const struct fl_ctl_cmd *status = fl_ctl_find(0, "status", NULL);
	const struct fl_ctl_cmd *loglevel = fl_ctl_find(0, "loglevel", NULL);
	const char *help[] = { "--help" };
	const char *one[] = { "users" };
	const char *loud[] = { "loud" };
	struct fl_ctl_local none = { 0 };
	struct fl_ctl_call k;
	struct fl_buf out;
	char msg[256];

	is_long(
	    fl_ctl_check(FL_CTL_HTTP, pause, 1, help, 0, &k, msg, sizeof(msg)),
	    400, "HTTP: a query value --help is data (an invalid index)");
	is_long(
	    fl_ctl_check(FL_CTL_HTTP, policy, 1, one, 0, &k, msg, sizeof(msg)),
	    400, "HTTP: a missing parameter is 400");
	is_str(msg, "usage: POST /policy?index=INDEX&value=stop|skip",
	       "HTTP usage names the query parameters");
	fl_buf_init(&out, 1 << 16);
	is_long(fl_ctl_exec(&none, FL_CTL_HTTP, pause, 0, NULL, &out), 503,
	        "no engine: 503");
	is_long(fl_ctl_exec(&none, FL_CTL_HTTP, status, 0, NULL, &out), 503,
	        "no board: 503");
	fl_buf_done(&out);
	fl_buf_init(&out, 1 << 16);
	none.readonly = 1;
	is_long(fl_ctl_exec(&none, FL_CTL_HTTP, pause, 1, one, &out), 403,
	        "read-only before the engine");
	has_str(fl_buf_str(&out), "read-only mode: `pause` is disabled\n",
	        "the answer is the message");
	fl_buf_done(&out);
	fl_buf_init(&out, 1 << 16);
	none.readonly = 0;
	is_long(fl_ctl_exec(&none, FL_CTL_HTTP, loglevel, 1, loud, &out), 400,
	        "loglevel checks its level");
	fl_buf_done(&out);
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_commands FLUSSO\n");
		return 2;
	}
	t_bin = argv[1];
	tap_run(test_table);
	tap_run(test_validation);
	tap_run(test_options);
	tap_run(test_http_and_exec);
	return tap_done();
}
