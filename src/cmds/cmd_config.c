/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmd_config.c - `flusso config show` and `flusso config convert [FILE]`.
 *
 * show: load the deployment file (flusso.yml or flusso.toml) and its
 * schemas and print the effective configuration as JSON: every key with
 * its default applied, secrets redacted (a literal as ***, an env
 * reference as ${VAR}, a URL's password as ***), each index with its
 * schema's content hash. Two files that mean the same deployment print
 * the same thing (whatever their syntax), which is what the TOML tests
 * compare. convert: read FILE (default --config) in its own syntax and
 * print it as flusso.yml: same keys, same order, env references kept as
 * references; comments are not carried. Neither validates more than the
 * loader does; exit 1 on a load or parse error, 2 on usage.
 *
 * Does not own: reading either syntax (config/toml_doc.c, yaml_doc.c),
 * the YAML layout (config/yaml_emit.c), what keys mean (config.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_report.h"
#include "cmd.h"
#include "config/config.h"
#include "config/schema_hash.h"
#include "config/yaml_emit.h"
#include "util/buf.h"
#include "util/json_write.h"
#include "util/xmem.h"

static const struct fl_opt config_opts[] = {
	FL_OPTS_CONFIG,
	FL_OPTS_LOG,
};

static cJSON *
config_json_secret(const struct fl_secret *s)
{
	char buf[160];

	if (s->kind == FL_SECRET_NONE)
		return cJSON_CreateNull();
	return cJSON_CreateString(fl_secret_redacted(s, buf, sizeof(buf)));
}

static cJSON *
config_json_str(const char *s)
{
	return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static cJSON *
config_json_source(const struct fl_source *s)
{
	cJSON *o = cJSON_CreateObject(), *c;
	char *u;

	cJSON_AddStringToObject(o, "type", "postgres");
	switch (s->conn) {
	case FL_CONN_NONE:
		cJSON_AddNullToObject(o, "connection_url");
		break;
	case FL_CONN_URL:
		u = fl_check_redact_url(s->url);
		cJSON_AddStringToObject(o, "connection_url", u);
		free(u);
		break;
	case FL_CONN_ENV:
		c = cJSON_AddObjectToObject(o, "connection_url");
		cJSON_AddStringToObject(c, "env", s->url_env);
		break;
	case FL_CONN_PARTS:
		c = cJSON_AddObjectToObject(o, "connection_url");
		cJSON_AddStringToObject(c, "host", s->host);
		cJSON_AddNumberToObject(c, "port", (double)s->port);
		cJSON_AddStringToObject(c, "user", s->user);
		cJSON_AddItemToObject(c, "password",
		                      config_json_secret(&s->password));
		cJSON_AddStringToObject(c, "database", s->database);
		break;
	}
	cJSON_AddBoolToObject(o, "manage_publication", s->manage_publication);
	return o;
}

static cJSON *
config_json_sink(const struct fl_sink_cfg *k)
{
	cJSON *j = cJSON_CreateObject();
	char *u;

	if (k->type == FL_SINK_STDOUT) {
		cJSON_AddStringToObject(j, "type", "stdout");
		cJSON_AddBoolToObject(j, "pretty", k->pretty);
		return j;
	}
	cJSON_AddStringToObject(j, "type", "opensearch");
	if (k->url.kind == FL_SECRET_LITERAL) {
		u = fl_check_redact_url(k->url.value);
		cJSON_AddStringToObject(j, "url", u);
		free(u);
	} else {
		cJSON_AddItemToObject(j, "url", config_json_secret(&k->url));
	}
	cJSON_AddItemToObject(j, "username", config_json_secret(&k->username));
	cJSON_AddItemToObject(j, "password", config_json_secret(&k->password));
	cJSON_AddBoolToObject(j, "tls_verify", k->tls_verify);
	cJSON_AddNumberToObject(j, "batch_size", (double)k->batch_size);
	cJSON_AddNumberToObject(j, "max_bytes", (double)k->max_bytes);
	cJSON_AddNumberToObject(j, "timeout_secs", (double)k->timeout_secs);
	cJSON_AddNumberToObject(j, "max_retries", (double)k->max_retries);
	cJSON_AddItemToObject(j, "pipeline", config_json_str(k->pipeline));
	cJSON_AddNumberToObject(j, "number_of_shards",
	                        (double)k->number_of_shards);
	cJSON_AddNumberToObject(j, "number_of_replicas",
	                        (double)k->number_of_replicas);
	cJSON_AddStringToObject(j, "refresh_interval", k->refresh_interval);
	cJSON_AddStringToObject(
	    j, "text_analysis",
	    k->text_analysis == FL_ANALYSIS_ICU ? "icu" : "builtin");
	cJSON_AddBoolToObject(j, "auto_subfields", k->auto_subfields);
	cJSON_AddNumberToObject(j, "refresh_period_ms",
	                        (double)k->refresh_period_ms);
	cJSON_AddNumberToObject(j, "skip_identical_ids",
	                        (double)k->skip_identical_ids);
	return j;
}

/* The effective configuration (caller deletes). */

static cJSON *
config_json(const struct fl_config *c)
{
	cJSON *o = cJSON_CreateObject(), *sinks, *ixs, *srv;
	size_t i;

	cJSON_AddItemToObject(o, "source", config_json_source(&c->source));
	sinks = cJSON_AddObjectToObject(o, "sinks");
	for (i = 0; i < c->nsinks; i++)
		cJSON_AddItemToObject(sinks, c->sinks[i].name,
		                      config_json_sink(&c->sinks[i]));
	ixs = cJSON_AddArrayToObject(o, "index");
	for (i = 0; i < c->nindexes; i++) {
		const struct fl_index_cfg *x = &c->indexes[i];
		cJSON *j = cJSON_CreateObject();
		char hash[17];

		cJSON_AddStringToObject(j, "name", x->name);
		cJSON_AddStringToObject(j, "schema", x->schema_path);
		cJSON_AddBoolToObject(j, "enabled", x->enabled);
		cJSON_AddStringToObject(
		    j, "on_error",
		    fl_config_policy(c, x) == FL_POLICY_SKIP ? "skip" : "stop");
		fl_config_index_hash(c, x, hash);
		cJSON_AddStringToObject(j, "schema_hash", hash);
		cJSON_AddItemToArray(ixs, j);
	}
	cJSON_AddStringToObject(
	    o, "on_error", c->on_error == FL_POLICY_SKIP ? "skip" : "stop");
	cJSON_AddStringToObject(o, "prefix", c->prefix);
	cJSON_AddStringToObject(o, "index_naming",
	                        c->naming == FL_NAMING_REFERENCE ? "reference"
	                                                         : "ours");
	srv = cJSON_AddObjectToObject(o, "server");
	cJSON_AddItemToObject(srv, "public_address",
	                      config_json_str(c->public_address));
	cJSON_AddItemToObject(srv, "private_address",
	                      config_json_str(c->private_address));
	if (c->ngroups) /* groups (config_group.h), with their names */
		fl_check_json_groups(c, o);
	return o;
}

static int
config_show(struct fl_cmd_ctx *ctx)
{
	struct fl_config *cfg = fl_cmd_load_config(ctx);
	struct fl_buf pretty;
	char *text;
	cJSON *doc;

	if (!cfg)
		return FL_EXIT_FAIL;
	doc = config_json(cfg);
	text = cJSON_PrintUnformatted(doc);
	fl_buf_init(&pretty, (size_t)1 << 30);
	fl_json_pretty(text, &pretty);
	puts(fl_buf_str(&pretty));
	fl_buf_done(&pretty);
	free(text);
	cJSON_Delete(doc);
	fprintf(stderr, "config: %s (%s)\n", cfg->path,
	        cfg->toml ? "toml" : "yaml");
	fl_config_free(cfg);
	return FL_EXIT_OK;
}

static int
config_convert(struct fl_cmd_ctx *ctx, const char *file)
{
	struct fl_err err;
	struct fl_ydoc *doc;
	struct fl_buf out;
	int rc = FL_EXIT_OK;

	if (!(doc = fl_config_read_doc(file, &err))) {
		fprintf(stderr, "Error: %s\n", err.msg);
		return FL_EXIT_FAIL;
	}
	(void)ctx;
	fl_buf_init(&out, (size_t)1 << 30);
	fl_buf_printf(&out,
	              "# flusso.yml converted from %s by `flusso config "
	              "convert`\n",
	              file);
	if (fl_yemit_doc(fl_ydoc_root(doc), &out) < 0) {
		fprintf(stderr, "Error: %s: converted output too large\n",
		        file);
		rc = FL_EXIT_FAIL;
	} else {
		fputs(fl_buf_str(&out), stdout);
	}
	fl_buf_done(&out);
	fl_ydoc_free(doc);
	return rc;
}

static int
config_exec(struct fl_cmd_ctx *ctx)
{
	const char *verb = ctx->args.npos ? ctx->args.pos[0] : NULL;

	if (verb && strcmp(verb, "show") == 0 && ctx->args.npos == 1)
		return config_show(ctx);
	if (verb && strcmp(verb, "convert") == 0)
		return config_convert(ctx,
		                      ctx->args.npos > 1
		                          ? ctx->args.pos[1]
		                          : fl_args_str(&ctx->args, "config"));
	fprintf(stderr,
	        "flusso config: expected `show` or `convert [FILE]`%s%s\n"
	        "Try 'flusso config --help' for more information.\n",
	        verb ? ", found " : "", verb ? verb : "");
	return FL_EXIT_USAGE;
}

const struct fl_cmd_entry fl_cmd_config_entry = {
	.name = "config",
	.usage = "show|convert [FILE] [options]",
	.summary = "Print the effective configuration, or a flusso.toml as "
	           "YAML",
	.help = "show: load the deployment file (--config; flusso.yml, or "
	        "flusso.toml when\nthat is absent) and its schemas, print the "
	        "effective configuration as JSON\n(defaults applied, secrets "
	        "redacted, each schema's content hash).\nconvert [FILE]: read "
	        "FILE (default: --config) and print it as flusso.yml:\nthe "
	        "same keys in the same order, env references kept as "
	        "references,\ncomments dropped. `flusso config convert "
	        "flusso.toml > flusso.yml`.",
	.opts = config_opts,
	.nopts = FL_ARRAY_LEN(config_opts),
	.max_pos = 2,
	.exec = config_exec,
};
