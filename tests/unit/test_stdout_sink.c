/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * test_stdout_sink.c - the stdout sink (engine-sink.md §3, §11.1) and
 * fan-out (§4) with fake inner sinks, and fl_sink_from_config.
 *
 * stdout: the upsert envelope (sorted keys, seq from 1, meta.fields and
 * meta.bytes), the delete envelope, seq across writers, a non-object
 * document, pretty output, CR/LF in documents, nothing written before
 * flush, a write failure (/dev/full) as FL_SINK_PERMANENT, no seeding
 * tracking. fan-out: sink-name order, the first error short-circuits
 * (and drops the other buffers), reports concatenated, control calls
 * forwarded, tracks_seeding/seeded combination.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "sink/sink.h"
#include "tap.h"
#include "util/xmem.h"

/* Flush w with fd 1 redirected to a temp file (or to `path`); the
 * output in *out (caller frees). */
static int
t_flush_to(struct fl_sink_writer *w, const char *path, char **out,
           struct fl_err *err)
{
	struct fl_sink_report rep = { NULL, 0 };
	FILE *tmp = path ? NULL : tmpfile();
	int fd = path ? open(path, O_WRONLY) : fileno(tmp);
	int saved, rc;
	long n;

	fflush(stdout);
	saved = dup(1);
	dup2(fd, 1);
	fl_err_clear(err);
	rc = w->ops->flush(w, 1, &rep, err);
	fflush(stdout);
	clearerr(stdout);
	dup2(saved, 1);
	close(saved);
	fl_sink_report_done(&rep);
	*out = NULL;
	if (tmp) {
		n = ftell(tmp);
		*out = fl_xcalloc(1, (size_t)(n > 0 ? n : 0) + 1);
		rewind(tmp);
		if (n > 0 && fread(*out, 1, (size_t)n, tmp) != (size_t)n)
			printf("# short read\n");
		fclose(tmp);
	} else {
		close(fd);
	}
	return rc;
}

#define T_DOC "{\"email\":\"ada@x.io\"}"

/* The keys of a JSON object in order, comma-separated. */
static void
t_keys(const cJSON *o, char *buf, size_t n)
{
	const cJSON *k;
	size_t at = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(k, o) at += (size_t)snprintf(
	    buf + at, n - at, "%s%s", at ? "," : "", k->string);
}

TAP_TEST(test_upsert_envelope)
{
	struct fl_sink *s = fl_sink_stdout_new("stdout", 0);
	struct fl_sink_writer *w = s->ops->writer_new(s);
	struct fl_err err;
	char *out, keys[256];
	cJSON *j;
	const char *ts;

	w->ops->upsert(w, "users", "42", T_DOC, strlen(T_DOC), 0);
	is_long(t_flush_to(w, NULL, &out, &err), FL_SINK_OK, "flush(true) ok");
	ok(strchr(out, '\n') == out + strlen(out) - 1,
	   "one compact NDJSON line");
	j = cJSON_Parse(out);
	t_keys(j, keys, sizeof(keys));
	is_str(keys, "document,id,index,meta,op,seq,sink,ts,version",
	       "keys sorted");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "sink")), "stdout",
	       "sink");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "version")),
	       FLUSSO_VERSION, "version");
	is_long(cJSON_GetObjectItem(j, "seq")->valueint, 1, "seq 1");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "index")), "users",
	       "index");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "op")), "upsert",
	       "op");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "id")), "42", "id");
	has_str(out, "\"document\":" T_DOC ",", "document verbatim");
	is_long(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "meta"), "fields")
	            ->valueint,
	        1, "meta.fields = 1");
	is_long(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "meta"), "bytes")
	            ->valueint,
	        20, "meta.bytes = 20");
	ts = cJSON_GetStringValue(cJSON_GetObjectItem(j, "ts"));
	ok(ts && strlen(ts) == 24 && ts[10] == 'T' && ts[19] == '.' &&
	       ts[23] == 'Z',
	   "ts is RFC 3339 UTC with milliseconds");
	cJSON_Delete(j);
	free(out);
	w->ops->free(w);
	s->ops->free(s);
}

TAP_TEST(test_delete_and_seq)
{
	struct fl_sink *s = fl_sink_stdout_new("stdout", 0);
	struct fl_sink_writer *a = s->ops->writer_new(s);
	struct fl_sink_writer *b = s->ops->writer_new(s);
	struct fl_err err;
	const char *crlf = "{\"a\":\n1,\r\n\"b\":{\"c\":[1,2]}}";
	char *out, keys[256], *line2;
	cJSON *j;

	a->ops->del(a, "users", "7", 0);
	a->ops->upsert(a, "users", "8", "\"scalar\"", 8, 0);
	b->ops->upsert(b, "users", "9", crlf, strlen(crlf), 0);
	is_long(t_flush_to(a, NULL, &out, &err), FL_SINK_OK, "writer a");
	j = cJSON_Parse(out);
	t_keys(j, keys, sizeof(keys));
	is_str(keys, "id,index,op,seq,sink,ts,version",
	       "delete: no document, no meta");
	is_str(cJSON_GetStringValue(cJSON_GetObjectItem(j, "op")), "delete",
	       "op delete");
	is_long(cJSON_GetObjectItem(j, "seq")->valueint, 1, "seq 1");
	cJSON_Delete(j);
	line2 = strchr(out, '\n') + 1;
	j = cJSON_Parse(line2);
	is_long(cJSON_GetObjectItem(j, "seq")->valueint, 2, "seq 2");
	ok(cJSON_IsNull(
	       cJSON_GetObjectItem(cJSON_GetObjectItem(j, "meta"), "fields")),
	   "non-object document: meta.fields null");
	is_long(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "meta"), "bytes")
	            ->valueint,
	        8, "meta.bytes 8");
	cJSON_Delete(j);
	free(out);
	is_long(t_flush_to(b, NULL, &out, &err), FL_SINK_OK, "writer b");
	ok(strchr(out, '\n') == out + strlen(out) - 1,
	   "raw CR/LF of a document do not split the line");
	j = cJSON_Parse(out);
	is_long(cJSON_GetObjectItem(j, "seq")->valueint, 3,
	        "seq 3: one counter across writers");
	is_long(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "meta"), "fields")
	            ->valueint,
	        2, "meta.fields counts top-level keys only");
	cJSON_Delete(j);
	free(out);
	is_long(t_flush_to(b, NULL, &out, &err), FL_SINK_OK, "empty flush ok");
	is_str(out, "", "nothing buffered: nothing written");
	free(out);
	a->ops->free(a);
	b->ops->free(b);
	s->ops->free(s);
}

TAP_TEST(test_pretty_and_failure)
{
	struct fl_sink *s = fl_sink_stdout_new("dbg", 1);
	struct fl_sink_writer *w = s->ops->writer_new(s);
	struct fl_sink_index_state st;
	struct fl_sink_index_def def = { "users", "0123456789abcdef", NULL };
	struct fl_err err;
	char *out;
	cJSON *j;

	is_long(s->ops->ensure_index(s, &def, &st, &err), FL_SINK_OK,
	        "ensure_index ok");
	is_long(st.tracks_seeding, 0, "stdout does not track seeding");
	fl_sink_index_state_done(&st);
	w->ops->upsert(w, "users", "1", T_DOC, strlen(T_DOC), 0);
	w->ops->del(w, "users", "2", 0);
	is_long(t_flush_to(w, NULL, &out, &err), FL_SINK_OK, "pretty flush");
	has_str(out, "\"op\": \"delete\"", "pretty output");
	has_str(out, "\n  \"document\": {\n    \"email\": \"ada@x.io\"\n  },",
	        "multi-line, 2-space indent");
	j = cJSON_Parse(out);
	ok(j != NULL, "the first envelope is JSON");
	cJSON_Delete(j);
	free(out);
	w->ops->upsert(w, "users", "1", T_DOC, strlen(T_DOC), 0);
	if (access("/dev/full", W_OK) == 0) {
		is_long(t_flush_to(w, "/dev/full", &out, &err),
		        FL_SINK_PERMANENT, "a write failure is permanent");
		has_str(err.msg, "write failed", "message");
	} else {
		ok(1, "# SKIP no /dev/full");
		ok(1, "# SKIP no /dev/full");
	}
	w->ops->free(w);
	s->ops->free(s);
}

/* ---- fan-out over fake sinks ---------------------------------------------- */

struct t_fake {
	struct fl_sink base;
	int tracks, seeded, fail_flush;
};

struct t_fake_writer {
	struct fl_sink_writer base;
	int buffered;
};

static char t_log[1024];

static void
t_note(const struct fl_sink *s, const char *what)
{
	size_t n = strlen(t_log);

	snprintf(t_log + n, sizeof(t_log) - n, "%s%s:%s", n ? " " : "", s->name,
	         what);
}

static int
t_fake_ensure(struct fl_sink *s, const struct fl_sink_index_def *def,
              struct fl_sink_index_state *st, struct fl_err *err)
{
	struct t_fake *f = (struct t_fake *)s;

	(void)def;
	(void)err;
	memset(st, 0, sizeof(*st));
	st->tracks_seeding = f->tracks;
	st->seeded = f->seeded;
	st->active_generation = f->tracks ? 3 : 0;
	st->backfill_cursor = f->tracks ? fl_xstrdup("k") : NULL;
	t_note(s, "ensure");
	return 0;
}

static int
t_fake_cursor(struct fl_sink *s, const char *i, const char *c, struct fl_err *e)
{
	(void)i;
	(void)c;
	(void)e;
	t_note(s, "cursor");
	return 0;
}

static int
t_fake_mark(struct fl_sink *s, const char *i,
            const struct fl_source_identity *id, struct fl_err *e)
{
	(void)i;
	(void)id;
	(void)e;
	t_note(s, "mark");
	return 0;
}

static int
t_fake_stage(struct fl_sink *s, const char *i, long *g, struct fl_err *e)
{
	struct t_fake *f = (struct t_fake *)s;

	(void)i;
	(void)e;
	*g = f->tracks ? 4 : 0;
	t_note(s, "stage");
	return 0;
}

static int
t_fake_gc(struct fl_sink *s, const char *i, int *d, struct fl_err *e)
{
	(void)i;
	(void)e;
	*d = 1;
	t_note(s, "gc");
	return 0;
}

static void
t_fake_upsert(struct fl_sink_writer *w, const char *index, const char *id,
              const char *doc, size_t len, int seeding)
{
	(void)index;
	(void)id;
	(void)doc;
	(void)len;
	(void)seeding;
	((struct t_fake_writer *)w)->buffered++;
}

static void
t_fake_del(struct fl_sink_writer *w, const char *index, const char *id,
           int seeding)
{
	t_fake_upsert(w, index, id, NULL, 0, seeding);
}

static int
t_fake_flush(struct fl_sink_writer *w, int caught_up,
             struct fl_sink_report *rep, struct fl_err *err)
{
	struct t_fake *f = (struct t_fake *)w->sink;
	struct t_fake_writer *fw = (struct t_fake_writer *)w;
	char what[32];

	(void)caught_up;
	snprintf(what, sizeof(what), "flush%d", fw->buffered);
	t_note(w->sink, what);
	fw->buffered = 0;
	if (f->fail_flush)
		return fl_err_set(err, FL_ERR_SINK, "boom"), FL_SINK_TRANSIENT;
	rep->v = fl_xrealloc(rep->v, (rep->n + 1) * sizeof(*rep->v));
	rep->v[rep->n].index = fl_xstrdup("users");
	rep->v[rep->n].id = fl_xstrdup(w->sink->name);
	rep->v[rep->n].status = 400;
	rep->v[rep->n].reason = fl_xstrdup("r");
	rep->n++;
	return 0;
}

static void
t_fake_wfree(struct fl_sink_writer *w)
{
	free(w);
}

static const struct fl_sink_writer_ops t_fake_wops = {
	.upsert = t_fake_upsert,
	.del = t_fake_del,
	.flush = t_fake_flush,
	.free = t_fake_wfree,
};

static struct fl_sink_writer *
t_fake_writer_new(struct fl_sink *s)
{
	struct t_fake_writer *w = fl_xcalloc(1, sizeof(*w));

	w->base.ops = &t_fake_wops;
	w->base.sink = s;
	return &w->base;
}

static void
t_fake_free(struct fl_sink *s)
{
	free(s->name);
	free(s);
}

static const struct fl_sink_ops t_fake_ops = {
	.ensure_index = t_fake_ensure,
	.save_cursor = t_fake_cursor,
	.mark_seeded = t_fake_mark,
	.stage_rebuild = t_fake_stage,
	.gc = t_fake_gc,
	.writer_new = t_fake_writer_new,
	.free = t_fake_free,
};

static struct fl_sink *
t_fake_new(const char *name, int tracks, int seeded)
{
	struct t_fake *f = fl_xcalloc(1, sizeof(*f));

	f->base.ops = &t_fake_ops;
	f->base.name = fl_xstrdup(name);
	f->base.type = "fake";
	f->tracks = tracks;
	f->seeded = seeded;
	return &f->base;
}

TAP_TEST(test_fanout)
{
	struct fl_sink *kids[3];
	struct fl_sink *fo;
	struct fl_sink_writer *w;
	struct fl_sink_index_state st;
	struct fl_sink_index_def def = { "users", "0123456789abcdef", NULL };
	struct fl_sink_report rep = { NULL, 0 };
	struct fl_err err;
	long gen = 0;
	int del = 0;

	kids[0] = t_fake_new("a", 1, 1);
	kids[1] = t_fake_new("b", 0, 0); /* like stdout */
	kids[2] = t_fake_new("c", 1, 0);
	fo = fl_sink_fanout_new(kids, 3);
	t_log[0] = '\0';
	is_long(fo->ops->ensure_index(fo, &def, &st, &err), 0, "ensure ok");
	is_str(t_log, "a:ensure b:ensure c:ensure", "sink-name order");
	is_long(st.tracks_seeding, 1, "tracks = OR");
	is_long(st.seeded, 0, "seeded = AND over tracking sinks");
	is_long(st.active_generation, 3, "state of the first tracking sink");
	is_str(st.backfill_cursor, "k", "its cursor");
	fl_sink_index_state_done(&st);
	((struct t_fake *)kids[2])->seeded = 1;
	fo->ops->ensure_index(fo, &def, &st, &err);
	is_long(st.seeded, 1, "the non-tracking sink is ignored");
	fl_sink_index_state_done(&st);
	t_log[0] = '\0';
	fo->ops->save_cursor(fo, "users", "k", &err);
	fo->ops->mark_seeded(fo, "users", NULL, &err);
	fo->ops->stage_rebuild(fo, "users", &gen, &err);
	fo->ops->gc(fo, "users", &del, &err);
	is_str(t_log,
	       "a:cursor b:cursor c:cursor a:mark b:mark c:mark a:stage "
	       "b:stage c:stage a:gc b:gc c:gc",
	       "control calls reach every sink");
	is_long(gen, 4, "staged generation reported");
	is_long(del, 3, "gc counts summed");

	w = fo->ops->writer_new(fo);
	w->ops->upsert(w, "users", "1", "{}", 2, 0);
	w->ops->del(w, "users", "2", 0);
	t_log[0] = '\0';
	is_long(w->ops->flush(w, 0, &rep, &err), 0, "flush ok");
	is_str(t_log, "a:flush2 b:flush2 c:flush2", "every sink flushed");
	if (is_long((long)rep.n, 3, "reports concatenated"))
		ok(strcmp(rep.v[0].id, "a") == 0 &&
		       strcmp(rep.v[2].id, "c") == 0,
		   "in sink order");
	fl_sink_report_done(&rep);
	((struct t_fake *)kids[1])->fail_flush = 1;
	w->ops->upsert(w, "users", "1", "{}", 2, 0);
	t_log[0] = '\0';
	is_long(w->ops->flush(w, 0, &rep, &err), FL_SINK_TRANSIENT,
	        "the first error is returned");
	is_str(t_log, "a:flush1 b:flush1", "and short-circuits the rest");
	is_long((long)rep.n, 0, "no partial report on error");
	((struct t_fake *)kids[1])->fail_flush = 0;
	t_log[0] = '\0';
	w->ops->flush(w, 0, &rep, &err);
	is_str(t_log, "a:flush0 b:flush0 c:flush0",
	       "the skipped sink's buffer was dropped too");
	fl_sink_report_done(&rep);
	w->ops->free(w);
	fo->ops->free(fo);
}

TAP_TEST(test_from_config)
{
	struct fl_config c;
	struct fl_sink_cfg sc[2];
	struct fl_sink *s;
	struct fl_err err;
	char n1[] = "a", n2[] = "b";

	memset(&c, 0, sizeof(c));
	s = fl_sink_from_config(&c, 0, &err);
	ok(s && strcmp(s->type, "stdout") == 0 &&
	       strcmp(s->name, "stdout") == 0,
	   "no sink configured: the stdout fallback");
	s->ops->free(s);
	memset(sc, 0, sizeof(sc));
	sc[0].name = n1;
	sc[0].type = FL_SINK_STDOUT;
	sc[1].name = n2;
	sc[1].type = FL_SINK_STDOUT;
	c.sinks = sc;
	c.nsinks = 1;
	s = fl_sink_from_config(&c, 0, &err);
	ok(s && strcmp(s->type, "stdout") == 0 && strcmp(s->name, "a") == 0,
	   "one sink: used directly");
	s->ops->free(s);
	c.nsinks = 2;
	s = fl_sink_from_config(&c, 0, &err);
	ok(s && strcmp(s->type, "fanout") == 0, "two sinks: fan-out");
	s->ops->free(s);
}

int
main(void)
{
	tap_run(test_upsert_envelope);
	tap_run(test_delete_and_seq);
	tap_run(test_pretty_and_failure);
	tap_run(test_fanout);
	tap_run(test_from_config);
	return tap_done();
}
