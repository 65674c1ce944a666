#!/usr/bin/env bash
# Stop the OpenSearch test node started by tests/opensearch/start.sh.
#
#   tests/opensearch/stop.sh [STATE_DIR]
#
# STATE_DIR of a cluster (tests/opensearch/start-cluster.sh) stops each of its nodes.
# SIGTERM to the recorded pid only (never by process name), wait up to 30 s, then SIGKILL
# that same pid. Safe to run when nothing is running. The log stays in STATE_DIR/os.log.
set -eu

OS_DIR=${1:-${OS_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/os}}

log() { printf 'os/stop: %s\n' "$*" >&2; }

if [ ! -d "$OS_DIR" ]; then
    log "nothing to stop ($OS_DIR does not exist)"
    exit 0
fi
OS_DIR=$(cd "$OS_DIR" && pwd -P)
PIDFILE="$OS_DIR/os.pid"

# A cluster (start-cluster.sh): stop every node, each by its own recorded pid.
if [ ! -f "$PIDFILE" ] && [ -f "$OS_DIR/node1/start.env" ]; then
    rc=0
    for d in "$OS_DIR"/node[0-9]*; do
        [ -d "$d" ] || continue
        "$0" "$d" || rc=1
    done
    exit $rc
fi

pid=
if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE" 2>/dev/null || true)
    case $pid in *[!0-9]*) pid= ;; esac
fi

# alive, and still our launcher for this home dir (not a recycled pid)
ours() {
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "EmbeddedOpenSearch $OS_DIR/home "
}

if ! ours; then
    log "not running (state $OS_DIR)"
    rm -f "$PIDFILE"
    exit 0
fi

kill -TERM "$pid" 2>/dev/null || true
for _ in $(seq 1 300); do ours || break; sleep 0.1; done
if ours; then
    log "pid $pid still alive after 30s; SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do ours || break; sleep 0.1; done
    if ours; then
        log "ERROR: could not stop pid $pid"
        exit 1
    fi
fi
rm -f "$PIDFILE"
log "stopped OpenSearch (pid $pid)"
