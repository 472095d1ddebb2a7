import { request, type RequestOptions } from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { z } from "zod";

/** The API server as a JWT issuer: its `iss` and its current signing keys (JWKS as JSON text). */
export interface ServiceAccountIssuer {
  issuer: string;
  jwks: string;
}

/** How long a fetched issuer is used before it is fetched again (rotated keys show up within this). */
export const issuerRefreshMs = 5 * 60_000;

const requestTimeoutMs = 10_000;

const discoveryPath = "/.well-known/openid-configuration";
const jwksPath = "/openid/v1/jwks";

/** The API server's OpenID discovery document and key set; the operator's RBAC grants GET on both. */
export const serviceAccountIssuerPaths = [discoveryPath, jwksPath];

const discoverySchema = z.looseObject({ issuer: z.url() });
const jwksSchema = z.looseObject({
  keys: z.array(z.looseObject({ kty: z.string(), kid: z.string().optional() })).min(1),
});

export class IssuerUnavailableError extends Error {}

/** GET `path` from the API server with the operator's own credentials, as the typed clients send them. */
async function apiServerGet(kubeConfig: KubeConfig, path: string): Promise<unknown> {
  const server = kubeConfig.getCurrentCluster()?.server;
  if (!server) throw new IssuerUnavailableError("the kubeconfig names no cluster server");
  const options: RequestOptions = {
    method: "GET",
    // The key set is served only as application/jwk-set+json.
    headers: { accept: "application/json, application/jwk-set+json" },
    timeout: requestTimeoutMs,
  };
  await kubeConfig.applyToHTTPSOptions(options);
  const url = new URL(path, server);
  return new Promise((resolve, reject) => {
    const outgoing = request(url, options, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", reject);
      response.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if (response.statusCode !== 200) {
          reject(new IssuerUnavailableError(`GET ${path}: HTTP ${response.statusCode} ${text}`));
          return;
        }
        try {
          resolve(JSON.parse(text));
        } catch (err) {
          reject(new IssuerUnavailableError(`GET ${path}: ${String(err)}`));
        }
      });
    });
    outgoing.on("timeout", () =>
      outgoing.destroy(new IssuerUnavailableError(`GET ${path}: timed out`)),
    );
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/** Reads the issuer and its keys once from the API server's OpenID discovery endpoints. */
export async function fetchServiceAccountIssuer(
  kubeConfig: KubeConfig,
): Promise<ServiceAccountIssuer> {
  const discovery = discoverySchema.parse(await apiServerGet(kubeConfig, discoveryPath));
  const jwks = jwksSchema.parse(await apiServerGet(kubeConfig, jwksPath));
  return { issuer: discovery.issuer, jwks: JSON.stringify(jwks) };
}

/**
 * The issuer, fetched at most once per `refreshMs` and shared by concurrent callers. When a
 * refresh fails, the last good answer serves one more period; with none, the error is thrown
 * for the caller to report.
 */
export function serviceAccountIssuerReader(
  fetchIssuer: () => Promise<ServiceAccountIssuer>,
  refreshMs = issuerRefreshMs,
  now: () => number = Date.now,
): () => Promise<ServiceAccountIssuer> {
  let last: { value: ServiceAccountIssuer; at: number } | undefined;
  let pending: Promise<ServiceAccountIssuer> | undefined;
  return () => {
    if (last && now() - last.at < refreshMs) return Promise.resolve(last.value);
    pending ??= fetchIssuer()
      .then((value) => {
        last = { value, at: now() };
        return value;
      })
      .catch((err: unknown) => {
        if (!last) throw err;
        last = { ...last, at: now() };
        return last.value;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
}
