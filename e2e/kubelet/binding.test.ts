import { describe, expect, test } from "vitest";
import { isHeraldBrokerPod, shouldBind } from "./binding.ts";
import { podSchema } from "./pod-schema.ts";
import { brokerPod, managedPostgresPod } from "./test-pods.ts";

const nodeLabels = { "kubernetes.io/hostname": "herald-local", "kubernetes.io/os": "linux" };

describe("shouldBind", () => {
  test("an unscheduled pod of a broker StatefulSet, as the operator renders it", () => {
    expect(shouldBind(brokerPod(), nodeLabels)).toBe(true);
  });

  test("not a pod that is bound, being deleted, or for another scheduler", () => {
    const pod = brokerPod();
    expect(shouldBind({ ...pod, spec: { ...pod.spec, nodeName: "elsewhere" } }, nodeLabels)).toBe(
      false,
    );
    const deleting = podSchema.parse({
      ...pod,
      metadata: { ...pod.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" },
    });
    expect(shouldBind(deleting, nodeLabels)).toBe(false);
    expect(
      shouldBind({ ...pod, spec: { ...pod.spec, schedulerName: "volcano" } }, nodeLabels),
    ).toBe(false);
  });

  test("a nodeSelector must match the node's labels", () => {
    const fits = brokerPod({ podTemplate: { nodeSelector: { "kubernetes.io/os": "linux" } } });
    const misfits = brokerPod({ podTemplate: { nodeSelector: { disktype: "ssd" } } });
    expect(shouldBind(fits, nodeLabels)).toBe(true);
    expect(shouldBind(misfits, nodeLabels)).toBe(false);
  });

  test("managed database pods stay Pending", () => {
    expect(isHeraldBrokerPod(managedPostgresPod())).toBe(false);
    expect(shouldBind(managedPostgresPod(), nodeLabels)).toBe(false);
  });

  test("a broker-labelled pod that no StatefulSet controls is left alone", () => {
    const pod = brokerPod();
    const bare = { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } };
    expect(shouldBind(bare, nodeLabels)).toBe(false);
  });
});
