/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui.c - the dashboard's entry points. So far only the library versions;
 * the screen, panes and prompt arrive with the TUI issue.
 */
#include "tui.h"

#include <stdio.h>

#include <curses.h>
#include <readline/readline.h>

void
fl_tui_lib_versions(char *out, size_t n)
{
	snprintf(out, n, "  %s\n  readline %s\n", curses_version(),
	         rl_library_version ? rl_library_version : "?");
}
