/**
 * Helpers of the spec-fields scenario: reading cluster objects through the provider's kubectl,
 * a broker pod's HTTP endpoints, gRPC errors and the process kubelet's pod logs.
 */
import type { ServiceError } from "@grpc/grpc-js";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import type { Provider } from "./provider.ts";

/** An object of the provider's namespace (or a cluster-scoped one), or undefined when absent. */
export async function getObject<T>(
  provider: Provider,
  resource: string,
  name: string,
): Promise<T | undefined> {
  const text = await provider.kubectl(["get", resource, name, "-o", "json", "--ignore-not-found"]);
  return text.trim() === "" ? undefined : (JSON.parse(text) as T);
}

export async function mustGet<T>(provider: Provider, resource: string, name: string): Promise<T> {
  const found = await getObject<T>(provider, resource, name);
  if (found === undefined) throw new Error(`${resource} ${name} not found`);
  return found;
}

export async function listObjects<T>(
  provider: Provider,
  resource: string,
  selector: string,
): Promise<T[]> {
  const text = await provider.kubectl(["get", resource, "-l", selector, "-o", "json"]);
  return (JSON.parse(text) as { items: T[] }).items;
}

const httpPort = 9464;

/** A broker pod's HTTP endpoint (/metrics, /cluster), on the pod's own loopback address. */
export async function brokerHttp(podIP: string, path: string): Promise<string> {
  const response = await fetch(`http://${podIP}:${httpPort}${path}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new Error(`GET ${path} on ${podIP}: HTTP ${response.status}`);
  return response.text();
}

const clusterViewSchema = z.object({
  epoch: z.number(),
  members: z.array(z.object({ name: z.string(), address: z.string() })),
  self: z.string(),
});
export type ClusterView = z.infer<typeof clusterViewSchema>;

export async function clusterView(podIP: string): Promise<ClusterView> {
  return clusterViewSchema.parse(JSON.parse(await brokerHttp(podIP, "/cluster")));
}

/** Prometheus text format → value by `name{labels}` as written (labels in exposition order). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^(\S+?(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (match?.[1] && match[2]) values.set(match[1], Number(match[2]));
  }
  return values;
}

/** The error a unary call or a stream publish failed with. */
export async function grpcFailure(call: Promise<unknown>): Promise<ServiceError> {
  try {
    await call;
  } catch (err) {
    return err as ServiceError;
  }
  throw new Error("the call succeeded, but a failure was expected");
}

export interface LogLine {
  level?: number;
  msg?: string;
}

/** The pino lines of a pod's log file as the process kubelet writes it; other lines are skipped. */
export async function podLogLines(file: string): Promise<LogLine[]> {
  const text = await readFile(file, "utf8").catch(() => "");
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      lines.push(JSON.parse(line) as LogLine);
    } catch {
      // A line cut by a concurrent write: the next read sees it whole.
    }
  }
  return lines;
}
