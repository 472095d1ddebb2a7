/** The web console built into a fresh temporary directory, as `npm run build` builds it. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildConsole } from "../console/build.ts";

export async function buildTestConsole(): Promise<string> {
  const dir = join(mkdtempSync(join(tmpdir(), "herald-console-")), "console");
  await buildConsole(dir);
  return dir;
}
