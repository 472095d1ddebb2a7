import { KubernetesObjectApi } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { operatorFixture, type OperatorFixture } from "../test/operator-fixture.ts";
import { waitUntilReconciling } from "../test/operator-process.ts";
import { LeaderElector, leaseClient } from "../../lib/kube/leader-election.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;

beforeAll(async () => {
  fixture = await operatorFixture(env, "mb-leader");
});
afterAll(async () => {
  await fixture?.teardown();
});

describe("leader election on a real Lease", () => {
  test("one of two electors leads; after a graceful release the other takes over", async () => {
    const log = pino({ level: "silent" });
    const elector = (identity: string) =>
      new LeaderElector({
        identity,
        client: leaseClient(fixture.cluster.kubeConfig, fixture.namespace, "electors"),
        log,
      });
    const a = elector("a");
    const b = elector("b");
    await a.run(() => undefined);
    let bLeads = false;
    void b.run(() => undefined).then(() => (bLeads = true));
    await new Promise((resolve) => setTimeout(resolve, 5000));
    expect(bLeads).toBe(false);

    const lease = await fixture.cluster.objects.read({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name: "electors", namespace: fixture.namespace },
    });
    expect((lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity).toBe("a");

    await a.stop();
    await until("b to lead", () => bLeads, { timeoutMs: 10_000 });
    await b.stop();
  });

  test("of two operator processes only the Lease holder reconciles; the other takes over when it stops", async () => {
    const first = fixture.startOperator("operator-a");
    await waitUntilReconciling(first);
    const second = fixture.startOperator("operator-b");
    await until(
      "operator-b's caches",
      async () => (await fetch((await second.metricsUrl()).replace("/metrics", "/readyz"))).ok,
    );

    await fixture.applyBroker("led", { replicas: 1 });
    const objects = KubernetesObjectApi.makeApiClient(fixture.cluster.kubeConfig);
    await until("the StatefulSet of led", () =>
      objects.read({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "led", namespace: fixture.namespace },
      }),
    );
    await until("operator-a to count a reconcile", async () => (await first.reconciles()) > 0);
    expect(await second.reconciles()).toBe(0);
    expect(second.logs.some((line) => line.msg === "caches synced; reconciling")).toBe(false);

    expect(await first.stop()).toBe(0);
    await waitUntilReconciling(second, 15_000);
    await fixture.applyBroker("after-failover", { replicas: 1 });
    await until("the StatefulSet of after-failover", () =>
      objects.read({
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata: { name: "after-failover", namespace: fixture.namespace },
      }),
    );
    await until("operator-b to count a reconcile", async () => (await second.reconciles()) > 0);
  });
});
