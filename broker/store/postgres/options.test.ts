import { describe, expect, it } from "vitest";
import { PostgresStoreOptionsSchema } from "./options.ts";

describe("PostgresStoreOptionsSchema", () => {
  it("fills defaults around the URL", () => {
    expect(PostgresStoreOptionsSchema.parse({ url: "postgres://h/db" })).toMatchObject({
      schema: "public",
      poolSize: 10,
      connectTimeoutMs: 2000,
      statementTimeoutMs: 5000,
    });
  });

  it.each([
    { url: "" },
    { url: "postgres://h/db", schema: "Public" },
    { url: "postgres://h/db", schema: 'x"; DROP TABLE y; --' },
    { url: "postgres://h/db", poolSize: 0 },
  ])("rejects %j", (options) => {
    expect(PostgresStoreOptionsSchema.safeParse(options).success).toBe(false);
  });
});
