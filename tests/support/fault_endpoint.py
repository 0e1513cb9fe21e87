#!/usr/bin/env python3
"""A scriptable OAuth2 token endpoint for faults a real server will not produce.

usage: fault_endpoint.py [--tls CERT_PEM KEY_PEM]
Listens on 127.0.0.1 (a free port) and prints {"port": N} on stdout once ready. With
--tls it speaks https with that certificate chain and key.

POST /token/SCENARIO[?ttl=S]  answers as SCENARIO says:
  ok              a token (access_token "ok-N"), expires_in = ttl (default 60)
  ok-string       the same with expires_in as a string
  ok-no-expiry    a token without expires_in
  rotate          a token and a new refresh_token "rt-N"
  github200       HTTP 200 with a form-encoded error object (as GitHub does)
  form            a form-encoded token (as GitHub does by default)
  hang            never answers
  slow            answers `ok` after 1.5 s
  slow-rotate     answers `rotate` (refresh_token "rt-slow-N") after 1.5 s
  paced           answers `ok` after 0.25 s (for concurrency counts)
  reset           resets the connection
  500, 503        that status with a text body
  429             429 with Retry-After: 30
  malformed       HTTP 200 with truncated JSON
  html            HTTP 200 with an HTML login page
  huge            HTTP 200 with a 2 MiB body
  invalid_grant   400 {"error":"invalid_grant"}
  invalid_client  401 {"error":"invalid_client"}
GET /count/SCENARIO  {"count": N}: token requests SCENARIO has seen
GET /last/SCENARIO   the last request's form fields and Authorization header
GET /concurrency/SCENARIO  {"max": N, "active": M}: the most requests SCENARIO had open
                     at once since the last such call (which resets it to M)

For credd's login tests (device flow, discovery):
POST /device/SCENARIO  a device authorization answer (Google's spelling,
                       "verification_url"; interval 1; expires_in = ttl)
POST /token/device-slow  slow_down, then a token with refresh_token "rt-device"
POST /token/device-pending  authorization_pending, always
POST /token/device-once  a token with refresh_token "rt-once", then invalid_grant
GET /times/SCENARIO  {"times": [...]}: when each token request came (monotonic s)
GET /.well-known/oauth-authorization-server/NAME  RFC 8414 metadata for the issuer
                       http://127.0.0.1:PORT/NAME (its token endpoint /token/device-slow,
                       its device endpoint /device/NAME); NAME "mixup" names another
                       issuer. Every other GET (the OIDC well-known path) is a 404.
"""
import json
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
last = {}
active = {}
max_active = {}
times = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, status, body, content_type="application/json", headers=()):
        self.leave()  # before the client can see the answer and ask again
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        parts = self.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "count":
            with lock:
                return self.send(200, json.dumps({"count": counts.get(parts[1], 0)}))
        if len(parts) == 2 and parts[0] == "last":
            with lock:
                return self.send(200, json.dumps(last.get(parts[1], {})))
        if len(parts) == 2 and parts[0] == "concurrency":
            with lock:
                now = active.get(parts[1], 0)
                peak = max_active.get(parts[1], 0)
                max_active[parts[1]] = now
                return self.send(200, json.dumps({"max": peak, "active": now}))
        if len(parts) == 2 and parts[0] == "times":
            with lock:
                return self.send(200, json.dumps({"times": times.get(parts[1], [])}))
        if len(parts) == 3 and parts[:2] == [".well-known", "oauth-authorization-server"]:
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            name = parts[2]
            issuer = "http://evil.example" if name == "mixup" else f"{base}/{name}"
            return self.send(200, json.dumps({
                "issuer": issuer,
                "token_endpoint": f"{base}/token/device-slow",
                "device_authorization_endpoint": f"{base}/device/{name}",
            }))
        self.send(404, "{}")

    def do_POST(self):
        scenario = urllib.parse.urlparse(self.path).path.strip("/").split("/")[-1]
        with lock:
            active[scenario] = active.get(scenario, 0) + 1
            max_active[scenario] = max(max_active.get(scenario, 0), active[scenario])
        self.open_scenario = scenario
        try:
            return self.answer_post()
        finally:
            self.leave()

    def leave(self):
        scenario = getattr(self, "open_scenario", None)
        if scenario is not None:
            self.open_scenario = None
            with lock:
                active[scenario] -= 1

    def answer_post(self):
        url = urllib.parse.urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "device":
            query = urllib.parse.parse_qs(url.query)
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            return self.send(200, json.dumps({
                "device_code": f"dc-{parts[1]}", "user_code": "WDJB-MJHT",
                "verification_url": f"{base}/verify", "interval": 1,
                "expires_in": int(query.get("ttl", ["60"])[0]),
            }))
        if len(parts) != 2 or parts[0] != "token":
            return self.send(404, "{}")
        scenario = parts[1]
        query = urllib.parse.parse_qs(url.query)
        ttl = int(query.get("ttl", ["60"])[0])
        length = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        with lock:
            counts[scenario] = counts.get(scenario, 0) + 1
            n = counts[scenario]
            times.setdefault(scenario, []).append(time.monotonic())
            last[scenario] = {
                "form": {k: v[0] for k, v in form.items()},
                "authorization": self.headers.get("Authorization"),
                "accept": self.headers.get("Accept"),
            }
        token = {"access_token": f"{scenario}-{n}", "token_type": "Bearer", "expires_in": ttl}
        if scenario in ("ok", "rotate"):
            if scenario == "rotate":
                token["refresh_token"] = f"rt-{n}"
            return self.send(200, json.dumps(token))
        if scenario == "ok-string":
            token["expires_in"] = str(ttl)
            return self.send(200, json.dumps(token))
        if scenario == "ok-no-expiry":
            del token["expires_in"]
            return self.send(200, json.dumps(token))
        if scenario == "form":
            return self.send(200, urllib.parse.urlencode(token), "application/x-www-form-urlencoded")
        if scenario == "github200":
            return self.send(200, "error=bad_verification_code&error_description=The+code+is+wrong",
                             "application/x-www-form-urlencoded")
        if scenario == "hang":
            time.sleep(3600)
            return None
        if scenario == "slow":
            time.sleep(1.5)
            return self.send(200, json.dumps(token))
        if scenario == "slow-rotate":
            time.sleep(1.5)
            token["refresh_token"] = f"rt-slow-{n}"
            return self.send(200, json.dumps(token))
        if scenario == "paced":
            time.sleep(0.25)
            return self.send(200, json.dumps(token))
        if scenario == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return None
        if scenario in ("500", "503"):
            return self.send(int(scenario), "server trouble", "text/plain")
        if scenario == "429":
            return self.send(429, json.dumps({"error": "slow_down"}), headers=[("Retry-After", "30")])
        if scenario == "malformed":
            return self.send(200, '{"access_token": "trunc')
        if scenario == "html":
            return self.send(200, "<!DOCTYPE html><html><body>Sign in</body></html>", "text/html")
        if scenario == "huge":
            return self.send(200, '{"access_token": "' + "x" * (2 * 1024 * 1024) + '"}')
        if scenario == "invalid_grant":
            return self.send(400, json.dumps({"error": "invalid_grant",
                                              "error_description": "refresh token revoked"}))
        if scenario == "device-slow":
            if n == 1:
                return self.send(400, json.dumps({"error": "slow_down"}))
            token["refresh_token"] = "rt-device"
            return self.send(200, json.dumps(token))
        if scenario == "device-once":
            if n == 1:
                token["refresh_token"] = "rt-once"
                return self.send(200, json.dumps(token))
            return self.send(400, json.dumps({"error": "invalid_grant"}))
        if scenario == "device-pending":
            return self.send(400, json.dumps({"error": "authorization_pending"}))
        if scenario == "invalid_client":
            return self.send(401, json.dumps({"error": "invalid_client"}))
        return self.send(404, "{}")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def handle_error(self, request, client_address):
        pass  # a client that hangs up on a huge or reset answer is the point of the test


class TlsServer(Server):
    """Handshakes in the handler's thread, so a client that refuses the certificate
    (the point of some tests) never holds up accept()."""

    context = None

    def finish_request(self, request, client_address):
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        TlsServer.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        TlsServer.context.load_cert_chain(sys.argv[2], sys.argv[3])
        server = TlsServer(("127.0.0.1", 0), Handler)
    else:
        server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
