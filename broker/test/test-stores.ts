/**
 * The stores the broker-level suites run against: the store suite's backends
 * (broker/store/test), each in a namespace of its own for this run.
 */
import type { TestEnv } from "../../testing/test-env.ts";
import type { MessageStore } from "../store/message-store.ts";
import { type Backend, storeBackends, uniqueNamespace } from "../store/test/backends.ts";

export type StoreKind = MessageStore["kind"];
export const storeKinds: readonly StoreKind[] = ["memory", "postgres", "cassandra"];

export interface BrokerTestStores {
  readonly backend: Backend;
  readonly namespace: string;
  /** A new unopened store on the namespace; every one sees what the others wrote (memory: the same instance). */
  newStore(): MessageStore;
  drop(): Promise<void>;
}

export function brokerTestStores(env: TestEnv, kind: StoreKind, prefix: string): BrokerTestStores {
  const backend = storeBackends(env).find((candidate) => candidate.name === kind);
  if (backend === undefined) throw new Error(`no test backend named ${kind}`);
  const namespace = uniqueNamespace(prefix);
  const shared = backend.durable ? undefined : backend.create(namespace);
  return {
    backend,
    namespace,
    newStore: () => shared ?? backend.create(namespace),
    drop: () => backend.drop(namespace),
  };
}
