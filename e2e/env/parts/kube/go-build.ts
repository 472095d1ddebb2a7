import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { access, mkdir, readFile, rename, rm } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { EnvError } from "../../../../testing/env-error.ts";
import { have, run } from "../../../../testing/run.ts";

/**
 * Builds of the Go parts (etcd, kube-apiserver, kube-controller-manager,
 * kubectl, helm, the cert-manager controller) from the Go module proxy into
 * the version-keyed cache. Versions come from the wrapper modules' go.mod, so
 * bumping a version there is the only edit needed and lands in a fresh cache
 * directory.
 */

/** The wrapper Go module (e2e/env/kube-build). */
export const wrapperDir = resolve(import.meta.dirname, "../../kube-build");

/** helm is `go install`ed on its own: its k8s.io libraries are newer than 1.32's. */
export const HELM_VERSION = "v3.22.0";

export interface WrapperVersions {
  /** e.g. v1.32.13 */
  kube: string;
  /** e.g. v3.5.16 */
  etcd: string;
}

let versions: WrapperVersions | undefined;

/** The versions a wrapper module's go.mod requires of `modules`, in order. */
export async function requiredVersions(
  part: string,
  moduleDir: string,
  modules: string[],
): Promise<string[]> {
  const gomod = await readFile(join(moduleDir, "go.mod"), "utf8");
  return modules.map((module) => {
    const m = new RegExp(`^\\s*${module.replaceAll(".", "\\.")} (v\\S+)`, "m").exec(gomod);
    if (!m?.[1])
      throw new EnvError(part, `go.mod does not require ${module}`, `fix ${moduleDir}/go.mod`);
    return m[1];
  });
}

export async function wrapperVersions(): Promise<WrapperVersions> {
  if (versions) return versions;
  const [kube = "", etcd = ""] = await requiredVersions("kube-build", wrapperDir, [
    "k8s.io/kubernetes",
    "go.etcd.io/etcd/server/v3",
  ]);
  versions = { kube, etcd };
  return versions;
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The go command: from PATH, else the usual tarball install location. */
async function goCommand(part: string): Promise<string> {
  if (await have("go")) return "go";
  if (await isExecutable("/usr/local/go/bin/go")) return "/usr/local/go/bin/go";
  throw new EnvError(
    part,
    "go is not on PATH (needed once to build the binaries from the Go module proxy)",
    "install Go ≥ 1.26 (https://go.dev/dl, or /usr/local/go/bin on PATH), or point the HERALD_* binary variables at prebuilt binaries",
  );
}

function goEnv(): NodeJS.ProcessEnv {
  // No cgo: static binaries that need no C toolchain. No VCS stamping: the
  // wrapper sits inside the Herald repo, whose state says nothing about k8s.
  const goflags = process.env.GOFLAGS ?? "";
  return {
    ...process.env,
    CGO_ENABLED: "0",
    GOFLAGS: goflags.includes("-buildvcs") ? goflags : `${goflags} -buildvcs=false`.trim(),
  };
}

/** How one binary is obtained. */
export interface GoBinary {
  part: string;
  /** File name in the cache's bin directory. */
  name: string;
  /** An environment variable naming a prebuilt binary that skips the build. */
  envVar: string;
  /** e.g. ~/.cache/herald/kube-v1.32.13/bin */
  binDir: string;
  /** Where build output goes. */
  logFile: string;
  /** The `go` arguments, given the output path (`go build -o`) or GOBIN (`go install`). */
  goArgs: (out: string, gobin: string) => string[] | Promise<string[]>;
  /** Run outside the wrapper module (`go install pkg@version`). */
  standalone?: boolean;
  /** A string that `<binary> --version` (or versionArgs) must print. */
  expectVersion: string;
  versionArgs?: string[];
  /** Run `go mod download` in the wrapper first (for a clear proxy error). */
  needsWrapperModules: boolean;
  /** The wrapper module to build in (default: kube-build). */
  moduleDir?: string;
}

/**
 * The binary's path: the environment override, else the cached build, else a
 * fresh build (once per version; later calls only stat the file).
 */
export async function ensureGoBinary(b: GoBinary): Promise<string> {
  const override = process.env[b.envVar];
  if (override) {
    if (await isExecutable(override)) return override;
    throw new EnvError(
      b.part,
      `${b.envVar}=${override} is not an executable file`,
      `fix or unset ${b.envVar}`,
    );
  }
  const target = join(b.binDir, b.name);
  if (await isExecutable(target)) return target;

  const go = await goCommand(b.part);
  await mkdir(b.binDir, { recursive: true });
  await mkdir(dirname(b.logFile), { recursive: true });
  const skip = `or set ${b.envVar} to a prebuilt ${b.name}`;
  const moduleDir = b.moduleDir ?? wrapperDir;
  if (b.needsWrapperModules) {
    await run(go, ["mod", "download"], {
      cwd: moduleDir,
      env: goEnv(),
      part: b.part,
      logFile: b.logFile,
      remedy: `the Go module proxy (GOPROXY) must be reachable to fetch the sources once, ${skip}`,
    });
  }
  const started = Date.now();
  console.error(
    `${b.part}: building ${b.name} ${b.expectVersion} with Go (first run only; takes minutes)…`,
  );
  // Build beside the target and rename, so an interrupted or concurrent build
  // never leaves a half-written binary at the cached path.
  const tmpDir = join(b.binDir, `.build-${b.name}-${process.pid}`);
  const tmp = join(tmpDir, b.name);
  await mkdir(tmpDir, { recursive: true });
  try {
    await run(go, await b.goArgs(tmp, tmpDir), {
      cwd: b.standalone ? tmpDir : moduleDir,
      env: { ...goEnv(), GOBIN: tmpDir },
      part: b.part,
      logFile: b.logFile,
      remedy: `see the build log; the Go module proxy must be reachable, ${skip}`,
    });
    const printed = await run(tmp, b.versionArgs ?? ["--version"], {
      part: b.part,
      remedy: `the build in ${b.binDir} is broken; delete that directory and retry`,
    });
    if (!printed.includes(b.expectVersion)) {
      throw new EnvError(
        b.part,
        `built ${b.name} reports "${printed.trim().split("\n")[0] ?? ""}", not ${b.expectVersion}`,
        `check the -X version stamps in e2e/env/parts/kube/go-build.ts`,
      );
    }
    await rename(tmp, target);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  console.error(
    `${b.part}: built ${b.name} in ${((Date.now() - started) / 1000).toFixed(0)}s → ${target}`,
  );
  return target;
}

/** `go build` arguments: one package at a time, two compile jobs (2-core machines), stripped. */
export function goBuildArgs(out: string, pkg: string, stamps: Record<string, string>): string[] {
  const x = Object.entries(stamps).map(([k, v]) => `-X '${k}=${v}'`);
  return [
    "build",
    "-p",
    "2",
    "-trimpath",
    "-ldflags",
    ["-s", "-w", ...x].join(" "),
    "-o",
    out,
    pkg,
  ];
}

/** The `-X` stamps that make a Kubernetes binary report its real version. */
export function kubeVersionStamps(kubeVersion: string, buildDate: string): Record<string, string> {
  const [major = "", minor = ""] = kubeVersion.replace(/^v/, "").split(".");
  const stamps: Record<string, string> = {};
  for (const pkg of ["k8s.io/component-base/version", "k8s.io/client-go/pkg/version"]) {
    stamps[`${pkg}.gitVersion`] = kubeVersion;
    stamps[`${pkg}.gitMajor`] = major;
    stamps[`${pkg}.gitMinor`] = minor;
    // The proxy carries no commit; "archive" is what Kubernetes stamps for
    // builds from a source tarball rather than a git tree.
    stamps[`${pkg}.gitCommit`] = "";
    stamps[`${pkg}.gitTreeState`] = "archive";
    stamps[`${pkg}.buildDate`] = buildDate;
  }
  return stamps;
}

/** The publication time of a module version, a reproducible build date. */
export async function moduleTime(part: string, module: string, logFile: string): Promise<string> {
  const go = await goCommand(part);
  const out = await run(go, ["list", "-m", "-f", "{{.Time}}", module], {
    cwd: wrapperDir,
    env: goEnv(),
    part,
    logFile,
    remedy: "the Go module proxy (GOPROXY) must be reachable to fetch the sources once",
  });
  // Go prints e.g. "2026-02-27 00:14:55 +0000 UTC"; Kubernetes wants RFC 3339.
  const when = new Date(
    out
      .trim()
      .replace(/ \+0000 UTC$/, "Z")
      .replace(" ", "T"),
  );
  return Number.isNaN(when.getTime())
    ? "1970-01-01T00:00:00Z"
    : when.toISOString().replace(/\.\d{3}Z$/, "Z");
}

const KubectlVersion = z.object({
  clientVersion: z.object({ major: z.string(), minor: z.string() }),
});

/** The client minor version of a kubectl, or undefined if it does not answer. */
export async function kubectlMinor(kubectl: string): Promise<number | undefined> {
  const child = spawn(kubectl, ["version", "--client", "-o", "json"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number>((res) => {
    child.on("error", () => res(127));
    child.on("close", (c) => res(c ?? 1));
  });
  if (code !== 0) return undefined;
  try {
    const { clientVersion } = KubectlVersion.parse(JSON.parse(out));
    // Vendor builds report minors like "32+".
    return clientVersion.major === "1" ? Number.parseInt(clientVersion.minor, 10) : undefined;
  } catch {
    return undefined;
  }
}

const DownloadedModule = z.object({ Dir: z.string() });

/** The unpacked source of a module the wrapper in `moduleDir` requires (fetched once from the proxy). */
export async function moduleSourceDir(
  part: string,
  moduleDir: string,
  module: string,
  logFile: string,
): Promise<string> {
  const go = await goCommand(part);
  const out = await run(go, ["mod", "download", "-json", module], {
    cwd: moduleDir,
    env: goEnv(),
    part,
    logFile,
    remedy: "the Go module proxy (GOPROXY) must be reachable to fetch the sources once",
  });
  return DownloadedModule.parse(JSON.parse(out)).Dir;
}

/** `go install pkg@version` arguments (outside the wrapper): two compile jobs, stripped, plus `ldflags`. */
export function goInstallArgs(pkgAtVersion: string, ldflags: string[] = []): string[] {
  return [
    "install",
    "-p",
    "2",
    "-trimpath",
    "-ldflags",
    ["-s", "-w", ...ldflags].join(" "),
    pkgAtVersion,
  ];
}
