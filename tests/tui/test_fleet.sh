#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_fleet.sh FLUSSO SRCDIR - the fleet view (issue 18, item 3) against
# the real PostgreSQL and OpenSearch (tests/services.sh): two `flusso run`
# daemons on one shop database from one configuration split in two groups
# (--group a: users and products, --group b: orders; each its own slot,
# publication and ports), then
# `flusso tui --attach --server A,B` through tmux: both instance rows,
# index rows naming their instance, `:pause orders` (y) pauses orders on
# B only, `:resume orders`, an index nobody lists is a clear error; B
# killed: its row says unreachable within seconds while A's rows keep
# updating; `flusso status --server A,B` (table, --json, exit code) with
# both up and with B down.
# TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL (tests/services.sh env), tmux and python3.
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
id=fleet_$$
db=$id
base=${FLUSSO_TEST_PG_URL%/*}
tmp=$(mktemp -d)
sock=flusso-fleet-$$
export SHOP_DATABASE_URL=$base/$db
export SHOP_OPENSEARCH_URL=$FLUSSO_TEST_OS_URL
export FLUSSO_ADMIN_PASSWORD=fleet-secret FLUSSO_LAG_POLL_SECS=1
export XDG_STATE_HOME=$tmp/state
export LANG=C.UTF-8 LC_ALL=C.UTF-8 TERM=screen-256color
unset NO_COLOR FLUSSO_CONFIG FLUSSO_SERVER FLUSSO_PUBLIC_ADDRESS FLUSSO_PRIVATE_ADDRESS
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$tmp/asan"
[ -f "$src/tests/tui/lsan.supp" ] && export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$src/tests/tui/lsan.supp"
pid_a= pid_b=

# shellcheck source=tests/lib/free_port.sh
. "$src/tests/lib/free_port.sh"
pub_a=127.0.0.1:$(free_port) adm_a=127.0.0.1:$(free_port)
pub_b=127.0.0.1:$(free_port) adm_b=127.0.0.1:$(free_port)

sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -c "$1"; }
tm() { tmux -L "$sock" "$@"; }
cleanup() {
	tm kill-server 2>/dev/null
	[ -n "$pid_a" ] && kill -9 "$pid_a" 2>/dev/null
	[ -n "$pid_b" ] && kill -9 "$pid_b" 2>/dev/null
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
	for s in a b; do
		"$PSQL" -X -q "$base/postgres" -c "SELECT pg_drop_replication_slot('${id}_$s')" >/dev/null 2>&1
	done
	"$PSQL" -X -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	curl -s -X DELETE "$FLUSSO_TEST_OS_URL/${id}_*?expand_wildcards=all" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

screen() { tm capture-pane -t "$1" -p; }
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
# ix_paused PUBLIC INDEX: prints true/false/missing from that daemon's /status
ix_paused() {
	curl -s --max-time 3 "http://$1/status" | python3 -c '
import json, sys
d = json.load(sys.stdin).get("index_details", {})
x = d.get(sys.argv[1])
print("missing" if x is None else str(x.get("paused")).lower())' "$2" 2>/dev/null
}
live() { curl -s --max-time 3 "http://$1/status" | grep -q '"phase":"live"'; }
wait_for() { local secs=$1 i=0; shift; until "$@"; do [ $i -ge $((secs * 5)) ] && return 1; sleep 0.2; i=$((i + 1)); done; }

# ---- set up: one database, two configurations --------------------------------
"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || { echo "Bail out! cannot create database"; exit 1; }
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/schema.sql" >/dev/null || { echo "Bail out! schema"; exit 1; }
"$PSQL" -X -q -v ON_ERROR_STOP=1 -v scale=1 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/seed.sql" >/dev/null || { echo "Bail out! seed"; exit 1; }
# one configuration split in two groups: a (users, products), b (orders)
cp "$src"/share/examples/shop/*.schema.yml "$tmp/"
cp "$src/share/examples/shop/flusso.yml" "$tmp/flusso.yml"
cat >>"$tmp/flusso.yml" <<'YML'

groups:
  a:
    indexes: [users, products]
  b:
    indexes: [orders]
YML

run_daemon() { # run_daemon GROUP PUBLIC ADMIN: slot <id>_GROUP, publication <id>_pub_GROUP
	env FLUSSO_CONFIG="$tmp/flusso.yml" FLUSSO_GROUP="$1" FLUSSO_INDEX_PREFIX="${id}_" \
		FLUSSO_SLOT="${id}" FLUSSO_PUBLICATION="${id}_pub" \
		FLUSSO_PUBLIC_ADDRESS="$2" FLUSSO_PRIVATE_ADDRESS="$3" \
		"$bin" run >>"$tmp/$1.log" 2>&1 &
}
run_daemon a "$pub_a" "$adm_a"; pid_a=$!
run_daemon b "$pub_b" "$adm_b"; pid_b=$!
wait_for 90 live "$pub_a" && wait_for 90 live "$pub_b"
ok $? "both daemons are live" || { sed 's/^/# a: /' "$tmp/a.log" | tail -20; sed 's/^/# b: /' "$tmp/b.log" | tail -20; }

# ---- the fleet dashboard ----------------------------------------------------------
tm new-session -d -s f -x 80 -y 30 "$bin" tui --attach --server "$adm_a,$adm_b" --refresh 0.5
tm set-option -t f remain-on-exit on >/dev/null
wait_screen f 20 "FLEET 2 instances" && wait_screen f 10 "^ $adm_a +active +live " && wait_screen f 10 "^ $adm_b +active +live "
ok $? "both instance rows: address, role, phase"
wait_screen f 10 "^users +$adm_a +live" && wait_screen f 5 "^products +$adm_a +live" && wait_screen f 5 "^orders +$adm_b +live"
ok $? "each index row names its instance"
screen f | grep -qE '^─ INDEX .*INSTANCE .*STATE .*WRITTEN '; ok $? "the index table has an INSTANCE column"

keys f ':' 'pause orders' Enter
wait_screen f 5 "pause orders on $adm_b\\? \\(y/N\\)"; ok $? ":pause orders asks, naming B"
keys f y
wait_for 10 eval '[ "$(ix_paused "$pub_b" orders)" = true ]'; ok $? "orders is paused on B"
[ "$(ix_paused "$pub_a" users)" = false ] && [ "$(ix_paused "$pub_a" products)" = false ] &&
	! curl -s "http://$pub_a/status" | grep -q '"paused":true'
ok $? "A is untouched"
wait_screen f 10 "^orders +$adm_b +paused"; ok $? "the orders row shows paused"
keys f ':' 'resume orders' Enter
wait_screen f 5 "resume orders on $adm_b\\?" && keys f y
wait_for 10 eval '[ "$(ix_paused "$pub_b" orders)" = false ]'; ok $? ":resume orders resumes it on B"
keys f ':' 'pause nosuch' Enter
wait_screen f 5 "no instance lists index .nosuch."; ok $? "an index nobody lists is a clear error"

# ---- flusso status --server A,B ---------------------------------------------
out=$("$bin" status --server "$adm_a,$adm_b" 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | grep -qE "^$adm_a +active +- +live " && echo "$out" | grep -qE "^orders +$adm_b +live "
ok $? "status --server A,B: both instances and the index table, exit 0" || echo "$out" | sed 's/^/#   |/'
out=$("$bin" status --public-address "$pub_a,$pub_b" --json 2>&1); rc=$?
[ $rc = 0 ] && echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["instances"]
assert [i["reachable"] for i in d] == [True, True], d
assert "orders" in d[1]["status"]["index_details"]'
ok $? "status --json: {instances:[{address, reachable, error, status}]}"

# ---- B goes down ----------------------------------------------------------
kill -9 "$pid_b"; wait "$pid_b" 2>/dev/null; pid_b=
wait_screen f 8 "^ $adm_b +unreachable +since [0-9:]+: "; ok $? "B's row says unreachable within seconds"
before=$(screen f | grep -E "^users +$adm_a " | awk '{print $6}')
sql "UPDATE users SET full_name = full_name || 'x' WHERE id = 1"
i=0; after=$before
while [ "$after" = "$before" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); after=$(screen f | grep -E "^users +$adm_a " | awk '{print $6}'); done
[ -n "$before" ] && [ "$after" != "$before" ]; ok $? "A's rows keep updating (WRITTEN $before -> $after)"
screen f | grep -qE "^ $adm_a +active +live "; ok $? "A's instance row is still live"
out=$("$bin" status --server "$adm_a,$adm_b" 2>&1); rc=$?
[ $rc = 1 ] && echo "$out" | grep -qE "^$adm_b +- +- +unreachable since " && echo "$out" | grep -qE "^users +$adm_a "
ok $? "status with B down: unreachable row, A's indexes, exit 1" || echo "$out" | sed 's/^/#   |/'
out=$("$bin" status --server "$adm_a,$adm_b" --json 2>/dev/null); rc=$?
[ $rc = 1 ] && echo "$out" | python3 -c '
import json, sys
d = json.load(sys.stdin)["instances"]
assert d[1]["reachable"] is False and d[1]["status"] is None and d[1]["error"], d'
ok $? "status --json with B down: reachable false with the error, exit 1"

screen f | sed "s/^/#   |/"
keys f q
i=0; until [ "$(tm display-message -p -t f '#{pane_dead}')" = 1 ] || [ $i -ge 25 ]; do sleep 0.2; i=$((i + 1)); done
[ "$(tm display-message -p -t f '#{pane_dead}')" = 1 ]; ok $? "q quits (the daemons keep running)"
kill -0 "$pid_a" 2>/dev/null; ok $? "A still runs"

if ls "$tmp"/asan* >/dev/null 2>&1; then
	sed 's/^/# /' "$tmp"/asan* | head -40
	ok 1 "no sanitizer reports"
fi
echo "1..$n"
[ $fail = 0 ]
