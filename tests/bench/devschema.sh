#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/devschema.sh [--users N] [--runs K] [--peers ref] [--out FILE]
#                          [--prefix P] [--db NAME] [--keep]
# The second backfill workload (issue 22): the reference implementation's
# own dev deployment, three indexes (users, orders, products) over nine
# tables, at N users (default 20,000: ~398k rows folded into ~82.8k
# documents). Not part of CI: it measures time. Owns that workload's data,
# configs and timing; the ceilings are peers/ceiling.py's, the shop
# workload and the report are compare.sh's.
#   1. The reference's dev schemas and dev database SQL come from
#      tests/lib/reference_data.sh (never copied into this repository);
#      without them: "SKIP", exit 0.
#   2. Database --db (default fdevschema; refused when it exists and was
#      not made by this script) dropped and created from that schema, filled by devschema_seed.sql at --users (generate_series,
#      deterministic), child tables REPLICA IDENTITY FULL (ours needs the
#      parent key), VACUUM ANALYZE. Row and document counts printed.
#   3. --runs K (default 3) backfills of ours ($OURS_BIN, default
#      build-bench/flusso, built like compare.sh does unless BENCH_NO_BUILD
#      or OURS_BIN), each from a reset (our indices deleted, slot dropped,
#      same database): start -> all three aliases count every document
#      (refresh 1 s, polled every 0.25 s, like compare.sh's wait_seeded);
#      docs/s per run and of the median run, peak RSS (VmHWM). One
#      untimed backfill first warms the node (BENCH_NO_WARMUP=1 skips it).
#   4. Ceilings on the last run's documents, per index and summed (docs /
#      seconds over the three): peers/ceiling.py ingest with 1 and 2 clients.
#   5. --peers ref: the reference ($REF_BIN, default
#      /root/.cargo/bin/flusso) once, same database, its own slot,
#      publication and index prefix (P + "ref_").
# Indexes: 1 shard, 0 replicas, refresh 1 s, prefix --prefix (default
# devschema_; the reference's is devschema_ref_). Only indices named
# P* are ever deleted, and only slots P + "ours" / P + "ref" dropped: safe
# on a node shared with others. Everything of ours (indices, slots,
# publications, database) is removed at the end unless --keep.
# Results: $BENCH_WORK (default /tmp/flusso-compare)/devschema-results.txt
# ("key value" lines like compare.sh's results.txt), work files under
# $BENCH_WORK/devschema/; a markdown summary on stdout (and into --out FILE).
# Services: tests/services.sh in $FLUSSO_SVC_DIR (default
# /tmp/flusso-bench-svc), started (OS_HEAP=2g) when not running.
# FLUSSO_* variables reach our daemon unchanged.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
users=20000 runs=3 peers= out= prefix=devschema_ DB=fdevschema keep=
while [ $# -gt 0 ]; do
	case $1 in
	--users) users=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--peers) peers=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--prefix) prefix=$2; shift 2 ;;
	--db) DB=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "devschema.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
bad() { echo "devschema.sh: $*" >&2; exit 2; }
case $users in '' | *[!0-9]*) bad "--users wants a number, not '$users'" ;; esac
case $runs in '' | *[!0-9]*) bad "--runs wants a number, not '$runs'" ;; esac
# every index named $prefix* is deleted: a short prefix, or another
# harness's, would take indices that are not ours
[ ${#prefix} -ge 5 ] || bad "--prefix '$prefix' is too short (5 characters at least: every index starting with it is deleted)"
case $prefix in ours_* | ref_* | pgsync_* | ceil_* | flusso*) bad "--prefix '$prefix' is another harness's or flusso's" ;; esac
[ "$users" -ge 100 ] || bad "--users is at least 100"
[ "$runs" -ge 1 ] || bad "--runs is at least 1"
case $peers in '' | ref) ;; *) bad "--peers is ref (or nothing), not '$peers'" ;; esac
[[ $prefix =~ ^[a-z][a-z0-9_]{0,30}$ ]] || bad "--prefix wants [a-z][a-z0-9_]*, up to 31 characters"
[[ $DB =~ ^[a-z][a-z0-9_]{0,62}$ ]] || bad "--db wants [a-z][a-z0-9_]*"

REF_BIN=${REF_BIN:-/root/.cargo/bin/flusso}
W=${BENCH_WORK:-/tmp/flusso-compare}
D=$W/devschema
mkdir -p "$D"
R=$W/devschema-results.txt
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
res() { echo "$1 $2" >>"$R"; log "result $1 = $2"; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.2f", b - a}'; }

# ---- the reference's dev deployment --------------------------------------------------
# shellcheck source=tests/lib/reference_data.sh
. "$root/tests/lib/reference_data.sh"
if ! ref_data_find "$root"; then
	echo "devschema.sh: SKIP: $REF_DATA_WHY"
	exit 0
fi
rm -rf "$D/data"
mkdir -p "$D/data"
if ! ref_data_dev "$D/data"; then
	echo "devschema.sh: SKIP: could not read the dev deployment from $REF_DATA_WHERE"
	exit 0
fi
: >"$R"
log "reference data: $REF_DATA_WHERE"

# ---- build ours ---------------------------------------------------------------
OURS=${OURS_BIN:-$root/build-bench/flusso}
if [ -z "${BENCH_NO_BUILD:-}" ] && [ -z "${OURS_BIN:-}" ]; then
	cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
		ninja -C "$root/build-bench" flusso >/dev/null || { echo "devschema.sh: build failed" >&2; exit 1; }
fi
[ -x "$OURS" ] || { echo "devschema.sh: no flusso at $OURS" >&2; exit 1; }

# ---- services (compare.sh's) -----------------------------------------------------
export FLUSSO_SVC_DIR=${FLUSSO_SVC_DIR:-/tmp/flusso-bench-svc}
mkdir -p "$FLUSSO_SVC_DIR"
eval "$(cd "$root" && tests/services.sh env 2>/dev/null)"
if ! curl -sf "${FLUSSO_TEST_OS_URL:-http://0:1}" >/dev/null || ! pg_isready -q -h 127.0.0.1 -p "${FLUSSO_TEST_PG_PORT:-1}"; then
	chmod 755 "$FLUSSO_SVC_DIR"
	(cd "$root" && OS_HEAP=${OS_HEAP:-2g} tests/services.sh start) || exit 1
	eval "$(cd "$root" && tests/services.sh env)"
fi
PGBIN=$FLUSSO_TEST_PG_BIN
PSQL="$PGBIN/psql -X -q -At -v ON_ERROR_STOP=1"
OS=$FLUSSO_TEST_OS_URL
base=${FLUSSO_TEST_PG_URL%/*}
DBURL=$base/$DB
sql() { $PSQL "$DBURL" -c "$1"; }
admin() { $PSQL "$base/postgres" -c "$1"; }
count_of() { curl -s "$OS/$1/_count" | jq -r '.count // empty' 2>/dev/null; }
# shellcheck source=tests/lib/free_port.sh
. "$root/tests/lib/free_port.sh"

res machine.cores "$(nproc)"
res machine.cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//;s/ /_/g')"
res users "$users"
res runs "$runs"
res prefix "$prefix"
res reference_data "$(echo "$REF_DATA_WHERE" | tr ' ' '_')"
res version.ours "$("$OURS" version 2>/dev/null | head -1 | tr ' ' '_')_(git_$(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo +local_changes))"
[ "$peers" = ref ] && res version.ref "$("$REF_BIN" --version 2>/dev/null | tr ' ' '_')"
res version.opensearch "$(curl -s "$OS" | jq -r .version.number)"
res started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---- reset: only what is ours (indices P*, slots P+ours / P+ref) ----------------
pid= status_url=
stop_tool() {
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
drop_slot() {
	admin "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$1' AND NOT active" >/dev/null 2>&1
}
delete_ours() {
	local i
	for i in $(curl -s "$OS/_cat/indices/$prefix*?h=index&expand_wildcards=all"); do
		case $i in "$prefix"*) curl -s -X DELETE "$OS/$i" >/dev/null ;; esac
	done
}
reset_runs() {
	stop_tool
	delete_ours
	drop_slot "${prefix}ours"
	drop_slot "${prefix}ref"
}
cleanup() {
	stop_tool
	[ -n "$keep" ] && return 0
	reset_runs
	admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	admin "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1
}
trap cleanup EXIT

# ---- the database (one this script made, or none: never another's) -----------------
mark="made by tests/bench/devschema.sh"
owner=$(admin "SELECT coalesce(shobj_description(oid, 'pg_database'), '-') FROM pg_database WHERE datname = '$DB'")
if [ -n "$owner" ] && [ "$owner" != "$mark" ]; then
	trap - EXIT
	echo "devschema.sh: database $DB exists and was not made by this script; choose another --db" >&2
	exit 1
fi
reset_runs
admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" >/dev/null
admin "DROP DATABASE IF EXISTS $DB" >/dev/null || exit 1
admin "CREATE DATABASE $DB" >/dev/null || exit 1
admin "COMMENT ON DATABASE $DB IS '$mark'" >/dev/null || exit 1
t0=$(now)
$PSQL "$DBURL" -f "$D/data/dev_schema.sql" >/dev/null &&
	$PSQL -v users="$users" "$DBURL" -f "$here/devschema_seed.sql" >/dev/null || { log "seeding failed"; exit 1; }
# ours refuses to follow a child table whose replica identity lacks the
# parent key (tests/integration/test_index_naming.sh does the same)
for t in addresses orders order_items reviews product_tags; do
	sql "ALTER TABLE $t REPLICA IDENTITY FULL" || exit 1
done
sql "VACUUM ANALYZE" || exit 1
res seed.secs "$(since "$t0")"
tables="users profiles addresses categories products tags product_tags reviews orders order_items"
rows=0
for t in $tables; do
	n=$(sql "SELECT count(*) FROM $t")
	res "rows.$t" "$n"
	rows=$((rows + n))
done
res rows.total "$rows"
declare -A expect
expect[users]=$(sql "SELECT count(*) FROM users WHERE NOT deleted")
expect[orders]=$(sql "SELECT count(*) FROM orders")
expect[products]=$(sql "SELECT count(*) FROM products")
docs=0
for ix in users orders products; do
	res "docs.$ix" "${expect[$ix]}"
	docs=$((docs + expect[$ix]))
done
res docs.total "$docs"

# ---- configs --------------------------------------------------------------------
for ix in users orders products; do cp "$D/data/$ix.schema.yml" "$D/"; done
cat >"$D/flusso.yml" <<EOF
# written by tests/bench/devschema.sh: the reference's dev deployment
# (three indexes), one shard, zero replicas, refresh 1 s
prefix: $prefix
on_error: stop

source:
  type: postgres
  connection_url: {env: BENCH_DATABASE_URL}

sinks:
  search:
    type: opensearch
    url: {env: BENCH_OPENSEARCH_URL}
    number_of_shards: 1
    number_of_replicas: 0
    refresh_interval: "1s"

index:
  - name: users
    schema: users.schema.yml
    enabled: true
  - name: orders
    schema: orders.schema.yml
    enabled: true
  - name: products
    schema: products.schema.yml
    enabled: true
EOF

# ---- tools ------------------------------------------------------------------------
# start_<tool> sets pid, status_url, aprefix (where its aliases are)
start_ours() {
	local pp
	pp=$(free_port)
	status_url=http://127.0.0.1:$pp/status aprefix=$prefix
	(cd "$D" && exec env BENCH_DATABASE_URL="$DBURL" BENCH_OPENSEARCH_URL="$OS" FLUSSO_ADMIN_PASSWORD=bench \
		"$OURS" run -c flusso.yml --slot "${prefix}ours" --publication "${prefix}ours" \
		--public-address "127.0.0.1:$pp" --private-address "127.0.0.1:$(free_port)" \
		--lag-poll-secs 1 >>"$D/ours.log" 2>&1) &
	pid=$!
}
start_ref() {
	local d=$D/ref pp
	mkdir -p "$d"
	cp "$D"/*.schema.yml "$d/"
	pp=$(free_port)
	status_url=http://127.0.0.1:$pp/status aprefix=${prefix}ref_
	python3 "$here/peers/yml2toml.py" "$D/flusso.yml" --set "prefix=${prefix}ref_" \
		--server "public=127.0.0.1:$pp,private=127.0.0.1:$(free_port)" >"$d/flusso.toml" || return 1
	# the publication and slot made first, as compare.sh does for it
	sql "CREATE PUBLICATION ${prefix}ref FOR TABLE users, profiles, addresses, products, tags, product_tags, reviews, orders, order_items" >/dev/null 2>&1
	sql "SELECT pg_create_logical_replication_slot('${prefix}ref', 'pgoutput')" >/dev/null 2>&1
	(cd "$d" && exec env BENCH_DATABASE_URL="$DBURL" BENCH_OPENSEARCH_URL="$OS" \
		"$REF_BIN" run -c flusso.toml --slot "${prefix}ref" --publication "${prefix}ref" \
		--admin-password bench --lag-poll-secs 1 >>"$d/run.log" 2>&1) &
	pid=$!
}

# time one backfill of TOOL from a reset: sets bf_secs and bf_rss (peak
# RSS, MB; the tool keeps running), status 1 when the tool exited or an
# hour passed
backfill() {
	local t=$1 t0 ix n done_ix hwm=0 h
	reset_runs
	t0=$(now)
	"start_$t" || return 1
	while :; do
		done_ix=0
		for ix in users orders products; do
			n=$(count_of "$aprefix$ix")
			[ "${n:-0}" -ge "${expect[$ix]}" ] && done_ix=$((done_ix + 1))
		done
		[ "$done_ix" = 3 ] && break
		h=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null)
		[ "${h:-0}" -gt "$hwm" ] && hwm=$h
		kill -0 "$pid" 2>/dev/null || { log "$t exited during the backfill"; return 1; }
		[ "$(awk -v a="$t0" -v b="$(now)" 'BEGIN{print (b - a > 3600)}')" = 1 ] && { log "$t: backfill timeout"; return 1; }
		sleep 0.25
	done
	bf_secs=$(since "$t0")
	h=$(awk '/^VmHWM:/{print $2}' "/proc/$pid/status" 2>/dev/null)
	[ "${h:-0}" -gt "$hwm" ] && hwm=$h
	bf_rss=$(awk -v k="$hwm" 'BEGIN{printf "%.1f", k / 1024}')
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN{if (s > 0) printf "%.0f", n / s; else print "-"}'; }

# ---- ours: K backfills ----------------------------------------------------------------
: >"$D/ours.log"
# warm-up: a node that has not indexed these mappings yet JIT-compiles
# through the first run (compare.sh's warm-up, without the churn)
if [ -z "${BENCH_NO_WARMUP:-}" ]; then
	log "== warm-up: one untimed backfill of ours"
	if backfill ours; then res warmup.secs "$bf_secs"; else res warmup.error did_not_seed; fi
	stop_tool
fi
secs= rss=0
for k in $(seq "$runs"); do
	log "== ours: reset, backfill run $k of $runs"
	res "ours.run$k.load_before" "$(load)"
	if ! backfill ours; then
		res ours.error exited_during_backfill
		tail -5 "$D/ours.log" >&2
		break
	fi
	s=$bf_secs m=$bf_rss
	res "ours.run$k.secs" "$s"
	res "ours.run$k.docs_per_s" "$(rate "$docs" "$s")"
	res "ours.run$k.peak_rss_mb" "$m"
	secs="$secs $s"
	rss=$(awk -v a="$rss" -v b="$m" 'BEGIN{print (b > a) ? b : a}')
	# the last run's documents stay for the ceilings
	[ "$k" = "$runs" ] || stop_tool
done
stop_tool
if [ -n "$secs" ]; then
	res ours.backfill.runs_secs "$(echo $secs | tr ' ' ',')"
	res ours.backfill.runs_docs_per_s "$(for s in $secs; do rate "$docs" "$s"; echo; done | paste -sd,)"
	med=$(echo "$secs" | median)
	res ours.backfill.secs "$med"
	res ours.backfill.docs_per_s "$(rate "$docs" "$med")"
	res ours.backfill.peak_rss_mb "$rss"
fi

# ---- ceilings on ours' documents: per index, then summed -------------------------------
if [ -n "$secs" ]; then
	log "== ceilings (peers/ceiling.py ingest, 1 and 2 clients)"
	for ix in users orders products; do
		python3 "$here/peers/ceiling.py" "$OS" "$prefix$ix" ingest 1,2 --index "${prefix}ceil_$ix" \
			>"$D/ceiling-$ix.json" || log "ceiling $ix: failed items or requests"
		while read -r j; do
			c=$(echo "$j" | jq -r .clients)
			for f in docs seconds docs_per_s failed mb load; do
				res "ceil.ingest$c.$ix.$f" "$(echo "$j" | jq -r ".$f")"
			done
		done <"$D/ceiling-$ix.json"
	done
	for c in 1 2; do
		cat "$D"/ceiling-*.json | jq -rs --argjson c "$c" '[.[] | select(.clients == $c)] | "\(map(.docs) | add) \(map(.seconds) | add) \(length)"' >"$D/sum$c"
		read -r n s k <"$D/sum$c"
		[ "$k" = 3 ] || continue
		res "ceil.ingest$c.docs" "$n"
		res "ceil.ingest$c.seconds" "$s"
		res "ceil.ingest$c.docs_per_s" "$(rate "$n" "$s")"
	done
fi

# ---- the reference, once -----------------------------------------------------------------
if [ "$peers" = ref ]; then
	log "== reference: reset, backfill"
	mkdir -p "$D/ref"
	: >"$D/ref/run.log"
	res ref.load_before "$(load)"
	if backfill ref; then
		s=$bf_secs m=$bf_rss
		res ref.backfill.secs "$s"
		res ref.backfill.docs_per_s "$(rate "$docs" "$s")"
		res ref.backfill.peak_rss_mb "$m"
	else
		res ref.error exited_during_backfill
		tail -5 "$D/ref/run.log" >&2
	fi
	stop_tool
	sql "DROP PUBLICATION IF EXISTS ${prefix}ref" >/dev/null 2>&1
fi
sql "DROP PUBLICATION IF EXISTS ${prefix}ours" >/dev/null 2>&1
res finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---- summary -------------------------------------------------------------------------------
g() { awk -v k="$1" '$1 == k {v = $2} END {print (v == "") ? "-" : v}' "$R"; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN{if (a + 0 > 0 && b + 0 > 0) printf "%.0f %%", 100 * a / b; else print "-"}'; }
x() { awk -v a="$1" -v b="$2" 'BEGIN{if (a + 0 > 0 && b + 0 > 0) printf "%.1fx", a / b; else print "-"}'; }
ob=$(g ours.backfill.docs_per_s)
summary() {
	echo "## Backfill, the reference's dev schema at $users users (tests/bench/devschema.sh)"
	echo
	echo "$(g started) to $(g finished); ours $(g version.ours | tr '_' ' '); OpenSearch $(g version.opensearch); $(g machine.cores) cores."
	echo "Rows: $rows ($(for t in $tables; do printf '%s %s, ' "$t" "$(g "rows.$t")"; done | sed 's/, $//'))."
	echo "Documents: $docs (users ${expect[users]}, orders ${expect[orders]}, products ${expect[products]})."
	echo "Warm-up: $(g warmup.secs) s (one untimed backfill of ours); ceilings: peers/ceiling.py on the last run's documents, each index in turn."
	echo
	echo "| Measure | Value |"
	echo "|---|---|"
	echo "| ours, docs/s (median of $runs) | $ob (runs: $(g ours.backfill.runs_docs_per_s | sed 's/,/, /g'); seconds $(g ours.backfill.runs_secs | sed 's/,/, /g')) |"
	echo "| ours, peak RSS MB | $(g ours.backfill.peak_rss_mb) |"
	for c in 1 2; do
		echo "| $c-client ingest ceiling, docs/s (sum docs / sum s) | $(g "ceil.ingest$c.docs_per_s") (users $(g "ceil.ingest$c.users.docs_per_s"), orders $(g "ceil.ingest$c.orders.docs_per_s"), products $(g "ceil.ingest$c.products.docs_per_s")) |"
	done
	echo "| ours / one-client ceiling | $(pct "$ob" "$(g ceil.ingest1.docs_per_s)") |"
	echo "| ours / two-client ceiling | $(pct "$ob" "$(g ceil.ingest2.docs_per_s)") |"
	if [ "$peers" = ref ]; then
		echo "| reference, docs/s (1 run) | $(g ref.backfill.docs_per_s) ($(g ref.backfill.secs) s, peak RSS $(g ref.backfill.peak_rss_mb) MB) |"
		echo "| ours / reference | $(x "$ob" "$(g ref.backfill.docs_per_s)") |"
	fi
	local e
	for e in ours.error ref.error; do
		[ "$(g $e)" = - ] || echo "| $e | $(g $e) |"
	done
}
summary | tee ${out:+"$out"}
log "results: $R"
