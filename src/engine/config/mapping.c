/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mapping.c - the derived OpenSearch index body (config.md §5): settings,
 * the analysis block, and one property per field built in the order of
 * §5.3: type, auto-subfields (§5.4), the enum `.sort` subfield, `options`
 * merged last (each key overwrites), then children.
 *
 * The body is an fl_val tree so integers stay integers and maps render
 * with sorted keys. The enum sort form (exact match, one pattern_replace
 * char filter per variant) is documented in mapping.h.
 */
#include "config/mapping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/xmem.h"

/* State of one body build: the enum sort components found on the walk. */
struct mapping_ctx {
	const struct fl_mapping_opts *o;
	struct fl_val *char_filter; /* settings.analysis.char_filter */
	struct fl_val *normalizer;  /* settings.analysis.normalizer */
};

void
fl_mapping_opts_default(struct fl_mapping_opts *o)
{
	o->number_of_shards = 1;
	o->number_of_replicas = 1;
	o->text_analysis = FL_ANALYSIS_BUILTIN;
	o->auto_subfields = 1;
}

void
fl_mapping_opts_from_config(const struct fl_config *c,
                            struct fl_mapping_opts *o)
{
	size_t i;

	fl_mapping_opts_default(o);
	for (i = 0; i < c->nsinks; i++) {
		const struct fl_sink_cfg *s = &c->sinks[i];

		if (s->type != FL_SINK_OPENSEARCH)
			continue;
		o->number_of_shards = s->number_of_shards;
		o->number_of_replicas = s->number_of_replicas;
		o->text_analysis = s->text_analysis;
		o->auto_subfields = s->auto_subfields;
		return;
	}
}

static struct fl_val *
mapping_int(long long i)
{
	struct fl_val *v = fl_val_new(FL_VAL_INT);

	v->i = i;
	return v;
}

static struct fl_val *
mapping_bool(int b)
{
	struct fl_val *v = fl_val_new(FL_VAL_BOOL);

	v->b = b;
	return v;
}

/* A list of the `n` strings of `s`. */
static struct fl_val *
mapping_strs(const char *const *s, size_t n)
{
	struct fl_val *l = fl_val_new(FL_VAL_LIST);
	size_t i;

	for (i = 0; i < n; i++)
		fl_val_list_push(l, fl_val_new_str(s[i]));
	return l;
}

/* map[key] = string value. */
static void
mapping_set_str(struct fl_val *map, const char *key, const char *s)
{
	fl_val_map_set(map, key, fl_val_new_str(s));
}

/* {type: custom, tokenizer?, char_filter?, filter: [...]} */
static struct fl_val *
mapping_custom(const char *tokenizer, const char *const *filters, size_t n)
{
	struct fl_val *m = fl_val_new(FL_VAL_MAP);

	mapping_set_str(m, "type", "custom");
	if (tokenizer)
		mapping_set_str(m, "tokenizer", tokenizer);
	fl_val_map_set(m, "filter", mapping_strs(filters, n));
	return m;
}

/* settings.analysis.analyzer for the builtin or icu flavour (§5.2). */
static struct fl_val *
mapping_analyzers(int icu)
{
	static const char *const code_builtin[] = { "flusso_word_delimiter",
		                                    "flatten_graph",
		                                    "lowercase",
		                                    "asciifolding" };
	static const char *const code_icu[] = { "flusso_word_delimiter",
		                                "flatten_graph", "lowercase",
		                                "icu_folding" };
	static const char *const text_builtin[] = { "lowercase",
		                                    "asciifolding" };
	static const char *const text_icu[] = { "icu_normalizer",
		                                "icu_folding" };
	struct fl_val *a = fl_val_new(FL_VAL_MAP);

	fl_val_map_set(
	    a, "flusso_code",
	    mapping_custom("whitespace", icu ? code_icu : code_builtin, 4));
	fl_val_map_set(a, "flusso_text",
	               icu ? mapping_custom("icu_tokenizer", text_icu, 2)
	                   : mapping_custom("standard", text_builtin, 2));
	return a;
}

/* The fixed part of settings.analysis.normalizer (§5.2). */
static struct fl_val *
mapping_normalizers(int icu)
{
	static const char *const lower_builtin[] = { "lowercase",
		                                     "asciifolding" };
	static const char *const lower_icu[] = { "icu_normalizer" };
	struct fl_val *n = fl_val_new(FL_VAL_MAP);

	fl_val_map_set(n, "flusso_lowercase",
	               icu ? mapping_custom(NULL, lower_icu, 1)
	                   : mapping_custom(NULL, lower_builtin, 2));
	return n;
}

/* settings.analysis; takes ownership of the walk's enum components. */
static struct fl_val *
mapping_analysis(struct mapping_ctx *ctx)
{
	int icu = ctx->o->text_analysis == FL_ANALYSIS_ICU;
	struct fl_val *a = fl_val_new(FL_VAL_MAP);
	struct fl_val *wd = fl_val_new(FL_VAL_MAP);
	struct fl_val *filter = fl_val_new(FL_VAL_MAP);

	mapping_set_str(wd, "type", "word_delimiter_graph");
	fl_val_map_set(wd, "catenate_all", mapping_bool(1));
	fl_val_map_set(wd, "preserve_original", mapping_bool(1));
	fl_val_map_set(filter, "flusso_word_delimiter", wd);
	fl_val_map_set(a, "filter", filter);
	fl_val_map_set(a, "analyzer", mapping_analyzers(icu));
	fl_val_map_set(a, "normalizer", ctx->normalizer);
	if (ctx->char_filter->n)
		fl_val_map_set(a, "char_filter", ctx->char_filter);
	else
		fl_val_free(ctx->char_filter);
	ctx->normalizer = ctx->char_filter = NULL;
	return a;
}

/* ---- enum sort ----------------------------------------------------------- */

/* Java regex literal for `s`: every ASCII byte that is not a letter or a
 * digit is backslash-escaped (always literal in java.util.regex); other
 * bytes (UTF-8) pass through. Caller frees. */
static char *
mapping_regex_escape(const char *s)
{
	char *out = fl_xmalloc(2 * strlen(s) + 1), *p = out;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		            (c >= '0' && c <= '9');

		if (c < 0x80 && !alnum)
			*p++ = '\\';
		*p++ = *s;
	}
	*p = '\0';
	return out;
}

/* "flusso_enumsort__" + path with non-ASCII-alphanumerics as `_`, made
 * unique among the normalizers already emitted. Caller frees. */
static char *
mapping_enum_name(const struct mapping_ctx *ctx, const char *path)
{
	char *base = fl_xasprintf("flusso_enumsort__%s", path);
	char *name, *p;
	int n;

	for (p = base + strlen("flusso_enumsort__"); *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9')))
			*p = '_';
	name = fl_xstrdup(base);
	for (n = 2; fl_val_get(ctx->normalizer, name); n++) {
		free(name);
		name = fl_xasprintf("%s_%d", base, n);
	}
	free(base);
	return name;
}

/* One pattern_replace char filter per variant and the normalizer that
 * chains them; returns the normalizer's name (caller frees). */
static char *
mapping_enum_components(struct mapping_ctx *ctx, const struct fl_field *f,
                        const char *path)
{
	char *name = mapping_enum_name(ctx, path);
	struct fl_val *norm = fl_val_new(FL_VAL_MAP);
	struct fl_val *chain = fl_val_new(FL_VAL_LIST);
	int width = snprintf(NULL, 0, "%zu", f->col.nvariants - 1);
	size_t i;

	for (i = 0; i < f->col.nvariants; i++) {
		char *cf = fl_xasprintf("%s__%zu", name, i);
		char *esc = mapping_regex_escape(f->col.variants[i]);
		char *pat = fl_xasprintf("^%s\\z", esc);
		char *rep = fl_xasprintf("\001%0*zu", width, i);
		struct fl_val *m = fl_val_new(FL_VAL_MAP);

		mapping_set_str(m, "type", "pattern_replace");
		mapping_set_str(m, "pattern", pat);
		mapping_set_str(m, "replacement", rep);
		fl_val_map_set(ctx->char_filter, cf, m);
		fl_val_list_push(chain, fl_val_new_str(cf));
		free(cf);
		free(esc);
		free(pat);
		free(rep);
	}
	mapping_set_str(norm, "type", "custom");
	fl_val_map_set(norm, "char_filter", chain);
	fl_val_map_set(norm, "filter", fl_val_new(FL_VAL_LIST));
	fl_val_map_set(ctx->normalizer, name, norm);
	return name;
}

/* ---- properties ---------------------------------------------------------- */

/* prop.fields, created if needed; borrowed. */
static struct fl_val *
mapping_subfields(struct fl_val *prop)
{
	struct fl_val *f;
	size_t i;

	for (i = 0; i < prop->n; i++)
		if (strcmp(prop->keys[i], "fields") == 0)
			return prop->items[i];
	f = fl_val_new(FL_VAL_MAP);
	fl_val_map_set(prop, "fields", f);
	return f;
}

/* {type: keyword, normalizer: <n>, ignore_above: 256} */
static struct fl_val *
mapping_normalized_keyword(const char *normalizer)
{
	struct fl_val *m = fl_val_new(FL_VAL_MAP);

	mapping_set_str(m, "type", "keyword");
	if (normalizer)
		mapping_set_str(m, "normalizer", normalizer);
	fl_val_map_set(m, "ignore_above", mapping_int(256));
	return m;
}

/* Step 2 of §5.3 / §5.4 for a property whose OS type is text or keyword. */
static void
mapping_auto_subfields(struct fl_val *prop, const char *os_type)
{
	struct fl_val *sub;

	if (strcmp(os_type, "text") == 0) {
		mapping_set_str(prop, "analyzer", "flusso_text");
		sub = mapping_subfields(prop);
		fl_val_map_set(sub, "keyword",
		               mapping_normalized_keyword(NULL));
	} else if (strcmp(os_type, "keyword") == 0) {
		struct fl_val *text = fl_val_new(FL_VAL_MAP);

		mapping_set_str(text, "type", "text");
		mapping_set_str(text, "analyzer", "flusso_code");
		sub = mapping_subfields(prop);
		fl_val_map_set(sub, "text", text);
	} else {
		return;
	}
	fl_val_map_set(sub, "keyword_lowercase",
	               mapping_normalized_keyword("flusso_lowercase"));
}

/* The OS type of a constant (§3.12). A null constant is a keyword and,
 * like every keyword property, gets the auto-subfields (§5.3 step 2). */
static const char *
mapping_const_type(const struct fl_val *v)
{
	switch (v ? v->kind : FL_VAL_NULL) {
	case FL_VAL_INT:
		return "long";
	case FL_VAL_FLOAT:
		return "double";
	case FL_VAL_BOOL:
		return "boolean";
	default: /* string, null (lists and maps are load errors) */
		return "keyword";
	}
}

/* The OS type of a field before `options` (§3.4, §5.3). */
static const char *
mapping_os_type(const struct fl_field *f)
{
	switch (f->kind) {
	case FL_FIELD_COLUMN:
		if (f->col.type == FL_T_CUSTOM)
			return f->col.os_type;
		return fl_ftype_os_type(f->col.type);
	case FL_FIELD_GEO:
		return "geo_point";
	case FL_FIELD_OBJECT:
		return "object";
	case FL_FIELD_JOIN:
		return f->join.kind == FL_JOIN_HAS_MANY ||
		               f->join.kind == FL_JOIN_MANY_TO_MANY
		           ? "nested"
		           : "object";
	case FL_FIELD_AGG:
		if (f->agg.op == FL_AGG_COUNT)
			return "long";
		if (f->agg.op == FL_AGG_AVG)
			return "double";
		return fl_ftype_os_type(f->agg.op == FL_AGG_IDS
		                            ? f->agg.element_type
		                            : f->agg.value_type);
	case FL_FIELD_CONST:
		return mapping_const_type(f->value);
	}
	return "keyword";
}

static struct fl_val *mapping_properties(struct mapping_ctx *ctx,
                                         const struct fl_fields *fs,
                                         const char *prefix);

/* The property of field `f` at dotted path `path`. */
static struct fl_val *
mapping_field(struct mapping_ctx *ctx, const struct fl_field *f,
              const char *path)
{
	struct fl_val *prop = fl_val_new(FL_VAL_MAP);
	const char *type = mapping_os_type(f);
	int parent = f->kind == FL_FIELD_OBJECT || f->kind == FL_FIELD_JOIN;
	size_t i;

	mapping_set_str(prop, "type", type ? type : "keyword");
	if (ctx->o->auto_subfields && !parent && type)
		mapping_auto_subfields(prop, type);
	if (f->kind == FL_FIELD_COLUMN && f->col.type == FL_T_ENUM &&
	    f->col.nvariants > 0) {
		char *norm = mapping_enum_components(ctx, f, path);

		fl_val_map_set(mapping_subfields(prop), "sort",
		               mapping_normalized_keyword(norm));
		free(norm);
	}
	for (i = 0; f->options && i < f->options->n; i++)
		fl_val_map_set(prop, f->options->keys[i],
		               fl_val_copy(f->options->items[i]));
	if (parent)
		fl_val_map_set(prop, "properties",
		               mapping_properties(ctx, &f->children, path));
	return prop;
}

/* {name: property, ...} for `fs`; `prefix` is the parent's path or NULL. */
static struct fl_val *
mapping_properties(struct mapping_ctx *ctx, const struct fl_fields *fs,
                   const char *prefix)
{
	struct fl_val *props = fl_val_new(FL_VAL_MAP);
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct fl_field *f = &fs->v[i];
		char *path = prefix ? fl_xasprintf("%s.%s", prefix, f->name)
		                    : fl_xstrdup(f->name);

		fl_val_map_set(props, f->name, mapping_field(ctx, f, path));
		free(path);
	}
	return props;
}

struct fl_val *
fl_mapping_body(const struct fl_schema *s, const struct fl_mapping_opts *o)
{
	struct mapping_ctx ctx;
	struct fl_val *body = fl_val_new(FL_VAL_MAP);
	struct fl_val *settings = fl_val_new(FL_VAL_MAP);
	struct fl_val *index = fl_val_new(FL_VAL_MAP);
	struct fl_val *mappings = fl_val_new(FL_VAL_MAP);
	struct fl_val *props;

	ctx.o = o;
	ctx.char_filter = fl_val_new(FL_VAL_MAP);
	ctx.normalizer =
	    mapping_normalizers(o->text_analysis == FL_ANALYSIS_ICU);
	props = mapping_properties(&ctx, &s->fields, NULL);

	mapping_set_str(index, "refresh_interval", "-1");
	fl_val_map_set(index, "number_of_shards",
	               mapping_int(o->number_of_shards));
	fl_val_map_set(index, "number_of_replicas",
	               mapping_int(o->number_of_replicas));
	fl_val_map_set(settings, "index", index);
	fl_val_map_set(settings, "analysis", mapping_analysis(&ctx));

	mapping_set_str(mappings, "dynamic", "strict");
	fl_val_map_set(mappings, "properties", props);
	fl_val_map_set(body, "settings", settings);
	fl_val_map_set(body, "mappings", mappings);
	return body;
}
