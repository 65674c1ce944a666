#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""debug_fields.py - the inspect/repair round trip for every field type of
an index (tests/integration/test_debug.sh).

For each leaf field of the index mapping (so every field type of its
schema: keyword, enum, identifier, text, long, integer, decimal, custom,
timestamp, date, geo point, json, ids, aggregates, nested), take a
stored document with a value there, change that one value directly in
OpenSearch (the same version, so the daemon's next write still wins),
and check: `flusso inspect --json` exits 3 and names exactly that path;
`flusso repair` answers; `flusso inspect` exits 0 again. Prints TAP lines
(numbered from the count given) and, last, `# covered: type ...`.

usage: debug_fields.py FLUSSO OS_URL ALIAS INDEX FIRST_TEST_NUMBER
"""
import json
import subprocess
import sys
import urllib.request

flusso, os_url, alias, index, n = sys.argv[1:6]
n = int(n)


def req(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    r = urllib.request.Request(os_url + path, data=data, method=method,
                               headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(r, timeout=30) as f:
        return json.load(f)


def leaf_types(props, pre, out):
    for k, v in props.items():
        t = v.get("type", "object")
        if "properties" in v:
            leaf_types(v["properties"], pre + k + ".", out)
        else:
            out[pre + k] = t


mapping = req("GET", "/%s/_mapping" % alias)
types = {}
for m in mapping.values():
    leaf_types(m["mappings"].get("properties", {}), "", types)


def leaves(v, path, field, out):
    """(path, field, value) of every non-null leaf; arrays: every element."""
    if isinstance(v, dict):
        if field in types and types[field] == "geo_point":
            for k in ("lat", "lon"):
                if isinstance(v.get(k), (int, float)):
                    out.append(("%s.%s" % (path, k), field, v[k]))
            return
        for k, x in v.items():
            leaves(x, path + "." + k if path else k,
                   field + "." + k if field else k, out)
    elif isinstance(v, list):
        for i, x in enumerate(v):
            leaves(x, "%s[%d]" % (path, i), field, out)
    elif v is not None:
        out.append((path, field, v))


def corrupt(v, t):
    if isinstance(v, bool):
        return not v
    if isinstance(v, (int, float)):
        return v + 1 if isinstance(v, int) else round(v + 1.25, 2)
    if t == "date":
        return "1999" + v[4:]
    return v + "-corrupted"


def set_path(doc, path, value):
    parts = []
    for p in path.split("."):
        while "[" in p:
            name, rest = p.split("[", 1)
            if name:
                parts.append(name)
            parts.append(int(rest.split("]", 1)[0]))
            p = rest.split("]", 1)[1]
        if p:
            parts.append(p)
    cur = doc
    for p in parts[:-1]:
        cur = cur[p]
    cur[parts[-1]] = value


def run(*args):
    p = subprocess.run([flusso] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def ok(cond, what):
    global n
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, what))
    return cond


hits = req("POST", "/%s/_search" % alias,
           {"size": 300, "sort": ["_doc"], "version": True})["hits"]["hits"]
done = {}  # field -> its mapping type
for h in hits:
    found = []
    leaves(h["_source"], "", "", found)
    for path, field, value in found:
        t = types.get(field)
        if t is None or field in done:
            continue
        done[field] = t
        doc = json.loads(json.dumps(h["_source"]))
        set_path(doc, path, corrupt(value, t))
        cur = req("GET", "/%s/_doc/%s" % (alias, h["_id"]))
        req("PUT", "/%s/_doc/%s?version=%d&version_type=external_gte"
            % (cur["_index"], h["_id"], cur["_version"]), doc)
        rc, out, err = run("inspect", "--json", index, h["_id"])
        paths = []
        if out:
            d = json.loads(out)
            paths = [x["path"] for s in d["sinks"] for x in s["differences"]]
        ok(rc == 3 and paths == [path],
           "%s %s: %s (%s) changed in OpenSearch: inspect exits 3 and "
           "names %s (got %s, paths %s)" % (index, h["_id"], field, t, path,
                                            rc, paths))
        rc, out, err = run("repair", index, h["_id"])
        ok(rc == 0, "%s %s: repair (%s%s)" % (index, h["_id"], out.strip(),
                                              err.strip()))
        rc, out, err = run("inspect", index, h["_id"])
        ok(rc == 0, "%s %s: inspect exits 0 after the repair (got %d)"
           % (index, h["_id"], rc))
        break  # the next change on a fresh copy of another document
missing = sorted(set(types) - set(done))
ok(not missing, "%s: every field was tested (untested: %s)"
   % (index, ", ".join(missing) or "none"))
print("# covered: %s" % " ".join("%s(%s)" % kv for kv in sorted(done.items())))
print("# next %d" % n)
