/**
 * The pipelined publisher of a routing client: one PublishStream per member, each message on the
 * stream of its subject's owner. A subject keeps its order when its owner changes: its messages
 * wait until those sent on the previous stream are answered before they go on the new one.
 */
import type { BrokerClient } from "../api/gen/broker.ts";
import type { OpenStream, PublishOptions, StreamPublisher } from "./stream-publisher.ts";

export interface RoutedPublisherDeps {
  /** The channel of the subject's owner (or the seed). */
  readonly channelFor: (subject: string) => BrokerClient;
  readonly open: (channel: BrokerClient) => OpenStream;
}

/** The last message of a subject: the stream it went on, when it is written, and when answered. */
interface SubjectTail {
  readonly channel: BrokerClient;
  isWritten: boolean;
  readonly written: Promise<void>;
  readonly settled: Promise<void>;
}

export function routedPublisher(deps: RoutedPublisherDeps): StreamPublisher {
  const streams = new Map<BrokerClient, OpenStream>();
  const tails = new Map<string, SubjectTail>();

  const streamOf = (channel: BrokerClient): OpenStream => {
    let stream = streams.get(channel);
    if (stream === undefined || stream.ended) {
      stream = deps.open(channel);
      streams.set(channel, stream);
    }
    return stream;
  };

  /** Sends at once, or after `gate`; the tail records when the message is written and answered. */
  const enqueue = (
    channel: BrokerClient,
    send: () => Promise<number>,
    gate: Promise<void> | undefined,
  ) => {
    if (gate === undefined) {
      const result = send();
      const tail = {
        channel,
        isWritten: true,
        written: Promise.resolve(),
        settled: settle(result),
      };
      return { tail, result };
    }
    let markWritten: () => void = noop;
    const written = new Promise<void>((resolve) => (markWritten = resolve));
    const result = gate.then(() => {
      const sent = send();
      tail.isWritten = true;
      markWritten();
      return sent;
    });
    const tail: SubjectTail = { channel, isWritten: false, written, settled: settle(result) };
    return { tail, result };
  };

  return {
    publish: (subject, body, options?: PublishOptions) => {
      const channel = deps.channelFor(subject);
      const previous = tails.get(subject);
      const send = () => streamOf(channel).publish(subject, body, options);
      // Same stream: after the previous message is written; another stream: after it is answered.
      const gate =
        previous === undefined || (previous.channel === channel && previous.isWritten)
          ? undefined
          : previous.channel === channel
            ? previous.written
            : previous.settled;
      const { tail, result } = enqueue(channel, send, gate);
      tails.set(subject, tail);
      void tail.settled.then(() => {
        if (tails.get(subject) === tail) tails.delete(subject);
      });
      return result;
    },
    close: async () => {
      await Promise.all([...tails.values()].map((tail) => tail.settled));
      await Promise.all([...streams.values()].map((stream) => stream.close()));
    },
  };
}

const noop = () => undefined;

const settle = (result: Promise<number>): Promise<void> => result.then(noop, noop);
