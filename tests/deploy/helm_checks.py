#!/usr/bin/env python3
"""Offline checks of the Helm chart (no cluster needed). One check per ctest test:

  lint      helm lint --strict, with the defaults and with ci/full-values.yaml
  defaults  helm template with the defaults: the objects and their production defaults
  full      helm template with every optional feature on (ci/full-values.yaml)
  schema    values.schema.json and the chart's own guards refuse bad values, each with
            its reason, while the good values pass
  rolls     the checksum annotations: a gateway config change rolls the gateway, a
            rules change rolls the policy pods (rulesReload=roll) or not (watch)
  generated deploy/k8s/friendgate.yaml and the generated part of values.schema.json are
            up to date (deploy/scripts/generate --check)

Usage: helm_checks.py --helm HELM --source-dir DIR CHECK
"""
import argparse
import base64
import os
import subprocess
import sys

import yaml

NAMESPACE = "friendgate"


class Checker:
    def __init__(self, helm, source_dir):
        self.helm = helm
        self.source = source_dir
        self.chart = os.path.join(source_dir, "deploy", "helm", "friendgate")
        self.full = os.path.join(self.chart, "ci", "full-values.yaml")
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)

    def run(self, args):
        return subprocess.run([self.helm] + args, capture_output=True, text=True)

    def template(self, values=(), sets=(), ok=True):
        args = ["template", "fg", self.chart, "--namespace", NAMESPACE]
        for v in values:
            args += ["--values", v]
        for s in sets:
            args += ["--set", s]
        out = self.run(args)
        if ok and out.returncode != 0:
            raise SystemExit("helm %s failed:\n%s" % (" ".join(args), out.stderr))
        return out

    def docs(self, values=(), sets=()):
        return [d for d in yaml.safe_load_all(self.template(values, sets).stdout) if d]

    # --- lint ---------------------------------------------------------------------
    def lint(self):
        for extra in ([], ["--values", self.full]):
            out = self.run(["lint", "--strict", self.chart] + extra)
            print(out.stdout.strip())
            self.expect(out.returncode == 0, "helm lint --strict %s failed:\n%s%s"
                        % (" ".join(extra), out.stdout, out.stderr))
            self.expect("[WARNING]" not in out.stdout and "[ERROR]" not in out.stdout,
                        "helm lint reported warnings: %s" % out.stdout)

    # --- rendering ----------------------------------------------------------------
    def common_checks(self, docs, what):
        kinds = {}
        for d in docs:
            self.expect(d.get("apiVersion") and d.get("kind") and d["metadata"].get("name"),
                        "%s: an object without apiVersion/kind/name: %s" % (what, d))
            kinds.setdefault(d["kind"], []).append(d)
            if d["kind"] != "Pod":
                self.expect(d["metadata"].get("namespace") == NAMESPACE,
                            "%s: %s/%s has no namespace" % (what, d["kind"], d["metadata"]["name"]))
        deployments = kinds.get("Deployment", [])
        self.expect(len(deployments) == 2, "%s: expected 2 Deployments" % what)
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
        self.expect(spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0,
                    "%s: a rollout must not go below the PDB (maxUnavailable 0)" % where)
        self.expect(pod.get("automountServiceAccountToken") is False,
                    "%s: automountServiceAccountToken must be false" % where)
        psc = pod.get("securityContext", {})
        self.expect(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get(
            "type") == "RuntimeDefault", "%s: pod securityContext defaults missing" % where)
        for c in pod["containers"]:
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
            sleep = c.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            grace = pod["terminationGracePeriodSeconds"]
            self.expect(grace * 1000 > drain_ms + sleep * 1000,
                        "%s: terminationGracePeriodSeconds %d <= preStop %d s + drain %d ms"
                        % (where, grace, sleep, drain_ms))

    def set_gateway_drain(self, docs):
        for d in docs:
            if d["kind"] == "ConfigMap" and "gateway.yaml" in d.get("data", {}):
                config = yaml.safe_load(d["data"]["gateway.yaml"]) or {}
                self.gateway_drain_ms = (config.get("http") or {}).get("drain_timeout_ms") or 10000

    def defaults(self):
        docs = self.docs()
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "defaults")
        want = {"ConfigMap": 2, "Deployment": 2, "Service": 3, "PodDisruptionBudget": 2,
                "NetworkPolicy": 2, "ServiceAccount": 1, "Pod": 1}
        got = {k: len(v) for k, v in kinds.items()}
        self.expect(got == want, "defaults: objects %s, expected %s" % (got, want))
        for dep in kinds["Deployment"]:
            self.expect("replicas" in dep["spec"], "defaults: without HPA, replicas is set")
        print("defaults: %s" % sorted(got.items()))

    def full_values(self):
        docs = self.docs([self.full])
        self.set_gateway_drain(docs)
        kinds = self.common_checks(docs, "full")
        for kind, n in {"HorizontalPodAutoscaler": 2, "Ingress": 1, "ServiceMonitor": 2,
                        "Secret": 1, "NetworkPolicy": 2, "PodDisruptionBudget": 2}.items():
            self.expect(len(kinds.get(kind, [])) == n, "full: expected %d %s" % (n, kind))
        for dep in kinds["Deployment"]:
            self.expect("replicas" not in dep["spec"], "full: with an HPA, the Deployment "
                        "must not set replicas (helm upgrade would reset the HPA's choice)")
        for np in kinds["NetworkPolicy"]:
            self.expect("Egress" in np["spec"]["policyTypes"], "full: egress is restricted")
        print("full: %s" % sorted((k, len(v)) for k, v in kinds.items()))

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
    ]
    GUARDS = [
        ("existingSecret and data", ["secret.existingSecret=s", "secret.data.k=v"],
         "either existingSecret or data"),
        ("grace shorter than drain", ["gateway.terminationGracePeriodSeconds=5"],
         "must be longer than"),
        ("ingress without hosts", ["gateway.ingress.enabled=true"], "at least one host"),
        ("policy ServiceMonitor without metrics", ["policy.serviceMonitor.enabled=true"],
         "needs policy.metrics.enabled"),
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
                     ['gateway.config.tencent.apps[0].sdk_app_id="1400000000"'],
                     ["gateway.config.tencent.failure_mode.action=deny"],
                     ["policy.rulesReload=watch"], ["gateway.extraArgs[0]=--log-level=debug"]):
            out = self.template(sets=sets, ok=False)
            self.expect(out.returncode == 0, "good values %s refused: %s" % (sets, out.stderr))
        # The lint of the full values (every key used) also passes the schema: see `lint`.

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
    ap.add_argument("check", choices=["lint", "defaults", "full", "schema", "rolls", "generated"])
    args = ap.parse_args()
    c = Checker(args.helm, args.source_dir)
    {"lint": c.lint, "defaults": c.defaults, "full": c.full_values, "schema": c.schema,
     "rolls": c.rolls, "generated": c.generated}[args.check]()
    for f in c.failures:
        print("FAIL: " + f)
    print("%s: %s" % (args.check, "FAILED" if c.failures else "ok"))
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
