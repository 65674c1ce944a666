#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_verify.sh FLUSSO SRCDIR - `flusso verify` against the real
# PostgreSQL and OpenSearch (tests/services.sh), the shop example:
#   seed, run flusso until caught up, stop it; verify is clean (exit 0);
#   then documents are corrupted directly in OpenSearch (a nested field
#   of two orders, one user deleted, one user indexed under an id no row
#   has) and verify exits 3 and lists exactly those ids with their kind
#   and the nested path; --ids checks only the ids given (both ways);
#   --limit caps the list, not the counts; --sample runs; a second sink
#   is checked too and --sink picks one; usage errors exit 2.
# TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL, FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=$1 src=$2
id=vfy_$$
REL_SCALE=${REL_SCALE:-1}
# shellcheck source=../reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap rel_cleanup EXIT
rel_setup
rel_create_db
os=$DIRECT_OS_URL

# vf ARGS...: flusso verify with --json; the document in $tmp/out, the
# exit code in rc
vf() {
	"$bin" verify --json "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || { sed 's/^/#   stderr: /' "$tmp/err"; head -c 1500 "$tmp/out" | sed 's/^/#   out: /'; echo; }
}
# q JQ: query the last JSON document
q() { jq -c "$1" "$tmp/out"; }

start_flusso
caught_up 120; ok $? "seeded and caught up"
stop_flusso; ok $? "flusso stopped"

verify; ok $? "verify: clean (exit 0; $VERIFY_LAST)"
vf --recheck 0
[ "$rc" = 0 ] && [ "$(q .result)" = '"same"' ] && [ "$(q '.indexes | length')" = 3 ] &&
	[ "$(q '[.indexes[].differences] | add')" = 0 ] &&
	[ "$(q '[.indexes[] | select(.index == "users") | .checked] | .[0]')" = "$(sql "SELECT count(*) FROM users")" ]
ok $? "verify --json: clean, 3 indexes, every users row checked"

# ---- corrupt OpenSearch --------------------------------------------------
o1=$(sql "SELECT order_id FROM order_items GROUP BY order_id HAVING count(*) >= 2 ORDER BY order_id LIMIT 1")
o2=$(sql "SELECT order_id FROM order_items GROUP BY order_id HAVING count(*) >= 2 ORDER BY order_id LIMIT 1 OFFSET 5")
u_del=$(sql "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET 10")
u_ok=$(sql "SELECT id FROM users WHERE deleted_at IS NULL ORDER BY id LIMIT 1 OFFSET 20")
u_extra=987654321
for o in "$o1" "$o2"; do
	curl -s "$os/${id}_orders/_doc/$o" | jq -c '._source | .items[1].quantity += 1000' >"$tmp/doc"
	curl -s -X PUT -H 'Content-Type: application/json' --data-binary @"$tmp/doc" \
		"$os/${id}_orders/_doc/$o?refresh=true" | grep -q '"result":"updated"' || die "corrupt order $o"
done
curl -s -X DELETE "$os/${id}_users/_doc/$u_del?refresh=true" | grep -q '"result":"deleted"' || die "delete user $u_del"
curl -s -X PUT -H 'Content-Type: application/json' -d '{"id":987654321,"email":"ghost@example.org"}' \
	"$os/${id}_users/_doc/$u_extra?refresh=true" | grep -q '"result":"created"' || die "extra user"
note "corrupted orders $o1 $o2 (items[1].quantity), deleted user $u_del, added user $u_extra"

vf --recheck 1
want=$(printf '%s\n' "orders $o1 different items[1].quantity" "orders $o2 different items[1].quantity" \
	"users $u_del missing null" "users $u_extra extra null" | sort)
got=$(jq -r '.indexes[] | .index as $i | .items[] | "\($i) \(.id) \(.kind) \(.path)"' "$tmp/out" | sort)
[ "$rc" = 3 ] && [ "$got" = "$want" ] && [ "$(q .result)" = '"different"' ]
ok $? "verify after corruption: exit 3 (got $rc), exactly the 4 ids with kind and path"
[ "$(q '[.indexes[] | select(.index == "users") | .sinks[0] | .missing, .extra, .different]')" = '[1,1,0]' ] &&
	[ "$(q '[.indexes[] | select(.index == "orders") | .sinks[0] | .missing, .extra, .different]')" = '[0,0,2]' ] &&
	[ "$(q '[.indexes[] | select(.index == "users") | .sinks[0].extra_scan] | .[0]')" = true ]
ok $? "counts per index and sink (users 1 missing 1 extra, orders 2 different)"
echo "$got" | sed 's/^/#   /'

"$bin" verify --recheck 0 users >"$tmp/text" 2>&1
rc=$?
[ "$rc" = 3 ] && grep -q "^users: [0-9]* rows, [0-9]* documents stored: 1 missing, 1 extra, 0 different" "$tmp/text" &&
	grep -q "missing *$u_del" "$tmp/text" && grep -q "extra *$u_extra" "$tmp/text"
ok $? "text output: the summary line and one line per id (exit $rc)"
sed 's/^/#   /' "$tmp/text"

# ---- --ids -----------------------------------------------------------------
vf users --recheck 0 --ids "$u_del,$u_ok" --ids "$u_extra"
[ "$rc" = 3 ] && [ "$(q '.indexes[0].mode')" = '"ids"' ] && [ "$(q '.indexes[0].checked')" = 3 ] &&
	[ "$(jq -r '.indexes[0].items[] | "\(.id) \(.kind)"' "$tmp/out" | sort | tr '\n' ' ')" = "$u_del missing $u_extra extra " ]
ok $? "--ids (comma list and repeated): only those ids, both ways"
vf users orders --recheck 0 --ids "$u_ok"
[ "$rc" = 0 ] && [ "$(q '[.indexes[].differences] | add')" = 0 ]
ok $? "--ids of a clean document: exit 0 (got $rc)"
FLUSSO_IDS=$o1 vf orders --recheck 0
[ "$rc" = 3 ] && [ "$(q '.indexes[0].items[0].path')" = '"items[1].quantity"' ] && [ "$(q '.indexes[0].checked')" = 1 ]
ok $? "FLUSSO_IDS (the env twin) works"

# ---- --limit ---------------------------------------------------------------
vf orders --recheck 0 --limit 1
[ "$rc" = 3 ] && [ "$(q '.indexes[0].items | length')" = 1 ] && [ "$(q '.indexes[0].truncated')" = true ] &&
	[ "$(q '.indexes[0].sinks[0].different')" = 2 ]
ok $? "--limit 1: one item listed, truncated, the count stays 2"

# ---- --sample --------------------------------------------------------------
vf --recheck 0 --sample 50
{ [ "$rc" = 0 ] || [ "$rc" = 3 ]; } && [ "$(q '[.indexes[].mode] | unique')" = '["sample"]' ] &&
	[ "$(q '.indexes[] | select(.index == "users") | .checked')" = 50 ] &&
	[ "$(q '[.indexes[].items[] | select(.kind == "extra" and .id == "'$u_extra'")] | length')" = 0 ]
ok $? "--sample 50: 50 random rows per index, no extra pass (exit $rc)"

# ---- two sinks -------------------------------------------------------------
sed -e 's/^sinks:$/sinks:\n  mirror:\n    type: opensearch\n    url: {env: SHOP_OPENSEARCH_URL}/' \
	"$tmp/cfg/flusso.yml" >"$tmp/cfg/two.yml"
FLUSSO_CONFIG=$tmp/cfg/two.yml vf users --recheck 0
[ "$rc" = 3 ] && [ "$(q '[.indexes[0].sinks[].sink]')" = '["mirror","search"]' ] &&
	[ "$(q '[.indexes[0].sinks[] | [.missing, .extra]] | unique')" = '[[1,1]]' ] &&
	[ "$(q '[.indexes[0].items[].sink] | unique')" = '["mirror","search"]' ] &&
	[ "$(q '.indexes[0].items | length')" = 4 ]
ok $? "two sinks: both checked, results per sink"
FLUSSO_CONFIG=$tmp/cfg/two.yml vf users --recheck 0 --sink mirror
[ "$rc" = 3 ] && [ "$(q '[.indexes[0].sinks[].sink]')" = '["mirror"]' ] && [ "$(q '[.indexes[0].items[].sink] | unique')" = '["mirror"]' ]
ok $? "--sink mirror: only that sink"

# ---- usage -----------------------------------------------------------------
"$bin" verify --sink nope >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; ok $? "--sink of an unknown sink: exit 2 (got $rc)"
"$bin" verify nosuchindex >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; ok $? "unknown index: exit 2 (got $rc)"
"$bin" verify --ids 1 --sample 3 >/dev/null 2>&1; rc=$?
[ "$rc" = 2 ]; ok $? "--ids with --sample: exit 2 (got $rc)"
"$bin" verify --help | grep -q "3 a difference was found"; ok $? "--help documents the exit codes"

echo "1..$n"
[ "$fail" = 0 ]
