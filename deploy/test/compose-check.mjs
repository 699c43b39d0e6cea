// Checks that the Compose stack's parts line up (no Docker here to start it): the Dockerfiles and
// mounted files exist, Prometheus scrapes Parley's service and port, Grafana's data source points
// at the Prometheus service and the dashboard uses that data source, the GPU override reserves an
// NVIDIA device. Usage: node compose-check.mjs NODE_MODULES deploy/compose
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

const [modules, dir] = process.argv.slice(2);
const yaml = createRequire(path.join(modules, "x.js"))("js-yaml");
const load = (f) => yaml.load(readFileSync(path.join(dir, f), "utf8"));
const problems = [];
const check = (ok, what) => ok || problems.push(what);

const compose = load("compose.yaml");
const gpu = load("compose.gpu.yaml");
const parley = compose.services.parley;
const context = path.join(dir, parley.build.context);
check(existsSync(path.join(context, parley.build.dockerfile)), `no ${parley.build.dockerfile}`);
check(existsSync(path.join(context, gpu.services.parley.build.dockerfile)), `no ${gpu.services.parley.build.dockerfile}`);
check(parley.ports.includes("8998:8998") && parley.ports.includes("9998:9998"), "Parley's ports are not published");
check(parley.volumes.some((v) => v.endsWith(":/models")), "no volume for the model cache /models");
check(parseInt(parley.stop_grace_period) > Number(parley.environment.PARLEY_DRAIN_SECONDS), "stop_grace_period is not above the drain");
for (const s of ["prometheus", "grafana"]) {
  for (const v of compose.services[s].volumes) {
    const host = v.split(":")[0];
    check(existsSync(path.join(dir, host)), `${s} mounts ${host}, which is missing`);
  }
}
const targets = load("prometheus.yml").scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets));
check(targets.includes("parley:8998"), `Prometheus scrapes ${targets}, not parley:8998`);
const ds = load("grafana/provisioning/datasources/prometheus.yaml").datasources[0];
check(ds.url === "http://prometheus:9090" && compose.services.prometheus.ports.some((p) => p.endsWith(":9090")), `Grafana's data source is ${ds.url}`);
const board = JSON.parse(readFileSync(path.join(dir, "grafana/dashboards/parley.json"), "utf8"));
for (const p of board.panels) {
  check(p.datasource.uid === ds.uid && p.targets.every((t) => t.datasource.uid === ds.uid), `panel "${p.title}" does not use data source ${ds.uid}`);
}
const provider = load("grafana/provisioning/dashboards/parley.yaml").providers[0];
check(compose.services.grafana.volumes.some((v) => v.endsWith(":" + provider.options.path + ":ro")), `Grafana's dashboard folder ${provider.options.path} is not mounted`);
const devices = gpu.services.parley.deploy?.resources?.reservations?.devices ?? [];
check(devices.some((d) => d.driver === "nvidia" && d.capabilities.includes("gpu")), "the GPU override reserves no NVIDIA device");
check(gpu.services.parley.command.includes("cuda"), "the GPU override does not serve on cuda");
if (problems.length) {
  console.error(problems.map((p) => "  FAIL " + p).join("\n"));
  process.exit(1);
}
console.log(`  compose: ${board.panels.length} panels, parts line up`);
