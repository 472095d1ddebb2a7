import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { podHostname, sandboxCommand } from "./sandbox.ts";

const run = promisify(execFile);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "sandbox-test-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Mount namespaces need root, as the kubelet does.
describe.skipIf(process.getuid?.() !== 0)("sandboxCommand", () => {
  test("mounts each source at its target for the process only, read-only where asked", async () => {
    const scratch = join(dir, "scratch");
    const secrets = join(dir, "secrets");
    const target = join(dir, "target");
    await Promise.all([mkdir(scratch), mkdir(secrets), mkdir(target)]);
    await writeFile(join(secrets, "token"), "t0ken");
    // The first mount covers the parent of the second source: it must still be found.
    const { file, args } = sandboxCommand({
      hostname: "orders-0",
      mounts: [
        { source: scratch, target: dir, readOnly: false },
        { source: secrets, target: join(dir, "target"), readOnly: true },
      ],
      argv: [
        "sh",
        "-c",
        'hostname; ls "$1"; cat "$1/target/token"; echo; touch "$1/target/x" 2>/dev/null || echo read-only',
        "sh",
        dir,
      ],
    });
    await mkdir(join(scratch, "target"));
    const { stdout } = await run(file, args);
    expect(stdout.split("\n")).toEqual(["orders-0", "target", "t0ken", "read-only", ""]);
    // Nothing leaked to the host: neither the mounts nor the hostname.
    expect(hostname()).not.toBe("orders-0");
    const { stdout: hostView } = await run("ls", [join(dir, "target")]);
    expect(hostView).toBe("");
  });

  test("a source hidden by an earlier mount (a checkout under an emptyDir /tmp) is mounted back at its path", async () => {
    const emptyDir = join(dir, "empty-dir");
    const checkout = join(dir, "checkout");
    await Promise.all([mkdir(emptyDir), mkdir(checkout)]);
    await writeFile(join(checkout, "main.ts"), "program");
    const { file, args } = sandboxCommand({
      hostname: "p",
      mounts: [
        { source: emptyDir, target: dir, readOnly: false },
        { source: checkout, target: checkout, readOnly: true },
      ],
      argv: ["cat", join(checkout, "main.ts")],
    });
    const { stdout } = await run(file, args);
    expect(stdout).toBe("program");
  });

  test("a pod of many mounts starts: descriptors past 9 are opened too", async () => {
    const sources = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const source = join(dir, `volume-${index}`);
        await mkdir(source);
        await writeFile(join(source, "name"), String(index));
        return source;
      }),
    );
    const { file, args } = sandboxCommand({
      hostname: "p",
      mounts: sources.map((source) => ({ source, target: source, readOnly: true })),
      argv: ["cat", ...sources.map((source) => join(source, "name"))],
    });
    const { stdout } = await run(file, args);
    expect(stdout).toBe("01234567891011");
  });

  test("paths with shell syntax stay paths", async () => {
    const odd = join(dir, 'a dir; $(touch pwned) "quoted"');
    await mkdir(odd);
    await writeFile(join(odd, "f"), "ok");
    const target = join(dir, "t");
    await mkdir(target);
    const { file, args } = sandboxCommand({
      hostname: "p",
      mounts: [{ source: odd, target, readOnly: true }],
      argv: ["cat", join(target, "f")],
    });
    const { stdout } = await run(file, args, { cwd: dir });
    expect(stdout).toBe("ok");
    await expect(run("ls", [join(dir, "pwned")])).rejects.toThrow();
  });
});

test("podHostname: the pod's hostname or name, at most 63 characters", () => {
  expect(podHostname(undefined, "orders-0")).toBe("orders-0");
  expect(podHostname("custom", "orders-0")).toBe("custom");
  expect(podHostname(undefined, `${"a".repeat(62)}-b`)).toBe("a".repeat(62));
});
