import type { KubernetesObject } from "@kubernetes/client-node";
import { pino } from "pino";
import { expect, test } from "vitest";
import { KindCache } from "./kind-cache.ts";
import type { ListWatchLike } from "./supervised-informer.ts";

const resource = { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps" };

/** A ListWatch over a fixed set of objects, in one namespace or all of them. */
function fixedListWatch(objects: KubernetesObject[]): ListWatchLike<KubernetesObject> {
  const onAdd: ((object: KubernetesObject) => void)[] = [];
  return {
    on: (verb: string, cb: (object: KubernetesObject) => void) => {
      if (verb === "add") onAdd.push(cb);
    },
    off: () => undefined,
    start: () => {
      objects.forEach((object) => onAdd.forEach((cb) => cb(object)));
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
    get: (name: string, namespace?: string) =>
      objects.find((o) => o.metadata?.name === name && o.metadata.namespace === namespace),
    list: (namespace?: string) =>
      objects.filter((o) => !namespace || o.metadata?.namespace === namespace),
  };
}

const configMap = (namespace: string, name: string): KubernetesObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { namespace, name },
});

test("WATCH_NAMESPACE with several namespaces: one informer each, reads routed by namespace", async () => {
  const scopes: (string | undefined)[] = [];
  const changes: string[] = [];
  const cache = new KindCache({
    resource,
    namespaces: ["team-a", "team-b"],
    create: (namespace) => {
      scopes.push(namespace);
      return fixedListWatch([configMap(namespace ?? "", "cm")]);
    },
    onChange: (object) => changes.push(`${object.metadata?.namespace}/${object.metadata?.name}`),
    log: pino({ level: "silent" }),
  });
  await cache.start();
  expect(scopes).toEqual(["team-a", "team-b"]);
  expect(cache.synced).toBe(true);
  expect(changes.sort()).toEqual(["team-a/cm", "team-b/cm"]);
  expect(cache.get("cm", "team-b")?.metadata?.namespace).toBe("team-b");
  expect(cache.get("cm", "team-c")).toBeUndefined();
  expect(cache.list().map((object) => object.metadata?.namespace)).toEqual(["team-a", "team-b"]);
  await cache.stop();
});

test("an empty WATCH_NAMESPACE watches the whole cluster with one informer", async () => {
  const scopes: (string | undefined)[] = [];
  const cache = new KindCache({
    resource,
    namespaces: [],
    create: (namespace) => {
      scopes.push(namespace);
      return fixedListWatch([configMap("x", "a"), configMap("y", "b")]);
    },
    onChange: () => undefined,
    log: pino({ level: "silent" }),
  });
  await cache.start();
  expect(scopes).toEqual([undefined]);
  expect(cache.get("b", "y")).toBeDefined();
  expect(cache.list("x")).toHaveLength(1);
  await cache.stop();
});
