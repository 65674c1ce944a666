#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""os_secure_proxy.py - a proxy in front of the local OpenSearch node for
test_os_secure.sh (issue 19 item 6): it terminates TLS (optionally
requiring a client certificate signed by a given CA), and/or checks AWS
SigV4 signatures, then forwards each request over plain HTTP.

SigV4 check: the Authorization header format (AWS4-HMAC-SHA256
Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders with host
and x-amz-date, Signature of 64 hex digits), x-amz-date, the session
token when one is expected, and the signature itself, recomputed here
from the secret the AWS way (botocore's SigV4Auth: path encoded again,
query decoded, re-encoded and sorted). A request that fails gets 403 and
a line "BAD <reason>" in the log; a good one "OK <method> <path>".

Standard library only. Usage:
  os_secure_proxy.py --upstream URL --port-file F --log F
      [--cert PEM --key PEM [--client-ca PEM]]
      [--sigv4-secret S --sigv4-akid A --sigv4-region R --sigv4-service S
       [--sigv4-token T]]
"""
import argparse
import datetime
import hashlib
import hmac
import http.client
import http.server
import os
import re
import ssl
import sys
import threading
import urllib.parse

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([^/,]+)/(\d{8})/([^/,]+)/([^/,]+)/"
    r"aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")


def canonical_request(method, raw_path, headers, signed, payload_hash):
    """The SigV4 canonical request (every service but S3)."""
    u = urllib.parse.urlsplit(raw_path)
    path = urllib.parse.quote(u.path or "/", safe="/~")
    pairs = urllib.parse.parse_qsl(u.query, keep_blank_values=True)
    enc = sorted((urllib.parse.quote(k, safe="-_.~"),
                  urllib.parse.quote(v, safe="-_.~")) for k, v in pairs)
    query = "&".join("%s=%s" % kv for kv in enc)
    hdrs = "".join("%s:%s\n" % (h, " ".join(headers.get(h, "").split()))
                   for h in signed)
    return "\n".join([method, path, query, hdrs, ";".join(signed),
                      payload_hash])


def signature(secret, amz_date, day, region, service, creq):
    scope = "/".join([day, region, service, "aws4_request"])
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(creq.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    return hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()


def check_sigv4(opt, method, raw_path, headers, body):
    """None when the request is correctly signed, else the reason."""
    auth = headers.get("authorization", "")
    m = AUTH_RE.match(auth)
    if not m:
        return "Authorization header malformed: %r" % auth[:120]
    akid, day, region, service, signed_s, sig = m.groups()
    signed = signed_s.split(";")
    if akid != opt.sigv4_akid:
        return "access key %s, expected %s" % (akid, opt.sigv4_akid)
    if (region, service) != (opt.sigv4_region, opt.sigv4_service):
        return "scope %s/%s" % (region, service)
    if "host" not in signed or "x-amz-date" not in signed:
        return "SignedHeaders lack host or x-amz-date: %s" % signed_s
    if signed != sorted(signed):
        return "SignedHeaders not sorted: %s" % signed_s
    for h in signed:
        if h not in headers:
            return "signed header %s not sent" % h
    amz = headers.get("x-amz-date", "")
    if not re.match(r"^\d{8}T\d{6}Z$", amz) or amz[:8] != day:
        return "x-amz-date %r does not match the scope day %s" % (amz, day)
    t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(
        tzinfo=datetime.timezone.utc)
    if abs((datetime.datetime.now(datetime.timezone.utc) - t)
           .total_seconds()) > 300:
        return "x-amz-date %s is more than 5 minutes off" % amz
    if opt.sigv4_token:
        if headers.get("x-amz-security-token") != opt.sigv4_token:
            return "x-amz-security-token missing or wrong"
        if "x-amz-security-token" not in signed:
            return "x-amz-security-token not signed"
    body_hash = hashlib.sha256(body).hexdigest()
    sent_hash = headers.get("x-amz-content-sha256")
    if sent_hash is not None and sent_hash != body_hash:
        return "x-amz-content-sha256 is not the body's hash"
    if opt.sigv4_service == "aoss" and sent_hash is None:
        return "aoss needs x-amz-content-sha256"
    creq = canonical_request(method, raw_path, headers, signed, body_hash)
    want = signature(opt.sigv4_secret, amz, day, region, service, creq)
    if want != sig:
        return "signature mismatch for %s %s (canonical request %r)" % (
            method, raw_path, creq)
    return None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    opt = None
    log_lock = threading.Lock()

    def log_message(self, *args):
        pass

    def note(self, line):
        with self.log_lock, open(self.opt.log, "a") as f:
            f.write(line + "\n")

    def reply(self, status, body, ctype="application/json", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        if self.opt.sigv4_secret:
            why = check_sigv4(self.opt, self.command, self.path, headers,
                              body)
            if why:
                self.note("BAD " + why)
                self.reply(403, b'{"message":"signature rejected"}')
                return
        self.note("OK %s %s" % (self.command, self.path))
        up = urllib.parse.urlsplit(self.opt.upstream)
        conn = http.client.HTTPConnection(up.hostname, up.port, timeout=60)
        fwd = {k: v for k, v in self.headers.items()
               if k.lower() in ("content-type", "content-encoding",
                                "accept-encoding")}
        try:
            conn.request(self.command, self.path, body=body or None,
                         headers=fwd)
            r = conn.getresponse()
            data = r.read()
            extra = [(k, v) for k, v in r.getheaders()
                     if k.lower() in ("content-encoding", "retry-after")]
            self.reply(r.status, data,
                       r.getheader("Content-Type", "application/json"),
                       extra)
        except OSError as e:
            self.note("UPSTREAM %s" % e)
            self.reply(502, b'{"message":"upstream failed"}')
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--client-ca")
    ap.add_argument("--sigv4-secret")
    ap.add_argument("--sigv4-akid")
    ap.add_argument("--sigv4-region")
    ap.add_argument("--sigv4-service", default="es")
    ap.add_argument("--sigv4-token")
    opt = ap.parse_args()
    Handler.opt = opt
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if opt.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(opt.cert, opt.key)
        if opt.client_ca:
            ctx.verify_mode = ssl.CERT_REQUIRED
            ctx.load_verify_locations(opt.client_ca)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(opt.port_file + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(opt.port_file + ".tmp", opt.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
