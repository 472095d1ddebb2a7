/**
 * The console's read-only routes on a real broker with authentication on: GET /v1/cluster,
 * /v1/subjects and /v1/groups answer 401 without a valid token, list only the subjects a caller
 * may subscribe to or fetch and the groups it may consume, and count last ids, publishes per
 * second, members, redeliveries and dead letters as the broker does. `/` answers 404 when the
 * console is not built.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { until } from "../../testing/until.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { tokenSecurity } from "./test/auth-file.ts";
import { startTestGateway, type TestGateway } from "./test/web-client.ts";

const admin = { name: "admin", token: "admin-token" };
const reader = { name: "reader", token: "reader-token" };

interface SubjectRow {
  subject: string;
  lastId: number;
  ratePerSecond: number;
  perSecond: number[];
}
interface GroupRow {
  group: string;
  members: number;
  redelivered: number;
  deadLettered: number;
  pending: number;
}

describe("web console routes", () => {
  const prefix = uniqueSubject("routes");
  const readable = `${prefix}.sub.orders`;
  const fetchable = `${prefix}.fetch.orders`;
  const hidden = `${prefix}.hidden.orders`;
  let broker: TestBroker;
  let gateway: TestGateway;
  const consumers = new AbortController();

  beforeAll(async () => {
    const all = [">"];
    const security = tokenSecurity([
      {
        ...admin,
        permissions: { publish: all, subscribe: all, fetch: all, consume: all },
      },
      {
        ...reader,
        permissions: {
          subscribe: [`${prefix}.sub.>`],
          fetch: [`${prefix}.fetch.>`],
          consume: [`${prefix}.sub.>`],
        },
      },
    ]);
    broker = await startTestBroker(
      brokerTestStores(inject("testEnv"), "memory", "console_routes").newStore(),
      { security, retention: { defaultExpirationSeconds: 3600, maxExpirationSeconds: 86_400 } },
      { token: admin.token },
    );
    gateway = await startTestGateway(broker.broker);
  });

  afterAll(async () => {
    consumers.abort();
    await gateway?.gateway.close();
    await broker?.stop();
  });

  const get = async (path: string, token?: string) => {
    const response = await fetch(`${gateway.url}${path}`, {
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  it("refuses a missing or unknown token with 401 and the gateway's JSON error", async () => {
    for (const path of ["/v1/cluster", "/v1/subjects", "/v1/groups"]) {
      expect(await get(path)).toMatchObject({ status: 401, body: { code: "UNAUTHENTICATED" } });
      expect(await get(path, "wrong")).toMatchObject({
        status: 401,
        body: { code: "UNAUTHENTICATED" },
      });
    }
    const posted = await fetch(`${gateway.url}/v1/subjects`, { method: "POST" });
    expect(posted.status).toBe(405);
  });

  it("lists the subjects the caller may read with last id, per-second counts and retention", async () => {
    const client = broker.client();
    for (const subject of [readable, fetchable, hidden]) await client.publish(subject, "one");
    await client.publishBatch([
      { subject: readable, body: "two" },
      { subject: readable, body: "three" },
    ]);
    const { status, body } = await get("/v1/subjects", reader.token);
    expect(status).toBe(200);
    expect(body.retention).toEqual({
      defaultExpirationSeconds: 3600,
      maxExpirationSeconds: 86_400,
    });
    expect(body.windowSeconds).toBe(60);
    const rows = (body.subjects as SubjectRow[]).filter((row) => row.subject.startsWith(prefix));
    expect(rows.map(({ subject, lastId }) => ({ subject, lastId }))).toEqual([
      { subject: fetchable, lastId: 1 },
      { subject: readable, lastId: 3 },
    ]);
    const counted = rows.find((row) => row.subject === readable);
    expect(counted?.perSecond).toHaveLength(60);
    expect(counted?.perSecond.reduce((sum, count) => sum + count, 0)).toBe(3);
    const everything = await get("/v1/subjects", admin.token);
    expect((everything.body.subjects as SubjectRow[]).map((row) => row.subject)).toContain(hidden);
  });

  it("shows the member, epoch, health and the owner of each subject the caller may read", async () => {
    const { self } = broker.broker.cluster();
    const { status, body } = await get("/v1/cluster", reader.token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      self,
      epoch: 1,
      members: [{ name: self, address: broker.address, self: true }],
      health: { ready: true, reason: null },
    });
    const owners = (body.subjects as { subject: string; owner: string }[]).filter((row) =>
      row.subject.startsWith(prefix),
    );
    expect(owners).toEqual([
      { subject: fetchable, owner: self },
      { subject: readable, owner: self },
    ]);
  });

  it("lists the groups the caller may consume with members, redeliveries and dead letters", async () => {
    const client = broker.client();
    const work = `${prefix}.sub.work`;
    const joined = Promise.withResolvers<void>();
    // Every delivery fails (NAK): the message is redelivered once, then dead-lettered.
    void client.consume(
      "console-failing",
      work,
      () => Promise.reject(new Error("refused by the test")),
      { signal: consumers.signal, maxDeliveries: 2, onJoined: () => joined.resolve() },
    );
    void client.consume("console-hidden", hidden, () => undefined, { signal: consumers.signal });
    await joined.promise;
    await client.publish(work, "poison");
    const failing = await until(
      "the message to be dead-lettered",
      async () => {
        const { body } = await get("/v1/groups", reader.token);
        const rows = body.groups as GroupRow[];
        const row = rows.find(({ group }) => group === "console-failing");
        return row !== undefined && row.deadLettered === 1 ? rows : undefined;
      },
      { timeoutMs: 10_000 },
    );
    expect(failing.map(({ group }) => group)).toEqual(["console-failing"]);
    expect(failing[0]).toMatchObject({ members: 1, redelivered: 1, deadLettered: 1, pending: 0 });
    const { body } = await get("/v1/groups", admin.token);
    expect((body.groups as GroupRow[]).map(({ group }) => group)).toContain("console-hidden");
  });

  it("answers 404 at / when the console is not built", async () => {
    expect(await get("/")).toMatchObject({
      status: 404,
      body: { code: "NOT_FOUND", message: expect.stringMatching(/not built/) as string },
    });
  });
});
