/**
 * A loopback TCP proxy in front of a real server (TLS passes through untouched), so a test can
 * cut, sever or stall the link, as an outage or a network failure would, without touching the
 * shared server itself.
 */
import net from "node:net";
import { once } from "node:events";

interface Link {
  readonly client: net.Socket;
  upstream: net.Socket | undefined;
}

export class TcpProxy {
  readonly #target: { readonly host: string; readonly port: number };
  readonly #links = new Set<Link>();
  #server: net.Server;
  #port = 0;
  #stalled = false;

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

  async close(): Promise<void> {
    await this.cut();
  }

  #newServer(): net.Server {
    return net.createServer((client) => {
      const link: Link = { client, upstream: undefined };
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
    }
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
    link.client.resume();
    link.upstream.resume();
  }

  #drop(link: Link): void {
    if (!this.#links.delete(link)) return;
    link.client.resetAndDestroy();
    link.upstream?.resetAndDestroy();
  }
}
