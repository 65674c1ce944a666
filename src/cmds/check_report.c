/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * check_report.c - what `flusso check` prints. Secrets are shown only as
 * "***" (literal) or "${VAR}" (env reference); a URL's password as ***.
 */
#include "check_report.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "config/value.h"
#include "util/buf.h"
#include "util/xmem.h"

void
fl_check_print_diags(const struct fl_diags *d, FILE *f, int color)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct fl_diag *g = &d->v[i];
		char *line = fl_diag_format(g);
		int err = g->sev == FL_DIAG_ERROR;

		fprintf(f, "%s%s%s %s\n",
		        color ? (err ? "\033[1;31m" : "\033[1;33m") : "",
		        err ? "error:" : "warning:", color ? "\033[0m" : "",
		        line);
		free(line);
	}
}

/* One URL (len bytes at url) into b with its password replaced by ***. */
static void
report_redact_one(struct fl_buf *b, const char *url, size_t len)
{
	const char *scheme = NULL, *at = NULL, *colon = NULL, *end = url + len;
	size_t i;

	for (i = 0; i + 3 <= len && !scheme; i++)
		if (memcmp(url + i, "://", 3) == 0)
			scheme = url + i;

	if (scheme) {
		at = memchr(scheme + 3, '@', (size_t)(end - scheme - 3));
		colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3))
		           : NULL;
	}
	if (!colon) {
		fl_buf_append(b, url, len);
		return;
	}
	fl_buf_append(b, url, (size_t)(colon - url));
	fl_buf_puts(b, ":***");
	fl_buf_append(b, at, (size_t)(end - at));
}

/* A URL, or a comma-separated list of node URLs, with every password
 * replaced by ***. */
static char *
report_redact_url(const char *url)
{
	struct fl_buf b;
	const char *p = url, *comma;

	fl_buf_init(&b, SIZE_MAX);
	for (;;) {
		comma = strchr(p, ',');
		report_redact_one(&b, p,
		                  comma ? (size_t)(comma - p) : strlen(p));
		if (!comma)
			break;
		fl_buf_putc(&b, ',');
		p = comma + 1;
	}
	return fl_buf_steal(&b);
}

char *
fl_check_redact_url(const char *url)
{
	return report_redact_url(url);
}

static char *
report_source(const struct fl_source *s)
{
	char pw[160];

	switch (s->conn) {
	case FL_CONN_NONE:
		return fl_xstrdup("(DATABASE_URL at runtime)");
	case FL_CONN_URL:
		return report_redact_url(s->url);
	case FL_CONN_ENV:
		return fl_xasprintf("${%s}", s->url_env);
	case FL_CONN_PARTS:
		return fl_xasprintf(
		    "host %s port %ld user %s%s%s database %s", s->host,
		    s->port, s->user, s->password.kind ? " password " : "",
		    fl_secret_redacted(&s->password, pw, sizeof(pw)),
		    s->database);
	}
	return fl_xstrdup("?");
}

static const char *
report_policy(enum fl_policy p)
{
	return p == FL_POLICY_SKIP ? "skip" : "stop";
}

static void
report_sink(const struct fl_sink_cfg *s, FILE *f)
{
	char b1[160], b2[160];
	char *url;

	if (s->type == FL_SINK_STDOUT) {
		fprintf(f, "  sink       %s: stdout%s\n", s->name,
		        s->pretty ? " (pretty)" : "");
		return;
	}
	url = s->url.kind == FL_SECRET_LITERAL
	          ? report_redact_url(s->url.value)
	          : fl_xstrdup(fl_secret_redacted(&s->url, b1, sizeof(b1)));
	fprintf(
	    f,
	    "  sink       %s: opensearch %s (shards %ld, replicas %ld, "
	    "refresh %s, %s analysis%s, batch %ld docs / %ld bytes%s%s%s)\n",
	    s->name, url, s->number_of_shards, s->number_of_replicas,
	    s->refresh_interval,
	    s->text_analysis == FL_ANALYSIS_ICU ? "icu" : "builtin",
	    s->auto_subfields ? ", auto subfields" : "", s->batch_size,
	    s->max_bytes, s->username.kind ? ", user " : "",
	    s->username.kind ? fl_secret_redacted(&s->username, b2, sizeof(b2))
	                     : "",
	    s->tls_verify ? "" : ", TLS NOT VERIFIED");
	free(url);
	if (s->ca_file)
		fprintf(f, "             CA %s\n", s->ca_file);
	if (s->client_cert)
		fprintf(f, "             client certificate %s, key %s\n",
		        s->client_cert, s->client_key);
	if (s->auth == FL_AUTH_SIGV4)
		fprintf(f,
		        "             auth aws_sigv4 (region %s, service %s; "
		        "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)\n",
		        s->region, s->service);
}

static void report_fields(const struct fl_fields *fs, int depth, FILE *f);

static const char *const agg_names[] = { "count", "sum", "avg",
	                                 "min",   "max", "ids" };

static void
report_column(const struct fl_field *x, struct fl_buf *b)
{
	size_t i;

	if (x->kind == FL_FIELD_GEO) {
		fl_buf_printf(b, "lat %s, lon %s%s", x->geo.lat, x->geo.lon,
		              x->geo.required ? ", required" : "");
		return;
	}
	fl_buf_printf(b, "column %s%s", x->col.column,
	              x->col.required ? ", required" : "");
	for (i = 0; i < x->col.ntransforms; i++)
		fl_buf_printf(b, "%s%s", i ? " " : ", transforms ",
		              x->col.transforms[i] == FL_TR_TRIM ? "trim"
		                                                 : "lowercase");
	if (x->col.def) {
		char tmp[64];

		fl_buf_printf(b, ", default %s",
		              fl_val_scalar_text(x->col.def, tmp, sizeof(tmp)));
	}
	if (x->col.nvariants)
		fl_buf_printf(b, ", %zu ranked variants", x->col.nvariants);
	if (x->col.type == FL_T_CUSTOM)
		fl_buf_printf(b, ", opensearch %s", x->col.os_type);
	if (x->col.type == FL_T_MAP)
		fl_buf_printf(b, ", values %s",
		              fl_ftype_name(x->col.map_values));
}

static void
report_join(const struct fl_field *x, struct fl_buf *b)
{
	const char *key = x->join.kind == FL_JOIN_MANY_TO_MANY
	                      ? x->join.through.table
	                      : x->join.key;

	if (x->join.kind == FL_JOIN_BELONGS_TO)
		fl_buf_printf(b, "%s.%s = this.%s", x->join.table,
		              x->join.primary_key, key);
	else if (x->join.kind == FL_JOIN_MANY_TO_MANY)
		fl_buf_printf(b, "%s via %s(%s, %s)", x->join.table, key,
		              x->join.through.left_key,
		              x->join.through.right_key);
	else
		fl_buf_printf(b, "%s.%s = this key", x->join.table, key);
	if (x->join.filters.n)
		fl_buf_printf(b, ", %zu filter%s", x->join.filters.n,
		              x->join.filters.n > 1 ? "s" : "");
	if (x->join.norder_by)
		fl_buf_printf(b, ", order by %s %s", x->join.order_by[0].column,
		              x->join.order_by[0].desc ? "desc" : "asc");
	if (x->join.limit)
		fl_buf_printf(b, ", limit %ld", x->join.limit);
}

static void
report_agg(const struct fl_field *x, struct fl_buf *b)
{
	if (x->agg.column)
		fl_buf_printf(b, "%s(%s) ", agg_names[x->agg.op],
		              x->agg.column);
	fl_buf_printf(b, "over %s", x->agg.table);
	if (x->agg.foreign_key)
		fl_buf_printf(b, ".%s = this key", x->agg.foreign_key);
	else
		fl_buf_printf(b, " via %s(%s, %s)", x->agg.through.table,
		              x->agg.through.left_key,
		              x->agg.through.right_key);
	if (x->agg.filters.n)
		fl_buf_printf(b, ", %zu filter%s", x->agg.filters.n,
		              x->agg.filters.n > 1 ? "s" : "");
}

/* The type column: the tag, or the aggregate result type. */
static const char *
report_type(const struct fl_field *x, char *buf, size_t n)
{
	if (x->kind == FL_FIELD_AGG && x->agg.has_value_type)
		snprintf(buf, n, "%s:%s", x->tag,
		         fl_ftype_name(x->agg.value_type));
	else if (x->kind == FL_FIELD_AGG && x->agg.has_element_type)
		snprintf(buf, n, "%s:%s", x->tag,
		         fl_ftype_name(x->agg.element_type));
	else
		snprintf(buf, n, "%s", x->tag);
	return buf;
}

static void
report_field(const struct fl_field *x, int depth, FILE *f)
{
	struct fl_buf b;
	char type[48];

	fl_buf_init(&b, 4096);
	switch (x->kind) {
	case FL_FIELD_COLUMN:
	case FL_FIELD_GEO:
		report_column(x, &b);
		break;
	case FL_FIELD_OBJECT:
		fl_buf_puts(&b, "same row");
		break;
	case FL_FIELD_JOIN:
		report_join(x, &b);
		break;
	case FL_FIELD_AGG:
		report_agg(x, &b);
		break;
	case FL_FIELD_CONST:
		fl_buf_puts(&b, "value ");
		fl_val_to_json(x->value, &b);
		break;
	}
	fprintf(f, "    %*s%-*s %-18s %s\n", depth * 2, "", 22 - depth * 2,
	        x->name, report_type(x, type, sizeof(type)), fl_buf_str(&b));
	fl_buf_done(&b);
	if (x->kind == FL_FIELD_OBJECT || x->kind == FL_FIELD_JOIN)
		report_fields(&x->children, depth + 1, f);
}

static void
report_fields(const struct fl_fields *fs, int depth, FILE *f)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		report_field(&fs->v[i], depth, f);
}

/* The names under settings.analysis.<kind>, space separated. */
static void
report_analysis(const struct fl_val *analysis, const char *kind, FILE *f)
{
	const struct fl_val *m = fl_val_get(analysis, kind);
	size_t i;

	if (!m || !m->n)
		return;
	fprintf(f, "    %-12s", kind);
	for (i = 0; i < m->n; i++)
		fprintf(f, " %s", m->keys[i]);
	fprintf(f, "\n");
}

/* One line per property path: type, analyzer/normalizer, subfields. */
static void
report_props(const struct fl_val *props, const char *prefix, FILE *f)
{
	size_t i, j;

	for (i = 0; props && i < props->n; i++) {
		const struct fl_val *p = props->items[i];
		const struct fl_val *t = fl_val_get(p, "type");
		const struct fl_val *an = fl_val_get(p, "analyzer");
		const struct fl_val *sub = fl_val_get(p, "fields");
		const struct fl_val *dyn = fl_val_get(p, "dynamic");
		char *path = fl_xasprintf("%s%s", prefix, props->keys[i]);

		fprintf(f, "    %-38s %-10s", path,
		        t && t->kind == FL_VAL_STR ? t->s : "object");
		if (an && an->kind == FL_VAL_STR)
			fprintf(f, " analyzer=%s", an->s);
		if (dyn && dyn->kind == FL_VAL_BOOL && dyn->b)
			fprintf(f, " dynamic");
		for (j = 0; sub && sub->kind == FL_VAL_MAP && j < sub->n; j++)
			fprintf(f, " .%s", sub->keys[j]);
		fprintf(f, "\n");
		if (fl_val_get(p, "properties")) {
			char *next = fl_xasprintf("%s.", path);

			report_props(fl_val_get(p, "properties"), next, f);
			free(next);
		}
		free(path);
	}
}

/* The creation body in a readable form (--format json gives it exact). */
static void
report_body(const struct fl_val *body, FILE *f)
{
	const struct fl_val *set = fl_val_get(body, "settings");
	const struct fl_val *ix = fl_val_get(set, "index");
	const struct fl_val *an = fl_val_get(set, "analysis");
	const struct fl_val *map = fl_val_get(body, "mappings");
	char shards[32], reps[32];

	fprintf(f,
	        "  mapping    dynamic %s; created with %s shard(s), %s "
	        "replica(s), refresh -1 until seeded\n",
	        fl_val_get(map, "dynamic") ? fl_val_get(map, "dynamic")->s
	                                   : "?",
	        fl_val_scalar_text(fl_val_get(ix, "number_of_shards"), shards,
	                           sizeof(shards)),
	        fl_val_scalar_text(fl_val_get(ix, "number_of_replicas"), reps,
	                           sizeof(reps)));
	report_analysis(an, "analyzer", f);
	report_analysis(an, "normalizer", f);
	report_props(fl_val_get(map, "properties"), "", f);
}

static void
report_index(const struct fl_config *c, const struct fl_index_cfg *ix,
             const struct fl_mapping_opts *o, FILE *f)
{
	const struct fl_schema *s = ix->schema;
	struct fl_val *body;
	char hash[17];

	fprintf(f, "\nindex %s (%s, on_error %s)\n", ix->name,
	        ix->enabled ? "enabled" : "disabled",
	        report_policy(fl_config_policy(c, ix)));
	fprintf(f, "  schema     %s\n", ix->schema_file);
	fprintf(f, "  root       %s.%s (key %s)\n", s->db_schema, s->table,
	        s->primary_key ? s->primary_key : "catalog primary key");
	if (s->filters.n)
		fprintf(f, "  filters    %zu root filter%s\n", s->filters.n,
		        s->filters.n > 1 ? "s" : "");
	if (s->soft_delete)
		fprintf(f, "  soft del.  when %s is truthy%s\n",
		        s->soft_delete->column,
		        s->soft_delete->when.n ? " and `when` matches" : "");
	fl_config_index_hash(c, ix, hash);
	fprintf(f, "  hash alias %s%s_%s\n", c->prefix, ix->name, hash);
	fprintf(f, "  fields\n");
	report_fields(&s->fields, 0, f);
	if (!ix->enabled)
		return;
	body = fl_mapping_body(s, o);
	report_body(body, f);
	fl_val_free(body);
}

/* The groups with their slots, and what this run selected. */
static void
report_groups(const struct fl_config *c, FILE *f)
{
	size_t i, j;

	for (i = 0; i < c->ngroups; i++) {
		const struct fl_group_cfg *g = &c->groups[i];

		fprintf(f, "  group      %s:", g->name);
		for (j = 0; j < g->nindexes; j++)
			fprintf(f, "%s%s", j ? ", " : " ", g->indexes[j]);
		fprintf(f, " (slot %s, publication %s)%s\n",
		        g->slot ? g->slot : "?",
		        g->publication ? g->publication : "?",
		        c->group && !strcmp(c->group, g->name) ? " [selected]"
		                                               : "");
	}
	if (c->slot && (c->group || c->ngroups))
		fprintf(f, "  selected   %s%s: slot %s, publication %s\n",
		        c->group ? "group " : "",
		        c->group ? c->group : "all indexes", c->slot,
		        c->publication);
	else if (c->slot && strcmp(c->slot, "flusso") != 0)
		fprintf(f, "  selected   slot %s, publication %s\n", c->slot,
		        c->publication);
}

void
fl_check_print_human(const struct fl_config *c, FILE *f)
{
	struct fl_mapping_opts o;
	char *src = report_source(&c->source);
	size_t i;

	fl_mapping_opts_from_config(c, &o);
	fprintf(f, "config %s%s\n", c->path, c->toml ? " (toml)" : "");
	fprintf(f, "  source     postgres %s (manage_publication %s)\n", src,
	        c->source.manage_publication ? "true" : "false");
	free(src);
	for (i = 0; i < c->nsinks; i++)
		report_sink(&c->sinks[i], f);
	if (c->nsinks == 0)
		fprintf(f, "  sink       none: documents go to stdout\n");
	fprintf(f, "  prefix     %s\n", *c->prefix ? c->prefix : "(none)");
	fprintf(f, "  on_error   %s\n", report_policy(c->on_error));
	report_groups(c, f);
	for (i = 0; i < c->nindexes; i++)
		report_index(c, &c->indexes[i], &o, f);
}

static cJSON *
report_json_secret(const struct fl_secret *s)
{
	char buf[160];

	if (s->kind == FL_SECRET_NONE)
		return cJSON_CreateNull();
	return cJSON_CreateString(fl_secret_redacted(s, buf, sizeof(buf)));
}

static cJSON *
report_json_config(const struct fl_config *c)
{
	cJSON *o = cJSON_CreateObject(), *src, *sinks, *ixs;
	char *s = report_source(&c->source);
	size_t i;

	src = cJSON_AddObjectToObject(o, "source");
	cJSON_AddStringToObject(src, "type", "postgres");
	cJSON_AddStringToObject(src, "connection", s);
	cJSON_AddBoolToObject(src, "manage_publication",
	                      c->source.manage_publication);
	free(s);
	sinks = cJSON_AddObjectToObject(o, "sinks");
	for (i = 0; i < c->nsinks; i++) {
		const struct fl_sink_cfg *k = &c->sinks[i];
		cJSON *j = cJSON_AddObjectToObject(sinks, k->name);

		if (k->type == FL_SINK_STDOUT) {
			cJSON_AddStringToObject(j, "type", "stdout");
			cJSON_AddBoolToObject(j, "pretty", k->pretty);
			continue;
		}
		cJSON_AddStringToObject(j, "type", "opensearch");
		if (k->url.kind == FL_SECRET_LITERAL) {
			char *u = report_redact_url(k->url.value);

			cJSON_AddStringToObject(j, "url", u);
			free(u);
		} else {
			cJSON_AddItemToObject(j, "url",
			                      report_json_secret(&k->url));
		}
		cJSON_AddItemToObject(j, "username",
		                      report_json_secret(&k->username));
		cJSON_AddItemToObject(j, "password",
		                      report_json_secret(&k->password));
		cJSON_AddBoolToObject(j, "tls_verify", k->tls_verify);
		if (k->ca_file)
			cJSON_AddStringToObject(j, "ca_file", k->ca_file);
		if (k->client_cert) {
			cJSON_AddStringToObject(j, "client_cert",
			                        k->client_cert);
			cJSON_AddStringToObject(j, "client_key", k->client_key);
		}
		if (k->auth == FL_AUTH_SIGV4) {
			cJSON_AddStringToObject(j, "auth", "aws_sigv4");
			cJSON_AddStringToObject(j, "region", k->region);
			cJSON_AddStringToObject(j, "service", k->service);
		}
		cJSON_AddNumberToObject(j, "batch_size", (double)k->batch_size);
		cJSON_AddNumberToObject(j, "max_bytes", (double)k->max_bytes);
		cJSON_AddNumberToObject(j, "timeout_secs",
		                        (double)k->timeout_secs);
		cJSON_AddNumberToObject(j, "max_retries",
		                        (double)k->max_retries);
		cJSON_AddNumberToObject(j, "number_of_shards",
		                        (double)k->number_of_shards);
		cJSON_AddNumberToObject(j, "number_of_replicas",
		                        (double)k->number_of_replicas);
		cJSON_AddStringToObject(j, "refresh_interval",
		                        k->refresh_interval);
		cJSON_AddStringToObject(
		    j, "text_analysis",
		    k->text_analysis == FL_ANALYSIS_ICU ? "icu" : "builtin");
		cJSON_AddBoolToObject(j, "auto_subfields", k->auto_subfields);
	}
	ixs = cJSON_AddArrayToObject(o, "index");
	for (i = 0; i < c->nindexes; i++) {
		const struct fl_index_cfg *x = &c->indexes[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "name", x->name);
		cJSON_AddStringToObject(j, "schema", x->schema_path);
		cJSON_AddBoolToObject(j, "enabled", x->enabled);
		cJSON_AddStringToObject(j, "on_error",
		                        report_policy(fl_config_policy(c, x)));
		cJSON_AddItemToArray(ixs, j);
	}
	cJSON_AddStringToObject(o, "on_error", report_policy(c->on_error));
	cJSON_AddStringToObject(o, "prefix", c->prefix);
	return o;
}

static cJSON *
report_json_diags(const struct fl_diags *d)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct fl_diag *g = &d->v[i];
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "severity",
		                        g->sev == FL_DIAG_ERROR ? "error"
		                                                : "warning");
		if (g->file)
			cJSON_AddStringToObject(j, "file", g->file);
		if (g->line) {
			cJSON_AddNumberToObject(j, "line", g->line);
			cJSON_AddNumberToObject(j, "column", g->col);
		}
		if (g->path)
			cJSON_AddStringToObject(j, "path", g->path);
		cJSON_AddStringToObject(j, "message", g->msg);
		cJSON_AddItemToArray(a, j);
	}
	return a;
}

static cJSON *report_json_str(const char *s);

/* o.groups: each group with its indexes, slot and publication. */
void
fl_check_json_groups(const struct fl_config *c, cJSON *o)
{
	cJSON *gs, *g, *ixs;
	size_t i, j;

	gs = cJSON_AddObjectToObject(o, "groups");
	for (i = 0; i < c->ngroups; i++) {
		g = cJSON_AddObjectToObject(gs, c->groups[i].name);
		ixs = cJSON_AddArrayToObject(g, "indexes");
		for (j = 0; j < c->groups[i].nindexes; j++)
			cJSON_AddItemToArray(
			    ixs, cJSON_CreateString(c->groups[i].indexes[j]));
		cJSON_AddItemToObject(g, "slot",
		                      report_json_str(c->groups[i].slot));
		cJSON_AddItemToObject(
		    g, "publication",
		    report_json_str(c->groups[i].publication));
	}
}

/* config.groups and config.selected (the group, the slot and
 * publication checked). */
static void
report_json_groups(const struct fl_config *c, cJSON *o)
{
	cJSON *ixs, *sel;
	size_t i;

	fl_check_json_groups(c, o);
	sel = cJSON_AddObjectToObject(o, "selected");
	cJSON_AddItemToObject(sel, "group", report_json_str(c->group));
	ixs = cJSON_AddArrayToObject(sel, "indexes");
	for (i = 0; i < c->nindexes; i++)
		cJSON_AddItemToArray(ixs,
		                     cJSON_CreateString(c->indexes[i].name));
	cJSON_AddItemToObject(sel, "slot", report_json_str(c->slot));
	cJSON_AddItemToObject(sel, "publication",
	                      report_json_str(c->publication));
}

cJSON *
fl_check_json(const struct fl_config *c, const struct fl_diags *d)
{
	cJSON *root = cJSON_CreateObject(), *ixs;
	struct fl_mapping_opts o;
	size_t i;

	cJSON_AddItemToObject(root, "config",
	                      c ? report_json_config(c) : cJSON_CreateNull());
	ixs = cJSON_AddObjectToObject(root, "indexes");
	if (c)
		fl_mapping_opts_from_config(c, &o);
	for (i = 0; c && i < c->nindexes; i++) {
		const struct fl_index_cfg *x = &c->indexes[i];
		cJSON *j, *body;
		struct fl_val *b;
		struct fl_buf buf;
		char hash[17];

		if (!x->enabled)
			continue;
		j = cJSON_AddObjectToObject(ixs, x->name);
		fl_config_index_hash(c, x, hash);
		cJSON_AddStringToObject(j, "hash", hash);
		{
			char *alias =
			    fl_xasprintf("%s%s_%s", c->prefix, x->name, hash);

			cJSON_AddStringToObject(j, "hash_alias", alias);
			free(alias);
		}
		b = fl_mapping_body(x->schema, &o);
		fl_buf_init(&buf, 1 << 24);
		fl_val_to_json(b, &buf);
		body = cJSON_Parse(fl_buf_str(&buf));
		cJSON_AddItemToObject(j, "body",
		                      body ? body : cJSON_CreateNull());
		fl_buf_done(&buf);
		fl_val_free(b);
	}
	if (c)
		report_json_groups(c, cJSON_GetObjectItem(root, "config"));
	cJSON_AddItemToObject(root, "diagnostics", report_json_diags(d));
	return root;
}

/* ---- the database part (online check) ---------------------------------- */

static cJSON *report_json_str(const char *s);

/* "label  N tables: s.t, s.t" */
static void
report_qtables(const char *label, const struct fl_qtables *t, FILE *f)
{
	size_t i;

	fprintf(f, "  %-10s %zu table%s", label, t->n, t->n == 1 ? "" : "s");
	for (i = 0; i < t->n; i++)
		fprintf(f, "%s%s.%s", i ? ", " : ": ", t->v[i].schema,
		        t->v[i].table);
	fputc('\n', f);
}

/* What `run` would do about the missing tables. */
static void
report_gap(const struct fl_coverage *c, int will_manage, const char *from,
           FILE *f)
{
	size_t i;

	if (c->satisfied)
		return;
	if (!c->remediation) {
		fprintf(f, "  nothing can be added until the errors about "
		           "these tables are fixed\n");
		return;
	}
	if (will_manage && c->manageable) {
		fprintf(f,
		        "  `flusso run` will run (publication management on, "
		        "from %s):\n    %s\n",
		        from, c->remediation);
		return;
	}
	if (will_manage) {
		fprintf(f, "  `flusso run` cannot provision it: ");
		for (i = 0; i < c->nblockers; i++)
			fprintf(f, "%s%s", i ? "; " : "", c->blockers[i]);
		fprintf(f, "\n  ask an owner or a superuser to run:\n    %s\n",
		        c->remediation);
		return;
	}
	fprintf(f,
	        "  automatic publication management is disabled (%s); "
	        "run this yourself:\n    %s\n",
	        from, c->remediation);
}

static void
report_coverage(const struct fl_coverage *c, int will_manage, const char *from,
                FILE *f)
{
	size_t i;

	fprintf(f, "\npublication %s: %s\n", c->name,
	        !c->exists     ? "does not exist"
	        : c->satisfied ? "covers every table flusso reads"
	                       : "does not cover every table flusso reads");
	report_qtables("present", &c->present, f);
	report_qtables("missing", &c->missing, f);
	if (c->exists)
		fprintf(f, "  publishes  %s%s%s%s%s\n",
		        c->pubinsert ? "insert " : "",
		        c->pubupdate ? "update " : "",
		        c->pubdelete ? "delete " : "",
		        c->pubtruncate ? "truncate " : "",
		        c->pubviaroot ? "(via partition root)" : "");
	for (i = 0; i < c->nproblems; i++) {
		fprintf(f, "  problem    %s\n", c->problems[i].msg);
		if (c->problems[i].fix)
			fprintf(f, "    %s\n", c->problems[i].fix);
	}
	report_gap(c, will_manage, from, f);
}

static void
report_slot(const struct fl_slot_report *s, FILE *f)
{
	fprintf(f, "\nslot %s: %s\n", s->name, s->state);
	if (!s->exists) {
		fprintf(f,
		        "  `flusso run` creates it (pgoutput); %ld of %ld "
		        "replication slots in use\n",
		        s->used_slots, s->max_slots);
		return;
	}
	fprintf(f, "  %s, plugin %s, database %s, %s", s->slot_type,
	        s->plugin ? s->plugin : "(none)",
	        s->database ? s->database : "(none)",
	        s->active ? "active" : "inactive");
	if (s->active)
		fprintf(f, " (pid %ld)", s->active_pid);
	fprintf(f, "\n  wal_status %s, confirmed_flush_lsn %s, restart_lsn %s",
	        s->wal_status ? s->wal_status : "-",
	        s->confirmed_flush_lsn ? s->confirmed_flush_lsn : "-",
	        s->restart_lsn ? s->restart_lsn : "-");
	if (s->has_safe_wal_size)
		fprintf(f, ", safe_wal_size %lld", s->safe_wal_size);
	fputc('\n', f);
}

void
fl_check_print_online(const struct fl_check_db *db, const char *target,
                      int will_manage, const char *manage_from, FILE *f)
{
	size_t i;

	fprintf(f, "\ndatabase %s\n", target);
	fprintf(f, "  server     PostgreSQL %d.%d, wal_level %s\n",
	        db->server_version / 10000, db->server_version % 10000,
	        db->wal_level);
	fprintf(f, "  role       %s (%s)\n", db->role,
	        db->superuser     ? "superuser"
	        : db->replication ? "REPLICATION"
	                          : "no REPLICATION");
	if (db->untracked.n) {
		fprintf(f, "  untracked ");
		for (i = 0; i < db->untracked.n; i++)
			fprintf(f, " %s.%s", db->untracked.v[i].schema,
			        db->untracked.v[i].table);
		fputc('\n', f);
	}
	report_coverage(&db->coverage, will_manage, manage_from, f);
	report_slot(&db->slot, f);
	fl_check_print_fixes(&db->fixes, f);
}

void
fl_check_print_fixes(const struct fl_check_fixes *p, FILE *f)
{
	size_t i, j;

	if (!p->n)
		return;
	fprintf(f, "\nfixes (`flusso check --fix` applies them, asking "
	           "first):\n");
	for (i = 0; i < p->n; i++) {
		fprintf(f, "  %zu. %s\n", i + 1, p->v[i].finding);
		for (j = 0; j < p->v[i].nstmts; j++)
			fprintf(f, "       %s\n", p->v[i].stmts[j]);
	}
}

cJSON *
fl_check_json_fixes(const struct fl_check_fixes *p)
{
	cJSON *a = cJSON_CreateArray(), *o, *st;
	size_t i, j;

	for (i = 0; i < p->n; i++) {
		const struct fl_check_fix *x = &p->v[i];
		char *t = x->table ? fl_xasprintf("%s.%s", x->schema, x->table)
		                   : NULL;

		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "kind",
		                        x->kind == FL_CHECK_FIX_IDENTITY
		                            ? "replica_identity"
		                            : "publication");
		cJSON_AddItemToObject(o, "table", report_json_str(t));
		cJSON_AddStringToObject(o, "finding", x->finding);
		st = cJSON_AddArrayToObject(o, "statements");
		for (j = 0; j < x->nstmts; j++)
			cJSON_AddItemToArray(st,
			                     cJSON_CreateString(x->stmts[j]));
		cJSON_AddItemToArray(a, o);
		free(t);
	}
	return a;
}

static cJSON *
report_json_qtables(const struct fl_qtables *t)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < t->n; i++) {
		char *s = fl_xasprintf("%s.%s", t->v[i].schema, t->v[i].table);

		cJSON_AddItemToArray(a, cJSON_CreateString(s));
		free(s);
	}
	return a;
}

static cJSON *
report_json_str(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

/* The remediation array: the CREATE/ALTER first, then each distinct
 * problem fix. */
static cJSON *
report_json_remediation(const struct fl_coverage *c)
{
	cJSON *a = cJSON_CreateArray();
	size_t i, j;

	if (c->remediation)
		cJSON_AddItemToArray(a, cJSON_CreateString(c->remediation));
	for (i = 0; i < c->nproblems; i++) {
		const char *fix = c->problems[i].fix;

		for (j = 0; fix && j < i; j++)
			if (c->problems[j].fix &&
			    strcmp(c->problems[j].fix, fix) == 0)
				break;
		if (fix && j == i)
			cJSON_AddItemToArray(a, cJSON_CreateString(fix));
	}
	return a;
}

static cJSON *
report_json_problems(const struct fl_coverage *c)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < c->nproblems; i++) {
		const struct fl_pubprob *p = &c->problems[i];
		cJSON *j = cJSON_CreateObject();
		char *t = p->table ? fl_xasprintf("%s.%s", p->schema, p->table)
		                   : NULL;

		cJSON_AddItemToObject(j, "table", report_json_str(t));
		cJSON_AddStringToObject(j, "message", p->msg);
		cJSON_AddItemToObject(j, "fix", report_json_str(p->fix));
		cJSON_AddItemToArray(a, j);
		free(t);
	}
	return a;
}

cJSON *
fl_check_json_coverage(const struct fl_coverage *c, int will_manage)
{
	cJSON *o = cJSON_CreateObject(), *pub, *b;
	size_t i;

	cJSON_AddStringToObject(o, "publication", c->name);
	cJSON_AddBoolToObject(o, "exists", c->exists);
	cJSON_AddBoolToObject(o, "satisfied", c->satisfied);
	cJSON_AddBoolToObject(o, "will_manage", will_manage);
	cJSON_AddBoolToObject(o, "manageable", c->manageable);
	cJSON_AddItemToObject(o, "required", report_json_qtables(&c->required));
	cJSON_AddItemToObject(o, "present", report_json_qtables(&c->present));
	cJSON_AddItemToObject(o, "missing", report_json_qtables(&c->missing));
	b = cJSON_AddArrayToObject(o, "blockers");
	for (i = 0; i < c->nblockers; i++)
		cJSON_AddItemToArray(b, cJSON_CreateString(c->blockers[i]));
	cJSON_AddItemToObject(o, "remediation", report_json_remediation(c));
	cJSON_AddItemToObject(o, "problems", report_json_problems(c));
	if (!c->exists) {
		cJSON_AddNullToObject(o, "publish");
		return o;
	}
	pub = cJSON_AddObjectToObject(o, "publish");
	cJSON_AddBoolToObject(pub, "insert", c->pubinsert);
	cJSON_AddBoolToObject(pub, "update", c->pubupdate);
	cJSON_AddBoolToObject(pub, "delete", c->pubdelete);
	cJSON_AddBoolToObject(pub, "truncate", c->pubtruncate);
	cJSON_AddBoolToObject(pub, "via_partition_root", c->pubviaroot);
	return o;
}

cJSON *
fl_check_json_slot(const struct fl_slot_report *s)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", s->name ? s->name : "");
	cJSON_AddBoolToObject(o, "exists", s->exists);
	cJSON_AddStringToObject(o, "state", s->state ? s->state : "unknown");
	cJSON_AddItemToObject(o, "slot_type", report_json_str(s->slot_type));
	cJSON_AddItemToObject(o, "plugin", report_json_str(s->plugin));
	cJSON_AddItemToObject(o, "database", report_json_str(s->database));
	cJSON_AddBoolToObject(o, "active", s->active);
	if (s->active)
		cJSON_AddNumberToObject(o, "active_pid", (double)s->active_pid);
	else
		cJSON_AddNullToObject(o, "active_pid");
	cJSON_AddItemToObject(o, "wal_status", report_json_str(s->wal_status));
	if (s->has_safe_wal_size)
		cJSON_AddNumberToObject(o, "safe_wal_size",
		                        (double)s->safe_wal_size);
	else
		cJSON_AddNullToObject(o, "safe_wal_size");
	cJSON_AddItemToObject(o, "confirmed_flush_lsn",
	                      report_json_str(s->confirmed_flush_lsn));
	cJSON_AddItemToObject(o, "restart_lsn",
	                      report_json_str(s->restart_lsn));
	cJSON_AddItemToObject(o, "invalidation_reason",
	                      report_json_str(s->invalidation_reason));
	cJSON_AddNumberToObject(o, "max_replication_slots",
	                        (double)s->max_slots);
	cJSON_AddNumberToObject(o, "slots_in_use", (double)s->used_slots);
	return o;
}
