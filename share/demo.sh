#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# share/demo.sh - set up and run the flusso demo on a fresh Debian 12 box:
# install what is missing, build flusso, start a throwaway PostgreSQL 15 and
# a real OpenSearch 2.19.6 on free loopback ports, load the shop example,
# and open `flusso tui` on it (when run on a terminal).
#
#   share/demo.sh            set up (idempotent) and run the demo
#   share/demo.sh env        print the demo's environment (for eval)
#   share/demo.sh stop       stop the demo's services
#
# Environment: FLUSSO_DEMO_DIR (state, default /tmp/flusso-demo),
# FLUSSO_DEMO_SCALE (seed scale factor, default 1 = 1,000 users).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export FLUSSO_SVC_DIR=${FLUSSO_DEMO_DIR:-${TMPDIR:-/tmp}/flusso-demo}
scale=${FLUSSO_DEMO_SCALE:-1}
shop=share/examples/shop

demo_env() {
	eval "$(tests/services.sh env)"
	local base=${FLUSSO_TEST_PG_URL%/*}
	echo "export SHOP_DATABASE_URL='$base/shop'"
	echo "export SHOP_OPENSEARCH_URL='$FLUSSO_TEST_OS_URL'"
	echo "export FLUSSO_CONFIG='$root/$shop/flusso.yml'"
}

case ${1:-run} in
stop) exec tests/services.sh stop ;;
env) demo_env; exit 0 ;;
run) ;;
-h | --help) sed -n '3,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) echo "demo.sh: unknown command $1 (run, env, stop)" >&2; exit 2 ;;
esac

echo "== dependencies"
tests/deps.sh
echo "== building flusso (build/)"
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
echo "== services (state in $FLUSSO_SVC_DIR)"
tests/services.sh start
eval "$(demo_env)"

admin=${SHOP_DATABASE_URL%/*}/postgres
if [ "$(psql -Atq "$admin" -c "SELECT 1 FROM pg_database WHERE datname = 'shop'")" != 1 ]; then
	echo "== loading the shop example (scale $scale)"
	psql -q "$admin" -c 'CREATE DATABASE shop'
	psql -q -v ON_ERROR_STOP=1 "$SHOP_DATABASE_URL" -f "$shop/schema.sql"
	psql -q -v ON_ERROR_STOP=1 -v scale="$scale" "$SHOP_DATABASE_URL" -f "$shop/seed.sql"
fi
psql -q "$SHOP_DATABASE_URL" -c "SELECT (SELECT count(*) FROM users) AS users,
	(SELECT count(*) FROM orders) AS orders, (SELECT count(*) FROM products) AS products"

echo "== flusso check"
build/flusso check --config "$shop/flusso.yml" || true

cat <<EOT

The demo's services keep running. To use them from this shell:
  eval "\$(share/demo.sh env)"
  psql "\$SHOP_DATABASE_URL"          # the shop database
  curl "\$SHOP_OPENSEARCH_URL/_cat/indices?v"
  build/flusso tui                    # the dashboard again
Stop them with: share/demo.sh stop
EOT

# The dashboard: the engine runs in it. Things to try: `:pause users`,
# then edit a user in psql (another terminal) and watch nothing arrive
# until `:resume users`; `?` lists every key and command; `q` quits.
if [ -t 0 ] && [ -t 1 ]; then
	echo
	echo "== flusso tui (try :pause users, edit a row in psql, :resume users; ? for help, q quits)"
	sleep 2
	exec build/flusso tui --config "$shop/flusso.yml" \
		--log-file "$FLUSSO_SVC_DIR/flusso-tui.log"
fi
