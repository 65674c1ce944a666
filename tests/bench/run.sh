#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/run.sh [capture|bulk|docs] - run benchmarks (not part of CI: they
# measure time). Builds Release into build/, starts its own services in
# a temp dir, runs, stops them.
#   capture [ROWS]   decoded changes/s vs pg_recvlogical (default 1M rows)
#   docs [SCALE]     shop `users` documents/s, 1 and 2 workers, vs psql
#                    running the same SQL (default scale 100: 100k users)
#   bulk [DOCS] [opts] documents/s into OpenSearch through the writer vs
#                    sequential curl (default 100,000 docs; opts: --gzip,
#                    --slow BYTES_PER_SEC, --parallel P, --flush N, --batch B,
#                    --rounds R; see tests/bench/bench_bulk.c); OS_HEAP
#                    defaults to 2g here
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
what=${1:-capture}
shift || true
gen=()
command -v ninja >/dev/null 2>&1 && gen=(-G Ninja)
cmake -S . -B build "${gen[@]}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
export FLUSSO_SVC_DIR=$(mktemp -d "${TMPDIR:-/tmp}/flusso-bench.XXXXXX")
chmod 755 "$FLUSSO_SVC_DIR"
trap 'tests/services.sh stop >/dev/null 2>&1 || true' EXIT
case $what in
capture)
	tests/services.sh start pg
	eval "$(tests/services.sh env)"
	echo "machine: $(nproc) cores, $(uname -sr)"
	build/tests/bench_capture "$@"
	;;
bulk)
	OS_HEAP=${OS_HEAP:-2g} tests/services.sh start os
	eval "$(tests/services.sh env)"
	echo "machine: $(nproc) cores, $(uname -sr)"
	build/tests/bench_bulk "$@"
	;;
docs)
	tests/services.sh start pg
	eval "$(tests/services.sh env)"
	echo "machine: $(nproc) cores, $(uname -sr)"
	FLUSSO_SOURCE_DIR=$root build/tests/bench_docs "$@"
	;;
*) echo "run.sh: unknown benchmark $what" >&2; exit 2 ;;
esac
