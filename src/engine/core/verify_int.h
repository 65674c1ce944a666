/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify_int.h - private to verify*.c: reading one OpenSearch sink for
 * the consistency checker (verify_os.c).
 *
 * Owns: the declarations shared by verify.c and verify_os.c. Does not
 * own: anything public (verify.h).
 */
#ifndef FL_VERIFY_INT_H
#define FL_VERIFY_INT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "util/err.h"
#include "util/http_client.h"

/* One OpenSearch sink as verify reads it (its hash alias only). */
struct vf_os {
	char *name;
	char *alias;
	struct fl_http *http;
	char *scroll_id; /* of the id scan in progress */
};

/* Connect (lazily: no request is made) to sink `cfg`, alias `alias`. */
int vf_os_open(struct vf_os *s, const struct fl_sink_cfg *cfg,
               const char *alias, struct fl_err *err);
void vf_os_close(struct vf_os *s);

/* Make every write so far visible to search and count (_refresh). */
int vf_os_refresh(struct vf_os *s, struct fl_err *err);
/* Documents in the alias (_count). */
int vf_os_count(struct vf_os *s, long long *n, struct fl_err *err);

/* The stored _source of each id (_mget, realtime): docs[i] is the
 * caller's, NULL when absent. */
int vf_os_mget(struct vf_os *s, const char *const *ids, size_t n, cJSON **docs,
               struct fl_err *err);

/*
 * The id scan: every id stored in the alias, `size` per page, no
 * sources (scroll). Call next until *n is 0; then (or to stop early)
 * end. Ids are the caller's (each and the array).
 */
int vf_os_scan_next(struct vf_os *s, long size, char ***ids, size_t *n,
                    struct fl_err *err);
void vf_os_scan_end(struct vf_os *s);

#endif
