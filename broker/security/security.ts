/**
 * The broker's security from its configuration (broker/README.md#security): the TLS material, and
 * the access control when an auth file or a JWT issuer is configured. Without either, calls are not
 * authenticated, as before security existed, and the broker says so once at startup.
 */
import { EnvError } from "../../lib/process/env.ts";
import type { Logger } from "../../lib/process/logger.ts";
import type { SecurityConfig } from "../config.ts";
import { type AccessControl, createAccessControl } from "./access-control.ts";
import { emptyDirectory, parseAuthFile } from "./auth-file.ts";
import { createJwtVerifier, type JwtVerifier } from "./jwt.ts";
import type { Directory } from "./principal.ts";
import { loadTls, type TlsMaterial } from "./tls-reloader.ts";
import { watchFiles, type WatchedFiles } from "./watched-files.ts";

export interface Security {
  readonly tls: TlsMaterial | undefined;
  /** Undefined: calls are not authenticated. */
  readonly access: AccessControl | undefined;
  /** Stops following the files. */
  close(): void;
}

/**
 * A file that cannot be used at startup stops the broker with one line naming its variable: the
 * variable of the file that could not be read, else the first of `files` (the message names the file).
 */
const startupFailure =
  (files: Readonly<Record<string, string | undefined>>) =>
  (err: unknown): never => {
    const path = err instanceof Error ? (err as NodeJS.ErrnoException).path : undefined;
    const named = Object.entries(files).find(([, file]) => file !== undefined && file === path);
    const [variable = "environment"] = named ?? Object.keys(files);
    throw new EnvError(variable, err instanceof Error ? err.message : String(err));
  };

export async function startSecurity(
  config: SecurityConfig | undefined,
  logger: Logger,
): Promise<Security> {
  const tls =
    config?.tls === undefined
      ? undefined
      : await loadTls(config.tls, config.reloadIntervalMs, logger).catch(
          startupFailure({
            HERALD_TLS_CERT_FILE: config.tls.certFile,
            HERALD_TLS_KEY_FILE: config.tls.keyFile,
            HERALD_TLS_CLIENT_CA_FILE: config.tls.clientCaFile,
            HERALD_TLS_CLUSTER_CA_FILE: config.tls.clusterCaFile,
          }),
        );
  if (config === undefined || (config.authFile === undefined && config.jwt === undefined)) {
    logger.warn(
      "authentication is off: every client may publish, fetch and subscribe on every subject " +
        "(set HERALD_AUTH_FILE or HERALD_JWT_ISSUER)",
    );
    return { tls, access: undefined, close: () => tls?.close() };
  }
  if (tls === undefined)
    logger.warn("authentication without TLS: credentials cross the network in clear");

  const jwt: JwtVerifier | undefined =
    config.jwt === undefined
      ? undefined
      : await createJwtVerifier(config.jwt, config.reloadIntervalMs, logger).catch(
          startupFailure(
            config.jwt.jwks.kind === "file"
              ? { HERALD_JWT_JWKS_FILE: config.jwt.jwks.path }
              : { HERALD_JWT_JWKS_CA_FILE: config.jwt.jwks.caFile },
          ),
        );
  let directory: Directory = emptyDirectory;
  let generation = 0;
  const access = createAccessControl({
    directory: () => directory,
    generation: () => generation,
    jwt,
    tls,
  });
  let authFile: WatchedFiles | undefined;
  const path = config.authFile;
  if (path !== undefined) {
    authFile = await watchFiles([path], {
      intervalMs: config.reloadIntervalMs,
      apply: ([content]) => {
        directory = parseAuthFile(String(content));
        generation += 1;
        logger.info({ path, generation }, "auth file loaded");
        access.revalidate();
      },
      onError: (err) =>
        logger.warn({ err }, "auth file changed but could not be loaded; keeping the previous one"),
    }).catch(startupFailure({ HERALD_AUTH_FILE: path }));
  }
  return {
    tls,
    access,
    close: () => {
      tls?.close();
      authFile?.close();
      jwt?.close();
    },
  };
}
