import type { KubeConfig, KubernetesObject, KubernetesObjectApi } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { z } from "zod";
import { KindCache } from "../../lib/kube/kind-cache.ts";
import { makeListWatch } from "../../lib/kube/list-watch.ts";
import {
  alwaysOwnedKinds,
  customResourceDefinitionKind,
  messageBrokerKind,
  serviceMonitorCrdName,
  serviceMonitorKind,
} from "./owned-kinds.ts";
import { controllingBroker, isControlledBy } from "./owner.ts";
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

/**
 * Informers on MessageBrokers and every kind they own. Every event becomes the key of the
 * broker it concerns; reconciles read these caches and nothing else.
 */
export class Informers {
  readonly brokers: KindCache<KubernetesObject>;
  readonly #children = new Map<string, KindCache<KubernetesObject>>();
  readonly #serviceMonitorCrd: KindCache<KubernetesObject>;
  #serviceMonitors: KindCache<KubernetesObject> | undefined;
  readonly #options: InformerOptions;

  constructor(options: InformerOptions) {
    this.#options = options;
    this.brokers = this.#cache(messageBrokerKind, options.namespaces, (broker) =>
      options.enqueue(objectKey(broker)),
    );
    for (const kind of alwaysOwnedKinds)
      this.#children.set(resourceKindId(kind), this.#ownedKindCache(kind));
    // The CRD is cluster-scoped; one object, watched by name.
    this.#serviceMonitorCrd = this.#cache(
      customResourceDefinitionKind,
      [],
      () => this.#onCrdChange(),
      {
        fieldSelector: `metadata.name=${serviceMonitorCrdName}`,
      },
    );
  }

  /** Whether every cache has completed its first list. */
  get synced(): boolean {
    return (
      this.brokers.synced &&
      this.#serviceMonitorCrd.synced &&
      [...this.#children.values()].every((cache) => cache.synced) &&
      (this.#serviceMonitors?.synced ?? true)
    );
  }

  /** Whether the ServiceMonitor CRD is installed and established. */
  get serviceMonitorsInstalled(): boolean {
    const crd = crdConditionsSchema.safeParse(this.#serviceMonitorCrd.get(serviceMonitorCrdName));
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

  /** Every cached child in `namespace` whose controller is the MessageBroker with `ownerUid`. */
  ownedBy(namespace: string, ownerUid: string): KubernetesObject[] {
    return this.#childCaches().flatMap((cache) =>
      cache.list(namespace).filter((child) => isControlledBy(child, ownerUid)),
    );
  }

  async start(): Promise<void> {
    await Promise.all([
      this.brokers.start(),
      this.#serviceMonitorCrd.start(),
      ...this.#childCaches().map((cache) => cache.start()),
    ]);
    this.#onCrdChange();
  }

  async stop(): Promise<void> {
    await Promise.all(
      [this.brokers, this.#serviceMonitorCrd, ...this.#childCaches()].map((cache) => cache.stop()),
    );
  }

  #childCache(kindId: string): KindCache<KubernetesObject> | undefined {
    if (kindId === resourceKindId(serviceMonitorKind)) return this.#serviceMonitors;
    return this.#children.get(kindId);
  }

  #childCaches(): KindCache<KubernetesObject>[] {
    const caches = [...this.#children.values()];
    return this.#serviceMonitors ? [...caches, this.#serviceMonitors] : caches;
  }

  #cache(
    resource: ResourceKind,
    namespaces: readonly string[],
    onChange: (object: KubernetesObject) => void,
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ): KindCache<KubernetesObject> {
    const { kubeConfig, objects, log, supervision } = this.#options;
    return new KindCache({
      resource,
      namespaces,
      create: (namespace) => makeListWatch(kubeConfig, objects, resource, namespace, selectors),
      onChange,
      log,
      supervision,
    });
  }

  #ownedKindCache(resource: ResourceKind): KindCache<KubernetesObject> {
    const { namespaces, childLabelSelector, enqueue } = this.#options;
    return this.#cache(
      resource,
      namespaces,
      (child) => {
        const owner = controllingBroker(child);
        if (owner) enqueue(`${child.metadata?.namespace ?? ""}/${owner.name}`);
      },
      { labelSelector: childLabelSelector },
    );
  }

  /** Starts or stops watching ServiceMonitors as their CRD comes and goes; every broker then re-renders. */
  #onCrdChange(): void {
    const installed = this.serviceMonitorsInstalled;
    if (installed && !this.#serviceMonitors) {
      this.#serviceMonitors = this.#ownedKindCache(serviceMonitorKind);
      void this.#serviceMonitors.start().then(() => this.#enqueueAllBrokers());
    } else if (!installed && this.#serviceMonitors) {
      void this.#serviceMonitors.stop();
      this.#serviceMonitors = undefined;
    }
    this.#enqueueAllBrokers();
  }

  #enqueueAllBrokers(): void {
    for (const broker of this.brokers.list()) this.#options.enqueue(objectKey(broker));
  }
}
