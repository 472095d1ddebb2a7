export { createCassandraStore } from "./cassandra-store.ts";
export { BUCKET_SPAN } from "./buckets.ts";
export {
  CassandraStoreOptionsSchema,
  type CassandraStoreOptions,
  type CassandraStoreOptionsInput,
} from "./options.ts";
