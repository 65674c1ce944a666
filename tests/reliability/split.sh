#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# split.sh FLUSSO SRC - indexes split over two instances (issue 18,
# item 2), against the real PostgreSQL and OpenSearch of
# tests/services.sh: the shop example with two groups in one flusso.yml
# (orders | users + products), two `flusso run --group` on their own
# ports and slots under a churn load; both reach live, `verify` is clean
# for every index (and with --group), each group's publication lists
# only the tables its indexes read, `check` shows both slots; kill -9 of
# one instance, restart, clean again. TAP output.
set -u
bin=${1:?usage: split.sh FLUSSO SRC}
src=${2:?usage: split.sh FLUSSO SRC}
id=split_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

pid_o='' pid_r=''
trap 'split_cleanup' EXIT
split_cleanup() {
	local p
	for p in $pid_o $pid_r; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	pid_o='' pid_r=''
	if [ -n "${db:-}" ]; then
		sql_admin "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db'" >/dev/null 2>&1
		for p in orders rest; do
			sql_admin "SELECT pg_drop_replication_slot('${id}_slot_$p')" >/dev/null 2>&1
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
log_o=$tmp/orders.log log_r=$tmp/rest.log
pub_o=127.0.0.1:$(free_port) pub_r=127.0.0.1:$(free_port)
priv_o=127.0.0.1:$(free_port) priv_r=127.0.0.1:$(free_port)

start_orders() {
	"$bin" run --group orders --public-address "$pub_o" --private-address "$priv_o" >>"$log_o" 2>&1 &
	pid_o=$!
}
start_rest() {
	FLUSSO_GROUP=rest "$bin" run --public-address "$pub_r" --private-address "$priv_r" >>"$log_r" 2>&1 &
	pid_r=$!
}
st() { curl -s --max-time 5 "http://$1/status"; }
st_field() { st "$1" | grep -o "\"$2\":[^,}]*" | head -1 | cut -d: -f2- | tr -d '"'; }
live_at() { # live_at ADDR INDEX...
	local a=$1 x
	shift
	[ "$(st_field "$a" phase)" = live ] || return 1
	for x in "$@"; do st "$a" | grep -q "\"$x\":{\"state\":\"live\"" || return 1; done
}
slot_at() { [ "$(sql "SELECT confirmed_flush_lsn >= '$2' FROM pg_replication_slots WHERE slot_name = '$1'")" = t ]; }
both_caught_up() {
	local target
	target=$(sql "SELECT pg_current_wal_lsn()") || return 1
	wait_for "$1" "orders slot past $target" slot_at "${id}_slot_orders" "$target" &&
		wait_for "$1" "rest slot past $target" slot_at "${id}_slot_rest" "$target" &&
		wait_for "$1" "orders live" live_at "$pub_o" orders &&
		wait_for "$1" "rest live" live_at "$pub_r" users products
}
pub_tables() { sql "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = '$1'"; }
verify_group() { # verify_group WHAT [ARGS]: clean for the named indexes
	local what=$1 rc want
	shift
	"$bin" verify --recheck 10 "$@" >"$tmp/verify" 2>&1
	rc=$?
	sed 's/^/# /' "$tmp/verify"
	want=$(grep -c ' rows, ' "$tmp/verify")
	[ "$rc" = 0 ] && [ "$want" -ge 1 ] && [ "$(grep -c ': 0 missing, 0 extra, 0 different' "$tmp/verify")" = "$want" ] && {
		[ -z "$what" ] || [ "$want" = "$what" ]
	}
}

# ---- check: both groups, their slots --------------------------------------
"$bin" check >"$tmp/check" 2>&1
grep -q "group      orders: orders (slot ${id}_slot_orders, publication ${id}_pub_orders)" "$tmp/check" &&
	grep -q "group      rest: users, products (slot ${id}_slot_rest, publication ${id}_pub_rest)" "$tmp/check"
ok $? "check shows both groups with their slots"
"$bin" check --group orders --json >"$tmp/check.json" 2>/dev/null
python3 - "$tmp/check.json" "$id" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
sel = d["config"]["selected"]
assert sel["group"] == "orders" and sel["slot"] == sys.argv[2] + "_slot_orders", sel
assert list(d["indexes"]) == ["orders"], list(d["indexes"])
EOF
ok $? "check --group orders --json: one group, its slot"

# ---- two instances under load ------------------------------------------------
start_orders
start_rest
start_churn
wait_for 90 "orders live" live_at "$pub_o" orders; ok $? "instance orders reaches live"
wait_for 90 "rest live" live_at "$pub_r" users products; ok $? "instance rest reaches live"
[ "$(st_field "$pub_o" group)" = orders ] && [ "$(st_field "$pub_r" group)" = rest ] &&
	[ "$(st_field "$pub_o" slot)" = "${id}_slot_orders" ]
ok $? "/status names the group and its slot"
! st "$pub_o" | grep -q '"users":{' && ! st "$pub_r" | grep -q '"orders":{'
ok $? "each instance has only its indexes"
curl -s "http://$pub_r/metrics" | grep -q "^flusso_info{group=\"rest\",slot=\"${id}_slot_rest\""
ok $? "flusso_info carries the group"
"$bin" status --public-address "$pub_o" 2>&1 | grep -q "group orders"
ok $? "flusso status shows the group"
# orders reads orders, users and order_items; rest (users, products)
# reads the catalogue and the users' profiles, addresses and orders
o_tabs=$(pub_tables "${id}_pub_orders") r_tabs=$(pub_tables "${id}_pub_rest")
note "publication ${id}_pub_orders: $o_tabs; ${id}_pub_rest: $r_tabs"
has() { case ",$1," in *,"$2",*) return 0 ;; esac; return 1; }
has "$o_tabs" orders && has "$o_tabs" order_items && ! has "$o_tabs" products &&
	! has "$o_tabs" profiles && ! has "$o_tabs" addresses && ! has "$o_tabs" reviews &&
	has "$r_tabs" products && has "$r_tabs" profiles && has "$r_tabs" product_tags &&
	has "$r_tabs" users && [ "$(pub_tables "${id}_pub")" = "" ]
ok $? "each publication lists only the tables of its indexes"
sleep 5
stop_churn
both_caught_up 120; ok $? "both caught up"
verify_group 3; ok $? "verify: every index clean"
verify_group 1 --group orders; ok $? "verify --group orders clean (one index)"
verify_group 2 --group rest; ok $? "verify --group rest clean (two indexes)"

# ---- kill -9 of one instance, restart --------------------------------------
start_churn
sleep 3
kill -9 "$pid_o"; wait "$pid_o" 2>/dev/null; pid_o=''
sleep 3
live_at "$pub_r" users products; ok $? "rest stays live while orders is down"
start_orders
sleep 3
stop_churn
both_caught_up 120; ok $? "after kill -9 and restart: both caught up"
verify_group 3; ok $? "after restart: verify clean"

# ---- reload keeps the selection; a clean stop ------------------------------
kill -HUP "$pid_r"
sleep 2
wait_for 30 "rest live after reload" live_at "$pub_r" users products &&
	! st "$pub_r" | grep -q '"orders":'
ok $? "reload (SIGHUP): rest keeps its two indexes"
rc=0
for p in $pid_o $pid_r; do kill -TERM "$p"; wait "$p" || rc=1; done
pid_o='' pid_r=''
ok $rc "both stop cleanly (exit 0)"

echo "1..$n"
[ $fail = 0 ]
