#!/usr/bin/env python3
"""A scripted stand-in for credd's login methods, for cred login's own tests.

usage: fake_daemon.py SOCKET SCENARIO LOG
Listens on the Unix socket SOCKET, serves connections one after another, and appends
every request it receives to LOG as one JSON line. Prints "ready" once listening.
Scenarios (what login.start leads to):
  device-success   device flow; a "waiting", then "succeeded" with an identity
  device-denied    device flow; "failed" with access_denied
  device-pending   device flow; "waiting" every 200 ms until login.cancel: "cancelled"
  device-deaf      device flow; ignores login.cancel (cred must give up waiting)
  auth-paste       auth-code; login.complete answers {} then "succeeded"
  auth-browser     auth-code; "succeeded" 300 ms after login.start (the listener's job)
  auth-refuse      auth-code; login.complete is refused with invalid_params
  whoami           credential.whoami answers claims
Anything else is answered with method_not_found.
"""
import json
import os
import socket
import sys
import threading
import time

path, scenario, log_path = sys.argv[1], sys.argv[2], sys.argv[3]
log_lock = threading.Lock()
send_lock = threading.Lock()  # the ticker thread and the request loop share a socket


def log(request):
    with log_lock, open(log_path, "a") as f:
        f.write(json.dumps(request) + "\n")


def send(conn, obj):
    with send_lock:
        conn.sendall((json.dumps(obj) + "\n").encode())


def result(conn, rid, value):
    send(conn, {"jsonrpc": "2.0", "id": rid, "result": value})


def error(conn, rid, code, message, hint=""):
    send(conn, {"jsonrpc": "2.0", "id": rid,
                "error": {"code": -32602, "message": message,
                          "data": {"code": code, "hint": hint}}})


def progress(conn, state, **params):
    send(conn, {"jsonrpc": "2.0", "method": "login.progress",
                "params": {"login_id": "L1", "state": state, **params}})


DEVICE = {"login_id": "L1", "flow": "device",
          "verification_uri": "https://login.example.test/device",
          "verification_uri_complete": "https://login.example.test/device?user_code=WDJB-MJHT",
          "user_code": "WDJB-MJHT", "expires_at": 4102444800000, "interval": 1,
          # The daemon encodes the QR symbol; any 21x21 square of bits will do for cred to
          # draw (a checkerboard here).
          "qr": ["".join("1" if (x + y) % 2 == 0 else "0" for x in range(21))
                 for y in range(21)]}
AUTH = {"login_id": "L1", "flow": "auth-code",
        "authorization_url": "https://login.example.test/auth?client_id=c&state=s1",
        "redirect_uri": "http://127.0.0.1:40001/callback"}
IDENTITY = {"sub": "u-1", "email": "alice@example.test", "preferred_username": "alice"}


def serve(conn):
    buffer = b""
    pending = None  # the device-pending ticker
    cancelled = threading.Event()
    while True:
        data = conn.recv(65536)
        if not data:
            cancelled.set()
            log({"closed": True})
            return
        buffer += data
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            request = json.loads(line)
            log(request)
            rid, method = request.get("id"), request.get("method")
            params = request.get("params", {})
            if method == "login.start":
                if scenario.startswith("device"):
                    result(conn, rid, DEVICE)
                    if scenario == "device-success":
                        progress(conn, "waiting", interval=1)
                        progress(conn, "succeeded", expires_at=4102444800000, identity=IDENTITY)
                    elif scenario == "device-denied":
                        progress(conn, "failed", error={
                            "code": "access_denied", "message": "login: the user refused",
                            "hint": "cred login " + params.get("name", "")})
                    else:
                        def tick():
                            while not cancelled.wait(0.2):
                                try:
                                    progress(conn, "waiting", interval=1)
                                except OSError:
                                    return
                        pending = threading.Thread(target=tick, daemon=True)
                        pending.start()
                else:
                    result(conn, rid, AUTH)
                    if scenario == "auth-browser":
                        time.sleep(0.3)
                        progress(conn, "succeeded", expires_at=4102444800000,
                                 identity={"sub": "u-1"})
            elif method == "login.complete":
                if scenario == "auth-refuse":
                    error(conn, rid, "invalid_params", "login: no code in the redirect URL",
                          "paste the whole URL")
                else:
                    result(conn, rid, {})
                    progress(conn, "succeeded", expires_at=None, identity=None)
            elif method == "login.cancel":
                result(conn, rid, {})
                if scenario != "device-deaf":
                    cancelled.set()
                    if pending:
                        pending.join()
                    progress(conn, "cancelled")
            elif method == "credential.whoami":
                result(conn, rid, {"name": params.get("name"), "sub": "u-1",
                                   "email": "alice@example.test", "preferred_username": "alice",
                                   "name_claim": "Alice", "issuer": "https://login.example.test",
                                   "expires_at": 4102444800000})
            else:
                send(conn, {"jsonrpc": "2.0", "id": rid,
                            "error": {"code": -32601, "message": "no such method",
                                      "data": {"code": "method_not_found"}}})


def main():
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)
    print("ready", flush=True)
    while True:
        conn, _ = server.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


main()
