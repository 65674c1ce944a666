/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_toml_doc.c - the flusso.toml reader: every accepted form (as the
 * document tree it produces), positions of tables, keys and values, the
 * TOML table rules, and every rejection with its exact file:line:col.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/toml_doc.h"
#include "config/yaml_emit.h"
#include "tap.h"
#include "util/buf.h"
#include "util/err.h"

/* A compact rendering: {k=v,...} [v,...] "s" i42 true. */
static void
dump(const struct fl_ynode *n, struct fl_buf *b)
{
	size_t i;

	switch (n->kind) {
	case FL_YNODE_MAP:
		fl_buf_puts(b, "{");
		for (i = 0; i < n->u.map.n; i++) {
			fl_buf_printf(b, "%s%s=", i ? "," : "",
			              n->u.map.pairs[i].key->u.s.text);
			dump(n->u.map.pairs[i].value, b);
		}
		fl_buf_puts(b, "}");
		return;
	case FL_YNODE_SEQ:
		fl_buf_puts(b, "[");
		for (i = 0; i < n->u.seq.n; i++) {
			if (i)
				fl_buf_puts(b, ",");
			dump(n->u.seq.items[i], b);
		}
		fl_buf_puts(b, "]");
		return;
	case FL_YNODE_SCALAR:
		break;
	}
	switch (n->u.s.type) {
	case FL_YSCALAR_STR:
		fl_buf_printf(b, "\"%s\"", n->u.s.text);
		break;
	case FL_YSCALAR_INT:
		fl_buf_printf(b, "i%lld", n->u.s.ival);
		break;
	case FL_YSCALAR_BOOL:
		fl_buf_puts(b, n->u.s.boolean ? "true" : "false");
		break;
	default:
		fl_buf_puts(b, "?");
	}
}

/* src must load and render as want. */
static void
check_ok(const char *src, const char *want)
{
	struct fl_err err;
	struct fl_ydoc *doc =
	    fl_toml_load_mem(src, strlen(src), "t.toml", &err);
	struct fl_buf b;
	char what[200];

	snprintf(what, sizeof(what), "accepts: %.150s", src);
	for (char *p = what; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (!doc) {
		ok(0, what);
		diag("error: %s", err.msg);
		return;
	}
	fl_buf_init(&b, 1 << 20);
	dump(fl_ydoc_root(doc), &b);
	is_str(fl_buf_str(&b), want, what);
	fl_buf_done(&b);
	fl_ydoc_free(doc);
}

/* src must fail with exactly msg. */
static void
check_err(const char *src, const char *msg)
{
	struct fl_err err;
	struct fl_ydoc *doc =
	    fl_toml_load_mem(src, strlen(src), "t.toml", &err);
	char what[200];

	snprintf(what, sizeof(what), "rejects: %.150s", src);
	for (char *p = what; *p; p++)
		if (*p == '\n')
			*p = ' ';
	ok(doc == NULL, what);
	is_str(doc ? "" : err.msg, msg, "  with its position and message");
	fl_ydoc_free(doc);
}

TAP_TEST(test_scalars)
{
	check_ok("", "{}");
	check_ok("# only a comment\n\n", "{}");
	check_ok("a = \"x\"\nb = 'y'\n", "{a=\"x\",b=\"y\"}");
	check_ok("a = 1\nb = -2\nc = +3\nd = 0\ne = 1_000_000\n",
	         "{a=i1,b=i-2,c=i3,d=i0,e=i1000000}");
	check_ok("a = 9223372036854775807\nb = -9223372036854775808\n",
	         "{a=i9223372036854775807,b=i-9223372036854775808}");
	check_ok("a = true\nb = false\n", "{a=true,b=false}");
	check_ok("a = \"\"\nb = ''\n", "{a=\"\",b=\"\"}");
	check_ok("a=1", "{a=i1}");
	check_ok("a = 1 # trailing comment\n", "{a=i1}");
	check_ok("a = 1\r\nb = 2\r\n", "{a=i1,b=i2}");
	check_ok("\xEF\xBB\xBF"
	         "a = 1\n",
	         "{a=i1}");
}

TAP_TEST(test_strings)
{
	check_ok("a = \"q\\\"b\\\\t\\tn\\nr\\rf\\fb\\b\"\n",
	         "{a=\"q\"b\\t\tn\nr\rf\fb\b\"}");
	check_ok("a = \"\\u00e9\\U0001F600\"\n",
	         "{a=\"\xc3\xa9\xf0\x9f\x98\x80\"}");
	check_ok("a = 'C:\\path\\no\\escapes'\n",
	         "{a=\"C:\\path\\no\\escapes\"}");
	check_ok("a = \"tab\there\"\n", "{a=\"tab\there\"}");
	check_ok("a = \"#not a comment\"\n", "{a=\"#not a comment\"}");
	check_ok("a = \"\xc3\xa9t\xc3\xa9\"\n", "{a=\"\xc3\xa9t\xc3\xa9\"}");
}

TAP_TEST(test_keys)
{
	check_ok("bare_key-1 = 1\n\"quoted key\" = 2\n'lit.key' = 3\n",
	         "{bare_key-1=i1,quoted key=i2,lit.key=i3}");
	check_ok("a.b.c = 1\na.b.d = 2\na.e = 3\n", "{a={b={c=i1,d=i2},e=i3}}");
	check_ok("a . b = 1\n", "{a={b=i1}}");
	check_ok("a.\"b.c\" = 1\n", "{a={b.c=i1}}");
	check_ok("1234 = 5\n", "{1234=i5}");
	check_ok("\"\" = 1\n", "{=i1}");
}

TAP_TEST(test_tables)
{
	check_ok("[source]\ntype = \"postgres\"\n[sinks.primary]\nurl = "
	         "\"u\"\n[sinks.audit]\npretty = true\n",
	         "{source={type=\"postgres\"},sinks={primary={url=\"u\"},"
	         "audit={pretty=true}}}");
	check_ok("top = 1\n[a]\nx = 1\n", "{top=i1,a={x=i1}}");
	check_ok("[a.b.c]\n[a]\nx = 1\n", "{a={b={c={}},x=i1}}");
	check_ok("[ a . \"b\" ]\nx = 1\n", "{a={b={x=i1}}}");
	check_ok("[a]\nb.c = 1\n[a.b.d]\ne = 2\n", "{a={b={c=i1,d={e=i2}}}}");
	check_ok("[[index]]\nname = \"a\"\n[[index]]\nname = \"b\"\n",
	         "{index=[{name=\"a\"},{name=\"b\"}]}");
	check_ok("[[a]]\nx = 1\n[a.sub]\ny = 2\n[[a]]\nx = 3\n",
	         "{a=[{x=i1,sub={y=i2}},{x=i3}]}");
	check_ok("[[a.b]]\nx = 1\n[[a.b]]\n", "{a={b=[{x=i1},{}]}}");
	check_ok("[source.connection_url]\nhost = \"h\"\nport = 5432\n",
	         "{source={connection_url={host=\"h\",port=i5432}}}");
}

TAP_TEST(test_arrays_inline)
{
	check_ok("a = []\nb = [1, 2, 3]\nc = [\"x\", 'y',]\n",
	         "{a=[],b=[i1,i2,i3],c=[\"x\",\"y\"]}");
	check_ok("a = [\n  1, # one\n  2,\n  # between\n  3,\n]\n",
	         "{a=[i1,i2,i3]}");
	check_ok("a = [[1, 2], [\"x\"], []]\n", "{a=[[i1,i2],[\"x\"],[]]}");
	check_ok("a = [1, \"mixed\", true]\n", "{a=[i1,\"mixed\",true]}");
	check_ok("url = { env = \"OS_URL\" }\n", "{url={env=\"OS_URL\"}}");
	check_ok("a = {}\nb = {x=1,y.z=2}\n", "{a={},b={x=i1,y={z=i2}}}");
	check_ok("a = [{ x = 1 }, { x = 2 }]\n", "{a=[{x=i1},{x=i2}]}");
	check_ok("a = { b = { c = [1] } }\n", "{a={b={c=[i1]}}}");
}

TAP_TEST(test_positions)
{
	static const char src[] = "# c\n[source]\ntype = \"postgres\"\n"
	                          "url = { env = \"X\" }\n\n[[index]]\n"
	                          "  name = \"\xc3\xa9\"  \n";
	struct fl_err err;
	struct fl_ydoc *doc =
	    fl_toml_load_mem(src, sizeof(src) - 1, "t.toml", &err);
	const struct fl_ynode *root = fl_ydoc_root(doc), *s, *ix, *v;

	ok(doc != NULL, "loads");
	if (!doc)
		return;
	ok(root->kind == FL_YNODE_MAP && root->line == 1 && root->col == 1,
	   "root is a mapping at 1:1");
	s = fl_ynode_get(root, "source");
	ok(s && s->line == 2 && s->col == 1, "[source] table at 2:1");
	ok(root->u.map.pairs[0].key->line == 2 &&
	       root->u.map.pairs[0].key->col == 2,
	   "key `source` at 2:2");
	v = fl_ynode_get(s, "type");
	ok(v && v->line == 3 && v->col == 8 && v->u.s.quoted,
	   "string value at 3:8, quoted");
	ok(s->u.map.pairs[0].key->line == 3 && s->u.map.pairs[0].key->col == 1,
	   "key `type` at 3:1");
	v = fl_ynode_get(s, "url");
	ok(v && v->kind == FL_YNODE_MAP && v->line == 4 && v->col == 7,
	   "inline table at 4:7");
	ix = fl_ynode_get(root, "index");
	ok(ix && ix->kind == FL_YNODE_SEQ && ix->line == 6 && ix->col == 1,
	   "array of tables at its first header 6:1");
	ok(ix->u.seq.n == 1 && ix->u.seq.items[0]->line == 6,
	   "element at its header");
	v = fl_ynode_get(ix->u.seq.items[0], "name");
	ok(v && v->line == 7 && v->col == 10, "indented key's value at 7:10");
	fl_ydoc_free(doc);
}

TAP_TEST(test_unsupported)
{
	check_err("a = 1.5\n", "t.toml:1:5: unsupported TOML: floats (`1.5`)");
	check_err("a = 1e3\n", "t.toml:1:5: unsupported TOML: floats (`1e3`)");
	check_err("a = inf\n", "t.toml:1:5: unsupported TOML: floats (`inf`)");
	check_err("a = -nan\n",
	          "t.toml:1:5: unsupported TOML: floats (`-nan`)");
	check_err("a = 1979-05-27\n", "t.toml:1:5: unsupported TOML: dates "
	                              "and times (`1979-05-27`)");
	check_err("a = 07:32:00\n", "t.toml:1:5: unsupported TOML: dates and "
	                            "times (`07:32:00`)");
	check_err("a = 1979-05-27T07:32:00Z\n",
	          "t.toml:1:5: unsupported TOML: dates and times "
	          "(`1979-05-27T07:32:00Z`)");
	check_err("a = 0xff\n", "t.toml:1:5: unsupported TOML: hexadecimal "
	                        "integers (`0xff`)");
	check_err("a = 0o7\n",
	          "t.toml:1:5: unsupported TOML: octal integers (`0o7`)");
	check_err("a = 0b1\n",
	          "t.toml:1:5: unsupported TOML: binary integers (`0b1`)");
	check_err("a = \"\"\"x\"\"\"\n",
	          "t.toml:1:5: unsupported TOML: multi-line strings (\"\"\"); "
	          "write the value on one line");
	check_err("a = '''x'''\n",
	          "t.toml:1:5: unsupported TOML: multi-line strings ('''); "
	          "write the value on one line");
	check_err("a = \"\\u0000\"\n", "t.toml:1:6: unsupported TOML: NUL "
	                               "characters (\\u0000) in strings");
}

TAP_TEST(test_value_errors)
{
	check_err("a = 9223372036854775808\n",
	          "t.toml:1:5: integer out of range (64-bit signed) "
	          "(`9223372036854775808`)");
	check_err("a = -9223372036854775809\n",
	          "t.toml:1:5: integer out of range (64-bit signed) "
	          "(`-9223372036854775809`)");
	check_err("a = 012\n", "t.toml:1:5: invalid integer: leading zeros "
	                       "are not allowed (`012`)");
	check_err("a = 1__0\n", "t.toml:1:5: invalid integer: `_` must stand "
	                        "between two digits (`1__0`)");
	check_err("a = 10_\n", "t.toml:1:5: invalid integer: `_` must stand "
	                       "between two digits (`10_`)");
	check_err("a = +\n", "t.toml:1:5: invalid integer (`+`)");
	check_err("a = yes\n", "t.toml:1:5: expected a value, found the bare "
	                       "word `yes` (quote strings: \"...\")");
	check_err("a = True\n", "t.toml:1:5: expected a value, found the bare "
	                        "word `True` (quote strings: \"...\")");
	check_err("a =\n",
	          "t.toml:1:4: expected a value, found the end of the line");
	check_err("a = @\n", "t.toml:1:5: expected a value (a string, "
	                     "integer, boolean, array or inline table), "
	                     "found `@`");
	check_err("a = \"open\n", "t.toml:1:5: unterminated string (a basic "
	                          "string ends on its line)");
	check_err("a = 'open", "t.toml:1:5: unterminated string (a literal "
	                       "string ends on its line)");
	check_err("a = \"\\q\"\n",
	          "t.toml:1:6: invalid escape `\\q` in a string");
	check_err("a = \"\\u12\"\n",
	          "t.toml:1:6: invalid escape: \\u needs 4 hex digits");
	check_err("a = \"\\uD800\"\n", "t.toml:1:6: invalid escape: U+D800 is "
	                               "not a Unicode scalar value");
	check_err("a = \"\\U00110000\"\n", "t.toml:1:6: invalid escape: "
	                                   "U+110000 is not a Unicode scalar "
	                                   "value");
	check_err("a = \"x\x01\"\n", "t.toml:1:7: control character 0x01 in "
	                             "a string (escape it)");
	check_err("a = 1 2\n", "t.toml:1:7: expected the end of the line "
	                       "after the value, found `2`");
	check_err("a = 1\rb = 2\n", "t.toml:1:6: a carriage return must be "
	                            "followed by a line feed");
	check_err("# x\x7f\n", "t.toml:1:4: control character 0x7F in a "
	                       "comment");
	check_err("a = \"\xc3\xa9\xff\"\n",
	          "t.toml:1:7: invalid UTF-8 (byte 0xFF)");
	check_err("a = \"\xed\xa0\x80\"\n",
	          "t.toml:1:6: invalid UTF-8 (byte 0xED)");
}

TAP_TEST(test_structure_errors)
{
	check_err("a = 1\na = 2\n",
	          "t.toml:2:1: duplicate key `a` (first at line 1)");
	check_err("a = 1\n\"a\" = 2\n",
	          "t.toml:2:1: duplicate key `a` (first at line 1)");
	check_err("[t]\nx.y = 1\nx.y = 2\n",
	          "t.toml:3:3: duplicate key `x.y` (first at line 2)");
	check_err("[a]\n[a]\n",
	          "t.toml:2:1: duplicate table [a] (first at line 1)");
	check_err("[a]\nb = 1\n[a.b]\n", "t.toml:3:1: `a.b` is already an "
	                                 "integer (line 2), not a table");
	check_err("[a]\nb.c = 1\n[a.b]\n", "t.toml:3:1: table [a.b] is "
	                                   "already defined at line 2 (by "
	                                   "dotted keys)");
	check_err("a = {x = 1}\n[a]\n", "t.toml:2:1: table [a] is already "
	                                "defined at line 1 (by an inline "
	                                "table)");
	check_err("a = {x = 1}\n[a.b]\n", "t.toml:2:2: `a` is already an "
	                                  "inline table (line 1); a header "
	                                  "cannot extend it");
	check_err("a = {x = 1}\na.y = 2\n", "t.toml:2:1: cannot add keys to "
	                                    "an inline table `a` with a "
	                                    "dotted key: it is defined at "
	                                    "line 1");
	check_err("[a.b]\n[a]\nb.c = 1\n", "t.toml:3:1: cannot add keys to a "
	                                   "table `b` with a dotted key: it "
	                                   "is defined at line 1");
	check_err(
	    "a = 1\na.b = 2\n",
	    "t.toml:2:1: `a` is already an integer (line 1), not a table");
	check_err("a = [1]\n[[a]]\n", "t.toml:2:1: `a` is already an array "
	                              "(line 1); [[a]] needs an array of "
	                              "tables");
	check_err("[a]\n[[a]]\n", "t.toml:2:1: `a` is already a table (line "
	                          "1); [[a]] needs an array of tables");
	check_err("[[a]]\n[a]\n", "t.toml:2:1: `a` is already an array of "
	                          "tables (line 1), not a table");
	check_err("a = [{x = 1}]\n[a.b]\n", "t.toml:2:2: `a` is already an "
	                                    "array (line 1); a header cannot "
	                                    "extend it");
	check_err("a = {x = 1, x = 2}\n",
	          "t.toml:1:13: duplicate key `x` (first at line 1)");
	check_err("a = {x = 1,}\n",
	          "t.toml:1:12: trailing comma in an inline table");
	check_err("a = {x = 1\n}\n", "t.toml:1:11: an inline table must stay "
	                             "on one line (TOML 1.0)");
	check_err("a = {x = 1 y = 2}\n", "t.toml:1:12: expected `,` or `}` "
	                                 "in an inline table, found `y`");
	check_err("a = [1 2]\n", "t.toml:1:8: expected `,` or `]` in an "
	                         "array, found `2`");
	check_err("a = [1,\n", "t.toml:1:5: unterminated array (no closing "
	                       "`]`)");
	check_err("a = [1,,2]\n", "t.toml:1:8: expected a value (a string, "
	                          "integer, boolean, array or inline table), "
	                          "found `,`");
}

TAP_TEST(test_syntax_errors)
{
	check_err("a\n", "t.toml:1:2: expected `=` after the key `a`");
	check_err("a b = 1\n",
	          "t.toml:1:3: expected `=` after the key `a`, found `b`");
	check_err("= 1\n", "t.toml:1:1: expected a key (letters, digits, `_`, "
	                   "`-`, or a quoted string), found `=`");
	check_err("a. = 1\n", "t.toml:1:4: expected a key (letters, digits, "
	                      "`_`, `-`, or a quoted string), found `=`");
	check_err("[a\n", "t.toml:1:3: expected `]` to close the table header");
	check_err("[[a]\n",
	          "t.toml:1:4: expected `]]` to close the table header");
	check_err("[]\n", "t.toml:1:2: expected a key (letters, digits, `_`, "
	                  "`-`, or a quoted string), found `]`");
	check_err("[a] x = 1\n", "t.toml:1:5: expected the end of the line "
	                         "after the table header, found `x`");
	check_err("\xc3\xa9 = 1\n", "t.toml:1:1: expected a key (letters, "
	                            "digits, `_`, `-`, or a quoted string), "
	                            "found `\xc3`");
}

TAP_TEST(test_caps)
{
	struct fl_err err;
	struct fl_ydoc *doc;
	struct fl_buf b;
	int i;

	fl_buf_init(&b, 1 << 24);
	fl_buf_puts(&b, "a = ");
	for (i = 0; i < 300; i++)
		fl_buf_puts(&b, "[");
	doc = fl_toml_load_mem(fl_buf_str(&b), b.len, "t.toml", &err);
	ok(doc == NULL, "300 nested arrays rejected");
	has_str(err.msg, "nesting too deep (more than 256 levels)",
	        "depth cap message");
	fl_buf_done(&b);

	fl_buf_init(&b, 1 << 24);
	fl_buf_puts(&b, "[x");
	for (i = 0; i < 300; i++)
		fl_buf_puts(&b, ".x");
	fl_buf_puts(&b, "]\n");
	doc = fl_toml_load_mem(fl_buf_str(&b), b.len, "t.toml", &err);
	ok(doc == NULL, "a 300-part header rejected");
	has_str(err.msg, "dotted key too long", "key length cap message");
	fl_buf_done(&b);

	fl_buf_init(&b, 1 << 24);
	for (i = 0; i < 100001; i++)
		fl_buf_printf(&b, "k%d = 1\n", i);
	doc = fl_toml_load_mem(fl_buf_str(&b), b.len, "t.toml", &err);
	ok(doc == NULL, "100001 values rejected");
	has_str(err.msg, "t.toml:100001:11: document too large",
	        "node cap at the value crossing it");
	fl_buf_done(&b);

	fl_buf_init(&b, 1 << 24);
	for (i = 0; i < 50000; i++)
		fl_buf_printf(&b, "k%d = 1\n", i);
	doc = fl_toml_load_mem(fl_buf_str(&b), b.len, "t.toml", &err);
	ok(doc && fl_ydoc_root(doc)->u.map.n == 50000,
	   "50000 keys in one table load (hashed duplicate check)");
	fl_ydoc_free(doc);
	fl_buf_done(&b);
}

TAP_TEST(test_file)
{
	char dir[] = "/tmp/test_toml_XXXXXX", path[128];
	struct fl_err err;
	struct fl_ydoc *doc;
	FILE *f;

	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof(path), "%s/flusso.toml", dir);
	f = fopen(path, "w");
	fputs("[source]\ntype = \"postgres\"\nport = 1.0\n", f);
	fclose(f);
	doc = fl_toml_load_file(path, "flusso.toml", &err);
	ok(doc == NULL, "file with a float fails");
	is_str(err.msg, "flusso.toml:3:8: unsupported TOML: floats (`1.0`)",
	       "display name in the message");
	unlink(path);
	doc = fl_toml_load_file(path, NULL, &err);
	ok(doc == NULL && err.code == FL_ERR_IO, "missing file: IO error");
	rmdir(dir);
	ok(fl_toml_is_toml_path("a/flusso.toml") &&
	       !fl_toml_is_toml_path("flusso.yml") &&
	       !fl_toml_is_toml_path(".tom") && !fl_toml_is_toml_path(NULL),
	   "toml path detection");
}

/* config convert: the YAML written reads back as the same tree. */
TAP_TEST(test_emit_round_trip)
{
	static const char src[] =
	    "a = \"10s\"\nb = \"true\"\nc = \"\"\nd = \"x:\"\ne = \"# h\"\n"
	    "f = \"\\u0087\\uFFFE\\u0085\\u00e9\\u2028\\u2029\"\ng = "
	    "\"q\\\"\\\\\\t\\n\"\n"
	    "\"k k\" = 'postgres://u:p@h/db'\nh = -1_000\ni = []\nj = {}\n"
	    "[[x]]\ny = [[1], {env = \"V\"}, {a = 1, b = [2]}]\n[s.t]\nu = "
	    "false\n";
	struct fl_err err;
	struct fl_ydoc *doc = fl_toml_load_mem(src, sizeof(src) - 1, "t.toml",
	                                       &err),
	               *back;
	struct fl_buf b, y, t;

	ok(doc != NULL, "loads");
	if (!doc) {
		diag("%s", err.msg);
		return;
	}
	fl_buf_init(&y, 1 << 20);
	ok(fl_yemit_doc(fl_ydoc_root(doc), &y) == 0, "emits");
	back = fl_ydoc_load_mem(fl_buf_str(&y), y.len, "t.yml", &err);
	ok(back != NULL, "the YAML loads");
	if (!back)
		diag("%s\n%s", err.msg, fl_buf_str(&y));
	fl_buf_init(&b, 1 << 20);
	fl_buf_init(&t, 1 << 20);
	dump(fl_ydoc_root(doc), &t);
	if (back)
		dump(fl_ydoc_root(back), &b);
	is_str(fl_buf_str(&b), fl_buf_str(&t), "same tree");
	has_str(fl_buf_str(&y), "a: \"10s\"\nb: \"true\"\n",
	        "strings YAML would resolve otherwise are quoted");
	has_str(fl_buf_str(&y), "\"k k\": postgres://u:p@h/db\n",
	        "a URL stays plain");
	has_str(fl_buf_str(&y), "  - {env: V}\n", "env reference on one line");
	fl_buf_done(&b);
	fl_buf_done(&t);
	fl_buf_done(&y);
	fl_ydoc_free(back);
	fl_ydoc_free(doc);
}

int
main(void)
{
	tap_run(test_scalars);
	tap_run(test_strings);
	tap_run(test_keys);
	tap_run(test_tables);
	tap_run(test_arrays_inline);
	tap_run(test_positions);
	tap_run(test_unsupported);
	tap_run(test_value_errors);
	tap_run(test_structure_errors);
	tap_run(test_syntax_errors);
	tap_run(test_caps);
	tap_run(test_file);
	tap_run(test_emit_round_trip);
	return tap_done();
}
