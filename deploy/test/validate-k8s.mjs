// Validates rendered Kubernetes objects against their schemas (kubernetes-models and its KEDA and
// Prometheus Operator packages), then checks what must line up between the manifests and the
// server. Usage: node validate-k8s.mjs NODE_MODULES_DIR RENDERED.yaml... ; exit 1 on any problem.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [modules, ...files] = process.argv.slice(2);
const require = createRequire(path.join(modules, "x.js"));
const yaml = require("js-yaml");
const problems = [];
let checks = 0;
const check = (ok, what) => {
  checks++;
  if (!ok) problems.push(what);
};

// apiVersion -> the npm package that models it ("" = kubernetes-models itself).
const packages = { "keda.sh": "@kubernetes-models/keda", "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };

async function modelOf(obj) {
  const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : ["", obj.apiVersion];
  const pkg = packages[group] ?? "kubernetes-models";
  const dir = packages[group] ? `${group}/${version}` : group === "" ? version : `${group}/${version}`;
  // The packages export ESM only: import the model's file by its path.
  return (await import(path.join(path.resolve(modules), pkg, dir, `${obj.kind}.js`)))[obj.kind];
}

const all = {};
for (const f of files) {
  const objs = yaml.loadAll(readFileSync(f, "utf8")).filter(Boolean);
  all[f] = objs;
  for (const obj of objs) {
    const name = `${path.basename(f)}: ${obj.kind}/${obj.metadata?.name}`;
    try {
      const Model = await modelOf(obj);
      new Model(obj).validate();
      checks++;
    } catch (e) {
      problems.push(`${name} does not validate: ${e.message}`);
    }
  }
}

// What must line up (facts of the server: ports 8998/9998, /healthz, /readyz, the drain time).
const serverHttpPort = 8998, serverGrpcPort = 9998;
const adapter = yaml.load(readFileSync(process.env.ADAPTER_RULES, "utf8"));
const adapterMetrics = adapter.rules.map((r) => r.name.as);
for (const [f, objs] of Object.entries(all)) {
  const deploy = objs.find((o) => o.kind === "Deployment");
  if (!deploy) continue;
  const tag = path.basename(f);
  const pod = deploy.spec.template.spec;
  const c = pod.containers[0];
  const ports = Object.fromEntries(c.ports.map((p) => [p.name, p.containerPort]));
  check(ports.http === serverHttpPort && ports.grpc === serverGrpcPort, `${tag}: container ports ${JSON.stringify(ports)}`);
  const portOf = (probe) => (typeof probe.httpGet.port === "string" ? ports[probe.httpGet.port] : probe.httpGet.port);
  check(c.readinessProbe?.httpGet?.path === "/readyz" && portOf(c.readinessProbe) === serverHttpPort, `${tag}: readiness probe is not /readyz on ${serverHttpPort}`);
  check(c.livenessProbe?.httpGet?.path === "/healthz" && portOf(c.livenessProbe) === serverHttpPort, `${tag}: liveness probe is not /healthz on ${serverHttpPort}`);
  const drain = Number((c.env ?? []).find((e) => e.name === "PARLEY_DRAIN_SECONDS")?.value ?? 30);
  check(pod.terminationGracePeriodSeconds > drain + 5, `${tag}: terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} is not above the drain (${drain} s) and the close`);
  check(pod.securityContext?.runAsNonRoot === true, `${tag}: pods must run as non-root`);
  for (const s of objs.filter((o) => o.kind === "Service")) {
    for (const p of s.spec.ports) {
      check(ports[p.targetPort] !== undefined || Object.values(ports).includes(p.targetPort), `${tag}: Service ${s.metadata.name} port ${p.name} targets ${p.targetPort}, not a container port`);
    }
    const sel = s.spec.selector, labels = deploy.spec.template.metadata.labels;
    check(Object.entries(sel).every(([k, v]) => labels[k] === v), `${tag}: Service ${s.metadata.name} selects no pod`);
  }
  check(objs.some((o) => o.kind === "Service" && o.spec.clusterIP === "None"), `${tag}: no headless Service for client-side gRPC balancing`);
  const hpa = objs.find((o) => o.kind === "HorizontalPodAutoscaler");
  check(hpa, `${tag}: no HPA`);
  if (hpa) {
    check(hpa.spec.scaleTargetRef.name === deploy.metadata.name, `${tag}: the HPA scales ${hpa.spec.scaleTargetRef.name}`);
    for (const m of hpa.spec.metrics) {
      check(m.type === "Pods" && adapterMetrics.includes(m.pods.metric.name), `${tag}: the HPA asks for ${m.pods?.metric?.name}, the adapter serves ${adapterMetrics}`);
    }
    check((hpa.spec.behavior?.scaleDown?.stabilizationWindowSeconds ?? 0) >= 300, `${tag}: scale-down is not stabilised`);
  }
  const pdb = objs.find((o) => o.kind === "PodDisruptionBudget");
  check(pdb && Object.entries(pdb.spec.selector.matchLabels).every(([k, v]) => deploy.spec.template.metadata.labels[k] === v), `${tag}: the PodDisruptionBudget selects no pod`);
  const sm = objs.find((o) => o.kind === "ServiceMonitor");
  check(sm && sm.spec.endpoints.some((e) => e.path === "/metrics" && e.port === "http"), `${tag}: the ServiceMonitor does not scrape /metrics on the http port`);
  if (tag.includes("gpu")) {
    check(c.resources?.limits?.["nvidia.com/gpu"] >= 1, `${tag}: no nvidia.com/gpu limit`);
    check(c.image.endsWith(":cuda") && c.args.includes("cuda"), `${tag}: the gpu overlay does not run the CUDA image on cuda`);
  }
}

if (problems.length) {
  console.error(problems.map((p) => "  FAIL " + p).join("\n"));
  process.exit(1);
}
console.log(`  kubernetes: ${checks} checks passed on ${files.map((f) => path.basename(f)).join(", ")}`);
