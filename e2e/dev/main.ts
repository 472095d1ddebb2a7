/**
 * `make dev`: a local Herald cluster to try by hand. It starts the test environment (etcd,
 * kube-apiserver, controller-manager, PostgreSQL, …), installs the CRD, runs the process kubelet
 * and the operator from this checkout as child processes, applies a sample MessageBroker that
 * stores in the environment's PostgreSQL, waits until it is Ready, and prints how to use it.
 * Ctrl-C deletes the sample, stops both children, and stops the test environment if this
 * command started it.
 */
import {
  CustomObjectsApi,
  KubeConfig,
  KubernetesObjectApi,
  CoreV1Api,
  PatchStrategy,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { Command, InvalidArgumentError } from "commander";
import { spawn, type ChildProcess } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { delimiter, dirname, join, relative } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import { z } from "zod";
import { applyHeraldCrds } from "../../operator/crd/install.ts";
import { envDown, envUp } from "../env/cli.ts";
import { isAlive } from "../env/daemon.ts";
import { readTestEnv, type TestEnv } from "../../testing/test-env.ts";
import { repoRoot, stateDir } from "../../testing/paths.ts";
import { brokerPorts } from "../../contract/ports.ts";
import { sampleCredentialsSecret, sampleObjects, sampleUser } from "./sample.ts";
import { untilAccepted } from "../scenarios/credentials.ts";
import { until } from "../../testing/until.ts";

const fieldManager = "herald-dev";
/** Logs of one session: operator, kubelet and pods; one directory per namespace. */
const sessionDir = (namespace: string) => join(stateDir, "dev", namespace);
const grpcPort = brokerPorts.grpc.port;
/** A real cluster: subjects spread over three brokers, any of which accepts any call. */
const defaultReplicas = 3;

const program = new Command("make dev")
  .description("Local Herald cluster: test environment, process kubelet, operator, sample broker")
  .option(
    "--namespace <name>",
    "namespace of the sample (the operator watches only it)",
    "herald-dev",
  )
  .option("--name <name>", "name of the sample MessageBroker", "orders")
  .option(
    "--replicas <count>",
    "broker pods of the sample",
    (raw) => {
      if (!/^[1-9]\d?$/.test(raw)) throw new InvalidArgumentError("expected 1 to 99");
      return Number(raw);
    },
    defaultReplicas,
  )
  .option("--database <name>", "PostgreSQL database of the sample", "herald_dev")
  .option(
    "--ready-timeout <seconds>",
    "how long to wait for the sample to be Ready",
    (raw) => Number(raw),
    180,
  );

interface Options {
  namespace: string;
  name: string;
  replicas: number;
  database: string;
  readyTimeout: number;
}

const log = (line: string) => process.stderr.write(`make dev: ${line}\n`);

interface Child {
  name: string;
  process: ChildProcess;
  logFile: string;
  exited: Promise<number | null>;
  lines: string[];
}

/** A child whose output goes to `<dir>/<name>.log` (and is kept for the start-up checks). */
function startChild(name: string, dir: string, args: string[], env: Record<string, string>): Child {
  const logFile = join(dir, `${name}.log`);
  const out = createWriteStream(logFile, { flags: "w" });
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group: Ctrl-C in the terminal reaches this process only, which then stops
    // the children in order.
    detached: true,
  });
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    stream?.pipe(out, { end: false });
    if (stream) createInterface({ input: stream }).on("line", (line) => lines.push(line));
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  return { name, process: child, logFile, exited, lines };
}

async function stopChild(child: Child, graceMs: number): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill("SIGTERM");
  const timedOut = await Promise.race([child.exited.then(() => false), sleep(graceMs, true)]);
  if (timedOut) {
    log(`${child.name} did not stop within ${graceMs / 1000} s; killing it`);
    child.process.kill("SIGKILL");
    await child.exited;
  }
}

/** Aborted as soon as one of `children` exits: whatever it was awaited for will not come. */
function whileRunning(children: Child[]): AbortSignal {
  const controller = new AbortController();
  for (const child of children) {
    void child.exited.then((code) =>
      controller.abort(
        new Error(
          `${child.name} exited with code ${String(code)}; see ${relative(repoRoot, child.logFile)}`,
        ),
      ),
    );
  }
  return controller.signal;
}

async function ensureDatabase(env: TestEnv, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: env.postgres.url });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    // Identifiers cannot be parameters; the name is checked by the CLI option's pattern below.
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}

const brokerStatusSchema = z.object({
  metadata: z.object({ generation: z.number().optional() }),
  status: z
    .object({
      observedGeneration: z.number().optional(),
      phase: z.string().optional(),
      endpoints: z.object({ web: z.string().optional() }).optional(),
      readyReplicas: z.number().optional(),
      replicas: z.number().optional(),
      conditions: z
        .array(
          z.object({
            type: z.string(),
            status: z.string(),
            reason: z.string().optional(),
            message: z.string().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});

/** Command lines with their comments in one column. */
function commented(lines: [string, string][]): string {
  const width = Math.max(...lines.filter(([, c]) => c).map(([command]) => command.length)) + 2;
  return lines
    .map(([command, comment]) => `  ${comment ? `${command.padEnd(width)}# ${comment}` : command}`)
    .join("\n");
}

/** `kubectl` as the user can type it: bare when it is on PATH, else its full path. */
function kubectlCommand(env: TestEnv): string {
  const onPath = (process.env.PATH ?? "").split(delimiter).includes(dirname(env.kube.kubectl));
  return onPath ? "kubectl" : env.kube.kubectl;
}

function instructions({
  options,
  env,
  pods,
  caFile,
  operatorMetrics,
  webURL,
  seconds,
  warnings,
}: {
  options: Options;
  env: TestEnv;
  pods: { name: string; ip: string }[];
  /** The CA of the sample user's credentials, written out for the CLI and curl. */
  caFile: string;
  operatorMetrics: string;
  /** status.endpoints.web: the gateway through the client Service, inside the cluster. */
  webURL: string | undefined;
  seconds: number;
  warnings: string[];
}): string {
  const [first] = pods;
  const ip = first?.ip ?? "127.0.10.1";
  const address = `${ip}:${grpcPort}`;
  // The certificate names the client Service; the commands dial a pod IP and check that name.
  const serviceName = `${options.name}.${options.namespace}.svc`;
  const webPort = brokerPorts.web.port;
  const gateway = `https://${serviceName}:${webPort}`;
  const rel = (path: string) => relative(process.cwd(), path) || ".";
  const dir = sessionDir(options.namespace);
  const cli = `${process.execPath} ${join(repoRoot, "broker/cli/herald.ts")}`;
  const kubectl = kubectlCommand(env);
  const ns = options.namespace;
  const kubectlLines = commented([
    [`${kubectl} -n ${ns} get mb,mbu`, "Replicas, Ready, Storage, TLS, Auth, Phase; users"],
    [`${kubectl} -n ${ns} get pods,svc,statefulsets -o wide`, ""],
    [`${kubectl} -n ${ns} describe mb ${options.name}`, "conditions and events"],
    [`${kubectl} -n ${ns} get events`, "what the operator did"],
    [`${kubectl} explain mb.spec`, "every field, documented"],
    [`${kubectl} -n ${ns} apply -f charts/herald/examples/memory-dev.yaml`, ""],
  ]);
  return `
Herald is running (ready in ${seconds.toFixed(1)} s).

  MessageBroker ${ns}/${options.name}: ${pods.length} broker pod(s), storage PostgreSQL ${options.database} at ${new URL(env.postgres.url).host}
${pods.map((pod) => `    ${pod.name.padEnd(12)} grpc ${pod.ip}:${grpcPort}   metrics http://${pod.ip}:9464/metrics   web https://${pod.ip}:${webPort}`).join("\n")}
  TLS from the operator's CA; clients authenticate as MessageBrokerUser ${sampleUser} (Secret ${sampleCredentialsSecret})
  web console: https://${ip}:${webPort} (in the cluster: ${webURL ?? "not in status yet"}; sign in with the token below)
  operator metrics: ${operatorMetrics}
${warnings.map((warning) => `\n  Warning: ${warning}\n`).join("")}
Publish and subscribe, in another terminal:

  export KUBECONFIG=${env.kube.kubeconfig}
  alias herald='${cli}'
  export HERALD_ADDR=${address} HERALD_TLS_SERVER_NAME=${serviceName} HERALD_TLS_CA=${rel(caFile)}
  export HERALD_TOKEN=$(${kubectl} -n ${ns} get secret ${sampleCredentialsSecret} -o jsonpath='{.data.token}' | base64 -d)
  herald subscribe greetings                # prints messages as they arrive; Ctrl-C to stop
  herald publish greetings 'hello, herald'  # prints the id, e.g. published greetings#1
  herald fetch greetings 1
  herald subscribe greetings --from 1       # replays from id 1, then continues live

Or over HTTP, through the gateway:

  alias hcurl='curl --cacert $HERALD_TLS_CA -H "Authorization: Bearer $HERALD_TOKEN" --connect-to ${serviceName}:${webPort}:${ip}:${webPort}'
  hcurl -X POST --data 'hello, http' ${gateway}/v1/subjects/greetings/messages
  hcurl ${gateway}/v1/subjects/greetings/messages/1

kubectl:

${kubectlLines}

Logs: ${rel(join(dir, "operator.log"))}, ${rel(join(dir, "kubelet.log"))}, broker pods in ${rel(join(dir, "pods"))}/

Ctrl-C deletes namespace ${ns} and everything in it, stops the operator and the kubelet${"\n"}and its broker processes, and stops the test environment if make dev started it.
`;
}

/**
 * Waits for the sample user's credentials, writes their CA for the printed commands, and waits
 * until the brokers accept the token (they reload their auth file a moment after it changes).
 */
async function writeSampleCredentials(
  options: Options,
  core: CoreV1Api,
  caFile: string,
  podIP: string,
  running: Child[],
) {
  const secret = await until(
    `Secret ${sampleCredentialsSecret}`,
    async () => {
      const found = await core
        .readNamespacedSecret({ namespace: options.namespace, name: sampleCredentialsSecret })
        .catch(() => undefined);
      return found?.data?.token && found.data["ca.crt"] ? found.data : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 250, signal: whileRunning(running) },
  );
  const ca = Buffer.from(secret["ca.crt"] ?? "", "base64");
  await writeFile(caFile, ca);
  await untilAccepted(`${podIP}:${grpcPort}`, {
    token: Buffer.from(secret.token ?? "", "base64").toString(),
    tls: { ca, serverName: `${options.name}.${options.namespace}.svc` },
  });
}

async function main(): Promise<number> {
  const options = program.parse().opts<Options>();
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.database))
    throw new Error(`--database: ${JSON.stringify(options.database)} is not a plain identifier`);
  const started = performance.now();

  const before = await readTestEnv();
  const envWasRunning =
    before !== undefined && isAlive(before.postgres.pid) && isAlive(before.kube.apiServerPid);
  log(
    envWasRunning
      ? "test environment already running; reusing it"
      : "starting the test environment (first run installs and builds its parts; later runs take seconds)",
  );
  const env = await envUp();

  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(env.kube.kubeconfig);
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const brokers = kubeConfig.makeApiClient(CustomObjectsApi);
  const brokerKind = { group: "herald.dev", version: "v1alpha1", plural: "messagebrokers" };
  const brokerPath = { ...brokerKind, namespace: options.namespace, name: options.name };

  const shutdown = async (): Promise<void> => {
    log(
      `stopping: deleting the MessageBrokers in ${options.namespace}, then the operator and the kubelet`,
    );
    const [kubelet, operator] = [
      children.find((c) => c.name === "kubelet"),
      children.find((c) => c.name === "operator"),
    ];
    // The sample and any the user added, while the kubelet still runs: it ends the broker
    // processes and confirms each pod's deletion.
    await brokers
      .deleteCollectionNamespacedCustomObject({ ...brokerKind, namespace: options.namespace })
      .catch(() => undefined);
    await until(
      "the broker pods to go",
      async () => {
        const pods = await core.listNamespacedPod({ namespace: options.namespace });
        return pods.items.length === 0 ? true : undefined;
      },
      { timeoutMs: 45_000, intervalMs: 250 },
    ).catch((err: unknown) => log(err instanceof Error ? err.message : String(err)));
    if (operator) await stopChild(operator, 30_000);
    if (kubelet) await stopChild(kubelet, 30_000);
    // A pod left now has no kubelet to confirm its deletion and would hold the namespace.
    const left = await core
      .listNamespacedPod({ namespace: options.namespace })
      .catch(() => undefined);
    for (const pod of left?.items ?? []) {
      await core
        .deleteNamespacedPod({
          namespace: options.namespace,
          name: pod.metadata?.name ?? "",
          gracePeriodSeconds: 0,
        })
        .catch(() => undefined);
    }
    await core.deleteNamespace({ name: options.namespace }).catch(() => undefined);
    if (!envWasRunning && process.env.HERALD_KEEP_ENV !== "1") {
      log("stopping the test environment it started (HERALD_KEEP_ENV=1 keeps it)");
      await envDown();
    }
  };
  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    // Under make and npm one Ctrl-C arrives twice (from the terminal, and forwarded by npm):
    // only a second press, a moment later, forces the stop.
    if (firstSignalAt !== undefined && Date.now() - firstSignalAt < 1000) return;
    if (firstSignalAt !== undefined) {
      log(`${signal} again: killing the children now`);
      for (const child of children) child.process.kill("SIGKILL");
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log("Ctrl-C again to kill the children at once");
    stopping ??= shutdown();
    stopping.then(
      () => process.exit(0),
      (err: unknown) => {
        log(`stop failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal).on("SIGHUP", onSignal);
  // A closed terminal or pipe must not crash the stop sequence.
  for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

  let operatorPort: number;
  try {
    const dir = sessionDir(options.namespace);
    await mkdir(join(dir, "pods"), { recursive: true });
    await ensureDatabase(env, options.database);
    await applyHeraldCrds(kubeConfig, fieldManager);
    log("CRDs messagebrokers.herald.dev and messagebrokerusers.herald.dev installed");

    const [namespace, ...sample] = sampleObjects({
      namespace: options.namespace,
      name: options.name,
      replicas: options.replicas,
      postgresUrl: env.postgres.url,
      database: options.database,
    });
    const apply = (object: KubernetesObject) =>
      objects.patch(
        object,
        undefined,
        undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
    if (namespace) await apply(namespace);

    // One node per session, so a test session never adopts the pods of a user's.
    const nodeName = options.namespace;
    children.push(
      startChild(
        "kubelet",
        dir,
        [
          "e2e/kubelet/main.ts",
          `--kubeconfig=${env.kube.kubeconfig}`,
          `--node-name=${nodeName}`,
          `--namespace=${options.namespace}`,
          `--log-dir=${join(dir, "pods")}`,
          "--delete-node-on-stop",
        ],
        {},
      ),
    );
    const operator = startChild("operator", dir, ["operator/main.ts"], {
      KUBECONFIG: env.kube.kubeconfig,
      WATCH_NAMESPACE: options.namespace,
      LEADER_ELECTION_NAMESPACE: options.namespace,
      POD_NAME: "herald-dev-operator",
      HERALD_HTTP_ADDR: "127.0.0.1:0",
      HERALD_LOG_LEVEL: "info",
    });
    children.push(operator);

    await until(
      `node ${nodeName} Ready`,
      async () => {
        const node = await core.readNode({ name: nodeName });
        return (
          node.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ||
          undefined
        );
      },
      { timeoutMs: 60_000, intervalMs: 250, signal: whileRunning(children) },
    );
    operatorPort = await until(
      "the operator to reconcile",
      () => {
        const lines = operator.lines.map((line) => {
          try {
            return z
              .object({ msg: z.string(), port: z.number().optional() })
              .parse(JSON.parse(line));
          } catch {
            return undefined;
          }
        });
        const reconciling = lines.some((line) => line?.msg === "caches synced; reconciling");
        const port = lines.find((line) => line?.msg === "operator http listening")?.port;
        return Promise.resolve(reconciling && port !== undefined ? port : undefined);
      },
      { timeoutMs: 60_000, intervalMs: 250, signal: whileRunning(children) },
    );
    log(
      `operator and kubelet running; applying MessageBroker ${options.namespace}/${options.name} (replicas ${options.replicas}, PostgreSQL)`,
    );
    for (const object of sample) await apply(object);

    let lastProgress = "";
    const readyStatus = await until(
      `MessageBroker ${options.name} Ready`,
      async () => {
        const broker = brokerStatusSchema.parse(
          await brokers.getNamespacedCustomObject(brokerPath),
        );
        const status = broker.status;
        const ready = status?.conditions?.find((c) => c.type === "Ready");
        const progress = `${status?.phase ?? "Pending"}, ${status?.readyReplicas ?? 0}/${options.replicas} ready${ready?.reason ? ` (${ready.reason})` : ""}`;
        if (progress !== lastProgress) log(`${options.name}: ${progress}`);
        lastProgress = progress;
        return ready?.status === "True" &&
          status?.observedGeneration === broker.metadata.generation &&
          status?.readyReplicas === options.replicas
          ? status
          : undefined;
      },
      { timeoutMs: options.readyTimeout * 1000, intervalMs: 250, signal: whileRunning(children) },
    );
    const list = await core.listNamespacedPod({
      namespace: options.namespace,
      labelSelector: `app.kubernetes.io/name=herald-broker,app.kubernetes.io/instance=${options.name}`,
    });
    const pods = list.items
      .map((pod) => ({ name: pod.metadata?.name ?? "", ip: pod.status?.podIP ?? "" }))
      .sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
    const caFile = join(sessionDir(options.namespace), "ca.crt");
    await writeSampleCredentials(options, core, caFile, pods[0]?.ip ?? "", children);
    const degraded = readyStatus.conditions?.find((c) => c.type === "Degraded");
    const warnings = [
      ...(degraded?.status === "True"
        ? [`the MessageBroker is Degraded (${degraded.reason ?? ""}): ${degraded.message ?? ""}`]
        : []),
    ];
    process.stdout.write(
      instructions({
        options,
        env,
        pods,
        caFile,
        operatorMetrics: `http://127.0.0.1:${operatorPort}/metrics`,
        webURL: readyStatus.endpoints?.web,
        seconds: (performance.now() - started) / 1000,
        warnings,
      }),
    );
  } catch (err) {
    if (stopping) return new Promise<number>(() => undefined);
    log(err instanceof Error ? err.message : String(err));
    stopping = shutdown();
    await stopping;
    return 1;
  }

  // Runs until Ctrl-C, or until a child dies.
  const died = await Promise.race(children.map((child) => child.exited.then(() => child)));
  if (stopping) return new Promise<number>(() => undefined);
  log(
    `${died.name} exited with code ${String(died.process.exitCode)}; see ${relative(repoRoot, died.logFile)}`,
  );
  stopping = shutdown();
  await stopping;
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? err.message : String(err));
    process.exit(1);
  },
);
