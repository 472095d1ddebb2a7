import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { brokerNodeFlags } from "./node-flags.ts";

test("the broker image's ENTRYPOINT passes node the broker's V8 flags, before the program", () => {
  const dockerfile = readFileSync(join(import.meta.dirname, "..", "Dockerfile.broker"), "utf8");
  const line = dockerfile.split("\n").find((text) => text.startsWith("ENTRYPOINT "));
  const entrypoint: unknown = JSON.parse(line?.slice("ENTRYPOINT ".length) ?? "[]");
  expect(entrypoint).toEqual([
    "node",
    ...brokerNodeFlags,
    "--import",
    "/app/dist/broker/telemetry/register.js",
    "/app/dist/broker/main.js",
  ]);
});
