#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/lint.sh - fast source checks: clang-format clean, no banned
# functions (sprintf, strcpy, strcat, atoi, strtok), no exit() below
# src/cmds, no curses/readline outside src/tui.
set -euo pipefail
cd "$(dirname "$0")/.."
rc=0
mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | sort -u)
if command -v clang-format >/dev/null 2>&1; then
	for f in "${files[@]}"; do
		[ -f "$f" ] || continue
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || {
			echo "lint: $f is not clang-formatted (run: clang-format -i $f)"
			rc=1
		}
	done
else
	echo "lint: clang-format not installed; formatting not checked" >&2
fi
if grep -nE '\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|strtok|gets)\s*\(' "${files[@]}"; then
	echo "lint: banned function (use snprintf, fl_buf, strtol, strtok_r)"
	rc=1
fi
if grep -nE '\bexit\s*\(' src/engine/*.c src/tui/*.c 2>/dev/null; then
	echo "lint: exit() below src/cmds"
	rc=1
fi
if grep -lE '#include <(curses|ncurses|readline/)' src/engine/* src/cmds/* 2>/dev/null; then
	echo "lint: curses/readline outside src/tui"
	rc=1
fi
[ $rc = 0 ] && echo "lint: ok (${#files[@]} files)"
exit $rc
