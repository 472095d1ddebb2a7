import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import { createCa, issue, serverTls } from "../test/certificates.ts";
import { startTestBroker, type TestBroker, uniqueSubject } from "../test/harness.ts";
import { until } from "../../testing/until.ts";

const cliPath = join(import.meta.dirname, "herald.ts");
const run = promisify(execFile);

describe("herald CLI", { timeout: 30_000 }, () => {
  let broker: TestBroker;
  const herald = (...args: string[]) =>
    run(process.execPath, [cliPath, "--addr", broker.address, ...args], { timeout: 20_000 });

  /** Runs the CLI expecting failure; returns its exit code and stderr. */
  const heraldFails = async (...args: string[]) => {
    try {
      await herald(...args);
    } catch (err) {
      const { code, stderr } = err as { code: number; stderr: string };
      return { code, stderr };
    }
    throw new Error("expected the CLI to fail");
  };

  beforeAll(async () => {
    broker = await startTestBroker(new MemoryStore({ maxMessagesPerSubject: 100 }));
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it("publishes and fetches, in human-readable form and as JSON", async () => {
    const subject = uniqueSubject("cli");
    expect((await herald("publish", subject, "hello world")).stdout).toBe(
      `published ${subject}#1\n`,
    );
    expect((await herald("--json", "publish", subject, "second", "--ttl", "60")).stdout).toBe(
      `${JSON.stringify({ subject, id: 2 })}\n`,
    );
    expect((await herald("fetch", subject, "1")).stdout).toBe(`${subject}#1\thello world\n`);
    expect(JSON.parse((await herald("--json", "fetch", subject, "2")).stdout)).toEqual({
      subject,
      id: 2,
      body: "second",
    });
  });

  it("publishes with --key once: a repeat prints the first id and stores nothing", async () => {
    const subject = uniqueSubject("cli.keyed");
    expect((await herald("publish", subject, "once", "--key", "order-17")).stdout).toBe(
      `published ${subject}#1\n`,
    );
    expect((await herald("publish", subject, "once", "--key", "order-17")).stdout).toBe(
      `published ${subject}#1\n`,
    );
    expect((await herald("publish", subject, "next")).stdout).toBe(`published ${subject}#2\n`);
  });

  it("publishes each line of stdin over one stream and prints the ids in order", async () => {
    const subject = uniqueSubject("cli");
    const child = spawn(process.execPath, [
      cliPath,
      "--addr",
      broker.address,
      "publish",
      subject,
      "--stdin",
    ]);
    const output = new Promise<string>((resolve) => {
      let text = "";
      child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
      child.stdout.on("end", () => resolve(text));
    });
    child.stdin.end("one\ntwo\nthree\n");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
    expect(await output).toBe([1, 2, 3].map((id) => `published ${subject}#${id}\n`).join(""));
    expect((await herald("fetch", subject, "3")).stdout).toBe(`${subject}#3\tthree\n`);
    expect((await heraldFails("publish", subject)).stderr).toMatch(/BODY or --stdin/);
  });

  it("reports a broker error as one line with its status and exits 1", async () => {
    const subject = uniqueSubject("cli");
    expect(await heraldFails("fetch", subject, "9")).toEqual({
      code: 1,
      stderr: `herald: INVALID_ARGUMENT: unknown id 9 for subject "${subject}"\n`,
    });
    const badTtl = await heraldFails("publish", subject, "x", "--ttl", "-1");
    expect(badTtl.stderr).toMatch(/--ttl.*expected seconds ≥ 0, got "-1"/);
  });

  it("subscribes from an id, prints each message as it arrives, and stops on Ctrl-C", async () => {
    const subject = uniqueSubject("cli");
    await herald("publish", subject, "stored");
    const child = spawn(process.execPath, [
      cliPath,
      "--addr",
      broker.address,
      "--json",
      "subscribe",
      subject,
      "--from",
      "1",
    ]);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect(JSON.parse(String((await lines.next()).value))).toEqual({
      subject,
      id: 1,
      body: "stored",
    });
    await herald("publish", subject, "live");
    expect(JSON.parse(String((await lines.next()).value))).toEqual({
      subject,
      id: 2,
      body: "live",
    });
    child.kill("SIGINT");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("consumes as a group member, printing subject#id and body, and acks each printed line", async () => {
    const subject = uniqueSubject("cli");
    const group = `cli-${subject.split(".").at(-1) ?? ""}`;
    const child = spawn(process.execPath, [
      cliPath,
      "--addr",
      broker.address,
      "consume",
      group,
      subject,
      "--max-in-flight",
      "4",
      "--ack-wait",
      "60000",
    ]);
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    // The group starts after the subject's last message: publish once the member has joined.
    await until("the group", async () => {
      const groups = await broker.registry.getSingleMetric("herald_group_lag_messages")?.get();
      return groups?.values.some((value) => value.labels.group === group);
    });
    await herald("publish", subject, "first");
    await herald("publish", subject, "second");
    expect([(await lines.next()).value, (await lines.next()).value]).toEqual([
      `${subject}#1\tfirst`,
      `${subject}#2\tsecond`,
    ]);
    await until("both acks written", async () => {
      const acked = await broker.registry.getSingleMetric("herald_group_acked_total")?.get();
      return acked?.values.find((value) => value.labels.group === group)?.value === 2;
    });
    child.kill("SIGINT");
    const [code] = (await once(child, "exit")) as [number | null];
    expect(code).toBe(0);
  });

  it("lists groups with their settings and, per subject, pending, ack-pending and lag", async () => {
    const root = uniqueSubject("cli");
    const group = `cli-groups-${root.split(".").at(-1) ?? ""}`;
    const client = broker.client();
    const abort = new AbortController();
    let joined!: () => void;
    const hasJoined = new Promise<void>((resolve) => (joined = resolve));
    // A member that holds one message and never finishes it.
    const holding = client.consume(group, `${root}.*`, () => new Promise<void>(() => undefined), {
      maxInFlight: 1,
      ackWaitMs: 60_000,
      signal: abort.signal,
      onJoined: joined,
    });
    await hasJoined;
    for (const body of ["a", "b", "c"]) await client.publish(`${root}.eu`, body);
    await client.publish(`${root}.us`, "d");
    const [listed] = await until("both subjects with one message held", async () => {
      const groups = await client.listGroups(group);
      const counts = groups[0]?.subjects.map((subject) => subject.pending + subject.ackPending);
      return counts?.length === 2 && counts[0] === 3 && counts[1] === 1 && groups;
    });
    const holder = listed?.subjects.find((subject) => subject.ackPending === 1)?.subject;
    const counts = (subject: string, count: number) => {
      const holds = subject === holder ? 1 : 0;
      return { subject, pending: count - holds, ackPending: holds, lag: count };
    };
    const eu = counts(`${root}.eu`, 3);
    const us = counts(`${root}.us`, 1);
    expect(JSON.parse((await herald("--json", "groups", group)).stdout)).toEqual({
      group,
      subject: `${root}.*`,
      ackWaitMs: 60_000,
      maxDeliveries: 5,
      startId: 0,
      subjects: [eu, us],
      pending: 3,
      ackPending: 1,
      lag: 4,
    });
    const lines = (await herald("groups")).stdout.trimEnd().split("\n");
    expect(lines[0]?.split(/ {2,}/)).toEqual([
      "GROUP",
      "SUBJECT",
      "PENDING",
      "ACK-PENDING",
      "LAG",
      "ACK-WAIT",
      "MAX-DELIVERIES",
    ]);
    const row = lines.findIndex((line) => line.startsWith(`${group} `));
    expect(lines[row]?.split(/ {2,}/)).toEqual([group, `${root}.*`, "3", "1", "4", "60000ms", "5"]);
    const cells = (counted: typeof eu) =>
      [counted.subject, counted.pending, counted.ackPending, counted.lag].map(String);
    expect(lines[row + 1]?.trim().split(/ {2,}/)).toEqual(cells(eu));
    expect(lines[row + 2]?.trim().split(/ {2,}/)).toEqual(cells(us));
    abort.abort();
    await holding;
    client.close();
  });

  it("connects with TLS and a token from options or the environment", async () => {
    const ca = createCa("herald-cli");
    const leaf = issue(ca, "broker");
    const authFile = join(ca.dir, "auth.yaml");
    const token = "cli-token-0123456789";
    writeFileSync(
      authFile,
      stringify({
        users: [{ name: "cli", tokenSha256: tokenSha256(token), permissions: { publish: [">"] } }],
      }),
    );
    const secure = await startTestBroker(new MemoryStore({ maxMessagesPerSubject: 100 }), {
      security: {
        tls: serverTls(leaf),
        authFile,
        jwt: undefined,
        reloadIntervalMs: 1000,
      },
    });
    try {
      const subject = uniqueSubject("cli");
      const args = [cliPath, "--addr", secure.address, "--tls-ca", ca.certFile];
      expect(
        (await run(process.execPath, [...args, "--token", token, "publish", subject, "a"])).stdout,
      ).toBe(`published ${subject}#1\n`);
      const viaEnv = await run(
        process.execPath,
        [cliPath, "--addr", secure.address, "publish", subject, "b"],
        {
          env: { ...process.env, HERALD_TLS_CA: ca.certFile, HERALD_TOKEN: token },
        },
      );
      expect(viaEnv.stdout).toBe(`published ${subject}#2\n`);
      const refused = await run(process.execPath, [...args, "publish", subject, "c"]).catch(
        (err: { stderr: string }) => err.stderr,
      );
      expect(refused).toMatch(/^herald: UNAUTHENTICATED: no credential/m);
    } finally {
      await secure.stop();
    }
  });
});
