/**
 * The container images on a real Docker engine: build both (local base images when absent),
 * then run each as the chart does — host network, uid 10001, read-only root with a tmpfs /tmp,
 * no capabilities — until its /readyz answers, and stop it: a graceful exit 0 well inside the
 * grace period. The operator runs against the test environment's API server and reconciles a
 * MessageBroker. When the engine itself cannot start on the machine, every test is skipped with
 * the engine's error (also printed to stderr); any other failure fails.
 */
import { AppsV1Api } from "@kubernetes/client-node";
import { chown, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test, type TestContext } from "vitest";
import { z } from "zod";
import { HeraldClient } from "../../broker/client/herald-client.ts";
import { freePort } from "../../testing/free-port.ts";
import { applyHeraldCrds } from "../../operator/crd/install.ts";
import { repoRoot } from "../../testing/paths.ts";
import { buildImages, type BuildResult, type Program } from "./build.ts";
import { Container } from "./container.ts";
import type { RunSpec } from "./docker-args.ts";
import { docker } from "./docker.ts";
import { EngineError, ensureEngine, type Engine } from "./engine.ts";
import { apply, connect, createNamespace } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
const uid = 10001;
/** `docker stop --time`: a stop that needed SIGKILL would take this long and exit 137. */
const graceSeconds = 20;
const run = `herald-images-${process.pid}`;

let engine: Engine | undefined;
let engineError: string | undefined;
let built: BuildResult | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
const report = (line: string) => process.stderr.write(`images: ${line}\n`);

beforeAll(async () => {
  try {
    engine = await ensureEngine();
  } catch (err) {
    if (!(err instanceof EngineError)) throw err;
    engineError = err.message;
    const banner = "!".repeat(100);
    process.stderr.write(
      `\n${banner}\nimage tests SKIPPED: the Docker engine cannot start on this machine:\n${err.message}\n${banner}\n\n`,
    );
    return;
  }
  built = await buildImages();
  for (const base of built.bases.filter((candidate) => candidate.created)) {
    report(`${base.tag} created locally in ${base.seconds.toFixed(1)}s`);
  }
  for (const image of built.images) {
    report(
      `${image.image} built in ${image.seconds.toFixed(1)}s, ${(image.bytes / 1e6).toFixed(0)} MB`,
    );
  }
}, 1_200_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await engine?.stop();
});

/** The built image of `program`; skips the test, naming the engine error, without an engine. */
function imageOf(ctx: TestContext, program: Program): string {
  if (engineError !== undefined) ctx.skip(`Docker engine unavailable: ${engineError}`);
  const image = built?.images.find((candidate) => candidate.program === program)?.image;
  if (image === undefined) throw new Error(`no ${program} image was built`);
  return image;
}

async function start(spec: RunSpec): Promise<Container> {
  const container = await Container.run(spec);
  cleanups.push(() => container.remove());
  return container;
}

/**
 * What each image must and must not carry: its own program's dist/ beside lib/ and contract/,
 * and the packages that program imports (e2e/images/runtime-package.ts), not the other's.
 */
const contents: Record<Program, { dist: string[]; present: string[]; absent: string[] }> = {
  broker: {
    // console/: the web console's static files, which the broker's gateway serves.
    dist: ["broker", "console", "contract", "lib"],
    present: ["@grpc/grpc-js", "pg", "cassandra-driver", "@opentelemetry/instrumentation"],
    absent: ["safe-stable-stringify", "@peculiar/x509", "preact"],
  },
  operator: {
    dist: ["contract", "lib", "operator"],
    present: ["@kubernetes/client-node", "safe-stable-stringify", "yaml", "@peculiar/x509"],
    absent: ["@grpc/grpc-js", "pg", "cassandra-driver", "@opentelemetry/sdk-node"],
  },
};

describe.each<Program>(["broker", "operator"])("the %s image's contents", (program) => {
  test("runs as uid 10001, carries its OCI labels, its own program and no dev dependency", async (ctx) => {
    const image = imageOf(ctx, program);
    const inspected = z
      .object({ User: z.string(), Labels: z.record(z.string(), z.string()) })
      .parse(JSON.parse(await docker(["image", "inspect", "--format", "{{json .Config}}", image])));
    expect(inspected.User).toBe(`${uid}:${uid}`);
    expect(inspected.Labels["org.opencontainers.image.title"]).toBe(`herald-${program}`);

    // Every package the lock file marks dev-only must be absent from the runtime image.
    const lock = z
      .object({ packages: z.record(z.string(), z.object({ dev: z.boolean().optional() })) })
      .parse(JSON.parse(await readFile(join(repoRoot, "package-lock.json"), "utf8")));
    const devOnly = Object.entries(lock.packages)
      .filter(
        ([path, entry]) => entry.dev === true && /^node_modules\/(@[^/]+\/)?[^/]+$/.test(path),
      )
      .map(([path]) => path.slice("node_modules/".length));
    expect(devOnly).toContain("typescript");

    const probe = `
      const fs = require("node:fs");
      const scoped = (d) => d.startsWith("@") ? fs.readdirSync("node_modules/" + d).map((n) => d + "/" + n) : [d];
      let rootWritable = true;
      try { fs.writeFileSync("/app/probe", "x"); } catch { rootWritable = false; }
      fs.writeFileSync("/tmp/probe", "x");
      console.log(JSON.stringify({
        uid: process.getuid(),
        rootWritable,
        packages: fs.readdirSync("node_modules").flatMap(scoped),
        dist: fs.readdirSync("dist"),
      }));`;
    const container = await start({
      name: `${run}-${program}-probe`,
      image,
      entrypoint: ["node", "-e", probe],
    });
    expect(await container.wait(), await container.logs()).toBe(0);
    const facts = z
      .object({
        uid: z.number(),
        rootWritable: z.boolean(),
        packages: z.array(z.string()),
        dist: z.array(z.string()),
      })
      .parse(JSON.parse(await container.logs()));
    expect(facts.uid).toBe(uid);
    expect(facts.rootWritable).toBe(false);
    expect(facts.packages).toContain("zod");
    expect(facts.packages.filter((name) => devOnly.includes(name))).toEqual([]);
    expect(facts.dist.sort()).toEqual(contents[program].dist);
    expect(facts.packages).toEqual(expect.arrayContaining(contents[program].present));
    expect(facts.packages.filter((name) => contents[program].absent.includes(name))).toEqual([]);
  });
});

describe("the broker image", () => {
  async function startBroker(ctx: TestContext, suffix: string) {
    const image = imageOf(ctx, "broker");
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    const container = await start({
      name: `${run}-broker-${suffix}`,
      image,
      env: {
        HERALD_STORE: "memory",
        HERALD_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
        HERALD_HTTP_ADDR: `127.0.0.1:${httpPort}`,
      },
    });
    const ready = await container.waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 60_000);
    report(`broker (${suffix}) ready in ${ready.toFixed(2)}s`);
    return { container, grpcPort };
  }

  test("serves gRPC on the host network and drains on SIGTERM to exit 0", async (ctx) => {
    const { container, grpcPort } = await startBroker(ctx, "sigterm");
    const client = new HeraldClient(`127.0.0.1:${grpcPort}`);
    try {
      const id = await client.publish("images", "from a container");
      expect((await client.fetch("images", id)).body.toString()).toBe("from a container");
    } finally {
      client.close();
    }
    const stopped = await container.stop(graceSeconds);
    report(`broker docker stop: exit ${stopped.exitCode} in ${stopped.seconds.toFixed(2)}s`);
    expect(stopped.exitCode, await container.logs()).toBe(0);
    expect(stopped.seconds).toBeLessThan(10);
    expect(await container.logs()).toContain('"msg":"broker stopped"');
  });

  test("drains on SIGINT to exit 0", async (ctx) => {
    const { container } = await startBroker(ctx, "sigint");
    const stopped = await container.signal("SIGINT");
    report(`broker SIGINT: exit ${stopped.exitCode} in ${stopped.seconds.toFixed(2)}s`);
    expect(stopped.exitCode, await container.logs()).toBe(0);
    expect(stopped.seconds).toBeLessThan(10);
  });
});

describe("the operator image", () => {
  test("reconciles a MessageBroker on the test API server and stops gracefully", async (ctx) => {
    const image = imageOf(ctx, "operator");
    const cluster = connect(env);
    await applyHeraldCrds(cluster.kubeConfig, "herald-images-test");
    const namespace = await createNamespace(cluster, "images");
    cleanups.push(() => namespace.remove());

    // The admin kubeconfig, readable by the container's uid alone, mounted read-only.
    const dir = await mkdtemp(join(tmpdir(), "herald-images-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, await readFile(env.kube.kubeconfig), { mode: 0o400 });
    await chown(kubeconfig, uid, uid);

    const httpPort = await freePort();
    const container = await start({
      name: `${run}-operator`,
      image,
      env: {
        KUBECONFIG: "/etc/herald/kubeconfig",
        WATCH_NAMESPACE: namespace.name,
        LEADER_ELECTION_NAMESPACE: namespace.name,
        POD_NAME: `${run}-operator`,
        HERALD_HTTP_ADDR: `127.0.0.1:${httpPort}`,
      },
      readOnlyMounts: { [kubeconfig]: "/etc/herald/kubeconfig" },
    });
    const ready = await container.waitForHttp(`http://127.0.0.1:${httpPort}/readyz`, 60_000);
    report(`operator ready (caches synced) in ${ready.toFixed(2)}s`);

    await apply(cluster, {
      apiVersion: "herald.dev/v1alpha1",
      kind: "MessageBroker",
      metadata: { name: "dev", namespace: namespace.name },
      spec: { replicas: 1, storage: { type: "memory" } },
    });
    const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
    await until(
      "the operator in the container to create the StatefulSet",
      () => apps.readNamespacedStatefulSet({ name: "dev", namespace: namespace.name }),
      { timeoutMs: 60_000 },
    );

    const stopped = await container.stop(graceSeconds);
    report(`operator docker stop: exit ${stopped.exitCode} in ${stopped.seconds.toFixed(2)}s`);
    expect(stopped.exitCode, await container.logs()).toBe(0);
    expect(stopped.seconds).toBeLessThan(10);
  });
});
