#!/usr/bin/env python3
# tokenissuer.py --- a small token server for docker-registry's auth.token
# (the Bearer flow of the distribution token specification), on 127.0.0.1,
# for the integration tests.  GET /token?service=S&scope=A&scope=B with
# Basic credentials USER:PASSWORD grants every action asked for on
# repositories; without credentials (anonymous) it grants "pull" on the
# repositories named by --public; wrong credentials get 401.  Tokens are
# RS256 JWTs signed with --key (openssl does the signing), whose
# certificate --cert goes in the x5c header; the registry trusts it through
# its rootcertbundle.  POST /token with grant_type=refresh_token (the
# OAuth2 refresh grant docker uses for the identitytoken of a docker
# login) grants every action asked for to the user of --user when its
# refresh_token is --refresh-token, and answers 400 invalid_grant
# otherwise; its answer carries "access_token" (no "token").  Each request
# is logged to --log as "USER SCOPE... -> STATUS", a POST's with
# " grant=GRANT client_id=ID" after it (never a password or token).
# Usage: tokenissuer.py --listen PORT --key K --cert C --user U:P
#        --service S --issuer I --log FILE [--public REPO]...
#        [--refresh-token TOKEN]
# It prints "listening PORT" once it does (--listen 0: a free port).
import argparse
import base64
import http.server
import json
import socketserver
import subprocess
import sys
import threading
import time
import urllib.parse

lock = threading.Lock()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def cert_der(path):
    pem = open(path).read()
    body = pem.split("-----BEGIN CERTIFICATE-----")[1]
    body = body.split("-----END CERTIFICATE-----")[0]
    return "".join(body.split())  # x5c is standard base64 of the DER


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def reply(self, status, body, extra=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        o = self.server.opts
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        scopes = q.get("scope", [])
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if "%s:%s" % (user, pw) != o.user:
                self.log(user, scopes, 401)
                return self.reply(401, {"details": "wrong credentials"},
                                  {"WWW-Authenticate": 'Basic realm="t"'})
        self.log(user, scopes, 200)
        self.reply(200, {"token": self.token(user, scopes),
                         "expires_in": 300})

    def do_POST(self):
        o = self.server.opts
        n = int(self.headers.get("Content-Length", "0") or 0)
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())

        def field(k):
            return form.get(k, [""])[0]

        scopes = field("scope").split()
        user = o.user.partition(":")[0]
        extra = " grant=%s client_id=%s" % (field("grant_type") or "-",
                                            field("client_id") or "-")
        if field("grant_type") != "refresh_token" or not o.refresh_token \
                or field("refresh_token") != o.refresh_token \
                or field("service") != o.service or not field("client_id"):
            self.log(user, scopes, 400, extra)
            return self.reply(400, {"error": "invalid_grant"})
        self.log(user, scopes, 200, extra)
        self.reply(200, {"access_token": self.token(user, scopes),
                         "expires_in": 300, "scope": " ".join(scopes)})

    def token(self, user, scopes):
        """An RS256 JWT granting user (None: anonymous) the scopes."""
        o = self.server.opts
        access = []
        for s in scopes:
            kind, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            want = actions.split(",")
            if user is None:
                want = [a for a in want if a == "pull"] \
                    if name in o.public else []
            access.append({"type": kind, "name": name, "actions": want})
        now = int(time.time())
        claims = {"iss": o.issuer, "sub": user or "", "aud": o.service,
                  "exp": now + 300, "nbf": now - 10, "iat": now,
                  "jti": "%d-%d" % (now, id(self)), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [o.x5c]}
        signing = b64url(json.dumps(header).encode()) + "." + \
            b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", o.key],
                             input=signing.encode(), capture_output=True,
                             check=True).stdout
        return signing + "." + b64url(sig)

    def log(self, user, scopes, status, extra=""):
        with lock, open(self.server.opts.log, "a") as f:
            f.write("%s %s -> %d%s\n" % (user or "-", " ".join(scopes) or "-",
                                         status, extra))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--service", required=True)
    p.add_argument("--issuer", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--public", action="append", default=[])
    p.add_argument("--refresh-token")
    o = p.parse_args()
    o.x5c = cert_der(o.cert)
    s = Server(("127.0.0.1", o.listen), Handler)
    s.opts = o
    print("listening", s.server_address[1], flush=True)
    try:
        s.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
