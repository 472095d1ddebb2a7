import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";

/**
 * What brokers say about their store: the first "store unavailable: <cause>" among the named
 * pods' `/readyz` answers (broker/README.md#probes), or undefined when none says so. The cause
 * (refused connection, failed authentication, missing database, unknown host) is what a user
 * needs to fix an external store, and only the brokers can see it.
 */
export type StoreHealthReader = (
  namespace: string,
  podNames: readonly string[],
  httpPort: number,
) => Promise<string | undefined>;

const requestTimeoutMs = 1000;
const storeUnavailable = /^not ready: (store unavailable: .+)$/;

/** The store cause in one `/readyz` body, if the body gives one. */
export function storeCauseOf(body: string): string | undefined {
  return storeUnavailable.exec(body.trim())?.[1];
}

export function brokerStoreHealthReader(kubeConfig: KubeConfig): StoreHealthReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, podNames, httpPort) => {
    const causes = await Promise.all(
      podNames.map(async (name) => {
        const pod = await core.readNamespacedPod({ namespace, name }).catch(() => undefined);
        const ip = pod?.status?.podIP;
        if (ip === undefined) return undefined;
        const cause = await readyzCause(ip, httpPort);
        return cause === undefined ? undefined : `${name}: ${cause}`;
      }),
    );
    return causes.find((cause) => cause !== undefined);
  };
}

async function readyzCause(ip: string, port: number): Promise<string | undefined> {
  const host = ip.includes(":") ? `[${ip}]` : ip;
  try {
    const response = await fetch(`http://${host}:${port}/readyz`, {
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    return response.ok ? undefined : storeCauseOf(await response.text());
  } catch {
    return undefined;
  }
}
