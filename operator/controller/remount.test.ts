import { expect, test } from "vitest";
import { mountedRevision } from "./remount.ts";

const names = { auth: "b-auth", tls: "b-tls", jwks: "b-jwks" };
const child = (name: string, hash: string) => ({
  metadata: { name, annotations: { "herald.dev/applied-hash": hash } },
});

test("only the children the brokers read live from volumes make a revision", () => {
  expect(mountedRevision([child("b-config", "1"), child("b", "2")], names)).toBeUndefined();
  expect(mountedRevision([], names)).toBeUndefined();
});

test("the revision is the applied hashes of the changed live children", () => {
  expect(
    mountedRevision([child("b-auth", "a1"), child("b-config", "c"), child("b-tls", "t1")], names),
  ).toBe("a1.t1");
  expect(mountedRevision([child("b-jwks", "j")], names)).toBe("j");
});
