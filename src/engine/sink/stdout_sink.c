/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * stdout_sink.c - the stdout sink (engine-sink.md §3): one JSON envelope
 * per operation, buffered by each writer and written at flush, compact
 * NDJSON or pretty (2-space indent).
 *
 * Envelope keys, sorted: document, id, index, meta {bytes, fields}, op,
 * seq, sink, ts, version (document and meta for upserts only). The
 * document is embedded verbatim (raw CR/LF made spaces) and never
 * parsed: meta.fields comes from a scan that counts top-level members.
 *
 * DESIGN
 *   Threads: writers buffer on their own thread; flush takes the sink's
 *   mutex, numbers the envelopes (seq runs 1, 2, 3 across all writers of
 *   the sink, in output order), writes them to stdout and flushes it.
 *   A write failure (closed pipe, full disk) is FL_SINK_PERMANENT; the
 *   process is expected to ignore SIGPIPE so it surfaces here.
 *   Seeding is not tracked (tracks_seeding = 0); control calls are
 *   successful no-ops.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sink/opensearch_sink.h"
#include "sink/sink.h"
#include "util/buf.h"
#include "util/json_write.h"
#include "util/xmem.h"

struct so_sink {
	struct fl_sink base;
	int pretty;
	pthread_mutex_t mu;
	unsigned long long seq;
};

struct so_op {
	int del;
	size_t index_off, id_off, doc_off, doc_len;
};

struct so_writer {
	struct fl_sink_writer base;
	struct so_sink *s;
	struct so_op *ops;
	size_t nops, cap;
	struct fl_buf arena;
	struct fl_buf out;
	struct fl_buf line;
};

/* ---- control face: nothing to track -------------------------------- */

/* Nothing to create; seeding not tracked. */
static int
so_ensure_index(struct fl_sink *s, const struct fl_sink_index_def *def,
                struct fl_sink_index_state *st, struct fl_err *err)
{
	(void)s;
	(void)def;
	(void)err;
	memset(st, 0, sizeof(*st));
	return FL_SINK_OK;
}

/* No cursor to keep. */
static int
so_save_cursor(struct fl_sink *s, const char *index, const char *cursor,
               struct fl_err *err)
{
	(void)s;
	(void)index;
	(void)cursor;
	(void)err;
	return FL_SINK_OK;
}

/* Nothing to mark. */
static int
so_mark_seeded(struct fl_sink *s, const char *index,
               const struct fl_source_identity *id, struct fl_err *err)
{
	(void)s;
	(void)index;
	(void)id;
	(void)err;
	return FL_SINK_OK;
}

/* Nothing to stage (generation 0). */
static int
so_stage_rebuild(struct fl_sink *s, const char *index, long *generation,
                 struct fl_err *err)
{
	(void)s;
	(void)index;
	(void)err;
	*generation = 0;
	return FL_SINK_OK;
}

/* Nothing to collect. */
static int
so_gc(struct fl_sink *s, const char *index, int *deleted, struct fl_err *err)
{
	(void)s;
	(void)index;
	(void)err;
	*deleted = 0;
	return FL_SINK_OK;
}

/* ---- envelopes ---------------------------------------------------------- */

/*
 * Top-level member count of a JSON object text, or -1 when the text is
 * not an object. A scan (strings and nesting), not a parse: the
 * document is trusted to be valid JSON.
 */
static long
so_fields(const char *p, size_t n)
{
	const char *end = p + n;
	long count = 0;
	int depth = 0, any = 0;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p == end || *p != '{')
		return -1;
	for (; p < end; p++) {
		char c = *p;

		if (c == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (depth == 1 && !any)
				any = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (--depth == 0)
				break;
		} else if (c == ',' && depth == 1) {
			count++;
		}
	}
	return any ? count + 1 : 0;
}

/* Render the envelope of op (compact) into w->line. */
static void
so_envelope(struct so_writer *w, const struct so_op *op, unsigned long long seq,
            const char *ts)
{
	struct fl_buf *b = &w->line;
	const char *doc = w->arena.data + op->doc_off;

	fl_buf_reset(b);
	fl_buf_putc(b, '{');
	if (!op->del) {
		long f = so_fields(doc, op->doc_len);

		fl_buf_puts(b, "\"document\":");
		fl_buf_append(b, doc, op->doc_len);
		fl_buf_putc(b, ',');
		fl_buf_puts(b, "\"id\":");
		fl_json_put_string(b, w->arena.data + op->id_off);
		fl_buf_puts(b, ",\"index\":");
		fl_json_put_string(b, w->arena.data + op->index_off);
		fl_buf_printf(
		    b, ",\"meta\":{\"bytes\":%zu,\"fields\":", op->doc_len);
		if (f < 0)
			fl_buf_puts(b, "null}");
		else
			fl_buf_printf(b, "%ld}", f);
	} else {
		fl_buf_puts(b, "\"id\":");
		fl_json_put_string(b, w->arena.data + op->id_off);
		fl_buf_puts(b, ",\"index\":");
		fl_json_put_string(b, w->arena.data + op->index_off);
	}
	fl_buf_printf(b, ",\"op\":\"%s\",\"seq\":%llu,\"sink\":\"stdout\"",
	              op->del ? "delete" : "upsert", seq);
	fl_buf_printf(b, ",\"ts\":\"%s\",\"version\":", ts);
	fl_json_put_string(b, FLUSSO_VERSION);
	fl_buf_putc(b, '}');
}

/* Now as UTC RFC 3339 with milliseconds and Z. */
static void
so_timestamp(char *out, size_t n)
{
	struct timespec ts;
	struct tm tm;
	char base[24];
	int ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	ms = (int)((ts.tv_nsec / 1000000L) % 1000);
	snprintf(out, n, "%.23s.%03dZ", base, ms);
}

/* ---- writers ------------------------------------------------------------ */

/* Buffer one operation (never fails; OOM aborts). */
static void
so_add(struct so_writer *w, int del, const char *index, const char *id,
       const char *doc, size_t len)
{
	struct so_op *op;

	w->ops = fl_xgrow(w->ops, &w->cap, w->nops + 1, sizeof(*w->ops));
	op = &w->ops[w->nops++];
	op->del = del;
	op->index_off = w->arena.len;
	fl_buf_append(&w->arena, index, strlen(index) + 1);
	op->id_off = w->arena.len;
	fl_buf_append(&w->arena, id, strlen(id) + 1);
	op->doc_off = w->arena.len;
	op->doc_len = del ? 0 : len;
	if (!del) {
		fl_buf_append(&w->arena, doc, len);
		fl_bulk_scrub(w->arena.data + op->doc_off, len);
	}
}

/* upsert: buffer an envelope. */
static void
so_upsert(struct fl_sink_writer *base, const char *index, const char *id,
          const char *doc, size_t len, int seeding)
{
	(void)seeding;
	so_add((struct so_writer *)base, 0, index, id, doc, len);
}

/* del: buffer an envelope. */
static void
so_del(struct fl_sink_writer *base, const char *index, const char *id,
       int seeding)
{
	(void)seeding;
	so_add((struct so_writer *)base, 1, index, id, NULL, 0);
}

/* Number, render and write the buffered envelopes; stdout flushed. */
static int
so_flush(struct fl_sink_writer *base, int caught_up, struct fl_sink_report *rep,
         struct fl_err *err)
{
	struct so_writer *w = (struct so_writer *)base;
	struct so_sink *s = w->s;
	char ts[40];
	size_t i;
	int rc = FL_SINK_OK;

	(void)caught_up;
	(void)rep;
	if (w->nops == 0)
		return FL_SINK_OK;
	fl_buf_reset(&w->out);
	pthread_mutex_lock(&s->mu);
	so_timestamp(ts, sizeof(ts));
	for (i = 0; i < w->nops; i++) {
		so_envelope(w, &w->ops[i], ++s->seq, ts);
		if (!s->pretty ||
		    fl_json_pretty(fl_buf_str(&w->line), &w->out) < 0)
			fl_buf_append(&w->out, w->line.data, w->line.len);
		fl_buf_putc(&w->out, '\n');
	}
	errno = 0;
	if (fwrite(w->out.data, 1, w->out.len, stdout) != w->out.len ||
	    fflush(stdout) != 0 || ferror(stdout)) {
		fl_err_set(err, FL_ERR_IO, "write failed: %s",
		           errno ? strerror(errno) : "cannot write to stdout");
		clearerr(stdout);
		rc = FL_SINK_PERMANENT;
	}
	pthread_mutex_unlock(&s->mu);
	w->nops = 0;
	fl_buf_reset(&w->arena);
	return rc;
}

/* Free a writer. */
static void
so_writer_free(struct fl_sink_writer *base)
{
	struct so_writer *w = (struct so_writer *)base;

	if (!w)
		return;
	free(w->ops);
	fl_buf_done(&w->arena);
	fl_buf_done(&w->out);
	fl_buf_done(&w->line);
	free(w);
}

static const struct fl_sink_writer_ops so_writer_ops = {
	.upsert = so_upsert,
	.del = so_del,
	.flush = so_flush,
	.free = so_writer_free,
};

/* A writer with its own buffers. */
static struct fl_sink_writer *
so_writer_new(struct fl_sink *base)
{
	struct so_writer *w = fl_xcalloc(1, sizeof(*w));

	w->base.ops = &so_writer_ops;
	w->base.sink = base;
	w->s = (struct so_sink *)base;
	fl_buf_init(&w->arena, SIZE_MAX);
	fl_buf_init(&w->out, SIZE_MAX);
	fl_buf_init(&w->line, SIZE_MAX);
	return &w->base;
}

/* Free the sink (its writers must be freed first). */
static void
so_free(struct fl_sink *base)
{
	struct so_sink *s = (struct so_sink *)base;

	if (!s)
		return;
	pthread_mutex_destroy(&s->mu);
	free(s->base.name);
	free(s);
}

static const struct fl_sink_ops so_ops = {
	.ensure_index = so_ensure_index,
	.save_cursor = so_save_cursor,
	.mark_seeded = so_mark_seeded,
	.stage_rebuild = so_stage_rebuild,
	.gc = so_gc,
	.writer_new = so_writer_new,
	.free = so_free,
};

struct fl_sink *
fl_sink_stdout_new(const char *name, int pretty)
{
	struct so_sink *s = fl_xcalloc(1, sizeof(*s));

	s->base.ops = &so_ops;
	s->base.name = fl_xstrdup(name ? name : "stdout");
	s->base.type = "stdout";
	s->pretty = pretty;
	pthread_mutex_init(&s->mu, NULL);
	return &s->base;
}
