import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  setHeaderOptions,
  type V1NetworkPolicy,
  type V1StatefulSet,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { applyHeraldCrds } from "../crd/install.ts";
import { renderChildren } from "../render/index.ts";
import { contextFixture } from "../test/fixtures.ts";
import { celCases } from "../test/cel-cases.ts";
import {
  apiVersion,
  group,
  kind,
  messageBrokerSchema,
  plural,
  version,
  type MessageBrokerSpecInput,
} from "./v1alpha1/index.ts";

/**
 * The CRD against the real API server: it installs, its CEL rules refuse what the unit tests
 * say they refuse (with the same messages), `kubectl explain` documents it, the scale
 * subresource works, and every rendered child passes the API server's own validation.
 */
const env = inject("testEnv");
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(env.kube.kubeconfig);
const core = kubeConfig.makeApiClient(CoreV1Api);
const custom = kubeConfig.makeApiClient(CustomObjectsApi);
const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
const namespace = `herald-cel-${process.pid}`;
const fieldManager = "herald-cel-test";
const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

const brokerBody = (name: string, spec: MessageBrokerSpecInput) => ({
  apiVersion,
  kind,
  metadata: { name, namespace },
  spec,
});
const at = (name: string) => ({ group, version, plural, namespace, name });

async function create(
  name: string,
  spec: MessageBrokerSpecInput,
  dryRun?: "All",
): Promise<unknown> {
  return custom.createNamespacedCustomObject({
    group,
    version,
    plural,
    namespace,
    body: brokerBody(name, spec),
    dryRun,
  });
}

/** The API server's refusal message, or undefined when the request went through. */
async function refusal(request: Promise<unknown>): Promise<string | undefined> {
  try {
    await request;
    return undefined;
  } catch (error) {
    if (error instanceof ApiException && error.code === 422) return String(error.body);
    throw error;
  }
}

beforeAll(async () => {
  await applyHeraldCrds(kubeConfig, fieldManager);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace });
});

describe("MessageBroker CRD on the API server", () => {
  it.each(celCases.map((c, index) => ({ ...c, index })))(
    "$name",
    async ({ index, spec, old, metadataName, rejectedWith }) => {
      const name = metadataName ?? `cel-${index}`;
      let request: Promise<unknown>;
      if (old) {
        await create(name, old);
        const current = (await custom.getNamespacedCustomObject(at(name))) as { metadata: object };
        request = custom.replaceNamespacedCustomObject({
          ...at(name),
          body: { ...brokerBody(name, spec), metadata: current.metadata },
          dryRun: "All",
        });
      } else {
        request = create(name, spec, "All");
      }
      const message = await refusal(request);
      const expected = [rejectedWith ?? []].flat();
      if (expected.length === 0) expect(message).toBeUndefined();
      for (const text of expected) expect(message).toContain(text);
    },
  );

  it("refuses a Cassandra contact point the brokers would refuse", async () => {
    const withContactPoints = (contactPoints: string[]): MessageBrokerSpecInput => ({
      storage: {
        type: "cassandra",
        cassandra: { external: { contactPoints, localDataCenter: "dc1" } },
      },
    });
    const points = ["c1.example", "c2.example:9042", "[::1]:9042", "fe80::1"];
    expect(await refusal(create("contact-points", withContactPoints(points), "All"))).toBe(
      undefined,
    );
    for (const bad of ["db:99999", "db:notaport", ":9042"]) {
      expect(await refusal(create("contact-points", withContactPoints([bad]), "All"))).toMatch(
        /contactPoints\[0\]: Invalid value/,
      );
    }
  });

  it("refuses a worker count outside 1 to 64", async () => {
    const postgres = { type: "postgres", postgres: { managed: {} } } as const;
    for (const workers of [1, 64]) {
      expect(await refusal(create("workers", { storage: postgres, workers }, "All"))).toBe(
        undefined,
      );
    }
    for (const workers of [0, 65]) {
      expect(await refusal(create("workers", { storage: postgres, workers }, "All"))).toMatch(
        /spec\.workers: Invalid value/,
      );
    }
  });

  it("applies the schema's defaults", async () => {
    const created = messageBrokerSchema.parse(await create("defaults", {}, "All"));
    expect(created.spec).toEqual(messageBrokerSchema.shape.spec.parse({}));
  });

  it("documents the fields for kubectl explain", async () => {
    const { stdout } = await promisify(execFile)(env.kube.kubectl, [
      "--kubeconfig",
      env.kube.kubeconfig,
      "explain",
      "mb.spec.storage",
    ]);
    const text = stdout.replace(/\s+/g, " "); // explain wraps long descriptions
    expect(text).toContain("Where messages are kept, and how writes are batched.");
    expect(text).toMatch(/postgres <Object>/);
    expect(text).toContain(
      "PostgreSQL settings, for storage.type postgres: exactly one of managed or external.",
    );
  });

  it("scales through the scale subresource, under the same rules", async () => {
    await create("scalable", { storage: { type: "postgres", postgres: { managed: {} } } });
    await custom.patchNamespacedCustomObjectScale(
      { ...at("scalable"), body: { spec: { replicas: 3 } } },
      mergePatch,
    );
    const scaled = messageBrokerSchema.parse(
      await custom.getNamespacedCustomObject(at("scalable")),
    );
    expect(scaled.spec.replicas).toBe(3);

    await create("memory", {});
    const message = await refusal(
      custom.patchNamespacedCustomObjectScale(
        { ...at("memory"), body: { spec: { replicas: 3 } } },
        mergePatch,
      ),
    );
    expect(message).toContain("replicas above 1 need postgres or cassandra");
  });

  it("accepts every rendered child, fields intact", async () => {
    const spec: MessageBrokerSpecInput = {
      replicas: 3,
      workers: 3,
      storage: { type: "postgres", postgres: { managed: { storage: "1Gi" } } },
      rateLimit: { enabled: true },
      tracing: { enabled: true, endpoint: "http://jaeger:4317" },
      podTemplate: { tolerations: [{ key: "dedicated", operator: "Exists" }] },
    };
    const broker = messageBrokerSchema.parse(await create("rendered", spec));
    const children = renderChildren(
      broker,
      contextFixture({ serviceMonitorCrdInstalled: false, statefulSetReplicas: 3 }),
    );
    for (const child of children) {
      const applied = await objects.patch(
        child,
        undefined,
        "All",
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
      expect(
        applied.metadata?.ownerReferences?.[0]?.uid,
        `${child.kind}/${child.metadata?.name}`,
      ).toBe(broker.metadata.uid);
      if (child.kind === "StatefulSet" && child.metadata?.name === "rendered") {
        const podSpec = (applied as V1StatefulSet).spec?.template.spec;
        expect(podSpec?.initContainers?.[0]?.restartPolicy).toBe("Always");
      }
      if (child.kind === "NetworkPolicy" && child.metadata?.name === "rendered") {
        // The typed client sends the model's `_from` as `from`; a dropped field would leave no peer.
        const peers = (applied as V1NetworkPolicy).spec?.ingress?.[1]?._from;
        expect(peers?.[0]?.podSelector?.matchLabels).toMatchObject({
          "app.kubernetes.io/instance": "rendered",
        });
        // The workers' cluster ports, a range; their gRPC ports are behind Envoy (rateLimit).
        const peerPorts = (applied as V1NetworkPolicy).spec?.ingress?.[1]?.ports;
        expect(peerPorts).toContainEqual({ protocol: "TCP", port: 50200, endPort: 50202 });
      }
      if (child.kind === "StatefulSet" && child.metadata?.name === "rendered-postgres") {
        expect((applied as V1StatefulSet).spec?.persistentVolumeClaimRetentionPolicy).toEqual({
          whenDeleted: "Retain",
          whenScaled: "Retain",
        });
      }
    }
  });
});
