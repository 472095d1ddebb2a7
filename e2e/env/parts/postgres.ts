import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chown, readdir } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { aptInstall } from "../apt.ts";
import { ensureDir, readPid, startDaemon, stopDaemon, waitUntil } from "../daemon.ts";
import type { TestEnv } from "../../../testing/test-env.ts";
import { EnvError } from "../../../testing/env-error.ts";
import type { Part } from "../part.ts";
import { partDir, stateDir } from "../../../testing/paths.ts";
import { run } from "../../../testing/run.ts";

const PORT = 55432;
const USER = "herald";
const DATABASE = "herald";
const url = `postgres://${USER}@127.0.0.1:${PORT}/${DATABASE}`;
const maintenanceUrl = `postgres://${USER}@127.0.0.1:${PORT}/postgres`;

const dir = partDir("postgres");
const pidFile = join(dir, "postgres.pid");
const logFile = join(dir, "postgres.log");
// PostgreSQL refuses to run as root, so it runs as the `postgres` user, which
// may not be able to traverse the checkout (CI clones into private temp
// dirs). Its data therefore lives under /var/tmp, keyed by this checkout.
const dataRoot = join(
  "/var/tmp/herald",
  createHash("sha1").update(stateDir).digest("hex").slice(0, 10),
);
const dataDir = join(dataRoot, "postgres");

/** Debian installs versioned binaries under /usr/lib/postgresql/<major>/bin. */
async function findBinDir(): Promise<string | undefined> {
  if (process.env.HERALD_POSTGRES_BIN) return process.env.HERALD_POSTGRES_BIN;
  const majors = await readdir("/usr/lib/postgresql").catch(() => []);
  const newest = majors
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => b - a)[0];
  return newest === undefined ? undefined : `/usr/lib/postgresql/${newest}/bin`;
}

async function install(): Promise<string> {
  let bin = await findBinDir();
  if (!bin || !existsSync(join(bin, "postgres"))) {
    await aptInstall("postgres", ["postgresql"]);
    bin = await findBinDir();
  }
  if (!bin || !existsSync(join(bin, "initdb"))) {
    throw new EnvError(
      "postgres",
      "initdb not found under /usr/lib/postgresql",
      "apt-get install -y postgresql, or set HERALD_POSTGRES_BIN",
    );
  }
  return bin;
}

/** uid/gid to run as: the `postgres` account when we are root, else ourselves. */
async function runAs(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const out = await run("id", ["-u", "postgres"], {
    part: "postgres",
    remedy: "apt-get install -y postgresql creates the postgres account",
  });
  const gidOut = await run("id", ["-g", "postgres"], {
    part: "postgres",
    remedy: "apt-get install -y postgresql",
  });
  return { uid: Number(out.trim()), gid: Number(gidOut.trim()) };
}

async function ping(connectionString = maintenanceUrl): Promise<boolean> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const postgresPart: Part<TestEnv["postgres"]> = {
  name: "postgres",
  async up() {
    await ensureDir(dir);
    const running = await readPid(pidFile);
    if (running && (await ping(url).catch(() => false))) return { url, pid: running };

    const bin = await install();
    const owner = await runAs();
    await ensureDir(dataDir);
    if (owner)
      await chown(dataRoot, owner.uid, owner.gid).then(() => chown(dataDir, owner.uid, owner.gid));
    if (!existsSync(join(dataDir, "PG_VERSION"))) {
      await run(
        join(bin, "initdb"),
        ["-D", dataDir, "-U", USER, "--auth=trust", "-E", "UTF8", "--no-instructions"],
        {
          part: "postgres",
          remedy: `remove ${dataDir} and retry`,
          ...owner,
        },
      );
    }
    const pid = await startDaemon({
      part: "postgres",
      cmd: join(bin, "postgres"),
      args: [
        "-D",
        dataDir,
        "-p",
        String(PORT),
        "-k",
        dataRoot,
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "max_connections=300",
        "-c",
        "shared_buffers=128MB",
      ],
      pidFile,
      logFile,
      ...owner,
    });
    await waitUntil({ part: "postgres", logFile, pidFile }, "accepting connections", ping, 60_000);
    await createDatabase();
    return { url, pid };
  },
  async down() {
    // SIGTERM is PostgreSQL's "smart" shutdown; SIGINT would be "fast". The grace
    // period covers a smart shutdown with idle clients left by tests.
    await stopDaemon(pidFile, 20_000);
  },
};

async function createDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: maintenanceUrl });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (exists.rowCount === 0) await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
}
