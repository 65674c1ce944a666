#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# test_monitoring.sh FLUSSO SRC - the monitoring files of share/monitoring/
# (issue 19): the Prometheus rules file has groups of alerting rules with
# alert, expr, a duration in for, labels.severity and annotations
# (python3-yaml; `promtool check rules` too when promtool is installed);
# the Grafana dashboard parses, every panel has targets with an expr,
# panel ids are unique; then `flusso run` on the shop example, once live,
# serves on its public address a /metrics that holds every flusso_*
# series the rules' and the dashboard's expressions name, with
# flusso_ready 1 and flusso_phase{phase="live"} 1 (as /readyz says).
# Short: about 10 s. TAP output.
# Needs FLUSSO_TEST_PG_URL, FLUSSO_TEST_PG_BIN, FLUSSO_TEST_OS_URL,
# FLUSSO_SVC_DIR (tests/services.sh env).
set -u
bin=${1:?usage: test_monitoring.sh FLUSSO SRC}
src=${2:?usage: test_monitoring.sh FLUSSO SRC}
id=mon_$$
REL_SCALE=${REL_SCALE:-1}
# shellcheck source=tests/reliability/lib.sh
. "$src/tests/reliability/lib.sh"
trap rel_cleanup EXIT

rules=$src/share/monitoring/flusso-alerts.yml
dash=$src/share/monitoring/flusso-dashboard.json
check() { python3 "$src/tests/integration/monitoring_check.py" "$@"; }
metrics() { curl -s --max-time 5 "http://$FLUSSO_PUBLIC_ADDRESS/metrics"; }
has_series() { metrics | grep -q "^$1[ {]"; }

# ---- the files ------------------------------------------------------------
python3 -c 'import yaml' 2>/dev/null || die "python3-yaml is missing (tests/deps.sh installs it)"
check rules "$rules"
ok $? "rules: groups of alerting rules with alert, expr, for (a duration), labels.severity, annotations"
if command -v promtool >/dev/null 2>&1; then
	promtool check rules "$rules" | sed 's/^/# /'
	ok "${PIPESTATUS[0]}" "promtool check rules"
else
	echo "ok $((n += 1)) # SKIP promtool is not installed"
fi
check dashboard "$dash"
ok $? "dashboard: JSON, the variables, every panel has targets with expr, unique panel ids"

# ---- the series, from a running daemon --------------------------------------
rel_setup
rel_create_db
start_flusso
wait_for 120 "every index live" all_live || die "flusso did not start"
caught_up 60; ok $? "flusso run on the shop example is live"
# the slot lag is known after the first lag poll (FLUSSO_LAG_POLL_SECS=1)
wait_for 20 "flusso_replication_slot_lag_bytes" has_series flusso_replication_slot_lag_bytes
metrics >"$tmp/metrics"
note "$(grep -vc '^#' "$tmp/metrics") samples scraped from http://$FLUSSO_PUBLIC_ADDRESS/metrics"
check names "$tmp/metrics" "$rules" "$dash"
ok $? "every flusso_* series of the rules and the dashboard is in /metrics"
grep -qx 'flusso_ready 1' "$tmp/metrics" && grep -qx 'flusso_phase{phase="live"} 1' "$tmp/metrics" &&
	[ "$(grep -c '^flusso_phase{.*} 1$' "$tmp/metrics")" = 1 ]
ok $? "flusso_ready 1 and flusso_phase{phase=\"live\"} 1 (one phase at 1)"
grep -qx 'flusso_indexes 3' "$tmp/metrics"
ok $? "flusso_indexes 3: the three indexes are ensured ($(grep '^flusso_indexes ' "$tmp/metrics"))"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$FLUSSO_PUBLIC_ADDRESS/readyz")
[ "$code" = 200 ]; ok $? "/readyz agrees: $code"

# a paused index shows in flusso_index_held (FlussoIndexHeld, the panel)
FLUSSO_SERVER=$FLUSSO_PRIVATE_ADDRESS "$bin" ctl pause users >"$tmp/ctl" 2>&1
held() { metrics | grep -qx 'flusso_index_held{index="users",state="paused"} 1'; }
wait_for 20 "users held" held; ok $? "ctl pause users: flusso_index_held{index=\"users\",state=\"paused\"} 1"

stop_flusso; ok $? "flusso stops cleanly"
echo "1..$n"
[ "$fail" = 0 ]
