import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "vitest";
import { missingTools } from "./prerequisites.ts";

test("each missing tool is one line naming it and how to install it", async () => {
  // A PATH with a shell, docker and helm only.
  const bin = await mkdtemp(join(tmpdir(), "herald-kind-path-"));
  const path = process.env.PATH;
  try {
    await symlink("/bin/sh", join(bin, "sh"));
    for (const tool of ["docker", "helm"]) await symlink("/bin/true", join(bin, tool));
    process.env.PATH = bin;
    const lines = await missingTools();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(
      /^make e2e-kind: kind is not on PATH — go install sigs\.k8s\.io\/kind@/,
    );
    expect(lines[1]).toMatch(/^make e2e-kind: kubectl is not on PATH — install kubectl/);
  } finally {
    process.env.PATH = path;
    await rm(bin, { recursive: true });
  }
});
