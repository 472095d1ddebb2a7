import { execFile } from "node:child_process";
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Client } from "cassandra-driver";
import { ensureDir, portOpen, readPid, startDaemon, stopDaemon, waitUntil } from "../daemon.ts";
import { EnvError } from "../../../testing/env-error.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import type { Part } from "../part.ts";
import { cacheDir, partDir } from "../../../testing/paths.ts";
import { have, run } from "../../../testing/run.ts";

/** The one place the Cassandra version lives; the pom receives it as -Dcassandra.version. */
export const CASSANDRA_VERSION = "5.0.9";
const ARTIFACT = `org.apache.cassandra:cassandra-all:${CASSANDRA_VERSION}`;

const PART = "cassandra";
const HOST = "127.0.0.1";
// Unusual ports, so a developer's own Cassandra (9042/7000) never clashes.
const NATIVE_PORT = 59042;
const STORAGE_PORT = 57000;
const DATA_CENTER = "datacenter1"; // SimpleSnitch's fixed data center
const JAVA_MAJOR = 17;
// A cold start on the shared 2-core box takes 30–90 s; leave room for a slow one.
const START_TIMEOUT_MS = 180_000;
// Cassandra drains on SIGTERM; give it time before SIGKILL.
const STOP_GRACE_MS = 30_000;

const confDir = join(import.meta.dirname, "../cassandra");
const dir = partDir(PART);
const pidFile = join(dir, "cassandra.pid");
const logFile = join(dir, "cassandra.log");
const daemon = { part: PART, pidFile, logFile };

type Facts = TestEnv["cassandra"];

const facts = (pid: number): Facts => ({
  contactPoint: HOST,
  port: NATIVE_PORT,
  localDataCenter: DATA_CENTER,
  pid,
});

async function jarsIn(lib: string): Promise<string[]> {
  try {
    return (await readdir(lib)).filter((f) => f.endsWith(".jar"));
  } catch {
    return [];
  }
}

/**
 * The lib/ directory to run from: HERALD_CASSANDRA_HOME's, or the Maven-built cache. The node
 * lane's Cassandra image is built from the same jars (e2e/node/cassandra-image.ts).
 */
export async function cassandraJars(): Promise<string> {
  const home = process.env.HERALD_CASSANDRA_HOME;
  if (home) {
    const lib = join(home, "lib");
    if ((await jarsIn(lib)).length === 0) {
      throw new EnvError(
        PART,
        `HERALD_CASSANDRA_HOME=${home} has no lib/*.jar`,
        "point it at a Cassandra 5.0 install or unset it to fetch from Maven Central",
      );
    }
    return lib;
  }
  const target = join(cacheDir, `cassandra-${CASSANDRA_VERSION}`);
  const lib = join(target, "lib");
  if ((await jarsIn(lib)).includes(`cassandra-all-${CASSANDRA_VERSION}.jar`)) return lib;

  if (!(await have("mvn"))) {
    throw new EnvError(
      PART,
      "Maven (mvn) not found",
      "install maven, or set HERALD_CASSANDRA_HOME to an install",
    );
  }
  // Fill a private staging dir, then rename: a killed or concurrent install
  // never leaves a half-filled lib/ behind.
  const staging = `${target}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await copyFile(join(confDir, "pom.xml"), join(staging, "pom.xml"));
  // The node lane builds its image from these jars without starting this part: make the log's
  // directory here too.
  const mavenLog = join(await ensureDir(dir), "maven.log");
  await writeFile(mavenLog, "");
  try {
    await run(
      "mvn",
      [
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        join(staging, "pom.xml"),
        `-Dcassandra.version=${CASSANDRA_VERSION}`,
        "dependency:copy-dependencies",
        `-DoutputDirectory=${join(staging, "lib")}`,
        "-DincludeScope=runtime",
      ],
      { part: PART, remedy: "see the log", logFile: mavenLog },
    );
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw await mavenError(err, mavenLog);
  }
  await rename(staging, target).catch(async () => {
    // Another process finished first; its copy is as good as ours.
    await rm(staging, { recursive: true, force: true });
  });
  return lib;
}

/** Turn a Maven failure into one line that names its cause. */
async function mavenError(err: unknown, mavenLog: string): Promise<EnvError> {
  const log = await readFile(mavenLog, "utf8").catch(() => "");
  const version = CASSANDRA_VERSION.replaceAll(".", "\\.");
  if (
    new RegExp(`cassandra-all:(jar|pom):${version}\\b`).test(log) &&
    !/Could not transfer/.test(log)
  ) {
    return new EnvError(
      PART,
      `${ARTIFACT} not found on Maven Central`,
      "set CASSANDRA_VERSION in e2e/env/parts/cassandra.ts, or HERALD_CASSANDRA_HOME",
    );
  }
  if (/Could not transfer|UnknownHost|Unknown host|Connection refused|timed out/i.test(log)) {
    return new EnvError(
      PART,
      `cannot reach Maven Central to fetch ${ARTIFACT}`,
      `check the network (log: ${mavenLog}) or set HERALD_CASSANDRA_HOME`,
    );
  }
  const first = log.split("\n").find((l) => l.startsWith("[ERROR]"));
  if (first) {
    return new EnvError(
      PART,
      `Maven could not fetch ${ARTIFACT}: ${first.slice(8, 300)}`,
      `see ${mavenLog}`,
    );
  }
  return err instanceof EnvError
    ? err
    : new EnvError(PART, `Maven could not fetch ${ARTIFACT}`, `see ${mavenLog}`);
}

/** The java binary to use, after checking it is Java 17 (what Cassandra 5.0 supports here). */
async function java(): Promise<string> {
  const bin = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, "bin", "java") : "java";
  const output = await new Promise<string | undefined>((resolve) => {
    // `java -version` prints to stderr.
    execFile(bin, ["-version"], (err, stdout, stderr) =>
      resolve(err ? undefined : stderr + stdout),
    );
  });
  const remedy = "install openjdk-17-jre-headless or set JAVA_HOME to a Java 17";
  if (output === undefined) throw new EnvError(PART, `Java not found (tried ${bin})`, remedy);
  const version = /version "([^"]+)"/.exec(output)?.[1] ?? "unknown";
  // "1.8.0_392" is Java 8; "17.0.15" is Java 17.
  const parts = version.split(".");
  const major = Number(parts[0] === "1" ? parts[1] : parts[0]);
  if (major !== JAVA_MAJOR) {
    const problem = major < JAVA_MAJOR ? "too old" : "not supported by Cassandra 5.0 here";
    throw new EnvError(
      PART,
      `${bin} is Java ${version}, ${problem}; needs Java ${JAVA_MAJOR}`,
      remedy,
    );
  }
  return bin;
}

async function jvmOptions(): Promise<string[]> {
  const text = await readFile(join(confDir, "jvm17.options"), "utf8");
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

async function writeConfig(): Promise<string> {
  const template = await readFile(join(confDir, "cassandra.yaml"), "utf8");
  // Ports are quoted in the template only to keep it valid YAML; unquote them.
  const yaml = template
    .replaceAll("{{dir}}", dir)
    .replaceAll('"{{nativePort}}"', String(NATIVE_PORT))
    .replaceAll('"{{storagePort}}"', String(STORAGE_PORT))
    .replaceAll("{{storagePort}}", String(STORAGE_PORT));
  const file = join(dir, "cassandra.yaml");
  await writeFile(file, yaml);
  return file;
}

/** True when `pid` is a CassandraDaemon; guards against a recycled pid in a stale pid file. */
async function isCassandra(pid: number): Promise<boolean> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).includes("CassandraDaemon");
  } catch {
    return process.platform !== "linux"; // no /proc: trust the pid file
  }
}

/** CQL is usable: the driver connects and reads system.local. */
async function cqlReady(): Promise<boolean> {
  if (!(await portOpen(HOST, NATIVE_PORT))) return false;
  const client = new Client({
    contactPoints: [`${HOST}:${NATIVE_PORT}`],
    localDataCenter: DATA_CENTER,
    socketOptions: { connectTimeout: 2000, readTimeout: 5000 },
  });
  try {
    const rs = await client.execute("SELECT release_version FROM system.local");
    return typeof rs.first()?.get("release_version") === "string";
  } finally {
    await client.shutdown();
  }
}

async function ourPid(): Promise<number | undefined> {
  const pid = await readPid(pidFile);
  if (pid && (await isCassandra(pid))) return pid;
  await rm(pidFile, { force: true });
  return undefined;
}

export const cassandraPart: Part<Facts> = {
  name: PART,

  async up() {
    await ensureDir(dir);
    const running = await ourPid();
    if (running) {
      if (await portOpen(HOST, NATIVE_PORT)) return facts(running);
      // Started but not serving yet (a concurrent or interrupted up()): wait for it.
      await waitUntil(daemon, "serving CQL", cqlReady, START_TIMEOUT_MS);
      return facts(running);
    }
    if (await portOpen(HOST, NATIVE_PORT)) {
      throw new EnvError(
        PART,
        `port ${NATIVE_PORT} on ${HOST} is taken by a process that is not this checkout's Cassandra`,
        "stop it (another checkout's `make env-down`?) and retry",
      );
    }
    const [bin, lib] = await Promise.all([java(), cassandraJars()]);
    const jamm = (await jarsIn(lib)).find((f) => /^jamm-[\d.]+\.jar$/.test(f));
    if (!jamm)
      throw new EnvError(PART, `no jamm-*.jar in ${lib}`, "remove that directory to reinstall");
    const config = await writeConfig();
    await Promise.all(
      ["data", "commitlog", "hints", "saved_caches", "cdc_raw", "triggers"].map((d) =>
        ensureDir(join(dir, d)),
      ),
    );
    await writeFile(logFile, ""); // one start per log, so its last line is this start's
    const pid = await startDaemon({
      ...daemon,
      cmd: bin,
      args: [
        ...(await jvmOptions()),
        // Cassandra measures object sizes through jamm's instrumentation agent.
        `-javaagent:${join(lib, jamm)}`,
        `-Dcassandra.config=file://${config}`,
        // Whatever Cassandra places by default (audit/FQL logs, triggers) stays in .herald/.
        `-Dcassandra.storagedir=${dir}`,
        `-Dcassandra.logdir=${dir}`,
        `-Dcassandra.triggers_dir=${join(dir, "triggers")}`,
        `-Dlogback.configurationFile=${join(confDir, "logback.xml")}`,
        "-cp",
        `${lib}/*`,
        // Straight to the daemon class: only bin/cassandra refuses root, so root is fine.
        "org.apache.cassandra.service.CassandraDaemon",
      ],
      cwd: dir,
    });
    try {
      await waitUntil(daemon, "serving CQL", cqlReady, START_TIMEOUT_MS);
    } catch (err) {
      // A hung start would block the next up(); leave no process behind.
      await stopDaemon(pidFile, STOP_GRACE_MS);
      throw err;
    }
    return facts(pid);
  },

  async down() {
    if (await ourPid()) await stopDaemon(pidFile, STOP_GRACE_MS);
    else await rm(pidFile, { force: true });
  },
};
