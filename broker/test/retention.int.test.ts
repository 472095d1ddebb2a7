/**
 * Retention (broker/README.md#retention) on a real broker over real gRPC: the
 * default expiry of a publish that asks for none, and the maximum, on every
 * publish path; in a cluster, the member the client called applies it once.
 */
import { status } from "@grpc/grpc-js";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Broker, type BrokerSettings, startBroker } from "../broker.ts";
import { HeraldClient } from "../client/herald-client.ts";
import { rendezvousOwner } from "../cluster/hrw.ts";
import type { Member, Membership } from "../cluster/membership/membership.ts";
import { StaticMembershipSource } from "../cluster/membership/static-source.ts";
import { freePort } from "../../testing/free-port.ts";
import { until } from "../../testing/until.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { expectStatus, failureOf } from "./expectations.ts";
import { defaultTestSettings, startTestBroker, type TestBroker, uniqueSubject } from "./harness.ts";

const newStore = () => new MemoryStore({ maxMessagesPerSubject: 1000 });
const maxError = /expirationSeconds 120 exceeds the maximum of 60/;

/** Resolves once `fetch` answers that the message has expired (bounded). */
const expectExpires = (client: HeraldClient, subject: string, id: number) =>
  until(
    `message ${id} of ${subject} to expire`,
    async () => {
      const err = await failureOf(client.fetch(subject, id));
      return err.code === status.INVALID_ARGUMENT && /expired/.test(err.details);
    },
    { timeoutMs: 5_000 },
  );

describe("retention on one broker", () => {
  let broker: TestBroker;
  let client: HeraldClient;

  beforeAll(async () => {
    broker = await startTestBroker(newStore(), {
      retention: { defaultExpirationSeconds: 1, maxExpirationSeconds: 60 },
    });
    client = broker.client();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("gives a publish without an expiry the default, on Publish, PublishBatch and PublishStream", async () => {
    const subject = uniqueSubject("retention.default");
    const kept = await client.publish(subject, "kept", { ttlSeconds: 60 });
    const viaPublish = await client.publish(subject, "publish");
    const [viaBatch = 0] = await client.publishBatch([{ subject, body: "batch" }]);
    const publisher = client.publisher();
    const viaStream = await publisher.publish(subject, "stream");
    await publisher.close();
    for (const id of [viaPublish, viaBatch, viaStream]) await expectExpires(client, subject, id);
    expect((await client.fetch(subject, kept)).body.toString("utf8")).toBe("kept");
  });

  it("refuses an expiry above the maximum with INVALID_ARGUMENT naming it", async () => {
    const subject = uniqueSubject("retention.max");
    await expectStatus(
      client.publish(subject, "too long", { ttlSeconds: 120 }),
      status.INVALID_ARGUMENT,
      maxError,
    );
    await expectStatus(
      client.publishBatch([
        { subject, body: "fine", ttlSeconds: 60 },
        { subject, body: "too long", ttlSeconds: 120 },
      ]),
      status.INVALID_ARGUMENT,
      maxError,
    );
    const publisher = client.publisher();
    const refused = publisher.publish(subject, "too long", { ttlSeconds: 120 });
    const accepted = publisher.publish(subject, "at the maximum", { ttlSeconds: 60 });
    await expectStatus(refused, status.INVALID_ARGUMENT, maxError);
    // The refusal stored nothing: the next message of the stream is the subject's first.
    expect(await accepted).toBe(1);
    await publisher.close();
  });
});

describe("retention in a cluster", () => {
  const retention = {
    entry: { defaultExpirationSeconds: 1, maxExpirationSeconds: 60 },
    owner: { defaultExpirationSeconds: undefined, maxExpirationSeconds: undefined },
  } satisfies Record<string, BrokerSettings["retention"]>;
  const brokers: Broker[] = [];
  const clients: HeraldClient[] = [];
  let membership: Membership;
  let entry: HeraldClient;
  let owner: HeraldClient;

  beforeAll(async () => {
    const members: Member[] = [];
    for (const name of ["entry", "owner"])
      members.push({ name, address: `127.0.0.1:${await freePort()}` });
    membership = { epoch: 1, members };
    for (const member of members) {
      const broker = await startBroker({
        settings: {
          ...defaultTestSettings,
          grpcAddress: { host: "127.0.0.1", port: Number(member.address.split(":")[1]) },
          cluster: { self: member.name, handoffTimeoutMs: 1000, forwardTimeoutMs: 5000 },
          retention: member.name === "entry" ? retention.entry : retention.owner,
        },
        store: newStore(),
        logger: pino({ level: process.env.HERALD_TEST_LOG_LEVEL ?? "silent" }),
        registry: new Registry(),
        membership: new StaticMembershipSource(membership),
      });
      brokers.push(broker);
      await broker.storeOpened();
      clients.push(new HeraldClient(member.address));
    }
    [entry, owner] = clients as [HeraldClient, HeraldClient];
  });

  afterAll(async () => {
    await Promise.all(brokers.map((broker) => broker.shutdown()));
    for (const client of clients) client.close();
  });

  /** A subject the "owner" member owns, so a publish through "entry" is forwarded. */
  const ownedSubject = (name: string) => {
    for (;;) {
      const subject = uniqueSubject(name);
      if (rendezvousOwner(subject, membership.members)?.name === "owner") return subject;
    }
  };

  it("resolves the expiry where the client called, and the owner stores it as sent", async () => {
    const subject = ownedSubject("retention.forwarded");
    const viaPublish = await entry.publish(subject, "publish");
    const publisher = entry.publisher();
    const viaStream = await publisher.publish(subject, "stream");
    await publisher.close();
    // Published at the owner itself, whose retention is unset: never expires.
    const atOwner = await owner.publish(subject, "owner");
    for (const id of [viaPublish, viaStream]) await expectExpires(entry, subject, id);
    expect((await entry.fetch(subject, atOwner)).body.toString("utf8")).toBe("owner");
    await expectStatus(
      entry.publish(subject, "too long", { ttlSeconds: 120 }),
      status.INVALID_ARGUMENT,
      maxError,
    );
    expect(await owner.publish(subject, "no maximum here", { ttlSeconds: 120 })).toBe(atOwner + 1);
  });
});
