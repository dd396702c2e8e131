"""ctest fixture clients.node_package: packs @friendgate/client from a clean
copy (clients/node/pack), installs the tarball into a fresh scratch project
with `npm ci --offline`, and type-checks a TypeScript consumer against the
installed package's types.

Offline: the scratch project's lockfile pins every dependency exactly as
clients/node/package-lock.json does (versions, tarball URLs, integrity), so
npm takes them from its cache, which the clients.node_npm_ci fixture filled.
Usage: node_package_setup.py OUT_DIR NODE_WORKDIR (the npm ci'd clients/node,
for tsc)."""

import base64
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys

import fgtest


def scratch_project(scratch, tarball, lock, version):
    """package.json + package-lock.json of a consumer depending on the tarball."""
    with open(tarball, "rb") as f:
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(f.read()).digest()).decode()
    client = lock["packages"][""]
    with open(os.path.join(os.path.dirname(tarball), "stage", "package.json")) as f:
        packed = json.load(f)
    packages = {path: entry for path, entry in lock["packages"].items()
                if path and not entry.get("dev")}
    packages["node_modules/@friendgate/client"] = {
        "version": version, "resolved": "file:" + tarball, "integrity": integrity,
        "license": packed["license"], "dependencies": client["dependencies"],
        "bin": packed["bin"], "engines": packed["engines"]}
    root = {"name": "friendgate-client-scratch", "version": "1.0.0", "private": True,
            "dependencies": {"@friendgate/client": "file:" + tarball}}
    with open(os.path.join(scratch, "package.json"), "w") as f:
        json.dump(root, f, indent=2)
    with open(os.path.join(scratch, "package-lock.json"), "w") as f:
        json.dump({"name": root["name"], "version": root["version"], "lockfileVersion": 3,
                   "requires": True, "packages": dict({"": root}, **packages)}, f, indent=2)


def main():
    out, node_workdir = sys.argv[1], sys.argv[2]
    version = fgtest.env_path("FRIENDGATE_VERSION")
    shutil.rmtree(out, ignore_errors=True)
    pack_dir, scratch = os.path.join(out, "pack"), os.path.join(out, "scratch")
    subprocess.run([fgtest.source_path("clients/node/pack"), pack_dir], check=True)
    tarball = glob.glob(os.path.join(pack_dir, "friendgate-client-*.tgz"))[0]
    if os.path.basename(tarball) != "friendgate-client-%s.tgz" % version:
        raise SystemExit("packed %s, expected version %s" % (tarball, version))
    os.makedirs(scratch)
    with open(fgtest.source_path("clients/node/package-lock.json")) as f:
        scratch_project(scratch, tarball, json.load(f), version)
    subprocess.run(["npm", "ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"],
                   cwd=scratch, check=True)
    # The types, as a TypeScript consumer sees them (strict; the .d.ts and the
    # @grpc/grpc-js types it imports come from the installed package).
    shutil.copy(fgtest.source_path("clients/node/example-types.ts"), scratch)
    subprocess.run([os.path.join(node_workdir, "node_modules", ".bin", "tsc"), "--noEmit",
                    "--strict", "--target", "es2020", "--module", "node16",
                    "--moduleResolution", "node16", "example-types.ts"], cwd=scratch, check=True)
    print("installed %s into %s; types check" % (os.path.basename(tarball), scratch))


if __name__ == "__main__":
    main()
