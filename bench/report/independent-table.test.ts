import { expect, test } from "vitest";
import { ghzPoint } from "./ghz-point-fixture.ts";
import { independentRatios } from "./independent-table.ts";
import type { IndependentSection } from "./schema.ts";

const point = ghzPoint;

const latency = (target: string, p50Ms: number, p99Ms: number) => ({
  target,
  mode: target === "nats" ? ("nats" as const) : ("herald" as const),
  offeredRate: 1000,
  achievedRate: 1000,
  durationMs: 5000,
  bodyBytes: 128,
  sent: 5000,
  delivered: 5000,
  publishErrors: 0,
  missing: 0,
  p50Ms,
  p90Ms: p99Ms,
  p99Ms,
  p999Ms: p99Ms,
  maxMs: p99Ms,
  clientCpuMs: 800,
  clientCpuUsPerMessage: 160,
});

const section: IndependentSection = {
  generators: { ghz: "v0.120.0", natsBench: "natscli v0.5.0", latencyClient: "abc" },
  publish: [
    point("ceiling", 64, 2000, 100),
    point("memory", 64, 1500, 150),
    { target: "postgres", clients: 64, status: "failed: down" },
  ],
  fetch: [point("ceiling", 64, 3000, 80), point("memory", 64, 2400, 90)],
  nats: [point("jetstream pub sync", 64, 15000, 30), point("jetstream get sync", 64, 12000, 25)],
  latency: [latency("memory", 2, 40), latency("nats", 1, 10)],
};

test("Herald ÷ ceiling and ÷ NATS come from the independent points; a failed point gives none", () => {
  const ratios = new Map<string, number>();
  independentRatios(section, (label, herald, other) => {
    if (Number.isFinite(herald) && Number.isFinite(other)) ratios.set(label, herald / other);
  });
  expect(Object.fromEntries(ratios)).toEqual({
    "headline: memory publish ÷ empty handler (ghz, 64 clients)": 0.75,
    "server CPU per publish: memory ÷ empty handler (ghz, 64 clients; lower is better)": 1.5,
    "memory fetch ÷ empty handler (ghz, 64 clients)": 0.8,
    "memory publish (ghz) ÷ jetstream sync publish (nats bench), 64 clients": 0.1,
    "memory fetch (ghz) ÷ jetstream get (nats bench), 64 clients": 0.2,
    "server CPU per publish: memory (ghz) ÷ jetstream (nats bench), 64 clients; lower is better": 5,
    "memory ÷ nats: publish→deliver p50 at 1000/s (Go client; lower is better)": 2,
    "memory ÷ nats: publish→deliver p99 at 1000/s (Go client; lower is better)": 4,
  });
});
