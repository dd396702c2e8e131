"""Example: decide events, manage the blocklist and follow WatchEvents on a friendgate policy service.

Steps (one JSON object per step on stdout): check health, list services by
reflection, open a WatchEvents stream, decide a friend request, put a user on
a blocklist rule's run-time entries, decide again (now refused), read both
decisions from the stream, and take the user off the list again.

  python3 -m friendgate_client.example \
      --target=127.0.0.1:50051 --list=blocked-user-no-friend-requests --from=alice --to=bob,mallory \
      --block=mallory
"""

import argparse
import json
import sys

import grpc
from google.protobuf import json_format

from friendgate.v1 import decision_pb2
from friendgate_client import Client, HealthStatus, friend_request


def to_dict(message):
    return json_format.MessageToDict(message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", required=True, help="host:port of the policy service")
    parser.add_argument("--tenant", default="1400000000")
    parser.add_argument("--from", dest="from_user", default="alice")
    parser.add_argument("--to", default="bob,mallory", help="comma-separated targets")
    parser.add_argument("--list", default="blocked-user-no-friend-requests",
                        help="id of a blocklist rule of the active rules")
    parser.add_argument("--block", default="mallory", help="user to put on the blocklist")
    parser.add_argument("--timeout", type=float, default=1.0, help="deadline per call, seconds")
    args = parser.parse_args()

    with Client(args.target) as client:
        try:
            client.wait_ready(timeout=10 * args.timeout)
            health = client.check_health(timeout=args.timeout)
            print(json.dumps({"step": "health", "status": health.value}), flush=True)

            services = client.list_services(timeout=args.timeout)
            print(json.dumps({"step": "reflection", "services": services}), flush=True)

            watch = client.watch_events(tenants=[args.tenant], timeout=10 * args.timeout)
            try:
                targets = args.to.split(",")
                first = client.decide(friend_request(args.tenant, args.from_user, targets),
                                      timeout=args.timeout)
                print(json.dumps({"step": "decide", "decision": to_dict(first)}), flush=True)

                added = client.add_list_entry(args.list, args.block, timeout=args.timeout)
                print(json.dumps({"step": "block", "list": args.list, "user": args.block,
                                  "added": added,
                                  "entries": client.list_entries(args.list,
                                                                 timeout=args.timeout)}),
                      flush=True)
                second = client.decide(friend_request(args.tenant, args.from_user, targets),
                                       timeout=args.timeout)
                print(json.dumps({"step": "decide_after_block", "decision": to_dict(second)}),
                      flush=True)

                # The stream saw both decisions (it was open before either).
                wanted = {first.event_id, second.event_id}
                for item in watch:
                    if item.HasField("dropped"):
                        print(json.dumps({"step": "watch_dropped",
                                          "count": item.dropped.count}), flush=True)
                        continue
                    if item.event.event.event_id in wanted:
                        wanted.discard(item.event.event.event_id)
                        print(json.dumps({"step": "watch", "event_id": item.event.event.event_id,
                                          "verdict": decision_pb2.Verdict.Name(
                                              item.event.decision.verdict)}), flush=True)
                    if not wanted:
                        break
            finally:
                watch.cancel()
            removed = client.remove_list_entry(args.list, args.block, timeout=args.timeout)
            print(json.dumps({"step": "unblock", "removed": removed}), flush=True)
        except grpc.RpcError as err:
            print(json.dumps({"step": "error", "code": err.code().name,
                              "message": err.details()}), flush=True)
            return 1
        except grpc.FutureTimeoutError:
            print(json.dumps({"step": "error", "code": "UNAVAILABLE",
                              "message": "could not connect to " + args.target}), flush=True)
            return 1
    return 0 if health == HealthStatus.SERVING else 1


if __name__ == "__main__":
    sys.exit(main())
