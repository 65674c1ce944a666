/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_config.c - loading flusso.yml: the deployment-level bad inputs of
 * config.md §8 with their positions, defaults, sorting, secrets and
 * their runtime resolution and redaction, and the shipped examples.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "config/config_group.h"
#include "tap.h"
#include "unit/t_diags.h"
#include "util/xmem.h"

static char t_dir[256];

static void
t_write(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", t_dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Load <dir>/flusso.yml written from `yaml`. */
static struct fl_config *
t_load(const char *yaml, const char *prefix, struct fl_diags *d)
{
	char path[512];

	t_write("flusso.yml", yaml);
	snprintf(path, sizeof(path), "%s/flusso.yml", t_dir);
	fl_diags_init(d);
	return fl_config_load(path, prefix, d);
}

/* Expect `want` in the diagnostics; error or warning per `fails`. The
 * placeholder "@" in want stands for the config path. */
static void
t_expect(const char *what, const char *yaml, int fails, const char *want)
{
	char full[1024], path[512];
	struct fl_config *c;
	struct fl_diags d;
	const char *at;
	char *all;

	c = t_load(yaml, NULL, &d);
	all = t_all(&d);
	snprintf(path, sizeof(path), "%s/flusso.yml", t_dir);
	at = strchr(want, '@');
	if (at)
		snprintf(full, sizeof(full), "%.*s%s%s", (int)(at - want), want,
		         path, at + 1);
	else
		snprintf(full, sizeof(full), "%s", want);
	if (fails)
		ok(c == NULL && d.nerrors > 0, what);
	else
		ok(c != NULL && d.nerrors == 0 && d.nwarnings > 0, what);
	has_str(all, full, what);
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);
}

#define SRC "source: {type: postgres}\n"
#define OS  "sinks:\n  search:\n    type: opensearch\n    url: http://x:9200\n"
#define IX  "index:\n  - {name: users, schema: u.schema.yml, enabled: true}\n"

TAP_TEST(test_bad_deployment)
{
	t_expect("1 no source", "prefix: a\n", 1,
	         "@:1:1: missing key `source`");
	t_expect("2 source type mysql", "source: {type: mysql}\n", 1,
	         "@:1:16: source.type: unknown source type `mysql`; expected "
	         "`postgres`");
	t_expect("2 sink type elastic", SRC "sinks:\n  s:\n    type: elastic\n",
	         1,
	         "@:4:11: sinks.s.type: unknown sink type `elastic`; expected "
	         "`opensearch` or `stdout`");
	t_expect("3 unknown top-level key", SRC "prefx: a\n", 1,
	         "@:2:1: unknown key `prefx` — did you mean `prefix`?");
	t_expect(
	    "3 unknown source key",
	    "source: {type: postgres, manage_publicaton: true}\n", 1,
	    "@:1:26: source: unknown key `manage_publicaton` — did you mean "
	    "`manage_publication`?");
	t_expect("3 unknown sink key", SRC OS "    batchsize: 5\n", 1,
	         "@:6:5: sinks.search: unknown key `batchsize` — did you mean "
	         "`batch_size`?");
	t_expect("3 unknown index key",
	         SRC "index:\n  - {name: a, schema: a.yml, enabled: true, "
	             "on_eror: skip}\n",
	         1, "did you mean `on_error`?");
	t_expect("3 unknown server key", SRC "server: {public: x}\n", 1,
	         "@:2:10: server: unknown key `public`");
	t_expect("3 unknown parts key",
	         "source:\n  type: postgres\n  connection_url: {database: d, "
	         "hots: h}\n",
	         1,
	         "@:3:33: source.connection_url: unknown key `hots` — did "
	         "you mean `host`?");
	t_expect("4 connection_url integer",
	         "source: {type: postgres, connection_url: 5432}\n", 1,
	         "@:1:42: source.connection_url: expected a connection URL "
	         "string, an env reference `{env: VAR}`, or a connection-parts "
	         "mapping (host, port, user, password, database), found an "
	         "integer");
	t_expect(
	    "5 env reference with default",
	    "source:\n  type: postgres\n  connection_url:\n    database: d\n"
	    "    password: {env: X, default: y}\n",
	    1,
	    "unexpected key `default` in env reference — write it as "
	    "`{env: VAR}`");
	t_expect("empty env mapping", SRC OS "    password: {}\n", 1,
	         "expected a string value or an env reference `{env: VAR}`, "
	         "found an empty mapping");
	t_expect("6 opensearch without url",
	         SRC "sinks:\n  search: {type: opensearch}\n", 1,
	         "@:3:11: sinks.search: missing key `url`");
	t_expect("7 index without enabled",
	         SRC "index:\n  - {name: users, schema: u.schema.yml}\n", 1,
	         "@:3:5: index[0]: missing key `enabled`");
	t_expect("8 duplicate index names",
	         SRC "index:\n  - {name: users, schema: a.yml, enabled: true}\n"
	             "  - {name: Users, schema: b.yml, enabled: true}\n",
	         1,
	         "@:4:5: index[1]: duplicate index name `users` (also "
	         "index[0])");
	t_expect("9 missing schema file", SRC IX, 1,
	         "failed to read schema `users` from `");
	t_expect("10 hostname address",
	         SRC "server: {public_address: 'localhost:9464'}\n", 1,
	         "@:2:26: server.public_address: invalid socket address "
	         "`localhost:9464`; use an IP address such as 127.0.0.1:9464");
	t_expect("11 prefix uppercase", SRC "prefix: Dev_\n", 1,
	         "@:2:9: prefix: invalid index prefix `Dev_`: must be "
	         "lowercase");
	t_expect("11 prefix leading underscore", SRC "prefix: _dev\n", 1,
	         "must start with a letter or digit");
	t_expect("11 prefix with space", SRC "prefix: 'a b'\n", 1,
	         "contains the illegal character ` `");
	t_expect("11 prefix too long",
	         SRC "prefix: "
	             "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijx\n",
	         1,
	         "invalid index prefix: too long (51 bytes); keep it under 50");
	t_expect("12 batch_size 0", SRC OS "    batch_size: 0\n", 1,
	         "@:6:17: sinks.search.batch_size: must be between 1 and "
	         "100000, found 0");
	t_expect("12 number_of_shards 0", SRC OS "    number_of_shards: 0\n", 1,
	         "sinks.search.number_of_shards: must be between 1 and 1024, "
	         "found 0");
	t_expect("12 refresh_period_ms -1",
	         SRC OS "    refresh_period_ms: -1\n", 1,
	         "sinks.search.refresh_period_ms: must be between 0 and 60000, "
	         "found -1");
	t_expect("12 skip_identical_ids",
	         SRC OS "    skip_identical_ids: 10000001\n", 1,
	         "sinks.search.skip_identical_ids: must be between 0 and "
	         "10000000, found 10000001");
	t_expect("12 timeout_secs 0", SRC OS "    timeout_secs: 0\n", 1,
	         "sinks.search.timeout_secs: must be between 1 and 3600, found "
	         "0");
	t_expect("12 port 0",
	         "source:\n  type: postgres\n  connection_url: {database: d, "
	         "port: 0}\n",
	         1,
	         "source.connection_url.port: must be between 1 and 65535, "
	         "found 0");
	t_expect("15 literal mysql url warns",
	         "source: {type: postgres, connection_url: 'mysql://x/y'}\n", 0,
	         "@:1:42: source: connection_url does not look like "
	         "postgresql://");
	t_expect("15 sink url without scheme warns",
	         SRC "sinks:\n  s: {type: opensearch, url: 'localhost:9200'}\n",
	         0, "url `localhost:9200` is not an http:// or https:// URL");
	t_expect(
	    "sink url list in one string with an empty node warns",
	    SRC "sinks:\n  s: {type: opensearch, url: 'http://a,,http://b'}\n",
	    0, "url `http://a,,http://b` is not an http:// or https:// URL");
	t_expect(
	    "sink url list in one string with a bad node warns",
	    SRC "sinks:\n  s: {type: opensearch, url: 'http://a, ftp://b'}\n",
	    0, "url `http://a, ftp://b` is not an http:// or https:// URL");
	{
		struct fl_diags d;
		struct fl_config *c = t_load(
		    SRC "sinks:\n  s: {type: opensearch, url: 'http://a, "
		        "http://b'}\n",
		    NULL, &d);

		ok(c && d.nerrors == 0 && d.nwarnings == 0,
		   "sink url list in one string (blanks after commas) loads "
		   "without a warning");
		fl_config_free(c);
		fl_diags_done(&d);
	}
	t_expect("password without username warns",
	         SRC OS "    password: secret\n", 0,
	         "password without username is ignored");
	t_expect(
	    "32 enabled: yes",
	    SRC "index:\n  - {name: u, schema: u.yml, enabled: yes}\n", 1,
	    "@:3:39: index[0].enabled: expected a boolean (`true`/`false`), "
	    "found the string `yes`");
	t_expect("33 refresh_interval -1 unquoted",
	         SRC OS "    refresh_interval: -1\n", 1,
	         "@:6:23: sinks.search.refresh_interval: refresh_interval must "
	         "be a string such as \"10s\" or \"-1\" (quote it)");
	t_expect("37 flusso_meta is reserved",
	         SRC "index:\n  - {name: flusso_meta, schema: m.yml, enabled: "
	             "true}\n",
	         1, "index name `flusso_meta` is reserved");
	t_expect("flusso_pending is reserved",
	         SRC "index:\n  - {name: flusso_pending, schema: m.yml, "
	             "enabled: true}\n",
	         1, "index name `flusso_pending` is reserved");
	t_expect("bad on_error", SRC "on_error: ignore\n", 1,
	         "unknown on_error `ignore`; expected `stop` or `skip`");
	t_expect("schema extension warns",
	         SRC "index:\n  - {name: u, schema: u.json, enabled: false}\n",
	         1, "schema file `u.json` does not end in .yml or .yaml");
}

TAP_TEST(test_missing_files)
{
	struct fl_diags d;
	char path[512], *all;
	struct fl_config *c;

	snprintf(path, sizeof(path), "%s/nosuch.yml", t_dir);
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	all = t_all(&d);
	ok(c == NULL, "missing explicit config fails");
	has_str(all, "not found", "config file X not found");
	free(all);
	fl_diags_done(&d);

	unlink(path);
	snprintf(path, sizeof(path), "%s/flusso.yml", t_dir);
	unlink(path);
	t_write("flusso.toml", "[source]\ntype = \"postgres\"\n");
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	all = t_all(&d);
	ok(c != NULL && c->toml, "31 flusso.toml is read when flusso.yml is "
	                         "absent (issue 19)");
	has_str(c ? c->path : "", "/flusso.toml", "31 its path is the toml's");
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);
	snprintf(path, sizeof(path), "%s/flusso.toml", t_dir);
	unlink(path);
}

/* A flusso.toml goes through the same reader: the same messages, with
 * the TOML file's positions. */
TAP_TEST(test_toml_config)
{
	char path[512];
	struct fl_config *c;
	struct fl_diags d;
	char *all;

	t_write("t.schema.yml", "version: 1\ntable: t\nfields:\n  - keyword: "
	                        "k\n    required: true\n");
	t_write("x.toml", "prefix = \"dev_\"\n[source]\ntype = "
	                  "\"postgres\"\n[source.connection_url]\n"
	                  "database = \"db\"\npassword = { env = "
	                  "\"PGPW\" }\n\n[sinks.primary]\ntype = "
	                  "\"opensearch\"\nurl = \"http://h:9200\"\n"
	                  "batch_size = 2_000\n[[index]]\nname = \"t\"\n"
	                  "schema = \"t.schema.yml\"\nenabled = true\n");
	snprintf(path, sizeof(path), "%s/x.toml", t_dir);
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	ok(c && c->toml, "a .toml path loads as TOML");
	if (!c) {
		all = t_all(&d);
		printf("# %s", all);
		free(all);
	}
	ok(c && c->source.conn == FL_CONN_PARTS &&
	       strcmp(c->source.database, "db") == 0 &&
	       c->source.password.kind == FL_SECRET_ENV &&
	       strcmp(c->source.password.value, "PGPW") == 0,
	   "[source.connection_url] parts with an env password");
	ok(c && c->nsinks == 1 && c->sinks[0].batch_size == 2000 &&
	       strcmp(c->prefix, "dev_") == 0,
	   "sink batch_size 2_000 and prefix");
	ok(c && c->nindexes == 1 && c->indexes[0].schema != NULL,
	   "the schema is read relative to the toml");
	fl_config_free(c);
	fl_diags_done(&d);

	t_write("x.toml", "[source]\ntype = \"postgres\"\n\n"
	                  "[sinks.primary]\ntype = \"opensearch\"\n"
	                  "url = \"http://h:9200\"\nbatch_size = 0\n"
	                  "tls_verfy = false\n");
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	all = t_all(&d);
	ok(c == NULL, "range and unknown keys are errors in TOML too");
	has_str(all, "x.toml:8:1: sinks.primary: unknown key `tls_verfy`",
	        "unknown key at its TOML position");
	has_str(all, "did you mean `tls_verify`", "with the hint");
	has_str(all, "x.toml:7:14: sinks.primary.batch_size:",
	        "range error at the TOML value");
	free(all);
	fl_diags_done(&d);

	t_write("x.toml", "[source]\ntype = \"postgres\"\nx = 1.5\n");
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	all = t_all(&d);
	ok(c == NULL, "unsupported TOML fails the load");
	has_str(all, "x.toml:3:5: unsupported TOML: floats (`1.5`)",
	        "with file:line:col");
	free(all);
	fl_diags_done(&d);
	unlink(path);
}

TAP_TEST(test_schema_errors_with_config)
{
	struct fl_diags d;
	struct fl_config *c;
	char *all;

	t_write("a.schema.yml",
	        "version: 1\ntable: a\nfields:\n  - keyword: k\n");
	t_write("b.schema.yml", "version: 2\ntable: b\nfields: []\n");
	c = t_load(SRC "index:\n  - {name: a, schema: a.schema.yml, enabled: "
	               "true}\n  - {name: b, schema: b.schema.yml, enabled: "
	               "false}\n",
	           NULL, &d);
	all = t_all(&d);
	ok(c == NULL, "schema errors fail the load");
	has_str(all,
	        "a.schema.yml:4:5: fields[0].keyword k: missing key "
	        "`required`",
	        "first schema's error, relative to the config dir");
	has_str(all, "b.schema.yml:1:10: version: unsupported schema version",
	        "disabled index still validated, and reported too");
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);
}

TAP_TEST(test_good_config)
{
	struct fl_diags d;
	struct fl_config *c;
	char buf[64], *ci;
	struct fl_err err;

	t_write("u.schema.yml", "version: 1\ntable: users\nfields: []\n");
	c = t_load(
	    "source:\n  type: postgres\n  connection_url:\n    host: h\n"
	    "    database: shop\n    user: \"o'neil\"\n    password: "
	    "{env: T_PW}\n"
	    "sinks:\n  zeta: {type: stdout, pretty: true}\n  Alpha:\n    "
	    "type: opensearch\n    url: {env: T_OS}\n    password: lit\n"
	    "    username: u\n"
	    "index:\n  - {name: zz, schema: u.schema.yml, enabled: false}\n"
	    "  - {name: users, schema: u.schema.yml, enabled: true, "
	    "on_error: skip}\n"
	    "prefix: dev_\nserver:\n  public_address: 0.0.0.0:9464\n  "
	    "private_address: '[::1]:9465'\n",
	    "cli_", &d);
	if (!ok(c != NULL && d.nerrors == 0, "loads")) {
		char *all = t_all(&d);

		printf("# %s", all);
		free(all);
		fl_diags_done(&d);
		return;
	}
	is_str(c->sinks[0].name, "alpha", "sinks sorted and folded");
	is_str(c->sinks[1].name, "zeta", "second sink");
	is_long(c->sinks[0].batch_size, 1000, "batch_size default");
	is_long(c->sinks[0].max_bytes, 10485760, "max_bytes default");
	is_str(c->sinks[0].refresh_interval, "10s", "refresh default");
	is_long(c->sinks[0].refresh_period_ms, 200,
	        "refresh_period_ms default");
	is_long(c->sinks[0].skip_identical_ids, 16384,
	        "skip_identical_ids default");
	ok(c->sinks[0].tls_verify && c->sinks[0].auto_subfields,
	   "bool defaults");
	is_str(c->indexes[0].name, "users", "indexes sorted by name");
	is_long(fl_config_policy(c, &c->indexes[0]), FL_POLICY_SKIP,
	        "per-index policy");
	is_long(fl_config_policy(c, &c->indexes[1]), FL_POLICY_STOP,
	        "global policy");
	is_str(c->prefix, "cli_", "prefix override wins");
	is_long(c->source.port, 5432, "port default");
	is_str(fl_secret_redacted(&c->source.password, buf, sizeof(buf)),
	       "${T_PW}", "env secret shown as ${VAR}");
	is_str(fl_secret_redacted(&c->sinks[0].password, buf, sizeof(buf)),
	       "***", "literal secret redacted");

	unsetenv("DATABASE_URL");
	unsetenv("T_PW");
	ci = fl_config_source_conninfo(c, &err);
	ok(ci == NULL, "13 env secret unset fails at runtime");
	has_str(err.msg, "environment variable 'T_PW' is not set",
	        "names the variable");
	setenv("T_PW", "p@ss:w'rd \\", 1);
	ci = fl_config_source_conninfo(c, &err);
	is_str(ci,
	       "host='h' port='5432' user='o\\'neil' password='p@ss:w\\'rd "
	       "\\\\' dbname='shop'",
	       "parts become a quoted conninfo");
	free(ci);
	setenv("DATABASE_URL", "postgresql://a@b/c", 1);
	ci = fl_config_source_conninfo(c, &err);
	is_str(ci, "postgresql://a@b/c", "DATABASE_URL beats parts");
	free(ci);
	unsetenv("DATABASE_URL");
	unsetenv("T_OS");
	ok(fl_config_sink_secret(&c->sinks[0], "URL", &ci, &err) < 0,
	   "sink env url unset fails");
	setenv("ALPHA_OPENSEARCH_PASSWORD", "over", 1);
	fl_config_sink_secret(&c->sinks[0], "PASSWORD", &ci, &err);
	is_str(ci, "over", "<SINK>_OPENSEARCH_PASSWORD overrides a literal");
	free(ci);
	unsetenv("ALPHA_OPENSEARCH_PASSWORD");
	fl_config_free(c);
	fl_diags_done(&d);
}

TAP_TEST(test_source_runtime)
{
	struct fl_diags d;
	struct fl_config *c = t_load(SRC, NULL, &d);
	struct fl_err err;
	char *ci;

	unsetenv("DATABASE_URL");
	ci = fl_config_source_conninfo(c, &err);
	ok(ci == NULL, "14 nothing configured");
	has_str(err.msg,
	        "source has no connection_url and DATABASE_URL is not "
	        "set",
	        "14 message");
	setenv("DATABASE_URL", "  postgres://u@h:1/d  ", 1);
	ci = fl_config_source_conninfo(c, &err);
	is_str(ci, "postgres://u@h:1/d", "DATABASE_URL trimmed");
	free(ci);
	setenv("DATABASE_URL", "mysql://u@h/d", 1);
	ok(fl_config_source_conninfo(c, &err) == NULL, "bad URL at runtime");
	has_str(err.msg, "invalid connection URL", "says so");
	unsetenv("DATABASE_URL");
	fl_config_free(c);
	fl_diags_done(&d);
}

TAP_TEST(test_prefix_override_validated)
{
	struct fl_diags d;
	struct fl_config *c = t_load(SRC, "Bad", &d);
	char *all = t_all(&d);

	ok(c == NULL, "bad --index-prefix fails");
	has_str(all, "--index-prefix: invalid index prefix `Bad`", "named");
	free(all);
	fl_diags_done(&d);
	ok(fl_config_check_slot_name("my-slot") < 0, "38 slot name with dash");
	ok(fl_config_check_slot_name("Pub") < 0, "38 uppercase publication");
	ok(fl_config_check_slot_name("flusso_1") == 0, "valid slot name");
}

/* Every shipped example loads without errors. */
TAP_TEST(test_examples)
{
	const char *src = getenv("FLUSSO_SOURCE_DIR");
	struct fl_diags d;
	struct fl_config *c;
	char path[1024];

	if (!ok(src != NULL, "FLUSSO_SOURCE_DIR set"))
		return;
	snprintf(path, sizeof(path), "%s/share/examples/shop/flusso.yml", src);
	fl_diags_init(&d);
	c = fl_config_load(path, NULL, &d);
	if (!ok(c != NULL && d.nerrors == 0 && d.nwarnings == 0,
	        "shop example loads cleanly")) {
		char *all = t_all(&d);

		printf("# %s", all);
		free(all);
	}
	ok(c && c->nindexes == 3, "three indexes");
	fl_config_free(c);
	fl_diags_done(&d);
}

/* ---- groups and the selection (config_group.c) ---------------------- */

#define GIX                                                                \
	"index:\n  - {name: users, schema: u.schema.yml, enabled: true}\n" \
	"  - {name: orders, schema: u.schema.yml, enabled: true}\n"        \
	"  - {name: products, schema: u.schema.yml, enabled: false}\n"

TAP_TEST(test_groups_bad)
{
	t_write("u.schema.yml", "version: 1\ntable: users\nfields: []\n");
	t_expect("groups: unknown index",
	         SRC GIX "groups:\n  a: {indexes: [users, userz]}\n", 1,
	         "@:7:24: groups.a.indexes[1]: unknown index `userz` in group "
	         "`a`; the indexes are: users, orders, products");
	t_expect("groups: index in two groups",
	         SRC GIX "groups:\n  a: {indexes: [users]}\n"
	                 "  b:\n    indexes: [orders, Users]\n",
	         1,
	         "@:9:23: groups.b.indexes[1]: index `users` is already in "
	         "group `a` (line 7, column 17); an index belongs to one "
	         "group at most");
	t_expect("groups: index twice in one group",
	         SRC GIX "groups:\n  a: {indexes: [users, users]}\n", 1,
	         "@:7:24: groups.a.indexes[1]: index `users` is already in "
	         "group `a` (line 7, column 17)");
	t_expect("groups: empty index list",
	         SRC GIX "groups:\n  a: {indexes: []}\n", 1,
	         "@:7:16: groups.a.indexes: a group lists at least one index");
	t_expect("groups: no indexes key", SRC GIX "groups:\n  a: {slot: s}\n",
	         1, "@:7:6: groups.a: missing key `indexes`");
	t_expect(
	    "groups: unknown key",
	    SRC GIX "groups:\n  a: {indexes: [users], slots: s}\n", 1,
	    "@:7:25: groups.a: unknown key `slots` — did you mean `slot`?");
	t_expect("groups: bad slot name",
	         SRC GIX "groups:\n  a: {indexes: [users], slot: Bad-Slot}\n",
	         1, "@:7:31: groups.a.slot: invalid slot name `Bad-Slot`");
	t_expect("groups: bad publication name",
	         SRC GIX "groups:\n  a: {indexes: [users], publication: 9p}\n",
	         1, "@:7:38: groups.a.publication: invalid publication name");
	t_expect("groups: bad group name",
	         SRC GIX "groups:\n  Or-ders: {indexes: [users]}\n", 1,
	         "@:7:3: groups.Or-ders: invalid group name `Or-ders`");
	t_expect("groups: not a mapping", SRC GIX "groups: [a]\n", 1,
	         "@:6:9: groups: expected a mapping of group names to groups");
	t_expect("groups: index name not a string",
	         SRC GIX "groups:\n  a: {indexes: [{x: 1}]}\n", 1,
	         "@:7:17: groups.a.indexes[0]: expected an index name, found");
}

static struct fl_config *
t_load_groups(struct fl_diags *d)
{
	t_write("u.schema.yml", "version: 1\ntable: users\nfields: []\n");
	return t_load(SRC GIX "groups:\n"
	                      "  rest: {indexes: [users, products]}\n"
	                      "  orders:\n    indexes: [orders]\n"
	                      "    slot: s_orders\n    publication: p_orders\n",
	              NULL, d);
}

TAP_TEST(test_groups_select)
{
	struct fl_config_sel sel = { 0 };
	struct fl_diags d;
	struct fl_config *c;
	char *all;

	c = t_load_groups(&d);
	if (!ok(c && d.nerrors == 0, "groups load")) {
		fl_diags_done(&d);
		fl_config_free(c);
		return;
	}
	is_long((long)c->ngroups, 2, "two groups");
	is_str(c->groups[0].name, "orders", "groups sorted by name");
	is_long(c->groups[1].at.line, 7, "group position kept");
	/* nothing selected: everything, the base names */
	ok(fl_config_select(c, &sel, &d) == 0, "no selection");
	is_long((long)c->nindexes, 3, "all indexes kept");
	is_str(c->slot, "flusso", "default slot");
	ok(c->group == NULL, "no group");
	is_str(c->groups[1].slot, "flusso_rest", "derived slot");
	is_str(c->groups[1].publication, "flusso_rest", "derived publication");
	is_str(c->groups[0].slot, "s_orders", "written slot");
	/* a group narrows, a disabled index stays disabled */
	sel.group = "rest";
	sel.slot = "base";
	ok(fl_config_select(c, &sel, &d) == 0, "--group rest");
	is_long((long)c->nindexes, 2, "its two indexes");
	ok(fl_config_index(c, "orders") == NULL, "orders gone");
	ok(fl_config_index(c, "products") &&
	       !fl_config_index(c, "products")->enabled,
	   "products still disabled");
	is_str(c->slot, "base_rest", "slot from the base");
	is_str(c->publication, "flusso_rest", "publication from its base");
	is_str(c->group, "rest", "group recorded");
	fl_config_free(c);
	fl_diags_done(&d);

	/* --indexes: sorted, deduplicated, names derived */
	c = t_load_groups(&d);
	memset(&sel, 0, sizeof(sel));
	sel.indexes = " users, Orders,users";
	ok(fl_config_select(c, &sel, &d) == 0, "--indexes");
	is_long((long)c->nindexes, 2, "two indexes");
	is_str(c->slot, "flusso_orders_users", "slot from the sorted list");
	ok(c->group == NULL, "no group with --indexes");
	fl_config_free(c);
	fl_diags_done(&d);

	c = t_load_groups(&d);
	sel.indexes = "users,nope";
	ok(fl_config_select(c, &sel, &d) < 0, "unknown index refused");
	sel.indexes = NULL;
	sel.group = "nope";
	ok(fl_config_select(c, &sel, &d) < 0, "unknown group refused");
	sel.indexes = "users";
	sel.group = "rest";
	ok(fl_config_select(c, &sel, &d) < 0, "both refused");
	sel.group = NULL;
	sel.indexes = ",";
	ok(fl_config_select(c, &sel, &d) < 0, "empty list refused");
	sel.indexes = NULL;
	sel.group = "rest";
	sel.slot =
	    "a123456789a123456789a123456789a123456789a123456789a123456789";
	ok(fl_config_select(c, &sel, &d) < 0, "too long a derived slot");
	all = t_all(&d);
	has_str(all,
	        "--indexes: unknown index `nope`; the indexes are: orders, "
	        "products, users",
	        "unknown index message lists the indexes");
	has_str(all,
	        "--group: unknown group `nope`; the groups are: orders, "
	        "rest",
	        "unknown group message lists the groups");
	has_str(all, "--group and --indexes exclude each other", "both");
	has_str(all, "--indexes: names no index", "empty");
	has_str(all, "the derived slot name `a123", "derived name too long");
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);
}

TAP_TEST(test_groups_check)
{
	struct fl_config_sel sel = { 0 };
	struct fl_diags d;
	struct fl_config *c;
	char *all;

	t_write("u.schema.yml", "version: 1\ntable: users\nfields: []\n");
	c = t_load(SRC GIX
	           "groups:\n"
	           "  a: {indexes: [users], slot: flusso_b}\n"
	           "  b: {indexes: [products], publication: flusso_a}\n",
	           NULL, &d);
	if (!ok(c != NULL, "loads")) {
		fl_diags_done(&d);
		return;
	}
	fl_config_select(c, &sel, &d);
	fl_config_groups_check(c, &d);
	all = t_all(&d);
	has_str(all,
	        ":8:3: groups: groups `a` and `b` share the slot `flusso_b`",
	        "shared slot warned at the second group");
	has_str(all, "share the publication `flusso_a`", "shared publication");
	has_str(all, ":4:5: groups: index `orders` is in no group",
	        "index in no group warned at its entry");
	is_long((long)d.nerrors, 0, "warnings only");
	is_long((long)d.nwarnings, 3, "three warnings");
	free(all);
	fl_config_free(c);
	fl_diags_done(&d);

	c = t_load(SRC GIX, NULL, &d);
	fl_config_select(c, &sel, &d);
	fl_config_groups_check(c, &d);
	is_long((long)d.nwarnings, 0, "no groups: no warning");
	fl_config_free(c);
	fl_diags_done(&d);
}

int
main(void)
{
	char tmpl[] = "/tmp/flusso-test-config.XXXXXX";
	char cmd[300];

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(t_dir, sizeof(t_dir), "%s", tmpl);
	tap_run(test_bad_deployment);
	tap_run(test_missing_files);
	tap_run(test_schema_errors_with_config);
	tap_run(test_good_config);
	tap_run(test_source_runtime);
	tap_run(test_prefix_override_validated);
	tap_run(test_examples);
	tap_run(test_toml_config);
	tap_run(test_groups_bad);
	tap_run(test_groups_select);
	tap_run(test_groups_check);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t_dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", t_dir);
	return tap_done();
}
