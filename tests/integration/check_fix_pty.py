#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# check_fix_pty.py ANSWERS CMD... - run CMD with a pseudo-terminal as its
# stdin and stdout (so `flusso check --fix` asks), answer each
# "Apply? [y/N/q] " prompt with the next comma-separated word of ANSWERS
# (end of input once they run out), print everything CMD wrote and exit
# with its exit code. Used by test_check_fix_pg.sh.
import os
import pty
import select
import sys
import time

answers = [a for a in sys.argv[1].split(",") if a] if sys.argv[1] else []
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
out = b""
asked = 0
deadline = time.time() + 60
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 1.0)
    if not r:
        continue
    try:
        chunk = os.read(fd, 4096)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    while out.count(b"Apply? [y/N/q] ") > asked:
        if asked < len(answers):
            os.write(fd, answers[asked].encode() + b"\n")
        else:
            os.write(fd, b"\x04")  # end of input
        asked += 1
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
sys.stdout.write("# prompts: %d\n" % asked)
sys.exit(os.waitstatus_to_exitcode(status))
