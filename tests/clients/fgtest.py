"""Support for the client tests: start the real binaries (and other-language
programs) on free ports, read their logs, talk HTTP. No sleeps as waits: every
wait polls with a deadline. Paths come from CMake through the environment."""

import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request

START_TIMEOUT_S = 30.0


def env_path(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError("%s is not set: run this test through ctest (scripts/install-deps installs"
                           " python3-grpcio, nodejs/npm and Go)" % name)
    return value


def source_path(relative):
    return os.path.join(env_path("FRIENDGATE_SOURCE_DIR"), relative)


def python_env():
    """Environment for Python children: generated modules + clients/python."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [env_path("FRIENDGATE_PY_GEN"), source_path("clients/python")])
    return env


class Process:
    """A child process whose stderr is read line by line in the background."""

    def __init__(self, argv, env=None, cwd=None):
        self.argv = argv
        self._lines = []
        self._cond = threading.Condition()
        self._proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, env=env, cwd=cwd)
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self._proc.stderr:
            with self._cond:
                self._lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def stderr(self):
        with self._cond:
            return "\n".join(self._lines)

    def wait_for_line(self, needle, timeout=START_TIMEOUT_S):
        """The first stderr line containing `needle`; raises after `timeout`."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self._lines[seen:]:
                    if needle in line:
                        return line
                seen = len(self._lines)
                remaining = deadline - time.monotonic()
                if self._proc.poll() is not None and not self._reader.is_alive():
                    raise RuntimeError("%s exited (%s) before logging %r:\n%s" % (
                        self.argv[0], self._proc.returncode, needle, "\n".join(self._lines)))
                if remaining <= 0:
                    raise TimeoutError("%s did not log %r within %.0f s:\n%s" % (
                        self.argv[0], needle, timeout, "\n".join(self._lines)))
                self._cond.wait(timeout=min(remaining, 0.5))

    def signal(self, sig):
        if self._proc.poll() is None:
            self._proc.send_signal(sig)

    def wait_exit(self, timeout):
        return self._proc.wait(timeout=timeout)

    def stop(self):
        """SIGTERM, then SIGKILL if it does not exit in time. Returns the exit code."""
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        self._reader.join(timeout=5)
        if not self._reader.is_alive():
            self._proc.stderr.close()
        return self._proc.returncode


def port_from_log_line(line, key):
    """PORT from a JSON log line carrying "<key>":"host:PORT"."""
    address = json.loads(line)[key]
    return int(address.rsplit(":", 1)[1])


def start_listening(argv, key, env=None):
    """Starts a server that logs {"msg":"listening","<key>":"host:PORT"}; returns (proc, port)."""
    proc = Process(argv, env=env)
    try:
        line = proc.wait_for_line('"msg":"listening"')
        return proc, port_from_log_line(line, key)
    except Exception:
        proc.stop()
        raise


def start_policy(rules=None):
    """The real friendgate-policy on a free port: (process, port)."""
    return start_listening(
        [env_path("FRIENDGATE_POLICY_BIN"), "--grpc-listen=127.0.0.1:0",
         "--rules=" + (rules or source_path("examples/rules.yaml"))], "grpc")


def start_python_policy(extra_args=()):
    """examples/python_policy/policy_server.py on a free port: (process, port)."""
    return start_listening(
        [env_path("FRIENDGATE_PYTHON"), source_path("examples/python_policy/policy_server.py"),
         "--listen=127.0.0.1:0"] + list(extra_args), "grpc", env=python_env())


# examples/gateway.yaml names a signed Tencent app whose token comes from here.
GATEWAY_ENV = {"FRIENDGATE_TENCENT_TOKEN_1400000001": "client-tests-token"}


def start_gateway(policy_port, config=None):
    """The real friendgate-gateway pointed at 127.0.0.1:policy_port, once /readyz
    says ready: (process, http_port)."""
    env = dict(os.environ)
    env.update(GATEWAY_ENV)
    proc, port = start_listening(
        [env_path("FRIENDGATE_GATEWAY_BIN"), "--http-listen=127.0.0.1:0",
         "--policy-target=127.0.0.1:%d" % policy_port,
         "--config=" + (config or source_path("examples/gateway.yaml"))], "http", env=env)
    try:
        wait_http_status("http://127.0.0.1:%d/readyz" % port, 200)
    except Exception:
        proc.stop()
        raise
    return proc, port


def http_get(url, timeout=5.0):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as res:
            return res.status, res.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_http_status(url, status, timeout=START_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = http_get(url)
            if last[0] == status:
                return
        except (urllib.error.URLError, ConnectionError) as err:
            last = err
        time.sleep(0.05)  # poll interval, not a wait for a condition
    raise TimeoutError("%s did not answer %d within %.0f s (last: %r)" % (url, status, timeout, last))


def post_json(url, body, headers=None, timeout=5.0):
    """POSTs `body` (a dict, sent as JSON) and returns (status, parsed JSON answer)."""
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    request.add_header("Content-Type", "application/json; charset=utf-8")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def run_json_lines(argv, env=None, cwd=None, timeout=120):
    """Runs a client program; returns (exit code, [parsed stdout JSON lines], stderr)."""
    done = subprocess.run(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, timeout=timeout)
    lines = [json.loads(l) for l in done.stdout.decode().splitlines() if l.strip()]
    return done.returncode, lines, done.stderr.decode("utf-8", "replace")


def step(lines, name):
    found = [l for l in lines if l.get("step") == name]
    if len(found) != 1:
        raise AssertionError("expected one %r step in %r" % (name, lines))
    return found[0]


SERVICES_ALWAYS = {"friendgate.v1.PolicyService", "grpc.health.v1.Health",
                   "grpc.reflection.v1alpha.ServerReflection"}
