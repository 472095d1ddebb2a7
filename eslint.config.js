// One linter for the whole tree; type-aware so that floating promises and
// unsafe `any` flows are caught, not just syntax.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

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
  {
    // CLIs and test-environment scripts talk to a terminal.
    files: ["e2e/**", "bench/**", "**/cli/**", "**/*.test.ts"],
    rules: { "no-console": "off" },
  },
);
