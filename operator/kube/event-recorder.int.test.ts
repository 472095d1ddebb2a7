import { EventsV1Api, KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { operatorKubeconfig } from "../test/cluster.ts";
import { eventRecorder } from "./event-recorder.ts";
import { connect, createNamespace, type Cluster } from "../../testing/kube-cluster.ts";

const env = inject("testEnv");
let cluster: Cluster;
let namespace: Awaited<ReturnType<typeof createNamespace>>;
let identity: Awaited<ReturnType<typeof operatorKubeconfig>>;

beforeAll(async () => {
  cluster = connect(env);
  namespace = await createNamespace(cluster, "mb-events");
  identity = await operatorKubeconfig(cluster, namespace.name, namespace.name);
});
afterAll(async () => {
  await identity?.remove();
  await namespace?.remove();
});

test("an identical Event recorded again counts on in one Event's series, under the operator's RBAC", async () => {
  const operatorConfig = new KubeConfig();
  operatorConfig.loadFromFile(identity.file);
  const log = pino({ level: "silent" });
  const recorder = eventRecorder(operatorConfig, "operator-test", log);
  const regarding = {
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: {
      name: "orders",
      namespace: namespace.name,
      uid: "6a1f0c2e-0000-4000-8000-000000000001",
    },
  };
  const stalled = { type: "Warning", reason: "ScalingStalled", note: "Scale 2→1 waits." } as const;
  await recorder.record(regarding, stalled);
  await recorder.record(regarding, stalled);
  await recorder.record(regarding, stalled);
  await recorder.record(regarding, { ...stalled, note: "Scale 3→1 waits." });

  const events = await cluster.kubeConfig
    .makeApiClient(EventsV1Api)
    .listNamespacedEvent({ namespace: namespace.name });
  const byNote = new Map(events.items.map((event) => [event.note, event]));
  expect(events.items).toHaveLength(2);
  expect(byNote.get("Scale 2→1 waits.")?.series?.count).toBe(3);
  expect(byNote.get("Scale 2→1 waits.")?.series?.lastObservedTime).toBeDefined();
  expect(byNote.get("Scale 3→1 waits.")?.series).toBeUndefined();
});
