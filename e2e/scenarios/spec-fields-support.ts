/**
 * Helpers of the spec-fields scenario: reading cluster objects through the provider's kubectl,
 * a broker pod's HTTP endpoints, its gateway and served certificate, gRPC errors and the process
 * kubelet's pod logs.
 */
import type { ServiceError } from "@grpc/grpc-js";
import type { V1Pod, V1Secret } from "@kubernetes/client-node";
import type { X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { request as httpsRequest } from "node:https";
import { connect as tlsConnect } from "node:tls";
import { z } from "zod";
import type { HeraldClientOptions } from "../../broker/client/herald-client.ts";
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

/** The entries of a Secret, decoded. */
export async function secretData(
  provider: Provider,
  name: string,
): Promise<Record<string, Buffer>> {
  const secret = await mustGet<V1Secret>(provider, "secret", name);
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64")]),
  );
}

/** The process a pod's broker container runs as: the process kubelet reports `process://<pid>`. */
export function brokerPid(of: V1Pod): number {
  const status = of.status?.containerStatuses?.find((s) => s.name === "broker");
  const match = /^process:\/\/(\d+)$/.exec(status?.containerID ?? "");
  if (!match?.[1]) throw new Error(`pod ${of.metadata?.name} has no running broker process`);
  return Number(match[1]);
}

export interface GatewayResponse {
  status: number;
  body: string;
}

/**
 * One request to a broker's gateway over HTTPS as a client holding `security` does: trusting its
 * CA, checking the certificate for the Service name (the URL names a pod IP), with the bearer token.
 */
export function gatewayRequest(
  url: string,
  security: HeraldClientOptions,
  call: { method?: string; body?: string } = {},
): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      url,
      {
        method: call.method ?? "GET",
        ca: security.tls?.ca,
        servername: security.tls?.serverName,
        headers: security.token === undefined ? {} : { authorization: `Bearer ${security.token}` },
        timeout: 5000,
      },
      (response) => {
        let body = "";
        response.setEncoding("utf8");
        response.on("data", (chunk: string) => (body += chunk));
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      },
    );
    outgoing.once("timeout", () => outgoing.destroy(new Error(`no answer from ${url} within 5 s`)));
    outgoing.once("error", reject);
    outgoing.end(call.body);
  });
}

/**
 * The certificate a new TLS connection to `address` (host:port) is served, negotiated as a gRPC
 * client does (ALPN h2, SNI `serverName`); the handshake fails unless `ca` signed it for that name.
 */
export function servedCertificate(
  address: string,
  ca: Buffer,
  serverName: string,
): Promise<X509Certificate> {
  const [host, port] = address.split(":");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port: Number(port),
      ca,
      servername: serverName,
      ALPNProtocols: ["h2"],
    });
    socket.setTimeout(5000, () => socket.destroy(new Error(`no handshake with ${address} in 5 s`)));
    socket.once("secureConnect", () => {
      const served = socket.getPeerX509Certificate();
      socket.end();
      if (served) resolve(served);
      else reject(new Error(`${address} presented no certificate`));
    });
    socket.once("error", reject);
  });
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
