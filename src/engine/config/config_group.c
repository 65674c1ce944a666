/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config_group.c - `groups:` of flusso.yml and the selection of one
 * instance's indexes (--group NAME, --indexes a,b).
 *
 *   groups:
 *     orders: { indexes: [orders], slot: flusso_orders }
 *     rest:   { indexes: [users, products] }
 *
 * A group without `slot`/`publication` gets `<base>_<group>`, the base
 * being --slot / --publication (default flusso). An --indexes list gets
 * `<base>_<names sorted, joined by _>`, so `--indexes orders` and a group
 * `orders: {indexes: [orders]}` stream from the same slot. The narrowing
 * happens here, once, right after loading: the rest of flusso only ever
 * sees the selected indexes.
 */
#include "config/config_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/xmem.h"

static const char *const group_keys[] = { "indexes", "slot", "publication" };

/* ---- reading ------------------------------------------------------------ */

/* The configured index names, ", "-joined, for messages (caller frees). */
static char *
group_index_list(const struct fl_config *c)
{
	struct fl_buf b;
	char *out;
	size_t i;

	fl_buf_init(&b, 1 << 16);
	for (i = 0; i < c->nindexes; i++)
		if (c->indexes[i].name)
			fl_buf_printf(&b, "%s%s", b.len ? ", " : "",
			              c->indexes[i].name);
	out = fl_xstrdup(b.len ? fl_buf_str(&b) : "(none)");
	fl_buf_done(&b);
	return out;
}

static int
group_has_index(const struct fl_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nindexes; i++)
		if (c->indexes[i].name && strcmp(c->indexes[i].name, name) == 0)
			return 1;
	return 0;
}

/* A written slot or publication name of a group. */
static int
group_name_key(struct fl_yread *r, const struct fl_ynode *m, const char *key,
               char **out)
{
	if (fl_yread_str(r, m, key, 0, out) < 0)
		return -1;
	if (*out && fl_config_check_slot_name(*out) < 0)
		return fl_yread_key_error(
		    r, fl_ynode_get(m, key), key,
		    "invalid %s name `%s`: lowercase letters, digits and `_`, "
		    "starting with a letter or `_`, at most 63",
		    key, *out);
	return 0;
}

/* Is `name` already listed by an earlier group (or earlier in this
 * one)? Then report it. */
static int
group_dup(struct fl_yread *r, const struct fl_config *c, size_t gi,
          const char *name, const struct fl_ynode *at)
{
	size_t i, j;

	for (i = 0; i <= gi; i++) {
		const struct fl_group_cfg *g = &c->groups[i];

		for (j = 0; j < g->nindexes; j++)
			if (strcmp(g->indexes[j], name) == 0)
				return fl_yread_error(
				    r, at,
				    "index `%s` is already in group `%s` "
				    "(line %d, column %d); an index belongs to "
				    "one group at most",
				    name, g->name, g->index_at[j].line,
				    g->index_at[j].col);
	}
	return 0;
}

static int
group_indexes(struct fl_yread *r, struct fl_config *c, size_t gi,
              const struct fl_ynode *seq)
{
	struct fl_group_cfg *g = &c->groups[gi];
	char *known = NULL;
	size_t i, mark = fl_yread_push(r, "indexes");
	int rc = 0;

	if (!fl_yread_is_seq(r, seq, "a list of index names")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	if (seq->u.seq.n == 0)
		rc = fl_yread_error(r, seq, "a group lists at least one index");
	g->indexes = fl_xcalloc(seq->u.seq.n + 1, sizeof(*g->indexes));
	g->index_at = fl_xcalloc(seq->u.seq.n + 1, sizeof(*g->index_at));
	for (i = 0; i < seq->u.seq.n; i++) {
		const struct fl_ynode *v = seq->u.seq.items[i];
		size_t m2 = fl_yread_push(r, "[%zu]", i);
		char found[96], *name = NULL;

		if (v->kind == FL_YNODE_SCALAR && v->u.s.type == FL_YSCALAR_STR)
			name = fl_ident_normalize(v->u.s.text, v->u.s.len);
		if (!name) {
			fl_yread_found(v, found, sizeof(found));
			rc = fl_yread_error(
			    r, v, "expected an index name, found %s", found);
		} else if (!group_has_index(c, name)) {
			if (!known)
				known = group_index_list(c);
			rc = fl_yread_error(r, v,
			                    "unknown index `%s` in group `%s`; "
			                    "the indexes are: %s",
			                    name, g->name, known);
		} else if (group_dup(r, c, gi, name, v) < 0) {
			rc = -1;
		} else {
			g->index_at[g->nindexes].line = v->line;
			g->index_at[g->nindexes].col = v->col;
			g->indexes[g->nindexes++] = name;
			name = NULL;
		}
		free(name);
		fl_yread_pop(r, m2);
	}
	free(known);
	fl_yread_pop(r, mark);
	return rc;
}

static int
group_entry(struct fl_yread *r, struct fl_config *c, size_t gi,
            const struct fl_ypair *p)
{
	struct fl_group_cfg *g = &c->groups[gi];
	const struct fl_ynode *m = p->value, *seq;
	size_t mark;
	int rc = 0;

	g->name = fl_xstrdup(p->key->u.s.text);
	g->at.line = p->key->line;
	g->at.col = p->key->col;
	mark = fl_yread_push(r, "%s", g->name);
	if (fl_config_check_slot_name(g->name) < 0)
		rc = fl_yread_error(r, p->key,
		                    "invalid group name `%s`: lowercase "
		                    "letters, digits and `_`, starting with a "
		                    "letter or `_` (it names the slot)",
		                    g->name);
	if (!fl_yread_is_map(r, m,
	                     "a group mapping {indexes, slot, "
	                     "publication}")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	if (fl_yread_check_keys(r, m, group_keys, FL_ARRAY_LEN(group_keys)))
		rc = -1;
	if (!(seq = fl_ynode_get(m, "indexes")))
		rc = fl_yread_error(r, m, "missing key `indexes`");
	else if (group_indexes(r, c, gi, seq) < 0)
		rc = -1;
	if (group_name_key(r, m, "slot", &g->slot_set) < 0)
		rc = -1;
	if (group_name_key(r, m, "publication", &g->pub_set) < 0)
		rc = -1;
	fl_yread_pop(r, mark);
	return rc;
}

static int
group_cmp(const void *a, const void *b)
{
	const struct fl_group_cfg *x = a, *y = b;

	return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int
fl_config_groups_read(struct fl_yread *r, const struct fl_ynode *root,
                      struct fl_config *c)
{
	const struct fl_ynode *m = fl_ynode_get(root, "groups");
	size_t i, mark;
	int rc = 0;

	if (!m ||
	    (m->kind == FL_YNODE_SCALAR && m->u.s.type == FL_YSCALAR_NULL))
		return 0;
	mark = fl_yread_push(r, "groups");
	if (!fl_yread_is_map(r, m, "a mapping of group names to groups")) {
		fl_yread_pop(r, mark);
		return -1;
	}
	c->groups = fl_xcalloc(m->u.map.n + 1, sizeof(*c->groups));
	c->ngroups = m->u.map.n;
	for (i = 0; i < m->u.map.n; i++)
		if (group_entry(r, c, i, &m->u.map.pairs[i]) < 0)
			rc = -1;
	fl_yread_pop(r, mark);
	if (c->ngroups)
		qsort(c->groups, c->ngroups, sizeof(*c->groups), group_cmp);
	return rc;
}

void
fl_config_groups_free(struct fl_config *c)
{
	size_t i, j;

	for (i = 0; i < c->ngroups; i++) {
		struct fl_group_cfg *g = &c->groups[i];

		for (j = 0; j < g->nindexes; j++)
			free(g->indexes[j]);
		free(g->indexes);
		free(g->index_at);
		free(g->name);
		free(g->slot_set);
		free(g->pub_set);
		free(g->slot);
		free(g->publication);
	}
	free(c->groups);
	c->groups = NULL;
	c->ngroups = 0;
	free(c->group);
	free(c->slot);
	free(c->publication);
	c->group = c->slot = c->publication = NULL;
}

/* ---- selection ---------------------------------------------------------- */

static const struct fl_group_cfg *
group_find(const struct fl_config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return &c->groups[i];
	return NULL;
}

static int
group_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Split "a, b,a" into sorted unique normalised names (caller frees
 * each and the array); -1 with an error on a bad or unknown name. */
static int
sel_parse_list(const struct fl_config *c, const char *list, char ***out,
               size_t *n, struct fl_diags *diags)
{
	char **v = fl_xcalloc(strlen(list) / 2 + 2, sizeof(*v));
	const char *p = list;
	size_t k = 0, i, j;
	char *known;
	int rc = 0;

	while (*p && !rc) {
		size_t len = strcspn(p, ",");
		size_t a = 0, b = len;
		char *name;

		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
			b--;
		if (b > a) {
			name = fl_ident_normalize(p + a, b - a);
			if (!name || !group_has_index(c, name)) {
				known = group_index_list(c);
				rc = fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0,
				                  0, "--indexes",
				                  "unknown index `%.*s`; the "
				                  "indexes are: %s",
				                  (int)(b - a), p + a, known);
				free(known);
				free(name);
			} else {
				v[k++] = name;
			}
		}
		p += len;
		if (*p == ',')
			p++;
	}
	if (!rc && !k)
		rc = fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, "--indexes",
		                  "names no index");
	qsort(v, k, sizeof(*v), group_str_cmp);
	for (i = j = 0; i < k; i++) {
		if (j && strcmp(v[j - 1], v[i]) == 0)
			free(v[i]);
		else
			v[j++] = v[i];
	}
	*out = v;
	*n = j;
	return rc;
}

/* The slot and publication of every group from the base names. */
static void
sel_group_names(struct fl_config *c, const char *slot, const char *pub)
{
	size_t i;

	for (i = 0; i < c->ngroups; i++) {
		struct fl_group_cfg *g = &c->groups[i];

		free(g->slot);
		free(g->publication);
		g->slot = g->slot_set ? fl_xstrdup(g->slot_set)
		                      : fl_xasprintf("%s_%s", slot, g->name);
		g->publication = g->pub_set
		                     ? fl_xstrdup(g->pub_set)
		                     : fl_xasprintf("%s_%s", pub, g->name);
	}
}

/* Keep only the indexes named in `keep` (n of them). */
static void
sel_narrow(struct fl_config *c, char *const *keep, size_t n)
{
	size_t i, j, k = 0;

	for (i = 0; i < c->nindexes; i++) {
		struct fl_index_cfg *ix = &c->indexes[i];
		int in = 0;

		for (j = 0; j < n && !in; j++)
			in = strcmp(ix->name, keep[j]) == 0;
		if (in) {
			c->indexes[k++] = *ix;
			continue;
		}
		free(ix->name);
		free(ix->schema_path);
		free(ix->schema_file);
		fl_schema_free(ix->schema);
	}
	c->nindexes = k;
}

/* A derived name must be a slot name; say how to fix it when not. */
static int
sel_name_ok(const char *name, const char *what, const char *how,
            struct fl_diags *diags)
{
	if (fl_config_check_slot_name(name) == 0)
		return 0;
	return fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, NULL,
	                    "the derived %s name `%s` is not valid (at most "
	                    "63 lowercase letters, digits and `_`): %s",
	                    what, name, how);
}

static int
sel_indexes(struct fl_config *c, const struct fl_config_sel *sel,
            struct fl_diags *diags)
{
	char **names = NULL;
	struct fl_buf b;
	size_t i, n = 0;
	int rc;

	rc = sel_parse_list(c, sel->indexes, &names, &n, diags);
	if (!rc) {
		fl_buf_init(&b, 1 << 16);
		for (i = 0; i < n; i++)
			fl_buf_printf(&b, "_%s", names[i]);
		c->slot = fl_xasprintf("%s%s", sel->slot, fl_buf_str(&b));
		c->publication =
		    fl_xasprintf("%s%s", sel->publication, fl_buf_str(&b));
		fl_buf_done(&b);
		rc = sel_name_ok(c->slot, "slot",
		                 "name fewer indexes or use a "
		                 "group with its own `slot`",
		                 diags);
		if (!rc)
			rc = sel_name_ok(
			    c->publication, "publication",
			    "name fewer indexes or use a group with "
			    "its own `publication`",
			    diags);
		if (!rc)
			sel_narrow(c, names, n);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static int
sel_group(struct fl_config *c, const struct fl_config_sel *sel,
          struct fl_diags *diags)
{
	const struct fl_group_cfg *g = group_find(c, sel->group);
	struct fl_buf b;
	size_t i;
	int rc;

	if (!g) {
		fl_buf_init(&b, 1 << 16);
		for (i = 0; i < c->ngroups; i++)
			fl_buf_printf(&b, "%s%s", i ? ", " : "",
			              c->groups[i].name);
		rc = fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, "--group",
		                  "unknown group `%s`; %s%s", sel->group,
		                  c->ngroups ? "the groups are: "
		                             : "there is no `groups:` in ",
		                  c->ngroups ? fl_buf_str(&b) : c->path);
		fl_buf_done(&b);
		return rc;
	}
	if (sel_name_ok(g->slot, "slot", "set the group's `slot`", diags) ||
	    sel_name_ok(g->publication, "publication",
	                "set the group's `publication`", diags))
		return -1;
	c->group = fl_xstrdup(g->name);
	c->slot = fl_xstrdup(g->slot);
	c->publication = fl_xstrdup(g->publication);
	sel_narrow(c, g->indexes, g->nindexes);
	return 0;
}

int
fl_config_select(struct fl_config *c, const struct fl_config_sel *sel,
                 struct fl_diags *diags)
{
	const char *slot = sel->slot ? sel->slot : "flusso";
	const char *pub = sel->publication ? sel->publication : "flusso";
	struct fl_config_sel s = *sel;

	s.slot = slot;
	s.publication = pub;
	if (s.group && !*s.group)
		s.group = NULL;
	if (s.indexes && !*s.indexes)
		s.indexes = NULL;
	free(c->group);
	free(c->slot);
	free(c->publication);
	c->group = c->slot = c->publication = NULL;
	sel_group_names(c, slot, pub);
	if (s.group && s.indexes)
		return fl_diags_add(diags, FL_DIAG_ERROR, NULL, 0, 0, NULL,
		                    "--group and --indexes exclude each other");
	if (s.group)
		return sel_group(c, &s, diags);
	if (s.indexes)
		return sel_indexes(c, &s, diags);
	c->slot = fl_xstrdup(slot);
	c->publication = fl_xstrdup(pub);
	return 0;
}

/* ---- check -------------------------------------------------------------- */

void
fl_config_groups_check(const struct fl_config *c, struct fl_diags *diags)
{
	size_t i, j;

	for (i = 0; i < c->ngroups; i++) {
		const struct fl_group_cfg *g = &c->groups[i];

		if (g->slot && fl_config_check_slot_name(g->slot) < 0)
			fl_diags_add(
			    diags, FL_DIAG_ERROR, c->path, g->at.line,
			    g->at.col, "groups",
			    "group `%s`: the derived slot name `%s` is "
			    "not valid; set the group's `slot`",
			    g->name, g->slot);
		if (g->publication &&
		    fl_config_check_slot_name(g->publication) < 0)
			fl_diags_add(diags, FL_DIAG_ERROR, c->path, g->at.line,
			             g->at.col, "groups",
			             "group `%s`: the derived publication name "
			             "`%s` is not valid; set the group's "
			             "`publication`",
			             g->name, g->publication);
		for (j = 0; j < i; j++) {
			const struct fl_group_cfg *h = &c->groups[j];

			if (g->slot && h->slot && !strcmp(g->slot, h->slot))
				fl_diags_add(
				    diags, FL_DIAG_WARNING, c->path, g->at.line,
				    g->at.col, "groups",
				    "groups `%s` and `%s` share the slot "
				    "`%s`: two instances would fight "
				    "over it",
				    h->name, g->name, g->slot);
			if (g->publication && h->publication &&
			    !strcmp(g->publication, h->publication))
				fl_diags_add(diags, FL_DIAG_WARNING, c->path,
				             g->at.line, g->at.col, "groups",
				             "groups `%s` and `%s` share the "
				             "publication `%s`",
				             h->name, g->name, g->publication);
		}
	}
	for (i = 0; c->ngroups && i < c->nindexes; i++) {
		const struct fl_index_cfg *ix = &c->indexes[i];
		int in = 0;

		for (j = 0; j < c->ngroups && !in; j++) {
			size_t k;

			for (k = 0; k < c->groups[j].nindexes && !in; k++)
				in = !strcmp(c->groups[j].indexes[k], ix->name);
		}
		if (!in)
			fl_diags_add(diags, FL_DIAG_WARNING, c->path,
			             ix->at.line, ix->at.col, "groups",
			             "index `%s` is in no group: no instance "
			             "started with --group syncs it",
			             ix->name);
	}
}
