import { z } from "zod";

export const CassandraStoreOptionsSchema = z.object({
  /** Hosts (optionally host:port) to discover the cluster from. */
  contactPoints: z.array(z.string().min(1)).min(1),
  /** Native-protocol port of every node. */
  port: z.number().int().min(1).max(65_535).default(9042),
  localDataCenter: z.string().min(1),
  /** Lowercase so that CQL never needs to quote it. */
  keyspace: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,47}$/, "expected a lowercase CQL identifier of at most 48 characters")
    .default("herald"),
  /** Never logged. */
  credentials: z.object({ username: z.string().min(1), password: z.string() }).optional(),
  /**
   * Create the keyspace and tables when missing. Off for an external,
   * pre-provisioned keyspace the broker may not alter.
   */
  manageSchema: z.boolean().default(true),
  /**
   * SimpleStrategy replication factor used when this store creates the
   * keyspace. Production clusters should pre-create it with
   * NetworkTopologyStrategy ({'class': 'NetworkTopologyStrategy', '<dc>': 3})
   * and run with manageSchema off or on (existing keyspaces are left as they are).
   */
  replicationFactor: z.number().int().positive().default(1),
  /** Per-request bound; past it the request fails as unavailable. */
  requestTimeoutMs: z.number().int().positive().default(5000),
  connectTimeoutMs: z.number().int().positive().default(2000),
  /** Reconnection to a lost node backs off exponentially between these bounds. */
  reconnectBaseDelayMs: z.number().int().positive().default(250),
  reconnectMaxDelayMs: z.number().int().positive().default(5000),
});

export type CassandraStoreOptions = z.infer<typeof CassandraStoreOptionsSchema>;
export type CassandraStoreOptionsInput = z.input<typeof CassandraStoreOptionsSchema>;
