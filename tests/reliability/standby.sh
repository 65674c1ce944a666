#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# standby.sh FLUSSO SRC - hot standby with fencing (issue 18, item 1) on
# the shop example under the churn load, against the real PostgreSQL and
# OpenSearch of tests/services.sh:
#   1. two `flusso run` with the same configuration and slot (different
#      HTTP ports): one active, the other standby (/readyz 503, /status
#      names the active, flusso_role);
#   2. STANDBY_KILLS (5) times kill -9 of whichever is active: takeover
#      time from the kill to the standby's /status phase leaving
#      standby, and to its first confirmed flush (the slot passes the
#      WAL position of the kill); the killed one restarts as standby;
#      after each takeover the load stops and verify reports 0
#      differences;
#   3. SIGSTOP of the active for STANDBY_STOP_SECS (20), lease
#      STANDBY_LEASE (5 s): the standby takes over after the lease; a
#      probe row changed before the stop and again after the takeover
#      keeps its newer value after SIGCONT; the woken one rejoins as
#      standby; verify is clean.
# TAP output. STANDBY_REPORT=FILE appends "key value" lines. The
# acceptance run (share/RELIABILITY.md):
#   STANDBY_KILLS=10 STANDBY_STOP_SECS=60 STANDBY_LEASE=15 bash standby.sh ...
set -u
bin=${1:?usage: standby.sh FLUSSO SRC}
src=${2:?usage: standby.sh FLUSSO SRC}
id=sby_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

kills=${STANDBY_KILLS:-5}
stop_secs=${STANDBY_STOP_SECS:-20}
lease=${STANDBY_LEASE:-5}
report=${STANDBY_REPORT:-/dev/null}
pids=('' '') pub=('' '') priv=('' '')

trap 'sby_cleanup' EXIT
sby_cleanup() {
	local i
	for i in 0 1; do
		[ -n "${pids[$i]}" ] || continue
		kill -CONT "${pids[$i]}" 2>/dev/null
		kill -9 "${pids[$i]}" 2>/dev/null
		wait "${pids[$i]}" 2>/dev/null
	done
	if [ -n "${STANDBY_KEEP_LOGS:-}" ] && [ -n "${tmp:-}" ]; then
		mkdir -p "$STANDBY_KEEP_LOGS" && cp "$tmp"/flusso-*.log "$STANDBY_KEEP_LOGS/"
	fi
	rel_cleanup
}

now_ms() { date +%s%3N; }
st_of() { curl -s --max-time 3 "http://${pub[$1]}/status"; }
field_of() { st_of "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
phase_of() { field_of "$1" phase; }
role_of() { field_of "$1" role; }
is_standby() { [ "$(phase_of "$1")" = standby ]; }
left_standby() { local p; p=$(phase_of "$1"); [ -n "$p" ] && [ "$p" != standby ]; }
is_active() { [ "$(role_of "$1")" = active ]; }
readyz_of() { curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://${pub[$1]}/readyz"; }
metric_of() { curl -s --max-time 3 "http://${pub[$1]}/metrics" | grep -F "flusso_role{role=\"$2\"}" | awk '{print $2}'; }

# start_one I: instance I (its own ports) in the background
start_one() {
	FLUSSO_PUBLIC_ADDRESS=${pub[$1]} FLUSSO_PRIVATE_ADDRESS=${priv[$1]} \
		FLUSSO_FAILOVER_AFTER_SECS=$lease "$bin" run >>"$tmp/flusso-$1.log" 2>&1 &
	pids[$1]=$!
}
kill9_one() {
	kill -9 "${pids[$1]}" 2>/dev/null
	wait "${pids[$1]}" 2>/dev/null
	pids[$1]=''
}
# use_instance I: lib.sh's status/caught_up read instance I
use_instance() {
	FLUSSO_PUBLIC_ADDRESS=${pub[$1]}
	log=$tmp/flusso-$1.log
}
probe_name() {
	curl -s "$DIRECT_OS_URL/${id}_users/_doc/0" | grep -o '"fullName" *: *"[^"]*"' | cut -d'"' -f4
}
probe_is() { [ "$(probe_name)" = "$1" ]; }

rel_setup
for i in 0 1; do
	pub[$i]=127.0.0.1:$(free_port)
	priv[$i]=127.0.0.1:$(free_port)
done
rel_create_db
rel_probe_rows

# ---- 1. one active, one standby ------------------------------------------------
start_one 0
use_instance 0
wait_for 120 "instance 0 live" caught_up 120; ok $? "instance 0 is active and live"
start_one 1
wait_for 30 "instance 1 standby" is_standby 1; ok $? "instance 1 waits as a standby"
[ "$(readyz_of 1)" = 503 ]; ok $? "standby: /readyz 503"
[ "$(readyz_of 0)" = 200 ]; ok $? "active: /readyz 200"
st_of 1 | grep -q "\"active\":{\"host\":\"[^\"]*\",\"pid\":${pids[0]},"
ok $? "standby /status names the active instance (pid ${pids[0]})"
[ "$(metric_of 1 standby)" = 1 ] && [ "$(metric_of 1 active)" = 0 ] &&
	[ "$(metric_of 0 active)" = 1 ]
ok $? "flusso_role: active 1 on the active, standby 1 on the standby"
FLUSSO_PUBLIC_ADDRESS=${pub[1]} FLUSSO_SERVER=${priv[1]} "$bin" status >"$tmp/st1" 2>&1
grep -q '^role standby  active: pid' "$tmp/st1"; ok $? "flusso status shows the standby role"
sed 's/^/#   /' "$tmp/st1"

# ---- 2. kill -9 of the active, KILLS times ------------------------------------
# (churn subshells are never killed right after they start: a subshell
# killed before it resets its traps runs this script's EXIT trap)
takeovers='' flushes='' a=0
for k in $(seq 1 "$kills"); do
	start_churn
	sleep 2
	b=$((1 - a))
	lsn=$(sql "SELECT pg_current_wal_lsn()")
	t_kill=$(now_ms)
	kill9_one "$a"
	t_up='' t_flush=''
	while [ $(($(now_ms) - t_kill)) -lt 60000 ]; do
		if [ -z "$t_up" ] && left_standby "$b"; then t_up=$(now_ms); fi
		if [ -n "$t_up" ] && slot_passed "$lsn"; then t_flush=$(now_ms); break; fi
		sleep 0.1
	done
	up_ms=$((${t_up:-999999} - t_kill)) flush_ms=$((${t_flush:-999999} - t_kill))
	[ -n "$t_flush" ]
	ok $? "kill $k: instance $b took over in $up_ms ms, first confirmed flush after $flush_ms ms"
	takeovers="$takeovers $up_ms" flushes="$flushes $flush_ms"
	start_one "$a"
	use_instance "$b"
	stop_churn
	caught_up 120; ok $? "kill $k: caught up"
	verify; ok $? "kill $k: verify (missing/extra/different: $VERIFY_LAST)"
	wait_for 30 "instance $a standby" is_standby "$a"; ok $? "kill $k: instance $a restarted as a standby"
	a=$b
done
med() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2))}'; }
max() { tr ' ' '\n' | sed '/^$/d' | sort -n | tail -1; }
note "takeover ms (phase leaves standby):$takeovers; median $(echo "$takeovers" | med), max $(echo "$takeovers" | max)"
note "first confirmed flush ms:$flushes; median $(echo "$flushes" | med), max $(echo "$flushes" | max)"
{
	echo "kills $kills"
	echo "takeover_ms_median $(echo "$takeovers" | med)"
	echo "takeover_ms_max $(echo "$takeovers" | max)"
	echo "flush_ms_median $(echo "$flushes" | med)"
	echo "flush_ms_max $(echo "$flushes" | max)"
} >>"$report"
[ "$(echo "$takeovers" | med)" -le 5000 ]; ok $? "median takeover at most 5 s"

# ---- 3. SIGSTOP of the active past the lease ------------------------------------
b=$((1 - a))
start_churn
sql "UPDATE users SET full_name = 'probe-before' WHERE id = 0" >/dev/null
wait_for 30 "probe-before indexed" probe_is probe-before; ok $? "probe written before the stop"
t_stop=$(now_ms)
kill -STOP "${pids[$a]}"
wait_for $((lease + 30)) "instance $b took over" left_standby "$b"
rc=$?; up_ms=$(($(now_ms) - t_stop))
[ $rc = 0 ] && [ "$up_ms" -ge $((lease * 1000)) ]
ok $? "SIGSTOP: instance $b took over after the lease ($up_ms ms, lease $lease s)"
echo "sigstop_takeover_ms $up_ms" >>"$report"
sql "UPDATE users SET full_name = 'probe-after' WHERE id = 0" >/dev/null
wait_for 30 "probe-after indexed" probe_is probe-after; ok $? "probe rewritten by the new active"
left=$((stop_secs * 1000 - ($(now_ms) - t_stop)))
[ $left -gt 0 ] && sleep "$((left / 1000)).$((left % 1000))"
kill -CONT "${pids[$a]}"
note "SIGCONT after $(($(now_ms) - t_stop)) ms"
wait_for 30 "instance $a rejoins as standby" is_standby "$a"; ok $? "the woken instance rejoins as a standby"
grep -q 'lost the lock' "$tmp/flusso-$a.log"; ok $? "the woken instance logged that it lost the lock"
use_instance "$b"
stop_churn
caught_up 120; ok $? "SIGSTOP: caught up"
probe_is probe-after; ok $? "the probe document was not reverted ($(probe_name))"
verify; ok $? "SIGSTOP: verify (missing/extra/different: $VERIFY_LAST)"
is_active "$b"; ok $? "instance $b is still the active one"

echo "1..$n"
[ $fail = 0 ]
