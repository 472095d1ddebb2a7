import { describe, expect, it } from "vitest";
import {
  MembershipFormatError,
  parseMembershipConfigMap,
  parseStaticMembers,
} from "./membership.ts";

const members = [
  { name: "orders-0", address: "orders-0.orders-headless.ns.svc:50051" },
  { name: "orders-1", address: "orders-1.orders-headless.ns.svc:50051" },
];

describe("parseMembershipConfigMap", () => {
  it("reads membership.json as the operator writes it", () => {
    expect(
      parseMembershipConfigMap({ "membership.json": JSON.stringify({ epoch: 3, members }) }),
    ).toEqual({
      epoch: 3,
      members,
    });
  });

  it.each([
    ["no key", {}],
    ["not JSON", { "membership.json": "{" }],
    ["a negative epoch", { "membership.json": JSON.stringify({ epoch: -1, members }) }],
    [
      "a member without address",
      { "membership.json": JSON.stringify({ epoch: 1, members: [{ name: "a" }] }) },
    ],
  ])("refuses %s with a MembershipFormatError", (_, data) => {
    expect(() => parseMembershipConfigMap(data)).toThrow(MembershipFormatError);
  });
});

describe("parseStaticMembers", () => {
  it("takes the membership JSON, a member array, or name=host:port pairs", () => {
    expect(parseStaticMembers(JSON.stringify({ epoch: 7, members }))).toEqual({
      epoch: 7,
      members,
    });
    expect(parseStaticMembers(JSON.stringify(members))).toEqual({ epoch: 1, members });
    expect(parseStaticMembers("a=127.0.0.1:7001, b=[::1]:7002")).toEqual({
      epoch: 1,
      members: [
        { name: "a", address: "127.0.0.1:7001" },
        { name: "b", address: "[::1]:7002" },
      ],
    });
  });

  it.each(["a", "a=host", "[{", ",", '{"epoch":1}'])("refuses %j", (text) => {
    expect(() => parseStaticMembers(text)).toThrow(MembershipFormatError);
  });
});
