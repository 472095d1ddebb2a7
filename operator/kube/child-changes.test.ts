import type { KubernetesObject } from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { ChildChanges } from "./child-changes.ts";

const pdb = (resourceVersion: string, minAvailable: number, currentHealthy: number) =>
  ({
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name: "orders", namespace: "shop", resourceVersion },
    spec: { minAvailable },
    status: { currentHealthy },
  }) as KubernetesObject;

const statefulSet = (resourceVersion: string, readyReplicas: number) =>
  ({
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "orders", namespace: "shop", resourceVersion },
    spec: { replicas: 1 },
    status: { readyReplicas },
  }) as KubernetesObject;

test("a child's first sight, a change of what it holds, and its deletion each count", () => {
  const changes = new ChildChanges();
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("1", 1, 0), true)).toBe(true);
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("2", 2, 0), true)).toBe(true);
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("3", 2, 0), false)).toBe(true);
  // Seen again after its deletion: it counts again.
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("4", 2, 0), true)).toBe(true);
});

test("a status no reconcile reads, or only a new resourceVersion, does not count", () => {
  const changes = new ChildChanges();
  changes.changed("policy/v1 PodDisruptionBudget", pdb("1", 1, 0), true);
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("2", 1, 1), true)).toBe(false);
  expect(changes.changed("policy/v1 PodDisruptionBudget", pdb("3", 1, 1), true)).toBe(false);
});

test("a StatefulSet's status counts: the brokers' readiness comes from it", () => {
  const changes = new ChildChanges();
  changes.changed("apps/v1 StatefulSet", statefulSet("1", 0), true);
  expect(changes.changed("apps/v1 StatefulSet", statefulSet("2", 1), true)).toBe(true);
  // A relist hands over the same object again: nothing changed.
  expect(changes.changed("apps/v1 StatefulSet", statefulSet("2", 1), true)).toBe(false);
});
