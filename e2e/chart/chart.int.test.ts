/**
 * charts/herald against the test environment's real API server: lint, render and server-side
 * dry-run several values sets under the "restricted" Pod Security Standard, the values schema,
 * the examples, and a real `helm install` whose ServiceAccount, RBAC and env then run the
 * operator (as a local process: no kubelet runs the operator's pod here) until it reconciles
 * an example, then `helm uninstall`.
 */
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { z } from "zod";
import { applyHeraldCrds } from "../../operator/crd/install.ts";
import { operatorRbac } from "../../operator/rbac/rules.ts";
import { tail } from "../../operator/test/operator-fixture.ts";
import {
  startOperatorProcess,
  waitUntilReconciling,
  type OperatorProcess,
} from "../../operator/test/operator-process.ts";
import {
  chartDir,
  describeFailure,
  helm,
  helmTemplate,
  kubeVersion,
  kubectl,
  parseManifests,
  runCommand,
  type Manifest,
} from "./tools.ts";
import { connect, createNamespace, read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";

const env = inject("testEnv");
const cluster = connect(env);
const apps = cluster.kubeConfig.makeApiClient(AppsV1Api);
const core = cluster.kubeConfig.makeApiClient(CoreV1Api);
const cleanups: (() => Promise<unknown>)[] = [];

// The examples are MessageBrokers: on a fresh cluster the CRD must be served (Established)
// before they are dry-run, whichever test file happens to install it first.
beforeAll(() => applyHeraldCrds(cluster.kubeConfig, "herald-chart-test"));

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
});

/** A namespace that admits only pods meeting the "restricted" Pod Security Standard. */
async function restrictedNamespace(prefix: string): Promise<string> {
  const namespace = await createNamespace(cluster, prefix);
  cleanups.push(() => namespace.remove());
  await core.patchNamespace(
    {
      name: namespace.name,
      body: {
        metadata: {
          labels: {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      },
    },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
  return namespace.name;
}

/**
 * Server-side dry-run of objects, as `kubectl apply --server-side` would send them; `namespace`
 * for objects that name none (the examples), as `kubectl apply -n` does.
 */
function dryRun(objects: readonly Manifest[], namespace?: string) {
  const list = { apiVersion: "v1", kind: "List", items: objects };
  return kubectl(
    env,
    [
      "apply",
      "--server-side",
      "--dry-run=server",
      ...(namespace ? [`--namespace=${namespace}`] : []),
      "-f",
      "-",
    ],
    JSON.stringify(list),
  );
}

async function render(release: string, namespace: string, values: unknown): Promise<Manifest[]> {
  const result = await helmTemplate(env, { release, namespace, values });
  expect(result.code, describeFailure("helm template", result)).toBe(0);
  return parseManifests(result.stdout);
}

const ofKind = (objects: readonly Manifest[], kind: string) =>
  objects.filter((object) => object.kind === kind);

function one(objects: readonly Manifest[], kind: string, name?: string): Manifest {
  const found = ofKind(objects, kind).filter((o) => name === undefined || o.metadata.name === name);
  expect(
    found.map((o) => o.metadata.name),
    `${kind} ${name ?? ""}`,
  ).toHaveLength(1);
  return found[0] as Manifest;
}

const envVarSchema = z.object({
  name: z.string(),
  value: z.string().optional(),
  valueFrom: z.object({ fieldRef: z.object({ fieldPath: z.string() }) }).optional(),
});
const deploymentSchema = z.object({
  spec: z.object({
    replicas: z.number(),
    template: z.object({
      spec: z.object({
        serviceAccountName: z.string(),
        containers: z.array(
          z.object({
            env: z.array(envVarSchema),
            readinessProbe: z.object({ httpGet: z.object({ path: z.string() }) }),
            livenessProbe: z.object({ httpGet: z.object({ path: z.string() }) }),
          }),
        ),
      }),
    }),
  }),
});
type EnvVar = z.infer<typeof envVarSchema>;

function operatorContainer(objects: readonly Manifest[]) {
  const deployment = deploymentSchema.parse(one(objects, "Deployment"));
  const container = deployment.spec.template.spec.containers[0];
  if (!container) throw new Error("the Deployment has no container");
  return { deployment, container };
}

function envValue(vars: readonly EnvVar[], name: string): string | undefined {
  return vars.find((v) => v.name === name)?.value;
}

const rulesOf = (object: Manifest) => (object as unknown as { rules: unknown[] }).rules;

describe("helm lint and template", () => {
  test("helm lint passes, warnings included", async () => {
    const result = await helm(env, ["lint", chartDir, "--strict", `--kube-version=${kubeVersion}`]);
    expect(result.code, describeFailure("helm lint", result)).toBe(0);
    expect(result.stdout).toContain("0 chart(s) failed");
  });

  test("defaults: one operator for all namespaces, bound cluster-wide to exactly the generated rules", async () => {
    const namespace = await restrictedNamespace("chart-defaults");
    const objects = await render("herald", namespace, {});
    const result = await dryRun(objects);
    expect(result.code, describeFailure("dry-run", result)).toBe(0);
    expect(result.stderr, "no Pod Security warning").toBe("");

    const clusterScoped = ["ClusterRole", "ClusterRoleBinding"];
    for (const object of objects.filter((o) => !clusterScoped.includes(o.kind)))
      expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(namespace);

    const { deployment, container } = operatorContainer(objects);
    expect(deployment.spec.replicas).toBe(1);
    expect(envValue(container.env, "WATCH_NAMESPACE")).toBe("");
    expect(envValue(container.env, "LEADER_ELECTION")).toBe("true");
    expect(envValue(container.env, "HERALD_BROKER_IMAGE")).toBe("herald-broker:0.1.0");
    expect(container.readinessProbe.httpGet.path).toBe("/readyz");
    expect(container.livenessProbe.httpGet.path).toBe("/healthz");

    const clusterRole = one(objects, "ClusterRole");
    expect(rulesOf(clusterRole)).toEqual([...operatorRbac.namespaced, ...operatorRbac.cluster]);
    const binding = one(objects, "ClusterRoleBinding") as unknown as {
      roleRef: { name: string };
      subjects: unknown[];
    };
    expect(binding.roleRef.name).toBe(clusterRole.metadata.name);
    expect(binding.subjects).toEqual([{ kind: "ServiceAccount", name: "herald", namespace }]);
    // Only the leader-election Role is namespaced, in the release namespace.
    const role = one(objects, "Role");
    expect(role.metadata).toMatchObject({ name: "herald-leader-election", namespace });
    expect(rulesOf(role)).toEqual(operatorRbac.leaderElection);
    expect(ofKind(objects, "ServiceMonitor")).toEqual([]);
    expect(ofKind(objects, "ConfigMap")).toEqual([]);
  });

  test("namespace list: a Role per watched namespace, and cluster-wide only the CRD lookup", async () => {
    const namespace = await restrictedNamespace("chart-list");
    const watched = [namespace, await restrictedNamespace("chart-list-w")];
    const objects = await render("ops", namespace, { watchNamespaces: watched });
    const result = await dryRun(objects);
    expect(result.code, describeFailure("dry-run", result)).toBe(0);
    expect(result.stderr).toBe("");

    expect(envValue(operatorContainer(objects).container.env, "WATCH_NAMESPACE")).toBe(
      watched.join(","),
    );
    expect(rulesOf(one(objects, "ClusterRole"))).toEqual(operatorRbac.cluster);
    for (const watchedNamespace of watched) {
      const role = ofKind(objects, "Role").find(
        (r) => r.metadata.namespace === watchedNamespace && r.metadata.name === "ops-herald",
      );
      expect(role && rulesOf(role), watchedNamespace).toEqual(operatorRbac.namespaced);
      const binding = ofKind(objects, "RoleBinding").find(
        (r) => r.metadata.namespace === watchedNamespace && r.metadata.name === "ops-herald",
      );
      expect(binding).toMatchObject({
        roleRef: { kind: "Role", name: "ops-herald" },
        subjects: [{ kind: "ServiceAccount", name: "ops-herald", namespace }],
      });
    }
  });

  test("two replicas with ServiceMonitor and dashboards", async () => {
    const namespace = await restrictedNamespace("chart-ha");
    const objects = await render("herald", namespace, {
      replicaCount: 2,
      metrics: { serviceMonitor: { enabled: true, labels: { release: "prometheus" } } },
      dashboards: { enabled: true, annotations: { grafana_folder: "Herald" } },
    });
    // The ServiceMonitor CRD comes and goes in the operator's own tests, so it is checked
    // against the Service below rather than dry-run here.
    const result = await dryRun(objects.filter((o) => o.kind !== "ServiceMonitor"));
    expect(result.code, describeFailure("dry-run", result)).toBe(0);
    expect(result.stderr).toBe("");

    const { deployment, container } = operatorContainer(objects);
    expect(deployment.spec.replicas).toBe(2);
    expect(envValue(container.env, "LEADER_ELECTION")).toBe("true");
    expect(one(objects, "PodDisruptionBudget")).toMatchObject({ spec: { maxUnavailable: 1 } });

    const service = one(objects, "Service") as Manifest & {
      spec: { ports: { name: string }[] };
    };
    const monitor = one(objects, "ServiceMonitor") as Manifest & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        namespaceSelector: { matchNames: string[] };
        endpoints: { port: string; path: string }[];
      };
    };
    expect(monitor.metadata.labels).toMatchObject({ release: "prometheus" });
    expect(service.metadata.labels).toMatchObject(monitor.spec.selector.matchLabels);
    expect(monitor.spec.namespaceSelector.matchNames).toEqual([namespace]);
    expect(service.spec.ports.map((port) => port.name)).toContain(monitor.spec.endpoints[0]?.port);
    expect(monitor.spec.endpoints[0]?.path).toBe("/metrics");

    const dashboards = ofKind(objects, "ConfigMap");
    expect(dashboards.map((d) => d.metadata.name).sort()).toEqual([
      "herald-dashboard-broker",
      "herald-dashboard-operator",
    ]);
    for (const dashboard of dashboards) {
      expect(dashboard.metadata.labels).toMatchObject({ grafana_dashboard: "1" });
      expect(dashboard.metadata.annotations).toEqual({ grafana_folder: "Herald" });
      const [file, json] =
        Object.entries((dashboard as { data?: Record<string, string> }).data ?? {})[0] ?? [];
      const name = dashboard.metadata.name.replace("herald-dashboard-", "");
      expect(file).toBe(`herald-${name}.json`);
      expect(JSON.parse(json ?? "")).toEqual(
        JSON.parse(await readFile(`${chartDir}dashboards/${name}.json`, "utf8")),
      );
    }
  });

  test("values.schema.json rejects a wrong type and an unknown key; 2 replicas need leader election", async () => {
    const wrongType = await helmTemplate(env, {
      release: "herald",
      namespace: "default",
      values: { replicaCount: "two" },
    });
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toContain("values don't meet the specifications of the schema");
    expect(wrongType.stderr).toMatch(/\/replicaCount.*got string, want integer/);

    const lint = await helm(
      env,
      ["lint", chartDir, `--kube-version=${kubeVersion}`, "--values=-"],
      {
        input: JSON.stringify({ watchNamespaces: "team-a" }),
      },
    );
    expect(lint.code).not.toBe(0);
    expect(lint.stdout).toMatch(/\/watchNamespaces.*got string, want array/);

    const typo = await helmTemplate(env, {
      release: "herald",
      namespace: "default",
      values: { replicas: 2 },
    });
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toContain("additional properties 'replicas' not allowed");

    const leaderless = await helmTemplate(env, {
      release: "herald",
      namespace: "default",
      values: { replicaCount: 2, leaderElection: { enabled: false } },
    });
    expect(leaderless.code).not.toBe(0);
    expect(leaderless.stderr).toContain("replicaCount above 1 needs leaderElection.enabled");
  });

  test("every example is accepted by the API server (server-side dry-run)", async () => {
    const namespace = await restrictedNamespace("chart-examples");
    const files = (await readdir(`${chartDir}examples`)).filter((f) => f.endsWith(".yaml"));
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const file of files) {
      const objects = parseManifests(await readFile(`${chartDir}examples/${file}`, "utf8"));
      const result = await dryRun(objects, namespace);
      expect(result.code, describeFailure(`dry-run of ${file}`, result)).toBe(0);
      expect(result.stdout.match(/serverside-applied \(server dry run\)/g), file).toHaveLength(
        objects.length,
      );
    }
  });
});

/** A kubeconfig whose user is the chart's ServiceAccount, through a TokenRequest. */
async function serviceAccountKubeconfig(namespace: string, name: string): Promise<string> {
  const token = await core.createNamespacedServiceAccountToken({
    namespace,
    name,
    body: { spec: { expirationSeconds: 3600, audiences: [] } },
  });
  const file = join(tmpdir(), `herald-chart-${namespace}.kubeconfig`);
  cleanups.push(() => rm(file, { force: true }));
  await writeFile(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: { server: env.kube.apiServerUrl, "certificate-authority": env.kube.caFile },
        },
      ],
      users: [{ name: name, user: { token: token.status?.token } }],
      contexts: [{ name: "chart", context: { cluster: "test", user: name } }],
      "current-context": "chart",
    }),
  );
  return file;
}

/** The operator container's env as the kubelet would resolve it for a pod named `podName`. */
function resolveEnv(
  vars: readonly EnvVar[],
  namespace: string,
  podName: string,
): Record<string, string> {
  const fields: Record<string, string> = {
    "metadata.namespace": namespace,
    "metadata.name": podName,
  };
  return Object.fromEntries(
    vars.map((v) => {
      const fieldPath = v.valueFrom?.fieldRef.fieldPath;
      const value = fieldPath === undefined ? v.value : fields[fieldPath];
      if (value === undefined) throw new Error(`cannot resolve env ${v.name}`);
      return [v.name, value] as const;
    }),
  );
}

async function canI(serviceAccount: string, ...args: string[]): Promise<boolean> {
  const result = await kubectl(env, ["auth", "can-i", `--as=${serviceAccount}`, ...args]);
  if (result.code !== 0 && result.stdout.trim() !== "no")
    throw new Error(describeFailure("kubectl auth can-i", result));
  return result.code === 0;
}

describe("helm install, the operator on the chart's identity, helm uninstall", () => {
  const release = "herald";
  let releaseNamespace: string;
  let watched: string;
  let operator: OperatorProcess | undefined;
  let installStarted = 0;
  let serviceAccount: string;

  beforeAll(async () => {
    releaseNamespace = await restrictedNamespace("chart-install");
    watched = await restrictedNamespace("chart-install-w");
    cleanups.push(() => helm(env, ["uninstall", release, `--namespace=${releaseNamespace}`]));
    cleanups.push(async () => operator?.stop());
    serviceAccount = `system:serviceaccount:${releaseNamespace}:${release}`;
  });

  test("helm install creates the operator, whose pods the restricted namespace admits", async () => {
    installStarted = performance.now();
    const result = await helm(
      env,
      ["install", release, chartDir, `--namespace=${releaseNamespace}`, "--values=-"],
      { input: JSON.stringify({ watchNamespaces: [releaseNamespace, watched] }) },
    );
    expect(result.code, describeFailure("helm install", result)).toBe(0);
    expect(result.stdout).toContain("STATUS: deployed");
    expect(result.stdout).toContain(
      `It manages MessageBrokers in: ${releaseNamespace}, ${watched}.`,
    );

    // The controller-manager's ReplicaSet creates the pod (admitted under "restricted"); no
    // kubelet runs it here.
    const pods = await until("the operator pod", async () => {
      const list = await core.listNamespacedPod({
        namespace: releaseNamespace,
        labelSelector: "app.kubernetes.io/name=herald,app.kubernetes.io/component=operator",
      });
      return list.items.length === 1 ? list.items : undefined;
    });
    expect(pods[0]?.spec?.serviceAccountName).toBe(release);
  });

  test("the operator, with the chart's ServiceAccount token and env, reconciles the memory example", async () => {
    const manifest = await helm(env, [
      "get",
      "manifest",
      release,
      `--namespace=${releaseNamespace}`,
    ]);
    expect(manifest.code, describeFailure("helm get manifest", manifest)).toBe(0);
    const { container } = operatorContainer(parseManifests(manifest.stdout));
    const podEnv = resolveEnv(container.env, releaseNamespace, "herald-operator-local");

    // Everything as the chart sets it, except the listen address: this runs on the host.
    const chartEnv: Record<string, string> = { ...podEnv, HERALD_HTTP_ADDR: "127.0.0.1:0" };
    expect(podEnv.HERALD_HTTP_ADDR).toBe("0.0.0.0:8080");
    const started = startOperatorProcess({
      kubeconfig: await serviceAccountKubeconfig(releaseNamespace, release),
      watchNamespace: chartEnv.WATCH_NAMESPACE ?? "",
      leaseNamespace: chartEnv.LEADER_ELECTION_NAMESPACE ?? "",
      identity: chartEnv.POD_NAME ?? "",
      extraEnv: chartEnv,
    });
    operator = started;
    await waitUntilReconciling(started);

    const applied = await kubectl(env, [
      "apply",
      "--server-side",
      `--namespace=${watched}`,
      "-f",
      `${chartDir}examples/memory-dev.yaml`,
    ]);
    expect(applied.code, describeFailure("kubectl apply", applied)).toBe(0);

    const children: [string, string, string][] = [
      ["apps/v1", "StatefulSet", "dev"],
      ["v1", "Service", "dev"],
      ["v1", "Service", "dev-headless"],
      ["v1", "ConfigMap", "dev-config"],
      ["v1", "ConfigMap", "dev-membership"],
      ["v1", "ServiceAccount", "dev-broker"],
      ["rbac.authorization.k8s.io/v1", "Role", "dev-broker"],
      ["rbac.authorization.k8s.io/v1", "RoleBinding", "dev-broker"],
      ["policy/v1", "PodDisruptionBudget", "dev"],
      ["networking.k8s.io/v1", "NetworkPolicy", "dev"],
    ];
    await until("every child of the dev MessageBroker", async () => {
      const found = await Promise.all(
        children.map(([apiVersion, kind, name]) => read(cluster, apiVersion, kind, watched, name)),
      );
      return found.every((child) => child !== undefined);
    }).catch((err: unknown) => {
      throw new Error(`${String(err)}\noperator log:\n${tail(started)}`);
    });
    type Broker = KubernetesObject & {
      status?: { observedGeneration?: number; replicas?: number; conditions?: { type: string }[] };
    };
    const broker = await until("status of the dev MessageBroker", async () => {
      const current = await read<Broker>(
        cluster,
        "herald.dev/v1alpha1",
        "MessageBroker",
        watched,
        "dev",
      );
      return current?.status?.observedGeneration === current?.metadata?.generation &&
        current?.status?.replicas === 1
        ? current
        : undefined;
    });
    process.stderr.write(
      `helm install → example CR reconciled (children and status): ${Math.round(performance.now() - installStarted)} ms\n`,
    );
    expect(broker.status?.conditions?.map((c) => c.type)).toEqual(
      expect.arrayContaining(["Ready", "Progressing", "Degraded", "StorageReady"]),
    );
    // The chart's RBAC sufficed: the API server refused nothing the operator asked.
    const refused = started.logs.filter((line) => /forbidden/i.test(JSON.stringify(line)));
    expect(refused).toEqual([]);
    // It leads through the chart's Lease, in the release namespace.
    const lease = await read<KubernetesObject & { spec?: { holderIdentity?: string } }>(
      cluster,
      "coordination.k8s.io/v1",
      "Lease",
      releaseNamespace,
      "herald",
    );
    expect(lease?.spec?.holderIdentity).toBe("herald-operator-local");
  });

  test("the helm test hook's check passes against the running operator", async () => {
    const hooks = await helm(env, ["get", "hooks", release, `--namespace=${releaseNamespace}`]);
    expect(hooks.code, describeFailure("helm get hooks", hooks)).toBe(0);
    const pod = z
      .object({
        metadata: z.object({ annotations: z.record(z.string(), z.string()) }),
        spec: z.object({
          containers: z.array(
            z.object({ command: z.array(z.string()), env: z.array(envVarSchema) }),
          ),
        }),
      })
      .parse(one(parseManifests(hooks.stdout), "Pod"));
    expect(pod.metadata.annotations["helm.sh/hook"]).toBe("test");
    const [program, ...args] = pod.spec.containers[0]?.command ?? [];
    expect(program).toBe("node");
    expect(envValue(pod.spec.containers[0]?.env ?? [], "OPERATOR_URL")).toBe(
      `http://herald-metrics.${releaseNamespace}.svc:8080`,
    );
    const metricsUrl = new URL(await (operator as OperatorProcess).metricsUrl());
    const check = await runCommand(process.execPath, args, {
      env: { OPERATOR_URL: metricsUrl.origin },
      timeoutMs: 30_000,
    });
    expect(check.code, describeFailure("the helm test check", check)).toBe(0);
    expect(check.stdout).toContain("operator ready");
  });

  test("the operator serves every metric its Grafana dashboard queries", async () => {
    const text = await (await fetch(await (operator as OperatorProcess).metricsUrl())).text();
    const served = new Set(
      [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
        type === "histogram" ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name],
      ),
    );
    const dashboard = z
      .object({
        panels: z.array(z.object({ targets: z.array(z.object({ expr: z.string() })).optional() })),
      })
      .parse(JSON.parse(await readFile(`${chartDir}dashboards/operator.json`, "utf8")));
    const queried = new Set(
      dashboard.panels
        .flatMap((panel) => panel.targets ?? [])
        .flatMap(({ expr }) =>
          [...expr.matchAll(/([a-z_:][a-z0-9_:]*)\{/g)].map(([, name]) => name),
        ),
    );
    queried.delete("up"); // Prometheus's own series for a scrape target.
    expect(queried.size).toBeGreaterThan(4);
    expect([...queried].filter((name) => name !== undefined && !served.has(name))).toEqual([]);
  });

  test("least privilege: brokers in the watched namespaces only, one CRD read cluster-wide", async () => {
    expect(
      await canI(serviceAccount, "patch", "messagebrokers.herald.dev", `--namespace=${watched}`),
    ).toBe(true);
    expect(
      await canI(serviceAccount, "create", "statefulsets.apps", `--namespace=${releaseNamespace}`),
    ).toBe(true);
    expect(
      await canI(serviceAccount, "list", "messagebrokers.herald.dev", "--namespace=default"),
    ).toBe(false);
    expect(await canI(serviceAccount, "list", "secrets", "--all-namespaces")).toBe(false);
    expect(
      await canI(
        serviceAccount,
        "update",
        "leases.coordination.k8s.io",
        `--namespace=${releaseNamespace}`,
      ),
    ).toBe(true);
    expect(
      await canI(serviceAccount, "update", "leases.coordination.k8s.io", `--namespace=${watched}`),
    ).toBe(false);
    expect(
      await canI(
        serviceAccount,
        "get",
        "customresourcedefinitions/servicemonitors.monitoring.coreos.com",
      ),
    ).toBe(true);
    expect(
      await canI(serviceAccount, "get", "customresourcedefinitions/messagebrokers.herald.dev"),
    ).toBe(false);
    // MessageBrokerUsers are read and their status written, never changed.
    expect(
      await canI(
        serviceAccount,
        "watch",
        "messagebrokerusers.herald.dev",
        `--namespace=${watched}`,
      ),
    ).toBe(true);
    expect(
      await canI(
        serviceAccount,
        "patch",
        "messagebrokerusers.herald.dev",
        `--namespace=${watched}`,
      ),
    ).toBe(false);
    for (const path of ["/.well-known/openid-configuration", "/openid/v1/jwks"])
      expect(await canI(serviceAccount, "get", path), path).toBe(true);
  });

  test("helm uninstall removes the operator and keeps the CRD and the MessageBrokers", async () => {
    await operator?.stop();
    const result = await helm(env, [
      "uninstall",
      release,
      `--namespace=${releaseNamespace}`,
      "--wait",
    ]);
    expect(result.code, describeFailure("helm uninstall", result)).toBe(0);

    const gone = await Promise.all([
      read(cluster, "apps/v1", "Deployment", releaseNamespace, "herald"),
      read(cluster, "v1", "ServiceAccount", releaseNamespace, "herald"),
      read(cluster, "rbac.authorization.k8s.io/v1", "Role", watched, "herald"),
      read(
        cluster,
        "rbac.authorization.k8s.io/v1",
        "ClusterRole",
        "",
        `herald-${releaseNamespace}`,
      ),
    ]);
    expect(gone).toEqual([undefined, undefined, undefined, undefined]);
    const crd = await read(
      cluster,
      "apiextensions.k8s.io/v1",
      "CustomResourceDefinition",
      "",
      "messagebrokers.herald.dev",
    );
    expect(crd?.metadata?.name).toBe("messagebrokers.herald.dev");
    expect(
      await read(cluster, "herald.dev/v1alpha1", "MessageBroker", watched, "dev"),
    ).toBeDefined();
    // Helm must not have taken ownership of the CRD either (it never deletes CRDs in crds/).
    expect(crd?.metadata?.labels?.["app.kubernetes.io/managed-by"]).not.toBe("Helm");
    await until("the operator pod gone", async () => {
      const list = await apps.listNamespacedDeployment({ namespace: releaseNamespace });
      return list.items.length === 0;
    });
  });
});

describe("all-namespaces mode", () => {
  test("helm install binds the operator cluster-wide; helm uninstall unbinds it", async () => {
    const namespace = await restrictedNamespace("chart-all");
    const release = "herald-all";
    const serviceAccount = `system:serviceaccount:${namespace}:${release}`;
    cleanups.push(() => helm(env, ["uninstall", release, `--namespace=${namespace}`]));
    const result = await helm(env, ["install", release, chartDir, `--namespace=${namespace}`]);
    expect(result.code, describeFailure("helm install", result)).toBe(0);
    expect(result.stdout).toContain("It manages MessageBrokers in every namespace.");

    expect(
      await canI(serviceAccount, "patch", "messagebrokers.herald.dev", "--namespace=default"),
    ).toBe(true);
    expect(await canI(serviceAccount, "delete", "statefulsets.apps", "--all-namespaces")).toBe(
      true,
    );
    expect(await canI(serviceAccount, "list", "nodes")).toBe(false);
    expect(await canI(serviceAccount, "create", "clusterroles.rbac.authorization.k8s.io")).toBe(
      false,
    );
    expect(
      await canI(serviceAccount, "update", "leases.coordination.k8s.io", "--namespace=default"),
    ).toBe(false);

    const uninstalled = await helm(env, ["uninstall", release, `--namespace=${namespace}`]);
    expect(uninstalled.code, describeFailure("helm uninstall", uninstalled)).toBe(0);
    expect(
      await canI(serviceAccount, "patch", "messagebrokers.herald.dev", "--namespace=default"),
    ).toBe(false);
  });
});
