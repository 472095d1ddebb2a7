import { z } from "zod";
import { contactPointPattern } from "../../../contract/broker-env.ts";
import { celRules } from "./cel.ts";
import { credentialsSecretSchema, objectName, quantity, resourceRequirements } from "./fields.ts";

export const storageTypes = ["memory", "postgres", "cassandra"] as const;

const exactlyOneMode = (block: string) =>
  celRules({
    rule: "has(self.managed) != has(self.external)",
    message: `${block}: set exactly one of managed or external`,
  });

const managedPostgresSchema = z
  .object({
    storage: quantity("Size of the PostgreSQL data volume.").default("10Gi"),
    storageClassName: objectName(
      "StorageClass of the data volume; the cluster default when unset.",
    ).optional(),
    version: z
      .string()
      .regex(/^[0-9]+(\.[0-9]+)?$/)
      .max(16)
      .default("17")
      .describe(
        "PostgreSQL major (or major.minor) version: the tag of the operator's PostgreSQL image.",
      ),
    resources: resourceRequirements("Compute resources of the PostgreSQL container.").optional(),
  })
  .describe(
    "A single-instance PostgreSQL that the operator runs next to the brokers, with generated credentials.",
  );

const externalPostgresSchema = z
  .object({
    url: z
      .string()
      .max(2048)
      .regex(/^postgres(ql)?:\/\//)
      .optional()
      .describe(
        "Connection URL without credentials, e.g. postgres://db.example:5432/herald?sslmode=require. Set url or host.",
      ),
    host: z.string().min(1).max(253).optional().describe("Server host name. Set url or host."),
    port: z
      .int32()
      .min(1)
      .max(65535)
      .optional()
      .describe("Server port, with host; 5432 when unset."),
    database: z
      .string()
      .min(1)
      .max(63)
      .optional()
      .describe("Database name, with host; herald when unset."),
    credentialsSecret: credentialsSecretSchema,
  })
  .meta(
    celRules(
      {
        rule: "has(self.url) != has(self.host)",
        message: "storage.postgres.external: set exactly one of url or host",
      },
      {
        rule: "!has(self.url) || (!has(self.port) && !has(self.database))",
        message:
          "storage.postgres.external: port and database come from url; set them only with host",
      },
      {
        rule: "!has(self.url) || !self.url.matches('^[a-z]+://[^/]*@')",
        message:
          "storage.postgres.external.url must not contain credentials; put them in credentialsSecret",
      },
    ),
  )
  .describe("A PostgreSQL server the brokers connect to; the operator does not manage it.");

const postgresSchema = z
  .object({
    managed: managedPostgresSchema.optional(),
    external: externalPostgresSchema.optional(),
  })
  .meta(exactlyOneMode("storage.postgres"))
  .describe("PostgreSQL settings, for storage.type postgres: exactly one of managed or external.");

const keyspacePattern = /^[a-zA-Z][a-zA-Z0-9_]{0,47}$/;

const managedCassandraSchema = z
  .object({
    replicas: z
      .int32()
      .min(1)
      .max(99)
      .default(1)
      .describe(
        "Number of Cassandra nodes. The brokers create their keyspace with min(replicas, 3) copies; a ring grown later keeps the keyspace's first replication.",
      ),
    storage: quantity("Size of each node's data volume.").default("10Gi"),
    storageClassName: objectName(
      "StorageClass of the data volumes; the cluster default when unset.",
    ).optional(),
    version: z
      .string()
      .regex(/^[0-9]+\.[0-9]+(\.[0-9]+)?$/)
      .max(16)
      .default("5.0")
      .describe("Cassandra version: the tag of the operator's Cassandra image."),
    resources: resourceRequirements(
      "Compute resources of each Cassandra container; its heap follows the memory limit (else the request).",
    ).optional(),
  })
  .describe(
    "A Cassandra ring that the operator runs next to the brokers (data center dc1, keyspace herald).",
  );

const externalCassandraSchema = z
  .object({
    contactPoints: z
      .array(
        z
          .string()
          .min(1)
          .max(260)
          .regex(contactPointPattern)
          .describe("A host or host:port (port 1 to 65535), as the brokers accept it."),
      )
      .min(1)
      .max(16)
      .describe("Hosts (host or host:port) the driver first contacts."),
    localDataCenter: z.string().min(1).max(128).describe("Data center the driver treats as local."),
    keyspace: z
      .string()
      .max(48)
      .regex(keyspacePattern)
      .default("herald")
      .describe("Keyspace holding the broker's tables; created when missing."),
    credentialsSecret: credentialsSecretSchema.optional(),
  })
  .describe("A Cassandra cluster the brokers connect to; the operator does not manage it.");

const cassandraSchema = z
  .object({
    managed: managedCassandraSchema.optional(),
    external: externalCassandraSchema.optional(),
  })
  .meta(exactlyOneMode("storage.cassandra"))
  .describe("Cassandra settings, for storage.type cassandra: exactly one of managed or external.");

const batchSchema = z
  .object({
    maxSize: z
      .int32()
      .min(1)
      .max(100_000)
      .default(1000)
      .describe("Most messages written in one store round trip."),
    maxDelayMs: z
      .int32()
      .min(0)
      .max(10_000)
      .default(5)
      .describe(
        "Longest a message waits for its batch while a write is in flight, in milliseconds.",
      ),
  })
  .describe("Group commit: while one write is in flight, publishes collect into the next batch.");

/** Each persistent type needs its block, and only its block. */
const blockMatchesType = (type: "postgres" | "cassandra") =>
  [
    {
      rule: `self.type != '${type}' || has(self.${type})`,
      message: `storage.${type} is required when storage.type is ${type}`,
    },
    {
      rule: `!has(self.${type}) || self.type == '${type}'`,
      message: `storage.${type} is set but storage.type is not ${type}`,
    },
  ] as const;

export const storageSchema = z
  .object({
    type: z
      .enum(storageTypes)
      .default("memory")
      .meta(
        celRules({
          rule: "self == oldSelf",
          message: "storage.type is immutable: create a new MessageBroker to change the store",
        }),
      )
      .describe(
        "Message store: memory (one pod, lost on restart), postgres or cassandra. Immutable.",
      ),
    postgres: postgresSchema.optional(),
    cassandra: cassandraSchema.optional(),
    batch: batchSchema.prefault({}),
  })
  .meta(celRules(...blockMatchesType("postgres"), ...blockMatchesType("cassandra")))
  .describe("Where messages are kept, and how writes are batched.");

export type Storage = z.infer<typeof storageSchema>;
export type StorageType = Storage["type"];
export type PostgresStorage = NonNullable<Storage["postgres"]>;
export type CassandraStorage = NonNullable<Storage["cassandra"]>;
