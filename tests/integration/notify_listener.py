#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# notify_listener.py SOCKET LOG READYZ_URL - a fake systemd NOTIFY_SOCKET
# for tests/integration/test_systemd.sh: binds a datagram socket at
# SOCKET and appends each message to LOG as one line, "<ms since start>
# <fields joined by |>". When a message carries READY=1 it asks
# READYZ_URL at once and appends "<ms> readyz=<HTTP status>", so the
# test sees what /readyz said when systemd would have been told ready.
import os
import socket
import sys
import time
import urllib.error
import urllib.request

path, log, readyz = sys.argv[1], sys.argv[2], sys.argv[3]
t0 = time.monotonic()
if os.path.exists(path):
    os.unlink(path)
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
with open(log, "a", buffering=1) as out:
    while True:
        msg = s.recv(4096).decode("utf-8", "replace")
        ms = int((time.monotonic() - t0) * 1000)
        out.write("%d %s\n" % (ms, msg.strip("\n").replace("\n", "|")))
        if "READY=1" in msg.split("\n"):
            try:
                code = urllib.request.urlopen(readyz, timeout=5).status
            except urllib.error.HTTPError as e:
                code = e.code
            except OSError:
                code = 0
            out.write("%d readyz=%d\n" % (ms, code))
