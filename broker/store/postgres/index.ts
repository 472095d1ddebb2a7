export { createPostgresStore } from "./postgres-store.ts";
export {
  PostgresStoreOptionsSchema,
  type PostgresStoreOptions,
  type PostgresStoreOptionsInput,
} from "./options.ts";
