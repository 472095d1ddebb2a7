import type { KubernetesObject } from "@kubernetes/client-node";
import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { installServiceMonitorCrd, uninstallServiceMonitorCrd } from "../test/cluster.ts";
import {
  condition,
  operatorFixture,
  tail,
  type OperatorFixture,
} from "../test/operator-fixture.ts";
import { waitUntilReconciling, type OperatorProcess } from "../test/operator-process.ts";
import { read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import { serviceMonitorCrdLock, takeSuiteLock } from "../../testing/suite-lock.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;
let operator: OperatorProcess;
let releaseLock: (() => Promise<void>) | undefined;

beforeAll(async () => {
  // This file removes the CRD, which other files rely on while they run.
  releaseLock = await takeSuiteLock(serviceMonitorCrdLock);
  fixture = await operatorFixture(env, "mb-monitor");
  await uninstallServiceMonitorCrd(fixture.cluster);
  operator = fixture.startOperator();
  await waitUntilReconciling(operator);
});
afterAll(async () => {
  await fixture?.teardown();
  if (fixture) await uninstallServiceMonitorCrd(fixture.cluster);
  await releaseLock?.();
});

const readServiceMonitor = () =>
  read<KubernetesObject>(
    fixture.cluster,
    "monitoring.coreos.com/v1",
    "ServiceMonitor",
    fixture.namespace,
    "watched",
  );

test("without the ServiceMonitor CRD the ServiceMonitor is skipped and the status says so", async () => {
  await fixture.applyBroker("watched", {
    replicas: 1,
    monitoring: { serviceMonitor: { enabled: true } },
  });
  const degraded = await until("Degraded ServiceMonitorSkipped", async () => {
    const found = condition((await fixture.readBroker("watched"))?.status, "Degraded");
    return found?.reason === "ServiceMonitorSkipped" ? found : undefined;
  });
  expect(degraded.status).toBe("True");
  expect(degraded.message).toContain("servicemonitors.monitoring.coreos.com");
  expect(
    await read(fixture.cluster, "apps/v1", "StatefulSet", fixture.namespace, "watched"),
  ).toBeDefined();
});

test("once the CRD is installed the ServiceMonitor is created, and it goes when monitoring is turned off", async () => {
  await installServiceMonitorCrd(fixture.cluster);
  const monitor = await until("the ServiceMonitor", readServiceMonitor).catch((err: unknown) => {
    throw new Error(`${String(err)}\n${tail(operator)}`);
  });
  const broker = await fixture.readBroker("watched");
  expect(monitor.metadata?.ownerReferences?.[0]).toMatchObject({
    kind: "MessageBroker",
    uid: broker?.metadata?.uid,
  });
  await until(
    "Degraded False",
    async () =>
      condition((await fixture.readBroker("watched"))?.status, "Degraded")?.status === "False",
  );

  await fixture.applyBroker("watched", {
    replicas: 1,
    monitoring: { serviceMonitor: { enabled: false } },
  });
  await until("the ServiceMonitor deleted", async () => (await readServiceMonitor()) === undefined);
});
