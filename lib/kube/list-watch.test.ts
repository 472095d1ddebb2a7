import type {
  KubernetesListObject,
  KubernetesObject,
  KubernetesObjectApi,
} from "@kubernetes/client-node";
import { expect, test } from "vitest";
import { listLikeWatchEvents } from "./list-watch.ts";

test("listed items look like watch events: typed, plain JSON, without managedFields", async () => {
  const calls: unknown[][] = [];
  const objects: Pick<KubernetesObjectApi, "list"> = {
    list: <T extends KubernetesObject>(...args: unknown[]) => {
      calls.push(args);
      // What client-node returns: items without apiVersion/kind, Date objects for timestamps.
      return Promise.resolve({
        apiVersion: "apps/v1",
        kind: "StatefulSetList",
        metadata: { resourceVersion: "42" },
        items: [
          {
            metadata: {
              name: "orders",
              namespace: "shop",
              creationTimestamp: new Date("2026-01-01T00:00:00Z"),
              managedFields: [{ manager: "herald-operator" }],
            },
            spec: { replicas: 1 },
          },
        ],
      } as unknown as KubernetesListObject<T>);
    },
  };
  const resource = { group: "apps", version: "v1", kind: "StatefulSet", plural: "statefulsets" };
  const list = listLikeWatchEvents(objects, resource, "shop", { labelSelector: "a=b" });
  const result = await list();

  expect(result.metadata?.resourceVersion).toBe("42");
  expect(result.items).toEqual([
    {
      apiVersion: "apps/v1",
      kind: "StatefulSet",
      metadata: {
        name: "orders",
        namespace: "shop",
        creationTimestamp: "2026-01-01T00:00:00.000Z",
      },
      spec: { replicas: 1 },
    },
  ]);
  expect(calls[0]).toEqual([
    "apps/v1",
    "StatefulSet",
    "shop",
    undefined,
    undefined,
    undefined,
    undefined,
    "a=b",
  ]);
});
