import pg from "pg";
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../errors.ts";
import { isTransient, rethrowAsStoreError } from "./errors.ts";

function databaseError(code: string): pg.DatabaseError {
  const err = new pg.DatabaseError("server said no", 0, "error");
  err.code = code;
  return err;
}

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe("isTransient", () => {
  it.each([
    ["connection refused", withCode("ECONNREFUSED")],
    ["connection reset", withCode("ECONNRESET")],
    ["lost connection", new Error("Connection terminated unexpectedly")],
    ["pool exhausted", new Error("timeout exceeded when trying to connect")],
    ["client-side query timeout", new Error("Query read timeout")],
    ["statement_timeout", databaseError("57014")],
    ["server shutting down", databaseError("57P01")],
    ["too many connections", databaseError("53300")],
    ["connection failure", databaseError("08006")],
    ["deadlock", databaseError("40P01")],
  ])("%s is transient", (_name, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    ["unique violation", databaseError("23505")],
    ["syntax error", databaseError("42601")],
    ["undefined table", databaseError("42P01")],
    ["bad password", databaseError("28P01")],
    ["a plain bug", new TypeError("x is undefined")],
    ["not an error", "ECONNREFUSED"],
  ])("%s is not transient", (_name, err) => {
    expect(isTransient(err)).toBe(false);
  });
});

describe("rethrowAsStoreError", () => {
  it("wraps transient errors, keeping the cause", () => {
    const cause = withCode("ECONNREFUSED");
    let thrown: unknown;
    try {
      rethrowAsStoreError(cause, "append");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StoreUnavailableError);
    expect((thrown as Error).cause).toBe(cause);
  });

  it("rethrows other errors unchanged", () => {
    const bug = databaseError("23505");
    expect(() => rethrowAsStoreError(bug, "append")).toThrow(bug);
  });
});
