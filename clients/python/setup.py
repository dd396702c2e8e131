"""Build hook for friendgate-client (metadata: pyproject.toml).

The protobuf/gRPC modules are generated when the wheel is built, into the
package, from the .proto files of the staged source (proto/, copied there by
clients/python/build-wheel; nothing generated is committed):
  friendgate/v1/*_pb2.py, *_pb2.pyi, *_pb2_grpc.py   proto/friendgate/v1/*.proto
  friendgate_client/grpc_protocols.binpb              grpc.health.v1 + grpc.reflection.v1alpha
Needs protoc and grpc_python_plugin (Debian protobuf-compiler,
protobuf-compiler-grpc); $PROTOC and $GRPC_PYTHON_PLUGIN override them.
"""

import glob
import os
import shutil
import subprocess

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "proto")


def protoc(args):
    cmd = [os.environ.get("PROTOC") or shutil.which("protoc") or "protoc", "-I" + PROTO] + args
    subprocess.run(cmd, check=True, cwd=HERE)


def generate():
    api = sorted(os.path.relpath(p, PROTO)
                 for p in glob.glob(os.path.join(PROTO, "friendgate", "v1", "*.proto")))
    if not api:
        raise SystemExit("setup.py: no proto/friendgate/v1/*.proto (build with clients/python/build-wheel)")
    plugin = os.environ.get("GRPC_PYTHON_PLUGIN") or shutil.which("grpc_python_plugin")
    if not plugin:
        raise SystemExit("setup.py: grpc_python_plugin not found (apt-get install protobuf-compiler-grpc)")
    shutil.rmtree(os.path.join(HERE, "friendgate"), ignore_errors=True)
    os.makedirs(os.path.join(HERE, "friendgate", "v1"))
    protoc(["--python_out=" + HERE, "--pyi_out=" + HERE, "--grpc_python_out=" + HERE,
            "--plugin=protoc-gen-grpc_python=" + plugin] + api)
    for init in ("friendgate/__init__.py", "friendgate/v1/__init__.py"):
        open(os.path.join(HERE, init), "w").close()
    protoc(["--include_imports",
            "--descriptor_set_out=" + os.path.join(HERE, "friendgate_client", "grpc_protocols.binpb"),
            "grpc/health/v1/health.proto", "grpc/reflection/v1alpha/reflection.proto"])


# Before setup(): setuptools looks for the packages' directories as soon as it
# reads the configuration (egg_info), so they must exist by then.
generate()
setup()
