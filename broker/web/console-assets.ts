/**
 * The web console's static files (built by console/build.ts into dist/console), served at `/`:
 * read once at startup and served from memory, so no request path ever reaches the file system.
 * `index.html` is revalidated on every load; the bundles under `assets/` carry a content hash in
 * their names and are cached for a year. Every answer has a Content-Security-Policy that allows
 * scripts, styles and connections only from the gateway itself (no inline script).
 */
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { extname, join, relative } from "node:path";
import { GatewayRefusalError } from "../errors.ts";

export interface ConsoleFile {
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** Serves the files by path relative to the build directory (`index.html`, `assets/app-….js`). */
export type ConsoleAssets = (path: string) => ConsoleFile;

const contentTypes: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

export const contentSecurityPolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const securityHeaders = {
  "content-security-policy": contentSecurityPolicy,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

const cacheControl = (path: string) =>
  path.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";

/** Loads the build in `dir`; without one (not built), every console path answers 404. */
export async function loadConsoleAssets(dir: string | undefined): Promise<ConsoleAssets> {
  const files = new Map<string, ConsoleFile>();
  if (dir !== undefined && existsSync(join(dir, "index.html"))) {
    for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
      const type = contentTypes[extname(entry.name)];
      if (!entry.isFile() || type === undefined) continue;
      const full = join(entry.parentPath, entry.name);
      const path = relative(dir, full).split("\\").join("/");
      files.set(path, {
        body: await readFile(full),
        headers: { ...securityHeaders, "content-type": type, "cache-control": cacheControl(path) },
      });
    }
  }
  return (path) => {
    const file = files.get(path);
    if (file !== undefined) return file;
    throw new GatewayRefusalError(
      404,
      files.size === 0
        ? "the web console is not built (make build writes it to dist/console)"
        : `no console file ${path}`,
    );
  };
}
