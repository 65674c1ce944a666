/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * verify_report.c - the report of `flusso verify` as JSON and as text,
 * and releasing it (verify.h).
 *
 * Owns: the two renderings. Does not own: finding differences
 * (verify.c), where the output goes (cmd_verify.c).
 */
#include <stdlib.h>
#include <string.h>

#include "core/verify.h"
#include "util/json_write.h"

static const char *const vf_kind_names[] = { "missing", "extra", "different" };
static const char *const vf_mode_names[] = { "full", "ids", "sample" };

const char *
fl_verify_kind_name(enum fl_verify_kind k)
{
	return vf_kind_names[k];
}

size_t
fl_verify_report_differences(const struct fl_verify_report *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->nsinks; i++)
		n += r->sinks[i].missing + r->sinks[i].extra +
		     r->sinks[i].different;
	return n;
}

void
fl_verify_report_json(const struct fl_verify_report *r, struct fl_buf *out)
{
	size_t i;

	fl_buf_puts(out, "{\"index\":");
	fl_json_put_string(out, r->index ? r->index : "");
	fl_buf_printf(out,
	              ",\"mode\":\"%s\",\"checked\":%zu,\"seconds\":%.3f,"
	              "\"differences\":%zu,\"sinks\":[",
	              vf_mode_names[r->mode], r->checked, r->secs,
	              fl_verify_report_differences(r));
	for (i = 0; i < r->nsinks; i++) {
		const struct fl_verify_sink *s = &r->sinks[i];

		fl_buf_puts(out, i ? ",{\"sink\":" : "{\"sink\":");
		fl_json_put_string(out, s->name);
		fl_buf_puts(out, ",\"alias\":");
		fl_json_put_string(out, s->alias);
		fl_buf_printf(out,
		              ",\"stored\":%zu,\"missing\":%zu,\"extra\":%zu,"
		              "\"different\":%zu,\"extra_scan\":%s}",
		              s->stored, s->missing, s->extra, s->different,
		              s->extra_scan ? "true" : "false");
	}
	fl_buf_puts(out, "],\"items\":[");
	for (i = 0; i < r->nitems; i++) {
		const struct fl_verify_item *it = &r->items[i];

		fl_buf_puts(out, i ? ",{\"sink\":" : "{\"sink\":");
		fl_json_put_string(out, it->sink);
		fl_buf_puts(out, ",\"id\":");
		fl_json_put_string(out, it->id);
		fl_buf_printf(out, ",\"kind\":\"%s\"", vf_kind_names[it->kind]);
		if (it->path) {
			fl_buf_puts(out, ",\"path\":");
			fl_json_put_string(out, it->path);
		}
		fl_buf_putc(out, '}');
	}
	fl_buf_printf(out, "],\"truncated\":%s}",
	              r->truncated ? "true" : "false");
}

void
fl_verify_report_text(const struct fl_verify_report *r, FILE *f)
{
	size_t i, listed = 0;

	for (i = 0; i < r->nsinks; i++) {
		const struct fl_verify_sink *s = &r->sinks[i];

		fprintf(f, "%s", r->index);
		if (r->nsinks > 1)
			fprintf(f, " (%s)", s->name);
		fprintf(f,
		        ": %zu %s, %zu documents stored: %zu missing, %zu "
		        "extra, %zu different\n",
		        r->checked, r->mode == FL_VERIFY_IDS ? "ids" : "rows",
		        s->stored, s->missing, s->extra, s->different);
	}
	if (r->mode == FL_VERIFY_SAMPLE)
		fprintf(f,
		        "  (a random sample of %zu rows: extra documents "
		        "were not looked for)\n",
		        r->checked);
	for (i = 0; i < r->nitems; i++) {
		const struct fl_verify_item *it = &r->items[i];

		fprintf(f, "  %-9s %s", vf_kind_names[it->kind], it->id);
		if (it->path)
			fprintf(f, "  at %s",
			        it->path[0] ? it->path : "(root)");
		if (r->nsinks > 1)
			fprintf(f, "  [%s]", it->sink);
		fputc('\n', f);
		listed++;
	}
	if (r->truncated)
		fprintf(f, "  ... %zu more not listed (--limit)\n",
		        fl_verify_report_differences(r) - listed);
}

void
fl_verify_report_done(struct fl_verify_report *r)
{
	size_t i;

	for (i = 0; i < r->nitems; i++) {
		free(r->items[i].id);
		free(r->items[i].path);
	}
	free(r->items);
	for (i = 0; i < r->nsinks; i++) {
		free(r->sinks[i].name);
		free(r->sinks[i].alias);
	}
	free(r->sinks);
	free(r->index);
	memset(r, 0, sizeof(*r));
}
