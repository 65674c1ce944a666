/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui.h - the terminal dashboard. src/tui is the only code that links
 * ncurses and readline.
 */
#ifndef FL_TUI_H
#define FL_TUI_H

#include <stddef.h>

/* Write "  ncurses ...\n  readline ...\n" into out (always terminated). */
void fl_tui_lib_versions(char *out, size_t n);

#endif
