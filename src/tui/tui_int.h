/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui_int.h - the dashboard's internal state and the functions the tui_*.c
 * files share. Everything here runs on the UI thread only; data from the
 * engine arrives as snapshot copies (tui_feed.h), never by reference.
 */
#ifndef FL_TUI_INT_H
#define FL_TUI_INT_H

#include <regex.h>
#include <stdint.h>

#include "core/commands.h"
#include "core/status_board.h"
#include "tui.h"
#include "tui_feed.h"
#include "tui_fleet.h"
#include "tui_model.h"

#define TUI_MIN_COLS     80
#define TUI_MIN_ROWS     24
#define TUI_LOCAL_EVENTS 32

/* Semantic attributes (dashboard.md §7). */
enum tui_sem {
	TUI_NORMAL,
	TUI_OK,     /* green */
	TUI_WARN,   /* yellow; bold without colour */
	TUI_ERROR,  /* red; reverse without colour */
	TUI_PAUSED, /* blue; underline without colour */
	TUI_DIM,
	TUI_TITLE, /* reverse bars */
	TUI_SELECT,
};

enum tui_view {
	TUI_VIEW_MAIN,
	TUI_VIEW_DETAIL,
	TUI_VIEW_HELP,
	TUI_VIEW_TEXT,
};

/* The index table's sortable columns, left to right (tui_draw_table.c). */
enum tui_col {
	TUI_COL_NAME,
	TUI_COL_STATE,
	TUI_COL_GEN,
	TUI_COL_STORED,
	TUI_COL_WRITTEN,
	TUI_COL_RATE,
	TUI_COL_QUAR,
	TUI_COL_POLICY,
	TUI_NCOLS,
};

/* What a pending y/N question will do. */
enum tui_confirm {
	TUI_CONFIRM_NONE,
	TUI_CONFIRM_CMD,
	TUI_CONFIRM_QUIT,
};

struct tui {
	const struct fl_tui_opts *o;
	struct fl_tui_feed *feed; /* == feeds[0] */
	/* the fleet view (o->ninstances > 1): one feed per instance, and
	 * t->st is the merged snapshot (NULL: one source) */
	struct fl_tui_fleet *fleet;
	struct fl_tui_feed *feeds[FL_TUI_FLEET_MAX];
	size_t nfeeds;
	struct fl_status *st; /* the snapshot being shown (heap) */
	struct fl_tui_model *m;
	int reachable;
	char why[256];
	int have_data;
	uint64_t last_seq;
	double next_tick; /* monotonic s */
	double refresh;
	int color, ascii;
	int frozen;
	int quit;
	long frames;
	enum tui_view view;
	/* index table */
	int sel; /* position in st->indexes, -1 none */
	char sel_name[64];
	int table_top;
	int sort_col;  /* enum tui_col, -1: the configuration's order */
	int sort_desc; /* largest first */
	size_t order[FL_MAX_INDEXES]; /* st->indexes positions, as shown */
	/* filter: "/re", "/!re" */
	int filter_editing;
	char filter_edit[128];
	char filter[128];
	int filter_invert;
	int filter_ok;
	regex_t filter_re;
	/* prompt and messages */
	int prompt_open;
	enum tui_confirm confirm;
	const struct fl_ctl_cmd *confirm_cmd;
	int confirm_target; /* fleet: the instance it goes to, -1 every one */
	int confirm_argc;
	char confirm_args[FL_CTL_MAX_WORDS][128];
	char msg[256];
	enum tui_sem msg_sem;
	/* command results and local notes for the events pane */
	struct fl_status_event local_ev[TUI_LOCAL_EVENTS];
	size_t lev_head, lev_n;
	/* overlays */
	enum tui_view back; /* the view an overlay returns to */
	int help_top;
	char *text; /* TUI_VIEW_TEXT body, owned */
	char text_title[64];
	int text_top;
	int pending_cmds;
	/* the command whose answer opens the text view whatever it is
	 * (tui_cmd_pane), as the feed names it: "inspect users 42" */
	char pane_line[256];
};

/* tui.c */
double tui_now(void);
void tui_set_refresh(struct tui *t, double secs);
void tui_take_snapshot(struct tui *t, int sample);

/* tui_keys.c */
void tui_key(struct tui *t, int ch);

/* tui_cmd.c */
void tui_cmd_line(struct tui *t, const char *line);
/* The same, and its answer (any length, also an error) opens the
 * scrollable text view, which Esc leaves for the view it came from. */
void tui_cmd_pane(struct tui *t, const char *line);
/* The text view with a copy of text. */
void tui_show_text(struct tui *t, const char *title, const char *text);
int tui_cmd_results(struct tui *t);
void tui_cmd_confirmed(struct tui *t);
void tui_note(struct tui *t, int level, const char *fmt, ...) FL_PRINTF(3, 4);
void tui_message(struct tui *t, enum tui_sem sem, const char *fmt, ...)
    FL_PRINTF(3, 4);
void tui_ask_quit(struct tui *t);
int tui_engine_running(const struct tui *t);

/* tui_prompt.c: readline in callback mode (one prompt per process) */
int tui_prompt_init(struct tui *t, struct fl_err *err);
void tui_prompt_done(void);
void tui_prompt_open(struct tui *t);
/* Ask on the prompt row with `label`; the answer is appended to `cmd`
 * ("inspect users" + " " + "42") and run with tui_cmd_pane. */
void tui_prompt_ask(struct tui *t, const char *label, const char *cmd);
void tui_prompt_key(struct tui *t, int ch);
void tui_prompt_close(struct tui *t);
void tui_prompt_redraw(struct tui *t);

/* tui_draw.c */
void tui_colors_init(struct tui *t);
void tui_draw(struct tui *t);
int tui_attr(const struct tui *t, enum tui_sem sem);
void tui_put(int y, int x, int maxw, const char *s);
void tui_bar(const struct tui *t, int y, const char *title);
int tui_row_visible(const struct tui *t, const struct fl_status_index *x);
/* Sort t->order by t->sort_col (stable; ties keep the file's order). */
void tui_sort_rows(struct tui *t);
/* < > move the sort column (dir -1, +1), r reverses it. */
void tui_sort_key(struct tui *t, int dir, int reverse);
void tui_clamp_selection(struct tui *t);
enum tui_sem tui_level_sem(int level);

/* the panes */
int tui_draw_header(struct tui *t, int y);
/* the colour of a phase (tui_draw_header.c) */
enum tui_sem tui_phase_sem(enum fl_phase p);
/* the fleet view's instances table, instead of the header */
int tui_draw_fleet(struct tui *t, int y);
int tui_draw_table(struct tui *t, int y, int rows);
void tui_draw_events(struct tui *t, int y, int rows);
void tui_draw_detail(struct tui *t, int y, int rows);
void tui_draw_help(struct tui *t, int y, int rows);
void tui_draw_text(struct tui *t, int y, int rows);
/* the help text (also used by `help` at the prompt) */
char *tui_help_text(void);
/* rows of the state column for an index */
void tui_ix_state(const struct tui *t, size_t i, char *out, size_t n,
                  enum tui_sem *sem);

#endif
