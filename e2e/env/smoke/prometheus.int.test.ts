import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, expect, inject, test } from "vitest";
import {
  addScrapeTarget,
  removeScrapeTarget,
  waitForSamples,
} from "../../../testing/prometheus-client.ts";

const { prometheus } = inject("testEnv");
const job = `smoke-${process.pid}-${Date.now()}`;
const value = 1000 + Math.floor(Math.random() * 1000);

const server = createServer((req, res) => {
  if (req.url !== "/metrics") return void res.writeHead(404).end();
  res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
  res.end(`# TYPE herald_smoke_value gauge\nherald_smoke_value ${value}\n`);
});

afterAll(async () => {
  await removeScrapeTarget(prometheus, job);
  server.close();
});

test("Prometheus scrapes a target the test serves and answers a query", async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await addScrapeTarget(prometheus, job, `127.0.0.1:${port}`);
  const samples = await waitForSamples(
    prometheus,
    `herald_smoke_value{job="${job}"}`,
    (s) => s.length > 0,
  );
  expect(samples).toHaveLength(1);
  expect(samples[0]?.value).toBe(value);
});
