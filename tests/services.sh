#!/usr/bin/env bash
# Test services for flusso: a throwaway PostgreSQL 15 and a single-node OpenSearch 2.19.6,
# on 127.0.0.1, on free ports, in one state dir.
#
#   tests/services.sh start  [pg|os|all]   start (or reuse the running ones), write services.env
#   tests/services.sh stop   [pg|os|all]   stop by recorded pid; safe when nothing runs
#   tests/services.sh status [pg|os|all]   say what runs; exit 0 only if all asked for run
#   tests/services.sh env                  print services.env:  eval "$(tests/services.sh env)"
#
# State dir: ${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services} with pg/ and os/ inside.
# Several state dirs can be used at once (different ports). Other knobs: see
# tests/pg/start.sh and tests/opensearch/start.sh (PG_PORT, OS_PORT, OS_HEAP, ...).
set -eu

TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
SVC_DIR=${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}
mkdir -p "$SVC_DIR"
SVC_DIR=$(cd "$SVC_DIR" && pwd -P)
export FLUSSO_SVC_DIR=$SVC_DIR
ENV_FILE="$SVC_DIR/services.env"

usage() {
    echo "usage: $0 {start|stop|status|env} [pg|os|all]" >&2
    exit 2
}

cmd=${1:-}
which=${2:-all}
case $which in pg | os) ;; all) which="pg os" ;; *) usage ;; esac

pid_of() { # pid_of pg|os -> the recorded pid if that process is alive and is ours
    local pid pattern
    case $1 in
        pg) pid=$(cat "$SVC_DIR/pg/pid" 2>/dev/null || true); pattern="$SVC_DIR/pg/data" ;;
        os) pid=$(cat "$SVC_DIR/os/os.pid" 2>/dev/null || true); pattern="EmbeddedOpenSearch $SVC_DIR/os/home " ;;
    esac
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$pattern" || return 1
    echo "$pid"
}

# services.env from the env fragments of the services that run
write_env() {
    {
        echo "# flusso test services; eval \"\$(tests/services.sh env)\" or source this file"
        if pid_of pg >/dev/null && [ -f "$SVC_DIR/pg/env" ]; then cat "$SVC_DIR/pg/env"; fi
        if pid_of os >/dev/null && [ -f "$SVC_DIR/os/env" ]; then cat "$SVC_DIR/os/env"; fi
        echo "export FLUSSO_SVC_DIR=$SVC_DIR"
    } >"$ENV_FILE.tmp"
    mv -f "$ENV_FILE.tmp" "$ENV_FILE"
}

case $cmd in
    start)
        for s in $which; do
            case $s in
                pg) "$TESTS/pg/start.sh" "$SVC_DIR/pg" || { write_env; exit 1; } ;;
                os) "$TESTS/opensearch/start.sh" "$SVC_DIR/os" || { write_env; exit 1; } ;;
            esac
        done
        write_env
        echo "services: env written to $ENV_FILE" >&2
        ;;
    stop)
        rc=0
        for s in $which; do
            case $s in
                pg) "$TESTS/pg/stop.sh" "$SVC_DIR/pg" || rc=1 ;;
                os) "$TESTS/opensearch/stop.sh" "$SVC_DIR/os" || rc=1 ;;
            esac
        done
        write_env
        exit $rc
        ;;
    status)
        rc=0
        for s in $which; do
            if pid=$(pid_of "$s"); then
                port=$(cat "$SVC_DIR/$s/port" 2>/dev/null || echo '?')
                echo "$s: running (pid $pid) on 127.0.0.1:$port"
            else
                echo "$s: not running"
                rc=1
            fi
        done
        echo "state dir: $SVC_DIR"
        exit $rc
        ;;
    env)
        [ -f "$ENV_FILE" ] || write_env
        cat "$ENV_FILE"
        ;;
    *) usage ;;
esac
