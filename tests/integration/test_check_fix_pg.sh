#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_check_fix_pg.sh FLUSSO SRCDIR - `flusso check --fix` against the real
# PostgreSQL (tests/services.sh): a database whose tables lack a primary
# key (replica identity needs a unique index, built CONCURRENTLY) and a
# publication missing a table. `check` reports them and lists the fixes;
# without a terminal --fix needs --yes (exit 2); answering n, then q, on
# a pty changes nothing (pg_class, pg_index, the publication compared);
# --dry-run changes nothing; a duplicate key makes the concurrent build
# fail: the INVALID index is dropped again, the other fixes apply, exit
# 1; once the duplicate is gone --fix --yes ends with a clean re-check
# (exit 0) and `check` exits 0 with nothing to fix; tables check did not
# report (one without a primary key too) are never altered; a role that
# does not own the tables gets PostgreSQL's message and the statement.
# TAP output. Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN,
# FLUSSO_TEST_OS_URL, FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=$1 src=$2
id=fx_$$
# shellcheck source=../reliability/lib.sh
. "$src/tests/reliability/lib.sh"
low=${id}_low
drop_low() { sql_admin "DROP OWNED BY $low" >/dev/null 2>&1; sql_admin "DROP ROLE IF EXISTS $low" >/dev/null 2>&1; }
trap 'rel_cleanup; drop_low' EXIT
rel_setup
pub=${id}_pub
"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $db" || die "cannot create database"

sql "
CREATE TABLE authors (id bigint NOT NULL, name text NOT NULL);
CREATE TABLE posts (id bigint NOT NULL, author_id bigint NOT NULL, title text);
CREATE TABLE labels (id bigint PRIMARY KEY, author_id bigint NOT NULL, label text);
ALTER TABLE labels REPLICA IDENTITY FULL;
CREATE TABLE badges (id bigint PRIMARY KEY, author_id bigint NOT NULL, badge text);
ALTER TABLE badges REPLICA IDENTITY FULL;
CREATE TABLE bystander (id bigint NOT NULL, note text);
INSERT INTO authors SELECT g, 'a' || g FROM generate_series(1, 50) g;
INSERT INTO posts SELECT g, 1 + g % 50, 't' || g FROM generate_series(1, 200) g;
INSERT INTO labels SELECT g, 1 + g % 50, 'l' FROM generate_series(1, 20) g;
INSERT INTO badges SELECT g, 1 + g % 50, 'b' FROM generate_series(1, 20) g;
INSERT INTO bystander SELECT g, 'x' FROM generate_series(1, 10) g;
CREATE PUBLICATION $pub FOR TABLE badges;
" || die "schema"

cfg=$tmp/fx
mkdir -p "$cfg"
cat >"$cfg/flusso.yml" <<EOT
source:
  type: postgres
  connection_url: $DIRECT_PG_URL
sinks:
  search:
    type: opensearch
    url: $DIRECT_OS_URL
index:
  - name: authors
    schema: authors.schema.yml
    enabled: true
EOT
cat >"$cfg/authors.schema.yml" <<'EOT'
version: 1
table: authors
primary_key: id
fields:
  - long: id
    required: false
  - keyword: name
    required: false
  - has_many: posts
    table: posts
    foreign_key: author_id
    primary_key: id
    fields:
      - text: title
        required: false
  - has_many: labels
    table: labels
    foreign_key: author_id
    primary_key: id
    fields:
      - keyword: label
        required: false
  - has_many: badges
    table: badges
    foreign_key: author_id
    primary_key: id
    fields:
      - keyword: badge
        required: false
EOT
export FLUSSO_CONFIG=$cfg/flusso.yml FLUSSO_PUBLICATION=$pub
unset FLUSSO_SLOT

# the catalog state of every table, its indexes and the publication
snapshot() {
	sql "SELECT c.relname, c.relreplident, coalesce((SELECT string_agg(ic.relname || ':' || i.indisvalid || ':' || i.indisreplident, ',' ORDER BY ic.relname) FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = c.oid), '-') FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' ORDER BY 1"
	sql "SELECT 'pub:' || string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = '$pub'"
}
# row TABLE: that table's line of a snapshot
row() { grep "^$1|" "$2"; }

# ---- check reports, and lists the fixes ------------------------------------
"$bin" check >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q "table public.authors has no replica identity" "$tmp/err" &&
	grep -q "table public.posts has no replica identity" "$tmp/err" &&
	grep -q "missing .*public.labels" "$tmp/out" && grep -q "^fixes (" "$tmp/out"
ok $? "check: exit 1, no replica identity on authors and posts, labels missing from the publication"
want="  1. publication \"$pub\" does not publish public.labels
       ALTER PUBLICATION \"$pub\" ADD TABLE \"public\".\"labels\";
  2. table public.authors has no replica identity
       CREATE UNIQUE INDEX CONCURRENTLY \"authors_id_key\" ON \"public\".\"authors\" (\"id\");
       ALTER TABLE \"public\".\"authors\" REPLICA IDENTITY USING INDEX \"authors_id_key\";
       ALTER PUBLICATION \"$pub\" ADD TABLE \"public\".\"authors\";
  3. table public.posts has no replica identity
       CREATE UNIQUE INDEX CONCURRENTLY \"posts_id_author_id_key\" ON \"public\".\"posts\" (\"id\", \"author_id\");
       ALTER TABLE \"public\".\"posts\" REPLICA IDENTITY USING INDEX \"posts_id_author_id_key\";
       ALTER PUBLICATION \"$pub\" ADD TABLE \"public\".\"posts\";"
got=$(sed -n '/^fixes (/,$p' "$tmp/out" | tail -n +2)
[ "$got" = "$want" ]
ok $? "the fixes: the publication, then each identity (index CONCURRENTLY, USING INDEX, ADD TABLE)"
[ "$got" = "$want" ] || { echo "$got" | sed 's/^/#   got: /'; }
grep -q 'fix with CREATE UNIQUE INDEX CONCURRENTLY "authors_id_key"' "$tmp/err"
ok $? "the diagnostic names the same fix"
"$bin" check --json >"$tmp/json" 2>/dev/null
[ "$(jq -c '[.fixes[] | [.kind, .table, (.statements | length)]]' "$tmp/json")" = '[["publication",null,1],["replica_identity","public.authors",3],["replica_identity","public.posts",3]]' ]
ok $? "check --json: the same plan in .fixes"

snapshot >"$tmp/s0"

# ---- usage -----------------------------------------------------------------
"$bin" check --fix </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 2 ] && grep -q -- "--fix needs --yes when stdin is not a terminal" "$tmp/err"
ok $? "--fix without a terminal and without --yes: exit 2 (got $rc)"
"$bin" check --yes >/dev/null 2>&1; r1=$?
"$bin" check --fix --offline --yes >/dev/null 2>&1; r2=$?
"$bin" check --fix --json --yes >/dev/null 2>&1; r3=$?
[ "$r1$r2$r3" = 222 ]
ok $? "--yes without --fix, --fix with --offline or --json: exit 2 ($r1$r2$r3)"

# ---- n, then q, on a terminal: nothing changes -----------------------------
python3 "$src/tests/integration/check_fix_pty.py" n,n,q "$bin" check --fix >"$tmp/pty" 2>&1
rc=$?
snapshot >"$tmp/s1"
[ "$rc" = 1 ] && grep -q "# prompts: 3" "$tmp/pty" && grep -q "stopped" "$tmp/pty" &&
	grep -q "0 statements applied, 7 skipped, 0 failed (stopped)" "$tmp/pty" && cmp -s "$tmp/s0" "$tmp/s1"
ok $? "pty: n, n, q asks 3 times, applies nothing, the catalog is unchanged (exit $rc)"
grep -q "not running the rest of this fix" "$tmp/pty"
ok $? "  ... declining the index skips the statements that depend on it"
FLUSSO_FIX=1 python3 "$src/tests/integration/check_fix_pty.py" "" "$bin" check >"$tmp/pty" 2>&1
rc=$?
snapshot >"$tmp/s1"
[ "$rc" = 1 ] && grep -q "# prompts: 1" "$tmp/pty" && cmp -s "$tmp/s0" "$tmp/s1"
ok $? "FLUSSO_FIX=1, end of input at the first prompt: stops, nothing changed (exit $rc)"

"$bin" check --fix --dry-run >"$tmp/out" 2>&1
rc=$?
snapshot >"$tmp/s1"
[ "$rc" = 1 ] && grep -q "dry run: nothing was changed" "$tmp/out" && cmp -s "$tmp/s0" "$tmp/s1"
ok $? "--dry-run: the plan, nothing changed (exit $rc)"

# ---- a role that does not own the tables ----------------------------------
drop_low
sql_admin "CREATE ROLE $low LOGIN" >/dev/null && sql "GRANT SELECT ON ALL TABLES IN SCHEMA public TO $low"
low_url=$(echo "$DIRECT_PG_URL" | sed -E "s#^(postgres(ql)?://)([^@/]*@)?#\1$low@#")
sed "s#connection_url: .*#connection_url: $low_url#" "$cfg/flusso.yml" >"$cfg/low.yml"
"$bin" check -c "$cfg/low.yml" --fix --yes >"$tmp/out" 2>"$tmp/err"
rc=$?
snapshot >"$tmp/s1"
[ "$rc" = 1 ] && grep -q "failed: must be owner of" "$tmp/err" && grep -q "(SQLSTATE 42501)" "$tmp/err" &&
	grep -q "ask the table's owner or a superuser to run:" "$tmp/err" &&
	grep -q "^    CREATE UNIQUE INDEX CONCURRENTLY \"authors_id_key\"" "$tmp/err" && cmp -s "$tmp/s0" "$tmp/s1"
ok $? "a role without the privilege: PostgreSQL's message and the statement for a DBA, nothing changed (exit $rc)"
[ "$rc" = 1 ] || sed 's/^/#   /' "$tmp/err" | head -20

# ---- a failed concurrent build ---------------------------------------------
sql "INSERT INTO authors VALUES (7, 'dup')"
"$bin" check --fix --yes >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'failed: could not create unique index "authors_id_key"' "$tmp/err" &&
	grep -q 'the failed build left the INVALID index public.authors_id_key; dropped it again' "$tmp/err" &&
	[ -z "$(sql "SELECT 1 FROM pg_class WHERE relname = 'authors_id_key'")" ] &&
	[ "$(sql "SELECT relreplident FROM pg_class WHERE relname = 'authors'")" = d ] &&
	[ "$(sql "SELECT relreplident FROM pg_class WHERE relname = 'posts'")" = i ] &&
	[ "$(sql "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = '$pub'")" = badges,labels,posts ]
ok $? "duplicate key: the build fails, its INVALID index is dropped, authors untouched, the others fixed (exit $rc)"
[ "$rc" = 1 ] || sed 's/^/#   /' "$tmp/err" | head -20
grep -q "check after --fix: .*1 fix left" "$tmp/err"
ok $? "  ... the re-check still lists the authors fix"

sql "DELETE FROM authors WHERE name = 'dup'"
t1=$(date +%s%N)
"$bin" check --fix --yes >"$tmp/out" 2>"$tmp/err"
rc=$?
ms=$((($(date +%s%N) - t1) / 1000000))
[ "$rc" = 0 ] && grep -q "check after --fix: clean" "$tmp/err" &&
	grep -q "3 statements applied, 0 skipped, 0 failed" "$tmp/out"
ok $? "check --fix --yes: the remaining 3 statements, the re-check is clean, exit 0 (${ms} ms)"
[ "$rc" = 0 ] || { sed 's/^/#   /' "$tmp/err" | head -20; sed 's/^/#   /' "$tmp/out" | tail -20; }

"$bin" check >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = 0 ] && ! grep -q "^fixes (" "$tmp/out" && grep -q "covers every table flusso reads" "$tmp/out"
ok $? "check afterwards: exit 0, the publication covers every table, nothing to fix"
"$bin" check --fix --yes >"$tmp/out" 2>&1
rc=$?
[ "$rc" = 0 ] && grep -q "nothing to fix" "$tmp/out"
ok $? "check --fix again: nothing to fix, exit 0"

snapshot >"$tmp/s2"
for t in bystander badges labels; do
	[ "$(row $t "$tmp/s0")" = "$(row $t "$tmp/s2")" ] || { echo "# $t: $(row $t "$tmp/s0") -> $(row $t "$tmp/s2")"; false; } || break
done
ok $? "tables check did not report (bystander without a key, badges, labels) are not altered"
[ "$(row authors "$tmp/s2")" = "authors|i|authors_id_key:true:true" ] &&
	[ "$(row posts "$tmp/s2")" = "posts|i|posts_id_author_id_key:true:true" ]
ok $? "authors and posts: a valid unique index is their replica identity"
grep -E "^(authors|posts)[|]" "$tmp/s2" | sed 's/^/#   /'

echo "1..$n"
[ "$fail" = 0 ]
