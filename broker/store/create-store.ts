/**
 * Builds the configured MessageStore. The PostgreSQL and Cassandra modules
 * are imported only when selected, so a memory broker never loads their
 * drivers.
 */
import type { StoreConfig } from "../config.ts";
import type { Logger } from "../../lib/process/logger.ts";
import { MemoryStore } from "./memory/memory-store.ts";
import type { MessageStore } from "./message-store.ts";

export async function createStore(config: StoreConfig, logger: Logger): Promise<MessageStore> {
  switch (config.kind) {
    case "memory":
      return new MemoryStore({ maxMessagesPerSubject: config.maxMessagesPerSubject });
    case "postgres": {
      const { createPostgresStore } = await import("./postgres/index.ts");
      return createPostgresStore({ url: config.url, schema: config.schema }, logger);
    }
    case "cassandra": {
      const { createCassandraStore } = await import("./cassandra/index.ts");
      const { username, password } = config;
      return createCassandraStore(
        {
          contactPoints: [...config.contactPoints],
          localDataCenter: config.localDataCenter,
          keyspace: config.keyspace,
          replicationFactor: config.replicationFactor,
          credentials: username === undefined ? undefined : { username, password: password ?? "" },
        },
        logger,
      );
    }
  }
}
