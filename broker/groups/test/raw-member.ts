/**
 * A consumer-group member on the raw Consume stream, for tests that must choose
 * each ack's kind and attempt themselves (stale acks, TERM, never acking).
 */
import { credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import {
  AckKind,
  BrokerClient,
  type ConsumeRequest,
  type ConsumeStart,
  type Delivery,
} from "../../api/gen/broker.ts";
import { until } from "../../../testing/until.ts";

export class RawMember {
  readonly deliveries: Delivery[] = [];
  /** The stream's error, once it ended with one. */
  failure: ServiceError | undefined;
  readonly joined: Promise<void>;
  readonly #client: BrokerClient;
  readonly #call: ReturnType<BrokerClient["consume"]>;

  constructor(address: string, start?: Partial<ConsumeStart>, first?: ConsumeRequest) {
    this.#client = new BrokerClient(address, credentials.createInsecure());
    this.#call = this.#client.consume(new Metadata());
    this.joined = new Promise((resolve) => this.#call.once("metadata", () => resolve()));
    this.#call.on("data", (delivery: Delivery) => this.deliveries.push(delivery));
    this.#call.on("error", (err: ServiceError) => (this.failure = err));
    this.#call.write(
      first ?? {
        start: {
          group: "",
          subject: "",
          maxInFlight: 0,
          ackWaitMs: 0,
          maxDeliveries: 0,
          startId: 0,
          ...start,
        },
      },
    );
  }

  /** Waits until `count` deliveries have arrived. */
  received(count: number, timeoutMs = 10_000): Promise<Delivery[]> {
    return until(
      `${count} deliveries (have ${this.deliveries.length})`,
      () => this.deliveries.length >= count && this.deliveries,
      { timeoutMs, intervalMs: 10 },
    );
  }

  ack(delivery: Pick<Delivery, "subject" | "id" | "attempt">, kind: AckKind = AckKind.ACK): void {
    const { subject, id, attempt } = delivery;
    this.#call.write({ ack: { subject, id, attempt, kind } });
  }

  /** The status the stream ended with. */
  ended(timeoutMs = 10_000): Promise<ServiceError> {
    return until("the stream to end with an error", () => this.failure, { timeoutMs });
  }

  /** Leaves: the broker sees the stream cancelled. */
  close(): void {
    this.#call.cancel();
    this.#client.close();
  }
}
