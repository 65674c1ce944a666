/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_hash_ref.c - the reference implementation's content hash: FNV-1a 32
 * over what Rust's derived `Hash` writes for the reference's `IndexSchema`
 * (libs/0-core/src/config/ of flusso 0.15.1). The stream rules and the
 * known gaps are in schema_hash_ref.h; every function below mirrors one
 * Rust type and says which.
 */
#include "config/schema_hash_ref.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REF_FNV_BASIS UINT32_C(2166136261)
#define REF_FNV_PRIME UINT32_C(16777619)

/* Discriminants of the reference's enums, in declaration order. */
enum { REF_NONE = 0, REF_SOME = 1 };
enum {
	REF_SRC_COLUMN,
	REF_SRC_GROUP,
	REF_SRC_GEO,
	REF_SRC_RELATION,
	REF_SRC_CONSTANT
};
enum { REF_REL_JOIN, REF_REL_AGGREGATE };
enum { REF_KEY_DIRECT, REF_KEY_THROUGH };
enum { REF_FV_SINGLE, REF_FV_LIST, REF_FV_RANGE };
enum { REF_SD_FIELD, REF_SD_COLUMN };
enum {
	REF_GV_NULL = 0,
	REF_GV_BOOL = 1,
	REF_GV_BIGINT = 4,
	REF_GV_DECIMAL = 7,
	REF_GV_STRING = 8,
	REF_GV_ARRAY = 15,
	REF_GV_MAP = 16
};
/* FlussoType: Text .. Json are 0..15 as in enum fl_ftype. */
enum { REF_TY_MAP = 16, REF_TY_GEO_POINT = 17, REF_TY_CUSTOM = 18 };

struct ref_hasher {
	uint32_t h;
};

static void
ref_write(struct ref_hasher *st, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		st->h ^= b[i];
		st->h *= REF_FNV_PRIME;
	}
}

static void
ref_u8(struct ref_hasher *st, unsigned v)
{
	unsigned char b = (unsigned char)v;

	ref_write(st, &b, 1);
}

/* u32, little-endian. */
static void
ref_u32(struct ref_hasher *st, uint32_t v)
{
	unsigned char b[4];
	int i;

	for (i = 0; i < 4; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	ref_write(st, b, 4);
}

/* u64/i64/usize/isize, little-endian. */
static void
ref_u64(struct ref_hasher *st, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	ref_write(st, b, 8);
}

/* An enum discriminant (isize) or a length prefix (usize). */
static void
ref_tag(struct ref_hasher *st, uint64_t v)
{
	ref_u64(st, v);
}

/* str: the bytes, then 0xff. */
static void
ref_str(struct ref_hasher *st, const char *s)
{
	ref_write(st, s, strlen(s));
	ref_u8(st, 0xff);
}

/* Option<String>. */
static void
ref_opt_str(struct ref_hasher *st, const char *s)
{
	if (!s) {
		ref_tag(st, REF_NONE);
		return;
	}
	ref_tag(st, REF_SOME);
	ref_str(st, s);
}

/* Vec<String>. */
static void
ref_strs(struct ref_hasher *st, char *const *s, size_t n)
{
	size_t i;

	ref_tag(st, n);
	for (i = 0; i < n; i++)
		ref_str(st, s[i]);
}

/* ---- rust_decimal::Decimal ---------------------------------------------- */

/* m = m * 10 + d over three little-endian u32 limbs; -1 on overflow. */
static int
ref_dec_push(uint32_t m[3], unsigned d)
{
	uint64_t carry = d;
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t x = (uint64_t)m[i] * 10 + carry;

		m[i] = (uint32_t)x;
		carry = x >> 32;
	}
	return carry ? -1 : 0;
}

/* m /= 10; returns the remainder. */
static unsigned
ref_dec_div10(uint32_t m[3])
{
	uint64_t rem = 0;
	int i;

	for (i = 2; i >= 0; i--) {
		uint64_t x = (rem << 32) | m[i];

		m[i] = (uint32_t)(x / 10);
		rem = x % 10;
	}
	return (unsigned)rem;
}

/*
 * Decimal of "[-]digits[.digits]" (scale at most 28), hashed as
 * normalize() then lo, mid, hi, flags. -1 when the text is not one.
 */
static int
ref_decimal(struct ref_hasher *st, const char *s)
{
	uint32_t m[3] = { 0, 0, 0 }, t[3];
	unsigned scale = 0, neg = 0, digits = 0;
	int dot = 0;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; *s; s++) {
		if (*s == '.' && !dot) {
			dot = 1;
			continue;
		}
		if (*s < '0' || *s > '9' ||
		    ref_dec_push(m, (unsigned)(*s - '0')))
			return -1;
		digits++;
		scale += (unsigned)dot;
	}
	if (!digits || scale > 28)
		return -1;
	if (!m[0] && !m[1] && !m[2]) {
		neg = 0;
		scale = 0;
	}
	while (scale > 0) {
		memcpy(t, m, sizeof(t));
		if (ref_dec_div10(t))
			break;
		memcpy(m, t, sizeof(t));
		scale--;
	}
	ref_tag(st, REF_GV_DECIMAL);
	ref_u32(st, m[0]);
	ref_u32(st, m[1]);
	ref_u32(st, m[2]);
	ref_u32(st, (scale << 16) | (neg ? UINT32_C(0x80000000) : 0));
	return 0;
}

/*
 * A YAML float as serde_yaml → ryu → Decimal::from_str sees it: the
 * shortest round-tripping digits in plain notation. Exponent forms (ryu
 * writes them outside 1e-5 .. 1e16) and non-finite values are a known
 * gap: hashed as the string they would parse to at best.
 */
static void
ref_float(struct ref_hasher *st, double d)
{
	char sci[40], plain[80], *e, *p;
	char dig[24];
	int prec, exp10, nd = 0, kk, i;

	for (prec = 1; prec <= 17; prec++) {
		snprintf(sci, sizeof(sci), "%.*e", prec - 1, d);
		if (strtod(sci, NULL) == d)
			break;
	}
	e = strchr(sci, 'e');
	if (!e || d != d) {
		ref_tag(st, REF_GV_STRING);
		ref_str(st, sci);
		return;
	}
	exp10 = (int)strtol(e + 1, NULL, 10);
	for (p = sci; p < e && nd < (int)sizeof(dig) - 1; p++)
		if (*p >= '0' && *p <= '9')
			dig[nd++] = *p;
	dig[nd] = '\0';
	kk = exp10 + 1;
	if (kk <= -5 || kk > 16) {
		ref_tag(st, REF_GV_STRING);
		ref_str(st, sci);
		return;
	}
	p = plain;
	if (d < 0)
		*p++ = '-';
	if (kk <= 0) {
		*p++ = '0';
		*p++ = '.';
		for (i = kk; i < 0; i++)
			*p++ = '0';
		memcpy(p, dig, (size_t)nd);
		p += nd;
	} else {
		for (i = 0; i < nd || i < kk; i++) {
			if (i == kk)
				*p++ = '.';
			*p++ = i < nd ? dig[i] : '0';
		}
	}
	*p = '\0';
	if (ref_decimal(st, plain) < 0) {
		ref_tag(st, REF_GV_STRING);
		ref_str(st, plain);
	}
}

/* GenericValue, as yaml_to_generic builds it from a YAML value. */
static void
ref_value(struct ref_hasher *st, const struct fl_val *v)
{
	size_t i;

	switch (v->kind) {
	case FL_VAL_NULL:
		ref_tag(st, REF_GV_NULL);
		break;
	case FL_VAL_BOOL:
		ref_tag(st, REF_GV_BOOL);
		ref_u8(st, v->b ? 1 : 0);
		break;
	case FL_VAL_INT:
		if (v->s) { /* beyond i64: serde_yaml's u64 → Decimal */
			if (ref_decimal(st, v->s) < 0) {
				ref_tag(st, REF_GV_STRING);
				ref_str(st, v->s);
			}
			break;
		}
		ref_tag(st, REF_GV_BIGINT);
		ref_u64(st, (uint64_t)v->i);
		break;
	case FL_VAL_FLOAT:
		ref_float(st, v->f);
		break;
	case FL_VAL_STR:
		ref_tag(st, REF_GV_STRING);
		ref_str(st, v->s);
		break;
	case FL_VAL_LIST:
		ref_tag(st, REF_GV_ARRAY);
		ref_tag(st, v->n);
		for (i = 0; i < v->n; i++)
			ref_value(st, v->items[i]);
		break;
	case FL_VAL_MAP:
		ref_tag(st, REF_GV_MAP);
		ref_tag(st, v->n);
		for (i = 0; i < v->n; i++) {
			ref_str(st, v->keys[i]);
			ref_value(st, v->items[i]);
		}
		break;
	}
}

/* ---- filters ------------------------------------------------------------- */

/* FilterOp discriminant of one of our value ops. */
static uint64_t
ref_filter_op(enum fl_filter_op op)
{
	switch (op) {
	case FL_OP_EQ:
		return 0;
	case FL_OP_NEQ:
		return 1;
	case FL_OP_LT:
		return 2;
	case FL_OP_LTE:
		return 3;
	case FL_OP_GT:
		return 4;
	case FL_OP_GTE:
		return 5;
	case FL_OP_IN:
		return 6;
	case FL_OP_NOT_IN:
		return 7;
	case FL_OP_LIKE:
		return 8;
	case FL_OP_ILIKE:
		return 9;
	case FL_OP_BETWEEN:
		return 10;
	case FL_OP_IS_NULL:
	case FL_OP_IS_NOT_NULL:
		break;
	}
	return 0;
}

/* Filter: Raw { raw } | NullCheck { column, op } | ValueOp { column, op,
 * value: Single | List | Range }. */
static void
ref_filter(struct ref_hasher *st, const struct fl_filter *f)
{
	switch (f->kind) {
	case FL_FILTER_RAW:
		ref_tag(st, 0);
		ref_str(st, f->raw);
		return;
	case FL_FILTER_NULL_CHECK:
		ref_tag(st, 1);
		ref_str(st, f->column);
		ref_tag(st, f->op == FL_OP_IS_NULL ? 0 : 1);
		return;
	case FL_FILTER_VALUE:
		ref_tag(st, 2);
		ref_str(st, f->column);
		ref_tag(st, ref_filter_op(f->op));
		if (f->op == FL_OP_IN || f->op == FL_OP_NOT_IN) {
			ref_tag(st, REF_FV_LIST);
			ref_strs(st, f->values, f->nvalues);
		} else if (f->op == FL_OP_BETWEEN && f->nvalues == 2) {
			ref_tag(st, REF_FV_RANGE);
			ref_str(st, f->values[0]);
			ref_str(st, f->values[1]);
		} else {
			ref_tag(st, REF_FV_SINGLE);
			ref_str(st, f->nvalues ? f->values[0] : "");
		}
		return;
	}
}

/* Option<Vec<Filter>>: None when the key was not written. */
static void
ref_opt_filters(struct ref_hasher *st, const struct fl_filters *fs)
{
	size_t i;

	if (!fs->written) {
		ref_tag(st, REF_NONE);
		return;
	}
	ref_tag(st, REF_SOME);
	ref_tag(st, fs->n);
	for (i = 0; i < fs->n; i++)
		ref_filter(st, &fs->v[i]);
}

/* ---- fields -------------------------------------------------------------- */

static void ref_fields(struct ref_hasher *st, const struct fl_fields *fs);

/* FlussoType (Map { values: Box<FlussoType> }, Custom { postgres,
 * opensearch }). */
static void
ref_type(struct ref_hasher *st, const struct fl_field *f, enum fl_ftype t)
{
	if (t < FL_T_NSCALAR) {
		ref_tag(st, (uint64_t)t);
		return;
	}
	switch (t) {
	case FL_T_MAP:
		ref_tag(st, REF_TY_MAP);
		ref_tag(st, (uint64_t)f->col.map_values);
		return;
	case FL_T_GEO_POINT:
		ref_tag(st, REF_TY_GEO_POINT);
		return;
	default: /* FL_T_CUSTOM */
		ref_tag(st, REF_TY_CUSTOM);
		ref_strs(st, f->col.pg_raw, f->col.npg_types);
		ref_str(st, f->col.os_type ? f->col.os_type : "");
		return;
	}
}

/* Field.options: BTreeMap<String, GenericValue>, without the `dynamic`
 * our loader injects into `json` fields (the reference does not). */
static void
ref_options(struct ref_hasher *st, const struct fl_field *f)
{
	const struct fl_val *o = f->options;
	size_t i, n = o ? o->n : 0;
	int skip_dynamic = f->kind == FL_FIELD_COLUMN &&
	                   f->col.type == FL_T_JSON && f->col.json_dynamic;

	if (f->kind == FL_FIELD_CONST || !o || o->kind != FL_VAL_MAP) {
		ref_tag(st, 0);
		return;
	}
	if (skip_dynamic && fl_val_get(o, "dynamic"))
		n--;
	ref_tag(st, n);
	for (i = 0; i < o->n; i++) {
		if (skip_dynamic && strcmp(o->keys[i], "dynamic") == 0)
			continue;
		ref_str(st, o->keys[i]);
		ref_value(st, o->items[i]);
	}
}

/* Column { column, ty, nullable, transforms, default, enum_order }. */
static void
ref_column(struct ref_hasher *st, const struct fl_field *f)
{
	size_t i;

	ref_str(st, f->col.column);
	ref_type(st, f, f->col.type);
	ref_u8(st, !f->col.required);
	ref_tag(st, f->col.ntransforms);
	for (i = 0; i < f->col.ntransforms; i++)
		ref_tag(st, f->col.transforms[i] == FL_TR_LOWERCASE ? 0 : 1);
	if (f->col.def) {
		ref_tag(st, REF_SOME);
		ref_value(st, f->col.def);
	} else {
		ref_tag(st, REF_NONE);
	}
	if (f->col.type == FL_T_ENUM)
		ref_strs(st, f->col.variants, f->col.nvariants);
	else
		ref_tag(st, 0);
}

/* Through { table, left_key, right_key }. */
static void
ref_through(struct ref_hasher *st, const struct fl_through *t)
{
	ref_str(st, t->table);
	ref_str(st, t->left_key);
	ref_str(st, t->right_key);
}

/* Join { table, kind, primary_key, nullable, filters, order_by, limit,
 * fields }. */
static void
ref_join(struct ref_hasher *st, const struct fl_field *f)
{
	int to_many = f->join.kind == FL_JOIN_HAS_MANY ||
	              f->join.kind == FL_JOIN_MANY_TO_MANY;
	size_t i;

	ref_str(st, f->join.table);
	ref_tag(st, (uint64_t)f->join.kind);
	if (f->join.kind == FL_JOIN_MANY_TO_MANY)
		ref_through(st, &f->join.through);
	else
		ref_str(st, f->join.key);
	ref_str(st, f->join.primary_key);
	ref_u8(st, to_many ? 0 : !(f->join.has_required && f->join.required));
	ref_opt_filters(st, &f->join.filters);
	if (!f->join.order_by_written) {
		ref_tag(st, REF_NONE);
	} else {
		ref_tag(st, REF_SOME);
		ref_tag(st, f->join.norder_by);
		for (i = 0; i < f->join.norder_by; i++) {
			const struct fl_order *o = &f->join.order_by[i];

			ref_str(st, o->column);
			if (!o->dir_written) {
				ref_tag(st, REF_NONE);
			} else {
				ref_tag(st, REF_SOME);
				ref_tag(st, o->desc ? 1 : 0);
			}
		}
	}
	if (f->join.limit > 0) {
		ref_tag(st, REF_SOME);
		ref_u64(st, (uint64_t)f->join.limit);
	} else {
		ref_tag(st, REF_NONE);
	}
	ref_fields(st, &f->children);
}

/* Aggregate { table, op, key, value_type, filters }. */
static void
ref_aggregate(struct ref_hasher *st, const struct fl_field *f)
{
	int typed = f->agg.op == FL_AGG_SUM || f->agg.op == FL_AGG_MIN ||
	            f->agg.op == FL_AGG_MAX;

	ref_str(st, f->agg.table);
	ref_tag(st, (uint64_t)f->agg.op);
	if (f->agg.op == FL_AGG_IDS)
		ref_tag(st, (uint64_t)f->agg.element_type);
	else if (f->agg.op != FL_AGG_COUNT)
		ref_str(st, f->agg.column);
	if (f->agg.through.table) {
		ref_tag(st, REF_KEY_THROUGH);
		ref_through(st, &f->agg.through);
	} else {
		ref_tag(st, REF_KEY_DIRECT);
		ref_str(st, f->agg.foreign_key);
	}
	if (typed && f->agg.has_value_type) {
		ref_tag(st, REF_SOME);
		ref_tag(st, (uint64_t)f->agg.value_type);
	} else {
		ref_tag(st, REF_NONE);
	}
	ref_opt_filters(st, &f->agg.filters);
}

/* Field { field, options, source: FieldSource }. */
static void
ref_field(struct ref_hasher *st, const struct fl_field *f)
{
	ref_str(st, f->name);
	ref_options(st, f);
	switch (f->kind) {
	case FL_FIELD_COLUMN:
		ref_tag(st, REF_SRC_COLUMN);
		ref_column(st, f);
		break;
	case FL_FIELD_OBJECT:
		ref_tag(st, REF_SRC_GROUP);
		ref_fields(st, &f->children);
		break;
	case FL_FIELD_GEO:
		ref_tag(st, REF_SRC_GEO);
		ref_str(st, f->geo.lat);
		ref_str(st, f->geo.lon);
		ref_u8(st, !f->geo.required);
		break;
	case FL_FIELD_JOIN:
		ref_tag(st, REF_SRC_RELATION);
		ref_tag(st, REF_REL_JOIN);
		ref_join(st, f);
		break;
	case FL_FIELD_AGG:
		ref_tag(st, REF_SRC_RELATION);
		ref_tag(st, REF_REL_AGGREGATE);
		ref_aggregate(st, f);
		break;
	case FL_FIELD_CONST:
		ref_tag(st, REF_SRC_CONSTANT);
		ref_value(st, f->value);
		break;
	}
}

/* Vec<Field>. */
static void
ref_fields(struct ref_hasher *st, const struct fl_fields *fs)
{
	size_t i;

	ref_tag(st, fs->n);
	for (i = 0; i < fs->n; i++)
		ref_field(st, &fs->v[i]);
}

/* IndexSchema { version: u8, table, db_schema, primary_key, doc_id (always
 * None), soft_delete, filters, fields }. */
uint32_t
fl_hash_ref_value(const struct fl_schema *s)
{
	struct ref_hasher st = { REF_FNV_BASIS };
	const struct fl_soft_delete *sd = s->soft_delete;

	ref_u8(&st, (unsigned)s->version);
	ref_str(&st, s->table);
	ref_str(&st, s->db_schema ? s->db_schema : "public");
	ref_opt_str(&st, s->primary_key);
	ref_tag(&st, REF_NONE);
	if (!sd) {
		ref_tag(&st, REF_NONE);
	} else {
		ref_tag(&st, REF_SOME);
		ref_tag(&st, sd->by_field ? REF_SD_FIELD : REF_SD_COLUMN);
		ref_str(&st, sd->by_field ? sd->field : sd->column);
		ref_opt_filters(&st, &sd->when);
	}
	ref_opt_filters(&st, &s->filters);
	ref_fields(&st, &s->fields);
	return st.h;
}

void
fl_hash_ref_schema(const struct fl_schema *s, char out[9])
{
	snprintf(out, 9, "%08x", (unsigned)fl_hash_ref_value(s));
}
