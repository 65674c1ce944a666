#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# ddl.sh FLUSSO SRC - schema changes while running (issue 21), on the
# shop example's three indexes with the churn load running, against the
# real PostgreSQL and OpenSearch of tests/services.sh:
#   1. benign DDL is invisible: ADD COLUMN, a new index and constraint,
#      DDL on a table no index reads, widening (int4 -> int8 under an
#      `integer` field, varchar(n) -> text, numeric(p,s) -> numeric), a
#      replica identity that still covers the foreign key; every index
#      stays live, the slot catches up, verify finds 0 differences;
#   2. DDL inside a transaction with row changes before and after it
#      (orders moved between users around ADD and DROP COLUMN): 0
#      differences;
#   3. breaking DDL holds only the indexes it breaks (state drift, with
#      the schema file:line:col in the reason), the others stay fresh
#      (a new value is searchable within 60 s), the daemon stays up and
#      /readyz says 200; `retry` is refused while the database differs;
#      recovery (the DDL reverted) and `retry` rebuild the index, and
#      verify finds 0 differences:
#        a used column renamed (addresses.city: users only), and a kill
#          -9 and restart while in drift;
#        a used column dropped and added back (its values are gone);
#        a used table renamed (addresses);
#        an `integer` field's column retyped to text (order_items
#          .quantity: users and orders);
#        an identity that no longer covers a foreign key (addresses);
#      and `flusso check` reports the drift with the schema position;
#      a column dropped and added back (values changed, no row change)
#      rebuilds the indexes that read it;
#   4. reload: a broken file is refused as a whole (file:line:col) and
#      the running configuration stays; an unchanged file changes
#      nothing; a changed schema (adopting the column added in 1) gets a
#      new generation, a new index is seeded, a removed one is no longer
#      synced (its documents stay), an unchanged one keeps its
#      generation and counters, and a setting that cannot change live
#      is named; verify finds 0 differences.
# TAP output.
set -u
bin=${1:?usage: ddl.sh FLUSSO SRC}
src=${2:?usage: ddl.sh FLUSSO SRC}
id=ddl_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap rel_cleanup EXIT

ix_state() { # ix_state INDEX: its state in /status
	status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"][sys.argv[1]]["state"])' "$1" 2>/dev/null
}
ix_reason() {
	status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"][sys.argv[1]].get("hold_reason") or "")' "$1" 2>/dev/null
}
is_state() { [ "$(ix_state "$1")" = "$2" ]; }
ctl() { "$bin" ctl "$@" >"$tmp/ctl.out" 2>&1; }
readyz() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/readyz")" = 200 ]; }
restart() {
	start_flusso
	wait_for 120 "status answers" status
}
# doc_match INDEX ID FIELD QUERY TOKEN: the document has the token
doc_match() {
	curl -s -H 'Content-Type: application/json' "$DIRECT_OS_URL/${id}_$1/_count" \
		-d "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"_id\":\"$2\"}},{\"$4\":{\"$3\":\"$5\"}}]}}}" |
		grep -q '"count":1'
}
# fresh INDEX TABLE COLUMN FIELD QUERY ID: a new value is searchable in 60 s
# (the load keeps the engine a few seconds behind on 2 cores)
fresh() {
	local tok
	tok=fr$(tr -dc a-z </dev/urandom | head -c 10)
	sql "UPDATE $2 SET $3 = '$tok' WHERE id = $6" >/dev/null || return 1
	wait_for 60 "$1/$6 searchable with $tok" doc_match "$1" "$6" "$4" "$5" "$tok"
}
products_fresh() { fresh products products name name match 0; }
orders_fresh() { fresh orders orders coupon_code couponCode term 0; }
# only_drift "users orders": those in drift, every other index live
ixs="users orders products"
only_drift() {
	local ix want
	for ix in $ixs; do
		case " $1 " in *" $ix "*) want=drift ;; *) want=live ;; esac
		is_state "$ix" "$want" || return 1
	done
}
all_live_now() { only_drift ""; }
all_live() { all_live_now; } # lib.sh's caught_up: the indexes configured now
# breaking NAME "INDEXES" BREAK FIX [KILL]: one breaking change and its recovery
breaking() {
	local name=$1 held=$2 brk=$3 fix=$4 ix
	sql "$brk" >/dev/null
	ok $? "$name: $brk"
	wait_for 60 "$name: drift of $held" only_drift "$held"
	ok $? "$name: $held in drift, the others live"
	for ix in $held; do
		note "$name: $ix: $(ix_reason "$ix")"
		ix_reason "$ix" | grep -q '\.schema\.yml:[0-9]*:[0-9]*: '
		ok $? "$name: $ix's reason names the schema file:line:col"
	done
	case " $held " in *" orders "*) ;; *) orders_fresh; ok $? "$name: orders stays fresh" ;; esac
	products_fresh
	ok $? "$name: products stays fresh"
	alive && readyz
	ok $? "$name: the daemon runs, /readyz 200"
	if [ -n "${5:-}" ]; then
		stop_flusso_hard
		restart
		wait_for 60 "$name: drift after restart" only_drift "$held"
		ok $? "$name: kill -9 and restart: $held still in drift, the others live"
		products_fresh
		ok $? "$name: products fresh after the restart"
	fi
	"$bin" check >"$tmp/check.out" 2>&1
	grep -q '\.schema\.yml:[0-9]*:[0-9]*: .*error' "$tmp/check.out" ||
		grep -qi 'error.*\.schema\.yml:[0-9]*:[0-9]*' "$tmp/check.out"
	ok $? "$name: flusso check reports it at the schema position"
	set -- $held
	ctl retry "$1"
	grep -q "still differs" "$tmp/ctl.out"
	ok $? "$name: retry $1 refused while the database differs"
	sql "$fix" >/dev/null
	ok $? "$name: $fix"
	for ix in $held; do
		ctl retry "$ix"
		ok $? "$name: retry $ix ($(head -c 200 "$tmp/ctl.out"))"
	done
	wait_for 180 "$name: every index live" all_live_now
	ok $? "$name: every index live again"
}

# ---- setup ------------------------------------------------------------------------
rel_setup
rel_create_db
rel_probe_rows
restart
wait_for 300 "seeded and live" all_live
ok $? "seeded: every index live"
start_churn

# ---- 1. benign DDL ----------------------------------------------------------------
lag0=$(field slot_lag_bytes)
for q in "ALTER TABLE users ADD COLUMN nickname text" \
	"CREATE INDEX users_email_idx ON users (email)" \
	"ALTER TABLE users ADD CONSTRAINT users_email_set CHECK (email <> '')" \
	"CREATE TABLE audit_note (id bigint PRIMARY KEY, note text); ALTER TABLE audit_note ADD COLUMN at timestamptz" \
	"ALTER TABLE addresses ALTER COLUMN postcode TYPE varchar(20)" \
	"ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint" \
	"ALTER TABLE products ALTER COLUMN sku TYPE varchar(64)" \
	"ALTER TABLE products ALTER COLUMN sku TYPE text" \
	"ALTER TABLE products ALTER COLUMN price TYPE numeric" \
	"CREATE UNIQUE INDEX addresses_id_user ON addresses (id, user_id); ALTER TABLE addresses REPLICA IDENTITY USING INDEX addresses_id_user"; do
	sql "$q" >/dev/null
	ok $? "benign: $q"
	sleep 2
done
sleep 5
alive && all_live_now
ok $? "benign: every index stays live"
grep -q 'drift' "$log" && note "$(grep drift "$log" | head -3)"
! grep -q 'in drift' "$log"
ok $? "benign: nothing went to drift"
products_fresh && orders_fresh
ok $? "benign: products and orders fresh"
note "slot lag before: $lag0 bytes, after: $(field slot_lag_bytes) bytes"

# ---- 2. DDL inside a transaction ----------------------------------------------------
sql "BEGIN;
     UPDATE orders SET user_id = 3 WHERE id = 1;
     ALTER TABLE orders ADD COLUMN mid_note text;
     UPDATE orders SET mid_note = 'n', user_id = 4 WHERE id = 2;
     UPDATE users SET full_name = 'mid ' || id WHERE id IN (5, 6);
     ALTER TABLE orders DROP COLUMN mid_note;
     UPDATE orders SET user_id = 5 WHERE id = 3;
     COMMIT" >/dev/null
ok $? "mid-transaction: rows changed before, between and after ADD and DROP COLUMN"
wait_for 30 "live" all_live_now
ok $? "mid-transaction: every index stays live"
stop_churn
caught_up 180
ok $? "benign and mid-transaction: caught up"
verify
ok $? "benign and mid-transaction: verify (missing/extra/different: $VERIFY_LAST)"
start_churn

# ---- 3. breaking DDL, one at a time ---------------------------------------------------
breaking rename users \
	"ALTER TABLE addresses RENAME COLUMN city TO town" \
	"ALTER TABLE addresses RENAME COLUMN town TO city" kill
breaking drop users \
	"ALTER TABLE profiles DROP COLUMN avatar_url" \
	"ALTER TABLE profiles ADD COLUMN avatar_url text"
breaking "table rename" users \
	"ALTER TABLE addresses RENAME TO addrs" \
	"ALTER TABLE addrs RENAME TO addresses"
breaking retype "orders users" \
	"ALTER TABLE order_items ALTER COLUMN quantity TYPE text" \
	"ALTER TABLE order_items ALTER COLUMN quantity TYPE integer USING quantity::integer"
breaking identity users \
	"ALTER TABLE addresses REPLICA IDENTITY DEFAULT; UPDATE addresses SET kind = kind WHERE id = 1" \
	"ALTER TABLE addresses REPLICA IDENTITY FULL"

# a column dropped and added back in one go: the check passes, but its
# values are new without a row change: the indexes reading it rebuild
users_gen=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"]["users"]["serving_generation"])')
sql "ALTER TABLE profiles DROP COLUMN bio; ALTER TABLE profiles ADD COLUMN bio text;
     UPDATE profiles SET birthday = birthday WHERE user_id = 1" >/dev/null
ok $? "rewrite: profiles.bio dropped and added back"
gen_moved() { [ "$(status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"]["users"]["serving_generation"])')" -gt "$users_gen" ]; }
wait_for 120 "users rebuilt" gen_moved && wait_for 120 "every index live" all_live_now
ok $? "rewrite: users rebuilt into a new generation (was $users_gen), never in drift"
grep -q 'column bio was dropped and added back' "$log"
ok $? "rewrite: the log says which column"

# ---- 4. reload --------------------------------------------------------------------
ix_field() { # ix_field INDEX FIELD
	status | python3 -c 'import json,sys; print(json.load(sys.stdin)["index_details"].get(sys.argv[1], {}).get(sys.argv[2], ""))' "$1" "$2" 2>/dev/null
}
reload() { "$bin" reload >"$tmp/reload.out" 2>&1; }
cfg=$tmp/cfg
cp "$cfg/flusso.yml" "$tmp/flusso.yml.good"
printf '  - name: [broken\n' >>"$cfg/flusso.yml"
reload
rc=$?
note "$(head -c 300 "$tmp/reload.out")"
[ $rc != 0 ] && grep -q 'flusso.yml:[0-9]*:[0-9]*' "$tmp/reload.out"
ok $? "reload: a broken file is refused as a whole, with file:line:col"
alive && all_live_now && products_fresh
ok $? "reload: the running configuration stays (every index live, products fresh)"
cp "$tmp/flusso.yml.good" "$cfg/flusso.yml"
reload && grep -q 'nothing to change' "$tmp/reload.out"
ok $? "reload: an unchanged file changes nothing ($(head -c 120 "$tmp/reload.out"))"
orders_gen=$(ix_field orders serving_generation)
orders_built=$(ix_field orders documents_built)
users_hash=$(ix_field users hash)
# adopt the column added earlier, add an index, remove one, and change
# a setting that needs a restart (the source, now a literal URL)
printf '  - keyword: nickname\n    required: false\n' >>"$cfg/users.schema.yml"
cat >"$cfg/categories.schema.yml" <<'EOF2'
version: 1
table: categories
primary_key: id
fields:
  - integer: id
    required: true
  - keyword: slug
    required: true
  - text: name
    required: true
EOF2
python3 - "$cfg/flusso.yml" "$DIRECT_PG_URL" <<'EOF2'
import re, sys
p, url = sys.argv[1], sys.argv[2]
s = open(p).read()
s = re.sub(r"  - name: products\n(    .*\n)*", "  - name: categories\n    schema: categories.schema.yml\n    enabled: true\n", s)
s = s.replace("connection_url: {env: SHOP_DATABASE_URL}", "connection_url: \"%s\"" % url)
open(p, "w").write(s)
EOF2
reload
ok $? "reload: a changed schema, a new index, a removed one ($(head -c 400 "$tmp/reload.out"))"
grep -q 'users changed' "$tmp/reload.out" && grep -q 'categories added' "$tmp/reload.out" &&
	grep -q 'products removed' "$tmp/reload.out"
ok $? "reload: the answer names each index change"
grep -q 'needs a restart to apply: source' "$tmp/reload.out"
ok $? "reload: the setting that cannot change live is named"
ixs="users orders categories"
wait_for 180 "reload: users, orders, categories live" all_live_now
ok $? "reload: every index live, the new one seeded"
[ "$(ix_field users hash)" != "$users_hash" ] && [ -n "$(ix_field users hash)" ]
ok $? "reload: users has a new hash ($users_hash -> $(ix_field users hash))"
ix_field users superseded | grep -q "users_$users_hash"
ok $? "reload: the old hash alias is recorded as superseded ($(ix_field users superseded))"
fresh users users nickname nickname term 0
ok $? "reload: users reads the adopted column"
[ "$(ix_field orders serving_generation)" = "$orders_gen" ] &&
	[ "$(ix_field orders documents_built)" -ge "$orders_built" ]
ok $? "reload: orders untouched (generation $orders_gen, its counters kept)"
[ -z "$(ix_field products state)" ] &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' "$DIRECT_OS_URL/${id}_products")" = 200 ]
ok $? "reload: products no longer synced, its documents still in OpenSearch"
n_cat=$(sql "SELECT count(*) FROM categories")
wait_for 30 "categories count" sh -c "curl -s '$DIRECT_OS_URL/${id}_categories/_count' | grep -q '\"count\":$n_cat,'"
ok $? "reload: categories holds its $n_cat rows"
orders_fresh
ok $? "reload: orders fresh"

quiesce_verify "after recovery and reload"

stop_flusso
ok $? "graceful stop"
echo "1..$n"
[ "$fail" = 0 ]
