#!/usr/bin/env python3
"""Contract test: the Helm chart and the binaries agree.

Renders the chart with `helm template`, takes each container's command, args, env,
ports, volume mounts and probes from the rendered manifests, starts the real
friendgate-policy and friendgate-gateway from the build tree with exactly those, on
loopback, and checks that every probe answers as the kubelet would see it, that the
vendor callbacks work (through the rendered config, secrets and rules) and that both
binaries drain and exit 0 on SIGTERM within their terminationGracePeriodSeconds.

What is rewritten, and only that (a pod has its own network namespace and filesystem,
a test on a shared machine has neither):
  * listen flags (--http-listen, --grpc-listen, --metrics-listen): host:port becomes
    127.0.0.1:0 (a free port, read back from the "listening" log line), after checking
    that the rendered port is the container port the probes and Services name;
  * --policy-target: the rendered dns:///<headless>.<ns>.svc.<domain>:<port> becomes
    127.0.0.1:<the policy's port>, after checking that it names the chart's headless
    Service, that this Service selects the policy pods and reaches their gRPC port;
  * --store=redis://<service>.<ns>.svc.<domain>:6379/DB (store.type=redis with the chart's
    Redis): the rendered Redis StatefulSet's redis-server command and args (its password
    from the rendered Secret) run here on a free loopback port, with the data directory
    in a temp directory, and the URL becomes redis://127.0.0.1:<that port>/DB, after
    checking that it names the chart's Redis Service, that this Service selects the Redis
    pod and reaches its port. The policy must then have written the event stream there;
  * file paths under a volume mount: the ConfigMap/Secret content is written to a temp
    directory at the same relative place, and the mount path prefix is replaced by that
    directory, in flags and inside the mounted files' text (the gateway config names
    secret files by their in-pod path).
Everything else (other flags, environment, config and rules content) is used as is. The
environment is exactly the container's (plus PATH), not this process's.

A flag the binary does not know makes it exit 2 at start: the test then fails. With
--expect-flag-rejection the test passes only if that is exactly what happens (this
proves the check can fail).
"""
import argparse
import base64
import hashlib
import importlib.util
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import yaml

START_DEADLINE_S = 20.0  # generous: the machine is shared and noisy
READY_DEADLINE_S = 20.0
RELEASE = "fg"
NAMESPACE = "friendgate"
LISTEN_FLAGS = {"--http-listen": "http", "--grpc-listen": "grpc", "--metrics-listen": "metrics"}


class ContractError(Exception):
    pass


class FlagRejected(ContractError):
    pass


def check(condition, message):
    if not condition:
        raise ContractError(message)


# --- Rendering -----------------------------------------------------------------------

def render(helm, chart, values_files, sets):
    cmd = [helm, "template", RELEASE, chart, "--namespace", NAMESPACE]
    for v in values_files:
        cmd += ["--values", v]
    for s in sets:
        cmd += ["--set", s]
    out = subprocess.run(cmd, capture_output=True, text=True)
    check(out.returncode == 0, "helm template failed:\n" + out.stderr)
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    return docs


def find(docs, kind, name=None, component=None):
    hits = []
    for d in docs:
        if d.get("kind") != kind:
            continue
        meta = d.get("metadata", {})
        if name is not None and meta.get("name") != name:
            continue
        if component is not None and \
                meta.get("labels", {}).get("app.kubernetes.io/component") != component:
            continue
        hits.append(d)
    return hits


def one(docs, kind, name=None, component=None):
    hits = find(docs, kind, name, component)
    check(len(hits) == 1, "expected one %s name=%s component=%s, found %d"
          % (kind, name, component, len(hits)))
    return hits[0]


def selects(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


# --- A container as a local process -------------------------------------------------

class Sandbox:
    """The container's mounted volumes, written under a temp directory."""

    def __init__(self, root, docs, pod_spec, container):
        self.root = root
        self.mounts = []  # (mountPath, local dir)
        volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
        for m in container.get("volumeMounts", []):
            check("subPath" not in m, "subPath mounts never see ConfigMap updates: %s" % m)
            vol = volumes.get(m["name"])
            check(vol is not None, "volumeMount %s has no volume" % m["name"])
            local = os.path.join(root, m["mountPath"].lstrip("/"))
            os.makedirs(local, exist_ok=True)
            if "configMap" in vol:
                cm = one(docs, "ConfigMap", vol["configMap"]["name"])
                self.publish(local, {k: v.encode() for k, v in cm.get("data", {}).items()})
            elif "secret" in vol:
                hits = find(docs, "Secret", vol["secret"]["secretName"])
                check(hits, "secret %s is not rendered by the chart (existingSecret?): the "
                      "contract test needs a chart-made Secret" % vol["secret"]["secretName"])
                self.publish(local, {k: base64.b64decode(v)
                                     for k, v in hits[0].get("data", {}).items()})
            elif "emptyDir" in vol or "persistentVolumeClaim" in vol:
                pass  # starts empty (a new claim is empty too)
            else:
                raise ContractError("volume kind not handled by the contract test: %s" % vol)
            self.mounts.append((m["mountPath"].rstrip("/"), local))
        # Files name other mounted files by their in-pod paths: point those here.
        for _, local in self.mounts:
            for name in os.listdir(local):
                if name.startswith(".."):
                    continue
                path = os.path.join(local, name)
                with open(path, "rb") as f:
                    text = f.read()
                try:
                    decoded = text.decode()
                except UnicodeDecodeError:
                    continue
                rewritten = self.rewrite_text(decoded)
                if rewritten != decoded:
                    with open(path, "w") as f:  # through the symlinks, as a volume update
                        f.write(rewritten)

    def publish(self, directory, files):
        """Writes a configMap/secret volume the way the kubelet does (its AtomicWriter):
        the files in a fresh hidden directory, `..data` pointing at it, and each key a
        symlink through `..data`. Publishing again swaps `..data` in one rename, which is
        how a ConfigMap update reaches a running pod."""
        self.generation = getattr(self, "generation", 0) + 1
        version = "..%d_contract" % self.generation
        os.makedirs(os.path.join(directory, version))
        for key, data in files.items():
            with open(os.path.join(directory, version, key), "wb") as f:
                f.write(data)
        tmp = os.path.join(directory, "..data_tmp")
        os.symlink(version, tmp)
        os.rename(tmp, os.path.join(directory, "..data"))
        for key in files:
            link = os.path.join(directory, key)
            if not os.path.islink(link):
                os.symlink(os.path.join("..data", key), link)

    def rewrite_text(self, text):
        # One pass, longest mount first, so a replaced path is never rewritten again
        # (the sandbox itself lives under /tmp, which is also a mount).
        if not self.mounts:
            return text
        by_length = sorted(self.mounts, key=lambda m: -len(m[0]))
        pattern = re.compile("|".join(re.escape(m + "/") for m, _ in by_length))
        local_of = {m + "/": local + "/" for m, local in self.mounts}
        return pattern.sub(lambda match: local_of[match.group(0)], text)

    def local_path(self, pod_path):
        for mount, local in self.mounts:
            if pod_path.startswith(mount + "/"):
                return local + pod_path[len(mount):]
        return pod_path


def container_env(docs, container):
    env = {"PATH": "/usr/bin:/bin"}
    for e in container.get("env", []):
        if "value" in e:
            env[e["name"]] = str(e["value"])
            continue
        ref = e.get("valueFrom", {})
        if "secretKeyRef" in ref:
            r = ref["secretKeyRef"]
            secret = one(docs, "Secret", r["name"])
            check(r["key"] in secret.get("data", {}),
                  "env %s: key %s is not in Secret %s" % (e["name"], r["key"], r["name"]))
            env[e["name"]] = base64.b64decode(secret["data"][r["key"]]).decode()
        elif "configMapKeyRef" in ref:
            r = ref["configMapKeyRef"]
            env[e["name"]] = one(docs, "ConfigMap", r["name"])["data"][r["key"]]
        elif "fieldRef" in ref:
            env[e["name"]] = "contract-test-" + ref["fieldRef"]["fieldPath"]
        else:
            raise ContractError("env %s: source not handled: %s" % (e["name"], ref))
    return env


class Proc:
    def __init__(self, name, argv, env):
        self.name = name
        self.argv = argv
        self.lines = queue.Queue()
        self.log = []
        self.p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stderr:
            self.log.append(line.rstrip("\n"))
            self.lines.put(line)
        self.lines.put(None)

    def wait_listening(self):
        """The JSON "listening" log line, or an error naming how the process ended."""
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                continue
            if line is None:
                break
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("msg") == "listening":
                return record
        try:
            code = self.p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            raise ContractError("%s did not log 'listening' in %.0f s:\n%s"
                                % (self.name, START_DEADLINE_S, self.output()))
        error = FlagRejected if code == 2 else ContractError
        raise error("%s exited with %d at start (2 = a flag it does not know or a bad flag "
                    "value)\nargv: %s\n%s" % (self.name, code, self.argv, self.output()))

    def output(self):
        return "\n".join("  | " + l for l in self.log[-30:])

    def alive(self):
        return self.p.poll() is None

    def stop(self, grace_s):
        """SIGTERM; the exit code, or None if it outlives the pod's grace period."""
        if not self.alive():
            return self.p.returncode
        self.p.send_signal(signal.SIGTERM)
        try:
            return self.p.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None


def port_of(address):
    return int(address.rsplit(":", 1)[1])


def resp(sock, *args):
    """One Redis command over a socket; the reply's first line (enough for these checks)."""
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    sock.sendall(out)
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(4096)
        if not chunk:
            raise OSError("connection closed")
        data += chunk
    return data.split(b"\r\n", 1)[0].decode()


def redis_command(port, password, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        if password:
            reply = resp(sock, "AUTH", password)
            check(reply == "+OK", "redis AUTH with the rendered password -> %s" % reply)
        return resp(sock, *args)


class RedisServer:
    """The chart's Redis StatefulSet, its container run here (redis-server from PATH)."""

    def __init__(self, docs, workdir):
        sts = one(docs, "StatefulSet", component="redis")
        pod = sts["spec"]["template"]["spec"]
        c = [c for c in pod["containers"] if c["name"] == "redis"][0]
        check(c.get("command") == ["redis-server"],
              "redis: command must be redis-server, got %s" % c.get("command"))
        self.ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
        check("redis" in self.ports, "redis: no containerPort named redis")
        env = container_env(docs, c)
        mounts = {m["mountPath"] for m in c.get("volumeMounts", [])}
        args = []
        self.password = ""
        rendered = c.get("args", [])
        for i, arg in enumerate(rendered):
            # Kubernetes expands $(VAR) from the container's env in args.
            arg = re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), arg)
            check("$(" not in arg, "redis: %s names a variable the container lacks" % arg)
            if i > 0 and rendered[i - 1] == "--requirepass":
                self.password = arg
            if i > 0 and rendered[i - 1] == "--dir":
                check(arg in mounts, "redis: --dir %s is not a volume mount" % arg)
                arg = os.path.join(workdir, "redis-data")
                os.makedirs(arg, exist_ok=True)
            args.append(arg)
        check(self.password, "redis: no --requirepass (the chart's Redis has a password)")
        binary = shutil.which("redis-server")
        check(binary, "redis-server is not on PATH (scripts/install-deps installs it)")
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        sock.close()
        argv = [binary] + args + ["--port", str(self.port), "--bind", "127.0.0.1",
                                  "--save", "", "--daemonize", "no"]
        self.p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, cwd=workdir)
        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                if redis_command(self.port, self.password, "PING") == "+PONG":
                    break
            except OSError:
                pass
            check(self.p.poll() is None and time.monotonic() < deadline,
                  "redis-server with the rendered args did not answer PING: %s" % argv[1:])
            time.sleep(0.1)
        print("redis started: the StatefulSet's args on 127.0.0.1:%d" % self.port)

    def local_url(self, docs, url):
        """The rendered --store URL, checked against the chart's Redis Service, on loopback."""
        m = re.fullmatch(r"redis://([a-z0-9.-]+):(\d+)(/\d+)?", url)
        check(m, "--store=%s is not redis://name:port[/db]" % url)
        host, port, db = m.group(1), int(m.group(2)), m.group(3) or ""
        parts = host.split(".")
        check(len(parts) >= 4 and parts[1] == NAMESPACE and parts[2] == "svc",
              "--store host %r is not <service>.%s.svc.<domain>" % (host, NAMESPACE))
        svc = one(docs, "Service", parts[0])
        sts = one(docs, "StatefulSet", component="redis")
        check(selects(svc["spec"]["selector"], sts["spec"]["template"]["metadata"]["labels"]),
              "Service %s does not select the Redis pod" % parts[0])
        svc_ports = [p for p in svc["spec"]["ports"] if p["port"] == port]
        check(svc_ports and (svc_ports[0]["targetPort"] in self.ports or
                             svc_ports[0]["targetPort"] == self.ports["redis"]),
              "Service %s port %d does not reach the Redis container" % (parts[0], port))
        return "redis://127.0.0.1:%d%s" % (self.port, db)

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


def start_component(docs, workdir, component, binaries, policy_target=None, redis=None):
    deploy = one(docs, "Deployment", component=component)
    pod = deploy["spec"]["template"]["spec"]
    containers = [c for c in pod["containers"] if c["name"] == component]
    check(len(containers) == 1, "%s: expected one container named %s (sidecars aside)"
          % (component, component))
    c = containers[0]
    command = c.get("command", [])
    check(len(command) == 1, "%s: command must be the binary alone, got %s" % (component, command))
    binary_name = os.path.basename(command[0])
    check(binary_name in binaries, "%s: unknown binary %s" % (component, command[0]))
    check(command[0] == "/usr/local/bin/" + binary_name,
          "%s: the image installs the binary in /usr/local/bin, chart says %s" % (component, command[0]))
    ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
    sandbox = Sandbox(os.path.join(workdir, component), docs, pod, c)

    argv = [binaries[binary_name]]
    listen = {}  # port name -> rendered port
    for arg in c.get("args", []):
        check(arg.startswith("--"), "%s: argument %r is not a --flag" % (component, arg))
        name, eq, value = arg.partition("=")
        if name in LISTEN_FLAGS and eq:
            port_name = LISTEN_FLAGS[name]
            check(ports.get(port_name) == port_of(value),
                  "%s: %s=%s but containerPort %r is %s" % (component, name, value, port_name,
                                                           ports.get(port_name)))
            listen[port_name] = port_of(value)
            argv.append("%s=127.0.0.1:0" % name)
        elif name == "--policy-target" and eq:
            check(policy_target is not None, "%s: unexpected --policy-target" % component)
            if find(docs, "Deployment", component="policy"):
                check_policy_target(docs, value)
            else:
                print("  no policy Deployment: the gateway calls %s (your own service); "
                      "here a friendgate-policy stands in for it" % value)
            argv.append("%s=%s" % (name, policy_target))
        elif name == "--store" and eq and value != "memory":
            check(redis is not None, "%s: --store=%s, but the chart renders no Redis to run"
                  % (component, value))
            argv.append("%s=%s" % (name, redis.local_url(docs, value)))
        elif eq and value.startswith("/"):
            local = sandbox.local_path(value)
            check(local != value, "%s: %s names %s, which is on no volume mount"
                  % (component, name, value))
            # A file the binary creates (--state-file) needs its directory mounted.
            check(os.path.exists(local) or (name == "--state-file" and
                                            os.path.isdir(os.path.dirname(local))),
                  "%s: %s=%s: no such file in the mounted volumes" % (component, name, value))
            argv.append("%s=%s" % (name, local))
        else:
            argv.append(arg)
    # The gateway's http.metrics_listen (its config file) serves the "metrics" port.
    config_flag = [a for a in c.get("args", []) if a.startswith("--config=")]
    if component == "gateway" and config_flag:
        local = sandbox.local_path(config_flag[0].split("=", 1)[1])
        with open(local) as f:
            config = yaml.safe_load(f) or {}
        metrics_listen = (config.get("http") or {}).get("metrics_listen")
        if metrics_listen:
            check(ports.get("metrics") == port_of(metrics_listen),
                  "gateway: http.metrics_listen=%s but containerPort 'metrics' is %s"
                  % (metrics_listen, ports.get("metrics")))
            listen["metrics"] = port_of(metrics_listen)
            config["http"]["metrics_listen"] = "127.0.0.1:0"
            with open(local, "w") as f:  # through the volume's symlinks
                yaml.safe_dump(config, f)
    for port_name in ports:
        check(port_name in listen, "%s: containerPort %r is served by no listen flag"
              % (component, port_name))
    proc = Proc(binary_name, argv, container_env(docs, c))
    record = proc.wait_listening()
    actual = {name: port_of(record[name]) for name in listen if name in record}
    for name in listen:
        check(name in actual, "%s: its 'listening' line has no %r address: %s"
              % (component, name, record))
    grace = pod.get("terminationGracePeriodSeconds", 30)
    return {"proc": proc, "container": c, "ports": actual, "grace": grace, "pod": pod,
            "sandbox": sandbox, "deployment": deploy}


def check_policy_target(docs, target):
    m = re.fullmatch(r"dns:///([a-z0-9.-]+):(\d+)", target)
    check(m, "--policy-target %r is not dns:///name:port" % target)
    host, port = m.group(1), int(m.group(2))
    parts = host.split(".")
    check(len(parts) >= 4 and parts[1] == NAMESPACE and parts[2] == "svc",
          "--policy-target host %r is not <service>.%s.svc.<domain>" % (host, NAMESPACE))
    svc = one(docs, "Service", parts[0])
    check(svc["spec"].get("clusterIP") == "None",
          "--policy-target %s is not a headless Service (round_robin needs every pod's "
          "address)" % parts[0])
    policy = one(docs, "Deployment", component="policy")
    labels = policy["spec"]["template"]["metadata"]["labels"]
    check(selects(svc["spec"]["selector"], labels),
          "Service %s does not select the policy pods" % parts[0])
    svc_ports = [p for p in svc["spec"]["ports"] if p["port"] == port]
    check(svc_ports, "Service %s has no port %d" % (parts[0], port))
    c = [c for c in policy["spec"]["template"]["spec"]["containers"] if c["name"] == "policy"][0]
    names = {p["name"] for p in c["ports"]}
    check(svc_ports[0]["targetPort"] in names or svc_ports[0]["targetPort"] == port,
          "Service %s port %d targets %r, not a policy container port"
          % (parts[0], port, svc_ports[0]["targetPort"]))


# --- Probes and callbacks ----------------------------------------------------------

def http(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def poll_http(url, want=200):
    deadline = time.monotonic() + READY_DEADLINE_S
    last = None
    while time.monotonic() < deadline:
        try:
            last = http("GET", url)
            if last[0] == want:
                return last
        except OSError as e:
            last = (None, str(e))
        time.sleep(0.1)  # polling interval, not a wait for an event
    raise ContractError("GET %s: wanted %d, last answer %s" % (url, want, last))


class HealthClient:
    """grpc.health.v1.Health/Check, with message classes generated by protoc from the
    repository's proto/grpc/health/v1/health.proto (the kubelet's gRPC probe does this
    call)."""

    def __init__(self, source_dir, workdir):
        out = os.path.join(workdir, "pygen")
        os.makedirs(out)
        subprocess.run(["protoc", "-I" + os.path.join(source_dir, "proto"),
                        "--python_out=" + out, "grpc/health/v1/health.proto"], check=True)
        # Loaded by path: its package name "grpc" would clash with grpcio's.
        spec = importlib.util.spec_from_file_location(
            "health_pb2", os.path.join(out, "grpc", "health", "v1", "health_pb2.py"))
        self.pb = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.pb)
        import grpc as grpc_lib  # the python3-grpcio package
        self.grpc = grpc_lib

    def check(self, port, service):
        with self.grpc.insecure_channel("127.0.0.1:%d" % port) as channel:
            call = channel.unary_unary(
                "/grpc.health.v1.Health/Check",
                request_serializer=self.pb.HealthCheckRequest.SerializeToString,
                response_deserializer=self.pb.HealthCheckResponse.FromString)
            return call(self.pb.HealthCheckRequest(service=service), timeout=5).status

    def serving(self):
        return self.pb.HealthCheckResponse.SERVING


def probe_port(container, ports, probe, kind):
    port = probe[kind]["port"]
    if isinstance(port, str):
        declared = {p["name"]: p["containerPort"] for p in container["ports"]}
        check(port in declared, "probe names port %r, not a container port" % port)
        port_name = port
    else:
        names = [p["name"] for p in container["ports"] if p["containerPort"] == port]
        check(names, "probe port %d is not a container port" % port)
        port_name = names[0]
    check(port_name in ports, "probe port %r is not listened on" % port_name)
    return ports[port_name]


def check_probes(component, health):
    c = component["container"]
    for kind in ("startupProbe", "livenessProbe", "readinessProbe"):
        probe = c.get(kind)
        check(probe is not None, "%s has no %s" % (c["name"], kind))
        if "httpGet" in probe:
            port = probe_port(c, component["ports"], probe, "httpGet")
            status, body = poll_http("http://127.0.0.1:%d%s" % (port, probe["httpGet"]["path"]))
            print("  %s %s GET %s -> %d %s" % (c["name"], kind, probe["httpGet"]["path"], status,
                                               body.strip()))
        elif "grpc" in probe:
            port = probe_port(c, component["ports"], probe, "grpc")
            service = probe["grpc"].get("service", "")
            deadline = time.monotonic() + READY_DEADLINE_S
            status = None
            while time.monotonic() < deadline:
                status = health.check(port, service)
                if status == health.serving():
                    break
                time.sleep(0.1)
            check(status == health.serving(), "%s %s: gRPC health %r" % (c["name"], kind, status))
            print("  %s %s grpc Health/Check(service=%r) -> SERVING" % (c["name"], kind, service))
        else:
            raise ContractError("%s %s: probe kind not handled: %s" % (c["name"], kind, probe))


def secret_value(gateway, env, item, key):
    if item.get(key + "_env"):
        return env[item[key + "_env"]]
    if item.get(key + "_file"):
        with open(item[key + "_file"]) as f:  # already rewritten to the sandbox
            return f.read().strip()
    return None


def flag_value(container, flag):
    values = [a.split("=", 1)[1] for a in container.get("args", []) if a.startswith(flag + "=")]
    check(len(values) == 1, "%s: expected one %s flag" % (container["name"], flag))
    return values[0]


def check_callbacks(docs, gateway, policy):
    port = gateway["ports"]["http"]
    base = "http://127.0.0.1:%d" % port
    env = container_env(docs, gateway["container"])
    config_path = gateway["sandbox"].local_path(flag_value(gateway["container"], "--config"))
    with open(config_path) as f:
        config = yaml.safe_load(f) or {}
    rules_path = policy["sandbox"].local_path(flag_value(policy["container"], "--rules"))
    with open(rules_path) as f:
        blocked = blocked_users(yaml.safe_load(f), os.path.dirname(rules_path))
    served = []

    tencent = config.get("tencent") or {}
    path = tencent.get("path") or "/tencent/callback"
    if tencent.get("apps"):
        served.append(path)
    for app in tencent.get("apps") or []:
        token = secret_value(gateway, env, app, "token")

        def post(command, body, token=token, app=app):
            return tencent_post(base + path, app["sdk_app_id"], token, command, body)

        status, body = post("Sns.CallbackFriendDelete",
                            {"CallbackCommand": "Sns.CallbackFriendDelete",
                             "PairList": [{"From_Account": "a", "To_Account": "b"}]})
        check(status == 200 and json.loads(body) == {"ActionStatus": "OK", "ErrorCode": 0,
                                                      "ErrorInfo": ""},
              "tencent app %s: Sns.CallbackFriendDelete -> %s %s" % (app["sdk_app_id"], status, body))
        print("  tencent app %s%s: Sns.CallbackFriendDelete -> %s" % (
            app["sdk_app_id"], " (signed)" if token else "", body))
        if token is not None:
            status, body = http("POST", base + path + "?" + urllib.parse.urlencode(
                {"SdkAppid": app["sdk_app_id"], "CallbackCommand": "Sns.CallbackFriendDelete"}),
                b'{"PairList":[]}', {"Content-Type": "application/json"})
            check(status == 401, "tencent app %s has a token but an unsigned callback got %s"
                  % (app["sdk_app_id"], status))
        for user, rule in blocked:
            status, body = post("Sns.CallbackPrevFriendAdd", friend_add(user))
            code = json.loads(body)["ResultItem"][0]["ResultCode"]
            want = (rule.get("refusal") or {}).get("tencent_code") or tencent.get(
                "default_refusal_code") or 38001
            check(status == 200 and code == want,
                  "rules ConfigMap: %s should be refused with %d, got %s %s"
                  % (user, want, status, body))
            print("  tencent app %s: Sns.CallbackPrevFriendAdd from %s -> ResultCode %d (rule %s)"
                  % (app["sdk_app_id"], user, code, rule["id"]))

    for instance in config.get("openim") or []:
        prefix = instance.get("path_prefix") or "/openim"
        served.append(prefix)
        headers = {"Content-Type": "application/json; charset=utf-8", "operationID": "contract"}
        auth = instance.get("basic_auth")
        url = base + prefix + "/callbackAfterDeleteFriendCommand"
        body = json.dumps({"callbackCommand": "callbackAfterDeleteFriendCommand",
                           "ownerUserID": "a", "friendUserID": "b"}).encode() + b"\n"
        if auth:
            status, _ = http("POST", url, body, headers)
            check(status == 401, "openim %s has basic_auth but a call without it got %s"
                  % (prefix, status))
            password = secret_value(gateway, env, auth, "password")
            creds = base64.b64encode(("%s:%s" % (auth["username"], password)).encode()).decode()
            headers["Authorization"] = "Basic " + creds
        status, answer = http("POST", url, body, headers)
        parsed = json.loads(answer)
        check(status == 200 and parsed.get("actionCode") == 0 and parsed.get("errCode") == 0,
              "openim %s: callbackAfterDeleteFriendCommand -> %s %s" % (prefix, status, answer))
        print("  openim %s%s: callbackAfterDeleteFriendCommand -> %s"
              % (prefix, " (basic auth)" if auth else "", answer.strip()))
    check(served, "the rendered gateway config serves no callback")

    # The Ingress exposes exactly the callback paths, nothing else (no /metrics).
    for ing in find(docs, "Ingress", component="gateway"):
        for rule in ing["spec"]["rules"]:
            paths = [p["path"] for p in rule["http"]["paths"]]
            check(sorted(paths) == sorted(served),
                  "Ingress paths %s differ from the served callback paths %s" % (paths, served))
            print("  ingress %s exposes %s" % (rule.get("host"), paths))


def tencent_post(url, app_id, token, command, body):
    query = {"SdkAppid": app_id, "CallbackCommand": command, "contenttype": "json",
             "ClientIP": "127.0.0.1", "OptPlatform": "RESTAPI"}
    if token is not None:
        now = str(int(time.time()))
        query["RequestTime"] = now
        query["Sign"] = hashlib.sha256((token + now).encode()).hexdigest()
    return http("POST", url + "?" + urllib.parse.urlencode(query), json.dumps(body).encode(),
                {"Content-Type": "application/json"})


def friend_add(user):
    return {"CallbackCommand": "Sns.CallbackPrevFriendAdd", "Requester_Account": user,
            "From_Account": user,
            "FriendItem": [{"To_Account": "someone", "AddSource": "AddSource_Type_Android"}],
            "AddType": "Add_Type_Both", "ForceAddFlags": 0, "EventTime": 1700000000000}


def check_rules_reload(docs, gateway, policy):
    """rulesReload=watch (no checksum/rules annotation, so no roll): a ConfigMap update,
    published into the running pod's volume as the kubelet does, must take effect in the
    running policy process. Needs a Tencent app without a token to ask through."""
    annotations = policy["deployment"]["spec"]["template"]["metadata"].get("annotations") or {}
    if "checksum/rules" in annotations:
        print("  rules: a change rolls the policy pods (checksum/rules); no hot reload to check")
        return
    env = container_env(docs, gateway["container"])
    with open(gateway["sandbox"].local_path(flag_value(gateway["container"], "--config"))) as f:
        tencent = (yaml.safe_load(f) or {}).get("tencent") or {}
    apps = [a for a in tencent.get("apps") or [] if secret_value(gateway, env, a, "token") is None]
    check(apps, "rulesReload=watch: the contract test needs an unsigned Tencent app")
    url = "http://127.0.0.1:%d%s" % (gateway["ports"]["http"], tencent.get("path") or
                                     "/tencent/callback")
    rules_flag = flag_value(policy["container"], "--rules")
    mount = [m for m, _ in policy["sandbox"].mounts if rules_flag.startswith(m + "/")][0]
    local = policy["sandbox"].local_path(mount + "/")
    files = {}
    for name in os.listdir(local):
        if not name.startswith(".."):
            with open(os.path.join(local, name), "rb") as f:
                files[name] = f.read()
    key = os.path.basename(rules_flag)
    rules = yaml.safe_load(files[key]) or {}
    rules.setdefault("rules", []).append({
        "id": "contract-hot-reload", "blocklist": {"users": ["hot_reload_user"]},
        "refusal": {"tencent_code": 38123}})
    files[key] = yaml.safe_dump(rules).encode()
    policy["sandbox"].publish(local, files)
    deadline = time.monotonic() + READY_DEADLINE_S
    code = None
    while time.monotonic() < deadline:
        status, body = tencent_post(url, apps[0]["sdk_app_id"], None, "Sns.CallbackPrevFriendAdd",
                                    friend_add("hot_reload_user"))
        code = json.loads(body)["ResultItem"][0]["ResultCode"] if status == 200 else status
        if code == 38123:
            break
        time.sleep(0.1)
    check(code == 38123, "rulesReload=watch: a ConfigMap update was not picked up by the "
          "running policy service (last ResultCode %s)" % code)
    check(policy["proc"].alive(), "the policy service died on a rules update")
    print("  rules (watch): ConfigMap update published into the running pod's volume -> "
          "new rule applied without a restart (ResultCode 38123)")


def blocked_users(rules_file, rules_dir):
    """(user, rule) for each enforced, tenant-wide blocklist rule that covers friend
    requests from its users: one user from `users` or from its `users_file`."""
    found = []
    for rule in (rules_file or {}).get("rules") or []:
        block = rule.get("blocklist")
        if not block or rule.get("mode", "enforce") != "enforce" or rule.get("tenants"):
            continue
        if rule.get("events") and "friend_request" not in rule["events"]:
            continue
        if block.get("side") == "to":
            continue
        users = list(block.get("users") or [])
        if block.get("users_file"):
            with open(os.path.join(rules_dir, block["users_file"])) as f:
                users += [l.strip() for l in f if l.strip() and not l.startswith("#")]
        if users:
            found.append((users[0], rule))
    return found


def check_metrics(component, port_name):
    if port_name in component["ports"]:
        status, body = http("GET", "http://127.0.0.1:%d/metrics" % component["ports"][port_name])
        check(status == 200 and "# TYPE" in body, "%s /metrics -> %s" % (
            component["container"]["name"], status))
        print("  %s GET /metrics on port %r -> 200 (%d bytes)"
              % (component["container"]["name"], port_name, len(body)))


# --- Main ----------------------------------------------------------------------------

def run_own_policy(docs, workdir, binaries, source_dir, health, started):
    """policy.enabled=false: the chart deploys the gateway only. A friendgate-policy
    started here stands in for the user's own PolicyService; the gateway must become
    ready through it and drain on SIGTERM."""
    own = Proc("own-policy", [binaries["friendgate-policy"], "--grpc-listen=127.0.0.1:0",
                              "--rules=" + os.path.join(source_dir, "examples", "rules.yaml")],
               {"PATH": "/usr/bin:/bin"})
    started.append({"proc": own})
    port = port_of(own.wait_listening()["grpc"])
    gateway = start_component(docs, workdir, "gateway", binaries,
                              policy_target="127.0.0.1:%d" % port)
    started.append(gateway)
    print("gateway started: %s" % " ".join(gateway["proc"].argv[1:]))
    check_probes(gateway, health)
    check(gateway["proc"].alive(), "gateway died:\n%s" % gateway["proc"].output())
    code = gateway["proc"].stop(gateway["grace"])
    check(code == 0, "gateway: SIGTERM -> exit %s\n%s" % (code, gateway["proc"].output()))
    print("  gateway: SIGTERM -> exit 0 within terminationGracePeriodSeconds=%d"
          % gateway["grace"])


def run(args, workdir):
    if args.manifests:
        with open(args.manifests) as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
    else:
        docs = render(args.helm, args.chart, args.values, args.set)
    binaries = {"friendgate-gateway": args.gateway, "friendgate-policy": args.policy}
    health = HealthClient(args.source_dir, workdir)
    started = []
    redis = None
    try:
        if not find(docs, "Deployment", component="policy"):
            run_own_policy(docs, workdir, binaries, args.source_dir, health, started)
            return
        if find(docs, "StatefulSet", component="redis"):
            redis = RedisServer(docs, workdir)
        policy = start_component(docs, workdir, "policy", binaries, redis=redis)
        started.append(policy)
        print("policy started: %s" % " ".join(policy["proc"].argv[1:]))
        gateway = start_component(docs, workdir, "gateway", binaries,
                                  policy_target="127.0.0.1:%d" % policy["ports"]["grpc"])
        started.append(gateway)
        print("gateway started: %s" % " ".join(gateway["proc"].argv[1:]))
        check_probes(policy, health)
        check_probes(gateway, health)
        check_callbacks(docs, gateway, policy)
        check_rules_reload(docs, gateway, policy)
        if "metrics" in gateway["ports"]:
            check_metrics(gateway, "metrics")
            status, _ = http("GET", "http://127.0.0.1:%d/metrics" % gateway["ports"]["http"])
            check(status == 404, "gateway: /metrics on the callback port -> %s, want 404 (it "
                  "has its own port)" % status)
            print("  gateway GET /metrics on port 'http' -> 404 (served on 'metrics' only)")
        else:
            check_metrics(gateway, "http")
        check_metrics(policy, "metrics")
        if redis is not None:
            # The callbacks' decisions went through the chart's Redis (the shared event
            # stream), authenticated with the password from the rendered Secret.
            prefix = flag_value(policy["container"], "--store-prefix") or "friendgate:"
            deadline = time.monotonic() + READY_DEADLINE_S
            length = redis_command(redis.port, redis.password, "XLEN", prefix + "events")
            while length == ":0" and time.monotonic() < deadline:
                time.sleep(0.1)
                length = redis_command(redis.port, redis.password, "XLEN", prefix + "events")
            check(length not in (":0", ""), "policy: no decided event reached Redis's stream "
                  "%sevents (XLEN %s)" % (prefix, length))
            print("  policy: the decisions are in the chart's Redis (XLEN %sevents -> %s)"
                  % (prefix, length[1:]))
        for c in started:
            check(c["proc"].alive(), "%s died:\n%s" % (c["proc"].name, c["proc"].output()))
        # Kubernetes sends SIGTERM, then SIGKILL after terminationGracePeriodSeconds
        # (preStop sleep included): both must have drained and exited 0 by then.
        for c in (gateway, policy):
            code = c["proc"].stop(c["grace"])
            check(code == 0, "%s: SIGTERM -> exit %s (grace period %d s)\n%s"
                  % (c["proc"].name, code, c["grace"], c["proc"].output()))
            print("  %s: SIGTERM -> exit 0 within terminationGracePeriodSeconds=%d"
                  % (c["proc"].name, c["grace"]))
    finally:
        for c in started:
            if c["proc"].alive():
                c["proc"].p.kill()
                c["proc"].p.wait()
        if redis is not None:
            redis.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--helm")
    ap.add_argument("--chart")
    ap.add_argument("--manifests", help="use these rendered manifests (deploy/k8s) instead "
                    "of rendering the chart")
    ap.add_argument("--gateway", required=True, help="path of the built friendgate-gateway")
    ap.add_argument("--policy", required=True, help="path of the built friendgate-policy")
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--values", action="append", default=[])
    ap.add_argument("--set", action="append", default=[])
    ap.add_argument("--expect-flag-rejection", action="store_true",
                    help="pass only if a binary refuses a rendered flag (exit 2 at start)")
    args = ap.parse_args()
    if not args.manifests and not (args.helm and args.chart):
        ap.error("give --helm and --chart, or --manifests")
    workdir = tempfile.mkdtemp(prefix="friendgate-contract-")
    try:
        run(args, workdir)
    except FlagRejected as e:
        if args.expect_flag_rejection:
            print("as expected, a binary refused the rendered flags:\n%s" % e)
            return 0
        print("FAIL: %s" % e)
        return 1
    except ContractError as e:
        print("FAIL: %s" % e)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.expect_flag_rejection:
        print("FAIL: every rendered flag was accepted, but a rejection was expected")
        return 1
    print("contract holds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
