import { defineConfig } from "vitest/config";
import { repoRoot } from "../../testing/paths.ts";

// The scenarios against a kind cluster: the provider brings the cluster, so unlike the
// integration project there is no global setup starting the local test environment.
export default defineConfig({
  test: {
    name: "kind",
    root: repoRoot,
    include: ["e2e/scenarios/**/*.int.test.ts"],
    // One scenario at a time: they share the cluster's single operator.
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
