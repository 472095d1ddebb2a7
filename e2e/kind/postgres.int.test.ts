// The kind scenario's PostgreSQL objects against a real API server (server-side dry run).
import { expect, inject, test } from "vitest";
import { describeFailure, kubectl } from "../chart/tools.ts";
import { renderPostgres } from "./postgres.ts";

test("the API server accepts the Secret, Deployment and Service as rendered", async () => {
  const manifests = JSON.stringify(renderPostgres({ namespace: "default", password: "pw" }));
  const result = await kubectl(
    inject("testEnv"),
    ["apply", "--dry-run=server", "-o", "name", "-f", "-"],
    manifests,
  );
  expect(result.code, describeFailure("kubectl apply --dry-run=server", result)).toBe(0);
  expect(result.stdout.trim().split("\n")).toEqual([
    "secret/postgres-credentials",
    "deployment.apps/postgres",
    "service/postgres",
  ]);
});
