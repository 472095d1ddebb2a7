import { describe, expect, it } from "vitest";
import {
  controllingUserName,
  generateToken,
  isOwnedByUser,
  renderCredentialsSecret,
  tokenFromSecret,
} from "./credentials-secret.ts";
import { userFixture } from "./test/user-fixture.ts";

const decode = (value: string | undefined) => Buffer.from(value ?? "", "base64").toString("utf8");

describe("the credentials Secret", () => {
  const user = userFixture("alice");
  const secret = renderCredentialsSecret(user, {
    token: "t0ken",
    address: "orders.shop.svc.cluster.local:50051",
    caBundle: "-----BEGIN CERTIFICATE-----\n",
  });

  it("holds the token, the broker's address and the CA", () => {
    expect(secret.metadata?.name).toBe("alice-credentials");
    expect(secret.metadata?.namespace).toBe("shop");
    expect(decode(secret.data?.token)).toBe("t0ken");
    expect(decode(secret.data?.address)).toBe("orders.shop.svc.cluster.local:50051");
    expect(decode(secret.data?.["ca.crt"])).toBe("-----BEGIN CERTIFICATE-----\n");
    expect(tokenFromSecret(secret)).toBe("t0ken");
  });

  it("has an empty CA while the broker serves no TLS", () => {
    const plain = renderCredentialsSecret(user, {
      token: "t",
      address: "a:1",
      caBundle: undefined,
    });
    expect(plain.data?.["ca.crt"]).toBe("");
  });

  it("is owned by the user, so it goes when the user goes, and carries the cached label", () => {
    expect(secret.metadata?.ownerReferences).toEqual([
      {
        apiVersion: "herald.dev/v1alpha1",
        kind: "MessageBrokerUser",
        name: "alice",
        uid: "uid-alice",
        controller: true,
      },
    ]);
    expect(secret.metadata?.labels?.["app.kubernetes.io/managed-by"]).toBe("herald-operator");
    expect(controllingUserName(secret)).toBe("alice");
    expect(isOwnedByUser(secret, user)).toBe(true);
    expect(isOwnedByUser(secret, userFixture("alice", {}, { uid: "another" }))).toBe(false);
  });

  it("gets a fresh random token of 256 bits", () => {
    const tokens = new Set(Array.from({ length: 100 }, generateToken));
    expect(tokens.size).toBe(100);
    expect([...tokens][0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
