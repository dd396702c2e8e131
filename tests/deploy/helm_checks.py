#!/usr/bin/env python3
"""Offline checks of the Helm chart (no cluster needed). One check per ctest test:

  lint      helm lint --strict, with the defaults and with ci/full-values.yaml
  defaults  helm template with the defaults: the objects and their production defaults
  full      helm template with every optional feature on (ci/full-values.yaml)
  schema    values.schema.json and the chart's own guards refuse bad values, each with
            its reason, while the good values pass
  commands  the policy with commands, secrets, CA, state file on a PVC, salt, extra
            volumes, init containers and sidecars (ci/commands-values.yaml); policy off
            (ci/policy-off-values.yaml); preStop below and from Kubernetes 1.30
  kube      every rendered variant (VARIANTS, and deploy/k8s/friendgate.yaml) validates
            against the Kubernetes OpenAPI schema (npm kubernetes-models, v1.33), and a
            broken object is refused (the check can fail)
  parity    schema parity with the binary: each row of PARITY (a gateway config the
            gateway refuses at start) fails `helm template` naming the key, and the real
            friendgate-gateway refuses the same config naming it too (needs --gateway)
  rolls     the checksum annotations: a gateway config change rolls the gateway, a
            rules change rolls the policy pods (rulesReload=roll) or not (watch)
  generated deploy/k8s/friendgate.yaml and the generated part of values.schema.json are
            up to date (deploy/scripts/generate --check)

Usage: helm_checks.py --helm HELM --source-dir DIR CHECK
"""
import argparse
import base64
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import tempfile

import yaml

NAMESPACE = "friendgate"


EXTRA_VALUES = ("commands-values.yaml", "policy-off-values.yaml", "production-values.yaml",
                "shared-state-values.yaml")
# Every rendered variant the Kubernetes schema check validates: (name, values files under
# ci/, --kube-version or None for helm's default).
VARIANTS = [
    ("default", [], None),
    ("default@1.29", [], "1.29.0"),
    ("full", ["full-values.yaml"], None),
    ("production", ["production-values.yaml"], None),
    ("production@1.29", ["production-values.yaml"], "1.29.0"),
    ("commands", ["commands-values.yaml"], None),
    ("policy-off", ["policy-off-values.yaml"], None),
    ("shared-state", ["shared-state-values.yaml"], None),
]


def prestop_seconds(container):
    """The preStop wait: the native sleep action, or exec /bin/sleep N; 0 when none."""
    pre = container.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre:
        return pre["sleep"]["seconds"]
    if "exec" in pre:
        command = pre["exec"]["command"]
        if len(command) == 2 and command[0] == "/bin/sleep":
            return int(command[1])
        raise SystemExit("unexpected preStop exec %s" % command)
    return 0


# (why, {gateway.config key: value}, text in helm's error, text in the binary's error).
# Each value replaces that key of the chart's default gateway.config.
APP = {"sdk_app_id": "1400000000"}
PARITY = [
    ("SdkAppid not a number", {"tencent": {"apps": [{"sdk_app_id": "abc"}]}},
     "sdk_app_id", "tencent.apps[0].sdk_app_id"),
    ("SdkAppid listed twice", {"tencent": {"apps": [APP, APP]}},
     "tencent.apps[1].sdk_app_id", "is listed twice"),
    ("no vendor at all", {"tencent": {"apps": []}, "openim": []},
     "configure at least one Tencent app", "configure at least one Tencent app"),
    ("duplicate OpenIM instance name",
     {"openim": [{"name": "a", "path_prefix": "/a"}, {"name": "a", "path_prefix": "/b"}]},
     "openim[1].name", "openim[1].name"),
    ("two unnamed OpenIM instances", {"openim": [{}, {"path_prefix": "/b"}]},
     "openim[1].name", "openim[1].name"),
    ("duplicate OpenIM path_prefix",
     {"openim": [{"name": "a", "path_prefix": "/a"}, {"name": "b", "path_prefix": "/a"}]},
     "openim[1].path_prefix", "openim[1].path_prefix"),
    ("OpenIM answer_budget_ms 999999", {"openim": [{"answer_budget_ms": 999999}]},
     "answer_budget_ms", "openim[0].answer_budget_ms"),
    ("Tencent answer_budget_ms 2000", {"tencent": {"answer_budget_ms": 2000, "apps": [APP]}},
     "answer_budget_ms", "tencent.answer_budget_ms"),
    ("Tencent default_refusal_code 100",
     {"tencent": {"default_refusal_code": 100, "apps": [APP]}},
     "default_refusal_code", "tencent.default_refusal_code"),
    ("OpenIM default_refusal_code 38001", {"openim": [{"default_refusal_code": 38001}]},
     "default_refusal_code", "openim[0].default_refusal_code"),
    ("Tencent deny_code outside its range",
     {"tencent": {"apps": [APP], "failure_mode": {"action": "deny", "deny_code": 20001}}},
     "tencent.failure_mode.deny_code", "tencent.failure_mode.deny_code"),
    ("OpenIM deny_code outside its range",
     {"openim": [{"failure_mode": {"action": "deny", "deny_code": 38001}}]},
     "openim[0].failure_mode.deny_code", "openim[0].failure_mode.deny_code"),
    ("OpenIM path_prefix ending in /", {"openim": [{"path_prefix": "/im/"}]},
     "path_prefix", "openim[0].path_prefix"),
    ("OpenIM path_prefix overlapping tencent.path",
     {"tencent": {"path": "/openim/tencent", "apps": [APP]}},
     "overlaps tencent.path", "overlaps tencent.path"),
    ("Basic auth without a password", {"openim": [{"basic_auth": {"username": "u"}}]},
     "openim[0].basic_auth", "openim[0].basic_auth"),
    ("Basic auth user with ':'",
     {"openim": [{"basic_auth": {"username": "a:b", "password_file": "/etc/hostname"}}]},
     "username", "openim[0].basic_auth.username"),
    ("token_env not set in the pod",
     {"tencent": {"apps": [dict(APP, token_env="FRIENDGATE_NOT_SET")]}},
     "tencent.apps[0].token_env", "tencent.apps[0].token_env"),
    ("token_env and token_file",
     {"tencent": {"apps": [dict(APP, token_env="A", token_file="/etc/hostname")]}},
     "tencent.apps[0].token", "tencent.apps[0].token"),
    ("http.io_threads 65", {"http": {"io_threads": 65}}, "io_threads", "http.io_threads"),
    ("http.max_connections 2000000", {"http": {"max_connections": 2000000}},
     "max_connections", "http.max_connections"),
    ("http.drain_accept_s 301", {"http": {"drain_accept_s": 301}},
     "drain_accept_s", "http.drain_accept_s"),
    ("http.metrics_listen not host:port", {"http": {"metrics_listen": "9091"}},
     "metrics_listen", "http.metrics_listen"),
    ("policy.max_batch_size 5000", {"policy": {"max_batch_size": 5000}},
     "max_batch_size", "policy.max_batch_size"),
    ("policy.max_in_flight_batches 2000", {"policy": {"max_in_flight_batches": 2000}},
     "max_in_flight_batches", "policy.max_in_flight_batches"),
    ("policy.load_balancing random", {"policy": {"load_balancing": "random"}},
     "load_balancing", "policy.load_balancing"),
    ("log.user_ids clear", {"log": {"user_ids": "clear"}}, "user_ids", "log.user_ids"),
]


class Checker:
    def __init__(self, helm, source_dir, gateway=None):
        self.helm = helm
        self.gateway = gateway
        self.source = source_dir
        self.chart = os.path.join(source_dir, "deploy", "helm", "friendgate")
        self.full = os.path.join(self.chart, "ci", "full-values.yaml")
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)

    def run(self, args):
        return subprocess.run([self.helm] + args, capture_output=True, text=True)

    def template(self, values=(), sets=(), ok=True, kube_version=None):
        args = ["template", "fg", self.chart, "--namespace", NAMESPACE]
        if kube_version:
            args += ["--kube-version", kube_version]
        for v in values:
            args += ["--values", v]
        for s in sets:  # "string:KEY=VALUE" is --set-string
            args += ["--set-string", s[7:]] if s.startswith("string:") else ["--set", s]
        out = self.run(args)
        if ok and out.returncode != 0:
            raise SystemExit("helm %s failed:\n%s" % (" ".join(args), out.stderr))
        return out

    def docs(self, values=(), sets=(), kube_version=None):
        return [d for d in yaml.safe_load_all(
            self.template(values, sets, kube_version=kube_version).stdout) if d]

    # --- lint ---------------------------------------------------------------------
    def lint(self):
        for extra in ([], ["--values", self.full]) + tuple(
                ["--values", os.path.join(self.chart, "ci", f)] for f in EXTRA_VALUES):
            out = self.run(["lint", "--strict", self.chart] + extra)
            print(out.stdout.strip())
            self.expect(out.returncode == 0, "helm lint --strict %s failed:\n%s%s"
                        % (" ".join(extra), out.stdout, out.stderr))
            self.expect("[WARNING]" not in out.stdout and "[ERROR]" not in out.stdout,
                        "helm lint reported warnings: %s" % out.stdout)

    # --- rendering ----------------------------------------------------------------
    def common_checks(self, docs, what, expect_deployments=2):
        kinds = {}
        for d in docs:
            self.expect(d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"),
                        "%s: an object without apiVersion/kind/name: %s" % (what, d))
            kinds.setdefault(d["kind"], []).append(d)
            if d["kind"] != "Pod":
                self.expect(d["metadata"].get("namespace") == NAMESPACE,
                            "%s: %s/%s has no namespace" % (what, d["kind"], d["metadata"]["name"]))
        deployments = kinds.get("Deployment", [])
        self.expect(len(deployments) == expect_deployments,
                    "%s: expected %d Deployments" % (what, expect_deployments))
        for dep in deployments:
            self.check_deployment(dep, what)
        # Secrets stay out of ConfigMaps: no Secret value appears in any ConfigMap.
        secret_values = []
        for s in kinds.get("Secret", []):
            secret_values += [base64.b64decode(v).decode() for v in s.get("data", {}).values()]
        for cm in kinds.get("ConfigMap", []):
            text = yaml.safe_dump(cm.get("data", {}))
            for value in secret_values:
                self.expect(value not in text, "%s: a Secret value is in ConfigMap %s"
                            % (what, cm["metadata"]["name"]))
        sa = kinds.get("ServiceAccount", [])
        self.expect(sa and all(a.get("automountServiceAccountToken") is False for a in sa),
                    "%s: the ServiceAccount must not automount its token" % what)
        return kinds

    def check_deployment(self, dep, what):
        name = dep["metadata"]["name"]
        spec = dep["spec"]
        pod = spec["template"]["spec"]
        where = "%s: %s" % (what, name)
        if spec["strategy"]["type"] == "Recreate":
            # Only for one policy pod whose state file is on a ReadWriteOnce claim.
            self.expect(spec.get("replicas") == 1 and any(
                "persistentVolumeClaim" in v for v in spec["template"]["spec"]["volumes"]),
                "%s: Recreate only for one replica with a ReadWriteOnce claim" % where)
        else:
            self.expect(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0,
                        "%s: a rollout must not go below the PDB (maxUnavailable 0)" % where)
        self.expect(pod.get("automountServiceAccountToken") is False,
                    "%s: automountServiceAccountToken must be false" % where)
        psc = pod.get("securityContext", {})
        self.expect(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get(
            "type") == "RuntimeDefault", "%s: pod securityContext defaults missing" % where)
        for c in pod["containers"]:
            if c["name"] not in ("gateway", "policy"):
                continue  # a user's sidecar
            sc = c.get("securityContext", {})
            self.expect(sc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem" % where)
            self.expect(sc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation" % where)
            self.expect(sc.get("capabilities", {}).get("drop") == ["ALL"], "%s: drop ALL" % where)
            self.expect(sc.get("runAsNonRoot") is True and isinstance(sc.get("runAsUser"), int),
                        "%s: runAsNonRoot with a numeric user" % where)
            res = c.get("resources", {})
            self.expect(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory")
                        and res.get("limits", {}).get("memory"), "%s: explicit resources" % where)
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                self.expect(probe in c, "%s: %s missing" % (where, probe))
            # terminationGracePeriodSeconds covers preStop sleep + the binary's drain.
            drain_ms = None
            for a in c.get("args", []):
                if a.startswith("--drain-timeout-ms="):
                    drain_ms = int(a.split("=", 1)[1])
            if drain_ms is None:  # the gateway: http.drain_timeout_ms in its config
                drain_ms = self.gateway_drain_ms
            sleep = prestop_seconds(c)
            grace = pod["terminationGracePeriodSeconds"]
            self.expect(grace * 1000 > drain_ms + sleep * 1000,
                        "%s: terminationGracePeriodSeconds %d <= preStop %d s + drain %d ms"
                        % (where, grace, sleep, drain_ms))

    def set_gateway_drain(self, docs):
        for d in docs:
            if d["kind"] == "ConfigMap" and "gateway.yaml" in d.get("data", {}):
                config = yaml.safe_load(d["data"]["gateway.yaml"]) or {}
                http_cfg = config.get("http") or {}
                self.gateway_drain_ms = ((http_cfg.get("drain_timeout_ms") or 10000) +
                                         1000 * (http_cfg.get("drain_accept_s") or 0))

    def defaults(self):
        docs = self.docs()
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "defaults")
        # Two policy replicas on the chart's Redis (its StatefulSet, Service, Secret and
        # NetworkPolicy): a default install is a fleet that agrees.
        want = {"ConfigMap": 2, "Deployment": 2, "Service": 5, "PodDisruptionBudget": 2,
                "NetworkPolicy": 3, "ServiceAccount": 1, "Pod": 1, "StatefulSet": 1,
                "Secret": 1}
        got = {k: len(v) for k, v in kinds.items()}
        self.expect(got == want, "defaults: objects %s, expected %s" % (got, want))
        for dep in kinds["Deployment"]:
            self.expect("replicas" in dep["spec"], "defaults: without HPA, replicas is set")
            pod = dep["spec"]["template"]["spec"]
            component = dep["metadata"]["labels"]["app.kubernetes.io/component"]
            main = [c for c in pod["containers"] if c["name"] == component][0]
            self.expect(prestop_seconds(main) == 5 and "sleep" in main["lifecycle"]["preStop"],
                        "defaults: %s: a 5 s native preStop sleep (helm's default version is "
                        "past 1.30)" % component)
            terms = pod.get("affinity", {}).get("podAntiAffinity", {}).get(
                "preferredDuringSchedulingIgnoredDuringExecution", [])
            self.expect(len(terms) == 1 and terms[0]["podAffinityTerm"]["topologyKey"] ==
                        "kubernetes.io/hostname" and terms[0]["podAffinityTerm"]["labelSelector"]
                        ["matchLabels"]["app.kubernetes.io/component"] == component,
                        "defaults: %s: soft anti-affinity per node" % component)
            spread = pod.get("topologySpreadConstraints", [])
            self.expect(len(spread) == 1 and spread[0]["topologyKey"] ==
                        "topology.kubernetes.io/zone" and spread[0]["whenUnsatisfiable"] ==
                        "ScheduleAnyway", "defaults: %s: zone spread" % component)
        # /metrics on its own port: the callback Service has the http port only, a
        # -metrics Service the metrics port; the config names that port.
        services = {s["metadata"]["name"]: s for s in kinds["Service"]}
        self.expect([p["name"] for p in services["fg-friendgate-gateway"]["spec"]["ports"]] ==
                    ["http"], "defaults: the callback Service exposes the http port only")
        self.expect([p["name"] for p in services["fg-friendgate-gateway-metrics"]["spec"]
                     ["ports"]] == ["metrics"], "defaults: a metrics Service")
        cm = [c for c in kinds["ConfigMap"] if "gateway.yaml" in c["data"]][0]
        http_cfg = yaml.safe_load(cm["data"]["gateway.yaml"])["http"]
        self.expect(http_cfg.get("metrics_listen") == "0.0.0.0:9091" and
                    http_cfg.get("drain_accept_s") == 5,
                    "defaults: http.metrics_listen from gateway.metrics, drain_accept_s 5")
        policy = [d for d in kinds["Deployment"] if d["metadata"]["name"].endswith("-policy")][0]
        main = policy["spec"]["template"]["spec"]["containers"][0]
        self.expect("--max-connection-age-ms=300000" in main["args"],
                    "defaults: the policy's max connection age (5 min)")
        self.expect(policy["spec"]["replicas"] == 2 and
                    "--store=redis://fg-friendgate-redis.friendgate.svc.cluster.local:6379/0"
                    in main["args"] and "--store-prefix=friendgate:" in main["args"],
                    "defaults: two policy replicas on the chart's Redis")
        env = {e["name"]: e for e in main.get("env", [])}
        self.expect(env.get("FRIENDGATE_REDIS_PASSWORD", {}).get("valueFrom", {}).get(
            "secretKeyRef", {}).get("name") == "fg-friendgate-redis",
            "defaults: FRIENDGATE_REDIS_PASSWORD from the Redis Secret")
        # The single-replica example: no Redis at all, one policy pod on the memory store.
        single = self.docs([os.path.join(self.chart, "ci", "single-replica-values.yaml")])
        self.expect(not [d for d in single if d["kind"] == "StatefulSet" or
                         "redis" in d["metadata"]["name"]],
                    "single-replica: no Redis objects")
        sp = [d for d in single if d["kind"] == "Deployment" and
              d["metadata"]["name"].endswith("-policy")][0]
        self.expect(sp["spec"]["replicas"] == 1 and not any(
            a.startswith("--store") for a in sp["spec"]["template"]["spec"]["containers"][0]
            ["args"]), "single-replica: one policy pod, memory store (no --store)")
        # Below Kubernetes 1.30 the preStop is exec /bin/sleep (no native sleep action).
        for dep in self.docs(kube_version="1.29.0"):
            if dep["kind"] != "Deployment":
                continue
            for c in dep["spec"]["template"]["spec"]["containers"]:
                pre = c.get("lifecycle", {}).get("preStop", {})
                self.expect(pre.get("exec", {}).get("command") == ["/bin/sleep", "5"]
                            and "sleep" not in pre, "1.29: %s preStop %s" % (c["name"], pre))
        # Overrides: an explicit affinity replaces the preset; "" turns it off.
        for dep in self.docs(sets=["gateway.podAntiAffinityPreset=",
                                   "gateway.zoneSpread.enabled=false",
                                   "policy.affinity.nodeAffinity.x=y"]):
            if dep["kind"] != "Deployment":
                continue
            pod = dep["spec"]["template"]["spec"]
            if dep["metadata"]["labels"]["app.kubernetes.io/component"] == "gateway":
                self.expect("affinity" not in pod and "topologySpreadConstraints" not in pod,
                            "preset '' and zoneSpread off: no affinity, no spread")
            else:
                self.expect(pod.get("affinity") == {"nodeAffinity": {"x": "y"}},
                            "an explicit affinity replaces the preset")
        print("defaults: %s" % sorted(got.items()))

    def full_values(self):
        docs = self.docs([self.full])
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "full")
        # The policy's HPA on the chart's Redis (the default store): its StatefulSet,
        # Secret and NetworkPolicy come along.
        for kind, n in {"HorizontalPodAutoscaler": 2, "Ingress": 1, "ServiceMonitor": 2,
                        "Secret": 2, "NetworkPolicy": 3, "PodDisruptionBudget": 2,
                        "PrometheusRule": 1, "ConfigMap": 3, "StatefulSet": 1}.items():
            self.expect(len(kinds.get(kind, [])) == n, "full: expected %d %s" % (n, kind))
        for dep in kinds["Deployment"]:
            self.expect("replicas" not in dep["spec"], "full: with an HPA, the Deployment "
                        "must not set replicas (helm upgrade would reset the HPA's choice)")
        for np in kinds["NetworkPolicy"]:
            self.expect("Egress" in np["spec"]["policyTypes"], "full: egress is restricted")
        print("full: %s" % sorted((k, len(v)) for k, v in kinds.items()))

    def commands(self):
        docs = self.docs([os.path.join(self.chart, "ci", "commands-values.yaml")])
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "commands")
        policy = [d for d in kinds["Deployment"] if d["metadata"]["name"].endswith("-policy")][0]
        pod = policy["spec"]["template"]["spec"]
        main = [c for c in pod["containers"] if c["name"] == "policy"][0]
        args = main["args"]
        mounts = {m["name"]: m["mountPath"] for m in main["volumeMounts"]}
        volumes = {v["name"]: v for v in pod["volumes"]}
        self.expect("--commands-config=/etc/friendgate/commands/commands.yaml" in args and
                    mounts.get("commands") == "/etc/friendgate/commands",
                    "commands: --commands-config on the commands ConfigMap mount")
        cm = [c for c in kinds["ConfigMap"] if c["metadata"]["name"].endswith("-commands")]
        self.expect(cm and "commands.yaml" in cm[0]["data"] and
                    cm[0]["data"].get("ca.crt", "").startswith("-----BEGIN CERTIFICATE-----"),
                    "commands: ConfigMap with commands.yaml and ca.crt")
        secrets = [s for s in kinds.get("Secret", []) if s["metadata"]["name"].endswith(
            "-policy-secrets")]
        self.expect(secrets and volumes.get("secrets", {}).get("secret", {}).get(
            "secretName") == secrets[0]["metadata"]["name"] and mounts.get("secrets") ==
            "/etc/friendgate/policy-secrets", "commands: the policy Secret is mounted")
        self.expect("--decision-log-salt-file=/etc/friendgate/policy-secrets/decision-log-salt"
                    in args, "commands: the salt file flag")
        env = {e["name"]: e for e in main.get("env", [])}
        self.expect(env.get("FRIENDGATE_OPENIM_SECRET", {}).get("valueFrom", {}).get(
            "secretKeyRef", {}).get("key") == "openim-secret", "commands: secretEnv")
        self.expect("--state-file=/var/lib/friendgate/state/state.txtpb" in args and
                    "persistentVolumeClaim" in volumes.get("state", {}) and
                    len(kinds.get("PersistentVolumeClaim", [])) == 1 and
                    policy["spec"]["strategy"]["type"] == "Recreate",
                    "commands: state file on a PVC, Recreate")
        self.expect([c["name"] for c in pod.get("initContainers", [])] == ["wait-for-dns"] and
                    [c["name"] for c in pod["containers"]] == ["policy", "log-shipper"] and
                    "scratch" in volumes and mounts.get("scratch"),
                    "commands: init container, sidecar, extra volume and mount")
        np = [n for n in kinds["NetworkPolicy"] if n["metadata"]["name"].endswith("-policy")][0]
        egress = np["spec"]["egress"]
        vendor = [r for r in egress if any("ipBlock" in t for t in r.get("to", []))]
        self.expect(vendor and [t["ipBlock"]["cidr"] for t in vendor[0]["to"]] ==
                    ["203.0.113.0/24", "2001:db8::/32"] and
                    [p["port"] for p in vendor[0]["ports"]] == [443, 10002],
                    "commands: egress to the vendors' CIDRs and ports")
        self.expect(len(egress) == 3, "commands: DNS, vendors, extraEgress (%d rules)"
                    % len(egress))
        # Commands off: the policy pods reach DNS only.
        for d in self.docs():
            if d["kind"] == "NetworkPolicy" and d["metadata"]["name"].endswith("-policy"):
                self.expect(len(d["spec"]["egress"]) == 1, "commands off: DNS egress only")
        # Commands on without CIDRs: any address, on the ports.
        for d in self.docs(sets=["policy.commands.enabled=true",
                                 "policy.commands.config.max_in_flight=8"]):
            if d["kind"] == "NetworkPolicy" and d["metadata"]["name"].endswith("-policy"):
                rule = d["spec"]["egress"][1]
                self.expect("to" not in rule and rule["ports"] == [{"port": 443,
                            "protocol": "TCP"}], "commands, no CIDRs: any address on 443")
        # Policy off: the gateway alone, its egress to the given target's port.
        docs = self.docs([os.path.join(self.chart, "ci", "policy-off-values.yaml")])
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "policy-off", expect_deployments=1)
        gw = kinds["Deployment"][0]["spec"]["template"]["spec"]["containers"][0]
        self.expect("--policy-target=dns:///my-policy.policy-team.svc.cluster.local:50051"
                    in gw["args"], "policy-off: --policy-target is gateway.policyTarget")
        self.expect(all(d["metadata"]["labels"].get("app.kubernetes.io/component") !=
                        "policy" for d in docs), "policy-off: no policy object")
        np = kinds["NetworkPolicy"][0]["spec"]
        to_policy = [r for r in np["egress"] if r.get("ports") == [{"port": 50051,
                                                                   "protocol": "TCP"}]]
        self.expect(to_policy and to_policy[0]["to"][0]["namespaceSelector"],
                    "policy-off: gateway egress to the policy target's port and peers")
        # Shared state, TLS and admin tokens (issues 15 and 17; off by default).
        docs = self.docs([os.path.join(self.chart, "ci", "shared-state-values.yaml")])
        kinds = {}
        for d in docs:
            kinds.setdefault(d["kind"], []).append(d)
        policy = [d for d in kinds["Deployment"] if d["metadata"]["name"].endswith("-policy")][0]
        main = policy["spec"]["template"]["spec"]["containers"][0]
        args = main["args"]
        self.expect("--store=redis://fg-friendgate-redis.friendgate.svc.cluster.local:6379/0"
                    in args and "--store-prefix=friendgate:" in args,
                    "shared-state: --store and --store-prefix")
        env = {e["name"]: e for e in main.get("env", [])}
        self.expect(env.get("FRIENDGATE_REDIS_PASSWORD", {}).get("valueFrom", {}).get(
            "secretKeyRef", {}).get("name") == "fg-friendgate-redis",
            "shared-state: FRIENDGATE_REDIS_PASSWORD from the Redis Secret")
        self.expect(all(a in args for a in ("--tls-cert-file=/etc/friendgate/tls/tls.crt",
                                            "--tls-key-file=/etc/friendgate/tls/tls.key",
                                            "--tls-client-ca-file=/etc/friendgate/tls/ca.crt",
                                            "--admin-tokens-file=/etc/friendgate/admin/tokens")),
                    "shared-state: TLS and admin token flags")
        self.expect("tcpSocket" in main["readinessProbe"], "shared-state: TLS -> tcpSocket probes")
        redis = kinds.get("StatefulSet", [])
        self.expect(len(redis) == 1 and "--appendonly" in redis[0]["spec"]["template"]["spec"]
                    ["containers"][0]["args"], "shared-state: a Redis StatefulSet with AOF")
        self.expect(any(n["metadata"]["name"] == "fg-friendgate-redis"
                        for n in kinds["NetworkPolicy"]), "shared-state: Redis NetworkPolicy")
        cm = [c for c in kinds["ConfigMap"] if "gateway.yaml" in c["data"]][0]
        tls = yaml.safe_load(cm["data"]["gateway.yaml"])["policy"].get("tls", {})
        self.expect(tls == {"ca_file": "/etc/friendgate/policy-tls/ca.crt",
                            "cert_file": "/etc/friendgate/policy-tls/tls.crt",
                            "key_file": "/etc/friendgate/policy-tls/tls.key",
                            "server_name": "friendgate-policy"},
                    "shared-state: the gateway config's policy.tls: %s" % tls)
        # Off by default: plaintext for local runs, the admin API open (with a warning and
        # friendgate_policy_admin_unauthenticated 1 beyond loopback).
        for d in self.docs():
            for c in d.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
                bad = [a for a in c.get("args", []) if a.split("=")[0] in (
                    "--tls-cert-file", "--tls-key-file", "--tls-client-ca-file",
                    "--admin-tokens-file")]
                self.expect(not bad, "defaults turn on TLS or admin tokens: %s" % bad)
        # HTTPS on the gateway itself (gateway.tls): the config's http.tls, the Secret
        # mounted where it points, probes over HTTPS.
        docs = self.docs(sets=["gateway.tls.enabled=true", "gateway.tls.existingSecret=gw-tls"])
        gw = [d for d in docs if d["kind"] == "Deployment"
              and d["metadata"]["name"].endswith("-gateway")][0]["spec"]["template"]["spec"]
        c = gw["containers"][0]
        self.expect(all(c[p]["httpGet"].get("scheme") == "HTTPS" for p in
                        ("startupProbe", "livenessProbe", "readinessProbe")),
                    "gateway.tls: probes over HTTPS")
        mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
        vols = {v["name"]: v for v in gw["volumes"]}
        self.expect(mounts.get("tls") == "/etc/friendgate/tls"
                    and vols.get("tls", {}).get("secret", {}).get("secretName") == "gw-tls",
                    "gateway.tls: the Secret mounted at /etc/friendgate/tls")
        cm = [d for d in docs if d["kind"] == "ConfigMap" and "gateway.yaml" in d["data"]][0]
        http = yaml.safe_load(cm["data"]["gateway.yaml"])["http"]
        self.expect(http.get("tls") == {"cert_file": "/etc/friendgate/tls/tls.crt",
                                        "key_file": "/etc/friendgate/tls/tls.key"},
                    "gateway.tls: the config's http.tls: %s" % http.get("tls"))
        print("commands: policy commands/secrets/CA/state/salt/extras render; policy-off "
              "renders the gateway alone; shared state and TLS render (TLS off by default); "
              "gateway.tls renders http.tls and HTTPS probes")

    # --- schema -------------------------------------------------------------------
    BAD = [
        # (why, --set values, text the error must contain)
        ("wrong type", ["gateway.replicaCount=two"], "replicaCount"),
        ("unknown top-level key", ["replicas=2"], "replicas"),
        ("unknown key in a component", ["gateway.replica=2"], "replica"),
        ("unknown key in the gateway config", ["gateway.config.http.worker_thread=8"],
         "worker_thread"),
        ("wrong type in the gateway config", ["gateway.config.http.io_threads=many"],
         "io_threads"),
        ("SdkAppid as a number", ["gateway.config.tencent.apps[0].sdk_app_id=1400000000"],
         "sdk_app_id"),
        ("unknown enum value", ["gateway.config.tencent.failure_mode.action=maybe"], "action"),
        ("unknown key in the rules", ["policy.rulesFile.rules[0].id=r",
                                      "policy.rulesFile.rules[0].blocklst.users[0]=u"], "blocklst"),
        ("bad log level", ["policy.logLevel=verbose"], "logLevel"),
        ("bad rulesReload", ["policy.rulesReload=sometimes"], "rulesReload"),
        ("port out of range", ["gateway.port=70000"], "port"),
        ("extraArgs not a flag", ["gateway.extraArgs[0]=rm"], "extraArgs"),
        ("bad image digest", ["gateway.image.digest=latest"], "digest"),
        ("bad readiness path", ["gateway.probes.readinessPath=/"], "readinessPath"),
        ("unknown key in the commands config", ["policy.commands.config.tencnet[0].x=1"],
         "tencnet"),
        ("bad anti-affinity preset", ["gateway.podAntiAffinityPreset=medium"],
         "podAntiAffinityPreset"),
        ("egress CIDR not a CIDR", ["policy.commands.egress.cidrs[0]=example.com"], "cidrs"),
    ]
    GUARDS = [
        ("existingSecret and data", ["secret.existingSecret=s", "secret.data.k=v"],
         "either existingSecret or data"),
        ("grace shorter than drain", ["gateway.terminationGracePeriodSeconds=5"],
         "must be longer than"),
        ("ingress without hosts", ["gateway.ingress.enabled=true"], "at least one host"),
        ("admin tokens from a missing policy.secret", ["policy.adminTokens.secretKey=t"],
         "names a key of policy.secret"),
        ("admin tokens from two places",
         ["policy.adminTokens.secretKey=t", "policy.adminTokens.existingSecret=s"],
         "either existingSecret or secretKey"),
        ("gateway TLS without a Secret", ["gateway.tls.enabled=true"],
         "gateway.tls.existingSecret is required"),
        ("policy ServiceMonitor without metrics", ["policy.serviceMonitor.enabled=true"],
         "needs policy.metrics.enabled"),
        ("policy off without a target", ["policy.enabled=false"], "gateway.policyTarget"),
        ("gateway ServiceMonitor without its metrics port",
         ["gateway.metrics.enabled=false", "gateway.serviceMonitor.enabled=true"],
         "needs gateway.metrics.enabled"),
        ("metrics_listen set by hand", ["gateway.config.http.metrics_listen=0.0.0.0:1"],
         "set by the chart"),
        ("a target with the chart's policy", ["gateway.policyTarget=dns:///x:1"],
         "only for policy.enabled=false"),
        ("commands without config", ["policy.commands.enabled=true"],
         "needs policy.commands.config"),
        ("state PVC with 2 replicas", ["policy.stateFile.enabled=true",
                                       "policy.stateFile.persistence.enabled=true"],
         "replicaCount=1"),
        ("salt without a policy Secret", ["policy.decisionLog.saltSecretKey=salt"],
         "names a key of policy.secret"),
        ("per-pod state refused", ["store.type=memory"], "store.type=memory"),
        ("per-pod state with an HPA", ["store.type=memory", "policy.replicaCount=1",
                                       "policy.autoscaling.enabled=true"], "store.type=memory"),
        ("redis store without a Redis", ["redis.enabled=false"], "needs redis.enabled"),
        ("policy TLS without a Secret", ["policy.tls.enabled=true"],
         "needs policy.tls.existingSecret"),
        ("policy existingSecret and data", ["policy.secret.existingSecret=s",
                                            "policy.secret.data.k=v"],
         "either existingSecret or data"),
        ("HPA min above max", ["gateway.autoscaling.enabled=true",
                               "gateway.autoscaling.minReplicas=5",
                               "gateway.autoscaling.maxReplicas=2"], "minReplicas"),
    ]

    def schema(self):
        for why, sets, needle in self.BAD + self.GUARDS:
            out = self.template(sets=sets, ok=False)
            refused = out.returncode != 0 and needle in out.stderr
            self.expect(refused, "schema/guard did not refuse %s (%s): rc=%d %s"
                        % (why, sets, out.returncode, out.stderr.strip()[:300]))
            lines = [l for l in out.stderr.splitlines() if needle in l] or ["(accepted!)"]
            print("refused %-40s %s" % (why + ":", lines[0].strip()[:160]))
        # Controls: the same keys with good values pass.
        for sets in (["gateway.replicaCount=3"], ["gateway.config.http.io_threads=3"],
                     ["string:gateway.config.tencent.apps[0].sdk_app_id=1400000000"],
                     ["gateway.config.tencent.failure_mode.action=deny"],
                     ["policy.rulesReload=watch"], ["gateway.extraArgs[0]=--log-level=debug"]):
            out = self.template(sets=sets, ok=False)
            self.expect(out.returncode == 0, "good values %s refused: %s" % (sets, out.stderr))
        # The lint of the full values (every key used) also passes the schema: see `lint`.

    # --- Kubernetes schema ----------------------------------------------------------
    def kube(self):
        items = []
        for name, files, version in VARIANTS:
            docs = self.docs([os.path.join(self.chart, "ci", f) for f in files],
                             kube_version=version)
            items += [{"source": name, "object": d} for d in docs]
        with open(os.path.join(self.source, "deploy", "k8s", "friendgate.yaml")) as f:
            items += [{"source": "deploy/k8s", "object": d} for d in yaml.safe_load_all(f) if d]
        validator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kube_validate.mjs")
        out = subprocess.run(["node", validator], input=json.dumps(items), capture_output=True,
                             text=True)
        print(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr)
        self.expect(out.returncode == 0, "Kubernetes schema validation failed:\n%s%s" % (
            "\n".join(l for l in out.stdout.splitlines() if not l.endswith(": ok")), out.stderr))
        # Control: the same validator refuses a broken Deployment (a gRPC probe port by
        # name and a preStop sleep that is not a number).
        broken = json.loads(json.dumps([i for i in items if i["object"]["kind"] ==
                                        "Deployment"][0]))
        c = broken["object"]["spec"]["template"]["spec"]["containers"][0]
        c["readinessProbe"] = {"grpc": {"port": "grpc"}}
        c["lifecycle"] = {"preStop": {"sleep": {"seconds": "five"}}}
        out = subprocess.run(["node", validator], input=json.dumps([broken]),
                             capture_output=True, text=True)
        self.expect(out.returncode == 1 and "must be integer" in out.stdout,
                    "the validator accepted a broken Deployment: %s%s" % (out.stdout, out.stderr))
        print("kube: %d objects in %d variants + deploy/k8s valid; a broken one refused"
              % (len(items), len(VARIANTS)))

    # --- schema parity with the binary ----------------------------------------------
    def gateway_refusal(self, config):
        """Runs friendgate-gateway with this config: its error text, or None if it starts."""
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "gateway.yaml")
            with open(path, "w") as f:
                yaml.safe_dump(config, f)
            p = subprocess.Popen([self.gateway, "--http-listen=127.0.0.1:0",
                                  "--policy-target=127.0.0.1:1", "--config=" + path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                 env={"PATH": "/usr/bin:/bin"})
            lines = []
            for line in p.stderr:  # ends at exit, or at the "listening" line
                lines.append(line)
                if '"listening"' in line:
                    p.send_signal(signal.SIGTERM)
                    p.communicate(timeout=30)
                    return None
            p.wait(timeout=30)
            return "".join(lines) if p.returncode != 0 else None

    def parity(self):
        with open(os.path.join(self.chart, "values.yaml")) as f:
            default = yaml.safe_load(f)["gateway"]["config"]
        self.expect(self.gateway_refusal(default) is None,
                    "control: the binary refuses the chart's default gateway.config")
        def one_row(row):
            why, change, _, _ = row
            sets = ["gateway.config.%s=%s" % (k, json.dumps(v)) for k, v in change.items()]
            out = self.run(["template", "fg", self.chart, "--namespace", NAMESPACE] +
                           [a for s in sets for a in ("--set-json", s)])
            return sets, out, self.gateway_refusal(dict(default, **change))

        # Three at a time: each row is one helm process and one gateway start.
        with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
            results = list(pool.map(one_row, PARITY))
        for (why, change, chart_needle, binary_needle), (sets, out, binary) in zip(PARITY,
                                                                                    results):
            chart_ok = out.returncode != 0 and chart_needle in out.stderr
            binary_ok = binary is not None and binary_needle in binary
            self.expect(chart_ok, "chart did not refuse %s (%s): rc=%d %s"
                        % (why, sets, out.returncode, out.stderr.strip()[-300:]))
            self.expect(binary_ok, "the binary did not refuse %s the expected way: %s"
                        % (why, (binary or "(started)").strip()[-300:]))
            chart_line = ([l for l in out.stderr.splitlines() if chart_needle in l] or ["-"])[0]
            print("%-45s chart: %s" % (why, chart_line.strip()[-110:]))
            print("%-45s binary: %s" % ("", (binary or "(started!)").strip().splitlines()[-1][-110:]))

    # --- release path ---------------------------------------------------------------
    def release(self):
        validator = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kube-validate",
                                 "node_modules", ".bin", "action-validator")
        workflow = os.path.join(self.source, ".github", "workflows", "release.yaml")
        out = subprocess.run([validator, workflow], capture_output=True, text=True)
        self.expect(out.returncode == 0, "action-validator refused %s:\n%s%s"
                    % (workflow, out.stdout, out.stderr))
        with open(workflow) as f:
            text = f.read()
        # Control: the validator refuses a job without runs-on.
        with tempfile.TemporaryDirectory() as tmp:
            broken = os.path.join(tmp, "broken.yaml")
            with open(broken, "w") as f:
                f.write(text.replace("runs-on:", "runs_on:", 1))
            bad = subprocess.run([validator, broken], capture_output=True, text=True)
            self.expect(bad.returncode != 0, "action-validator accepted a job without runs-on")
        flow = yaml.safe_load(text)
        steps = [s for job in flow["jobs"].values() for s in job["steps"]]
        build = [s for s in steps if s.get("uses", "").startswith("docker/build-push-action")]
        self.expect(build and "linux/amd64,linux/arm64" in build[0]["with"]["platforms"] and
                    build[0]["with"].get("labels") and build[0]["with"].get("annotations"),
                    "release: images for amd64 and arm64 with OCI labels and annotations")
        self.expect("helm push" in text and "oci://" in text,
                    "release: the chart is pushed as an OCI artifact")
        with open(os.path.join(self.chart, "Chart.yaml")) as f:
            chart = yaml.safe_load(f)
        for key in ("home", "sources", "icon", "maintainers"):
            self.expect(chart.get(key), "Chart.yaml has no %s" % key)
        print("release: workflow valid (action-validator), a broken one refused; Chart.yaml "
              "has home/sources/icon/maintainers")

    # --- rolls --------------------------------------------------------------------
    def annotations(self, component, sets):
        for d in self.docs(sets=sets):
            labels = d["metadata"].get("labels", {})
            if d["kind"] == "Deployment" and labels.get("app.kubernetes.io/component") == component:
                return d["spec"]["template"]["metadata"].get("annotations") or {}
        raise SystemExit("no %s Deployment" % component)

    def rolls(self):
        base_g = self.annotations("gateway", [])
        changed_g = self.annotations("gateway", ["gateway.config.http.io_threads=3"])
        self.expect(base_g.get("checksum/config") and
                    base_g["checksum/config"] != changed_g.get("checksum/config"),
                    "a gateway config change must change checksum/config")
        secret_a = self.annotations("gateway", ["secret.data.k=a"])
        secret_b = self.annotations("gateway", ["secret.data.k=b"])
        self.expect(secret_a.get("checksum/secret") and
                    secret_a["checksum/secret"] != secret_b.get("checksum/secret"),
                    "a chart-made Secret change must change checksum/secret")
        rule = ["policy.rulesFile.rules[0].id=r", "policy.rulesFile.rules[0].blocklist.users[0]=u"]
        base_p = self.annotations("policy", [])
        changed_p = self.annotations("policy", rule)
        self.expect(base_p.get("checksum/rules") and
                    base_p["checksum/rules"] != changed_p.get("checksum/rules"),
                    "rulesReload=roll: a rules change must change checksum/rules")
        watch_a = self.annotations("policy", ["policy.rulesReload=watch"])
        watch_b = self.annotations("policy", ["policy.rulesReload=watch"] + rule)
        self.expect(watch_a == watch_b and "checksum/rules" not in watch_a,
                    "rulesReload=watch: a rules change must not roll the policy pods")
        print("rolls: gateway config/secret and policy rules (roll) change the pod "
              "template; rules (watch) do not")

    # --- generated files ----------------------------------------------------------
    def generated(self):
        env = dict(os.environ, HELM=self.helm)
        out = subprocess.run([os.path.join(self.source, "deploy", "scripts", "generate"),
                              "--check"], capture_output=True, text=True, env=env)
        print(out.stdout.strip())
        self.expect(out.returncode == 0, "generated files are stale:\n%s%s"
                    % (out.stdout, out.stderr))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helm", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--gateway", help="the built friendgate-gateway (for parity)")
    ap.add_argument("check", choices=["lint", "defaults", "full", "commands", "kube", "schema",
                                      "parity", "release", "rolls", "generated"])
    args = ap.parse_args()
    if args.check == "parity" and not args.gateway:
        ap.error("parity needs --gateway")
    c = Checker(args.helm, args.source_dir, args.gateway)
    {"lint": c.lint, "defaults": c.defaults, "full": c.full_values, "commands": c.commands,
     "kube": c.kube, "parity": c.parity, "release": c.release,
     "schema": c.schema,
     "rolls": c.rolls, "generated": c.generated}[args.check]()
    for f in c.failures:
        print("FAIL: " + f)
    print("%s: %s" % (args.check, "FAILED" if c.failures else "ok"))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
