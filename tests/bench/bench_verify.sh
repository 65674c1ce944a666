#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bench_verify.sh FLUSSO SRCDIR [N...] - memory and speed of `flusso verify`
# (not in CI: it measures). For each N (default 10000 1000000): a fresh
# database with one table of N rows (~1 KB documents), indexed by
# `flusso run` until live, then `/usr/bin/time -v flusso verify
# --recheck 0`. Prints peak RSS, seconds and rows/s per N, and the RSS of
# every N against the first (the baseline of the same run): verify
# streams, so the target is within 2x at 100x the rows.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL
# (tests/services.sh env).
set -u
bin=$1 src=$2
shift 2
sizes=${*:-10000 1000000}
: "${FLUSSO_TEST_PG_URL:?start the services: eval \"\$(tests/services.sh env)\"}" "${FLUSSO_TEST_OS_URL:?}"
PSQL=${FLUSSO_TEST_PG_BIN:-}/psql
[ -x "$PSQL" ] || PSQL=psql
base=${FLUSSO_TEST_PG_URL%/*}
os=$FLUSSO_TEST_OS_URL
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-verify.XXXXXX")
id= pid=

# shellcheck source=tests/lib/free_port.sh
. "$src/tests/lib/free_port.sh"
drop() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
	[ -n "$id" ] || return 0
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$id'" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "SELECT pg_drop_replication_slot('${id}_slot')" >/dev/null 2>&1
	"$PSQL" -X -q "$base/postgres" -c "DROP DATABASE IF EXISTS $id" >/dev/null 2>&1
	curl -s -X DELETE "$os/${id}_*?expand_wildcards=all" >/dev/null 2>&1
	id=
}
trap 'drop; rm -rf "$tmp"' EXIT

cat >"$tmp/people.schema.yml" <<'EOF'
version: 1
table: people
primary_key: id
fields:
  - long: id
    required: true
  - keyword: email
    required: true
  - text: name
    required: true
  - text: bio
    required: true
  - integer: score
    required: true
  - timestamp: createdAt
    column: created_at
    required: true
EOF
cat >"$tmp/flusso.yml" <<'EOF'
source:
  type: postgres
  connection_url: {env: BENCH_DATABASE_URL}
sinks:
  search:
    type: opensearch
    url: {env: BENCH_OPENSEARCH_URL}
    number_of_shards: 1
    number_of_replicas: 0
    refresh_interval: "1s"
index:
  - name: people
    schema: people.schema.yml
    enabled: true
EOF

printf '%-10s %10s %10s %10s %12s %s\n' rows rss_mb seconds rows_per_s rss_vs_first verify_exit
first_rss=
for n in $sizes; do
	id=bvfy_$$_$n
	export BENCH_DATABASE_URL=$base/$id BENCH_OPENSEARCH_URL=$os
	export FLUSSO_CONFIG=$tmp/flusso.yml FLUSSO_INDEX_PREFIX=${id}_
	export FLUSSO_SLOT=${id}_slot FLUSSO_PUBLICATION=${id}_pub FLUSSO_ADMIN_PASSWORD=bench
	FLUSSO_PUBLIC_ADDRESS=127.0.0.1:$(free_port) FLUSSO_PRIVATE_ADDRESS=127.0.0.1:$(free_port)
	export FLUSSO_PUBLIC_ADDRESS FLUSSO_PRIVATE_ADDRESS
	"$PSQL" -X -q "$base/postgres" -c "CREATE DATABASE $id" || exit 1
	"$PSQL" -X -q -v ON_ERROR_STOP=1 "$BENCH_DATABASE_URL" -c "
		CREATE TABLE people (id bigint PRIMARY KEY, email text NOT NULL, name text NOT NULL,
		                     bio text NOT NULL, score integer NOT NULL, created_at timestamptz NOT NULL);
		INSERT INTO people SELECT i, 'user' || i || '@example.org', 'Person number ' || i,
		       repeat(md5(i::text), 28), (i * 7919) % 1000, '2026-01-01'::timestamptz + i * interval '1 minute'
		  FROM generate_series(1::bigint, $n) i;
		ANALYZE people;" || exit 1
	t0=$(date +%s)
	"$bin" run >"$tmp/run.log" 2>&1 &
	pid=$!
	until curl -s --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/status" | grep -q '"people":{"state":"live"'; do
		kill -0 "$pid" 2>/dev/null || { echo "flusso run exited:"; tail -20 "$tmp/run.log"; exit 1; }
		sleep 1
	done
	kill -TERM "$pid"; wait "$pid"; pid=
	echo "# $n rows indexed by flusso run in $(($(date +%s) - t0)) s" >&2
	/usr/bin/time -v "$bin" verify --recheck 0 >"$tmp/verify.out" 2>"$tmp/time.txt"
	rc=$?
	rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
	el=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
	secs=$(echo "$el" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	sed 's/^/# /' "$tmp/verify.out" >&2
	[ -n "$first_rss" ] || first_rss=$rss_kb
	awk -v n="$n" -v r="$rss_kb" -v s="$secs" -v f="$first_rss" -v rc="$rc" 'BEGIN {
		printf "%-10d %10.1f %10.2f %10.0f %11.2fx %d\n", n, r / 1024, s, (s > 0 ? n / s : 0), r / f, rc }'
	drop
done
