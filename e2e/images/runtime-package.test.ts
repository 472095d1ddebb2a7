import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, test } from "vitest";
import { z } from "zod";
import { repoRoot } from "../../testing/paths.ts";
import type { Program } from "./build.ts";
import {
  importedPackages,
  moduleSpecifiers,
  packageName,
  runtimeManifest,
  type PackageJson,
} from "./runtime-package.ts";

describe("moduleSpecifiers", () => {
  test("finds imports, re-exports, dynamic imports and loader registrations", () => {
    const text = [
      'import { a } from "pkg-a";',
      'import "./side-effect.js";',
      "import {",
      "  b,",
      "  c,",
      '} from "@scope/pkg-b/deep/file.js";',
      'export * from "pkg-c";',
      'const d = await import("pkg-d");',
      'register("pkg-e/hook.mjs", import.meta.url);',
      'module.register("pkg-f");',
      'const g = require("pkg-g");',
      'require.resolve("pkg-h");',
      'import.meta.resolve("pkg-i");',
    ].join("\n");
    expect(moduleSpecifiers("a.js", text)).toEqual([
      "pkg-a",
      "./side-effect.js",
      "@scope/pkg-b/deep/file.js",
      "pkg-c",
      "pkg-d",
      "pkg-e/hook.mjs",
      "pkg-f",
      "pkg-g",
      "pkg-h",
      "pkg-i",
    ]);
  });

  test("ignores strings that load nothing", () => {
    const text = [
      '// import { x } from "in-a-comment";',
      "const s = \"import y from 'in-a-string'\";",
      'path.resolve("config");',
      'registry.register("metric");',
      "import(name);",
    ].join("\n");
    expect(moduleSpecifiers("a.js", text)).toEqual([]);
  });
});

test.each([
  ["zod", "zod"],
  ["pino/file", "pino"],
  ["@kubernetes/client-node", "@kubernetes/client-node"],
  ["@kubernetes/client-node/dist/util.js", "@kubernetes/client-node"],
  ["node:fs", undefined],
  ["fs/promises", undefined],
  ["./relative.js", undefined],
  ["../up.js", undefined],
  ["/absolute.js", undefined],
  ["#internal", undefined],
  ["data:text/javascript,1", undefined],
])("packageName(%s) is %s", (specifier, name) => {
  expect(packageName(specifier)).toBe(name);
});

describe("runtimeManifest", () => {
  const manifest: PackageJson = {
    name: "herald",
    version: "1.2.3",
    type: "module",
    scripts: { build: "tsc" },
    bin: { herald: "dist/cli.js" },
    dependencies: { pg: "^8.0.0", zod: "^4.0.0", yaml: "^2.0.0" },
    devDependencies: { typescript: "~5.9" },
  };

  test("keeps the identity, module type and the imported dependencies alone", () => {
    expect(runtimeManifest(manifest, ["zod", "pg"])).toEqual({
      name: "herald",
      version: "1.2.3",
      type: "module",
      dependencies: { zod: "^4.0.0", pg: "^8.0.0" },
    });
  });

  test("refuses a package that is no production dependency", () => {
    expect(() => runtimeManifest(manifest, ["zod", "typescript", "left-pad"])).toThrow(
      'not in package.json "dependencies": typescript, left-pad',
    );
  });
});

/**
 * The JavaScript that tsconfig.<program>.json compiles, keyed by source file: its entry points
 * and every file they import, each transpiled on its own (verbatimModuleSyntax makes that
 * exactly what tsc emits), which is much faster than a whole program with its type information.
 */
function compile(program: Program): Map<string, string> {
  const host: ts.ParseConfigFileHost = {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n"));
    },
  };
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, `tsconfig.${program}.json`),
    undefined,
    host,
  );
  if (config === undefined) throw new Error(`tsconfig.${program}.json: unreadable`);
  const emitted = new Map<string, string>();
  const pending = [...config.fileNames];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (emitted.has(file) || !file.endsWith(".ts")) continue;
    const source = readFileSync(file, "utf8");
    // ES modules, as tsc emits them for this "type": "module" package (transpileModule, which
    // reads no package.json, would take NodeNext to mean CommonJS).
    const compilerOptions = {
      ...config.options,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
    };
    const js = ts.transpileModule(source, { compilerOptions, fileName: file });
    emitted.set(file, js.outputText);
    for (const specifier of moduleSpecifiers(file, js.outputText)) {
      if (specifier.startsWith(".")) {
        pending.push(resolve(dirname(file), specifier.replace(/\.js$/, ".ts")));
      }
    }
  }
  return emitted;
}

/** The top-level folders of the repository that `files` come from. */
const folders = (files: Map<string, string>): string[] =>
  [
    ...new Set([...files.keys()].map((file) => relative(repoRoot, file).split("/", 1).join(""))),
  ].sort();

describe("each program's image", () => {
  const entryPoints = async (config: string): Promise<string[]> => {
    const text = await readFile(join(repoRoot, config), "utf8");
    return z
      .object({ files: z.array(z.string()) })
      .parse(ts.parseConfigFileTextToJson(config, text).config).files;
  };

  test("tsconfig.build.json (npm run build) compiles the entry points of both images", async () => {
    const programs = [
      ...(await entryPoints("tsconfig.broker.json")),
      ...(await entryPoints("tsconfig.operator.json")),
    ];
    expect(programs.sort()).toEqual((await entryPoints("tsconfig.build.json")).sort());
  });

  // Each compiles a whole program in memory: seconds of CPU, more on a busy machine.
  const compileTimeoutMs = 60_000;

  test(
    "the broker loads its stores, gRPC and OpenTelemetry, and no operator code",
    () => {
      const emitted = compile("broker");
      expect(folders(emitted)).toEqual(["broker", "contract", "lib"]);
      const packages = importedPackages(emitted);
      expect(packages).toEqual(
        expect.arrayContaining([
          "@grpc/grpc-js",
          "pg",
          "cassandra-driver",
          "@opentelemetry/sdk-node",
          // Only named by module.register() in broker/telemetry/register.ts.
          "@opentelemetry/instrumentation",
          "prom-client",
          "pino",
          "zod",
        ]),
      );
    },
    compileTimeoutMs,
  );

  test(
    "the operator loads no store driver, gRPC or OpenTelemetry, and no broker code",
    () => {
      const emitted = compile("operator");
      expect(folders(emitted)).toEqual(["contract", "lib", "operator"]);
      const packages = importedPackages(emitted);
      expect(packages).toContain("@kubernetes/client-node");
      expect(
        packages.filter((name) => /^(pg|cassandra-driver|@grpc\/|@opentelemetry\/)/.test(name)),
      ).toEqual([]);
    },
    compileTimeoutMs,
  );
});
