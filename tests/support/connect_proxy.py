#!/usr/bin/env python3
"""A small HTTP CONNECT proxy for tests: it records what it was asked to tunnel.

usage: connect_proxy.py [USER:PASSWORD]
Listens on 127.0.0.1 (a free port) and prints {"port": N} on stdout once ready.

CONNECT host:port   tunnels to 127.0.0.1:port whatever the host (so a test can use a
                    name no resolver knows, and the certificate's name still matters);
                    with USER:PASSWORD, a CONNECT without that Basic Proxy-Authorization
                    gets 407.
GET /seen           {"connects": ["host:port", …], "refused": N} so far (asked directly,
                    not as a proxy request).
"""
import base64
import json
import select
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

seen = []
refused = [0]
lock = threading.Lock()
expected_auth = None


def pipe(a, b):
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 30)
        if not readable:
            return
        for s in readable:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock:
            body = json.dumps({"connects": seen, "refused": refused[0]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_CONNECT(self):
        if expected_auth and self.headers.get("Proxy-Authorization") != expected_auth:
            with lock:
                refused[0] += 1
            self.send_response(407)
            self.send_header("Proxy-Authenticate", 'Basic realm="test"')
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()
            return
        with lock:
            seen.append(self.path)
        port = int(self.path.rsplit(":", 1)[1])
        try:
            upstream = socket.create_connection(("127.0.0.1", port), timeout=10)
        except OSError:
            self.send_response(502)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        try:
            pipe(self.connection, upstream)
        finally:
            upstream.close()
        self.close_connection = True


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass


def main():
    global expected_auth
    if len(sys.argv) == 2:
        expected_auth = "Basic " + base64.b64encode(sys.argv[1].encode()).decode()
    server = Server(("127.0.0.1", 0), Handler)
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
