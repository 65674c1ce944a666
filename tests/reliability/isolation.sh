#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# isolation.sh FLUSSO SRC - one index's trouble never stops the others
# (issue 16), on the shop example's three indexes under a steady load
# (pgbench, ISO_RATE changes/s), against the real PostgreSQL and
# OpenSearch of tests/services.sh:
#   1. baseline: ISO_WARM_SECS (20) of load, then ISO_BASE_SECS more
#      with the commit-to-search latency of users and orders probed (on
#      rows the load never touches);
#   2. `pause products` for ISO_HOLD_SECS: the other two keep their
#      latency (probed over the first two thirds), flusso's RSS stays
#      flat, the slot's confirmed_flush_lsn keeps advancing; kill -9 at
#      two thirds and restart: still paused;
#      `resume products` drains it, and verify reports 0 differences;
#   3. the same with a failing index: one order gets a coupon code
#      OpenSearch refuses (a keyword over 32 KB, a 400 for that document
#      only); orders (on_error: stop) stops, users and products go on
#      (latency measured); the row is fixed, `retry orders` drains it,
#      verify is clean.
# TAP output. ISO_REPORT=FILE appends the figures as "key value" lines.
# CI runs it short (tests/CMakeLists.txt); the long run is
#   ISO_RATE=500 ISO_BASE_SECS=120 ISO_HOLD_SECS=600 bash isolation.sh ...
set -u
bin=${1:?usage: isolation.sh FLUSSO SRC}
src=${2:?usage: isolation.sh FLUSSO SRC}
id=iso_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

rate=${ISO_RATE:-500}
base_secs=${ISO_BASE_SECS:-60}
hold_secs=${ISO_HOLD_SECS:-600}
report=${ISO_REPORT:-/dev/null}
load_pid='' probe_pids='' rss_pid=''

trap 'iso_cleanup' EXIT
iso_cleanup() {
	stop_load
	stop_probes
	[ -n "$rss_pid" ] && kill "$rss_pid" 2>/dev/null
	if [ -n "${ISO_KEEP:-}" ]; then # debugging: leave everything
		stop_flusso_hard
		note "kept $tmp and database $db"
		return
	fi
	rel_cleanup
}

# ---- load, probes, samples ---------------------------------------------------
start_load() { # pgbench: transactions of 10 shop_churn operations
	printf '\\set seed random(1, 2000000000)\nSELECT shop_churn(10, :seed);\n' >"$tmp/churn.pgbench"
	"$FLUSSO_TEST_PG_BIN/pgbench" -n -c 2 -j 2 -R "$((rate / 10))" -T 100000 \
		-f "$tmp/churn.pgbench" "$DIRECT_PG_URL" >>"$tmp/pgbench.log" 2>&1 &
	load_pid=$!
}
stop_load() {
	[ -n "$load_pid" ] || return 0
	kill "$load_pid" 2>/dev/null
	wait "$load_pid" 2>/dev/null
	load_pid=
}
# start_probes PHASE INDEX...: latency probes into $tmp/lat-PHASE-INDEX
start_probes() {
	local phase=$1 ix
	shift
	for ix in "$@"; do
		case $ix in
		users) set -- users full_name fullName match ;;
		orders) set -- orders coupon_code couponCode term ;;
		products) set -- products name name match ;;
		esac
		python3 "$src/tests/reliability/probe.py" "$PSQL" "$DIRECT_PG_URL" \
			"$DIRECT_OS_URL" "${id}_$ix" "$1" "$2" 0 "$3" "$4" \
			"$tmp/lat-$phase-$ix" 2 &
		probe_pids="$probe_pids $!"
	done
}
stop_probes() {
	[ -n "$probe_pids" ] || return 0
	# shellcheck disable=SC2086
	kill $probe_pids 2>/dev/null
	# shellcheck disable=SC2086
	wait $probe_pids 2>/dev/null
	probe_pids=
}
# pct FILE P: the P-th percentile of the latencies (timeouts count as 60)
pct() {
	[ -s "$1" ] || { echo nan; return; }
	awk '{print ($2 == "timeout") ? 60 : $2}' "$1" | sort -g |
		awk -v p="$2" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i]}'
}
probes() { [ -s "$1" ] && wc -l <"$1" || echo 0; }
# sample_rss: flusso's RSS (kB) every 5 s into $tmp/rss (pid may change)
sample_rss() {
	while :; do
		[ -n "$(cat "$tmp/pid" 2>/dev/null)" ] &&
			awk '/VmRSS/ {print $2}' "/proc/$(cat "$tmp/pid")/status" 2>/dev/null >>"$tmp/rss"
		sleep 5
	done
}
# slot samples: "epoch lsn" every 10 s into $tmp/slot-PHASE
slot_sample() { echo "$(date +%s) $(slot_lsn)" >>"$tmp/slot-$1"; }
# advanced FILE: every sample's LSN above the one 60 s before it
advanced() {
	local prev=''
	local -a at lsn
	mapfile -t at < <(cut -d' ' -f1 "$1")
	mapfile -t lsn < <(cut -d' ' -f2 "$1")
	local i j
	for ((i = 0; i < ${#at[@]}; i++)); do
		for ((j = 0; j < i; j++)); do
			[ $((at[i] - at[j])) -ge 60 ] || continue
			prev=${lsn[j]}
		done
		if [ -n "$prev" ] && ! lsn_le "$prev" "${lsn[i]}"; then return 1; fi
		if [ -n "$prev" ] && [ "$prev" = "${lsn[i]}" ]; then return 1; fi
		prev=''
	done
	[ ${#at[@]} -ge 2 ] && ! [ "${lsn[0]}" = "${lsn[$((${#at[@]} - 1))]}" ]
}
# hold_phase PHASE SECS INDEX...: load and samples for SECS; latency
# probes on INDEX... for the first two thirds, then kill -9 and a restart
# (latency across a restart measures the restart, not the isolation)
hold_phase() {
	local phase=$1 secs=$2 t=0 killed=''
	shift 2
	start_probes "$phase" "$@"
	while [ $t -lt "$secs" ]; do
		slot_sample "$phase"
		if [ -z "$killed" ] && [ $((t + 10)) -ge $((secs * 2 / 3)) ]; then
			stop_probes
			stop_flusso_hard
			restart
			ok $? "$phase: kill -9 after $t s, flusso restarted"
			killed=1
		fi
		sleep 10
		t=$((t + 10))
	done
	slot_sample "$phase"
}
restart() {
	start_flusso
	echo "$pid" >"$tmp/pid"
	wait_for 120 "status answers" status
}
ix_state() { # ix_state INDEX: its state in /status
	status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"][sys.argv[1]]["state"])' "$1" 2>/dev/null
}
is_state() { [ "$(ix_state "$1")" = "$2" ]; }
ctl() { "$bin" ctl "$@" >>"$tmp/ctl.log" 2>&1; }
rss_max() { # rss_max FROM TO: max RSS (MB) among samples FROM..TO (1-based)
	sed -n "$1,$2p" "$tmp/rss" | sort -n | tail -1 | awk '{printf "%.1f", $1 / 1024}'
}
lat_note() { # lat_note PHASE INDEX
	local f=$tmp/lat-$1-$2
	note "$1 $2: p50 $(pct "$f" 50) s, p99 $(pct "$f" 99) s over $(probes "$f") probes"
	echo "${1}_${2}_p50 $(pct "$f" 50)" >>"$report"
	echo "${1}_${2}_p99 $(pct "$f" 99)" >>"$report"
}

# ---- setup ------------------------------------------------------------------------
rel_setup
rel_create_db
rel_probe_rows
restart
wait_for 300 "seeded and live" all_live
ok $? "seeded: every index live"
sample_rss &
rss_pid=$!

# ---- 1. baseline ------------------------------------------------------------------
start_load
sleep "${ISO_WARM_SECS:-20}" # the node and the caches warm up first
start_probes base users orders
sleep "$base_secs"
stop_probes
lat_note base users
lat_note base orders
rss_base=$(wc -l <"$tmp/rss")
[ "${ISO_STOP_AFTER:-}" = base ] && exit 0

# ---- 2. pause one index ---------------------------------------------------------
ctl pause products
ok $? "pause products"
wait_for 30 "products paused" is_state products paused
ok $? "products shows paused in /status"
hold_phase pause "$hold_secs" users orders
is_state products paused
ok $? "products is still paused after kill -9 and restart"
lat_note pause users
lat_note pause orders
rss_end=$(wc -l <"$tmp/rss")
rb=$(rss_max 1 "$rss_base") rp=$(rss_max "$((rss_base + 1))" "$rss_end")
note "RSS: max $rb MB before the pause, $rp MB during it"
echo "rss_base_mb $rb" >>"$report"
echo "rss_pause_mb $rp" >>"$report"
awk -v b="$rb" -v p="$rp" 'BEGIN { exit !(p <= b * 1.5 + 8) }'
ok $? "RSS stays flat while paused ($rb MB -> $rp MB)"
advanced "$tmp/slot-pause"
ok $? "the slot's confirmed_flush_lsn kept advancing ($(head -1 "$tmp/slot-pause" | cut -d' ' -f2) -> $(tail -1 "$tmp/slot-pause" | cut -d' ' -f2))"
pending=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"]["products"].get("pending"))' 2>/dev/null)
note "products pending ids before resume: $pending"
echo "pause_pending_ids $pending" >>"$report"
for ix in users orders; do
	p99b=$(pct "$tmp/lat-base-$ix" 99) p99p=$(pct "$tmp/lat-pause-$ix" 99)
	awk -v b="$p99b" -v p="$p99p" 'BEGIN { exit !(p <= b * 2 + 1) }'
	ok $? "$ix keeps its commit-to-search p99 ($p99b s -> $p99p s)"
done
ctl resume products
ok $? "resume products"
stop_load
quiesce_verify "after resume"

# ---- 3. a failing index -----------------------------------------------------------
start_load
sleep 5
big=$(python3 -c 'print("x" * 40000)')
sql "UPDATE orders SET coupon_code = '$big' WHERE id = (SELECT min(id) FROM orders WHERE id > 0)" >/dev/null
ok $? "one order gets a coupon code OpenSearch refuses"
wait_for 60 "orders stopped" is_state orders stopped
ok $? "orders stopped (on_error: stop)"
status | python3 -c 'import json,sys; print("# reason:", json.load(sys.stdin)["index_details"]["orders"].get("hold_reason"))'
hold_phase fail "$((hold_secs / 2 > 30 ? hold_secs / 2 : 30))" users products
lat_note fail users
lat_note fail products
is_state orders stopped
ok $? "orders is still stopped after kill -9 and restart"
is_state users live && is_state products live
ok $? "users and products stay live"
advanced "$tmp/slot-fail"
ok $? "the slot kept advancing while orders was stopped"
sql "UPDATE orders SET coupon_code = NULL WHERE length(coupon_code) > 1000" >/dev/null
ctl retry orders
ok $? "retry orders once the row is fixed"
stop_load
quiesce_verify "after retry"

note "figures: $(tr '\n' ' ' <"$report" 2>/dev/null)"
echo "1..$n"
[ "$fail" = 0 ]
