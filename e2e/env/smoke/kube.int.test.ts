import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  VersionApi,
  Watch,
  type V1ConfigMap,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, inject, test, vi } from "vitest";
import { z } from "zod";

const exec = promisify(execFile);
const { kube } = inject("testEnv");
const kc = new KubeConfig();
kc.loadFromFile(kube.kubeconfig);
const core = kc.makeApiClient(CoreV1Api);
const apps = kc.makeApiClient(AppsV1Api);
const namespace = `smoke-kube-${process.pid}-${Date.now().toString(36)}`;

const isNotFound = (err: unknown): boolean => err instanceof ApiException && err.code === 404;

/** Resolves once `read` fails with 404; fails the test if the object outlives `timeout`. */
async function gone(what: string, read: () => Promise<unknown>, timeout: number): Promise<void> {
  await vi.waitFor(
    async () => {
      const stillThere = await read().then(
        () => true,
        (err: unknown) => {
          if (isNotFound(err)) return false;
          throw err;
        },
      );
      if (stillThere) throw new Error(`${what} still exists`);
    },
    { timeout, interval: 250 },
  );
}

beforeAll(async () => {
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

test("the API server reports the stamped 1.32 version", async () => {
  const version = await kc.makeApiClient(VersionApi).getCode();
  expect(version.major).toBe("1");
  expect(version.minor).toBe("32");
  expect(version.gitVersion).toMatch(/^v1\.32\.\d+$/);
});

test("the API server creates, watches and deletes a ConfigMap", async () => {
  const ns = await core.readNamespace({ name: namespace });
  expect(ns.status?.phase).toBe("Active");

  const name = "watched";
  const events: { type: string; data: Record<string, string> | undefined }[] = [];
  const watch = await new Watch(kc).watch(
    `/api/v1/namespaces/${namespace}/configmaps`,
    { fieldSelector: `metadata.name=${name}` },
    (type: string, obj: V1ConfigMap) => events.push({ type, data: obj.data }),
    () => undefined,
  );
  try {
    const created = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name }, data: { step: "1" } },
    });
    expect(created.metadata?.uid).toBeTruthy();
    await core.replaceNamespacedConfigMap({
      name,
      namespace,
      body: { ...created, data: { step: "2" } },
    });
    await core.deleteNamespacedConfigMap({ name, namespace });
    await vi.waitFor(
      () => expect(events.map((e) => e.type)).toEqual(["ADDED", "MODIFIED", "DELETED"]),
      {
        timeout: 10_000,
      },
    );
    expect(events.map((e) => e.data?.step)).toEqual(["1", "2", "2"]);
    await gone(`ConfigMap ${name}`, () => core.readNamespacedConfigMap({ name, namespace }), 5_000);
  } finally {
    watch.abort();
  }
});

async function readFrom(path: string, offset: number): Promise<string> {
  const file = await open(path);
  try {
    const { size } = await file.stat();
    const buf = Buffer.alloc(size - offset);
    await file.read(buf, 0, buf.length, offset);
    return buf.toString("utf8");
  } finally {
    await file.close();
  }
}

const AuditEvent = z.object({
  verb: z.string(),
  level: z.string(),
  user: z.object({ username: z.string() }),
  objectRef: z
    .object({ resource: z.string(), namespace: z.string().optional(), name: z.string().optional() })
    .optional(),
});

test("the audit log records each write once, at Metadata level", async () => {
  const name = "audited";
  // Other suites write too: look only at what was appended after this point.
  const offset = (await stat(kube.auditLog)).size;
  await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name }, data: { secret: "x" } },
  });
  // Blocking audit mode: the event is on disk before the response returns.
  const appended = await readFrom(kube.auditLog, offset);
  // Complete lines only: another suite's event may be mid-write at either end.
  const lines = appended.split("\n").filter((l) => l.startsWith("{") && l.endsWith("}"));
  const creates = lines
    .map((line) => AuditEvent.parse(JSON.parse(line)))
    .filter(
      (e) =>
        e.verb === "create" &&
        e.objectRef?.resource === "configmaps" &&
        e.objectRef.namespace === namespace &&
        e.objectRef.name === name,
    );
  expect(creates).toHaveLength(1);
  expect(creates[0]?.level).toBe("Metadata");
  expect(creates[0]?.user.username).toBe("herald-admin");
  // Metadata level must not leak request bodies.
  expect(appended).not.toContain('"requestObject"');
});

test("the controller-manager gives a StatefulSet of 2 replicas 2 Pods", async () => {
  const labels = { app: "smoke-sts" };
  await apps.createNamespacedStatefulSet({
    namespace,
    body: {
      metadata: { name: "web" },
      spec: {
        replicas: 2,
        serviceName: "web",
        // No kubelet marks pods Ready here; OrderedReady would stop at web-0.
        podManagementPolicy: "Parallel",
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: "main", image: "registry.invalid/none:0" }] },
        },
      },
    },
  });
  const pods = await vi.waitFor(
    async () => {
      const list = await core.listNamespacedPod({ namespace, labelSelector: "app=smoke-sts" });
      expect(list.items.map((p) => p.metadata?.name).sort()).toEqual(["web-0", "web-1"]);
      return list.items;
    },
    { timeout: 60_000, interval: 500 },
  );
  for (const pod of pods) {
    expect(pod.metadata?.ownerReferences?.[0]?.kind).toBe("StatefulSet");
    // Admitted with the namespace's default service account, which the
    // serviceaccount controller created.
    expect(pod.spec?.serviceAccountName).toBe("default");
  }
  // The root-ca publisher hands every namespace the cluster CA.
  const rootCa = await core.readNamespacedConfigMap({ name: "kube-root-ca.crt", namespace });
  expect(rootCa.data?.["ca.crt"]).toBe(await readFile(kube.caFile, "utf8"));
});

test("the garbage collector deletes a dependent when its owner goes", async () => {
  const owner = await core.createNamespacedConfigMap({
    namespace,
    body: { metadata: { name: "owner" } },
  });
  const uid = owner.metadata?.uid;
  if (!uid) throw new Error("owner has no uid");
  await core.createNamespacedConfigMap({
    namespace,
    body: {
      metadata: {
        name: "dependent",
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid }],
      },
    },
  });
  // A sibling without an owner proves the collector deletes selectively.
  await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: "bystander" } } });
  await core.deleteNamespacedConfigMap({ name: "owner", namespace });
  await gone(
    "dependent ConfigMap",
    () => core.readNamespacedConfigMap({ name: "dependent", namespace }),
    90_000,
  );
  await expect(
    core.readNamespacedConfigMap({ name: "bystander", namespace }),
  ).resolves.toBeTruthy();
});

test("kubectl talks to the API server with the admin kubeconfig", async () => {
  const { stdout } = await exec(kube.kubectl, [
    "--kubeconfig",
    kube.kubeconfig,
    "get",
    "namespace",
    namespace,
    "-o",
    "jsonpath={.status.phase}",
  ]);
  expect(stdout).toBe("Active");
  const { stdout: canI } = await exec(kube.kubectl, [
    "--kubeconfig",
    kube.kubeconfig,
    "auth",
    "can-i",
    "*",
    "*",
  ]);
  expect(canI.trim()).toBe("yes");
});

test("helm installs a chart whose Deployment the controllers roll out", async () => {
  const work = await mkdtemp(join(tmpdir(), "herald-helm-"));
  const helm = (...args: string[]) =>
    exec(kube.helm, [...args, "--kubeconfig", kube.kubeconfig], {
      env: { ...process.env, HELM_CACHE_HOME: work, HELM_CONFIG_HOME: work, HELM_DATA_HOME: work },
    });
  try {
    const { stdout: version } = await exec(kube.helm, ["version", "--short"]);
    expect(version).toMatch(/^v3\./);
    await helm("create", join(work, "demo"));
    await helm(
      "install",
      "demo",
      join(work, "demo"),
      "--namespace",
      namespace,
      "--set",
      "replicaCount=2",
    );
    // Deployment controller → ReplicaSet → ReplicaSet controller → 2 Pods.
    await vi.waitFor(
      async () => {
        const pods = await core.listNamespacedPod({
          namespace,
          labelSelector: "app.kubernetes.io/instance=demo",
        });
        expect(pods.items).toHaveLength(2);
        expect(pods.items[0]?.metadata?.ownerReferences?.[0]?.kind).toBe("ReplicaSet");
      },
      { timeout: 60_000, interval: 500 },
    );
    const { stdout: list } = await helm("list", "--namespace", namespace, "-q");
    expect(list.trim()).toBe("demo");
    await helm("uninstall", "demo", "--namespace", namespace);
    await gone(
      "Deployment demo",
      () => apps.readNamespacedDeployment({ name: "demo", namespace }),
      30_000,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
