import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Container } from "./pod-schema.ts";
import { ContainerProbes, runProbe, type ProbeKind } from "./prober.ts";
import { until } from "../../testing/until.ts";

/** A probe "second" in these tests. */
const second = 20;
let server: Server;
let port: number;
/** What /readyz and /healthz answer. */
const answers = { readyz: 200, healthz: 200 };
let failedReadyz = 0;
let probes: ContainerProbes[] = [];

beforeEach(async () => {
  answers.readyz = 200;
  answers.healthz = 200;
  failedReadyz = 0;
  server = createServer((request, response) => {
    response.statusCode = request.url === "/readyz" ? answers.readyz : answers.healthz;
    if (request.url === "/readyz" && response.statusCode >= 400) failedReadyz++;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  probes.forEach((probe) => probe.stop());
  probes = [];
  await new Promise((resolve) => server.close(resolve));
});

const container = (probesOf: Partial<Container>): Container => ({
  name: "broker",
  ports: [{ name: "http", containerPort: port }],
  ...probesOf,
});
const http = (path: string, extra: object = {}) => ({
  httpGet: { path, port: "http" },
  periodSeconds: 1,
  ...extra,
});

function start(spec: Container) {
  const unhealthy: ProbeKind[] = [];
  const prober = new ContainerProbes(
    spec,
    "127.0.0.1",
    { onChange: () => undefined, onUnhealthy: (kind) => unhealthy.push(kind) },
    second,
  );
  probes.push(prober);
  prober.start();
  return { prober, unhealthy };
}

const sleep = (probeSeconds: number) =>
  new Promise((resolve) => setTimeout(resolve, probeSeconds * second));

/** Probe states last a few periods; poll often so that short-lived states are seen. */
const often = { timeoutMs: 5_000, intervalMs: 5 };

describe("runProbe", () => {
  test("httpGet: 2xx and 3xx pass, others fail with the status; named ports resolve", async () => {
    expect(await runProbe(http("/readyz"), container({}), "127.0.0.1")).toEqual({ ok: true });
    answers.readyz = 503;
    expect(await runProbe(http("/readyz"), container({}), "127.0.0.1")).toEqual({
      ok: false,
      message: "HTTP probe failed with statuscode: 503",
    });
    expect((await runProbe(http("/x"), { name: "c" }, "127.0.0.1")).message).toBe(
      "unknown port http",
    );
  });

  test("tcpSocket: a listener passes, a closed port fails", async () => {
    expect(await runProbe({ tcpSocket: { port } }, container({}), "127.0.0.1")).toEqual({
      ok: true,
    });
    const closed = await runProbe({ tcpSocket: { port: 1 } }, container({}), "127.0.0.1");
    expect(closed.ok).toBe(false);
  });

  test("exec probes are refused, not faked", async () => {
    const result = await runProbe({ exec: { command: ["true"] } }, container({}), "127.0.0.1");
    expect(result).toMatchObject({ ok: false });
  });
});

describe("ContainerProbes", () => {
  test("no probes: started and ready at once", () => {
    const { prober } = start(container({}));
    expect(prober.started).toBe(true);
    expect(prober.ready).toBe(true);
  });

  test("readiness follows /readyz with its thresholds", async () => {
    const { prober } = start(
      container({ readinessProbe: http("/readyz", { failureThreshold: 3 }) }),
    );
    expect(prober.ready).toBe(false);
    await until("ready", () => prober.ready, often);
    answers.readyz = 503;
    await until("a failed probe", () => failedReadyz > 0, often);
    expect(prober.ready).toBe(true); // below the failure threshold
    await until("not ready", () => !prober.ready, often);
    answers.readyz = 200;
    await until("ready again", () => prober.ready, often);
  });

  test("the startup probe gates readiness and liveness", async () => {
    answers.healthz = 503;
    const { prober, unhealthy } = start(
      container({
        startupProbe: http("/healthz", { failureThreshold: 100 }),
        readinessProbe: http("/readyz"),
        livenessProbe: http("/healthz", { failureThreshold: 1 }),
      }),
    );
    await sleep(5);
    expect(prober.started).toBe(false);
    expect(prober.ready).toBe(false);
    expect(unhealthy).toEqual([]); // liveness has not run yet
    answers.healthz = 200;
    await until("started", () => prober.started, often);
    await until("ready", () => prober.ready, often);
  });

  test("a failing startup probe, then a failing liveness probe, report the container unhealthy", async () => {
    answers.healthz = 500;
    const startup = start(container({ startupProbe: http("/healthz", { failureThreshold: 3 }) }));
    await until("startup failure", () => startup.unhealthy.length > 0, often);
    expect(startup.unhealthy).toEqual(["startup"]);

    answers.healthz = 200;
    const live = start(container({ livenessProbe: http("/healthz", { failureThreshold: 2 }) }));
    await sleep(4);
    expect(live.unhealthy).toEqual([]);
    answers.healthz = 500;
    await until("liveness failure", () => live.unhealthy.length > 0, often);
    expect(live.unhealthy).toEqual(["liveness"]);
  });
});
