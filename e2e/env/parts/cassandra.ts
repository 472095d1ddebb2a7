import type { TestEnv } from "../env-file.ts";
import type { Part } from "../part.ts";

// Placeholder until the cassandra part lands.
export const cassandraPart: Part<TestEnv["cassandra"]> = {
  name: "cassandra",
  up: () => Promise.reject(new Error("cassandra: not implemented yet")),
  down: () => Promise.resolve(),
};
