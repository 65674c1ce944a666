/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * schema_int.h - private interface between the schema conversion files
 * (schema.c: root keys, filters, soft delete, lifetime; schema_field.c:
 * the field grammar). Not for use outside the schema module.
 */
#ifndef FL_SCHEMA_INT_H
#define FL_SCHEMA_INT_H

#include "config/schema.h"
#include "config/yaml_read.h"

/* Convert a `fields:` sequence; `level` names the row ("root" or a join).
 * Returns -1 if any error was reported. */
int fl_schema_conv_fields(struct fl_yread *r, const struct fl_ynode *seq,
                          struct fl_fields *out, int top_level);
/* Convert a `filters:`/`when:` sequence. */
int fl_schema_conv_filters(struct fl_yread *r, const struct fl_ynode *seq,
                           struct fl_filters *out);
/* Convert an `order_by:` sequence. */
int fl_schema_conv_order_by(struct fl_yread *r, const struct fl_ynode *seq,
                            struct fl_order **out, size_t *n);

/* `options:` of field mapping m into f->options (must be a mapping). */
int fl_schema_conv_options(struct fl_yread *r, const struct fl_ynode *m,
                           struct fl_field *f);
/* The join and aggregate families (schema_relation.c). */
int fl_schema_conv_join(struct fl_yread *r, const struct fl_ynode *m,
                        enum fl_join_kind kind, struct fl_field *f);
int fl_schema_conv_agg(struct fl_yread *r, const struct fl_ynode *m,
                       enum fl_agg_op op, struct fl_field *f);

void fl_schema_fields_done(struct fl_fields *f);
void fl_schema_filters_done(struct fl_filters *f);

#endif
