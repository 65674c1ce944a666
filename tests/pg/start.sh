#!/usr/bin/env bash
# Start a throwaway PostgreSQL 15 cluster for flusso's tests.
#
#   tests/pg/start.sh [STATE_DIR]
#
# STATE_DIR defaults to $PG_DIR, else ${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/pg.
# Environment:
#   PG_PORT               port to listen on (default: a free port picked now)
#   FLUSSO_TEST_PG_BIN    PostgreSQL bin dir (default /usr/lib/postgresql/15/bin)
#   PG_RUN_USER           OS user to run the server as when root (default: postgres, created if missing)
#
# Listens on 127.0.0.1 only; the unix socket lives in STATE_DIR/sock. Superuser `postgres`,
# trust auth, database `flusso_test`, wal_level=logical. If the cluster recorded in STATE_DIR
# is already running it is reused. Writes STATE_DIR/{pid,port,user,env}; STATE_DIR/env holds
# `export FLUSSO_TEST_PG_*=...` lines. Stop with tests/pg/stop.sh (by recorded pid only).
set -eu

PG_BIN=${FLUSSO_TEST_PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=${1:-${PG_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/pg}}
DB_NAME=flusso_test

log() { printf 'pg/start: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [ ! -x "$PG_BIN/initdb" ] || [ ! -x "$PG_BIN/pg_ctl" ]; then
    die "PostgreSQL binaries not found in $PG_BIN (apt-get install postgresql-15, or set FLUSSO_TEST_PG_BIN)"
fi

mkdir -p "$PG_DIR"
PG_DIR=$(cd "$PG_DIR" && pwd -P)
DATA="$PG_DIR/data"
SOCK="$PG_DIR/sock"
LOGFILE="$PG_DIR/postgres.log"

# A port is taken if something accepts on it or ss lists it as listening.
port_in_use() {
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if command -v ss >/dev/null 2>&1 && ss -Htln "sport = :$1" 2>/dev/null | grep -q .; then
        return 0
    fi
    return 1
}
pick_port() {
    local p _
    for _ in $(seq 1 200); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 )) # below the ephemeral range (32768-)
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# Is the pid recorded in STATE_DIR a live postmaster of this data dir?
recorded_pid_alive() {
    local pid
    [ -f "$PG_DIR/pid" ] || return 1
    pid=$(cat "$PG_DIR/pid" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    # guard against a recycled pid: the postmaster's command line names our data dir
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DATA" || return 1
    echo "$pid"
}

write_env() {
    local port=$1 pid=$2
    echo "$pid" >"$PG_DIR/pid"
    echo "$port" >"$PG_DIR/port"
    cat >"$PG_DIR/env.tmp" <<EOF
export FLUSSO_TEST_PG_URL='postgresql://postgres@127.0.0.1:$port/$DB_NAME'
export FLUSSO_TEST_PG_PORT=$port
export FLUSSO_TEST_PG_BIN=$PG_BIN
export FLUSSO_TEST_PG_SOCKET_DIR=$SOCK
EOF
    mv -f "$PG_DIR/env.tmp" "$PG_DIR/env"
}

# ---- reuse a running cluster --------------------------------------------------------------
if pid=$(recorded_pid_alive); then
    port=$(cat "$PG_DIR/port")
    log "reusing running PostgreSQL (pid $pid) on 127.0.0.1:$port, state $PG_DIR"
    write_env "$port" "$pid"
    exit 0
fi

# ---- choose the user the server runs as ---------------------------------------------------
as_user() { "$@"; }
RUN_USER=$(id -un)
if [ "$(id -u)" = 0 ]; then
    RUN_USER=${PG_RUN_USER:-postgres}
    if ! id -u "$RUN_USER" >/dev/null 2>&1; then
        log "creating system user $RUN_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$RUN_USER"
    fi
    command -v runuser >/dev/null 2>&1 || die "runuser not found (util-linux)"
    as_user() { runuser -u "$RUN_USER" -- "$@"; }
fi

# ---- fresh cluster ------------------------------------------------------------------------
# Nothing of ours runs here (checked above): wipe the old cluster, start from scratch.
rm -rf "$DATA" "$SOCK" "$PG_DIR/pid" "$PG_DIR/port" "$PG_DIR/env" "$LOGFILE"
mkdir -p "$DATA" "$SOCK"
chmod 700 "$DATA"
if [ "$(id -u)" = 0 ]; then
    chown "$RUN_USER:" "$PG_DIR" "$DATA" "$SOCK"
fi
as_user test -w "$DATA" ||
    die "user $RUN_USER cannot write $DATA (is a parent of $PG_DIR private to root? set FLUSSO_SVC_DIR elsewhere)"
echo "$RUN_USER" >"$PG_DIR/user"

# unix socket paths are limited to 107 bytes
[ ${#SOCK} -le 90 ] || die "socket dir path too long (${#SOCK} chars): $SOCK; use a shorter FLUSSO_SVC_DIR"

if ! as_user "$PG_BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-locale \
    --no-sync >"$PG_DIR/initdb.log" 2>&1; then
    tail -n 50 "$PG_DIR/initdb.log" >&2 || true
    die "initdb failed"
fi

cat >"$DATA/pg_hba.conf" <<'EOF'
# flusso test cluster: trust on the unix socket and on 127.0.0.1 only
local   all             all                     trust
host    all             all     127.0.0.1/32    trust
local   replication     all                     trust
host    replication     all     127.0.0.1/32    trust
EOF
chown "$RUN_USER:" "$DATA/pg_hba.conf" 2>/dev/null || true
# our settings (rewritten per attempt below), included last so they win over initdb's
echo "include = 'flusso-test.conf'" >>"$DATA/postgresql.conf"

attempt=0
while :; do
    attempt=$((attempt + 1))
    if [ -n "${PG_PORT:-}" ]; then
        port=$PG_PORT
        port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"
    else
        port=$(pick_port) || die "no free port found"
    fi
    cat >"$DATA/flusso-test.conf" <<EOF
# written by tests/pg/start.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$SOCK'
wal_level = logical
max_replication_slots = 32
max_wal_senders = 32
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
log_connections = off
EOF
    chown "$RUN_USER:" "$DATA/flusso-test.conf" 2>/dev/null || true

    : >"$LOGFILE"
    chown "$RUN_USER:" "$LOGFILE" 2>/dev/null || true
    if as_user "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 -s start >>"$PG_DIR/pg_ctl.log" 2>&1; then
        break
    fi
    # A port grabbed between the probe and the bind: try another one (only if we chose it).
    if [ -z "${PG_PORT:-}" ] && [ "$attempt" -lt 3 ] && grep -q 'could not bind' "$LOGFILE"; then
        log "port $port was taken meanwhile, retrying"
        continue
    fi
    log "pg_ctl start failed; last lines of $LOGFILE:"
    tail -n 50 "$LOGFILE" >&2 || true
    tail -n 5 "$PG_DIR/pg_ctl.log" >&2 || true
    # if a postmaster came up half-way, stop it by its own pid file
    if [ -f "$DATA/postmaster.pid" ]; then
        as_user "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -s stop >/dev/null 2>&1 || true
    fi
    exit 1
done

pid=$(head -n 1 "$DATA/postmaster.pid")
write_env "$port" "$pid"

if ! "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$port" -U postgres -d postgres \
    -c "CREATE DATABASE $DB_NAME" >>"$PG_DIR/pg_ctl.log" 2>&1; then
    tail -n 5 "$PG_DIR/pg_ctl.log" >&2 || true
    tail -n 20 "$LOGFILE" >&2 || true
    die "could not create database $DB_NAME (the server is still running; tests/pg/stop.sh stops it)"
fi

log "PostgreSQL running (pid $pid) on 127.0.0.1:$port, socket dir $SOCK, state $PG_DIR"
