// Validates Kubernetes objects against the OpenAPI schema that npm `kubernetes-models`
// was generated from (4.5.1: Kubernetes v1.33.0), and Prometheus Operator objects with
// `@kubernetes-models/prometheus-operator`. Both pinned by ./kube-validate/package-lock.json.
//
// Input (stdin): a JSON array of {"source": "...", "object": {...}}.
// Output: one line per object ("ok" or the schema errors); exit 1 if any is invalid or
// of a kind no model covers (an unknown kind is an error, not a pass).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "kube-validate", "package.json"));

function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const candidates = group === "monitoring.coreos.com"
    ? [`@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`]
    : [group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`];
  for (const name of candidates) {
    try {
      const mod = require(name);
      if (mod[kind]) return mod[kind];
    } catch (e) {
      if (e.code !== "MODULE_NOT_FOUND") throw e;
    }
  }
  return null;
}

const items = JSON.parse(readFileSync(0, "utf8"));
let bad = 0;
for (const { source, object } of items) {
  const what = `${source}: ${object.kind}/${object.metadata?.name}`;
  const Model = modelFor(object.apiVersion ?? "", object.kind ?? "");
  if (!Model) {
    console.log(`${what}: no model for ${object.apiVersion} ${object.kind}`);
    bad++;
    continue;
  }
  try {
    new Model(object).validate();
    console.log(`${what}: ok`);
  } catch (e) {
    const details = (e.errors ?? []).map((x) => `${x.instancePath} ${x.message}`).join("; ");
    console.log(`${what}: INVALID ${e.message}${details ? " (" + details + ")" : ""}`);
    bad++;
  }
}
console.log(`${items.length - bad} valid, ${bad} invalid`);
process.exit(bad ? 1 : 0);
