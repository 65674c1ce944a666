/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * config_group.h - index groups: several instances share one flusso.yml,
 * each runs a subset of the indexes with its own slot and publication.
 *
 * Owns: reading the optional `groups:` map of flusso.yml (each group's
 * index list, slot and publication), the effective slot and publication
 * names of every group (written, or derived `<base>_<group>`), the
 * selection (`--group NAME` or `--indexes a,b`) that narrows a loaded
 * configuration to its indexes, and the warnings `check` gives about
 * the groups. Does not own what runs on the selected indexes: everything
 * downstream sees only the narrowed configuration.
 */
#ifndef FL_CONFIG_GROUP_H
#define FL_CONFIG_GROUP_H

#include "config/config.h"
#include "config/yaml_read.h"

/* What one instance runs; NULL members are unset. */
struct fl_config_sel {
	const char *group;       /* --group / FLUSSO_GROUP */
	const char *indexes;     /* --indexes a,b / FLUSSO_INDEXES */
	const char *slot;        /* the base slot name (--slot) */
	const char *publication; /* the base publication name */
};

/* Read `groups:` of the deployment (after `index:`), checking each index
 * it names against c->indexes; errors go to r's diagnostics. */
int fl_config_groups_read(struct fl_yread *r, const struct fl_ynode *root,
                          struct fl_config *c);
void fl_config_groups_free(struct fl_config *c);

/*
 * Apply a selection: compute every group's slot and publication from
 * the base names, then keep only the selected indexes in c->indexes
 * (disabled ones stay disabled) and set c->group, c->slot and
 * c->publication. Without a group or index list, nothing is narrowed
 * and c->slot/c->publication are the base names. -1 with an error in
 * diags on an unknown group or index, both selections at once, or a
 * derived name that is not a valid slot name.
 */
int fl_config_select(struct fl_config *c, const struct fl_config_sel *sel,
                     struct fl_diags *diags);

/* `check`: warnings about the groups of a full (not yet narrowed)
 * configuration whose names were computed (fl_config_select): two groups
 * with one slot or one publication, an index in no group. */
void fl_config_groups_check(const struct fl_config *c, struct fl_diags *diags);

#endif
