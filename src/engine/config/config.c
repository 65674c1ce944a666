/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config.c - loading `flusso.yml` (config.md §2): source, sinks, index
 * list, on_error, prefix, server; then every index's schema, relative to
 * the file's directory. Secrets stay references; runtime resolution and
 * redaction live in config_env.c.
 *
 * Every problem of the deployment file and of every schema goes into one
 * diagnostics list, so `flusso check` shows them all in one run.
 */
#include "config/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/config_group.h"
#include "config/config_os_auth.h"
#include "config/schema_hash.h"
#include "config/schema_hash_ref.h"
#include "config/toml_doc.h"
#include "config/yaml_read.h"
#include "util/buf.h"
#include "util/node_pool.h"
#include "util/xmem.h"

static const char *const top_keys[] = { "source",       "sinks",  "index",
	                                "on_error",     "prefix", "server",
	                                "index_naming", "groups" };
static const char *const source_keys[] = { "type", "connection_url",
	                                   "manage_publication" };
static const char *const parts_keys[] = { "host", "port", "user", "password",
	                                  "database" };
static const char *const os_keys[] = {
	"type",
	"url",
	"username",
	"password",
	"tls_verify",
	"batch_size",
	"max_bytes",
	"timeout_secs",
	"max_retries",
	"pipeline",
	"number_of_shards",
	"number_of_replicas",
	"refresh_interval",
	"refresh_period_ms",
	"skip_identical_ids",
	"text_analysis",
	"auto_subfields",
	"ca_file",
	"client_cert",
	"client_key",
	"auth",
	"region",
	"service",
};
static const char *const stdout_keys[] = { "type", "pretty" };
static const char *const index_keys[] = { "name", "schema", "enabled",
	                                  "on_error" };
static const char *const server_keys[] = { "public_address",
	                                   "private_address" };

/* ---- secrets --------------------------------------------------------- */

/* A literal string or {env: VAR}; 1 when absent. */
static int
config_secret(struct fl_yread *r, const struct fl_ynode *map, const char *key,
              int required, struct fl_secret *out)
{
	const struct fl_ynode *v = fl_ynode_get(map, key);
	const struct fl_ynode *k0, *ev;
	size_t mark;
	int rc = 0;

	if (!v) {
		if (required)
			return fl_yread_error(r, map, "missing key `%s`", key);
		return 1;
	}
	if (v->kind == FL_YNODE_SCALAR && v->u.s.type == FL_YSCALAR_STR) {
		out->kind = FL_SECRET_LITERAL;
		out->value = fl_xstrndup(v->u.s.text, v->u.s.len);
		return 0;
	}
	mark = fl_yread_push(r, "%s", key);
	if (v->kind != FL_YNODE_MAP || v->u.map.n == 0) {
		char found[96];

		fl_yread_found(v, found, sizeof(found));
		rc = fl_yread_error(r, v,
		                    "expected a string value or an env "
		                    "reference `{env: VAR}`, found %s",
		                    found);
		goto out;
	}
	k0 = v->u.map.pairs[0].key;
	if (strcmp(k0->u.s.text, "env") != 0) {
		rc =
		    fl_yread_error(r, k0,
		                   "unknown key `%s` — expected a string value "
		                   "or an env reference `{env: VAR}`",
		                   k0->u.s.text);
		goto out;
	}
	if (v->u.map.n > 1) {
		rc = fl_yread_error(r, v->u.map.pairs[1].key,
		                    "unexpected key `%s` in env reference — "
		                    "write it as `{env: VAR}`",
		                    v->u.map.pairs[1].key->u.s.text);
		goto out;
	}
	ev = v->u.map.pairs[0].value;
	if (ev->kind != FL_YNODE_SCALAR || ev->u.s.type != FL_YSCALAR_STR ||
	    !*ev->u.s.text) {
		rc = fl_yread_error(r, ev,
		                    "`env` names an environment variable: "
		                    "expected a non-empty string");
		goto out;
	}
	out->kind = FL_SECRET_ENV;
	out->value = fl_xstrndup(ev->u.s.text, ev->u.s.len);
out:
	fl_yread_pop(r, mark);
	return rc;
}

static void
config_secret_done(struct fl_secret *s)
{
	free(s->value);
	s->value = NULL;
	s->kind = FL_SECRET_NONE;
}

/* ---- source -------------------------------------------------------------- */

static int
config_url_pattern_ok(const char *url, const char *const *schemes)
{
	size_t i, n;

	for (i = 0; schemes[i]; i++) {
		n = strlen(schemes[i]);
		if (strncmp(url, schemes[i], n) == 0 && url[n] &&
		    !strpbrk(url, " \t\r\n"))
			return 1;
	}
	return 0;
}

static const char *const pg_schemes[] = { "postgresql://", "postgres://",
	                                  NULL };
static const char *const http_schemes[] = { "http://", "https://", NULL };

/* A literal OpenSearch url: one URL, or a comma-separated list of at most
 * FL_NODE_POOL_MAX (blanks around the commas allowed), each an http(s)
 * URL - what fl_node_pool_new accepts at runtime. */
static int
config_url_list_ok(const char *list)
{
	const char *b = list, *c, *e;
	char one[2048];
	int n = 0;

	for (;;) {
		c = strchr(b, ',');
		e = c ? c : b + strlen(b);
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == b || (size_t)(e - b) >= sizeof(one) ||
		    ++n > FL_NODE_POOL_MAX)
			return 0;
		memcpy(one, b, (size_t)(e - b));
		one[e - b] = '\0';
		if (!config_url_pattern_ok(one, http_schemes))
			return 0;
		if (!c)
			return 1;
		b = c + 1;
	}
}

static int
config_parts(struct fl_yread *r, const struct fl_ynode *v,
             struct fl_source *src)
{
	size_t mark = fl_yread_push(r, "connection_url");
	int rc = 0;

	src->conn = FL_CONN_PARTS;
	if (fl_yread_check_keys(r, v, parts_keys, FL_ARRAY_LEN(parts_keys)))
		rc = -1;
	if (fl_yread_str(r, v, "host", 0, &src->host) < 0)
		rc = -1;
	src->port = 5432;
	if (fl_yread_long(r, v, "port", 0, 1, 65535, &src->port) < 0)
		rc = -1;
	if (fl_yread_str(r, v, "user", 0, &src->user) < 0)
		rc = -1;
	if (config_secret(r, v, "password", 0, &src->password) < 0)
		rc = -1;
	if (fl_yread_str(r, v, "database", 1, &src->database) < 0)
		rc = -1;
	if (!src->host)
		src->host = fl_xstrdup("127.0.0.1");
	if (!src->user)
		src->user = fl_xstrdup("postgres");
	fl_yread_pop(r, mark);
	return rc;
}

static int
config_connection(struct fl_yread *r, const struct fl_ynode *srcmap,
                  struct fl_source *src)
{
	const struct fl_ynode *v = fl_ynode_get(srcmap, "connection_url");
	struct fl_secret s = { FL_SECRET_NONE, NULL };
	char found[96];

	if (!v)
		return 0;
	if (v->kind == FL_YNODE_MAP && !fl_ynode_get(v, "env"))
		return config_parts(r, v, src);
	if (v->kind == FL_YNODE_SCALAR && v->u.s.type != FL_YSCALAR_STR) {
		fl_yread_found(v, found, sizeof(found));
		return fl_yread_key_error(
		    r, v, "connection_url",
		    "expected a connection URL string, an env reference "
		    "`{env: VAR}`, or a connection-parts mapping (host, "
		    "port, user, password, database), found %s",
		    found);
	}
	if (config_secret(r, srcmap, "connection_url", 1, &s) < 0)
		return -1;
	if (s.kind == FL_SECRET_ENV) {
		src->conn = FL_CONN_ENV;
		src->url_env = s.value;
		return 0;
	}
	src->conn = FL_CONN_URL;
	src->url = s.value;
	if (!config_url_pattern_ok(src->url, pg_schemes))
		fl_yread_warn(r, v,
		              "connection_url does not look like "
		              "postgresql://USER@HOST:PORT/DATABASE; it will "
		              "be rejected at runtime unless DATABASE_URL "
		              "overrides it");
	return 0;
}

static int
config_source(struct fl_yread *r, const struct fl_ynode *root,
              struct fl_source *src)
{
	const struct fl_ynode *m = fl_ynode_get(root, "source");
	char *type = NULL;
	size_t mark;
	int rc = 0;

	src->manage_publication = 1;
	if (!m)
		return fl_yread_error(r, root, "missing key `source`");
	mark = fl_yread_push(r, "source");
	if (!fl_yread_is_map(r, m, "a mapping (the source database)")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	if (fl_yread_check_keys(r, m, source_keys, FL_ARRAY_LEN(source_keys)))
		rc = -1;
	if (fl_yread_str(r, m, "type", 1, &type) < 0)
		rc = -1;
	else if (strcmp(type, "postgres") != 0)
		rc = fl_yread_key_error(r, fl_ynode_get(m, "type"), "type",
		                        "unknown source type `%s`; expected "
		                        "`postgres`",
		                        type);
	free(type);
	if (config_connection(r, m, src) < 0)
		rc = -1;
	if (fl_yread_bool(r, m, "manage_publication", 0,
	                  &src->manage_publication) < 0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

/* ---- sinks --------------------------------------------------------------- */

static int
config_refresh_interval(struct fl_yread *r, const struct fl_ynode *m,
                        struct fl_sink_cfg *s)
{
	const struct fl_ynode *v = fl_ynode_get(m, "refresh_interval");

	if (v && v->kind == FL_YNODE_SCALAR &&
	    (v->u.s.type == FL_YSCALAR_INT || v->u.s.type == FL_YSCALAR_FLOAT))
		return fl_yread_key_error(r, v, "refresh_interval",
		                          "refresh_interval must be a string "
		                          "such as \"10s\" or \"-1\" (quote "
		                          "it)");
	if (fl_yread_str(r, m, "refresh_interval", 0, &s->refresh_interval) < 0)
		return -1;
	if (!s->refresh_interval)
		s->refresh_interval = fl_xstrdup("10s");
	return 0;
}

/*
 * `url: [a, b]`, the nodes of one cluster: a literal "a,b" (the form an
 * {env: VAR} or the override variable give at runtime). 0 when url is
 * not a list (nothing set), -1 on a bad item.
 */
static int
config_url_list(struct fl_yread *r, const struct fl_ynode *m,
                struct fl_secret *out)
{
	const struct fl_ynode *v = fl_ynode_get(m, "url");
	struct fl_buf b;
	size_t i, mark;
	int rc = 0;

	if (!v || v->kind != FL_YNODE_SEQ)
		return 0;
	mark = fl_yread_push(r, "url");
	if (v->u.seq.n == 0 || v->u.seq.n > FL_NODE_POOL_MAX) {
		rc = fl_yread_error(r, v,
		                    "expected 1 to %d node URLs, found %zu",
		                    FL_NODE_POOL_MAX, v->u.seq.n);
		fl_yread_pop(r, mark);
		return rc;
	}
	fl_buf_init(&b, 1 << 16);
	for (i = 0; i < v->u.seq.n; i++) {
		const struct fl_ynode *it = v->u.seq.items[i];

		if (it->kind != FL_YNODE_SCALAR ||
		    it->u.s.type != FL_YSCALAR_STR ||
		    !config_url_pattern_ok(it->u.s.text, http_schemes) ||
		    strchr(it->u.s.text, ',')) {
			char found[96];

			fl_yread_found(it, found, sizeof(found));
			rc = fl_yread_error(r, it,
			                    "node %zu: expected an http:// or "
			                    "https:// URL, found %s",
			                    i + 1, found);
			continue;
		}
		if (i)
			fl_buf_putc(&b, ',');
		fl_buf_puts(&b, it->u.s.text);
	}
	if (rc == 0) {
		out->kind = FL_SECRET_LITERAL;
		out->value = fl_buf_steal(&b);
	}
	fl_buf_done(&b);
	fl_yread_pop(r, mark);
	return rc;
}

static int
config_sink_os(struct fl_yread *r, const struct fl_ynode *m, const char *dir,
               struct fl_sink_cfg *s)
{
	char *analysis = NULL;
	int rc = 0;

	s->type = FL_SINK_OPENSEARCH;
	s->tls_verify = 1;
	s->batch_size = 1000;
	s->max_bytes = 10485760;
	s->timeout_secs = 30;
	s->max_retries = 3;
	s->number_of_shards = 1;
	s->number_of_replicas = 1;
	s->auto_subfields = 1;
	s->refresh_period_ms = FL_CFG_REFRESH_PERIOD_MS;
	s->skip_identical_ids = FL_CFG_SKIP_IDENTICAL_IDS;
	if (fl_yread_check_keys(r, m, os_keys, FL_ARRAY_LEN(os_keys)))
		rc = -1;
	if (config_url_list(r, m, &s->url) < 0)
		rc = -1;
	else if (!s->url.value && config_secret(r, m, "url", 1, &s->url) < 0)
		rc = -1;
	if (config_secret(r, m, "username", 0, &s->username) < 0 ||
	    config_secret(r, m, "password", 0, &s->password) < 0)
		rc = -1;
	if (fl_yread_bool(r, m, "tls_verify", 0, &s->tls_verify) < 0 ||
	    fl_yread_long(r, m, "batch_size", 0, 1, 100000, &s->batch_size) <
	        0 ||
	    fl_yread_long(r, m, "max_bytes", 0, 1024, 2147483647L,
	                  &s->max_bytes) < 0 ||
	    fl_yread_long(r, m, "timeout_secs", 0, 1, 3600, &s->timeout_secs) <
	        0 ||
	    fl_yread_long(r, m, "max_retries", 0, 0, 100, &s->max_retries) <
	        0 ||
	    fl_yread_str(r, m, "pipeline", 0, &s->pipeline) < 0 ||
	    fl_yread_long(r, m, "number_of_shards", 0, 1, 1024,
	                  &s->number_of_shards) < 0 ||
	    fl_yread_long(r, m, "number_of_replicas", 0, 0, 100,
	                  &s->number_of_replicas) < 0 ||
	    fl_yread_bool(r, m, "auto_subfields", 0, &s->auto_subfields) < 0 ||
	    fl_yread_long(r, m, "refresh_period_ms", 0, 0, 60000,
	                  &s->refresh_period_ms) < 0 ||
	    fl_yread_long(r, m, "skip_identical_ids", 0, 0, 10000000,
	                  &s->skip_identical_ids) < 0)
		rc = -1;
	if (config_refresh_interval(r, m, s) < 0)
		rc = -1;
	if (fl_config_os_auth(r, m, dir, s) < 0)
		rc = -1;
	if (fl_yread_str(r, m, "text_analysis", 0, &analysis) < 0) {
		rc = -1;
	} else if (analysis && strcmp(analysis, "icu") == 0) {
		s->text_analysis = FL_ANALYSIS_ICU;
	} else if (analysis && strcmp(analysis, "builtin") != 0) {
		rc = fl_yread_key_error(r, fl_ynode_get(m, "text_analysis"),
		                        "text_analysis",
		                        "unknown text_analysis `%s`; expected "
		                        "`builtin` or `icu`",
		                        analysis);
	}
	free(analysis);
	if (s->url.kind == FL_SECRET_LITERAL &&
	    !config_url_list_ok(s->url.value)) {
		char var[96];
		size_t i;

		snprintf(var, sizeof(var), "%s_OPENSEARCH_URL", s->name);
		for (i = 0; var[i]; i++)
			if (var[i] >= 'a' && var[i] <= 'z')
				var[i] = (char)(var[i] - 32);
		fl_yread_warn(
		    r, fl_ynode_get(m, "url"),
		    "url `%s` is not an http:// or https:// URL (or a "
		    "comma-separated list of at most %d); it will be "
		    "rejected at runtime unless %s overrides it",
		    s->url.value, FL_NODE_POOL_MAX, var);
	}
	if (s->password.kind != FL_SECRET_NONE &&
	    s->username.kind == FL_SECRET_NONE)
		fl_yread_warn(r, fl_ynode_get(m, "password"),
		              "password without username is ignored");
	return rc;
}

static int
config_sink(struct fl_yread *r, const struct fl_ynode *key,
            const struct fl_ynode *m, const char *dir, struct fl_sink_cfg *s)
{
	char *type = NULL;
	int rc = 0;

	s->name = fl_ident_normalize(key->u.s.text, key->u.s.len);
	if (!s->name)
		return fl_yread_error(r, key,
		                      "invalid sink name `%s`: use letters, "
		                      "digits and `_`, starting with a letter "
		                      "or `_`",
		                      key->u.s.text);
	if (!fl_yread_is_map(r, m, "a sink mapping with a `type`"))
		return -1;
	if (fl_yread_str(r, m, "type", 1, &type) < 0)
		return -1;
	if (strcmp(type, "opensearch") == 0) {
		rc = config_sink_os(r, m, dir, s);
	} else if (strcmp(type, "stdout") == 0) {
		s->type = FL_SINK_STDOUT;
		if (fl_yread_check_keys(r, m, stdout_keys, 2))
			rc = -1;
		if (fl_yread_bool(r, m, "pretty", 0, &s->pretty) < 0)
			rc = -1;
	} else {
		rc = fl_yread_key_error(r, fl_ynode_get(m, "type"), "type",
		                        "unknown sink type `%s`; expected "
		                        "`opensearch` or `stdout`",
		                        type);
	}
	free(type);
	return rc;
}

static int
config_sinks(struct fl_yread *r, const struct fl_ynode *root,
             struct fl_config *c)
{
	const struct fl_ynode *m = fl_ynode_get(root, "sinks");
	size_t i, j, mark;
	int rc = 0;

	if (!m)
		return 0;
	mark = fl_yread_push(r, "sinks");
	if (m->kind == FL_YNODE_SCALAR && m->u.s.type == FL_YSCALAR_NULL) {
		fl_yread_pop(r, mark);
		return 0;
	}
	if (!fl_yread_is_map(r, m, "a mapping of sink name to sink")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	c->sinks = fl_xcalloc(m->u.map.n, sizeof(*c->sinks));
	for (i = 0; i < m->u.map.n; i++) {
		const struct fl_ynode *k = m->u.map.pairs[i].key;
		size_t m2 = fl_yread_push(r, "%s", k->u.s.text);
		struct fl_sink_cfg *s = &c->sinks[c->nsinks++];

		if (config_sink(r, k, m->u.map.pairs[i].value, c->dir, s) < 0)
			rc = -1;
		for (j = 0; s->name && j + 1 < c->nsinks; j++)
			if (c->sinks[j].name &&
			    strcmp(c->sinks[j].name, s->name) == 0)
				rc = fl_yread_error(r, k,
				                    "duplicate sink name `%s` "
				                    "(names are folded to "
				                    "lowercase)",
				                    s->name);
		fl_yread_pop(r, m2);
	}
	fl_yread_pop(r, mark);
	return rc;
}

/* ---- index list ------------------------------------------------------------ */

static int
config_policy(struct fl_yread *r, const struct fl_ynode *m, enum fl_policy *out)
{
	char *v = NULL;
	int rc = fl_yread_str(r, m, "on_error", 0, &v);

	if (rc)
		return rc;
	if (strcmp(v, "stop") == 0)
		*out = FL_POLICY_STOP;
	else if (strcmp(v, "skip") == 0)
		*out = FL_POLICY_SKIP;
	else
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, "on_error"), "on_error",
		    "unknown on_error `%s`; expected `stop` "
		    "or `skip`",
		    v);
	free(v);
	return rc;
}

int
fl_config_parse_naming(const char *s, enum fl_index_naming *out)
{
	if (strcasecmp(s, "ours") == 0)
		*out = FL_NAMING_OURS;
	else if (strcasecmp(s, "reference") == 0)
		*out = FL_NAMING_REFERENCE;
	else
		return -1;
	return 0;
}

/* `index_naming: ours | reference`. */
static int
config_naming(struct fl_yread *r, const struct fl_ynode *m,
              enum fl_index_naming *out)
{
	char *v = NULL;
	int rc = fl_yread_str(r, m, "index_naming", 0, &v);

	if (rc || !v)
		return rc;
	if (fl_config_parse_naming(v, out) < 0)
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, "index_naming"), "index_naming",
		    "unknown index_naming `%s`; expected `ours` or "
		    "`reference`",
		    v);
	free(v);
	return rc;
}

int
fl_config_override_naming(struct fl_config *c, const char *v,
                          struct fl_diags *diags)
{
	if (!v)
		return 0;
	if (fl_config_parse_naming(v, &c->naming) < 0) {
		fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, "--index-naming",
		             "unknown index naming `%s`; expected `ours` or "
		             "`reference`",
		             v);
		return -1;
	}
	return 0;
}

void
fl_config_index_hash(const struct fl_config *c, const struct fl_index_cfg *ix,
                     char out[17])
{
	if (c->naming == FL_NAMING_REFERENCE)
		fl_hash_ref_schema(ix->schema, out);
	else
		fl_hash_schema(ix->schema, out);
}

static int
config_index_entry(struct fl_yread *r, const struct fl_ynode *m,
                   struct fl_index_cfg *ix)
{
	size_t n;
	int rc = 0;

	ix->on_error = FL_POLICY_UNSET;
	ix->at.line = m ? m->line : 0;
	ix->at.col = m ? m->col : 0;
	if (!fl_yread_is_map(r, m, "an index mapping {name, schema, enabled}"))
		return -1;
	if (fl_yread_check_keys(r, m, index_keys, FL_ARRAY_LEN(index_keys)))
		rc = -1;
	if (fl_yread_ident(r, m, "name", 1, "index name", &ix->name) < 0)
		rc = -1;
	if (fl_yread_str(r, m, "schema", 1, &ix->schema_path) < 0)
		rc = -1;
	if (fl_yread_bool(r, m, "enabled", 1, &ix->enabled) < 0)
		rc = -1;
	if (config_policy(r, m, &ix->on_error) < 0)
		rc = -1;
	if (ix->name && strcmp(ix->name, "flusso_meta") == 0)
		rc = fl_yread_key_error(r, fl_ynode_get(m, "name"), "name",
		                        "index name `flusso_meta` is reserved "
		                        "(it is the meta index)");
	if (ix->name && strcmp(ix->name, "flusso_pending") == 0)
		rc = fl_yread_key_error(
		    r, fl_ynode_get(m, "name"), "name",
		    "index name `flusso_pending` is reserved "
		    "(it is the pending index)");
	n = ix->schema_path ? strlen(ix->schema_path) : 0;
	if (n && !(n > 4 && strcmp(ix->schema_path + n - 4, ".yml") == 0) &&
	    !(n > 5 && strcmp(ix->schema_path + n - 5, ".yaml") == 0))
		fl_yread_warn(r, fl_ynode_get(m, "schema"),
		              "schema file `%s` does not end in .yml or .yaml",
		              ix->schema_path);
	return rc;
}

/* Returns -1 on errors; sets *dups when two entries share a name. */
static int
config_indexes(struct fl_yread *r, const struct fl_ynode *root,
               struct fl_config *c, int *dups)
{
	const struct fl_ynode *seq = fl_ynode_get(root, "index");
	size_t i, j, mark;
	int rc = 0;

	if (!seq ||
	    (seq->kind == FL_YNODE_SCALAR && seq->u.s.type == FL_YSCALAR_NULL))
		return 0;
	mark = fl_yread_push(r, "index");
	if (!fl_yread_is_seq(r, seq, "a list of index mappings")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	c->indexes = fl_xcalloc(seq->u.seq.n, sizeof(*c->indexes));
	c->nindexes = seq->u.seq.n;
	for (i = 0; i < seq->u.seq.n; i++) {
		struct fl_index_cfg *ix = &c->indexes[i];
		size_t m2 = fl_yread_push(r, "[%zu]", i);

		if (config_index_entry(r, seq->u.seq.items[i], ix) < 0)
			rc = -1;
		for (j = 0; ix->name && j < i; j++) {
			if (!c->indexes[j].name ||
			    strcmp(c->indexes[j].name, ix->name) != 0)
				continue;
			rc = fl_yread_error(r, seq->u.seq.items[i],
			                    "duplicate index name `%s` (also "
			                    "index[%zu])",
			                    ix->name, j);
			*dups = 1;
		}
		fl_yread_pop(r, m2);
	}
	fl_yread_pop(r, mark);
	return rc;
}

/* ---- prefix, server ------------------------------------------------------ */

const char *
fl_config_check_prefix(const char *prefix, char *buf, size_t n)
{
	static const char illegal[] = " ,:\"*+/\\|?#<>";
	size_t len = strlen(prefix), i;

	if (len == 0)
		return NULL;
	if (len > 50) {
		snprintf(buf, n,
		         "invalid index prefix: too long (%zu bytes); keep it "
		         "under 50",
		         len);
		return buf;
	}
	for (i = 0; i < len; i++) {
		if (strchr(illegal, prefix[i])) {
			snprintf(buf, n,
			         "invalid index prefix `%s`: contains the "
			         "illegal character `%c`",
			         prefix, prefix[i]);
			return buf;
		}
		if (prefix[i] >= 'A' && prefix[i] <= 'Z') {
			snprintf(buf, n,
			         "invalid index prefix `%s`: must be lowercase",
			         prefix);
			return buf;
		}
	}
	if (!((prefix[0] >= 'a' && prefix[0] <= 'z') ||
	      (prefix[0] >= '0' && prefix[0] <= '9'))) {
		snprintf(buf, n,
		         "invalid index prefix `%s`: must start with a letter "
		         "or digit",
		         prefix);
		return buf;
	}
	return NULL;
}

int
fl_config_check_slot_name(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > 63 ||
	    !((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return -1;
	for (i = 0; i < len; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '_'))
			return -1;
	return 0;
}

/* IP:port, [v6]:port. */
static int
config_addr_ok(const char *s)
{
	char host[64];
	const char *colon, *port;
	unsigned char tmp[16];
	long p;
	char *end;
	size_t hl;

	if (s[0] == '[') {
		colon = strstr(s, "]:");
		if (!colon)
			return 0;
		hl = (size_t)(colon - s - 1);
		port = colon + 2;
		if (hl >= sizeof(host))
			return 0;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, tmp) != 1)
			return 0;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return 0;
		hl = (size_t)(colon - s);
		port = colon + 1;
		if (hl >= sizeof(host))
			return 0;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, tmp) != 1)
			return 0;
	}
	errno = 0;
	p = strtol(port, &end, 10);
	return *port && !*end && errno == 0 && p >= 0 && p <= 65535;
}

static int
config_address(struct fl_yread *r, const struct fl_ynode *m, const char *key,
               char **out)
{
	const struct fl_ynode *v = fl_ynode_get(m, key);

	if (fl_yread_str(r, m, key, 0, out) < 0)
		return -1;
	if (*out && !config_addr_ok(*out))
		return fl_yread_key_error(r, v, key,
		                          "invalid socket address `%s`; use an "
		                          "IP address such as 127.0.0.1:9464",
		                          *out);
	return 0;
}

static int
config_server(struct fl_yread *r, const struct fl_ynode *root,
              struct fl_config *c)
{
	const struct fl_ynode *m = fl_ynode_get(root, "server");
	size_t mark;
	int rc = 0;

	if (!m)
		return 0;
	mark = fl_yread_push(r, "server");
	if (!fl_yread_is_map(r, m,
	                     "a mapping (public_address, "
	                     "private_address)")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	if (fl_yread_check_keys(r, m, server_keys, 2))
		rc = -1;
	if (config_address(r, m, "public_address", &c->public_address) < 0)
		rc = -1;
	if (config_address(r, m, "private_address", &c->private_address) < 0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

static int
config_prefix(struct fl_yread *r, const struct fl_ynode *root,
              struct fl_config *c, const char *override)
{
	char msg[256];
	const char *bad;

	if (fl_yread_str(r, root, "prefix", 0, &c->prefix) < 0)
		return -1;
	if (c->prefix &&
	    (bad = fl_config_check_prefix(c->prefix, msg, sizeof(msg))))
		return fl_yread_key_error(r, fl_ynode_get(root, "prefix"),
		                          "prefix", "%s", bad);
	if (override) {
		free(c->prefix);
		c->prefix = fl_xstrdup(override);
		if ((bad = fl_config_check_prefix(c->prefix, msg, sizeof(msg))))
			return fl_diags_add(r->diags, FL_DIAG_ERROR, NULL, 0, 0,
			                    "--index-prefix", "%s", bad);
	}
	if (!c->prefix)
		c->prefix = fl_xstrdup("");
	return 0;
}

/* ---- schemas, sorting, entry point -------------------------------------- */

static char *
config_join(const char *dir, const char *rel)
{
	if (rel[0] == '/' || strcmp(dir, ".") == 0)
		return fl_xstrdup(rel);
	return fl_xasprintf("%s/%s", dir, rel);
}

static void
config_load_schemas(struct fl_config *c, struct fl_diags *diags)
{
	size_t i;

	for (i = 0; i < c->nindexes; i++) {
		struct fl_index_cfg *ix = &c->indexes[i];

		if (!ix->name || !ix->schema_path)
			continue;
		ix->schema_file = config_join(c->dir, ix->schema_path);
		if (access(ix->schema_file, R_OK) != 0) {
			fl_diags_add(diags, FL_DIAG_ERROR, c->path, ix->at.line,
			             ix->at.col, NULL,
			             "failed to read schema `%s` from `%s`: %s",
			             ix->name, ix->schema_file,
			             strerror(errno));
			continue;
		}
		ix->schema =
		    fl_schema_load(ix->schema_file, ix->schema_file, diags);
	}
}

static int
config_cmp_sink(const void *a, const void *b)
{
	const struct fl_sink_cfg *x = a, *y = b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int
config_cmp_index(const void *a, const void *b)
{
	const struct fl_index_cfg *x = a, *y = b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

static char *
config_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return fl_xstrdup(".");
	if (slash == path)
		return fl_xstrdup("/");
	return fl_xstrndup(path, (size_t)(slash - path));
}

/* A missing file: say so. */
static void
config_missing(const char *path, struct fl_diags *diags)
{
	fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, NULL,
	             "config file %s not found", path);
}

/* flusso.yml is absent: the flusso.toml beside it, when there (caller
 * frees), else NULL. */
static char *
config_toml_instead(const char *path)
{
	const char *base = strrchr(path, '/');
	char *dir, *toml;

	base = base ? base + 1 : path;
	if (strcmp(base, "flusso.yml") != 0)
		return NULL;
	dir = config_dirname(path);
	toml = config_join(dir, "flusso.toml");
	free(dir);
	if (access(toml, F_OK) == 0)
		return toml;
	free(toml);
	return NULL;
}

struct fl_ydoc *
fl_config_read_doc(const char *path, struct fl_err *err)
{
	if (fl_toml_is_toml_path(path))
		return fl_toml_load_file(path, path, err);
	return fl_ydoc_load_file(path, path, err);
}

struct fl_config *
fl_config_load(const char *path, const char *prefix_override,
               struct fl_diags *diags)
{
	struct fl_config *c;
	struct fl_ydoc *doc;
	const struct fl_ynode *root;
	size_t before = diags->nerrors;
	struct fl_yread r;
	struct fl_err err;
	char *instead = NULL;
	int dups = 0;

	if (access(path, F_OK) != 0 && !(instead = config_toml_instead(path))) {
		config_missing(path, diags);
		return NULL;
	}
	if (instead)
		path = instead;
	if (!(doc = fl_config_read_doc(path, &err))) {
		fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, NULL, "%s",
		             err.msg);
		free(instead);
		return NULL;
	}
	c = fl_xcalloc(1, sizeof(*c));
	c->path = fl_xstrdup(path);
	c->toml = fl_toml_is_toml_path(path);
	c->dir = config_dirname(path);
	free(instead);
	c->on_error = FL_POLICY_STOP;
	fl_yread_init(&r, diags, c->path);
	root = fl_ydoc_root(doc);
	if (!root) {
		fl_yread_error(&r, NULL,
		               "empty file: expected at least "
		               "`source`");
	} else if (fl_yread_is_map(&r, root, "a mapping (the deployment)")) {
		fl_yread_check_keys(&r, root, top_keys, FL_ARRAY_LEN(top_keys));
		config_source(&r, root, &c->source);
		config_sinks(&r, root, c);
		config_indexes(&r, root, c, &dups);
		fl_config_groups_read(&r, root, c);
		config_policy(&r, root, &c->on_error);
		config_prefix(&r, root, c, prefix_override);
		config_naming(&r, root, &c->naming);
		config_server(&r, root, c);
	}
	fl_ydoc_free(doc);
	if (!dups) /* every schema is read and checked, enabled or not */
		config_load_schemas(c, diags);
	if (diags->nerrors > before) {
		fl_config_free(c);
		return NULL;
	}
	if (c->nsinks)
		qsort(c->sinks, c->nsinks, sizeof(*c->sinks), config_cmp_sink);
	if (c->nindexes)
		qsort(c->indexes, c->nindexes, sizeof(*c->indexes),
		      config_cmp_index);
	return c;
}

const struct fl_index_cfg *
fl_config_index(const struct fl_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nindexes; i++)
		if (strcmp(c->indexes[i].name, name) == 0)
			return &c->indexes[i];
	return NULL;
}

enum fl_policy
fl_config_policy(const struct fl_config *c, const struct fl_index_cfg *ix)
{
	return ix->on_error != FL_POLICY_UNSET ? ix->on_error : c->on_error;
}

void
fl_config_free(struct fl_config *c)
{
	size_t i;

	if (!c)
		return;
	free(c->path);
	free(c->dir);
	free(c->source.url);
	free(c->source.url_env);
	free(c->source.host);
	free(c->source.user);
	config_secret_done(&c->source.password);
	free(c->source.database);
	for (i = 0; i < c->nsinks; i++) {
		struct fl_sink_cfg *s = &c->sinks[i];

		free(s->name);
		config_secret_done(&s->url);
		config_secret_done(&s->username);
		config_secret_done(&s->password);
		free(s->pipeline);
		free(s->refresh_interval);
		fl_config_os_auth_done(s);
	}
	free(c->sinks);
	for (i = 0; i < c->nindexes; i++) {
		free(c->indexes[i].name);
		free(c->indexes[i].schema_path);
		free(c->indexes[i].schema_file);
		fl_schema_free(c->indexes[i].schema);
	}
	free(c->indexes);
	fl_config_groups_free(c);
	free(c->prefix);
	free(c->public_address);
	free(c->private_address);
	free(c);
}
