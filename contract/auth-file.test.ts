import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { authFileSchema, renderAuthFile, tokenSha256 } from "./auth-file.ts";

describe("auth file", () => {
  it("renders a file that reads back as the same users", () => {
    const file = {
      users: [
        {
          name: "orders-writer",
          tokenSha256: tokenSha256("secret"),
          permissions: { publish: ["orders.>"], deny: { publish: ["orders.audit"] } },
        },
        { name: "worker", jwtSubject: "system:serviceaccount:shop:worker" },
      ],
    };
    const text = renderAuthFile(file);
    expect(authFileSchema.parse(parse(text))).toEqual(authFileSchema.parse(file));
  });

  it("refuses to render what a broker would refuse", () => {
    expect(() =>
      renderAuthFile({ users: [{ name: "a", permissions: { publish: ["a.>.b"] } }] }),
    ).toThrow();
    expect(() => renderAuthFile({ users: [{ name: "a" }, { name: "a" }] })).toThrow(/same name/);
  });
});
