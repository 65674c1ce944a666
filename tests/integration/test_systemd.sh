#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_systemd.sh FLUSSO SRC - `flusso run` as a systemd service (issue
# 19): share/systemd/flusso.service passes `systemd-analyze verify` (a
# copy whose ExecStart is the built binary) and its offline security
# exposure stays low; then `flusso run` on the shop example under a fake
# NOTIFY_SOCKET (tests/integration/notify_listener.py) with
# WATCHDOG_USEC=2 s: STATUS=starting first, READY=1 only once /readyz
# answers 200 (asked by the listener the moment READY arrives), STATUS
# lines with the phase and the lag, WATCHDOG=1 about every second, and
# STOPPING=1 on SIGTERM with a clean exit. The admin password comes from
# $CREDENTIALS_DIRECTORY/admin-password (LoadCredential=): the admin
# API takes it and refuses another. Then with OpenSearch unreachable:
# READY=1 while waiting for it, WATCHDOG=1 through the backoff. About
# 30 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env) and python3; the unit checks
# are skipped when systemd-analyze is missing.
set -u
bin=${1:?usage: test_systemd.sh FLUSSO SRC}
src=${2:?usage: test_systemd.sh FLUSSO SRC}
id=sysd_$$
REL_SCALE=${REL_SCALE:-1}
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
listener=''
cleanup() {
	[ -n "$listener" ] && kill "$listener" 2>/dev/null
	rel_cleanup
}
trap cleanup EXIT
unit=$src/share/systemd/flusso.service

rel_setup
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# ---- the unit file
if command -v systemd-analyze >/dev/null 2>&1; then
	sed "s#^ExecStart=/usr/bin/flusso #ExecStart=$bin #" "$unit" >"$tmp/flusso.service"
	grep -q "^ExecStart=$bin run -c /etc/flusso/flusso.yml\$" "$tmp/flusso.service"
	ok $? "the unit runs flusso run -c /etc/flusso/flusso.yml"
	systemd-analyze verify --man=no "$tmp/flusso.service" >"$tmp/verify.out" 2>&1
	rc=$?
	[ "$rc" = 0 ] && [ ! -s "$tmp/verify.out" ]
	ok $? "systemd-analyze verify: exit $rc, $(wc -l <"$tmp/verify.out") lines of complaints"
	sed 's/^/#   /' "$tmp/verify.out"
	score=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null |
		sed -n 's/.*Overall exposure level for flusso.service: \([0-9.]*\).*/\1/p')
	[ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'
	ok $? "systemd-analyze security --offline=yes: exposure ${score:-?} (at most 2.0)"
	for k in Type=notify WatchdogSec=30 'ExecReload=/bin/kill -HUP $MAINPID' \
		LoadCredential=admin-password:/etc/flusso/admin-password \
		EnvironmentFile=-/etc/default/flusso DynamicUser=yes; do
		grep -qxF "$k" "$unit" || { note "missing: $k"; missing=1; }
	done
	[ -z "${missing:-}" ]
	ok $? "the unit: Type=notify, watchdog, reload by SIGHUP, credential, /etc/default/flusso, DynamicUser"
else
	echo "ok $((n += 1)) # SKIP systemd-analyze is not installed (apt-get install systemd)"
fi

# ---- the notify protocol
rel_create_db
sock=$tmp/notify.sock nlog=$tmp/notify.log
python3 "$src/tests/integration/notify_listener.py" "$sock" "$nlog" \
	"http://$FLUSSO_PUBLIC_ADDRESS/readyz" &
listener=$!
wait_for 10 "the notify socket" test -S "$sock" || die "no notify socket"
mkdir -p "$tmp/creds"
echo cred-secret >"$tmp/creds/admin-password"
unset FLUSSO_ADMIN_PASSWORD
# the shared node may be restarting for another test (here: READY would
# come while waiting for it, before /readyz says ready)
wait_for 120 "OpenSearch up" os_healthy || die "OpenSearch is down"
start_flusso NOTIFY_SOCKET="$sock" WATCHDOG_USEC=2000000 CREDENTIALS_DIRECTORY="$tmp/creds"
sent() { grep -q "$1" "$nlog"; }
wait_for 90 "READY=1" sent 'READY=1' || die "no READY=1"
caught_up 60 || die "not caught up"
sed 's/^/#   notify: /' "$nlog" | head -12

first=$(head -1 "$nlog")
case $first in *READY=1*) false ;; *STATUS=starting*) true ;; *) false ;; esac
ok $? "the first message is STATUS=starting, without READY ($first)"
ready=$(grep -m1 'READY=1' "$nlog")
echo "$ready" | grep -Eq 'STATUS=(live|backfilling)'
ok $? "READY=1 comes with the phase: ${ready#* }"
[ "$(grep -c 'READY=1' "$nlog")" = 1 ]; ok $? "READY=1 once"
grep -q '^[0-9]* readyz=200$' "$nlog"
ok $? "/readyz answered 200 when READY=1 arrived ($(grep -o 'readyz=[0-9]*' "$nlog"))"
wait_for 10 "STATUS=live" sent 'STATUS=live, lag [0-9.]* [kMG]*B / [0-9.]* s, 3 indexes'
ok $? "STATUS carries the phase, the lag and the indexes: $(grep -o 'STATUS=live[^|]*' "$nlog" | tail -1)"

# WATCHDOG=1 at half of WATCHDOG_USEC while the engine's control thread moves
w0=$(grep -c 'WATCHDOG=1' "$nlog")
sleep 5
w1=$(grep -c 'WATCHDOG=1' "$nlog")
note "WATCHDOG=1: $w0 by then, $w1 five seconds later"
[ $((w1 - w0)) -ge 4 ] && [ $((w1 - w0)) -le 7 ]
ok $? "WATCHDOG=1 about every second ($((w1 - w0)) in 5 s)"
! grep -v 'STATUS=starting' "$nlog" | grep -v READY | grep 'STATUS=live' |
	awk 'NR > 1 && $1 - prev < 1900 { bad = 1 } { prev = $1 } END { exit !bad }'
ok $? "STATUS=live at most every 2 s ($(grep -c 'STATUS=' "$nlog") STATUS messages)"

! grep -q 'has not moved' "$log"
ok $? "no watchdog warning while the engine runs"

# LoadCredential: the admin password from $CREDENTIALS_DIRECTORY
adm="http://$FLUSSO_PRIVATE_ADDRESS"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:cred-secret "$adm/status")
[ "$code" = 200 ]; ok $? "admin API with the credential's password: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:rel-secret "$adm/status")
[ "$code" = 401 ]; ok $? "admin API with another password: $code"
FLUSSO_ADMIN_PASSWORD=cred-secret "$bin" ctl status >"$tmp/ctl.out" 2>&1
ok $? "flusso ctl status with the credential's password"

# STOPPING=1 on SIGTERM, then a clean exit
stop_flusso; rc=$?
ok $rc "SIGTERM: exit $rc"
sleep 0.3
grep -q 'STOPPING=1' "$nlog"
ok $? "STOPPING=1: $(grep -m1 -o 'STOPPING=1[^ ]*' "$nlog")"
! sed -n '/STOPPING=1/,$p' "$nlog" | grep -q 'READY=1'
ok $? "no READY=1 after STOPPING=1"

# without NOTIFY_SOCKET: nothing is sent (and the credential still counts)
lines=$(wc -l <"$nlog")
start_flusso CREDENTIALS_DIRECTORY="$tmp/creds"
wait_for 60 "every index live" all_live
code=$(curl -s -o /dev/null -w '%{http_code}' -u admin:cred-secret "$adm/status")
stop_flusso; rc=$?
[ "$rc" = 0 ] && [ "$code" = 200 ] && [ "$(wc -l <"$nlog")" = "$lines" ]
ok $? "without NOTIFY_SOCKET: no message, admin API $code, exit $rc"

# waiting for a service at start: READY=1 all the same (a node that is
# down at boot does not fail the start), and WATCHDOG=1 goes on while
# the control thread backs off
: >"$nlog"
start_flusso NOTIFY_SOCKET="$sock" WATCHDOG_USEC=2000000 \
	SHOP_OPENSEARCH_URL="http://127.0.0.1:$(free_port)"
wait_for 30 "READY=1" sent 'READY=1'
ready=$(grep -m1 'READY=1' "$nlog")
echo "$ready" | grep -q 'STATUS=waiting for opensearch'
ok $? "waiting for OpenSearch: ${ready#* }"
w0=$(grep -c 'WATCHDOG=1' "$nlog")
sleep 6
w1=$(grep -c 'WATCHDOG=1' "$nlog")
[ $((w1 - w0)) -ge 5 ] && ! grep -q 'has not moved' "$log"
ok $? "WATCHDOG=1 while it waits and backs off ($((w1 - w0)) in 6 s)"
stop_flusso; rc=$?
ok $rc "SIGTERM while waiting: exit $rc"

echo "1..$n"
exit $((fail > 0))
