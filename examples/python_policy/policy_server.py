#!/usr/bin/env python3
"""A minimal friendgate.v1.PolicyService written in Python: bring your own policy.

It refuses friend requests and responses that involve a blocklisted user, per
target, and allows everything else. It also serves grpc.health.v1.Health (the
gateway's readiness follows it). Point the gateway at it with
`friendgate-gateway --policy-target=HOST:PORT ...`.

  clients/python/generate build/py
  PYTHONPATH=build/py python3 examples/python_policy/policy_server.py \
      --listen=127.0.0.1:0 --block=blocked_user,spammer

Logs JSON lines on stderr, like the C++ binaries; the first one after start is
{"msg":"listening","grpc":"127.0.0.1:PORT"} (port 0 picks a free port).
SIGTERM/SIGINT: report NOT_SERVING, drain in-flight calls, exit 0.
"""

import argparse
import concurrent.futures
import datetime
import json
import signal
import sys
import threading
import uuid

import grpc

from friendgate.v1 import decision_pb2, event_pb2, policy_service_pb2_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

# Refusal codes inside each vendor's refusal range (Tencent 38000-39000,
# OpenIM 20001-29999); anything else makes the gateway use its default.
REFUSAL_CODE = {event_pb2.VENDOR_TENCENT: 38200, event_pb2.VENDOR_OPENIM: 20200}
DECIDED_TYPES = {event_pb2.EVENT_TYPE_FRIEND_REQUEST, event_pb2.EVENT_TYPE_FRIEND_RESPONSE}
POLICY_SERVICE = "friendgate.v1.PolicyService"
MAX_BLOCKED_ID_BYTES = 128


def log(msg, **fields):
    now = datetime.datetime.now(datetime.timezone.utc)
    line = {"ts": now.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (now.microsecond // 1000),
            "level": "info", "component": "python-policy", "msg": msg}
    line.update(fields)
    print(json.dumps(line, separators=(",", ":")), file=sys.stderr, flush=True)


class BlocklistPolicy(policy_service_pb2_grpc.PolicyServiceServicer):
    """Decide: refuse each relation whose users include a blocked one."""

    def __init__(self, blocked):
        self._blocked = frozenset(blocked)

    def Decide(self, request, context):
        event = request.event
        if event.type == event_pb2.EVENT_TYPE_UNSPECIFIED or \
                event.phase == event_pb2.PHASE_UNSPECIFIED:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "event needs a type and a phase")
        decision = decision_pb2.Decision(decision_id=uuid.uuid4().hex, event_id=event.event_id,
                                         verdict=decision_pb2.VERDICT_ALLOW)
        if event.type not in DECIDED_TYPES:
            return decision
        reason = decision_pb2.Reason(
            vendor_code=REFUSAL_CODE.get(event.vendor, 0), reason="blocklisted",
            message="this user cannot make or answer friend requests")
        for index, relation in enumerate(event.relations):
            target = decision.targets.add(relation_index=index, to_user=relation.to_user,
                                          verdict=decision_pb2.VERDICT_ALLOW)
            if relation.from_user in self._blocked or relation.to_user in self._blocked:
                target.verdict = decision_pb2.VERDICT_REFUSE
                target.reason.CopyFrom(reason)
                target.rule_ids.append("python-blocklist")
        if any(t.verdict == decision_pb2.VERDICT_REFUSE for t in decision.targets):
            decision.matched_rule_ids.append("python-blocklist")
            # One-target vendors (OpenIM) read the overall verdict.
            if all(t.verdict == decision_pb2.VERDICT_REFUSE for t in decision.targets):
                decision.verdict = decision_pb2.VERDICT_REFUSE
                decision.reason.CopyFrom(reason)
        log("decided", event_id=event.event_id,
            verdict=decision_pb2.Verdict.Name(decision.verdict),
            refused=[t.to_user for t in decision.targets
                     if t.verdict == decision_pb2.VERDICT_REFUSE])
        return decision


class Health(health_pb2_grpc.HealthServicer):
    """grpc.health.v1.Health for "" (the server) and the policy service."""

    KNOWN = ("", POLICY_SERVICE)

    def __init__(self):
        self._cond = threading.Condition()
        self._serving = True
        self._stopping = False

    def set_serving(self, serving, stopping=False):
        with self._cond:
            self._serving = serving
            self._stopping = stopping
            self._cond.notify_all()

    def _status(self):
        return (health_pb2.HealthCheckResponse.SERVING if self._serving
                else health_pb2.HealthCheckResponse.NOT_SERVING)

    def Check(self, request, context):
        if request.service not in self.KNOWN:
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        with self._cond:
            return health_pb2.HealthCheckResponse(status=self._status())

    def Watch(self, request, context):
        if request.service not in self.KNOWN:
            yield health_pb2.HealthCheckResponse(
                status=health_pb2.HealthCheckResponse.SERVICE_UNKNOWN)
            return
        last = None
        while context.is_active():
            with self._cond:
                if self._status() == last:
                    if self._stopping:
                        return
                    self._cond.wait(timeout=1.0)  # wake up to notice a cancelled call
                    continue
                last = self._status()
            yield health_pb2.HealthCheckResponse(status=last)


def parse_blocked(text):
    users = [u for u in text.split(",") if u]
    for u in users:
        if len(u.encode()) > MAX_BLOCKED_ID_BYTES:
            raise argparse.ArgumentTypeError("user id longer than %d bytes" % MAX_BLOCKED_ID_BYTES)
    return users


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:50061", help="host:port (port 0: any)")
    parser.add_argument("--block", type=parse_blocked, default=["blocked_user"],
                        help="comma-separated user ids to refuse")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--drain-timeout-s", type=float, default=5.0)
    args = parser.parse_args()

    # Handle signals on the main thread only, waiting on an event.
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())

    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=args.workers))
    health = Health()
    policy_service_pb2_grpc.add_PolicyServiceServicer_to_server(
        BlocklistPolicy(args.block), server)
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port(args.listen)
    if port == 0:
        print("policy_server: cannot listen on " + args.listen, file=sys.stderr)
        return 1
    server.start()
    host = args.listen.rsplit(":", 1)[0]
    log("listening", grpc="%s:%d" % (host, port), blocked=len(args.block))

    stop.wait()
    log("draining", drain_timeout_s=args.drain_timeout_s)
    health.set_serving(False, stopping=True)
    server.stop(grace=args.drain_timeout_s).wait()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
