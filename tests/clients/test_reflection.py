"""A generic reflection client (grpc.reflection.v1alpha, generated from Debian's
grpc-proto) sees every service of the running friendgate-policy binary, and
what it reflects matches the contract in proto/."""

import os
import unittest

import fgtest

from google.protobuf import descriptor_pb2, descriptor_pool  # noqa: E402
from google.protobuf import symbol_database  # noqa: E402

import friendgate.v1  # noqa: E402,F401
from friendgate_client import Client  # noqa: E402


def required_services():
    """Services friendgate-policy must expose. PolicyAdmin joins the set when
    its proto exists (the policy binary is the one that serves it)."""
    services = set(fgtest.SERVICES_ALWAYS)
    if os.path.exists(fgtest.source_path("proto/friendgate/v1/policy_admin.proto")):
        services.add("friendgate.v1.PolicyAdmin")
    return services


def contract_services():
    """Every service named in proto/friendgate/v1 (the server may serve more of
    them, e.g. FriendshipCommands when it is configured)."""
    import importlib
    import pkgutil
    names = set()
    for module in pkgutil.iter_modules(friendgate.v1.__path__):
        if module.name.endswith("_pb2"):
            pb2 = importlib.import_module("friendgate.v1." + module.name)
            names.update(s.full_name for s in pb2.DESCRIPTOR.services_by_name.values())
    return names


class ReflectionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.policy, cls.port = fgtest.start_policy()

    @classmethod
    def tearDownClass(cls):
        cls.policy.stop()

    def test_lists_all_services(self):
        with Client("127.0.0.1:%d" % self.port) as client:
            listed = set(client.list_services(timeout=5))
        self.assertLessEqual(required_services(), listed)
        # Nothing unexpected: every listed service is ours or gRPC's own.
        self.assertLessEqual(listed, contract_services() | fgtest.SERVICES_ALWAYS)

    def test_reflected_friendgate_services_match_the_contract(self):
        # Build a pool from what the server reflects, and compare every
        # friendgate.v1 service it lists, method by method, with the one our
        # generated code was built from.
        local_pool = descriptor_pool.Default()
        with Client("127.0.0.1:%d" % self.port) as client:
            names = [n for n in client.list_services(timeout=5) if n.startswith("friendgate.")]
            self.assertTrue(names)
            for name in names:
                remote = descriptor_pool.DescriptorPool()
                files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                         for b in client.file_containing_symbol(name, timeout=5)]
                pending = {f.name: f for f in files}
                while pending:  # add in dependency order
                    ready = [f for f in pending.values()
                             if all(d not in pending for d in f.dependency)]
                    self.assertTrue(ready, "reflection returned a dependency cycle")
                    for f in ready:
                        remote.Add(f)
                        del pending[f.name]
                self._import_generated(name)
                want = local_pool.FindServiceByName(name)
                got = remote.FindServiceByName(name)
                self.assertEqual(
                    [(m.name, m.input_type.full_name, m.output_type.full_name)
                     for m in got.methods],
                    [(m.name, m.input_type.full_name, m.output_type.full_name)
                     for m in want.methods], name)

    @staticmethod
    def _import_generated(service_name):
        # Import every generated friendgate.v1 module so the default pool knows them all.
        import importlib
        import pkgutil
        for module in pkgutil.iter_modules(friendgate.v1.__path__):
            if module.name.endswith("_pb2"):
                importlib.import_module("friendgate.v1." + module.name)
        symbol_database.Default()


if __name__ == "__main__":
    unittest.main(verbosity=2)
