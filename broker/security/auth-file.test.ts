import { describe, expect, it } from "vitest";
import { tokenSha256 } from "../../contract/auth-file.ts";
import { certificateNames, parseAuthFile } from "./auth-file.ts";

const token = "s3cret";

describe("auth file", () => {
  it("reads the documented shape and finds users by token hash, SAN, JWT subject and name", () => {
    const directory = parseAuthFile(`
users:
  - name: orders-writer
    tokenSha256: "${tokenSha256(token).toUpperCase()}"
    permissions:
      publish: ["orders.>"]
      subscribe: ["orders.*"]
      fetch: ["orders.>"]
  - name: billing
    jwtSubject: system:serviceaccount:billing:app
    permissions: { consume: ["orders.>"], deny: { consume: ["orders.secret.>"] } }
  - name: client
    certificateSan: client.example
`);
    const writer = directory.byTokenSha256(tokenSha256(token));
    expect(writer?.name).toBe("orders-writer");
    expect(writer?.permissions.allows("publish", "orders.eu")).toBe(true);
    expect(writer?.permissions.allows("subscribe", "orders.eu.paid")).toBe(false);
    const billing = directory.byJwtSubject("system:serviceaccount:billing:app");
    expect(billing?.permissions.allows("consume", "orders.eu")).toBe(true);
    expect(billing?.permissions.allows("consume", "orders.secret.x")).toBe(false);
    expect(directory.byCertificateName("client.example")?.name).toBe("client");
    expect(directory.byCertificateName("client.example")?.permissions.allows("fetch", "a")).toBe(
      false,
    );
    expect(directory.byName("billing")).toBe(billing);
    expect(directory.byTokenSha256(tokenSha256("other"))).toBeUndefined();
  });

  it.each([
    ["a misspelt key", "users: [{ name: a, permisions: {} }]", /permisions/],
    [
      "an invalid pattern",
      "users: [{ name: a, permissions: { publish: ['a.>.b'] } }]",
      /last token/,
    ],
    ["a hash that is not SHA-256 hex", "users: [{ name: a, tokenSha256: abc }]", /64 hex/],
    ["two users with one name", "users: [{ name: a }, { name: a }]", /same name/],
    [
      "two users with one token",
      `users: [{ name: a, tokenSha256: "${"0".repeat(64)}" }, { name: b, tokenSha256: "${"0".repeat(64)}" }]`,
      /same tokenSha256/,
    ],
  ])("refuses %s, naming where", (_case, text, problem) => {
    expect(() => parseAuthFile(text)).toThrow(problem);
  });

  it("takes an empty file as no users", () => {
    expect(parseAuthFile("").byName("a")).toBeUndefined();
  });

  it("offers each SAN with and without its type", () => {
    expect(certificateNames("DNS:a.example, IP Address:127.0.0.1")).toEqual([
      "DNS:a.example",
      "a.example",
      "IP Address:127.0.0.1",
      "127.0.0.1",
    ]);
    expect(certificateNames(undefined)).toEqual([]);
  });
});
