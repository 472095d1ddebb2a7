/**
 * A MessageBroker on managed PostgreSQL, where storage runs as pods (the node lane): the
 * operator's PostgreSQL StatefulSet with its PVC and generated Secret, three brokers that find
 * each other by headless-Service DNS, clients through a pod, the client Service and `kubectl
 * port-forward`, `kubectl logs`, and deletion removing the claim as deletionPolicy Delete says.
 */
import { afterAll, beforeAll, expect, test } from "vitest";
import { z } from "zod";
import { HeraldClient, type HeraldClientOptions } from "../../broker/client/herald-client.ts";
import { ports } from "../../operator/render/ports.ts";
import { until } from "../../testing/until.ts";
import { clientOptionsFor, untilAccepted } from "./credentials.ts";
import { settledAt } from "./postgres-broker.ts";
import type { Provider } from "./provider.ts";
import { providerName, scenarioTimeouts as timeouts, startProvider } from "./select-provider.ts";

const name = "ledger";
const children = {
  postgres: `${name}-postgres`,
  credentials: `${name}-postgres-credentials`,
  claim: `data-${name}-postgres-0`,
};
let provider: Provider | undefined;
/** Only a provider that runs storage as pods can run this file; the process kubelet cannot. */
const runs = providerName !== "local";

beforeAll(async () => {
  if (runs) provider = await startProvider();
}, timeouts.setup);

afterAll(async () => {
  await provider?.stop();
}, 120_000);

const StatefulSetSchema = z.object({ status: z.object({ readyReplicas: z.number().optional() }) });
const ClaimSchema = z.object({ status: z.object({ phase: z.string() }) });

/**
 * A real kubelet refreshes a mounted Secret on its periodic pod sync (a minute or more) unless the
 * pod changes; the operator annotates the broker pods when the auth file changes
 * (operator/controller/remount.ts), so a new user's token reaches them within seconds.
 */
const credentialsReachPodsMs = 20_000;

async function publishAndFetch(address: string, security: HeraldClientOptions, subject: string) {
  const started = Date.now();
  await untilAccepted(address, security, credentialsReachPodsMs);
  process.stderr.write(
    `e2e: ${address} accepted the new user's token after ${Date.now() - started} ms\n`,
  );
  const client = new HeraldClient(address, security);
  try {
    const id = await client.publish(subject, `via ${address}`);
    expect((await client.fetch(subject, id)).body.toString()).toBe(`via ${address}`);
  } finally {
    client.close();
  }
}

test.skipIf(!runs)(
  `${providerName}: managed PostgreSQL, three brokers by headless DNS, client Service, port-forward, logs, delete`,
  async () => {
    const p = provider;
    const managed = p?.managedPostgres;
    if (!p || !managed) throw new Error(`provider ${providerName} runs no managed PostgreSQL`);
    const manifest = {
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name, namespace: p.namespace },
      spec: {
        replicas: 3,
        deletionPolicy: "Delete",
        storage: {
          type: "postgres",
          postgres: { managed: { version: managed.version, storage: "1Gi" } },
        },
      },
    };
    const started = Date.now();
    await p.kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
    await settledAt(p, name, 3, 300_000);
    process.stderr.write(
      `e2e ${p.name}: managed PostgreSQL and 3 brokers Ready in ${Date.now() - started} ms\n`,
    );

    const postgres = StatefulSetSchema.parse(
      JSON.parse(await p.kubectl(["get", "statefulset", children.postgres, "-o", "json"])),
    );
    expect(postgres.status.readyReplicas).toBe(1);
    const claim = ClaimSchema.parse(
      JSON.parse(await p.kubectl(["get", "pvc", children.claim, "-o", "json"])),
    );
    expect(claim.status.phase).toBe("Bound");
    await p.kubectl(["get", "secret", children.credentials]);

    const security = await clientOptionsFor(p, name);
    // Each broker stores through the managed PostgreSQL; the last one also answers for the
    // subjects its peers own, which it reaches by their headless-Service names.
    await publishAndFetch(await p.podAddress(`${name}-2`), security, "e2e.managed.pod");
    if (p.serviceAddress) {
      await publishAndFetch(await p.serviceAddress(name), security, "e2e.managed.service");
    }
    if (p.portForward) {
      const forward = await p.portForward(`${name}-1`, ports.grpc.port);
      try {
        await publishAndFetch(forward.address, security, "e2e.managed.port-forward");
      } finally {
        forward.stop();
      }
    }
    expect((await p.kubectl(["logs", `${name}-0`, "--tail=5"])).trim()).not.toBe("");

    await p.kubectl(["delete", "messagebroker", name, "--wait=true", "--timeout=120s"]);
    await until(
      "the managed PostgreSQL's claim deleted with the MessageBroker",
      async () => !(await p.kubectl(["get", "pvc", "-o", "name"])).includes(children.claim),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
  },
  timeouts.test,
);
