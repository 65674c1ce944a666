#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# long.sh [FLUSSO] - the long fault-injection run: tests/reliability/chaos.sh
# with the long counts (50 kills of flusso, 10 OpenSearch kills, PostgreSQL
# restarts fast and immediate x3 plus 3 walsender terminations, 5 stalled-
# path rounds, 3 read-only rounds, 2 slot drops), then writes the figures
# to share/RELIABILITY.md. Uses the running test services (FLUSSO_SVC_DIR,
# tests/services.sh); starts its own when none run and stops them after.
# FLUSSO defaults to build-rel/flusso (built with cmake + ninja if
# missing). Any CHAOS_* variable overrides a count (see chaos.sh);
# LONG_OUT overrides the output file.
set -u
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)
bin=${1:-$src/build-rel/flusso}
out=${LONG_OUT:-$src/share/RELIABILITY.md}

if [ ! -x "$bin" ]; then
	if ! cmake -S "$src" -B "$src/build-rel" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null ||
		! ninja -C "$src/build-rel" flusso >/dev/null; then
		echo "long.sh: cannot build flusso" >&2
		exit 1
	fi
fi

export CHAOS_KILLS=${CHAOS_KILLS:-50}
export CHAOS_OS_RESTARTS=${CHAOS_OS_RESTARTS:-10}
export CHAOS_PG_RESTARTS=${CHAOS_PG_RESTARTS:-3}
export CHAOS_FREEZES=${CHAOS_FREEZES:-5}
export CHAOS_READONLY=${CHAOS_READONLY:-3}
export CHAOS_SLOT_DROPS=${CHAOS_SLOT_DROPS:-2}
export CHAOS_VERIFY_EVERY=${CHAOS_VERIFY_EVERY:-1}
export CHAOS_SEED=${CHAOS_SEED:-$(( $(date +%s) % 32768 ))}

# services: the running ones, else our own
export FLUSSO_SVC_DIR=${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}
started=
if ! "$src/tests/services.sh" status >/dev/null 2>&1; then
	mkdir -p "$FLUSSO_SVC_DIR" && chmod 755 "$FLUSSO_SVC_DIR"
	"$src/tests/services.sh" start || { echo "long.sh: cannot start the services" >&2; exit 1; }
	started=1
fi
eval "$("$src/tests/services.sh" env)"
# shellcheck disable=SC2317 # called by the trap
stop_services() { [ -z "$started" ] || "$src/tests/services.sh" stop; }
trap stop_services EXIT

report=$(mktemp)
tap=$(mktemp)
t0=$(date +%s)
CHAOS_REPORT=$report bash "$src/tests/reliability/chaos.sh" "$bin" "$src" 2>&1 | tee "$tap"
rc=${PIPESTATUS[0]}
secs=$(($(date +%s) - t0))
passed=$(grep -c '^ok ' "$tap")
failed=$(grep -c '^not ok ' "$tap")

label() {
	case $1 in
	kills) echo "kill -9 of flusso at random moments (initial seeding, live load, large transaction, backfill, reindex), restart" ;;
	os) echo "kill -9 of the OpenSearch JVM, restart with its data" ;;
	pg) echo "pg_ctl restart -m fast and -m immediate (x$CHAOS_PG_RESTARTS each), pg_terminate_backend of the walsender (x$CHAOS_PG_RESTARTS)" ;;
	proxy) echo "stalled path (proxy freeze > timeouts) to OpenSearch and to PostgreSQL, then all connections reset (per round)" ;;
	readonly) echo "index.blocks.read_only_allow_delete on every live generation under load, then lifted" ;;
	slot) echo "replication slot dropped while flusso is down" ;;
	*) echo "$1" ;;
	esac
}

# Everything from the marker line on (fuzzing, sanitizers, security) is
# written by hand: keep it.
marker='<!-- the rest is kept by tests/reliability/long.sh -->'
kept=
[ -f "$out" ] && kept=$(awk -v m="$marker" 'f || $0 == m { f = 1; print }' "$out")
{
	echo "# flusso reliability: fault injection"
	echo
	echo "Real PostgreSQL 15 and OpenSearch 2.19.6 (tests/services.sh), the shop example"
	echo "(share/examples/shop, seed scale ${REL_SCALE:-2}), two sessions of mixed load"
	echo "(tests/integration/churn.sql) running while faults are injected. Every step ends"
	echo "with \`flusso verify --recheck 10\` over every index, which must report 0 missing,"
	echo "0 extra, 0 different; while OpenSearch or the network path is refused or stalled,"
	echo "the slot's confirmed_flush_lsn must not move. Script: tests/reliability/chaos.sh."
	echo
	echo "Run: $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$bin" version 2>/dev/null | head -1),"
	echo "CHAOS_SEED=$CHAOS_SEED, $((secs / 60)) min $((secs % 60)) s in all, $passed checks passed, $failed failed."
	echo
	echo "| Scenario | Faults | Checks passed | Clean verifies | Time (s) | Verify numbers, last run (index: rows, missing/extra/different) |"
	echo "|---|---|---|---|---|---|"
	while IFS='|' read -r name count checks verifies t verify; do
		verify=${verify%;}
		echo "| $(label "$name") | $count | $checks | $verifies | $t | ${verify:-n/a} |"
	done <"$report"
	echo
	if [ -n "${LONG_NOTE:-}" ]; then
		echo "$LONG_NOTE"
		echo
	fi
	if [ "$failed" != 0 ]; then
		echo "Failed checks:"
		echo
		grep '^not ok ' "$tap" | sed 's/^/    /'
		echo
	fi
	echo "Reproduce with: tests/reliability/long.sh (same random choices: CHAOS_SEED=$CHAOS_SEED tests/reliability/long.sh)"
	if [ -n "$kept" ]; then
		echo
		echo "$kept"
	fi
} >"$out"
rm -f "$report" "$tap"
echo "long.sh: wrote $out ($passed passed, $failed failed, $secs s)"
exit "$rc"
