#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# probe.py - commit-to-search latency probes for tests/bench/compare.sh.
#   probe.py PG_URL OS_URL INDEX FIELD SECONDS RATE OUT
# RATE times a second: UPDATE one reserved probe user (bench_probe_ids)
# setting FIELD's column (full_name) to a fresh letters-only token, COMMIT,
# stamp the moment COMMIT returned. One poller thread asks OpenSearch, in
# one _msearch every 10 ms over one kept-alive connection, whether each
# outstanding probe's document is searchable (a search, so only refreshed
# documents count: id term + match on FIELD); a probe ends when found
# (timeout 60 s). Probes overlap when a visibility takes longer than
# 1/RATE. Writes one line per probe to OUT: "commit_epoch
# latency_seconds" (latency "timeout" when not seen).
# Round 1's probe polled with one thread and one new connection per
# outstanding probe every 10 ms: at 1 s latency and 4 probes a second that
# was ~400 searches/s, load on the node it measured.
# The probe's session commits with synchronous_commit = on (PostgreSQL's
# default: an application's COMMIT returns once its WAL is flushed, and
# only flushed WAL reaches a logical slot). The test cluster runs with
# synchronous_commit = off; there a commit waits up to wal_writer_delay
# (200 ms) before any tool can see it. PROBE_SYNC_COMMIT=0 keeps the
# cluster's setting (round 1).
import http.client
import json
import os
import random
import string
import sys
import threading
import time
import urllib.parse

import psycopg2


def letters(n):
    s = ""
    while True:
        s += string.ascii_lowercase[n % 26]
        n //= 26
        if n == 0:
            return s


class Poller(threading.Thread):
    def __init__(self, os_url, index, field):
        super().__init__(daemon=True)
        u = urllib.parse.urlsplit(os_url)
        self.host, self.port = u.hostname, u.port or 80
        self.index, self.field = index, field
        self.lock = threading.Lock()
        self.open = []  # (t0, uid, token)
        self.res = []
        self.stop = False
        self.conn = None

    def add(self, t0, uid, token):
        with self.lock:
            self.open.append((t0, uid, token))

    def busy(self):
        with self.lock:
            return {p[1] for p in self.open}

    def msearch(self, probes):
        lines = []
        for _, uid, token in probes:
            lines.append(json.dumps({"index": self.index}))
            lines.append(json.dumps({"size": 0, "track_total_hits": True,
                "query": {"bool": {"filter": [{"term": {"id": uid}},
                {"match": {self.field: token}}]}}}))
        body = ("\n".join(lines) + "\n").encode()
        for _ in range(2):
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                self.conn.request("POST", "/_msearch", body,
                                  {"Content-Type": "application/x-ndjson"})
                resp = self.conn.getresponse()
                r = json.loads(resp.read())
                out = [((x.get("hits") or {}).get("total") or {}).get("value", 0)
                       for x in r.get("responses", [])]
                if resp.status == 200 and len(out) == len(probes):
                    return out
                return [0] * len(probes)  # refused (429, 503): not seen yet
            except Exception:
                self.conn = None
        return [0] * len(probes)

    def run(self):
        while True:
            with self.lock:
                probes = list(self.open)
                done = self.stop
            if not probes:
                if done:
                    return
                time.sleep(0.01)
                continue
            t = time.time()
            counts = self.msearch(probes)
            now = time.time()
            gone = set()
            for p, c in zip(probes, counts):  # counts: one per probe
                if c >= 1:
                    self.res.append((p[0], now - p[0]))
                    gone.add(p)
                elif now - p[0] > 60:
                    self.res.append((p[0], None))
                    gone.add(p)
            with self.lock:
                self.open = [p for p in self.open if p not in gone]
            time.sleep(max(0, 0.01 - (time.time() - t)))


def main():
    pg, os_url, index, field, secs, rate, out = sys.argv[1:8]
    secs, rate = float(secs), float(rate)
    if rate <= 0:
        sys.exit("probe.py: RATE must be > 0")
    conn = psycopg2.connect(pg)
    cur = conn.cursor()
    if os.environ.get("PROBE_SYNC_COMMIT", "1") != "0":
        cur.execute("SET synchronous_commit = on")
    cur.execute("SELECT id FROM bench_probe_ids ORDER BY id")
    ids = [r[0] for r in cur.fetchall()]
    conn.commit()
    salt = "".join(random.choice(string.ascii_lowercase) for _ in range(4))
    poller = Poller(os_url, index, field)
    poller.start()
    start = time.time()
    k = 0
    j = 0
    while time.time() - start < secs:
        # a user whose last probe is still open is skipped: a new token
        # would overwrite the one that probe searches for
        busy = poller.busy()
        for _ in range(len(ids)):
            uid = ids[j % len(ids)]
            j += 1
            if uid not in busy:
                break
        token = "zz" + salt + letters(k)
        cur.execute("UPDATE users SET full_name = %s WHERE id = %s",
                    ("probe " + token, uid))
        conn.commit()
        poller.add(time.time(), uid, token)
        k += 1
        nxt = start + k / rate
        time.sleep(max(0, nxt - time.time()))
    with poller.lock:
        poller.stop = True
    poller.join()
    with open(out, "w") as f:
        for t0, lat in sorted(poller.res):
            f.write("%.3f %s\n" % (t0, "timeout" if lat is None else "%.4f" % lat))


if __name__ == "__main__":
    main()
