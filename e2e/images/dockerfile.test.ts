import { readFile } from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { repoRoot } from "../../testing/paths.ts";
import { bundledNpmVersion, externalBaseImages, parseNodeBase } from "./dockerfile.ts";

describe("externalBaseImages", () => {
  test("lists FROM images once, without the file's own stages", () => {
    const text = [
      "FROM node:24.21.0-bookworm AS deps",
      "FROM node:24.21.0-bookworm AS build",
      "from --platform=linux/amd64 build as again",
      "FROM node:24.21.0-bookworm-slim",
    ].join("\n");
    expect(externalBaseImages(text)).toEqual([
      "node:24.21.0-bookworm",
      "node:24.21.0-bookworm-slim",
    ]);
  });

  test.each(["broker", "operator"])(
    "Dockerfile.%s builds on the full and slim Node images",
    async (program) => {
      const text = await readFile(`${repoRoot}/Dockerfile.${program}`, "utf8");
      expect(externalBaseImages(text).map((tag) => parseNodeBase(tag).flavor)).toEqual([
        "full",
        "slim",
      ]);
    },
  );
});

describe("parseNodeBase", () => {
  test("reads version, Debian release and flavour", () => {
    expect(parseNodeBase("node:24.21.0-bookworm")).toEqual({
      tag: "node:24.21.0-bookworm",
      nodeVersion: "24.21.0",
      suite: "bookworm",
      flavor: "full",
    });
    expect(parseNodeBase("node:24.21.0-bookworm-slim").flavor).toBe("slim");
  });

  test.each(["node:24-bookworm", "node:24.21.0-alpine3.20", "debian:bookworm", "node:24.21.0"])(
    "refuses %s",
    (tag) => expect(() => parseNodeBase(tag)).toThrow(tag),
  );
});

test("bundledNpmVersion takes the newest npm upgrade of a Node changelog", () => {
  const changelog = [
    "## 2026-11-01, Version 24.21.0",
    "* [`c4e02f0fbc`] - **deps**: upgrade npm to 11.19.0 (npm team)",
    "## 2026-10-01, Version 24.20.0",
    "* [`7ac97fc84e`] - **deps**: upgrade npm to 11.18.0 (npm team)",
  ].join("\n");
  expect(bundledNpmVersion(changelog)).toBe("11.19.0");
  expect(bundledNpmVersion("no npm here")).toBeUndefined();
});
