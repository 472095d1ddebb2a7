import { describe, expect, it } from "vitest";
import { serviceAccountIssuerReader, type ServiceAccountIssuer } from "./service-account-issuer.ts";

describe("serviceAccountIssuerReader", () => {
  const issuer = (n: number): ServiceAccountIssuer => ({ issuer: "https://k", jwks: `{"n":${n}}` });

  it("fetches once per period, sharing one fetch between concurrent callers", async () => {
    let clock = 0;
    let fetches = 0;
    const read = serviceAccountIssuerReader(
      () => Promise.resolve(issuer(++fetches)),
      1000,
      () => clock,
    );
    expect(await Promise.all([read(), read()])).toEqual([issuer(1), issuer(1)]);
    clock = 999;
    expect(await read()).toEqual(issuer(1));
    clock = 1000;
    expect(await read()).toEqual(issuer(2));
    expect(fetches).toBe(2);
  });

  it("keeps the last good answer through a failed refresh, and fails with none", async () => {
    let clock = 0;
    let failing = true;
    const read = serviceAccountIssuerReader(
      () => (failing ? Promise.reject(new Error("down")) : Promise.resolve(issuer(1))),
      1000,
      () => clock,
    );
    await expect(read()).rejects.toThrow("down");
    failing = false;
    expect(await read()).toEqual(issuer(1));
    failing = true;
    clock = 5000;
    expect(await read()).toEqual(issuer(1));
  });
});
