#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_trace.sh FLUSSO SRC - trace records follow one change (issue 17):
# `flusso run --log-level trace --log-filter index=orders` on the shop
# example; one order updated; the log holds, for that change, the
# stages received (with its key), resolved (to the order's id), batched,
# the bulk item result, durable and confirmed, all carrying its commit
# LSN or its id, and no trace record about another index. Then the
# level is changed live (`ctl loglevel`): at info an update leaves no
# trace record, back at trace the next one does. A bad --log-filter is a
# usage error (exit 2). Short: about 20 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_trace.sh FLUSSO SRC}
src=${2:?usage: test_trace.sh FLUSSO SRC}
id=trace_$$
REL_SCALE=${REL_SCALE:-1}
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap rel_cleanup EXIT

# traced STAGE REGEX: a TRACE record of that stage matching REGEX
traced() { grep -E " TRACE +[a-z]+: $1 " "$log" | grep -qE "$2"; }
# updated ID TOKEN: the order's document has the coupon code TOKEN
updated() {
	curl -s -H 'Content-Type: application/json' "$DIRECT_OS_URL/${id}_orders/_count" \
		-d "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"_id\":\"$1\"}},{\"term\":{\"couponCode\":\"$2\"}}]}}}" |
		grep -q '"count":1'
}
ctl() { "$bin" ctl "$@" >"$tmp/ctl.out" 2>&1; }

rel_setup
"$bin" run --log-filter idx=orders >"$tmp/bad.out" 2>&1
rc=$?
[ "$rc" = 2 ] && grep -q "invalid value for --log-filter: 'idx=orders': unknown kind 'idx'" "$tmp/bad.out"
ok $? "a bad --log-filter is a usage error (exit $rc): $(head -1 "$tmp/bad.out")"

rel_create_db
"$bin" run --log-level trace --log-filter index=orders >>"$log" 2>&1 &
pid=$!
wait_for 120 "every index live" all_live || die "flusso did not start"
caught_up 60 || die "not caught up"

# one order updated: its five stages, joined by its LSN and its id
oid=$(sql "SELECT id FROM orders ORDER BY id LIMIT 1")
tok=tr$(tr -dc a-z </dev/urandom | head -c 8)
sql "UPDATE orders SET coupon_code = '$tok' WHERE id = $oid" >/dev/null
wait_for 30 "order $oid updated in OpenSearch" updated "$oid" "$tok"
caught_up 30
wait_for 15 "received" traced received "table=public\.orders op=update key=$oid( |$)"
ok $? "received: table, op and key"
lsn=$(grep -E " TRACE +capture: received .*table=public\.orders op=update key=$oid( |$)" "$log" |
	tail -1 | grep -o 'lsn=[0-9A-F]*/[0-9A-F]*' | cut -d= -f2)
note "order $oid, commit lsn $lsn"
[ -n "$lsn" ]; ok $? "received carries the commit LSN"
traced resolved "lsn=$lsn .*key=$oid .*index=orders id=$oid\$"
ok $? "resolved: lsn=$lsn index=orders id=$oid"
traced batched "index=orders batch=w[0-9]+\.[0-9]+ ids=[0-9]+ lsn=([^ ]*,)?$lsn(,[^ ]*)? .*id=([^ ]*,)?$oid(,|\$)"
ok $? "batched: index, batch, number of ids, commit position"
traced item "index=orders id=$oid .*status=200 result=updated version=[0-9]+"
ok $? "item: the bulk item's status, result and version"
traced durable "lsn=$lsn .*key=$oid"
ok $? "durable: every document of the change flushed"
wait_for 15 "confirmed" traced confirmed "lsn=$lsn xid=[0-9]+ flush=[0-9A-F]+/[0-9A-F]+ tables=public\.orders"
ok $? "confirmed: the flush position sent to PostgreSQL"
! grep -E " TRACE " "$log" | grep -qE "index=(users|products)( |$)"
ok $? "no trace record about another index ($(grep -c ' TRACE ' "$log") trace records)"
! grep -E " TRACE +[a-z]+: (received|confirmed) " "$log" | grep -qE "table=public\.(products|addresses|profiles) "
ok $? "no trace record about a table the orders index does not read"

# the level changed live: off at info, back at trace
ctl loglevel info; ok $? "ctl loglevel info"
oid2=$(sql "SELECT id FROM orders ORDER BY id OFFSET 1 LIMIT 1")
sql "UPDATE orders SET coupon_code = '${tok}b' WHERE id = $oid2" >/dev/null
wait_for 30 "order $oid2 updated" updated "$oid2" "${tok}b"
caught_up 30
! traced received "key=$oid2( |$)"
ok $? "at info: no trace record"
ctl loglevel trace; ok $? "ctl loglevel trace"
oid3=$(sql "SELECT id FROM orders ORDER BY id OFFSET 2 LIMIT 1")
sql "UPDATE orders SET coupon_code = '${tok}c' WHERE id = $oid3" >/dev/null
wait_for 30 "order $oid3 updated" updated "$oid3" "${tok}c"
wait_for 15 "traced again" traced item "index=orders id=$oid3 "
ok $? "back at trace: the change is traced again"
traced received "key=$oid3( |$)"
ok $? "back at trace: received"

stop_flusso; ok $? "graceful stop"
echo "1..$n"
exit $((fail > 0))
