/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * opensearch_names.c - building and parsing the OpenSearch names of
 * engine-sink.md §2.2 (hash alias, generation, convenience alias, meta
 * index, pending index and its document ids), the next generation
 * number and the body of an atomic alias move (§2.4 "point alias A at
 * T"). Pure: no I/O, no state.
 */
#include "sink/opensearch_names.h"

#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "config/schema_hash.h"
#include "util/json_write.h"
#include "util/xmem.h"

char *
fl_osnames_hash_alias(const char *prefix, const char *logical, const char *hash)
{
	return fl_xasprintf("%s%s_%s", prefix ? prefix : "", logical, hash);
}

char *
fl_osnames_generation(const char *hash_alias, long n)
{
	return fl_xasprintf("%s_%ld", hash_alias, n);
}

char *
fl_osnames_convenience(const char *prefix, const char *logical)
{
	return fl_xasprintf("%s%s", prefix ? prefix : "", logical);
}

char *
fl_osnames_meta_index(const char *prefix)
{
	return fl_xasprintf("%sflusso_meta", prefix ? prefix : "");
}

char *
fl_osnames_pending_index(const char *prefix)
{
	return fl_xasprintf("%sflusso_pending", prefix ? prefix : "");
}

char *
fl_osnames_pending_id(const char *index, const char *key)
{
	size_t klen = strlen(key);

	if (strlen("id:") + strlen(index) + 1 + klen <= FL_OSNAMES_ID_MAX)
		return fl_xasprintf("id:%s:%s", index, key);
	return fl_xasprintf("id:%s:#%016" PRIx64, index,
	                    fl_hash_fnv1a64(FL_HASH_FNV_BASIS, key, klen));
}

char *
fl_osnames_hold_id(const char *index)
{
	return fl_xasprintf("hold:%s", index);
}

/* Parse a non-empty all-digit string into *n; 0 when not one. */
static int
osnames_digits(const char *s, long *n)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > (LONG_MAX - (*s - '0')) / 10)
			return 0;
		v = v * 10 + (*s - '0');
	}
	*n = v;
	return 1;
}

int
fl_osnames_parse_generation(const char *alias, const char *name, long *n)
{
	size_t len = strlen(alias);
	long v;

	if (strncmp(name, alias, len) != 0 || name[len] != '_')
		return 0;
	if (!osnames_digits(name + len + 1, &v))
		return 0;
	if (n)
		*n = v;
	return 1;
}

char *
fl_osnames_hash_alias_of(const char *generation)
{
	const char *us = strrchr(generation, '_');
	long v;

	if (!us || us == generation || !osnames_digits(us + 1, &v))
		return NULL;
	return fl_xstrndup(generation, (size_t)(us - generation));
}

long
fl_osnames_next_generation(const char *alias, char *const *names, size_t n)
{
	long best = 0, v;
	size_t i;

	for (i = 0; i < n; i++)
		if (fl_osnames_parse_generation(alias, names[i], &v) &&
		    v > best)
			best = v;
	return best < LONG_MAX ? best + 1 : best;
}

int
fl_osnames_parse_hash_alias(const char *prefix, const char *logical,
                            const char *name,
                            char hash[FL_OSNAMES_HASH_LEN + 1])
{
	return fl_osnames_parse_hash_alias_len(prefix, logical, name,
	                                       FL_OSNAMES_HASH_LEN, hash);
}

int
fl_osnames_parse_hash_alias_len(const char *prefix, const char *logical,
                                const char *name, size_t len,
                                char hash[FL_OSNAMES_HASH_LEN + 1])
{
	size_t pl = prefix ? strlen(prefix) : 0, ll = strlen(logical), i;
	const char *h;

	if (len > FL_OSNAMES_HASH_LEN)
		return 0;
	if (pl && strncmp(name, prefix, pl) != 0)
		return 0;
	if (strncmp(name + pl, logical, ll) != 0 || name[pl + ll] != '_')
		return 0;
	h = name + pl + ll + 1;
	for (i = 0; i < len; i++)
		if (!((h[i] >= '0' && h[i] <= '9') ||
		      (h[i] >= 'a' && h[i] <= 'f')))
			return 0;
	if (h[len] != '\0')
		return 0;
	if (hash) {
		memcpy(hash, h, len);
		hash[len] = '\0';
	}
	return 1;
}

/* Append one {"<op>":{"alias":A,"index":I}} action. */
static int
osnames_put_action(struct fl_buf *out, const char *op, const char *alias,
                   const char *index)
{
	int r = fl_buf_printf(out, "{\"%s\":{\"alias\":", op);

	r |= fl_json_put_string(out, alias);
	r |= fl_buf_puts(out, ",\"index\":");
	r |= fl_json_put_string(out, index);
	r |= fl_buf_puts(out, "}}");
	return r < 0 ? -1 : 0;
}

int
fl_osnames_alias_actions(const char *alias, char *const *holders,
                         size_t nholders, const char *target,
                         struct fl_buf *out)
{
	size_t i, start = out->len;
	int n = 0;

	if (nholders == 1 && strcmp(holders[0], target) == 0)
		return 0;
	if (fl_buf_puts(out, "{\"actions\":[") < 0)
		goto cap;
	for (i = 0; i < nholders; i++) {
		if (strcmp(holders[i], target) == 0)
			continue;
		if ((n++ && fl_buf_putc(out, ',') < 0) ||
		    osnames_put_action(out, "remove", alias, holders[i]) < 0)
			goto cap;
	}
	if ((n && fl_buf_putc(out, ',') < 0) ||
	    osnames_put_action(out, "add", alias, target) < 0 ||
	    fl_buf_puts(out, "]}") < 0)
		goto cap;
	return 1;
cap:
	out->len = start;
	if (out->data)
		out->data[start] = '\0';
	return -1;
}
