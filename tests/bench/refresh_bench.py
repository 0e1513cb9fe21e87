#!/usr/bin/env python3
"""Refresh-engine benchmark: N refreshed credentials against a local token endpoint.

usage: refresh_bench.py [--credentials N] [--lifetime S] [--duration S] [--credd PATH]

Starts the in-tree fault endpoint (tests/support/fault_endpoint.py, scenario `ok`)
and credd on private directories, adds N oauth2-client-credentials credentials whose
tokens live --lifetime seconds, and lets credd keep them fresh for --duration seconds
with nobody asking, except a sampler that asks for a random credential's token every
10 ms and a status sweep every 5 s. Prints:

  refreshes done          token requests the endpoint answered during the window
  refreshes late          credentials seen past their refresh time by a sweep
                          (status expired, or next_refresh more than 5 s overdue)
  tokens served expired   sampled token.get answers whose expires_at had passed (must be 0)
  daemon CPU / refresh    credd's user+system CPU over the window / refreshes done
  peak RSS                credd's VmHWM

A program that prints figures, not a test that fails on a slow machine.
"""
import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class Rpc:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def send(self, method, params):
        line = json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                           "params": params}) + "\n"
        self.next_id += 1
        self.sock.sendall(line.encode())

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("daemon closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, params):
        self.send(method, params)
        return self.read()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def count(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/count/ok") as r:
        return json.load(r)["count"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--credentials", type=int, default=10000)
    ap.add_argument("--lifetime", type=int, default=60)
    ap.add_argument("--duration", type=int, default=300)
    ap.add_argument("--credd", default=os.path.join(ROOT, "build", "daemon", "credd"))
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="credd-refresh-bench.")
    os.chmod(tmp, 0o700)
    endpoint = subprocess.Popen([sys.executable, os.path.join(ROOT, "tests", "support",
                                                              "fault_endpoint.py")],
                                stdout=subprocess.PIPE, text=True)
    port = json.loads(endpoint.stdout.readline())["port"]
    sock = os.path.join(tmp, "socket")
    log = open(os.path.join(tmp, "credd.log"), "w")
    credd = subprocess.Popen([a.credd, "--socket", sock, "--data-dir", os.path.join(tmp, "data"),
                              "--key-store=file", "--key-file", os.path.join(tmp, "key"), "--log-level", "warn",
                              "--max-connections", "64"], stderr=log)
    try:
        deadline = time.time() + 10
        while not os.path.exists(sock) and time.time() < deadline:
            time.sleep(0.02)
        rpc = Rpc(sock)
        url = f"http://127.0.0.1:{port}/token/ok?ttl={a.lifetime}"
        start_add = time.time()
        # Pipelined in batches: each add is one durable commit on the daemon's worker.
        batch = 200
        for first in range(0, a.credentials, batch):
            names = range(first, min(first + batch, a.credentials))
            for i in names:
                rpc.send("credential.add", {
                    "name": f"c{i:05d}", "kind": "oauth2-client-credentials",
                    "params": {"token_url": url, "client_id": "bench"},
                    "secret": {"client_secret": "bench-secret"}})
            for _ in names:
                r = rpc.read()
                if "error" in r:
                    raise SystemExit(f"add failed: {r['error']}")
        added = time.time() - start_add
        # Let the first round (every credential fetches its first token) finish.
        while count(port) < a.credentials and time.time() < start_add + added + 120:
            time.sleep(0.2)
        print(f"credentials: {a.credentials}, lifetime {a.lifetime} s, window {a.duration} s "
              f"(added in {added:.1f} s; first tokens fetched)")

        requests0 = count(port)
        cpu0 = cpu_seconds(credd.pid)
        served = expired = late_seen = expired_seen = failed = 0
        late_names = set()
        t0 = time.time()
        next_sweep = t0 + 5
        while time.time() < t0 + a.duration:
            r = rpc.call("token.get", {"name": f"c{random.randrange(a.credentials):05d}"})
            now_ms = time.time() * 1000
            if "result" in r:
                served += 1
                if r["result"]["expires_at"] is not None and r["result"]["expires_at"] <= now_ms:
                    expired += 1
            else:
                failed += 1
            if time.time() >= next_sweep:
                next_sweep += 5
                status = rpc.call("credential.status", {})["result"]["credentials"]
                now_ms = time.time() * 1000
                for c in status:
                    overdue = c["next_refresh"] is not None and c["next_refresh"] < now_ms - 5000
                    if c["status"] == "expired":
                        expired_seen += 1
                    if c["status"] == "expired" or overdue:
                        late_seen += 1
                        late_names.add(c["name"])
                        if os.environ.get("BENCH_SHOW_LATE") and late_seen <= 5:
                            print("late:", json.dumps(c), "now", int(now_ms), file=sys.stderr)
            time.sleep(0.01)
        window = time.time() - t0
        refreshes = count(port) - requests0
        cpu = cpu_seconds(credd.pid) - cpu0
        print(f"refreshes done:         {refreshes} ({refreshes / window:.0f}/s)")
        print(f"refreshes late:         {len(late_names)} credentials ({late_seen} sweep sightings,"
              f" {expired_seen} of them with the token already expired)")
        print(f"tokens served expired:  {expired} of {served} sampled token.get answers"
              f" ({failed} sampled answers were errors)")
        per = (cpu / refreshes * 1e6) if refreshes else 0
        print(f"daemon CPU per refresh: {per:.0f} us ({cpu:.1f} s CPU over {window:.0f} s)")
        print(f"peak RSS:               {peak_rss_kib(credd.pid) / 1024:.1f} MiB")
    finally:
        credd.terminate()
        try:
            credd.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print("credd did not exit within 30 s of SIGTERM; killed", file=sys.stderr)
            credd.kill()
            credd.wait()
        endpoint.kill()
        endpoint.wait()


if __name__ == "__main__":
    main()
