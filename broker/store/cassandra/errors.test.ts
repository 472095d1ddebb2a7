import { errors, types } from "cassandra-driver";
import { describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../errors.ts";
import { isTransient, rethrowAsStoreError } from "./errors.ts";

const codes = types.responseErrorCodes;
const socketClosed = Object.assign(new Error("Socket was closed"), { isSocketError: true });

describe("isTransient", () => {
  it.each([
    ["no host available", new errors.NoHostAvailableError({})],
    ["client-side timeout", new errors.OperationTimedOutError("timed out")],
    ["replicas unavailable", new errors.ResponseError(codes.unavailableException, "x")],
    ["coordinator overloaded", new errors.ResponseError(codes.overloaded, "x")],
    ["write timeout", new errors.ResponseError(codes.writeTimeout, "x")],
    ["read timeout", new errors.ResponseError(codes.readTimeout, "x")],
    ["socket closed", socketClosed],
  ])("%s is transient", (_name, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    ["syntax error", new errors.ResponseError(codes.syntaxError, "x")],
    ["invalid query", new errors.ResponseError(codes.invalid, "x")],
    ["bad credentials", new errors.ResponseError(codes.badCredentials, "x")],
    ["a plain bug", new TypeError("x")],
  ])("%s is not transient", (_name, err) => {
    expect(isTransient(err)).toBe(false);
  });
});

describe("rethrowAsStoreError", () => {
  it("wraps transient errors and rethrows the rest", () => {
    expect(() => rethrowAsStoreError(socketClosed, "get")).toThrow(StoreUnavailableError);
    const bug = new errors.ResponseError(codes.invalid, "x");
    expect(() => rethrowAsStoreError(bug, "get")).toThrow(bug);
  });
});
