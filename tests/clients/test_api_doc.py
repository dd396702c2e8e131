"""docs/api.md documents every service, RPC, message, field and enum value of
friendgate.v1 (read from the .proto files with protoc), in the reference
section's table format."""

import os
import re
import subprocess
import sys
import tempfile
import unittest

import fgtest

sys.path.append("/usr/lib/python3/dist-packages")
from google.protobuf import descriptor_pb2  # noqa: E402


def descriptor_set():
    proto = fgtest.source_path("proto")
    files = sorted("friendgate/v1/" + f for f in os.listdir(os.path.join(proto, "friendgate", "v1"))
                   if f.endswith(".proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "api.pb")
        subprocess.run(["protoc", "-I" + proto, "--descriptor_set_out=" + out] + files,
                       check=True)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as f:
            fds.ParseFromString(f.read())
    return fds


def sections(text):
    """'#### <kind> `<name>`' heading -> the text up to the next heading."""
    found = {}
    parts = re.split(r"^#### ", text, flags=re.M)
    for part in parts[1:]:
        heading, _, body = part.partition("\n")
        found[heading.strip()] = body
    return found


class ApiDocCoverageTest(unittest.TestCase):
    def test_every_element_is_documented(self):
        with open(fgtest.source_path("docs/api.md")) as f:
            doc = sections(f.read())
        missing = []

        def row(section, cells):
            return re.search(r"^\| " + r" \| ".join(re.escape(c) for c in cells) + r" \|",
                             section, flags=re.M)

        def check_message(message, prefix):
            name = prefix + message.name
            body = doc.get("message `%s`" % name)
            if body is None:
                missing.append("message " + name)
            else:
                for field in message.field:
                    if not row(body, [str(field.number), "`%s`" % field.name]):
                        missing.append("field %s.%s (%d)" % (name, field.name, field.number))
            for nested in message.nested_type:
                check_message(nested, name + ".")
            for enum in message.enum_type:
                check_enum(enum, name + ".")

        def check_enum(enum, prefix):
            name = prefix + enum.name
            body = doc.get("enum `%s`" % name)
            if body is None:
                missing.append("enum " + name)
                return
            for value in enum.value:
                if not row(body, [str(value.number), "`%s`" % value.name]):
                    missing.append("enum value %s.%s" % (name, value.name))

        count = 0
        for f in descriptor_set().file:
            if f.package != "friendgate.v1":
                continue
            for service in f.service:
                body = doc.get("service `%s`" % service.name)
                if body is None:
                    missing.append("service " + service.name)
                    continue
                for method in service.method:
                    count += 1
                    if not row(body, ["`%s`" % method.name]):
                        missing.append("rpc %s.%s" % (service.name, method.name))
            for message in f.message_type:
                count += 1
                check_message(message, "")
            for enum in f.enum_type:
                count += 1
                check_enum(enum, "")
        self.assertGreater(count, 0)
        self.assertEqual(missing, [], "docs/api.md lacks these friendgate.v1 elements")


if __name__ == "__main__":
    unittest.main(verbosity=2)
