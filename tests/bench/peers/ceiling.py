#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
# ceiling.py OS_URL SRC_INDEX MODE CLIENTS [--chunk-mb 5] [--index NAME]
#            [--tmp DIR]
# What one OpenSearch node ingests when the documents are already built:
# the ceiling a sync tool's backfill (and catch-up) is measured against.
# Owns the dump of an index's documents, one scratch index per measure
# and the timed posting; it does not own the node, the source index nor
# where the numbers go (compare.sh, devschema.sh write results.txt).
#
#   1. Dump SRC_INDEX (an index or an alias of one: scroll, _id and
#      _source) into NDJSON `_bulk` bodies of ~--chunk-mb MB (default 5,
#      what the earlier curl ceiling used) in a temporary directory.
#   2. Per measure: create a scratch index with SRC's mappings and
#      analysis settings, 1 shard, 0 replicas, refresh_interval -1, then
#      MODE
#        ingest  time posting every chunk with CLIENTS concurrent clients
#                (threads, one keep-alive http.client connection each,
#                taking the next chunk from a shared list), then _refresh;
#        update  post every document once (untimed, then _refresh and
#                _flush), then time posting them all again with
#                version_type=external_gte and a higher version (what
#                flusso writes: live documents carry external_gte
#                versions, WAL positions), then _refresh: "the node
#                ingests these documents as updates".
#      then delete the scratch index.
#   Every bulk response is checked (errors=false); failed items are
#   counted and reported, never hidden.
# MODE and CLIENTS may be comma lists ("ingest,update" "1,2"): one dump,
# one measure per pair, in the order given (modes outer).
# Output: one JSON line per measure on stdout,
#   {"mode":M,"clients":C,"docs":N,"mb":X,"seconds":S,"docs_per_s":R,
#    "indexed":COUNT,"failed":F,"load":"1m/5m/15m"}
# progress on stderr. Exit 0 when every measure ran without failed items,
# 1 on failures (the JSON still printed), 2 on usage errors.
# --index NAME  the scratch index (default ceil_<pid>_<source index>);
#               an existing index of that name is an error, never replaced.
# --tmp DIR     where the chunks go (default: a new directory under $TMPDIR,
#               removed at the end).
# python3 standard library only.
import base64
import http.client
import json
import os
import shutil
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse


def usage(msg=None):
    if msg:
        sys.stderr.write("ceiling.py: %s\n" % msg)
    sys.stderr.write("usage: ceiling.py OS_URL SRC_INDEX ingest|update[,..] CLIENTS[,..] "
                     "[--chunk-mb 5] [--index NAME] [--tmp DIR]\n")
    sys.exit(2)


def helptext():
    """The header comment, from the usage line to the first blank."""
    with open(__file__) as f:
        for line in list(f)[2:]:
            if not line.startswith("#"):
                break
            sys.stdout.write(line[2:] if line.startswith("# ") else line[1:])
    return 0


def log(msg):
    sys.stderr.write("[ceiling %s] %s\n" % (time.strftime("%H:%M:%S"), msg))


class Node:
    """One OpenSearch endpoint: keep-alive connections, optional basic auth."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            usage("OS_URL must be http(s)://host:port, not %r" % url)
        self.https = u.scheme == "https"
        self.host = u.hostname
        self.port = u.port or (443 if self.https else 80)
        self.base = u.path.rstrip("/")
        self.headers = {}
        if u.username is not None:
            cred = "%s:%s" % (urllib.parse.unquote(u.username), urllib.parse.unquote(u.password or ""))
            self.headers["Authorization"] = "Basic " + base64.b64encode(cred.encode()).decode()

    def conn(self):
        if self.https:
            ctx = ssl.create_default_context()
            if os.environ.get("CEILING_TLS_VERIFY", "0") != "1":
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(self.host, self.port, timeout=600, context=ctx)
        return http.client.HTTPConnection(self.host, self.port, timeout=600)

    def raw(self, c, method, path, body=None, ctype="application/json"):
        h = dict(self.headers)
        if body is not None:
            h["Content-Type"] = ctype
        c.request(method, self.base + path, body=body, headers=h)
        r = c.getresponse()
        return r.status, r.read()

    def req(self, method, path, body=None, ok=(200, 201)):
        c = self.conn()
        try:
            st, data = self.raw(c, method, path, None if body is None else json.dumps(body).encode())
        finally:
            c.close()
        if st not in ok:
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, st, data[:300].decode("utf-8", "replace")))
        return json.loads(data) if data else None


def dump(node, src, d, chunk_bytes):
    """SRC's documents into d/chunk-NNNNN.ndjson: one `ID\\tSOURCE` line
    per document (the action lines are rendered per mode). Returns
    (docs, chunks, bytes of sources)."""
    c = node.conn()
    n = k = total = 0
    buf, size = [], 0

    def flush():
        nonlocal k, buf, size
        if buf:
            with open(os.path.join(d, "chunk-%05d.ndjson" % k), "w") as f:
                f.write("".join(buf))
            k += 1
        buf, size = [], 0

    try:
        q = urllib.parse.quote(src, safe="")
        st, data = node.raw(c, "POST", "/%s/_search?scroll=2m" % q,
                            json.dumps({"size": 2000, "sort": ["_doc"]}).encode())
        if st != 200:
            raise RuntimeError("scroll %s: HTTP %d %s" % (src, st, data[:300].decode("utf-8", "replace")))
        r = json.loads(data)
        sid = r.get("_scroll_id")
        while r["hits"]["hits"]:
            for h in r["hits"]["hits"]:
                s = json.dumps(h["_source"], separators=(",", ":"), ensure_ascii=False)
                line = json.dumps(h["_id"]) + "\t" + s + "\n"
                # the action line (~60 bytes) counts toward the body size
                size += len(line.encode()) + 60
                total += len(s.encode()) + 1
                buf.append(line)
                n += 1
                if size >= chunk_bytes:
                    flush()
            st, data = node.raw(c, "POST", "/_search/scroll",
                                json.dumps({"scroll": "2m", "scroll_id": sid}).encode())
            if st != 200:
                raise RuntimeError("scroll: HTTP %d" % st)
            r = json.loads(data)
            sid = r.get("_scroll_id", sid)
        flush()
        if sid:
            node.raw(c, "DELETE", "/_search/scroll", json.dumps({"scroll_id": [sid]}).encode())
    finally:
        c.close()
    return n, k, total


def render(d, k, version):
    """The chunks as _bulk bodies in d/body-NNNNN.ndjson: index actions,
    with external_gte VERSION when not None. Returns the file names and
    their total size in MB (read back by the clients, from the page
    cache: a large index never sits in this process's memory)."""
    names, total = [], 0
    for j in range(k):
        out = []
        with open(os.path.join(d, "chunk-%05d.ndjson" % j), encoding="utf-8") as f:
            for line in f:
                i, s = line.split("\t", 1)
                if version is None:
                    out.append('{"index":{"_id":%s}}\n' % i)
                else:
                    out.append('{"index":{"_id":%s,"version":%d,"version_type":"external_gte"}}\n' % (i, version))
                out.append(s)
        b = "".join(out).encode("utf-8")
        names.append(os.path.join(d, "body-%05d.ndjson" % j))
        with open(names[-1], "wb") as f:
            f.write(b)
        total += len(b)
    return names, total / 1048576


def failed_items(body):
    """Number of failed items of a _bulk response (0 on errors=false)."""
    if b'"errors":false' in body[:200]:
        return 0
    r = json.loads(body)
    if not r.get("errors"):
        return 0
    n = 0
    for it in r.get("items", []):
        for v in it.values():
            if "error" in v or v.get("status", 200) >= 300:
                n += 1
    return n


def post_all(node, index, bodies, clients):
    """POST every body (a file name) to INDEX/_bulk with CLIENTS threads, one keep-alive
    connection each, the next body from a shared list. Returns (seconds
    including the final _refresh, failed items, error strings)."""
    lock = threading.Lock()
    nxt = [0]
    failed = [0]
    errors = []
    path = "/%s/_bulk" % urllib.parse.quote(index, safe="")

    def worker():
        c = node.conn()
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(bodies):
                    return
                with open(bodies[i], "rb") as f:
                    b = f.read()
                st, data = node.raw(c, "POST", path, b, "application/x-ndjson")
                del b
                if st != 200:
                    with lock:
                        errors.append("chunk %d: HTTP %d %s" % (i, st, data[:200].decode("utf-8", "replace")))
                    continue
                f = failed_items(data)
                if f:
                    with lock:
                        failed[0] += f
                        if len(errors) < 5:
                            errors.append("chunk %d: %d failed items, first: %s" % (i, f, first_error(data)))
        except Exception as e:  # a broken connection: the measure is void
            with lock:
                errors.append("client: %s" % e)
        finally:
            c.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    node.req("POST", "/%s/_refresh" % urllib.parse.quote(index, safe=""))
    return time.monotonic() - t0, failed[0], errors


def first_error(body):
    try:
        for it in json.loads(body).get("items", []):
            for v in it.values():
                if "error" in v:
                    return json.dumps(v["error"])[:200]
    except ValueError:
        pass
    return "?"


def load():
    try:
        return "/".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "-"


def main(argv):
    args, opts = [], {"--chunk-mb": "5", "--index": None, "--tmp": None}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            return helptext()
        if a in opts:
            if i + 1 >= len(argv):
                usage("%s needs a value" % a)
            opts[a] = argv[i + 1]
            i += 2
            continue
        if a.startswith("--"):
            usage("unknown option %s" % a)
        args.append(a)
        i += 1
    if len(args) != 4:
        usage()
    os_url, src, modes, clients = args
    modes = modes.split(",")
    if any(m not in ("ingest", "update") for m in modes):
        usage("MODE is ingest or update, not %r" % args[2])
    try:
        clients = [int(c) for c in clients.split(",")]
        chunk_mb = float(opts["--chunk-mb"])
    except ValueError:
        usage("CLIENTS and --chunk-mb are numbers")
    if any(c < 1 or c > 64 for c in clients) or not 0.01 <= chunk_mb <= 100:
        usage("CLIENTS is 1-64, --chunk-mb 0.01-100")
    node = Node(os_url)

    # the concrete index behind SRC: its mappings and analysis
    got = node.req("GET", "/" + urllib.parse.quote(src, safe=""))
    if len(got) != 1:
        raise SystemExit("ceiling.py: %s names %d indices, want one" % (src, len(got)))
    concrete, s = next(iter(got.items()))
    scratch = opts["--index"] or ("ceil_%d_%s" % (os.getpid(), concrete.lstrip("._-+")))[:200]
    body = {"settings": {"index": {"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"}},
            "mappings": s["mappings"]}
    an = s["settings"]["index"].get("analysis")
    if an:
        body["settings"]["index"]["analysis"] = an

    d = opts["--tmp"] or tempfile.mkdtemp(prefix="ceiling-")
    own_dir = opts["--tmp"] is None
    os.makedirs(d, exist_ok=True)
    bad = 0
    try:
        t0 = time.monotonic()
        n, k, total = dump(node, src, d, int(chunk_mb * 1048576))
        log("dumped %d documents of %s (%s) in %d chunks, %.1f MB, %.1f s"
            % (n, src, concrete, k, total / 1048576, time.monotonic() - t0))
        if n == 0:
            raise SystemExit("ceiling.py: %s holds no documents" % src)
        for mode in modes:
            for cl in clients:
                c = node.conn()
                try:
                    st, _ = node.raw(c, "HEAD", "/" + urllib.parse.quote(scratch, safe=""))
                finally:
                    c.close()
                if st != 404:
                    raise SystemExit("ceiling.py: index %s exists (HTTP %d); not replacing it" % (scratch, st))
                node.req("PUT", "/" + urllib.parse.quote(scratch, safe=""), body)
                try:
                    if mode == "update":
                        bodies, _ = render(d, k, 1)
                        _, f, errs = post_all(node, scratch, bodies, max(clients))
                        if f or errs:
                            raise SystemExit("ceiling.py: the untimed first write failed: %d items; %s" % (f, "; ".join(errs)))
                        node.req("POST", "/%s/_flush" % urllib.parse.quote(scratch, safe=""))
                        bodies, mb = render(d, k, 2)
                    else:
                        bodies, mb = render(d, k, None)
                    ld = load()
                    log("%s, %d client%s: posting %d chunks (%.1f MB) into %s"
                        % (mode, cl, "" if cl == 1 else "s", k, mb, scratch))
                    secs, f, errs = post_all(node, scratch, bodies, cl)
                    cnt = node.req("GET", "/%s/_count" % urllib.parse.quote(scratch, safe=""))["count"]
                finally:
                    node.req("DELETE", "/" + urllib.parse.quote(scratch, safe=""), ok=(200, 404))
                for e in errs:
                    log("error: " + e)
                if errs and not f:
                    f = -1  # whole requests failed: no item count
                bad += 1 if (f or cnt != n) else 0
                print(json.dumps({"mode": mode, "clients": cl, "docs": n, "mb": round(mb, 1),
                                  "seconds": round(secs, 3), "docs_per_s": round(n / secs),
                                  "indexed": cnt, "failed": f, "load": ld}), flush=True)
    finally:
        if own_dir:
            shutil.rmtree(d, ignore_errors=True)
        else:
            for fn in os.listdir(d):
                if fn.startswith(("chunk-", "body-")) and fn.endswith(".ndjson"):
                    os.remove(os.path.join(d, fn))
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (RuntimeError, OSError, http.client.HTTPException) as e:
        sys.stderr.write("ceiling.py: %s\n" % e)
        sys.exit(1)
