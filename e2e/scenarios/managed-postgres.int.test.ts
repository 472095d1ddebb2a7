/**
 * A MessageBroker on managed PostgreSQL, where storage runs as pods (the node lane): the
 * operator's PostgreSQL StatefulSet with its PVC and generated Secret, three brokers that find
 * each other by headless-Service DNS, clients through a pod, the client Service and `kubectl
 * port-forward`, `kubectl logs`, and deletion removing the claim as deletionPolicy Delete says.
 */
import { expect, test } from "vitest";
import { ports } from "../../operator/render/ports.ts";
import { until } from "../../testing/until.ts";
import { clientOptionsFor } from "./credentials.ts";
import {
  applyManagedBroker,
  claimPhase,
  publishAndFetch,
  readyReplicasOf,
} from "./managed-store.ts";
import { providerForFile, providerName, scenarioTimeouts as timeouts } from "./select-provider.ts";

const name = "ledger";
const children = {
  postgres: `${name}-postgres`,
  credentials: `${name}-postgres-credentials`,
  claim: `data-${name}-postgres-0`,
};
/** Only a provider that runs storage as pods can run this file; the process kubelet cannot. */
const runs = providerName !== "local";

const provider = providerForFile(runs);

test.skipIf(!runs)(
  `${providerName}: managed PostgreSQL, three brokers by headless DNS, client Service, port-forward, logs, delete`,
  async () => {
    const p = await applyManagedBroker(
      provider(),
      { name, replicas: 3, deletionPolicy: "Delete", store: "postgres" },
      300_000,
    );

    expect(await readyReplicasOf(p, children.postgres)).toBe(1);
    expect(await claimPhase(p, children.claim)).toBe("Bound");
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
