#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/compare.sh [--scale N] [--only LIST] [--peers LIST]
#                        [--window SECS] [--rates "R1 R2 ..."] [--out FILE]
# Side-by-side benchmarks of flusso against its peers (not part of CI: it
# measures time). One tool at a time on the same PostgreSQL 15 and
# OpenSearch node (tests/services.sh), the same data (share/examples/shop
# seed.sql at --scale, default 10), the same index settings (1 shard, 0
# replicas, refresh 1 s); PostgreSQL (database dropped and re-seeded) and
# OpenSearch (all indices deleted) reset before every tool.
#   --only   backfill,live,latency,resources,ceilings,catchup (default:
#            all; resources are sampled whenever a tool runs)
#   --peers  ref,pgsync (default both; ours always runs); add ours4 for
#            ours again with FLUSSO_WORKERS=4 (a diagnostics row), base
#            for another build of ours at $BASE_BIN (before/after A/B)
#   --window seconds per load step in the live ladder (default 60)
#   --rates  offered changes/s of the ladder (default "250 500 1000 1500
#            2000 3000 4000 6000 8000"); each step is `bench_churn(10, seed)` transactions
#            from pgbench -R (2 clients)
# Results go to $BENCH_WORK (default /tmp/flusso-compare)/results.txt and
# are rendered into share/BENCHMARKS.md (--out) by peers/report.py.
# Peers: the reference at $REF_BIN (default /root/.cargo/bin/flusso),
# PGSync from $PGSYNC_VENV (default /tmp/pgsync-venv; created with
# `pip install pgsync==7.3.0` when missing), redis-server on a loopback port.
# Services: tests/services.sh in $FLUSSO_SVC_DIR (default
# /tmp/flusso-bench-svc), started (OS_HEAP=2g) when not already running.
# Backfill is timed BENCH_BACKFILL_RUNS times (default 3, each from a
# reset) and the median run reported; every run's seconds are kept.
# Catch-up (tools with a slot): the tool is stopped, BENCH_CATCHUP
# (default "2000 20000") transactions of 10 root updates each are made
# (bench_catchup, 2 pgbench clients), then a marker transaction; the tool
# starts again. Reported: start -> first confirmed flush (the slot's
# confirmed position moves), start -> marker searchable, changes/s.
# Ceilings (on ours' users documents, same run): OpenSearch ingest by
# peers/ceiling.py, fresh writes with 2 clients (ceil.ingest.*) and 1
# (ceil.ingest1.*), the same documents as external_gte updates with 2 and
# 1 (ceil.update.*, ceil.update1.*); pgoutput decode; the document SQL.
# Before the first tool, one untimed backfill and 20 s of churn with our
# build warm the OpenSearch JVM (BENCH_NO_WARMUP=1 skips it).
# Diagnostics knobs: BENCH_NO_BUILD=1 (use build-bench/flusso as is),
# OURS_BIN=PATH (another build of ours), BENCH_SKIP_OURS=1 (peers only),
# BENCH_LATENCY_RATE=N (fixed latency rate instead of 1,000 or the highest
# sustained rate); BENCH_PROBE_RATE (latency probes a second, default 4);
# PROBE_SYNC_COMMIT=0 (the probe commits as the cluster does: see probe.py); FLUSSO_* variables reach our daemon unchanged.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here=$root/tests/bench
scale=10 only=backfill,live,latency,resources,ceilings,catchup peers=ref,pgsync
window=60 rates="250 500 1000 1500 2000 3000 4000 6000 8000" ops=10
out=$root/share/BENCHMARKS.md
while [ $# -gt 0 ]; do
	case $1 in
	--scale) scale=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--peers) peers=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	--rates) rates=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	-h | --help) sed -n '3,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
	esac
done
has() { case ",$only," in *",$1,"*) return 0 ;; esac; return 1; }
peer() { case ",$peers," in *",$1,"*) return 0 ;; esac; return 1; }

REF_BIN=${REF_BIN:-/root/.cargo/bin/flusso}
PGSYNC_VENV=${PGSYNC_VENV:-/tmp/pgsync-venv}
W=${BENCH_WORK:-/tmp/flusso-compare}
mkdir -p "$W"
R=$W/results.txt
: >"$R"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
res() { echo "$1 $2" >>"$R"; log "result $1 = $2"; }
load() { cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/'; }

# ---- build ours ---------------------------------------------------------------
OURS=${OURS_BIN:-$root/build-bench/flusso}
if [ -z "${BENCH_NO_BUILD:-}" ] && [ -z "${OURS_BIN:-}" ]; then
	cmake -S "$root" -B "$root/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null &&
		ninja -C "$root/build-bench" flusso bench_docs >/dev/null || { echo "compare.sh: build failed" >&2; exit 1; }
fi

# ---- services -----------------------------------------------------------------
export FLUSSO_SVC_DIR=${FLUSSO_SVC_DIR:-/tmp/flusso-bench-svc}
mkdir -p "$FLUSSO_SVC_DIR"; chmod 755 "$FLUSSO_SVC_DIR"
eval "$(cd "$root" && tests/services.sh env 2>/dev/null)"
if ! curl -sf "${FLUSSO_TEST_OS_URL:-http://0:1}" >/dev/null || ! pg_isready -q -h 127.0.0.1 -p "${FLUSSO_TEST_PG_PORT:-1}"; then
	(cd "$root" && OS_HEAP=${OS_HEAP:-2g} tests/services.sh start) || exit 1
	eval "$(cd "$root" && tests/services.sh env)"
fi
PGBIN=$FLUSSO_TEST_PG_BIN
PSQL="$PGBIN/psql -X -q -At -v ON_ERROR_STOP=1"
OS=$FLUSSO_TEST_OS_URL
base=${FLUSSO_TEST_PG_URL%/*}
DB=fbench
DBURL=$base/$DB
sql() { $PSQL "$DBURL" -c "$1"; }
admin() { $PSQL "$base/postgres" -c "$1"; }
admin "ALTER SYSTEM SET max_slot_wal_keep_size = '4GB'" >/dev/null
admin "ALTER SYSTEM SET logical_decoding_work_mem = '256MB'" >/dev/null
admin "SELECT pg_reload_conf()" >/dev/null

# shellcheck source=tests/lib/free_port.sh
. "$root/tests/lib/free_port.sh"

# ---- machine and versions ----------------------------------------------------------
res machine.cores "$(nproc)"
res machine.ram_gib "$(free -g | awk '/^Mem:/{print $2}')"
res machine.cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//;s/ /_/g')"
res machine.kernel "$(uname -r)"
res scale "$scale"
res window "$window"
res ops_per_tx "$ops"
res version.ours "$("$OURS" version 2>/dev/null | head -1 | tr ' ' '_')_(git_$(git -C "$root" rev-parse --short HEAD 2>/dev/null)$(git -C "$root" diff --quiet HEAD -- src 2>/dev/null || echo +local_changes))"
res version.ref "$("$REF_BIN" --version 2>/dev/null | tr ' ' '_')"
res version.postgres "$(admin 'SHOW server_version' | tr ' ' '_')"
res version.opensearch "$(curl -s "$OS" | jq -r .version.number)"
res opensearch.heap_mb "$(curl -s "$OS/_nodes/stats/jvm" | jq '[.nodes[].jvm.mem.heap_max_in_bytes][0] / 1048576 | floor')"
res started "$(date -u +%Y-%m-%dT%H:%M:%SZ)"

# ---- reset: database from the same seed, all indices deleted --------------------------
reset_all() {
	local i
	for i in $(curl -s "$OS/_cat/indices?h=index&expand_wildcards=all" | grep -v '^\.'); do
		curl -s -X DELETE "$OS/$i" >/dev/null
	done
	admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$DB' AND pid <> pg_backend_pid()" >/dev/null
	admin "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '$DB'" >/dev/null
	admin "DROP DATABASE IF EXISTS $DB" >/dev/null
	admin "CREATE DATABASE $DB" >/dev/null
	local t0=$SECONDS
	$PSQL "$DBURL" -f "$root/share/examples/shop/schema.sql" >/dev/null &&
		$PSQL -v scale="$scale" "$DBURL" -f "$root/share/examples/shop/seed.sql" >/dev/null &&
		$PSQL "$DBURL" -f "$here/bench_churn.sql" >/dev/null &&
		$PSQL "$DBURL" -c "VACUUM ANALYZE" >/dev/null || { log "seeding failed"; exit 1; }
	log "reset: seeded scale $scale in $((SECONDS - t0)) s"
}

# ---- per-process sampling: pid tree RSS and CPU ticks, once a second -----------------------
tree() { local p=$1 c; echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; }
sampler() { # sampler PID FILE: "epoch rss_kb hwm_kb ticks" per second
	local pid=$1 f=$2 p rss hwm ticks
	while kill -0 "$pid" 2>/dev/null; do
		rss=0 hwm=0 ticks=0
		for p in $(tree "$pid"); do
			[ -r /proc/$p/status ] || continue
			rss=$((rss + $(awk '/^VmRSS:/{print $2}' /proc/$p/status 2>/dev/null || echo 0)))
			hwm=$((hwm + $(awk '/^VmHWM:/{print $2}' /proc/$p/status 2>/dev/null || echo 0)))
			ticks=$((ticks + $(sed 's/.*) //' /proc/$p/stat 2>/dev/null | awk '{print $12 + $13}')))
		done
		echo "$(date +%s.%N) $rss $hwm $ticks" >>"$f"
		sleep 1
	done
}
last_ticks() { tail -1 "$1" | awk '{print $4}'; }
HZ=$(getconf CLK_TCK)

slot_lag() { # bytes behind for slot $1 (empty when the slot is missing)
	sql "SELECT pg_current_wal_lsn() - confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '$1'"
}
snap() { # changes_committed documents_built batches, from the tool's /status
	[ -n "${status_url:-}" ] || return 0
	curl -s --max-time 5 "$status_url" | jq -r '"\(.changes_committed) \(.documents_built) \(.batches)"' 2>/dev/null
}
count_of() { curl -s "$OS/$1/_count" | jq -r '.count // empty' 2>/dev/null; }

# ---- tools ------------------------------------------------------------------------------
# Each start_<tool> sets: pid, alias (what a reader searches), field
# (the full_name field), slot (empty: no slot lag), expect (documents).
start_ours() {
	local d=$W/${ours_dir:-ours}
	mkdir -p "$d"
	cp "$here/peers/flusso.yml" "$root/share/examples/shop/users.schema.yml" "$d/"
	alias=ours_users field=fullName slot=flusso_ours
	expect=$(sql "SELECT count(*) FROM users WHERE deleted_at IS NULL")
	local pp
	pp=$(free_port)
	status_url=http://127.0.0.1:$pp/status
	(cd "$d" && exec env BENCH_DATABASE_URL="$DBURL" BENCH_OPENSEARCH_URL="$OS" FLUSSO_ADMIN_PASSWORD=bench \
		"$OURS" run -c flusso.yml --slot flusso_ours --publication flusso_ours \
		--public-address 127.0.0.1:$pp --private-address 127.0.0.1:$(free_port) \
		--lag-poll-secs 1 >"$d/run.log" 2>&1) &
	pid=$!
}
# another build of ours (--peers base, BASE_BIN): before/after A/B
start_base() {
	OURS=${BASE_BIN:?BASE_BIN is not set} ours_dir=base start_ours
}
# ours with 4 workers (--peers ours4): the same build and deployment
start_ours4() {
	FLUSSO_WORKERS=4 ours_dir=ours4 start_ours
}
start_ref() {
	local d=$W/ref
	mkdir -p "$d"
	cp "$root/share/examples/shop/users.schema.yml" "$d/"
	local pp
	pp=$(free_port)
	status_url=http://127.0.0.1:$pp/status
	python3 "$here/peers/yml2toml.py" "$here/peers/flusso.yml" --set prefix=ref_ \
		--server public=127.0.0.1:$pp,private=127.0.0.1:$(free_port) >"$d/flusso.toml"
	alias=ref_users field=fullName slot=flusso_ref
	expect=$(sql "SELECT count(*) FROM users WHERE deleted_at IS NULL")
	# the publication before the slot: the reference would create it after
	# our slot, and pgoutput then fails on any change decoded before that
	# point ("publication does not exist"), which happened on a fresh start
	# (both exist already when it restarts for the catch-up)
	sql "CREATE PUBLICATION flusso_ref FOR TABLE public.addresses, public.order_items, public.orders, public.products, public.profiles, public.users" >/dev/null 2>&1
	sql "SELECT pg_create_logical_replication_slot('flusso_ref', 'pgoutput')" >/dev/null 2>&1
	(cd "$d" && exec env BENCH_DATABASE_URL="$DBURL" BENCH_OPENSEARCH_URL="$OS" \
		"$REF_BIN" run -c flusso.toml --slot flusso_ref --publication flusso_ref \
		--admin-password bench --lag-poll-secs 1 >"$d/run.log" 2>&1) &
	pid=$!
}
redis_pid=
start_pgsync() {
	local d=$W/pgsync
	mkdir -p "$d"
	if [ ! -x "$PGSYNC_VENV/bin/pgsync" ]; then
		python3 -m venv "$PGSYNC_VENV" && "$PGSYNC_VENV/bin/pip" install -q pgsync==7.3.0 || return 1
	fi
	if [ -z "$redis_pid" ]; then
		redis_port=$(free_port)
		redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$d/redis.log" 2>&1 &
		redis_pid=$!
		sleep 1
	fi
	redis-cli -p "$redis_port" FLUSHALL >/dev/null
	rm -f "$d"/.fbench_* "$d"/.[a-z]*_pgsync_users 2>/dev/null
	python3 "$here/peers/pgsync_schema.py" "$DB" pgsync_users >"$d/schema.json"
	alias=pgsync_users field=full_name slot= status_url=
	expect=$(sql "SELECT count(*) FROM users")
	export PG_HOST=127.0.0.1 PG_PORT=$FLUSSO_TEST_PG_PORT PG_USER=postgres
	export ELASTICSEARCH_URL=$OS OPENSEARCH=true ELASTICSEARCH=false
	export REDIS_HOST=127.0.0.1 REDIS_PORT=$redis_port CHECKPOINT_PATH=$d
	(cd "$d" && "$PGSYNC_VENV/bin/bootstrap" --config schema.json >"$d/bootstrap.log" 2>&1) || { log "pgsync bootstrap failed"; return 1; }
	(cd "$d" && exec "$PGSYNC_VENV/bin/pgsync" --config schema.json --daemon >"$d/run.log" 2>&1) &
	pid=$!
}
stop_tool() {
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
	kill -0 "$pid" 2>/dev/null && { for p in $(tree "$pid"); do kill -9 "$p" 2>/dev/null; done; }
	wait "$pid" 2>/dev/null
	[ -n "$samp" ] && { kill "$samp" 2>/dev/null; wait "$samp" 2>/dev/null; }
	pid= samp=
}

# ---- load and probes ------------------------------------------------------------------------
pgbench_load() { # pgbench_load RATE_CHANGES SECS LOGFILE
	local tps
	tps=$(awk -v r="$1" -v o="$ops" 'BEGIN{printf "%.2f", r / o}')
	"$PGBIN/pgbench" -n -f "$here/peers/churn.pgbench" -D ops="$ops" -c 2 -j 2 -R "$tps" -T "$2" "$DBURL" >"$3" 2>&1
}
achieved() { # changes/s pgbench achieved, from its log
	awk -v o="$ops" '/^tps = /{printf "%.0f", $3 * o; exit}' "$1"
}
probe() { # probe SECS RATE OUT
	"$PGSYNC_VENV/bin/python" "$here/peers/probe.py" "$DBURL" "$OS" "$alias" "$field" "$1" "$2" "$3"
}
pct() { # pct P FILE: percentile of the latencies in FILE (timeouts count as +inf)
	awk '{print ($2 == "timeout") ? 1e9 : $2}' "$2" | sort -g | awk -v p="$1" '{a[NR] = $1} END {if (NR == 0) {print "-"; exit} i = int((NR * p / 100) + 0.999999); if (i < 1) i = 1; v = a[i]; if (v >= 1e9) print "timeout"; else printf "%.3f", v}'
}

flat_probe() { # stdin: latencies in order; 1 when the last third's median <= first third's + 2 s
	local v k a b
	v=$(cat)
	k=$(($(echo "$v" | grep -c .) / 3))
	[ "$k" -ge 1 ] || { echo 0; return; }
	a=$(echo "$v" | head -n "$k" | sort -g | sed -n "$(((k + 1) / 2))p")
	b=$(echo "$v" | tail -n "$k" | sort -g | sed -n "$(((k + 1) / 2))p")
	awk -v a="$a" -v b="$b" 'BEGIN{print (b <= a + 2 && b < 1e9) ? 1 : 0}'
}

# wait until the tool's index holds every document (0), or the tool
# exited or an hour passed (1)
wait_seeded() {
	local t0=$SECONDS n
	while :; do
		n=$(count_of "$alias")
		[ "${n:-0}" -ge "$expect" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		[ $((SECONDS - t0)) -gt 3600 ] && return 1
		sleep 0.25
	done
}

# let the tool reach live and catch up: slot lag under 1 MiB (at most
# 60 s), or 10 s for a tool without a slot
settle() {
	local lag0
	for _ in $(seq 60); do
		[ -z "$slot" ] && { sleep 10; break; }
		lag0=$(slot_lag "$slot")
		[ "${lag0:-0}" -lt 1048576 ] && break
		sleep 1
	done
}

# stop the tool, reset PostgreSQL and OpenSearch, start it again and wait
# until it has seeded the index and caught up (untimed)
fresh_start() {
	local t=$1
	stop_tool
	[ -n "$slot" ] && admin "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1
	reset_all
	"start_$t" || return 1
	wait_seeded || { log "$t: not seeded again"; stop_tool; return 1; }
	settle
}

# catchup TOOL N: stop the running tool, make N transactions of 10 root
# updates and a marker transaction, start it again; time the first
# confirmed flush and the marker becoming searchable
slot_confirmed() { sql "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots WHERE slot_name = '$slot'"; }
catchup() {
	local t=$1 n=$2 d=$W/$1 c0 tok want t0 tnow first= done= st
	settle
	stop_tool
	c0=$(slot_confirmed)
	log "$t: catch-up backlog of $n transactions"
	"$PGBIN/pgbench" -n -f "$here/peers/catchup.pgbench" -c 2 -j 2 -t "$((n / 2))" "$DBURL" >"$d/pgbench-catchup-$n" 2>&1
	# the marker rows are among the 200 users bench_catchup never touches:
	# both tools build a document from the rows as they are when they
	# read them, so a row the backlog touches could show the marker as
	# soon as the tool reached its first change, long before the end
	tok=mark$RANDOM$RANDOM
	want=$(sql "WITH m AS (UPDATE users SET full_name = 'Mark $tok' WHERE id IN (SELECT id FROM users WHERE deleted_at IS NULL AND id > (SELECT max(id) - 200 FROM users) ORDER BY id DESC LIMIT 10) RETURNING 1) SELECT count(*) FROM m")
	res "$t.catchup.$n.backlog_changes" "$((n * 10 + want))"
	res "$t.catchup.$n.load" "$(load)"
	t0=$(date +%s.%N)
	"start_$t" || { res "$t.catchup.$n.error" "did_not_start"; return 1; }
	while :; do
		tnow=$(date +%s.%N)
		if [ -z "$first" ] && [ "$(slot_confirmed)" -gt "${c0:-0}" ] 2>/dev/null; then
			first=$(awk -v a="$t0" -v b="$tnow" 'BEGIN{printf "%.2f", b - a}')
		fi
		if [ "$(curl -s "$OS/$alias/_count" -H 'Content-Type: application/json' -d "{\"query\":{\"match\":{\"$field\":\"$tok\"}}}" | jq -r '.count // 0')" -ge "$want" ]; then
			done=$(awk -v a="$t0" -v b="$tnow" 'BEGIN{printf "%.2f", b - a}')
			break
		fi
		kill -0 "$pid" 2>/dev/null || { res "$t.catchup.$n.error" "exited"; return 1; }
		[ "$(awk -v a="$t0" -v b="$tnow" 'BEGIN{print (b - a > 1800)}')" = 1 ] && { res "$t.catchup.$n.error" "timeout"; return 1; }
		sleep 0.05
	done
	res "$t.catchup.$n.first_flush_s" "${first:-$done}"
	res "$t.catchup.$n.secs" "$done"
	res "$t.catchup.$n.changes_per_s" "$(awk -v s="$done" -v n="$((n * 10 + want))" 'BEGIN{printf "%.0f", n / s}')"
	st=$(snap)
	[ -n "$st" ] && res "$t.catchup.$n.docs_built" "$(echo "$st" | cut -d' ' -f2)"
	[ -n "$st" ] && res "$t.catchup.$n.docs_per_s" "$(echo "$st" | awk -v s="$done" '{printf "%.0f", $2 / s}')"
	# ours: rebuilds not sent, being identical to the stored document
	st=$(curl -s --max-time 5 "$status_url" | jq -r '.documents_skipped_identical // empty' 2>/dev/null)
	[ -n "$st" ] && res "$t.catchup.$n.docs_skipped_identical" "$st"
	return 0
}

# ---- one tool, every scenario ------------------------------------------------------------------
run_tool() {
	local t=$1 d=$W/$1 t0 t1 n ticks0 ticks1 rate ok best=0 f lag0 wal0 wal1
	mkdir -p "$d"
	rm -f "$d"/*.samples "$d"/lag-* "$d"/pgbench-* "$d"/probe-*
	# backfill repeats: a single seeding time moves 1.5x between runs of
	# one build on one warm node (segment merges of the previous run);
	# the extra runs are timed the same way and the median is reported
	local k secs=
	pid= samp=
	for k in $(seq 2 "${BENCH_BACKFILL_RUNS:-3}"); do
		log "== $t: reset, backfill run $k"
		reset_all
		t0=$(date +%s.%N)
		"start_$t" || { res "$t.error" "did_not_start"; return 1; }
		wait_seeded || { res "$t.error" "exited_during_backfill"; stop_tool; return 1; }
		secs="$secs $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b - a}')"
		stop_tool
		[ -n "$slot" ] && admin "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1
	done
	log "== $t: reset"
	reset_all
	t0=$(date +%s.%N)
	"start_$t" || { res "$t.error" "did_not_start"; return 1; }
	sampler "$pid" "$d/res.samples" &
	samp=$!
	res "$t.backfill.load_before" "$(load)"
	# 1. backfill: from start until the index holds every document
	while :; do
		n=$(count_of "$alias")
		[ "${n:-0}" -ge "$expect" ] && break
		kill -0 "$pid" 2>/dev/null || { log "$t exited during backfill"; tail -5 "$d/run.log" >&2; res "$t.error" "exited_during_backfill"; stop_tool; return 1; }
		if [ "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print (b - a > 3600)}')" = 1 ]; then
			res "$t.error" "backfill_timeout"; stop_tool; return 1
		fi
		sleep 0.25
	done
	t1=$(date +%s.%N)
	sleep 1.1
	ticks0=$(last_ticks "$d/res.samples")
	res "$t.backfill.docs" "$expect"
	res "$t.backfill.secs" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')"
	res "$t.backfill.docs_per_s" "$(awk -v a="$t0" -v b="$t1" -v n="$expect" 'BEGIN{printf "%.0f", n / (b - a)}')"
	if [ -n "$secs" ]; then
		# every run's seconds, then the median run as the result
		secs="$secs $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}')"
		res "$t.backfill.runs_secs" "$(echo $secs | tr ' ' ',')"
		res "$t.backfill.secs" "$(echo $secs | tr ' ' '\n' | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')"
		res "$t.backfill.docs_per_s" "$(echo $secs | tr ' ' '\n' | sort -g | awk -v n="$expect" '{a[NR] = $1} END {printf "%.0f", n / a[int((NR + 1) / 2)]}')"
	fi
	res "$t.backfill.cpu_s" "$(awk -v k="$ticks0" -v h="$HZ" 'BEGIN{printf "%.2f", k / h}')"
	res "$t.backfill.cpu_s_per_1000_docs" "$(awk -v k="$ticks0" -v h="$HZ" -v n="$expect" 'BEGIN{printf "%.3f", k / h / n * 1000}')"
	res "$t.backfill.peak_rss_mb" "$(awk '{if ($3 > m) m = $3} END {printf "%.1f", m / 1024}' "$d/res.samples")"
	res "$t.backfill.load_after" "$(load)"
	settle
	local live_t0
	live_t0=$(date +%s)
	# 2. live throughput ladder
	local changes_total=0 ticks_l0 ticks_l1
	ticks_l0=$(last_ticks "$d/res.samples")
	if has live; then
		for rate in $rates; do
			log "$t: live $rate changes/s for $window s"
			wal0=$(sql "SELECT pg_current_wal_lsn() - '0/0'")
			( while :; do echo "$(date +%s.%N) $( [ -n "$slot" ] && slot_lag "$slot" || echo 0)"; sleep 1; done ) >"$d/lag-$rate" &
			local lagger=$! prober=
			if [ -z "$slot" ]; then probe "$window" 1 "$d/probe-live-$rate" & prober=$!; fi
			res "$t.live.$rate.load" "$(load)"
			local st0 st1
			st0=$(snap)
			pgbench_load "$rate" "$window" "$d/pgbench-$rate"
			kill $lagger 2>/dev/null; wait $lagger 2>/dev/null
			[ -n "$prober" ] && wait $prober
			wal1=$(sql "SELECT pg_current_wal_lsn() - '0/0'")
			n=$(achieved "$d/pgbench-$rate")
			changes_total=$((changes_total + ${n:-0} * window))
			res "$t.live.$rate.achieved" "${n:-0}"
			res "$t.live.$rate.wal_mb_per_s" "$(awk -v a="$wal0" -v b="$wal1" -v w="$window" 'BEGIN{printf "%.2f", (b - a) / w / 1048576}')"
			if [ -n "$slot" ]; then
				# flat: mean lag of the last third <= first third + max(512 KiB, 2 s of WAL)
				ok=$(awk -v slack="$(awk -v a="$wal0" -v b="$wal1" -v w="$window" 'BEGIN{s = (b - a) / w * 2; print (s > 524288) ? s : 524288}')" \
					'{l[NR] = $2 + 0} END {k = int(NR / 3); if (k < 1) {print 0; exit} for (i = 1; i <= k; i++) a += l[i]; for (i = NR - k + 1; i <= NR; i++) b += l[i]; a /= k; b /= k; printf "%d %.0f %.0f\n", (b <= a + slack), a, b}' "$d/lag-$rate")
				res "$t.live.$rate.lag_first_third_kb" "$(echo "$ok" | awk '{printf "%.0f", $2 / 1024}')"
				res "$t.live.$rate.lag_last_third_kb" "$(echo "$ok" | awk '{printf "%.0f", $3 / 1024}')"
				ok=${ok%% *}
			else
				# no slot to watch (PGSync acks through its checkpoint): probe
				# visibility delay must stay flat instead (last third median
				# <= first third median + 2 s, no timeouts)
				ok=$(awk '{print ($2 == "timeout") ? 1e9 : $2}' "$d/probe-live-$rate" | flat_probe)
				res "$t.live.$rate.probe_p50" "$(pct 50 "$d/probe-live-$rate")"
			fi
			res "$t.live.$rate.flat" "$ok"
			# generator saturated: pgbench could not offer the rate
			if [ "${n:-0}" -lt $((rate * 85 / 100)) ]; then
				res "$t.live.$rate.generator_limited" 1
			fi
			[ "$ok" = 1 ] && [ "${n:-0}" -gt "$best" ] && best=$n
			# drain before the next step
			if [ -n "$slot" ]; then
				local s0=$SECONDS
				for _ in $(seq 180); do lag0=$(slot_lag "$slot"); [ "${lag0:-0}" -lt 1048576 ] && break; sleep 1; done
				res "$t.live.$rate.drain_s" "$((SECONDS - s0))"
			else
				sleep 10
			fi
			st1=$(snap)
			if [ -n "$st0" ] && [ -n "$st1" ]; then
				# from the tool's /status: changes committed, documents
				# built and batches flushed for this step (window + drain)
				echo "$st0 $st1" | awk -v p="$t.live.$rate." '{c = $4 - $1; dc = $5 - $2; b = $6 - $3; if (b > 0 && c > 0) printf "%sbatches %d\n%schanges_per_batch %.1f\n%sdocs_per_change %.2f\n", p, b, p, c / b, p, dc / c}' | while read -r k v; do res "$k" "$v"; done
			fi
			[ "$ok" = 1 ] || break
			[ "${n:-0}" -lt $((rate * 85 / 100)) ] && break
		done
		res "$t.live.max_sustained" "$best"
		ticks_l1=$(last_ticks "$d/res.samples")
		[ "$changes_total" -gt 0 ] && res "$t.live.cpu_s_per_1000_changes" "$(awk -v a="$ticks_l0" -v b="$ticks_l1" -v h="$HZ" -v n="$changes_total" 'BEGIN{printf "%.3f", (b - a) / h / n * 1000}')"
	fi
	# 4. resources
	res "$t.res.peak_rss_mb" "$(awk '{if ($3 > m) m = $3} END {printf "%.1f", m / 1024}' "$d/res.samples")"
	res "$t.res.steady_rss_mb" "$(awk -v t="$live_t0" '$1 >= t {print $2}' "$d/res.samples" | sort -n | awk '{a[NR] = $1} END {if (NR) printf "%.1f", a[int((NR + 1) / 2)] / 1024; else print "-"}')"
	res "$t.res.cpu_s_total" "$(awk -v k="$(last_ticks "$d/res.samples")" -v h="$HZ" 'BEGIN{printf "%.1f", k / h}')"
	# 3. latency at 1,000 changes/s (or the highest sustained rate)
	if has latency; then
		local lrate=${BENCH_LATENCY_RATE:-1000}
		if [ -z "${BENCH_LATENCY_RATE:-}" ] && has live && [ "$best" -lt 1000 ]; then
			lrate=$best
			[ "$lrate" -lt 100 ] && lrate=100
			res "$t.latency.rate_note" "below_1000:highest_sustained"
		fi
		res "$t.latency.rate" "$lrate"
		res "$t.latency.probe_sync_commit" "${PROBE_SYNC_COMMIT:-1}"
		res "$t.latency.probe_rate" "${BENCH_PROBE_RATE:-4}"
		# a fresh start: the ladder ends one step past what the tool
		# sustains, which leaves a backlog and the node merging the
		# segments of that burst; whatever follows measured that
		# (ours: p50 12 s at 1,000/s after the 2,000 step, 0.8-0.9 s
		# right after a backfill)
		if has live; then
			fresh_start "$t" || { res "$t.latency.error" "did_not_restart"; return 1; }
		fi
		res "$t.latency.load" "$(load)"
		log "$t: latency at $lrate changes/s"
		pgbench_load "$lrate" 75 "$d/pgbench-latency" &
		local gen=$!
		sleep 8
		probe 60 "${BENCH_PROBE_RATE:-4}" "$d/probe-latency"
		wait $gen
		res "$t.latency.achieved" "$(achieved "$d/pgbench-latency")"
		res "$t.latency.n" "$(wc -l <"$d/probe-latency")"
		res "$t.latency.timeouts" "$(grep -c timeout "$d/probe-latency")"
		res "$t.latency.p50_s" "$(pct 50 "$d/probe-latency")"
		res "$t.latency.p99_s" "$(pct 99 "$d/probe-latency")"
		res "$t.latency.max_s" "$(pct 100 "$d/probe-latency")"
	fi
	# 5. catch-up after a restart (tools with a slot)
	if has catchup && [ -n "$slot" ]; then
		local cn
		for cn in ${BENCH_CATCHUP:-2000 20000}; do
			catchup "$t" "$cn" || break
		done
	fi
	res "$t.end.load" "$(load)"
	stop_tool
	[ -n "$slot" ] && admin "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1
	if [ "$t" = pgsync ]; then
		(cd "$d" && "$PGSYNC_VENV/bin/bootstrap" --teardown --config schema.json >>"$d/bootstrap.log" 2>&1)
	fi
	return 0
}

# ---- ceilings --------------------------------------------------------------------------------
ceilings() {
	local d=$W/ceil idx src t0 t1 n
	mkdir -p "$d"
	rm -f "$d"/chunk-*
	src=$(curl -s "$OS/_alias/ours_users" | jq -r 'keys[0] // empty')
	if [ -n "$src" ]; then
		# OpenSearch ingest: our users documents posted again as ~5 MiB
		# _bulk bodies into a fresh index (peers/ceiling.py): fresh
		# writes with 2 and 1 clients, then the same documents written
		# over themselves with external_gte versions (updates)
		log "ceiling: OpenSearch ingest and update (documents of $src)"
		python3 "$here/peers/ceiling.py" "$OS" "$src" ingest,update 2,1 --tmp "$d" >"$d/ceiling.json" ||
			log "ceiling: failed items or requests (see the failed counts)"
		local m c k j
		while read -r j; do
			m=$(echo "$j" | jq -r .mode) c=$(echo "$j" | jq -r .clients)
			k=ceil.$m$([ "$c" = 2 ] || echo "$c")
			if [ "$k" = ceil.ingest ]; then
				res ceil.ingest.load "$(echo "$j" | jq -r .load)"
				res ceil.ingest.docs "$(echo "$j" | jq -r .docs)"
				res ceil.ingest.indexed "$(echo "$j" | jq -r .indexed)"
				res ceil.ingest.mb "$(echo "$j" | jq -r .mb)"
			fi
			res "$k.docs_per_s" "$(echo "$j" | jq -r .docs_per_s)"
			[ "$(echo "$j" | jq -r .failed)" = 0 ] || res "$k.failed" "$(echo "$j" | jq -r .failed)"
		done <"$d/ceiling.json"
	else
		res ceil.ingest.error "no_ours_users_index"
	fi
	# pgoutput decode: pg_recvlogical over a fixed churn volume
	log "ceiling: pgoutput decode"
	sql "DROP PUBLICATION IF EXISTS ceil_pub" >/dev/null
	sql "CREATE PUBLICATION ceil_pub FOR TABLE users, profiles, addresses, orders, order_items, products" >/dev/null
	sql "SELECT pg_create_logical_replication_slot('ceil_slot', 'pgoutput')" >/dev/null
	local c0 c1 w0 w1 end
	c0=$(sql "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables WHERE relname IN ('users','profiles','addresses','orders','order_items','products')")
	w0=$(sql "SELECT pg_current_wal_lsn() - '0/0'")
	"$PGBIN/pgbench" -n -f "$here/peers/churn.pgbench" -D ops="$ops" -c 2 -j 2 -t "$((scale >= 50 ? 5000 : 2500))" "$DBURL" >"$d/pgbench-decode" 2>&1
	sleep 1.5
	c1=$(sql "SELECT sum(n_tup_ins + n_tup_upd + n_tup_del) FROM pg_stat_user_tables WHERE relname IN ('users','profiles','addresses','orders','order_items','products')")
	end=$(sql "SELECT pg_current_wal_lsn()")
	w1=$(sql "SELECT '$end'::pg_lsn - '0/0'")
	res ceil.decode.load "$(load)"
	t0=$(date +%s.%N)
	"$PGBIN/pg_recvlogical" -d "$DBURL" --slot ceil_slot --start --endpos "$end" -o proto_version=1 -o publication_names=ceil_pub -f /dev/null
	t1=$(date +%s.%N)
	res ceil.decode.changes "$((c1 - c0))"
	res ceil.decode.wal_mb "$(awk -v a="$w0" -v b="$w1" 'BEGIN{printf "%.1f", (b - a) / 1048576}')"
	res ceil.decode.changes_per_s "$(awk -v a="$t0" -v b="$t1" -v n="$((c1 - c0))" 'BEGIN{printf "%.0f", n / (b - a)}')"
	res ceil.decode.wal_mb_per_s "$(awk -v a="$t0" -v b="$t1" -v x="$w0" -v y="$w1" 'BEGIN{printf "%.1f", (y - x) / 1048576 / (b - a)}')"
	sql "SELECT pg_drop_replication_slot('ceil_slot')" >/dev/null
	sql "DROP PUBLICATION ceil_pub" >/dev/null
	# the document-building SQL alone (psql), and our builder, at the same scale
	log "ceiling: document-building SQL (bench_docs $scale)"
	res ceil.docsql.load "$(load)"
	FLUSSO_SOURCE_DIR=$root "$root/build-bench/tests/bench_docs" "$scale" >"$d/bench_docs.txt" 2>&1
	sed 's/^/  /' "$d/bench_docs.txt" >&2
	res ceil.docsql.docs_per_s "$(awk '/psql floor/{for (i = 1; i <= NF; i++) if ($(i+1) == "docs/s") {print $i; exit}}' "$d/bench_docs.txt")"
	res ceil.docsql.ours_1w_docs_per_s "$(awk '/1 worker/ && /docs\/s/{for (i = 1; i <= NF; i++) if ($(i+1) == "docs/s") {print $i; exit}}' "$d/bench_docs.txt")"
	res ceil.docsql.ours_2w_docs_per_s "$(awk '/2 workers/ && /docs\/s/{for (i = 1; i <= NF; i++) if ($(i+1) == "docs/s") {print $i; exit}}' "$d/bench_docs.txt")"
	admin "DROP DATABASE IF EXISTS flusso_bench_docs_$scale" >/dev/null 2>&1
}

cleanup() {
	[ -n "${pid:-}" ] && stop_tool
	[ -n "${redis_pid:-}" ] && { kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; }
}
trap cleanup EXIT

# ---- warm-up: the first tool must not pay for a cold OpenSearch JVM --------------------------------
# A fresh node JIT-compiles its indexing and search paths during the
# first minute of load; whichever tool ran first measured that (ours,
# by the order below: backfill 1.9x slower, latency p50 2.4x higher
# than on a warm node in the same session). One untimed backfill and
# 20 s of churn with our build, then the usual reset before each tool.
warmup() {
	local d=$W/warmup t0
	[ -n "${BENCH_NO_WARMUP:-}" ] && return 0
	log "== warm-up (untimed)"
	reset_all
	pid= samp=
	t0=$SECONDS
	start_ours
	wait_seeded || { log "warm-up: ours did not seed"; stop_tool; return 1; }
	mkdir -p "$d"
	pgbench_load 500 20 "$d/pgbench-warmup"
	stop_tool
	admin "SELECT pg_drop_replication_slot('$slot')" >/dev/null 2>&1
	res warmup.secs "$((SECONDS - t0))"
}

# ---- the run: ours, then ceilings (on ours' documents), then the peers ---------------------------
if has backfill || has live || has latency || has resources || has catchup; then
	warmup
	[ -n "${BENCH_SKIP_OURS:-}" ] || run_tool ours
	peer base && run_tool base
	has ceilings && [ -z "${BENCH_SKIP_OURS:-}" ] && ceilings
	peer ours4 && run_tool ours4
	peer ref && run_tool ref
	peer pgsync && run_tool pgsync
elif has ceilings; then
	reset_all
	run_tool ours
	ceilings
fi
res finished "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
res version.pgsync "$("$PGSYNC_VENV/bin/pip" show pgsync 2>/dev/null | awk '/^Version/{print $2}')"
python3 "$here/peers/report.py" "$R" >"$out" && log "wrote $out"
