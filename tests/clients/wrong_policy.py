"""A deliberately wrong friendgate.v1.PolicyService, for the conformance kit's
own tests: examples/python_policy's policy with one bug, chosen by --bug.

  --bug=swapped_targets     targets[].to_user of relations 0 and 1 exchanged
  --bug=code_out_of_range   refusals carry vendor_code 12345
  --bug=duplicate_target    a second verdict for relation 0
  --bug=mutation_on_tencent a remark mutation on every decision
  --bug=batch_reversed      DecideBatch answers in reverse order
  --bug=batch_short         DecideBatch drops the last decision
  --bug=no_health           no grpc.health.v1.Health service
  --bug=accepts_invalid     an event without a type is decided, not INVALID_ARGUMENT
  --bug=slow                Decide answers after --slow-s seconds (past any sane deadline)
  --bug=none                no bug (the kit must pass)

Logs {"msg":"listening","grpc":"127.0.0.1:PORT"} on stderr like the others;
stops on SIGTERM."""

import argparse
import concurrent.futures
import json
import os
import signal
import sys
import threading
import time

import grpc

sys.path.insert(0, os.path.join(os.environ["FRIENDGATE_SOURCE_DIR"], "examples", "python_policy"))

from friendgate.v1 import event_pb2, policy_service_pb2, policy_service_pb2_grpc  # noqa: E402
from grpc_health.v1 import health_pb2_grpc  # noqa: E402

import policy_server  # noqa: E402

BUGS = ("none", "swapped_targets", "code_out_of_range", "duplicate_target", "mutation_on_tencent",
        "batch_reversed", "batch_short", "no_health", "accepts_invalid", "slow")


class WrongPolicy(policy_server.BlocklistPolicy):
    def __init__(self, blocked, bug, slow_s):
        super().__init__(blocked)
        self._bug = bug
        self._slow_s = slow_s

    def Decide(self, request, context):
        event = request.event
        if self._bug == "accepts_invalid" and event.type == event_pb2.EVENT_TYPE_UNSPECIFIED:
            event.type = event_pb2.EVENT_TYPE_FRIEND_REQUEST
        if self._bug == "slow":
            time.sleep(self._slow_s)
        decision = super().Decide(request, context)
        targets = decision.targets
        if self._bug == "swapped_targets" and len(targets) > 1:
            targets[0].to_user, targets[1].to_user = targets[1].to_user, targets[0].to_user
        elif self._bug == "code_out_of_range":
            for reason in [decision.reason] + [t.reason for t in targets]:
                if reason.vendor_code:
                    reason.vendor_code = 12345
        elif self._bug == "duplicate_target" and targets:
            targets.add().CopyFrom(targets[0])
        elif self._bug == "mutation_on_tencent":
            decision.mutation.remark = "changed"
        return decision

    def DecideBatch(self, request, context):
        if not self._bug.startswith("batch_"):
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "DecideBatch")
        decisions = [self.Decide(policy_service_pb2.DecideRequest(event=e), context)
                     for e in request.events]
        if self._bug == "batch_reversed":
            decisions.reverse()
        else:
            decisions.pop()
        return policy_service_pb2.DecideBatchResponse(decisions=decisions)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bug", choices=BUGS, required=True)
    parser.add_argument("--block", default="blocked_user")
    parser.add_argument("--slow-s", type=float, default=5.0)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    server = grpc.server(concurrent.futures.ThreadPoolExecutor(max_workers=8))
    policy_service_pb2_grpc.add_PolicyServiceServicer_to_server(
        WrongPolicy(args.block.split(","), args.bug, args.slow_s), server)
    if args.bug != "no_health":
        health_pb2_grpc.add_HealthServicer_to_server(policy_server.Health(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(json.dumps({"msg": "listening", "grpc": "127.0.0.1:%d" % port},
                     separators=(",", ":")), file=sys.stderr, flush=True)
    stop.wait()
    server.stop(grace=0).wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
