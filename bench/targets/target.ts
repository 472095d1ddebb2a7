/**
 * What the harness drives: Herald (each store), the ceiling server and the
 * peers all look alike to it. A client is one connection; `publish` resolves
 * once the server acknowledged the message (Herald: durable in its store;
 * NATS core: the server has processed it; JetStream and RabbitMQ: stored).
 */
export interface TargetClient {
  publish(subject: string, body: Buffer): Promise<void>;
  close(): Promise<void>;
}

export interface Subscriber {
  /**
   * A live subscription; resolves once the server registered it, so later
   * publishes reach it. `fanOut`: many subscribers each want every message
   * (RabbitMQ then gives each its own queue; the others ignore it).
   */
  subscribe(
    subject: string,
    onMessage: (body: Uint8Array) => void,
    options?: { fanOut?: boolean },
  ): Promise<{ close(): Promise<void> | void }>;
  close(): Promise<void>;
}

export interface Target {
  /** Short name in tables and JSON. */
  readonly name: string;
  /** Server version or build, for the record. */
  readonly version: string;
  /** Declares what a subject needs before use (a RabbitMQ queue); a no-op elsewhere. */
  prepare(subject: string): Promise<void>;
  connect(): Promise<TargetClient>;
  subscriber(): Promise<Subscriber>;
  /** CPU (ms) the server's processes used so far, to report server CPU per message. */
  serverCpuMs(): number;
  /** Frees what a subject holds (purges a queue) after a measurement. */
  release(subject: string): Promise<void>;
  stop(): Promise<void>;
}

export interface GroupMember {
  /** Disconnects: what it held unacknowledged goes back to the group. */
  close(): Promise<void>;
}

/**
 * A consumer group as each system has it (Herald: a Consume group; RabbitMQ: a durable queue
 * consumed with manual acks; JetStream: a durable pull consumer): members share its messages,
 * each held by one member until acknowledged.
 */
export interface GroupTarget {
  readonly name: string;
  /** Publishes into the group's subject. */
  connect(): Promise<TargetClient>;
  /** Makes the group over `subject`, so that what is published from now on waits for members. */
  createGroup(group: string, subject: string): Promise<void>;
  /**
   * Joins; resolves once joined. `ack`: each message is acknowledged as soon as `onMessage`
   * returned; otherwise held until the member disconnects.
   */
  join(
    group: string,
    subject: string,
    onMessage: (body: Uint8Array) => void,
    options: { readonly maxInFlight: number; readonly ack: boolean },
  ): Promise<GroupMember>;
  deleteGroup(group: string, subject: string): Promise<void>;
  /** Why redelivery on disconnect is not measured; absent when it is. */
  readonly noRedelivery?: string;
}
