import { describe, expect, it } from "vitest";
import { importedDigests, staleRefs } from "./images.ts";

const digest = (c: string) => `sha256:${c.repeat(64)}`;

describe("the node's image store", () => {
  const importOutput = [
    `unpacking registry.k8s.io/pause:3.10 (${digest("a")})...done`,
    `unpacking docker.io/library/herald-broker:e2e (${digest("b")})...done`,
  ].join("\n");

  it("reads the digests ctr images import unpacked", () => {
    expect(importedDigests(importOutput)).toEqual(new Set([digest("a"), digest("b")]));
    expect(importedDigests("ctr: no such file")).toEqual(new Set());
  });

  it("names every reference to an image not just imported, the CRI's by image ID too", () => {
    const listing = [
      "REF                                 TYPE                                                 DIGEST   SIZE      PLATFORMS   LABELS",
      `docker.io/library/herald-broker:e2e application/vnd.docker.distribution.manifest.v2+json ${digest("b")} 340.0 MiB linux/amd64 io.cri-containerd.image=managed`,
      `registry.k8s.io/pause:3.10 application/vnd.docker.distribution.manifest.v2+json ${digest("a")} 1.1 MiB linux/amd64 io.cri-containerd.image=managed`,
      `sha256:${"c".repeat(64)} application/vnd.docker.distribution.manifest.v2+json ${digest("b")} 340.0 MiB linux/amd64 io.cri-containerd.image=managed`,
      `sha256:${"d".repeat(64)} application/vnd.docker.distribution.manifest.v2+json ${digest("e")} 339.0 MiB linux/amd64 io.cri-containerd.image=managed`,
      `docker.io/library/herald-old:e2e application/vnd.docker.distribution.manifest.v2+json ${digest("e")} 339.0 MiB linux/amd64 -`,
      "",
    ].join("\n");
    expect(staleRefs(listing, importedDigests(importOutput))).toEqual([
      `sha256:${"d".repeat(64)}`,
      "docker.io/library/herald-old:e2e",
    ]);
  });
});
