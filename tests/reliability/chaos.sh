#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# chaos.sh FLUSSO SRCDIR - fault injection against flusso run, the real
# PostgreSQL and OpenSearch (tests/services.sh), the shop example, mixed
# load running. Scenarios (CHAOS_SCENARIOS, space separated, default all):
#   kills     kill -9 of flusso at random moments (initial seeding, live
#             load, inside a large transaction, during a backfill or a
#             reindex), each followed by a restart
#   os        kill -9 of the OpenSearch JVM, restart: flusso stays up,
#             shows `waiting`, resumes
#   pg        pg_ctl restart -m fast and -m immediate of the shared
#             cluster, pg_terminate_backend of the walsender: flusso
#             reconnects by itself
#   proxy     flusso reaches both services through tests/reliability/
#             proxy.py: stalled paths (freeze longer than the timeouts)
#             and dropped connections; nothing is confirmed early; a
#             request of a killed flusso delivered after its successor
#             wrote (versions keep the newer document)
#   readonly  index.blocks.read_only_allow_delete on the live generations
#             while load runs: a clear error, recovery when lifted
#   slot      the replication slot dropped while flusso is down:
#             continuity loss detected, indexes re-seeded
# Every step ends with `flusso verify --recheck 10`: 0 missing, 0 extra,
# 0 different for every index. TAP output; exit 1 on any failure.
# Counts: CHAOS_KILLS (5), CHAOS_OS_RESTARTS (2), CHAOS_PG_RESTARTS (1 of
# each mode), CHAOS_FREEZES (1), CHAOS_READONLY (1), CHAOS_SLOT_DROPS
# (1), CHAOS_VERIFY_EVERY (verify after every Nth kill, 1). CHAOS_SEED
# makes the random choices reproducible. CHAOS_REPORT=FILE appends one
# line per scenario: name|count|checks passed/run|clean verifies/run|
# seconds|verify numbers (the first failing, else the last).
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (eval "$(tests/services.sh env)").
set -u
bin=$1 src=$2
bin=$(cd "$(dirname "$bin")" && pwd -P)/$(basename "$bin")
src=$(cd "$src" && pwd -P)
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

KILLS=${CHAOS_KILLS:-5}
OS_RESTARTS=${CHAOS_OS_RESTARTS:-2}
PG_RESTARTS=${CHAOS_PG_RESTARTS:-1}
FREEZES=${CHAOS_FREEZES:-1}
READONLY=${CHAOS_READONLY:-1}
SLOT_DROPS=${CHAOS_SLOT_DROPS:-1}
VERIFY_EVERY=${CHAOS_VERIFY_EVERY:-1}
SCENARIOS=${CHAOS_SCENARIOS:-kills os pg proxy readonly slot}
SEED=${CHAOS_SEED:-$(( $(date +%s) % 32768 ))}
RANDOM=$SEED
echo "# CHAOS_SEED=$SEED CHAOS_SCENARIOS='$SCENARIOS' kills=$KILLS os=$OS_RESTARTS pg=$PG_RESTARTS freezes=$FREEZES readonly=$READONLY slot=$SLOT_DROPS"

id=chaos_$$
rel_setup
trap 'rel_cleanup' EXIT
trap 'exit 130' INT TERM

want() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }
rnd_ms() { # rnd_ms LO HI: a random duration in seconds, to 0.1 s
	local ms=$(($1 + RANDOM % ($2 - $1 + 1)))
	printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

# per-scenario accounting for CHAOS_REPORT
sc_name='' sc_n0=0 sc_f0=0 sc_t0=0 sc_verify='' sc_bad='' sc_nver=0 sc_nclean=0
sc_begin() {
	sc_name=$1 sc_n0=$n sc_f0=$fail sc_t0=$(date +%s) sc_verify='' sc_bad='' sc_nver=0 sc_nclean=0
	echo "# ---- $1"
}
sc_end() { # sc_end COUNT
	local run=$((n - sc_n0)) bad=$((fail - sc_f0))
	echo "# ---- $sc_name: $1 injected, $((run - bad))/$run passed, $(($(date +%s) - sc_t0)) s"
	[ -n "${CHAOS_REPORT:-}" ] &&
		echo "$sc_name|$1|$((run - bad))/$run|$sc_nclean/$sc_nver|$(($(date +%s) - sc_t0))|${sc_verify}" >>"$CHAOS_REPORT"
}
# count verify runs; keep the first failing numbers, else the last ones
sc_verify_note() { # sc_verify_note RC
	sc_nver=$((sc_nver + 1))
	if [ "$1" != 0 ]; then
		[ -n "$sc_bad" ] || sc_verify=$VERIFY_LAST
		sc_bad=1
	else
		sc_nclean=$((sc_nclean + 1))
		[ -n "$sc_bad" ] || sc_verify=$VERIFY_LAST
	fi
}
step_verify() { # step_verify WHAT
	stop_churn
	caught_up 180; ok $? "$1: caught up"
	verify; local rc=$?
	ok $rc "$1: verify ($VERIFY_LAST)"
	sc_verify_note $rc
}
restart_flusso() { # after a crash: start again, wait for /status
	start_flusso
	wait_for 60 "status served" sh -c "curl -s --max-time 2 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q phase"
}

# ---- set up --------------------------------------------------------------------
rel_create_db
# load from the start when the kills are on (the first kill hits the
# initial seeding under load); a churn stopped right after it started can
# take its EXIT trap (rel_cleanup) with it, so not otherwise
if want kills; then start_churn; fi
start_flusso

# ---- kills ----------------------------------------------------------------------
if want kills && [ "$KILLS" -gt 0 ]; then
	sc_begin kills
	# 1: during the initial seeding
	sleep "$(rnd_ms 300 2500)"
	is_phase live; seeded=$?
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	note "kill 1/$KILLS: initial seeding (phase live already: $([ $seeded = 0 ] && echo yes || echo no))"
	restart_flusso
	wait_for 120 "every index live" all_live; ok $? "kill 1: seeding completes after the restart"
	if [ "$VERIFY_EVERY" -le 1 ] || [ "$KILLS" = 1 ]; then step_verify "kill 1 (seeding)"; start_churn; fi
	kinds=(live bigtxn backfill reindex)
	idxs=(users products orders)
	for k in $(seq 2 "$KILLS"); do
		start_churn
		kind=${kinds[RANDOM % 4]} idx=${idxs[RANDOM % 3]}
		case $kind in
		live) sleep "$(rnd_ms 500 3000)" ;;
		bigtxn)
			big_txn $((2000 + RANDOM % 6000))
			wait "$big_pid"
			sleep "$(rnd_ms 0 1500)"
			;;
		backfill)
			"$bin" backfill "$idx" >/dev/null 2>&1 || note "backfill $idx refused"
			sleep "$(rnd_ms 0 1500)"
			;;
		reindex)
			"$bin" reindex "$idx" >/dev/null 2>&1 || note "reindex $idx refused"
			sleep "$(rnd_ms 0 2500)"
			;;
		esac
		case $kind in live | bigtxn) what="kill $k ($kind)" ;; *) what="kill $k ($kind $idx)" ;; esac
		note "$what: phase $(field phase)"
		kill -9 "$pid"; wait "$pid" 2>/dev/null
		restart_flusso
		if [ $((k % VERIFY_EVERY)) = 0 ] || [ "$k" = "$KILLS" ]; then
			step_verify "$what"
		else
			wait_for 120 "every index live" all_live; ok $? "$what: back to live"
		fi
	done
	sc_end "$KILLS"
fi
stop_churn
caught_up 180 || note "not caught up before the next scenario"

# ---- OpenSearch killed --------------------------------------------------------------
if want os && [ "$OS_RESTARTS" -gt 0 ]; then
	sc_begin os
	for k in $(seq 1 "$OS_RESTARTS"); do
		start_churn
		sleep "$(rnd_ms 500 2000)"
		os_kill9; ok $? "os $k: kill -9 of the OpenSearch JVM"
		wait_for 90 "phase waiting" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -q '\"phase\":\"waiting\"'"
		ok $? "os $k: phase waiting (waiting_for $(field waiting_for))"
		sleep "$(rnd_ms 1000 5000)"
		stop_churn
		alive; ok $? "os $k: flusso stays up while OpenSearch is down"
		os_start; ok $? "os $k: OpenSearch restarted with its data"
		alive; ok $? "os $k: flusso still up after OpenSearch returns"
		step_verify "os $k"
	done
	sc_end "$OS_RESTARTS"
fi

# ---- PostgreSQL restarted, walsender terminated -----------------------------------------
if want pg && [ "$PG_RESTARTS" -gt 0 ]; then
	sc_begin pg
	count=0
	for mode in fast immediate; do
		for k in $(seq 1 "$PG_RESTARTS"); do
			count=$((count + 1))
			start_churn
			sleep "$(rnd_ms 500 2000)"
			# a backlog flusso cannot confirm without PostgreSQL: a
			# fast shutdown waits for the walsender, which waits for
			# flusso's confirmation (it used to hang here)
			big_txn $((3000 + RANDOM % 3000)); wait "$big_pid"
			before=$pid old=$(walsender_pid)
			pg_restart "$mode"; ok $? "pg $mode $k: pg_ctl restart -m $mode (with a backlog)"
			stop_churn
			wait_for 120 "a new walsender" walsender_new "$old"; ok $? "pg $mode $k: flusso reconnected by itself"
			alive && [ "$pid" = "$before" ]; ok $? "pg $mode $k: the same flusso process ($pid)"
			step_verify "pg $mode $k"
		done
	done
	for k in $(seq 1 "$PG_RESTARTS"); do
		count=$((count + 1))
		start_churn
		sleep "$(rnd_ms 500 2000)"
		old=$(walsender_pid)
		[ -n "$old" ] && [ "$(sql_admin "SELECT pg_terminate_backend($old)")" = t ]
		ok $? "walsender $k: pg_terminate_backend($old)"
		wait_for 120 "a new walsender" walsender_new "$old"; ok $? "walsender $k: flusso reconnected by itself"
		alive; ok $? "walsender $k: flusso still up"
		step_verify "walsender $k"
	done
	sc_end "$count"
fi

# ---- stalled and broken network paths -------------------------------------------------------
if want proxy && [ "$FREEZES" -gt 0 ]; then
	sc_begin proxy
	os_freeze=${CHAOS_OS_FREEZE_SECS:-20} pg_freeze=${CHAOS_PG_FREEZE_SECS:-20}
	stop_churn
	stop_flusso; ok $? "proxy: flusso stopped cleanly (SIGTERM) to move behind the proxies"
	pgp_port='' pgp_ctl='' osp_port='' osp_ctl=''
	proxy_start pgp "$FLUSSO_TEST_PG_PORT"; ok $? "proxy: PostgreSQL proxy up"
	proxy_start osp "${DIRECT_OS_URL##*:}"; ok $? "proxy: OpenSearch proxy up"
	# the walsender gives up on a silent client after 15 s
	via_pg="postgresql://postgres@127.0.0.1:$pgp_port/$db?options=-c%20wal_sender_timeout%3D15s"
	via_os="http://127.0.0.1:$osp_port"
	start_flusso SHOP_DATABASE_URL="$via_pg" SHOP_OPENSEARCH_URL="$via_os"
	caught_up 120; ok $? "proxy: live through the proxies"
	for k in $(seq 1 "$FREEZES"); do
		# OpenSearch path stalled for longer than timeout_secs
		start_churn
		sleep "$(rnd_ms 500 2000)"
		lines=$(wc -l <"$log")
		proxy_ctl "$osp_ctl" freeze >/dev/null; ok $? "freeze $k: OpenSearch path frozen for $os_freeze s"
		t_end=$(($(date +%s) + os_freeze))
		sleep 3
		l1=$(slot_lsn)
		# timeout_secs (5) x 3 attempts, then the worker waits and retries
		wait_for $((os_freeze - 4)) "phase waiting" is_phase waiting
		ok $? "freeze $k: requests time out, phase waiting (waiting_for $(field waiting_for))"
		retries=$(tail -n +"$lines" "$log" | grep -c 'retrying OpenSearch')
		[ "$retries" -ge 2 ]; ok $? "freeze $k: timed-out requests retried ($retries retries logged)"
		while [ "$(date +%s)" -lt "$t_end" ]; do sleep 0.5; done
		stop_churn
		l2=$(slot_lsn)
		[ -n "$l1" ] && [ "$l1" = "$l2" ]; ok $? "freeze $k: nothing confirmed while OpenSearch is unreachable ($l1 -> $l2)"
		alive; ok $? "freeze $k: flusso stays up"
		proxy_ctl "$osp_ctl" pass >/dev/null; ok $? "freeze $k: OpenSearch path flowing again"
		step_verify "freeze $k (OpenSearch)"

		# PostgreSQL path stalled for longer than wal_sender_timeout
		start_churn
		sleep "$(rnd_ms 500 2000)"
		old=$(walsender_pid) lines=$(wc -l <"$log")
		proxy_ctl "$pgp_ctl" freeze >/dev/null; ok $? "freeze $k: PostgreSQL path frozen for $pg_freeze s"
		sleep 2
		l1=$(slot_lsn)
		sleep $((pg_freeze - 2))
		stop_churn
		l2=$(slot_lsn)
		[ "$l1" = "$l2" ]; ok $? "freeze $k: nothing confirmed while PostgreSQL is unreachable ($l1 -> $l2)"
		alive; ok $? "freeze $k: flusso stays up"
		proxy_ctl "$pgp_ctl" pass >/dev/null; ok $? "freeze $k: PostgreSQL path flowing again"
		wait_for 120 "a new walsender" walsender_new "$old"; ok $? "freeze $k: replication reconnected after the stall"
		step_verify "freeze $k (PostgreSQL)"

		# every connection dropped at once, both paths
		start_churn
		sleep "$(rnd_ms 500 2000)"
		old=$(walsender_pid)
		proxy_ctl "$pgp_ctl" drop >/dev/null && proxy_ctl "$osp_ctl" drop >/dev/null
		ok $? "drop $k: every connection to both services reset"
		wait_for 120 "a new walsender" walsender_new "$old"; ok $? "drop $k: replication reconnected"
		alive; ok $? "drop $k: flusso stays up"
		step_verify "drop $k"
	done
	stop_churn
	# a late write of a killed process: flusso is killed while its bulk
	# request sits in the stalled OpenSearch path; its successor (direct
	# connections) writes the newer document; then the path flows again
	# and delivers the old request. Versions keep the newer document.
	caught_up 120
	osp_idle() { proxy_ctl "$osp_ctl" state | grep -q 'conns=0$'; }
	zid=$(sql "SELECT min(id) FROM users WHERE deleted_at IS NULL")
	proxy_ctl "$osp_ctl" freeze >/dev/null
	sql "UPDATE users SET full_name = 'zombie-old' WHERE id = $zid"
	sleep 2 # built and sent: the request waits in the proxy
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	sql "UPDATE users SET full_name = 'zombie-new' WHERE id = $zid"
	start_flusso
	caught_up 120; ok $? "zombie: the successor caught up (user $zid)"
	zcon=$(proxy_ctl "$osp_ctl" pass)
	wait_for 30 "the late request delivered" osp_idle
	ok $? "zombie: the killed process's request delivered late ($zcon)"
	zdoc=$(curl -s "$DIRECT_OS_URL/${id}_users/_doc/$zid")
	case $zdoc in *zombie-new*) true ;; *) false ;; esac
	ok $? "zombie: the newer document stays (fullName $(echo "$zdoc" | grep -o 'zombie-[a-z]*' | head -1))"
	step_verify "zombie"
	stop_flusso; ok $? "proxy: SIGTERM exits 0"
	start_flusso
	caught_up 120; ok $? "proxy: live again on direct connections"
	sc_end "$((FREEZES * 3 + 1))"
fi

# ---- OpenSearch refuses writes (disk-full-like block) ---------------------------------------
gens() { # the live generations behind the convenience aliases
	local i
	for i in users products orders; do
		curl -s "$DIRECT_OS_URL/_alias/${id}_$i" | grep -o "\"${id}_${i}_[0-9a-f]*_[0-9]*\"" | tr -d '"' | head -1
	done
}
block() { # block true|null: on every live generation
	local g rc=0
	for g in $(gens); do
		curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' "$DIRECT_OS_URL/$g/_settings" \
			-d "{\"index.blocks.read_only_allow_delete\": $1}" || rc=1
	done
	return $rc
}
if want readonly && [ "$READONLY" -gt 0 ]; then
	sc_begin readonly
	for k in $(seq 1 "$READONLY"); do
		start_churn
		sleep "$(rnd_ms 500 2000)"
		lines=$(wc -l <"$log")
		block true; ok $? "readonly $k: read_only_allow_delete on $(gens | tr '\n' ' ')"
		wait_for 60 "the error surfaces" sh -c "tail -n +$lines '$log' | grep -qi 'read.only\|cluster_block\|blocked by'"
		ok $? "readonly $k: a clear error in the log: $(tail -n +"$lines" "$log" | grep -i 'read.only\|cluster_block\|blocked by' | head -1 | cut -c1-200)"
		wait_for 60 "the error in /status" sh -c "curl -s 'http://$FLUSSO_PUBLIC_ADDRESS/status' | grep -qi 'read.only\|cluster_block\|blocked by'"
		ok $? "readonly $k: the error shows in /status (phase $(field phase), waiting_for $(field waiting_for))"
		stop_churn
		sleep 2
		l1=$(slot_lsn)
		sleep 6
		l2=$(slot_lsn)
		[ "$l1" = "$l2" ]; ok $? "readonly $k: nothing confirmed while writes are refused ($l1 -> $l2)"
		alive; ok $? "readonly $k: flusso stays up"
		block null; ok $? "readonly $k: block lifted"
		step_verify "readonly $k"
	done
	sc_end "$READONLY"
fi

# ---- the slot dropped while flusso is down -------------------------------------------------
if want slot && [ "$SLOT_DROPS" -gt 0 ]; then
	sc_begin slot
	for k in $(seq 1 "$SLOT_DROPS"); do
		start_churn
		sleep "$(rnd_ms 500 2000)"
		stop_flusso; ok $? "slot $k: flusso stopped (SIGTERM exits 0)"
		sleep "$(rnd_ms 1000 3000)" # changes nobody will ever stream
		[ "$(sql_admin "SELECT count(*) FROM (SELECT pg_drop_replication_slot('${id}_slot')) x")" = 1 ]
		ok $? "slot $k: slot ${id}_slot dropped"
		lines=$(wc -l <"$log")
		start_flusso
		wait_for 60 "continuity loss reported" sh -c "tail -n +$lines '$log' | grep -qi 'continuity'"
		ok $? "slot $k: continuity loss detected: $(tail -n +"$lines" "$log" | grep -i continuity | head -1 | cut -c1-200)"
		wait_for 180 "every index live" all_live; ok $? "slot $k: indexes re-seeded"
		step_verify "slot $k"
	done
	sc_end "$SLOT_DROPS"
fi

# ---- the end ------------------------------------------------------------------------------
stop_churn
stop_flusso; ok $? "SIGTERM exits 0"
grep -c 'ERROR' "$log" | sed 's/^/# ERROR lines in the flusso log: /'
echo "1..$n"
[ "$fail" = 0 ]
