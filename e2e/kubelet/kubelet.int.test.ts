import {
  AppsV1Api,
  AuthenticationV1Api,
  CoordinationV1Api,
  PatchStrategy,
  RbacAuthorizationV1Api,
  setHeaderOptions,
  type V1Pod,
} from "@kubernetes/client-node";
import { execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, inject, test } from "vitest";
import { renderBrokerConfigMap } from "../../operator/render/broker-configmap.ts";
import { renderBrokerStatefulSet } from "../../operator/render/broker-statefulset.ts";
import { renderMembershipConfigMap } from "../../operator/render/membership-configmap.ts";
import { renderRoleBinding } from "../../operator/render/role-binding.ts";
import { renderRole } from "../../operator/render/role.ts";
import { renderServiceAccount } from "../../operator/render/service-account.ts";
import { brokerFixture, contextFixture } from "../../operator/test/fixtures.ts";
import { membershipFor } from "../../operator/controller/membership.ts";
import type { MessageBroker, MessageBrokerSpecInput } from "../../operator/api/v1alpha1/index.ts";
import type { Membership } from "../../contract/membership.ts";
import { portOpen } from "../env/daemon.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import { startProcessKubelet, type ProcessKubelet } from "./kubelet.ts";
import type { PodProcessInfo } from "./pod-runtime.ts";
import { plainBrokerSpec } from "./test-pods.ts";
import { connect, createNamespace } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const run = promisify(execFile);
const env = inject("testEnv");
const cluster = connect(env);
const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
const apiServerPort = new URL(env.kube.apiServerUrl).port;
const nodeName = `kubelet-int-${randomBytes(3).toString("hex")}`;
const logDir = join(stateDir, "kubelet");
const secretValue = `s3cret-${randomBytes(4).toString("hex")}`;
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
/** Where the broker container mounts a Secret and a ConfigMap that the tests then change. */
const followedMounts = {
  secret: "/var/run/secrets/herald-kubelet-test/secret",
  configMap: "/var/run/secrets/herald-kubelet-test/config",
};
let namespace: Awaited<ReturnType<typeof createNamespace>>;
let ns: string;
let kubelet: ProcessKubelet;

/** A process that exists and has not just died unreaped. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

function processEnv(pid: number): Record<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8")
    .split("\0")
    .filter(Boolean)
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]);
  return Object.fromEntries(entries) as Record<string, string>;
}

const readPod = (name: string) =>
  cluster.core.readNamespacedPod({ namespace: ns, name }).catch(() => undefined);

const isReady = (pod: V1Pod | undefined) =>
  pod?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The kubelet's view of a pod whose process runs, once it has one. */
const runningPod = (name: string, kubeletOf: () => ProcessKubelet = () => kubelet) =>
  kubeletOf()
    .pods()
    .find((pod) => pod.name === name && pod.containers[0]?.pid !== undefined);

/** Waits until `name` is Ready with a running process; returns both views. */
async function readyPod(name: string, uidOtherThan?: string) {
  return until(
    `${name} Ready`,
    async () => {
      const pod = await readPod(name);
      const info = runningPod(name);
      if (!pod || !info || !isReady(pod) || pod.metadata?.uid === uidOtherThan) return undefined;
      if (pod.metadata?.uid !== info.uid) return undefined;
      return { pod, info, pid: info.containers[0]?.pid ?? 0 };
    },
    { timeoutMs: 45_000 },
  );
}

async function scale(replicas: number): Promise<void> {
  await apps.patchNamespacedStatefulSetScale(
    { namespace: ns, name: "orders", body: { spec: { replicas } } },
    mergePatch,
  );
}

async function startKubelet(): Promise<ProcessKubelet> {
  return startProcessKubelet({
    kubeconfig: env.kube.kubeconfig,
    repoRoot,
    nodeName,
    logDir,
    namespaces: [ns],
    // Fast crash loops keep the restart test short; the shape is the kubelet's.
    backoff: { initialMs: 500, maxMs: 2000 },
    stopGraceMs: 10_000,
    logger: pino({ level: "warn" }),
  });
}

const unowned = <T extends { metadata?: { ownerReferences?: unknown } }>(object: T): T => {
  if (object.metadata) delete object.metadata.ownerReferences;
  return object;
};

/**
 * A plaintext, open broker `name` in the test namespace as the operator renders it, without an
 * owner (no MessageBroker exists to own it): its identity and the one object it may read, its
 * membership, which it watches through the API with the token the kubelet gives it and needs
 * before /readyz says ready. Returns its StatefulSet, not yet created.
 */
async function createBroker(
  name: string,
  spec: MessageBrokerSpecInput,
  membershipOf: (broker: MessageBroker) => Membership,
) {
  const broker = brokerFixture({ storage: { type: "memory" }, ...plainBrokerSpec, ...spec }, name);
  broker.metadata.namespace = ns;
  const membership = membershipOf(broker);
  const rbac = cluster.kubeConfig.makeApiClient(RbacAuthorizationV1Api);
  await cluster.core.createNamespacedServiceAccount({
    namespace: ns,
    body: unowned(renderServiceAccount(broker)),
  });
  await rbac.createNamespacedRole({ namespace: ns, body: unowned(renderRole(broker)) });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: unowned(renderRoleBinding(broker)),
  });
  for (const configMap of [
    renderBrokerConfigMap(broker),
    renderMembershipConfigMap(broker, membership),
  ]) {
    await cluster.core.createNamespacedConfigMap({ namespace: ns, body: unowned(configMap) });
  }
  return unowned(renderBrokerStatefulSet(broker, contextFixture()));
}

/** The addresses the process tree of `pid` (a broker and the workers it started) listens on. */
async function listeningAddresses(pid: number): Promise<string[]> {
  // ps exits 1 when the process has no children.
  const { stdout } = await run("ps", ["-o", "pid=", "--ppid", String(pid)]).catch(() => ({
    stdout: "",
  }));
  const pids = [pid, ...stdout.split(/\s+/).filter(Boolean).map(Number)];
  const sockets = (await run("ss", ["-ltnpH"])).stdout.split("\n");
  const addresses = sockets
    .filter((line) => pids.some((owner) => line.includes(`pid=${owner},`)))
    .map((line) => line.split(/\s+/)[3] ?? "");
  return [...new Set(addresses)].sort();
}

beforeAll(async () => {
  namespace = await createNamespace(cluster, "kubelet");
  ns = namespace.name;
  // The security tests bring their own certificates and users.
  const statefulSet = await createBroker("orders", {}, () => ({
    epoch: 7,
    members: [{ name: "orders-0", address: "127.0.0.1:50051" }],
  }));
  await cluster.core.createNamespacedSecret({
    namespace: ns,
    body: { metadata: { name: "extra" }, stringData: { value: secretValue } },
  });
  await cluster.core.createNamespacedSecret({
    namespace: ns,
    body: {
      metadata: { name: "followed" },
      stringData: { "tls.crt": "cert-1", "tls.key": "key-1" },
    },
  });
  await cluster.core.createNamespacedConfigMap({
    namespace: ns,
    body: { metadata: { name: "followed" }, data: { "settings.json": '{"generation":1}' } },
  });
  const container = statefulSet.spec?.template.spec?.containers[0];
  if (!container) throw new Error("the rendered StatefulSet has no broker container");
  // More of what the kubelet resolves: the pod's IP, a Secret key, references to earlier vars.
  container.env?.push(
    { name: "TEST_POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
    { name: "TEST_SECRET", valueFrom: { secretKeyRef: { name: "extra", key: "value" } } },
    { name: "TEST_ADDRESS", value: "$(POD_NAME).$(POD_NAMESPACE):$(KUBERNETES_SERVICE_PORT)" },
  );
  // Volumes the kubelet must keep in step with their Secret and ConfigMap.
  const podSpec = statefulSet.spec?.template.spec;
  if (podSpec) {
    podSpec.volumes = [
      ...(podSpec.volumes ?? []),
      { name: "followed-secret", secret: { secretName: "followed" } },
      { name: "followed-config", configMap: { name: "followed" } },
    ];
  }
  container.volumeMounts = [
    ...(container.volumeMounts ?? []),
    { name: "followed-secret", mountPath: followedMounts.secret, readOnly: true },
    { name: "followed-config", mountPath: followedMounts.configMap, readOnly: true },
  ];
  await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet });
  kubelet = await startKubelet();
});

let failed = false;
afterEach((context) => {
  if (context.task.result?.state === "fail") failed = true;
});

afterAll(async () => {
  await kubelet?.stop();
  if (!namespace) return;
  // Nothing would finish a graceful delete once the kubelet is gone.
  const pods = await cluster.core.listNamespacedPod({ namespace: ns });
  for (const pod of pods.items) {
    await cluster.core
      .deleteNamespacedPod({ namespace: ns, name: pod.metadata?.name ?? "", gracePeriodSeconds: 0 })
      .catch(() => undefined);
  }
  await namespace.remove();
  await cluster.core.deleteNode({ name: nodeName }).catch(() => undefined);
  // The kubelet killed in the last test could not remove its pods' volumes.
  await rm(join(logDir, "pods", nodeName), { recursive: true, force: true });
  // The pods' logs are kept only when they may explain a failure.
  if (failed) console.error(`process logs: ${logDir}/${ns}_*.log`);
  else {
    for (const name of ["orders-0", "orders-1", "orders-2", "multi-0"])
      await rm(join(logDir, `${ns}_${name}.log`), { force: true });
  }
});

describe("the process kubelet", () => {
  let first: PodProcessInfo;
  let firstPid: number;

  test("registers a Ready, untainted node that keeps its lease", async () => {
    const node = await cluster.core.readNode({ name: nodeName });
    const ready = node.status?.conditions?.find((c) => c.type === "Ready");
    expect(ready?.status).toBe("True");
    expect(node.spec?.taints ?? []).toEqual([]);
    expect(node.status?.capacity).toMatchObject({ pods: "110" });
    const leases = cluster.kubeConfig.makeApiClient(CoordinationV1Api);
    const lease = await leases.readNamespacedLease({
      namespace: "kube-node-lease",
      name: nodeName,
    });
    expect(lease.spec?.holderIdentity).toBe(nodeName);
    // client-node hands MicroTime back as written on the wire.
    const renewedAt = (read: typeof lease) => new Date(String(read.spec?.renewTime)).getTime();
    const renewed = renewedAt(lease);
    expect(renewed).toBeGreaterThan(Date.now() - 60_000);
    await until(
      "a lease renewal",
      async () => {
        const later = await leases.readNamespacedLease({
          namespace: "kube-node-lease",
          name: nodeName,
        });
        return renewedAt(later) > renewed;
      },
      { timeoutMs: 15_000 },
    );
  });

  test("binds the broker pod and runs the broker on its own loopback address until /readyz says Ready", async () => {
    const { pod, info, pid } = await readyPod("orders-0");
    first = info;
    firstPid = pid;
    expect(pod.spec?.nodeName).toBe(nodeName);
    expect(info.podIP).toMatch(/^127\.0\.10\.\d+$/);
    expect(pod.status?.podIP).toBe(info.podIP);
    expect(pod.status?.podIPs).toEqual([{ ip: info.podIP }]);
    expect(pod.status?.hostIP).toBe("127.0.0.1");
    expect(pod.status?.phase).toBe("Running");
    expect(pod.status?.containerStatuses?.[0]).toMatchObject({
      name: "broker",
      ready: true,
      started: true,
      restartCount: 0,
      containerID: `process://${pid}`,
    });
    expect(alive(pid)).toBe(true);

    const readyz = await fetch(`http://${info.podIP}:9464/readyz`);
    expect(readyz.status).toBe(200);
    expect(await portOpen(info.podIP, 50051)).toBe(true);

    expect(await listeningAddresses(pid)).toEqual([
      `${info.podIP}:50051`,
      `${info.podIP}:50052`,
      `${info.podIP}:9464`,
    ]);

    const log = await readFile(join(logDir, `${ns}_orders-0.log`), "utf8");
    expect(log).toContain("broker listening");
  });

  test("gives the container its env resolved as the kubelet does, and nothing of the kubelet's own", () => {
    const processEnvironment = processEnv(firstPid);
    expect(processEnvironment).toMatchObject({
      HERALD_STORE: "memory",
      HERALD_GRPC_ADDR: `${first.podIP}:50051`,
      HERALD_HTTP_ADDR: `${first.podIP}:9464`,
      POD_NAME: "orders-0",
      POD_NAMESPACE: ns,
      HOSTNAME: "orders-0",
      TEST_POD_IP: first.podIP,
      TEST_SECRET: secretValue,
      TEST_ADDRESS: `orders-0.${ns}:${apiServerPort}`,
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: apiServerPort,
    });
    expect(processEnvironment).not.toHaveProperty("KUBECONFIG");
    expect(processEnvironment).not.toHaveProperty("VITEST");
  });

  test("mints a token for the pod's ServiceAccount, bound to the pod, visible to the process only", async () => {
    if (!first.serviceAccountDir) throw new Error("no service-account volume");
    const token = await readFile(join(first.serviceAccountDir, "token"), "utf8");
    const review = await cluster.kubeConfig.makeApiClient(AuthenticationV1Api).createTokenReview({
      body: { spec: { token } },
    });
    expect(review.status?.authenticated).toBe(true);
    expect(review.status?.user?.username).toBe(`system:serviceaccount:${ns}:orders-broker`);
    expect(review.status?.user?.extra?.["authentication.kubernetes.io/pod-uid"]).toEqual([
      first.uid,
    ]);

    // Inside the process's mount namespace the token sits where in-cluster clients look.
    const inside = (command: string) =>
      run("nsenter", ["--target", String(firstPid), "--mount", "sh", "-c", command]);
    const mounted = "/var/run/secrets/kubernetes.io/serviceaccount";
    expect((await inside(`cat ${mounted}/token`)).stdout).toBe(token);
    expect((await inside(`cat ${mounted}/namespace`)).stdout).toBe(ns);
    expect((await inside(`cat ${mounted}/ca.crt`)).stdout).toContain("BEGIN CERTIFICATE");
    // The host sees an empty mount point.
    await expect(readFile(`${mounted}/token`)).rejects.toThrow();

    // An unmodified client-node in that namespace, with the container's env, is the pod's SA.
    const script = `
      import { AuthenticationV1Api, KubeConfig } from "@kubernetes/client-node";
      const config = new KubeConfig();
      config.loadFromDefault();
      const review = await config.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
      process.stdout.write(config.getCurrentCluster().server + " " + review.status.userInfo.username);
    `;
    const { stdout } = await run(
      "nsenter",
      [
        "--target",
        String(firstPid),
        "--mount",
        `--wd=${repoRoot}`,
        process.execPath,
        "--input-type=module",
        "-e",
        script,
      ],
      { cwd: repoRoot, env: { ...processEnv(firstPid), PATH: process.env.PATH ?? "" } },
    );
    expect(stdout).toBe(
      `https://127.0.0.1:${apiServerPort} system:serviceaccount:${ns}:orders-broker`,
    );
  });

  test("the broker, unmodified, reaches the API server in-cluster: it adopted its membership", async () => {
    const response = await fetch(`http://${first.podIP}:9464/cluster`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ epoch: 7, self: "orders-0" });
  });

  test("follows a mounted Secret and ConfigMap as they change, without restarting the process", async () => {
    const inside = async (path: string) =>
      (await run("nsenter", ["--target", String(firstPid), "--mount", "cat", path])).stdout;
    const secretFile = (key: string) => join(followedMounts.secret, key);
    const configFile = join(followedMounts.configMap, "settings.json");
    expect(await inside(secretFile("tls.crt"))).toBe("cert-1");
    expect(await inside(configFile)).toBe('{"generation":1}');

    await cluster.core.replaceNamespacedSecret({
      namespace: ns,
      name: "followed",
      body: {
        metadata: { name: "followed" },
        stringData: { "tls.crt": "cert-2", "tls.key": "key-2" },
      },
    });
    await cluster.core.patchNamespacedConfigMap(
      { namespace: ns, name: "followed", body: { data: { "settings.json": '{"generation":2}' } } },
      mergePatch,
    );
    await until(
      "the new Secret and ConfigMap in the pod's volumes",
      async () =>
        (await inside(secretFile("tls.crt"))) === "cert-2" &&
        (await inside(configFile)) === '{"generation":2}',
      { timeoutMs: 15_000 },
    );
    expect(await inside(secretFile("tls.key"))).toBe("key-2");
    // The same process saw the change: no restart, as with the kubelet's volumes.
    expect(alive(firstPid)).toBe(true);
    const [broker] = runningPod("orders-0")?.containers ?? [];
    expect(broker).toMatchObject({ pid: firstPid, restartCount: 0 });
  });

  test("restarts a process that dies, counting the restart", async () => {
    process.kill(firstPid, "SIGKILL");
    const restarted = await until(
      "the restarted broker Ready",
      async () => {
        const pod = await readPod("orders-0");
        const status = pod?.status?.containerStatuses?.[0];
        return isReady(pod) && status?.restartCount === 1 ? status : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(restarted.lastState?.terminated).toMatchObject({
      exitCode: 137,
      containerID: `process://${firstPid}`,
    });
    expect(restarted.containerID).not.toBe(`process://${firstPid}`);
    const info = runningPod("orders-0");
    expect(info?.podIP).toBe(first.podIP); // the pod keeps its address across restarts
    firstPid = info?.containers[0]?.pid ?? 0;
    expect(alive(firstPid)).toBe(true);
  });

  test("deleting a pod stops its process, and the StatefulSet's replacement runs", async () => {
    const before = await readPod("orders-0");
    await cluster.core.deleteNamespacedPod({ namespace: ns, name: "orders-0" });
    await until(`broker ${firstPid} to exit`, () => !alive(firstPid), { timeoutMs: 30_000 });
    const replacement = await readyPod("orders-0", before?.metadata?.uid);
    expect(replacement.pid).not.toBe(firstPid);
    expect(alive(replacement.pid)).toBe(true);
    expect(replacement.pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const log = await readFile(join(logDir, `${ns}_orders-0.log`), "utf8");
    expect(log).toContain('"signal":"SIGTERM"');
  });

  test("scaling up gives each pod its own address; scaling to 0 leaves no process behind", async () => {
    await scale(3);
    const pods = await Promise.all(["orders-0", "orders-1", "orders-2"].map((n) => readyPod(n)));
    const addresses = pods.map(({ info }) => info.podIP);
    expect(new Set(addresses).size).toBe(3);
    for (const { info } of pods) expect(await portOpen(info.podIP, 50051)).toBe(true);

    // Peers resolve each other by the names the operator publishes, to their pod addresses.
    const [zero, one] = pods;
    const resolve = async (inside: number, name: string) =>
      (
        await run("nsenter", ["--target", String(inside), "--mount", "getent", "hosts", name])
      ).stdout.split(/\s+/)[0];
    expect(await resolve(one?.pid ?? 0, `orders-0.orders-headless.${ns}.svc.cluster.local`)).toBe(
      zero?.info.podIP,
    );
    expect(await resolve(one?.pid ?? 0, "orders-1")).toBe(one?.info.podIP);

    await scale(0);
    await until(
      "every pod gone",
      async () => {
        const left = await cluster.core.listNamespacedPod({ namespace: ns });
        return left.items.length === 0 && kubelet.pods().length === 0;
      },
      { timeoutMs: 45_000 },
    );
    for (const { pid } of pods) expect(alive(pid)).toBe(false);
    for (const address of addresses) expect(await portOpen(address, 50051)).toBe(false);
  });

  test("runs a broker of several workers, each on its own ports of the pod's address", async () => {
    // Members as the operator publishes them: multi-0~i at the pod's name, ports 50100 + i and 50200 + i.
    const statefulSet = await createBroker("multi", { workers: 2 }, (broker) => ({
      ...membershipFor(broker, 1, undefined, "cluster.local", new Map()),
      epoch: 3,
    }));
    await apps.createNamespacedStatefulSet({ namespace: ns, body: statefulSet });
    const { info, pid } = await readyPod("multi-0");
    expect(await listeningAddresses(pid)).toEqual(
      [50051, 50100, 50101, 50200, 50201, 9464].map((port) => `${info.podIP}:${port}`).sort(),
    );
    // Ready, and every worker has adopted the membership that lists it.
    const view = (await (await fetch(`http://${info.podIP}:9464/cluster`)).json()) as {
      epoch: number;
    };
    expect(view.epoch).toBe(3);

    await apps.deleteNamespacedStatefulSet({ namespace: ns, name: "multi" });
    await until("multi-0 gone", async () => !(await readPod("multi-0")) && !runningPod("multi-0"), {
      timeoutMs: 45_000,
    });
    for (const port of [50051, 50100, 50101, 50200, 50201]) {
      expect(await portOpen(info.podIP, port)).toBe(false);
    }
  });

  test("stop() ends every process and reports the node and its pods not ready", async () => {
    await scale(1);
    const { pid } = await readyPod("orders-0");
    await kubelet.stop();
    expect(alive(pid)).toBe(false);
    const node = await cluster.core.readNode({ name: nodeName });
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    const pod = await readPod("orders-0");
    expect(isReady(pod)).toBe(false);
    expect(pod?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(0);
  });

  test("a kubelet killed outright takes its processes with it; a new one adopts the node's pods", async () => {
    const cli = spawn(
      process.execPath,
      [
        join(repoRoot, "e2e/kubelet/main.ts"),
        "--kubeconfig",
        env.kube.kubeconfig,
        "--node-name",
        nodeName,
        "--namespace",
        ns,
        "--log-dir",
        logDir,
        "--log-level",
        "warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let stderr = "";
    cli.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    try {
      // The CLI runs in another process: its pod's pid comes from the pod's status.
      const pid = await until(
        "the adopted pod Ready under the CLI kubelet",
        async () => {
          const pod = await readPod("orders-0");
          const id = pod?.status?.containerStatuses?.[0]?.containerID ?? "";
          const pid = Number(/^process:\/\/(\d+)$/.exec(id)?.[1]);
          return isReady(pod) && alive(pid) ? pid : undefined;
        },
        { timeoutMs: 45_000 },
      ).catch((err: unknown) => {
        throw new Error(`${String(err)}\nCLI stderr:\n${stderr}`);
      });
      cli.kill("SIGKILL");
      await until(`broker ${pid} to die with its kubelet`, () => !alive(pid), {
        timeoutMs: 10_000,
      });
    } finally {
      cli.kill("SIGKILL");
    }
  });
});
