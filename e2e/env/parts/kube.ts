import type { TestEnv } from "../env-file.ts";
import type { Part } from "../part.ts";

// Placeholder until the kube part lands.
export const kubePart = (_etcd: Pick<TestEnv["etcd"], "url">): Part<TestEnv["kube"]> => ({
  name: "kube",
  up: () => Promise.reject(new Error("kube: not implemented yet")),
  down: () => Promise.resolve(),
});
