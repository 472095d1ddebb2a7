import { describe, expect, it } from "vitest";
import { renderAuthFile, tokenSha256 } from "../../contract/auth-file.ts";
import { authFileFor, type UserCredentials } from "./auth-file.ts";
import { userFixture } from "./test/user-fixture.ts";

const none = { publish: [], subscribe: [], fetch: [], consume: [] };

const tokenUser = (name: string, permissions = {}): UserCredentials => ({
  user: userFixture(name, { permissions }),
  identity: { tokenSha256: tokenSha256(`token-${name}`), secretName: `${name}-credentials` },
});

const accountUser = (name: string, serviceAccount: string): UserCredentials => ({
  user: userFixture(name, { serviceAccount }),
  identity: { jwtSubject: `system:serviceaccount:shop:${serviceAccount}` },
});

describe("authFileFor", () => {
  it("lists token and ServiceAccount users by name, each with its permissions", () => {
    const { authFile, verdicts } = authFileFor([
      tokenUser("carol", { publish: ["orders.>"] }),
      accountUser("alice", "billing"),
    ]);
    expect(authFile.users).toEqual([
      {
        name: "alice",
        jwtSubject: "system:serviceaccount:shop:billing",
        permissions: { ...none, deny: none },
      },
      {
        name: "carol",
        tokenSha256: tokenSha256("token-carol"),
        permissions: { ...none, publish: ["orders.>"], deny: none },
      },
    ]);
    expect(verdicts.map(({ user, verdict }) => [user.metadata.name, verdict.ready])).toEqual([
      ["alice", true],
      ["carol", true],
    ]);
    expect(verdicts[1]?.verdict).toMatchObject({ secretName: "carol-credentials" });
    // The broker's own check passes: renderAuthFile validates before it writes.
    expect(renderAuthFile(authFile)).toContain("name: alice");
  });

  it("is the same file whatever order the users come in", () => {
    const users = [tokenUser("b"), tokenUser("a"), accountUser("c", "sa")];
    expect(authFileFor(users).authFile).toEqual(authFileFor([...users].reverse()).authFile);
  });

  it("leaves out a user whose patterns the broker would refuse, saying why", () => {
    const bad = tokenUser("bad");
    bad.user.spec.permissions.publish = ["orders.>.eu"];
    const { authFile, verdicts } = authFileFor([bad, tokenUser("good")]);
    expect(authFile.users?.map((user) => user.name)).toEqual(["good"]);
    expect(verdicts[0]?.verdict).toEqual({
      ready: false,
      reason: "InvalidPermissions",
      message: 'permissions.publish.0: pattern "orders.>.eu": ">" may only be the last token',
    });
  });

  it("accepts a ServiceAccount once: the later user by name is refused", () => {
    const { authFile, verdicts } = authFileFor([
      accountUser("zed", "billing"),
      accountUser("amy", "billing"),
    ]);
    expect(authFile.users?.map((user) => user.name)).toEqual(["amy"]);
    expect(verdicts[1]?.verdict).toMatchObject({
      ready: false,
      reason: "DuplicateServiceAccount",
    });
    expect(() => renderAuthFile(authFile)).not.toThrow();
  });

  it("passes on what kept a user's credentials from being in place", () => {
    const problem = { reason: "SecretConflict", message: "Secret x exists" };
    const { authFile, verdicts } = authFileFor([{ user: userFixture("x"), problem }]);
    expect(authFile.users).toEqual([]);
    expect(verdicts[0]?.verdict).toEqual({ ready: false, ...problem });
  });
});
