#!/usr/bin/env python3
"""Checks deploy/monitoring/ (alerting rules, their unit tests, the Grafana dashboard):

  * `promtool check rules` and `promtool test rules` pass (Debian's prometheus package);
  * every alert has a unit test where it fires and one where it stays quiet;
  * the chart's PrometheusRule (prometheusRule.enabled) holds exactly the rules file's
    groups, and its dashboard ConfigMap (grafanaDashboard.enabled) exactly dashboard.json,
    labelled grafana_dashboard;
  * every metric name in the rules and in the dashboard's queries exists in a real scrape
    of the running binaries (friendgate-policy --metrics-listen, friendgate-gateway
    /metrics) after a few callbacks; and a made-up name is reported missing.

Usage: monitoring_checks.py --helm HELM --source-dir DIR --gateway BIN --policy BIN
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import yaml

DEADLINE_S = 20.0
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contract_test import Proc  # noqa: E402  (the real binaries as local processes)


def start(argv, env):
    proc = Proc(os.path.basename(argv[0]), argv, env)
    return proc, proc.wait_listening()


def get(url, body=None):
    req = urllib.request.Request(url, data=body, method="POST" if body else "GET",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def exposed_names(text):
    """Metric family names (# TYPE lines) and sample names of a Prometheus text scrape."""
    names = set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{ ]", line, 1)[0])
    return names


def referenced_names(expressions):
    return {m for e in expressions for m in re.findall(r"\b(friendgate_[a-z0-9_]+)", e)}


def missing(referenced, exposed):
    out = []
    for name in sorted(referenced):
        family = name
        for suffix in HISTOGRAM_SUFFIXES:
            if name.endswith(suffix):
                family = name[:-len(suffix)]
        if name not in exposed and family not in exposed:
            out.append(name)
    return out


def scrape(gateway, policy, source):
    """Starts both binaries with the example configs, sends callbacks, returns the scrapes."""
    env = {"PATH": "/usr/bin:/bin"}
    pol, rec = start([policy, "--grpc-listen=127.0.0.1:0", "--metrics-listen=127.0.0.1:0",
                      "--rules=" + os.path.join(source, "examples", "rules.yaml")], env)
    gw = None
    try:
        gw, grec = start([gateway, "--http-listen=127.0.0.1:0", "--policy-target=" + rec["grpc"],
                          "--config=" + os.path.join(source, "examples", "gateway.yaml")],
                         dict(env, FRIENDGATE_TENCENT_TOKEN_1400000001="monitoring-check-token"))
        base = "http://" + grec["http"]
        # Wait until the gateway reaches the policy service, then make some traffic.
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            try:
                get(base + "/readyz")
                break
            except Exception:
                time.sleep(0.1)
        for user in ("alice", "blocked_user"):
            get(base + "/openim/callbackBeforeAddFriendCommand", json.dumps({
                "callbackCommand": "callbackBeforeAddFriendCommand", "fromUserID": user,
                "toUserID": "bob", "reqMsg": "hi"}).encode())
        policy_text = get("http://%s/metrics" % rec["metrics"])
        # Then the policy service goes away: the next callback is a fallback (counted).
        pol.stop(30)
        get(base + "/openim/callbackBeforeAddFriendCommand", json.dumps({
            "callbackCommand": "callbackBeforeAddFriendCommand", "fromUserID": "carol",
            "toUserID": "bob", "reqMsg": "hi"}).encode())
        metrics_base = base
        if grec.get("metrics"):  # http.metrics_listen: /metrics on its own port
            metrics_base = "http://" + grec["metrics"]
        return get(metrics_base + "/metrics"), policy_text
    finally:
        if gw:
            gw.stop(30)
        pol.stop(30)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--helm", required=True)
    ap.add_argument("--source-dir", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--policy", required=True)
    args = ap.parse_args()
    mon = os.path.join(args.source_dir, "deploy", "monitoring")
    chart = os.path.join(args.source_dir, "deploy", "helm", "friendgate")
    failures = []

    def expect(cond, message):
        if not cond:
            failures.append(message)

    for cmd in (["promtool", "check", "rules", "friendgate-rules.yaml"],
                ["promtool", "test", "rules", "friendgate-rules.test.yaml"]):
        started = time.monotonic()
        out = subprocess.run(cmd, cwd=mon, capture_output=True, text=True)
        print("%s: rc=%d in %.1f s" % (" ".join(cmd), out.returncode, time.monotonic() - started))
        expect(out.returncode == 0, "%s failed:\n%s%s" % (" ".join(cmd), out.stdout, out.stderr))

    with open(os.path.join(mon, "friendgate-rules.yaml")) as f:
        rules = yaml.safe_load(f)
    with open(os.path.join(mon, "friendgate-rules.test.yaml")) as f:
        tests = yaml.safe_load(f)
    alerts = [r["alert"] for g in rules["groups"] for r in g["rules"] if "alert" in r]
    fires, quiet = set(), set()
    for t in tests["tests"]:
        for a in t.get("alert_rule_test", []):
            (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
    for a in alerts:
        expect(a in fires, "alert %s has no unit test where it fires" % a)
        expect(a in quiet, "alert %s has no unit test where it stays quiet" % a)
    print("alerts: %d, each with a firing and a quiet unit test" % len(alerts))

    out = subprocess.run([args.helm, "template", "fg", chart, "--namespace", "friendgate",
                          "--set", "prometheusRule.enabled=true",
                          "--set", "grafanaDashboard.enabled=true"],
                         capture_output=True, text=True)
    expect(out.returncode == 0, "helm template failed: %s" % out.stderr)
    docs = [d for d in yaml.safe_load_all(out.stdout) if d]
    pr = [d for d in docs if d["kind"] == "PrometheusRule"]
    expect(len(pr) == 1 and pr[0]["spec"] == {"groups": rules["groups"]},
           "the chart's PrometheusRule differs from deploy/monitoring/friendgate-rules.yaml")
    with open(os.path.join(mon, "dashboard.json")) as f:
        dashboard = json.load(f)
    cms = [d for d in docs if d["kind"] == "ConfigMap" and
           d["metadata"]["labels"].get("grafana_dashboard")]
    expect(len(cms) == 1 and json.loads(cms[0]["data"]["friendgate.json"]) == dashboard,
           "the chart's dashboard ConfigMap differs from deploy/monitoring/dashboard.json")

    expressions = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    expressions += [t["expr"] for p in panels for t in p.get("targets", [])]
    expressions += [v["definition"] for v in dashboard["templating"]["list"] if "definition" in v]
    referenced = referenced_names(expressions)
    gateway_text, policy_text = scrape(args.gateway, args.policy, args.source_dir)
    exposed = exposed_names(gateway_text) | exposed_names(policy_text)
    gone = missing(referenced, exposed)
    expect(not gone, "metrics used by the rules or the dashboard that no binary exposes: %s"
           % gone)
    expect(missing({"friendgate_no_such_metric_total"}, exposed) ==
           ["friendgate_no_such_metric_total"], "control: a made-up metric was found")
    print("metrics: %d names in %d rule and %d dashboard queries, all in a real scrape: %s"
          % (len(referenced), len(rules["groups"][0]["rules"]) + len(rules["groups"][1]["rules"]),
             sum(len(p.get("targets", [])) for p in panels), ", ".join(sorted(referenced))))
    for f in failures:
        print("FAIL: " + f)
    print("monitoring: %s" % ("FAILED" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
