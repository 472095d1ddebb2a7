/**
 * Operator-orchestrated scaling on the real API server, with the process kubelet running real
 * brokers on the test environment's PostgreSQL: 1 → 3 → 2, the operator killed mid scale-down,
 * a revert, and 2 → 1 stalled on a broker that does not answer.
 */
import { EventsV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import type { ProcessKubelet } from "../kubelet/kubelet.ts";
import {
  membershipConfigMapKey,
  membershipSchema,
  type Membership,
} from "../../contract/membership.ts";
import { read } from "../../testing/kube-cluster.ts";
import { until } from "../../testing/until.ts";
import { condition, type OperatorFixture } from "../../operator/test/operator-fixture.ts";
import type { OperatorProcess } from "../../operator/test/operator-process.ts";
import { operatorWithKubelet, type OperatorWithKubelet } from "./operator-with-kubelet.ts";

const env = inject("testEnv");
const name = "orders";
let scene: OperatorWithKubelet;
let fixture: OperatorFixture;
let kubelet: ProcessKubelet;
let operator: OperatorProcess;

interface Sample {
  at: number;
  spec: number | undefined;
  step: string | undefined;
  statusEpoch: number | undefined;
  statefulSet: number | undefined;
  membership: Membership | undefined;
}

async function sample(): Promise<Sample> {
  const ns = fixture.namespace;
  const [broker, set, configMap] = await Promise.all([
    fixture.readBroker(name),
    read(fixture.cluster, "apps/v1", "StatefulSet", ns, name),
    read(fixture.cluster, "v1", "ConfigMap", ns, `${name}-membership`),
  ]);
  const raw = (configMap as { data?: Record<string, string> } | undefined)?.data?.[
    membershipConfigMapKey
  ];
  const status = broker?.status as
    { scaling?: { step: string }; membershipEpoch?: number } | undefined;
  return {
    at: Date.now(),
    spec: (broker as { spec?: { replicas?: number } } | undefined)?.spec?.replicas,
    step: status?.scaling?.step,
    statusEpoch: status?.membershipEpoch,
    statefulSet: (set as { spec?: { replicas?: number } } | undefined)?.spec?.replicas,
    membership: raw === undefined ? undefined : membershipSchema.parse(JSON.parse(raw)),
  };
}

/** Samples the cluster every 50 ms until stopped, so the test sees every step. */
function recorder() {
  const samples: Sample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      samples.push(await sample());
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    samples,
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}

const setReplicas = (replicas: number) =>
  fixture.applyBroker(name, spec(replicas)).then(() => undefined);

function spec(replicas: number) {
  return { replicas, storage: scene.storage };
}

/** Settled at `replicas`: no scale in progress, every pod ready, members = pods. */
async function settled(replicas: number, timeoutMs = 90_000) {
  return until(
    `settled at ${replicas} replicas`,
    async () => {
      const [now, broker] = await Promise.all([sample(), fixture.readBroker(name)]);
      const status = broker?.status;
      return now.step === undefined &&
        now.statefulSet === replicas &&
        now.membership?.members.length === replicas &&
        status?.replicas === replicas &&
        status.readyReplicas === replicas
        ? now
        : undefined;
    },
    { timeoutMs },
  );
}

const brokerPid = (pod: string) =>
  kubelet.pods().find((info) => info.name === pod)?.containers[0]?.pid;

beforeAll(async () => {
  scene = await operatorWithKubelet(env, "scaling");
  ({ fixture, kubelet } = scene);
  operator = fixture.startOperator("operator-a");
}, 60_000);

afterAll(() => scene?.teardown(name), 120_000);

describe("operator-orchestrated scaling", () => {
  test("creation publishes epoch 1 with the initial pod", async () => {
    await setReplicas(1);
    const now = await settled(1);
    expect(now.membership?.epoch).toBe(1);
    expect(now.membership?.members.map((member) => member.name)).toEqual(["orders-0"]);
    const broker = await fixture.readBroker(name);
    expect(condition(broker?.status, "Ready")?.status).toBe("True");
    expect(condition(broker?.status, "Scaling")).toBeUndefined();
  }, 120_000);

  test("scale up 1 → 3: StatefulSet first, membership once the pods are ready", async () => {
    const watch = recorder();
    const started = Date.now();
    await setReplicas(3);
    const done = await settled(3);
    process.stderr.write(`scale step 1 → 3 took ${Date.now() - started} ms\n`);
    const samples = await watch.stop();

    expect(done.membership?.epoch).toBe(2);
    expect(done.statusEpoch).toBe(2);
    const steps = [...new Set(samples.map((s) => s.step).filter(Boolean))];
    // AwaitingEpoch may pass between two samples: brokers adopt an epoch within milliseconds.
    expect(steps[0]).toBe("AddingPods");
    expect(["AddingPods", "AwaitingEpoch"]).toEqual(expect.arrayContaining(steps));
    // The membership never named a pod the StatefulSet did not have yet.
    for (const s of samples) {
      if (s.membership?.members.length === 3) expect(s.statefulSet).toBe(3);
    }
    // And the StatefulSet was raised while the membership still had one member.
    expect(samples.some((s) => s.statefulSet === 3 && s.membership?.members.length === 1)).toBe(
      true,
    );
    const broker = await fixture.readBroker(name);
    expect(condition(broker?.status, "Scaling")).toMatchObject({ status: "False" });
  }, 120_000);

  test("scale down 3 → 2 waits for every remaining broker, survives an operator kill", async () => {
    // A remaining broker that cannot answer holds the scale in AwaitingEpoch.
    const frozen = brokerPid("orders-1");
    expect(frozen).toBeDefined();
    process.kill(frozen ?? 0, "SIGSTOP");
    const watch = recorder();
    try {
      await setReplicas(2);
      const awaiting = await until(
        "membership without orders-2",
        async () => {
          const now = await sample();
          return now.membership?.members.length === 2 && now.step === "AwaitingEpoch"
            ? now
            : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(awaiting.membership?.epoch).toBe(3);
      expect(awaiting.statefulSet).toBe(3);
      const broker = await fixture.readBroker(name);
      expect(condition(broker?.status, "Scaling")).toMatchObject({
        status: "True",
        reason: "AwaitingEpoch",
      });
      expect(condition(broker?.status, "Scaling")?.message).toContain("from 3 to 2");

      await operator.kill();
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect((await sample()).statefulSet).toBe(3);
    } finally {
      process.kill(frozen ?? 0, "SIGCONT");
    }

    const started = Date.now();
    operator = fixture.startOperator("operator-b");
    const done = await settled(2);
    process.stderr.write(
      `scale down 3 → 2 after an operator restart took ${Date.now() - started} ms\n`,
    );
    const samples = await watch.stop();

    expect(done.membership?.epoch).toBe(3);
    expect(done.membership?.members.map((member) => member.name)).toEqual(["orders-0", "orders-1"]);
    // The StatefulSet went down only after the smaller membership was out.
    for (const s of samples) {
      if (s.statefulSet === 2) expect(s.membership?.members.length).toBe(2);
    }
    const steps = [...new Set(samples.map((s) => s.step).filter(Boolean))];
    expect(steps).toContain("AwaitingEpoch");
    expect(steps.at(-1)).toBe("RemovingPods");
  }, 180_000);

  test("reverting a scale-down mid-way publishes everyone again", async () => {
    const frozen = brokerPid("orders-0");
    process.kill(frozen ?? 0, "SIGSTOP");
    try {
      await setReplicas(1);
      await until("scale-down to 1 waiting", async () => {
        const now = await sample();
        return now.membership?.members.length === 1 && now.step === "AwaitingEpoch";
      });
      await setReplicas(2);
    } finally {
      process.kill(frozen ?? 0, "SIGCONT");
    }
    const done = await settled(2);
    expect(done.membership?.members.length).toBe(2);
    expect(done.membership?.epoch).toBe(5);
  }, 120_000);

  test("a remaining broker that never reports the epoch is Degraded (ScalingStalled) until it does", async () => {
    await operator.stop();
    operator = fixture.startOperator("operator-c", { HERALD_SCALING_STALL_AFTER_SECONDS: "1" });
    const frozen = brokerPid("orders-0");
    expect(frozen).toBeDefined();
    process.kill(frozen ?? 0, "SIGSTOP");
    let resumed: number;
    try {
      const started = Date.now();
      await setReplicas(1);
      const stalled = await until(
        "Degraded ScalingStalled",
        async () => {
          const status = (await fixture.readBroker(name))?.status;
          return condition(status, "Degraded")?.reason === "ScalingStalled" ? status : undefined;
        },
        { timeoutMs: 30_000 },
      );
      process.stderr.write(`scale 2 → 1 reported stalled after ${Date.now() - started} ms\n`);
      const now = await sample();
      expect(stalled.phase).toBe("Degraded");
      expect(condition(stalled, "Degraded")).toMatchObject({ status: "True" });
      expect(condition(stalled, "Degraded")?.message).toMatch(
        new RegExp(
          `^Scale 2→1 has waited over 1s \\(since [-\\dT:]+Z\\) for orders-0 \\(unreachable\\) to report membership epoch ${now.membership?.epoch}\\.$`,
        ),
      );
      // Still the safe behaviour: the StatefulSet keeps orders-1 while orders-0 may serve epoch 5.
      expect(now.membership?.members.map((member) => member.name)).toEqual(["orders-0"]);
      expect(now.statefulSet).toBe(2);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await sample()).statefulSet).toBe(2);
      expect(await stallWarnings()).toHaveLength(1);
    } finally {
      process.kill(frozen ?? 0, "SIGCONT");
      resumed = Date.now();
    }

    const done = await settled(1);
    process.stderr.write(
      `scale 2 → 1 finished ${Date.now() - resumed} ms after the broker resumed\n`,
    );
    expect(done.membership?.members.map((member) => member.name)).toEqual(["orders-0"]);
    const status = (await fixture.readBroker(name))?.status;
    expect(condition(status, "Degraded")).toMatchObject({ status: "False" });
    expect(condition(status, "Scaling")).toMatchObject({ status: "False", reason: "Idle" });
    // One Warning for this stall. With a 1 s threshold, the RemovingPods step that follows (orders-1
    // draining) may stall too and say so in a Warning of its own.
    const epochWarnings = (await stallWarnings()).filter((event) =>
      event.note?.includes("to report membership epoch"),
    );
    expect(epochWarnings).toHaveLength(1);
  }, 120_000);
});

async function stallWarnings() {
  const events = fixture.cluster.kubeConfig.makeApiClient(EventsV1Api);
  const list = await events.listNamespacedEvent({ namespace: fixture.namespace });
  return list.items.filter(
    (event) => event.type === "Warning" && event.reason === "ScalingStalled",
  );
}
