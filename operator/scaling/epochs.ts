import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";

/** What a broker's `GET /cluster` answers (broker/cluster/cluster-view.ts ClusterSnapshot). */
const clusterSchema = z.looseObject({ epoch: z.int().min(0) });

/** The epoch each named pod reports; undefined for a pod without an IP or not answering. */
export type EpochReader = (
  namespace: string,
  podNames: readonly string[],
  httpPort: number,
) => Promise<(number | undefined)[]>;

const requestTimeoutMs = 1000;

/** Reads pod IPs from the API server and asks each broker for its adopted membership epoch. */
export function brokerEpochReader(kubeConfig: KubeConfig): EpochReader {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  return async (namespace, podNames, httpPort) =>
    Promise.all(
      podNames.map(async (name) => {
        const pod = await core.readNamespacedPod({ namespace, name }).catch(() => undefined);
        const ip = pod?.status?.podIP;
        return ip === undefined ? undefined : reportedEpoch(ip, httpPort);
      }),
    );
}

export async function reportedEpoch(ip: string, port: number): Promise<number | undefined> {
  const host = ip.includes(":") ? `[${ip}]` : ip;
  try {
    const response = await fetch(`http://${host}:${port}/cluster`, {
      signal: AbortSignal.timeout(requestTimeoutMs),
    });
    if (!response.ok) return undefined;
    const parsed = clusterSchema.safeParse(await response.json());
    return parsed.success ? parsed.data.epoch : undefined;
  } catch {
    return undefined;
  }
}
