/**
 * Where the web console's build is: dist/console, beside the compiled broker (dist/broker/web
 * holds this module) or, when the broker runs from its TypeScript sources, in the checkout's dist/.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function consoleBuildDir(): string | undefined {
  const candidates = ["../../console/", "../../dist/console/"].map((path) =>
    fileURLToPath(new URL(path, import.meta.url)),
  );
  return candidates.find((dir) => existsSync(`${dir}index.html`));
}
