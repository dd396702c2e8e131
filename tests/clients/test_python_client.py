"""The friendgate-client wheel against the real friendgate-policy binary: the
example program end to end, and the client library's status codes.

Runs in the venv the clients.python_wheel fixture made (the wheel built from a
clean copy of clients/python and installed with pip): nothing is imported from
the source tree."""

import os
import tempfile
import unittest

import fgtest
import grpc

import friendgate_client
from friendgate.v1 import decision_pb2, event_pb2
from friendgate_client import Client, HealthStatus, friend_request


def run_example(*args):
    """`python -m friendgate_client.example` from a scratch directory."""
    with tempfile.TemporaryDirectory() as scratch:
        return fgtest.run_json_lines(
            [fgtest.env_path("FRIENDGATE_PY_VENV_PYTHON"), "-m", "friendgate_client.example"]
            + list(args), cwd=scratch)


class PythonClientTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy, cls.port = fgtest.start_policy()
        cls.target = "127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.policy.stop()

    def test_example_program_decides_blocks_and_watches(self):
        code, lines, err = run_example(
            "--target=" + self.target, "--from=alice", "--to=bob,mallory", "--block=mallory",
            "--list=blocked-user-no-friend-requests", "--timeout=5")
        self.assertEqual(code, 0, err)
        self.assertEqual(fgtest.step(lines, "health")["status"], "SERVING")
        self.assertLessEqual(fgtest.SERVICES_ALWAYS,
                             set(fgtest.step(lines, "reflection")["services"]))

        # Before the block: nobody refused.
        first = fgtest.step(lines, "decide")["decision"]
        self.assertEqual(len(first["decisionId"]), 32)
        self.assertEqual({t["toUser"]: t["verdict"] for t in first["targets"]},
                         {"bob": "VERDICT_ALLOW", "mallory": "VERDICT_ALLOW"})

        block = fgtest.step(lines, "block")
        self.assertTrue(block["added"])
        self.assertIn("mallory", block["entries"])

        # After: only mallory, by the rule whose run-time list now holds her,
        # with examples/rules.yaml's Tencent code.
        second = fgtest.step(lines, "decide_after_block")["decision"]
        targets = {t["toUser"]: t for t in second["targets"]}
        self.assertEqual(targets["bob"]["verdict"], "VERDICT_ALLOW")
        refused = targets["mallory"]
        self.assertEqual(refused["verdict"], "VERDICT_REFUSE")
        self.assertEqual(refused["relationIndex"], 1)
        self.assertEqual(refused["reason"]["vendorCode"], 38100)
        self.assertEqual(refused["ruleIds"], ["blocked-user-no-friend-requests"])

        # WatchEvents delivered both decisions, with their verdicts.
        watched = {l["event_id"]: l["verdict"] for l in lines if l["step"] == "watch"}
        self.assertEqual(watched, {first["eventId"]: first.get("verdict", "VERDICT_UNSPECIFIED"),
                                   second["eventId"]: second.get("verdict",
                                                                 "VERDICT_UNSPECIFIED")})
        self.assertTrue(fgtest.step(lines, "unblock")["removed"])
        with Client(self.target) as client:
            self.assertNotIn("mallory", client.list_entries("blocked-user-no-friend-requests",
                                                            timeout=5))

    def test_blocked_user_from_rules_file_refused(self):
        with Client(self.target) as client:
            decision = client.decide(friend_request("1400000000", "alice",
                                                    ["bob", "blocked_user"]), timeout=5)
        verdicts = [(t.relation_index, t.to_user, t.verdict) for t in decision.targets]
        self.assertEqual(verdicts, [(0, "bob", decision_pb2.VERDICT_ALLOW),
                                    (1, "blocked_user", decision_pb2.VERDICT_REFUSE)])

    def test_watch_with_too_many_filters_is_invalid_argument(self):
        with Client(self.target) as client:
            call = client.watch_events(tenants=["t%d" % i for i in range(1001)], timeout=5)
            with self.assertRaises(grpc.RpcError) as caught:
                next(iter(call))
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_unknown_list_is_not_found(self):
        with Client(self.target) as client:
            with self.assertRaises(grpc.RpcError) as caught:
                client.add_list_entry("no-such-rule", "mallory", timeout=5)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.NOT_FOUND)

    def test_example_program_reports_unreachable_server(self):
        # A port nobody listens on: the policy's own port after it is gone
        # would race, so use a server we stop first.
        proc, port = fgtest.start_policy()
        self.assertEqual(proc.stop(), 0)
        code, lines, err = run_example("--target=127.0.0.1:%d" % port, "--timeout=0.2")
        self.assertEqual(code, 1, err)
        self.assertEqual(fgtest.step(lines, "error")["code"], "UNAVAILABLE")

    def test_installed_package_carries_the_project_version(self):
        self.assertIn(os.sep + "site-packages" + os.sep, friendgate_client.__file__)
        self.assertFalse(friendgate_client.__file__.startswith(
            fgtest.source_path("clients/python")), friendgate_client.__file__)
        self.assertEqual(friendgate_client.__version__, fgtest.env_path("FRIENDGATE_VERSION"))

    def test_allowed_event_and_event_id_echo(self):
        with Client(self.target) as client:
            event = friend_request("1400000000", "alice", ["bob", "carol"])
            decision = client.decide(event, timeout=5)
        self.assertEqual(decision.event_id, event.event_id)
        self.assertNotEqual(decision.verdict, decision_pb2.VERDICT_REFUSE)
        for target in decision.targets:
            self.assertNotEqual(target.verdict, decision_pb2.VERDICT_REFUSE)

    def test_openim_event_refused_as_a_whole_with_openim_code(self):
        with Client(self.target) as client:
            event = friend_request("openim", "blocked_user", ["bob"],
                                   vendor=event_pb2.VENDOR_OPENIM)
            decision = client.decide(event, timeout=5)
        self.assertEqual(decision.verdict, decision_pb2.VERDICT_REFUSE)
        self.assertEqual(decision.reason.vendor_code, 20100)

    def test_event_without_type_is_invalid_argument(self):
        with Client(self.target) as client:
            event = friend_request("1400000000", "alice", ["bob"])
            event.type = event_pb2.EVENT_TYPE_UNSPECIFIED
            with self.assertRaises(grpc.RpcError) as caught:
                client.decide(event, timeout=5)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_event_without_phase_is_invalid_argument(self):
        with Client(self.target) as client:
            event = friend_request("1400000000", "alice", ["bob"])
            event.phase = event_pb2.PHASE_UNSPECIFIED
            with self.assertRaises(grpc.RpcError) as caught:
                client.decide(event, timeout=5)
        self.assertEqual(caught.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)

    def test_health_per_service(self):
        with Client(self.target) as client:
            self.assertEqual(client.check_health("", timeout=5), HealthStatus.SERVING)
            self.assertEqual(client.check_health("no.such.Service", timeout=5),
                             HealthStatus.SERVICE_UNKNOWN)


if __name__ == "__main__":
    unittest.main(verbosity=2)
