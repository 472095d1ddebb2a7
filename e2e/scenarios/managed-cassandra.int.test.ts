/**
 * A MessageBroker on managed Cassandra, where storage runs as pods (the node lane): the operator's
 * Cassandra StatefulSet on a bound local PVC with the image the chart names and a heap sized from
 * its 1 GiB memory limit, two brokers storing through it, clients through a pod and the client
 * Service, and deletion keeping the claim as deletionPolicy Retain (the default) says.
 */
import { expect, test } from "vitest";
import { until } from "../../testing/until.ts";
import { clientOptionsFor } from "./credentials.ts";
import {
  applyManagedBroker,
  claimPhase,
  publishAndFetch,
  readyReplicasOf,
} from "./managed-store.ts";
import { providerForFile, providerName, scenarioTimeouts as timeouts } from "./select-provider.ts";

const name = "archive";
const children = { cassandra: `${name}-cassandra`, claim: `data-${name}-cassandra-0` };
/** Only a provider whose images include Cassandra runs this file. */
const runs = providerName === "node";

const provider = providerForFile(runs);

/**
 * A cold Cassandra start on a shared 2-core machine takes about a minute, before the brokers can
 * create their keyspace; leave room for a slow one.
 */
const settleMs = 480_000;

/**
 * Half the default memory: the operator sizes the heap from the limit (512 MiB here, where it
 * used to be a fixed 1 GiB), so Cassandra fits a small node.
 */
const smallNode = { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "1Gi" } };

test.skipIf(!runs)(
  `${providerName}: managed Cassandra on a PVC, two brokers, client Service, delete keeping the claim`,
  async () => {
    const p = await applyManagedBroker(
      provider(),
      { name, replicas: 2, deletionPolicy: "Retain", store: "cassandra", resources: smallNode },
      settleMs,
    );

    expect(await readyReplicasOf(p, children.cassandra)).toBe(1);
    expect(await claimPhase(p, children.claim)).toBe("Bound");
    const image = await p.kubectl([
      "get",
      "statefulset",
      children.cassandra,
      "-o",
      "jsonpath={.spec.template.spec.containers[0].image}",
    ]);
    expect(image).toBe(p.managedCassandra?.image);
    const log = await p.kubectl(["logs", `${children.cassandra}-0`]);
    expect(log).toContain("Startup complete");
    expect(log).toContain("-Xmx512M");

    const security = await clientOptionsFor(p, name);
    await publishAndFetch(await p.podAddress(`${name}-1`), security, "e2e.cassandra.pod");
    if (p.serviceAddress) {
      await publishAndFetch(await p.serviceAddress(name), security, "e2e.cassandra.service");
    }

    await p.kubectl(["delete", "messagebroker", name, "--wait=true", "--timeout=120s"]);
    await until(
      "the managed Cassandra's StatefulSet deleted with the MessageBroker",
      async () =>
        !(await p.kubectl(["get", "statefulset", "-o", "name"])).includes(children.cassandra),
      { timeoutMs: 120_000, intervalMs: 500 },
    );
    // Retain: the data outlives the MessageBroker until someone deletes the claim.
    expect(await claimPhase(p, children.claim)).toBe("Bound");
    await p.kubectl(["delete", "pvc", children.claim, "--wait=true", "--timeout=60s"]);
  },
  timeouts.test,
);
