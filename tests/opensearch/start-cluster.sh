#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Start a local OpenSearch cluster of N nodes (one JVM each, from the same Maven jars as
# start.sh) for tests that need several nodes: every node has its own state dir
# STATE_DIR/nodeK (data, log, pid), its own HTTP and transport port on 127.0.0.1, and
# discovery.seed_hosts naming every node. node1 is the only cluster-manager-eligible node
# (cluster.initial_cluster_manager_nodes=node1): the others hold data and can be killed and
# restarted without the cluster losing its manager.
#
#   tests/opensearch/start-cluster.sh STATE_DIR
#
# Environment:
#   OS_NODES           number of nodes (default 2, at most 9)
#   OS_HEAP            heap of each JVM (default 512m)
#   OS_CLUSTER_NODE    K: (re)start node K only, with the ports and settings of the first
#                      start (STATE_DIR/nodeK/start.env); with OS_KEEP_DATA=1 it keeps its data
#   OS_START_TIMEOUT   seconds to wait for each node (default 120)
#
# Writes STATE_DIR/env: FLUSSO_TEST_OS_URLS (comma-separated) and FLUSSO_TEST_OS_URL (node1).
# Replicas are left to the indices (no zero-replicas template): an index with 1 replica goes
# green once a second node holds it. Stop with tests/opensearch/stop.sh STATE_DIR (every node,
# by recorded pid).
set -eu

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
DIR=${1:?usage: start-cluster.sh STATE_DIR}
NODES=${OS_NODES:-2}
export OS_HEAP=${OS_HEAP:-512m}

log() { printf 'os/cluster: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case $NODES in [1-9]) ;; *) die "OS_NODES must be 1..9" ;; esac
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() {
    local p _
    for _ in $(seq 1 200); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 12000 ))
        port_in_use "$p" || { case " $taken " in *" $p "*) ;; *) echo "$p"; return 0 ;; esac; }
    done
    return 1
}

start_node() { # K: start.sh for node K from its start.env
    local k=$1
    # shellcheck disable=SC1090
    . "$DIR/node$k/start.env"
    OS_PORT=$http OS_SETTINGS=$settings OS_ZERO_REPLICA_TEMPLATE=0 \
        "$HERE/start.sh" "$DIR/node$k"
}

if [ -n "${OS_CLUSTER_NODE:-}" ]; then
    [ -f "$DIR/node$OS_CLUSTER_NODE/start.env" ] || die "no node $OS_CLUSTER_NODE in $DIR"
    start_node "$OS_CLUSTER_NODE"
    exit 0
fi

# ---- ports and settings of every node, then start them in order --------------------------
taken='' seeds='' urls=''
for k in $(seq 1 "$NODES"); do
    h=$(pick_port) || die "no free port"
    taken="$taken $h"
    t=$(pick_port) || die "no free port"
    taken="$taken $t"
    eval "http_$k=$h transport_$k=$t"
    seeds="$seeds${seeds:+,}127.0.0.1:$t"
    urls="$urls${urls:+,}http://127.0.0.1:$h"
done
for k in $(seq 1 "$NODES"); do
    mkdir -p "$DIR/node$k"
    roles=data,ingest
    [ "$k" = 1 ] && roles=cluster_manager,data,ingest
    eval "h=\$http_$k t=\$transport_$k"
    cat >"$DIR/node$k/start.env" <<EOF
http=$h
settings='cluster.name=flusso-cluster-$$ discovery.type=zen node.name=node$k transport.port=$t discovery.seed_hosts=$seeds cluster.initial_cluster_manager_nodes=node1 node.roles=$roles cluster.default_number_of_replicas=1'
EOF
done
for k in $(seq 1 "$NODES"); do
    start_node "$k" || die "node $k did not start (log: $DIR/node$k/os.log)"
done
if ! curl -fsS -o /dev/null --max-time 60 \
    "$(echo "$urls" | cut -d, -f1)/_cluster/health?wait_for_nodes=$NODES&timeout=55s"; then
    die "the cluster did not reach $NODES nodes"
fi
cat >"$DIR/env" <<EOF
export FLUSSO_TEST_OS_URLS='$urls'
export FLUSSO_TEST_OS_URL='$(echo "$urls" | cut -d, -f1)'
EOF
log "cluster of $NODES nodes running: $urls (state $DIR)"
