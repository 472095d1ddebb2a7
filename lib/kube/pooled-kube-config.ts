import { KubeConfig, type RequestContext } from "@kubernetes/client-node";
import { readFileSync } from "node:fs";

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * A KubeConfig whose API calls share one connection pool. client-node gives every call a new
 * undici Agent when the cluster has a CA (always, in a cluster): a new TCP connection and TLS
 * handshake per request, on both sides, and the native TLS state of each idle connection until it
 * times out. An operator making thousands of calls paid for that in CPU and resident memory.
 *
 * The pool is replaced, and the old one closed once its calls finish, when the TLS material it was
 * made for changes: certificate files are read again on every call, as client-node does.
 */
export class PooledKubeConfig extends KubeConfig {
  #pool: { identity: string; dispatcher: Dispatcher } | undefined;

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const fresh = context.getDispatcher();
    if (fresh === undefined) return;
    const identity = tlsIdentity(this);
    if (this.#pool?.identity !== identity) {
      const previous = this.#pool?.dispatcher;
      this.#pool = { identity, dispatcher: fresh };
      // Calls under way keep their connections; close() waits for them.
      void previous?.close().catch(() => undefined);
    }
    context.setDispatcher(this.#pool.dispatcher);
  }
}

/** What a connection's TLS is made of: server, verification, and the CA and client certificates. */
function tlsIdentity(config: KubeConfig): string {
  const cluster = config.getCurrentCluster();
  const user = config.getCurrentUser();
  // A file wins over inline data, as in client-node.
  const material = (path: string | undefined, data: string | undefined) =>
    path ? readFileSync(path, "base64") : data;
  return JSON.stringify([
    cluster?.server,
    cluster?.skipTLSVerify,
    cluster?.tlsServerName,
    cluster?.proxyUrl,
    material(cluster?.caFile, cluster?.caData),
    material(user?.certFile, user?.certData),
    material(user?.keyFile, user?.keyData),
  ]);
}
