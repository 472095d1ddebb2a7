import { defineConfig } from "vitest/config";

// Two projects: unit tests never touch the test environment; integration tests
// (`*.int.test.ts`) get real servers from the global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["{lib,contract,operator,broker,testing,tools,e2e,bench}/**/*.test.ts"],
          exclude: ["**/*.int.test.ts", "node_modules/**", "dist/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["{lib,contract,operator,broker,testing,tools,e2e}/**/*.int.test.ts"],
          exclude: ["node_modules/**", "dist/**"],
          globalSetup: ["e2e/env/vitest-global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          maxWorkers: 2,
        },
      },
    ],
  },
});
