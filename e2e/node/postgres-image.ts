import { join } from "node:path";
import { ensureDir } from "../env/daemon.ts";
import { partDir } from "../../testing/paths.ts";
import { buildArgs } from "../images/docker-args.ts";
import { docker } from "../images/docker.ts";
import { postgresImage } from "./settings.ts";

/** Builds herald-postgres from e2e/node/postgres on the local bookworm base (e2e/images). */
export async function buildPostgresImage(): Promise<string> {
  const context = join(import.meta.dirname, "postgres");
  const tag = `${postgresImage.repository}:${postgresImage.tag}`;
  const logFile = join(await ensureDir(partDir("images")), "build.log");
  await docker(
    buildArgs({
      dockerfile: join(context, "Dockerfile"),
      tag,
      context,
      buildArgs: { PG_MAJOR: postgresImage.tag },
    }),
    { logFile },
  );
  return tag;
}
