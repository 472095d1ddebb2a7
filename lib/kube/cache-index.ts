import type { KubernetesObject } from "@kubernetes/client-node";

/** The namespace and name of a cached object. */
export interface ObjectName {
  namespace: string | undefined;
  name: string;
}

const keyOf = ({ namespace, name }: ObjectName) => `${namespace ?? ""}/${name}`;

const nameOf = (object: KubernetesObject): ObjectName | undefined => {
  const name = object.metadata?.name;
  return name === undefined ? undefined : { namespace: object.metadata?.namespace, name };
};

/**
 * One informer's objects by a value computed from each, such as their owner's uid (client-go's
 * Indexer with one index). Kept up by the informer's add, update and delete events, so a lookup
 * costs what it finds instead of a scan of the whole cache.
 */
export class CacheIndex<T extends KubernetesObject> {
  readonly #valueOf: (object: T) => string | undefined;
  readonly #byValue = new Map<string, Map<string, ObjectName>>();
  readonly #valueByKey = new Map<string, string>();

  constructor(valueOf: (object: T) => string | undefined) {
    this.#valueOf = valueOf;
  }

  /** An object added or updated: filed under its current value only. */
  set(object: T): void {
    this.delete(object);
    const name = nameOf(object);
    const value = this.#valueOf(object);
    if (name === undefined || value === undefined) return;
    const key = keyOf(name);
    this.#valueByKey.set(key, value);
    const names = this.#byValue.get(value) ?? new Map<string, ObjectName>();
    names.set(key, name);
    this.#byValue.set(value, names);
  }

  delete(object: T): void {
    const name = nameOf(object);
    if (name === undefined) return;
    const key = keyOf(name);
    const value = this.#valueByKey.get(key);
    if (value === undefined) return;
    this.#valueByKey.delete(key);
    const names = this.#byValue.get(value);
    names?.delete(key);
    if (names?.size === 0) this.#byValue.delete(value);
  }

  /** The objects filed under `value`. */
  names(value: string): ObjectName[] {
    return [...(this.#byValue.get(value)?.values() ?? [])];
  }
}
