import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { read, waitFor } from "../test/cluster.ts";
import { operatorFixture, type OperatorFixture } from "../test/operator-fixture.ts";
import { waitUntilReconciling } from "../test/operator-process.ts";
import { startTcpProxy } from "../test/tcp-proxy.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;

beforeAll(async () => {
  fixture = await operatorFixture(env, "mb-informers");
  const apiServer = new URL(env.kube.apiServerUrl);
  proxy = await startTcpProxy({ host: apiServer.hostname, port: Number(apiServer.port) });
});
afterAll(async () => {
  await fixture?.teardown();
  await proxy?.close();
});

const statefulSetOf = (name: string) =>
  read(fixture.cluster, "apps/v1", "StatefulSet", fixture.namespace, name);

test("watches survive dropped connections: after every connection is cut, new brokers still reconcile", async () => {
  const kubeconfig = await fixture.kubeconfigFor(proxy.url, "-proxied");
  const operator = fixture.startOperator("operator-proxied", {}, kubeconfig);
  await waitUntilReconciling(operator);
  await fixture.applyBroker("before", { replicas: 1 });
  await waitFor("the StatefulSet of before", () => statefulSetOf("before"));

  for (let cut = 0; cut < 3; cut++) {
    expect(proxy.connections).toBeGreaterThan(0);
    proxy.severAll();
    const name = `after-cut-${cut}`;
    await fixture.applyBroker(name, { replicas: 1 });
    await waitFor(`the StatefulSet of ${name}`, () => statefulSetOf(name), 30_000);
  }
  // Drift is still seen through the restarted watches.
  await fixture.cluster.objects.delete({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "before", namespace: fixture.namespace },
  });
  await waitFor("the Service of before restored", () =>
    read(fixture.cluster, "v1", "Service", fixture.namespace, "before"),
  );
  expect(operator.logs.some((line) => line.msg === "informer stopped; restarting")).toBe(true);
}, 120_000);
