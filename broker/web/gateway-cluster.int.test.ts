/**
 * The web gateway in a 2-member cluster sharing one PostgreSQL schema: member A's gateway takes the
 * gRPC path to a subject's owner B, so a publish is forwarded and stored by B (ids from B, readable
 * through B's gRPC), a fetch is answered by B (404 and 410 included), and an event stream is relayed
 * from B.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { startTestCluster, type TestCluster } from "../cluster/test/cluster-harness.ts";
import { uniqueSubject } from "../test/harness.ts";
import { brokerTestStores } from "../test/test-stores.ts";
import { openEvents, startTestGateway, type TestGateway } from "./test/web-client.ts";
import { until } from "../../testing/until.ts";

const stores = brokerTestStores(inject("testEnv"), "postgres", "herald_web_cluster");
let cluster: TestCluster;
let gateway: TestGateway;

beforeAll(async () => {
  cluster = await startTestCluster(2, () => stores.newStore(), { prefix: "web" });
  gateway = await startTestGateway(cluster.byName("web-0").broker);
});
afterAll(async () => {
  await gateway?.gateway.close();
  await cluster?.stop();
  await stores.drop();
});

/** A fresh subject that `member` owns. */
function subjectOwnedBy(member: string, name: string): string {
  const membership = { epoch: 1, members: cluster.members.map((each) => each.member) };
  for (;;) {
    const subject = uniqueSubject(name);
    if (cluster.ownerOf(subject, membership).member.name === member) return subject;
  }
}

/** A fresh subject that member web-1 owns, so web-0's gateway must forward. */
const subjectOwnedByB = (name: string) => subjectOwnedBy("web-1", name);

const metric = async (name: string, member: string) => {
  const values = (await cluster.byName(member).registry.getSingleMetric(name)?.get())?.values;
  return (values ?? []).reduce((sum, { value }) => sum + value, 0);
};

describe("web gateway in a cluster", () => {
  it("forwards a publish to the subject's owner and fetches through it", async () => {
    const subject = subjectOwnedByB("web.cluster");
    const url = `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/messages`;
    const forwardedBefore = await metric("herald_forwarded_calls_total", "web-0");
    const first = await fetch(url, { method: "POST", body: "via A" });
    expect(first.status).toBe(201);
    expect(await first.json()).toEqual({ id: 1 });
    // B assigned the id: its own gRPC publish continues after it.
    const owner = cluster.byName("web-1").client();
    expect(await owner.publish(subject, "via B")).toBe(2);
    expect((await owner.fetch(subject, 1)).body.toString("utf8")).toBe("via A");
    const fetched = await fetch(`${url}/2`);
    expect(fetched.status).toBe(200);
    expect(await fetched.text()).toBe("via B");
    const unknown = await fetch(`${url}/9`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(await metric("herald_forwarded_calls_total", "web-0")).toBeGreaterThanOrEqual(
      forwardedBefore + 3,
    );
    const expiring = await fetch(`${url}?ttl=1`, { method: "POST", body: "short" });
    const { id } = (await expiring.json()) as { id: number };
    await until(
      "the forwarded fetch to answer 410",
      async () => (await fetch(`${url}/${id}`)).status === 410,
      { timeoutMs: 5000 },
    );
  });

  it("shows both members on the console's cluster route, with the owner of each subject this member stores", async () => {
    const subject = subjectOwnedBy("web-0", "web.cluster.console");
    const url = `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/messages`;
    expect((await fetch(url, { method: "POST", body: "here" })).status).toBe(201);
    const body = (await (await fetch(`${gateway.url}/v1/cluster`)).json()) as {
      self: string;
      members: { name: string; self: boolean }[];
      subjects: { subject: string; owner: string }[];
    };
    expect(body.self).toBe("web-0");
    expect(body.members.map(({ name, self }) => ({ name, self }))).toEqual([
      { name: "web-0", self: true },
      { name: "web-1", self: false },
    ]);
    expect(body.subjects).toContainEqual({ subject, owner: "web-0" });
  });

  it("streams events of a subject owned elsewhere, from an id and then live", async () => {
    const subject = subjectOwnedByB("web.cluster.events");
    const owner = cluster.byName("web-1").client();
    await owner.publish(subject, "one");
    const events = await openEvents(
      `${gateway.url}/v1/subjects/${encodeURIComponent(subject)}/events?from=1`,
    );
    expect(await events.next()).toEqual({ event: "message", id: "1", data: "one" });
    await owner.publish(subject, "two");
    expect(await events.next()).toEqual({ event: "message", id: "2", data: "two" });
    events.close();
  });
});
