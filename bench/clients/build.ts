/**
 * The bench's independent load generators, built with Go on first use and cached by version
 * under ~/.cache/herald (as the test environment's Go parts are, e2e/env/parts/kube/go-build.ts):
 * - ghz, a gRPC load tester, from the Go module proxy;
 * - `nats` (natscli), whose `nats bench` drives the NATS peer, from the Go module proxy;
 * - `latency` (bench/clients/latency), this repository's open-loop publish→deliver client, with
 *   its gRPC code generated from broker/api/broker.proto; cached by a hash of its source and the
 *   proto, so every edit builds a fresh binary.
 * Each can be replaced by a prebuilt binary through its HERALD_* variable.
 */
import { createHash } from "node:crypto";
import { cp, mkdir, readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ensureGoBinary } from "../../e2e/env/parts/kube/go-build.ts";
import { run } from "../../testing/run.ts";
import { cacheDir } from "../../testing/paths.ts";
import { ensureDebianPackage } from "../targets/debian.ts";

export const GHZ_VERSION = "v0.120.0";
export const NATSCLI_VERSION = "v0.5.0";

const clientsDir = import.meta.dirname;
const protoFile = resolve(clientsDir, "..", "..", "broker", "api", "broker.proto");
const logFile = resolve(clientsDir, "..", "..", ".herald", "bench", "clients-build.log");
/** The Go import path of the generated broker.proto code (bench/clients/go.mod's module + dir). */
const generatedPackage = "herald/bench/clients/latency/brokerpb";

/** `go install pkg@version`, stripped, two compile jobs (2-core machines). */
const goInstall = (pkg: string, version: string, stamps: readonly string[] = []) => [
  "install",
  "-p",
  "2",
  "-trimpath",
  "-ldflags",
  ["-s", "-w", ...stamps].join(" "),
  `${pkg}@${version}`,
];

export function ghzBinary(): Promise<string> {
  return ensureGoBinary({
    part: "bench",
    name: "ghz",
    envVar: "HERALD_GHZ",
    binDir: join(cacheDir, `ghz-${GHZ_VERSION}`, "bin"),
    logFile,
    // The stamp goreleaser sets for ghz's releases; without it ghz reports "dev".
    goArgs: () =>
      goInstall("github.com/bojand/ghz/cmd/ghz", GHZ_VERSION, [`-X main.version=${GHZ_VERSION}`]),
    standalone: true,
    expectVersion: GHZ_VERSION,
    needsWrapperModules: false,
  });
}

export function natsCliBinary(): Promise<string> {
  return ensureGoBinary({
    part: "bench",
    name: "nats",
    envVar: "HERALD_NATS_CLI",
    binDir: join(cacheDir, `natscli-${NATSCLI_VERSION}`, "bin"),
    logFile,
    // natscli reports the module version of a `go install pkg@version` build itself.
    goArgs: () => goInstall("github.com/nats-io/natscli/nats", NATSCLI_VERSION),
    standalone: true,
    expectVersion: NATSCLI_VERSION,
    needsWrapperModules: false,
  });
}

/** The latency client's source files (go.mod, go.sum, latency/*.go), relative to bench/clients. */
async function latencySources(): Promise<string[]> {
  const goFiles = (await readdir(join(clientsDir, "latency"))).filter((f) => f.endsWith(".go"));
  return ["go.mod", "go.sum", ...goFiles.sort().map((file) => join("latency", file))];
}

/** A hash of the latency client's source and broker.proto: its cache key and version stamp. */
export async function latencySourceHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of await latencySources()) {
    hash.update(`${file}\0`);
    hash.update(await readFile(join(clientsDir, file)));
  }
  hash.update("broker.proto\0");
  hash.update(await readFile(protoFile));
  return hash.digest("hex").slice(0, 12);
}

/**
 * Copies the client's source to `srcDir`, builds the protoc plugins that its go.mod pins
 * (its `tool` lines) and generates the broker.proto code next to it.
 */
async function generate(srcDir: string, binDir: string): Promise<void> {
  const protoc = await ensureDebianPackage("protobuf-compiler", "/usr/bin/protoc");
  if ("unavailable" in protoc) throw new Error(`protoc: ${protoc.unavailable}`);
  for (const file of await latencySources()) {
    await mkdir(join(srcDir, "latency"), { recursive: true });
    await cp(join(clientsDir, file), join(srcDir, file));
  }
  const plugins = {
    "protoc-gen-go": "google.golang.org/protobuf/cmd/protoc-gen-go",
    "protoc-gen-go-grpc": "google.golang.org/grpc/cmd/protoc-gen-go-grpc",
  };
  const env = { ...process.env, CGO_ENABLED: "0" };
  for (const [name, pkg] of Object.entries(plugins))
    await run("go", ["build", "-o", join(binDir, name), pkg], {
      cwd: srcDir,
      env,
      part: "bench",
      logFile,
      remedy: "the Go module proxy must be reachable to fetch the protoc plugins once",
    });
  const outDir = join(srcDir, "latency", "brokerpb");
  await mkdir(outDir, { recursive: true });
  const mapping = `paths=source_relative,Mbroker.proto=${generatedPackage}`;
  await run(
    protoc.path,
    [
      `-I${resolve(protoFile, "..")}`,
      `--plugin=protoc-gen-go=${join(binDir, "protoc-gen-go")}`,
      `--plugin=protoc-gen-go-grpc=${join(binDir, "protoc-gen-go-grpc")}`,
      `--go_out=${outDir}`,
      `--go_opt=${mapping}`,
      `--go-grpc_out=${outDir}`,
      `--go-grpc_opt=${mapping}`,
      "broker.proto",
    ],
    { part: "bench", logFile, remedy: "see the build log: protoc failed on broker.proto" },
  );
}

export async function latencyBinary(): Promise<string> {
  const hash = await latencySourceHash();
  return ensureGoBinary({
    part: "bench",
    name: "latency",
    envVar: "HERALD_BENCH_LATENCY",
    binDir: join(cacheDir, `bench-latency-${hash}`, "bin"),
    logFile,
    // Built in a copy of the source with its generated code, inside the temporary build
    // directory (removed afterwards), so the repository never holds generated Go.
    goArgs: async (out, buildDir) => {
      const srcDir = join(buildDir, "src");
      await generate(srcDir, join(buildDir, "plugins"));
      return [
        "build",
        "-C",
        srcDir,
        "-p",
        "2",
        "-trimpath",
        "-ldflags",
        `-s -w -X main.version=${hash}`,
        "-o",
        out,
        "./latency",
      ];
    },
    standalone: true,
    expectVersion: hash,
    needsWrapperModules: false,
  });
}
