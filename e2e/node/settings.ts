/**
 * What `make e2e-node` and the node provider agree on: the images loaded into the node and
 * where the chart installs the operator (the kind lane's release and tag, so the scenarios
 * find the operator the same way).
 */
import { CASSANDRA_VERSION } from "../env/parts/cassandra.ts";
import { imageRepositories } from "../images/build.ts";
import { imageTag, operatorRelease, operatorSelector } from "../kind/settings.ts";

export { imageTag, operatorRelease, operatorSelector };

/** Debian bookworm's PostgreSQL major; the tag is what a MessageBroker's managed version names. */
export const postgresImage = { repository: "herald-postgres", tag: "15" } as const;

/** The test environment's Cassandra (its Maven jars); the tag is a managed version too. */
export const cassandraImage = { repository: "herald-cassandra", tag: CASSANDRA_VERSION } as const;

export const nodeImages = [
  `${imageRepositories.broker}:${imageTag}`,
  `${imageRepositories.operator}:${imageTag}`,
  `${postgresImage.repository}:${postgresImage.tag}`,
  `${cassandraImage.repository}:${cassandraImage.tag}`,
] as const;

/** HERALD_NODE_KEEP=1 leaves the node lane's cluster running afterwards. */
export const keepCluster = (env: NodeJS.ProcessEnv = process.env): boolean =>
  env.HERALD_NODE_KEEP === "1";
