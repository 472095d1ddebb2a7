import { describe, expect, it } from "vitest";
import { generatePassword, passwordFromSecret } from "./credentials.ts";

describe("managed store credentials", () => {
  it("reads the password of an existing Secret", () => {
    const data = { password: Buffer.from("kept-password").toString("base64") };
    expect(passwordFromSecret({ data })).toBe("kept-password");
    expect(passwordFromSecret(undefined)).toBeUndefined();
    expect(passwordFromSecret({ data: {} })).toBeUndefined();
  });

  it("generates long, URL-safe, distinct passwords", () => {
    const [a, b] = [generatePassword(), generatePassword()];
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(a).not.toBe(b);
  });
});
