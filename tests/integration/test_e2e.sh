#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_e2e.sh FLUSSO SRCDIR WORKERS - flusso run end to end against the
# real PostgreSQL and OpenSearch (tests/services.sh), the shop example:
#   backfill with writes running, live changes of every relation kind,
#   kill -9 during live load and during a rebuild, OpenSearch stopped for
#   30 s under load, pause/resume, reindex with a reader on the alias,
#   backfill, admin auth, the status document; every scenario ends with
#   `flusso verify` (0 missing, 0 extra, 0 different).
# TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL, FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=$1 src=$2 workers=${3:-1}
n=0 fail=0
t0=$(date +%s)
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2 [$(($(date +%s) - t0)) s]"; else echo "not ok $n - $2 [$(($(date +%s) - t0)) s]"; fail=$((fail + 1)); fi; }
die() { echo "Bail out! $*"; cleanup; exit 1; }
for v in FLUSSO_TEST_PG_URL FLUSSO_TEST_PG_BIN FLUSSO_TEST_OS_URL FLUSSO_SVC_DIR; do
	[ -n "${!v:-}" ] || { echo "Bail out! $v is not set: start the services (tests/services.sh start) and eval \"\$(tests/services.sh env)\""; exit 1; }
done
PSQL=$FLUSSO_TEST_PG_BIN/psql
[ -x "$PSQL" ] || PSQL=psql
id=e2e${workers}_$$
db=$id
base=${FLUSSO_TEST_PG_URL%/*}
export SHOP_DATABASE_URL=$base/$db
export SHOP_OPENSEARCH_URL=$FLUSSO_TEST_OS_URL
export FLUSSO_CONFIG=$src/share/examples/shop/flusso.yml
export FLUSSO_INDEX_PREFIX=${id}_
export FLUSSO_SLOT=${id}_slot FLUSSO_PUBLICATION=${id}_pub
export FLUSSO_ADMIN_PASSWORD=e2e-secret FLUSSO_WORKERS=$workers
export FLUSSO_LAG_POLL_SECS=1 FLUSSO_LOG_LEVEL=info
tmp=$(mktemp -d)
log=$tmp/flusso.log
pid= churn_pids=

# shellcheck source=tests/lib/free_port.sh
. "$src/tests/lib/free_port.sh"
export FLUSSO_PUBLIC_ADDRESS=127.0.0.1:$(free_port)
export FLUSSO_PRIVATE_ADDRESS=127.0.0.1:$(free_port)
export FLUSSO_SERVER=$FLUSSO_PRIVATE_ADDRESS

sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -c "$1"; }
status() { curl -s --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/status"; }
field() { status | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
cleanup() {
	stop_churn
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_drop_replication_slot('${id}_slot')" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	curl -s -X DELETE "$FLUSSO_TEST_OS_URL/${id}_*?expand_wildcards=all" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

# wait_for SECS DESCRIPTION CMD...: poll until CMD succeeds
wait_for() {
	local secs=$1 what=$2 t=0
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		sleep 0.5; t=$((t + 1))
		if [ $t -ge $((secs * 2)) ]; then
			echo "# timed out waiting for: $what"
			tail -20 "$log" | sed 's/^/#   /'
			status | head -c 2000 | sed 's/^/#   status: /'; echo
			return 1
		fi
	done
}
is_phase() { [ "$(field phase)" = "$1" ]; }
slot_passed() { [ "$(sql "SELECT confirmed_flush_lsn >= '$1' FROM pg_replication_slots WHERE slot_name = '${id}_slot'")" = t ]; }
# caught_up SECS: everything committed so far is flushed and confirmed
# (the slot's confirmed position passed the WAL end of this moment), and
# the pipeline is live again. Timeouts are generous (300 s): on a loaded
# 2-core machine one worker drains the churn's fan-out (~8 documents per
# change) slowly.
caught_up() {
	local target
	target=$(sql "SELECT pg_current_wal_lsn()")
	wait_for "$1" "slot confirmed past $target" slot_passed "$target" &&
		wait_for "$1" "phase live" is_phase live
}

start() {
	"$bin" run >>"$log" 2>&1 &
	pid=$!
}
churn_loop() { # churn_loop SEED: commits until killed
	local i=$1
	while :; do
		"$PSQL" -X -q "$SHOP_DATABASE_URL" -c "SELECT shop_churn($((1 + RANDOM % 30)), $i)" >/dev/null 2>&1
		i=$((i + 7))
	done
}
start_churn() { churn_loop 1 & churn_pids="$!"; churn_loop 2 & churn_pids="$churn_pids $!"; }
stop_churn() { [ -n "$churn_pids" ] && kill $churn_pids 2>/dev/null; wait $churn_pids 2>/dev/null; churn_pids=; }
verify() { "$bin" verify --recheck 10 >"$tmp/verify" 2>&1; local rc=$?; sed 's/^/# /' "$tmp/verify"; return $rc; }

# ---- set up ---------------------------------------------------------------
"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || die "cannot create database"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/schema.sql" >/dev/null || die "schema"
"$PSQL" -X -q -v ON_ERROR_STOP=1 -v scale=2 "$SHOP_DATABASE_URL" -f "$src/share/examples/shop/seed.sql" >/dev/null || die "seed"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -f "$src/tests/integration/churn.sql" >/dev/null || die "churn"

# ---- 1. backfill with writes running ----------------------------------------
start_churn
start
wait_for 300 "phase live" is_phase live; ok $? "backfill completes while writes run ($workers workers)"
sleep 3
stop_churn
caught_up 300; ok $? "caught up after the writes"
verify; ok $? "verify after backfill with concurrent writes"
grep -q 'CREATE PUBLICATION' "$log"; ok $? "flusso created the publication itself"

# ---- 2. admin surface and status document ------------------------------------
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$FLUSSO_PRIVATE_ADDRESS/indexes")
[ "$code" = 401 ]; ok $? "admin API without credentials: 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:wrong "http://$FLUSSO_PRIVATE_ADDRESS/indexes")
[ "$code" = 401 ]; ok $? "admin API with a wrong password: 401"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:e2e-secret -X POST "http://$FLUSSO_PRIVATE_ADDRESS/reindex?index=nosuch")
[ "$code" = 404 ]; ok $? "reindex of an unknown index: 404"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:e2e-secret "http://$FLUSSO_PRIVATE_ADDRESS/reindex")
[ "$code" = 405 ]; ok $? "GET on a POST route: 405"
keys=$(status | grep -o '"[a-z_]*":' | head -14 | tr -d '":\n')
[ "$keys" = "phaseuptime_secondsindexesordersproductsuserschanges_capturedchanges_committedchanges_in_flightdocuments_builtdocuments_quarantinedbatcheslast_flush_microsslot_lag_bytes" ]
ok $? "status document: the reference's fields in order"
for f in version paused waiting_for queue replication sinks index_details recent_events recent_quarantines config; do
	status | grep -q "\"$f\":" || { echo "# missing $f"; false; }
done
ok $? "status document: our fields"
curl -s "http://$FLUSSO_PUBLIC_ADDRESS/metrics" | grep -q '^flusso_changes_committed_total '; ok $? "metrics exposition"
! { status; curl -s "http://$FLUSSO_PUBLIC_ADDRESS/metrics"; cat "$log"; } | grep -q e2e-secret
ok $? "the admin password is in neither /status, /metrics nor the log"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$FLUSSO_PUBLIC_ADDRESS/readyz")" = 200 ]; ok $? "readyz 200 when live"

# ---- 3. live changes, kill -9 under load ---------------------------------------
start_churn
sleep 4
kill -9 "$pid"; wait "$pid" 2>/dev/null
sleep 2
stop_churn
start
caught_up 300; ok $? "restarted after kill -9 under live load"
verify; ok $? "verify after kill -9 under live load"

# ---- 4. pause and resume ----------------------------------------------------------
"$bin" pause >/dev/null; ok $? "pause"
before=$(field changes_committed)
start_churn; sleep 3; stop_churn; sleep 1
after=$(field changes_committed)
[ "$before" = "$after" ]; ok $? "nothing committed while paused ($before = $after)"
[ "$(field phase)" = paused ]; ok $? "phase paused"
inflight=$(field changes_in_flight)
[ "${inflight:-0}" -gt 0 ]; ok $? "changes wait while paused (in flight $inflight)"
"$bin" resume >/dev/null; ok $? "resume"
caught_up 300; ok $? "resume drains the backlog"
verify; ok $? "verify after pause/resume"

# ---- 5. reindex while writes continue, a reader on the alias -------------------------
alias=$(status | grep -o "\"hash_alias\":\"${id}_users_[0-9a-f]*\"" | cut -d'"' -f4)
expect=$(curl -s "$FLUSSO_TEST_OS_URL/$alias/_count" | grep -o '"count":[0-9]*' | cut -d: -f2)
( while :; do curl -s "$FLUSSO_TEST_OS_URL/$alias/_count" | grep -o '"count":[0-9]*' | cut -d: -f2; sleep 0.1; done ) >"$tmp/counts" 2>/dev/null &
reader=$!
start_churn
"$bin" reindex users >"$tmp/reindex"; ok $? "reindex users: $(cat "$tmp/reindex")"
wait_for 300 "users rebuilt" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q '\"users\":{\"state\":\"live\"'"
ok $? "reindex completes while writes run"
stop_churn
kill $reader; wait $reader 2>/dev/null
low=$(sort -n "$tmp/counts" | head -1)
[ -n "$low" ] && [ "$low" -ge $((expect * 9 / 10)) ]; ok $? "readers of the alias never saw an empty or partial index (min $low of ~$expect)"
caught_up 300; ok $? "caught up after reindex"
verify; ok $? "verify after reindex"

# ---- 6. kill -9 during a rebuild, resume after restart --------------------------------
"$bin" reindex orders >/dev/null
sleep 0.5
kill -9 "$pid"; wait "$pid" 2>/dev/null
start
wait_for 300 "orders rebuilt" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q '\"orders\":{\"state\":\"live\"'"
ok $? "rebuild completes after kill -9 during it"
caught_up 300
verify; ok $? "verify after kill -9 during a rebuild"

# ---- 7. backfill in place ---------------------------------------------------------------
"$bin" backfill products >"$tmp/bf"; ok $? "backfill products: $(cat "$tmp/bf")"
wait_for 300 "backfill done" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q '\"products\":{\"state\":\"live\"'"
ok $? "backfill completes"

# ---- 7b. reindex while a backfill is running: the new generation must get
# every row, not only those scanned after the reindex
# (the reindex lands after the backfill flushed its first batches, so
# part of the table is already written to the serving generation)
users_built() { status | grep -o '"users":{"state":[^}]*"documents_built":[0-9]*' | grep -o '[0-9]*$'; }
b0=$(users_built)
"$bin" backfill users >/dev/null
for _ in $(seq 600); do [ "$(users_built)" -ge $((b0 + 600)) ] && break; sleep 0.05; done
"$bin" reindex users >"$tmp/reindex"; ok $? "reindex during a backfill ($(($(users_built) - b0)) of 2000 rows built): $(cat "$tmp/reindex")"
wait_for 300 "users rebuilt" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q '\"users\":{\"state\":\"live\"'"
ok $? "rebuild after a superseded backfill completes"
caught_up 300
verify; ok $? "verify after a reindex during a backfill"

# ---- 8. OpenSearch stopped for 30 s under load ----------------------------------------
if [ "$workers" -gt 1 ]; then # once per build: the outage is slow
start_churn
sleep 1
"$src/tests/opensearch/stop.sh" "$FLUSSO_SVC_DIR/os" >/dev/null 2>&1
for _ in $(seq 60); do [ "$(field phase)" = waiting ] && break; sleep 0.5; done
[ "$(field waiting_for)" = opensearch ] && [ "$(field phase)" = waiting ]
ok $? "phase waiting for OpenSearch while it is down"
sleep 5
stop_churn
sleep 25
kill -0 "$pid"; ok $? "flusso stays up while OpenSearch is down (30 s)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$FLUSSO_PUBLIC_ADDRESS/readyz")" = 503 ]; ok $? "readyz 503 while waiting"
OS_KEEP_DATA=1 "$src/tests/opensearch/start.sh" "$FLUSSO_SVC_DIR/os" >/dev/null 2>&1; ok $? "OpenSearch restarted with its data"
caught_up 300; ok $? "back to live after OpenSearch returns"
verify; ok $? "verify after the OpenSearch outage (0 lost)"
fi

# ---- 9. graceful stop ---------------------------------------------------------------------
kill -TERM "$pid"; wait "$pid"; ok $? "SIGTERM exits 0"
pid=
grep -qi 'error' "$log" && grep 'ERROR' "$log" | head -5 | sed 's/^/# /'
echo "1..$n"
[ "$fail" = 0 ]
