/**
 * The broker's TLS material, reloaded from its files without a restart (broker/README.md#security).
 * grpc-js takes certificates from a provider and applies each update to its listening server
 * (`setSecureContext`), so new connections get the new certificate while open ones keep theirs.
 * The same provider gives the peer channels their client certificate, so forwarding and handoff
 * present this member's current certificate and trust only the cluster CA.
 *
 * A new set is checked before it is served: the certificate must parse and match the key. A
 * half-written rotation (a new certificate next to the old key) is refused and the old pair stays.
 */
import { type PeerCertificate, rootCertificates } from "node:tls";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { type ChannelCredentials, experimental, type ServerCredentials } from "@grpc/grpc-js";
import type { Logger } from "../../lib/process/logger.ts";
import type { TlsConfig } from "../config.ts";
import { watchFiles, type WatchedFiles } from "./watched-files.ts";

type Identity = experimental.IdentityCertificateUpdate;
type Ca = experimental.CaCertificateUpdate;

/**
 * A certificate provider whose updates the broker pushes. A new listener gets the latest on the
 * next tick, as grpc-js's own providers do: its credentials register their watcher only after
 * adding the listener.
 */
class PushedCertificates implements experimental.CertificateProvider {
  #identity: Identity | null = null;
  #ca: Ca | null = null;
  readonly #identityListeners = new Set<experimental.IdentityCertificateUpdateListener>();
  readonly #caListeners = new Set<experimental.CaCertificateUpdateListener>();

  update(identity: Identity, ca: Ca | null): void {
    this.#identity = identity;
    this.#ca = ca;
    for (const listener of this.#caListeners) listener(ca);
    for (const listener of this.#identityListeners) listener(identity);
  }

  addCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.add(listener);
    process.nextTick(() => listener(this.#ca));
  }
  removeCaCertificateListener(listener: experimental.CaCertificateUpdateListener): void {
    this.#caListeners.delete(listener);
  }
  addIdentityCertificateListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.#identityListeners.add(listener);
    process.nextTick(() => listener(this.#identity));
  }
  removeIdentityCertificateListener(
    listener: experimental.IdentityCertificateUpdateListener,
  ): void {
    this.#identityListeners.delete(listener);
  }
}

const pemCertificates = (pem: Buffer): X509Certificate[] => {
  const blocks = pem
    .toString("utf8")
    .match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (blocks === null) throw new Error("no PEM certificate found");
  return blocks.map((block) => new X509Certificate(block));
};

/** Fingerprints of peer certificates already judged; cleared when the cluster CA changes. */
const memberCacheLimit = 1024;

export interface TlsMaterial {
  /** Server credentials that follow the files; clients must present a certificate only with a client CA. */
  readonly server: ServerCredentials;
  /**
   * Server credentials of the cluster listener: every caller must present a certificate of the
   * cluster CA (mTLS between members). Undefined without a cluster CA.
   */
  readonly cluster: ServerCredentials | undefined;
  /** Channel credentials for calls to other members: this member's certificate, the cluster CA. */
  readonly peers: ChannelCredentials;
  /** Whether a verified client certificate was issued by the cluster CA, i.e. is another member. */
  isClusterMember(certificate: PeerCertificate): boolean;
  close(): void;
}

export async function loadTls(
  config: TlsConfig,
  reloadIntervalMs: number,
  logger: Logger,
): Promise<TlsMaterial> {
  const served = new PushedCertificates();
  const toPeers = new PushedCertificates();
  const fromPeers = new PushedCertificates();
  let clusterCas: X509Certificate[] = [];
  const members = new Map<string, boolean>();
  const paths = [config.certFile, config.keyFile, config.clientCaFile, config.clusterCaFile];

  const apply = ([cert, key, clientCa, clusterCa]: readonly (Buffer | undefined)[]) => {
    if (cert === undefined || key === undefined) throw new Error("certificate or key missing");
    const [leaf] = pemCertificates(cert);
    if (leaf === undefined || !leaf.checkPrivateKey(createPrivateKey(key))) {
      throw new Error(`${config.keyFile} is not the key of ${config.certFile}`);
    }
    const clientCas = clientCa === undefined ? [] : pemCertificates(clientCa);
    const nextClusterCas = clusterCa === undefined ? [] : pemCertificates(clusterCa);
    const identity = { certificate: cert, privateKey: key };
    const trusted = [...clientCas, ...nextClusterCas];
    served.update(
      identity,
      trusted.length === 0
        ? null
        : { caCertificate: Buffer.from(trusted.map((ca) => ca.toString()).join("")) },
    );
    if (clusterCa !== undefined) fromPeers.update(identity, { caCertificate: clusterCa });
    // Without a cluster CA, peers are verified against the public roots (a one-member broker never calls one).
    toPeers.update(identity, {
      caCertificate: clusterCa ?? Buffer.from(rootCertificates.join("\n")),
    });
    clusterCas = nextClusterCas;
    members.clear();
    logger.info(
      { serial: leaf.serialNumber, validTo: leaf.validTo, subjectAltName: leaf.subjectAltName },
      "tls certificate loaded",
    );
  };

  const present = paths.filter((path): path is string => path !== undefined);
  const watched: WatchedFiles = await watchFiles(present, {
    intervalMs: reloadIntervalMs,
    apply: (contents) => {
      const byPath = new Map(present.map((path, index) => [path, contents[index]]));
      apply(paths.map((path) => (path === undefined ? undefined : byPath.get(path))));
    },
    onError: (err) =>
      logger.warn({ err }, "tls files changed but could not be loaded; keeping the previous ones"),
  });

  return {
    server: experimental.createCertificateProviderServerCredentials(
      served,
      config.clientCaFile === undefined && config.clusterCaFile === undefined ? null : served,
      config.clientCaFile !== undefined,
    ),
    cluster:
      config.clusterCaFile === undefined
        ? undefined
        : experimental.createCertificateProviderServerCredentials(fromPeers, fromPeers, true),
    peers: experimental.createCertificateProviderChannelCredentials(toPeers, toPeers),
    isClusterMember: (certificate) => {
      const known = members.get(certificate.fingerprint256);
      if (known !== undefined) return known;
      const presented = new X509Certificate(certificate.raw);
      const member = clusterCas.some(
        (ca) => presented.checkIssued(ca) && presented.verify(ca.publicKey),
      );
      if (members.size >= memberCacheLimit) members.clear();
      members.set(certificate.fingerprint256, member);
      return member;
    },
    close: () => watched.close(),
  };
}
