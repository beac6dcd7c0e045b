#!/usr/bin/env python3
# regproxy.py --- a small HTTP proxy in front of a real docker-registry on
# 127.0.0.1, for the fault tests of drydock-migrate's registry client.
# Every request is passed on unchanged, except where a rule says:
#
#   --corrupt DIGEST    GET of that blob: one byte of the body flipped
#   --drop DIGEST:N     the first GET of that blob: N bytes of the body,
#                       then the connection is closed
#   --throttle SUBSTR:K the first K requests whose path holds SUBSTR get
#                       429 with Retry-After: 1
#   --fail SUBSTR:K     the first K requests whose path holds SUBSTR get 503
#   --cut SUBSTR:N      the first GET whose path holds SUBSTR: N bytes of the
#                       body, then the connection is closed
#   --keep-host         pass the Host header on as it came (a SigV4
#                       signature covers it: t5010's S3 requests)
#   --auth USER:PASS    Basic credentials asked for (401 without them); the
#                       Authorization header is not passed on
#   --redirect DIGEST   GET of that blob: 307 to another origin, a second
#                       listener on --storage-host (blob storage, as S3 or
#                       GCS behind a real registry), which serves it without
#                       asking for credentials
#   --deny DIGEST       GET of that blob: 401 with a Basic challenge, as a
#                       registry that wants other credentials for it
#   --redirect-home DIGEST  GET of that blob: 307 to /_home/PATH on the same
#                       listener (the same origin), served there
#
# Each request is logged to --log as
# "METHOD PATH RANGE -> STATUS listener=main|storage auth=SCHEME|-", SCHEME
# being the first word of the Authorization header that came (never its
# credentials).  The storage listener's address is printed at start as
# "storage HOST:PORT", its own port as "listening PORT" (--listen 0: a free
# port the system chooses).
# Usage: regproxy.py --listen PORT --upstream HOST:PORT --log FILE [rules]
import argparse
import base64
import http.client
import http.server
import socketserver
import sys
import threading

lock = threading.Lock()
counts = {}


def count(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1
        return counts[key]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def log(self, status):
        auth = self.headers.get("Authorization", "").split(" ")[0] or "-"
        with lock, open(self.server.opts.log, "a") as f:
            f.write("%s %s %s -> %s listener=%s auth=%s\n" % (
                    self.command, self.path, self.headers.get("Range", "-"),
                    status, self.server.role, auth))

    def rule(self, rules):
        for substr, k in rules:
            if substr in self.path and count((id(rules), substr)) <= k:
                return True
        return False

    def simple(self, status, extra=None):
        # the request's body is read first: left in the connection, it
        # would be taken for the next request
        n = int(self.headers.get("Content-Length", "0") or 0)
        if n > 0:
            self.rfile.read(n)
        self.send_response(status)
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.log(status)

    def forward(self):
        o = self.server.opts
        main = self.server.role == "main"
        if main and o.auth and self.headers.get("Authorization") != o.auth:
            return self.simple(401, {"WWW-Authenticate":
                                     'Basic realm="regproxy"'})
        if self.rule(o.throttle):
            return self.simple(429, {"Retry-After": "1"})
        if self.rule(o.fail):
            return self.simple(503)
        # the storage and /_home serve what the registry has at PATH
        path = self.path.split("?", 1)[0]
        query = self.path[len(path):]  # S3's ?delete=, ?list-type=2...
        if path.startswith("/_home/"):
            path = path[len("/_home"):]
        blob = "/blobs/sha256:" in path and self.command == "GET"
        digest = path.rsplit("/", 1)[-1] if blob else None
        if main and digest in o.deny:
            return self.simple(401, {"WWW-Authenticate":
                                     'Basic realm="regproxy"'})
        if main and digest in o.redirect:
            return self.simple(307, {"Location": "http://%s%s?sig=s3cr3t-%d"
                                     % (o.storage, path, count("sig"))})
        if main and digest in o.redirect_home and \
                not self.path.startswith("/_home/"):
            return self.simple(307, {"Location": "/_home%s?sig=h0me" % path})
        # the body now: an answer of the proxy's own (simple) drains it
        n = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(n) if n > 0 else None
        # the proxy's own Basic auth is not passed on; a SigV4 signature
        # (t5010) is, with the Host it covers (--keep-host)
        dropped = {"connection"}
        if not o.keep_host:
            dropped.add("host")
        if o.auth:
            dropped.add("authorization")
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in dropped}
        up = http.client.HTTPConnection(o.upstream, timeout=60)
        up.request(self.command, path + query, body=body, headers=headers)
        r = up.getresponse()
        data = r.read()
        up.close()
        if digest in o.corrupt and len(data) > 0:
            data = bytes([data[0] ^ 0xFF]) + data[1:]
        cut = None
        if digest in o.drop and count(("drop", digest)) == 1:
            cut = o.drop[digest]
        for substr, n in o.cut:
            if (cut is None and self.command == "GET" and substr in self.path
                    and count(("cut", substr)) == 1):
                cut = n
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection",
                                 "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data if cut is None else data[:cut])
        self.wfile.flush()
        self.log(r.status if cut is None else "%s cut at %d" % (r.status, cut))
        if cut is not None:
            self.close_connection = True

    do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr, opts, role):
        super().__init__(addr, Handler)
        self.opts = opts
        self.role = role


def pairs(values, conv):
    out = []
    for v in values:
        a, b = v.rsplit(":", 1)
        out.append((a, conv(b)))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--upstream", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--corrupt", action="append", default=[])
    p.add_argument("--drop", action="append", default=[])
    p.add_argument("--throttle", action="append", default=[])
    p.add_argument("--fail", action="append", default=[])
    p.add_argument("--cut", action="append", default=[])
    p.add_argument("--keep-host", action="store_true")
    p.add_argument("--auth")
    p.add_argument("--deny", action="append", default=[])
    p.add_argument("--redirect", action="append", default=[])
    p.add_argument("--redirect-home", action="append", default=[])
    p.add_argument("--storage-host", default="127.0.0.2")
    o = p.parse_args()
    o.cut = pairs(o.cut, int)
    o.corrupt = set(o.corrupt)
    o.drop = dict(pairs(o.drop, int))
    o.throttle = pairs(o.throttle, int)
    o.fail = pairs(o.fail, int)
    o.deny = set(o.deny)
    o.redirect = set(o.redirect)
    o.redirect_home = set(o.redirect_home)
    if o.auth:
        o.auth = "Basic " + base64.b64encode(o.auth.encode()).decode()
    st = Server((o.storage_host, 0), o, "storage")
    o.storage = "%s:%d" % st.server_address[:2]
    threading.Thread(target=st.serve_forever, daemon=True).start()
    s = Server(("127.0.0.1", o.listen), o, "main")
    print("storage", o.storage, flush=True)
    print("listening", s.server_address[1], flush=True)
    try:
        s.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
