"""One version for everything (docs/api.md, "Packages, versions and
compatibility"): the packages' metadata agrees with CMakeLists.txt's
project(VERSION), CHANGELOG.md has the version, and the Go and Java
coordinates are the ones the protos name."""

import glob
import json
import re
import subprocess
import unittest

import fgtest


class VersionsTest(unittest.TestCase):
    def setUp(self):
        self.version = subprocess.run([fgtest.source_path("scripts/project-version")],
                                      capture_output=True, text=True, check=True).stdout.strip()

    def test_cmake_and_script_agree(self):
        self.assertEqual(self.version, fgtest.env_path("FRIENDGATE_VERSION"))

    def test_node_package_json_has_the_project_version(self):
        with open(fgtest.source_path("clients/node/package.json")) as f:
            meta = json.load(f)
        self.assertEqual(meta["version"], self.version)
        with open(fgtest.source_path("clients/node/package-lock.json")) as f:
            self.assertEqual(json.load(f)["packages"][""]["version"], self.version)

    def test_python_version_comes_from_the_build(self):
        with open(fgtest.source_path("clients/python/pyproject.toml")) as f:
            text = f.read()
        self.assertIn('dynamic = ["version"]', text)
        self.assertNotRegex(text, r'(?m)^version\s*=\s*"')  # no literal version

    def test_changelog_names_the_version(self):
        with open(fgtest.source_path("CHANGELOG.md")) as f:
            text = f.read()
        self.assertRegex(text, r"(?m)^## %s\b" % re.escape(self.version))

    def test_go_module_and_java_package_match_the_protos(self):
        with open(fgtest.source_path("clients/go/go.mod")) as f:
            module = re.search(r"(?m)^module (\S+)", f.read()).group(1)
        for proto in glob.glob(fgtest.source_path("proto/friendgate/v1/*.proto")):
            with open(proto) as f:
                text = f.read()
            with self.subTest(proto):
                go_package = re.search(r'option go_package = "([^";]+)', text).group(1)
                self.assertTrue(go_package.startswith(module + "/"), go_package)
                self.assertIn('option java_package = "io.friendgate.v1";', text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
