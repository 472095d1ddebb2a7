import type { TestEnv } from "../env-file.ts";
import type { Part } from "../part.ts";

// Placeholder until the etcd part lands.
export const etcdPart: Part<TestEnv["etcd"]> = {
  name: "etcd",
  up: () => Promise.reject(new Error("etcd: not implemented yet")),
  down: () => Promise.resolve(),
};
