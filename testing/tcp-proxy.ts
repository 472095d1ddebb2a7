/**
 * A loopback TCP proxy in front of a real server (TLS passes through untouched), so a test can
 * cut, sever or stall the link, as an outage or a network failure would, without touching the
 * shared server itself.
 */
import net from "node:net";
import { once } from "node:events";
import { Transform } from "node:stream";

interface Link {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
  /** Between client and upstream, one per direction: where `setLatency` holds each chunk. */
  delays: readonly [Transform, Transform] | undefined;
}

export class TcpProxy {
  readonly #target: { readonly host: string; readonly port: number };
  readonly #links = new Set<Link>();
  #server: net.Server;
  #port = 0;
  #stalled = false;
  #latencyMs = 0;

  private constructor(host: string, port: number) {
    this.#target = { host, port };
    this.#server = this.#newServer();
  }

  /** Starts a proxy on an ephemeral 127.0.0.1 port forwarding to host:port. */
  static async start(host: string, port: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(host, port);
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#links.size;
  }

  /** A network failure: reset every open connection; new ones are accepted again at once. */
  severAll(): void {
    for (const link of this.#links) this.#drop(link);
  }

  /** Outage: refuse new connections and reset every open one. */
  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.#server.close(resolve));
    this.severAll();
    await closed;
  }

  /** The server is back, on the same port. */
  async restore(): Promise<void> {
    this.#server = this.#newServer();
    await this.#listen(this.#port);
  }

  /** A hung server: connections stay open but no byte moves, until `resume`. */
  stall(): void {
    this.#stalled = true;
    for (const { client, upstream } of this.#links) {
      client.unpipe();
      upstream?.unpipe();
      client.pause();
      upstream?.pause();
    }
  }

  resume(): void {
    this.#stalled = false;
    for (const link of this.#links) this.#forward(link);
  }

  /**
   * A slow link (a slow disk behind the server, say): every chunk, either way, waits this long
   * before it is passed on, one after the other, in order; 0 (the default) passes at once.
   */
  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }

  async close(): Promise<void> {
    await this.cut();
  }

  #newServer(): net.Server {
    return net.createServer((client) => {
      const link: Link = { client, upstream: undefined, delays: undefined };
      this.#links.add(link);
      client.on("error", () => this.#drop(link));
      client.on("close", () => this.#drop(link));
      if (this.#stalled) client.pause();
      else this.#forward(link);
    });
  }

  async #listen(port: number): Promise<void> {
    this.#server.listen(port, "127.0.0.1");
    await once(this.#server, "listening");
    const address = this.#server.address();
    if (address === null || typeof address === "string") throw new Error("proxy has no port");
    this.#port = address.port;
  }

  #forward(link: Link): void {
    if (link.upstream === undefined) {
      const upstream = net.connect(this.#target.port, this.#target.host);
      upstream.on("error", () => this.#drop(link));
      upstream.on("close", () => this.#drop(link));
      link.upstream = upstream;
      link.delays = [this.#delay(), this.#delay()];
      link.delays[0].pipe(upstream);
      link.delays[1].pipe(link.client);
    }
    const [toUpstream, toClient] = link.delays ?? [];
    if (toUpstream === undefined || toClient === undefined) throw new Error("link has no delays");
    link.client.pipe(toUpstream);
    link.upstream.pipe(toClient);
    link.client.resume();
    link.upstream.resume();
  }

  /** Passes chunks on after the latency of the moment (at once when it is 0). */
  #delay(): Transform {
    return new Transform({
      transform: (chunk: Buffer, _encoding, passOn) => {
        if (this.#latencyMs === 0) passOn(null, chunk);
        else setTimeout(() => passOn(null, chunk), this.#latencyMs);
      },
    });
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    link.client.resetAndDestroy();
    link.upstream?.resetAndDestroy();
    for (const delay of link.delays ?? []) delay.destroy();
  }
}
