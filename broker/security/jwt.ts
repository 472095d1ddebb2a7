/**
 * JWT bearer tokens (broker/README.md#security), verified with jose against one issuer and
 * audience and the keys of a JWKS file (reloaded when it changes) or URL (fetched by jose, again
 * when a token names an unknown key). Kubernetes ServiceAccount tokens are one such issuer: the API
 * server publishes its keys at `/openid/v1/jwks`. A verified token is kept until it expires, so a
 * client that sends the same token on every call is verified once.
 */
import { request } from "node:https";
import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  type FetchImplementation,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { z } from "zod";
import type { Logger } from "../../lib/process/logger.ts";
import type { JwtConfig } from "../config.ts";
import { permissionsSchema } from "../../contract/auth-file.ts";
import { compilePermissions, noPermissions } from "./permissions.ts";
import type { Credential } from "./principal.ts";
import { watchFiles, type WatchedFiles } from "./watched-files.ts";

type JwtCredential = Extract<Credential, { kind: "jwt" }>;

const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string() })).min(1) });

const claimsSchema = z.looseObject({ sub: z.string().min(1), exp: z.number() });

/** Verified tokens kept before the cache starts over. */
const cacheLimit = 10_000;

export interface JwtVerifier {
  /**
   * The token's credential, at once for a token verified before and not expired; rejects when it
   * does not verify (signature, issuer, audience, expiry).
   */
  verify(token: string): JwtCredential | Promise<JwtCredential>;
  close(): void;
}

/** A fetch that trusts `ca` for the JWKS URL (the Kubernetes API server's own CA). */
function fetchTrusting(ca: Buffer): FetchImplementation {
  return (url, options) =>
    new Promise((resolve, reject) => {
      const outgoing = request(
        url,
        { method: "GET", ca, headers: Object.fromEntries(options.headers), signal: options.signal },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve(new Response(Buffer.concat(chunks), { status: response.statusCode ?? 502 })),
          );
          response.on("error", reject);
        },
      );
      outgoing.on("error", reject);
      outgoing.end();
    });
}

export async function createJwtVerifier(
  config: JwtConfig,
  reloadIntervalMs: number,
  logger: Logger,
): Promise<JwtVerifier> {
  let keys: JWTVerifyGetKey;
  let watched: WatchedFiles | undefined;
  const verified = new Map<string, JwtCredential>();
  if (config.jwks.kind === "file") {
    const path = config.jwks.path;
    watched = await watchFiles([path], {
      intervalMs: reloadIntervalMs,
      apply: ([content]) => {
        const parsed = jwksSchema.parse(JSON.parse(String(content)));
        keys = createLocalJWKSet(parsed);
        verified.clear();
        logger.info({ path, keys: parsed.keys.length }, "jwt keys loaded");
      },
      onError: (err) =>
        logger.warn(
          { err },
          "jwks file changed but could not be loaded; keeping the previous keys",
        ),
    });
  } else {
    const ca = config.jwks.caFile === undefined ? undefined : await readFile(config.jwks.caFile);
    keys = createRemoteJWKSet(
      new URL(config.jwks.url),
      ca === undefined ? {} : { [customFetch]: fetchTrusting(ca) },
    );
  }
  const verifyNew = async (token: string): Promise<JwtCredential> => {
    const { payload } = await jwtVerify(token, keys, {
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ["sub", "exp"],
    });
    const claims = claimsSchema.parse(payload);
    const claim = payload[config.permissionsClaim];
    // A malformed claim refuses the token rather than granting less than its issuer meant.
    const permissions = claim === undefined ? noPermissions : permissionsSchema.parse(claim);
    const credential: JwtCredential = {
      kind: "jwt",
      subject: claims.sub,
      claimed: {
        name: claims.sub,
        permissions: compilePermissions(permissions),
      },
      expiresAtMs: claims.exp * 1000,
    };
    if (verified.size >= cacheLimit) verified.clear();
    verified.set(token, credential);
    return credential;
  };
  return {
    verify: (token) => {
      const known = verified.get(token);
      return known !== undefined && Date.now() < known.expiresAtMs ? known : verifyNew(token);
    },
    close: () => watched?.close(),
  };
}
