/**
 * The stores the broker-level suites run against, built from the test
 * environment. Every store kind lives in one namespace (schema / keyspace) per
 * suite; tests isolate themselves with unique subjects.
 */
import type { TestEnv } from "../../e2e/env/env-file.ts";
import { createCassandraStore } from "../store/cassandra/index.ts";
import { MemoryStore } from "../store/memory/memory-store.ts";
import type { MessageStore } from "../store/message-store.ts";
import { createPostgresStore } from "../store/postgres/index.ts";

export type StoreKind = MessageStore["kind"];
export const storeKinds: readonly StoreKind[] = ["memory", "postgres", "cassandra"];

/** A factory of unopened stores that share data: a second store sees what the first wrote. */
export function storeFactory(kind: StoreKind, env: TestEnv, namespace: string): () => MessageStore {
  switch (kind) {
    case "memory": {
      const shared = new MemoryStore({ maxMessagesPerSubject: 100_000 });
      return () => shared;
    }
    case "postgres":
      return () => createPostgresStore({ url: env.postgres.url, schema: namespace });
    case "cassandra":
      return () =>
        createCassandraStore({
          contactPoints: [env.cassandra.contactPoint],
          port: env.cassandra.port,
          localDataCenter: env.cassandra.localDataCenter,
          keyspace: namespace,
        });
  }
}
