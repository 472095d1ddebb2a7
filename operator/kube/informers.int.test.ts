import { afterAll, beforeAll, expect, inject, test } from "vitest";
import { operatorFixture, type OperatorFixture } from "../test/operator-fixture.ts";
import { waitUntilReconciling } from "../test/operator-process.ts";
import { TcpProxy } from "../../testing/tcp-proxy.ts";
import { read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
let fixture: OperatorFixture;
let proxy: TcpProxy;

beforeAll(async () => {
  fixture = await operatorFixture(env, "mb-informers");
  const apiServer = new URL(env.kube.apiServerUrl);
  proxy = await TcpProxy.start(apiServer.hostname, Number(apiServer.port));
});
afterAll(async () => {
  await fixture?.teardown();
  await proxy?.close();
});

const statefulSetOf = (name: string) =>
  read(fixture.cluster, "apps/v1", "StatefulSet", fixture.namespace, name);

test("watches survive dropped connections: after every connection is cut, new brokers still reconcile", async () => {
  const kubeconfig = await fixture.kubeconfigFor(`https://127.0.0.1:${proxy.port}`, "-proxied");
  const operator = fixture.startOperator("operator-proxied", {}, kubeconfig);
  await waitUntilReconciling(operator);
  await fixture.applyBroker("before", { replicas: 1 });
  await until("the StatefulSet of before", () => statefulSetOf("before"));

  for (let cut = 0; cut < 3; cut++) {
    expect(proxy.connections).toBeGreaterThan(0);
    proxy.severAll();
    const name = `after-cut-${cut}`;
    await fixture.applyBroker(name, { replicas: 1 });
    await until(`the StatefulSet of ${name}`, () => statefulSetOf(name), { timeoutMs: 30_000 });
  }
  // Drift is still seen through the restarted watches.
  await fixture.cluster.objects.delete({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "before", namespace: fixture.namespace },
  });
  await until("the Service of before restored", () =>
    read(fixture.cluster, "v1", "Service", fixture.namespace, "before"),
  );
  expect(operator.logs.some((line) => line.msg === "informer stopped; restarting")).toBe(true);
}, 120_000);
