/**
 * TLS of the gateway: the gRPC port's certificate and key, and with HERALD_TLS_CLIENT_CA_FILE the
 * same mTLS (a client must present a certificate that CA signed), followed on their files as the
 * gRPC port follows them, so one rotation reaches both ports. A key that does not match its
 * certificate (a rotation caught half-written) is refused and the previous pair stays.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { Server as TlsServer, SecureContextOptions } from "node:tls";
import type { Logger } from "../../lib/process/logger.ts";
import type { TlsConfig } from "../config.ts";
import { watchFiles } from "../security/watched-files.ts";

export interface GatewayTlsSettings {
  readonly files: TlsConfig;
  /** The longest a change of the files goes unnoticed. */
  readonly reloadIntervalMs: number;
}

export interface GatewayTls {
  /** The options of the first set, for the server's creation. */
  readonly options: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  /** Serves every later set on `server`: new connections get it, open ones keep theirs. */
  follow(server: TlsServer): void;
  close(): void;
}

export async function loadGatewayTls(
  { files, reloadIntervalMs }: GatewayTlsSettings,
  logger: Logger,
): Promise<GatewayTls> {
  const mutual = files.clientCaFile !== undefined;
  const paths = [files.certFile, files.keyFile, ...(mutual ? [files.clientCaFile] : [])];
  let current: SecureContextOptions = {};
  let server: TlsServer | undefined;
  const watched = await watchFiles(paths, {
    intervalMs: reloadIntervalMs,
    apply: ([cert, key, ca]) => {
      if (cert === undefined || key === undefined) throw new Error("certificate or key missing");
      if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
        throw new Error(`${files.keyFile} is not the key of ${files.certFile}`);
      }
      current = { cert, key, ...(ca === undefined ? {} : { ca }) };
      server?.setSecureContext(current);
    },
    onError: (err) =>
      logger.warn(
        { err },
        "gateway tls files changed but could not be loaded; keeping the previous ones",
      ),
  });
  return {
    options: { ...current, requestCert: mutual, rejectUnauthorized: mutual },
    follow: (tlsServer) => {
      server = tlsServer;
    },
    close: () => watched.close(),
  };
}
