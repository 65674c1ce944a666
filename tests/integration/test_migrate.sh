#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_migrate.sh FLUSSO SRC - `flusso migrate` (issue 19) on our shop
# example with --index-naming reference (hashes pinned by
# tests/golden/reference/hashes.txt): OpenSearch holds what the reference
# implementation leaves behind (its meta documents in the shape of
# tests/golden/reference/meta_sample.json, its generations with a few
# documents, one of a row that no longer exists, both aliases; the orders
# generation with one extra mapping field). A row changes after the
# reference stopped. migrate reports adopt, adopt, rebuild (exit 3);
# --apply writes our meta only; `flusso run` seeds users and products in
# place and rebuilds orders alongside, swapping its aliases, while a reader
# polls every <prefix><index> alias (never an error, never empty); the
# change is in OpenSearch, `verify --repair` (as the report says) removes
# the stale document, verify is clean; migrate then says done (exit 0).
# About 25 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_migrate.sh FLUSSO SRC}
src=${2:?usage: test_migrate.sh FLUSSO SRC}
id=migrate_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap 'kill $reader 2>/dev/null; rel_cleanup' EXIT
reader=

golden=$src/tests/golden/reference
want() { awk -v f="share/examples/shop/$1.schema.yml" '$1 == f { print $2 }' "$golden/hashes.txt"; }
os() { curl -s -H 'Content-Type: application/json' -X "$1" "$DIRECT_OS_URL$2" ${3:+-d "$3"}; }

rel_setup
rel_create_db
export FLUSSO_INDEX_NAMING=reference
"$bin" check --offline --json >"$tmp/check.json" 2>"$tmp/check.err" || die "check: $(cat "$tmp/check.err")"

# what the reference leaves: generation, documents, both aliases, meta (the
# sample's generation and seeded flag, by index name)
python3 - "$tmp/check.json" "$golden/meta_sample.json" "${id}_" \
	"$(want users)" "$(want products)" "$(want orders)" >"$tmp/plan" <<'PY' || die "plan"
import json, sys
check = json.load(open(sys.argv[1])); meta = json.load(open(sys.argv[2])); p = sys.argv[3]
hashes = dict(zip(["users", "products", "orders"], sys.argv[4:7]))
for m in meta:
    ix = m["_id"].rsplit("_", 1)[0]
    alias = "%s_%s" % (ix, hashes[ix])
    body = check["indexes"][ix]["body"]
    if ix == "orders":  # the reference's mapping differs here
        body["mappings"]["properties"]["legacyNote"] = {"type": "keyword"}
    gen = "%s%s_%d" % (p, alias, m["_source"]["active_generation"])
    print("\t".join([ix, gen, p + alias, p + ix, json.dumps(body), json.dumps(m["_source"])]))
PY
while IFS=$'\t' read -r ix gen alias conv body meta; do
	os PUT "/$gen" "$body" | grep -q '"acknowledged":true' || die "create $gen"
	for d in 1 2 3 999999; do os PUT "/$gen/_doc/$d" '{"id":'$d'}' >/dev/null; done
	os POST /_aliases '{"actions":[{"add":{"index":"'"$gen"'","alias":"'"$alias"'"}},{"add":{"index":"'"$gen"'","alias":"'"$conv"'"}}]}' >/dev/null
	os PUT "/${id}_flusso_meta/_doc/$alias?refresh=true" "$meta" >/dev/null
done <"$tmp/plan"
os POST "/${id}_*/_refresh" >/dev/null
# document 999999 is a row deleted while nothing followed the database
# (kept in users only: the other two are seeded alongside or checked clean)
for ix in products orders; do
	gen=$(awk -v i="$ix" '$1 == i { print $2 }' "$tmp/plan")
	os DELETE "/$gen/_doc/999999?refresh=true" >/dev/null
done
# the reference stopped; a change nobody follows yet
uid=$(sql "SELECT min(id) FROM users WHERE deleted_at IS NULL AND id > 3")
sql "UPDATE users SET full_name = 'Changed Meanwhile' WHERE id = $uid" >/dev/null

"$bin" migrate >"$tmp/report" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/report"
[ "$rc" = 3 ]; ok $? "the report shows work to do: exit $rc"
grep -Eq "^users +search +adopt " "$tmp/report"; ok $? "users: adopt (mapping equal)"
grep -Eq "^products +search +adopt " "$tmp/report"; ok $? "products: adopt"
oalias=${id}_orders_$(want orders)
grep -Eq "^orders +search +rebuild +${oalias}_2 -> ${oalias}_3: mapping differs" "$tmp/report"
ok $? "orders: rebuild (the mapping differs), generation 3 next to 2"

"$bin" migrate --apply >"$tmp/apply" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/apply"
[ "$rc" = 0 ]; ok $? "--apply: exit $rc"
grep 'flusso verify --repair' "$tmp/apply" | grep users | grep -q products
ok $? "--apply says to run verify --repair on the adopted indexes"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$DIRECT_OS_URL/${oalias}_3")" = 404 ]
ok $? "--apply copies nothing: ${oalias}_3 is not there yet"

# a reader polls every convenience alias during the run: 200, never empty
(while :; do
	for ix in users products orders; do
		r=$(curl -s -o /dev/stdout -w ' %{http_code}' "$DIRECT_OS_URL/${id}_$ix/_count")
		case $r in *'"count":0,'*) echo "bad $ix $r" ;; *'"count":'*' 200') echo ok ;; *) echo "bad $ix $r" ;; esac
	done
done) >"$tmp/reader" 2>&1 &
reader=$!
sleep 0.3
start_flusso
wait_for 60 "every index live" all_live || die "flusso did not start"
caught_up 60 || die "not caught up"
ualias=${id}_users_$(want users)
os GET "/${id}_flusso_meta/_doc/$oalias" | grep -q '"active_generation":3,.*"seeded":true'
ok $? "orders meta: generation 3, seeded"
os GET "/_alias/$oalias" | grep -q "\"${oalias}_3\":{\"aliases\":{\"$oalias\":{}}}"
ok $? "$oalias moved to ${oalias}_3, off ${oalias}_2"
os GET "/_alias/${id}_orders" | grep -q "\"${oalias}_3\""
ok $? "the convenience alias moved with it"
os GET "/$oalias/_mapping" | grep -q legacyNote
[ $? != 0 ]; ok $? "the new generation has our mapping"
os GET "/${id}_flusso_meta/_doc/$ualias" | grep -q '"active_generation":1,.*"seeded":true'
ok $? "users adopted: its meta is ours, generation 1, seeded"
os GET "/_alias/$ualias" | grep -q "\"${ualias}_1\""
ok $? "users still served by ${ualias}_1"
! grep -q "created index ${ualias}_1\|created index ${id}_products_$(want products)_1" "$log"
ok $? "the adopted generations were seeded in place, not recreated"
grep -q "seeded" "$log"; ok $? "flusso seeded (log: $(grep -o 'index [a-z]* seeded ([0-9]* rows)' "$log" | tr '\n' ' '))"
os GET "/${id}_users/_search?q=_id:$uid" >"$tmp/changed"
grep -q 'Changed Meanwhile' "$tmp/changed"
ok $? "the change made after the reference stopped is in OpenSearch (users $uid)"
grep -q 'Changed Meanwhile' "$tmp/changed" || head -c 600 "$tmp/changed" | sed 's/^/#   /' 
kill $reader; wait $reader 2>/dev/null; reader=
reads=$(grep -c . "$tmp/reader"); bad=$(grep -c '^bad' "$tmp/reader")
[ "$bad" = 0 ] && [ "$reads" -gt 20 ]
ok $? "the reader saw no error and no empty result ($reads reads, $bad bad)"
grep '^bad' "$tmp/reader" | head -3 | sed 's/^/#   /'

verify
[ $? != 0 ] && grep -q '^users: .* 0 missing, 1 extra, 0 different' "$tmp/verify"
ok $? "before the repair: verify finds the stale users document ($VERIFY_LAST)"
"$bin" verify --repair --recheck 2 users products >"$tmp/repair" 2>&1
ok $? "verify --repair users products: exit $?"
verify; ok $? "verify clean for every index ($VERIFY_LAST)"

"$bin" migrate >"$tmp/again" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/again"
[ "$rc" = 0 ] && [ "$(grep -c ' done ' "$tmp/again")" = 3 ]
ok $? "afterwards nothing is left to do: exit $rc, three done"
"$bin" migrate extra >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ]; ok $? "an extra argument is a usage error: exit $rc"
stop_flusso; ok $? "flusso stops cleanly"

echo "1..$n"
[ "$fail" = 0 ]
