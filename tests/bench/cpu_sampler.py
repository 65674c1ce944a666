#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# tests/bench/cpu_sampler.py OUT [PERIOD]
# Where the machine's CPU goes during a benchmark: every PERIOD seconds
# (default 1) one line "epoch java postgres flusso other_busy idle" of
# CPU ticks (USER_HZ) since the sampler started: OpenSearch (java),
# PostgreSQL (every postgres process), every flusso process, the rest of
# the machine's busy time, and idle. A process that exits keeps what it
# used (its last reading). Diff two lines to get the CPU seconds each
# spent in a window (peers/analysis.md: where backfill's wall is).
# Runs until killed; reads /proc only, one process.
import os
import sys
import time


def main():
    out, period = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    hz = os.sysconf("SC_CLK_TCK")
    last = {}  # pid -> (group, ticks)
    base = {}
    with open(out, "w") as f:
        f.write("# hz=%d cores=%d\n" % (hz, os.cpu_count()))
    def stat():
        with open("/proc/stat") as s:
            v = [int(x) for x in s.readline().split()[1:]]
        return sum(v) - v[3] - v[4], v[3] + v[4]
    b0, i0 = stat()
    first = True
    while True:
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % d) as s:
                    t = s.read()
            except OSError:
                continue
            comm = t[t.index("(") + 1:t.rindex(")")]
            if comm not in ("java", "postgres", "flusso"):
                continue
            f2 = t[t.rindex(")") + 2:].split()
            ticks = int(f2[11]) + int(f2[12])
            pid = int(d)
            if pid not in base:
                base[pid] = ticks if first else 0
            last[pid] = (comm, ticks)
        first = False
        g = {"java": 0, "postgres": 0, "flusso": 0}
        for pid, (comm, ticks) in last.items():
            g[comm] += ticks - base.get(pid, 0)
        b, i = stat()
        busy = b - b0
        with open(out, "a") as f:
            f.write("%.3f %d %d %d %d %d\n" % (time.time(), g["java"], g["postgres"],
                    g["flusso"], busy - g["java"] - g["postgres"] - g["flusso"], i - i0))
        time.sleep(period)


if __name__ == "__main__":
    main()
