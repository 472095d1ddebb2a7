/**
 * Continuous traffic for a scenario: one rate-limited publisher over many subjects and one live
 * subscriber per subject, recording what was acknowledged and what was received, so that the
 * scenario can check Herald's promises across scale steps.
 */
import {
  HeraldClient,
  type HeraldClientOptions,
  type ReceivedMessage,
} from "../../broker/client/herald-client.ts";

export interface TrafficOptions {
  address: string;
  /** TLS and token of the scenario's user (credentials.ts). */
  client: HeraldClientOptions;
  subjects: readonly string[];
  /** Publishes per second over all subjects. */
  ratePerSecond: number;
}

export interface Traffic {
  /** Acknowledged publishes per subject: id → body, in acknowledgement order. */
  readonly acked: Map<string, { id: number; body: string }[]>;
  readonly received: Map<string, ReceivedMessage[]>;
  readonly failedPublishes: () => number;
  /** Stops publishing; subscribers keep running until {@link close}. */
  stopPublishing(): Promise<void>;
  close(): void;
}

export async function startTraffic(options: TrafficOptions): Promise<Traffic> {
  const publisher = new HeraldClient(options.address, { ...options.client, callTimeoutMs: 10_000 });
  const subscriber = new HeraldClient(options.address, options.client);
  const acked = new Map(
    options.subjects.map((subject) => [subject, [] as { id: number; body: string }[]]),
  );
  const received = new Map(options.subjects.map((subject) => [subject, [] as ReceivedMessage[]]));
  const abort = new AbortController();

  // Subscribers first: each must be registered before the first publish it is to receive.
  await Promise.all(
    options.subjects.map(
      (subject) =>
        new Promise<void>((registered, failed) => {
          const into = received.get(subject) ?? [];
          void (async () => {
            try {
              const stream = subscriber.subscribe(subject, {
                resume: true,
                startId: 1, // fresh subjects: a resubscription before the first message misses nothing
                signal: abort.signal,
                onSubscribed: () => registered(),
              });
              for await (const message of stream) into.push(message);
            } catch (err) {
              failed(err instanceof Error ? err : new Error(String(err)));
            }
          })();
        }),
    ),
  );

  let publishing = true;
  let failed = 0;
  const intervalMs = 1000 / options.ratePerSecond;
  const loop = (async () => {
    for (let n = 0; publishing; n++) {
      const started = Date.now();
      const subject = options.subjects[n % options.subjects.length] ?? "";
      const body = `${subject}#${n}`;
      try {
        const id = await publisher.publish(subject, body);
        acked.get(subject)?.push({ id, body });
      } catch {
        failed++; // not acknowledged: nothing is promised about it
      }
      const wait = intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  })();

  return {
    acked,
    received,
    failedPublishes: () => failed,
    async stopPublishing() {
      publishing = false;
      await loop;
    },
    close() {
      abort.abort();
      publisher.close();
      subscriber.close();
    },
  };
}
