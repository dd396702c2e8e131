"""clients/node (@grpc/grpc-js + @grpc/proto-loader, pinned by package-lock.json)
against the real friendgate-policy binary. The clients.node_npm_ci fixture
installs the locked packages into the build tree first."""

import os
import unittest

import fgtest


def run_example(*args):
    env = dict(os.environ)
    env["NODE_PATH"] = os.path.join(fgtest.env_path("FRIENDGATE_NODE_WORKDIR"), "node_modules")
    return fgtest.run_json_lines(
        [fgtest.env_path("FRIENDGATE_NODE"), fgtest.source_path("clients/node/example.js")]
        + list(args), env=env)


class NodeClientTest(unittest.TestCase):
    def test_decides_per_target_against_the_real_policy(self):
        policy, port = fgtest.start_policy()
        self.addCleanup(policy.stop)
        code, lines, err = run_example("--target=127.0.0.1:%d" % port, "--from=alice",
                                       "--to=bob,blocked_user,carol")
        self.assertEqual(code, 0, err)
        self.assertEqual(fgtest.step(lines, "health")["status"], "SERVING")
        decide = fgtest.step(lines, "decide")
        decision = decide["decision"]
        self.assertEqual(decision["event_id"], decide["event_id"])
        self.assertEqual(len(decision["decision_id"]), 32)
        verdicts = {t["to_user"]: t["verdict"] for t in decision["targets"]}
        self.assertEqual(verdicts, {"bob": "VERDICT_ALLOW", "blocked_user": "VERDICT_REFUSE",
                                    "carol": "VERDICT_ALLOW"})
        refused = [t for t in decision["targets"] if t["to_user"] == "blocked_user"][0]
        self.assertEqual(refused["relation_index"], 1)
        self.assertEqual(refused["reason"]["vendor_code"], 38100)

    def test_reports_a_server_that_is_gone(self):
        policy, port = fgtest.start_policy()
        self.assertEqual(policy.stop(), 0)
        code, lines, err = run_example("--target=127.0.0.1:%d" % port, "--timeout-ms=200")
        self.assertEqual(code, 1, err)
        self.assertEqual(fgtest.step(lines, "error")["code"], "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
