import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { GatewayRefusalError, InvalidArgumentError } from "../errors.ts";
import { callMetadata, matchRoute, parseId, parseStart, parseTtl } from "./requests.ts";

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe("gateway requests", () => {
  it("routes the four paths with their methods and decodes the subject", () => {
    expect(matchRoute("POST", "/v1/subjects/orders.%3E/messages")).toEqual({
      kind: "publish",
      subject: "orders.>",
    });
    expect(matchRoute("GET", "/v1/subjects/a%2Fb/messages/12")).toEqual({
      kind: "fetch",
      subject: "a/b",
      id: "12",
    });
    expect(matchRoute("GET", "/v1/subjects/x/events")).toEqual({ kind: "events", subject: "x" });
    expect(matchRoute("GET", "/v1/ws")).toEqual({ kind: "ws" });
  });

  it("routes the console's read-only JSON and its files, and nothing outside its assets", () => {
    for (const kind of ["cluster", "subjects", "groups"]) {
      expect(matchRoute("GET", `/v1/${kind}`)).toEqual({ kind });
      expect(() => matchRoute("POST", `/v1/${kind}`)).toThrow(/POST is not allowed/);
    }
    expect(matchRoute("GET", "/")).toEqual({ kind: "console", file: "index.html" });
    expect(matchRoute("GET", "/index.html")).toEqual({ kind: "console", file: "index.html" });
    expect(matchRoute("GET", "/assets/app-X1.js")).toEqual({
      kind: "console",
      file: "assets/app-X1.js",
    });
    for (const path of [
      "/assets/../index.html",
      "/assets/a/b.js",
      "/assets/%2e%2e",
      "/src/main.ts",
    ])
      expect(() => matchRoute("GET", path)).toThrow(/no route/);
  });

  it("refuses unknown routes (404), other methods (405) and bad percent-encoding (400)", () => {
    expect(() => matchRoute("GET", "/v1/subjects/x")).toThrow(GatewayRefusalError);
    expect(() => matchRoute("PUT", "/v1/subjects/x/messages")).toThrow(/PUT is not allowed/);
    expect(() => matchRoute("POST", "/v1/subjects/%E0%A4%A/messages")).toThrow(
      InvalidArgumentError,
    );
  });

  it("parses ids, ttl and the start of an event stream within int32", () => {
    expect(parseId("5")).toBe(5);
    for (const bad of ["0", "-1", "1.5", "abc", "2147483648", ""]) {
      expect(() => parseId(bad)).toThrow(InvalidArgumentError);
    }
    expect(parseTtl(new URLSearchParams(""))).toBe(0);
    expect(parseTtl(new URLSearchParams("ttl=60"))).toBe(60);
    expect(() => parseTtl(new URLSearchParams("ttl=-1"))).toThrow(/ttl/);
    expect(parseStart(request({}), new URLSearchParams("from=4"), false)).toBe(4);
    expect(
      parseStart(request({ "last-event-id": "9" }), new URLSearchParams("from=4"), false),
    ).toBe(10);
    expect(parseStart(request({ "last-event-id": "orders#9" }), new URLSearchParams(), true)).toBe(
      0,
    );
    expect(() =>
      parseStart(request({ "last-event-id": "x" }), new URLSearchParams(), false),
    ).toThrow(/Last-Event-ID/);
  });

  it("carries the bearer token (header or access_token) and nothing that marks a forward", () => {
    const headers = { authorization: "Bearer a", "x-herald-forwarded-epoch": "9" };
    const fromHeader = callMetadata(request(headers), new URLSearchParams("access_token=b"));
    expect(fromHeader.getMap()).toEqual({ authorization: "Bearer a" });
    const fromQuery = callMetadata(request({}), new URLSearchParams("access_token=b"));
    expect(fromQuery.getMap()).toEqual({ authorization: "Bearer b" });
  });
});
