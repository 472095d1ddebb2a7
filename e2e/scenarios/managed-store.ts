/**
 * What the managed-store scenarios (managed-postgres, managed-cassandra) share: a MessageBroker on
 * a managed store, reading the store's StatefulSet and claim, and a publish and fetch at an
 * address once the scenario user's token is accepted there.
 */
import { expect } from "vitest";
import { z } from "zod";
import { HeraldClient, type HeraldClientOptions } from "../../broker/client/herald-client.ts";
import { untilAccepted } from "./credentials.ts";
import { settledAt } from "./postgres-broker.ts";
import type { Provider } from "./provider.ts";

export interface ManagedBroker {
  name: string;
  replicas: number;
  deletionPolicy: "Retain" | "Delete";
  store: "postgres" | "cassandra";
  /** The store container's resources; the operator's defaults when absent. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

/**
 * Applies a MessageBroker on the store the provider runs as pods, at the version it names, with a
 * 1Gi volume, and waits until it has settled with every broker Ready. Returns the provider, which
 * is there once the scenario's setup ran.
 */
export async function applyManagedBroker(
  p: Provider | undefined,
  broker: ManagedBroker,
  timeoutMs: number,
): Promise<Provider> {
  const { name, replicas, deletionPolicy, store, resources } = broker;
  const version = (store === "postgres" ? p?.managedPostgres : p?.managedCassandra)?.version;
  if (!p || !version) throw new Error(`the provider runs no managed ${store}`);
  const manifest = {
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: { name, namespace: p.namespace },
    spec: {
      replicas,
      deletionPolicy,
      storage: { type: store, [store]: { managed: { version, storage: "1Gi", resources } } },
    },
  };
  const started = Date.now();
  await p.kubectl(["apply", "-f", "-"], JSON.stringify(manifest));
  await settledAt(p, name, replicas, timeoutMs);
  process.stderr.write(
    `e2e ${p.name}: managed ${store} and ${replicas} brokers Ready in ${Date.now() - started} ms\n`,
  );
  return p;
}

const StatefulSetSchema = z.object({ status: z.object({ readyReplicas: z.number().optional() }) });
const ClaimSchema = z.object({ status: z.object({ phase: z.string() }) });

export async function readyReplicasOf(p: Provider, statefulSet: string): Promise<number> {
  const json: unknown = JSON.parse(
    await p.kubectl(["get", "statefulset", statefulSet, "-o", "json"]),
  );
  return StatefulSetSchema.parse(json).status.readyReplicas ?? 0;
}

export async function claimPhase(p: Provider, claim: string): Promise<string> {
  const json: unknown = JSON.parse(await p.kubectl(["get", "pvc", claim, "-o", "json"]));
  return ClaimSchema.parse(json).status.phase;
}

/**
 * A real kubelet refreshes a mounted Secret on its periodic pod sync (a minute or more) unless the
 * pod changes; the operator annotates the broker pods when the auth file changes
 * (operator/controller/remount.ts), so a new user's token reaches them within seconds.
 */
const credentialsReachPodsMs = 20_000;

export async function publishAndFetch(
  address: string,
  security: HeraldClientOptions,
  subject: string,
): Promise<void> {
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
