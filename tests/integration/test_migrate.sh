#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_migrate.sh FLUSSO SRC - `flusso migrate` (issue 19): OpenSearch holds
# what the reference implementation leaves behind (its meta documents from
# tests/golden/reference/meta_sample.json, its generations and both aliases
# for the three dev indexes, the orders generation with one extra mapping
# field); migrate --index-naming reference reports adopt, adopt, rebuild
# (exit 3); --apply adopts and rebuilds orders alongside with one atomic
# alias swap while a reader polls the alias (never an error, never empty);
# then nothing is left to do (exit 0). About 10 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_migrate.sh FLUSSO SRC}
src=${2:?usage: test_migrate.sh FLUSSO SRC}
id=migrate_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
# shellcheck source=tests/lib/reference_data.sh
. "$src/tests/lib/reference_data.sh"
trap 'kill $reader 2>/dev/null; rel_cleanup' EXIT
reader=

golden=$src/tests/golden/reference
want() { awk -v f="ref/$1.schema.yml" '$1 == f { print $2 }' "$golden/hashes.txt"; }
os() { curl -s -H 'Content-Type: application/json' -X "$1" "$DIRECT_OS_URL$2" ${3:+-d "$3"}; }

if ! ref_data_find "$src"; then
	echo "ok 1 # SKIP $REF_DATA_WHY"
	echo "1..1"
	exit 0
fi
rel_setup
mkdir -p "$tmp/ref"
ref_data_dev "$tmp/ref" || die "cannot copy the reference's dev data"
cp "$golden/flusso.yml" "$tmp/ref/"
export FLUSSO_CONFIG=$tmp/ref/flusso.yml FLUSSO_INDEX_NAMING=reference
export REFDEV_DATABASE_URL=$DIRECT_PG_URL REFDEV_OPENSEARCH_URL=$DIRECT_OS_URL
"$bin" check --offline --json >"$tmp/check.json" 2>"$tmp/check.err" || die "check: $(cat "$tmp/check.err")"

# what the reference leaves: generation, documents, both aliases, meta
python3 - "$tmp/check.json" "$golden/meta_sample.json" "${id}_" >"$tmp/plan" <<'PY' || die "plan"
import json, sys
check = json.load(open(sys.argv[1])); meta = json.load(open(sys.argv[2])); p = sys.argv[3]
for m in meta:
    alias = m["_id"]; ix = alias.rsplit("_", 1)[0]
    body = check["indexes"][ix]["body"]
    if ix == "orders":  # the reference's mapping differs here
        body["mappings"]["properties"]["legacyNote"] = {"type": "keyword"}
    gen = "%s%s_%d" % (p, alias, m["_source"]["active_generation"])
    print("\t".join([gen, p + alias, p + ix, json.dumps(body), json.dumps(m["_source"])]))
PY
while IFS=$'\t' read -r gen alias conv body meta; do
	os PUT "/$gen" "$body" | grep -q '"acknowledged":true' || die "create $gen"
	for d in 1 2 3; do os PUT "/$gen/_doc/$d" '{"id":'$d'}' >/dev/null; done
	os POST /_aliases '{"actions":[{"add":{"index":"'"$gen"'","alias":"'"$alias"'"}},{"add":{"index":"'"$gen"'","alias":"'"$conv"'"}}]}' >/dev/null
	os PUT "/${id}_flusso_meta/_doc/$alias?refresh=true" "$meta" >/dev/null
done <"$tmp/plan"
os POST "/${id}_*/_refresh" >/dev/null

"$bin" migrate >"$tmp/report" 2>&1
rc=$?
sed 's/^/#   /' "$tmp/report"
[ "$rc" = 3 ]; ok $? "the report shows work to do: exit $rc"
grep -Eq "^users +primary +adopt " "$tmp/report"; ok $? "users: adopt (mapping equal)"
grep -Eq "^products +primary +adopt " "$tmp/report"; ok $? "products: adopt"
oalias=${id}_orders_$(want orders)
grep -Eq "^orders +primary +rebuild +${oalias}_2 -> ${oalias}_3: mapping differs" "$tmp/report"
ok $? "orders: rebuild (the mapping differs), generation 3 next to 2"

# a reader polls the orders alias during --apply: every answer 3 documents
(while :; do
	r=$(curl -s -o /dev/stdout -w ' %{http_code}' "$DIRECT_OS_URL/$oalias/_count")
	case $r in *'"count":3,'*' 200') echo ok ;; *) echo "bad $r" ;; esac
done) >"$tmp/reader" 2>&1 &
reader=$!
sleep 0.5
"$bin" migrate --apply >"$tmp/apply" 2>&1
rc=$?
sleep 0.5
kill $reader; wait $reader 2>/dev/null; reader=
sed 's/^/#   /' "$tmp/apply"
[ "$rc" = 0 ]; ok $? "--apply: exit $rc"
reads=$(grep -c . "$tmp/reader"); bad=$(grep -c '^bad' "$tmp/reader")
[ "$bad" = 0 ] && [ "$reads" -gt 5 ]
ok $? "the reader saw no error and no empty result ($reads reads, $bad bad)"
os GET "/_alias/$oalias" | grep -q "\"${oalias}_3\":{\"aliases\":{\"$oalias\":{}}}"
ok $? "$oalias moved to ${oalias}_3, off ${oalias}_2"
os GET "/_alias/${id}_orders" | grep -q "\"${oalias}_3\""
ok $? "the convenience alias moved with it"
os GET "/$oalias/_mapping" | grep -q legacyNote
[ $? != 0 ]; ok $? "the new generation has our mapping"
os GET "/${id}_flusso_meta/_doc/$oalias" | grep -q '"active_generation":3,.*"seeded":true'
ok $? "meta: generation 3, seeded"
ualias=${id}_users_$(want users)
os GET "/${id}_flusso_meta/_doc/$ualias" | grep -q '"active_generation":1,.*"hash_scheme"'
ok $? "users adopted: its meta is ours, generation 1 kept"
os GET "/_alias/$ualias" | grep -q "\"${ualias}_1\""
ok $? "users still served by ${ualias}_1"

"$bin" migrate >"$tmp/again" 2>&1
rc=$?
[ "$rc" = 0 ] && [ "$(grep -c ' done ' "$tmp/again")" = 3 ]
ok $? "afterwards nothing is left to do: exit $rc, three done"
"$bin" migrate extra >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ]; ok $? "an extra argument is a usage error: exit $rc"

echo "1..$n"
[ "$fail" = 0 ]
