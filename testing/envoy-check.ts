import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { constants } from "node:fs";
import { access, mkdir, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, resolve } from "node:path";
import { z } from "zod";
import { EnvError } from "./env-error.ts";
import { cacheDir } from "./paths.ts";
import { have, run } from "./run.ts";

/**
 * Offline validation of generated Envoy config. Envoy itself cannot be
 * installed here, so a small Go program (testing/envoy-check) checks a
 * bootstrap against go-control-plane's protos and validation rules; this
 * module builds it once into the cache and runs it.
 */

const PART = "envoy-check";

/** The checker's Go module. */
const checkerDir = resolve(import.meta.dirname, "envoy-check");

/** Names a prebuilt checker, skipping the Go build. */
const OVERRIDE = "HERALD_ENVOY_CHECK";

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cache key: go.sum pins every dependency, and the sources are hashed
 * too so that an edit to the checker never runs a stale binary.
 */
async function sourceHash(): Promise<string> {
  const files = (await readdir(checkerDir))
    .filter((f) => f === "go.sum" || f === "go.mod" || f.endsWith(".go"))
    .sort();
  const hash = createHash("sha256");
  for (const f of files) {
    hash.update(`${f}\0`).update(await readFile(join(checkerDir, f)));
  }
  return hash.digest("hex").slice(0, 12);
}

async function goCommand(): Promise<string> {
  if (await have("go")) return "go";
  if (await isExecutable("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  throw new EnvError(
    PART,
    "go is not on PATH (needed once to build the Envoy config checker)",
    `install Go ≥ 1.26 (https://go.dev/dl, or /usr/local/go/bin on PATH), or set ${OVERRIDE} to a prebuilt envoy-check`,
  );
}

async function build(target: string): Promise<void> {
  const go = await goCommand();
  const dir = resolve(target, "..");
  await mkdir(dir, { recursive: true });
  // Build beside the target and rename, so concurrent test workers or an
  // interrupted build never leave a half-written binary at the cached path.
  const tmpDir = join(dir, `.build-${process.pid}`);
  const tmp = join(tmpDir, "envoy-check");
  const goflags = process.env.GOFLAGS ?? "";
  const started = Date.now();
  console.error(`${PART}: building the Envoy config checker with Go (first run only)…`);
  try {
    await run(go, ["build", "-trimpath", "-ldflags", "-s -w", "-o", tmp, "."], {
      cwd: checkerDir,
      env: {
        ...process.env,
        CGO_ENABLED: "0",
        // The module sits inside Herald's repo, whose VCS state it must not stamp.
        GOFLAGS: goflags.includes("-buildvcs") ? goflags : `${goflags} -buildvcs=false`.trim(),
      },
      part: PART,
      logFile: join(dir, "build.log"),
      remedy: `the Go module proxy (GOPROXY) must be reachable once to fetch go-control-plane, or set ${OVERRIDE} to a prebuilt envoy-check`,
    });
    await rename(tmp, target);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  console.error(`${PART}: built in ${((Date.now() - started) / 1000).toFixed(0)}s → ${target}`);
}

let ensured: Promise<string> | undefined;

/**
 * The checker's path: $HERALD_ENVOY_CHECK, else the cached build
 * ($HERALD_CACHE/envoy-check-<hash>/envoy-check), else a fresh build.
 */
export function ensureEnvoyCheck(): Promise<string> {
  ensured ??= (async () => {
    const override = process.env[OVERRIDE];
    if (override) {
      if (await isExecutable(override)) return override;
      throw new EnvError(
        PART,
        `${OVERRIDE}=${override} is not an executable file`,
        `fix or unset ${OVERRIDE}`,
      );
    }
    const target = join(cacheDir, `envoy-check-${await sourceHash()}`, "envoy-check");
    if (!(await isExecutable(target))) await build(target);
    return target;
  })();
  // A failed attempt is not remembered, so a later call can retry.
  ensured.catch(() => (ensured = undefined));
  return ensured;
}

export interface EnvoyCheckResult {
  ok: boolean;
  /** One "field.path: problem" line each; empty when ok. */
  violations: string[];
}

// The checker's contract (main.go): exit 0 and "ok", or exit 1 and one
// "path: problem" line per violation.
const Verdict = z.discriminatedUnion("code", [
  z.object({ code: z.literal(0), stdout: z.literal("ok") }),
  z.object({
    code: z.literal(1),
    stdout: z.array(z.string().regex(/^.+?: .+$/, "a violation is a `path: problem` line")).min(1),
  }),
]);

/** Validate an Envoy v3 bootstrap (YAML or JSON text). */
export async function checkEnvoyConfig(yamlText: string): Promise<EnvoyCheckResult> {
  const bin = await ensureEnvoyCheck();
  const child = spawn(bin, [], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  // A checker that dies early closes its stdin; its exit code says why.
  child.stdin.on("error", () => undefined);
  child.stdin.end(yamlText);
  const code = await new Promise<number>((res) => {
    child.on("error", () => res(127));
    child.on("close", (c) => res(c ?? 1));
  });
  const lines = stdout.split("\n").filter((l) => l.trim() !== "");
  const verdict = Verdict.safeParse({ code, stdout: code === 0 ? stdout.trim() : lines });
  if (!verdict.success) {
    const said = (stderr.trim() || stdout.trim()).split("\n").at(-1) ?? "";
    throw new EnvError(
      PART,
      `${bin} broke its contract (exit ${code}${said ? `: ${said.slice(0, 300)}` : ""})`,
      `delete ${resolve(bin, "..")} to rebuild it, or unset ${OVERRIDE}`,
    );
  }
  return verdict.data.code === 0
    ? { ok: true, violations: [] }
    : { ok: false, violations: verdict.data.stdout };
}
