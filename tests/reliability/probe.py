#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# probe.py - commit-to-search latency of one index, for the reliability
# scenarios (tests/reliability/isolation.sh). No driver needed: psql runs
# the UPDATE.
#   probe.py PSQL PG_URL OS_URL ALIAS TABLE COLUMN ID FIELD QUERY OUT [RATE]
# RATE times a second (default 2): UPDATE TABLE SET COLUMN = <fresh
# letters-only token> WHERE id = ID, stamp the moment psql returned (the
# COMMIT is done), then poll ALIAS/_count every 10 ms for a document with
# that id whose FIELD matches the token (QUERY: "match" for text, "term"
# for keyword) until found or 60 s. Appends "commit_epoch latency_s" per
# probe to OUT ("timeout" when never seen). Runs until killed.
import json
import subprocess
import sys
import time
import urllib.request


def letters(n):
    s = ""
    while True:
        s += "abcdefghijklmnopqrstuvwxyz"[n % 26]
        n //= 26
        if n == 0:
            return s


def found(os_url, alias, doc_id, field, query, token):
    body = json.dumps({"query": {"bool": {"filter": [
        {"term": {"_id": str(doc_id)}}, {query: {field: token}}]}}}).encode()
    req = urllib.request.Request(os_url + "/" + alias + "/_count", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r).get("count", 0) > 0
    except Exception:
        return False


def main():
    (psql, pg, os_url, alias, table, column, doc_id, field, query,
     out) = sys.argv[1:11]
    rate = float(sys.argv[11]) if len(sys.argv) > 11 else 2.0
    n = int(time.time() * 1000) % 1000000
    with open(out, "a", buffering=1) as f:
        while True:
            start = time.time()
            n += 1
            token = "probe" + letters(n)
            sql = "UPDATE %s SET %s = '%s' WHERE id = %s" % (
                table, column, token, doc_id)
            r = subprocess.run([psql, "-X", "-q", "-At", pg, "-c", sql],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            committed = time.time()
            if r.returncode != 0:
                time.sleep(0.5)
                continue
            while not found(os_url, alias, doc_id, field, query, token):
                if time.time() - committed > 60:
                    break
                time.sleep(0.01)
            else:
                f.write("%.3f %.3f\n" % (committed, time.time() - committed))
                left = 1.0 / rate - (time.time() - start)
                if left > 0:
                    time.sleep(left)
                continue
            f.write("%.3f timeout\n" % committed)


if __name__ == "__main__":
    main()
