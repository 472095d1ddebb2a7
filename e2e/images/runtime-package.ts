/**
 * The package.json of one program's runtime image: the root package.json with `dependencies`
 * cut down to the packages that program's compiled code imports, and no devDependencies.
 *
 *   node e2e/images/runtime-package.ts <dist dir> <out dir>
 *
 * reads package.json and package-lock.json from the working directory and writes both (the lock
 * file unchanged) to <out dir>, where `npm install --omit=dev` installs exactly the locked
 * versions of those packages and their own dependencies. The Dockerfiles run it on the dist/ of
 * the one program they compiled. An imported package that package.json does not list under
 * `dependencies` (a devDependency, say) is an error: the image could not run it.
 */
import { copyFile, mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { isBuiltin } from "node:module";
import { join } from "node:path";
import ts from "typescript";

/**
 * Whether a call's first argument, when a string, names a module the program loads: import(),
 * require(), require.resolve(), import.meta.resolve(), and [module.]register() of a loader hook
 * (the broker's OpenTelemetry hook, `@opentelemetry/instrumentation/hook.mjs`).
 */
function loads(callee: ts.Expression): boolean {
  if (callee.kind === ts.SyntaxKind.ImportKeyword) return true;
  if (ts.isIdentifier(callee)) return callee.text === "require" || callee.text === "register";
  if (!ts.isPropertyAccessExpression(callee)) return false;
  const on = callee.expression;
  switch (callee.name.text) {
    case "register":
      return ts.isIdentifier(on) && on.text === "module";
    case "resolve":
      return (ts.isIdentifier(on) && on.text === "require") || ts.isMetaProperty(on);
    default:
      return false;
  }
}

/** Module specifiers of one JavaScript file: static and dynamic imports, re-exports, loads. */
export function moduleSpecifiers(fileName: string, text: string): string[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.JS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      if (loads(node.expression) && first !== undefined && ts.isStringLiteralLike(first)) {
        found.push(first.text);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The npm package a bare specifier names (`@scope/name/deep/file.js` → `@scope/name`); else undefined. */
export function packageName(specifier: string): string | undefined {
  if (specifier.startsWith(".") || specifier.startsWith("/") || specifier.startsWith("#")) {
    return undefined;
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(specifier) || isBuiltin(specifier)) return undefined;
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

/** The packages a set of compiled files loads, sorted. */
export function importedPackages(files: Iterable<readonly [string, string]>): string[] {
  const names = new Set<string>();
  for (const [fileName, text] of files) {
    for (const specifier of moduleSpecifiers(fileName, text)) {
      const name = packageName(specifier);
      if (name !== undefined) names.add(name);
    }
  }
  return [...names].sort();
}

export interface PackageJson {
  readonly dependencies?: Record<string, string>;
  readonly devDependencies?: Record<string, string>;
  readonly [key: string]: unknown;
}

/** `manifest` with only the `imported` dependencies; throws for one it does not list there. */
export function runtimeManifest(manifest: PackageJson, imported: readonly string[]): PackageJson {
  const dependencies = manifest.dependencies ?? {};
  const missing = imported.filter((name) => dependencies[name] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `imported at run time but not in package.json "dependencies": ${missing.join(", ")}`,
    );
  }
  // The identity and module type (`"type": "module"` makes node load dist/ as ES modules); not
  // the scripts, bin or devDependencies, which name files and tools the image does not have.
  const kept = ["name", "version", "description", "private", "license", "type", "engines"];
  return {
    ...Object.fromEntries(kept.filter((key) => key in manifest).map((key) => [key, manifest[key]])),
    dependencies: Object.fromEntries(imported.map((name) => [name, dependencies[name] ?? ""])),
  };
}

async function* javascriptFiles(dir: string): AsyncGenerator<readonly [string, string]> {
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !/\.[cm]?js$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    yield [path, await readFile(path, "utf8")];
  }
}

async function main(distDir: string, outDir: string): Promise<void> {
  const files: (readonly [string, string])[] = [];
  for await (const file of javascriptFiles(distDir)) files.push(file);
  if (files.length === 0) throw new Error(`${distDir}: no JavaScript files`);
  const manifest = JSON.parse(await readFile("package.json", "utf8")) as PackageJson;
  const runtime = runtimeManifest(manifest, importedPackages(files));
  await mkdir(outDir, { recursive: true });
  await writeFile(join(outDir, "package.json"), `${JSON.stringify(runtime, null, 2)}\n`);
  await copyFile("package-lock.json", join(outDir, "package-lock.json"));
  process.stdout.write(
    `runtime dependencies: ${Object.keys(runtime.dependencies ?? {}).join(" ")}\n`,
  );
}

if (import.meta.main) {
  const [distDir, outDir] = process.argv.slice(2);
  if (distDir === undefined || outDir === undefined) {
    process.stderr.write("usage: node e2e/images/runtime-package.ts <dist dir> <out dir>\n");
    process.exit(2);
  }
  await main(distDir, outDir);
}
