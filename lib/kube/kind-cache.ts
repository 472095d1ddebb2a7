import type { KubernetesObject, ObjectCache } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { ResourceKind } from "./resource-kind.ts";
import {
  SupervisedInformer,
  type ListWatchLike,
  type SupervisionOptions,
} from "./supervised-informer.ts";

/**
 * The cache of one kind across the watched namespaces: one supervised informer per namespace,
 * or a single cluster-wide one when `namespaces` is empty.
 */
export class KindCache<T extends KubernetesObject> implements ObjectCache<T> {
  readonly resource: ResourceKind;
  readonly #informers = new Map<string, SupervisedInformer<T>>();

  constructor(options: {
    resource: ResourceKind;
    namespaces: readonly string[];
    create: (namespace: string | undefined) => ListWatchLike<T>;
    onChange: (object: T) => void;
    log: Logger;
    supervision?: SupervisionOptions;
    /** A value to look objects up by with `indexed` (client-go's Indexer, with one index). */
    indexBy?: (object: T) => string | undefined;
  }) {
    this.resource = options.resource;
    const scopes = options.namespaces.length > 0 ? options.namespaces : [undefined];
    for (const namespace of scopes) {
      const name = namespace ? `${options.resource.plural}/${namespace}` : options.resource.plural;
      const informer = new SupervisedInformer<T>(
        name,
        () => options.create(namespace),
        options.onChange,
        options.log,
        options.supervision,
        options.indexBy,
      );
      this.#informers.set(namespace ?? "", informer);
    }
  }

  get synced(): boolean {
    return [...this.#informers.values()].every((informer) => informer.synced);
  }

  async start(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.start()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.#informers.values()].map((informer) => informer.stop()));
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#informerFor(namespace)?.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    if (namespace === undefined)
      return [...this.#informers.values()].flatMap((informer) => informer.list());
    return this.#informerFor(namespace)?.list(namespace) ?? [];
  }

  /** The cached objects, in every watched namespace, whose `indexBy` value is `value`. */
  indexed(value: string): T[] {
    return [...this.#informers.values()].flatMap((informer) => informer.indexed(value));
  }

  #informerFor(namespace: string | undefined): SupervisedInformer<T> | undefined {
    return this.#informers.get("") ?? this.#informers.get(namespace ?? "");
  }
}
