import { describe, expect, test } from "vitest";
import { quantitiesEqual, quantityValue } from "../../lib/kube/quantity.ts";
import { isSemanticSubset } from "./semantic-subset.ts";

describe("quantities", () => {
  test.each([
    ["500m", 0.5],
    ["0.5", 0.5],
    ["1Gi", 2 ** 30],
    ["1e3", 1000],
    ["2k", 2000],
    ["128Mi", 128 * 2 ** 20],
  ])("%s is %d", (text, value) => {
    expect(quantityValue(text)).toBeCloseTo(value);
  });

  test("the server's canonical spelling equals the user's", () => {
    expect(quantitiesEqual("0.5", "500m")).toBe(true);
    expect(quantitiesEqual("1024Mi", "1Gi")).toBe(true);
    expect(quantitiesEqual("1000m", "1")).toBe(true);
    expect(quantitiesEqual("1Gi", "1G")).toBe(false);
    expect(quantitiesEqual("abc", "abc")).toBe(false);
  });
});

describe("isSemanticSubset", () => {
  test("fields only the live object has are ignored", () => {
    const desired = { spec: { replicas: 1, template: { spec: { containers: [{ name: "b" }] } } } };
    const live = {
      spec: {
        replicas: 1,
        revisionHistoryLimit: 10,
        template: { spec: { containers: [{ name: "b", imagePullPolicy: "IfNotPresent" }] } },
      },
      status: { readyReplicas: 0 },
    };
    expect(isSemanticSubset(desired, live)).toBe(true);
  });

  test("a changed value, a removed field or a removed list element is drift", () => {
    const live = { spec: { replicas: 1, ports: [{ port: 1 }, { port: 2 }] } };
    expect(isSemanticSubset({ spec: { replicas: 2 } }, live)).toBe(false);
    expect(isSemanticSubset({ spec: { paused: true } }, live)).toBe(false);
    expect(
      isSemanticSubset({ spec: { ports: [{ port: 1 }, { port: 2 }, { port: 3 }] } }, live),
    ).toBe(false);
  });

  test("an element added to a list the operator owns is drift, as an apply would remove it", () => {
    const desired = { env: [{ name: "A", value: "1" }] };
    const live = {
      env: [
        { name: "A", value: "1" },
        { name: "INJECTED", value: "x" },
      ],
    };
    expect(isSemanticSubset(desired, live)).toBe(false);
  });

  test("empty maps and lists match absent ones", () => {
    expect(isSemanticSubset({ metadata: { annotations: {} }, args: [] }, { metadata: {} })).toBe(
      true,
    );
    expect(isSemanticSubset({ metadata: { annotations: { a: "1" } } }, { metadata: {} })).toBe(
      false,
    );
  });

  test("resource quantities compare by value", () => {
    const desired = {
      resources: { requests: { cpu: "0.5", memory: "1024Mi" }, limits: { cpu: 2 } },
    };
    const live = { resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2" } } };
    expect(isSemanticSubset(desired, live)).toBe(true);
    expect(isSemanticSubset({ resources: { requests: { cpu: "1" } } }, live)).toBe(false);
  });

  test("only quantity fields are compared by value", () => {
    expect(isSemanticSubset({ image: "1000m" }, { image: "1" })).toBe(false);
  });

  test("type mismatches are never equal", () => {
    expect(isSemanticSubset({ a: 1 }, { a: "1" })).toBe(false);
    expect(isSemanticSubset({ a: [1] }, { a: { 0: 1 } })).toBe(false);
    expect(isSemanticSubset({ a: { b: 1 } }, { a: [1] })).toBe(false);
  });
});
