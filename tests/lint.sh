#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/lint.sh - fast source checks: clang-format clean, no banned
# functions (sprintf, strcpy, strcat, atoi, strtok), no exit() below
# src/cmds, no curses/readline outside src/tui, and engine includes that
# point down the stack only (include_layers below).
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
if grep -nE '\bexit\s*\(' src/engine/*/*.c src/tui/*.c 2>/dev/null; then
	echo "lint: exit() below src/cmds"
	rc=1
fi
if grep -lE '#include <(curses|ncurses|readline/)' src/engine/*/* src/cmds/* 2>/dev/null; then
	echo "lint: curses/readline outside src/tui"
	rc=1
fi

# The engine's layers (README "Code map"): util <- config <- source <-
# docs, sink <- core. An engine include names its folder; it may point to
# its own layer or one below, never up, and docs and sink never include
# each other. src/tui sees only core/ and util/; src/cmds sees everything.
include_layers() { # prints one line per include that breaks the rules
	awk '
	BEGIN {
		rank["util"] = 0; rank["config"] = 1; rank["source"] = 2
		rank["docs"] = 3; rank["sink"] = 3; rank["core"] = 4
	}
	match($0, /^[ \t]*#[ \t]*include[ \t]*"[^"]+"/) {
		inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
		n = split(FILENAME, p, "/")
		top = p[1]; self = (top == "engine") ? p[2] : top
		to = (index(inc, "/") > 0) ? substr(inc, 1, index(inc, "/") - 1) : ""
		bad = ""
		if (top == "engine") {
			if (to == "" || !(to in rank))
				bad = "engine includes name their folder"
			else if (rank[to] > rank[self])
				bad = self " may not include " to " (up the stack)"
			else if (rank[to] == rank[self] && to != self)
				bad = "docs and sink do not include each other"
		} else if (top == "tui") {
			if (to != "" && to != "core" && to != "util")
				bad = "src/tui sees only core/ and util/"
		}
		if (bad != "")
			printf "%s:%d: %s: %s\n", FILENAME, FNR, inc, bad
	}' "$@"
}
mapfile -t layered < <(git ls-files -co --exclude-standard -- 'src/engine/*.[ch]' 'src/tui/*.[ch]')
layer_out=$(cd src && include_layers "${layered[@]#src/}")
if [ -n "$layer_out" ]; then
	printf 'lint: %s\n' "$layer_out"
	rc=1
fi
# Self-test: the rule above must reject an upward include.
probe=$(mktemp -d)
mkdir -p "$probe/engine/util"
printf '#include "core/engine.h"\n' >"$probe/engine/util/probe.c"
if [ -z "$(cd "$probe" && include_layers engine/util/probe.c)" ]; then
	echo "lint: the include-direction check accepted util -> core"
	rc=1
fi
rm -rf "$probe"
[ $rc = 0 ] && echo "lint: ok (${#files[@]} files)"
exit $rc
