#!/usr/bin/env bash
# Start a single-node OpenSearch 2.19.6 for flusso's tests, from Maven Central jars and our
# own launcher (EmbeddedOpenSearch.java). See the spec opensearch-test-node.md (shared/spec).
#
#   tests/opensearch/start.sh [STATE_DIR]
#
# STATE_DIR defaults to $OS_DIR, else ${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/os.
# Environment:
#   OS_PORT            HTTP port (default: a free port picked now); 127.0.0.1 only
#   OS_HEAP            JVM heap, -Xms = -Xmx (default 1g)
#   OS_START_TIMEOUT   seconds to wait for yellow health (default 120)
#   OS_KEEP_DATA       1: keep STATE_DIR/home (the data) from the last run and, unless OS_PORT
#                      is set, its port: a restart after stop.sh sees the same indices
#   OS_SETTINGS        extra node settings, whitespace-separated key=value pairs
#                      (e.g. OS_SETTINGS='http.max_content_length=16kb')
#   FLUSSO_CACHE_DIR   cache for jars and compiled launcher (default $HOME/.cache/flusso)
#   JAVA_HOME          optional; java/javac from PATH otherwise (Java 17)
#
# If the node recorded in STATE_DIR is running it is reused. Writes STATE_DIR/{os.pid,port,
# os.log,env}; STATE_DIR/home is the node's home (recreated on every start unless
# OS_KEEP_DATA=1).
# Stop with tests/opensearch/stop.sh (by recorded pid only).
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
OS_DIR=${1:-${OS_DIR:-${FLUSSO_SVC_DIR:-${TMPDIR:-/tmp}/flusso-services}/os}}
OS_HEAP=${OS_HEAP:-1g}
TIMEOUT=${OS_START_TIMEOUT:-120}
CACHE=${FLUSSO_CACHE_DIR:-${HOME:-/tmp}/.cache/flusso}
LIB="$CACHE/os-lib"
CLASSES="$CACHE/os-classes"

if [ -n "${JAVA_HOME:-}" ]; then
    JAVA="$JAVA_HOME/bin/java" JAVAC="$JAVA_HOME/bin/javac"
else
    JAVA=java JAVAC=javac
fi

log() { printf 'os/start: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for tool in "$JAVA" "$JAVAC" mvn curl; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install openjdk-17-jdk-headless maven curl)"
done

mkdir -p "$OS_DIR" "$CACHE"
OS_DIR=$(cd "$OS_DIR" && pwd -P)
OS_HOME="$OS_DIR/home"
LOGFILE="$OS_DIR/os.log"
PIDFILE="$OS_DIR/os.pid"

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

# The recorded pid, if it is alive and is our launcher for this home dir (not a recycled pid).
recorded_pid_alive() {
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
    case $pid in '' | *[!0-9]*) return 1 ;; esac
    kill -0 "$pid" 2>/dev/null || return 1
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "EmbeddedOpenSearch $OS_HOME " || return 1
    echo "$pid"
}

write_env() {
    cat >"$OS_DIR/env.tmp" <<EOF
export FLUSSO_TEST_OS_URL='http://127.0.0.1:$1'
export FLUSSO_TEST_OS_PORT=$1
EOF
    mv -f "$OS_DIR/env.tmp" "$OS_DIR/env"
}

# alive PID: exists and is not a zombie
alive() {
    local st
    st=$(cut -d')' -f2 "/proc/$1/stat" 2>/dev/null | cut -d' ' -f2) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

health() {
    curl -fsS -o /dev/null --max-time 5 \
        "http://127.0.0.1:$1/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null
}

# ---- reuse a running node ------------------------------------------------------------------
if pid=$(recorded_pid_alive); then
    port=$(cat "$OS_DIR/port")
    if health "$port"; then
        log "reusing running OpenSearch (pid $pid) on http://127.0.0.1:$port, state $OS_DIR"
        write_env "$port"
        exit 0
    fi
    die "recorded OpenSearch pid $pid is alive but http://127.0.0.1:$port is not healthy; run tests/opensearch/stop.sh first"
fi

# ---- jars and launcher, cached by content hash ----------------------------------------------
# Serialised with flock so two instances starting at once do not build the cache twice.
build_cache() {
    local want have tmp
    want=$(sha256sum <"$HERE/pom.xml" | cut -d' ' -f1)
    have=$(cat "$LIB/.pom.sha256" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        log "resolving OpenSearch jars with Maven into $LIB (first run downloads ~90 MB)"
        tmp="$LIB.tmp.$$"
        rm -rf "$tmp"
        if ! mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies \
            -DoutputDirectory="$tmp" -DincludeScope=runtime >"$CACHE/mvn.log" 2>&1; then
            tail -n 40 "$CACHE/mvn.log" >&2 || true
            rm -rf "$tmp"
            die "mvn dependency:copy-dependencies failed (log: $CACHE/mvn.log)"
        fi
        echo "$want" >"$tmp/.pom.sha256"
        rm -rf "$LIB"
        mv "$tmp" "$LIB"
    fi
    want=$(cat "$HERE/EmbeddedOpenSearch.java" "$LIB/.pom.sha256" | sha256sum | cut -d' ' -f1)
    have=$(cat "$CLASSES/.src.sha256" 2>/dev/null || true)
    if [ "$want" != "$have" ]; then
        log "compiling EmbeddedOpenSearch.java"
        tmp="$CLASSES.tmp.$$"
        rm -rf "$tmp"
        mkdir -p "$tmp"
        if ! "$JAVAC" -nowarn -d "$tmp" -cp "$LIB/*" "$HERE/EmbeddedOpenSearch.java" >"$CACHE/javac.log" 2>&1; then
            cat "$CACHE/javac.log" >&2 || true
            rm -rf "$tmp"
            die "javac failed"
        fi
        echo "$want" >"$tmp/.src.sha256"
        rm -rf "$CLASSES"
        mv "$tmp" "$CLASSES"
    fi
}
if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE/.os-build.lock"
    flock 9
    build_cache
    flock -u 9
    exec 9>&-
else
    build_cache
fi

# ---- start the node ----------------------------------------------------------------------
if [ "${OS_KEEP_DATA:-0}" = 1 ] && [ -d "$OS_HOME" ]; then
    if [ -z "${OS_PORT:-}" ] && [ -f "$OS_DIR/port" ]; then
        OS_PORT=$(cat "$OS_DIR/port")
    fi
    log "keeping the data in $OS_HOME"
    rm -f "$PIDFILE" "$OS_DIR/port" "$OS_DIR/env"
else
    rm -rf "$OS_HOME" "$PIDFILE" "$OS_DIR/port" "$OS_DIR/env"
fi
mkdir -p "$OS_HOME/config"

attempt=0
while :; do
    attempt=$((attempt + 1))
    if [ -n "${OS_PORT:-}" ]; then
        port=$OS_PORT
        port_in_use "$port" && die "port $port on 127.0.0.1 is already in use"
    else
        port=$(pick_port) || die "no free port found"
    fi
    echo "$port" >"$OS_DIR/port"

    # setsid: the node must not get the terminal's Ctrl-C nor hold the caller's stdout.
    # The launcher is not a process-group leader here, so setsid execs java in place and
    # $! is the JVM's pid.
    setsid "$JAVA" \
        "-Xms$OS_HEAP" "-Xmx$OS_HEAP" -XX:MaxDirectMemorySize=256m \
        -XX:+UseG1GC -XX:G1ReservePercent=25 -XX:InitiatingHeapOccupancyPercent=30 \
        -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
        -Dlog4j.shutdownHookEnabled=false -Dlog4j2.disable.jmx=true \
        "-Dflusso.os.settings=${OS_SETTINGS:-}" \
        -cp "$CLASSES:$LIB/*" EmbeddedOpenSearch "$OS_HOME" "$port" \
        </dev/null >"$LOGFILE" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
    log "started JVM pid $pid, waiting up to ${TIMEOUT}s for http://127.0.0.1:$port"

    start=$(date +%s)
    while :; do
        if health "$port"; then
            break 2
        fi
        if ! alive "$pid"; then
            wait "$pid" 2>/dev/null || true
            if [ -z "${OS_PORT:-}" ] && [ "$attempt" -lt 3 ] &&
                grep -q 'BindHttpException\|BindTransportException' "$LOGFILE"; then
                log "port $port was taken meanwhile, retrying"
                rm -rf "$OS_HOME" "$PIDFILE" && mkdir -p "$OS_HOME/config"
                continue 2
            fi
            log "OpenSearch (pid $pid) died during start-up; last 50 lines of $LOGFILE:"
            tail -n 50 "$LOGFILE" >&2 || true
            rm -f "$PIDFILE"
            exit 1
        fi
        if [ $(( $(date +%s) - start )) -ge "$TIMEOUT" ]; then
            log "OpenSearch not healthy after ${TIMEOUT}s; last 50 lines of $LOGFILE:"
            tail -n 50 "$LOGFILE" >&2 || true
            log "the JVM (pid $pid) is left running for inspection; tests/opensearch/stop.sh stops it"
            exit 1
        fi
        sleep 1
    done
done

# ---- test defaults -----------------------------------------------------------------------
# One node: replicas can never be assigned, so test indices must have 0 of them to go green.
# 1. The node sets cluster.default_number_of_replicas=0 (EmbeddedOpenSearch.java): covers
#    every index whose settings/templates do not name a replica count.
# 2. A catch-all, lowest-order *legacy* index template with 0 replicas (OS_ZERO_REPLICA_TEMPLATE=0
#    skips it). Deliberately not a composable _index_template: a composable "*" template at
#    priority 0 makes every later composable template without an explicit priority fail with
#    "... matching patterns from existing templates ... that have the same priority [0]", and at
#    any higher priority it would silently replace the tests' own templates. A legacy template
#    never blocks anything; OpenSearch only adds a Warning header when composable templates
#    overlap it (and a matching composable template takes precedence over it).
if [ "${OS_ZERO_REPLICA_TEMPLATE:-1}" != 0 ] &&
    ! out=$(curl -fsS --max-time 30 -X PUT -H 'Content-Type: application/json' \
        "http://127.0.0.1:$port/_template/flusso-test-zero-replicas" \
        -d '{"index_patterns":["*"],"order":-1000,"settings":{"number_of_replicas":0}}' 2>&1); then
    log "could not install the zero-replicas index template: $out"
    exit 1
fi

write_env "$port"
log "OpenSearch running (pid $pid) on http://127.0.0.1:$port in $(( $(date +%s) - start ))s, state $OS_DIR"
