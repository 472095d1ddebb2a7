import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { committedGenDir, generate } from "./generate.ts";

// protoc stamps its own version into the header; another protoc release with
// the same output must not count as drift.
const withoutProtocVersion = (text: string) => text.replace(/^\/\/ {3}protoc {2,}v.*$/m, "");

describe("broker/api/gen", () => {
  const freshDir = mkdtempSync(join(tmpdir(), "herald-gen-"));
  afterAll(() => rmSync(freshDir, { recursive: true, force: true }));

  it("matches what broker.proto generates (run `npm run proto:generate` after editing the proto)", () => {
    generate(freshDir);
    const fresh = readdirSync(freshDir).sort();
    expect(readdirSync(committedGenDir).sort()).toEqual(fresh);
    for (const name of fresh) {
      const committed = readFileSync(join(committedGenDir, name), "utf8");
      const regenerated = readFileSync(join(freshDir, name), "utf8");
      expect(withoutProtocVersion(committed), name).toBe(withoutProtocVersion(regenerated));
    }
  });
});
