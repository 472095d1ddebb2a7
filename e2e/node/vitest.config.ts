import { defineConfig } from "vitest/config";
import { repoRoot } from "../../testing/paths.ts";

// The scenarios on the node lane's cluster: main.ts brings the cluster, so unlike the
// integration project there is no global setup starting the shared test environment.
export default defineConfig({
  test: {
    name: "node",
    root: repoRoot,
    include: [
      "e2e/scenarios/scale.int.test.ts",
      "e2e/scenarios/consume-scale.int.test.ts",
      "e2e/scenarios/store-cause.int.test.ts",
      "e2e/scenarios/managed-postgres.int.test.ts",
      "e2e/scenarios/managed-cassandra.int.test.ts",
    ],
    // One scenario at a time: they share the cluster's single operator.
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 300_000,
  },
});
