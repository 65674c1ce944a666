#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""monitoring_check.py - checks of share/monitoring/ for test_monitoring.sh.

usage: monitoring_check.py rules FILE
       monitoring_check.py dashboard FILE
       monitoring_check.py names METRICS_FILE RULES_FILE DASHBOARD_FILE

rules: the Prometheus rules file's structure (groups, each alerting rule
with alert, expr, for, labels.severity, annotations.summary and
description; durations parse; names unique). dashboard: the Grafana JSON
parses, has the datasource and instance variables, every panel but rows
has targets with an expr, panel ids are unique. names: every flusso_*
series named in an expression (rules, panel targets, variable queries)
is a series of the scraped /metrics text. Prints one line per finding;
exit 0 when there is none.
"""
import json
import re
import sys

# a flusso series name in PromQL (not part of a longer identifier or a
# recording rule name such as flusso:lag_rate5m)
NAME = re.compile(r"(?<![A-Za-z0-9_:])flusso_[a-z0-9_]+(?![A-Za-z0-9_:])")
# a Prometheus duration: 1h30m, 5m, 0s, 90s, 1d ...
DURATION = re.compile(r"^([0-9]+(ms|s|m|h|d|w|y))+$")
SEVERITIES = {"critical", "warning", "info"}


def problems_rules(path):
    import yaml  # python3-yaml (tests/deps.sh)

    out = []
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list) or not doc["groups"]:
        return ["no groups list"]
    seen = set()
    nrules = 0
    for g in doc["groups"]:
        if not isinstance(g, dict) or not g.get("name") or not isinstance(g.get("rules"), list):
            out.append("group without a name or a rules list: %r" % (g,))
            continue
        for r in g["rules"]:
            nrules += 1
            where = r.get("alert", "?") if isinstance(r, dict) else "?"
            if not isinstance(r, dict):
                out.append("rule is not a mapping: %r" % (r,))
                continue
            for k in ("alert", "expr", "for"):
                if not isinstance(r.get(k), str) or not r[k].strip():
                    out.append("%s: no %s" % (where, k))
            if isinstance(r.get("for"), str) and not DURATION.match(r["for"]):
                out.append("%s: for %r is not a duration" % (where, r["for"]))
            sev = (r.get("labels") or {}).get("severity")
            if sev not in SEVERITIES:
                out.append("%s: labels.severity %r" % (where, sev))
            ann = r.get("annotations") or {}
            for k in ("summary", "description"):
                if not isinstance(ann.get(k), str) or not ann[k].strip():
                    out.append("%s: no annotations.%s" % (where, k))
            if where in seen:
                out.append("%s: alert name repeated" % where)
            seen.add(where)
            extra = set(r) - {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}
            if extra:
                out.append("%s: unknown keys %s" % (where, sorted(extra)))
            if isinstance(r.get("expr"), str) and r["expr"].count("(") != r["expr"].count(")"):
                out.append("%s: unbalanced parentheses in expr" % where)
    if nrules == 0:
        out.append("no rules")
    return out


def rules_exprs(path):
    import yaml

    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return [r["expr"] for g in doc["groups"] for r in g["rules"]]


def all_panels(dash):
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:  # collapsed rows
            yield q


def problems_dashboard(path):
    out = []
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        out.append("schemaVersion %r" % dash.get("schemaVersion"))
    for k in ("title", "uid"):
        if not dash.get(k):
            out.append("no %s" % k)
    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    if variables.get("DS_PROMETHEUS", {}).get("type") != "datasource":
        out.append("no DS_PROMETHEUS datasource variable")
    if "instance" not in variables:
        out.append("no instance variable")
    ids = []
    npanels = 0
    for p in all_panels(dash):
        ids.append(p.get("id"))
        if p.get("type") == "row":
            continue
        npanels += 1
        title = p.get("title") or "(untitled)"
        if not isinstance(p.get("id"), int):
            out.append("%s: no integer id" % title)
        gp = p.get("gridPos") or {}
        if not all(isinstance(gp.get(k), int) for k in ("x", "y", "w", "h")):
            out.append("%s: no gridPos" % title)
        targets = p.get("targets") or []
        if not targets:
            out.append("%s: no targets" % title)
        for t in targets:
            if not isinstance(t.get("expr"), str) or not t["expr"].strip():
                out.append("%s: a target without expr" % title)
            elif t["expr"].count("(") != t["expr"].count(")"):
                out.append("%s: unbalanced parentheses: %s" % (title, t["expr"]))
            if "$instance" not in t.get("expr", ""):
                out.append("%s: a target ignores $instance: %s" % (title, t.get("expr")))
        ds = json.dumps(p.get("datasource"))
        if "${DS_PROMETHEUS}" not in ds:
            out.append("%s: datasource is not ${DS_PROMETHEUS}" % title)
    dup = sorted({i for i in ids if ids.count(i) > 1}, key=str)
    if dup:
        out.append("panel ids repeated: %s" % dup)
    if npanels < 10:
        out.append("only %d panels" % npanels)
    return out


def dashboard_exprs(path):
    with open(path, encoding="utf-8") as f:
        dash = json.load(f)
    exprs = [t["expr"] for p in all_panels(dash) for t in p.get("targets", []) if "expr" in t]
    for v in dash.get("templating", {}).get("list", []):
        q = v.get("query")
        exprs.append(q.get("query", "") if isinstance(q, dict) else str(q or ""))
        exprs.append(v.get("definition", ""))
    return exprs


def problems_names(metrics, rules, dashboard):
    exposed = set()
    types = {}
    with open(metrics, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("# TYPE "):
                parts = line.split()
                if len(parts) >= 4:
                    types[parts[2]] = parts[3]
            elif line and not line.startswith("#"):
                exposed.add(re.split(r"[{ ]", line, maxsplit=1)[0])
    out = []
    used = {}
    for src, exprs in (("rules", rules_exprs(rules)), ("dashboard", dashboard_exprs(dashboard))):
        for e in exprs:
            for name in NAME.findall(e):
                used.setdefault(name, set()).add(src)
    for name in sorted(used):
        where = "/".join(sorted(used[name]))
        if name not in exposed:
            out.append("%s (%s) is not in /metrics" % (name, where))
        for suffix in ("_bucket", "_sum", "_count"):
            base = name[: -len(suffix)]
            if name.endswith(suffix) and types.get(base) != "histogram":
                out.append("%s (%s): %s is not a histogram" % (name, where, base))
        if name in types and types[name] == "histogram":
            out.append("%s (%s): a histogram is read through _bucket/_sum/_count" % (name, where))
    print("# %d flusso series used: %s" % (len(used), " ".join(sorted(used))))
    if len(used) < 10:
        out.append("only %d flusso series found in the expressions" % len(used))
    return out


def main(argv):
    if len(argv) == 3 and argv[1] == "rules":
        out = problems_rules(argv[2])
    elif len(argv) == 3 and argv[1] == "dashboard":
        out = problems_dashboard(argv[2])
    elif len(argv) == 5 and argv[1] == "names":
        out = problems_names(argv[2], argv[3], argv[4])
    else:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    for line in out:
        print("# " + line)
    return 1 if out else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
