#!/usr/bin/env bash
# Stop the throwaway PostgreSQL cluster started by tests/pg/start.sh.
#
#   tests/pg/stop.sh [STATE_DIR]
#
# `pg_ctl stop -m fast` on the recorded data dir; if that fails, signals go to the recorded
# postmaster pid only (SIGQUIT, then SIGKILL). Never kills by process name. Safe to run when
# nothing is running. The data dir and log are left for inspection; start.sh wipes them.
set -eu

PG_BIN=${FLUSSO_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=${1:-${PG_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/pg}}

log() { printf 'pg/stop: %s\n' "$*" >&2; }

if [ ! -d "$PG_DIR" ]; then
    log "nothing to stop ($PG_DIR does not exist)"
    exit 0
fi
PG_DIR=$(cd "$PG_DIR" && pwd -P)
DATA="$PG_DIR/data"

pid=
if [ -f "$PG_DIR/pid" ]; then
    pid=$(cat "$PG_DIR/pid" 2>/dev/null || true)
    case $pid in *[!0-9]*) pid= ;; esac
fi

# alive, and still our postmaster (its command line names our data dir), not a recycled pid
ours() {
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DATA"
}

if ! ours; then
    log "not running (state $PG_DIR)"
    rm -f "$PG_DIR/pid"
    exit 0
fi

as_user() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    RUN_USER=$(cat "$PG_DIR/user" 2>/dev/null || echo postgres)
    as_user() { runuser -u "$RUN_USER" -- "$@"; }
fi

if as_user "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 -s stop >/dev/null 2>&1 && ! ours; then
    log "stopped PostgreSQL (pid $pid)"
else
    log "pg_ctl stop failed; sending SIGQUIT to recorded pid $pid"
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do ours || break; sleep 0.1; done
    if ours; then
        log "pid $pid still alive; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do ours || break; sleep 0.1; done
    fi
    if ours; then
        log "ERROR: could not stop pid $pid"
        exit 1
    fi
    log "last lines of $PG_DIR/postgres.log:"
    tail -n 20 "$PG_DIR/postgres.log" >&2 2>/dev/null || true
fi
rm -f "$PG_DIR/pid"
