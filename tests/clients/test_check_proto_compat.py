"""scripts/check-proto-compat (buf lint + buf breaking): it passes the contract
as it is, and it fails on every kind of breaking change (each case compiles a
changed copy with protoc; the cases run a few at a time, buf starts slowly)."""

import concurrent.futures
import os
import subprocess
import sys
import tempfile
import unittest

import fgtest

BASE = """
syntax = "proto3";
package friendgate.v1;
enum Color { COLOR_UNSPECIFIED = 0; COLOR_RED = 1; COLOR_BLUE = 2; }
message Inner { string id = 1; }
message Spare { string s = 1; }
enum Shade { SHADE_UNSPECIFIED = 0; }
message Outer {
  reserved 9; reserved "legacy";
  string name = 1;
  int32 count = 2;
  repeated string tags = 3;
  Inner inner = 4;
  Color color = 5;
  optional string note = 6;
  oneof choice { string a = 7; int64 b = 8; }
  message Nested { bool flag = 1; }
  Nested nested = 10;
}
service Things {
  rpc Get(Inner) returns (Outer);
  rpc Watch(Inner) returns (stream Outer);
}
"""

# (description, old text, new text)
BREAKING = [
    ("message removed", "message Spare { string s = 1; }", ""),
    ("field removed", "  int32 count = 2;\n", ""),
    ("field renamed", "int32 count = 2;", "int32 total = 2;"),
    ("field renumbered", "int32 count = 2;", "int32 count = 11;"),
    ("scalar type changed", "int32 count = 2;", "int64 count = 2;"),
    ("message type changed", "Inner inner = 4;", "Nested inner = 4;"),
    ("enum type changed", "Color color = 5;", "Outer.Nested color = 5;"),
    ("made repeated", "int32 count = 2;", "repeated int32 count = 2;"),
    ("made singular", "repeated string tags = 3;", "string tags = 3;"),
    ("optional dropped", "optional string note = 6;", "string note = 6;"),
    ("moved out of oneof", "oneof choice { string a = 7; int64 b = 8; }",
     "string a = 7; oneof choice { int64 b = 8; }"),
    ("nested field removed", "message Nested { bool flag = 1; }", "message Nested { }"),
    ("enum removed", "enum Shade { SHADE_UNSPECIFIED = 0; }", ""),
    ("enum value removed", " COLOR_BLUE = 2;", ""),
    ("enum value renamed", "COLOR_BLUE = 2;", "COLOR_NAVY = 2;"),
    ("service removed", "service Things {", "service Stuff {"),
    ("method removed", "  rpc Get(Inner) returns (Outer);\n", ""),
    ("request type changed", "rpc Get(Inner) returns", "rpc Get(Outer) returns"),
    ("response type changed", "rpc Get(Inner) returns (Outer);", "rpc Get(Inner) returns (Inner);"),
    ("streaming dropped", "returns (stream Outer)", "returns (Outer)"),
    # protoc itself refuses a reserved number in the same file, so the breaking
    # edit drops the reservation and reuses it.
    ("reserved number reused", "reserved 9; reserved \"legacy\";\n  string name = 1;",
     "reserved \"legacy\";\n  string name = 1; string x = 9;"),
    ("reserved name reused", "reserved 9; reserved \"legacy\";\n  string name = 1;",
     "reserved 9;\n  string name = 1; string legacy = 12;"),
]

ADDITIVE = [
    ("field added", "Nested nested = 10;", "Nested nested = 10; string extra = 11;"),
    ("enum value added", "COLOR_BLUE = 2;", "COLOR_BLUE = 2; COLOR_GREEN = 3;"),
    ("message added", "message Inner {", "message Brand { string id = 1; }\nmessage Inner {"),
    ("method added", "rpc Get(Inner) returns (Outer);",
     "rpc Get(Inner) returns (Outer); rpc Put(Outer) returns (Inner);"),
    ("service added", "service Things {", "service More { rpc X(Inner) returns (Inner); }\n"
     "service Things {"),
    ("field joins no oneof, comments change", "string name = 1;", "// The name.\n  string name = 1;"),
]


class CheckProtoCompatTest(unittest.TestCase):
    script = fgtest.source_path("scripts/check-proto-compat")

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def descriptor_set(self, name, text):
        src = os.path.join(self.tmp.name, name)
        os.makedirs(os.path.join(src, "friendgate", "v1"))
        with open(os.path.join(src, "friendgate", "v1", "things.proto"), "w") as f:
            f.write(text)
        out = os.path.join(self.tmp.name, name + ".pb")
        subprocess.run(["protoc", "-I" + src, "--descriptor_set_out=" + out,
                        "friendgate/v1/things.proto"], check=True)
        return out

    def check(self, baseline, current):
        return subprocess.run([sys.executable, self.script, "--baseline", baseline,
                               "--current", current], capture_output=True, text=True)

    def test_the_contract_matches_the_committed_baseline(self):
        done = subprocess.run([sys.executable, self.script], capture_output=True, text=True)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)

    def test_identical_sets_pass(self):
        base = self.descriptor_set("base", BASE)
        self.assertEqual(self.check(base, base).returncode, 0)

    def run_cases(self, cases, prefix):
        """(what, returncode, output) per case, the checks run in parallel."""
        base = self.descriptor_set("base", BASE)
        for what, old, new in cases:
            self.assertIn(old, BASE, what)
        changed = [self.descriptor_set("%s%d" % (prefix, i), BASE.replace(old, new, 1))
                   for i, (_, old, new) in enumerate(cases)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            done = list(pool.map(lambda current: self.check(base, current), changed))
        return [(what, d.returncode, d.stdout + d.stderr) for (what, _, _), d in zip(cases, done)]

    def test_breaking_changes_fail(self):
        for what, code, out in self.run_cases(BREAKING, "b"):
            with self.subTest(what):
                self.assertEqual(code, 1, out)
                self.assertIn("breaking change", out)

    def test_additive_changes_pass(self):
        for what, code, out in self.run_cases(ADDITIVE, "a"):
            with self.subTest(what):
                self.assertEqual(code, 0, out)

if __name__ == "__main__":
    unittest.main(verbosity=2)
