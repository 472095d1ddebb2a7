import { mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { PodApi, PodRef } from "./kube-api.ts";
import { podSchema, type Pod } from "./pod-schema.ts";
import { brokerPod, plainBrokerSpec } from "./test-pods.ts";
import { PodVolumes, serviceAccountMountPath, VolumeError } from "./volumes.ts";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "volumes-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A fake API: ConfigMaps and Secrets by name, tokens numbered as they are minted. */
function fakeApi(configMaps: Record<string, Record<string, string>> = {}) {
  const requests: { pod: PodRef; serviceAccount: string; expirationSeconds: number }[] = [];
  const api: PodApi = {
    readConfigMap: (_namespace, name) => Promise.resolve(configMaps[name]),
    readSecret: () => Promise.resolve(undefined),
    requestToken(pod, serviceAccount, { expirationSeconds }) {
      requests.push({ pod, serviceAccount, expirationSeconds });
      const expiresAt = new Date(Date.now() + expirationSeconds * 1000);
      return Promise.resolve({ token: `token-${requests.length}`, expiresAt });
    },
    bind: () => Promise.reject(new Error("unused")),
    patchStatus: () => Promise.reject(new Error("unused")),
    deleteNow: () => Promise.reject(new Error("unused")),
  };
  return { api, requests };
}

/** The broker pod after the API server's ServiceAccount admission added its token volume. */
function admittedBrokerPod(extraVolumes: object[] = [], extraMounts: object[] = []): Pod {
  const pod = brokerPod(plainBrokerSpec);
  const [broker] = pod.spec.containers;
  return podSchema.parse({
    ...pod,
    spec: {
      ...pod.spec,
      volumes: [
        ...(pod.spec.volumes ?? []),
        {
          name: "kube-api-access-x1",
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
              {
                configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] },
              },
              {
                downwardAPI: {
                  items: [{ path: "namespace", fieldRef: { fieldPath: "metadata.namespace" } }],
                },
              },
            ],
          },
        },
        ...extraVolumes,
      ],
      containers: [
        {
          ...broker,
          volumeMounts: [
            ...(broker?.volumeMounts ?? []),
            { name: "kube-api-access-x1", mountPath: serviceAccountMountPath, readOnly: true },
            ...extraMounts,
          ],
        },
      ],
    },
  });
}

/** What a process sees in a volume directory: the kubelet's `..` bookkeeping is hidden. */
const visible = async (path: string) =>
  (await readdir(path)).filter((name) => !name.startsWith("..")).sort();

const volumesOf = (pod: Pod, api: PodApi) =>
  new PodVolumes(() => ({ pod, podIP: "127.0.10.2", hostIP: "127.0.0.1" }), api, dir);

const rootCa = { "kube-root-ca.crt": { "ca.crt": "-----BEGIN CERTIFICATE-----" } };

describe("PodVolumes", () => {
  test("the service-account volume: a pod-bound token for its ServiceAccount, the CA, the namespace", async () => {
    const { api, requests } = fakeApi(rootCa);
    const pod = admittedBrokerPod();
    const volumes = volumesOf(pod, api);
    const before = Date.now();
    const { renewAt, warnings } = await volumes.write(pod.spec.containers, before);
    expect(warnings).toEqual([]);
    const sa = volumes.dirOf("kube-api-access-x1");
    expect(await visible(sa)).toEqual(["ca.crt", "namespace", "token"]);
    expect(await readFile(join(sa, "token"), "utf8")).toBe("token-1");
    expect(await readFile(join(sa, "namespace"), "utf8")).toBe("shop");
    expect(await readFile(join(sa, "ca.crt"), "utf8")).toContain("BEGIN CERTIFICATE");
    expect(requests).toEqual([
      {
        pod: expect.objectContaining({ name: "orders-0", uid: pod.metadata.uid }) as PodRef,
        serviceAccount: "orders-broker",
        expirationSeconds: 3607,
      },
    ]);
    // Renewed at 80% of the token's life, as the kubelet does.
    expect(renewAt).toBeGreaterThanOrEqual(before + 0.8 * 3607_000 - 1000);
    expect(renewAt).toBeLessThanOrEqual(Date.now() + 0.8 * 3607_000 + 1000);
  });

  test("a rewrite renews the token in place once due and keeps the scratch volume's files", async () => {
    const { api } = fakeApi(rootCa);
    const pod = admittedBrokerPod();
    const volumes = volumesOf(pod, api);
    const { renewAt } = await volumes.write(pod.spec.containers, Date.now());
    const sa = volumes.dirOf("kube-api-access-x1");
    const inode = (await stat(sa)).ino;
    await writeFile(join(volumes.dirOf("tmp"), "scratch"), "mine");
    await volumes.write(pod.spec.containers, renewAt ?? Infinity);
    expect(await readFile(join(sa, "token"), "utf8")).toBe("token-2");
    expect((await stat(sa)).ino).toBe(inode); // a bind mount of it still sees the new token
    expect(await readFile(join(volumes.dirOf("tmp"), "scratch"), "utf8")).toBe("mine");
    expect(await visible(sa)).toEqual(["ca.crt", "namespace", "token"]);
  });

  test("a rewrite before the token is due keeps it, and unchanged volumes are not touched", async () => {
    const data: Record<string, Record<string, string>> = { ...rootCa, app: { a: "1" } };
    const { api, requests } = fakeApi(data);
    const mount = { name: "app", mountPath: "/tmp" };
    const pod = admittedBrokerPod([{ name: "app", configMap: { name: "app" } }], [mount]);
    const volumes = volumesOf(pod, api);
    const first = await volumes.write(pod.spec.containers, Date.now());
    expect(first.updated.sort()).toEqual(["app", "kube-api-access-x1"]);
    const sa = volumes.dirOf("kube-api-access-x1");
    const generation = await readlink(join(sa, "..data"));

    const again = await volumes.write(pod.spec.containers, Date.now());
    expect(again).toEqual({ renewAt: first.renewAt, updated: [], warnings: [] });
    expect(requests).toHaveLength(1);
    expect(await readlink(join(sa, "..data"))).toBe(generation);

    data.app = { a: "2" };
    expect((await volumes.write(pod.spec.containers, Date.now())).updated).toEqual(["app"]);
    expect(await readFile(join(volumes.dirOf("app"), "a"), "utf8")).toBe("2");
    expect(await readFile(join(sa, "token"), "utf8")).toBe("token-1");
  });

  test("a new set of files replaces the old at once, through a swapped ..data link", async () => {
    const data: Record<string, Record<string, string>> = {
      ...rootCa,
      tls: { "tls.crt": "cert-1", "tls.key": "key-1", "old.pem": "x" },
    };
    const { api } = fakeApi(data);
    const mount = { name: "tls", mountPath: "/tmp" };
    const pod = admittedBrokerPod([{ name: "tls", configMap: { name: "tls" } }], [mount]);
    const volumes = volumesOf(pod, api);
    await volumes.write(pod.spec.containers, Date.now());
    const dir = volumes.dirOf("tls");
    const before = await readlink(join(dir, "..data"));

    data.tls = { "tls.crt": "cert-2", "tls.key": "key-2" };
    await volumes.write(pod.spec.containers, Date.now());
    const after = await readlink(join(dir, "..data"));
    expect(after).not.toBe(before);
    expect(await readlink(join(dir, "tls.crt"))).toBe("..data/tls.crt");
    expect(await readFile(join(dir, "tls.crt"), "utf8")).toBe("cert-2");
    expect(await readFile(join(dir, "tls.key"), "utf8")).toBe("key-2");
    expect((await stat(join(dir, after))).mode & 0o777).toBe(0o755);
    // Only the current generation and its link remain.
    expect((await readdir(dir)).sort()).toEqual(["..data", after, "tls.crt", "tls.key"].sort());
  });

  test("configMap volumes follow their ConfigMap's keys; a missing one waits unless optional", async () => {
    const data: Record<string, Record<string, string>> = { ...rootCa, app: { a: "1", b: "2" } };
    const { api } = fakeApi(data);
    const mount = { name: "app", mountPath: "/tmp" };
    const pod = admittedBrokerPod([{ name: "app", configMap: { name: "app" } }], [mount]);
    const volumes = volumesOf(pod, api);
    await volumes.write(pod.spec.containers, Date.now());
    expect(await visible(volumes.dirOf("app"))).toEqual(["a", "b"]);
    data.app = { b: "3" };
    await volumes.write(pod.spec.containers, Date.now());
    expect(await visible(volumes.dirOf("app"))).toEqual(["b"]);
    expect(await readFile(join(volumes.dirOf("app"), "b"), "utf8")).toBe("3");

    delete data.app;
    await expect(volumes.write(pod.spec.containers, Date.now())).rejects.toThrow(
      new VolumeError('configmap "app" not found'),
    );
    expect(await readFile(join(volumes.dirOf("app"), "b"), "utf8")).toBe("3"); // left as it was
    const optional = admittedBrokerPod(
      [{ name: "app", configMap: { name: "app", optional: true } }],
      [mount],
    );
    await expect(
      volumesOf(optional, api).write(optional.spec.containers, Date.now()),
    ).resolves.toBeDefined();
  });

  test("volumes nobody mounts are not written; unsupported kinds are skipped with a warning", async () => {
    const { api } = fakeApi(rootCa);
    const pod = admittedBrokerPod(
      [
        { name: "unused", configMap: { name: "missing" } },
        { name: "data", persistentVolumeClaim: { claimName: "x" } },
      ],
      [{ name: "data", mountPath: "/tmp" }],
    );
    const volumes = volumesOf(pod, api);
    const { warnings } = await volumes.write(pod.spec.containers, Date.now());
    expect(warnings).toEqual(["volume data: this kind of volume is not supported; not mounted"]);
    const container = pod.spec.containers[0];
    if (!container) throw new Error("no container");
    const { mounts } = await volumes.mountsOf(container);
    expect(mounts.map((mount) => mount.target)).toEqual(["/tmp", serviceAccountMountPath]);
  });

  test("mounts: read-only as asked; subPath and missing mount points are skipped with a warning", async () => {
    const { api } = fakeApi(rootCa);
    const pod = admittedBrokerPod(
      [{ name: "extra", emptyDir: {} }],
      [
        { name: "extra", mountPath: "/no/such/dir" },
        { name: "extra", mountPath: "/tmp", subPath: "x" },
      ],
    );
    const volumes = volumesOf(pod, api);
    await volumes.write(pod.spec.containers, Date.now());
    const container = pod.spec.containers[0];
    if (!container) throw new Error("no container");
    const { mounts, warnings } = await volumes.mountsOf(container);
    expect(mounts).toEqual([
      { source: volumes.dirOf("tmp"), target: "/tmp", readOnly: false },
      {
        source: volumes.dirOf("kube-api-access-x1"),
        target: serviceAccountMountPath,
        readOnly: true,
      },
    ]);
    expect(warnings).toEqual([
      "mount /no/such/dir: no such directory on the host; not mounted",
      "mount /tmp: subPath is not supported; not mounted",
    ]);
  });
});
