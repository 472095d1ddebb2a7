/**
 * `make dev` as a user meets it: start it, wait for the printed instructions, run the printed
 * herald and kubectl commands, press Ctrl-C, and check that nothing it started is left.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { afterAll, expect, inject, test } from "vitest";
import { runCommand } from "../chart/tools.ts";
import { repoRoot } from "../../testing/paths.ts";
import { connect } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
const cluster = connect(env);
const suffix = randomBytes(3).toString("hex");
const namespace = `dev-test-${suffix}`;
let dev: ChildProcess | undefined;

afterAll(async () => {
  if (dev && dev.exitCode === null) {
    dev.kill("SIGINT");
    await new Promise((resolve) => dev?.once("exit", resolve));
  }
  await cluster.core.deleteNamespace({ name: namespace }).catch(() => undefined);
  await cluster.core.deleteNode({ name: namespace }).catch(() => undefined);
});

/** A running command whose stdout lines are collected. */
function start(argv: string[], environment: Record<string, string> = {}) {
  const [command = "", ...args] = argv;
  const child = spawn(command, args, {
    cwd: repoRoot,
    env: { ...process.env, ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const errors: string[] = [];
  createInterface({ input: child.stdout }).on("line", (line) => lines.push(line));
  createInterface({ input: child.stderr }).on("line", (line) => errors.push(line));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { child, lines, errors, exited };
}

test("make dev: a Ready broker that the printed commands use, and Ctrl-C stops what it started", async () => {
  const started = performance.now();
  const session = start([
    process.execPath,
    "e2e/dev/main.ts",
    `--namespace=${namespace}`,
    "--database=herald_dev_test",
  ]);
  dev = session.child;
  const printed = await until(
    "the printed instructions",
    () => {
      if (session.child.exitCode !== null)
        throw new Error(`make dev exited early:\n${session.errors.join("\n")}`);
      const text = session.lines.join("\n");
      return text.includes("Ctrl-C deletes") ? text : undefined;
    },
    { timeoutMs: 150_000 },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}\nstderr:\n${session.errors.join("\n")}`);
  });
  process.stderr.write(
    `make dev → Ready with instructions: ${Math.round(performance.now() - started)} ms\n`,
  );
  expect(printed).toContain(`MessageBroker ${namespace}/orders`);

  const alias = /alias herald='([^']+)'/.exec(printed)?.[1]?.split(" ") ?? [];
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(printed)?.[1] ?? "";
  const secure = /export HERALD_ADDR=(\S+) HERALD_TLS_SERVER_NAME=(\S+) HERALD_TLS_CA=(\S+)/.exec(
    printed,
  );
  const [, address = "", serverName = "", caFile = ""] = secure ?? [];
  expect(alias).toHaveLength(2);
  expect(address).toMatch(/^127\.0\.10\.\d+:50051$/);
  expect(serverName).toBe(`orders.${namespace}.svc`);
  // The printed setup, exactly as a user pastes it: exports (the token read from the generated
  // Secret with kubectl) and the herald and hcurl aliases.
  const setup = printed
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^(export |alias (herald|hcurl)=)/.test(line))
    .join("\n");
  const shell = (command: string) =>
    runCommand("bash", ["-c", `shopt -s expand_aliases\n${setup}\n${command}`], {
      timeoutMs: 15_000,
    });
  const token = (await shell('printf %s "$HERALD_TOKEN"')).stdout;
  expect(token).toMatch(/^[\w-]{40,}$/);
  const heraldEnv = {
    HERALD_ADDR: address,
    HERALD_TLS_SERVER_NAME: serverName,
    HERALD_TLS_CA: caFile,
    HERALD_TOKEN: token,
  };
  const herald = (...args: string[]) =>
    runCommand(alias[0] ?? "", [...alias.slice(1), ...args], {
      env: heraldEnv,
      timeoutMs: 15_000,
    });

  const subject = `greetings-${suffix}`;
  const published = await herald("publish", subject, "hello, herald");
  expect(published.stderr).toBe("");
  expect(published.stdout.trim()).toBe(`published ${subject}#1`);
  expect((await herald("fetch", subject, "1")).stdout.trim()).toBe(`${subject}#1\thello, herald`);

  // Replays #1 (so the subscription is registered), then receives #2 live.
  const subscriber = start([...alias, "subscribe", subject, "--from", "1"], heraldEnv);
  await until("the replayed message", () =>
    subscriber.lines.includes(`${subject}#1\thello, herald`),
  );
  await herald("publish", subject, "live");
  await until("the live message", () => subscriber.lines.includes(`${subject}#2\tlive`));
  subscriber.child.kill("SIGINT");
  expect(await subscriber.exited).toBe(0);

  // The printed console: the gateway on a pod IP serves the same subject over TLS with the
  // token, through the printed hcurl, and status has its URL.
  const webConsole =
    /web console: (https:\/\/127\.0\.10\.\d+:8080) \(in the cluster: ([^;\s]+);/.exec(printed);
  expect(webConsole?.[2]).toBe(`https://orders.${namespace}.svc.cluster.local:8080`);
  const readLine = /^\s*(hcurl https:\S+\/messages\/1)\s*$/m.exec(printed)?.[1] ?? "";
  const overHttp = await shell(
    readLine.replace(/greetings\/messages\/1$/, `${subject}/messages/2`),
  );
  expect(overHttp.stdout).toBe("live");
  // Without the generated token the gateway refuses.
  const url = readLine.split(" ").at(-1) ?? "";
  const refused = await shell(`HERALD_TOKEN=wrong; hcurl -s -o /dev/null -w '%{http_code}' ${url}`);
  expect(refused.stdout).toBe("401");

  const kubectl = await runCommand(
    env.kube.kubectl,
    [`--namespace=${namespace}`, "get", "mb", "orders", "--no-headers"],
    { env: { KUBECONFIG: kubeconfig } },
  );
  expect(kubectl.stdout).toMatch(/^orders\s+3\s+3\s+postgres\s+/);

  // The printed apply of a second broker: Ctrl-C must take it down too.
  const applyLine =
    /^\s*(\S*kubectl -n \S+ apply -f \S+)\s*$/m.exec(printed)?.[1]?.split(" ") ?? [];
  expect(applyLine.slice(1)).toEqual([
    "-n",
    namespace,
    "apply",
    "-f",
    "charts/herald/examples/memory-dev.yaml",
  ]);
  const applied = await runCommand(env.kube.kubectl, applyLine.slice(1), {
    env: { KUBECONFIG: kubeconfig },
  });
  expect(applied.stdout).toContain("messagebroker.herald.dev/dev");
  await until(
    "the second broker's pod Ready",
    async () => {
      const pod = await cluster.core.readNamespacedPod({ namespace, name: "dev-0" });
      return pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    },
    { timeoutMs: 60_000 },
  );

  const stopStarted = performance.now();
  session.child.kill("SIGINT");
  expect(await session.exited).toBe(0);
  process.stderr.write(
    `make dev Ctrl-C → stopped: ${Math.round(performance.now() - stopStarted)} ms\n`,
  );
  const leftovers = await cluster.core.listNamespacedPod({ namespace });
  expect(leftovers.items).toEqual([]);
  await expect(cluster.core.readNode({ name: namespace })).rejects.toMatchObject({ code: 404 });
  const gone = await cluster.core.readNamespace({ name: namespace }).then(
    (ns) => ns.metadata?.deletionTimestamp !== undefined,
    () => true,
  );
  expect(gone, "namespace deleted").toBe(true);
  expect(await herald("publish", subject, "after stop").then((r) => r.code)).not.toBe(0);
}, 240_000);
