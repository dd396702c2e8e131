#!/usr/bin/env python3
"""Writes the config-file part of the chart's values.schema.json from the protos.

gateway.config is gateway/core/config.proto's GatewayConfig and policy.rulesFile is
services/policy/rules.proto's RulesFile, read by common/yaml_proto (strict: unknown
keys are errors). This mirrors that reader in JSON schema, so `helm install` refuses a
typo before a pod crash-loops on it. Only definitions named "friendgate.*" are
generated; the rest of the file is hand-edited.

Usage: gen_values_schema.py [--check] SCHEMA_JSON
  --check: exit 1 (and say so) when SCHEMA_JSON differs from what would be written.
"""
import json
import os
import subprocess
import sys
import tempfile

from google.protobuf import descriptor_pb2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# (proto file, include roots, root message).
SOURCES = [
    ("gateway/core/config.proto", [ROOT], "friendgate.gateway.GatewayConfig"),
    ("services/policy/rules.proto", [ROOT, os.path.join(ROOT, "proto")],
     "friendgate.policy.RulesFile"),
    ("services/commands/config.proto", [ROOT], "friendgate.commands.CommandsConfig"),
]
FDP = descriptor_pb2.FieldDescriptorProto
# What the binaries refuse at start beyond the types (gateway/core/settings.cc), so that
# `helm install` refuses it too. Per (message, field): JSON schema keywords merged into the
# field's schema. A field named here that the proto no longer has is an error. Rules that
# span fields (at least one vendor, duplicates, secrets) are template guards in
# templates/_validate.tpl. tests/deploy checks each rule against the real gateway binary.
REFUSAL_CODE_TENCENT = {"anyOf": [{"const": 0}, {"minimum": 38000, "maximum": 39000}]}
REFUSAL_CODE_OPENIM = {"anyOf": [{"const": 0}, {"minimum": 20001, "maximum": 29999}]}
VALIDATION = {
    ("friendgate.gateway.HttpConfig", "io_threads"): {"maximum": 64},
    ("friendgate.gateway.HttpConfig", "max_connections"): {"maximum": 1000000},
    ("friendgate.gateway.HttpConfig", "drain_accept_s"): {"maximum": 300},
    ("friendgate.gateway.HttpConfig", "metrics_listen"): {"pattern": "^$|^.+:[0-9]{1,5}$"},
    ("friendgate.gateway.PolicyConfig", "max_batch_size"): {"maximum": 1000},
    ("friendgate.gateway.PolicyConfig", "max_in_flight_batches"): {"maximum": 1024},
    ("friendgate.gateway.PolicyConfig", "load_balancing"):
        {"enum": ["", "pick_first", "round_robin"]},
    ("friendgate.gateway.TencentConfig", "path"): {"pattern": "^(/.*)?$"},
    ("friendgate.gateway.TencentConfig", "answer_budget_ms"): {"maximum": 1999},
    ("friendgate.gateway.TencentConfig", "default_refusal_code"): REFUSAL_CODE_TENCENT,
    ("friendgate.gateway.TencentApp", "sdk_app_id"): {"pattern": "^[0-9]{1,20}$"},
    ("friendgate.gateway.OpenImInstance", "path_prefix"): {"pattern": "^(/.*[^/])?$"},
    ("friendgate.gateway.OpenImInstance", "answer_budget_ms"): {"maximum": 15000},
    ("friendgate.gateway.OpenImInstance", "default_refusal_code"): REFUSAL_CODE_OPENIM,
    ("friendgate.gateway.BasicAuth", "username"): {"pattern": "^[^:]+$"},
    ("friendgate.gateway.LogConfig", "user_ids"): {"enum": ["", "hashed", "plain"]},
}
REQUIRED = {
    "friendgate.gateway.TencentApp": ["sdk_app_id"],
    "friendgate.gateway.BasicAuth": ["username"],
}
INT_RANGES = {
    FDP.TYPE_INT32: (-2**31, 2**31 - 1), FDP.TYPE_SINT32: (-2**31, 2**31 - 1),
    FDP.TYPE_SFIXED32: (-2**31, 2**31 - 1), FDP.TYPE_UINT32: (0, 2**32 - 1),
    FDP.TYPE_FIXED32: (0, 2**32 - 1), FDP.TYPE_INT64: (-2**63, 2**63 - 1),
    FDP.TYPE_SINT64: (-2**63, 2**63 - 1), FDP.TYPE_SFIXED64: (-2**63, 2**63 - 1),
    FDP.TYPE_UINT64: (0, 2**64 - 1), FDP.TYPE_FIXED64: (0, 2**64 - 1),
}


def load_descriptors():
    files = {}
    comments = {}
    with tempfile.TemporaryDirectory() as tmp:
        for proto, roots, _ in SOURCES:
            out = os.path.join(tmp, "set.pb")
            cmd = ["protoc", "--include_imports", "--include_source_info",
                   "--descriptor_set_out=" + out]
            cmd += ["-I" + r for r in roots] + [os.path.join(ROOT, proto)]
            subprocess.run(cmd, check=True)
            fds = descriptor_pb2.FileDescriptorSet()
            with open(out, "rb") as f:
                fds.ParseFromString(f.read())
            for fd in fds.file:
                files[fd.name] = fd
                for loc in fd.source_code_info.location:
                    if loc.leading_comments:
                        comments[(fd.name, tuple(loc.path))] = loc.leading_comments
    messages, enums = {}, {}

    def walk(fd, prefix, msgs, path):
        for i, m in enumerate(msgs):
            name = prefix + "." + m.name
            messages[name] = (m, fd.name, path + (i,))
            for j, e in enumerate(m.enum_type):
                enums[name + "." + e.name] = e
            walk(fd, name, m.nested_type, path + (i, 3))

    for fd in files.values():
        walk(fd, fd.package, fd.message_type, (4,))
        for e in fd.enum_type:
            enums[fd.package + "." + e.name] = e
    return messages, enums, comments


def enum_prefix(name):
    # Same rule as common/yaml_proto.cc: "FailureAction" -> "FAILURE_ACTION_".
    out = ""
    for c in name:
        if c.isupper() and out:
            out += "_"
        out += c.upper()
    return out + "_"


def enum_schema(enum):
    prefix = enum_prefix(enum.name)
    names = []
    for v in enum.value:
        if v.number == 0:
            continue  # *_UNSPECIFIED is never written by hand
        short = v.name[len(prefix):] if v.name.startswith(prefix) else v.name
        names.append(short.lower())
    return {"enum": names}


def describe(text):
    return " ".join(line.strip() for line in text.strip().splitlines())


def build(messages, enums, comments, root):
    defs = {}
    todo = [root]
    while todo:
        name = todo.pop()
        if name in defs:
            continue
        msg, fname, path = messages[name]
        props = {}
        for i, f in enumerate(msg.field):
            if f.type == FDP.TYPE_MESSAGE:
                target = f.type_name.lstrip(".")
                entry = messages[target][0]
                if entry.options.map_entry:
                    value = entry.field[1]
                    if value.type == FDP.TYPE_MESSAGE:
                        item = {"$ref": "#/definitions/" + value.type_name.lstrip(".")}
                        todo.append(value.type_name.lstrip("."))
                    else:
                        item = scalar(value, enums)
                    schema = {"type": "object", "additionalProperties": item}
                    props[f.name] = describe_field(schema, comments, fname, path, i)
                    continue
                item = {"$ref": "#/definitions/" + target}
                todo.append(target)
            else:
                item = scalar(f, enums)
            extra = VALIDATION.get((name, f.name))
            if extra:
                item = dict(item, **extra)
            schema = {"type": "array", "items": item} if f.label == FDP.LABEL_REPEATED else item
            props[f.name] = describe_field(schema, comments, fname, path, i)
        d = {"type": "object", "additionalProperties": False, "properties": props}
        if name in REQUIRED:
            d["required"] = REQUIRED[name]
        text = comments.get((fname, path))
        if text:
            d["description"] = describe(text)
        defs[name] = d
    return defs


def describe_field(schema, comments, fname, msg_path, index):
    text = comments.get((fname, msg_path + (2, index)))
    if not text:
        return schema
    if "$ref" in schema:  # draft-07 ignores siblings of $ref
        return {"allOf": [schema], "description": describe(text)}
    return dict(schema, description=describe(text))


def scalar(f, enums):
    if f.type == FDP.TYPE_ENUM:
        return enum_schema(enums[f.type_name.lstrip(".")])
    if f.type in (FDP.TYPE_STRING, FDP.TYPE_BYTES):
        # Strings only: an unquoted number would pass through Helm as a float and can
        # lose digits (a long id) or change form.
        return {"type": "string"}
    if f.type == FDP.TYPE_BOOL:
        return {"type": "boolean"}
    if f.type in INT_RANGES:
        lo, hi = INT_RANGES[f.type]
        return {"type": "integer", "minimum": lo, "maximum": hi}
    if f.type in (FDP.TYPE_DOUBLE, FDP.TYPE_FLOAT):
        return {"type": "number"}
    raise SystemExit("gen_values_schema: unsupported field type %d in %s" % (f.type, f.name))


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    if len(args) != 1:
        raise SystemExit(__doc__)
    path = args[0]
    with open(path) as f:
        current_text = f.read()
    schema = json.loads(current_text)
    messages, enums, comments = load_descriptors()
    defs = {k: v for k, v in schema.get("definitions", {}).items()
            if not k.startswith("friendgate.")}
    for (message, field) in list(VALIDATION) + [(m, f) for m, fs in REQUIRED.items() for f in fs]:
        if message not in messages or field not in [f.name for f in messages[message][0].field]:
            raise SystemExit("gen_values_schema: VALIDATION/REQUIRED names %s.%s, which the "
                             "protos do not have" % (message, field))
    for _, _, root in SOURCES:
        defs.update(build(messages, enums, comments, root))
    schema["definitions"] = dict(sorted(defs.items()))
    text = json.dumps(schema, indent=2) + "\n"
    if check:
        if text != current_text:
            print("%s is stale: run deploy/scripts/generate" % path)
            return 1
        print("%s is up to date" % path)
        return 0
    with open(path, "w") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
