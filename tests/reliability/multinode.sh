#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# multinode.sh FLUSSO SRC - a sink over a two-node OpenSearch cluster (issue 18, item 4):
# its own cluster (tests/opensearch/start-cluster.sh: two JVMs, discovery.seed_hosts, node1
# cluster manager, node2 data), flusso run on the shop example with `url: [node1, node2]` and
# one replica per index. Under the churn load, kill -9 of node2: flusso does not exit, /status
# shows node2 down within seconds, writes go on through node1 (committed grows), the
# flusso_opensearch_node_up metric says 0; node2 restarted: it is up again in /status, the
# pipeline catches up and `flusso verify` (through the comma-separated env form of the url)
# finds 0 missing, extra or different documents. The shared dev node is not touched.
# TAP output.
set -u
bin=${1:?usage: multinode.sh FLUSSO SRC}
src=${2:?usage: multinode.sh FLUSSO SRC}
id=mn_$$
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"

CL=
mn_cleanup() {
	stop_churn
	stop_flusso_hard
	[ -n "$CL" ] && "$src/tests/opensearch/stop.sh" "$CL" >/dev/null 2>&1
	# lib.sh's cleanup looks after the shared node only: point it back there
	DIRECT_OS_URL=${FLUSSO_TEST_OS_URL:-}
	rel_cleanup
	[ -n "$CL" ] && rm -rf "$CL"
}
trap mn_cleanup EXIT

rel_setup
CL=$(mktemp -d "${TMPDIR:-/tmp}/flusso-mn-os.XXXXXX")
ts=$(date +%s)
OS_NODES=2 OS_HEAP=${OS_HEAP:-512m} "$src/tests/opensearch/start-cluster.sh" "$CL" >"$tmp/cluster.log" 2>&1
rc=$?
[ $rc = 0 ] || sed 's/^/#   /' "$tmp/cluster.log"
ok $rc "two-node cluster started ($(($(date +%s) - ts)) s)"
[ $rc = 0 ] || exit 1
urls=$(sed -n "s/^export FLUSSO_TEST_OS_URLS='\(.*\)'$/\1/p" "$CL/env")
node1=${urls%%,*}
node2=${urls#*,}
DIRECT_OS_URL=$urls # verify: the env form, comma-separated

# the run: url as a YAML list, one replica
sed -e "s|^    url: .*|    url: [$node1, $node2]|" -e 's/number_of_replicas: 0/number_of_replicas: 1/' \
	"$tmp/cfg/flusso.yml" >"$tmp/cfg/list.yml"
grep -q "url: \[$node1, $node2\]" "$tmp/cfg/list.yml" || die "could not write list.yml"
# verify reads flusso.yml (url from SHOP_OPENSEARCH_URL) with the same replicas
sed -i 's/number_of_replicas: 0/number_of_replicas: 1/' "$tmp/cfg/flusso.yml"

# node_state K: state of node K of sink "search" in /status
node_state() {
	status | python3 -c 'import json,sys; print(json.load(sys.stdin)["sinks"]["search"]["nodes"][int(sys.argv[1])-1]["state"])' "$1" 2>/dev/null
}
is_node() { [ "$(node_state "$1")" = "$2" ]; }
committed() { field changes_committed; }
grew() { [ "$(committed)" -gt "$1" ] 2>/dev/null; }

REL_SCALE=${REL_SCALE:-1} rel_create_db
start_flusso FLUSSO_CONFIG="$tmp/cfg/list.yml"
caught_up 90; ok $? "seeded and live over two nodes"
is_node 1 up && is_node 2 up; ok $? "status: both nodes up"
reps=$(curl -s "$node1/${id}_users/_settings" | grep -o '"number_of_replicas":"[0-9]*"' | head -1)
[ "$reps" = '"number_of_replicas":"1"' ]; ok $? "users index has one replica ($reps)"
curl -fsS -o /dev/null --max-time 40 "$node1/_cluster/health?wait_for_status=green&timeout=35s"
ok $? "cluster green: the replicas are on the other node"

start_churn
sleep 3
c0=$(committed)
p2=$(cat "$CL/node2/os.pid")
tr '\0' ' ' <"/proc/$p2/cmdline" 2>/dev/null | grep -qF "EmbeddedOpenSearch $CL/node2/home " || die "node2 pid"
kill -9 "$p2"
while kill -0 "$p2" 2>/dev/null; do sleep 0.2; done
tk=$(date +%s)
note "node2 killed (kill -9) at $c0 changes committed"
wait_for 15 "node2 down in /status" is_node 2 down
ok $? "status shows node2 down ($(($(date +%s) - tk)) s after the kill)"
c1=$(committed)
wait_for 30 "commits while node2 is down" grew "$((c1 + 20))"
ok $? "writes go on through node1 ($c1 -> $(committed) committed)"
curl -s --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/metrics" |
	grep -q "^flusso_opensearch_node_up{sink=\"search\",node=\"$node2\"} 0"
ok $? "metric flusso_opensearch_node_up of node2 is 0"
alive; ok $? "flusso did not exit"

ts=$(date +%s)
OS_CLUSTER_NODE=2 OS_KEEP_DATA=1 "$src/tests/opensearch/start-cluster.sh" "$CL" >>"$tmp/cluster.log" 2>&1
ok $? "node2 restarted ($(($(date +%s) - ts)) s)"
wait_for 40 "node2 up in /status" is_node 2 up
ok $? "status shows node2 up again ($(($(date +%s) - ts)) s after its restart)"
sleep 2
quiesce_verify "node2 killed and back"
alive; ok $? "flusso still running"
stop_flusso; ok $? "flusso stops cleanly (exit 0)"
note "log: $(grep -c 'node .* is down\|node .* is up' "$log") node up/down lines"
echo "1..$n"
[ $fail = 0 ]
