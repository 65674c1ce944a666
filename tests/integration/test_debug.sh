#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_debug.sh - the debugging commands against the real PostgreSQL and
# OpenSearch on the shop example (issue 17), with `flusso run` following:
#   inspect: every field of every index changed directly in OpenSearch is
#     named by its exact path (exit 3), and after `repair` exit 0
#     (debug_fields.py);
#   explain: a child row of every relation kind (has_one, has_many,
#     belongs_to, many_to_many through a junction, nested two deep,
#     aggregates, a row that is gone with --old) lists exactly the ids an
#     independently written SQL query expects;
#   sql; the same commands through `flusso ctl`, the admin API (GET
#     /inspect, /explain, /sql, POST /repair) and their refusals.
# usage: test_debug.sh FLUSSO SOURCE_DIR
set -u
bin=$1 src=$2 id=dbg_$$
# shellcheck source=../reliability/lib.sh
. "$src/tests/reliability/lib.sh"
rel_setup
trap rel_cleanup EXIT
export FLUSSO_ADMIN_PASSWORD=rel-secret FLUSSO_SERVER=$FLUSSO_PRIVATE_ADDRESS

REL_SCALE=${DEBUG_SCALE:-5} rel_create_db # ~21,000 documents
start_flusso
caught_up 180; ok $? "seeded and live"

# ---- inspect and repair, every field -----------------------------------
for ix in users products orders; do
	alias=$(curl -s "$DIRECT_OS_URL/_cat/aliases/${id}_${ix}_*?h=alias" | grep -v "^${id}_${ix}$" | head -1)
	python3 "$src/tests/integration/debug_fields.py" "$bin" "$DIRECT_OS_URL" "$alias" "$ix" "$n" >"$tmp/fields" 2>&1
	grep -v '^# next' "$tmp/fields"
	n=$(sed -n 's/^# next //p' "$tmp/fields")
	[ -n "$n" ] || die "debug_fields.py failed for $ix"
	fail=$((fail + $(grep -c '^not ok' "$tmp/fields")))
	failed_lines="$failed_lines
$(grep '^not ok' "$tmp/fields")"
done

# a document whose row is gone: a delete is due
"$bin" inspect users 999999 >"$tmp/out" 2>&1; rc=$?
ok $([ $rc = 0 ] && grep -q 'row: missing' "$tmp/out" && grep -q 'not stored' "$tmp/out"; echo $?) "inspect of an id with no row and no document: exit 0, says missing"
gone=$(sql "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id LIMIT 1")
stop_flusso
sql "UPDATE users SET deleted_at = now() WHERE id = $gone" >/dev/null
"$bin" inspect users "$gone" >"$tmp/out" 2>&1; rc=$?
ok $([ $rc = 3 ] && grep -q 'row: soft-deleted' "$tmp/out" && grep -q 'a delete is due' "$tmp/out"; echo $?) "inspect of a soft-deleted user still stored: exit 3, a delete is due ($rc)"
"$bin" inspect --sink nosuch users "$gone" >/dev/null 2>"$tmp/err"; rc=$?
ok $([ $rc = 1 ] && grep -q 'no OpenSearch sink named nosuch' "$tmp/err"; echo $?) "--sink with an unknown sink: exit 1"
"$bin" inspect users >/dev/null 2>&1
ok $([ $? = 2 ] && echo 0 || echo 1) "inspect without an ID: usage, exit 2"
start_flusso
caught_up 120; ok $? "live again"
# caught_up compares with pg_current_wal_lsn(), the WAL *write* position:
# with asynchronous commit the update may still sit in WAL buffers then
wait_for 30 "the soft delete applied" "$bin" inspect users "$gone"
"$bin" inspect users "$gone" >"$tmp/out" 2>&1; rc=$?
[ $rc = 0 ] || grep -v '^    ' "$tmp/out" | sed 's/^/#   /'
ok $([ $rc = 0 ] && echo 0 || echo 1) "after the daemon applied the soft delete: exit 0 ($rc)"

# ---- explain: every relation kind against independent SQL ----------------
# ids TABLE KEY INDEX [--old ...]: the ids explain lists with a document
ids() {
	local table=$1 key=$2 index=$3
	shift 3
	"$bin" explain --json "$@" "$table" "$key" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted({h["id"] for h in d["documents"] if h["index"] == sys.argv[1] and h["document"]}, key=int)))' "$index"
}
# want SQL: the expected ids, sorted numerically, one line
want() { sql "SELECT coalesce(string_agg(id::text, ' ' ORDER BY id), '') FROM ($1) q"; }
check() { # check WHAT TABLE KEY INDEX SQL [explain options]
	local what=$1 table=$2 key=$3 index=$4 q=$5 got exp
	shift 5
	got=$(ids "$table" "$key" "$index" "$@")
	exp=$(want "$q")
	ok $([ "$got" = "$exp" ] && echo 0 || echo 1) "explain $what: $index ids [$got] = SQL [$exp]"
}
LIVE_USERS="SELECT id FROM users WHERE deleted_at IS NULL"
LISTED="SELECT id FROM products WHERE is_listed"

u=$(sql "SELECT user_id FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.deleted_at IS NULL ORDER BY 1 LIMIT 1")
check "has_one (profiles)" profiles "$u" users "SELECT user_id AS id FROM profiles WHERE user_id = $u AND user_id IN ($LIVE_USERS)"
a=$(sql "SELECT min(id) FROM addresses")
check "has_many (addresses)" addresses "$a" users "SELECT user_id AS id FROM addresses WHERE id = $a AND user_id IN ($LIVE_USERS)"
oi=$(sql "SELECT min(id) FROM order_items")
check "nested two deep (order_items in users.orders.items)" order_items "$oi" users \
	"SELECT o.user_id AS id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.id = $oi AND o.user_id IN ($LIVE_USERS)"
check "has_many + aggregates (order_items in orders)" order_items "$oi" orders "SELECT order_id AS id FROM order_items WHERE id = $oi"
o=$(sql "SELECT min(id) FROM orders WHERE user_id IN ($LIVE_USERS)")
check "aggregates (orders: orderCount, lifetimeSpend, lastOrderAt)" orders "$o" users "SELECT user_id AS id FROM orders WHERE id = $o AND user_id IN ($LIVE_USERS)"
check "root row (orders)" orders "$o" orders "SELECT $o AS id"
uo=$(sql "SELECT user_id FROM orders WHERE id = $o")
check "belongs_to (users in orders.customer)" users "$uo" orders "SELECT id FROM orders WHERE user_id = $uo"
p=$(sql "SELECT i.product_id FROM order_items i JOIN products p ON p.id = i.product_id GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
check "belongs_to two deep (products in users.orders.items.product)" products "$p" users \
	"SELECT DISTINCT o.user_id AS id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE i.product_id = $p AND o.user_id IN ($LIVE_USERS)"
c=$(sql "SELECT category_id FROM products WHERE is_listed GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
check "belongs_to (categories in products.category)" categories "$c" products "SELECT id FROM products WHERE category_id = $c AND is_listed"
t=$(sql "SELECT tag_id FROM product_tags GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
check "many_to_many far row (tags via product_tags)" tags "$t" products \
	"SELECT product_id AS id FROM product_tags WHERE tag_id = $t AND product_id IN ($LISTED)"
pt=$(sql "SELECT product_id || ' ' || tag_id FROM product_tags WHERE product_id IN ($LISTED) LIMIT 1")
check "junction row (product_tags)" product_tags "product_id=${pt% *},tag_id=${pt#* }" products "SELECT ${pt% *} AS id"
r=$(sql "SELECT min(id) FROM reviews WHERE product_id IN ($LISTED)")
check "aggregates with a filter (reviews: reviewCount, avgRating)" reviews "$r" products "SELECT product_id AS id FROM reviews WHERE id = $r"
# a row that is gone: its old values
gi=$(sql "SELECT i.id || ' ' || i.order_id FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.user_id IN ($LIVE_USERS) ORDER BY i.id DESC LIMIT 1")
gu=$(sql "SELECT user_id FROM orders WHERE id = ${gi#* }")
sql "DELETE FROM order_items WHERE id = ${gi% *}" >/dev/null
"$bin" explain order_items "${gi% *}" >/dev/null 2>"$tmp/err"; rc=$?
ok $([ $rc = 1 ] && grep -q -- '--old' "$tmp/err"; echo $?) "explain of a gone row without --old: exit 1, points to --old"
check "a gone row with --old (order_items)" order_items "${gi% *}" users "SELECT $gu AS id" --old "id=${gi% *},order_id=${gi#* }"
check "a gone row with --old, orders" order_items "${gi% *}" orders "SELECT ${gi#* } AS id" --old "order_id=${gi#* }"
"$bin" explain order_items "$oi" >"$tmp/out"
ok $(grep -q 'users <- orders.user_id \[orders\] <- order_items.order_id \[items\]' "$tmp/out" && grep -q 'SELECT DISTINCT "user_id"::text' "$tmp/out"; echo $?) "explain text: the relation path and the resolution SQL"
"$bin" explain nosuch 1 >/dev/null 2>&1
ok $([ $? = 1 ] && echo 0 || echo 1) "explain of a table no index reads: exit 1"

# ---- sql ------------------------------------------------------------------
"$bin" sql orders >"$tmp/out"; rc=$?
ok $([ $rc = 0 ] && grep -q 'WHERE "root"."id" = ANY(\$1::bigint\[\])' "$tmp/out" && grep -q 'change resolution: from rows at orders <- order_items.order_id \[items\]' "$tmp/out"; echo $?) "sql: documents statement and resolution statements"
"$bin" sql --json users | python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if len(d["statements"]) >= 5 else 1)'
ok $? "sql --json: the statements as JSON"

# ---- the other surfaces: ctl (the daemon) and the admin API -----------------
"$bin" ctl inspect users "$u" >"$tmp/out" 2>&1
ok $(grep -q '^same' "$tmp/out"; echo $?) "ctl inspect: answered by the daemon"
adm="http://$FLUSSO_PRIVATE_ADDRESS"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -u "admin:rel-secret" "$adm/inspect?index=users&id=$u&json=1")
ok $([ "$code" = 200 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["differs"] is False else 1)' "$tmp/out"; echo $?) "GET /inspect?json=1: 200, JSON, same"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -u "admin:rel-secret" "$adm/explain?table=order_items&key=$oi&json=1")
ok $([ "$code" = 200 ] && grep -q '"documents"' "$tmp/out"; echo $?) "GET /explain: 200"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:rel-secret" "$adm/sql?index=nosuch")
ok $([ "$code" = 404 ] && echo 0 || echo 1) "GET /sql of an unknown index: 404 ($code)"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -u "admin:rel-secret" -X POST "$adm/repair?index=users&id=$u&id=$uo")
ok $([ "$code" = 200 ] && grep -q 'repaired 2 documents' "$tmp/out"; echo $?) "POST /repair with two ids: 200 ($code: $(cat "$tmp/out"))"
code=$(curl -s -o /dev/null -w '%{http_code}' -u "admin:rel-secret" -X POST "$adm/repair?index=users")
ok $([ "$code" = 400 ] && echo 0 || echo 1) "POST /repair without ids: 400 ($code)"
# slot: a paused pipeline, known changes pending on two tables
caught_up 120 >/dev/null
"$bin" ctl pause >/dev/null; ok $? "ctl pause (everything)"
# (synchronous commits: the slot is read up to the flushed WAL, and the
# database's asynchronous commit leaves a loaded walwriter room to lag)
sql "SET synchronous_commit = on;
     UPDATE reviews SET rating = rating WHERE id IN (SELECT id FROM reviews ORDER BY id LIMIT 7);
     UPDATE categories SET name = name WHERE id IN (SELECT id FROM categories ORDER BY id LIMIT 3)" >/dev/null
sql "SET synchronous_commit = on;
     INSERT INTO tags (id, name) SELECT max(id) + g, 'slot-probe-' || g FROM tags, generate_series(1, 2) g GROUP BY g" >/dev/null
"$bin" slot --json >"$tmp/slot" 2>"$tmp/err"; rc=$?
counts=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
t = {x["table"]: x for x in d["tables"]}
g = lambda n, k: t.get(n, {}).get(k, 0)
print(g("reviews", "updates"), g("categories", "updates"), g("tags", "inserts"), len(t), d["read_through_copy"] is not None)' "$tmp/slot" 2>&1)
ok $([ $rc = 0 ] && [ "$counts" = "7 3 2 3 True" ]; echo $?) "flusso slot under a paused daemon: reviews 7 updates, categories 3, tags 2 inserts, nothing else (read through a copy: $counts)"
code=$(curl -s -o "$tmp/out" -w '%{http_code}' -u "admin:rel-secret" "$adm/slot")
ok $([ "$code" = 200 ] && grep -q 'public.reviews' "$tmp/out" && grep -q 'in use by PID' "$tmp/out"; echo $?) "GET /slot from the daemon itself: 200, the same backlog ($code)"
"$bin" ctl resume >/dev/null; ok $? "ctl resume"
caught_up 120; ok $? "caught up after resume"
left=$("$bin" slot --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["changes"])')
ok $([ "$left" = 0 ] && echo 0 || echo 1) "nothing waits in the slot after resume ($left)"
"$bin" repair --json users "$u" >"$tmp/out" 2>&1
ok $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["status"] == 200 and d["ids"] == 1 else 1)' "$tmp/out"; echo $?) "repair --json: the answer as JSON ($(cat "$tmp/out"))"
"$bin" repair users --server 127.0.0.1:1 -- 1 >/dev/null 2>&1
ok $([ $? = 1 ] && echo 0 || echo 1) "repair without a reachable daemon: exit 1"

# ---- verify --repair: 100 corrupted documents among ~21,000, live load --------
ord_alias=$(curl -s "$DIRECT_OS_URL/_cat/aliases/${id}_orders_*?h=alias" | grep -v "^${id}_orders$" | head -1)
sql "SELECT id FROM orders WHERE id >= 1000 ORDER BY id LIMIT 100" | while read -r i; do
	printf '{"update":{"_index":"%s","_id":"%s"}}\n{"script":{"source":"ctx._source.status = \\"corrupted\\""}}\n' "$ord_alias" "$i"
done >"$tmp/bulk"
curl -s -X POST "$DIRECT_OS_URL/_bulk?refresh=true" -H 'Content-Type: application/x-ndjson' --data-binary @"$tmp/bulk" |
	python3 -c 'import json,sys; d=json.load(sys.stdin); print("updated:%d" % sum(1 for i in d["items"] if i["update"]["status"] == 200))' >"$tmp/ubq"
ok $(grep -q 'updated:100' "$tmp/ubq"; echo $?) "100 orders corrupted directly in OpenSearch ($(cat "$tmp/ubq"))"
start_churn
sleep 2
# (up to 30 rechecks, 1 s apart, until nothing differs: a sanitizer build
# on a loaded CI machine can lag the churn by more than 10 s)
"$bin" verify --repair --recheck 30 orders >"$tmp/out" 2>"$tmp/err"; rc=$?
sed 's/^/# /' "$tmp/out" "$tmp/err" | grep -v '^# *different\|^# *missing\|^# *extra' | head -8
fixed=$(sed -n 's/.*orders: \([0-9]*\) ids\{0,1\} repaired, checked again: \([0-9]*\) still differ.*/\1 \2/p' "$tmp/err")
ok $([ $rc = 0 ] && [ "${fixed% *}" -ge 50 ] && [ "${fixed#* }" = 0 ] && grep -q 'repaired' "$tmp/err"; echo $?) "verify --repair under live load: exit 0, ${fixed% *} ids repaired through the daemon (the load rewrote the others), 0 still differ"
stop_churn
caught_up 120; ok $? "caught up after the load"
# (checked once the load is over: under a sanitizer a churned order can
# stay in flight longer than verify's recheck window)
hundred=$(sql "SELECT string_agg(id::text, ',') FROM (SELECT id FROM orders WHERE id >= 1000 ORDER BY id LIMIT 100) q")
"$bin" verify --recheck 5 --ids "$hundred" orders >"$tmp/out" 2>&1
ok $? "the 100 corrupted ids verify clean ($(head -1 "$tmp/out"))"

stop_flusso; ok $? "flusso stopped cleanly"
# without a daemon: repaired directly, versioned
three=$(sql "SELECT string_agg(id::text, ',') FROM (SELECT id FROM orders ORDER BY id LIMIT 3) q")
for i in ${three//,/ }; do
	curl -s -X POST "$DIRECT_OS_URL/$ord_alias/_update/$i?refresh=true" -H 'Content-Type: application/json' \
		-d '{"script":{"source":"ctx._source.total = -1"}}' >/dev/null
done
"$bin" verify --repair --ids "$three" orders >"$tmp/out" 2>"$tmp/err"; rc=$?
ok $([ $rc = 0 ] && grep -q 'repaired 3 documents of orders directly' "$tmp/err"; echo $?) "verify --repair with no daemon: repaired directly, exit 0 ($rc: $(tail -1 "$tmp/err"))"
"$bin" verify --ids "$three" orders >/dev/null 2>&1
ok $? "those ids verify clean"
verify; ok $? "verify after everything: clean ($VERIFY_LAST)"
echo "1..$n"
[ "$fail" = 0 ]
