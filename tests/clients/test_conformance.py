"""friendgate-conformance (tools/conformance) passes against the built-in
friendgate-policy and the Python example policy, and fails, naming the right
check, against deliberately wrong implementations (wrong_policy.py)."""

import subprocess
import unittest

import fgtest

# --bug of wrong_policy.py -> the check that must fail.
WRONG = [
    ("swapped_targets", "decide_tencent_per_target"),
    ("code_out_of_range", "decide_tencent_per_target"),
    ("duplicate_target", "decide_tencent_per_target"),
    ("mutation_on_tencent", "mutation_only_where_allowed"),
    ("batch_reversed", "decide_batch"),
    ("batch_short", "decide_batch"),
    ("no_health", "health"),
    ("accepts_invalid", "decide_invalid_event"),
    ("slow", "deadlines"),
]


def run_kit(port, *args):
    done = subprocess.run([fgtest.env_path("FRIENDGATE_CONFORMANCE_BIN"),
                           "--target=127.0.0.1:%d" % port] + list(args),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    results = {}
    for line in done.stdout.splitlines():
        verdict, _, rest = line.partition(" ")
        if verdict in ("PASS", "FAIL"):
            results[rest.split(":")[0].split(" ")[0]] = (verdict, rest)
    return done.returncode, results, done.stdout + done.stderr


def start_wrong_policy(bug, *extra):
    return fgtest.start_listening(
        [fgtest.env_path("FRIENDGATE_PYTHON"), fgtest.source_path("tests/clients/wrong_policy.py"),
         "--bug=" + bug] + list(extra), "grpc", env=fgtest.python_env())


class ConformanceTest(unittest.TestCase):
    CHECKS = {"health", "decide_tencent_per_target", "decide_openim",
              "mutation_only_where_allowed", "decide_invalid_event", "decide_batch", "deadlines"}

    def assert_all_pass(self, code, results, out):
        self.assertEqual(code, 0, out)
        self.assertEqual(set(results), self.CHECKS, out)
        self.assertEqual({v for v, _ in results.values()}, {"PASS"}, out)

    def test_builtin_policy_passes(self):
        policy, port = fgtest.start_policy()
        self.addCleanup(policy.stop)
        code, results, out = run_kit(port, "--refuse-user=blocked_user")
        self.assert_all_pass(code, results, out)
        self.assertNotIn("UNIMPLEMENTED", results["decide_batch"][1])

    def test_python_example_policy_passes(self):
        policy, port = fgtest.start_python_policy(["--block=blocked_user"])
        self.addCleanup(policy.stop)
        code, results, out = run_kit(port, "--refuse-user=blocked_user")
        self.assert_all_pass(code, results, out)
        # It has no DecideBatch: accepted, as the gateway falls back to Decide.
        self.assertIn("UNIMPLEMENTED", results["decide_batch"][1])

    def test_the_wrong_policy_without_its_bug_passes(self):
        policy, port = start_wrong_policy("none")
        self.addCleanup(policy.stop)
        self.assert_all_pass(*run_kit(port, "--refuse-user=blocked_user"))

    def test_each_wrong_implementation_fails_its_check(self):
        for bug, check in WRONG:
            with self.subTest(bug):
                policy, port = start_wrong_policy(bug, "--slow-s=5")
                try:
                    code, results, out = run_kit(port, "--refuse-user=blocked_user",
                                                 "--deadline-ms=%d" % (300 if bug == "slow"
                                                                       else 5000))
                finally:
                    policy.stop()
                self.assertEqual(code, 1, out)
                self.assertEqual(results.get(check, ("missing",))[0], "FAIL", out)

    def test_unreachable_target_fails(self):
        policy, port = fgtest.start_policy()
        self.assertEqual(policy.stop(), 0)
        code, _, out = run_kit(port, "--connect-timeout-ms=300")
        self.assertEqual(code, 1, out)
        self.assertIn("FAIL connect", out)

    def test_usage_errors_exit_2(self):
        done = subprocess.run([fgtest.env_path("FRIENDGATE_CONFORMANCE_BIN"), "--bogus=1"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(done.returncode, 2, done.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
