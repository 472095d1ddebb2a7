/**
 * Builds the web console: esbuild bundles src/main.ts (Preact with htm, uPlot, zod) and its
 * styles into content-hashed files under assets/, and index.html loads them (no inline script,
 * as the gateway's Content-Security-Policy requires). `node broker/web/console/build.ts [dir]`
 * writes to dir (default dist/console), which `npm run build` and the broker image run.
 */
import { rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { build } from "esbuild";

const sourceDir = join(import.meta.dirname, "src");

/** The page: the stylesheet and the module script, by their hashed names; pure. */
export function renderIndexHtml(assets: {
  script: string;
  stylesheet: string | undefined;
}): string {
  const stylesheet =
    assets.stylesheet === undefined
      ? ""
      : `    <link rel="stylesheet" href="/${assets.stylesheet}" />\n`;
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Herald console</title>
${stylesheet}    <script type="module" src="/${assets.script}"></script>
  </head>
  <body>
    <div id="app"></div>
    <noscript>The Herald console needs JavaScript.</noscript>
  </body>
</html>
`;
}

/** Writes the console into `outDir`, replacing what was there. */
export async function buildConsole(outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  const result = await build({
    entryPoints: { app: join(sourceDir, "main.ts") },
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    legalComments: "linked",
    entryNames: "assets/[name]-[hash]",
    outdir: outDir,
    metafile: true,
    logLevel: "warning",
  });
  const outputs = Object.keys(result.metafile.outputs).map((path) =>
    relative(outDir, path).split("\\").join("/"),
  );
  const script = outputs.find((path) => path.endsWith(".js"));
  if (script === undefined) throw new Error("esbuild wrote no script for the console");
  const stylesheet = outputs.find((path) => path.endsWith(".css"));
  await writeFile(join(outDir, "index.html"), renderIndexHtml({ script, stylesheet }));
}

if (import.meta.main) {
  const outDir = resolve(process.argv[2] ?? "dist/console");
  await buildConsole(outDir);
}
