import { copyFile, cp, rm } from "node:fs/promises";
import { join } from "node:path";
import { ensureDir } from "../env/daemon.ts";
import { cassandraJars } from "../env/parts/cassandra.ts";
import { partDir } from "../../testing/paths.ts";
import { buildArgs } from "../images/docker-args.ts";
import { docker } from "../images/docker.ts";
import { cassandraImage } from "./settings.ts";

/** The test environment's Cassandra files the image shares: its JVM options and logging. */
const envConfDir = join(import.meta.dirname, "../env/cassandra");

/**
 * Builds herald-cassandra from e2e/node/cassandra: the Maven jars that the test environment
 * caches by version (fetched now if missing) on Debian's Java 17. The jars live outside the
 * repository, so the build context is staged under .herald/images/ (the engine's classic
 * builder takes one context directory).
 */
export async function buildCassandraImage(): Promise<string> {
  const lib = await cassandraJars();
  const dir = await ensureDir(partDir("images"));
  const context = join(dir, "cassandra-context");
  await rm(context, { recursive: true, force: true });
  await cp(lib, join(context, "lib"), { recursive: true });
  const files = [
    [join(import.meta.dirname, "cassandra", "entrypoint.sh"), "entrypoint.sh"],
    [join(envConfDir, "jvm17.options"), "jvm17.options"],
    [join(envConfDir, "logback.xml"), "logback.xml"],
  ] as const;
  for (const [from, to] of files) await copyFile(from, join(context, to));
  const tag = `${cassandraImage.repository}:${cassandraImage.tag}`;
  await docker(
    buildArgs({
      dockerfile: join(import.meta.dirname, "cassandra", "Dockerfile"),
      tag,
      context,
    }),
    { logFile: join(dir, "build.log") },
  );
  return tag;
}
