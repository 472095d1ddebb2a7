// One linter for the whole tree; type-aware so that floating promises and
// unsafe `any` flows are caught, not just syntax.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

// The layout is the architecture (docs/architecture.md#layout): operator/ and broker/ share code
// only through lib/ and contract/, lib/ knows neither program, and shipped code never reaches
// test helpers, generators or the test environment. For each folder: the top-level folders its
// code may not import, and those its tests may not import.
const forbidden = {
  lib: { code: ["operator", "broker", "contract"], tests: ["operator", "broker", "contract"] },
  contract: { code: ["operator", "broker"], tests: ["operator", "broker"] },
  operator: { code: ["broker"], tests: ["broker"] },
  broker: { code: ["operator"], tests: ["operator"] },
  testing: { code: ["operator", "broker"], tests: ["operator", "broker"] },
};
const testHarness = ["e2e", "bench", "testing", "tools"];
const testFiles = ["**/*.test.ts", "**/test/**"];

/**
 * A relative import that climbs out of the folder into one of `folders`.
 * @param {string[]} folders
 */
const noImportOf = (folders) => ({
  "no-restricted-imports": [
    "error",
    {
      patterns: [
        {
          regex: `^(\\.\\./)+(${folders.join("|")})/`,
          message: "See docs/architecture.md#layout: this folder may not import that one.",
        },
      ],
    },
  ],
});

const boundaries = Object.entries(forbidden).flatMap(([folder, { code, tests }]) => [
  { files: [`${folder}/**`], rules: noImportOf([...code, ...testHarness]) },
  // Tests may use testing/ and tools/, never e2e/ or bench/ (nor the other program).
  {
    files: testFiles.map((glob) => `${folder}/${glob}`),
    rules: noImportOf([...tests, "e2e", "bench"]),
  },
]);

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "**/gen/", "coverage/", ".herald/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js"] } },
    },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/consistent-type-imports": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-console": ["error", { allow: ["error", "warn"] }],
    },
  },
  ...boundaries,
  {
    // CLIs and test-environment scripts talk to a terminal.
    files: ["e2e/**", "bench/**", "**/cli/**", "**/*.test.ts"],
    rules: { "no-console": "off" },
  },
);
