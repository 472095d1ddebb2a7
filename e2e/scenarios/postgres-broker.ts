/**
 * The MessageBroker the provider-independent scenarios run: `replicas` brokers on the provider's
 * external PostgreSQL, read back and awaited through kubectl only.
 */
import { until } from "../../testing/until.ts";
import type { Provider } from "./provider.ts";

export interface BrokerView {
  spec?: { replicas?: number };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    membershipEpoch?: number;
    scaling?: { from: number; to: number; step: string };
    conditions?: { type: string; status: string; reason: string; message?: string }[];
  };
}

/** `at` points the brokers elsewhere than the provider's PostgreSQL (a store they cannot reach). */
export function postgresBrokerManifest(
  provider: Provider,
  name: string,
  replicas: number,
  at: { host: string; port: number } = provider.postgres,
): string {
  const { database, credentialsSecret } = provider.postgres;
  const { host, port } = at;
  return JSON.stringify({
    apiVersion: "herald.dev/v1alpha1",
    kind: "MessageBroker",
    metadata: { name, namespace: provider.namespace },
    spec: {
      replicas,
      storage: {
        type: "postgres",
        postgres: {
          external: { host, port, database, credentialsSecret: { name: credentialsSecret } },
        },
      },
    },
  });
}

export async function readBroker(provider: Provider, name: string): Promise<BrokerView> {
  return JSON.parse(
    await provider.kubectl(["get", "messagebroker", name, "-o", "json"]),
  ) as BrokerView;
}

/** Resolves once no scale is in progress and every wanted pod is ready. */
export const settledAt = (provider: Provider, name: string, replicas: number, timeoutMs: number) =>
  until(
    `MessageBroker ${name} settled at ${replicas} ready replicas`,
    async () => {
      const broker = await readBroker(provider, name);
      const { status } = broker;
      const ready = status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      return ready &&
        !status?.scaling &&
        status?.readyReplicas === replicas &&
        status.replicas === replicas
        ? broker
        : undefined;
    },
    { timeoutMs, intervalMs: 200 },
  );
