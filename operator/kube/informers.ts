import type { KubeConfig, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { z } from "zod";
import { KindCache } from "../../lib/kube/kind-cache.ts";
import { makeListWatch } from "../../lib/kube/list-watch.ts";
import {
  alwaysOwnedKinds,
  customResourceDefinitionKind,
  messageBrokerKind,
  messageBrokerUserKind,
  optionalOwnedKinds,
} from "./owned-kinds.ts";
import { ChildChanges } from "./child-changes.ts";
import { controllingBroker } from "./owner.ts";
import { brokerKeyOfUser } from "../users/broker-key.ts";
import { controllingUserName } from "../users/credentials-secret.ts";
import { resourceKindId, type ResourceKind } from "../../lib/kube/resource-kind.ts";
import type { SupervisionOptions } from "../../lib/kube/supervised-informer.ts";

export interface InformerOptions {
  kubeConfig: KubeConfig;
  objects: KubernetesObjectApi;
  /** Namespaces to watch; empty watches all of them. */
  namespaces: readonly string[];
  /** Label selector every child carries, so the caches hold only Herald's objects. */
  childLabelSelector?: string;
  /** Called synchronously with the "namespace/name" key of a MessageBroker to reconcile. */
  enqueue: (key: string) => void;
  log: Logger;
  supervision?: SupervisionOptions;
}

const crdConditionsSchema = z.looseObject({
  status: z.looseObject({
    conditions: z.array(z.looseObject({ type: z.string(), status: z.string() })).default([]),
  }),
});

export function objectKey(object: KubernetesObject): string {
  return `${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
}

/** A kind of another project's CRD, and its cache while that CRD is installed. */
interface OptionalKind {
  kind: ResourceKind;
  crdName: string;
  crd: KindCache<KubernetesObject>;
  objects: KindCache<KubernetesObject> | undefined;
}

/**
 * Informers on MessageBrokers, their users and every kind they own. Every event becomes the key
 * of the broker it concerns; reconciles read these caches and nothing else.
 */
export class Informers {
  readonly brokers: KindCache<KubernetesObject>;
  /** MessageBrokerUsers: each event re-renders its broker's auth file (operator/users). */
  readonly users: KindCache<KubernetesObject>;
  readonly #children = new Map<string, KindCache<KubernetesObject>>();
  readonly #optional = new Map<string, OptionalKind>();
  readonly #childChanges = new ChildChanges();
  readonly #options: InformerOptions;

  constructor(options: InformerOptions) {
    this.#options = options;
    this.brokers = this.#cache(messageBrokerKind, options.namespaces, (broker) =>
      options.enqueue(objectKey(broker)),
    );
    this.users = this.#cache(messageBrokerUserKind, options.namespaces, (user) => {
      const key = brokerKeyOfUser(user);
      if (key) options.enqueue(key);
    });
    for (const kind of alwaysOwnedKinds)
      this.#children.set(resourceKindId(kind), this.#ownedKindCache(kind));
    for (const { kind, crdName } of optionalOwnedKinds) {
      const optional: OptionalKind = {
        kind,
        crdName,
        // The CRD is cluster-scoped; one object, watched by name.
        crd: this.#cache(customResourceDefinitionKind, [], () => this.#onCrdChange(optional), {
          fieldSelector: `metadata.name=${crdName}`,
        }),
        objects: undefined,
      };
      this.#optional.set(resourceKindId(kind), optional);
    }
  }

  /** Whether every cache has completed its first list. */
  get synced(): boolean {
    return (
      this.brokers.synced &&
      this.users.synced &&
      [...this.#optional.values()].every((optional) => optional.crd.synced) &&
      this.#childCaches().every((cache) => cache.synced)
    );
  }

  /** Whether the CRD of an optional kind ("monitoring.coreos.com/v1 ServiceMonitor") is established. */
  installed(kindId: string): boolean {
    const optional = this.#optional.get(kindId);
    if (!optional) return false;
    const crd = crdConditionsSchema.safeParse(optional.crd.get(optional.crdName));
    const conditions = crd.success ? crd.data.status.conditions : [];
    return conditions.some((c) => c.type === "Established" && c.status === "True");
  }

  broker(namespace: string, name: string): KubernetesObject | undefined {
    return this.brokers.get(name, namespace);
  }

  /** Whether children of this kind ("apps/v1 StatefulSet") are watched and their cache is synced. */
  watches(kindId: string): boolean {
    return this.#childCache(kindId)?.synced ?? false;
  }

  child(kindId: string, namespace: string, name: string): KubernetesObject | undefined {
    return this.#childCache(kindId)?.get(name, namespace);
  }

  /**
   * Every cached child in `namespace` whose controller is the MessageBroker with `ownerUid`, from
   * the caches' owner index: every reconcile asks, and a scan of every child of every broker made
   * a fleet's reconciles quadratic.
   */
  ownedBy(namespace: string, ownerUid: string): KubernetesObject[] {
    return this.#childCaches().flatMap((cache) =>
      cache.indexed(ownerUid).filter((child) => child.metadata?.namespace === namespace),
    );
  }

  async start(): Promise<void> {
    const crds = [...this.#optional.values()].map((optional) => optional.crd);
    await Promise.all([
      this.brokers.start(),
      this.users.start(),
      ...crds.map((crd) => crd.start()),
      ...this.#childCaches().map((cache) => cache.start()),
    ]);
    for (const optional of this.#optional.values()) this.#onCrdChange(optional);
  }

  async stop(): Promise<void> {
    const crds = [...this.#optional.values()].map((optional) => optional.crd);
    await Promise.all(
      [this.brokers, this.users, ...crds, ...this.#childCaches()].map((cache) => cache.stop()),
    );
  }

  #childCache(kindId: string): KindCache<KubernetesObject> | undefined {
    return this.#children.get(kindId) ?? this.#optional.get(kindId)?.objects;
  }

  #childCaches(): KindCache<KubernetesObject>[] {
    const optional = [...this.#optional.values()].flatMap(({ objects }) =>
      objects ? [objects] : [],
    );
    return [...this.#children.values(), ...optional];
  }

  #cache(
    resource: ResourceKind,
    namespaces: readonly string[],
    onChange: (object: KubernetesObject) => void,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
    indexBy?: (object: KubernetesObject) => string | undefined,
  ): KindCache<KubernetesObject> {
    const { kubeConfig, objects, log, supervision } = this.#options;
    return new KindCache({
      resource,
      namespaces,
      create: (namespace) => makeListWatch(kubeConfig, objects, resource, namespace, selectors),
      onChange,
      log,
      supervision,
      indexBy,
    });
  }

  #ownedKindCache(resource: ResourceKind): KindCache<KubernetesObject> {
    const { namespaces, childLabelSelector, enqueue } = this.#options;
    const kindId = resourceKindId(resource);
    const cache: KindCache<KubernetesObject> = this.#cache(
      resource,
      namespaces,
      (child) => {
        const namespace = child.metadata?.namespace ?? "";
        const cached = cache.get(child.metadata?.name ?? "", namespace) !== undefined;
        if (!this.#childChanges.changed(kindId, child, cached)) return;
        const owner = controllingBroker(child);
        if (owner) enqueue(`${namespace}/${owner.name}`);
        // A user's credentials Secret, changed or deleted by hand, is put back by its broker.
        const user = controllingUserName(child);
        const userKey = user && brokerKeyOfUser(this.users.get(user, namespace) ?? {});
        if (userKey) enqueue(userKey);
      },
      { labelSelector: childLabelSelector },
      (child) => controllingBroker(child)?.uid,
    );
    return cache;
  }

  /** Starts or stops watching an optional kind as its CRD comes and goes; every broker then re-renders. */
  #onCrdChange(optional: OptionalKind): void {
    const installed = this.installed(resourceKindId(optional.kind));
    if (installed && !optional.objects) {
      const objects = this.#ownedKindCache(optional.kind);
      optional.objects = objects;
      void objects.start().then(() => this.#enqueueAllBrokers());
    } else if (!installed && optional.objects) {
      void optional.objects.stop();
      optional.objects = undefined;
    }
    this.#enqueueAllBrokers();
  }

  #enqueueAllBrokers(): void {
    for (const broker of this.brokers.list()) this.#options.enqueue(objectKey(broker));
  }
}
