# SPDX-License-Identifier: GPL-3.0-or-later
# shellcheck shell=bash
# lib.sh - helpers for the reliability scripts (sourced, not run): the
# patterns of tests/integration/test_e2e.sh (TAP, wait loops, churn load,
# caught_up, verify) plus fault helpers: kill -9 of the OpenSearch JVM,
# in-place restarts of the shared PostgreSQL cluster, walsender
# termination, the controllable TCP proxy (proxy.py).
#
# The sourcing script sets: bin (flusso), src (source dir), id (a unique
# name: database, slot, publication and index prefix), and then calls
# rel_setup. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL, FLUSSO_SVC_DIR (tests/services.sh env).

# set by the caller: bin src id
: "${bin:?}" "${src:?}" "${id:=rel_$$}"
n=0 fail=0
t0=$(date +%s)
pid='' churn_pids='' proxy_pids='' big_pid=''
VERIFY_LAST=
failed_lines=''

# ok STATUS DESCRIPTION: one TAP line; failures are repeated at the end
# (rel_cleanup), where a truncated CI log still shows them
ok() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then
		echo "ok $n - $2 [$(($(date +%s) - t0)) s]"
	else
		echo "not ok $n - $2 [$(($(date +%s) - t0)) s]"
		failed_lines="$failed_lines
not ok $n - $2"
		fail=$((fail + 1))
	fi
}
note() { echo "# $*"; }
die() { echo "Bail out! $*"; exit 1; }

rel_check_env() {
	local v
	for v in FLUSSO_TEST_PG_URL FLUSSO_TEST_PG_BIN FLUSSO_TEST_OS_URL FLUSSO_SVC_DIR; do
		[ -n "${!v:-}" ] || die "$v is not set: start the services (tests/services.sh start) and eval \"\$(tests/services.sh env)\""
	done
	PSQL=$FLUSSO_TEST_PG_BIN/psql
	[ -x "$PSQL" ] || PSQL=psql
	PG_CTL=$FLUSSO_TEST_PG_BIN/pg_ctl
	PG_DIR=$FLUSSO_SVC_DIR/pg
	OS_DIR=$FLUSSO_SVC_DIR/os
}

# shellcheck source=tests/lib/free_port.sh
. "$src/tests/lib/free_port.sh"

# rel_setup: environment for flusso, our own copy of the shop deployment
# with short OpenSearch timeouts (so a stalled path times out quickly)
rel_setup() {
	rel_check_env
	db=$id
	base=${FLUSSO_TEST_PG_URL%/*}
	DIRECT_PG_URL=$base/$db
	DIRECT_OS_URL=$FLUSSO_TEST_OS_URL
	export SHOP_DATABASE_URL=$DIRECT_PG_URL
	export SHOP_OPENSEARCH_URL=$DIRECT_OS_URL
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/flusso-rel.XXXXXX")
	log=$tmp/flusso.log
	mkdir -p "$tmp/cfg"
	cp "$src"/share/examples/shop/*.schema.yml "$tmp/cfg/"
	sed -e 's/^\(    refresh_interval: .*\)$/\1\n    timeout_secs: '"${REL_OS_TIMEOUT:-5}"'\n    max_retries: 2/' \
		"$src/share/examples/shop/flusso.yml" >"$tmp/cfg/flusso.yml"
	grep -q timeout_secs "$tmp/cfg/flusso.yml" || die "could not write flusso.yml"
	export FLUSSO_CONFIG=$tmp/cfg/flusso.yml
	export FLUSSO_INDEX_PREFIX=${id}_
	export FLUSSO_SLOT=${id}_slot FLUSSO_PUBLICATION=${id}_pub
	export FLUSSO_ADMIN_PASSWORD=rel-secret FLUSSO_WORKERS=${FLUSSO_WORKERS:-2}
	export FLUSSO_LAG_POLL_SECS=1 FLUSSO_LOG_LEVEL=info
	FLUSSO_PUBLIC_ADDRESS=127.0.0.1:$(free_port)
	FLUSSO_PRIVATE_ADDRESS=127.0.0.1:$(free_port)
	export FLUSSO_PUBLIC_ADDRESS FLUSSO_PRIVATE_ADDRESS
	export FLUSSO_SERVER=$FLUSSO_PRIVATE_ADDRESS
}

sql() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -c "$1"; }
sql_admin() { "$PSQL" -X -q -At "$base/postgres" -c "$1"; }
status() { curl -s --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/status"; }
field() { status | grep -o "\"$1\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }

# rel_failed_summary: the failed checks again, and the end of flusso's log
rel_failed_summary() {
	local lines
	lines=$(printf '%s\n' "$failed_lines" | sed '/^$/d')
	[ -n "$lines" ] || return 0
	echo "# ---- failed checks ----"
	printf '%s\n' "$lines" | sed 's/^/# /'
	if [ -n "${log:-}" ] && [ -s "$log" ]; then
		echo "# ---- the last 40 lines of flusso's log ----"
		tail -40 "$log" | sed 's/^/#   /'
	fi
}

rel_cleanup() {
	rel_failed_summary
	stop_churn
	stop_flusso_hard
	local p
	for p in $proxy_pids; do kill "$p" 2>/dev/null; done
	proxy_pids=
	# leave the shared services running for the other tests
	if [ -n "${tmp:-}" ] && ! os_healthy >/dev/null 2>&1; then
		os_start || echo "# could not restart OpenSearch: see $OS_DIR/os.log"
	fi
	if [ -n "${db:-}" ]; then
		sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
		sql_admin "SELECT pg_drop_replication_slot('${id}_slot')" >/dev/null 2>&1
		sql_admin "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
		curl -s -X DELETE "$DIRECT_OS_URL/${id}_*?expand_wildcards=all" >/dev/null 2>&1
	fi
	if [ -n "${tmp:-}" ]; then
		if [ -n "${REL_KEEP_LOG:-}" ]; then
			cp "$log" "$REL_KEEP_LOG" 2>/dev/null
		fi
		rm -rf "$tmp"
	fi
}

# wait_for SECS DESCRIPTION CMD...: poll until CMD succeeds
wait_for() {
	local secs=$1 what=$2 t=0
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		sleep 0.5; t=$((t + 1))
		if [ $t -ge $((secs * 2)) ]; then
			note "timed out waiting for: $what"
			tail -20 "$log" | sed 's/^/#   /'
			status | head -c 2000 | sed 's/^/#   status: /'; echo
			return 1
		fi
	done
}
is_phase() { [ "$(field phase)" = "$1" ]; }
alive() { [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
slot_lsn() { sql "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '${id}_slot'"; }
slot_passed() { [ "$(sql "SELECT confirmed_flush_lsn >= '$1' FROM pg_replication_slots WHERE slot_name = '${id}_slot'")" = t ]; }
lsn_le() { [ "$(sql "SELECT '$1'::pg_lsn <= '$2'::pg_lsn")" = t ]; }
index_live() { status | grep -q "\"$1\":{\"state\":\"live\""; }
all_live() { index_live users && index_live products && index_live orders; }
# caught_up SECS: everything committed so far is flushed and confirmed,
# and the pipeline (every index) is live again
caught_up() {
	local target
	target=$(sql "SELECT pg_current_wal_lsn()") || return 1
	wait_for "$1" "slot confirmed past $target" slot_passed "$target" &&
		wait_for "$1" "phase live" is_phase live &&
		wait_for "$1" "every index live" all_live
}

# start_flusso [VAR=VALUE...]: flusso run in the background (extra env)
start_flusso() {
	env "$@" "$bin" run >>"$log" 2>&1 &
	pid=$!
}
stop_flusso_hard() {
	[ -n "$pid" ] || return 0
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	pid=
}
stop_flusso() { # graceful; 0 when it exited 0
	local rc
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"; rc=$?
	pid=
	return $rc
}

churn_loop() { # churn_loop SEED: commits until killed
	local i=$1
	while :; do
		"$PSQL" -X -q "$DIRECT_PG_URL" -c "SELECT shop_churn($((1 + RANDOM % 30)), $i)" >/dev/null 2>&1 || sleep 0.2
		sleep "${REL_CHURN_PAUSE:-0.1}"
		i=$((i + 7))
	done
}
start_churn() {
	[ -z "$churn_pids" ] || return 0
	churn_loop $((RANDOM % 1000)) & churn_pids=$!
	churn_loop $((RANDOM % 1000)) & churn_pids="$churn_pids $!"
}
stop_churn() {
	[ -n "$churn_pids" ] || return 0
	# shellcheck disable=SC2086
	kill $churn_pids 2>/dev/null
	# shellcheck disable=SC2086
	wait $churn_pids 2>/dev/null
	churn_pids=
}
# big_txn OPS: one large transaction (OPS random changes), in the background
big_txn() {
	"$PSQL" -X -q "$DIRECT_PG_URL" -c "SELECT shop_churn($1, $((RANDOM % 1000)))" >/dev/null 2>&1 &
	# shellcheck disable=SC2034 # read by the caller
	big_pid=$!
}

# verify: flusso verify --recheck 10 against the direct URLs; keeps the
# summary lines in VERIFY_LAST ("users: 0/0/0 ..."), 0 when clean
verify() {
	local rc
	SHOP_DATABASE_URL=$DIRECT_PG_URL SHOP_OPENSEARCH_URL=$DIRECT_OS_URL \
		"$bin" verify --recheck 10 >"$tmp/verify" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/verify"
	VERIFY_LAST=$(grep -o '^[a-z_]*: [0-9]* rows, [0-9]* documents stored: [0-9]* missing, [0-9]* extra, [0-9]* different' "$tmp/verify" |
		sed 's/^\([a-z_]*\): \([0-9]*\) rows, [0-9]* documents stored: \([0-9]*\) missing, \([0-9]*\) extra, \([0-9]*\) different/\1: \2 rows, \3\/\4\/\5/' | tr '\n' ';' | sed 's/;/; /g; s/; $//')
	# a clean run names every index with 0 missing, 0 extra, 0 different
	[ "$rc" = 0 ] && [ "$(grep -c ': 0 missing, 0 extra, 0 different' "$tmp/verify")" = 3 ]
}
# quiesce_verify WHAT: stop the load, wait until caught up, verify
quiesce_verify() {
	stop_churn
	caught_up 180; ok $? "$1: caught up"
	verify; ok $? "$1: verify (missing/extra/different: $VERIFY_LAST)"
}

# ---- OpenSearch ------------------------------------------------------------
os_pid() { cat "$OS_DIR/os.pid" 2>/dev/null; }
os_kill9() { # kill -9 of the JVM, waits until it is gone
	local p
	p=$(os_pid)
	[ -n "$p" ] || return 1
	tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "EmbeddedOpenSearch $OS_DIR/home " || return 1
	kill -9 "$p" || return 1
	while kill -0 "$p" 2>/dev/null; do sleep 0.2; done
}
os_start() { OS_START_TIMEOUT=${OS_START_TIMEOUT:-300} OS_KEEP_DATA=1 "$src/tests/opensearch/start.sh" "$OS_DIR" >>"$tmp/os-start.log" 2>&1; }
os_healthy() { curl -fsS -o /dev/null --max-time 5 "$DIRECT_OS_URL/_cluster/health?wait_for_status=yellow&timeout=1s"; }

# ---- PostgreSQL --------------------------------------------------------------
pg_as_user() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u "$(cat "$PG_DIR/user" 2>/dev/null || echo postgres)" -- "$@"
	else
		"$@"
	fi
}
# pg_restart MODE: restart the shared cluster in place (same data dir,
# port, settings), record the new postmaster pid for tests/services.sh
pg_restart() {
	local rc=0
	pg_as_user "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -m "$1" -w -t 120 -s restart >>"$tmp/pg-restart.log" 2>&1 || rc=1
	if [ $rc != 0 ]; then # leave a working cluster for the other tests
		note "pg_ctl restart -m $1 failed; restarting -m immediate"
		pg_as_user "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -m immediate -w -t 120 -s restart >>"$tmp/pg-restart.log" 2>&1
	fi
	head -n 1 "$PG_DIR/data/postmaster.pid" >"$PG_DIR/pid.tmp" && mv -f "$PG_DIR/pid.tmp" "$PG_DIR/pid"
	wait_for 60 "PostgreSQL accepts connections" sql "SELECT 1" && return $rc
}
walsender_pid() { sql "SELECT active_pid FROM pg_replication_slots WHERE slot_name = '${id}_slot' AND active"; }
walsender_new() { local p; p=$(walsender_pid) && [ -n "$p" ] && [ "$p" != "$1" ]; }

# ---- the proxy -----------------------------------------------------------------
# proxy_start NAME TARGET_PORT: sets NAME_port and NAME_ctl
proxy_start() {
	local lp cp
	lp=$(free_port) cp=$(free_port)
	python3 "$src/tests/reliability/proxy.py" --listen "$lp" --target "127.0.0.1:$2" \
		--control "$cp" >>"$tmp/proxy-$1.log" 2>&1 &
	proxy_pids="$proxy_pids $!"
	printf -v "${1}_port" %s "$lp"
	printf -v "${1}_ctl" %s "$cp"
	wait_for 20 "proxy $1" proxy_ctl "$cp" state
}
# proxy_ctl CONTROL_PORT pass|freeze|drop|state
proxy_ctl() {
	local reply
	exec 7<>"/dev/tcp/127.0.0.1/$1" || return 1
	echo "$2" >&7
	read -r reply <&7
	exec 7>&-
	echo "$reply"
	case $reply in ok*) return 0 ;; *) return 1 ;; esac
}

# ---- database -------------------------------------------------------------------
# rel_probe_rows: id 0 in users, orders and products, rows the churn load
# never touches (it picks ids from 1): latency and freshness probes
rel_probe_rows() {
	sql "INSERT INTO users (id, email, full_name) VALUES (0, 'probe@example.org', 'probe');
	     INSERT INTO orders (id, user_id, status, placed_at, total) VALUES (0, 0, 'pending', now(), 0);
	     INSERT INTO products (id, sku, name, price) VALUES (0, 'probe-0', 'probe', 1)" >/dev/null ||
		die "probe rows"
}

rel_create_db() {
	"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || die "cannot create database"
	"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$src/share/examples/shop/schema.sql" >/dev/null || die "schema"
	"$PSQL" -X -q -v ON_ERROR_STOP=1 -v scale="${REL_SCALE:-2}" "$DIRECT_PG_URL" -f "$src/share/examples/shop/seed.sql" >/dev/null || die "seed"
	"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$src/tests/integration/churn.sql" >/dev/null || die "churn"
}
