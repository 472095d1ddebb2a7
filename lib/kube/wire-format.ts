import type { KubernetesObject } from "@kubernetes/client-node";
// Not re-exported by the package root; the same serializer KubernetesObjectApi applies to bodies.
import { ObjectSerializer } from "@kubernetes/client-node/dist/serializer.js";
import { getSerializationType } from "@kubernetes/client-node/dist/util.js";

/**
 * An object as the API server sends it. client-node's models rename a few wire fields (a
 * NetworkPolicy rule's `from` is `_from`) and use Date for timestamps: its object API takes and
 * returns that model shape, while watch events carry the wire shape. Caches and comparisons use
 * the wire shape throughout.
 */
export function toWire<T extends KubernetesObject>(object: T): T {
  const type = getSerializationType(object.apiVersion, object.kind);
  return JSON.parse(JSON.stringify(ObjectSerializer.serialize(object, type))) as T;
}

/**
 * The inverse of `toWire`: an object as written in YAML or sent by the API server, in the model
 * shape client-node's object API takes. Without it the serializer drops wire-only keys such as
 * a CRD schema's `x-kubernetes-preserve-unknown-fields`.
 */
export function fromWire<T extends KubernetesObject>(object: T): T {
  const type = getSerializationType(object.apiVersion, object.kind);
  return ObjectSerializer.deserialize(object, type) as T;
}
