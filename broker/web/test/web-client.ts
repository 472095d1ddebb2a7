/**
 * Test clients of the web gateway on 127.0.0.1: a gateway on an in-process broker, Server-Sent
 * Events read from Node's fetch, and a WebSocket of JSON frames. Every wait is bounded.
 */
import type { ReadableStreamDefaultReader, ReadableStreamReadResult } from "node:stream/web";
import { pino } from "pino";
import { WebSocket } from "ws";
import type { Broker } from "../../broker.ts";
import { startWebGateway, type WebGateway, type WebGatewayOptions } from "../gateway.ts";

const waitMs = 10_000;

export interface TestGateway {
  readonly gateway: WebGateway;
  /** `http://127.0.0.1:port` */
  readonly url: string;
}

export async function startTestGateway(
  broker: Broker,
  overrides: Partial<WebGatewayOptions> = {},
): Promise<TestGateway> {
  const gateway = await startWebGateway({
    address: { host: "127.0.0.1", port: 0 },
    corsOrigins: [],
    maxStreams: 100,
    handlers: broker.service,
    console: broker.console,
    consoleDir: undefined,
    maxMessageBytes: 64 * 1024,
    tls: undefined,
    logger: pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" }),
    ...overrides,
  });
  return { gateway, url: `http://127.0.0.1:${gateway.port}` };
}

export interface ServerSentEvent {
  readonly event: string;
  readonly id: string;
  readonly data: string;
}

export interface EventStream {
  readonly status: number;
  readonly headers: Headers;
  /** The next event (comments skipped); rejects after `timeoutMs`. */
  next(timeoutMs?: number): Promise<ServerSentEvent>;
  /** Events until `count` have arrived. */
  take(count: number): Promise<ServerSentEvent[]>;
  close(): void;
}

/** Opens `url` as an event stream; a refused one has its status and JSON body in `refusal`. */
export async function openEvents(
  url: string,
  headers: Record<string, string> = {},
): Promise<EventStream & { refusal?: { code: string; message: string } }> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  if (!response.ok) {
    const refusal = (await response.json()) as { code: string; message: string };
    return { ...closedStream(response), refusal };
  }
  const reader: ReadableStreamDefaultReader<Uint8Array> | undefined = response.body?.getReader();
  if (reader === undefined) throw new Error("no body");
  const decoder = new TextDecoder();
  let buffered = "";
  const parse = (block: string): ServerSentEvent | undefined => {
    const fields = { event: "message", id: "", data: [] as string[] };
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^ /, "");
      if (name === "event") fields.event = value;
      else if (name === "id") fields.id = value;
      else if (name === "data") fields.data.push(value);
    }
    return fields.data.length === 0 && fields.id === ""
      ? undefined
      : { event: fields.event, id: fields.id, data: fields.data.join("\n") };
  };
  const next = async (timeoutMs = waitMs): Promise<ServerSentEvent> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = buffered.indexOf("\n\n");
      if (end !== -1) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const event = parse(block);
        if (event !== undefined) return event;
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no event within ${timeoutMs} ms`);
      let timer: NodeJS.Timeout | undefined;
      const chunk: ReadableStreamReadResult<Uint8Array> = await Promise.race([
        reader.read(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms`)), left);
        }),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) throw new Error("the event stream ended");
      buffered += decoder.decode(chunk.value, { stream: true });
    }
  };
  return {
    status: response.status,
    headers: response.headers,
    next,
    take: async (count) => {
      const events: ServerSentEvent[] = [];
      while (events.length < count) events.push(await next());
      return events;
    },
    close: () => abort.abort(),
  };
}

function closedStream(response: Response): EventStream {
  const closed = () => Promise.reject(new Error(`the stream was refused (${response.status})`));
  return {
    status: response.status,
    headers: response.headers,
    next: closed,
    take: closed,
    close: () => undefined,
  };
}

export type Frame = Record<string, unknown> & { op: string };

export interface FrameSocket {
  send(frame: object | string): void;
  /** The next frame that `matches` (others before it are kept for later calls); bounded. */
  next(matches?: (frame: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
  close(): Promise<void>;
}

export async function openSocket(
  url: string,
  headers: Record<string, string> = {},
): Promise<FrameSocket> {
  const socket = new WebSocket(url, { headers });
  const frames: Frame[] = [];
  let wake = () => {};
  socket.on("message", (data: Buffer) => {
    frames.push(JSON.parse(data.toString("utf8")) as Frame);
    wake();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
  });
  return {
    send: (frame) => socket.send(typeof frame === "string" ? frame : JSON.stringify(frame)),
    next: async (matches = () => true, timeoutMs = waitMs) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = frames.findIndex(matches);
        if (index !== -1) return frames.splice(index, 1)[0] as Frame;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === socket.CLOSED) return resolve();
        socket.once("close", () => resolve());
        socket.close();
      }),
  };
}

/** The status of a refused WebSocket upgrade. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const timer = setTimeout(() => reject(new Error("no answer to the upgrade")), waitMs);
    socket.once("unexpected-response", (_request, response) => {
      clearTimeout(timer);
      resolve(response.statusCode ?? 0);
      response.resume();
      socket.terminate();
    });
    socket.once("open", () => {
      clearTimeout(timer);
      socket.close();
      reject(new Error("the upgrade was accepted"));
    });
    socket.once("error", () => undefined);
  });
}
