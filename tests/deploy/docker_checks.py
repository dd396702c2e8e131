#!/usr/bin/env python3
"""Checks deploy/docker/Dockerfile without a Docker engine (none runs here).

For each runtime target (gateway, policy):
  * it starts FROM debian:<major>.<point>-slim, pinned by point release, with the major
    version of this machine (the distribution CI builds on, so the Debian package names
    and library versions are the ones the binaries were linked against);
  * apt-get and the build run with BuildKit cache mounts;
  * its apt package list is exactly the packages that provide the shared libraries the
    built binary needs (readelf NEEDED -> dpkg -S on this Debian 12 machine), minus those
    already in the base image, plus NON_LIBRARY_PACKAGES (the policy image's
    ca-certificates): a missing one would fail at start, an extra one is bloat;
  * it copies the binary to the path the Helm chart runs (the chart's container command)
    and uses it as ENTRYPOINT;
  * it runs as a numeric non-root USER equal to the chart's runAsUser;
and no stage has a HEALTHCHECK (Kubernetes probes do that).

Usage: docker_checks.py --source-dir DIR --gateway BIN --policy BIN
"""
import argparse
import os
import re
import subprocess
import sys

import yaml

# In debian:bookworm-slim already (Essential / required by apt).
BASE_IMAGE_PACKAGES = {"libc6", "libstdc++6", "libgcc-s1", "zlib1g"}
BINARIES = {"gateway": "friendgate-gateway", "policy": "friendgate-policy"}
# Packages a runtime image needs besides the binary's libraries: the policy service's
# outbound commands verify the vendors' HTTPS certificates against the system CA store.
NON_LIBRARY_PACKAGES = {"gateway": set(), "policy": {"ca-certificates"}}


def stages(dockerfile_text):
    """{stage name: [(instruction, argument text)]}, with line continuations joined."""
    text = re.sub(r"\\\n", " ", dockerfile_text)
    args = {}
    result, current = {}, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "ARG" and current is None:
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip()
            continue
        if instruction == "FROM":
            m = re.fullmatch(r"(\S+)\s+AS\s+(\S+)", rest.strip(), re.IGNORECASE)
            image = re.sub(r"\$\{(\w+)\}", lambda v: args.get(v.group(1), ""), m.group(1))
            current = m.group(2)
            result[current] = [("FROM", image)]
            continue
        result[current].append((instruction, rest.strip()))
    return result


def needed_packages(binary):
    out = subprocess.run(["readelf", "-d", binary], capture_output=True, text=True, check=True)
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", out.stdout)
    triplet = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True,
                             check=True).stdout.strip()
    # This architecture's copy of each library (ldconfig's cache), then one dpkg -S for
    # all of them: dpkg -S with a glob scans every package's file list once per call.
    cache = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    paths = {}
    for lib in libs:
        found = re.findall(r"^\s*%s \(.*\) => (\S+)$" % re.escape(lib), cache, re.M)
        found = [p for p in found if "/%s/" % triplet in p] or found
        if not found:
            raise SystemExit("no library %s in ldconfig's cache (needed by %s)" % (lib, binary))
        paths[lib] = found[0]
    candidates = set()
    for path in paths.values():
        real = os.path.realpath(path)
        for p in (path, real, path.replace("/usr/lib/", "/lib/"), real.replace("/usr/lib/", "/lib/"),
                  path.replace("/lib/", "/usr/lib/", 1), real.replace("/lib/", "/usr/lib/", 1)):
            candidates.add(p)
    owners = subprocess.run(["dpkg", "-S"] + sorted(candidates), capture_output=True,
                            text=True).stdout
    by_file = {}
    for line in owners.splitlines():
        pkgs, _, f = line.partition(": ")
        by_file[os.path.basename(f)] = sorted({p.split(":")[0] for p in pkgs.split(", ")})
    packages = {}
    for lib, path in paths.items():
        names = by_file.get(lib) or by_file.get(os.path.basename(os.path.realpath(path)))
        if not names:
            raise SystemExit("no Debian package provides %s (needed by %s)" % (lib, binary))
        packages[lib] = names[0]
    return packages


def apt_packages(stage):
    for instruction, rest in stage:
        if instruction == "RUN" and "apt-get install" in rest:
            after = rest.split("apt-get install", 1)[1].split("&&")[0]
            return {w for w in after.split() if not w.startswith("-")}
    return set()


def chart_defaults(source_dir):
    with open(os.path.join(source_dir, "deploy", "helm", "friendgate", "values.yaml")) as f:
        return yaml.safe_load(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--policy", required=True)
    args = ap.parse_args()
    built = {"gateway": args.gateway, "policy": args.policy}
    with open(os.path.join(args.source_dir, "deploy", "docker", "Dockerfile")) as f:
        text = f.read()
    all_stages = stages(text)
    values = chart_defaults(args.source_dir)
    failures = []

    def expect(condition, message):
        if not condition:
            failures.append(message)

    expect("HEALTHCHECK" not in [i for s in all_stages.values() for i, _ in s],
           "a stage has a HEALTHCHECK")
    expect("build" in all_stages, "no build stage")
    build = all_stages.get("build", [])
    build_runs = " ".join(r for i, r in build if i == "RUN")
    expect(all("--mount=type=cache" in r for i, r in build if i == "RUN" and
               ("install-deps" in r or "cmake" in r)),
           "build: install-deps and the compile run without cache mounts")
    with open("/etc/debian_version") as f:
        debian_major = f.read().strip().split(".")[0]
    expect("scripts/install-deps" in build_runs and "--preset release" in build_runs,
           "the build stage must use scripts/install-deps and the release preset")
    for target, binary in BINARIES.items():
        stage = all_stages.get(target)
        if stage is None:
            failures.append("no %s stage" % target)
            continue
        expect(re.fullmatch(r"debian:%s\.\d+-slim" % debian_major, stage[0][1]) is not None,
               "%s: FROM %s, not debian:%s.<point>-slim (pinned, and the Debian the "
               "binaries were built and tested on)" % (target, stage[0][1], debian_major))
        expect(all("--mount=type=cache" in r for i, r in stage if i == "RUN" and "apt-get" in r),
               "%s: apt-get runs without cache mounts" % target)
        need = needed_packages(built[target])
        want = (set(need.values()) - BASE_IMAGE_PACKAGES) | NON_LIBRARY_PACKAGES[target]
        have = apt_packages(stage)
        expect(not (want - have), "%s: runtime packages missing: %s (libraries: %s)" % (
            target, sorted(want - have), sorted(l for l, p in need.items() if p in want - have)))
        for package in sorted(NON_LIBRARY_PACKAGES[target]):
            expect(package in have, "%s: the image must install %s" % (target, package))
        expect(not (have - want), "%s: packages no library of %s needs: %s"
               % (target, binary, sorted(have - want)))
        path = "/usr/local/bin/" + binary
        copies = [r for i, r in stage if i == "COPY"]
        expect(any(r.startswith("--from=build ") and r.split()[-1] == path for r in copies),
               "%s: the binary is not copied to %s" % (target, path))
        entry = [r for i, r in stage if i == "ENTRYPOINT"]
        expect(entry == ['["%s"]' % path], "%s: ENTRYPOINT %s, want [\"%s\"]" % (target, entry, path))
        users = [r for i, r in stage if i == "USER"]
        chart_user = values[target]["containerSecurityContext"]["runAsUser"]
        chart_group = values[target]["containerSecurityContext"]["runAsGroup"]
        expect(users == ["%d:%d" % (chart_user, chart_group)],
               "%s: USER %s, want the chart's %d:%d (numeric, non-root)"
               % (target, users, chart_user, chart_group))
        expect(chart_user != 0, "%s: the chart runs as root" % target)
        print("%s: FROM %s, packages %s, %s as %s" % (target, stage[0][1], sorted(have), path,
                                                     users))
    for f in failures:
        print("FAIL: " + f)
    print("docker: %s" % ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
