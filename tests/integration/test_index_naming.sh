#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_index_naming.sh FLUSSO SRC - `--index-naming reference` (issue 19):
# our flusso on the reference's dev deployment (its three schemas and its
# dev database SQL, tests/golden/reference/) puts the documents under the
# names the reference would use: hash alias <prefix><index>_<8 hex> with
# the hashes the reference itself printed (hashes.txt), generation _1
# behind it, the meta document under the hash alias in <prefix>flusso_meta.
# A live change lands under the same alias. About 20 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_index_naming.sh FLUSSO SRC}
src=${2:?usage: test_index_naming.sh FLUSSO SRC}
id=naming_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap rel_cleanup EXIT

golden=$src/tests/golden/reference
want() { awk -v f="$1.schema.yml" '$1 == f { print $2 }' "$golden/hashes.txt"; }
count() { curl -s "$DIRECT_OS_URL/$1/_count" | grep -o '"count":[0-9]*' | cut -d: -f2; }
os_get() { curl -s "$DIRECT_OS_URL/$1"; }
has_count() { [ "$(count "$1")" = "$2" ]; }

rel_setup
mkdir -p "$tmp/ref"
cp "$golden"/users.schema.yml "$golden"/orders.schema.yml "$golden"/products.schema.yml \
	"$golden/flusso.yml" "$tmp/ref/"
export FLUSSO_CONFIG=$tmp/ref/flusso.yml
export REFDEV_DATABASE_URL=$DIRECT_PG_URL REFDEV_OPENSEARCH_URL=$DIRECT_OS_URL
"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || die "cannot create database"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$golden/dev_schema.sql" >/dev/null || die "schema"
"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$golden/dev_seed.sql" >/dev/null || die "seed"
# ours refuses to follow a child table whose replica identity lacks the
# parent key (the reference does not check): full identity for those
for t in addresses orders order_items reviews product_tags; do
	sql "ALTER TABLE $t REPLICA IDENTITY FULL" || die "replica identity of $t"
done

"$bin" check --offline --index-naming reference >"$tmp/check.out" 2>&1
grep -q "hash alias ${id}_users_$(want users)\$" "$tmp/check.out"
ok $? "check prints the reference's hash alias ${id}_users_$(want users)"

start_flusso FLUSSO_INDEX_NAMING=reference
wait_for 60 "every index live" all_live || die "flusso did not start"
caught_up 60 || die "not caught up"

for ix in users products orders; do
	h=$(want "$ix")
	alias=${id}_${ix}_$h
	case $ix in
	users) rows=$(sql "SELECT count(*) FROM users WHERE NOT deleted") ;;
	*) rows=$(sql "SELECT count(*) FROM $ix") ;;
	esac
	os_get "_alias/$alias" | grep -q "\"${alias}_1\":{\"aliases\":{\"$alias\":{}"
	ok $? "$ix: hash alias $alias on generation ${alias}_1"
	wait_for 15 "$ix refreshed" has_count "$alias" "$rows"
	ok $? "$ix: $rows documents under $alias"
	os_get "_alias/${id}_$ix" | grep -q "\"${alias}_1\""
	ok $? "$ix: convenience alias ${id}_$ix on the same generation"
	os_get "${id}_flusso_meta/_doc/$alias" | grep -q '"active_generation":1,.*"seeded":true\|"seeded":true.*"active_generation":1'
	ok $? "$ix: meta document $alias says generation 1, seeded"
done

sql "UPDATE users SET full_name = 'Ada King' WHERE id = 1" >/dev/null
caught_up 30
alias=${id}_users_$(want users)
found() {
	curl -s "$DIRECT_OS_URL/$alias/_search?q=fullName:King" | grep -q '"_id":"1"'
}
wait_for 15 "update visible" found
ok $? "a live change lands under $alias"

echo "1..$n"
[ "$fail" = 0 ]
