#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""proxy.py - a TCP proxy the reliability tests control (stdlib only).

    proxy.py --listen PORT --target HOST:PORT --control PORT [--pidfile F]

Forwards every connection accepted on 127.0.0.1:LISTEN to TARGET. A line
sent to the control port 127.0.0.1:CONTROL changes its mode and is
answered with one line ("ok MODE conns=N"):

    pass    forward both ways (the default)
    freeze  keep accepting, keep every socket open, forward nothing (in
            either direction, old connections and new ones alike) until
            the next `pass`: the peers see a stalled network path
    drop    abort every open connection (RST), then carry on in the
            current mode
    state   just answer

Signals do the same: SIGUSR1 freeze, SIGUSR2 pass, SIGHUP drop.
"""
import argparse
import asyncio
import os
import signal
import socket
import sys

CHUNK = 65536


class Proxy:
    def __init__(self, target_host, target_port):
        self.target = (target_host, target_port)
        self.flowing = asyncio.Event()
        self.flowing.set()
        self.conns = set()  # (client_writer, upstream_writer or None)

    @property
    def mode(self):
        return "pass" if self.flowing.is_set() else "freeze"

    def set_mode(self, mode):
        if mode == "pass":
            self.flowing.set()
        elif mode == "freeze":
            self.flowing.clear()
        elif mode == "drop":
            self.drop()

    def drop(self):
        for pair in list(self.conns):
            for w in pair:
                if w is None:
                    continue
                sock = w.get_extra_info("socket")
                try:  # abort with RST, as a broken path would
                    if sock is not None:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                        b"\x01\x00\x00\x00\x00\x00\x00\x00")
                except OSError:
                    pass
                w.transport.abort()
        self.conns.clear()

    async def pump(self, reader, writer):
        try:
            while True:
                await self.flowing.wait()
                data = await reader.read(CHUNK)
                if not data:
                    break
                await self.flowing.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            try:
                if writer.can_write_eof():
                    writer.write_eof()
            except (OSError, RuntimeError):
                pass

    async def client(self, creader, cwriter):
        pair = [cwriter, None]
        key = None
        try:
            await self.flowing.wait()  # a frozen path does not connect
            ureader, uwriter = await asyncio.open_connection(*self.target)
        except OSError:
            cwriter.transport.abort()
            return
        key = (cwriter, uwriter)
        pair[1] = uwriter
        self.conns.add(key)
        try:
            await asyncio.gather(self.pump(creader, uwriter),
                                 self.pump(ureader, cwriter))
        finally:
            self.conns.discard(key)
            for w in key:
                w.transport.close()

    async def control(self, reader, writer):
        try:
            line = (await reader.readline()).decode(errors="replace").strip()
            if line in ("pass", "freeze", "drop"):
                self.set_mode(line)
            elif line not in ("state", ""):
                writer.write(b"error unknown command\n")
                await writer.drain()
                return
            writer.write(("ok %s conns=%d\n" % (self.mode, len(self.conns)))
                         .encode())
            await writer.drain()
        finally:
            writer.close()


async def main():
    ap = argparse.ArgumentParser(description="controllable TCP proxy")
    ap.add_argument("--listen", type=int, required=True)
    ap.add_argument("--target", required=True, help="HOST:PORT")
    ap.add_argument("--control", type=int, required=True)
    ap.add_argument("--pidfile")
    a = ap.parse_args()
    host, _, port = a.target.rpartition(":")
    p = Proxy(host or "127.0.0.1", int(port))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, p.set_mode, "freeze")
    loop.add_signal_handler(signal.SIGUSR2, p.set_mode, "pass")
    loop.add_signal_handler(signal.SIGHUP, p.set_mode, "drop")
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    srv = await asyncio.start_server(p.client, "127.0.0.1", a.listen,
                                     reuse_address=True)
    ctl = await asyncio.start_server(p.control, "127.0.0.1", a.control,
                                     reuse_address=True)
    if a.pidfile:
        with open(a.pidfile, "w") as f:
            f.write("%d\n" % os.getpid())
    print("proxy: 127.0.0.1:%d -> %s:%d, control 127.0.0.1:%d"
          % (a.listen, p.target[0], p.target[1], a.control),
          file=sys.stderr, flush=True)
    await stop.wait()
    srv.close()
    ctl.close()
    p.drop()


if __name__ == "__main__":
    asyncio.run(main())
