#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_index_naming.sh FLUSSO SRC - `--index-naming reference` (issue 19):
# our flusso puts the documents under the names the reference would use:
# hash alias <prefix><index>_<8 hex> with the hashes the reference itself
# printed (tests/golden/reference/hashes.txt), generation _1 behind it, the
# convenience alias on it, the meta document under the hash alias in
# <prefix>flusso_meta; a live change lands under the same alias.
# Always on our shop example (share/examples/shop, verify clean); also on
# the reference's own dev deployment (its three schemas and dev database SQL)
# when its data files are found (tests/lib/reference_data.sh), a TAP SKIP
# otherwise. About 15 s per deployment. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_index_naming.sh FLUSSO SRC}
src=${2:?usage: test_index_naming.sh FLUSSO SRC}
id=naming_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
# shellcheck source=tests/lib/reference_data.sh
. "$src/tests/lib/reference_data.sh"
trap rel_cleanup EXIT

golden=$src/tests/golden/reference
# want FIXTURE: the reference's hash of FIXTURE (a hashes.txt name)
want() { awk -v f="$1" '$1 == f { print $2 }' "$golden/hashes.txt"; }
count() { curl -s "$DIRECT_OS_URL/$1/_count" | grep -o '"count":[0-9]*' | cut -d: -f2; }
os_get() { curl -s "$DIRECT_OS_URL/$1"; }
has_count() { [ "$(count "$1")" = "$2" ]; }
skip() { n=$((n + 1)); echo "ok $n # SKIP $1"; }

# naming WHAT FIXTURE-DIR: flusso run on the database and config set up,
# then the names. FIXTURE-DIR/INDEX.schema.yml names the golden hash.
naming() {
	local what=$1 fx=$2 ix h alias rows
	"$bin" check --offline --index-naming reference >"$tmp/check.out" 2>&1
	grep -q "hash alias ${id}_users_$(want "$fx/users.schema.yml")\$" "$tmp/check.out"
	ok $? "$what: check prints the reference's hash alias ${id}_users_$(want "$fx/users.schema.yml")"

	start_flusso FLUSSO_INDEX_NAMING=reference
	wait_for 60 "every index live" all_live || die "$what: flusso did not start"
	caught_up 60 || die "$what: not caught up"

	for ix in users products orders; do
		h=$(want "$fx/$ix.schema.yml")
		[ -n "$h" ] || die "no golden hash for $fx/$ix.schema.yml"
		alias=${id}_${ix}_$h
		os_get "_alias/$alias" | grep -q "\"${alias}_1\":{\"aliases\":{\"$alias\":{}"
		ok $? "$what $ix: hash alias $alias on generation ${alias}_1"
		if [ "$what" = dev ]; then
			case $ix in
			users) rows=$(sql "SELECT count(*) FROM users WHERE NOT deleted") ;;
			*) rows=$(sql "SELECT count(*) FROM $ix") ;;
			esac
			wait_for 15 "$ix refreshed" has_count "$alias" "$rows"
			ok $? "$what $ix: $rows documents under $alias"
		fi
		os_get "_alias/${id}_$ix" | grep -q "\"${alias}_1\""
		ok $? "$what $ix: convenience alias ${id}_$ix on the same generation"
		os_get "${id}_flusso_meta/_doc/$alias" | grep -q '"active_generation":1,.*"seeded":true\|"seeded":true.*"active_generation":1'
		ok $? "$what $ix: meta document $alias says generation 1, seeded"
	done
	if [ "$what" = shop ]; then
		FLUSSO_INDEX_NAMING=reference verify
		ok $? "$what: verify --index-naming reference clean ($VERIFY_LAST)"
	fi

	sql "UPDATE users SET full_name = 'Ada King' WHERE id = 1" >/dev/null
	caught_up 30
	alias=${id}_users_$(want "$fx/users.schema.yml")
	found() {
		curl -s "$DIRECT_OS_URL/$alias/_search?q=fullName:King" | grep -q '"_id":"1"'
	}
	wait_for 15 "update visible" found
	ok $? "$what: a live change lands under $alias"
	stop_flusso
}

# ---- our shop example (always) ----
rel_setup
rel_create_db
naming shop share/examples/shop

# ---- the reference's dev deployment (when its data files are found) ----
if ! ref_data_find "$src"; then
	skip "dev deployment: $REF_DATA_WHY"
else
	note "reference data: $REF_DATA_WHERE"
	sql_admin "SELECT pg_drop_replication_slot('${id}_slot')" >/dev/null
	sql_admin "DROP DATABASE $db" >/dev/null || die "drop the shop database"
	curl -s -X DELETE "$DIRECT_OS_URL/${id}_*?expand_wildcards=all" >/dev/null
	mkdir -p "$tmp/ref"
	ref_data_dev "$tmp/ref" || die "cannot copy the reference's dev data"
	cp "$golden/flusso.yml" "$tmp/ref/"
	export FLUSSO_CONFIG=$tmp/ref/flusso.yml
	export REFDEV_DATABASE_URL=$DIRECT_PG_URL REFDEV_OPENSEARCH_URL=$DIRECT_OS_URL
	"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || die "cannot create database"
	"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$tmp/ref/dev_schema.sql" >/dev/null || die "schema"
	"$PSQL" -X -q -v ON_ERROR_STOP=1 "$DIRECT_PG_URL" -f "$tmp/ref/dev_seed.sql" >/dev/null || die "seed"
	# ours refuses to follow a child table whose replica identity lacks the
	# parent key (the reference does not check): full identity for those
	for t in addresses orders order_items reviews product_tags; do
		sql "ALTER TABLE $t REPLICA IDENTITY FULL" || die "replica identity of $t"
	done
	naming dev ref
fi

echo "1..$n"
[ "$fail" = 0 ]
