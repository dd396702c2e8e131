"""The @friendgate/client tarball, installed in a scratch project by the
clients.node_package fixture, runs its example (the package's bin) against the
real friendgate-policy binary: nothing is loaded from the source tree."""

import json
import os
import tarfile
import unittest

import fgtest


def scratch():
    return os.path.join(fgtest.env_path("FRIENDGATE_NODE_PACKAGE"), "scratch")


def run_example(*args):
    return fgtest.run_json_lines(
        [os.path.join(scratch(), "node_modules", ".bin", "friendgate-node-example")] + list(args),
        cwd=scratch())


class NodePackageTest(unittest.TestCase):
    def test_installed_example_decides_against_the_real_policy(self):
        policy, port = fgtest.start_policy()
        self.addCleanup(policy.stop)
        code, lines, err = run_example("--target=127.0.0.1:%d" % port, "--from=alice",
                                       "--to=bob,blocked_user")
        self.assertEqual(code, 0, err)
        health = fgtest.step(lines, "health")
        self.assertEqual(health["status"], "SERVING")
        self.assertEqual(health["client_version"], fgtest.env_path("FRIENDGATE_VERSION"))
        decision = fgtest.step(lines, "decide")["decision"]
        self.assertEqual([(t["relation_index"], t["to_user"], t["verdict"])
                          for t in decision["targets"]],
                         [(0, "bob", "VERDICT_ALLOW"), (1, "blocked_user", "VERDICT_REFUSE")])

    def test_package_is_publishable(self):
        installed = os.path.join(scratch(), "node_modules", "@friendgate", "client")
        with open(os.path.join(installed, "package.json")) as f:
            meta = json.load(f)
        self.assertNotIn("private", meta)
        self.assertEqual(meta["license"], "Apache-2.0")
        self.assertEqual(meta["version"], fgtest.env_path("FRIENDGATE_VERSION"))
        for path in ("LICENSE", "friendgate.d.ts", "proto/friendgate/v1/policy_service.proto",
                     "proto/grpc/health/v1/health.proto"):
            self.assertTrue(os.path.exists(os.path.join(installed, path)), path)
        # Every .proto of the contract is inside (the package reads no repository).
        contract = sorted(os.listdir(fgtest.source_path("proto/friendgate/v1")))
        self.assertEqual(sorted(os.listdir(os.path.join(installed, "proto/friendgate/v1"))),
                         [f for f in contract if f.endswith(".proto")])
        pack_dir = os.path.join(fgtest.env_path("FRIENDGATE_NODE_PACKAGE"), "pack")
        tarball = [f for f in os.listdir(pack_dir) if f.endswith(".tgz")][0]
        with tarfile.open(os.path.join(pack_dir, tarball)) as tgz:
            names = tgz.getnames()
        self.assertNotIn("package/example-types.ts", names)
        self.assertFalse([n for n in names if "node_modules" in n], names)

    def test_reports_a_server_that_is_gone(self):
        policy, port = fgtest.start_policy()
        self.assertEqual(policy.stop(), 0)
        code, lines, err = run_example("--target=127.0.0.1:%d" % port, "--timeout-ms=200")
        self.assertEqual(code, 1, err)
        self.assertEqual(fgtest.step(lines, "error")["code"], "UNAVAILABLE")


if __name__ == "__main__":
    unittest.main(verbosity=2)
