#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# probe.py - commit-to-search latency probes for tests/bench/compare.sh.
#   probe.py PG_URL OS_URL INDEX FIELD SECONDS RATE OUT
# RATE times a second: UPDATE one reserved probe user (bench_probe_ids)
# setting FIELD's column (full_name) to a fresh letters-only token, COMMIT,
# stamp the moment COMMIT returned, then poll INDEX/_count (a search, so
# only refreshed documents count: id term + match on FIELD) every 10 ms
# until the document is found (timeout 60 s). Probes overlap when a
# visibility takes longer than 1/RATE. Writes one line per probe to OUT:
# "commit_epoch latency_seconds" (latency "timeout" when not seen).
import json
import random
import string
import sys
import threading
import time
import urllib.request

import psycopg2


def letters(n):
    s = ""
    while True:
        s += string.ascii_lowercase[n % 26]
        n //= 26
        if n == 0:
            return s


def count(os_url, index, field, uid, token):
    body = json.dumps({"query": {"bool": {"filter": [
        {"term": {"id": uid}}, {"match": {field: token}}]}}}).encode()
    req = urllib.request.Request(os_url + "/" + index + "/_count", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r).get("count", 0)
    except Exception:
        return 0


def main():
    pg, os_url, index, field, secs, rate, out = sys.argv[1:8]
    secs, rate = float(secs), float(rate)
    conn = psycopg2.connect(pg)
    cur = conn.cursor()
    cur.execute("SELECT id FROM bench_probe_ids ORDER BY id")
    ids = [r[0] for r in cur.fetchall()]
    conn.commit()
    res = []
    lock = threading.Lock()
    salt = "".join(random.choice(string.ascii_lowercase) for _ in range(4))

    def wait(uid, token, t0):
        deadline = t0 + 60
        while time.time() < deadline:
            if count(os_url, index, field, uid, token) >= 1:
                with lock:
                    res.append((t0, time.time() - t0))
                return
            time.sleep(0.01)
        with lock:
            res.append((t0, None))

    threads = []
    start = time.time()
    k = 0
    while time.time() - start < secs:
        uid = ids[k % len(ids)]
        token = "zz" + salt + letters(k)
        cur.execute("UPDATE users SET full_name = %s WHERE id = %s",
                    ("probe " + token, uid))
        conn.commit()
        t0 = time.time()
        th = threading.Thread(target=wait, args=(uid, token, t0))
        th.start()
        threads.append(th)
        k += 1
        nxt = start + k / rate
        time.sleep(max(0, nxt - time.time()))
    for th in threads:
        th.join()
    with open(out, "w") as f:
        for t0, lat in sorted(res):
            f.write("%.3f %s\n" % (t0, "timeout" if lat is None else "%.4f" % lat))


if __name__ == "__main__":
    main()
