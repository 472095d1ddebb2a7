import { describe, expect, test } from "vitest";
import { buildArgs, importArgs, runArgs } from "./docker-args.ts";

describe("docker arguments", () => {
  test("every build uses the host network", () => {
    expect(
      buildArgs({
        dockerfile: "/repo/Dockerfile.broker",
        tag: "herald-broker:0.1.0",
        context: "/repo",
        buildArgs: { VERSION: "0.1.0" },
      }),
    ).toEqual([
      "build",
      "--network",
      "host",
      "--file",
      "/repo/Dockerfile.broker",
      "--tag",
      "herald-broker:0.1.0",
      "--build-arg",
      "VERSION=0.1.0",
      "/repo",
    ]);
  });

  test("an import sets the environment and a default command", () => {
    expect(importArgs("/c/rootfs.tar", "node:24.21.0-bookworm-slim", { PATH: "/usr/bin" })).toEqual(
      [
        "import",
        "--change",
        "ENV PATH=/usr/bin",
        "--change",
        'CMD ["node"]',
        "/c/rootfs.tar",
        "node:24.21.0-bookworm-slim",
      ],
    );
  });

  test("a container runs hardened on the host network", () => {
    const args = runArgs({
      name: "b",
      image: "herald-broker:0.1.0",
      env: { HERALD_STORE: "memory" },
      readOnlyMounts: { "/host/kubeconfig": "/etc/herald/kubeconfig" },
    });
    const flags = args.join(" ");
    expect(flags).toContain("--network host");
    expect(flags).toContain("--read-only --tmpfs /tmp --user 10001:10001");
    expect(flags).toContain("--cap-drop ALL --security-opt no-new-privileges");
    expect(flags).toContain("--env HERALD_STORE=memory");
    expect(flags).toContain("--volume /host/kubeconfig:/etc/herald/kubeconfig:ro");
    expect(args.at(-1)).toBe("herald-broker:0.1.0");
  });

  test("an entrypoint override puts its arguments after the image", () => {
    const args = runArgs({ name: "c", image: "i", entrypoint: ["node", "-e", "1"] });
    expect(args.slice(-5)).toEqual(["--entrypoint", "node", "i", "-e", "1"]);
  });
});
