import type { CassandraStorage, PostgresStorage, Storage } from "../api/v1alpha1/index.ts";

type Mode<Block extends { managed?: unknown; external?: unknown }> =
  { managed: NonNullable<Block["managed"]> } | { external: NonNullable<Block["external"]> };

/** The store a MessageBroker uses, as one tagged value instead of a type plus optional blocks. */
export type ResolvedStore =
  | { type: "memory" }
  | ({ type: "postgres" } & Mode<PostgresStorage>)
  | ({ type: "cassandra" } & Mode<CassandraStorage>);

/**
 * The CRD's CEL rules guarantee exactly one block that matches the type; this throws if an
 * object slipped past them (for example, one written before the CRD carried the rules).
 */
export function resolveStore(storage: Storage): ResolvedStore {
  if (storage.type === "memory") return { type: "memory" };
  if (storage.type === "postgres") {
    const mode = exactlyOneMode(storage.postgres);
    if (mode) return { type: "postgres", ...mode };
  } else {
    const mode = exactlyOneMode(storage.cassandra);
    if (mode) return { type: "cassandra", ...mode };
  }
  throw new Error(`storage.${storage.type} needs exactly one of managed or external`);
}

function exactlyOneMode<M, E>(block: { managed?: M; external?: E } | undefined) {
  if (block?.managed && !block.external) return { managed: block.managed };
  if (block?.external && !block.managed) return { external: block.external };
  return undefined;
}

export function managedPostgres(storage: Storage) {
  const store = resolveStore(storage);
  if (store.type === "postgres" && "managed" in store) return store.managed;
  throw new Error("storage is not a managed PostgreSQL");
}

export function managedCassandra(storage: Storage) {
  const store = resolveStore(storage);
  if (store.type === "cassandra" && "managed" in store) return store.managed;
  throw new Error("storage is not a managed Cassandra");
}
