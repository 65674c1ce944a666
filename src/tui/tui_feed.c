/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_feed.c - the dashboard's data source and command runner.
 *
 * DESIGN
 *   One feed thread pops command requests (queue `req`) and runs them
 *   with fl_ctl_exec (in-process) or fl_ctl_remote_exec (attached),
 *   pushes the answer on `res` and writes a byte to the wake pipe.
 *   Attached, it also GETs /status every refresh interval (and right
 *   after each command), parses it (status_parse.c) and copies it into
 *   a local board; the UI thread snapshots that board exactly as it
 *   snapshots the engine's own. The reachability flag and its reason
 *   are the only other shared state, under `mu`.
 */
#include "tui_feed.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/status_parse.h"
#include "util/queue.h"
#include "util/strutil.h"
#include "util/xmem.h"

struct feed_req {
	const struct fl_ctl_cmd *c;
	int argc;
	char args[FL_CTL_MAX_WORDS][128];
	char line[256];
};

struct fl_tui_feed {
	struct fl_tui_feed_opts o;
	struct fl_board *local; /* attached: the polled copy */
	struct fl_queue *req, *res;
	int wake[2];
	pthread_t thread;
	int started;
	atomic_long refresh_ms;
	atomic_int poll_now;
	pthread_mutex_t mu; /* guards reachable, why, role, group */
	int reachable;
	char why[256];
	char role[16], group[64]; /* from the last good /status */
};

static double
feed_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
feed_poke(struct fl_tui_feed *f)
{
	if (write(f->wake[1], "r", 1) < 0) {
		/* full pipe: the UI is already due to wake */
	}
}

static void
feed_copy_cb(void *arg, struct fl_status *st)
{
	uint64_t seq = st->seq;

	memcpy(st, arg, sizeof(*st));
	st->seq = seq + 1;
}

static void
feed_set_reach(struct fl_tui_feed *f, int ok, const char *why)
{
	pthread_mutex_lock(&f->mu);
	f->reachable = ok;
	fl_str_copy(f->why, sizeof(f->why), why);
	pthread_mutex_unlock(&f->mu);
}

/* The fleet fields /status may carry (`role`, `group`); absent: "". */
static void
feed_set_meta(struct fl_tui_feed *f, const char *json)
{
	cJSON *doc = cJSON_Parse(json);
	const cJSON *role = cJSON_GetObjectItemCaseSensitive(doc, "role");
	const cJSON *group = cJSON_GetObjectItemCaseSensitive(doc, "group");

	pthread_mutex_lock(&f->mu);
	fl_str_copy(f->role, sizeof(f->role),
	            cJSON_IsString(role) ? role->valuestring : "");
	fl_str_copy(f->group, sizeof(f->group),
	            cJSON_IsString(group) ? group->valuestring : "");
	pthread_mutex_unlock(&f->mu);
	cJSON_Delete(doc);
}

/* Attached: GET /status into the local board. */
static void
feed_poll(struct fl_tui_feed *f, struct fl_status *tmp)
{
	struct fl_buf out;
	struct fl_err err;
	int code;

	fl_err_clear(&err);
	fl_buf_init(&out, (size_t)1 << 24);
	code = fl_ctl_remote_get(f->o.status, "/status", &out, &err);
	if (code < 0) {
		feed_set_reach(f, 0, err.msg);
	} else if (code != 200) {
		char why[256];

		snprintf(why, sizeof(why), "%s/status answered %d",
		         f->o.status->base, code);
		feed_set_reach(f, 0, why);
	} else if (fl_status_parse(fl_buf_str(&out), fl_status_now_us(), tmp,
	                           &err) < 0) {
		feed_set_reach(f, 0, err.msg);
	} else {
		if (f->o.meta)
			feed_set_meta(f, fl_buf_str(&out));
		fl_board_update(f->local, feed_copy_cb, tmp);
		feed_set_reach(f, 1, "");
	}
	fl_buf_done(&out);
	if (code < 0 || code != 200)
		feed_poke(f);
}

static void
feed_run_cmd(struct fl_tui_feed *f, struct feed_req *q)
{
	struct fl_tui_result *r = fl_xcalloc(1, sizeof(*r));
	const char *argv[FL_CTL_MAX_WORDS];
	struct fl_buf out;
	struct fl_err err;
	int i;

	for (i = 0; i < FL_CTL_MAX_WORDS; i++)
		argv[i] = q->args[i];
	fl_err_clear(&err);
	fl_buf_init(&out, (size_t)1 << 24);
	if (f->o.board)
		r->code = fl_ctl_exec(f->o.local, FL_CTL_PROMPT, q->c, q->argc,
		                      argv, &out);
	else
		r->code = fl_ctl_remote_exec(f->o.command, q->c, q->argc, argv,
		                             &out, &err);
	fl_str_copy(r->line, sizeof(r->line), q->line);
	r->text = r->code < 0 ? fl_xstrdup(err.msg) : fl_buf_steal(&out);
	if (!r->text)
		r->text = fl_xstrdup("");
	fl_buf_done(&out);
	if (fl_queue_push(f->res, r, -1) != 0) {
		free(r->text);
		free(r);
	}
	feed_poke(f);
}

static void *
feed_main(void *arg)
{
	struct fl_tui_feed *f = arg;
	struct fl_status *tmp = f->o.board ? NULL : fl_xmalloc(sizeof(*tmp));
	double next = 0;

	for (;;) {
		double now = feed_now();
		int wait = -1, rc;
		void *item;

		if (tmp) {
			if (atomic_exchange(&f->poll_now, 0))
				next = now;
			if (now >= next) {
				feed_poll(f, tmp);
				next = feed_now() +
				       (double)atomic_load(&f->refresh_ms) /
				           1000.0;
			}
			wait = (int)((next - feed_now()) * 1000) + 1;
			wait = wait < 1 ? 1 : wait > 250 ? 250 : wait;
		}
		rc = fl_queue_pop(f->req, &item, wait);
		if (rc < 0)
			break;
		if (rc == 0) {
			feed_run_cmd(f, item);
			free(item);
			next = 0; /* show the effect at once */
		}
	}
	free(tmp);
	return NULL;
}

static void
feed_drop_result(void *item)
{
	struct fl_tui_result *r = item;

	free(r->text);
	free(r);
}

struct fl_tui_feed *
fl_tui_feed_new(const struct fl_tui_feed_opts *o, struct fl_err *err)
{
	struct fl_tui_feed *f = fl_xcalloc(1, sizeof(*f));

	f->o = *o;
	pthread_mutex_init(&f->mu, NULL);
	atomic_init(&f->refresh_ms, (long)(o->refresh * 1000));
	atomic_init(&f->poll_now, 0);
	f->reachable = o->board != NULL;
	snprintf(f->why, sizeof(f->why), "connecting");
	if (pipe(f->wake) < 0) {
		pthread_mutex_destroy(&f->mu);
		free(f);
		return fl_err_sys(err, FL_ERR_IO, "pipe"), NULL;
	}
	fcntl(f->wake[0], F_SETFL, O_NONBLOCK);
	fcntl(f->wake[1], F_SETFL, O_NONBLOCK);
	f->req = fl_queue_new(8);
	f->res = fl_queue_new(64);
	if (!o->board)
		f->local = fl_board_new();
	if (pthread_create(&f->thread, NULL, feed_main, f) != 0) {
		fl_err_set(err, FL_ERR_IO, "cannot start the feed thread");
		fl_tui_feed_free(f);
		return NULL;
	}
	f->started = 1;
	return f;
}

void
fl_tui_feed_free(struct fl_tui_feed *f)
{
	if (!f)
		return;
	fl_queue_close(f->req);
	if (f->started)
		pthread_join(f->thread, NULL);
	fl_queue_free(f->req, free);
	fl_queue_free(f->res, feed_drop_result);
	fl_board_free(f->local);
	close(f->wake[0]);
	close(f->wake[1]);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

int
fl_tui_feed_fds(struct fl_tui_feed *f, int *fds)
{
	fds[0] = f->wake[0];
	fds[1] = fl_board_wake_fd(f->o.board ? f->o.board : f->local);
	return fds[1] >= 0 ? 2 : 1;
}

void
fl_tui_feed_drain(struct fl_tui_feed *f)
{
	char buf[64];
	int fds[2], n = fl_tui_feed_fds(f, fds), i;

	for (i = 0; i < n; i++)
		while (read(fds[i], buf, sizeof(buf)) > 0)
			;
}

int
fl_tui_feed_snapshot(struct fl_tui_feed *f, struct fl_status *out, char *why,
                     size_t n)
{
	int ok;

	fl_board_snapshot(f->o.board ? f->o.board : f->local, out);
	pthread_mutex_lock(&f->mu);
	ok = f->reachable;
	fl_str_copy(why, n, f->why);
	pthread_mutex_unlock(&f->mu);
	return ok;
}

void
fl_tui_feed_meta(struct fl_tui_feed *f, char *role, size_t rn, char *group,
                 size_t gn)
{
	pthread_mutex_lock(&f->mu);
	fl_str_copy(role, rn, f->role);
	fl_str_copy(group, gn, f->group);
	pthread_mutex_unlock(&f->mu);
}

void
fl_tui_feed_set_refresh(struct fl_tui_feed *f, double secs)
{
	atomic_store(&f->refresh_ms, (long)(secs * 1000));
	atomic_store(&f->poll_now, 1);
}

int
fl_tui_feed_submit(struct fl_tui_feed *f, const struct fl_ctl_cmd *c, int argc,
                   const char *const *argv)
{
	struct feed_req *q = fl_xcalloc(1, sizeof(*q));
	size_t len;
	int i;

	q->c = c;
	q->argc = argc > FL_CTL_MAX_WORDS ? FL_CTL_MAX_WORDS : argc;
	len = (size_t)snprintf(q->line, sizeof(q->line), "%s", c->name);
	for (i = 0; i < q->argc; i++) {
		fl_str_copy(q->args[i], sizeof(q->args[i]), argv[i]);
		if (len < sizeof(q->line))
			len += (size_t)snprintf(q->line + len,
			                        sizeof(q->line) - len, " %s",
			                        argv[i]);
	}
	if (fl_queue_push(f->req, q, 0) != 0) {
		free(q);
		return -1;
	}
	return 0;
}

int
fl_tui_feed_result(struct fl_tui_feed *f, struct fl_tui_result *out)
{
	void *item;

	if (fl_queue_pop(f->res, &item, 0) != 0)
		return 0;
	*out = *(struct fl_tui_result *)item;
	free(item);
	return 1;
}
