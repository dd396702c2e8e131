"""clients/go, the module github.com/friendgate/friendgate/gen/go (code from
buf generate, built offline from a clean copy with a vendor/ folder of Debian's
Go packages by the clients.go_build fixture), against the real friendgate-policy
binary: Decide, and the same decision read back from PolicyAdmin.WatchEvents."""

import unittest

import fgtest


def run_example(*args):
    return fgtest.run_json_lines([fgtest.env_path("FRIENDGATE_GO_EXAMPLE")] + list(args))


class GoClientTest(unittest.TestCase):
    def test_decides_per_target_against_the_real_policy(self):
        policy, port = fgtest.start_policy()
        self.addCleanup(policy.stop)
        code, lines, err = run_example("-target=127.0.0.1:%d" % port, "-from=blocked_user",
                                       "-to=bob,carol")
        self.assertEqual(code, 0, err)
        self.assertEqual(fgtest.step(lines, "health")["status"], "SERVING")
        decision = fgtest.step(lines, "decide")["decision"]
        # protojson: camelCase names, enum names, zero values omitted.
        self.assertEqual(decision["verdict"], "VERDICT_REFUSE")
        self.assertEqual(decision["reason"]["vendorCode"], 38100)
        self.assertEqual([(t.get("relationIndex", 0), t["toUser"], t["verdict"])
                          for t in decision["targets"]],
                         [(0, "bob", "VERDICT_REFUSE"), (1, "carol", "VERDICT_REFUSE")])
        # WatchEvents was open before Decide: it delivers this decision.
        watch = fgtest.step(lines, "watch")
        self.assertEqual(watch["verdict"], "VERDICT_REFUSE")
        self.assertEqual(fgtest.step(lines, "decide")["decision"]["eventId"], watch["event_id"])

    def test_allowed_request(self):
        policy, port = fgtest.start_policy()
        self.addCleanup(policy.stop)
        code, lines, err = run_example("-target=127.0.0.1:%d" % port, "-from=alice", "-to=bob")
        self.assertEqual(code, 0, err)
        decision = fgtest.step(lines, "decide")["decision"]
        self.assertNotEqual(decision.get("verdict"), "VERDICT_REFUSE")
        self.assertEqual(decision["targets"][0]["toUser"], "bob")
        self.assertNotEqual(decision["targets"][0].get("verdict"), "VERDICT_REFUSE")

    def test_reports_a_server_that_is_gone(self):
        policy, port = fgtest.start_policy()
        self.assertEqual(policy.stop(), 0)
        code, lines, err = run_example("-target=127.0.0.1:%d" % port, "-timeout=200ms")
        self.assertEqual(code, 1, err)
        self.assertEqual(fgtest.step(lines, "error")["code"], "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
