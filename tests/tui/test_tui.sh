#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_tui.sh FLUSSO SRCDIR - `flusso tui` driven through tmux (send-keys,
# capture-pane) against the real PostgreSQL and OpenSearch
# (tests/services.sh) with the shop example:
#   in-process: reaches LIVE with every index; the ? overlay; STORED
#   (the aliases' counts) and WRITTEN; < > r sort (the header's arrow);
#   the events pane down to the message row; the answer view (scroll,
#   back to where it came from); Tab completion; :pause users (row paused, nothing committed) and :resume
#   (drains); :backfill users (progress to 100 %); resize to 100x30 and
#   60x20 (too small); q asks, then leaves the terminal restored;
#   attached to a `flusso run`: same screen, history from the first run,
#   NO_COLOR and -U output, --readonly, line mode.
# TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL (tests/services.sh env) and tmux.
# Under ASan (ASAN_OPTIONS set by the caller or not), sanitizer reports go
# to files and any report fails the last test.
set -u
bin=$1 src=$2
n=0 fail=0
t0=$(date +%s)
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2 [$(($(date +%s) - t0)) s]"; else echo "not ok $n - $2 [$(($(date +%s) - t0)) s]"; fail=$((fail + 1)); fi; }
for v in FLUSSO_TEST_PG_URL FLUSSO_TEST_PG_BIN FLUSSO_TEST_OS_URL; do
	[ -n "${!v:-}" ] || { echo "Bail out! $v is not set: start the services (tests/services.sh start) and eval \"\$(tests/services.sh env)\""; exit 1; }
done
command -v tmux >/dev/null || { echo "Bail out! tmux is not installed (tests/deps.sh)"; exit 1; }
PSQL=$FLUSSO_TEST_PG_BIN/psql
[ -x "$PSQL" ] || PSQL=psql
id=tui_$$
db=$id
base=${FLUSSO_TEST_PG_URL%/*}
tmp=$(mktemp -d)
sock=flusso-tui-$$
export SHOP_DATABASE_URL=$base/$db
export SHOP_OPENSEARCH_URL=$FLUSSO_TEST_OS_URL
export FLUSSO_CONFIG=$src/share/examples/shop/flusso.yml
export FLUSSO_INDEX_PREFIX=${id}_
export FLUSSO_SLOT=${id}_slot FLUSSO_PUBLICATION=${id}_pub
export FLUSSO_ADMIN_PASSWORD=tui-secret FLUSSO_LAG_POLL_SECS=1
export XDG_STATE_HOME=$tmp/state
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color
unset NO_COLOR
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/asan"
[ -f "$src/tests/tui/lsan.supp" ] && export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/tui/lsan.supp"
run_pid=

# shellcheck source=tests/lib/free_port.sh
. "$src/tests/lib/free_port.sh"
export FLUSSO_PUBLIC_ADDRESS=127.0.0.1:$(free_port)
export FLUSSO_PRIVATE_ADDRESS=127.0.0.1:$(free_port)
export FLUSSO_SERVER=$FLUSSO_PRIVATE_ADDRESS

sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -c "$1"; }
tm() { tmux -L "$sock" "$@"; }
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$run_pid" ] && kill -9 "$run_pid" 2>/dev/null
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_drop_replication_slot('${id}_slot')" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	curl -s -X DELETE "$FLUSSO_TEST_OS_URL/${id}_*?expand_wildcards=all" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# start SESSION W H COMMAND...: run COMMAND in a detached tmux pane
start() {
	local s=$1 w=$2 h=$3
	shift 3
	tm new-session -d -s "$s" -x "$w" -y "$h" "$@"
	tm set-option -t "$s" remain-on-exit on >/dev/null
}
screen() { tm capture-pane -t "$1" -p; }
# wait_screen SESSION SECS ERE: poll the pane until a line matches
wait_screen() {
	local s=$1 secs=$2 re=$3 i=0
	while [ $i -lt $((secs * 5)) ]; do
		screen "$s" 2>/dev/null | grep -Eq -- "$re" && return 0
		sleep 0.2; i=$((i + 1))
	done
	echo "# timed out waiting for /$re/ in $s; the screen was:"
	screen "$s" 2>/dev/null | sed 's/^/#   |/'
	return 1
}
keys() { tm send-keys -t "$@"; sleep 0.3; }
dead() { [ "$(tm display-message -p -t "$1" '#{pane_dead}')" = 1 ]; }
wait_dead() {
	local i=0
	while [ $i -lt $(($2 * 5)) ]; do dead "$1" && return 0; sleep 0.2; i=$((i + 1)); done
	return 1
}
users_doc() { curl -s "$FLUSSO_TEST_OS_URL/${id}_users/_doc/${1:-1}"; }
row() { screen "$1" | grep -E "^$2 "; }

# ---- set up ---------------------------------------------------------------
"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || { echo "Bail out! cannot create database"; exit 1; }
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/schema.sql" >/dev/null || { echo "Bail out! schema"; exit 1; }
"$PSQL" -X -q -v ON_ERROR_STOP=1 -v scale=3 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/seed.sql" >/dev/null || { echo "Bail out! seed"; exit 1; }

# ---- 1. in-process ------------------------------------------------------------
start a 120 40 sh -c '"$0" tui --refresh 0.5 --log-file "$1"; echo "EXIT=$?"' "$bin" "$tmp/tui.log"
wait_screen a 120 '^flusso .* LIVE .* errors 0'; ok $? "in-process dashboard reaches LIVE"
r=0
for ix in orders products users; do row a "$ix" | grep -q live || { echo "# no live row for $ix"; r=1; }; done
ok $r "every index has a row"
wait_screen a 60 '^status: keeping up'; ok $? "status word: keeping up"
! grep -q . <(screen a | grep -E 'INFO +(capture|engine|opensearch):'); ok $? "no log records on the screen"

keys a '?'
wait_screen a 5 '^── HELP' && r=0 || r=1
for word in ':' 'Space' '+ -' '< >' 'Enter' 'q F10' status indexes reindex backfill pause resume policy quarantine errors gc loglevel retry reload help quit; do
	screen a | grep -qF -- "$word" || { echo "# help lacks $word"; r=1; }
done
ok $r "? overlay lists every key and command"
keys a Escape
wait_screen a 5 '^── EVENTS'; ok $? "Esc closes the overlay"

# STORED is the alias's _count (read every 3 s), WRITTEN what this run wrote
stored_ok() {
	local ix want got
	for ix in orders products users; do
		want=$(curl -s "$FLUSSO_TEST_OS_URL/${id}_$ix/_count" | sed -n 's/.*"count":\([0-9]*\).*/\1/p')
		got=$(row a "$ix" | awk '{print $4}' | tr -d ,)
		[ -n "$want" ] && [ "$got" = "$want" ] || return 1
	done
}
i=0; until stored_ok || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
stored_ok; ok $? "STORED shows each alias's document count"
screen a | grep -qE '^─ INDEX .* STORED .* WRITTEN '; ok $? "the header names STORED and WRITTEN"

# < > move the sort column (the header's arrow), r reverses
keys a '>'
wait_screen a 5 '^─ INDEX▲ '; ok $? "> sorts by INDEX (arrow in the header)"
keys a '>' '>' '>'
wait_screen a 5 ' STORED▼ '; ok $? "> > > moves the sort to STORED, largest first"
col=$(screen a | sed -n '/^─ INDEX/,/^── EVENTS/p' | sed '1d;$d' | awk '{print $4}' | tr -d ,)
[ "$col" = "$(echo "$col" | sort -rn)" ]; ok $? "rows sorted by STORED, descending ($(echo $col))"
keys a r
wait_screen a 5 ' STORED▲ '; ok $? "r reverses the order"
keys a '<' '<' '<' '<'
wait_screen a 5 '^─ INDEX ─' && ! screen a | grep -E '^─ INDEX' | grep -qE '[▲▼]'; ok $? "< back to the configuration's order (no arrow)"

# the events pane fills the screen down to the message row (40 lines)
p=(':policy orders stop' Enter y) # no change: one note per answer
for b in 1 2 3 4 5 6; do
	tm send-keys -t a "${p[@]}" "${p[@]}" "${p[@]}" "${p[@]}" "${p[@]}" "${p[@]}"
	sleep 0.4
done
ev=$(screen a | grep -n '^── EVENTS' | cut -d: -f1)
[ -n "$ev" ] && [ "$ev" -le 14 ] && screen a | sed -n "$((ev + 1)),38p" | grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' | grep -qx $((38 - ev)); ok $? "events pane: lines $((ev + 1))-38 of 40, every one an event"

# answers: a long one opens the scrollable view, which returns where it came from
keys a ':' 'status' Enter
wait_screen a 5 '^── status  \(lines 1-37 of [0-9]+\)'; ok $? ":status opens the answer view (lines 1-37 of N)"
keys a End
wait_screen a 5 '^── status  \(lines [0-9]+-([0-9]+) of \1\)' && screen a | grep -q '^ }$'; ok $? "End scrolls to the answer's last line"
keys a Escape
wait_screen a 5 '^── EVENTS'; ok $? "Esc leaves the answer view"
keys a Enter ':' 'quarantine' Enter
wait_screen a 5 '^── quarantine'; ok $? "an answer in the detail view"
keys a Escape
wait_screen a 5 '^── INDEX orders'; ok $? "Esc goes back to the detail view"
# the debugging keys of the detail view: i (inspect an id), x (explain a row)
keys a i
wait_screen a 5 'inspect orders, document id:'; ok $? "i asks for a document id"
keys a 1 Enter
wait_screen a 20 '^── inspect orders 1 ' && screen a | grep -q 'row: present in public.orders'; ok $? "i: inspect orders 1 in the answer view"
keys a End
wait_screen a 5 '^ ?same$'; ok $? "inspect: the stored document is the same"
keys a Escape
wait_screen a 5 '^── INDEX orders'; ok $? "Esc back to the detail view"
keys a x
wait_screen a 5 'explain TABLE KEY:'; ok $? "x asks for a table and key"
keys a 'order_items 1' Enter
wait_screen a 20 '^── explain order_items 1 ' && screen a | grep -q 'orders <- order_items.order_id'; ok $? "x: explain order_items 1 lists the documents and their path"
keys a Escape
wait_screen a 5 '^── INDEX orders'; ok $? "Esc back to the detail view again"
keys a Escape
wait_screen a 5 '^── EVENTS'; ok $? "Esc back to the index table"

keys a ':' 'pau' Tab
wait_screen a 5 '^:pause ?$'; ok $? "Tab completes a command name"
keys a 'us' Tab
wait_screen a 5 '^:pause users ?$'; ok $? "Tab completes an index name"
keys a Enter
wait_screen a 5 'pause users \? \(y/N\)'; ok $? "pause asks for confirmation"
keys a y
wait_screen a 10 '^users +paused'; ok $? ":pause users shows the row paused"
before=$(row a users | awk '{print $5}') # WRITTEN
sql "UPDATE users SET full_name = 'TUI paused $$' WHERE id = 1"
sleep 4
after=$(row a users | awk '{print $5}')
! users_doc | grep -q "TUI paused $$" && [ "$before" = "$after" ]; ok $? "nothing of users is committed while paused ($before docs)"
keys a ':' 'resume users' Enter
keys a y
wait_screen a 10 '^users +live'; ok $? ":resume users shows the row live"
i=0; until users_doc | grep -q "TUI paused $$" || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
users_doc | grep -q "TUI paused $$"; ok $? "after :resume the pending change arrives"

sql "ALTER TABLE addresses RENAME COLUMN city TO town"
sql "UPDATE users SET full_name = 'TUI drift $$' WHERE id = 2"
wait_screen a 30 '^users +drift'; ok $? "a renamed column shows the users row in drift"
wait_screen a 5 'index users in drift: '; ok $? "the events pane says why"
row a orders | grep -q live && row a products | grep -q live; ok $? "the other rows stay live"
sql "ALTER TABLE addresses RENAME COLUMN town TO city"
keys a ':' 'retry users' Enter y
wait_screen a 120 '^users +live'; ok $? ":retry users after the revert: live again"
i=0; until users_doc 2 | grep -q "TUI drift $$" || [ $i -ge 60 ]; do sleep 0.5; i=$((i + 1)); done
users_doc 2 | grep -q "TUI drift $$"; ok $? "the change made in drift arrives"
keys a ':' 'reload' Enter y
wait_screen a 10 'nothing to change'; ok $? ":reload answers (nothing to change)"

keys a ':' 'backfill users' Enter y
max=-1 i=0
while [ $i -lt 300 ]; do
	s=$(row a users)
	p=$(echo "$s" | sed -n 's/.*backfilling \([0-9]*\)%.*/\1/p')
	[ -n "$p" ] && [ "$p" -gt "$max" ] && max=$p
	[ $max -ge 0 ] && echo "$s" | grep -q ' live ' && break
	sleep 0.2; i=$((i + 1))
done
echo "# highest backfill progress seen: $max %"
[ $max -ge 0 ] && row a users | grep -q ' live '; ok $? ":backfill users shows progress, then live"
wait_screen a 10 'index users seeded'; ok $? "the backfill's completion (100 %) is in the events pane"

tm resize-window -t a -x 100 -y 30
sleep 1
screen a | grep -q '^─ INDEX' && screen a | grep -q '? help' && row a users >/dev/null; ok $? "resize to 100x30 re-lays out"
tm resize-window -t a -x 60 -y 20
wait_screen a 5 'terminal too small \(need 80x24, have 60x20\)'; ok $? "60x20: terminal too small"
tm resize-window -t a -x 120 -y 40
wait_screen a 5 '^users +live'; ok $? "growing again redraws the dashboard"

keys a ':' 'nosuchcmd' Enter
wait_screen a 5 'unknown command `nosuchcmd`'; ok $? "an unknown command is reported"
keys a q
wait_screen a 5 'quit and stop the sync.*\(y/N\)'; ok $? "q asks first when the engine runs here"
keys a n
! dead a; ok $? "anything but y cancels"
keys a q y
wait_screen a 60 '^EXIT='; ok $? "q y quits"
screen a | grep -q '^EXIT=0'; ok $? "exit status 0"
[ "$(tm display-message -p -t a '#{alternate_on}')" = 0 ] && screen a | grep -q 'flusso: stopping'; ok $? "the terminal is restored (normal screen, cursor)"
grep -q 'pause users' "$XDG_STATE_HOME/flusso/history"; ok $? "history written to \$XDG_STATE_HOME/flusso/history"
tm kill-session -t a

# ---- 2. attached to flusso run ---------------------------------------------------
"$bin" run >>"$tmp/run.log" 2>&1 &
run_pid=$!
i=0; until curl -s "http://$FLUSSO_PUBLIC_ADDRESS/status" | grep -q '"phase":"live"' || [ $i -ge 240 ]; do sleep 0.5; i=$((i + 1)); done
start b 120 40 "$bin" tui --attach --refresh 0.5
wait_screen b 30 '^flusso .* LIVE'; ok $? "attached dashboard shows the daemon LIVE"
r=0
for ix in orders products users; do row b "$ix" | grep -q live || r=1; done
ok $r "attached: every index has a row"
wait_screen b 10 '^users +live +[0-9]+ +[0-9][0-9,]* +[0-9][0-9,]* '; ok $? "attached: STORED comes from /status"
colour_re=$'\e\\[([0-9;]*;)?(3[0-8]|4[0-8]|9[0-7])[;m]'
tm capture-pane -t b -p -e | grep -qE "$colour_re"; ok $? "colour escapes by default"
keys b ':' Up
wait_screen b 5 '^:nosuchcmd'; ok $? "history survives a restart (Up recalls the last command)"
keys b Up
wait_screen b 5 '^:backfill users'; ok $? "history: Up again recalls the one before"
keys b Escape
keys b ':' C-r 'resu'
wait_screen b 5 "reverse-i-search.*resu.*resume users"; ok $? "Ctrl-R searches the history"
keys b Escape
keys b ':' 'pause' Enter y
wait_screen b 10 'PAUSED'; ok $? "attached :pause goes to the daemon (PAUSED)"
curl -s "http://$FLUSSO_PUBLIC_ADDRESS/status" | grep -q '"paused":true'; ok $? "the daemon is paused"
keys b ':' 'resume' Enter y
wait_screen b 10 '^users +live'; ok $? "attached :resume"
keys b '/' 'ord' Enter
sleep 0.6
row b orders >/dev/null && ! row b users >/dev/null; ok $? "/ filters the index rows"
keys b Escape
keys b q
wait_dead b 10; ok $? "attached: q quits at once (the daemon keeps running)"
kill -0 "$run_pid" 2>/dev/null; ok $? "the daemon still runs"

start c 120 40 env NO_COLOR=1 "$bin" tui --attach --refresh 0.5 --readonly -U
wait_screen c 30 '^flusso .* LIVE'; ok $? "NO_COLOR dashboard runs"
! tm capture-pane -t c -p -e | grep -qE "$colour_re"; ok $? "NO_COLOR: no colour escapes"
! screen c | grep -q $'\xe2'; ok $? "-U: ASCII only"
keys c ':' 'reindex users' Enter
wait_screen c 5 'read-only mode: `reindex` is disabled'; ok $? "--readonly refuses reindex"
keys c q
wait_dead c 10; ok $? "readonly dashboard quits"

out=$("$bin" tui --attach --batch --iterations 2 --refresh 0.5 2>&1)
[ "$(echo "$out" | grep -c 'phase=live')" = 2 ]; ok $? "line mode: two lines with phase=live"
out=$("$bin" tui --attach --json --iterations 1 2>&1)
echo "$out" | grep -q '"phase":"live"'; ok $? "line mode --json: the status document"
"$bin" tui --attach </dev/null >"$tmp/notty" 2>&1
[ $? = 1 ] && grep -q 'flusso status --watch' "$tmp/notty"; ok $? "no terminal: refused, pointing to flusso run / status --watch"

kill "$run_pid"; wait "$run_pid" 2>/dev/null; run_pid=
tm kill-server 2>/dev/null
if ls "$tmp"/asan* >/dev/null 2>&1; then
	cat "$tmp"/asan* | head -60 | sed 's/^/# /'
	ok 1 "no sanitizer reports"
else
	ok 0 "no sanitizer reports"
fi
echo "1..$n"
[ $fail = 0 ]
