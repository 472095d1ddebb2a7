import type { KubernetesObject } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { appliedHashAnnotation, needsApply, withAppliedHash } from "./apply.ts";

const configMap = (
  data: Record<string, string>,
): KubernetesObject & { data: Record<string, string> } => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "x", namespace: "ns", labels: { app: "herald" } },
  data,
});

/** What the API server returns after applying `desired`: plus server-owned fields. */
function asLive<T extends KubernetesObject>(desired: T): T {
  return {
    ...desired,
    metadata: { ...desired.metadata, uid: "u", resourceVersion: "7", managedFields: [] },
  };
}

describe("needsApply", () => {
  test("a missing child is applied", () => {
    expect(needsApply(withAppliedHash(configMap({ a: "1" })), undefined)).toBe(true);
  });

  test("the steady state applies nothing", () => {
    const desired = withAppliedHash(configMap({ a: "1" }));
    expect(needsApply(desired, asLive(desired))).toBe(false);
  });

  test("the hash is stable for equal content and changes with content", () => {
    const hash = (data: Record<string, string>) =>
      withAppliedHash(configMap(data)).metadata?.annotations?.[appliedHashAnnotation];
    expect(hash({ a: "1", b: "2" })).toBe(hash({ b: "2", a: "1" }));
    expect(hash({ a: "1" })).not.toBe(hash({ a: "2" }));
  });

  test("a hand edit of a managed field is drift", () => {
    const desired = withAppliedHash(configMap({ a: "1" }));
    const live = asLive(desired);
    expect(needsApply(desired, { ...live, data: { a: "edited" } } as KubernetesObject)).toBe(true);
  });

  test("a field no longer rendered is applied away, though the live object still shows it", () => {
    const before = withAppliedHash(configMap({ a: "1", b: "2" }));
    const after = withAppliedHash(configMap({ a: "1" }));
    expect(needsApply(after, asLive(before))).toBe(true);
  });
});

test("fields client-node renames are compared as the server stores them (NetworkPolicy from)", () => {
  // The model shape the render and the object API use…
  const desired = withAppliedHash({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "x", namespace: "ns" },
    spec: { ingress: [{ _from: [{ podSelector: { matchLabels: { a: "b" } } }] }] },
  } as KubernetesObject);
  // …and the wire shape of watch events and the cache.
  const live = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { ...desired.metadata, uid: "u" },
    spec: {
      ingress: [{ from: [{ podSelector: { matchLabels: { a: "b" } } }] }],
      policyTypes: ["Ingress"],
    },
  } as KubernetesObject;
  expect(needsApply(desired, live)).toBe(false);
});
