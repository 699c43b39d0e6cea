// Runs every PromQL expression of the Grafana dashboard, the prometheus-adapter rules and the KEDA
// trigger against a real Prometheus (HTTP API) and requires each to return series.
// Usage: node promql-check.mjs NODE_MODULES PROM_URL DASHBOARD.json ADAPTER_RULES.yaml SCALEDOBJECT.yaml
// The scraped target carries namespace/pod labels as in a cluster (POD_NAMESPACE, POD_NAME).
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [modules, prom, dashboardFile, rulesFile, kedaFile] = process.argv.slice(2);
const yaml = createRequire(path.join(modules, "x.js"))("js-yaml");
const ns = process.env.POD_NAMESPACE, pod = process.env.POD_NAME;

const exprs = [];
for (const p of JSON.parse(readFileSync(dashboardFile, "utf8")).panels) {
  for (const t of p.targets) exprs.push([`dashboard "${p.title}" ${t.refId}`, t.expr]);
}
const series = [];
for (const [i, r] of yaml.load(readFileSync(rulesFile, "utf8")).rules.entries()) {
  series.push([`adapter rule ${i} seriesQuery`, r.seriesQuery]);
  // As the adapter fills the template for one pod of the HPA's namespace.
  const q = r.metricsQuery
    .replaceAll("<<.LabelMatchers>>", `namespace="${ns}",pod="${pod}"`)
    .replaceAll("<<.GroupBy>>", "namespace,pod");
  exprs.push([`adapter rule ${i} (${r.name.as})`, q]);
}
for (const t of yaml.load(readFileSync(kedaFile, "utf8")).spec.triggers) {
  exprs.push([`KEDA trigger ${t.type}`, t.metadata.query]);
}

const failures = [];
async function api(what, url) {
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${what}: ${body.error ?? res.status}`);
  return body.data;
}
for (const [what, q] of series) {
  const data = await api(what, `${prom}/api/v1/series?match[]=${encodeURIComponent(q)}`);
  if (!data.length) failures.push(`${what} matches no series: ${q}`);
}
for (const [what, q] of exprs) {
  try {
    const data = await api(what, `${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
    const values = data.result.map((r) => r.value[1]);
    if (!values.length) failures.push(`${what} returns no series: ${q}`);
    else if (process.env.VERBOSE) console.log(`    ${what}: ${values.join(", ")}`);
  } catch (e) {
    failures.push(`${e.message} (${q})`);
  }
}
if (failures.length) {
  console.error(failures.map((f) => "  FAIL " + f).join("\n"));
  process.exit(1);
}
console.log(`  prometheus: ${exprs.length + series.length} expressions return series (${exprs.length} queries, ${series.length} series matches)`);
