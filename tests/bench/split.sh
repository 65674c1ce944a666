#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/split.sh FLUSSO SRC - throughput of one instance (all the
# shop indexes, one slot) against two instances that split them with
# `groups:` (orders | users + products, two slots), in one run, on the
# same data and the same load (not part of CI: it measures time).
#
# Against the PostgreSQL and OpenSearch of tests/services.sh (reuses
# tests/reliability/lib.sh). One database seeded at SPLIT_SCALE (default
# 5); each layout gets its own prefix and slots:
#   1. backfill: each layout seeds its indexes from scratch, timed from
#      start to every index live (documents / seconds);
#   2. drain: with every instance stopped, SPLIT_TXNS (default 3000)
#      transactions of `shop_churn(10)` (pgbench -t, one client:
#      concurrent shop_churn calls can collide) are committed once; the WAL is held by every slot, so both layouts
#      then drain exactly the same changes: timed from start until every
#      slot confirmed past the end (documents built / seconds).
# Prints a table with docs/s and the two/one ratio; SPLIT_OUT=FILE also
# writes it there.
set -u
bin=${1:?usage: split.sh FLUSSO SRC}
src=${2:?usage: split.sh FLUSSO SRC}
id=bsplit_$$
REL_SCALE=${SPLIT_SCALE:-5}
txns=${SPLIT_TXNS:-3000}
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

pids=''
trap 'bench_cleanup' EXIT
bench_cleanup() {
	local p
	for p in $pids; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=''
	if [ -n "${db:-}" ]; then
		sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
		for p in one two_orders two_rest; do
			sql_admin "SELECT pg_drop_replication_slot('${id}_$p')" >/dev/null 2>&1
		done
	fi
	rel_cleanup
}

rel_setup
cat >>"$tmp/cfg/flusso.yml" <<'EOF'

groups:
  orders: { indexes: [orders] }
  rest:
    indexes: [users, products]
EOF
rel_create_db
unset FLUSSO_SLOT FLUSSO_PUBLICATION FLUSSO_INDEX_PREFIX
export FLUSSO_LOG_LEVEL=warn
addrs=() # the public addresses of the running instances

# start LAYOUT: one (all indexes) or two (both groups)
start() {
	local g a
	addrs=()
	pids=''
	if [ "$1" = one ]; then
		set -- ''
	else
		set -- orders rest
	fi
	for g in "$@"; do
		a=127.0.0.1:$(free_port)
		addrs+=("$a")
		if [ -z "$g" ]; then
			"$bin" run --slot "${id}_one" --publication "${id}_one" --index-prefix "${id}_one_" \
				--public-address "$a" --private-address "127.0.0.1:$(free_port)" >>"$log" 2>&1 &
		else
			"$bin" run --group "$g" --slot "${id}_two" --publication "${id}_two" --index-prefix "${id}_two_" \
				--public-address "$a" --private-address "127.0.0.1:$(free_port)" >>"$log" 2>&1 &
		fi
		pids="$pids $!"
	done
}
stop() {
	local p
	for p in $pids; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pids=''
}
all_live() {
	local a
	for a in "${addrs[@]}"; do
		[ "$(curl -s --max-time 5 "http://$a/status" | jq -r '.phase + ([.indexes[] | select(. != "seeded")] | length | tostring)')" = live0 ] || return 1
	done
}
sum_docs() {
	local a t=0 d
	for a in "${addrs[@]}"; do
		d=$(curl -s --max-time 5 "http://$a/status" | jq -r '.documents_built')
		t=$((t + d))
	done
	echo "$t"
}
slots_past() { # slots_past LSN SLOT...
	local l=$1 s
	shift
	for s in "$@"; do
		[ "$(sql "SELECT confirmed_flush_lsn >= '$l' FROM pg_replication_slots WHERE slot_name = '$s'")" = t ] || return 1
	done
}
now() { date +%s.%N; }
slots_of() { if [ "$1" = one ]; then echo "${id}_one"; else echo "${id}_two_orders ${id}_two_rest"; fi; }

declare -A bf_docs bf_secs dr_docs dr_secs
for layout in one two; do
	t0=$(now)
	start "$layout"
	wait_for 600 "$layout live" all_live || die "$layout did not reach live"
	t1=$(now)
	bf_docs[$layout]=$(sum_docs)
	bf_secs[$layout]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	stop
	note "backfill $layout: ${bf_docs[$layout]} documents in ${bf_secs[$layout]} s"
done

printf '\\set seed random(1, 2000000000)\nSELECT shop_churn(10, :seed);\n' >"$tmp/churn.pgbench"
"$FLUSSO_TEST_PG_BIN/pgbench" -n -c 1 -j 1 -t "$txns" -f "$tmp/churn.pgbench" "$DIRECT_PG_URL" >"$tmp/pgbench.log" 2>&1 ||
	die "pgbench: $(tail -3 "$tmp/pgbench.log")"
target=$(sql "SELECT pg_current_wal_lsn()")
note "load: $txns transactions of shop_churn(10) committed, WAL up to $target"

for layout in one two; do
	t0=$(now)
	start "$layout"
	# shellcheck disable=SC2046
	wait_for 900 "$layout drained" slots_past "$target" $(slots_of "$layout") || die "$layout did not drain"
	t1=$(now)
	dr_docs[$layout]=$(sum_docs)
	dr_secs[$layout]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
	stop
	note "drain $layout: ${dr_docs[$layout]} documents in ${dr_secs[$layout]} s"
done

{
	echo "| Phase | one instance (3 indexes, 1 slot) | two instances (orders / users+products, 2 slots) | two/one |"
	echo "|---|---|---|---|"
	for ph in backfill drain; do
		if [ $ph = backfill ]; then
			d1=${bf_docs[one]} s1=${bf_secs[one]} d2=${bf_docs[two]} s2=${bf_secs[two]}
		else
			d1=${dr_docs[one]} s1=${dr_secs[one]} d2=${dr_docs[two]} s2=${dr_secs[two]}
		fi
		r1=$(awk -v n="$d1" -v s="$s1" 'BEGIN { printf "%.0f", n / s }')
		r2=$(awk -v n="$d2" -v s="$s2" 'BEGIN { printf "%.0f", n / s }')
		echo "| $ph | $r1 docs/s ($d1 docs, $s1 s) | $r2 docs/s ($d2 docs, $s2 s) | $(awk -v a="$r1" -v b="$r2" 'BEGIN { printf "%.2fx", b / a }') |"
	done
	echo
	echo "scale $REL_SCALE, $txns transactions of shop_churn(10); $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "${SPLIT_OUT:-/dev/null}"
