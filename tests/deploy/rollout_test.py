#!/usr/bin/env python3
"""Rollouts that drop nothing, with the real binaries on loopback.

  drain           A gateway under steady load (keep-alive clients, two policy replicas
                  behind round_robin) gets SIGTERM with http.drain_accept_s: 1. /readyz
                  turns 503 while the gateway keeps answering (with Connection: close);
                  then it stops accepting and exits 0. Every request that was written gets
                  an answer: zero lost.
  connection-age  A gateway resolves its policy target through a DNS server run by this
                  test (dns://127.0.0.1:PORT/policy.fg.test:P). Under load, a second policy
                  replica starts and is added to DNS: with --max-connection-age-ms low, the
                  gateway re-resolves and sends it calls (gRPC re-resolves DNS at most every
                  30 s, hence the deadline), with no fallback and no failed request.

Usage: rollout_test.py --gateway BIN --policy BIN --source-dir DIR {drain,connection-age}
"""
import argparse
import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

DEADLINE_S = 20.0
CLIENTS = 6


class Proc:
    def __init__(self, argv, env=None):
        self.argv = argv
        self.log = []
        self.listening = threading.Event()
        self.record = None
        self.p = subprocess.Popen(argv, env=env or {"PATH": "/usr/bin:/bin"},
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            self.log.append(line.rstrip())
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if rec.get("msg") == "listening" and self.record is None:
                self.record = rec
                self.listening.set()

    def wait_listening(self):
        if not self.listening.wait(DEADLINE_S):
            raise SystemExit("%s did not start:\n%s" % (self.argv, "\n".join(self.log[-20:])))
        return self.record

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def free_port(host="127.0.0.1"):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def start_policy(binary, rules, listen, extra=()):
    proc = Proc([binary, "--grpc-listen=" + listen, "--metrics-listen=127.0.0.1:0",
                 "--rules=" + rules, "--decision-log=off"] + list(extra))
    rec = proc.wait_listening()
    return proc, rec["grpc"], rec["metrics"]


def start_gateway(binary, target, workdir, http_extra):
    config = os.path.join(workdir, "gateway.yaml")
    with open(config, "w") as f:
        f.write("http:\n  io_threads: 2\n  drain_timeout_ms: 5000\n%s"
                "policy:\n  load_balancing: round_robin\n  health_check_interval_ms: 200\n"
                "openim:\n  - name: openim\n    path_prefix: /openim\n" % http_extra)
    proc = Proc([binary, "--http-listen=127.0.0.1:0", "--policy-target=" + target,
                 "--config=" + config])
    return proc, proc.wait_listening()["http"]


def get(address, path):
    host, port = address.rsplit(":", 1)
    c = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    finally:
        c.close()


def wait_ready(address):
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        try:
            if get(address, "/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit("the gateway never became ready")


BODY = json.dumps({"callbackCommand": "callbackBeforeAddFriendCommand", "fromUserID": "alice",
                   "toUserID": "bob", "reqMsg": "hi"})


class Load:
    """CLIENTS threads, each with a keep-alive connection, sending back to back. Counts
    requests written (sent without error) and answered; a written request whose answer
    never came is `lost`. Connect failures are not writes (the request never left)."""

    def __init__(self, address):
        self.host, port = address.rsplit(":", 1)
        self.port = int(port)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.written = self.answered = self.lost = self.refused = self.bad = 0
        self.close_answers = 0  # answers carrying Connection: close
        self.marks = []  # (time, answered) to see answers after SIGTERM
        self.lost_errors = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(CLIENTS)]
        for t in self.threads:
            t.start()

    def count(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)

    def run(self):
        conn = None
        while not self.stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
                try:
                    conn.connect()
                except OSError:
                    self.count("refused")
                    conn = None
                    time.sleep(0.01)
                    continue
            try:
                conn.request("POST", "/openim/callbackBeforeAddFriendCommand", BODY,
                             {"Content-Type": "application/json"})
            except OSError:
                # Nothing was written (the connection had been closed by an earlier
                # Connection: close answer or at the peer's end): reconnect.
                conn.close()
                conn = None
                continue
            self.count("written")
            try:
                r = conn.getresponse()
                body = r.read()
                closing = (r.getheader("Connection") or "").lower() == "close"
            except (OSError, http.client.HTTPException) as e:
                self.count("lost")
                with self.lock:
                    self.lost_errors.append(repr(e))
                conn.close()
                conn = None
                continue
            self.count("answered")
            if r.status != 200 or b'"actionCode":0' not in body:
                self.count("bad")
            if closing:
                self.count("close_answers")
                conn.close()
                conn = None

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=30)

    def snapshot(self):
        with self.lock:
            return self.answered


def wait_answers(load, n):
    deadline = time.monotonic() + DEADLINE_S
    start = load.snapshot()
    while load.snapshot() - start < n:
        if time.monotonic() > deadline:
            raise SystemExit("the load got no answers")
        time.sleep(0.02)


def metric_sum(address, name):
    status, text = get(address, "/metrics")
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            total += float(line.rsplit(" ", 1)[1])
    return total


def drain(args, workdir):
    rules = os.path.join(args.source_dir, "examples", "rules.yaml")
    procs = []
    try:
        p1, g1, _ = start_policy(args.policy, rules, "127.0.0.1:0")
        p2, g2, _ = start_policy(args.policy, rules, "127.0.0.1:0")
        procs += [p1, p2]
        target = "ipv4:%s,%s" % (g1, g2)
        gw, address = start_gateway(args.gateway, target, workdir, "  drain_accept_s: 1\n")
        procs.append(gw)
        wait_ready(address)
        load = Load(address)
        wait_answers(load, 300)
        before = load.snapshot()
        sigterm_at = time.monotonic()
        gw.p.send_signal(signal.SIGTERM)
        # /readyz turns 503 while the gateway still answers the load.
        saw_503 = False
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline and not saw_503:
            try:
                saw_503 = get(address, "/readyz")[0] == 503
            except OSError:
                break
            time.sleep(0.02)
        at_503 = load.snapshot()
        try:
            code = gw.p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            code = None
        exited_after = time.monotonic() - sigterm_at
        load.finish()
        print("drain: written %d, answered %d, lost %d, bad %d, Connection: close answers %d, "
              "refused connects after the listener closed %d; /readyz 503 seen: %s; answers "
              "after SIGTERM: %d; exit %s after %.1f s"
              % (load.written, load.answered, load.lost, load.bad, load.close_answers,
                 load.refused, saw_503, load.answered - before, code, exited_after))
        failures = []
        if load.lost:
            failures.append("%d written requests got no answer: %s"
                            % (load.lost, load.lost_errors[:5]))
        if load.bad:
            failures.append("%d answers were not a plain allow" % load.bad)
        if not saw_503:
            failures.append("/readyz never answered 503 after SIGTERM")
        if load.answered - at_503 <= 0:
            failures.append("no request was answered after /readyz turned 503 (drain_accept_s)")
        if load.close_answers == 0:
            failures.append("no answer carried Connection: close during the drain")
        if code != 0:
            failures.append("the gateway exited %s:\n%s" % (code, "\n".join(gw.log[-20:])))
        if not any('"drain_accept_s":1' in l for l in gw.log):
            failures.append("no 'draining' log line with drain_accept_s")
        return failures
    finally:
        for p in procs:
            p.kill()


# --- A DNS server for the test: A records of one name, changeable at run time ---------

class Dns:
    def __init__(self, name):
        self.name = name.lower().rstrip(".")
        self.addresses = []
        self.queries = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                data, peer = self.sock.recvfrom(1500)
            except OSError:
                return
            try:
                self.sock.sendto(self.answer(data), peer)
            except Exception:  # a malformed query: no answer
                pass

    def answer(self, q):
        ident, flags, qd = struct.unpack(">HHH", q[:6])
        pos, labels = 12, []
        while q[pos]:
            labels.append(q[pos + 1:pos + 1 + q[pos]].decode().lower())
            pos += 1 + q[pos]
        qtype = struct.unpack(">H", q[pos + 1:pos + 3])[0]
        question = q[12:pos + 5]
        name = ".".join(labels)
        self.queries += 1
        answers = []
        if name == self.name and qtype == 1:  # A
            for a in list(self.addresses):
                answers.append(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 1, 4) +
                               socket.inet_aton(a))
        rcode = 0 if name == self.name else 3  # NXDOMAIN for anything else
        header = struct.pack(">HHHHHH", ident, 0x8180 | rcode, 1, len(answers), 0, 0)
        return header + question + b"".join(answers)

    def close(self):
        self.sock.close()


def connection_age(args, workdir):
    rules = os.path.join(args.source_dir, "examples", "rules.yaml")
    age = ["--max-connection-age-ms=1000", "--max-connection-age-grace-ms=1000"]
    port = free_port("127.0.0.1")
    dns = Dns("policy.fg.test")
    dns.addresses = ["127.0.0.1"]
    procs = []
    try:
        p1, _, m1 = start_policy(args.policy, rules, "127.0.0.1:%d" % port, age)
        procs.append(p1)
        target = "dns://127.0.0.1:%d/policy.fg.test:%d" % (dns.port, port)
        gw, address = start_gateway(args.gateway, target, workdir, "")
        procs.append(gw)
        wait_ready(address)
        load = Load(address)
        wait_answers(load, 200)
        started = time.monotonic()
        p2, _, m2 = start_policy(args.policy, rules, "127.0.0.2:%d" % port, age)
        procs.append(p2)
        dns.addresses = ["127.0.0.1", "127.0.0.2"]
        # gRPC re-resolves at most every 30 s: wait up to 60 s for the new replica's calls.
        deadline = started + 60
        decided = 0.0
        while time.monotonic() < deadline:
            decided = metric_sum(m2, "friendgate_policy_decisions_total")
            if decided > 0:
                break
            time.sleep(0.2)
        took = time.monotonic() - started
        wait_answers(load, 100)  # both replicas serving, the load still answered
        load.finish()
        fallbacks = metric_sum(address, "friendgate_gateway_policy_fallbacks_total")
        print("connection-age: the new replica decided %d events %.1f s after it started "
              "(DNS queries %d); load: written %d, answered %d, lost %d, bad %d; fallbacks %d"
              % (decided, took, dns.queries, load.written, load.answered, load.lost, load.bad,
                 fallbacks))
        failures = []
        if decided <= 0:
            failures.append("the replica added to DNS got no call within 60 s")
        if load.lost or load.bad:
            failures.append("requests lost %d, bad %d: %s" % (load.lost, load.bad,
                                                              load.lost_errors[:5]))
        if fallbacks:
            failures.append("%d callbacks fell back while connections were recycled" % fallbacks)
        return failures
    finally:
        for p in procs:
            p.kill()
        dns.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--policy", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("test", choices=["drain", "connection-age"])
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        failures = (drain if args.test == "drain" else connection_age)(args, workdir)
    for f in failures:
        print("FAIL: " + f)
    print("%s: %s" % (args.test, "FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
